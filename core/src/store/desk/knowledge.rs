//! The desk's side of the knowledge base: article documents, the search index over articles and
//! ticket rows, the assistant, and self-service records.

use super::{CreateError, Desk};
use crate::access::Role;
use crate::domain::knowledge::assistant::{self, Reply};
use crate::domain::knowledge::highlight::{snippet, Piece};
use crate::domain::knowledge::{Article, ArticleDraft, ArticleError, Found, Query, SearchIndex};
use crate::domain::{DocumentId, Status, TicketDraft, TicketSummary, Timestamp};
use crate::storage::{load_document, ChunkStore, LoadError, LoadedDocument};
use crate::store::article_doc::{self, Revision};
use crate::store::{StoreError, TicketChangeError};
use std::collections::HashMap;

/// Reads one article's document from storage.
pub async fn load_article(
    store: &impl ChunkStore,
    id: DocumentId,
) -> Result<Option<LoadedDocument>, LoadError> {
    load_document(store, id).await
}

/// Ticket rows weigh their title like an article's.
const TITLE: f32 = 3.0;
const DETAILS: f32 = 1.0;
/// Snippets are cut to about this many characters.
const SNIPPET_CHARS: usize = 160;

/// Articles as read from their documents, and one search index over articles and ticket rows.
#[derive(Debug, Default)]
pub(super) struct Knowledge {
    articles: HashMap<DocumentId, Article>,
    index: SearchIndex<Found>,
    /// Articles known of but stored nowhere on this device yet.
    missing: std::collections::BTreeSet<DocumentId>,
    /// Whether the rows the desk opened with are in the index (rows placed since always are).
    rows_indexed: bool,
}

impl Knowledge {
    pub(super) fn index_row(&mut self, row: &TicketSummary) {
        let details = format!(
            "{} {} {} {} {}",
            row.category,
            row.service,
            row.department,
            row.requester,
            row.id.short_code()
        );
        self.index.upsert(
            Found::Ticket(row.id),
            &[(&row.title, TITLE), (&details, DETAILS)],
        );
    }

    fn index_article(&mut self, article: Article) {
        let key = Found::Article(article.id);
        if article.retired {
            self.index.remove(&key);
        } else {
            let fields = article.search_fields();
            let fields: Vec<(&str, f32)> = fields.iter().map(|(t, w)| (t.as_str(), *w)).collect();
            self.index.upsert(key, &fields);
        }
        self.missing.remove(&article.id);
        self.articles.insert(article.id, article);
    }
}

/// Why an article could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum ArticleSaveError {
    #[error("the article is not valid")]
    Invalid(Vec<ArticleError>),
    #[error("only the department's own staff keep its articles")]
    NotAllowed,
    #[error("the article is not on this device")]
    Missing,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One search result, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    pub found: Found,
    pub title: String,
    /// The best matching passage with the matches marked (articles), or the row's details.
    pub snippet: Vec<Piece>,
    /// The title with the matches marked.
    pub title_pieces: Vec<Piece>,
}

impl Desk {
    /// Every article this desk holds that is not retired, newest change first.
    pub fn articles(&self) -> Vec<&Article> {
        let mut all: Vec<&Article> = self
            .knowledge
            .articles
            .values()
            .filter(|a| !a.retired)
            .collect();
        all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
        all
    }

    pub fn article(&self, id: DocumentId) -> Option<&Article> {
        self.knowledge.articles.get(&id)
    }

    /// Whether this person may write articles for `department`: its staff and admins (or anyone
    /// on a desk of their own, not signed in to an organisation).
    pub fn may_write_articles(&self, department: &str) -> bool {
        let Some(profile) = self.profile() else {
            return false;
        };
        match profile.account {
            None => true,
            Some(account) if account.role == Role::Admin => true,
            Some(account) => crate::access::serves(account.role, &profile.department, department),
        }
    }

    /// Whether this person may write any article (to show the "new article" button).
    pub fn writes_articles(&self) -> bool {
        self.profile()
            .is_some_and(|p| self.may_write_articles(&p.department))
    }

    pub fn create_article(
        &mut self,
        id: DocumentId,
        draft: &ArticleDraft,
        now: Timestamp,
    ) -> Result<(), ArticleSaveError> {
        let draft = draft.validate().map_err(ArticleSaveError::Invalid)?;
        if !self.may_write_articles(&draft.department) {
            return Err(ArticleSaveError::NotAllowed);
        }
        let doc = article_doc::create(&draft, &self.actor(), now)?;
        self.docs.articles.insert(id, doc);
        self.docs.desk.add_article(id)?;
        self.read_article(id);
        self.changed_here(id)?;
        Ok(())
    }

    pub fn edit_article(
        &mut self,
        id: DocumentId,
        draft: &ArticleDraft,
        now: Timestamp,
    ) -> Result<(), ArticleSaveError> {
        let draft = draft.validate().map_err(ArticleSaveError::Invalid)?;
        let current = self.article(id).ok_or(ArticleSaveError::Missing)?;
        if !self.may_write_articles(&current.department)
            || !self.may_write_articles(&draft.department)
        {
            return Err(ArticleSaveError::NotAllowed);
        }
        let by = self.actor();
        let doc = self
            .docs
            .articles
            .get_mut(&id)
            .ok_or(ArticleSaveError::Missing)?;
        if article_doc::edit(doc, &draft, &by, now)? {
            self.read_article(id);
            self.changed_here(id)?;
        }
        Ok(())
    }

    /// Takes an article out of the knowledge base, or puts it back.
    pub fn retire_article(
        &mut self,
        id: DocumentId,
        retired: bool,
        now: Timestamp,
    ) -> Result<(), ArticleSaveError> {
        let current = self.article(id).ok_or(ArticleSaveError::Missing)?;
        if !self.may_write_articles(&current.department) {
            return Err(ArticleSaveError::NotAllowed);
        }
        let by = self.actor();
        let doc = self
            .docs
            .articles
            .get_mut(&id)
            .ok_or(ArticleSaveError::Missing)?;
        article_doc::set_retired(doc, retired, &by, now)?;
        self.read_article(id);
        self.changed_here(id)?;
        Ok(())
    }

    /// Who changed an article, when and what, newest first.
    pub fn article_history(&mut self, id: DocumentId) -> Vec<Revision> {
        self.docs
            .articles
            .get_mut(&id)
            .map(article_doc::history)
            .unwrap_or_default()
    }

    /// An article as it was after one of its changes.
    pub fn article_at(
        &mut self,
        id: DocumentId,
        revision: automerge::ChangeHash,
    ) -> Option<Article> {
        let doc = self.docs.articles.get_mut(&id)?;
        article_doc::read_at(doc, id, revision).ok()
    }

    /// Searches articles and tickets (those `wanted` lets through), best first.
    pub fn search(
        &self,
        text: &str,
        limit: usize,
        wanted: impl Fn(&Found) -> bool,
        chinese: bool,
    ) -> Vec<SearchResult> {
        let query = Query::new(text);
        self.knowledge
            .index
            .search(&query, limit, wanted)
            .into_iter()
            .filter_map(|hit| self.result(hit.key, &query, chinese))
            .collect()
    }

    fn result(&self, found: Found, query: &Query, chinese: bool) -> Option<SearchResult> {
        use crate::domain::knowledge::highlight::pieces;
        let (title, snippet) = match found {
            Found::Article(id) => {
                let article = self.article(id)?;
                let title = article.title.show(chinese).to_string();
                (title, snippet(&article.lines(), query, SNIPPET_CHARS))
            }
            Found::Ticket(id) => {
                let (row, _) = self.rows.iter().find(|(r, _)| r.id == id)?;
                let details = format!(
                    "{} · {} · {}",
                    row.id.short_code(),
                    row.requester,
                    row.department
                );
                (row.title.clone(), pieces(&details, query))
            }
        };
        Some(SearchResult {
            found,
            title_pieces: pieces(&title, query),
            title,
            snippet,
        })
    }

    /// Articles that may answer a request being typed, best first. Runs on every keystroke, so
    /// it ranks only: the form shows whole articles, not snippets.
    pub fn suggest_articles(&self, text: &str, limit: usize) -> Vec<&Article> {
        let query = Query::new(text);
        self.knowledge
            .index
            .search(&query, limit, |f| matches!(f, Found::Article(_)))
            .into_iter()
            .filter_map(|hit| match hit.key {
                Found::Article(id) => self.article(id),
                Found::Ticket(_) => None,
            })
            .collect()
    }

    /// The assistant's reply to a question, from the articles on this device.
    pub fn ask(&self, question: &str) -> Reply<DocumentId> {
        let reply = assistant::answer(
            question,
            &self.knowledge.index,
            |f| matches!(f, Found::Article(_)),
            |f| match f {
                Found::Article(id) => self.article(*id).map(Article::lines).unwrap_or_default(),
                Found::Ticket(_) => Vec::new(),
            },
        );
        let article = |f: Found| match f {
            Found::Article(id) => id,
            Found::Ticket(id) => id,
        };
        match reply {
            Reply::Answer { quotes, articles } => Reply::Answer {
                quotes: quotes
                    .into_iter()
                    .map(|q| assistant::Quote {
                        article: article(q.article),
                        pieces: q.pieces,
                    })
                    .collect(),
                articles: articles.into_iter().map(article).collect(),
            },
            Reply::Unknown { nearest } => Reply::Unknown {
                nearest: nearest.map(article),
            },
            Reply::Empty => Reply::Empty,
        }
    }

    /// Records a request an article solved: filed and resolved at once, "solved by" the article,
    /// to the article's department.
    pub fn record_self_service(
        &mut self,
        id: DocumentId,
        draft: &TicketDraft,
        article: DocumentId,
        now: Timestamp,
    ) -> Result<(), CreateError> {
        let mut draft = draft.clone();
        draft.self_help.solved_by = Some(article);
        if let Some(a) = self.article(article) {
            draft.department = a.department.clone();
            if draft.title.trim().is_empty() {
                draft.title = a.title.show(false).to_string();
            }
        }
        self.create_ticket(id, &draft, now)?;
        self.change_status(id, Status::Resolved, now)
            .map_err(|e| CreateError::Change(Box::new(e)))
    }

    /// Links an article to a ticket, or unlinks it.
    pub fn link_article(
        &mut self,
        ticket: DocumentId,
        article: DocumentId,
        linked: bool,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let title = self
            .article(article)
            .map(|a| a.title.show(false).to_string())
            .unwrap_or_default();
        self.open_ticket(ticket)?
            .link_article(article, &title, linked, now)?;
        self.changed_here(ticket)?;
        Ok(())
    }

    /// Puts the rows the desk opened with into the search index. Done once, after the list is
    /// shown: indexing 10,000 rows would otherwise add a third to the time the list takes.
    pub fn index_rows(&mut self) {
        if self.knowledge.rows_indexed {
            return;
        }
        for (row, _) in &self.rows {
            self.knowledge.index_row(row);
        }
        self.knowledge.rows_indexed = true;
    }

    /// The articles this desk knows of but has not read from storage yet: the page reads them
    /// after the list is shown, with [`load_article`] and [`Desk::insert_article`].
    pub fn unloaded_articles(&self) -> Vec<DocumentId> {
        self.docs
            .desk
            .articles()
            .into_iter()
            .filter(|id| !self.docs.articles.contains_key(id))
            .collect()
    }

    /// The articles this desk knows of that are stored nowhere on it (announced while it was
    /// offline, say): sync fetches them.
    pub fn missing_articles(&self) -> Vec<DocumentId> {
        self.knowledge.missing.iter().copied().collect()
    }

    /// An article the desk knows of turned out not to be in storage.
    pub fn article_not_stored(&mut self, id: DocumentId) {
        if !self.docs.articles.contains_key(&id) {
            self.knowledge.missing.insert(id);
        }
    }

    /// Adds an article read from storage; if a newer copy arrived from the relay meanwhile, the
    /// two are merged. A damaged document is refused with the reason.
    pub fn insert_article(&mut self, mut loaded: LoadedDocument) -> Result<(), StoreError> {
        let id = loaded.id;
        article_doc::read(&loaded.doc, id)?;
        self.tracker.loaded(&mut loaded);
        match self.docs.articles.get_mut(&id) {
            Some(held) => {
                held.merge(&mut loaded.doc)?;
                self.dirty.insert(id);
            }
            None => {
                self.docs.articles.insert(id, loaded.doc);
            }
        }
        self.read_article(id);
        Ok(())
    }

    /// Reads an article again after a change; an unreadable one stays as it was.
    pub(super) fn read_article(&mut self, id: DocumentId) {
        let Some(doc) = self.docs.articles.get(&id) else {
            return;
        };
        if let Ok(article) = article_doc::read(doc, id) {
            self.knowledge.index_article(article);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Text;
    use crate::domain::knowledge::Audience;
    use crate::domain::{Priority, Profile};
    use crate::storage::{ChunkStore, MemoryStore};
    use crate::store::desk::open_desk;
    use futures::executor::block_on;

    fn id(n: u8) -> DocumentId {
        DocumentId::from_bytes([n; 16])
    }

    fn desk(store: &MemoryStore) -> Desk {
        let mut n = 100u8;
        let mut new_id = || {
            n += 1;
            id(n)
        };
        let (mut desk, problems) = block_on(open_desk(store, &mut new_id)).unwrap();
        assert!(problems.is_empty());
        if desk.profile().is_none() {
            desk.set_profile(Profile::new("李雷", "IT").unwrap())
                .unwrap();
        }
        desk
    }

    fn save(desk: &mut Desk, store: &MemoryStore) {
        for plan in desk.pending_writes() {
            block_on(store.write(plan.batch.clone())).unwrap();
            desk.saved(plan);
        }
    }

    fn vpn() -> ArticleDraft {
        ArticleDraft {
            department: "IT".into(),
            category: "Network".into(),
            audience: Audience::Everyone,
            title: Text {
                zh: "连接公司 VPN".into(),
                en: "Connect to the VPN".into(),
            },
            body: Text {
                zh: "从软件中心安装客户端，用员工账号登录。".into(),
                en: "Install the client from the software centre and sign in.".into(),
            },
            ..Default::default()
        }
    }

    #[test]
    fn an_article_written_offline_is_searchable_and_survives_a_reload() {
        let store = MemoryStore::new();
        let mut desk = desk(&store);
        desk.create_article(id(1), &vpn(), Timestamp(1_000))
            .unwrap();
        let ticket = TicketDraft {
            title: "VPN drops every hour".into(),
            requester: "王芳".into(),
            department: "IT".into(),
            priority: Priority::Normal,
            ..Default::default()
        };
        desk.create_ticket(id(2), &ticket, Timestamp(2_000))
            .unwrap();
        save(&mut desk, &store);

        let mut desk = self::desk(&store);
        assert!(
            desk.articles().is_empty(),
            "articles are read after the desk opens"
        );
        for id in desk.unloaded_articles() {
            let loaded = block_on(load_article(&store, id)).unwrap().unwrap();
            desk.insert_article(loaded).unwrap();
        }
        assert!(desk.unloaded_articles().is_empty());
        assert_eq!(desk.articles().len(), 1);
        let articles_only = desk.search("vpn", 10, |_| true, false);
        assert_eq!(
            articles_only.len(),
            1,
            "the rows are indexed after the list is shown"
        );
        desk.index_rows();
        let found = desk.search("vpn", 10, |_| true, false);
        let kinds: Vec<Found> = found.iter().map(|r| r.found).collect();
        assert_eq!(kinds.len(), 2);
        assert!(kinds.contains(&Found::Article(id(1))) && kinds.contains(&Found::Ticket(id(2))));
        let article = found
            .iter()
            .find(|r| r.found == Found::Article(id(1)))
            .unwrap();
        assert!(article
            .title_pieces
            .iter()
            .any(|p| p.hit && p.text == "VPN"));
        let chinese = desk.search("安装客户端", 10, |_| true, true);
        assert_eq!(chinese[0].found, Found::Article(id(1)));
        assert_eq!(chinese[0].title, "连接公司 VPN");
        assert!(chinese[0].snippet.iter().any(|p| p.hit));
    }

    #[test]
    fn edits_are_reindexed_kept_in_history_and_retired_articles_leave_search() {
        let store = MemoryStore::new();
        let mut desk = desk(&store);
        desk.create_article(id(1), &vpn(), Timestamp(1_000))
            .unwrap();
        let mut edited = vpn();
        edited.body.en = "Use the GlobalConnect client.".into();
        desk.edit_article(id(1), &edited, Timestamp(2_000)).unwrap();
        assert_eq!(desk.search("globalconnect", 5, |_| true, false).len(), 1);
        assert!(desk.search("centre", 5, |_| true, false).is_empty());
        let history = desk.article_history(id(1));
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].changed, ["body_en"]);
        assert_eq!(history[0].by, "李雷");
        let before = desk.article_at(id(1), history[1].hash).unwrap();
        assert!(before.body.en.contains("software centre"));
        desk.retire_article(id(1), true, Timestamp(3_000)).unwrap();
        assert!(desk.articles().is_empty());
        assert!(desk.search("globalconnect", 5, |_| true, false).is_empty());
    }

    #[test]
    fn only_the_departments_staff_write_its_articles() {
        use crate::access::{PersonId, Role};
        use crate::domain::Account;
        let store = MemoryStore::new();
        let mut desk = desk(&store);
        let mut me = Profile::new("王芳", "财务部").unwrap();
        me.account = Some(Account {
            person: PersonId("wang".into()),
            role: Role::Requester,
            email: "wang@example.cn".into(),
        });
        desk.set_profile(me.clone()).unwrap();
        assert!(matches!(
            desk.create_article(id(1), &vpn(), Timestamp(1)),
            Err(ArticleSaveError::NotAllowed)
        ));
        me.account.as_mut().unwrap().role = Role::Agent;
        desk.set_profile(me).unwrap();
        assert!(desk.may_write_articles("财务部") && !desk.may_write_articles("IT"));
        assert!(matches!(
            desk.create_article(id(1), &ArticleDraft::default(), Timestamp(1)),
            Err(ArticleSaveError::Invalid(_))
        ));
    }

    #[test]
    fn a_request_solved_by_an_article_is_recorded_resolved_for_its_department() {
        let store = MemoryStore::new();
        let mut desk = desk(&store);
        desk.create_article(id(1), &vpn(), Timestamp(1_000))
            .unwrap();
        let draft = TicketDraft {
            title: "cannot reach the intranet from home".into(),
            requester: "李雷".into(),
            department: "HR".into(),
            self_help: crate::domain::knowledge::SelfHelp {
                solved_by: None,
                suggested: 2,
            },
            ..Default::default()
        };
        desk.record_self_service(id(3), &draft, id(1), Timestamp(2_000))
            .unwrap();
        let row = &desk.rows()[0].0;
        assert_eq!(row.status, Status::Resolved);
        assert_eq!(row.department, "IT", "the article's department hears of it");
        assert_eq!(row.self_help.solved_by, Some(id(1)));
        assert_eq!(row.self_help.suggested, 2);
    }

    #[test]
    fn articles_link_to_tickets() {
        let store = MemoryStore::new();
        let mut desk = desk(&store);
        desk.create_article(id(1), &vpn(), Timestamp(1_000))
            .unwrap();
        let draft = TicketDraft {
            title: "VPN".into(),
            requester: "王芳".into(),
            department: "IT".into(),
            ..Default::default()
        };
        desk.create_ticket(id(2), &draft, Timestamp(2_000)).unwrap();
        desk.link_article(id(2), id(1), true, Timestamp(3_000))
            .unwrap();
        let ticket = desk.ticket(id(2)).unwrap().unwrap();
        assert_eq!(ticket.articles, [(id(1), "Connect to the VPN".to_string())]);
        desk.link_article(id(2), id(1), false, Timestamp(4_000))
            .unwrap();
        assert!(desk.ticket(id(2)).unwrap().unwrap().articles.is_empty());
    }
}

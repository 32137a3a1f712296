//! Discovery without leaks: the relay keeps one index document per queue and per person, listing
//! the tickets that audience may read with the summary a list needs. Only the relay writes them,
//! and each is shared only with its audience, so nobody learns the id or title of a ticket they
//! may not read. `feeds.json` in the data folder names each audience's index.

use crate::backlog::Backlog;
use crate::hub::Hub;
use crate::relay::Shared;
use crate::results::SurveyBook;
use automerge::Automerge;
use innerdesk_core::access::{Audience, DocFacts, PartFacts, PersonId, Role};
use innerdesk_core::domain::{DocumentId, TicketSummary};
use innerdesk_core::store::directory_doc::read_directory;
use innerdesk_core::store::facts::facts_of;
use innerdesk_core::store::ticket_index;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

#[derive(Serialize, Deserialize)]
struct Named {
    audience: Audience,
    index: DocumentId,
}

pub struct Feeds {
    hub: Arc<Hub>,
    shared: Arc<Shared>,
    backlog: Arc<Backlog>,
    path: PathBuf,
    named: Mutex<Vec<Named>>,
    surveys: SurveyBook,
}

impl Feeds {
    pub fn open(
        hub: Arc<Hub>,
        shared: Arc<Shared>,
        backlog: Arc<Backlog>,
    ) -> std::io::Result<Self> {
        let path = shared.data_dir.join("feeds.json");
        let named = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            hub,
            shared,
            backlog,
            path,
            named: Mutex::new(named),
            surveys: SurveyBook::default(),
        })
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn surveys(&self) -> &SurveyBook {
        &self.surveys
    }

    /// The indexes a person reads: their own, their queue's, and every queue's for admins.
    pub async fn indexes_for(&self, person: &crate::people::Person) -> Vec<DocumentId> {
        let mut audiences = vec![Audience::Person(person.id.clone()), Audience::Everyone];
        match person.role {
            Role::Agent | Role::Lead => audiences.push(Audience::Queue(
                self.shared.current_queue(&person.department),
            )),
            Role::Admin => {
                let named = self.named.lock().await;
                audiences.extend(named.iter().filter_map(|n| match &n.audience {
                    Audience::Queue(_) => Some(n.audience.clone()),
                    Audience::Person(_) | Audience::Everyone => None,
                }));
            }
            Role::Requester => {}
        }
        let mut ids = Vec::new();
        for audience in audiences {
            match self.index(&audience).await {
                Ok(id) => ids.push(id),
                Err(e) => tracing::error!(error = %e, ?audience, "could not open an index"),
            }
        }
        ids
    }

    /// Keeps the indexes in step with every ticket that receives changes.
    pub async fn keep_current(self: Arc<Self>, mut changed: mpsc::UnboundedReceiver<DocumentId>) {
        let mut batch = HashSet::new();
        while let Some(first) = changed.recv().await {
            batch.insert(first);
            while let Ok(more) = changed.try_recv() {
                batch.insert(more);
            }
            for doc in batch.drain() {
                self.backlog.indexing(doc);
                match self.document_changed(doc).await {
                    Ok(more) => self.settle(doc, more),
                    // Still owed: taken up again at its next change or the next start.
                    Err(e) => {
                        tracing::warn!(%doc, error = %e, "could not update the indexes for a document")
                    }
                }
            }
        }
    }

    /// The documents this one's indexing affects are owed before it is settled, so a crash in
    /// between still reaches them.
    fn settle(&self, doc: DocumentId, more: Vec<DocumentId>) {
        let owed = more.into_iter().try_for_each(|m| self.backlog.owe(m));
        if let Err(e) = owed.and_then(|()| self.backlog.settled(doc)) {
            tracing::error!(%doc, error = %e, "could not journal the indexing backlog");
        }
    }

    /// Classifies a document the first time it has content, and keeps the indexes current as
    /// documents change. Returns the documents whose indexing this change affects in turn
    /// (tickets of a merged department).
    async fn document_changed(&self, doc: DocumentId) -> std::io::Result<Vec<DocumentId>> {
        match self.shared.registry.facts(doc) {
            Some(DocFacts::Unclassified { creator }) => self.classify(doc, &creator).await,
            Some(DocFacts::Ticket { .. }) => self.ticket_changed(doc).await,
            Some(DocFacts::TicketPart { ticket, part }) => match part {
                // Internal notes change nothing anyone else's lists show.
                PartFacts::Staff => Ok(Vec::new()),
                _ => self.ticket_changed(ticket).await,
            },
            Some(DocFacts::Organisation) => self.organisation_changed(doc).await,
            Some(DocFacts::Response { owner, survey }) => {
                self.response_changed(doc, &owner, &survey).await?;
                Ok(Vec::new())
            }
            Some(DocFacts::Staff) => {
                self.announce(doc).await?;
                Ok(Vec::new())
            }
            Some(DocFacts::Board) => {
                self.announce(doc).await?;
                self.board_changed(doc).await?;
                Ok(Vec::new())
            }
            Some(was @ DocFacts::Article { .. }) => {
                self.article_changed(doc, Some(was)).await?;
                Ok(Vec::new())
            }
            Some(DocFacts::Personal { .. } | DocFacts::Index { .. }) | None => Ok(Vec::new()),
        }
    }

    /// The first classification of a document, from its content then; final (see
    /// `store::facts`). Until it has content it stays its first deliverer's.
    async fn classify(
        &self,
        doc: DocumentId,
        creator: &PersonId,
    ) -> std::io::Result<Vec<DocumentId>> {
        let deliverer = self.shared.viewer(creator);
        let read = self
            .hub
            .read(doc, |d| facts_of(d, doc, creator, deliverer.as_ref()));
        let Some(facts) = read.await.map_err(std::io::Error::other)? else {
            return Ok(Vec::new());
        };
        match facts {
            DocFacts::Unclassified { .. } => Ok(Vec::new()),
            DocFacts::Ticket { .. } => self.ticket_filed(doc, facts).await,
            DocFacts::TicketPart { ticket, part } => {
                self.part_delivered(doc, creator, ticket, part).await
            }
            facts => {
                let organisation = facts == DocFacts::Organisation;
                let response = match &facts {
                    DocFacts::Response { owner, survey } => Some((owner.clone(), survey.clone())),
                    _ => None,
                };
                let shared = matches!(
                    facts,
                    DocFacts::Staff | DocFacts::Board | DocFacts::Article { .. }
                );
                let board = facts == DocFacts::Board;
                self.shared.registry.record(doc, facts)?;
                self.hub.access_changed(doc).await;
                if organisation {
                    return self.organisation_changed(doc).await;
                }
                if shared {
                    self.announce(doc).await?;
                }
                if board {
                    self.board_changed(doc).await?;
                }
                if let Some((owner, survey)) = response {
                    self.response_changed(doc, &owner, &survey).await?;
                }
                Ok(Vec::new())
            }
        }
    }

    /// An article changed: when its department or audience changed, its readers change with them
    /// and it is named in the index of its new readers only.
    async fn article_changed(&self, doc: DocumentId, was: Option<DocFacts>) -> std::io::Result<()> {
        let read = self
            .hub
            .read(doc, innerdesk_core::store::facts::article_facts);
        let Some(Some(now)) = read.await.map_err(std::io::Error::other)? else {
            return Ok(());
        };
        if was.as_ref() == Some(&now) {
            return Ok(());
        }
        if let Some(old) = was.as_ref().and_then(|f| article_audience(f, &self.shared)) {
            if article_audience(&now, &self.shared).as_ref() != Some(&old) {
                let index = self.index(&old).await?;
                self.hub
                    .change(index, |d| {
                        let _ = d.transact(|tx| ticket_index::withdraw(tx, doc));
                    })
                    .await
                    .map_err(std::io::Error::other)?;
            }
        }
        self.shared.registry.record(doc, now)?;
        self.hub.access_changed(doc).await;
        self.announce(doc).await
    }

    /// A directory changed: its merges may move tickets to another queue. Their rows leave the old
    /// queue's index here; the tickets returned are indexed again under their queue now.
    async fn organisation_changed(&self, doc: DocumentId) -> std::io::Result<Vec<DocumentId>> {
        self.announce(doc).await?;
        if self.voice_changed(doc).await? {
            return Ok(Vec::new());
        }
        let read = self
            .hub
            .read(doc, |d| read_directory(d).ok().map(|(dir, _)| dir));
        let Some(Some(directory)) = read.await.map_err(std::io::Error::other)? else {
            return Ok(Vec::new());
        };
        let shared = &self.shared;
        if shared
            .directory
            .read()
            .unwrap()
            .as_ref()
            .is_some_and(|(current, _)| *current < doc)
        {
            return Ok(Vec::new());
        }
        let tickets = shared.registry.ticket_queues();
        let before: Vec<String> = tickets
            .iter()
            .map(|(_, queue)| shared.current_queue(queue))
            .collect();
        shared.follow_directory(&directory);
        *shared.directory.write().unwrap() = Some((doc, directory));
        let mut moved = Vec::new();
        for ((ticket, queue), was) in tickets.into_iter().zip(before) {
            if shared.current_queue(&queue) == was {
                continue;
            }
            let index = self.index(&Audience::Queue(was)).await?;
            self.hub
                .change(index, |d| {
                    let _ = d.transact(|tx| ticket_index::remove_row(tx, ticket));
                })
                .await
                .map_err(std::io::Error::other)?;
            self.hub.access_changed(ticket).await;
            moved.push(ticket);
        }
        Ok(moved)
    }

    /// Names a shared document in the indexes of those who read it, so pages online now learn
    /// of it: organisation documents and the board to everyone, the workbench to every queue.
    async fn announce(&self, doc: DocumentId) -> std::io::Result<()> {
        let audiences = match self.shared.registry.facts(doc) {
            Some(DocFacts::Staff) => {
                let named = self.named.lock().await;
                named
                    .iter()
                    .filter(|n| matches!(n.audience, Audience::Queue(_)))
                    .map(|n| n.audience.clone())
                    .collect()
            }
            Some(DocFacts::Organisation | DocFacts::Board) => vec![Audience::Everyone],
            Some(article @ DocFacts::Article { .. }) => article_audience(&article, &self.shared)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        let kind = announced_as(self.shared.registry.facts(doc).as_ref());
        for audience in audiences {
            let index = self.index(&audience).await?;
            self.hub
                .change(index, |d| {
                    let _ = d.transact(|tx| ticket_index::announce_as(tx, doc, kind));
                })
                .await
                .map_err(std::io::Error::other)?;
        }
        Ok(())
    }

    /// The index document of an audience, created the first time it is needed.
    pub(crate) async fn index(&self, audience: &Audience) -> std::io::Result<DocumentId> {
        let mut named = self.named.lock().await;
        if let Some(n) = named.iter().find(|n| n.audience == *audience) {
            return Ok(n.index);
        }
        let index = random_id();
        // Facts first, so the new index is never readable by the wrong people.
        self.shared.registry.record(
            index,
            DocFacts::Index {
                audience: audience.clone(),
            },
        )?;
        // A new index names the shared documents its audience reads from the start.
        let shared: Vec<(DocumentId, ticket_index::Announced)> =
            self.shared.registry.matching_facts(|f| {
                let reads = match (f, audience) {
                    (DocFacts::Staff, Audience::Queue(_)) => true,
                    (DocFacts::Organisation | DocFacts::Board, Audience::Everyone) => true,
                    (DocFacts::Article { .. }, _) => {
                        article_audience(f, &self.shared).as_ref() == Some(audience)
                    }
                    _ => false,
                };
                reads.then(|| announced_as(Some(f)))
            });
        self.hub
            .change(index, |d| {
                let _ = d.transact(|tx| {
                    ticket_index::init(tx)?;
                    shared
                        .iter()
                        .try_for_each(|(id, kind)| ticket_index::announce_as(tx, *id, *kind))
                });
            })
            .await
            .map_err(std::io::Error::other)?;
        named.push(Named {
            audience: audience.clone(),
            index,
        });
        save(&self.path, &named)?;
        Ok(index)
    }
}

fn random_id() -> DocumentId {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    DocumentId::from_bytes(bytes)
}

/// Who sees a ticket in their lists: its queue (after merges), its requester, its watchers and
/// its creator.
pub(crate) fn audiences(facts: &DocFacts, shared: &Shared) -> Vec<Audience> {
    let DocFacts::Ticket {
        creator,
        requester,
        queue,
        watchers,
        ..
    } = facts
    else {
        return Vec::new();
    };
    let mut people: Vec<&PersonId> = vec![creator];
    people.extend(requester.iter());
    people.extend(watchers.iter());
    people.sort();
    people.dedup();
    let mut out = vec![Audience::Queue(shared.current_queue(queue))];
    out.extend(people.into_iter().map(|p| Audience::Person(p.clone())));
    out
}

/// Whose index names an article: everyone's, or its department's queue when internal.
fn article_audience(facts: &DocFacts, shared: &Shared) -> Option<Audience> {
    match facts {
        DocFacts::Article {
            internal: false, ..
        } => Some(Audience::Everyone),
        DocFacts::Article { department, .. } => {
            Some(Audience::Queue(shared.current_queue(department)))
        }
        _ => None,
    }
}

fn announced_as(facts: Option<&DocFacts>) -> ticket_index::Announced {
    match facts {
        Some(DocFacts::Article { .. }) => ticket_index::Announced::Article,
        _ => ticket_index::Announced::Shared,
    }
}

/// Rewriting an unchanged row would still grow the index's history, so compare first.
pub(crate) fn put_if_changed(doc: &mut Automerge, summary: &TicketSummary) {
    if ticket_index::get_row(doc, summary.id)
        .ok()
        .flatten()
        .as_ref()
        == Some(summary)
    {
        return;
    }
    if let Err(e) = doc.transact(|tx| ticket_index::put_row(tx, summary)) {
        tracing::warn!(error = ?e.error, "could not write an index row");
    }
}

fn save(path: &PathBuf, named: &[Named]) -> std::io::Result<()> {
    let temporary = path.with_extension("json.new");
    std::fs::write(&temporary, serde_json::to_vec_pretty(named)?)?;
    std::fs::rename(&temporary, path)
}

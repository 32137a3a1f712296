//! One knowledge-base article per document. Short fields are scalars (the last writer wins); the
//! two bodies are Automerge text, created with the document, so people editing different parts
//! of an article at once — offline or not — both keep their words.
//!
//! Every save is one change whose message names who made it and which fields changed, so the
//! article's history (who changed what, when) is the document's own change log, and any earlier
//! version can be read back and restored.

use super::fields::{check_header, int_at, obj_at, parsed_at, str_at, write_header};
use super::StoreError;
use crate::domain::catalog::Text;
use crate::domain::knowledge::{Article, ArticleDraft, Audience};
use crate::domain::{DocumentId, Timestamp};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ChangeHash, ObjType, ReadDoc, ScalarValue, ROOT};
use serde::{Deserialize, Serialize};

pub const KIND: &str = "article";
const SCHEMA: i64 = 1;

/// The fields a save may change, by their key in the document.
const TITLE_ZH: &str = "title_zh";
const TITLE_EN: &str = "title_en";
const BODY_ZH: &str = "body_zh";
const BODY_EN: &str = "body_en";

/// One entry of an article's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub hash: ChangeHash,
    pub at: Timestamp,
    pub by: String,
    /// The fields changed, by key (`title_en`, `body_zh`, `audience`…); `created` for the first.
    pub changed: Vec<String>,
}

/// What a change's message records.
#[derive(Serialize, Deserialize)]
struct Note {
    by: String,
    changed: Vec<String>,
}

/// A new article document from a valid draft.
pub fn create(draft: &ArticleDraft, by: &str, now: Timestamp) -> Result<AutoCommit, StoreError> {
    let mut doc = AutoCommit::new();
    write_header(&mut doc, KIND, SCHEMA)?;
    doc.put(ROOT, "created_at", ScalarValue::Timestamp(now.0))?;
    for key in [BODY_ZH, BODY_EN] {
        doc.put_object(ROOT, key, ObjType::Text)?;
    }
    write(&mut doc, draft, by, now)?;
    commit(&mut doc, by, vec!["created".into()], now);
    Ok(doc)
}

/// Saves an edited draft; nothing is recorded when nothing changed.
pub fn edit(
    doc: &mut AutoCommit,
    draft: &ArticleDraft,
    by: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = write(doc, draft, by, now)?;
    if changed.is_empty() {
        doc.rollback();
        return Ok(false);
    }
    commit(doc, by, changed, now);
    Ok(true)
}

/// Takes the article out of the knowledge base, or puts it back. A tombstone, not a deletion:
/// a device that still holds the article cannot bring it back.
pub fn set_retired(
    doc: &mut AutoCommit,
    retired: bool,
    by: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    doc.put(ROOT, "retired", retired)?;
    doc.put(ROOT, "updated_at", ScalarValue::Timestamp(now.0))?;
    doc.put(ROOT, "updated_by", by)?;
    commit(doc, by, vec!["retired".into()], now);
    Ok(())
}

fn commit(doc: &mut AutoCommit, by: &str, changed: Vec<String>, now: Timestamp) {
    let note = Note {
        by: by.into(),
        changed,
    };
    let message = serde_json::to_string(&note).unwrap_or_default();
    doc.commit_with(
        CommitOptions::default()
            .with_message(message)
            .with_time(now.0),
    );
}

/// Writes the draft's fields that differ; returns their keys.
fn write(
    doc: &mut AutoCommit,
    draft: &ArticleDraft,
    by: &str,
    now: Timestamp,
) -> Result<Vec<String>, StoreError> {
    let mut changed = Vec::new();
    let scalars = [
        ("department", draft.department.as_str()),
        ("category", draft.category.as_str()),
        ("audience", draft.audience.as_str()),
        ("service", draft.service.as_str()),
        ("keywords", draft.keywords.as_str()),
        (TITLE_ZH, draft.title.zh.as_str()),
        (TITLE_EN, draft.title.en.as_str()),
    ];
    for (key, value) in scalars {
        if str_at(doc, &ROOT, key).ok().as_deref() != Some(value) {
            doc.put(ROOT, key, value)?;
            changed.push(key.to_string());
        }
    }
    for (key, value) in [(BODY_ZH, &draft.body.zh), (BODY_EN, &draft.body.en)] {
        let text = obj_at(doc, &ROOT, key)?;
        if doc.text(&text)? != *value {
            // Splices only what differs, so a concurrent edit elsewhere in the text survives.
            doc.update_text(&text, value)?;
            changed.push(key.to_string());
        }
    }
    if !changed.is_empty() {
        doc.put(ROOT, "updated_at", ScalarValue::Timestamp(now.0))?;
        doc.put(ROOT, "updated_by", by)?;
    }
    Ok(changed)
}

/// Whether a document is an article (of a schema this version reads).
pub fn is_article(doc: &impl ReadDoc) -> bool {
    check_header(doc, KIND, SCHEMA).is_ok()
}

/// Reads the article.
pub fn read(doc: &impl ReadDoc, id: DocumentId) -> Result<Article, StoreError> {
    check_header(doc, KIND, SCHEMA)?;
    let text = |key: &'static str| str_at(doc, &ROOT, key).unwrap_or_default();
    Ok(Article {
        id,
        department: str_at(doc, &ROOT, "department")?,
        category: text("category"),
        audience: parsed_at(doc, &ROOT, "audience", Audience::parse).unwrap_or_default(),
        service: text("service"),
        title: Text {
            zh: text(TITLE_ZH),
            en: text(TITLE_EN),
        },
        body: Text {
            zh: text(BODY_ZH),
            en: text(BODY_EN),
        },
        keywords: text("keywords"),
        retired: matches!(
            doc.get(&ROOT, "retired")?,
            Some((automerge::Value::Scalar(s), _)) if matches!(s.as_ref(), ScalarValue::Boolean(true))
        ),
        created_at: Timestamp(int_at(doc, &ROOT, "created_at").unwrap_or(0)),
        updated_at: Timestamp(int_at(doc, &ROOT, "updated_at").unwrap_or(0)),
        updated_by: text("updated_by"),
    })
}

/// Who changed the article, when and what, newest first.
pub fn history(doc: &mut AutoCommit) -> Vec<Revision> {
    let mut revisions: Vec<Revision> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|meta| {
            let note: Option<Note> = meta
                .message
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok());
            let (by, changed) = note.map_or((String::new(), Vec::new()), |n| (n.by, n.changed));
            Revision {
                hash: meta.hash,
                at: Timestamp(meta.timestamp),
                by,
                changed,
            }
        })
        .collect();
    revisions.sort_by(|a, b| b.at.cmp(&a.at).then(b.hash.cmp(&a.hash)));
    revisions
}

/// The article as it was right after the change `hash` (with everything that change built on).
pub fn read_at(
    doc: &mut AutoCommit,
    id: DocumentId,
    hash: ChangeHash,
) -> Result<Article, StoreError> {
    let then = doc.fork_at(&[hash])?;
    read(&then, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ArticleDraft {
        ArticleDraft {
            department: "IT".into(),
            category: "Network".into(),
            title: Text {
                zh: "连接 VPN".into(),
                en: "Connect to the VPN".into(),
            },
            body: Text {
                zh: "安装客户端。".into(),
                en: "Install the client.\nSign in.".into(),
            },
            ..Default::default()
        }
    }

    fn id() -> DocumentId {
        DocumentId::from_bytes([7; 16])
    }

    #[test]
    fn an_article_reads_back_and_records_who_changed_what() {
        let mut doc = create(&draft(), "李雷", Timestamp(1_000)).unwrap();
        assert_eq!(read(&doc, id()).unwrap().draft(), draft());
        let mut edited = draft();
        edited.body.en = "Install the client.\nSign in with your staff account.".into();
        edited.audience = Audience::Internal;
        assert!(edit(&mut doc, &edited, "韩梅梅", Timestamp(2_000)).unwrap());
        assert!(
            !edit(&mut doc, &edited, "韩梅梅", Timestamp(3_000)).unwrap(),
            "no change, no revision"
        );
        let article = read(&doc, id()).unwrap();
        assert_eq!(
            (article.updated_by.as_str(), article.updated_at),
            ("韩梅梅", Timestamp(2_000))
        );
        let history = history(&mut doc);
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].by, "韩梅梅");
        assert_eq!(history[0].changed, ["audience", "body_en"]);
        assert_eq!(history[1].changed, ["created"]);
        let first = read_at(&mut doc, id(), history[1].hash).unwrap();
        assert_eq!(first.body.en, "Install the client.\nSign in.");
        assert_eq!(
            read(&doc, id()).unwrap().audience,
            Audience::Internal,
            "reading the past changes nothing"
        );
    }

    #[test]
    fn two_people_editing_different_lines_offline_both_keep_their_words() {
        let mut here = create(&draft(), "李雷", Timestamp(1_000)).unwrap();
        let mut there = here.fork().with_actor(automerge::ActorId::random());
        let mut mine = draft();
        mine.body.en = "Install the GlobalConnect client.\nSign in.".into();
        let mut theirs = draft();
        theirs.body.en = "Install the client.\nSign in and approve the prompt.".into();
        edit(&mut here, &mine, "李雷", Timestamp(2_000)).unwrap();
        edit(&mut there, &theirs, "韩梅梅", Timestamp(2_500)).unwrap();
        here.merge(&mut there).unwrap();
        there.merge(&mut here).unwrap();
        let merged = read(&here, id()).unwrap().body.en;
        assert_eq!(
            merged,
            "Install the GlobalConnect client.\nSign in and approve the prompt."
        );
        assert_eq!(read(&there, id()).unwrap().body.en, merged);
        assert_eq!(history(&mut here).len(), 3);
    }

    #[test]
    fn retiring_is_a_tombstone() {
        let mut doc = create(&draft(), "李雷", Timestamp(1_000)).unwrap();
        set_retired(&mut doc, true, "李雷", Timestamp(2_000)).unwrap();
        assert!(read(&doc, id()).unwrap().retired);
        assert_eq!(history(&mut doc)[0].changed, ["retired"]);
    }
}

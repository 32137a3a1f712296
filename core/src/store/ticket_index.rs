//! Index documents: the summary of every ticket in a list, so drawing the list opens one document, not
//! thousands.
//!
//! Each summary is one JSON string under the ticket's id. Summaries are derived data rewritten whole by
//! whoever changes the ticket, so last-writer-wins per ticket is the right merge, and one scalar per row
//! keeps a 10,000-ticket index quick to load.

use super::fields::{check_header, obj_at, write_header};
use super::StoreError;
use crate::domain::{DocumentId, TicketSummary};
use automerge::{
    transaction::Transactable, AutoCommit, ObjType, ReadDoc, ScalarValue, ScalarValueRef, Value,
    ValueRef, ROOT,
};

const KIND: &str = "ticket_index";
const SCHEMA: i64 = 1;

/// A ticket index document.
#[derive(Debug, Clone)]
pub struct TicketIndex {
    doc: AutoCommit,
}

/// The rows of an index, with any that could not be read.
#[derive(Debug, Default)]
pub struct IndexRows {
    pub rows: Vec<TicketSummary>,
    /// Ids (as stored) of entries that did not parse; reported, not fatal.
    pub unreadable: Vec<String>,
}

impl TicketIndex {
    pub fn create() -> Result<Self, StoreError> {
        let mut doc = AutoCommit::new();
        init(&mut doc)?;
        doc.commit();
        Ok(Self { doc })
    }

    pub fn from_automerge(doc: AutoCommit) -> Result<Self, StoreError> {
        check_header(&doc, KIND, SCHEMA)?;
        Ok(Self { doc })
    }

    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Writes (or rewrites) one ticket's row.
    pub fn upsert(&mut self, summary: &TicketSummary) -> Result<(), StoreError> {
        put_row(&mut self.doc, summary)?;
        self.doc.commit();
        Ok(())
    }

    /// Every row, in no particular order.
    pub fn rows(&self) -> Result<IndexRows, StoreError> {
        read_rows(&self.doc)
    }

    pub fn get(&self, id: DocumentId) -> Result<Option<TicketSummary>, StoreError> {
        get_row(&self.doc, id)
    }
}

/// Writes the header and an empty row map into a new index document (the relay creates its own).
pub fn init(doc: &mut impl Transactable) -> Result<(), StoreError> {
    write_header(doc, KIND, SCHEMA)?;
    doc.put_object(ROOT, "tickets", ObjType::Map)?;
    Ok(())
}

/// Writes (or rewrites) one ticket's row in any index document.
pub fn put_row(doc: &mut impl Transactable, summary: &TicketSummary) -> Result<(), StoreError> {
    let tickets = obj_at(doc, &ROOT, "tickets")?;
    let json = serde_json::to_string(summary).map_err(|_| StoreError::Invalid("summary"))?;
    doc.put(&tickets, summary.id.to_string(), json)?;
    Ok(())
}

/// One ticket's row in any index document, if it is there and readable.
pub fn get_row(doc: &impl ReadDoc, id: DocumentId) -> Result<Option<TicketSummary>, StoreError> {
    let tickets = obj_at(doc, &ROOT, "tickets")?;
    Ok(match doc.get(&tickets, id.to_string())? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(json) => serde_json::from_str(json).ok(),
            _ => None,
        },
        _ => None,
    })
}

/// The rows written between `since` and now, read from Automerge's own diff: an index that grew by
/// one row costs one row to take in, not the whole list.
pub fn written_since(
    doc: &mut AutoCommit,
    since: &[automerge::ChangeHash],
) -> Result<Vec<TicketSummary>, StoreError> {
    let tickets = obj_at(doc, &ROOT, "tickets")?;
    let now = doc.get_heads();
    let mut written = Vec::new();
    for patch in doc.diff(since, &now) {
        if patch.obj != tickets {
            continue;
        }
        if let automerge::PatchAction::PutMap {
            key,
            value: (Value::Scalar(s), _),
            ..
        } = patch.action
        {
            if let ScalarValue::Str(json) = s.as_ref() {
                match serde_json::from_str::<TicketSummary>(json) {
                    Ok(row) if row.id.to_string() == key => written.push(row),
                    _ => {}
                }
            }
        }
    }
    Ok(written)
}

/// Where a relay index names the shared documents (organisation configuration, the workbench,
/// the suggestion board) its audience reads, so a page learns of one created while it is online.
const SHARED: &str = "shared_documents";

/// What an announced document is, as far as a page needs to know before fetching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announced {
    /// Organisation configuration, the workbench, the board: read when the page opens.
    Shared,
    /// A knowledge-base article.
    Article,
}

const ARTICLE: &str = "article";

/// Names a shared document in a relay index; nothing changes if it is named already.
pub fn announce(doc: &mut impl Transactable, id: DocumentId) -> Result<(), StoreError> {
    announce_as(doc, id, Announced::Shared)
}

/// Names a document of a kind in a relay index; nothing changes if it is named already.
pub fn announce_as(
    doc: &mut impl Transactable,
    id: DocumentId,
    kind: Announced,
) -> Result<(), StoreError> {
    let map = match doc.get(ROOT, SHARED)? {
        Some((Value::Object(ObjType::Map), map)) => map,
        _ => doc.put_object(ROOT, SHARED, ObjType::Map)?,
    };
    if doc.get(&map, id.to_string())?.is_none() {
        match kind {
            Announced::Shared => doc.put(&map, id.to_string(), true)?,
            Announced::Article => doc.put(&map, id.to_string(), ARTICLE)?,
        }
    }
    Ok(())
}

/// Stops naming a document (an article that became internal to its department).
pub fn withdraw(doc: &mut impl Transactable, id: DocumentId) -> Result<(), StoreError> {
    if let Some((Value::Object(ObjType::Map), map)) = doc.get(ROOT, SHARED)? {
        if doc.get(&map, id.to_string())?.is_some() {
            doc.delete(&map, id.to_string())?;
        }
    }
    Ok(())
}

/// The documents a relay index names, with what each is.
pub fn announced(doc: &impl ReadDoc) -> Vec<(DocumentId, Announced)> {
    let Ok(Some((Value::Object(ObjType::Map), map))) = doc.get(ROOT, SHARED) else {
        return Vec::new();
    };
    doc.map_range(&map, ..)
        .filter_map(|item| {
            let id = item.key.parse().ok()?;
            let kind = match &item.value {
                automerge::ValueRef::Scalar(ScalarValueRef::Str(s)) if *s == ARTICLE => {
                    Announced::Article
                }
                _ => Announced::Shared,
            };
            Some((id, kind))
        })
        .collect()
}

/// Removes one ticket's row, if it is there.
pub fn remove_row(doc: &mut impl Transactable, id: DocumentId) -> Result<(), StoreError> {
    let tickets = obj_at(doc, &ROOT, "tickets")?;
    if doc.get(&tickets, id.to_string())?.is_some() {
        doc.delete(&tickets, id.to_string())?;
    }
    Ok(())
}

/// Every row of any index document (the page reads the relay's indexes with it).
pub fn read_rows(doc: &impl ReadDoc) -> Result<IndexRows, StoreError> {
    check_header(doc, KIND, SCHEMA)?;
    let tickets = obj_at(doc, &ROOT, "tickets")?;
    let mut out = IndexRows::default();
    for item in doc.map_range(&tickets, ..) {
        let parsed = match &item.value {
            ValueRef::Scalar(ScalarValueRef::Str(json)) => {
                serde_json::from_str::<TicketSummary>(json).ok()
            }
            _ => None,
        };
        match parsed {
            Some(row) if row.id.to_string() == item.key => out.rows.push(row),
            _ => out.unreadable.push(item.key.to_string()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Priority, Status, Timestamp};

    fn summary(n: u8, title: &str) -> TicketSummary {
        TicketSummary {
            self_help: Default::default(),
            involvement: Default::default(),
            id: DocumentId::from_bytes([n; 16]),
            title: title.into(),
            status: Status::New,
            priority: Priority::Normal,
            department: "IT".into(),
            requester: "王芳".into(),
            category: "".into(),
            created_at: Timestamp(n.into()),
            updated_at: Timestamp(n.into()),
            comment_count: 0,
            resolved_by: String::new(),
            feedback: Default::default(),
            requester_email: String::new(),
            customer_department: String::new(),
            service: String::new(),
            sla: Vec::new(),
        }
    }

    #[test]
    fn only_rows_written_since_a_point_are_read_again() {
        let mut index = TicketIndex::create().unwrap();
        index.upsert(&summary(1, "VPN")).unwrap();
        index.upsert(&summary(2, "打印机")).unwrap();
        let seen = index.automerge_mut().get_heads();
        index.upsert(&summary(2, "打印机卡纸")).unwrap();
        index.upsert(&summary(3, "报销")).unwrap();
        let doc = index.automerge_mut();
        let titles: Vec<String> = written_since(doc, &seen)
            .unwrap()
            .into_iter()
            .map(|s| s.title)
            .collect();
        assert_eq!(titles, ["打印机卡纸", "报销"]);
        assert_eq!(
            written_since(doc, &[]).unwrap().len(),
            3,
            "from nothing: every row"
        );
    }

    #[test]
    fn rows_round_trip_and_upsert_replaces() {
        let mut index = TicketIndex::create().unwrap();
        index.upsert(&summary(1, "一")).unwrap();
        index.upsert(&summary(2, "two")).unwrap();
        index.upsert(&summary(1, "一 (edited)")).unwrap();
        let loaded =
            TicketIndex::from_automerge(AutoCommit::load(&index.automerge_mut().save()).unwrap())
                .unwrap();
        let mut rows = loaded.rows().unwrap().rows;
        rows.sort_by_key(|r| r.created_at);
        assert_eq!(
            rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(),
            ["一 (edited)", "two"]
        );
        assert_eq!(
            loaded
                .get(DocumentId::from_bytes([2; 16]))
                .unwrap()
                .unwrap()
                .title,
            "two"
        );
    }

    #[test]
    fn who_is_involved_is_stored_only_when_someone_is() {
        let plain = summary(1, "plain");
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("involvement"), "{json}");
        let mut assigned = summary(2, "assigned");
        assigned.involvement.assignee = "sun@x.cn".into();
        assigned
            .involvement
            .seen
            .insert("wang@x.cn".into(), Timestamp(5));
        let json = serde_json::to_string(&assigned).unwrap();
        assert!(
            json.contains(r#""involvement":{"assignee":"sun@x.cn","seen":{"wang@x.cn":5}}"#),
            "{json}"
        );
        for row in [plain, assigned] {
            let back: TicketSummary =
                serde_json::from_str(&serde_json::to_string(&row).unwrap()).unwrap();
            assert_eq!(back, row);
        }
    }

    #[test]
    fn a_damaged_row_is_reported_not_fatal() {
        let mut index = TicketIndex::create().unwrap();
        index.upsert(&summary(1, "ok")).unwrap();
        let tickets = obj_at(&index.doc, &ROOT, "tickets").unwrap();
        index.doc.put(&tickets, "garbage", "{not json").unwrap();
        let rows = index.rows().unwrap();
        assert_eq!(rows.rows.len(), 1);
        assert_eq!(rows.unreadable, vec!["garbage".to_string()]);
    }
}

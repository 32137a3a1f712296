//! The audit trail: for every change the relay accepts, which document, the change hash, the
//! Automerge actor that made it, the signed-in person whose connection delivered it, and when.
//! Kept as JSON lines in `audit.log` in the data folder; a change is recorded once, at first delivery.

use automerge::{Automerge, ChangeHash};
use innerdesk_core::access::PersonId;
use innerdesk_core::domain::DocumentId;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub doc: DocumentId,
    pub change: String,
    pub actor: String,
    pub person: PersonId,
    /// When the relay received it (RFC 3339, UTC).
    pub received_at: String,
    /// The time the author's device put on the change (seconds since 1970; 0 if none).
    pub made_at: i64,
}

pub struct AuditLog {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    file: File,
    seen: HashSet<(DocumentId, automerge::ChangeHash)>,
}

impl AuditLog {
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("audit.log");
        let mut seen = HashSet::new();
        for record in read_records(&path)? {
            if let Ok(hash) = record.change.parse() {
                seen.insert((record.doc, hash));
            }
        }
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        file.write_all(b"\n")?;
        Ok(Self {
            path,
            inner: Mutex::new(Inner { file, seen }),
        })
    }

    /// Records the changes `person`'s connection just brought into `doc` (those after `before`).
    pub fn applied(
        &self,
        id: DocumentId,
        person: &PersonId,
        doc: &Automerge,
        before: &[ChangeHash],
    ) -> std::io::Result<()> {
        let received_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut lines = Vec::new();
        let mut inner = self.inner.lock().unwrap();
        for change in doc.get_changes(before) {
            if !inner.seen.insert((id, change.hash())) {
                continue;
            }
            let record = AuditRecord {
                doc: id,
                change: change.hash().to_string(),
                actor: change.actor_id().to_hex_string(),
                person: person.clone(),
                received_at: received_at.clone(),
                made_at: change.timestamp(),
            };
            serde_json::to_writer(&mut lines, &record)?;
            lines.push(b'\n');
        }
        // One write per message: once it returns, a SIGKILL cannot lose it.
        inner.file.write_all(&lines)
    }

    /// Every record of these documents (a ticket and its parts), oldest first.
    pub fn of_documents(&self, docs: &[DocumentId]) -> std::io::Result<Vec<AuditRecord>> {
        let _writes_finished = self.inner.lock().unwrap();
        list(&self.path, docs)
    }
}

/// Reads the trail of a document, and of its parts if it is a ticket, from a data folder (what
/// the `audit` subcommand prints).
pub fn list_in(data_dir: &Path, doc: DocumentId) -> std::io::Result<Vec<AuditRecord>> {
    let family = crate::registry::family_of(doc, &crate::registry::replay(data_dir)?);
    list(&data_dir.join("audit.log"), &family)
}

fn list(path: &Path, docs: &[DocumentId]) -> std::io::Result<Vec<AuditRecord>> {
    Ok(read_records(path)?
        .into_iter()
        .filter(|r| docs.contains(&r.doc))
        .collect())
}

fn read_records(path: &Path) -> std::io::Result<Vec<AuditRecord>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut records = Vec::new();
    for line in BufReader::new(file).lines() {
        // Blank lines separate runs; a torn last line from a crash is passed over.
        if let Ok(record) = serde_json::from_str(&line?) {
            records.push(record);
        }
    }
    Ok(records)
}

/// CSV with a header row; fields quoted where needed.
pub fn to_csv(records: &[AuditRecord]) -> String {
    let mut out = String::from("document,change,actor,person,received_at,made_at\n");
    for r in records {
        let fields = [
            r.doc.to_string(),
            r.change.clone(),
            r.actor.clone(),
            r.person.0.clone(),
            r.received_at.clone(),
            r.made_at.to_string(),
        ];
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&quoted.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::ROOT;

    #[test]
    fn each_applied_change_is_recorded_once_with_its_deliverer() {
        let dir = crate::empty_test_dir("audit");
        let id = DocumentId::from_bytes([4; 16]);
        let mut doc = Automerge::new();
        doc.transact(|tx| tx.put(ROOT, "title", "VPN")).unwrap();
        doc.transact(|tx| tx.put(ROOT, "status", "in_progress"))
            .unwrap();

        let log = AuditLog::open(&dir).unwrap();
        let li = PersonId("li".into());
        log.applied(id, &li, &doc, &[]).unwrap();
        log.applied(id, &li, &doc, &[]).unwrap();
        let records = log.of_documents(&[id]).unwrap();
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.person == li));
        assert!(to_csv(&records).starts_with("document,change,actor,person"));
        drop(log);
        let reopened = AuditLog::open(&dir).unwrap();
        reopened.applied(id, &li, &doc, &[]).unwrap();
        assert_eq!(
            reopened.of_documents(&[id]).unwrap().len(),
            2,
            "no duplicates after restart"
        );
    }
}

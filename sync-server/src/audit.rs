//! The audit trail: for every change the relay accepts, which document, the change hash, the
//! Automerge actor that made it, the signed-in person whose connection delivered it, and when.
//! Kept as JSON lines in `audit.log` in the data folder; a change is recorded once, at first delivery.

use automerge::sync;
use automerge::{Automerge, Change};
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

    /// Records the changes carried by one sync message that `person` delivered for `doc`.
    pub fn delivered(
        &self,
        doc: DocumentId,
        person: &PersonId,
        sync_data: &[u8],
    ) -> std::io::Result<()> {
        let Ok(message) = sync::Message::decode(sync_data) else {
            return Ok(());
        };
        let changes = changes_in(message);
        if changes.is_empty() {
            return Ok(());
        }
        let received_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut inner = self.inner.lock().unwrap();
        let mut lines = Vec::new();
        for change in changes {
            if !inner.seen.insert((doc, change.hash())) {
                continue;
            }
            let record = AuditRecord {
                doc,
                change: change.hash().to_string(),
                actor: change.actor_id().to_hex_string(),
                person: person.clone(),
                received_at: received_at.clone(),
                made_at: change.timestamp(),
            };
            serde_json::to_writer(&mut lines, &record)?;
            lines.push(b'\n');
        }
        inner.file.write_all(&lines)
    }

    /// Every record of one document, oldest first.
    pub fn of_document(&self, doc: DocumentId) -> std::io::Result<Vec<AuditRecord>> {
        let _writes_finished = self.inner.lock().unwrap();
        list(&self.path, doc)
    }
}

/// Reads the trail of one document from a data folder (what the `audit` subcommand prints).
pub fn list_in(data_dir: &Path, doc: DocumentId) -> std::io::Result<Vec<AuditRecord>> {
    list(&data_dir.join("audit.log"), doc)
}

fn list(path: &Path, doc: DocumentId) -> std::io::Result<Vec<AuditRecord>> {
    Ok(read_records(path)?
        .into_iter()
        .filter(|r| r.doc == doc)
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

/// The changes in a sync message: change chunks one by one, or a whole saved document (which
/// automerge sends to a peer that has nothing yet).
fn changes_in(message: sync::Message) -> Vec<Change> {
    let mut changes = Vec::new();
    for chunk in message.changes.iter() {
        match Change::from_bytes(chunk.to_vec()) {
            Ok(change) => changes.push(change),
            Err(_) => {
                if let Ok(doc) = Automerge::load(chunk) {
                    changes.extend(doc.get_changes(&[]));
                }
            }
        }
    }
    changes
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
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    #[test]
    fn each_delivered_change_is_recorded_once_with_its_deliverer() {
        let dir = std::env::temp_dir().join(format!("innerdesk-audit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let doc_id = DocumentId::from_bytes([4; 16]);
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "title", "VPN").unwrap();
        doc.commit();
        doc.put(ROOT, "status", "in_progress").unwrap();
        doc.commit();
        let mut state = sync::State::new();
        let mut peer = sync::State::new();
        // Let the peer say it has nothing, so the next message carries every change.
        let hello = AutoCommit::new()
            .sync()
            .generate_sync_message(&mut peer)
            .unwrap();
        doc.sync().receive_sync_message(&mut state, hello).unwrap();
        let message = doc
            .sync()
            .generate_sync_message(&mut state)
            .unwrap()
            .encode();

        let log = AuditLog::open(&dir).unwrap();
        let li = PersonId("li".into());
        log.delivered(doc_id, &li, &message).unwrap();
        log.delivered(doc_id, &li, &message).unwrap();
        let records = log.of_document(doc_id).unwrap();
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.person == li));
        assert!(to_csv(&records).starts_with("document,change,actor,person"));
        drop(log);
        let reopened = AuditLog::open(&dir).unwrap();
        reopened.delivered(doc_id, &li, &message).unwrap();
        assert_eq!(
            reopened.of_document(doc_id).unwrap().len(),
            2,
            "no duplicates after restart"
        );
    }
}

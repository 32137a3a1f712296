//! The audit trail: for every change the relay accepts, which document, the change hash, the
//! Automerge actor that made it, the signed-in person whose connection delivered it, and when.
//! Kept as JSON lines in `audit.log` in the data folder; a change is recorded once, at first delivery.
//!
//! The lines form a hash chain: each carries the SHA-256 of the line before it, so editing,
//! inserting or deleting a line breaks the chain at that point and `sync-server audit verify`
//! says where. A line torn by a crash is passed over: the next run chains from the last whole
//! line. Cutting lines off the end leaves no gap, so verify prints the last hash for an operator
//! to keep elsewhere (the relay also logs it at start).

use crate::quota::Usage;
use automerge::{Change, ChangeHash};
use innerdesk_core::access::PersonId;
use innerdesk_core::domain::DocumentId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
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
    /// The change's size in bytes, as delivered.
    #[serde(default)]
    pub bytes: u64,
    /// The SHA-256 (hex) of the line before this one; absent on lines written before the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

pub struct AuditLog {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    file: File,
    /// Every change recorded, and who delivered it (an index into `deliverers`, so the map
    /// stays small): what the relay derives from who did something, never from content.
    seen: HashMap<(DocumentId, automerge::ChangeHash), u32>,
    deliverers: Deliverers,
    /// The hash of the last whole line: what the next line chains to.
    head: String,
    /// The file may end inside a line (torn by a crash or a failed write): the next write
    /// starts a new line first.
    mid_line: bool,
    stored: Stored,
}

/// The people who delivered changes, each numbered once.
#[derive(Default)]
struct Deliverers {
    people: Vec<PersonId>,
    numbers: HashMap<PersonId, u32>,
}

impl Deliverers {
    fn number(&mut self, person: &PersonId) -> u32 {
        if let Some(n) = self.numbers.get(person) {
            return *n;
        }
        let n = u32::try_from(self.people.len()).expect("fewer than 4 billion people");
        self.people.push(person.clone());
        self.numbers.insert(person.clone(), n);
        n
    }
}

/// What each person and each document holds, counted from the records: what quotas check.
#[derive(Default)]
struct Stored {
    by_person: HashMap<PersonId, Usage>,
    /// Bytes of changes per document; a document is here once anyone delivered to it.
    by_document: HashMap<DocumentId, u64>,
}

impl Stored {
    fn count(&mut self, doc: DocumentId, person: &PersonId, bytes: u64) {
        let usage = self.by_person.entry(person.clone()).or_default();
        let document = self.by_document.entry(doc).or_insert_with(|| {
            usage.documents += 1;
            0
        });
        *document += bytes;
        usage.bytes += bytes;
    }
}

impl AuditLog {
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("audit.log");
        let mut seen = HashMap::new();
        let mut deliverers = Deliverers::default();
        let mut head = String::new();
        let mut stored = Stored::default();
        each_line(&path, |line| {
            if let Line::Record(record, hash) = line {
                if let Ok(change) = record.change.parse() {
                    seen.insert((record.doc, change), deliverers.number(&record.person));
                }
                stored.count(record.doc, &record.person, record.bytes);
                head = hash;
            }
        })?;
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let inner = Inner {
            file,
            seen,
            deliverers,
            head,
            mid_line: true,
            stored,
        };
        Ok(Self {
            path,
            inner: Mutex::new(inner),
        })
    }

    /// The hash of the newest line (empty while the log is empty).
    pub fn head(&self) -> String {
        self.inner.lock().unwrap().head.clone()
    }

    /// What `person` has stored, and what `doc` holds (`None` if nobody delivered to it yet).
    pub fn stored(&self, person: &PersonId, doc: DocumentId) -> (Usage, Option<u64>) {
        let inner = self.inner.lock().unwrap();
        let stored = &inner.stored;
        let usage = stored.by_person.get(person).copied().unwrap_or_default();
        (usage, stored.by_document.get(&doc).copied())
    }

    /// Records the changes `person`'s connection just brought into document `id`.
    pub fn applied(
        &self,
        id: DocumentId,
        person: &PersonId,
        changes: &[Change],
    ) -> std::io::Result<()> {
        let received_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut inner = self.inner.lock().unwrap();
        let mut lines = if inner.mid_line {
            vec![b'\n']
        } else {
            Vec::new()
        };
        let mut head = inner.head.clone();
        let mut fresh: Vec<(ChangeHash, u64)> = Vec::new();
        for change in changes {
            let hash = change.hash();
            if inner.seen.contains_key(&(id, hash)) || fresh.iter().any(|(h, _)| *h == hash) {
                continue;
            }
            let bytes = change.raw_bytes().len() as u64;
            fresh.push((hash, bytes));
            let record = AuditRecord {
                doc: id,
                change: hash.to_string(),
                actor: change.actor_id().to_hex_string(),
                person: person.clone(),
                received_at: received_at.clone(),
                made_at: change.timestamp(),
                bytes,
                prev: Some(head),
            };
            let line = serde_json::to_vec(&record)?;
            head = line_hash(&line);
            lines.extend_from_slice(&line);
            lines.push(b'\n');
        }
        // One write per message: once it returns, a SIGKILL cannot lose it. Only a write that
        // succeeded moves the chain on and counts its changes as recorded.
        if let Err(e) = inner.file.write_all(&lines) {
            inner.mid_line = true;
            return Err(e);
        }
        inner.mid_line = false;
        inner.head = head;
        let number = inner.deliverers.number(person);
        for (hash, bytes) in fresh {
            inner.seen.insert((id, hash), number);
            inner.stored.count(id, person, bytes);
        }
        Ok(())
    }

    /// Who delivered a change of a document, if anyone did (the relay's own are not recorded).
    pub fn deliverer(&self, doc: DocumentId, change: &automerge::ChangeHash) -> Option<PersonId> {
        let inner = self.inner.lock().unwrap();
        let number = *inner.seen.get(&(doc, *change))?;
        inner.deliverers.people.get(number as usize).cloned()
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
    let mut records = Vec::new();
    each_line(path, |line| match line {
        Line::Record(record, _) if docs.contains(&record.doc) => records.push(record),
        _ => {}
    })?;
    Ok(records)
}

enum Line {
    /// A whole record and the hash of its line.
    Record(AuditRecord, String),
    /// Between runs: each start of the relay begins with one.
    Blank,
    /// Not a record: a line a crash cut short (or an edit).
    Torn,
}

/// Hands each line of the log to `f`, oldest first, without holding the log in memory.
fn each_line(path: &Path, mut f: impl FnMut(Line)) -> std::io::Result<()> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for line in BufReader::new(file).split(b'\n') {
        let line = line?;
        f(if line.is_empty() {
            Line::Blank
        } else {
            match serde_json::from_slice(&line) {
                Ok(record) => Line::Record(record, line_hash(&line)),
                Err(_) => Line::Torn,
            }
        });
    }
    Ok(())
}

fn line_hash(line: &[u8]) -> String {
    crate::people::hex(&Sha256::digest(line))
}

/// What `audit verify` found in a whole log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verified {
    pub records: usize,
    /// Records from before the chain began (written by an older relay).
    pub unchained: usize,
    /// Lines passed over as torn by a crash.
    pub torn: usize,
    /// The hash of the newest record: keep it elsewhere to detect lines cut off the end.
    pub head: String,
}

/// Where the chain breaks: the line (counted from 1) and why.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the audit log {why}")]
pub struct Broken {
    pub line: usize,
    pub why: &'static str,
}

/// Checks every line of the audit log in `data_dir` against the one before it.
pub fn verify_in(data_dir: &Path) -> std::io::Result<Result<Verified, Broken>> {
    let mut chain = Chain::default();
    each_line(&data_dir.join("audit.log"), |line| chain.follow(line))?;
    Ok(match chain.broken {
        Some(broken) => Err(broken),
        None => Ok(chain.found),
    })
}

/// The chain as far as it has been followed.
#[derive(Default)]
struct Chain {
    found: Verified,
    lines: usize,
    chained: bool,
    broken: Option<Broken>,
}

impl Chain {
    fn follow(&mut self, line: Line) {
        self.lines += 1;
        if self.broken.is_some() {
            return;
        }
        let (record, hash) = match line {
            Line::Blank => return,
            Line::Torn => {
                self.found.torn += 1;
                return;
            }
            Line::Record(record, hash) => (record, hash),
        };
        let why = match record.prev {
            None if self.chained => Some("has no link to the line before it"),
            None => {
                self.found.unchained += 1;
                None
            }
            Some(prev) if prev != self.found.head => {
                Some("does not follow the line before it: a line was edited, inserted or removed")
            }
            Some(_) => {
                self.chained = true;
                None
            }
        };
        if let Some(why) = why {
            self.broken = Some(Broken {
                line: self.lines,
                why,
            });
        }
        self.found.records += 1;
        self.found.head = hash;
    }
}

/// CSV with a header row, cells quoted and neutralised where needed.
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
        out.push_str(&innerdesk_core::csv::row(&fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::Automerge;
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
        log.applied(id, &li, &doc.get_changes(&[])).unwrap();
        log.applied(id, &li, &doc.get_changes(&[])).unwrap();
        let records = log.of_documents(&[id]).unwrap();
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.person == li));
        assert!(to_csv(&records).starts_with("document,change,actor,person"));
        drop(log);
        let reopened = AuditLog::open(&dir).unwrap();
        reopened.applied(id, &li, &doc.get_changes(&[])).unwrap();
        assert_eq!(
            reopened.of_documents(&[id]).unwrap().len(),
            2,
            "no duplicates after restart"
        );
        assert_eq!(verify_in(&dir).unwrap().unwrap().records, 2);
    }

    /// A log of three chained records, as the relay writes it.
    fn chained_log(dir: &Path) -> Vec<String> {
        let id = DocumentId::from_bytes([5; 16]);
        let mut doc = Automerge::new();
        let log = AuditLog::open(dir).unwrap();
        for title in ["VPN", "VPN down", "VPN down in Chengdu"] {
            let before = doc.get_heads();
            doc.transact(|tx| tx.put(ROOT, "title", title)).unwrap();
            log.applied(id, &PersonId("li".into()), &doc.get_changes(&before))
                .unwrap();
        }
        let text = std::fs::read_to_string(dir.join("audit.log")).unwrap();
        text.lines().map(str::to_string).collect()
    }

    fn rewrite(dir: &Path, lines: &[String]) -> Result<Verified, Broken> {
        std::fs::write(dir.join("audit.log"), lines.join("\n") + "\n").unwrap();
        verify_in(dir).unwrap()
    }

    #[test]
    fn the_chain_finds_an_edited_a_removed_and_an_inserted_line() {
        let dir = crate::empty_test_dir("audit-chain");
        let lines = chained_log(&dir);
        let intact = rewrite(&dir, &lines).unwrap();
        assert_eq!((intact.records, intact.unchained, intact.torn), (3, 0, 0));
        assert_eq!(intact.head, AuditLog::open(&dir).unwrap().head());

        // lines[0] is the blank line each start writes.
        let mut edited = lines.clone();
        edited[2] = edited[2].replace("\"li\"", "\"wang\"");
        assert_eq!(rewrite(&dir, &edited).unwrap_err().line, 4);

        let mut removed = lines.clone();
        removed.remove(2);
        assert_eq!(rewrite(&dir, &removed).unwrap_err().line, 3);

        let mut inserted = lines.clone();
        inserted.insert(2, lines[1].clone());
        assert_eq!(rewrite(&dir, &inserted).unwrap_err().line, 3);

        let mut unlinked = lines.clone();
        let record: serde_json::Value = serde_json::from_str(&lines[3]).unwrap();
        let mut record = record.as_object().unwrap().clone();
        record.remove("prev");
        unlinked[3] = serde_json::to_string(&record).unwrap();
        assert_eq!(rewrite(&dir, &unlinked).unwrap_err().line, 4);
    }

    #[test]
    fn a_line_torn_by_a_crash_is_passed_over_and_the_chain_goes_on() {
        let dir = crate::empty_test_dir("audit-torn");
        let lines = chained_log(&dir);
        let torn = &lines[3][..lines[3].len() / 2];
        std::fs::write(
            dir.join("audit.log"),
            format!("{}\n{}\n{}\n{torn}", lines[0], lines[1], lines[2]),
        )
        .unwrap();
        let id = DocumentId::from_bytes([6; 16]);
        let mut doc = Automerge::new();
        doc.transact(|tx| tx.put(ROOT, "title", "printer")).unwrap();
        let log = AuditLog::open(&dir).unwrap();
        log.applied(id, &PersonId("wang".into()), &doc.get_changes(&[]))
            .unwrap();
        let found = verify_in(&dir).unwrap().unwrap();
        assert_eq!((found.records, found.torn), (3, 1));
        assert_eq!(found.head, log.head());
    }

    #[test]
    fn lines_from_before_the_chain_are_counted_and_the_chain_starts_after_them() {
        let dir = crate::empty_test_dir("audit-legacy");
        let lines = chained_log(&dir);
        let mut legacy: serde_json::Map<_, _> = serde_json::from_str(&lines[1]).unwrap();
        legacy.remove("prev");
        legacy.remove("bytes");
        std::fs::write(
            dir.join("audit.log"),
            serde_json::to_string(&legacy).unwrap() + "\n",
        )
        .unwrap();
        let id = DocumentId::from_bytes([7; 16]);
        let mut doc = Automerge::new();
        doc.transact(|tx| tx.put(ROOT, "title", "badge")).unwrap();
        AuditLog::open(&dir)
            .unwrap()
            .applied(id, &PersonId("wang".into()), &doc.get_changes(&[]))
            .unwrap();
        let found = verify_in(&dir).unwrap().unwrap();
        assert_eq!((found.records, found.unchained), (2, 1));
    }
}

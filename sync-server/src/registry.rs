//! What the relay knows about each document for access decisions, kept in memory and in an
//! append-only log (`access.log`, one JSON line per change of facts) in the data folder.
//!
//! A document's first deliverer is written to the log before the relay stores a byte of it, so a
//! crash can never leave a stored document that nobody owns (and anybody could read).

use innerdesk_core::access::{DocFacts, PersonId};
use innerdesk_core::domain::DocumentId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::{Mutex, RwLock};

#[derive(Serialize, Deserialize)]
struct Entry {
    doc: DocumentId,
    facts: DocFacts,
}

pub struct Registry {
    facts: RwLock<HashMap<DocumentId, DocFacts>>,
    log: Mutex<File>,
}

/// The facts the log in `data_dir` holds now (for the admin commands, which only read it).
pub fn replay(data_dir: &Path) -> std::io::Result<HashMap<DocumentId, DocFacts>> {
    let mut facts = HashMap::new();
    if let Ok(file) = File::open(data_dir.join("access.log")) {
        for line in BufReader::new(file).lines() {
            match serde_json::from_str::<Entry>(&line?) {
                Ok(entry) => {
                    facts.insert(entry.doc, entry.facts);
                }
                Err(e) => tracing::warn!(error = %e, "skipped a damaged line of access.log"),
            }
        }
    }
    Ok(facts)
}

/// A document and, for a ticket, every part of it the facts name: what its audit trail covers.
pub fn family_of(doc: DocumentId, facts: &HashMap<DocumentId, DocFacts>) -> Vec<DocumentId> {
    let mut family = vec![doc];
    let mut parts: Vec<DocumentId> = facts
        .iter()
        .filter(|(_, f)| matches!(f, DocFacts::TicketPart { ticket, .. } if *ticket == doc))
        .map(|(id, _)| *id)
        .collect();
    parts.sort();
    family.extend(parts);
    family
}

impl Registry {
    /// Replays the log; a damaged last line (a crash mid-write) is skipped.
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("access.log");
        let facts = replay(data_dir)?;
        let mut log = OpenOptions::new().create(true).append(true).open(&path)?;
        // A line cut short by a crash must not glue itself to the next one.
        log.write_all(b"\n")?;
        Ok(Self {
            facts: RwLock::new(facts),
            log: Mutex::new(log),
        })
    }

    pub fn facts(&self, doc: DocumentId) -> Option<DocFacts> {
        self.facts.read().unwrap().get(&doc).cloned()
    }

    /// A document and the parts of it, if it is a ticket.
    pub fn family(&self, doc: DocumentId) -> Vec<DocumentId> {
        family_of(doc, &self.facts.read().unwrap())
    }

    pub fn len(&self) -> usize {
        self.facts.read().unwrap().len()
    }

    /// Documents delivered but not yet classified (a crash can come between the two).
    pub fn unclassified(&self) -> Vec<DocumentId> {
        self.matching(|f| matches!(f, DocFacts::Unclassified { .. }))
    }

    /// Whether a document was delivered but is not classified yet (who may read it is still open).
    pub fn is_pending(&self, doc: DocumentId) -> bool {
        matches!(self.facts(doc), Some(DocFacts::Unclassified { .. }))
    }

    /// The organisation-wide documents (directory, catalog, policies…, the staff workbench and
    /// the suggestion board); who reads each is for the access decision.
    pub fn organisation(&self) -> Vec<DocumentId> {
        self.matching(|f| {
            matches!(
                f,
                DocFacts::Organisation | DocFacts::Staff | DocFacts::Board
            )
        })
    }

    /// The documents whose facts `pick` takes something from, with what it took.
    pub fn matching_facts<T>(&self, pick: impl Fn(&DocFacts) -> Option<T>) -> Vec<(DocumentId, T)> {
        let facts = self.facts.read().unwrap();
        let mut found: Vec<(DocumentId, T)> = facts
            .iter()
            .filter_map(|(id, f)| Some((*id, pick(f)?)))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found
    }

    /// Every ticket with the queue it names.
    pub fn ticket_queues(&self) -> Vec<(DocumentId, String)> {
        let facts = self.facts.read().unwrap();
        facts
            .iter()
            .filter_map(|(id, f)| match f {
                DocFacts::Ticket { queue, .. } => Some((*id, queue.clone())),
                _ => None,
            })
            .collect()
    }

    fn matching(&self, wanted: impl Fn(&DocFacts) -> bool) -> Vec<DocumentId> {
        let facts = self.facts.read().unwrap();
        let mut ids: Vec<DocumentId> = facts
            .iter()
            .filter(|(_, f)| wanted(f))
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids
    }

    /// Records that `person` delivered `doc` first, unless the relay already knows it.
    pub fn first_delivery(&self, doc: DocumentId, person: &PersonId) -> std::io::Result<()> {
        if self.facts.read().unwrap().contains_key(&doc) {
            return Ok(());
        }
        let mut facts = self.facts.write().unwrap();
        if facts.contains_key(&doc) {
            return Ok(());
        }
        let entry = DocFacts::Unclassified {
            creator: person.clone(),
        };
        self.append(doc, &entry)?;
        facts.insert(doc, entry);
        Ok(())
    }

    /// Replaces a document's facts; returns the previous ones when they changed.
    pub fn record(
        &self,
        doc: DocumentId,
        new: DocFacts,
    ) -> std::io::Result<Option<Option<DocFacts>>> {
        let mut facts = self.facts.write().unwrap();
        if facts.get(&doc) == Some(&new) {
            return Ok(None);
        }
        self.append(doc, &new)?;
        Ok(Some(facts.insert(doc, new)))
    }

    fn append(&self, doc: DocumentId, facts: &DocFacts) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(&Entry {
            doc,
            facts: facts.clone(),
        })?;
        line.push(b'\n');
        // One write per line, unbuffered: once it returns, a SIGKILL cannot lose it.
        self.log.lock().unwrap().write_all(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_survive_a_restart_and_a_torn_last_line() {
        let dir = crate::empty_test_dir("registry");
        let doc = DocumentId::from_bytes([1; 16]);
        let wang = PersonId("wang".into());
        {
            let registry = Registry::open(&dir).unwrap();
            registry.first_delivery(doc, &wang).unwrap();
            registry
                .first_delivery(doc, &PersonId("late".into()))
                .unwrap();
        }
        let mut log = OpenOptions::new()
            .append(true)
            .open(dir.join("access.log"))
            .unwrap();
        log.write_all(b"{\"doc\":\"torn").unwrap();
        let registry = Registry::open(&dir).unwrap();
        assert_eq!(
            registry.facts(doc),
            Some(DocFacts::Unclassified { creator: wang })
        );
        assert_eq!(registry.len(), 1);
    }
}

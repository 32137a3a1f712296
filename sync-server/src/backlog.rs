//! The documents whose indexing is still owed, journalled so a SIGKILL cannot lose it.
//!
//! The hub stores a change and the index keeper updates the indexes later, on its own task. A
//! crash in between used to leave a stored ticket missing from its queue's index (or listed with
//! an old title) until its next change. Now the hub writes `+id` to `backlog.log` before it stores
//! the change, the keeper writes `-id` once the indexes are current, and a restart takes up every
//! document still owed.

use innerdesk_core::domain::DocumentId;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;
use tokio::sync::mpsc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Changed; the keeper has not taken it up yet.
    Owed,
    /// The keeper is indexing it; a change arriving now makes it owed again.
    Indexing,
}

pub struct Backlog {
    journal: Mutex<Journal>,
    wake: mpsc::UnboundedSender<DocumentId>,
}

struct Journal {
    file: File,
    states: HashMap<DocumentId, State>,
}

impl Backlog {
    /// Reads what a previous run still owed, rewrites the journal to just that, and hands those
    /// documents to the keeper (through the returned receiver) first.
    pub fn open(data_dir: &Path) -> std::io::Result<(Self, mpsc::UnboundedReceiver<DocumentId>)> {
        let path = data_dir.join("backlog.log");
        let owed = replay(&path)?;
        let mut compact = Vec::new();
        for doc in &owed {
            compact.extend_from_slice(format!("+{doc}\n").as_bytes());
        }
        let temporary = data_dir.join(".backlog.log.tmp");
        std::fs::write(&temporary, &compact)?;
        std::fs::rename(&temporary, &path)?;
        let file = OpenOptions::new().append(true).open(&path)?;
        let (wake, woken) = mpsc::unbounded_channel();
        for doc in &owed {
            let _ = wake.send(*doc);
        }
        let states = owed.into_iter().map(|doc| (doc, State::Owed)).collect();
        let backlog = Self {
            journal: Mutex::new(Journal { file, states }),
            wake,
        };
        Ok((backlog, woken))
    }

    /// A document is about to change: its indexing is owed from now on.
    pub fn owe(&self, doc: DocumentId) -> std::io::Result<()> {
        let mut journal = self.journal.lock().unwrap();
        match journal.states.insert(doc, State::Owed) {
            // Its `+` line is on disk and not yet settled.
            Some(_) => {}
            None => journal.write(&format!("+{doc}\n"))?,
        }
        let _ = self.wake.send(doc);
        Ok(())
    }

    /// Asks the keeper to take a document up without a change of its own (recovery at start).
    pub fn nudge(&self, doc: DocumentId) {
        let _ = self.wake.send(doc);
    }

    /// The keeper takes a document up.
    pub fn indexing(&self, doc: DocumentId) {
        let mut journal = self.journal.lock().unwrap();
        if let Some(state) = journal.states.get_mut(&doc) {
            *state = State::Indexing;
        }
    }

    /// The keeper has brought the indexes up to date with what it read; unless the document
    /// changed meanwhile, nothing is owed for it any more.
    pub fn settled(&self, doc: DocumentId) -> std::io::Result<()> {
        let mut journal = self.journal.lock().unwrap();
        if journal.states.get(&doc) == Some(&State::Indexing) {
            journal.states.remove(&doc);
            journal.write(&format!("-{doc}\n"))?;
        }
        Ok(())
    }
}

impl Journal {
    /// One unbuffered write per line: once it returns, a SIGKILL cannot lose it.
    fn write(&mut self, line: &str) -> std::io::Result<()> {
        self.file.write_all(line.as_bytes())
    }
}

/// The documents with a `+` line and no later `-` line; damaged lines are skipped.
fn replay(path: &Path) -> std::io::Result<Vec<DocumentId>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut owed = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        let (sign, id) = line.split_at(line.len().min(1));
        let Ok(doc) = id.parse::<DocumentId>() else {
            tracing::warn!(line, "skipped a damaged line of backlog.log");
            continue;
        };
        match sign {
            "+" if !owed.contains(&doc) => owed.push(doc),
            "-" => owed.retain(|d| *d != doc),
            _ => {}
        }
    }
    Ok(owed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: u8) -> DocumentId {
        DocumentId::from_bytes([n; 16])
    }

    #[test]
    fn what_is_owed_survives_a_restart_and_what_is_settled_does_not() {
        let dir = crate::empty_test_dir("backlog");
        {
            let (backlog, _) = Backlog::open(&dir).unwrap();
            backlog.owe(doc(1)).unwrap();
            backlog.owe(doc(2)).unwrap();
            backlog.indexing(doc(1));
            backlog.settled(doc(1)).unwrap();
            // Changed again while being indexed: still owed after the keeper finishes.
            backlog.owe(doc(3)).unwrap();
            backlog.indexing(doc(3));
            backlog.owe(doc(3)).unwrap();
            backlog.settled(doc(3)).unwrap();
        }
        let (_backlog, mut woken) = Backlog::open(&dir).unwrap();
        let mut owed = Vec::new();
        while let Ok(d) = woken.try_recv() {
            owed.push(d);
        }
        assert_eq!(owed, vec![doc(2), doc(3)]);
        // The journal was rewritten to just what is owed.
        let text = std::fs::read_to_string(dir.join("backlog.log")).unwrap();
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let dir = crate::empty_test_dir("backlog-torn");
        {
            let (backlog, _) = Backlog::open(&dir).unwrap();
            backlog.owe(doc(1)).unwrap();
        }
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.join("backlog.log"))
            .unwrap();
        file.write_all(b"-abc").unwrap();
        let (_, mut woken) = Backlog::open(&dir).unwrap();
        assert_eq!(woken.try_recv().unwrap(), doc(1));
        assert!(woken.try_recv().is_err());
    }
}

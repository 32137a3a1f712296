//! `sync-server backup <folder>`: a consistent copy of the data folder, taken while the relay
//! serves it. The copy is itself a data folder: restoring is starting a relay on it.
//!
//! Consistent, without stopping the relay, because of how the relay writes: document chunks and
//! `people.json` / `feeds.json` are renamed into place whole, and the logs only ever grow by whole
//! lines. So each document is read chunk by chunk (again, if a compaction removed a chunk under
//! us), checked by loading it, and written as one snapshot; the logs are copied up to their last
//! whole line, *after* the documents, so every document copied has its access facts. The copy
//! owes the indexing of every document, so a relay restored from it rebuilds every index from the
//! documents it actually has. A copy is made under a temporary name and renamed when complete.

use crate::docstore::DocStore;
use innerdesk_core::domain::DocumentId;
use std::io;
use std::path::Path;

/// Files copied whole (each is replaced by a rename, never written in place).
const WHOLE_FILES: [&str; 2] = ["people.json", "feeds.json"];
/// Logs that only grow by whole lines; copied up to the last one.
const LOGS: [&str; 2] = ["access.log", "audit.log"];

/// What a backup holds.
pub struct Summary {
    pub documents: usize,
    pub bytes: usize,
}

pub fn backup(data_dir: &Path, to: &Path) -> io::Result<Summary> {
    if to.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists; a backup never overwrites", to.display()),
        ));
    }
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial)?;
    let summary = copy_into(data_dir, &partial)?;
    std::fs::rename(&partial, to)?;
    Ok(summary)
}

fn copy_into(data_dir: &Path, to: &Path) -> io::Result<Summary> {
    let live = DocStore::open(&data_dir.join("documents"))?;
    let copy = DocStore::open(&to.join("documents"))?;
    let mut summary = Summary {
        documents: 0,
        bytes: 0,
    };
    let mut owed = String::new();
    for id in live.ids()? {
        let Some(doc) = load_while_serving(&live, id)? else {
            continue;
        };
        summary.bytes += copy.write_snapshot(id, &doc)?;
        summary.documents += 1;
        owed.push_str(&format!("+{id}\n"));
    }
    std::fs::write(to.join("backlog.log"), owed)?;
    for name in LOGS {
        if let Some(bytes) = read_if_there(&data_dir.join(name))? {
            let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            std::fs::write(to.join(name), &bytes[..whole])?;
        }
    }
    for name in WHOLE_FILES {
        if let Some(bytes) = read_if_there(&data_dir.join(name))? {
            std::fs::write(to.join(name), bytes)?;
        }
    }
    Ok(summary)
}

/// A file's bytes; `None` if a relay that never needed it has not made it.
fn read_if_there(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A document as stored, read again if the relay compacted it while it was being read.
fn load_while_serving(
    store: &DocStore,
    id: DocumentId,
) -> io::Result<Option<automerge::Automerge>> {
    let mut tries = 0;
    loop {
        match store.load(id) {
            Ok(stored) => return Ok(stored.map(|s| s.doc)),
            Err(e) if e.kind() == io::ErrorKind::NotFound && tries < 10 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_being_written_is_left_out_and_nothing_is_overwritten() {
        let data = crate::empty_test_dir("backup-data");
        std::fs::write(data.join("audit.log"), "whole line\nhalf a li").unwrap();
        std::fs::write(data.join("people.json"), "{}").unwrap();
        let to = crate::empty_test_dir("backup-to").join("copy");
        let summary = backup(&data, &to).unwrap();
        assert_eq!(summary.documents, 0);
        let copied = std::fs::read_to_string(to.join("audit.log")).unwrap();
        assert_eq!(copied, "whole line\n");
        assert_eq!(
            std::fs::read_to_string(to.join("people.json")).unwrap(),
            "{}"
        );
        let again = backup(&data, &to).err().expect("refused");
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
    }
}

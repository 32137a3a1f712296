//! Document bytes on local disk, in automerge-repo's layout: one folder per document holding
//! `snapshot-<n>` and `incremental-<n>` chunks. Every chunk is written to a temporary file and
//! renamed into place, so a crash (even SIGKILL) leaves either the whole chunk or none of it.

use automerge::{Automerge, ChangeHash};
use innerdesk_core::domain::DocumentId;
use std::io;
use std::path::{Path, PathBuf};

/// When a document's increments outnumber this, they are folded into one snapshot.
const INCREMENTS_BEFORE_COMPACTION: usize = 64;

#[derive(Debug, Clone)]
pub struct DocStore {
    root: PathBuf,
}

/// A document as loaded, with what is needed to extend it on disk.
pub struct Stored {
    pub doc: Automerge,
    pub increments: usize,
}

impl DocStore {
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn folder(&self, id: DocumentId) -> PathBuf {
        let text = id.to_string();
        // Splayed by the first two characters, so no folder holds millions of entries.
        self.root.join(&text[..2]).join(&text[2..])
    }

    /// Loads a document; `None` if the relay has never stored it.
    pub fn load(&self, id: DocumentId) -> io::Result<Option<Stored>> {
        let folder = self.folder(id);
        let mut names: Vec<(bool, PathBuf)> = match std::fs::read_dir(&folder) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_string();
                    if name.starts_with("snapshot-") {
                        Some((true, p))
                    } else if name.starts_with("incremental-") {
                        Some((false, p))
                    } else {
                        None // temporary files of an interrupted write
                    }
                })
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if names.is_empty() {
            return Ok(None);
        }
        // Snapshots first: increments apply on top of them.
        names.sort_by_key(|(snapshot, _)| !snapshot);
        let mut doc = Automerge::new();
        let mut increments = 0;
        for (snapshot, path) in names {
            let bytes = std::fs::read(&path)?;
            // A damaged chunk is reported and skipped; the rest of the document still loads.
            if doc.load_incremental(&bytes).is_err() {
                tracing::warn!(path = %path.display(), "skipped a damaged chunk");
            } else if !snapshot {
                increments += 1;
            }
        }
        Ok(Some(Stored { doc, increments }))
    }

    /// Appends the changes made since `before`; folds everything into a snapshot when the
    /// increments have piled up. Returns the number of increments now on disk.
    pub fn append(
        &self,
        id: DocumentId,
        doc: &Automerge,
        before: &[ChangeHash],
        increments: usize,
    ) -> io::Result<usize> {
        let folder = self.folder(id);
        std::fs::create_dir_all(&folder)?;
        if increments >= INCREMENTS_BEFORE_COMPACTION {
            self.compact(&folder, doc)?;
            return Ok(0);
        }
        let bytes = doc.save_after(before);
        write_atomically(&folder, &format!("incremental-{}", heads_name(doc)), &bytes)?;
        Ok(increments + 1)
    }

    /// Every document stored (folders that hold no chunk yet included; they load as `None`).
    pub fn ids(&self) -> io::Result<Vec<DocumentId>> {
        let mut ids = Vec::new();
        for prefix in std::fs::read_dir(&self.root)?.filter_map(Result::ok) {
            let Ok(rest) = std::fs::read_dir(prefix.path()) else {
                continue; // a stray file
            };
            for entry in rest.filter_map(Result::ok) {
                let name = format!(
                    "{}{}",
                    prefix.file_name().to_string_lossy(),
                    entry.file_name().to_string_lossy()
                );
                if let Ok(id) = name.parse() {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Stores a document whole, as one snapshot; returns its size in bytes.
    pub fn write_snapshot(&self, id: DocumentId, doc: &Automerge) -> io::Result<usize> {
        let folder = self.folder(id);
        std::fs::create_dir_all(&folder)?;
        self.compact(&folder, doc)
    }

    /// Writes the whole document as one snapshot, then removes the chunks it replaces; returns
    /// the snapshot's size.
    fn compact(&self, folder: &Path, doc: &Automerge) -> io::Result<usize> {
        let keep = format!("snapshot-{}", heads_name(doc));
        let bytes = doc.save();
        write_atomically(folder, &keep, &bytes)?;
        for entry in std::fs::read_dir(folder)?.filter_map(Result::ok) {
            if entry.file_name().to_str() != Some(keep.as_str()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(bytes.len())
    }
}

/// A chunk's name: the hex of the first head it ends at (unique per state of the document).
fn heads_name(doc: &Automerge) -> String {
    doc.get_heads()
        .first()
        .map(|h| h.to_string())
        .unwrap_or_else(|| "empty".into())
}

fn write_atomically(folder: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temporary = folder.join(format!(".{name}.tmp"));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, folder.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    #[test]
    fn changes_survive_reopening_and_compaction() {
        let dir = crate::empty_test_dir("docstore");
        let store = DocStore::open(&dir).unwrap();
        let id = DocumentId::from_bytes([5; 16]);
        assert!(store.load(id).unwrap().is_none());
        let mut doc = Automerge::new();
        let mut increments = 0;
        for n in 0..100 {
            let before = doc.get_heads();
            doc.transact(|tx| tx.put(automerge::ROOT, "n", n as i64))
                .unwrap();
            increments = store.append(id, &doc, &before, increments).unwrap();
        }
        // A write interrupted before its rename leaves only a temporary file, which is ignored.
        std::fs::write(store.folder(id).join(".incremental-x.tmp"), b"torn").unwrap();
        let loaded = store.load(id).unwrap().unwrap();
        assert_eq!(loaded.doc.get_heads(), doc.get_heads());
        assert!(loaded.increments < INCREMENTS_BEFORE_COMPACTION);
    }
}

//! Automerge documents over a [`ChunkStore`]: every save appends an incremental chunk holding just the
//! new changes; when the increments together outgrow the snapshot they are folded into a new snapshot in
//! the same atomic batch, so storage stays close to the document's real size.
//!
//! Saving is split in three so no borrow of a document is held while the browser writes:
//! [`SaveTracker::plan`] (sync: bytes to write), [`ChunkStore::write`] (async), then
//! [`SaveTracker::saved`] (sync: remember what is durable). A failed write is simply planned again
//! later; since a plan covers everything after the last *durable* heads, nothing is skipped.

use super::{Batch, ChunkKey, ChunkKind, ChunkStore, StorageError};
use crate::domain::DocumentId;
use automerge::{AutoCommit, ChangeHash};
use std::collections::HashMap;

/// What is durable for one document.
#[derive(Debug, Clone, Default)]
struct Durable {
    heads: Vec<ChangeHash>,
    snapshot: Option<(ChunkKey, usize)>,
    incrementals: Vec<(ChunkKey, usize)>,
}

impl Durable {
    fn incremental_bytes(&self) -> usize {
        self.incrementals.iter().map(|(_, n)| n).sum()
    }
}

/// A write to make for one document, and what will be durable once it is made.
#[derive(Debug, Clone)]
pub struct WritePlan {
    pub doc: DocumentId,
    pub batch: Batch,
    after: Durable,
}

/// Remembers, per document, which changes are already durable.
#[derive(Debug, Default)]
pub struct SaveTracker {
    durable: HashMap<DocumentId, Durable>,
}

/// A document read back from storage. Hand it to [`SaveTracker::loaded`] before saving it again.
#[derive(Debug)]
pub struct LoadedDocument {
    pub id: DocumentId,
    pub doc: AutoCommit,
    /// The chunks it was read from, with their sizes.
    pub chunks: Vec<(ChunkKey, usize)>,
    /// Chunks that could not be decoded and were skipped.
    pub corrupt: Vec<ChunkKey>,
}

/// Why a stored document could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("document {0} is damaged in local storage")]
    Corrupt(DocumentId),
}

impl SaveTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// The write that makes `doc` durable, or `None` if it already is.
    pub fn plan(&self, id: DocumentId, doc: &mut AutoCommit) -> Option<WritePlan> {
        let durable = self.durable.get(&id).cloned().unwrap_or_default();
        let heads = doc.get_heads();
        if heads == durable.heads {
            return None;
        }
        let name = heads_name(&heads);
        let increment = doc.save_after(&durable.heads);
        let snapshot_size = durable.snapshot.as_ref().map_or(0, |(_, n)| *n);
        let mut batch = Batch::default();
        let mut after = Durable {
            heads,
            ..durable.clone()
        };
        if durable.incremental_bytes() + increment.len() > snapshot_size {
            let snapshot = doc.save();
            let key = ChunkKey {
                doc: id,
                kind: ChunkKind::Snapshot,
                name,
            };
            batch
                .delete
                .extend(durable.snapshot.iter().map(|(k, _)| k.clone()));
            batch
                .delete
                .extend(durable.incrementals.iter().map(|(k, _)| k.clone()));
            after.snapshot = Some((key.clone(), snapshot.len()));
            after.incrementals.clear();
            batch.put.push((key, snapshot));
        } else {
            let key = ChunkKey {
                doc: id,
                kind: ChunkKind::Incremental,
                name,
            };
            after.incrementals.push((key.clone(), increment.len()));
            batch.put.push((key, increment));
        }
        Some(WritePlan {
            doc: id,
            batch,
            after,
        })
    }

    /// Records that a plan's batch was written.
    pub fn saved(&mut self, plan: WritePlan) {
        self.durable.insert(plan.doc, plan.after);
    }

    /// Records what a fresh load found, so the next save appends to it.
    pub fn loaded(&mut self, loaded: &mut LoadedDocument) {
        let mut durable = Durable {
            heads: loaded.doc.get_heads(),
            ..Default::default()
        };
        for (key, size) in &loaded.chunks {
            match key.kind {
                ChunkKind::Snapshot => durable.snapshot = Some((key.clone(), *size)),
                ChunkKind::Incremental => durable.incrementals.push((key.clone(), *size)),
            }
        }
        self.durable.insert(loaded.id, durable);
    }

    /// Whether `doc` has changes that are not durable yet.
    pub fn is_dirty(&self, id: DocumentId, doc: &mut AutoCommit) -> bool {
        !self.is_durable_at(id, &doc.get_heads())
    }

    /// Whether everything up to `heads` is durable.
    pub fn is_durable_at(&self, id: DocumentId, heads: &[ChangeHash]) -> bool {
        self.durable.get(&id).is_some_and(|d| d.heads == heads)
    }
}

/// Loads a document from its chunks: the snapshot first, then every increment. A chunk that does not
/// decode is skipped and reported; if nothing decodes, the document is reported as corrupt.
pub async fn load_document(
    store: &impl ChunkStore,
    id: DocumentId,
) -> Result<Option<LoadedDocument>, LoadError> {
    let mut chunks = store.load_chunks(id).await?;
    if chunks.is_empty() {
        return Ok(None);
    }
    chunks.sort_by(|(a, _), (b, _)| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));
    let sizes = |keys: &mut dyn Iterator<Item = &(ChunkKey, Vec<u8>)>| -> Vec<(ChunkKey, usize)> {
        keys.map(|(k, b)| (k.clone(), b.len())).collect()
    };
    // The usual case: everything decodes in one strict pass.
    let all: Vec<u8> = chunks.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    if let Ok(doc) = AutoCommit::load(&all) {
        return Ok(Some(LoadedDocument {
            id,
            doc,
            chunks: sizes(&mut chunks.iter()),
            corrupt: Vec::new(),
        }));
    }
    // Something is damaged: keep every chunk that decodes on its own, report the rest.
    let mut doc = AutoCommit::new();
    let (good, bad): (Vec<_>, Vec<_>) = chunks
        .iter()
        .partition(|(_, b)| AutoCommit::load(b).is_ok());
    for (_, bytes) in &good {
        doc.load_incremental(bytes)
            .map_err(|_| LoadError::Corrupt(id))?;
    }
    if doc.get_heads().is_empty() {
        return Err(LoadError::Corrupt(id));
    }
    let good = sizes(&mut good.into_iter());
    let corrupt = bad.into_iter().map(|(k, _)| k.clone()).collect();
    Ok(Some(LoadedDocument {
        id,
        doc,
        chunks: good,
        corrupt,
    }))
}

fn heads_name(heads: &[ChangeHash]) -> String {
    let mut sorted: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    sorted.sort();
    sorted.join("-")
}

/// The conformance story every [`ChunkStore`] must pass, run natively on [`super::MemoryStore`] and in
/// the browser on IndexedDB.
#[doc(hidden)]
pub mod conformance {
    use super::*;
    use automerge::{transaction::Transactable, ReadDoc, ROOT};

    fn id(n: u8) -> DocumentId {
        DocumentId::from_bytes([n; 16])
    }

    fn text_of(doc: &AutoCommit) -> String {
        let (_, obj) = doc.get(ROOT, "text").unwrap().unwrap();
        doc.text(&obj).unwrap()
    }

    /// Writes a document in many small saves, reads it back through a fresh tracker (as a reopened tab
    /// would), and checks that compaction kept every change and bounded the number of chunks.
    pub async fn write_reopen_compact<S: ChunkStore>(store: &S) {
        let mut tracker = SaveTracker::new();
        let mut doc = AutoCommit::new();
        let text = doc
            .put_object(ROOT, "text", automerge::ObjType::Text)
            .unwrap();
        for i in 0..60 {
            doc.splice_text(&text, i, 0, "字").unwrap();
            doc.commit();
            let plan = tracker
                .plan(id(1), &mut doc)
                .expect("a change needs a write");
            store.write(plan.batch.clone()).await.unwrap();
            tracker.saved(plan);
            assert!(
                tracker.plan(id(1), &mut doc).is_none(),
                "nothing left to write"
            );
        }
        let chunks = store.load_chunks(id(1)).await.unwrap();
        assert!(
            chunks.len() < 30,
            "increments are compacted, found {} chunks",
            chunks.len()
        );
        let mut fresh = SaveTracker::new();
        let mut loaded = load_document(store, id(1)).await.unwrap().unwrap();
        fresh.loaded(&mut loaded);
        assert_eq!(text_of(&loaded.doc), "字".repeat(60));
        assert!(loaded.corrupt.is_empty());
        assert!(!fresh.is_dirty(id(1), &mut loaded.doc));
    }

    /// A document with damaged bytes is reported; the others still load; unknown ids load as `None`.
    pub async fn corrupt_document_is_skipped<S: ChunkStore>(store: &S) {
        let tracker = SaveTracker::new();
        let mut good = AutoCommit::new();
        good.put(ROOT, "ok", true).unwrap();
        good.commit();
        let plan = tracker.plan(id(2), &mut good).unwrap();
        store.write(plan.batch).await.unwrap();
        let bad = ChunkKey {
            doc: id(3),
            kind: ChunkKind::Snapshot,
            name: "x".into(),
        };
        store
            .write(Batch {
                put: vec![(bad, b"not automerge".to_vec())],
                ..Default::default()
            })
            .await
            .unwrap();

        assert_eq!(
            load_document(store, id(3)).await.unwrap_err(),
            LoadError::Corrupt(id(3))
        );
        let loaded = load_document(store, id(2)).await.unwrap().unwrap();
        assert_eq!(
            loaded
                .doc
                .get(ROOT, "ok")
                .unwrap()
                .and_then(|(v, _)| v.as_scalar().and_then(|s| s.as_bool())),
            Some(true)
        );
        assert!(load_document(store, id(9)).await.unwrap().is_none());
    }

    /// A damaged increment after a good snapshot loses only that increment.
    pub async fn corrupt_increment_is_reported<S: ChunkStore>(store: &S) {
        let tracker = SaveTracker::new();
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "n", 1).unwrap();
        doc.commit();
        let plan = tracker.plan(id(4), &mut doc).unwrap();
        store.write(plan.batch).await.unwrap();
        // A later change, cut short as a crash or a bad disk would leave it.
        let before = doc.get_heads();
        doc.put(ROOT, "n", 2).unwrap();
        doc.commit();
        let mut torn = doc.save_after(&before);
        torn.truncate(torn.len() / 2);
        let bad = ChunkKey {
            doc: id(4),
            kind: ChunkKind::Incremental,
            name: "zz".into(),
        };
        store
            .write(Batch {
                put: vec![(bad.clone(), torn)],
                ..Default::default()
            })
            .await
            .unwrap();
        let loaded = load_document(store, id(4)).await.unwrap().unwrap();
        assert_eq!(loaded.corrupt, vec![bad]);
        assert_eq!(
            loaded
                .doc
                .get(ROOT, "n")
                .unwrap()
                .and_then(|(v, _)| v.as_scalar().and_then(|s| s.as_i64())),
            Some(1)
        );
    }

    /// Settings read back what was written.
    pub async fn settings_round_trip<S: ChunkStore>(store: &S) {
        assert_eq!(store.setting("desk").await.unwrap(), None);
        let batch = Batch {
            settings: vec![("desk".into(), "abc".into())],
            ..Default::default()
        };
        store.write(batch).await.unwrap();
        assert_eq!(store.setting("desk").await.unwrap().as_deref(), Some("abc"));
    }
}

#[cfg(test)]
mod tests {
    use super::conformance;
    use crate::storage::MemoryStore;
    use futures::executor::block_on;

    #[test]
    fn memory_store_conforms() {
        block_on(conformance::write_reopen_compact(&MemoryStore::new()));
        block_on(conformance::corrupt_document_is_skipped(&MemoryStore::new()));
        block_on(conformance::corrupt_increment_is_reported(
            &MemoryStore::new(),
        ));
        block_on(conformance::settings_round_trip(&MemoryStore::new()));
    }
}

//! An in-memory [`ChunkStore`]: the reference implementation the IndexedDB one is tested against, and
//! the store used when a browser offers no IndexedDB at all.

use super::{Batch, ChunkKey, ChunkStore, StorageError};
use crate::domain::DocumentId;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The whole contents of a [`MemoryStore`], keyed as stored.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    pub chunks: BTreeMap<String, Vec<u8>>,
    pub settings: BTreeMap<String, String>,
}

/// Chunks and settings held in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    chunks: RefCell<BTreeMap<String, Vec<u8>>>,
    settings: RefCell<BTreeMap<String, String>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores raw bytes under a raw key, bypassing every check (for corrupt-data tests).
    pub fn put_raw(&self, key: &str, bytes: Vec<u8>) {
        self.chunks.borrow_mut().insert(key.to_string(), bytes);
    }

    /// Every chunk and setting, e.g. to load a prepared desk into a browser.
    pub fn export(&self) -> Exported {
        Exported {
            chunks: self.chunks.borrow().clone(),
            settings: self.settings.borrow().clone(),
        }
    }

    /// How many chunks are stored.
    pub fn len(&self) -> usize {
        self.chunks.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ChunkStore for MemoryStore {
    async fn load_chunks(&self, doc: DocumentId) -> Result<Vec<(ChunkKey, Vec<u8>)>, StorageError> {
        let chunks = self.chunks.borrow();
        let range = chunks.range(ChunkKey::doc_prefix(doc)..ChunkKey::doc_end(doc));
        Ok(range
            .filter_map(|(k, v)| Some((ChunkKey::parse(k)?, v.clone())))
            .collect())
    }

    async fn write(&self, batch: Batch) -> Result<(), StorageError> {
        let mut chunks = self.chunks.borrow_mut();
        for key in &batch.delete {
            chunks.remove(&key.to_string());
        }
        for (key, bytes) in batch.put {
            chunks.insert(key.to_string(), bytes);
        }
        self.settings.borrow_mut().extend(batch.settings);
        Ok(())
    }

    async fn setting(&self, name: &str) -> Result<Option<String>, StorageError> {
        Ok(self.settings.borrow().get(name).cloned())
    }
}

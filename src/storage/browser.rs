//! The store the page uses: IndexedDB when the browser offers it, memory otherwise (so the desk still
//! works for the session, and the user is told their work will not survive the tab).

use super::indexeddb::IdbStore;
use super::{Batch, ChunkKey, ChunkStore, MemoryStore, StorageError};
use crate::domain::DocumentId;

/// The name of the page's IndexedDB database.
pub const DATABASE: &str = "innerdesk";

/// IndexedDB, or memory as a fallback.
#[derive(Debug)]
pub enum BrowserStore {
    IndexedDb(IdbStore),
    Memory(MemoryStore),
}

impl BrowserStore {
    /// Opens IndexedDB; if that fails, returns a memory store and the reason.
    pub async fn open() -> (Self, Option<StorageError>) {
        match IdbStore::open(DATABASE).await {
            Ok(db) => (Self::IndexedDb(db), None),
            Err(e) => (Self::Memory(MemoryStore::new()), Some(e)),
        }
    }

    /// Deletes everything this store keeps on the device (signing out).
    pub async fn destroy(&self) -> Result<(), StorageError> {
        match self {
            Self::IndexedDb(db) => {
                db.close();
                IdbStore::delete(DATABASE).await
            }
            Self::Memory(_) => Ok(()),
        }
    }
}

impl ChunkStore for BrowserStore {
    async fn load_chunks(&self, doc: DocumentId) -> Result<Vec<(ChunkKey, Vec<u8>)>, StorageError> {
        match self {
            Self::IndexedDb(s) => s.load_chunks(doc).await,
            Self::Memory(s) => s.load_chunks(doc).await,
        }
    }

    async fn write(&self, batch: Batch) -> Result<(), StorageError> {
        match self {
            Self::IndexedDb(s) => s.write(batch).await,
            Self::Memory(s) => s.write(batch).await,
        }
    }

    async fn setting(&self, name: &str) -> Result<Option<String>, StorageError> {
        match self {
            Self::IndexedDb(s) => s.setting(name).await,
            Self::Memory(s) => s.setting(name).await,
        }
    }
}

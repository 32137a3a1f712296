//! Persistence of document bytes: a small key/value contract ([`ChunkStore`]) with an in-memory
//! implementation here (the IndexedDB one lives with the page), and [`documents`], which turns
//! Automerge documents into incremental chunks and compacted snapshots over either.
//!
//! Keys follow automerge-repo's layout: `[document id, "snapshot" | "incremental", name]`.

pub mod documents;
pub mod memory;

use crate::domain::DocumentId;
use std::fmt;

pub use documents::{load_document, LoadError, LoadedDocument, SaveTracker, WritePlan};
pub use memory::MemoryStore;

/// Which kind of chunk a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChunkKind {
    /// The whole document, compacted.
    Snapshot,
    /// Changes made after the snapshot.
    Incremental,
}

impl ChunkKind {
    fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
        }
    }
}

/// The key of one stored chunk of a document's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkKey {
    pub doc: DocumentId,
    pub kind: ChunkKind,
    /// Unique within the document and kind (the hex of the heads the chunk ends at).
    pub name: String,
}

impl ChunkKey {
    /// The first key of every chunk of `doc`, as text; all of them sort between this and [`Self::doc_end`].
    pub fn doc_prefix(doc: DocumentId) -> String {
        format!("{doc}/")
    }

    pub fn doc_end(doc: DocumentId) -> String {
        format!("{doc}/\u{ffff}")
    }

    /// Parses a key written by [`fmt::Display`]; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '/');
        let doc = parts.next()?.parse().ok()?;
        let kind = match parts.next()? {
            "snapshot" => ChunkKind::Snapshot,
            "incremental" => ChunkKind::Incremental,
            _ => return None,
        };
        Some(Self {
            doc,
            kind,
            name: parts.next()?.to_string(),
        })
    }
}

impl fmt::Display for ChunkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.doc, self.kind.as_str(), self.name)
    }
}

/// Chunks to write and delete, and settings to set, together: either all of it is stored, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub put: Vec<(ChunkKey, Vec<u8>)>,
    pub delete: Vec<ChunkKey>,
    pub settings: Vec<(String, String)>,
}

/// Why storage failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("local storage is not available: {0}")]
    Unavailable(String),
    #[error("local storage is full")]
    QuotaExceeded,
    #[error("local storage failed: {0}")]
    Failed(String),
}

/// A key/value store for document chunks and a few settings. Writes are atomic per [`Batch`] and
/// durable when the returned future completes.
#[allow(async_fn_in_trait)] // used on one thread in the browser; no Send bound wanted
pub trait ChunkStore {
    /// Every chunk of one document, in key order.
    async fn load_chunks(&self, doc: DocumentId) -> Result<Vec<(ChunkKey, Vec<u8>)>, StorageError>;
    /// Applies a batch atomically.
    async fn write(&self, batch: Batch) -> Result<(), StorageError>;
    /// A small setting outside any document (such as which document is this device's desk); settings
    /// are written in a [`Batch`], with the documents they name.
    async fn setting(&self, name: &str) -> Result<Option<String>, StorageError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_inside_their_document() {
        let doc = DocumentId::from_bytes([4; 16]);
        let key = ChunkKey {
            doc,
            kind: ChunkKind::Incremental,
            name: "ab12".into(),
        };
        assert_eq!(ChunkKey::parse(&key.to_string()), Some(key.clone()));
        let text = key.to_string();
        assert!(ChunkKey::doc_prefix(doc) < text && text < ChunkKey::doc_end(doc));
        assert_eq!(ChunkKey::parse("nonsense"), None);
        assert_eq!(ChunkKey::parse(&format!("{doc}/other/x")), None);
    }
}

//! Persistence of document bytes in the browser: the IndexedDB [`ChunkStore`] and the store the
//! page opens ([`browser`]). The contract and the in-memory store come from `innerdesk_core`.

pub mod browser;
pub mod indexeddb;

pub use innerdesk_core::storage::*;

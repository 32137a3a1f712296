//! The relay's document store: samod's files on local disk, plus a count of writes in flight per
//! document, so a connection can hold back its answer about a document until that document's
//! changes are on disk. An acknowledgement from the relay then means the change survives SIGKILL.

use samod::storage::{Storage, StorageKey, TokioFilesystemStorage};
use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Clone)]
pub struct DiskStore {
    files: TokioFilesystemStorage,
    writing: Arc<Writing>,
}

#[derive(Default)]
pub struct Writing {
    per_document: Mutex<HashMap<String, usize>>,
    finished: Notify,
}

impl Writing {
    /// Resolves once no write of `doc` (its id as text) is in flight.
    pub async fn flushed(&self, doc: &str) {
        loop {
            let finished = self.finished.notified();
            if !self.per_document.lock().unwrap().contains_key(doc) {
                return;
            }
            finished.await;
        }
    }

    fn started(&self, doc: &str) {
        *self
            .per_document
            .lock()
            .unwrap()
            .entry(doc.to_string())
            .or_default() += 1;
    }

    fn ended(&self, doc: &str) {
        let mut writing = self.per_document.lock().unwrap();
        if let Some(count) = writing.get_mut(doc) {
            *count -= 1;
            if *count == 0 {
                writing.remove(doc);
            }
        }
        self.finished.notify_waiters();
    }
}

impl DiskStore {
    pub fn new(dir: &Path) -> Self {
        Self {
            files: TokioFilesystemStorage::new(dir),
            writing: Arc::default(),
        }
    }

    pub fn writing(&self) -> Arc<Writing> {
        self.writing.clone()
    }
}

/// The document a key belongs to: automerge-repo keys start with the document id.
fn document_of(key: &StorageKey) -> String {
    key.into_iter().next().cloned().unwrap_or_default()
}

impl Storage for DiskStore {
    fn load(&self, key: StorageKey) -> impl Future<Output = Option<Vec<u8>>> + Send {
        self.files.load(key)
    }

    fn load_range(
        &self,
        prefix: StorageKey,
    ) -> impl Future<Output = HashMap<StorageKey, Vec<u8>>> + Send {
        self.files.load_range(prefix)
    }

    fn put(&self, key: StorageKey, data: Vec<u8>) -> impl Future<Output = ()> + Send {
        // Counted when the write is handed over, before it is awaited.
        let doc = document_of(&key);
        self.writing.started(&doc);
        let (files, writing) = (self.files.clone(), self.writing.clone());
        async move {
            files.put(key, data).await;
            writing.ended(&doc);
        }
    }

    fn delete(&self, key: StorageKey) -> impl Future<Output = ()> + Send {
        self.files.delete(key)
    }
}

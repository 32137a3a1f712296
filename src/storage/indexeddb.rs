//! The browser's [`ChunkStore`]: one IndexedDB database with a `chunks` store (document bytes) and a
//! `settings` store. A write resolves only when its transaction has *committed*, so a change reported
//! as saved survives a reload, a closed tab or a crash.

use super::{Batch, ChunkKey, ChunkStore, StorageError};
use crate::domain::DocumentId;
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbKeyRange, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
};

const VERSION: u32 = 1;
const CHUNKS: &str = "chunks";
const SETTINGS: &str = "settings";

/// An open IndexedDB database.
#[derive(Debug, Clone)]
pub struct IdbStore {
    db: IdbDatabase,
}

impl IdbStore {
    /// Opens (creating if needed) the database called `name`.
    pub async fn open(name: &str) -> Result<Self, StorageError> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or_else(|| StorageError::Unavailable("this browser offers no IndexedDB".into()))?;
        let request = factory.open_with_u32(name, VERSION).map_err(unavailable)?;
        let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(request) = event
                .target()
                .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            else {
                return;
            };
            let Ok(db) = request.result().and_then(|r| r.dyn_into::<IdbDatabase>()) else {
                return;
            };
            for store in [CHUNKS, SETTINGS] {
                if !db.object_store_names().contains(store) {
                    let _ = db.create_object_store(store);
                }
            }
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let result = finished(&request).await;
        request.set_onupgradeneeded(None);
        drop(upgrade);
        let db = result
            .map_err(unavailable_from)?
            .dyn_into::<IdbDatabase>()
            .map_err(unavailable)?;
        // Another tab deleting the database (signing out) waits for every connection to close:
        // this one steps aside, and its page finds no store on its next write.
        let closing = db.clone();
        let step_aside = Closure::<dyn FnMut()>::new(move || closing.close());
        db.set_onversionchange(Some(step_aside.as_ref().unchecked_ref()));
        step_aside.forget();
        Ok(Self { db })
    }

    /// Deletes the database called `name` (tests start from nothing with it).
    pub async fn delete(name: &str) -> Result<(), StorageError> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or_else(|| StorageError::Unavailable("this browser offers no IndexedDB".into()))?;
        let request = factory.delete_database(name).map_err(unavailable)?;
        finished(&request).await.map(|_| ())
    }

    /// Closes the connection (another handle may then open the same database afresh).
    pub fn close(&self) {
        self.db.close();
    }

    fn transaction(
        &self,
        store: &str,
        mode: IdbTransactionMode,
    ) -> Result<IdbTransaction, StorageError> {
        self.db
            .transaction_with_str_and_mode(store, mode)
            .map_err(classify)
    }

    /// Stores raw bytes under a raw key, bypassing every check (for corrupt-data tests).
    pub async fn put_raw(&self, key: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let tx = self.transaction(CHUNKS, IdbTransactionMode::Readwrite)?;
        let store = tx.object_store(CHUNKS).map_err(classify)?;
        store
            .put_with_key(&Uint8Array::from(bytes), &JsValue::from_str(key))
            .map_err(classify)?;
        committed(&tx).await
    }
}

impl ChunkStore for IdbStore {
    async fn load_chunks(&self, doc: DocumentId) -> Result<Vec<(ChunkKey, Vec<u8>)>, StorageError> {
        let tx = self.transaction(CHUNKS, IdbTransactionMode::Readonly)?;
        let store = tx.object_store(CHUNKS).map_err(classify)?;
        let range = IdbKeyRange::bound(
            &JsValue::from_str(&ChunkKey::doc_prefix(doc)),
            &JsValue::from_str(&ChunkKey::doc_end(doc)),
        )
        .map_err(classify)?;
        // Both requests run in one transaction, so keys and values line up one to one.
        let keys = store.get_all_keys_with_key(&range).map_err(classify)?;
        let values = store.get_all_with_key(&range).map_err(classify)?;
        let keys: Array = finished(&keys).await?.unchecked_into();
        let values: Array = finished(&values).await?.unchecked_into();
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| {
                let key = ChunkKey::parse(&k.as_string()?)?;
                let bytes = v.dyn_into::<Uint8Array>().ok()?.to_vec();
                Some((key, bytes))
            })
            .collect())
    }

    async fn write(&self, batch: Batch) -> Result<(), StorageError> {
        let stores = Array::of2(&CHUNKS.into(), &SETTINGS.into());
        let tx = self
            .db
            .transaction_with_str_sequence_and_mode(&stores, IdbTransactionMode::Readwrite)
            .map_err(classify)?;
        let store = tx.object_store(CHUNKS).map_err(classify)?;
        let settings = tx.object_store(SETTINGS).map_err(classify)?;
        for (name, value) in &batch.settings {
            settings
                .put_with_key(&JsValue::from_str(value), &JsValue::from_str(name))
                .map_err(classify)?;
        }
        for key in &batch.delete {
            store
                .delete(&JsValue::from_str(&key.to_string()))
                .map_err(classify)?;
        }
        for (key, bytes) in &batch.put {
            let value = Uint8Array::from(bytes.as_slice());
            store
                .put_with_key(&value, &JsValue::from_str(&key.to_string()))
                .map_err(classify)?;
        }
        committed(&tx).await
    }

    async fn setting(&self, name: &str) -> Result<Option<String>, StorageError> {
        let tx = self.transaction(SETTINGS, IdbTransactionMode::Readonly)?;
        let request = tx
            .object_store(SETTINGS)
            .map_err(classify)?
            .get(&JsValue::from_str(name))
            .map_err(classify)?;
        Ok(finished(&request).await?.as_string())
    }
}

/// Resolves with a request's result once it succeeds.
async fn finished(request: &IdbRequest) -> Result<JsValue, StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let target = request.clone();
        let on_success = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(
                &JsValue::NULL,
                &target.result().unwrap_or(JsValue::UNDEFINED),
            );
        });
        let target = request.clone();
        let on_error = Closure::once_into_js(move |_: web_sys::Event| {
            let error = target
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(classify)
}

/// Resolves once a read-write transaction has committed to disk, or fails with the reason it aborted.
async fn committed(tx: &IdbTransaction) -> Result<(), StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let target = tx.clone();
        let on_abort = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            let error = target.error().map(JsValue::from).unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::NULL, &error);
        })
        .into_js_value();
        tx.set_oncomplete(Some(on_complete.unchecked_ref()));
        // An error aborts the transaction, so `abort` reports every failure exactly once.
        tx.set_onabort(Some(on_abort.unchecked_ref()));
    });
    JsFuture::from(promise).await.map(|_| ()).map_err(classify)
}

fn error_name(error: &JsValue) -> (String, String) {
    match error.dyn_ref::<web_sys::DomException>() {
        Some(e) => (e.name(), e.message()),
        None => (
            String::new(),
            error.as_string().unwrap_or_else(|| format!("{error:?}")),
        ),
    }
}

/// Maps a browser error to ours, recognising a full disk or quota.
fn classify(error: JsValue) -> StorageError {
    match error_name(&error) {
        (name, _) if name == "QuotaExceededError" => StorageError::QuotaExceeded,
        (name, message) => StorageError::Failed(format!("{name} {message}").trim().to_string()),
    }
}

fn unavailable(error: JsValue) -> StorageError {
    let (name, message) = error_name(&error);
    StorageError::Unavailable(format!("{name} {message}").trim().to_string())
}

fn unavailable_from(error: StorageError) -> StorageError {
    match error {
        StorageError::Failed(message) => StorageError::Unavailable(message),
        other => other,
    }
}

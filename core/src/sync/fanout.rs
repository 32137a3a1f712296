//! The relay's side of one document: a sync state per connection, and after every change the
//! answer each connection is owed. The relay's hub and the convergence tests both use it, so the
//! tests exercise the very logic the relay runs.

use automerge::sync::{self, SyncDoc};
use automerge::Automerge;
use std::collections::HashMap;

/// Connections syncing a document, each with its own sync state and a way to reach it.
pub type Subscribers<T> = HashMap<u64, (sync::State, T)>;

/// Hands each connection syncing `doc` the sync message it still needs (encoded), if any.
pub fn answer_everyone<T>(
    doc: &Automerge,
    subscribers: &mut Subscribers<T>,
    mut send: impl FnMut(&T, Vec<u8>),
) {
    for (state, to) in subscribers.values_mut() {
        if let Some(message) = doc.generate_sync_message(state) {
            send(to, message.encode());
        }
    }
}

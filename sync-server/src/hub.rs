//! The relay's document hub: each document in memory while anyone syncs it, one Automerge sync
//! state per connection that touched it, changes written to disk before anyone hears of them.
//!
//! Per message the work is proportional to the connections syncing *that* document, never to all
//! connections or all documents, so the relay scales to many clients and many documents.

use crate::backlog::Backlog;
use crate::docstore::{DocStore, Staged};
use crate::durable::Durability;
use crate::quota::{Delivery, OverQuota};
use crate::relay::Shared;
use automerge::sync::{self, SyncDoc};
use automerge::Automerge;
use innerdesk_core::access::{Access, PersonId};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::sync::checked;
use innerdesk_core::sync::fanout::{self, Subscribers};
use innerdesk_core::sync::wire::{DocumentMessage, Message};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;

/// The relay's own name on the wire.
pub const RELAY_PEER: &str = "innerdesk-relay";

pub type ConnId = u64;

/// Where a connection's outgoing messages go, and how to cut it if it cannot keep up.
#[derive(Clone)]
pub struct Outbox {
    pub conn: ConnId,
    pub person: PersonId,
    pub peer: String,
    pub frames: mpsc::Sender<Vec<u8>>,
    pub cut: mpsc::UnboundedSender<String>,
}

impl Outbox {
    fn send(&self, message: Message) {
        if self.frames.try_send(message.encode()).is_err() {
            let _ = self
                .cut
                .send("the connection does not keep up with its messages".into());
        }
    }

    fn unavailable(&self, document: DocumentId) {
        self.send(Message::DocUnavailable {
            sender: RELAY_PEER.into(),
            target: self.peer.clone(),
            document,
        });
    }
}

/// Why a message could not be handled; the connection that sent it is closed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("the sync message for {0} is not valid")]
    BadSync(DocumentId),
    #[error("the sync message for {0} is refused: {1}")]
    Refused(DocumentId, checked::Refused),
    #[error("the change to {0} is refused: {1}")]
    Quota(DocumentId, OverQuota),
    #[error("the relay could not store {0}: {1}")]
    Storage(DocumentId, std::io::Error),
    #[error(
        "the relay could not record who delivered the change to {0}, so it was not accepted: {1}"
    )]
    Audit(DocumentId, std::io::Error),
}

/// What became of a document message.
pub enum Received {
    /// Handled; nothing is left to wait for.
    Done,
    /// Its changes are written, not yet synced: the document stays held until [`Hub::settle`].
    Pending(Pending),
    /// The document is in use, and the caller holds others: settle them, then send it again.
    Busy(DocumentMessage),
}

/// Changes written to disk but not yet synced, their document held so nobody hears of them.
pub struct Pending {
    id: DocumentId,
    slot: tokio::sync::OwnedMutexGuard<Slot>,
    staged: Staged,
}

pub struct Slot {
    /// `None` until loaded; `Some(None)` when the relay does not have the document.
    doc: Option<Option<Automerge>>,
    /// The document saved compactly while put away (a few hundred bytes where the loaded form
    /// takes kilobytes); loading it again needs no disk.
    put_away: Option<Vec<u8>>,
    increments: usize,
    peers: Subscribers<Outbox>,
    /// Connections refused while the document was missing or still being classified (after a
    /// restart, say): they are served as soon as it is there and its classification lets them.
    waiting: HashMap<ConnId, Outbox>,
}

pub struct Hub {
    store: DocStore,
    durability: Durability,
    shared: Arc<Shared>,
    slots: Mutex<HashMap<DocumentId, Arc<tokio::sync::Mutex<Slot>>>>,
    /// Documents loaded into memory, earliest first. An Automerge document takes some 17 KB even
    /// when tiny, so beyond the resident limit the earliest are put away as their compact saved
    /// bytes (their sync states stay) and loaded again when next needed: memory stays flat however
    /// many documents sync.
    resident: Mutex<VecDeque<DocumentId>>,
    /// Documents whose content changed, for the index keeper.
    backlog: Arc<Backlog>,
}

impl Hub {
    pub fn new(
        store: DocStore,
        durability: Durability,
        shared: Arc<Shared>,
        backlog: Arc<Backlog>,
    ) -> Self {
        Self {
            store,
            durability,
            shared,
            slots: Mutex::default(),
            resident: Mutex::default(),
            backlog,
        }
    }

    fn slot(&self, id: DocumentId) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = self.slots.lock().unwrap();
        let slot = slots.entry(id).or_insert_with(|| {
            self.shared.metrics.document_opened();
            Arc::new(tokio::sync::Mutex::new(Slot {
                doc: None,
                put_away: None,
                increments: 0,
                peers: HashMap::new(),
                waiting: HashMap::new(),
            }))
        });
        slot.clone()
    }

    fn load(&self, id: DocumentId, slot: &mut Slot) -> Result<(), HubError> {
        if slot.doc.is_some() {
            return Ok(());
        }
        let compact = slot.put_away.take().map(|bytes| Automerge::load(&bytes));
        slot.doc = Some(match compact {
            Some(Ok(doc)) => Some(doc),
            // Never put away, or (it cannot happen, but if) unreadable: the disk has it.
            _ => {
                let stored = self.store.load(id).map_err(|e| HubError::Storage(id, e))?;
                slot.increments = stored.as_ref().map_or(0, |s| s.increments);
                stored.map(|s| s.doc)
            }
        });
        self.resident.lock().unwrap().push_back(id);
        Ok(())
    }

    /// Puts away the earliest-read documents beyond the resident limit. Called with no slot held;
    /// a document in use right now is skipped and looked at again later.
    fn put_away_extra(&self) {
        let limit = self.shared.limits.resident_documents;
        let mut resident = self.resident.lock().unwrap();
        let mut tries = resident.len().saturating_sub(limit);
        while resident.len() > limit && tries > 0 {
            tries -= 1;
            let Some(id) = resident.pop_front() else {
                break;
            };
            let Some(slot) = self.slots.lock().unwrap().get(&id).cloned() else {
                continue; // closed since: nothing held
            };
            let put_away = match slot.try_lock() {
                Ok(mut slot) => {
                    if let Some(Some(doc)) = slot.doc.take() {
                        slot.put_away = Some(doc.save());
                    }
                    true
                }
                Err(_) => false,
            };
            if !put_away {
                resident.push_back(id);
            }
        }
    }

    /// A `sync` or `request` from a signed-in connection. Changes it brings are written but
    /// not yet durable: they come back [`Received::Pending`], holding the document, for
    /// [`Hub::settle`] to sync with the rest of the connection's batch and answer. A caller
    /// already holding documents (`holding_others`) never waits for another: it is handed the
    /// message back as [`Received::Busy`], settles, and sends it again.
    pub async fn receive(
        &self,
        from: &Outbox,
        m: DocumentMessage,
        is_request: bool,
        holding_others: bool,
    ) -> Result<Received, HubError> {
        let id = m.document;
        let message = match checked::decode_sync(&m.data, self.shared.limits.max_inflated_bytes) {
            Ok(message) => message,
            Err(checked::Refused::Malformed) => return Err(HubError::BadSync(id)),
            Err(refused) => return Err(HubError::Refused(id, refused)),
        };
        let handle = self.slot(id);
        let mut guard = if holding_others {
            match handle.try_lock_owned() {
                Ok(guard) => guard,
                Err(_) => return Ok(Received::Busy(m)),
            }
        } else {
            handle.lock_owned().await
        };
        let access = self.shared.access(&from.person, id);
        if access == Access::None {
            if self.shared.registry.is_pending(id) {
                guard.waiting.insert(from.conn, from.clone());
            }
            from.unavailable(id);
            return Ok(Received::Done);
        }
        self.load(id, &mut guard)?;
        let slot = &mut *guard;
        let doc = match slot.doc.as_mut().expect("loaded above") {
            Some(doc) => doc,
            // Asked for a document the relay does not have (yet): say so, and send it once it
            // arrives, if the asker may read it then (a device may learn of a ticket before its
            // filer's device has delivered it).
            None if is_request => {
                slot.waiting.insert(from.conn, from.clone());
                from.unavailable(id);
                return Ok(Received::Done);
            }
            // A peer that has it offers it: the first deliverer owns it until it is classified.
            None => {
                let (used, _) = self.shared.audit.stored(&from.person, id);
                self.shared
                    .quotas
                    .may_bring_document(used)
                    .map_err(|over| self.over_quota(id, over))?;
                self.shared
                    .registry
                    .first_delivery(id, &from.person)
                    .map_err(|e| HubError::Storage(id, e))?;
                slot.doc
                    .insert(Some(Automerge::new()))
                    .as_mut()
                    .expect("just inserted")
            }
        };
        let (state, _) = slot
            .peers
            .entry(from.conn)
            .or_insert_with(|| (sync::State::new(), from.clone()));
        state.set_read_only(access != Access::Write);
        let before = doc.get_heads();
        doc.receive_sync_message(state, message)
            .map_err(|_| HubError::BadSync(id))?;
        if doc.get_heads() != before {
            return match self
                .write(id, &from.person, doc, &before, slot.increments)
                .await
            {
                Ok(staged) => {
                    slot.increments = staged.increments;
                    Ok(Received::Pending(Pending {
                        id,
                        slot: guard,
                        staged,
                    }))
                }
                Err(e) => {
                    // Not recorded, not acknowledged, not kept: the next use reads what the disk
                    // has, and the sender (cut) offers the change again.
                    forget_unsynced(slot);
                    Err(e)
                }
            };
        }
        answer_everyone(id, doc, &mut slot.peers);
        drop(guard);
        self.put_away_extra();
        Ok(Received::Done)
    }

    /// Syncs a batch of received changes to disk with one sync, then tells everyone: an
    /// acknowledgement from the relay survives a power cut. If the disk cannot sync, nobody is
    /// told and the documents are read again from what the disk has.
    pub async fn settle(&self, batch: Vec<Pending>) -> Result<(), HubError> {
        let Some(first) = batch.first().map(|p| p.id) else {
            return Ok(());
        };
        let synced = self.durability.barrier().await;
        for mut pending in batch {
            let slot = &mut *pending.slot;
            match (&synced, slot.doc.as_ref().and_then(Option::as_ref)) {
                (Ok(()), Some(doc)) => {
                    self.store.tidy(pending.staged);
                    answer_everyone(pending.id, doc, &mut slot.peers);
                }
                _ => forget_unsynced(slot),
            }
        }
        self.put_away_extra();
        synced.map_err(|e| HubError::Storage(first, e))
    }

    /// Writes the changes after `before` that `person` just delivered: within quota, audited
    /// (who delivered them), owed to the index keeper, stored under their name. Durable only
    /// after the next sync.
    async fn write(
        &self,
        id: DocumentId,
        person: &PersonId,
        doc: &Automerge,
        before: &[automerge::ChangeHash],
        increments: usize,
    ) -> Result<Staged, HubError> {
        let failed = |e| HubError::Storage(id, e);
        let changes = doc.get_changes(before);
        let (used, held) = self.shared.audit.stored(person, id);
        let delivery = Delivery {
            changes: changes.len() as u64,
            bytes: changes.iter().map(|c| c.raw_bytes().len() as u64).sum(),
            document_bytes: held.unwrap_or(0),
        };
        self.shared
            .quotas
            .admit(person, used, delivery, Instant::now())
            .map_err(|over| self.over_quota(id, over))?;
        self.shared
            .audit
            .applied(id, person, &changes)
            .map_err(|e| HubError::Audit(id, e))?;
        // Owed before stored: a crash between the two re-indexes it, never skips it.
        self.backlog.owe(id).map_err(failed)?;
        let staged = self
            .store
            .stage_append(id, doc, before, increments)
            .map_err(failed)?;
        self.publish(&staged).await.map_err(failed)?;
        Ok(staged)
    }

    /// Gives a staged chunk its name. A chunk that replaces others waits until every earlier
    /// write is on disk, so a power cut never leaves the replacement's name without its bytes.
    async fn publish(&self, staged: &Staged) -> std::io::Result<()> {
        if staged.overwrites {
            self.durability.barrier().await?;
        }
        self.store.publish(staged)
    }

    /// Publishes a staged chunk and returns only once it (and every log line written before
    /// it) is on disk, so nobody is told of a change a power cut could take back. The sync is
    /// shared with every other message written meanwhile.
    async fn write_durably(&self, staged: Staged) -> std::io::Result<usize> {
        self.publish(&staged).await?;
        self.durability.barrier().await?;
        let increments = staged.increments;
        self.store.tidy(staged);
        Ok(increments)
    }

    fn over_quota(&self, id: DocumentId, over: OverQuota) -> HubError {
        self.shared.metrics.quota_refused(&over);
        HubError::Quota(id, over)
    }

    /// A connection has closed: its sync states go, and documents nobody syncs leave memory.
    pub async fn leave(&self, conn: ConnId, docs: impl IntoIterator<Item = DocumentId>) {
        for id in docs {
            let slot = self.slot(id);
            let mut guard = slot.lock().await;
            guard.peers.remove(&conn);
            guard.waiting.remove(&conn);
            if guard.peers.is_empty() && guard.waiting.is_empty() {
                let mut slots = self.slots.lock().unwrap();
                // Only the map and this function hold it: nobody else is about to use it.
                if Arc::strong_count(&slot) == 2 {
                    slots.remove(&id);
                    self.shared.metrics.document_closed();
                }
            }
        }
    }

    /// Reads a document the relay holds.
    pub async fn read<T>(
        &self,
        id: DocumentId,
        f: impl FnOnce(&Automerge) -> T,
    ) -> Result<Option<T>, HubError> {
        let slot = self.slot(id);
        let mut slot = slot.lock().await;
        self.load(id, &mut slot)?;
        let read = slot.doc.as_ref().and_then(Option::as_ref).map(f);
        drop(slot);
        self.put_away_extra();
        Ok(read)
    }

    /// A change the relay makes itself (to its indexes): stored, then sent to whoever syncs it.
    pub async fn change(
        &self,
        id: DocumentId,
        f: impl FnOnce(&mut Automerge),
    ) -> Result<(), HubError> {
        let handle = self.slot(id);
        let mut guard = handle.lock().await;
        self.load(id, &mut guard)?;
        let slot = &mut *guard;
        let doc = slot
            .doc
            .as_mut()
            .expect("loaded above")
            .get_or_insert_with(Automerge::new);
        let before = doc.get_heads();
        f(doc);
        if doc.get_heads() != before {
            let stored = match self.store.stage_append(id, doc, &before, slot.increments) {
                Ok(staged) => self.write_durably(staged).await,
                Err(e) => Err(e),
            };
            match stored {
                Ok(increments) => slot.increments = increments,
                Err(e) => {
                    forget_unsynced(slot);
                    return Err(HubError::Storage(id, e));
                }
            }
            answer_everyone(id, doc, &mut slot.peers);
        }
        drop(guard);
        self.put_away_extra();
        Ok(())
    }

    /// Replaces what the relay holds of a document with `doc` (a ticket's part, as it begins,
    /// when whoever delivered it first was not entitled to write it): stored whole, and every
    /// connection's sync state starts afresh so each is sent the document as it now is.
    pub async fn reset(&self, id: DocumentId, doc: Automerge) -> Result<(), HubError> {
        let handle = self.slot(id);
        let mut guard = handle.lock().await;
        let slot = &mut *guard;
        let staged = self
            .store
            .stage_snapshot(id, &doc)
            .map_err(|e| HubError::Storage(id, e))?;
        self.write_durably(staged)
            .await
            .map_err(|e| HubError::Storage(id, e))?;
        slot.increments = 0;
        slot.put_away = None;
        let loaded = slot.doc.is_some();
        slot.doc = Some(Some(doc));
        if !loaded {
            self.resident.lock().unwrap().push_back(id);
        }
        // The facts are recorded before this: each connection reads or writes as they say.
        slot.peers.retain(|_, (state, outbox)| {
            let access = self.shared.access(&outbox.person, id);
            *state = sync::State::new();
            state.set_read_only(access != Access::Write);
            if access == Access::None {
                outbox.unavailable(id);
            }
            access != Access::None
        });
        let doc = slot
            .doc
            .as_ref()
            .and_then(Option::as_ref)
            .expect("just set");
        answer_everyone(id, doc, &mut slot.peers);
        drop(guard);
        self.put_away_extra();
        Ok(())
    }

    /// A document's access facts changed: connections that lost access are told it is gone;
    /// the rest read or write as their access now says.
    pub async fn access_changed(&self, id: DocumentId) {
        let slot = self.slot(id);
        let mut slot = slot.lock().await;
        slot.peers.retain(|_, (state, outbox)| {
            let access = self.shared.access(&outbox.person, id);
            if access == Access::None {
                outbox.unavailable(id);
                return false;
            }
            state.set_read_only(access != Access::Write);
            true
        });
        if slot.waiting.is_empty() || self.load(id, &mut slot).is_err() {
            return;
        }
        let slot = &mut *slot;
        let Some(Some(doc)) = slot.doc.as_ref() else {
            return;
        };
        for (conn, outbox) in std::mem::take(&mut slot.waiting) {
            let access = self.shared.access(&outbox.person, id);
            if access == Access::None || slot.peers.contains_key(&conn) {
                continue;
            }
            let mut state = sync::State::new();
            state.set_read_only(access != Access::Write);
            slot.peers.insert(conn, (state, outbox));
        }
        answer_everyone(id, doc, &mut slot.peers);
    }
}

/// Drops what a slot holds in memory, so its next use reads what the disk has.
fn forget_unsynced(slot: &mut Slot) {
    slot.doc = None;
    slot.put_away = None;
}

/// Sends each connection syncing the document whatever it still lacks.
fn answer_everyone(id: DocumentId, doc: &Automerge, peers: &mut Subscribers<Outbox>) {
    fanout::answer_everyone(doc, peers, |outbox, data| {
        outbox.send(Message::Sync(DocumentMessage {
            sender: RELAY_PEER.into(),
            target: outbox.peer.clone(),
            document: id,
            data,
        }))
    });
}

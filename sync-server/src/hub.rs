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
    /// Its changes are written, not yet synced: nobody hears of them until [`Hub::settle`].
    Pending(Pending),
}

/// Changes written to disk but not yet synced. The document is not held meanwhile (others
/// syncing it are not kept waiting for the disk); its slot counts the write as unsynced, and
/// nobody is answered about the document while any write to it is.
pub struct Pending {
    id: DocumentId,
    slot: Arc<tokio::sync::Mutex<Slot>>,
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
    /// Writes to the document not yet synced to disk. While there are any, nobody is sent
    /// anything of it (it could tell of them); the write whose sync ends last answers everyone.
    unsynced: usize,
}

impl Slot {
    /// Sends each connection syncing the document whatever it still lacks, unless some of what
    /// the relay holds is not yet on disk for good.
    fn answer_everyone(&mut self, id: DocumentId) {
        if self.unsynced > 0 {
            return;
        }
        if let Some(Some(doc)) = &self.doc {
            answer_everyone(id, doc, &mut self.peers);
        }
    }
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
                unsynced: 0,
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
    /// a document in use right now, or with writes waiting for a sync, is skipped and looked at
    /// again later.
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
                // Its unsynced writes are answered from the loaded document.
                Ok(slot) if slot.unsynced > 0 => false,
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
    /// not yet durable: they come back [`Received::Pending`] for [`Hub::settle`] to sync with
    /// the rest of the connection's batch and answer.
    pub async fn receive(
        &self,
        from: &Outbox,
        m: DocumentMessage,
        is_request: bool,
    ) -> Result<Received, HubError> {
        let id = m.document;
        let message = match checked::decode_sync(&m.data, self.shared.limits.max_inflated_bytes) {
            Ok(message) => message,
            Err(checked::Refused::Malformed) => return Err(HubError::BadSync(id)),
            Err(refused) => return Err(HubError::Refused(id, refused)),
        };
        let handle = self.slot(id);
        let mut guard = handle.lock().await;
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
                    slot.unsynced += 1;
                    drop(guard);
                    Ok(Received::Pending(Pending {
                        id,
                        slot: handle.clone(),
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
        slot.answer_everyone(id);
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
        for Pending { id, slot, staged } in batch {
            let mut slot = slot.lock().await;
            slot.unsynced -= 1;
            if synced.is_ok() {
                self.store.tidy(staged);
                slot.answer_everyone(id);
            } else {
                forget_unsynced(&mut slot);
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
        if doc.get_heads() == before {
            return Ok(());
        }
        let written = match self.store.stage_append(id, doc, &before, slot.increments) {
            Ok(staged) => self.publish(&staged).await.map(|()| staged),
            Err(e) => Err(e),
        };
        let staged = match written {
            Ok(staged) => staged,
            Err(e) => {
                forget_unsynced(slot);
                return Err(HubError::Storage(id, e));
            }
        };
        slot.increments = staged.increments;
        slot.unsynced += 1;
        drop(guard);
        let slot = handle.clone();
        self.settle(vec![Pending { id, slot, staged }]).await
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
        self.publish(&staged)
            .await
            .map_err(|e| HubError::Storage(id, e))?;
        // Like any write: nobody hears of it until it is synced, and nobody waits for that.
        slot.unsynced += 1;
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
        drop(guard);
        self.settle(vec![Pending {
            id,
            slot: handle.clone(),
            staged,
        }])
        .await
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
        if !matches!(slot.doc, Some(Some(_))) {
            return;
        }
        let slot = &mut *slot;
        for (conn, outbox) in std::mem::take(&mut slot.waiting) {
            let access = self.shared.access(&outbox.person, id);
            if access == Access::None || slot.peers.contains_key(&conn) {
                continue;
            }
            let mut state = sync::State::new();
            state.set_read_only(access != Access::Write);
            slot.peers.insert(conn, (state, outbox));
        }
        slot.answer_everyone(id);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;
    use crate::disk::{Disk, RealDisk};
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;
    use std::path::Path;
    use std::sync::Condvar;
    use std::time::Duration;

    /// The real disk, whose syncs wait while the gate is shut.
    struct Gated {
        disk: RealDisk,
        shut: Mutex<bool>,
        opened: Condvar,
        /// Syncs begun and not yet let through.
        held: std::sync::atomic::AtomicUsize,
    }

    impl Gated {
        fn set(&self, shut: bool) {
            *self.shut.lock().unwrap() = shut;
            self.opened.notify_all();
        }
    }

    impl Disk for Gated {
        fn create_dir_all(&self, path: &Path) -> std::io::Result<()> {
            self.disk.create_dir_all(path)
        }
        fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
            self.disk.write(path, bytes)
        }
        fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
            self.disk.rename(from, to)
        }
        fn remove_file(&self, path: &Path) -> std::io::Result<()> {
            self.disk.remove_file(path)
        }
        fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
            self.disk.read(path)
        }
        fn list(&self, path: &Path) -> std::io::Result<Vec<String>> {
            self.disk.list(path)
        }
        fn exists(&self, path: &Path) -> std::io::Result<bool> {
            self.disk.exists(path)
        }
        fn sync(&self) -> std::io::Result<()> {
            use std::sync::atomic::Ordering::SeqCst;
            self.held.fetch_add(1, SeqCst);
            let shut = self.shut.lock().unwrap();
            drop(self.opened.wait_while(shut, |shut| *shut).unwrap());
            self.held.fetch_sub(1, SeqCst);
            self.disk.sync()
        }
    }

    struct Reopens(Arc<Gated>);

    impl Drop for Reopens {
        fn drop(&mut self) {
            self.0.set(false);
        }
    }

    /// One device of the person, speaking to the hub as its connection would.
    struct Device {
        doc: Automerge,
        state: sync::State,
        outbox: Outbox,
        frames: mpsc::Receiver<Vec<u8>>,
    }

    impl Device {
        fn new(conn: ConnId, person: &PersonId) -> Device {
            let (frames, received) = mpsc::channel(64);
            let (cut, _) = mpsc::unbounded_channel();
            Device {
                doc: Automerge::new(),
                state: sync::State::new(),
                outbox: Outbox {
                    conn,
                    person: person.clone(),
                    peer: format!("{person}~{conn}"),
                    frames,
                    cut,
                },
                frames: received,
            }
        }

        fn edit(&mut self, key: &str) -> automerge::ChangeHash {
            let mut tx = self.doc.transaction();
            tx.put(automerge::ROOT, key, true).unwrap();
            tx.commit().0.unwrap()
        }

        /// Takes in whatever the relay has sent.
        fn take_in(&mut self) {
            while let Ok(bytes) = self.frames.try_recv() {
                if let Ok(Message::Sync(m)) = Message::decode(&bytes) {
                    let message = sync::Message::decode(&m.data).unwrap();
                    self.doc
                        .receive_sync_message(&mut self.state, message)
                        .unwrap();
                }
            }
        }

        fn next_message(&mut self, id: DocumentId) -> Option<DocumentMessage> {
            let message = self.doc.generate_sync_message(&mut self.state)?;
            Some(DocumentMessage {
                sender: self.outbox.peer.clone(),
                target: RELAY_PEER.into(),
                document: id,
                data: message.encode(),
            })
        }

        /// Sends the relay what it lacks, the relay's changes taken in, until neither has more.
        async fn sync_fully(&mut self, hub: &Hub, id: DocumentId) {
            for _ in 0..100 {
                self.take_in();
                let Some(m) = self.next_message(id) else {
                    return;
                };
                if let Received::Pending(p) = hub.receive(&self.outbox, m, false).await.unwrap() {
                    hub.settle(vec![p]).await.unwrap();
                }
            }
            panic!("{} and the relay never finish syncing", self.outbox.peer);
        }

        /// Sends what the device has new; the hub must take it at once.
        async fn send_promptly(&mut self, hub: &Hub, id: DocumentId) -> Received {
            let m = self.next_message(id).expect("something to send");
            tokio::time::timeout(Duration::from_secs(10), hub.receive(&self.outbox, m, false))
                .await
                .expect("the document is not held while a sync runs")
                .unwrap()
        }

        /// Sends a change, which must wait for a sync, and syncs it in the background.
        async fn send_for_later(
            &mut self,
            hub: &Arc<Hub>,
            id: DocumentId,
        ) -> tokio::task::JoinHandle<Result<(), HubError>> {
            let Received::Pending(pending) = self.send_promptly(hub, id).await else {
                panic!(
                    "{}'s change is written and waits for a sync",
                    self.outbox.peer
                );
            };
            let hub = hub.clone();
            tokio::spawn(async move { hub.settle(vec![pending]).await })
        }

        fn has(&self, change: &automerge::ChangeHash) -> bool {
            self.doc.get_change_by_hash(change).is_some()
        }
    }

    /// A change waiting for the disk holds nobody else up, and nobody hears of it (nor of
    /// anything else of the document) until the sync has ended.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nobody_hears_of_a_change_before_it_is_synced_and_nobody_waits_for_it() {
        let dir = crate::empty_test_dir("hub-gated");
        let shared = Arc::new(Shared::open(&dir, Limits::default()).unwrap());
        let (person, _) = shared
            .edit_people(|book| book.add("Wen Li", "wen@example.org", "IT", "requester"))
            .unwrap();
        let documents = dir.join("documents");
        let gated = Arc::new(Gated {
            disk: RealDisk::open(&documents).unwrap(),
            shut: Mutex::new(false),
            opened: Condvar::new(),
            held: Default::default(),
        });
        let (backlog, _owed) = Backlog::open(&dir).unwrap();
        let hub = Arc::new(Hub::new(
            DocStore::open(&documents).unwrap(),
            Durability::new(gated.clone(), true),
            shared,
            Arc::new(backlog),
        ));
        let id = DocumentId::from_bytes([7; 16]);
        let (mut laptop, mut phone) = (Device::new(1, &person.id), Device::new(2, &person.id));
        let first = laptop.edit("filed");
        laptop.sync_fully(&hub, id).await;
        phone.sync_fully(&hub, id).await;
        assert!(phone.has(&first), "the phone has the document");

        gated.set(true);
        // Opened again however the test ends, or the runtime waits for the held sync forever.
        let _opens = Reopens(gated.clone());
        let from_laptop = laptop.edit("from laptop");
        let settling = laptop.send_for_later(&hub, id).await;
        // The phone connects afresh meanwhile: answered by nobody until the sync ends.
        let mut reconnected = Device::new(3, &person.id);
        reconnected.doc = phone.doc.fork();
        let received = reconnected.send_promptly(&hub, id).await;
        assert!(matches!(received, Received::Done));
        // And changes it on its first connection: taken at once, not held behind the sync.
        let from_phone = phone.edit("from phone");
        let settling_too = phone.send_for_later(&hub, id).await;
        while gated.held.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        laptop.take_in();
        phone.take_in();
        reconnected.take_in();
        assert!(
            !reconnected.has(&from_laptop),
            "a device heard of an unsynced change"
        );
        assert!(
            !phone.has(&from_laptop),
            "the phone heard of an unsynced change"
        );
        assert!(
            !laptop.has(&from_phone),
            "the laptop heard of an unsynced change"
        );

        gated.set(false);
        settling.await.unwrap().unwrap();
        settling_too.await.unwrap().unwrap();
        laptop.sync_fully(&hub, id).await;
        phone.sync_fully(&hub, id).await;
        reconnected.sync_fully(&hub, id).await;
        assert!(phone.has(&from_laptop) && laptop.has(&from_phone));
        assert!(reconnected.has(&from_laptop) && reconnected.has(&from_phone));
    }
}

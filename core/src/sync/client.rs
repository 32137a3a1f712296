//! The client side of the automerge-repo protocol as a state machine: bytes and events in, bytes to
//! send and documents changed out. It owns no socket and no clock, so the browser's WebSocket adapter,
//! the native load generator and the tests all drive the same code.

use super::wire::{DocumentMessage, Message, WireError};
use crate::domain::DocumentId;
use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use std::collections::{BTreeMap, HashMap};

/// The documents this device holds. The client borrows them only while it works.
pub trait Replica {
    /// A document this device holds, or `None` if it has not got it yet.
    fn doc_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit>;
    /// A document this device asked for arrived for the first time.
    fn adopt(&mut self, id: DocumentId, doc: AutoCommit);
}

/// Work for the adapter, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes to send to the server.
    Send(Vec<u8>),
    /// A document received changes from the server (or arrived for the first time).
    Changed(DocumentId),
    /// The server does not have the document or will not share it with this person.
    Unavailable(DocumentId),
    /// The server shares the document but ignores this person's changes to it.
    ReadOnly(DocumentId),
}

/// What the person sees about sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    Offline,
    /// Connected, with this many documents not yet in step with the server.
    Syncing(usize),
    UpToDate,
}

/// Why the connection must be dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the server sent a malformed message: {0}")]
    Malformed(#[from] WireError),
    #[error("the server refused the connection: {0}")]
    Refused(String),
    #[error("the server sent a bad sync message for {0}")]
    BadSync(DocumentId),
    #[error("the server sent {0} before the handshake finished")]
    BeforeHandshake(String),
}

#[derive(Default)]
struct Tracked {
    state: sync::State,
    unavailable: bool,
    read_only: bool,
    /// This device's heads when it last spoke about the document.
    ours: Vec<ChangeHash>,
    /// The document as far as it has arrived, while this device does not have it yet.
    arriving: Option<AutoCommit>,
}

/// One connection's worth of protocol state, kept across reconnects (the tracked documents stay).
pub struct SyncClient {
    me: String,
    server: Option<String>,
    docs: BTreeMap<DocumentId, Tracked>,
}

impl SyncClient {
    /// A client that calls itself `me` on the wire (the relay checks it against the sign-in).
    pub fn new(me: impl Into<String>) -> Self {
        Self {
            me: me.into(),
            server: None,
            docs: BTreeMap::new(),
        }
    }

    /// Starts a new connection: every document starts its sync afresh once the server answers.
    pub fn hello(&mut self) -> Vec<u8> {
        self.server = None;
        for tracked in self.docs.values_mut() {
            tracked.state = sync::State::new();
            tracked.unavailable = false;
        }
        Message::Join {
            sender: self.me.clone(),
        }
        .encode()
    }

    pub fn disconnected(&mut self) {
        self.server = None;
    }

    pub fn is_connected(&self) -> bool {
        self.server.is_some()
    }

    /// Keeps `id` in step with the server from now on, fetching it if this device lacks it.
    pub fn track(&mut self, id: DocumentId, replica: &mut impl Replica) -> Vec<Output> {
        self.docs.entry(id).or_default();
        self.changed_locally(id, replica)
    }

    /// Tells the server about a change made on this device.
    pub fn changed_locally(&mut self, id: DocumentId, replica: &mut impl Replica) -> Vec<Output> {
        let mut out = Vec::new();
        self.offer(id, replica, &mut out);
        out
    }

    pub fn is_tracked(&self, id: DocumentId) -> bool {
        self.docs.contains_key(&id)
    }

    /// The server has told us it holds every change this device has of `id`.
    pub fn is_settled(&self, id: DocumentId) -> bool {
        self.server.is_some() && self.docs.get(&id).is_some_and(settled)
    }

    pub fn status(&self) -> SyncStatus {
        if self.server.is_none() {
            return SyncStatus::Offline;
        }
        match self
            .docs
            .values()
            .filter(|t| !t.unavailable && !settled(t))
            .count()
        {
            0 => SyncStatus::UpToDate,
            n => SyncStatus::Syncing(n),
        }
    }

    /// Handles one message from the server.
    pub fn receive(
        &mut self,
        bytes: &[u8],
        replica: &mut impl Replica,
    ) -> Result<Vec<Output>, ProtocolError> {
        let message = Message::decode(bytes)?;
        let mut out = Vec::new();
        match message {
            Message::Peer { sender, .. } => {
                self.server = Some(sender);
                let ids: Vec<DocumentId> = self.docs.keys().copied().collect();
                for id in ids {
                    self.offer(id, replica, &mut out);
                }
            }
            Message::Error { message } => return Err(ProtocolError::Refused(message)),
            other if self.server.is_none() => {
                return Err(ProtocolError::BeforeHandshake(other.kind().to_string()))
            }
            Message::Sync(m) | Message::Request(m) => self.apply(m, replica, &mut out)?,
            Message::DocUnavailable { document, .. } => {
                if let Some(tracked) = self.docs.get_mut(&document) {
                    tracked.unavailable = true;
                    out.push(Output::Unavailable(document));
                }
            }
            Message::Join { .. } | Message::Other { .. } => {}
        }
        Ok(out)
    }

    fn apply(
        &mut self,
        m: DocumentMessage,
        replica: &mut impl Replica,
        out: &mut Vec<Output>,
    ) -> Result<(), ProtocolError> {
        let id = m.document;
        let message = sync::Message::decode(&m.data).map_err(|_| ProtocolError::BadSync(id))?;
        let tracked = self.docs.entry(id).or_default();
        tracked.unavailable = false;
        let held = replica.doc_mut(id).is_some();
        let doc = match replica.doc_mut(id) {
            Some(doc) => doc,
            None => tracked.arriving.get_or_insert_with(AutoCommit::new),
        };
        let before = doc.get_heads();
        doc.sync()
            .receive_sync_message(&mut tracked.state, message)
            .map_err(|_| ProtocolError::BadSync(id))?;
        let grew = doc.get_heads() != before;
        if tracked.state.is_peer_read_only() != tracked.read_only {
            tracked.read_only = tracked.state.is_peer_read_only();
            if tracked.read_only {
                out.push(Output::ReadOnly(id));
            }
        }
        if !held && grew {
            let arrived = tracked
                .arriving
                .take()
                .expect("an arriving document was just used");
            replica.adopt(id, arrived);
        }
        if grew {
            out.push(Output::Changed(id));
        }
        self.offer(id, replica, out);
        Ok(())
    }

    /// Sends whatever the server still lacks of `id`, if connected.
    fn offer(&mut self, id: DocumentId, replica: &mut impl Replica, out: &mut Vec<Output>) {
        let (Some(server), Some(tracked)) = (&self.server, self.docs.get_mut(&id)) else {
            return;
        };
        let have_it = replica.doc_mut(id).is_some();
        let doc = match replica.doc_mut(id) {
            Some(doc) => doc,
            None => tracked.arriving.get_or_insert_with(AutoCommit::new),
        };
        tracked.ours = doc.get_heads();
        let message = doc.sync().generate_sync_message(&mut tracked.state);
        let Some(message) = message else { return };
        let body = DocumentMessage {
            sender: self.me.clone(),
            target: server.clone(),
            document: id,
            data: message.encode(),
        };
        let message = if have_it {
            Message::Sync(body)
        } else {
            Message::Request(body)
        };
        out.push(Output::Send(message.encode()));
    }
}

/// In step: the server has told us its heads, and they are ours.
fn settled(tracked: &Tracked) -> bool {
    let Some(theirs) = &tracked.state.their_heads else {
        return false;
    };
    let mut theirs = theirs.clone();
    theirs.sort();
    let mut ours = tracked.ours.clone();
    ours.sort();
    theirs == ours
}

/// Documents held in memory: what the native load generator and the tests use as a replica.
#[derive(Default)]
pub struct MemoryReplica {
    pub docs: HashMap<DocumentId, AutoCommit>,
}

impl Replica for MemoryReplica {
    fn doc_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit> {
        self.docs.get_mut(&id)
    }

    fn adopt(&mut self, id: DocumentId, doc: AutoCommit) {
        self.docs.insert(id, doc);
    }
}

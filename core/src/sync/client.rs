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
    /// The server now holds every change this device has of the document.
    Settled(DocumentId),
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
    /// Whether the server had all of `ours` when last checked.
    settled: bool,
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
            tracked.settled = false;
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

    /// The server's name on the wire, once it has answered.
    pub fn server(&self) -> Option<&str> {
        self.server.as_deref()
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
        self.server.is_some() && self.docs.get(&id).is_some_and(|t| t.settled)
    }

    pub fn status(&self) -> SyncStatus {
        if self.server.is_none() {
            return SyncStatus::Offline;
        }
        match self
            .docs
            .values()
            .filter(|t| !t.unavailable && !t.settled)
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
        let message = super::checked::decode_sync(&m.data, super::checked::MAX_INFLATED_BYTES)
            .map_err(|_| ProtocolError::BadSync(id))?;
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
        if let Some(tracked) = self.docs.get_mut(&id) {
            // A document the server only lets this person read settles once this device has
            // everything the server has: changes made here are refused (and reported as such),
            // so waiting for the server to hold them would never end.
            let now = settled(tracked)
                || (tracked.read_only && holds_all_theirs(replica.doc_mut(id), &tracked.state));
            if now && !tracked.settled {
                out.push(Output::Settled(id));
            }
            tracked.settled = now;
        }
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
        // Only ever unsettles here: settling is news the caller reports (`Output::Settled`), so
        // it is noticed where the server's word arrives, in `apply`.
        if !in_step(&tracked.state, &tracked.ours) {
            tracked.settled = false;
        }
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
    in_step(&tracked.state, &tracked.ours)
}

/// Whether this device's copy has every change the server said it has.
fn holds_all_theirs(doc: Option<&mut AutoCommit>, state: &sync::State) -> bool {
    match (doc, &state.their_heads) {
        (Some(doc), Some(theirs)) => theirs.iter().all(|h| doc.get_change_by_hash(h).is_some()),
        _ => false,
    }
}

fn in_step(state: &sync::State, ours: &[ChangeHash]) -> bool {
    let Some(theirs) = &state.their_heads else {
        return false;
    };
    theirs.len() == ours.len() && theirs.iter().all(|h| ours.contains(h))
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

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;
    use std::collections::HashSet;

    /// The server side of the protocol, just enough to exercise the client: answers `join`,
    /// holds documents, and says `doc-unavailable` for a request it cannot serve.
    #[derive(Default)]
    struct TinyServer {
        docs: HashMap<DocumentId, AutoCommit>,
        states: HashMap<(String, DocumentId), sync::State>,
        /// Peers whose changes to a document are ignored, as the relay does for readers.
        readers: HashSet<(String, DocumentId)>,
    }

    impl TinyServer {
        fn handle(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
            match Message::decode(bytes).unwrap() {
                Message::Join { sender } => {
                    vec![Message::Peer {
                        sender: "server".into(),
                        target: sender,
                    }
                    .encode()]
                }
                Message::Request(m) if !self.docs.contains_key(&m.document) => {
                    vec![Message::DocUnavailable {
                        sender: "server".into(),
                        target: m.sender,
                        document: m.document,
                    }
                    .encode()]
                }
                Message::Sync(m) | Message::Request(m) => {
                    let doc = self.docs.entry(m.document).or_default();
                    let key = (m.sender.clone(), m.document);
                    let reader = self.readers.contains(&key);
                    let state = self.states.entry(key).or_insert_with(|| {
                        let mut state = sync::State::new();
                        state.set_read_only(reader);
                        state
                    });
                    let message = sync::Message::decode(&m.data).unwrap();
                    doc.sync().receive_sync_message(state, message).unwrap();
                    let reply = doc.sync().generate_sync_message(state);
                    reply
                        .map(|r| {
                            Message::Sync(DocumentMessage {
                                sender: "server".into(),
                                target: m.sender,
                                document: m.document,
                                data: r.encode(),
                            })
                            .encode()
                        })
                        .into_iter()
                        .collect()
                }
                _ => Vec::new(),
            }
        }
    }

    /// Delivers messages both ways until nobody has anything to say.
    fn converse(
        server: &mut TinyServer,
        client: &mut SyncClient,
        replica: &mut MemoryReplica,
        first: Vec<Output>,
    ) -> Vec<Output> {
        let mut seen = Vec::new();
        let mut to_server: Vec<Vec<u8>> = Vec::new();
        let mut pending = first;
        loop {
            for output in pending.drain(..) {
                match output {
                    Output::Send(bytes) => to_server.push(bytes),
                    other => seen.push(other),
                }
            }
            if to_server.is_empty() {
                return seen;
            }
            for bytes in std::mem::take(&mut to_server) {
                for reply in server.handle(&bytes) {
                    pending.extend(client.receive(&reply, replica).unwrap());
                }
            }
        }
    }

    fn note(text: &str) -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(automerge::ROOT, "note", text).unwrap();
        doc.commit();
        doc
    }

    #[test]
    fn a_reader_whose_changes_are_refused_is_still_up_to_date_once_it_has_everything() {
        let id = DocumentId::from_bytes([2; 16]);
        let mut server = TinyServer::default();
        server.docs.insert(id, note("状态：处理中"));
        server.readers.insert(("wang~laptop".into(), id));
        let (mut wang, mut docs) = (SyncClient::new("wang~laptop"), MemoryReplica::default());
        // Worked on before signing in: she changed the team's part, which she may only read.
        let mut mine = server.docs[&id].clone();
        mine.put(automerge::ROOT, "note", "状态：已解决").unwrap();
        docs.docs.insert(id, mine);
        wang.track(id, &mut docs);
        let hello = wang.hello();
        let seen = converse(&mut server, &mut wang, &mut docs, vec![Output::Send(hello)]);
        assert!(seen.contains(&Output::ReadOnly(id)), "{seen:?}");
        assert_eq!(
            wang.status(),
            SyncStatus::UpToDate,
            "not 'syncing' for ever: the refused change will never be taken"
        );
        let kept = server.docs[&id]
            .get(automerge::ROOT, "note")
            .unwrap()
            .unwrap();
        assert_eq!(
            kept.0.to_string(),
            "\"状态：处理中\"",
            "the server ignored her change"
        );
    }

    #[test]
    fn a_document_made_offline_reaches_another_device_through_the_server() {
        let id = DocumentId::from_bytes([1; 16]);
        let mut server = TinyServer::default();
        let (mut laptop, mut laptop_docs) =
            (SyncClient::new("wang~laptop"), MemoryReplica::default());
        laptop_docs.docs.insert(id, note("出差报销"));
        assert!(
            laptop.track(id, &mut laptop_docs).is_empty(),
            "offline: nothing is sent"
        );
        assert_eq!(laptop.status(), SyncStatus::Offline);

        let hello = laptop.hello();
        let seen = converse(
            &mut server,
            &mut laptop,
            &mut laptop_docs,
            vec![Output::Send(hello)],
        );
        assert_eq!(laptop.status(), SyncStatus::UpToDate);
        assert!(laptop.is_settled(id));
        assert_eq!(
            seen.iter().filter(|o| **o == Output::Settled(id)).count(),
            1,
            "the page is told once, so the document leaves its outbox: {seen:?}"
        );

        // A later change unsettles it until the server has it, and is reported settled again.
        laptop_docs
            .docs
            .get_mut(&id)
            .unwrap()
            .put(automerge::ROOT, "note", "出差报销（已改）")
            .unwrap();
        let outputs = laptop.changed_locally(id, &mut laptop_docs);
        assert!(!laptop.is_settled(id));
        let seen = converse(&mut server, &mut laptop, &mut laptop_docs, outputs);
        assert!(seen.contains(&Output::Settled(id)), "{seen:?}");
        assert!(laptop.is_settled(id));

        let (mut phone, mut phone_docs) = (SyncClient::new("wang~phone"), MemoryReplica::default());
        let hello = phone.hello();
        converse(
            &mut server,
            &mut phone,
            &mut phone_docs,
            vec![Output::Send(hello)],
        );
        let outputs = phone.track(id, &mut phone_docs);
        let seen = converse(&mut server, &mut phone, &mut phone_docs, outputs);
        assert!(seen.contains(&Output::Changed(id)));
        let text = phone_docs.docs[&id]
            .get(automerge::ROOT, "note")
            .unwrap()
            .unwrap()
            .0
            .to_string();
        assert!(text.contains("出差报销"), "{text}");
        assert_eq!(phone.status(), SyncStatus::UpToDate);
    }

    #[test]
    fn a_document_the_server_lacks_is_reported_unavailable() {
        let id = DocumentId::from_bytes([2; 16]);
        let mut server = TinyServer::default();
        let (mut client, mut docs) = (SyncClient::new("li~desk"), MemoryReplica::default());
        let hello = client.hello();
        converse(
            &mut server,
            &mut client,
            &mut docs,
            vec![Output::Send(hello)],
        );
        let outputs = client.track(id, &mut docs);
        let seen = converse(&mut server, &mut client, &mut docs, outputs);
        assert_eq!(seen, vec![Output::Unavailable(id)]);
        assert_eq!(
            client.status(),
            SyncStatus::UpToDate,
            "an unavailable document is not pending"
        );
    }

    #[test]
    fn bad_server_messages_end_the_connection_with_the_reason() {
        let mut docs = MemoryReplica::default();
        let mut client = SyncClient::new("li~desk");
        client.hello();
        let early = Message::DocUnavailable {
            sender: "s".into(),
            target: "li~desk".into(),
            document: DocumentId::from_bytes([3; 16]),
        };
        assert!(matches!(
            client.receive(&early.encode(), &mut docs),
            Err(ProtocolError::BeforeHandshake(_))
        ));
        assert!(matches!(
            client.receive(&[0xff], &mut docs),
            Err(ProtocolError::Malformed(_))
        ));
        let refused = Message::Error {
            message: "revoked".into(),
        }
        .encode();
        assert_eq!(
            client.receive(&refused, &mut docs),
            Err(ProtocolError::Refused("revoked".into()))
        );
        client
            .receive(
                &Message::Peer {
                    sender: "s".into(),
                    target: "li~desk".into(),
                }
                .encode(),
                &mut docs,
            )
            .unwrap();
        let garbage_sync = Message::Sync(DocumentMessage {
            sender: "s".into(),
            target: "li~desk".into(),
            document: DocumentId::from_bytes([4; 16]),
            data: vec![9, 9, 9],
        });
        assert!(matches!(
            client.receive(&garbage_sync.encode(), &mut docs),
            Err(ProtocolError::BadSync(_))
        ));
    }
}

//! What the fuzz targets feed bytes to, kept in one file that the targets and the regression test
//! (`core/tests/fuzz_corpus.rs`) both include, so a crasher found by the fuzzer is replayed by
//! `cargo test` exactly as the fuzzer ran it.

use automerge::sync::{self, SyncDoc};
use automerge::Automerge;
use innerdesk_core::sync::checked;
use innerdesk_core::sync::fanout::{self, Subscribers};
use innerdesk_core::sync::{MemoryReplica, Message, SyncClient};

/// The relay's handling of one frame from a signed-in connection: the wire message decoded, a
/// sync message in it decoded and applied to a document the relay holds, and the answers made.
pub fn relay_message(frame: &[u8]) {
    let Ok(message) = Message::decode(frame) else {
        return;
    };
    let (Message::Sync(m) | Message::Request(m)) = message else {
        return;
    };
    let Ok(sync_message) = checked::decode_sync(&m.data, checked::MAX_INFLATED_BYTES) else {
        return;
    };
    static HELD: std::sync::OnceLock<Automerge> = std::sync::OnceLock::new();
    let mut doc = HELD.get_or_init(held_document).clone();
    let mut subscribers: Subscribers<()> = Subscribers::new();
    subscribers.insert(1, (sync::State::new(), ()));
    subscribers.insert(2, (sync::State::new(), ()));
    let (state, _) = subscribers.get_mut(&1).expect("inserted above");
    if doc.receive_sync_message(state, sync_message).is_ok() {
        fanout::answer_everyone(&doc, &mut subscribers, |_, data| {
            sync::Message::decode(&data).expect("the relay's own answers decode");
        });
    }
}

/// The page's client fed a stream of frames from the server (each a little-endian u16 length,
/// then that many bytes), after a handshake, with a document held and one it is waiting for.
pub fn client_protocol(input: &[u8]) {
    let mut client = SyncClient::new("fuzz~device");
    let mut replica = MemoryReplica::default();
    let held = innerdesk_core::domain::DocumentId::from_bytes([1; 16]);
    let wanted = innerdesk_core::domain::DocumentId::from_bytes([2; 16]);
    static HELD: std::sync::OnceLock<automerge::AutoCommit> = std::sync::OnceLock::new();
    let doc =
        HELD.get_or_init(|| automerge::AutoCommit::load(&held_document().save()).expect("loads"));
    replica.docs.insert(held, doc.clone());
    client.hello();
    let peer = Message::Peer {
        sender: "innerdesk-relay".into(),
        target: "fuzz~device".into(),
    };
    client
        .receive(&peer.encode(), &mut replica)
        .expect("a handshake");
    client.track(held, &mut replica);
    client.track(wanted, &mut replica);
    let mut rest = input;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let frame = &rest[2..2 + len];
        rest = &rest[2 + len..];
        if client.receive(frame, &mut replica).is_err() {
            // The page drops the connection and starts again.
            client.disconnected();
            client.hello();
            client
                .receive(&peer.encode(), &mut replica)
                .expect("a handshake");
        }
        let _ = client.status();
    }
}

/// A small document with a little history, like a ticket the relay holds.
fn held_document() -> Automerge {
    use automerge::transaction::Transactable;
    let mut doc = automerge::AutoCommit::new();
    doc.set_actor(automerge::ActorId::from([7u8; 16]));
    doc.put(automerge::ROOT, "kind", "ticket").expect("put");
    doc.commit();
    doc.put(automerge::ROOT, "status", "new").expect("put");
    doc.commit();
    Automerge::load(&doc.save()).expect("loads")
}

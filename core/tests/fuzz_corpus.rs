//! Replays the fuzzers' seed corpus and every crasher they ever found (`core/fuzz/corpus/<target>`,
//! `core/fuzz/regressions/<target>`) through the same harness the fuzz targets run, so a fixed
//! crash stays fixed under plain `cargo test`.
//!
//! The seeds are real protocol traffic; `cargo test -p innerdesk-core --test fuzz_corpus --
//! --ignored` writes them afresh.

#[path = "../fuzz/harness.rs"]
mod harness;

use automerge::sync::{self, SyncDoc};
use automerge::{transaction::Transactable, AutoCommit, ROOT};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::sync::wire::DocumentMessage;
use innerdesk_core::sync::{MemoryReplica, Message, Output, SyncClient};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every input kept for a target; there must be seeds.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            found.push((path.clone(), std::fs::read(path).unwrap()));
        }
    }
    assert!(found.len() >= 5, "the seed corpus of {target} is missing");
    found
}

#[test]
fn every_relay_message_input_kept_is_handled_without_a_crash() {
    for (path, bytes) in inputs("relay_message") {
        eprintln!("{}", path.display());
        harness::relay_message(&bytes);
    }
}

#[test]
fn every_client_protocol_input_kept_is_handled_without_a_crash() {
    for (path, bytes) in inputs("client_protocol") {
        eprintln!("{}", path.display());
        harness::client_protocol(&bytes);
    }
}

/// Frames with the u16 length prefix `client_protocol` splits its input by.
fn framed(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        out.extend_from_slice(&(frame.len() as u16).to_le_bytes());
        out.extend_from_slice(frame);
    }
    out
}

fn sync_from(sender: &str, target: &str, document: DocumentId, data: Vec<u8>) -> Vec<u8> {
    Message::Sync(DocumentMessage {
        sender: sender.into(),
        target: target.into(),
        document,
        data,
    })
    .encode()
}

#[test]
#[ignore = "writes the seed corpus; run by hand"]
fn write_seed_corpus() {
    let held = DocumentId::from_bytes([1; 16]);
    let wanted = DocumentId::from_bytes([2; 16]);
    let me = "fuzz~device";
    let relay = "innerdesk-relay";

    // A real exchange: the client asks for a document the server holds, and offers one it has.
    let mut server_doc = AutoCommit::new();
    server_doc.put(ROOT, "kind", "ticket").unwrap();
    let comments = server_doc
        .put_object(ROOT, "comments", automerge::ObjType::List)
        .unwrap();
    server_doc.insert(&comments, 0, "VPN 连不上").unwrap();
    server_doc.commit();
    let mut client = SyncClient::new(me);
    let mut replica = MemoryReplica::default();
    let mut mine = AutoCommit::new();
    mine.put(ROOT, "status", "in_progress").unwrap();
    mine.commit();
    replica.docs.insert(held, mine);
    let hello = client.hello();
    let peer = Message::Peer {
        sender: relay.into(),
        target: me.into(),
    }
    .encode();
    let mut from_client = vec![hello];
    let mut from_server = vec![peer.clone()];
    let mut outputs = client.receive(&peer, &mut replica).unwrap();
    outputs.extend(client.track(held, &mut replica));
    outputs.extend(client.track(wanted, &mut replica));
    let mut server_state = sync::State::new();
    for _ in 0..4 {
        let mut next = Vec::new();
        for output in outputs {
            let Output::Send(bytes) = output else {
                continue;
            };
            from_client.push(bytes.clone());
            let (Message::Sync(m) | Message::Request(m)) = Message::decode(&bytes).unwrap() else {
                continue;
            };
            if m.document != wanted {
                continue;
            }
            let message = sync::Message::decode(&m.data).unwrap();
            server_doc
                .sync()
                .receive_sync_message(&mut server_state, message)
                .unwrap();
            if let Some(answer) = server_doc.sync().generate_sync_message(&mut server_state) {
                let frame = sync_from(relay, me, wanted, answer.encode());
                from_server.push(frame.clone());
                next.extend(client.receive(&frame, &mut replica).unwrap());
            }
        }
        outputs = next;
    }
    let unavailable = Message::DocUnavailable {
        sender: relay.into(),
        target: me.into(),
        document: wanted,
    }
    .encode();
    let error = Message::Error {
        message: "message of 9000000 bytes is over the limit".into(),
    }
    .encode();

    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    for (i, frame) in from_client.iter().enumerate() {
        write("relay_message", &format!("client-frame-{i}"), frame);
    }
    write("relay_message", "server-peer", &from_server[0]);
    write("relay_message", "unavailable", &unavailable);
    write("relay_message", "not-cbor", b"\xff\x00garbage");
    for (i, frame) in from_server.iter().enumerate() {
        write(
            "client_protocol",
            &format!("server-frame-{i}"),
            &framed(std::slice::from_ref(frame)),
        );
    }
    write("client_protocol", "whole-exchange", &framed(&from_server));
    let twice: Vec<Vec<u8>> = from_server
        .iter()
        .chain(&from_server[1..])
        .cloned()
        .collect();
    write("client_protocol", "delivered-twice", &framed(&twice));
    write(
        "client_protocol",
        "unavailable-then-error",
        &framed(&[unavailable, error]),
    );
}

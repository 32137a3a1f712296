//! Bad input closes only the connection that sent it, with an `error` message that says why; the
//! relay keeps serving everyone else and nothing stored is harmed.

mod common;

use automerge::transaction::Transactable;
use common::{add_person, page_dir, temp_dir, Peer, Relay};
use innerdesk_core::domain::DocumentId;
use minicbor::Encoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as Frame;

struct Setup {
    relay: Relay,
    token: String,
    person: String,
}

fn relay_with(extra: &[&str]) -> Setup {
    let data = temp_dir("hostile");
    let token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start_with(&page_dir(), &data, "127.0.0.1:0", extra);
    let (person, _) = relay.session(&token);
    Setup {
        relay,
        token,
        person,
    }
}

impl Setup {
    async fn peer(&self, device: &str) -> Peer {
        Peer::connect(&self.relay.addr, &self.token, &self.person, device)
            .await
            .unwrap()
    }

    /// A document this person made and synced, to show later that it is intact.
    async fn synced_document(&self) -> DocumentId {
        let mut peer = self.peer("keeper").await;
        let id = DocumentId::from_bytes([9; 16]);
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "note", "kept").unwrap();
        peer.replica.docs.insert(id, doc);
        peer.track(id).await;
        assert!(peer.up_to_date(10).await);
        id
    }

    async fn still_serves(&self, id: DocumentId) {
        let mut fresh = self.peer("fresh").await;
        fresh.track(id).await;
        assert!(
            fresh.until(|p| p.replica.docs.contains_key(&id), 10).await,
            "the stored document is intact"
        );
    }
}

/// Sends one frame and waits for the relay to close the connection with a reason.
async fn cut_for(peer: &mut Peer, frame: Frame) -> String {
    peer.send_frame(frame).await;
    assert!(
        peer.until(|p| p.is_closed(), 10).await,
        "the connection is closed"
    );
    peer.errors.join("; ")
}

fn cbor_type(kind: &str) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.map(1).unwrap().str("type").unwrap().str(kind).unwrap();
    e.into_writer()
}

#[tokio::test]
async fn malformed_unknown_and_text_frames_close_only_their_connection() {
    let setup = relay_with(&[]);
    let kept = setup.synced_document().await;
    let mut bystander = setup.peer("bystander").await;

    let mut bad = setup.peer("bad").await;
    let why = cut_for(&mut bad, Frame::Binary(vec![0xff, 0x00, 0x13].into())).await;
    assert!(why.contains("malformed message"), "{why}");

    let mut odd = setup.peer("odd").await;
    let why = cut_for(&mut odd, Frame::Binary(cbor_type("make-me-admin").into())).await;
    assert!(
        why.contains("unknown message type \"make-me-admin\""),
        "{why}"
    );

    let mut chatty = setup.peer("chatty").await;
    let why = cut_for(&mut chatty, Frame::Text("hello".into())).await;
    assert!(why.contains("text frames"), "{why}");

    bystander.track(kept).await;
    assert!(
        bystander
            .until(|p| p.replica.docs.contains_key(&kept), 10)
            .await,
        "others are still served"
    );
    setup.still_serves(kept).await;
    let (_, _, metrics) = setup.relay.get("/metrics");
    assert!(
        metrics.contains("innerdesk_connections_cut_total 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn oversize_messages_and_too_many_documents_are_refused() {
    let setup = relay_with(&[
        "--max-message-bytes",
        "4000",
        "--max-documents-per-connection",
        "3",
    ]);
    let kept = setup.synced_document().await;

    let mut big = setup.peer("big").await;
    let id = DocumentId::from_bytes([1; 16]);
    let mut doc = automerge::AutoCommit::new();
    // Varied text, so compression cannot shrink it under the limit.
    let pasted: String = (0..5_000u32)
        .map(|i| char::from_u32(0x4e00 + (i * 7919) % 20_000).unwrap())
        .collect();
    doc.put(automerge::ROOT, "pasted", pasted).unwrap();
    big.replica.docs.insert(id, doc);
    big.track(id).await;
    assert!(big.until(|p| p.is_closed(), 10).await);
    assert!(
        big.errors
            .join(" ")
            .contains("over the limit of 4000 bytes"),
        "{:?}",
        big.errors
    );

    let mut greedy = setup.peer("greedy").await;
    for n in 10..14u8 {
        greedy.track(DocumentId::from_bytes([n; 16])).await;
    }
    assert!(greedy.until(|p| p.is_closed(), 10).await);
    assert!(
        greedy.errors.join(" ").contains("more than 3 documents"),
        "{:?}",
        greedy.errors
    );
    setup.still_serves(kept).await;
}

/// One raw HTTP request from a chosen loopback address.
async fn session_from(source: &str, addr: &str, token: &str) -> u16 {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let request = format!("GET /api/session HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_flood_of_wrong_tokens_is_turned_away_while_others_sign_in() {
    let setup = relay_with(&["--failed-sign-ins-per-minute", "5"]);
    let addr = setup.relay.addr.clone();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(session_from("127.0.0.2", &addr, "idk_guess").await);
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // Even the right token waits out the minute from that address…
    assert_eq!(session_from("127.0.0.2", &addr, &setup.token).await, 429);
    // …while everyone else signs in and syncs.
    assert_eq!(session_from("127.0.0.1", &addr, &setup.token).await, 200);
    let kept = setup.synced_document().await;
    setup.still_serves(kept).await;
}

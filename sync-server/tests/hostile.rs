//! Bad input closes only the connection that sent it, with an `error` message that says why; the
//! relay keeps serving everyone else and nothing stored is harmed.

mod common;

use automerge::transaction::Transactable;
use common::{add_person, compression_bomb, page_dir, temp_dir, Peer, Relay};
use innerdesk_core::domain::DocumentId;
use minicbor::Encoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as Frame;

const METRICS_TOKEN: &str = "monitoring-secret-0123456789";

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
    let setup = relay_with(&["--metrics-token", METRICS_TOKEN]);
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
    let (_, _, metrics) = setup.relay.request("/metrics", Some(METRICS_TOKEN));
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
    session_forwarded(source, addr, token, "").await
}

/// The same, with extra header lines (each ending in CRLF).
async fn session_forwarded(source: &str, addr: &str, token: &str, headers: &str) -> u16 {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let request = format!("GET /api/session HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n{headers}Connection: close\r\n\r\n");
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
    // The right token still signs in from that address (someone else's guessing never locks a
    // person out), and everyone else signs in and syncs.
    assert_eq!(session_from("127.0.0.2", &addr, &setup.token).await, 200);
    assert_eq!(session_from("127.0.0.1", &addr, "idk_typo").await, 401);
    assert_eq!(session_from("127.0.0.1", &addr, &setup.token).await, 200);
    let kept = setup.synced_document().await;
    setup.still_serves(kept).await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_failure_count() {
    // The proxy is 127.0.0.3; every client reaches the relay through it.
    let setup = relay_with(&[
        "--failed-sign-ins-per-minute",
        "3",
        "--trusted-proxy",
        "127.0.0.3",
    ]);
    let addr = setup.relay.addr.clone();
    let via_proxy = |client: &str| format!("X-Forwarded-For: {client}\r\n");
    let guesser = via_proxy("203.0.113.66");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(session_forwarded("127.0.0.3", &addr, "idk_guess", &guesser).await);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    // A colleague behind the same proxy mistypes once: her own count, not the guesser's.
    let colleague = via_proxy("203.0.113.7");
    assert_eq!(
        session_forwarded("127.0.0.3", &addr, "idk_typo", &colleague).await,
        401
    );
    // The guesser cannot dodge his count by naming another address: a client's own entry
    // comes before the proxy's, and the proxy's (the last) is the one believed.
    let dodge = via_proxy("198.51.100.1, 203.0.113.66");
    assert_eq!(
        session_forwarded("127.0.0.3", &addr, "idk_guess", &dodge).await,
        429
    );
    // From a client that is not the proxy the header means nothing: its own address counts.
    let spoofed = via_proxy("203.0.113.99");
    let mut direct = Vec::new();
    for _ in 0..4 {
        direct.push(session_forwarded("127.0.0.4", &addr, "idk_guess", &spoofed).await);
    }
    assert_eq!(direct, [401, 401, 401, 429]);
    assert_eq!(
        session_forwarded("127.0.0.5", &addr, "idk_guess", &spoofed).await,
        401,
        "the spoofed address was not the one counted"
    );
}

/// Whether the relay closes `stream` within `seconds` (end of stream, or a reset).
async fn closed_within(stream: &mut tokio::net::TcpStream, seconds: u64) -> bool {
    let mut sink = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut sink)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue, // the upgrade's answer, pings, the error message
        }
    }
}

/// A client's WebSocket frame, masked (with a zero key, so the payload reads as sent).
fn client_frame(payload: &[u8], claimed_len: u8) -> Vec<u8> {
    let mut frame = vec![0x82, 0x80 | claimed_len, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

#[tokio::test]
async fn clients_stuck_halfway_through_a_request_or_a_frame_are_cut_and_others_served() {
    let setup = relay_with(&["--idle-seconds", "2"]);
    let kept = setup.synced_document().await;
    let addr = setup.relay.addr.clone();

    // An HTTP request head that never ends.
    let mut slow_head = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow_head
        .write_all(b"GET /api/session HTTP/1.1\r\nHost: relay\r\nX-Slow: 1")
        .await
        .unwrap();

    // A signed-in WebSocket that joins, then sends a frame's first bytes and stalls.
    let mut slow_frame = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let upgrade = format!(
        "GET /sync?device=stuck HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {}\r\n\
         Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        setup.token
    );
    slow_frame.write_all(upgrade.as_bytes()).await.unwrap();
    let join = innerdesk_core::sync::Message::Join {
        sender: format!("{}~stuck", setup.person),
    }
    .encode();
    slow_frame
        .write_all(&client_frame(&join, join.len() as u8))
        .await
        .unwrap();
    slow_frame
        .write_all(&client_frame(b"\xa4", 100))
        .await
        .unwrap();

    // Meanwhile a quiet client that answers the relay's pings stays, and others are served.
    let mut quiet = setup.peer("quiet").await;
    quiet.idle(3_500).await;
    assert!(!quiet.is_closed(), "a quiet client answering pings stays");
    setup.still_serves(kept).await;

    assert!(
        closed_within(&mut slow_head, 5).await,
        "the unfinished request is cut"
    );
    assert!(
        closed_within(&mut slow_frame, 5).await,
        "the unfinished frame is cut"
    );
    quiet.track(kept).await;
    assert!(
        quiet
            .until(|p| p.replica.docs.contains_key(&kept), 10)
            .await
    );
}

/// A real sync message for `id` whose Bloom filter is replaced by `bloom` (its encoded bytes).
fn sync_with_bloom(peer: &str, id: DocumentId, bloom: &[u8]) -> Vec<u8> {
    use automerge::sync::{self, SyncDoc};
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "note", "mine").unwrap();
    let mut state = sync::State::new();
    let mut message = doc.sync().generate_sync_message(&mut state).unwrap();
    message.have = vec![sync::Have {
        last_sync: vec![],
        bloom: sync::BloomFilter::try_from(bloom).unwrap(),
    }];
    innerdesk_core::sync::Message::Sync(innerdesk_core::sync::wire::DocumentMessage {
        sender: peer.into(),
        target: "innerdesk-relay".into(),
        document: id,
        data: message.encode(),
    })
    .encode()
}

#[tokio::test]
async fn sync_messages_that_would_crash_automerge_close_only_their_connection() {
    let setup = relay_with(&[]);
    let kept = setup.synced_document().await;
    let id = DocumentId::from_bytes([5; 16]);
    let poisons: [&[u8]; 2] = [
        // Two entries of no bits each, seven probes: automerge divides by zero.
        &[2, 0, 7],
        // One entry and four billion probes: automerge allocates 16 GB.
        &[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0],
    ];
    for (i, poison) in poisons.into_iter().enumerate() {
        let mut attacker = setup.peer(&format!("attacker-{i}")).await;
        let frame = sync_with_bloom(&format!("{}~attacker-{i}", setup.person), id, poison);
        let why = cut_for(&mut attacker, Frame::Binary(frame.into())).await;
        assert!(why.contains("is not valid"), "{why}");
    }
    let (status, _, _) = setup.relay.get("/healthz");
    assert_eq!(status, 200, "the relay is still up");
    setup.still_serves(kept).await;
}

/// The relay's resident memory, in MiB.
fn resident_mib(relay: &Relay) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", relay.child.id())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

#[tokio::test]
async fn a_compression_bomb_is_refused_before_it_inflates_and_only_its_sender_is_cut() {
    let setup = relay_with(&[]);
    let kept = setup.synced_document().await;
    let frame = compression_bomb(
        &format!("{}~attacker", setup.person),
        "innerdesk-relay",
        256,
    );
    // A quarter of a megabyte on the wire, a quarter of a gigabyte once inflated.
    assert!(frame.len() < 300_000, "{} bytes", frame.len());
    let before = resident_mib(&setup.relay);
    let mut attacker = setup.peer("attacker").await;
    let why = cut_for(&mut attacker, Frame::Binary(frame.into())).await;
    assert!(why.contains("inflate to more than"), "{why}");
    let after = resident_mib(&setup.relay);
    println!("relay resident memory: {before} MiB before the bomb, {after} MiB after");
    assert!(
        after < before + 64,
        "the relay grew from {before} to {after} MiB"
    );
    setup.still_serves(kept).await;
}

/// Starts a relay whose writes past `bytes` into any file fail (EFBIG, as a full disk fails them).
fn relay_that_cannot_grow_files_past(data: &std::path::Path, bytes: u64) -> Relay {
    use std::os::unix::process::CommandExt;
    let mut command = Relay::command(&page_dir(), data, "127.0.0.1:0", &[]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // Ignored, the signal becomes an error from write(2) instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Relay::spawn(command, data, &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_whose_audit_line_cannot_be_written_is_not_accepted() {
    let data = temp_dir("hostile-audit");
    let token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    // The audit log is already as long as files may grow: its next line cannot be written,
    // while the (small) document files still can.
    const LIMIT: u64 = 64 * 1024;
    std::fs::write(data.join("audit.log"), vec![b'\n'; LIMIT as usize]).unwrap();
    let relay = relay_that_cannot_grow_files_past(&data, LIMIT);
    let (person, _) = relay.session(&token);
    let connect = |device: &'static str| {
        let (addr, token, person) = (relay.addr.clone(), token.clone(), person.clone());
        async move { Peer::connect(&addr, &token, &person, device).await.unwrap() }
    };

    let id = DocumentId::from_bytes([11; 16]);
    let mut author = connect("laptop").await;
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "note", "audited or nothing")
        .unwrap();
    author.replica.docs.insert(id, doc);
    author.track(id).await;
    assert!(
        author.until(|p| p.is_closed(), 10).await,
        "the delivering connection is cut"
    );
    let why = author.errors.join("; ");
    assert!(why.contains("could not record who delivered"), "{why}");
    assert!(
        !author.client.is_settled(id),
        "the change was never acknowledged"
    );

    // Nothing of it stayed with the relay, in memory or on disk.
    let mut other = connect("phone").await;
    other.track(id).await;
    assert!(other.until(|p| p.unavailable.contains(&id), 10).await);
    assert!(!other.replica.docs.contains_key(&id));
    let kept = std::mem::take(&mut author.replica.docs);
    drop(relay);

    // Once the log can grow again, the same device delivers it and its line is there.
    let relay = Relay::start_with(&page_dir(), &data, "127.0.0.1:0", &[]);
    let mut author = Peer::connect(&relay.addr, &token, &person, "laptop")
        .await
        .unwrap();
    author.replica.docs = kept;
    author.track(id).await;
    assert!(author.until(|p| p.client.is_settled(id), 10).await);
    let trail = common::admin(&data, &["audit", &id.to_string()]);
    assert_eq!(trail.lines().count(), 2, "{trail}");
    assert!(trail.contains(&person), "{trail}");
    let verified = common::admin(&data, &["audit", "verify"]);
    assert!(verified.contains("intact: 1 records"), "{verified}");
}

#[test]
fn an_edited_audit_line_is_found_by_audit_verify() {
    let data = temp_dir("hostile-audit-edit");
    let token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page_dir(), &data);
    let (person, _) = relay.session(&token);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut peer = Peer::connect(&relay.addr, &token, &person, "laptop")
            .await
            .unwrap();
        let id = DocumentId::from_bytes([12; 16]);
        let mut doc = automerge::AutoCommit::new();
        for note in ["first", "second", "third"] {
            doc.put(automerge::ROOT, "note", note).unwrap();
            doc.commit();
        }
        peer.replica.docs.insert(id, doc);
        peer.track(id).await;
        assert!(peer.until(|p| p.client.is_settled(id), 10).await);
    });
    drop(relay);
    let intact = common::admin(&data, &["audit", "verify"]);
    assert!(intact.contains("intact: 3 records"), "{intact}");

    // Someone with the folder changes who delivered the second change.
    let log = std::fs::read_to_string(data.join("audit.log")).unwrap();
    let edited = log.replacen(
        &format!("\"person\":\"{person}\""),
        "\"person\":\"wang\"",
        2,
    );
    let edited = edited.replacen(
        "\"person\":\"wang\"",
        &format!("\"person\":\"{person}\""),
        1,
    );
    std::fs::write(data.join("audit.log"), edited).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sync-server"))
        .args(["--data-dir"])
        .arg(&data)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(!output.status.success(), "verify fails");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("not intact: line 4"), "{said}");
}

/// A document this peer makes with `notes` changes and offers the relay; true if it was taken.
async fn offer(peer: &mut Peer, n: u8, notes: usize) -> bool {
    let id = DocumentId::from_bytes([n; 16]);
    let mut doc = automerge::AutoCommit::new();
    for note in 0..notes {
        doc.put(automerge::ROOT, "note", note as i64).unwrap();
        doc.commit();
    }
    peer.replica.docs.insert(id, doc);
    peer.track(id).await;
    peer.until(|p| p.client.is_settled(id) || p.is_closed(), 10)
        .await;
    !peer.is_closed()
}

#[tokio::test(flavor = "multi_thread")]
async fn quotas_follow_the_person_across_connections_and_restarts() {
    let data = temp_dir("hostile-quota");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let limits = [
        "--max-documents-per-person",
        "3",
        "--changes-per-minute-per-person",
        "6",
        "--change-burst-per-person",
        "20",
        "--metrics-token",
        METRICS_TOKEN,
    ];
    let mut relay = Relay::start_with(&page_dir(), &data, "127.0.0.1:0", &limits);
    let (li, _) = relay.session(&li_token);
    let (wang, _) = relay.session(&wang_token);
    let connect = |relay: &Relay, token: &str, person: &str, device: &str| {
        let (addr, token, person, device) = (
            relay.addr.clone(),
            token.to_string(),
            person.to_string(),
            device.to_string(),
        );
        async move {
            Peer::connect(&addr, &token, &person, &device)
                .await
                .unwrap()
        }
    };

    // Three documents of one change each, over three connections: each reconnect starts afresh
    // only for the connection, not for the person.
    for n in 1..=3 {
        let mut peer = connect(&relay, &li_token, &li, &format!("device{n}")).await;
        assert!(offer(&mut peer, n, 1).await, "document {n} is taken");
    }
    let mut peer = connect(&relay, &li_token, &li, "device4").await;
    assert!(!offer(&mut peer, 4, 1).await, "a fourth is refused");
    let why = peer.errors.join("; ");
    assert!(why.contains("3 documents"), "{why}");
    let mut other = connect(&relay, &wang_token, &wang, "phone").await;
    assert!(offer(&mut other, 20, 1).await, "others are not held back");
    other.track(DocumentId::from_bytes([4; 16])).await;
    assert!(
        other
            .until(
                |p| p.unavailable.contains(&DocumentId::from_bytes([4; 16])),
                10
            )
            .await,
        "nothing of the refused document was kept"
    );

    // A burst of 20 changes is all she may send at once; reconnecting does not refill it.
    let mut wang_peer = connect(&relay, &wang_token, &wang, "laptop").await;
    assert!(offer(&mut wang_peer, 21, 15).await);
    let mut again = connect(&relay, &wang_token, &wang, "laptop2").await;
    assert!(!offer(&mut again, 22, 10).await);
    let why = again.errors.join("; ");
    assert!(why.contains("more than 6 changes a minute"), "{why}");

    let (_, _, metrics) = relay.request("/metrics", Some(METRICS_TOKEN));
    assert!(
        metrics.contains("innerdesk_quota_refusals_total{quota=\"documents\"} 1")
            && metrics.contains("innerdesk_quota_refusals_total{quota=\"rate\"} 1"),
        "{metrics}"
    );

    // What a person stored is counted again from the audit log after a restart.
    relay.kill_and_restart(&page_dir());
    let mut peer = connect(&relay, &li_token, &li, "device5").await;
    assert!(!offer(&mut peer, 5, 1).await, "still three documents");
    assert!(peer.errors.join("; ").contains("3 documents"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_may_not_grow_past_its_size_limit() {
    let setup = relay_with(&["--max-document-bytes", "4000"]);
    let mut peer = setup.peer("laptop").await;
    assert!(offer(&mut peer, 30, 3).await, "a small document is taken");
    let id = DocumentId::from_bytes([30; 16]);
    let doc = peer.replica.docs.get_mut(&id).unwrap();
    doc.put(automerge::ROOT, "attachment", "x".repeat(8_000))
        .unwrap();
    doc.commit();
    peer.changed(id).await;
    assert!(peer.until(|p| p.is_closed(), 10).await, "cut");
    let why = peer.errors.join("; ");
    assert!(why.contains("past 4000 bytes"), "{why}");
    setup.still_serves(id).await;
}

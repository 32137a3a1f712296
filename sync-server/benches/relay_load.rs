//! Relay load on loopback: 200 signed-in clients × 50 ticket documents each, then a steady stream
//! of changes, then one device catching up after 1,000 tickets filed offline. Every client is the
//! page's own protocol state machine (`innerdesk_core::sync`). Figures are printed with the
//! baseline they compare to, measured in the same run:
//!
//! ```text
//! cargo bench -p innerdesk-sync-server --bench relay_load [-- --clients 200 --docs 50]
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use automerge::transaction::Transactable;
use common::{add_person, page_dir, temp_dir, Peer, Relay};
use innerdesk_core::domain::DocumentId;
use std::time::{Duration, Instant};

struct Options {
    clients: usize,
    docs: usize,
    rounds: usize,
    offline_tickets: usize,
}

fn options() -> Options {
    let mut o = Options {
        clients: 200,
        docs: 50,
        rounds: 5,
        offline_tickets: 1_000,
    };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        let value = || pair[1].parse().expect("a number");
        match pair[0].as_str() {
            "--clients" => o.clients = value(),
            "--docs" => o.docs = value(),
            "--rounds" => o.rounds = value(),
            "--offline-tickets" => o.offline_tickets = value(),
            _ => {}
        }
    }
    o
}

fn doc_id(client: usize, n: usize) -> DocumentId {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(client as u64).to_le_bytes());
    bytes[8..].copy_from_slice(&(n as u64).to_le_bytes());
    DocumentId::from_bytes(bytes)
}

/// A small ticket-like document: a title and a status, as most of a desk's documents are.
fn ticket(client: usize, n: usize) -> automerge::AutoCommit {
    let mut doc = automerge::AutoCommit::new();
    doc.put(
        automerge::ROOT,
        "title",
        format!("工单 {client}-{n}: 打印机卡纸"),
    )
    .unwrap();
    doc.put(automerge::ROOT, "status", "new").unwrap();
    doc.commit();
    doc
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

struct Client {
    peer: Peer,
    ids: Vec<DocumentId>,
}

/// Every client uploads its documents; returns the wall time until all are up to date.
async fn upload(
    relay: &Relay,
    people: &[(String, String)],
    docs: usize,
) -> (Duration, Vec<Client>) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (token, person)) in people.iter().enumerate() {
        let (token, person, addr) = (token.clone(), person.clone(), relay.addr.clone());
        tasks.push(tokio::spawn(async move {
            let mut peer = connect_addr(&addr, &token, &person, &format!("bench{i}")).await;
            let ids: Vec<DocumentId> = (0..docs).map(|n| doc_id(i, n)).collect();
            for (n, id) in ids.iter().enumerate() {
                peer.replica.docs.insert(*id, ticket(i, n));
                peer.track(*id).await;
            }
            let started = Instant::now();
            let synced = peer.up_to_date(600).await;
            assert!(
                synced,
                "client {i} synced: closed {} after {:?}: {:?} {:?}",
                peer.is_closed(),
                started.elapsed(),
                peer.errors,
                peer.client.status()
            );
            Client { peer, ids }
        }));
    }
    let mut clients = Vec::new();
    for task in tasks {
        clients.push(task.await.unwrap());
    }
    (started.elapsed(), clients)
}

async fn connect_addr(addr: &str, token: &str, person: &str, device: &str) -> Peer {
    for _ in 0..100 {
        if let Ok(peer) = Peer::connect(addr, token, person, device).await {
            return peer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("could not connect {device}");
}

/// Each round, every client changes one of its documents and waits until the relay has it; returns
/// the wall time and every change's time to acknowledgement.
async fn steady(clients: Vec<Client>, rounds: usize) -> (Duration, Vec<Duration>, Vec<Client>) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, mut client) in clients.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for round in 0..rounds {
                let id = client.ids[(round * 7 + i) % client.ids.len()];
                let doc = client.peer.replica.docs.get_mut(&id).unwrap();
                doc.put(automerge::ROOT, "status", format!("in_progress {round}"))
                    .unwrap();
                doc.commit();
                let at = Instant::now();
                client.peer.changed(id).await;
                assert!(client.peer.until(|p| p.client.is_settled(id), 600).await);
                latencies.push(at.elapsed());
            }
            (client, latencies)
        }));
    }
    let mut clients = Vec::new();
    let mut latencies = Vec::new();
    for task in tasks {
        let (client, l) = task.await.unwrap();
        clients.push(client);
        latencies.extend(l);
    }
    (started.elapsed(), latencies, clients)
}

/// One device files `count` tickets offline and reconnects (the time until the relay has them
/// all); then edits every one of them offline and reconnects again (the time until the relay has
/// every edit). Returns both.
async fn catch_up(
    relay: &Relay,
    token: &str,
    person: &str,
    count: usize,
    device: &str,
) -> (Duration, Duration) {
    let mut peer = connect_addr(&relay.addr, token, person, device).await;
    let base = 1_000_000 + count;
    let ids: Vec<DocumentId> = (0..count).map(|n| doc_id(base, n)).collect();
    for (n, id) in ids.iter().enumerate() {
        peer.replica.docs.insert(*id, ticket(base, n));
    }
    // Filed while offline: the client knows the documents before the connection exists.
    peer.client.disconnected();
    let started = Instant::now();
    for id in &ids {
        let _ = peer.client.track(*id, &mut peer.replica);
    }
    peer.reconnect().await.unwrap();
    assert!(peer.up_to_date(600).await);
    let filed = started.elapsed();

    peer.client.disconnected();
    for (n, id) in ids.iter().enumerate() {
        let doc = peer.replica.docs.get_mut(id).unwrap();
        doc.put(automerge::ROOT, "status", "resolved").unwrap();
        doc.put(automerge::ROOT, "note", format!("在现场处理完毕 {n}"))
            .unwrap();
        doc.commit();
    }
    let started = Instant::now();
    peer.reconnect().await.unwrap();
    assert!(peer.up_to_date(600).await);
    (filed, started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let o = options();
    let data = temp_dir("bench");
    let mut people = Vec::new();
    for i in 0..o.clients.max(1) {
        let token = add_person(
            &data,
            &format!("员工 {i}"),
            &format!("p{i}@example.cn"),
            "IT",
            "agent",
        );
        people.push(token);
    }
    let relay = Relay::start(&page_dir(), &data);
    let pid = relay.child.id();
    let idle_kib = resident_kib(pid);
    let people: Vec<(String, String)> = people
        .into_iter()
        .map(|t| (t.clone(), relay.session(&t).0))
        .collect();

    // Baseline: one client alone uploads its documents.
    let (alone, _) = upload(&relay, &people[..1], o.docs).await;
    let per_doc_alone = alone / o.docs as u32;

    let (loaded, clients) = upload(&relay, &people, o.docs).await;
    let total_docs = o.clients * o.docs;
    let after_upload_kib = resident_kib(pid);
    let (steady_time, mut latencies, clients) = steady(clients, o.rounds).await;
    latencies.sort();
    let changes = latencies.len();
    let after_steady_kib = resident_kib(pid);
    drop(clients);

    let (token, person) = &people[0];
    let (ten, ten_edited) = catch_up(&relay, token, person, 10, "catchup10").await;
    let (thousand, thousand_edited) =
        catch_up(&relay, token, person, o.offline_tickets, "catchup1000").await;

    println!(
        "relay load on loopback ({} clients × {} documents = {total_docs})",
        o.clients, o.docs
    );
    println!(
        "  upload: {:.0} documents/s ({:.2} s); one client alone: {:.0} documents/s; ratio {:.2}×",
        total_docs as f64 / loaded.as_secs_f64(),
        loaded.as_secs_f64(),
        1.0 / per_doc_alone.as_secs_f64(),
        (total_docs as f64 / loaded.as_secs_f64()) * per_doc_alone.as_secs_f64()
    );
    println!("  steady changes: {changes} in {:.2} s = {:.0} changes/s; change → acknowledged p50 {:.1} ms, p99 {:.1} ms",
        steady_time.as_secs_f64(), changes as f64 / steady_time.as_secs_f64(),
        millis(percentile(&latencies, 0.5)), millis(percentile(&latencies, 0.99)));
    println!("  relay resident memory: idle {:.1} MiB, after upload {:.1} MiB, after steady changes {:.1} MiB ({:.1} KiB per document)",
        idle_kib as f64 / 1024.0, after_upload_kib as f64 / 1024.0, after_steady_kib as f64 / 1024.0,
        (after_steady_kib.saturating_sub(idle_kib)) as f64 / total_docs as f64);
    for (what, many, few) in [
        ("filed", thousand, ten),
        ("edited", thousand_edited, ten_edited),
    ] {
        println!("  catch-up after {} tickets {what} offline: {:.0} ms; 10 tickets: {:.0} ms; ratio per ticket {:.2}×",
            o.offline_tickets, millis(many), millis(few), (millis(many) / o.offline_tickets as f64) / (millis(few) / 10.0));
    }
}

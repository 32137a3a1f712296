//! The relay against the reference automerge-repo sync server (Node.js, `benches/reference-relay`),
//! on the same protocol, the same machine and the same workload, driven by the same load generator:
//! the page's own protocol state machine (`innerdesk_core::sync`) on native sockets.
//!
//! The workload: 200 clients, two devices of each of 100 people. Every client uploads its 50
//! documents, then follows the 50 of its other device. Then, for a while, every client changes one
//! of its documents at a steady rate, and the other device times each change's arrival; then every
//! client makes changes back to back as fast as the server acknowledges them (throughput); then one
//! device that filed 1,000 tickets offline reconnects (catch-up); then a device sends a sync
//! message that inflates to 256 MiB (a compression bomb). The servers' resident memory and
//! CPU time are read from `/proc`. Each figure is a median over `--runs` runs, each on a fresh
//! server and data folder, taking the servers in turn. The relay runs twice per run: as shipped,
//! syncing every acknowledged change to disk (group commit), and with `--unsynced-writes`, to
//! show what durability costs.
//!
//! ```text
//! npm ci --prefix benches/reference-relay
//! cargo bench -p innerdesk-sync-server --bench relay_load [-- --clients 200 --docs 50 --json out.json]
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use automerge::transaction::Transactable;
use automerge::{ReadDoc, ScalarValue, Value};
use common::{add_person, page_dir, temp_dir, Relay};
use futures::{SinkExt, StreamExt};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::sync::{MemoryReplica, Output, SyncClient, SyncStatus};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as Frame;

struct Options {
    clients: usize,
    docs: usize,
    /// How long the steady phase lasts, and each client's changes per second in it.
    seconds: u64,
    rate: f64,
    /// Changes each client makes back to back in the throughput phase.
    burst: usize,
    offline_tickets: usize,
    runs: usize,
    /// How long any one phase may take before the devices give up on what is left of it.
    phase_seconds: u64,
    json: Option<PathBuf>,
    /// `--only ours`: skip the reference (while working on the relay).
    only_ours: bool,
}

fn options() -> Options {
    let mut o = Options {
        clients: 200,
        docs: 50,
        seconds: 10,
        rate: 1.0,
        burst: 20,
        offline_tickets: 1_000,
        runs: 3,
        phase_seconds: 60,
        json: None,
        only_ours: false,
    };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        let number = || pair[1].parse::<f64>().expect("a number");
        match pair[0].as_str() {
            "--clients" => o.clients = number() as usize,
            "--docs" => o.docs = number() as usize,
            "--seconds" => o.seconds = number() as u64,
            "--rate" => o.rate = number(),
            "--burst" => o.burst = number() as usize,
            "--offline-tickets" => o.offline_tickets = number() as usize,
            "--runs" => o.runs = number() as usize,
            "--phase-seconds" => o.phase_seconds = number() as u64,
            "--json" => o.json = Some(PathBuf::from(&pair[1])),
            "--only" => o.only_ours = pair[1] == "ours",
            _ => {}
        }
    }
    // Clients come in pairs: the two devices of one person.
    o.clients = o.clients.max(2) & !1;
    o
}

/// A server under test: where clients connect, and its process for memory and CPU.
enum Server {
    Ours {
        relay: Relay,
        tokens: Vec<String>,
        people: Vec<String>,
        synced: bool,
    },
    Reference {
        child: Child,
        addr: String,
    },
}

impl Server {
    fn ours(people: usize, synced: bool) -> Server {
        let data = temp_dir("bench");
        let tokens: Vec<String> = (0..people)
            .map(|i| {
                add_person(
                    &data,
                    &format!("员工 {i}"),
                    &format!("p{i}@example.cn"),
                    "IT",
                    "agent",
                )
            })
            .collect();
        let extra: &[&str] = if synced { &[] } else { &["--unsynced-writes"] };
        let relay = Relay::start_with(&page_dir(), &data, "127.0.0.1:0", extra);
        let people = tokens.iter().map(|t| relay.session(t).0).collect();
        Server::Ours {
            relay,
            tokens,
            people,
            synced,
        }
    }

    fn reference() -> Server {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/reference-relay/server.mjs");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("node")
            .arg(&script)
            .arg(port.to_string())
            .arg(temp_dir("reference"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the reference server (npm ci --prefix benches/reference-relay)");
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Server::Reference { child, addr };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the reference server did not start");
    }

    fn name(&self) -> &'static str {
        match self {
            Server::Ours { synced: true, .. } => "innerdesk sync-server",
            Server::Ours { synced: false, .. } => "innerdesk sync-server, writes not synced",
            Server::Reference { .. } => "reference (automerge-repo, Node.js)",
        }
    }

    /// Where client `i` connects, and the name it uses on the wire.
    fn client(&self, i: usize, device: &str) -> (Dial, String) {
        match self {
            Server::Ours {
                relay,
                tokens,
                people,
                ..
            } => (
                Dial {
                    url: format!("ws://{}/sync?device={device}", relay.addr),
                    bearer: Some(tokens[(i / 2) % tokens.len()].clone()),
                },
                format!("{}~{device}", people[(i / 2) % people.len()]),
            ),
            Server::Reference { addr, .. } => (
                Dial {
                    url: format!("ws://{addr}/"),
                    bearer: None,
                },
                format!("client-{device}"),
            ),
        }
    }

    fn pid(&self) -> u32 {
        match self {
            Server::Ours { relay, .. } => relay.child.id(),
            Server::Reference { child, .. } => child.id(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Server::Reference { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Resident memory now and at its peak, in KiB; CPU time used so far, in seconds.
fn process_use(pid: u32) -> (u64, u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let ticks: f64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().skip(11).take(2))
        .into_iter()
        .flatten()
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    (kib("VmRSS:"), kib("VmHWM:"), ticks / 100.0)
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
    doc.put(automerge::ROOT, "changes", 0u64).unwrap();
    doc.commit();
    doc
}

fn read_u64(doc: &automerge::AutoCommit, key: &str) -> u64 {
    match doc.get(automerge::ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Uint(n) => *n,
            ScalarValue::Int(n) => *n as u64,
            _ => 0,
        },
        _ => 0,
    }
}

/// Where a device connects: a URL, and for our relay the sign-in token it sends in a header.
#[derive(Clone)]
struct Dial {
    url: String,
    bearer: Option<String>,
}

/// A WebSocket as `dial` says, retried while the server is busy.
async fn socket(dial: &Dial) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    for _ in 0..600 {
        let mut request = dial
            .url
            .as_str()
            .into_client_request()
            .expect("a valid URL");
        if let Some(token) = &dial.bearer {
            let value = format!("Bearer {token}").parse().expect("a valid header");
            request.headers_mut().insert("authorization", value);
        }
        // Without Nagle's algorithm, as browsers open WebSockets.
        if let Ok((socket, _)) =
            tokio_tungstenite::connect_async_with_config(request, None, true).await
        {
            return socket;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("could not connect to {}", dial.url);
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One device: its socket, its protocol state, its documents and its partner's, and what it saw.
struct Device {
    socket: Socket,
    dial: Dial,
    /// How often the server cut this device's connection (it then reconnects, as the page does).
    cut: u32,
    sync: SyncClient,
    replica: MemoryReplica,
    index: usize,
    own: Vec<DocumentId>,
    partner: Vec<DocumentId>,
    made: u64,
    /// The partner's changes that have arrived here, by document.
    arrived: HashMap<DocumentId, u64>,
    latencies: Vec<Duration>,
    epoch: Instant,
}

impl Device {
    /// Opens the socket; the protocol has not started yet.
    async fn open(dial: &Dial, me: &str, index: usize, epoch: Instant) -> Device {
        Device {
            socket: socket(dial).await,
            dial: dial.clone(),
            cut: 0,
            sync: SyncClient::new(me),
            replica: MemoryReplica::default(),
            index,
            own: Vec::new(),
            partner: Vec::new(),
            made: 0,
            arrived: HashMap::new(),
            latencies: Vec::new(),
            epoch,
        }
    }

    /// The server cut the connection: a new one, and the protocol starts afresh.
    async fn reconnect(&mut self) {
        self.cut += 1;
        self.sync.disconnected();
        self.socket = socket(&self.dial).await;
        let hello = self.sync.hello();
        self.send(hello).await;
    }

    async fn handshake(&mut self) {
        let hello = self.sync.hello();
        self.send(hello).await;
        assert!(self.pump_until(|d| d.sync.is_connected(), 30).await);
    }

    /// Sends a frame; a cut connection is noticed by the next read.
    async fn send(&mut self, bytes: Vec<u8>) {
        let _ = self.socket.send(Frame::Binary(bytes.into())).await;
    }

    async fn act(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Send(bytes) => self.send(bytes).await,
                Output::Changed(id) => self.note_arrival(id),
                // A server that lost or gave up on a document says so: it is counted as not
                // delivered (the document is neither settled nor held).
                Output::Unavailable(_) | Output::ReadOnly(_) | Output::Settled(_) => {}
            }
        }
    }

    /// A partner's change arrived: how long it took, and how many changes this brings.
    fn note_arrival(&mut self, id: DocumentId) {
        if !self.partner.contains(&id) {
            return;
        }
        let doc = &self.replica.docs[&id];
        let changes = read_u64(doc, "changes");
        let before = self.arrived.insert(id, changes).unwrap_or(0);
        if changes > before {
            let sent = Duration::from_micros(read_u64(doc, "at"));
            self.latencies
                .push(self.epoch.elapsed().saturating_sub(sent));
        }
    }

    fn arrived_total(&self) -> u64 {
        self.arrived.values().sum()
    }

    async fn receive_one(&mut self, wait: Duration) {
        if let Ok(frame) = tokio::time::timeout(wait, self.socket.next()).await {
            match frame {
                Some(Ok(Frame::Binary(bytes))) => {
                    let outputs = self
                        .sync
                        .receive(&bytes, &mut self.replica)
                        .expect("a valid message");
                    self.act(outputs).await;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => self.reconnect().await,
            }
        }
    }

    /// Handles messages until `done` holds; false after `seconds`.
    async fn pump_until(&mut self, done: impl Fn(&Device) -> bool, seconds: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while !done(self) {
            if Instant::now() >= deadline {
                return false;
            }
            self.receive_one(Duration::from_millis(20)).await;
        }
        true
    }

    async fn track(&mut self, id: DocumentId) {
        let outputs = self.sync.track(id, &mut self.replica);
        self.act(outputs).await;
    }

    /// Changes one of this device's documents, stamped with the moment, and offers it.
    async fn change(&mut self) -> DocumentId {
        let id = self.own[self.made as usize % self.own.len()];
        let at = self.epoch.elapsed().as_micros() as u64;
        let doc = self.replica.docs.get_mut(&id).unwrap();
        let changes = read_u64(doc, "changes") + 1;
        doc.put(automerge::ROOT, "changes", changes).unwrap();
        doc.put(automerge::ROOT, "at", at).unwrap();
        doc.put(automerge::ROOT, "status", format!("in_progress {changes}"))
            .unwrap();
        doc.commit();
        self.made += 1;
        let outputs = self.sync.changed_locally(id, &mut self.replica);
        self.act(outputs).await;
        id
    }

    fn up_to_date(&self) -> bool {
        self.sync.status() == SyncStatus::UpToDate
    }
}

/// What the devices share while they run: how many have reached each meeting point and when the
/// last one did, and how many changes each has made.
struct Meeting {
    clients: usize,
    /// How long a device waits for one phase's work before it gives up on the rest of it.
    phase_seconds: u64,
    reached: Vec<AtomicUsize>,
    at: Mutex<Vec<Option<Instant>>>,
    made: Vec<AtomicU64>,
}

/// The meeting points between the phases.
const CONNECTED: usize = 0;
const UPLOADED: usize = 1;
const FOLLOWING: usize = 2;
const STEADY_MADE: usize = 3;
const STEADY_ARRIVED: usize = 4;
const BURST_MADE: usize = 5;
const BURST_ARRIVED: usize = 6;

impl Meeting {
    fn new(clients: usize, phase_seconds: u64) -> Meeting {
        Meeting {
            clients,
            phase_seconds,
            reached: (0..=BURST_ARRIVED).map(|_| AtomicUsize::new(0)).collect(),
            at: Mutex::new(vec![None; BURST_ARRIVED + 1]),
            made: (0..clients).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn all_reached(&self, point: usize) -> bool {
        self.reached[point].load(Ordering::Acquire) == self.clients
    }

    fn between(&self, from: usize, to: usize) -> Duration {
        let at = self.at.lock().unwrap();
        at[to].unwrap() - at[from].unwrap()
    }
}

impl Device {
    /// Waits for every device at `point`, answering the server meanwhile (a server may cut a
    /// client that does not answer its pings).
    async fn meet(&mut self, meeting: &Meeting, point: usize) {
        self.publish(meeting);
        if meeting.reached[point].fetch_add(1, Ordering::AcqRel) + 1 == meeting.clients {
            meeting.at.lock().unwrap()[point] = Some(Instant::now());
        }
        assert!(self.pump_until(|_| meeting.all_reached(point), 600).await);
    }

    fn publish(&self, meeting: &Meeting) {
        meeting.made[self.index].store(self.made, Ordering::Release);
    }

    /// Every change the partner made before `point` has arrived here.
    /// Gives up after the phase's time limit (what never arrived is counted as such).
    async fn receive_partner_changes(&mut self, meeting: &Meeting, point: usize) {
        let partner = self.index ^ 1;
        self.pump_until(
            |d| {
                meeting.all_reached(point)
                    && d.arrived_total() >= meeting.made[partner].load(Ordering::Acquire)
            },
            meeting.phase_seconds,
        )
        .await;
    }
}

/// What one device got done; a server that cannot keep up leaves some of it undone.
#[derive(Default)]
struct Done {
    uploaded: usize,
    held: usize,
    steady_arrived: u64,
    steady_latencies: Vec<Duration>,
    burst_arrived: u64,
}

/// One device's whole part in the workload. Each phase gives up after the time limit, so a
/// server that stalls yields low figures rather than no figures.
async fn play(mut d: Device, o: Arc<Plan>, meeting: Arc<Meeting>) -> (Device, Done) {
    let limit = meeting.phase_seconds;
    let mut done = Done::default();
    d.meet(&meeting, CONNECTED).await;
    d.own = (0..o.docs).map(|n| doc_id(d.index, n)).collect();
    for (n, id) in d.own.clone().into_iter().enumerate() {
        d.replica.docs.insert(id, ticket(d.index, n));
        d.track(id).await;
    }
    d.pump_until(Device::up_to_date, limit).await;
    done.uploaded = d.own.iter().filter(|id| d.sync.is_settled(**id)).count();
    d.meet(&meeting, UPLOADED).await;

    d.partner = (0..o.docs).map(|n| doc_id(d.index ^ 1, n)).collect();
    for id in d.partner.clone() {
        d.track(id).await;
    }
    let held = |d: &Device| {
        d.partner
            .iter()
            .filter(|id| d.replica.docs.contains_key(id))
            .count()
    };
    d.pump_until(|d| d.up_to_date() && held(d) == d.partner.len(), limit)
        .await;
    done.held = held(&d);
    d.meet(&meeting, FOLLOWING).await;

    // Steady: a change every `interval`, staggered across devices.
    let start = Instant::now();
    let end = start + o.steady;
    let mut next = start + o.interval.mul_f64(d.index as f64 / meeting.clients as f64);
    while Instant::now() < end {
        if Instant::now() >= next {
            d.change().await;
            next += o.interval;
        }
        let wait = next.min(end).saturating_duration_since(Instant::now());
        d.receive_one(wait.max(Duration::from_micros(100))).await;
    }
    d.meet(&meeting, STEADY_MADE).await;
    d.receive_partner_changes(&meeting, STEADY_MADE).await;
    done.steady_arrived = d.arrived_total();
    done.steady_latencies = std::mem::take(&mut d.latencies);
    d.meet(&meeting, STEADY_ARRIVED).await;

    // Throughput: changes back to back, each once the server has the one before.
    let until = Instant::now() + Duration::from_secs(limit);
    for _ in 0..o.burst {
        let id = d.change().await;
        let left = until.saturating_duration_since(Instant::now()).as_secs();
        if !d.pump_until(|d| d.sync.is_settled(id), left).await {
            break;
        }
    }
    d.meet(&meeting, BURST_MADE).await;
    d.receive_partner_changes(&meeting, BURST_MADE).await;
    done.burst_arrived = d.arrived_total() - done.steady_arrived;
    d.meet(&meeting, BURST_ARRIVED).await;
    (d, done)
}

/// The workload's shape, shared by every device.
struct Plan {
    docs: usize,
    steady: Duration,
    interval: Duration,
    burst: usize,
}

struct RunFigures {
    uploaded: usize,
    upload: Duration,
    held: usize,
    follow: Duration,
    steady_latencies: Vec<Duration>,
    steady_changes: u64,
    steady_time: Duration,
    burst_changes: u64,
    burst_time: Duration,
    /// Documents and changes that never arrived within the phases' time limits.
    undelivered: u64,
    catch_up: Duration,
    rss_kib: u64,
    peak_kib: u64,
    cpu_seconds: f64,
    cuts: u32,
    bomb_before_kib: u64,
    bomb_after_kib: u64,
}

async fn run(server: &Server, o: &Options) -> RunFigures {
    let epoch = Instant::now();
    let plan = Arc::new(Plan {
        docs: o.docs,
        steady: Duration::from_secs(o.seconds),
        interval: Duration::from_secs_f64(1.0 / o.rate),
        burst: o.burst,
    });
    let meeting = Arc::new(Meeting::new(o.clients, o.phase_seconds));
    let cpu_before = process_use(server.pid()).2;
    let tasks: Vec<_> = (0..o.clients)
        .map(|i| {
            let (dial, me) = server.client(i, &format!("d{i}"));
            let (plan, meeting) = (plan.clone(), meeting.clone());
            tokio::spawn(async move {
                let mut device = Device::open(&dial, &me, i, epoch).await;
                device.handshake().await;
                play(device, plan, meeting).await
            })
        })
        .collect();
    let mut devices = Vec::new();
    for task in tasks {
        devices.push(task.await.expect("a device played its part"));
    }
    let (rss_kib, peak_kib, cpu_after) = process_use(server.pid());
    let total_made: u64 = devices.iter().map(|(d, _)| d.made).sum();
    let cuts = devices.iter().map(|(d, _)| d.cut).sum();
    let sum = |f: &dyn Fn(&Done) -> u64| devices.iter().map(|(_, done)| f(done)).sum::<u64>();
    let uploaded = sum(&|d| d.uploaded as u64) as usize;
    let held = sum(&|d| d.held as u64) as usize;
    let steady_changes = sum(&|d| d.steady_arrived);
    let burst_changes = sum(&|d| d.burst_arrived);
    let expected_docs = (o.clients * o.docs) as u64;
    let undelivered = (expected_docs - uploaded as u64)
        + (expected_docs - held as u64)
        + (total_made - steady_changes - burst_changes);
    // The devices disconnect here, all at once.
    let steady_latencies = devices
        .into_iter()
        .flat_map(|(_, done)| done.steady_latencies)
        .collect();
    let (catch_up, missing) = catch_up(server, o, epoch).await;
    let (bomb_before_kib, bomb_after_kib) = bomb_attempt(server, o, epoch).await;
    RunFigures {
        uploaded,
        upload: meeting.between(CONNECTED, UPLOADED),
        held,
        follow: meeting.between(UPLOADED, FOLLOWING),
        steady_latencies,
        steady_changes,
        steady_time: meeting.between(FOLLOWING, STEADY_MADE),
        burst_changes,
        burst_time: meeting.between(STEADY_ARRIVED, BURST_ARRIVED),
        undelivered: undelivered + missing,
        catch_up,
        rss_kib,
        peak_kib,
        cpu_seconds: cpu_after - cpu_before,
        cuts,
        bomb_before_kib,
        bomb_after_kib,
    }
}

/// A signed-in device sends a sync message whose one change inflates to 256 MiB (a quarter of a
/// megabyte on the wire): the server's resident memory before and once it has answered or cut
/// the connection (or ten seconds on), in KiB.
async fn bomb_attempt(server: &Server, o: &Options, epoch: Instant) -> (u64, u64) {
    let (dial, me) = server.client(o.clients, "bomb");
    let mut device = Device::open(&dial, &me, o.clients, epoch).await;
    device.handshake().await;
    let target = device.sync.server().expect("connected").to_string();
    let before = process_use(server.pid()).0;
    device
        .send(common::compression_bomb(&me, &target, 256))
        .await;
    let _ = tokio::time::timeout(Duration::from_secs(10), device.socket.next()).await;
    (before, process_use(server.pid()).0)
}

/// A device that filed tickets offline connects: the time until the server has them all (or the
/// time limit), and how many it still lacked then.
async fn catch_up(server: &Server, o: &Options, epoch: Instant) -> (Duration, u64) {
    let (clients, count) = (o.clients, o.offline_tickets);
    let started = Instant::now();
    let (dial, me) = server.client(clients, "offline");
    let mut device = Device::open(&dial, &me, clients, epoch).await;
    device.own = (0..count).map(|n| doc_id(clients + 1, n)).collect();
    for (n, id) in device.own.clone().into_iter().enumerate() {
        device.replica.docs.insert(id, ticket(clients + 1, n));
        // Filed while offline: known to the client before the handshake.
        let _ = device.sync.track(id, &mut device.replica);
    }
    device.handshake().await;
    device.pump_until(Device::up_to_date, o.phase_seconds).await;
    let missing = device
        .own
        .iter()
        .filter(|id| !device.sync.is_settled(**id))
        .count();
    (started.elapsed(), missing as u64)
}

fn median<T: Copy + PartialOrd>(mut xs: Vec<T>) -> T {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The medians of one server's runs, as printed and written to JSON.
fn summary(runs: &[RunFigures], o: &Options) -> serde_json::Value {
    let docs = (o.clients * o.docs) as f64;
    let each = |f: &dyn Fn(&RunFigures) -> f64| median(runs.iter().map(f).collect());
    // A run in which nothing arrived in time has no latencies: the median is of those that do,
    // and there is none (null in the JSON) if no run does.
    let latency = |p: f64| {
        let timed: Vec<f64> = (runs.iter())
            .filter(|r| !r.steady_latencies.is_empty())
            .map(|r| {
                let mut l = r.steady_latencies.clone();
                l.sort();
                millis(percentile(&l, p))
            })
            .collect();
        (!timed.is_empty()).then(|| median(timed))
    };
    json!({
        "upload_docs_per_s": each(&|r| r.uploaded as f64 / r.upload.as_secs_f64()),
        "follow_docs_per_s": each(&|r| r.held as f64 / r.follow.as_secs_f64()),
        "steady_changes_per_s": each(&|r| r.steady_changes as f64 / r.steady_time.as_secs_f64()),
        "steady_p50_ms": latency(0.5),
        "steady_p99_ms": latency(0.99),
        "throughput_changes_per_s": each(&|r| r.burst_changes as f64 / r.burst_time.as_secs_f64()),
        "catch_up_ms": each(&|r| millis(r.catch_up)),
        "rss_mib": each(&|r| r.rss_kib as f64 / 1024.0),
        "peak_rss_mib": each(&|r| r.peak_kib as f64 / 1024.0),
        "bomb_rss_before_mib": each(&|r| r.bomb_before_kib as f64 / 1024.0),
        "bomb_rss_after_mib": each(&|r| r.bomb_after_kib as f64 / 1024.0),
        "connections_cut": each(&|r| f64::from(r.cuts)),
        "undelivered": each(&|r| r.undelivered as f64),
        "cpu_ms_per_change": each(&|r| r.cpu_seconds * 1000.0 / (docs * 2.0 + (r.steady_changes + r.burst_changes) as f64)),
    })
}

#[tokio::main]
async fn main() {
    let o = options();
    let mut ours = Vec::new();
    let mut unsynced = Vec::new();
    let mut reference = Vec::new();
    for run_index in 0..o.runs {
        let mut servers = vec![
            Server::ours(o.clients / 2, true),
            Server::ours(o.clients / 2, false),
        ];
        if !o.only_ours {
            servers.push(Server::reference());
        }
        for server in servers {
            eprintln!("run {}/{}: {}", run_index + 1, o.runs, server.name());
            let figures = run(&server, &o).await;
            match server {
                Server::Ours { synced: true, .. } => ours.push(figures),
                Server::Ours { synced: false, .. } => unsynced.push(figures),
                Server::Reference { .. } => reference.push(figures),
            }
        }
    }
    if reference.is_empty() {
        let figures =
            json!({ "ours": summary(&ours, &o), "ours_unsynced": summary(&unsynced, &o) });
        println!("{}", serde_json::to_string_pretty(&figures).unwrap());
        return;
    }
    let (ours, unsynced, reference) = (
        summary(&ours, &o),
        summary(&unsynced, &o),
        summary(&reference, &o),
    );
    let rows = [
        ("upload, documents/s", "upload_docs_per_s"),
        (
            "follow another device's documents, documents/s",
            "follow_docs_per_s",
        ),
        ("steady changes delivered/s", "steady_changes_per_s"),
        (
            "change → arrival at the other device, p50 ms",
            "steady_p50_ms",
        ),
        (
            "change → arrival at the other device, p99 ms",
            "steady_p99_ms",
        ),
        (
            "throughput, changes delivered/s",
            "throughput_changes_per_s",
        ),
        ("catch-up of tickets filed offline, ms", "catch_up_ms"),
        ("resident memory after the load, MiB", "rss_mib"),
        ("peak resident memory, MiB", "peak_rss_mib"),
        (
            "resident memory before a 256 MiB bomb, MiB",
            "bomb_rss_before_mib",
        ),
        ("resident memory after the bomb, MiB", "bomb_rss_after_mib"),
        ("server CPU per document or change, ms", "cpu_ms_per_change"),
        (
            "connections the server cut (each client reconnects)",
            "connections_cut",
        ),
        ("documents or changes not delivered in time", "undelivered"),
    ];
    println!(
        "relay vs reference on loopback: {} clients × {} documents, {} s at {}/s per client, {} back-to-back changes each, catch-up of {} tickets; medians of {} runs",
        o.clients, o.docs, o.seconds, o.rate, o.burst, o.offline_tickets, o.runs
    );
    println!(
        "{:<52} {:>12} {:>12} {:>8} {:>12} {:>8}",
        "", "innerdesk", "reference", "ratio", "not synced", "ratio"
    );
    for (label, key) in rows {
        let figure = |of: &serde_json::Value| of[key].as_f64().unwrap();
        let (mine, theirs, fast) = (figure(&ours), figure(&reference), figure(&unsynced));
        let ratio = |to: f64| {
            if to > 0.0 {
                format!("{:.2}×", mine / to)
            } else {
                "—".into()
            }
        };
        println!(
            "{label:<52} {mine:>12.1} {theirs:>12.1} {:>8} {fast:>12.1} {:>8}",
            ratio(theirs),
            ratio(fast)
        );
    }
    if let Some(path) = &o.json {
        let report = json!({
            "clients": o.clients, "docs": o.docs, "seconds": o.seconds, "rate": o.rate,
            "burst": o.burst, "offline_tickets": o.offline_tickets, "runs": o.runs,
            "phase_seconds": o.phase_seconds,
            "ours": ours, "ours_unsynced": unsynced, "reference": reference,
        });
        std::fs::write(path, serde_json::to_string_pretty(&report).unwrap())
            .expect("the JSON is written");
    }
}

//! What the relay's tests share: the real `sync-server` binary on 127.0.0.1, its admin commands,
//! plain HTTP requests, and a native peer that speaks the sync protocol through
//! `innerdesk_core::sync` (the same state machine the page uses).
#![allow(dead_code)]

use automerge::transaction::Transactable;
use futures::{SinkExt, StreamExt};
use innerdesk_core::access::{PersonId, Role};
use innerdesk_core::domain::{Account, DocumentId, Priority, Profile, TicketDraft, Timestamp};
use innerdesk_core::store::ticket_index::read_rows;
use innerdesk_core::store::TicketDoc;
use innerdesk_core::sync::wire::Message;
use innerdesk_core::sync::{MemoryReplica, Output, SyncClient, SyncStatus};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as Frame;

pub const BINARY: &str = env!("CARGO_BIN_EXE_sync-server");

pub struct Relay {
    pub child: Child,
    pub addr: String,
    pub data: PathBuf,
    extra: Vec<String>,
}

impl Relay {
    pub fn start(page_dir: &Path, data_dir: &Path) -> Relay {
        Self::start_with(page_dir, data_dir, "127.0.0.1:0", &[])
    }

    /// Starts on `addr` (port 0 lets the OS pick) with extra flags.
    pub fn start_with(page_dir: &Path, data_dir: &Path, addr: &str, extra: &[&str]) -> Relay {
        Self::spawn(
            Self::command(page_dir, data_dir, addr, extra),
            data_dir,
            extra,
        )
    }

    /// The command that starts a relay, for a test that sets more on it before `spawn`.
    pub fn command(page_dir: &Path, data_dir: &Path, addr: &str, extra: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(["--addr", addr, "--page-dir"])
            .arg(page_dir)
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            // INNERDESK_RELAY_LOGS=1 shows the relay's own log while debugging a test.
            .stderr(if std::env::var_os("INNERDESK_RELAY_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        command
    }

    pub fn spawn(mut command: Command, data_dir: &Path, extra: &[&str]) -> Relay {
        let mut child = command.spawn().expect("the relay starts");
        // The relay prints the URL it listens on.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.starts_with("Innerdesk is running at http://") {
            line.clear();
            assert_ne!(
                stdout.read_line(&mut line).unwrap(),
                0,
                "the relay printed no address"
            );
        }
        let addr = line
            .trim()
            .trim_start_matches("Innerdesk is running at http://")
            .trim_end_matches('/')
            .to_string();
        Relay {
            child,
            addr,
            data: data_dir.to_path_buf(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// SIGKILL, then start again on the same address and data folder.
    pub fn kill_and_restart(&mut self, page_dir: &Path) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        *self = Relay::start_with(page_dir, &self.data, &self.addr, &extra);
    }

    pub fn get(&self, path: &str) -> (u16, String, String) {
        self.request(path, None)
    }

    /// A GET with an optional bearer token: status, lower-cased head, body.
    pub fn request(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        self.call("GET", path, token, None)
    }

    /// Any request, with an optional bearer token and JSON body: status, lower-cased head, body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        json: Option<&str>,
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let body = json
            .map(|j| {
                format!(
                    "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{j}",
                    j.len()
                )
            })
            .unwrap_or_else(|| "\r\n".into());
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0\r\n{auth}Connection: close\r\n{body}",
            self.addr
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, head.to_lowercase(), body.to_string())
    }

    /// The session a token signs in: (person id, index document ids).
    pub fn session(&self, token: &str) -> (String, Vec<DocumentId>) {
        let json = self.session_json(token);
        let indexes = json["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect();
        (json["person"]["id"].as_str().unwrap().to_string(), indexes)
    }

    pub fn session_json(&self, token: &str) -> serde_json::Value {
        let (status, _, body) = self.request("/api/session", Some(token));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&dechunk(&body)).unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Bodies of `Connection: close` responses may still be chunked; undo that.
pub fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_string();
        };
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_string();
        };
        if size == 0 {
            return out;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// Runs an admin subcommand on a data folder; returns its stdout.
pub fn admin(data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(BINARY)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Adds a person and returns their sign-in token.
pub fn add_person(
    data_dir: &Path,
    name: &str,
    email: &str,
    department: &str,
    role: &str,
) -> String {
    let out = admin(
        data_dir,
        &[
            "people",
            "add",
            "--name",
            name,
            "--email",
            email,
            "--department",
            department,
            "--role",
            role,
        ],
    );
    out.lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("the token is printed")
        .to_string()
}

/// A fresh folder; unique per call, since tests in one binary run side by side.
pub fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("innerdesk-relay-test-{name}-{pid}-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn page_dir() -> PathBuf {
    let dir = temp_dir("page");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Innerdesk</title>",
    )
    .unwrap();
    std::fs::write(dir.join("sw.js"), "// worker").unwrap();
    dir
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A device that syncs through the relay with the same state machine the page uses.
pub struct Peer {
    socket: Option<Socket>,
    url: String,
    /// Sent in an `Authorization` header: a sign-in secret never goes in an address.
    token: String,
    pub client: SyncClient,
    pub replica: MemoryReplica,
    /// Every document the relay sent a sync or request message about: what crossed the wire.
    pub seen_on_wire: HashSet<DocumentId>,
    pub unavailable: HashSet<DocumentId>,
    pub read_only: HashSet<DocumentId>,
    pub errors: Vec<String>,
}

impl Peer {
    /// Connects and finishes the handshake, or returns the HTTP status that refused it.
    pub async fn connect(addr: &str, token: &str, person: &str, device: &str) -> Result<Peer, u16> {
        Self::dial(
            format!("ws://{addr}/sync?device={device}"),
            token,
            person,
            device,
        )
        .await
    }

    /// Connects with a one-use ticket from `/api/session`, as the page does.
    pub async fn connect_with_ticket(
        addr: &str,
        ticket: &str,
        person: &str,
        device: &str,
    ) -> Result<Peer, u16> {
        Self::dial(
            format!("ws://{addr}/sync?ticket={ticket}"),
            "",
            person,
            device,
        )
        .await
    }

    async fn dial(url: String, token: &str, person: &str, device: &str) -> Result<Peer, u16> {
        let mut peer = Peer {
            socket: None,
            url,
            token: token.into(),
            client: SyncClient::new(format!("{person}~{device}")),
            replica: MemoryReplica::default(),
            seen_on_wire: HashSet::new(),
            unavailable: HashSet::new(),
            read_only: HashSet::new(),
            errors: Vec::new(),
        };
        peer.reconnect().await?;
        Ok(peer)
    }

    pub async fn reconnect(&mut self) -> Result<(), u16> {
        self.client.disconnected();
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = self.url.as_str().into_client_request().unwrap();
        if !self.token.is_empty() {
            let value = format!("Bearer {}", self.token).parse().unwrap();
            request.headers_mut().insert("authorization", value);
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(response) => response.status().as_u16(),
                _ => 0,
            })?;
        self.socket = Some(socket);
        let hello = self.client.hello();
        self.send(hello).await;
        if self.until(|p| p.client.is_connected(), 5).await {
            Ok(())
        } else {
            Err(0)
        }
    }

    pub async fn send(&mut self, bytes: Vec<u8>) {
        if let Some(socket) = self.socket.as_mut() {
            if socket.send(Frame::Binary(bytes.into())).await.is_err() {
                self.socket = None;
            }
        }
    }

    pub async fn send_frame(&mut self, frame: Frame) {
        self.socket.as_mut().unwrap().send(frame).await.unwrap();
    }

    async fn run(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Send(bytes) => self.send(bytes).await,
                Output::Unavailable(id) => {
                    self.unavailable.insert(id);
                }
                Output::ReadOnly(id) => {
                    self.read_only.insert(id);
                }
                Output::Changed(_) | Output::Settled(_) => {}
            }
        }
    }

    pub async fn track(&mut self, id: DocumentId) {
        let outputs = self.client.track(id, &mut self.replica);
        self.run(outputs).await;
    }

    pub async fn changed(&mut self, id: DocumentId) {
        let outputs = self.client.changed_locally(id, &mut self.replica);
        self.run(outputs).await;
    }

    /// Tells the relay about a change and keeps answering until the relay holds it, as a connected
    /// device does: a change can need more than one round trip (the relay's Bloom filter may claim
    /// it already has a new change, and then asks for it).
    pub async fn deliver(&mut self, id: DocumentId) -> bool {
        self.changed(id).await;
        self.until(|p| p.client.is_settled(id), 10).await
    }

    pub fn is_closed(&self) -> bool {
        self.socket.is_none()
    }

    /// Handles frames until `done` holds or `seconds` pass; true if it held.
    pub async fn until(&mut self, done: impl Fn(&Peer) -> bool, seconds: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while !done(self) {
            let Some(socket) = self.socket.as_mut() else {
                return done(self);
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            // Short waits, so a condition on the clock is noticed without a frame.
            let wait = left.min(Duration::from_millis(50));
            let frame = match tokio::time::timeout(wait, socket.next()).await {
                Err(_) => continue,
                Ok(None) | Ok(Some(Err(_))) => {
                    self.socket = None;
                    self.client.disconnected();
                    continue;
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Frame::Binary(bytes) = frame else {
                if let Frame::Close(_) = frame {
                    self.socket = None;
                    self.client.disconnected();
                }
                continue;
            };
            match Message::decode(&bytes) {
                Ok(Message::Sync(m) | Message::Request(m)) => {
                    self.seen_on_wire.insert(m.document);
                }
                Ok(Message::Error { message }) => self.errors.push(message),
                _ => {}
            }
            match self.client.receive(&bytes, &mut self.replica) {
                Ok(outputs) => self.run(outputs).await,
                Err(e) => self.errors.push(e.to_string()),
            }
        }
        true
    }

    /// Handles frames for a while (to show that something does *not* arrive).
    pub async fn idle(&mut self, millis: u64) {
        let deadline = Instant::now() + Duration::from_millis(millis);
        self.until(move |_| Instant::now() >= deadline, millis / 1000 + 1)
            .await;
    }

    pub async fn up_to_date(&mut self, seconds: u64) -> bool {
        self.until(|p| p.client.status() == SyncStatus::UpToDate, seconds)
            .await
    }
}

// Stories: people signed in on devices, filing tickets and reading their lists.

/// Someone signed in on a device, as the page would be.
pub struct Person {
    pub id: String,
    pub token: String,
    pub indexes: Vec<DocumentId>,
    pub peer: Peer,
}

pub async fn sign_in(relay: &Relay, token: &str, device: &str) -> Person {
    let (id, indexes) = relay.session(token);
    let mut peer = Peer::connect(&relay.addr, token, &id, device)
        .await
        .expect("signed in");
    for index in &indexes {
        peer.track(*index).await;
    }
    Person {
        id,
        token: token.to_string(),
        indexes,
        peer,
    }
}

pub fn new_ticket(
    by: &Person,
    name: &str,
    title: &str,
    queue: &str,
    n: u8,
) -> (DocumentId, automerge::AutoCommit) {
    let mut profile = Profile::new(name, "财务部").unwrap();
    profile.account = Some(Account {
        person: PersonId(by.id.clone()),
        role: Role::Requester,
        email: String::new(),
    });
    let draft = TicketDraft {
        title: title.into(),
        description: "打不开".into(),
        requester: name.into(),
        department: queue.into(),
        category: String::new(),
        priority: Priority::Normal,
        ..Default::default()
    };
    let id = DocumentId::from_bytes([n; 16]);
    let doc = TicketDoc::create(id, &draft, &profile, Timestamp(1_000)).unwrap();
    (id, doc.automerge().clone())
}

pub fn listed(person: &Person) -> Vec<DocumentId> {
    listed_in(&person.peer, &person.indexes)
}

/// Asks for every document in `ids` and waits until this peer holds them all.
pub async fn fetch_all(peer: &mut Peer, ids: &[DocumentId]) -> bool {
    for id in ids {
        peer.track(*id).await;
    }
    peer.until(|p| ids.iter().all(|id| p.replica.docs.contains_key(id)), 20)
        .await
}

pub fn listed_in(peer: &Peer, indexes: &[DocumentId]) -> Vec<DocumentId> {
    indexes
        .iter()
        .filter_map(|i| peer.replica.docs.get(i))
        .flat_map(|d| read_rows(d).map(|r| r.rows).unwrap_or_default())
        .map(|s| s.id)
        .collect()
}

/// A document of `kind` holding one `note`.
pub fn document_of_kind(kind: &str, note: &str) -> automerge::AutoCommit {
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "kind", kind).unwrap();
    doc.put(automerge::ROOT, "note", note).unwrap();
    doc.commit();
    doc
}

pub fn response_doc(score: i64, at: i64) -> automerge::AutoCommit {
    use innerdesk_core::domain::voice::results::Response;
    use innerdesk_core::domain::voice::survey::Answer;
    innerdesk_core::store::voice_doc::create_response(&Response {
        survey: "s1".into(),
        round: 1,
        respondent: "claimed-by-the-document".into(),
        department: "claimed".into(),
        answers: [("q1".to_string(), Answer::Score(score))].into(),
        at: Timestamp(at),
    })
    .unwrap()
}

pub fn article(
    department: &str,
    audience: innerdesk_core::domain::knowledge::Audience,
) -> automerge::AutoCommit {
    use innerdesk_core::domain::catalog::Text;
    let draft = innerdesk_core::domain::knowledge::ArticleDraft {
        department: department.into(),
        audience,
        title: Text {
            zh: "连接公司 VPN".into(),
            en: "Connect to the VPN".into(),
        },
        ..Default::default()
    };
    innerdesk_core::store::article_doc::create(&draft, "Li Lei", Timestamp(1_000)).unwrap()
}

/// A ticket as a peer holds it: its request and whichever of its parts the peer has.
pub fn family_in(peer: &Peer, id: DocumentId) -> Option<TicketDoc> {
    let mut ticket = TicketDoc::from_automerge(peer.replica.docs.get(&id)?.clone()).ok()?;
    // The team's part names more people, whose parts name none: two rounds find them all.
    for _ in 0..2 {
        for part in ticket.readable_parts(true) {
            if let Some(doc) = peer.replica.docs.get(&part) {
                ticket.attach(part, doc.clone());
            }
        }
    }
    Some(ticket)
}

/// Reads a ticket from every document of it a peer holds.
pub fn ticket_in(peer: &Peer, id: DocumentId) -> Option<innerdesk_core::domain::Ticket> {
    family_in(peer, id)?.read().ok()
}

/// Keeps a ticket's parts in step too (the staff part only when `staff`), as the page does.
pub async fn follow_parts(peer: &mut Peer, id: DocumentId, staff: bool) {
    let Some(ticket) = family_in(peer, id) else {
        return;
    };
    for part in ticket.readable_parts(staff) {
        peer.track(part).await;
    }
    // The relay starts the team's part with the ticket: it is there to arrive, and may name
    // more people whose parts to follow.
    let team = innerdesk_core::store::ticket_parts::part_id(
        id,
        &innerdesk_core::store::ticket_parts::Part::Team,
    );
    assert!(
        peer.until(|p| p.replica.docs.contains_key(&team), 10).await,
        "the ticket's team part arrives"
    );
    if let Some(ticket) = family_in(peer, id) {
        for part in ticket.readable_parts(staff) {
            peer.track(part).await;
        }
    }
}

/// Changes a ticket as the page would, each document of it taking its side's changes, and
/// delivers what changed; the ids of the documents changed.
pub async fn change_ticket(
    peer: &mut Peer,
    id: DocumentId,
    change: impl FnOnce(&mut TicketDoc),
) -> Vec<DocumentId> {
    let mut ticket = family_in(peer, id).expect("the peer holds the ticket");
    change(&mut ticket);
    let touched = ticket.take_touched();
    for doc in &touched {
        let changed = ticket
            .doc_mut(*doc)
            .expect("a document of the ticket")
            .clone();
        peer.replica.docs.insert(*doc, changed);
        peer.track(*doc).await; // a part begun here is new to sync
        assert!(peer.deliver(*doc).await, "the relay holds the change");
    }
    touched
}

/// A change chunk compressed whole (chunk type 2) whose data inflates to `mib` MiB of zeros.
fn compressed_chunk(mib: usize) -> Vec<u8> {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let zeros = vec![0; 1024 * 1024];
    for _ in 0..mib {
        encoder.write_all(&zeros).unwrap();
    }
    let data = encoder.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut n = data.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        chunk.push(if n == 0 { byte } else { byte | 0x80 });
        if n == 0 {
            break;
        }
    }
    chunk.extend(data);
    chunk
}

/// A sync frame from `sender` to `target` whose one change inflates to `mib` MiB (a quarter of a
/// megabyte on the wire for 256): a compression bomb.
pub fn compression_bomb(sender: &str, target: &str, mib: usize) -> Vec<u8> {
    let message = automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: compressed_chunk(mib).into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    Message::Sync(innerdesk_core::sync::wire::DocumentMessage {
        sender: sender.into(),
        target: target.into(),
        document: DocumentId::from_bytes([6; 16]),
        data: message.encode(),
    })
    .encode()
}

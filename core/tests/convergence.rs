//! Convergence under a hostile network: five devices (the page's sans-IO sync client, each with its
//! own replica) and the relay's per-document logic (`sync::fanout`, as the relay's hub runs it), in
//! one process. Random operations — new tickets, tickets of the previous schema that every device
//! migrates as it edits them, comments that mention people (who then follow), status changes,
//! assignments, edits of the co-edited description — interleave with deliveries out of order,
//! duplicated deliveries, cut connections, partitions and reconnections. Then the network heals,
//! and every device and the relay must hold the same documents, with every operation any device
//! accepted present and no conflict on what a migration creates.
//!
//! `CONVERGENCE_CASES=100000 cargo test --release -p innerdesk-core --test convergence` runs longer.

use automerge::sync::{self, SyncDoc};
use automerge::{transaction::Transactable, AutoCommit, Automerge, ReadDoc, ROOT};
use innerdesk_core::domain::{DocumentId, Profile, Status, TicketDraft, Timestamp, Visibility};
use innerdesk_core::store::ticket_doc::Side;
use innerdesk_core::store::TicketDoc;
use innerdesk_core::sync::fanout::{self, Subscribers};
use innerdesk_core::sync::wire::DocumentMessage;
use innerdesk_core::sync::{MemoryReplica, Message, Output, SyncClient};
use proptest::prelude::*;
use std::collections::HashMap;

const DEVICES: usize = 5;
const RELAY: &str = "relay";
const PEOPLE: [&str; 3] = ["li@example.cn", "zhao@example.cn", "sun@example.cn"];
const SAVED_BY_SCHEMA_1: &[u8] = include_bytes!("fixtures/ticket-schema-1.automerge");

/// What happens next; numbers are indexes: a device, a ticket (of those filed), a person, a
/// status, a place in the text.
#[derive(Debug, Clone)]
enum Op {
    /// (device)
    File(usize),
    /// A ticket saved by the release before schema 2, held by every device, each of which
    /// migrates it as it edits it.
    FileOld,
    /// (device, ticket, person): a comment that mentions someone, who then follows the ticket.
    Comment(usize, usize, usize),
    /// (device, ticket, status)
    Status(usize, usize, usize),
    /// (device, ticket, person)
    Assign(usize, usize, usize),
    /// (device, ticket, place): an insertion into the description.
    Describe(usize, usize, usize),
    /// The device learns of every ticket filed so far (as it would from its queue's index).
    Discover(usize),
    /// One message handed over, picked from anywhere in the queue (out of order); a duplicate
    /// leaves it queued to be handed over again.
    Deliver {
        device: usize,
        to_relay: bool,
        pick: usize,
        duplicate: bool,
    },
    Disconnect(usize),
    Reconnect(usize),
    /// The devices in the mask lose the network at once.
    Partition(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let device = 0..DEVICES;
    let ticket = 0..8usize;
    prop_oneof![
        2 => device.clone().prop_map(Op::File),
        1 => Just(Op::FileOld),
        3 => (device.clone(), ticket.clone(), 0..3usize).prop_map(|(d, t, p)| Op::Comment(d, t, p)),
        2 => (device.clone(), ticket.clone(), 0..5usize).prop_map(|(d, t, s)| Op::Status(d, t, s)),
        1 => (device.clone(), ticket.clone(), 0..3usize).prop_map(|(d, t, p)| Op::Assign(d, t, p)),
        2 => (device.clone(), ticket.clone(), 0..64usize).prop_map(|(d, t, at)| Op::Describe(d, t, at)),
        2 => device.clone().prop_map(Op::Discover),
        12 => (device.clone(), any::<bool>(), 0..8usize, prop::bool::weighted(0.1)).prop_map(
            |(device, to_relay, pick, duplicate)| Op::Deliver { device, to_relay, pick, duplicate }
        ),
        1 => device.clone().prop_map(Op::Disconnect),
        2 => device.prop_map(Op::Reconnect),
        1 => any::<u8>().prop_map(Op::Partition),
    ]
}

struct Device {
    name: String,
    client: SyncClient,
    replica: MemoryReplica,
    conn: Option<u64>,
    to_relay: Vec<Vec<u8>>,
    from_relay: Vec<Vec<u8>>,
}

/// The relay as its hub runs a document: per-connection sync states, answered after each message.
#[derive(Default)]
struct Relay {
    docs: HashMap<DocumentId, (Automerge, Subscribers<usize>)>,
}

/// What devices did and the relay accepted: everything that must be everywhere in the end.
#[derive(Default)]
struct Expected {
    comments: Vec<(DocumentId, String)>,
    events: Vec<(DocumentId, Timestamp)>,
    markers: Vec<(DocumentId, String)>,
    followers: Vec<(DocumentId, String)>,
}

struct World {
    devices: Vec<Device>,
    relay: Relay,
    filed: Vec<DocumentId>,
    expected: Expected,
    next_conn: u64,
    clock: i64,
}

impl World {
    fn new() -> Self {
        let mut world = World {
            devices: (0..DEVICES)
                .map(|i| Device {
                    name: format!("device-{i}"),
                    client: SyncClient::new(format!("device-{i}")),
                    replica: MemoryReplica::default(),
                    conn: None,
                    to_relay: Vec::new(),
                    from_relay: Vec::new(),
                })
                .collect(),
            relay: Relay::default(),
            filed: Vec::new(),
            expected: Expected::default(),
            next_conn: 1,
            clock: 1_700_000_000_000,
        };
        for d in 0..DEVICES {
            world.reconnect(d);
        }
        world
    }

    fn tick(&mut self) -> Timestamp {
        self.clock += 1_000;
        Timestamp(self.clock)
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::File(d) => self.file(d),
            Op::FileOld => self.file_old(),
            Op::Comment(d, t, p) => {
                let body = format!("comment {}", self.clock);
                let now = self.tick();
                let done = self.edit(d, t, |ticket| {
                    ticket
                        .add_comment(
                            &body,
                            Visibility::Public,
                            &[PEOPLE[p].into()],
                            ("Li Lei", &Side::Team),
                            now,
                        )
                        .is_ok()
                });
                if let Some(id) = done {
                    self.expected.comments.push((id, body));
                    self.expected.followers.push((id, PEOPLE[p].to_string()));
                }
            }
            Op::Status(d, t, s) => {
                let now = self.tick();
                let done = self.edit(d, t, |ticket| {
                    ticket.change_status(Status::ALL[s], "Li Lei", now).is_ok()
                });
                if let Some(id) = done {
                    self.expected.events.push((id, now));
                }
            }
            Op::Assign(d, t, p) => {
                let now = self.tick();
                let done = self.edit(d, t, |ticket| {
                    let before = ticket.read().unwrap().assignee;
                    before != PEOPLE[p] && ticket.assign(PEOPLE[p], "Li Lei", now).is_ok()
                });
                if let Some(id) = done {
                    self.expected.events.push((id, now));
                }
            }
            Op::Describe(d, t, at) => {
                let marker = format!("[{}]", self.tick().0);
                let done = self.edit(d, t, |ticket| {
                    let doc = ticket.automerge_mut();
                    let Ok(Some((_, text))) = doc.get(ROOT, "description") else {
                        return false;
                    };
                    // Between earlier edits, never inside one, so each stays whole to be found.
                    let now = doc.text(&text).unwrap_or_default();
                    let gaps: Vec<usize> = std::iter::once(0)
                        .chain(
                            now.chars()
                                .enumerate()
                                .filter(|(_, c)| *c == ']')
                                .map(|(i, _)| i + 1),
                        )
                        .collect();
                    let at = gaps[at % gaps.len()];
                    let made = doc.splice_text(&text, at, 0, &marker).is_ok();
                    doc.commit();
                    made
                });
                if let Some(id) = done {
                    self.expected.markers.push((id, marker));
                }
            }
            Op::Discover(d) => {
                for id in self.filed.clone() {
                    let device = &mut self.devices[d];
                    let outputs = device.client.track(id, &mut device.replica);
                    self.send(d, outputs);
                }
            }
            Op::Deliver {
                device,
                to_relay,
                pick,
                duplicate,
            } => self.deliver(device, to_relay, pick, duplicate),
            Op::Disconnect(d) => self.disconnect(d),
            Op::Reconnect(d) => self.reconnect(d),
            Op::Partition(mask) => {
                for d in (0..DEVICES).filter(|d| mask & (1 << d) != 0) {
                    self.disconnect(d);
                }
            }
        }
    }

    /// Room for one more ticket (at most eight, so edits land on the same few): its id.
    fn next_ticket(&mut self) -> Option<DocumentId> {
        (self.filed.len() < 8).then(|| {
            let id = DocumentId::from_bytes([self.filed.len() as u8 + 1; 16]);
            self.filed.push(id);
            id
        })
    }

    fn hold(&mut self, d: usize, id: DocumentId, doc: AutoCommit) {
        let device = &mut self.devices[d];
        device.replica.docs.insert(id, doc);
        let outputs = device.client.track(id, &mut device.replica);
        self.send(d, outputs);
    }

    fn file(&mut self, d: usize) {
        let Some(id) = self.next_ticket() else {
            return;
        };
        let draft = TicketDraft {
            title: format!("Ticket {id}"),
            description: "VPN drops".into(),
            requester: "王芳".into(),
            department: "IT".into(),
            ..Default::default()
        };
        let filer = Profile::new("王芳", "财务部").unwrap();
        let ticket = TicketDoc::create(id, &draft, &filer, self.tick()).unwrap();
        self.hold(d, id, ticket.automerge().clone());
    }

    /// Every device already held it before the upgrade; each migrates it when it edits it.
    fn file_old(&mut self) {
        let Some(id) = self.next_ticket() else {
            return;
        };
        for d in 0..DEVICES {
            self.hold(d, id, AutoCommit::load(SAVED_BY_SCHEMA_1).unwrap());
        }
    }

    /// Changes a ticket the device holds; the ticket's id if the change was made.
    fn edit(
        &mut self,
        d: usize,
        t: usize,
        change: impl FnOnce(&mut TicketDoc) -> bool,
    ) -> Option<DocumentId> {
        let id = *self.filed.get(t)?;
        let device = &mut self.devices[d];
        let doc = device.replica.docs.remove(&id)?;
        let mut ticket = TicketDoc::from_automerge(doc).expect("a ticket");
        let made = change(&mut ticket);
        device.replica.docs.insert(id, ticket.automerge().clone());
        if !made {
            return None;
        }
        let outputs = device.client.changed_locally(id, &mut device.replica);
        self.send(d, outputs);
        Some(id)
    }

    fn send(&mut self, d: usize, outputs: Vec<Output>) {
        let device = &mut self.devices[d];
        for output in outputs {
            if let (Output::Send(bytes), Some(_)) = (output, device.conn) {
                device.to_relay.push(bytes);
            }
        }
    }

    fn deliver(&mut self, d: usize, to_relay: bool, pick: usize, duplicate: bool) {
        let device = &mut self.devices[d];
        let queue = if to_relay {
            &mut device.to_relay
        } else {
            &mut device.from_relay
        };
        if queue.is_empty() {
            return;
        }
        let at = pick % queue.len();
        let bytes = if duplicate {
            queue[at].clone()
        } else {
            queue.remove(at)
        };
        if to_relay {
            let conn = device.conn.expect("queued only while connected");
            let name = device.name.clone();
            match self.relay.receive(conn, d, &name, &bytes) {
                Ok(answers) => {
                    for (to, bytes) in answers {
                        self.devices[to].from_relay.push(bytes);
                    }
                }
                // The relay closes a connection whose message it cannot use.
                Err(()) => self.disconnect(d),
            }
        } else {
            match device.client.receive(&bytes, &mut device.replica) {
                Ok(outputs) => self.send(d, outputs),
                // So does the page, on a message it cannot use.
                Err(_) => self.disconnect(d),
            }
        }
    }

    fn disconnect(&mut self, d: usize) {
        let device = &mut self.devices[d];
        let Some(conn) = device.conn.take() else {
            return;
        };
        device.client.disconnected();
        device.to_relay.clear();
        device.from_relay.clear();
        self.relay.leave(conn);
    }

    fn reconnect(&mut self, d: usize) {
        self.disconnect(d);
        let conn = self.next_conn;
        self.next_conn += 1;
        let device = &mut self.devices[d];
        device.conn = Some(conn);
        let hello = device.client.hello();
        device.to_relay.push(hello);
    }

    /// The network heals: everyone reconnects and messages flow in order until nothing is left.
    fn heal(&mut self) {
        for _ in 0..6 {
            for d in 0..DEVICES {
                self.reconnect(d);
                self.apply(Op::Discover(d));
            }
            for _ in 0..10_000 {
                let busy: Vec<(usize, bool)> = (0..DEVICES)
                    .flat_map(|d| [(d, true), (d, false)])
                    .filter(|&(d, up)| {
                        let device = &self.devices[d];
                        !if up {
                            &device.to_relay
                        } else {
                            &device.from_relay
                        }
                        .is_empty()
                    })
                    .collect();
                if busy.is_empty() {
                    break;
                }
                for (d, up) in busy {
                    self.deliver(d, up, 0, false);
                }
            }
            if self.converged().is_ok() {
                return;
            }
        }
    }

    /// Same heads everywhere, and every accepted operation in every copy.
    fn converged(&mut self) -> Result<(), String> {
        for &id in &self.filed {
            let relay = self
                .relay
                .docs
                .get(&id)
                .map(|(doc, _)| doc.get_heads())
                .ok_or(format!("the relay lacks {id}"))?;
            for device in &mut self.devices {
                let doc = device
                    .replica
                    .docs
                    .get_mut(&id)
                    .ok_or(format!("{} lacks {id}", device.name))?;
                if doc.get_heads() != relay {
                    return Err(format!("{} differs from the relay on {id}", device.name));
                }
            }
        }
        for device in &self.devices {
            let read = |id: &DocumentId| {
                TicketDoc::from_automerge(device.replica.docs[id].clone())
                    .and_then(|t| t.read())
                    .map_err(|e| e.to_string())
            };
            for (id, body) in &self.expected.comments {
                if !read(id)?.comments.iter().any(|c| &c.body == body) {
                    return Err(format!("{} lost {body:?} on {id}", device.name));
                }
            }
            for (id, at) in &self.expected.events {
                if !read(id)?.events.iter().any(|e| e.at == *at) {
                    return Err(format!("{} lost the event at {at:?} on {id}", device.name));
                }
            }
            for (id, email) in &self.expected.followers {
                if !read(id)?.watchers.contains(email) {
                    return Err(format!("{} lost the follower {email} on {id}", device.name));
                }
            }
            for id in &self.filed {
                let doc = &device.replica.docs[id];
                for key in ["schema", "followers"] {
                    if doc.get_all(ROOT, key).map_err(|e| e.to_string())?.len() > 1 {
                        return Err(format!("{} has a conflict on {key} of {id}", device.name));
                    }
                }
            }
            for (id, marker) in &self.expected.markers {
                if !read(id)?.description.contains(marker.as_str()) {
                    return Err(format!("{} lost the edit {marker} on {id}", device.name));
                }
            }
        }
        Ok(())
    }
}

impl Relay {
    /// One message from a connection: the answers owed, per device; `Err` closes the connection.
    fn receive(
        &mut self,
        conn: u64,
        device: usize,
        name: &str,
        bytes: &[u8],
    ) -> Result<Vec<(usize, Vec<u8>)>, ()> {
        let (m, is_request) = match Message::decode(bytes).map_err(|_| ())? {
            Message::Join { sender } => {
                let peer = Message::Peer {
                    sender: RELAY.into(),
                    target: sender,
                };
                return Ok(vec![(device, peer.encode())]);
            }
            Message::Sync(m) => (m, false),
            Message::Request(m) => (m, true),
            _ => return Ok(Vec::new()),
        };
        let id = m.document;
        let message = sync::Message::decode(&m.data).map_err(|_| ())?;
        if is_request && !self.docs.contains_key(&id) {
            let unavailable = Message::DocUnavailable {
                sender: RELAY.into(),
                target: name.into(),
                document: id,
            };
            return Ok(vec![(device, unavailable.encode())]);
        }
        let (doc, subscribers) = self.docs.entry(id).or_default();
        let (state, _) = subscribers
            .entry(conn)
            .or_insert_with(|| (sync::State::new(), device));
        doc.receive_sync_message(state, message).map_err(|_| ())?;
        let mut answers = Vec::new();
        fanout::answer_everyone(doc, subscribers, |&to, data| {
            let message = Message::Sync(DocumentMessage {
                sender: RELAY.into(),
                target: format!("device-{to}"),
                document: id,
                data,
            });
            answers.push((to, message.encode()));
        });
        Ok(answers)
    }

    fn leave(&mut self, conn: u64) {
        for (_, subscribers) in self.docs.values_mut() {
            subscribers.remove(&conn);
        }
    }
}

fn cases() -> u32 {
    std::env::var("CONVERGENCE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_device_and_the_relay_converge_with_nothing_lost(
        ops in prop::collection::vec(op(), 1..120)
    ) {
        let mut world = World::new();
        for op in ops {
            world.apply(op);
        }
        world.heal();
        if let Err(why) = world.converged() {
            return Err(TestCaseError::fail(why));
        }
    }
}

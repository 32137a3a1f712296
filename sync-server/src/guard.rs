//! One authenticated WebSocket: the handshake, then every frame checked (size, well-formed CBOR,
//! known message types, how many documents it touches) before the hub acts on it. A bad frame
//! closes that connection with an `error` message saying why; nobody else is affected and nothing
//! stored is touched.

use crate::hub::{Hub, Outbox, Pending, Received, RELAY_PEER};
use crate::people::Person;
use crate::relay::{Shared, Signed};
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket};
use futures::{FutureExt, SinkExt, StreamExt};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::sync::wire::{DocumentMessage, Message};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Message types of the automerge-repo protocol that the relay accepts and passes over.
const PASSED_OVER: [&str; 4] = [
    "ephemeral",
    "leave",
    "remote-subscription-change",
    "remote-heads-changed",
];
/// Frames waiting for a connection before it counts as too slow.
const OUTBOX_FRAMES: usize = 4_096;
/// How long a new connection may take to introduce itself.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Most messages whose changes share one sync to disk: nobody hears of those changes until it
/// ends, so a long batch would delay everyone following the documents it touches.
const MOST_IN_A_BATCH: usize = 256;

/// Why a connection is closed.
#[derive(Debug, thiserror::Error)]
pub enum Violation {
    #[error("message of {0} bytes is over the limit of {1} bytes")]
    TooLarge(usize, usize),
    #[error("malformed message: {0}")]
    Malformed(#[from] innerdesk_core::sync::WireError),
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("text frames are not part of the protocol; send binary CBOR")]
    Text,
    #[error("more than {0} documents on one connection")]
    TooManyDocuments(usize),
    #[error("the first message must be a join from {0}")]
    Handshake(String),
    #[error("nothing arrived for {0} s, not even an answer to a ping")]
    Idle(u64),
    #[error(transparent)]
    Hub(#[from] crate::hub::HubError),
}

/// Serves one signed-in socket until it closes.
pub async fn serve(
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    socket: WebSocket,
    person: Person,
    credential_hash: String,
    peer: String,
) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let (mut to_socket, mut from_socket) = socket.split();
    let (frames, mut queued) = mpsc::channel::<Vec<u8>>(OUTBOX_FRAMES);
    let (cut, mut cut_rx) = mpsc::unbounded_channel::<String>();
    let outbox = Outbox {
        conn: NEXT.fetch_add(1, Ordering::Relaxed),
        person: person.id.clone(),
        peer,
        frames,
        cut,
    };
    shared.connections.lock().unwrap().insert(
        outbox.conn,
        Signed {
            person: person.id.clone(),
            credential_hash,
            role: person.role,
            department: person.department.clone(),
            cut: outbox.cut.clone(),
        },
    );
    shared.metrics.connected();
    let idle = shared.limits.idle_seconds;
    // Pings keep a quiet connection alive; a client that cannot answer them (one stuck halfway
    // through a frame, say) is cut by the reader below.
    let mut pings = tokio::time::interval(Duration::from_secs(idle).div_f64(3.0));
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let writer_metrics = shared.clone();
    let writer = tokio::spawn(async move {
        let reason = loop {
            tokio::select! {
                biased;
                Some(reason) = cut_rx.recv() => break Some(reason),
                _ = pings.tick() => {
                    if to_socket.send(Frame::Ping(Default::default())).await.is_err() {
                        break None;
                    }
                }
                bytes = queued.recv() => match bytes {
                    Some(bytes) => {
                        writer_metrics.metrics.sync_sent(bytes.len());
                        if to_socket.send(Frame::Binary(bytes.into())).await.is_err() {
                            break None;
                        }
                    }
                    None => break None,
                },
            }
        };
        if let Some(reason) = reason {
            writer_metrics.metrics.connection_cut();
            tracing::warn!(%reason, "closed a connection");
            let error = Message::Error {
                message: reason.clone(),
            }
            .encode();
            let _ = to_socket.send(Frame::Binary(error.into())).await;
            let close = CloseFrame {
                code: 1008,
                reason: truncate(&reason).into(),
            };
            let _ = to_socket.send(Frame::Close(Some(close))).await;
        } else {
            let _ = to_socket.send(Frame::Close(None)).await;
        }
    });

    let mut connection = Connection {
        shared: shared.clone(),
        hub: hub.clone(),
        outbox: outbox.clone(),
        documents: HashSet::new(),
        joined: false,
        batch: Vec::new(),
    };
    let outcome = loop {
        // Messages already waiting join the batch; once none is, the batch is synced to disk
        // in one go and answered, so a device catching up pays for one sync, not one each.
        if !connection.batch.is_empty() {
            let waiting = from_socket.next().now_or_never();
            if waiting.is_none() || connection.batch.len() >= MOST_IN_A_BATCH {
                if let Err(e) = connection.settle().await {
                    break Err(e);
                }
            }
            if let Some(next) = waiting {
                if let Err(end) = connection.frame(next).await {
                    break end;
                }
            }
            continue;
        }
        let (deadline, late) = if connection.joined {
            (Duration::from_secs(idle), Violation::Idle(idle))
        } else {
            (HANDSHAKE, Violation::Handshake(outbox.peer.clone()))
        };
        let next = match tokio::time::timeout(deadline, from_socket.next()).await {
            Ok(next) => next,
            Err(_) => break Err(late),
        };
        if let Err(end) = connection.frame(next).await {
            break end;
        }
    };
    // What was accepted before the end is still made durable and answered.
    let _ = connection.settle().await;
    if let Err(violation) = outcome {
        let _ = outbox.cut.send(violation.to_string());
    }
    shared.connections.lock().unwrap().remove(&outbox.conn);
    drop(connection.outbox);
    hub.leave(outbox.conn, connection.documents).await;
    drop(outbox);
    let _ = writer.await;
    shared.metrics.disconnected();
}

struct Connection {
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    outbox: Outbox,
    documents: HashSet<DocumentId>,
    joined: bool,
    /// Messages whose changes wait for the next sync to disk.
    batch: Vec<Pending>,
}

impl Connection {
    /// One item from the socket. `Err` ends the connection: `Err(Ok(()))` when the client
    /// closed it, `Err(Err(…))` when it broke a rule.
    async fn frame(
        &mut self,
        next: Option<Result<Frame, axum::Error>>,
    ) -> Result<(), Result<(), Violation>> {
        let verdict = match next {
            Some(Ok(Frame::Binary(bytes))) => self.handle(&bytes).await,
            Some(Ok(Frame::Text(_))) => Err(Violation::Text),
            Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => return Err(Ok(())),
            Some(Ok(_)) => Ok(()),
        };
        verdict.map_err(Err)
    }

    /// Syncs the batch to disk and answers it.
    async fn settle(&mut self) -> Result<(), Violation> {
        let batch = std::mem::take(&mut self.batch);
        Ok(self.hub.settle(batch).await?)
    }

    async fn handle(&mut self, bytes: &[u8]) -> Result<(), Violation> {
        let limit = self.shared.limits.max_message_bytes;
        if bytes.len() > limit {
            return Err(Violation::TooLarge(bytes.len(), limit));
        }
        self.shared.metrics.sync_received(bytes.len());
        match Message::decode(bytes)? {
            Message::Join { sender } if sender == self.outbox.peer => {
                self.joined = true;
                let _ = self.outbox.frames.try_send(
                    Message::Peer {
                        sender: RELAY_PEER.into(),
                        target: sender,
                    }
                    .encode(),
                );
                Ok(())
            }
            _ if !self.joined => Err(Violation::Handshake(self.outbox.peer.clone())),
            Message::Sync(m) => self.document(m, false).await,
            Message::Request(m) => self.document(m, true).await,
            Message::Other { kind } if !PASSED_OVER.contains(&kind.as_str()) => {
                Err(Violation::UnknownType(kind))
            }
            _ => Ok(()),
        }
    }

    /// A `sync` or `request` (the sender lacks the document): counted, then handed to the hub.
    async fn document(&mut self, m: DocumentMessage, is_request: bool) -> Result<(), Violation> {
        let limit = self.shared.limits.max_documents_per_connection;
        if self.documents.insert(m.document) && self.documents.len() > limit {
            return Err(Violation::TooManyDocuments(limit));
        }
        if let Received::Pending(pending) = self.hub.receive(&self.outbox, m, is_request).await? {
            self.batch.push(pending);
        }
        Ok(())
    }
}

/// A close frame's reason must fit in 123 bytes.
fn truncate(reason: &str) -> String {
    let mut end = reason.len().min(120);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

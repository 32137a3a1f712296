//! One authenticated WebSocket, checked frame by frame before samod sees it: size, well-formed
//! CBOR, known message types, how many documents it touches. A bad frame closes that connection
//! with an `error` message saying why; nobody else is affected and nothing stored is touched.
//! Good frames also feed the access registry (first deliverer) and the audit trail.

use crate::people::Person;
use crate::relay::Shared;
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use innerdesk_core::access::Access;
use innerdesk_core::domain::DocumentId;
use innerdesk_core::sync::wire::{self, DocumentMessage, Message};
use samod::{PeerId, Transport};
use std::collections::HashSet;
use std::sync::Arc;

/// Message types of the automerge-repo protocol that the relay lets through to samod.
const PASSED_OVER: [&str; 4] = [
    "ephemeral",
    "leave",
    "remote-subscription-change",
    "remote-heads-changed",
];

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
    #[error("the relay could not record the document: {0}")]
    Storage(String),
}

struct Guard {
    shared: Arc<Shared>,
    person: Person,
    documents: HashSet<DocumentId>,
}

impl Guard {
    fn check(&mut self, bytes: &[u8]) -> Result<(), Violation> {
        let limit = self.shared.limits.max_message_bytes;
        if bytes.len() > limit {
            return Err(Violation::TooLarge(bytes.len(), limit));
        }
        match Message::decode(bytes)? {
            Message::Sync(m) => self.document_message(&m, false),
            Message::Request(m) => self.document_message(&m, true),
            Message::Other { kind } if !PASSED_OVER.contains(&kind.as_str()) => {
                Err(Violation::UnknownType(kind))
            }
            _ => Ok(()),
        }
    }

    fn document_message(&mut self, m: &DocumentMessage, is_request: bool) -> Result<(), Violation> {
        let limit = self.shared.limits.max_documents_per_connection;
        if self.documents.insert(m.document) && self.documents.len() > limit {
            return Err(Violation::TooManyDocuments(limit));
        }
        let storage = |e: std::io::Error| Violation::Storage(e.to_string());
        if self.shared.access(&self.person.id, m.document) != Access::Write {
            return Ok(());
        }
        // Only a peer that has the document sends `sync` (a `request` asks for one it lacks), so
        // only that claims a new document. It is recorded before samod stores anything, so a
        // crash cannot leave a stored document without an owner.
        if !is_request {
            self.shared
                .registry
                .first_delivery(m.document, &self.person.id)
                .map_err(storage)?;
        }
        self.shared
            .audit
            .delivered(m.document, &self.person.id, &m.data)
            .map_err(storage)
    }
}

/// Hands an authenticated socket to samod through the guard, and counts it while it lives.
pub fn serve(
    shared: Arc<Shared>,
    acceptor: &samod::AcceptorHandle,
    socket: WebSocket,
    person: Person,
    peer: PeerId,
) {
    let (mut to_socket, from_socket) = socket.split();
    // samod writes into this channel; so does the guard, for its one `error` message.
    let (outgoing, mut outgoing_rx) = mpsc::channel::<Vec<u8>>(256);
    let (cut_tx, mut cut_rx) = mpsc::unbounded::<String>();
    let mut guard = Guard {
        shared: shared.clone(),
        person,
        documents: HashSet::new(),
    };
    let frames = from_socket.filter_map(move |frame| {
        let verdict = match frame {
            Ok(Frame::Binary(bytes)) => guard.check(&bytes).map(|()| Some(bytes.to_vec())),
            Ok(Frame::Text(_)) => Err(Violation::Text),
            Ok(_) => Ok(None),
            Err(_) => Ok(None),
        };
        let item = match verdict {
            Ok(Some(bytes)) => Some(Ok::<_, std::io::Error>(bytes)),
            Ok(None) => None,
            Err(violation) => {
                let _ = cut_tx.unbounded_send(violation.to_string());
                Some(Err(std::io::Error::other(violation.to_string())))
            }
        };
        std::future::ready(item)
    });
    shared.metrics.connected();
    let transport = Transport::new(Box::pin(frames), outgoing).with_expected_peer_id(peer);
    if acceptor.accept(transport).is_err() {
        shared.metrics.disconnected();
        return;
    }
    tokio::spawn(async move {
        let reason = loop {
            tokio::select! {
                biased;
                Some(reason) = cut_rx.next() => break Some(reason),
                bytes = outgoing_rx.next() => match bytes {
                    Some(bytes) => {
                        hold_until_stored(&shared, &bytes).await;
                        if to_socket.send(Frame::Binary(bytes.into())).await.is_err() {
                            break None;
                        }
                    }
                    None => break None,
                },
            }
        };
        if let Some(reason) = reason {
            shared.metrics.connection_cut();
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
        shared.metrics.disconnected();
    });
}

/// An answer about a document tells the peer what the relay has; it waits until the relay's
/// writes of that document are on disk. (samod hands the write to its storage task just before the
/// answer to the network; the yield lets that task register the write first.)
async fn hold_until_stored(shared: &Shared, bytes: &[u8]) {
    if let Some(doc) = wire::document_of(bytes) {
        tokio::task::yield_now().await;
        shared.writing.flushed(&doc.to_string()).await;
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

//! The automerge-repo WebSocket protocol's messages: CBOR maps with a `type` field. Only the
//! messages Innerdesk acts on are decoded into fields; the rest (ephemeral, leave, remote heads)
//! are recognised by type and passed over.

use crate::domain::DocumentId;
use minicbor::{Decoder, Encoder};

/// The only protocol version automerge-repo speaks today.
pub const PROTOCOL_VERSION: &str = "1";

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The client's greeting: who it is and which protocol versions it speaks.
    Join { sender: String },
    /// The server's answer to `join`.
    Peer { sender: String, target: String },
    /// "Send me this document": a sync message from a peer that does not have it yet.
    Request(DocumentMessage),
    /// An Automerge sync message about one document.
    Sync(DocumentMessage),
    /// The sender does not have the document, or will not share it.
    DocUnavailable {
        sender: String,
        target: String,
        document: DocumentId,
    },
    /// The sender is closing the connection because of what it received.
    Error { message: String },
    /// A message type this client passes over (ephemeral, leave, remote heads…).
    Other { kind: String },
}

/// A sync or request message: which document, between whom, and the Automerge sync bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMessage {
    pub sender: String,
    pub target: String,
    pub document: DocumentId,
    pub data: Vec<u8>,
}

/// Why bytes are not a protocol message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("not CBOR: {0}")]
    Cbor(String),
    #[error("the message is not a CBOR map with a type")]
    NotAMessage,
    #[error("the {kind} message has no {field}")]
    MissingField { kind: String, field: &'static str },
    #[error("the {kind} message names a bad document id")]
    BadDocument { kind: String },
}

impl From<minicbor::decode::Error> for WireError {
    fn from(error: minicbor::decode::Error) -> Self {
        WireError::Cbor(error.to_string())
    }
}

#[derive(Default)]
struct Fields {
    kind: Option<String>,
    sender: Option<String>,
    target: Option<String>,
    document: Option<String>,
    data: Option<Vec<u8>>,
    message: Option<String>,
}

impl Message {
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let fields = read_fields(bytes)?;
        let kind = fields.kind.clone().ok_or(WireError::NotAMessage)?;
        let need = |value: Option<String>, field| {
            value.ok_or_else(|| WireError::MissingField {
                kind: kind.clone(),
                field,
            })
        };
        let document = |value: Option<String>| -> Result<DocumentId, WireError> {
            need(value, "documentId")?
                .parse()
                .map_err(|_| WireError::BadDocument { kind: kind.clone() })
        };
        Ok(match kind.as_str() {
            "join" => Message::Join {
                sender: need(fields.sender, "senderId")?,
            },
            "peer" => Message::Peer {
                sender: need(fields.sender, "senderId")?,
                target: need(fields.target, "targetId")?,
            },
            "request" | "sync" => {
                let message = DocumentMessage {
                    document: document(fields.document)?,
                    sender: need(fields.sender, "senderId")?,
                    target: need(fields.target, "targetId")?,
                    data: fields.data.ok_or_else(|| WireError::MissingField {
                        kind: kind.clone(),
                        field: "data",
                    })?,
                };
                if kind == "sync" {
                    Message::Sync(message)
                } else {
                    Message::Request(message)
                }
            }
            "doc-unavailable" => Message::DocUnavailable {
                document: document(fields.document)?,
                sender: need(fields.sender, "senderId")?,
                target: need(fields.target, "targetId")?,
            },
            "error" => Message::Error {
                message: need(fields.message, "message")?,
            },
            _ => Message::Other { kind },
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut encoder = Encoder::new(Vec::new());
        write_message(&mut encoder, self).expect("writing CBOR to a Vec cannot fail");
        encoder.into_writer()
    }

    /// The `type` this message travels as.
    pub fn kind(&self) -> &str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Request(_) => "request",
            Message::Sync(_) => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Error { .. } => "error",
            Message::Other { kind } => kind,
        }
    }
}

/// The document a message is about, read without copying its payload (for routing and holding
/// back messages cheaply).
pub fn document_of(bytes: &[u8]) -> Option<DocumentId> {
    let mut decoder = Decoder::new(bytes);
    for _ in 0..decoder.map().ok()?? {
        if decoder.str().ok()? == "documentId" {
            return decoder.str().ok()?.parse().ok();
        }
        decoder.skip().ok()?;
    }
    None
}

fn read_fields(bytes: &[u8]) -> Result<Fields, WireError> {
    let mut decoder = Decoder::new(bytes);
    let entries = decoder.map()?.ok_or(WireError::NotAMessage)?;
    let mut fields = Fields::default();
    for _ in 0..entries {
        let key = decoder.str()?;
        let text = |decoder: &mut Decoder| decoder.str().map(str::to_string);
        match key {
            "type" => fields.kind = Some(text(&mut decoder)?),
            "senderId" => fields.sender = Some(text(&mut decoder)?),
            "targetId" => fields.target = Some(text(&mut decoder)?),
            "message" => fields.message = Some(text(&mut decoder)?),
            "documentId" => fields.document = Some(text(&mut decoder)?),
            "data" => fields.data = Some(decoder.bytes()?.to_vec()),
            _ => decoder.skip()?,
        }
    }
    Ok(fields)
}

type EncodeResult = Result<(), minicbor::encode::Error<std::convert::Infallible>>;

fn write_message(e: &mut Encoder<Vec<u8>>, message: &Message) -> EncodeResult {
    match message {
        Message::Join { sender } => {
            e.map(4)?
                .str("type")?
                .str("join")?
                .str("senderId")?
                .str(sender)?;
            e.str("supportedProtocolVersions")?
                .array(1)?
                .str(PROTOCOL_VERSION)?;
            e.str("peerMetadata")?
                .map(1)?
                .str("isEphemeral")?
                .bool(false)?;
        }
        Message::Peer { sender, target } => {
            e.map(5)?
                .str("type")?
                .str("peer")?
                .str("senderId")?
                .str(sender)?;
            e.str("targetId")?.str(target)?;
            e.str("selectedProtocolVersion")?.str(PROTOCOL_VERSION)?;
            e.str("peerMetadata")?
                .map(1)?
                .str("isEphemeral")?
                .bool(false)?;
        }
        Message::Request(m) | Message::Sync(m) => {
            e.map(5)?.str("type")?.str(message.kind())?;
            e.str("senderId")?
                .str(&m.sender)?
                .str("targetId")?
                .str(&m.target)?;
            e.str("documentId")?.str(&m.document.to_string())?;
            e.str("data")?.bytes(&m.data)?;
        }
        Message::DocUnavailable {
            sender,
            target,
            document,
        } => {
            e.map(4)?.str("type")?.str("doc-unavailable")?;
            e.str("senderId")?
                .str(sender)?
                .str("targetId")?
                .str(target)?;
            e.str("documentId")?.str(&document.to_string())?;
        }
        Message::Error { message } => {
            e.map(2)?
                .str("type")?
                .str("error")?
                .str("message")?
                .str(message)?;
        }
        Message::Other { kind } => {
            e.map(1)?.str("type")?.str(kind)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> DocumentId {
        DocumentId::from_bytes([7; 16])
    }

    #[test]
    fn every_message_survives_a_round_trip() {
        let document = DocumentMessage {
            sender: "a".into(),
            target: "b".into(),
            document: doc(),
            data: vec![1, 2, 3],
        };
        for message in [
            Message::Join { sender: "a".into() },
            Message::Peer {
                sender: "b".into(),
                target: "a".into(),
            },
            Message::Request(document.clone()),
            Message::Sync(document),
            Message::DocUnavailable {
                sender: "b".into(),
                target: "a".into(),
                document: doc(),
            },
            Message::Error {
                message: "no".into(),
            },
        ] {
            let bytes = message.encode();
            let about = match &message {
                Message::Request(m) | Message::Sync(m) => Some(m.document),
                Message::DocUnavailable { document, .. } => Some(*document),
                _ => None,
            };
            assert_eq!(document_of(&bytes), about);
            assert_eq!(Message::decode(&bytes), Ok(message));
        }
    }

    #[test]
    fn garbage_is_a_clear_error_not_a_panic() {
        assert!(matches!(
            Message::decode(&[0xff, 0x00]),
            Err(WireError::Cbor(_))
        ));
        assert!(Message::decode(&[0x01]).is_err());
        let no_data = {
            let mut e = Encoder::new(Vec::new());
            e.map(2).unwrap().str("type").unwrap().str("sync").unwrap();
            e.str("documentId")
                .unwrap()
                .str(&doc().to_string())
                .unwrap();
            e.into_writer()
        };
        assert!(matches!(
            Message::decode(&no_data),
            Err(WireError::MissingField { .. })
        ));
    }

    #[test]
    fn unknown_types_are_recognised_and_passed_over() {
        let mut e = Encoder::new(Vec::new());
        e.map(2)
            .unwrap()
            .str("type")
            .unwrap()
            .str("ephemeral")
            .unwrap();
        e.str("count").unwrap().u64(3).unwrap();
        assert_eq!(
            Message::decode(&e.into_writer()),
            Ok(Message::Other {
                kind: "ephemeral".into()
            })
        );
    }
}

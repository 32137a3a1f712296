//! What `/api/session` answers when a sign-in token is valid: who the person is, and the relay's
//! index documents that list the tickets they may read, and the organisation-wide documents. The relay writes it; the page reads it.

use crate::access::{PersonId, Role};
use crate::domain::DocumentId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub person: SessionPerson,
    pub indexes: Vec<DocumentId>,
    /// Organisation-wide documents (directory, catalog, policies…): everyone reads them.
    #[serde(default)]
    pub organisation: Vec<DocumentId>,
    /// Opens the sync socket once, within half a minute (see [`socket_query`]).
    #[serde(default)]
    pub ticket: String,
}

/// What the relay answers a device that enrols with a sign-in link: its own credential, which
/// the page keeps instead of the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub credential: String,
    pub device: String,
}

/// One signed-in device, as the device list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub person: PersonId,
    pub person_name: String,
    pub id: String,
    /// "Chrome on Windows", from the browser that enrolled it.
    pub label: String,
    /// Unix seconds.
    pub enrolled_at: i64,
    /// Unix seconds, to the hour.
    pub last_used_at: i64,
    /// The device that asked.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPerson {
    pub id: PersonId,
    pub name: String,
    pub email: String,
    pub department: String,
    pub role: Role,
}

/// The path of the sync socket, with a one-use ticket from `/api/session` in the query (a
/// browser cannot set headers on a WebSocket, and a long-lived secret must never be in an
/// address: proxies log them).
pub fn socket_query(ticket: &str) -> String {
    format!("/sync?ticket={ticket}")
}

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPerson {
    pub id: PersonId,
    pub name: String,
    pub email: String,
    pub department: String,
    pub role: Role,
}

/// The path of the sync socket, with the sign-in token and this device's name in the query (a
/// browser cannot set headers on a WebSocket).
pub fn socket_query(token: &str, device: &str) -> String {
    format!("/sync?token={token}&device={device}")
}

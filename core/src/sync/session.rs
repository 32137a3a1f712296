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

/// An administrator asks the relay for sign-in links for these people of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRequest {
    pub emails: Vec<String>,
}

/// One person's sign-in link: it enrols one device, once, before it expires. A newer one
/// replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub email: String,
    pub name: String,
    /// The secret of the link `#/signin/<token>`; shown now and never again.
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Why someone named in an [`InvitationRequest`] got no link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotInvited {
    /// Not in the directory the relay holds (yet: it may not have synced).
    NotListed,
    Deactivated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invited {
    pub invitations: Vec<Invitation>,
    pub refused: Vec<(String, NotInvited)>,
}

/// A person's account as administrators see it beside the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: String,
    pub deactivated: bool,
    /// Signed-in devices.
    pub devices: usize,
    /// The open invitation's expiry (unix seconds), if one waits to be used.
    pub invited_until: Option<i64>,
}

/// Why a sign-in link no longer works: what the relay answers (410 Gone) so the page can say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "spent")]
pub enum SpentLink {
    /// It enrolled a device already (unix seconds, and the device's label).
    Used {
        at: i64,
        device: String,
    },
    Expired {
        at: i64,
    },
    /// A newer link was issued for the same person.
    Replaced {
        at: i64,
    },
    /// The person's sign-in was revoked or they were deactivated.
    Revoked {
        at: i64,
    },
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

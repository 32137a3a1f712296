//! The few fields of a ticket that lists, filters and search need, kept in index documents so a list
//! never has to open every ticket.

use super::{DocumentId, Priority, Status, Ticket, Timestamp};

/// One row of a ticket list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TicketSummary {
    pub id: DocumentId,
    pub title: String,
    pub status: Status,
    pub priority: Priority,
    pub department: String,
    pub requester: String,
    pub category: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub comment_count: u32,
}

impl From<&Ticket> for TicketSummary {
    fn from(t: &Ticket) -> Self {
        Self {
            id: t.id,
            title: t.title.clone(),
            status: t.status,
            priority: t.priority,
            department: t.department.clone(),
            requester: t.requester.clone(),
            category: t.category.clone(),
            created_at: t.created_at,
            updated_at: t.updated_at(),
            comment_count: t.comments.len().try_into().unwrap_or(u32::MAX),
        }
    }
}

//! The few fields of a ticket that lists, filters and search need, kept in index documents so a list
//! never has to open every ticket.

use super::knowledge::SelfHelp;
use super::sla::{events_of, SlaEvent};
use super::voice::rating::Feedback;
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
    /// The requester's email and department (empty for tickets filed without the directory).
    #[serde(default)]
    pub requester_email: String,
    #[serde(default)]
    pub customer_department: String,
    pub category: String,
    /// The catalog service, and what the SLA clocks need, so a list shows due times without
    /// opening every ticket.
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub sla: Vec<SlaEvent>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub comment_count: u32,
    /// Who resolved it (the agent a rating reaches), and its rating.
    #[serde(default)]
    pub resolved_by: String,
    #[serde(default)]
    pub feedback: Feedback,
    /// Suggested articles, and the one that solved it without anyone's work.
    #[serde(default)]
    pub self_help: SelfHelp,
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
            requester_email: t.requester_email.clone(),
            customer_department: t.customer_department.clone(),
            category: t.category.clone(),
            service: t.service.clone(),
            sla: events_of(t),
            created_at: t.created_at,
            updated_at: t.updated_at(),
            comment_count: t.comments.len().try_into().unwrap_or(u32::MAX),
            resolved_by: t.resolved_by().unwrap_or_default().to_string(),
            feedback: t.feedback.clone(),
            self_help: t.self_help,
        }
    }
}

impl TicketSummary {
    /// When the ticket was last resolved, if it was.
    pub fn resolved_at(&self) -> Option<Timestamp> {
        self.sla
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.kind,
                    super::sla::SlaEventKind::StatusChanged {
                        to: Status::Resolved,
                        ..
                    }
                )
            })
            .map(|e| e.at)
    }
}

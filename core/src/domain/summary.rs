//! The few fields of a ticket that lists, filters and search need, kept in index documents so a list
//! never has to open every ticket.

use super::automation::{Approval, ApprovalState, Effect};
use super::knowledge::SelfHelp;
use super::sla::{events_of, SlaEvent};
use super::voice::rating::Feedback;
use super::{DocumentId, EventKind, Priority, Status, Ticket, Timestamp};
use std::collections::BTreeMap;

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
    /// Who is on it and what waits for whom: assignee, approval, conversation. Left out of a
    /// stored row when there is nothing in it (most rows), so lists of thousands stay small.
    #[serde(default, skip_serializing_if = "Involvement::is_empty")]
    pub involvement: Involvement,
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
            involvement: Involvement::of(t),
        }
    }
}

/// Who is on a ticket and what waits for whom, for lists and the "for you" view.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Involvement {
    /// Who it is assigned to (by email) and since when.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assignee: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_at: Option<Timestamp>,
    /// Where its approval stands, and whose decision it waits on (by email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalState>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub awaiting: String,
    /// The last reply or note: when, and by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<(Timestamp, String)>,
    /// When each person last read it, and was last mentioned in it (by email, or name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seen: BTreeMap<String, Timestamp>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mentioned: BTreeMap<String, Timestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watchers: Vec<String>,
}

impl Involvement {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn of(t: &Ticket) -> Self {
        Self {
            assignee: t.assignee.clone(),
            assigned_at: t
                .events
                .iter()
                .rev()
                .find(|e| matches!(e.kind, EventKind::Assigned { .. }))
                .map(|e| e.at),
            approval: t.approval.as_ref().map(Approval::state),
            awaiting: t
                .approval
                .as_ref()
                .and_then(Approval::awaiting)
                .unwrap_or_default()
                .to_string(),
            activity: t
                .comments
                .iter()
                .max_by_key(|c| c.at)
                .map(|c| (c.at, c.by.clone())),
            seen: t.seen.clone(),
            mentioned: mentioned(t),
            watchers: t.watchers.clone(),
        }
    }
}

/// The last time each person was mentioned in a comment or notified by a rule.
fn mentioned(t: &Ticket) -> BTreeMap<String, Timestamp> {
    let mut out: BTreeMap<String, Timestamp> = BTreeMap::new();
    let comments = t
        .comments
        .iter()
        .flat_map(|c| c.mentions.iter().map(|m| (m, c.at)));
    let notified = t.fired.values().flat_map(|r| {
        r.effects.iter().filter_map(|e| match e {
            Effect::Notify { email } => Some((email, r.at)),
            _ => None,
        })
    });
    for (email, at) in comments.chain(notified) {
        let entry = out.entry(email.clone()).or_insert(at);
        *entry = (*entry).max(at);
    }
    out
}

impl TicketSummary {
    /// Whether the person is on the ticket: its requester, assignee, a watcher, or has read it.
    pub fn involves(&self, key: &str, name: &str) -> bool {
        let i = &self.involvement;
        self.requester_email == key
            || self.requester == name
            || i.assignee == key
            || i.watchers.iter().any(|w| w == key)
            || i.seen.contains_key(key)
    }

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

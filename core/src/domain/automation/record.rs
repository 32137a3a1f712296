//! What a firing did, as the ticket keeps it. One record per firing key: should two devices both
//! fire the same rule for the same event offline, the merge keeps one record, and the ticket's
//! history, replies and assignee are read from the records, so the action counts once.

use crate::domain::{Priority, Status, Timestamp, Visibility};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiringRecord {
    /// The rule's name when it fired.
    pub rule: String,
    /// When it fired.
    pub at: Timestamp,
    /// Whose device ran it.
    pub by: String,
    pub effects: Vec<Effect>,
}

/// One change a firing made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "effect")]
pub enum Effect {
    Priority {
        from: Priority,
        to: Priority,
    },
    Queue {
        from: String,
        to: String,
    },
    Status {
        from: Status,
        to: Status,
    },
    Assigned {
        from: String,
        to: String,
    },
    Field {
        key: String,
        value: String,
    },
    Watcher {
        email: String,
    },
    Approved,
    ApprovalRequested {
        chain: String,
    },
    Reply {
        body: String,
        visibility: Visibility,
    },
    Notify {
        email: String,
    },
    /// The action could not be carried out.
    Skipped {
        reason: Skip,
    },
}

/// Why an action was left undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// Everyone in the team is away (or the team shares out no work).
    NobodyAvailable,
    /// The approval chain or canned reply was deleted after the rule was saved.
    Missing,
    /// The workflow does not allow that status from where the ticket stands.
    NotAllowed,
}

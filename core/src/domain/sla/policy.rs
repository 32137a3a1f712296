//! SLA policies: the promised times per priority (and, optionally, per customer segment) for the
//! first response, each next response and the resolution; the OLA for hand-offs between teams;
//! when to warn; what to do after a breach.

use crate::domain::classification::Segment;
use crate::domain::Priority;
use serde::{Deserialize, Serialize};

/// The promised business minutes for one priority (and segment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub priority: Priority,
    /// Applies only to customers of this segment; `None` for everyone else.
    #[serde(default)]
    pub segment: Option<Segment>,
    pub first_response: u32,
    /// After each reply from the requester; `None` when not promised.
    #[serde(default)]
    pub next_response: Option<u32>,
    pub resolution: u32,
}

/// What happens once a clock has been breached for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Business minutes after the breach.
    pub after: u32,
    pub action: EscalationAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "do", content = "to")]
pub enum EscalationAction {
    NotifyLead,
    /// Hand the ticket to this queue.
    Reassign(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    /// The business calendar its times are counted in, by name.
    pub calendar: String,
    pub targets: Vec<Target>,
    /// OLA: business minutes a team has to act on a ticket handed to it; `None` when not promised.
    #[serde(default)]
    pub handoff: Option<u32>,
    /// Warn when this share of a target has passed (e.g. 50, 75, 90).
    #[serde(default)]
    pub warn_percent: Vec<u8>,
    /// Also warn this many business minutes before the due time.
    #[serde(default)]
    pub warn_before: Option<u32>,
    /// The resolution clock pauses while the ticket waits on the requester, crediting the time back.
    #[serde(default = "yes")]
    pub pause_while_waiting: bool,
    #[serde(default)]
    pub escalations: Vec<Escalation>,
}

fn yes() -> bool {
    true
}

/// Why a policy cannot be used; the previous one stays in force.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy promises nothing: add a target for at least one priority")]
    NoTargets,
    #[error("a target of zero minutes for {0:?} cannot be met")]
    ZeroTarget(Priority),
    #[error("a warning at {0} % is outside 1–99 %")]
    BadPercent(u8),
    #[error("the hand-off target is zero minutes")]
    ZeroHandoff,
    #[error("{0:?} has two targets for the same segment")]
    Duplicate(Priority),
}

impl Policy {
    pub fn check(&self) -> Result<(), Vec<PolicyError>> {
        let mut errors = Vec::new();
        if self.targets.is_empty() {
            errors.push(PolicyError::NoTargets);
        }
        for (i, t) in self.targets.iter().enumerate() {
            if t.first_response == 0 || t.resolution == 0 || t.next_response == Some(0) {
                errors.push(PolicyError::ZeroTarget(t.priority));
            }
            let again = self.targets[..i]
                .iter()
                .any(|u| u.priority == t.priority && u.segment == t.segment);
            if again {
                errors.push(PolicyError::Duplicate(t.priority));
            }
        }
        for &p in &self.warn_percent {
            if !(1..=99).contains(&p) {
                errors.push(PolicyError::BadPercent(p));
            }
        }
        if self.handoff == Some(0) {
            errors.push(PolicyError::ZeroHandoff);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The target for a priority and customer segment: the segment's own if set, else the general one.
    pub fn target(&self, priority: Priority, segment: Option<Segment>) -> Option<&Target> {
        let of = |s: Option<Segment>| {
            self.targets
                .iter()
                .find(|t| t.priority == priority && t.segment == s)
        };
        segment.and_then(|s| of(Some(s))).or_else(|| of(None))
    }
}

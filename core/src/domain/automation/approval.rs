//! Approval chains: one or more steps (the requester's manager, then finance above an amount…),
//! each decided by one person, offline if need be. A ticket's approval is planned once, when it is
//! asked for: the people are looked up then, so a later reorganisation does not move a request
//! already in someone's hands.

use super::rules::{answer, number};
use super::Known;
use crate::domain::directory::Directory;
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who decides a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "who", content = "email")]
pub enum Approver {
    /// The requester's manager, from the directory.
    Manager,
    /// One named person, by email.
    Person(String),
}

/// A step that applies only when an answer on the form reaches an amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub field: String,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub approver: Approver,
    /// Only when this answer is at least this amount; `None`: always.
    #[serde(default)]
    pub at_least: Option<Threshold>,
}

/// A chain of approvals, as an admin configured it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    pub id: String,
    pub name: String,
    pub steps: Vec<Step>,
    /// The ticket's SLA clocks pause while it waits for approval.
    #[serde(default)]
    pub pause_sla: bool,
}

/// Why a chain cannot be saved (or planned).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("an approval chain needs a name")]
    NameMissing,
    #[error("an approval chain needs at least one step")]
    NoSteps,
    #[error("step {step} names {email}, who is not in the directory")]
    UnknownPerson { step: usize, email: String },
    #[error("step {step} has no field for its amount")]
    FieldMissing { step: usize },
}

impl Chain {
    pub fn check(&self, known: &Known) -> Result<(), Vec<ChainError>> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(ChainError::NameMissing);
        }
        if self.steps.is_empty() {
            problems.push(ChainError::NoSteps);
        }
        for (i, step) in self.steps.iter().enumerate() {
            if let Approver::Person(email) = &step.approver {
                if !known.people.contains(email) {
                    problems.push(ChainError::UnknownPerson {
                        step: i + 1,
                        email: email.clone(),
                    });
                }
            }
            if step
                .at_least
                .as_ref()
                .is_some_and(|t| t.field.trim().is_empty())
            {
                problems.push(ChainError::FieldMissing { step: i + 1 });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The steps that apply to a request, with the people who decide them.
    pub fn plan(
        &self,
        answers: &BTreeMap<String, String>,
        requester_email: &str,
        directory: &Directory,
        at: Timestamp,
    ) -> Approval {
        let steps = self
            .steps
            .iter()
            .filter(|step| {
                step.at_least.as_ref().is_none_or(|t| {
                    answer(answers, &t.field)
                        .and_then(|a| number(a))
                        .is_some_and(|n| n >= t.amount)
                })
            })
            .map(|step| {
                let email = match &step.approver {
                    Approver::Person(email) => email.clone(),
                    Approver::Manager => directory
                        .people
                        .get(requester_email)
                        .and_then(|p| p.manager.clone())
                        .unwrap_or_default(),
                };
                let name = directory
                    .people
                    .get(&email)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                PlannedStep {
                    manager: step.approver == Approver::Manager,
                    email,
                    name,
                }
            })
            .collect();
        Approval {
            chain: self.name.clone(),
            steps,
            pause_sla: self.pause_sla,
            requested_at: at,
            decisions: BTreeMap::new(),
        }
    }
}

/// One step of a ticket's approval: who decides it. An empty email means nobody could be found
/// (the requester has no manager in the directory): an admin decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub email: String,
    pub name: String,
    /// Planned as "the requester's manager".
    #[serde(default)]
    pub manager: bool,
}

/// A decision on one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub approve: bool,
    /// Who decided (a person's name, or the rule that approved automatically).
    pub by: String,
    pub at: Timestamp,
    #[serde(default)]
    pub comment: String,
    /// Approved by a rule, not a person.
    #[serde(default)]
    pub automatic: bool,
}

/// A ticket's approval: the planned steps and the decisions so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub chain: String,
    pub steps: Vec<PlannedStep>,
    pub pause_sla: bool,
    pub requested_at: Timestamp,
    /// By step index.
    #[serde(default)]
    pub decisions: BTreeMap<usize, Decision>,
}

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Waiting on this step (an index into the steps).
    Pending(usize),
    Approved,
    Rejected,
}

impl Approval {
    pub fn state(&self) -> ApprovalState {
        if self.decisions.values().any(|d| !d.approve) {
            return ApprovalState::Rejected;
        }
        match (0..self.steps.len()).find(|i| !self.decisions.contains_key(i)) {
            Some(step) => ApprovalState::Pending(step),
            None => ApprovalState::Approved,
        }
    }

    /// The email of the person the ticket waits on, if it waits on someone named.
    pub fn awaiting(&self) -> Option<&str> {
        match self.state() {
            ApprovalState::Pending(i) => Some(self.steps[i].email.as_str()),
            _ => None,
        }
    }

    /// When it stopped waiting (the deciding decision), if it has.
    pub fn settled_at(&self) -> Option<Timestamp> {
        match self.state() {
            ApprovalState::Pending(_) => None,
            _ => self.decisions.values().map(|d| d.at).max(),
        }
    }

    /// Whether `email` may decide the pending step: the approver it names, or an admin where it
    /// names nobody (the requester has no manager in the directory).
    pub fn may_decide(&self, email: &str, admin: bool) -> bool {
        match self.state() {
            ApprovalState::Pending(i) => {
                let named = &self.steps[i].email;
                if named.is_empty() {
                    admin
                } else {
                    !email.is_empty() && named.eq_ignore_ascii_case(email)
                }
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::domain::directory::{Department, DepartmentId, Member};

    fn directory() -> Directory {
        let mut d = Directory::default();
        for name in ["财务部", "市场部"] {
            d.departments.insert(
                DepartmentId(name.into()),
                Department {
                    id: DepartmentId(name.into()),
                    name: name.into(),
                    parent: None,
                },
            );
        }
        for (email, name, dept, manager) in [
            ("wang@x.cn", "王芳", "市场部", Some("zhao@x.cn")),
            ("zhao@x.cn", "赵经理", "市场部", None),
            ("qian@x.cn", "钱总监", "财务部", None),
        ] {
            d.people.insert(
                email.into(),
                Member {
                    email: email.into(),
                    name: name.into(),
                    department: DepartmentId(dept.into()),
                    manager: manager.map(str::to_string),
                    role: Role::Requester,
                    deactivated: false,
                },
            );
        }
        d
    }

    fn chain() -> Chain {
        Chain {
            id: "expenses".into(),
            name: "Expense claims".into(),
            steps: vec![
                Step {
                    approver: Approver::Manager,
                    at_least: None,
                },
                Step {
                    approver: Approver::Person("qian@x.cn".into()),
                    at_least: Some(Threshold {
                        field: "amount".into(),
                        amount: 1000.0,
                    }),
                },
            ],
            pause_sla: true,
        }
    }

    fn known() -> Known {
        Known {
            people: directory().people.keys().cloned().collect(),
            ..Known::default()
        }
    }

    #[test]
    fn finance_decides_only_above_the_amount() {
        let answers = |a: &str| BTreeMap::from([("amount".to_string(), a.to_string())]);
        let small = chain().plan(&answers("300"), "wang@x.cn", &directory(), Timestamp(1));
        assert_eq!(small.steps.len(), 1);
        assert_eq!(small.steps[0].email, "zhao@x.cn");
        assert_eq!(small.steps[0].name, "赵经理");
        let large = chain().plan(&answers("¥3,000"), "wang@x.cn", &directory(), Timestamp(1));
        let emails: Vec<_> = large.steps.iter().map(|s| s.email.as_str()).collect();
        assert_eq!(emails, ["zhao@x.cn", "qian@x.cn"]);
    }

    #[test]
    fn decisions_walk_the_chain_and_a_rejection_ends_it() {
        let answers = BTreeMap::from([("amount".to_string(), "5000".to_string())]);
        let mut a = chain().plan(&answers, "wang@x.cn", &directory(), Timestamp(1));
        assert_eq!(a.state(), ApprovalState::Pending(0));
        assert!(a.may_decide("zhao@x.cn", false));
        assert!(!a.may_decide("qian@x.cn", false), "not their turn yet");
        assert!(
            !a.may_decide("root@x.cn", true),
            "a named approver's step is theirs alone"
        );
        let decision = |approve| Decision {
            approve,
            by: "x".into(),
            at: Timestamp(5),
            comment: String::new(),
            automatic: false,
        };
        a.decisions.insert(0, decision(true));
        assert_eq!(a.awaiting(), Some("qian@x.cn"));
        let mut rejected = a.clone();
        rejected.decisions.insert(1, decision(false));
        assert_eq!(rejected.state(), ApprovalState::Rejected);
        a.decisions.insert(1, decision(true));
        assert_eq!(a.state(), ApprovalState::Approved);
        assert_eq!(a.settled_at(), Some(Timestamp(5)));
    }

    #[test]
    fn a_chain_naming_a_missing_person_is_refused() {
        let mut bad = chain();
        bad.steps[1].approver = Approver::Person("nobody@x.cn".into());
        assert_eq!(
            bad.check(&known()),
            Err(vec![ChainError::UnknownPerson {
                step: 2,
                email: "nobody@x.cn".into()
            }])
        );
        assert!(chain().check(&known()).is_ok());
        let empty = Chain {
            name: " ".into(),
            steps: vec![],
            ..chain()
        };
        assert_eq!(
            empty.check(&known()),
            Err(vec![ChainError::NameMissing, ChainError::NoSteps])
        );
    }
}

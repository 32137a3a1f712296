//! The needs workbench: interview and forum notes, needs with their evidence and a measure
//! computed live from ticket data, a priority score and ranked list, and improvement plans that
//! measure their effect before and after.

use crate::domain::sla::{ClockKind, ClockReport, ClockState};
use crate::domain::{TicketSummary, Timestamp};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Notes of an interview with a customer department, or of a joint meeting (forum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interview {
    pub id: String,
    pub date: NaiveDate,
    pub forum: bool,
    pub title: String,
    pub departments: Vec<String>,
    pub points: Vec<Point>,
    pub by: String,
}

/// A point raised, optionally linked to the need it supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub text: String,
    #[serde(default)]
    pub need: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterviewError {
    #[error("the notes need a title")]
    NoTitle,
    #[error("name at least one department present")]
    NoDepartments,
    #[error("note at least one point raised")]
    NoPoints,
}

impl Interview {
    pub fn problems(&self) -> Vec<InterviewError> {
        let mut problems = Vec::new();
        if self.title.trim().is_empty() {
            problems.push(InterviewError::NoTitle);
        }
        if self.departments.is_empty() {
            problems.push(InterviewError::NoDepartments);
        }
        if self.points.iter().all(|p| p.text.trim().is_empty()) {
            problems.push(InterviewError::NoPoints);
        }
        problems
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NeedStatus {
    #[default]
    Open,
    Planned,
    Done,
}

impl NeedStatus {
    pub const ALL: [NeedStatus; 3] = [NeedStatus::Open, NeedStatus::Planned, NeedStatus::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            NeedStatus::Open => "open",
            NeedStatus::Planned => "planned",
            NeedStatus::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A figure computed live from tickets, against a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Measure {
    /// Mean first response, in business hours, of `provider` to `customer` (empty: anyone).
    FirstResponseHours {
        customer: String,
        provider: String,
        target: f64,
    },
    /// Mean resolution time in business hours.
    ResolutionHours {
        customer: String,
        provider: String,
        target: f64,
    },
    /// Mean rating (1–5) `customer` gave `provider`.
    Rating {
        customer: String,
        provider: String,
        target: f64,
    },
}

/// A measure's value now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub value: f64,
    pub target: f64,
    /// How many tickets it was computed from.
    pub tickets: usize,
    /// How far the value falls short of the target, as a share of the target (0 when met).
    pub shortfall: f64,
}

impl Measure {
    pub fn target(&self) -> f64 {
        match self {
            Measure::FirstResponseHours { target, .. }
            | Measure::ResolutionHours { target, .. }
            | Measure::Rating { target, .. } => *target,
        }
    }

    /// The customer and the provider measured (empty: anyone).
    pub fn parties(&self) -> (&str, &str) {
        match self {
            Measure::FirstResponseHours {
                customer, provider, ..
            }
            | Measure::ResolutionHours {
                customer, provider, ..
            }
            | Measure::Rating {
                customer, provider, ..
            } => (customer, provider),
        }
    }

    /// Whether a ticket is one this measure counts.
    pub fn counts(&self, row: &TicketSummary) -> bool {
        let (customer, provider) = self.parties();
        (customer.is_empty() || row.customer_department == customer)
            && (provider.is_empty() || row.department == provider)
    }

    /// The value over the tickets created since `since`; `clocks` gives a ticket's SLA clocks.
    pub fn measure(
        &self,
        rows: &[&TicketSummary],
        since: Timestamp,
        clocks: impl Fn(&TicketSummary) -> Vec<ClockReport>,
    ) -> Option<Measured> {
        let counted = rows
            .iter()
            .filter(|r| r.created_at >= since && self.counts(r));
        let values: Vec<f64> = match self {
            Measure::FirstResponseHours { .. } | Measure::ResolutionHours { .. } => {
                let wanted = match self {
                    Measure::FirstResponseHours { .. } => ClockKind::FirstResponse,
                    _ => ClockKind::Resolution,
                };
                counted
                    .filter_map(|r| {
                        clocks(r)
                            .into_iter()
                            .find(|c| c.kind == wanted && stopped(c.state))
                            .map(|c| c.elapsed_ms as f64 / 3_600_000.0)
                    })
                    .collect()
            }
            Measure::Rating { .. } => counted
                .filter_map(|r| r.feedback.rating.as_ref())
                .map(|r| f64::from(r.score))
                .collect(),
        };
        if values.is_empty() {
            return None;
        }
        let value = values.iter().sum::<f64>() / values.len() as f64;
        let target = self.target();
        let shortfall = if target <= 0.0 {
            0.0
        } else if matches!(self, Measure::Rating { .. }) {
            // Higher is better.
            ((target - value) / target).max(0.0)
        } else {
            ((value - target) / target).max(0.0)
        };
        Some(Measured {
            value,
            target,
            tickets: values.len(),
            shortfall,
        })
    }
}

fn stopped(state: ClockState) -> bool {
    matches!(state, ClockState::Met | ClockState::Missed)
}

/// Where a need's evidence comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Evidence {
    SurveyQuestion { survey: String, question: String },
    InterviewPoint { interview: String, point: usize },
    Note { text: String },
}

/// A need of internal customers, stated, evidenced and scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Need {
    pub id: String,
    pub statement: String,
    pub customer: String,
    pub provider: String,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub measure: Option<Measure>,
    /// How often it comes up, 1 (rarely) to 5 (constantly).
    pub frequency: u8,
    /// How much it matters to the customer's work, 1 to 5.
    pub impact: u8,
    #[serde(default)]
    pub status: NeedStatus,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NeedError {
    #[error("state the need")]
    NoStatement,
    #[error("frequency and impact are from 1 to 5")]
    Scale,
    #[error("a measure's target must be above zero")]
    Target,
}

impl Need {
    pub fn problems(&self) -> Vec<NeedError> {
        let mut problems = Vec::new();
        if self.statement.trim().is_empty() {
            problems.push(NeedError::NoStatement);
        }
        if !(1..=5).contains(&self.frequency) || !(1..=5).contains(&self.impact) {
            problems.push(NeedError::Scale);
        }
        if self.measure.as_ref().is_some_and(|m| m.target() <= 0.0) {
            problems.push(NeedError::Target);
        }
        problems
    }

    /// Frequency × impact (1–25), raised by up to double when the measure falls short of its
    /// target: a need the data confirms outranks one equally felt but unmeasured.
    pub fn score(&self, measured: Option<&Measured>) -> f64 {
        let felt = f64::from(self.frequency) * f64::from(self.impact);
        felt * (1.0 + measured.map_or(0.0, |m| m.shortfall.min(1.0)))
    }
}

/// Needs in the order to work on them: open and planned by score (highest first), done last.
pub fn rank<'a>(needs: &[(&'a Need, Option<Measured>)]) -> Vec<(&'a Need, Option<Measured>, f64)> {
    let mut ranked: Vec<(&Need, Option<Measured>, f64)> = needs
        .iter()
        .map(|(n, m)| (*n, *m, n.score(m.as_ref())))
        .collect();
    ranked.sort_by(|a, b| {
        (a.0.status == NeedStatus::Done)
            .cmp(&(b.0.status == NeedStatus::Done))
            .then(b.2.total_cmp(&a.2))
            .then(a.0.created_at.cmp(&b.0.created_at))
    });
    ranked
}

/// What an improvement plan sets out to raise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PlanSource {
    Need { need: String },
    SurveyQuestion { survey: String, question: String },
    Service { provider: String, service: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub text: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub title: String,
    pub source: PlanSource,
    pub owner: String,
    pub actions: Vec<Action>,
    pub due: NaiveDate,
    /// The figure it started from (a mean score), measured when the plan was made.
    pub before: Option<f64>,
    /// The survey that measures the effect (a follow-up of the source survey).
    #[serde(default)]
    pub follow_up_survey: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the plan needs a title")]
    NoTitle,
    #[error("the plan needs an owner")]
    NoOwner,
    #[error("list at least one action")]
    NoActions,
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanState {
    Open,
    Overdue,
    Done,
}

impl Plan {
    pub fn problems(&self) -> Vec<PlanError> {
        let mut problems = Vec::new();
        if self.title.trim().is_empty() {
            problems.push(PlanError::NoTitle);
        }
        if self.owner.trim().is_empty() {
            problems.push(PlanError::NoOwner);
        }
        if self.actions.iter().all(|a| a.text.trim().is_empty()) {
            problems.push(PlanError::NoActions);
        }
        problems
    }

    pub fn state(&self, today: NaiveDate) -> PlanState {
        if !self.actions.is_empty() && self.actions.iter().all(|a| a.done) {
            PlanState::Done
        } else if today > self.due {
            PlanState::Overdue
        } else {
            PlanState::Open
        }
    }

    /// The change the plan made: after minus before, when both are known.
    pub fn effect(&self, after: Option<f64>) -> Option<f64> {
        Some(after? - self.before?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::voice::rating::{Feedback, Rating};
    use crate::domain::{DocumentId, Priority, Status};

    const HOUR: i64 = 3_600_000;

    fn row(n: u8, customer: &str, provider: &str, rating: Option<u8>) -> TicketSummary {
        TicketSummary {
            self_help: Default::default(),
            involvement: Default::default(),
            id: DocumentId::from_bytes([n; 16]),
            title: String::new(),
            status: Status::Resolved,
            priority: Priority::Normal,
            department: provider.into(),
            requester: String::new(),
            requester_email: String::new(),
            customer_department: customer.into(),
            category: String::new(),
            service: String::new(),
            sla: Vec::new(),
            created_at: Timestamp(i64::from(n)),
            updated_at: Timestamp(0),
            comment_count: 0,
            resolved_by: String::new(),
            feedback: Feedback {
                rating: rating.map(|score| Rating {
                    score,
                    comment: String::new(),
                    by: String::new(),
                    at: Timestamp(0),
                }),
                ..Feedback::default()
            },
        }
    }

    fn first_response(hours: i64, state: ClockState) -> ClockReport {
        ClockReport {
            kind: ClockKind::FirstResponse,
            target_ms: 24 * HOUR,
            elapsed_ms: hours * HOUR,
            state,
            due: None,
            steps: Vec::new(),
        }
    }

    fn need(frequency: u8, impact: u8, status: NeedStatus, at: i64) -> Need {
        Need {
            id: format!("n{frequency}{impact}{at}"),
            statement: "财务部报销系统问题响应慢".into(),
            customer: "财务部".into(),
            provider: "IT".into(),
            evidence: vec![],
            measure: None,
            frequency,
            impact,
            status,
            created_at: Timestamp(at),
        }
    }

    #[test]
    fn first_response_finance_to_it_is_averaged_over_answered_tickets_only() {
        let rows = [
            row(1, "财务部", "IT", None),
            row(2, "财务部", "IT", None),
            row(3, "财务部", "IT", None),
            row(4, "人事部", "IT", None),
        ];
        let refs: Vec<&TicketSummary> = rows.iter().collect();
        // 20 h and 32 h answered; ticket 3 still waiting; 人事部 not counted.
        let clocks = |r: &TicketSummary| match r.id.as_bytes()[0] {
            1 => vec![first_response(20, ClockState::Met)],
            2 => vec![first_response(32, ClockState::Missed)],
            3 => vec![first_response(40, ClockState::Breached)],
            _ => vec![first_response(1, ClockState::Met)],
        };
        let measure = Measure::FirstResponseHours {
            customer: "财务部".into(),
            provider: "IT".into(),
            target: 24.0,
        };
        let m = measure.measure(&refs, Timestamp(0), clocks).unwrap();
        assert_eq!((m.value, m.tickets), (26.0, 2));
        assert!((m.shortfall - 2.0 / 24.0).abs() < 1e-9);
        let rating = Measure::Rating {
            customer: "财务部".into(),
            provider: "IT".into(),
            target: 4.0,
        };
        let rated = [
            row(1, "财务部", "IT", Some(3)),
            row(2, "财务部", "IT", Some(2)),
        ];
        let refs: Vec<&TicketSummary> = rated.iter().collect();
        let m = rating.measure(&refs, Timestamp(0), |_| vec![]).unwrap();
        assert_eq!((m.value, m.shortfall), (2.5, 0.375));
        assert!(rating.measure(&[], Timestamp(0), |_| vec![]).is_none());
    }

    #[test]
    fn needs_rank_by_frequency_times_impact_raised_by_a_measured_shortfall() {
        let felt = need(4, 4, NeedStatus::Open, 1); // 16
        let measured = need(3, 4, NeedStatus::Planned, 2); // 12 × 1.5 = 18
        let done = need(5, 5, NeedStatus::Done, 3); // 25, but done
        let small = need(1, 2, NeedStatus::Open, 4); // 2
        let shortfall = Measured {
            value: 36.0,
            target: 24.0,
            tickets: 4,
            shortfall: 0.5,
        };
        let ranked = rank(&[
            (&small, None),
            (&done, None),
            (&felt, None),
            (&measured, Some(shortfall)),
        ]);
        let order: Vec<(&str, f64)> = ranked.iter().map(|(n, _, s)| (n.id.as_str(), *s)).collect();
        assert_eq!(
            order,
            vec![
                ("n342", 18.0),
                ("n441", 16.0),
                ("n124", 2.0),
                ("n553", 25.0)
            ]
        );
        // A shortfall raises a score at most twofold.
        let huge = Measured {
            shortfall: 7.0,
            ..shortfall
        };
        assert_eq!(felt.score(Some(&huge)), 32.0);
    }

    #[test]
    fn bad_needs_interviews_and_plans_say_why() {
        let mut n = need(0, 6, NeedStatus::Open, 0);
        n.statement = " ".into();
        n.measure = Some(Measure::Rating {
            customer: String::new(),
            provider: "IT".into(),
            target: 0.0,
        });
        assert_eq!(
            n.problems(),
            vec![NeedError::NoStatement, NeedError::Scale, NeedError::Target]
        );
        let interview = Interview {
            id: "i".into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            forum: false,
            title: String::new(),
            departments: vec![],
            points: vec![Point {
                text: " ".into(),
                need: String::new(),
            }],
            by: "张三".into(),
        };
        assert_eq!(interview.problems().len(), 3);
    }

    #[test]
    fn a_plan_is_done_when_its_actions_are_and_shows_its_effect() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 6, d).unwrap();
        let mut plan = Plan {
            id: "p".into(),
            title: "缩短报销系统响应".into(),
            source: PlanSource::Service {
                provider: "IT".into(),
                service: "erp".into(),
            },
            owner: "张三".into(),
            actions: vec![
                Action {
                    text: "值班表".into(),
                    done: true,
                },
                Action {
                    text: "知识库".into(),
                    done: false,
                },
            ],
            due: day(15),
            before: Some(2.8),
            follow_up_survey: String::new(),
            created_at: Timestamp(0),
        };
        assert!(plan.problems().is_empty());
        assert_eq!(plan.state(day(10)), PlanState::Open);
        assert_eq!(plan.state(day(16)), PlanState::Overdue);
        plan.actions[1].done = true;
        assert_eq!(plan.state(day(16)), PlanState::Done);
        assert!((plan.effect(Some(3.9)).unwrap() - 1.1).abs() < 1e-9);
        assert_eq!(plan.effect(None), None);
    }
}

//! Recognition and transparency: awards per period from rules over the service figures, and a
//! bulletin of announcements, service changes and improvement results that everyone reads.

use super::report::{Period, Report, Subject};
use crate::domain::catalog::Text;
use crate::domain::{Status, TicketSummary, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an award ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwardMetric {
    /// Mean rating in the period (needs `minimum` ratings).
    MeanRating,
    /// Tickets resolved in the period.
    Resolved,
    /// Share of rating requests answered (needs `minimum` requests).
    ResponseRate,
}

impl AwardMetric {
    pub const ALL: [AwardMetric; 3] = [
        AwardMetric::MeanRating,
        AwardMetric::Resolved,
        AwardMetric::ResponseRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AwardMetric::MeanRating => "mean_rating",
            AwardMetric::Resolved => "resolved",
            AwardMetric::ResponseRate => "response_rate",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// Who an award goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwardLevel {
    Team,
    Agent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardRule {
    pub id: String,
    pub name: Text,
    pub metric: AwardMetric,
    pub level: AwardLevel,
    /// The fewest ratings (or requests, or tickets) a candidate needs to be considered.
    pub minimum: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Award {
    pub rule: String,
    /// The providing department (and agent, for agent awards).
    pub subject: Subject,
    pub value: f64,
    /// What the value was computed from (ratings, requests or tickets).
    pub basis: usize,
}

/// The winner of each rule in a period (ties go to the larger basis, then the name).
pub fn awards(
    rules: &[AwardRule],
    report: &Report,
    rows: &[&TicketSummary],
    period: Period,
) -> Vec<Award> {
    rules
        .iter()
        .filter_map(|rule| {
            let mut candidates = candidates(rule, report, rows, period);
            candidates.retain(|(_, _, basis)| *basis >= rule.minimum.max(1));
            candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
            let (subject, value, basis) = candidates.into_iter().next()?;
            Some(Award {
                rule: rule.id.clone(),
                subject,
                value,
                basis,
            })
        })
        .collect()
}

fn candidates(
    rule: &AwardRule,
    report: &Report,
    rows: &[&TicketSummary],
    period: Period,
) -> Vec<(Subject, f64, usize)> {
    let at_level = |s: &Subject| match rule.level {
        AwardLevel::Team => matches!(s, Subject::Provider(_)),
        AwardLevel::Agent => matches!(s, Subject::Agent { .. }),
    };
    match rule.metric {
        AwardMetric::MeanRating => report
            .lines
            .iter()
            .filter(|l| at_level(&l.subject))
            .filter_map(|l| Some((l.subject.clone(), l.now.mean?, l.now.ratings)))
            .collect(),
        AwardMetric::ResponseRate => report
            .lines
            .iter()
            .filter(|l| at_level(&l.subject))
            .filter_map(|l| Some((l.subject.clone(), l.now.response_rate()?, l.now.asked)))
            .collect(),
        AwardMetric::Resolved => {
            let mut counts: BTreeMap<Subject, usize> = BTreeMap::new();
            for row in rows.iter().filter(|r| resolved_in(r, period)) {
                let subject = match rule.level {
                    AwardLevel::Team => Subject::Provider(row.department.clone()),
                    AwardLevel::Agent if !row.resolved_by.is_empty() => Subject::Agent {
                        provider: row.department.clone(),
                        agent: row.resolved_by.clone(),
                    },
                    AwardLevel::Agent => continue,
                };
                *counts.entry(subject).or_default() += 1;
            }
            counts.into_iter().map(|(s, n)| (s, n as f64, n)).collect()
        }
    }
}

/// Whether a ticket was (last) resolved within the period.
fn resolved_in(row: &TicketSummary, period: Period) -> bool {
    matches!(row.status, Status::Resolved | Status::Closed)
        && row.resolved_at().is_some_and(|at| period.contains(at))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    Announcement,
    ServiceChange,
    ImprovementResult,
}

impl PostKind {
    pub const ALL: [PostKind; 3] = [
        PostKind::Announcement,
        PostKind::ServiceChange,
        PostKind::ImprovementResult,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Announcement => "announcement",
            PostKind::ServiceChange => "service_change",
            PostKind::ImprovementResult => "improvement_result",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A bulletin post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: String,
    pub kind: PostKind,
    pub title: String,
    pub body: String,
    pub by: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("the post needs a title")]
    NoTitle,
    #[error("the post is longer than {MAX_POST_CHARS} characters")]
    TooLong,
}

pub const MAX_POST_CHARS: usize = 10_000;

impl Post {
    pub fn problems(&self) -> Vec<PostError> {
        let mut problems = Vec::new();
        if self.title.trim().is_empty() {
            problems.push(PostError::NoTitle);
        }
        if self.body.chars().count() > MAX_POST_CHARS {
            problems.push(PostError::TooLong);
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::super::rating::{Feedback, Rating};
    use super::super::report::satisfaction_report;
    use super::*;
    use crate::domain::sla::SlaEvent;
    use crate::domain::{DocumentId, Priority};

    fn row(n: u8, team: &str, agent: &str, score: Option<u8>) -> TicketSummary {
        TicketSummary {
            self_help: Default::default(),
            involvement: Default::default(),
            id: DocumentId::from_bytes([n; 16]),
            title: String::new(),
            status: Status::Resolved,
            priority: Priority::Normal,
            department: team.into(),
            requester: String::new(),
            requester_email: String::new(),
            customer_department: String::new(),
            category: String::new(),
            service: String::new(),
            sla: vec![SlaEvent {
                at: Timestamp(15),
                kind: crate::domain::sla::SlaEventKind::StatusChanged {
                    from: Status::InProgress,
                    to: Status::Resolved,
                },
            }],
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            comment_count: 0,
            resolved_by: agent.into(),
            feedback: Feedback {
                rating: score.map(|score| Rating {
                    score,
                    comment: String::new(),
                    by: String::new(),
                    at: Timestamp(20),
                }),
                ..Feedback::default()
            },
        }
    }

    fn rule(metric: AwardMetric, level: AwardLevel, minimum: usize) -> AwardRule {
        AwardRule {
            id: "best".into(),
            name: Text {
                zh: "最佳内部服务团队".into(),
                en: "Best internal service team".into(),
            },
            metric,
            level,
            minimum,
        }
    }

    #[test]
    fn the_best_rated_team_with_enough_ratings_wins() {
        let rows = [
            row(1, "IT", "Li", Some(5)),
            row(2, "IT", "Li", Some(4)),
            row(3, "HR", "Zhao", Some(5)),
            row(4, "财务部", "Qian", Some(3)),
            row(5, "财务部", "Qian", Some(4)),
            row(6, "财务部", "Sun", None),
        ];
        let refs: Vec<&TicketSummary> = rows.iter().collect();
        let period = Period {
            start: Timestamp(10),
            end: Timestamp(100),
        };
        let report = satisfaction_report(&refs, &[], period);
        let team = awards(
            &[rule(AwardMetric::MeanRating, AwardLevel::Team, 2)],
            &report,
            &refs,
            period,
        );
        // HR's 5.0 rests on one rating: IT's 4.5 wins.
        assert_eq!(team[0].subject, Subject::Provider("IT".into()));
        assert_eq!(team[0].value, 4.5);
        let busiest = awards(
            &[rule(AwardMetric::Resolved, AwardLevel::Agent, 1)],
            &report,
            &refs,
            period,
        );
        assert_eq!(
            busiest[0].subject,
            Subject::Agent {
                provider: "IT".into(),
                agent: "Li".into()
            }
        );
        // Ties on 2 resolved: Li (IT) before Qian (财务部) by name order of the team.
        assert_eq!(busiest[0].basis, 2);
        let nobody = awards(
            &[rule(AwardMetric::MeanRating, AwardLevel::Team, 9)],
            &report,
            &refs,
            period,
        );
        assert!(nobody.is_empty());
    }

    #[test]
    fn a_post_needs_a_title() {
        let post = Post {
            id: "p".into(),
            kind: PostKind::ImprovementResult,
            title: " ".into(),
            body: String::new(),
            by: "张三".into(),
            at: Timestamp(0),
        };
        assert_eq!(post.problems(), vec![PostError::NoTitle]);
    }
}

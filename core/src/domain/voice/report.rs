//! The satisfaction report of a period: ratings per providing department and service (and per
//! agent), their response rate, survey scores and NPS, the lowest-scoring items, and the trend
//! against the period before.

use super::rating::Rating;
use super::results::RoundResult;
use super::survey::{QuestionKind, Survey};
use crate::csv;
use crate::domain::{TicketSummary, Timestamp};
use std::collections::BTreeMap;

pub use crate::domain::time::Period;

/// What a report line sums up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A providing department, all its services.
    Provider(String),
    Service {
        provider: String,
        service: String,
    },
    Agent {
        provider: String,
        agent: String,
    },
}

/// Ratings of one subject in one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingFigures {
    pub ratings: usize,
    /// Score 1 to 5 → how many.
    pub counts: [usize; 5],
    pub mean: Option<f64>,
    /// Requesters asked in the period, and how many of them rated.
    pub asked: usize,
    pub answered: usize,
}

impl RatingFigures {
    /// The share of requesters asked who rated, when anyone was asked.
    pub fn response_rate(&self) -> Option<f64> {
        (self.asked > 0).then(|| self.answered as f64 / self.asked as f64)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RatingLine {
    pub subject: Subject,
    pub now: RatingFigures,
    pub before: RatingFigures,
}

impl RatingLine {
    /// The change of the mean score against the previous period.
    pub fn trend(&self) -> Option<f64> {
        Some(self.now.mean? - self.before.mean?)
    }
}

/// A survey question's score in the period (the latest round that opened in it).
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyLine {
    pub survey: String,
    pub question: String,
    /// The providing department asked about (empty: the desk as a whole).
    pub about: String,
    pub round: u32,
    pub respondents: usize,
    pub mean: Option<f64>,
    pub nps: Option<i64>,
    /// The same question's figure in the round before.
    pub previous_mean: Option<f64>,
    pub previous_nps: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub lines: Vec<RatingLine>,
    pub surveys: Vec<SurveyLine>,
}

/// The fewest ratings a line needs to count among the lowest-scoring items.
pub const LOWEST_MINIMUM: usize = 3;

impl Report {
    /// Services and survey questions scoring lowest (Likert means; NPS is on another scale),
    /// lowest first.
    pub fn lowest(&self, how_many: usize) -> Vec<LowItem> {
        let mut items: Vec<LowItem> = self
            .lines
            .iter()
            .filter(|l| matches!(l.subject, Subject::Service { .. }))
            .filter(|l| l.now.ratings >= LOWEST_MINIMUM)
            .filter_map(|l| Some(LowItem::Rating(l.subject.clone(), l.now.mean?)))
            .chain(
                self.surveys
                    .iter()
                    .filter(|s| s.nps.is_none())
                    .filter_map(|s| {
                        Some(LowItem::Question {
                            survey: s.survey.clone(),
                            question: s.question.clone(),
                            mean: s.mean?,
                        })
                    }),
            )
            .collect();
        items.sort_by(|a, b| a.mean().total_cmp(&b.mean()));
        items.truncate(how_many);
        items
    }

    /// The rating lines as CSV (one line per subject; empty cells where a figure is missing).
    pub fn to_csv(&self) -> String {
        let mut out = csv::row(
            &[
                "provider",
                "service",
                "agent",
                "ratings",
                "mean",
                "score_1",
                "score_2",
                "score_3",
                "score_4",
                "score_5",
                "asked",
                "answered",
                "response_rate",
                "previous_mean",
                "trend",
            ]
            .map(String::from),
        );
        for line in &self.lines {
            let (provider, service, agent) = match &line.subject {
                Subject::Provider(p) => (p.clone(), String::new(), String::new()),
                Subject::Service { provider, service } => {
                    (provider.clone(), service.clone(), String::new())
                }
                Subject::Agent { provider, agent } => {
                    (provider.clone(), String::new(), agent.clone())
                }
            };
            let n = &line.now;
            let mut fields = vec![
                provider,
                service,
                agent,
                n.ratings.to_string(),
                fixed(n.mean),
            ];
            fields.extend(n.counts.iter().map(|c| c.to_string()));
            fields.extend([
                n.asked.to_string(),
                n.answered.to_string(),
                fixed(n.response_rate()),
                fixed(line.before.mean),
                fixed(line.trend()),
            ]);
            out.push_str(&csv::row(&fields));
        }
        out
    }
}

impl Report {
    /// The survey lines as CSV.
    pub fn surveys_csv(&self) -> String {
        let mut out = csv::row(
            &[
                "survey",
                "question",
                "about",
                "round",
                "respondents",
                "mean",
                "nps",
                "previous_mean",
                "previous_nps",
            ]
            .map(String::from),
        );
        for line in &self.surveys {
            out.push_str(&csv::row(&[
                line.survey.clone(),
                line.question.clone(),
                line.about.clone(),
                line.round.to_string(),
                line.respondents.to_string(),
                fixed(line.mean),
                line.nps.map(|n| n.to_string()).unwrap_or_default(),
                fixed(line.previous_mean),
                line.previous_nps.map(|n| n.to_string()).unwrap_or_default(),
            ]));
        }
        out
    }
}

fn fixed(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.2}")).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq)]
pub enum LowItem {
    Rating(Subject, f64),
    Question {
        survey: String,
        question: String,
        mean: f64,
    },
}

impl LowItem {
    pub fn mean(&self) -> f64 {
        match self {
            LowItem::Rating(_, mean) | LowItem::Question { mean, .. } => *mean,
        }
    }
}

/// The report of `period` from the ticket rows a person reads and the survey results they see.
pub fn satisfaction_report(
    rows: &[&TicketSummary],
    surveys: &[(&Survey, &[RoundResult])],
    period: Period,
) -> Report {
    let before = period.previous();
    let mut lines: BTreeMap<Subject, RatingLine> = BTreeMap::new();
    for row in rows {
        for subject in subjects(row) {
            let line = lines.entry(subject.clone()).or_insert_with(|| RatingLine {
                subject,
                now: RatingFigures::default(),
                before: RatingFigures::default(),
            });
            count(&mut line.now, row, period);
            count(&mut line.before, row, before);
        }
    }
    let mut lines: Vec<RatingLine> = lines
        .into_values()
        .filter(|l| l.now.ratings + l.now.asked + l.before.ratings > 0)
        .collect();
    for line in &mut lines {
        line.now.mean = scores_mean(&line.now.counts);
        line.before.mean = scores_mean(&line.before.counts);
    }
    Report {
        lines,
        surveys: survey_lines(surveys, period),
    }
}

fn subjects(row: &TicketSummary) -> Vec<Subject> {
    let provider = row.department.clone();
    let mut subjects = vec![Subject::Provider(provider.clone())];
    if !row.service.is_empty() {
        subjects.push(Subject::Service {
            provider: provider.clone(),
            service: row.service.clone(),
        });
    }
    if !row.resolved_by.is_empty() {
        subjects.push(Subject::Agent {
            provider,
            agent: row.resolved_by.clone(),
        });
    }
    subjects
}

fn count(figures: &mut RatingFigures, row: &TicketSummary, period: Period) {
    let rating: Option<&Rating> = row.feedback.rating.as_ref();
    if let Some(r) = rating.filter(|r| period.contains(r.at)) {
        figures.ratings += 1;
        figures.counts[usize::from(r.score.clamp(1, 5) - 1)] += 1;
    }
    if row.feedback.asked_at.is_some_and(|at| period.contains(at)) {
        figures.asked += 1;
        if rating.is_some() {
            figures.answered += 1;
        }
    }
}

fn scores_mean(counts: &[usize; 5]) -> Option<f64> {
    let total: usize = counts.iter().sum();
    (total > 0).then(|| {
        let sum: usize = counts.iter().enumerate().map(|(i, c)| (i + 1) * c).sum();
        sum as f64 / total as f64
    })
}

/// Per scored question: the latest round opened in the period against the round before it.
/// Each scored survey question's figure in the latest round that opened in the period.
pub fn survey_lines(surveys: &[(&Survey, &[RoundResult])], period: Period) -> Vec<SurveyLine> {
    let mut lines = Vec::new();
    for (survey, rounds) in surveys {
        let in_period = |r: &&RoundResult| {
            survey.schedule.round(r.round).is_some_and(|round| {
                let opens = day_start(round.opens);
                period.contains(opens)
            })
        };
        let Some(latest) = rounds.iter().filter(in_period).max_by_key(|r| r.round) else {
            continue;
        };
        let previous = rounds
            .iter()
            .filter(|r| r.round < latest.round)
            .max_by_key(|r| r.round);
        for (i, q) in survey.questions.iter().enumerate() {
            if q.kind.scale().is_none() {
                continue;
            }
            let now = shown_figure(latest, i);
            let then = previous.and_then(|r| shown_figure(r, i));
            let is_nps = matches!(q.kind, QuestionKind::Nps);
            lines.push(SurveyLine {
                survey: survey.id.clone(),
                question: q.id.clone(),
                about: q.about.clone(),
                round: latest.round,
                respondents: latest.respondents,
                mean: now.and_then(|f| f.mean),
                nps: now.and_then(|f| f.nps).filter(|_| is_nps),
                previous_mean: then.and_then(|f| f.mean),
                previous_nps: then.and_then(|f| f.nps).filter(|_| is_nps),
            });
        }
    }
    lines
}

/// Everyone's figure for the `i`-th question of a round, unless it is withheld.
fn shown_figure(round: &RoundResult, i: usize) -> Option<&super::results::QuestionResult> {
    let figure = round.groups.first()?.questions.get(i)?;
    (!figure.withheld).then_some(figure)
}

/// Midnight UTC of a day: rounds are dated, and a report period is wide enough that the time
/// zone does not move a round across it in practice.
fn day_start(day: chrono::NaiveDate) -> Timestamp {
    Timestamp(
        day.and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp_millis(),
    )
}

/// Each providing department's NPS from the survey lines about it (the first NPS question found,
/// when several ask).
pub fn nps_by_department(lines: &[SurveyLine]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for line in lines.iter().filter(|l| !l.about.is_empty()) {
        if let Some(nps) = line.nps {
            out.entry(line.about.clone()).or_insert(nps);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::rating::Feedback;
    use super::super::results::{summarise, Response};
    use super::super::survey::{tests::quarterly, Answer};
    use super::*;
    use crate::domain::{DocumentId, Priority, Status};

    const DAY: i64 = 86_400_000;

    fn row(n: u8, service: &str, score: Option<u8>, rated_day: i64, asked: bool) -> TicketSummary {
        TicketSummary {
            self_help: Default::default(),
            involvement: Default::default(),
            id: DocumentId::from_bytes([n; 16]),
            title: format!("t{n}"),
            status: Status::Resolved,
            priority: Priority::Normal,
            department: "IT".into(),
            requester: "王芳".into(),
            requester_email: String::new(),
            customer_department: "财务部".into(),
            category: String::new(),
            service: service.into(),
            sla: Vec::new(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            comment_count: 0,
            resolved_by: "Li Lei".into(),
            feedback: Feedback {
                asked_at: asked.then_some(Timestamp(rated_day * DAY)),
                reminded_at: None,
                rating: score.map(|score| Rating {
                    score,
                    comment: String::new(),
                    by: "王芳".into(),
                    at: Timestamp(rated_day * DAY),
                }),
            },
        }
    }

    fn line<'a>(report: &'a Report, subject: &Subject) -> &'a RatingLine {
        report.lines.iter().find(|l| &l.subject == subject).unwrap()
    }

    #[test]
    fn ratings_are_summed_per_provider_service_and_agent_with_their_trend() {
        // Period: days 30–60. Before: days 0–30.
        let rows = [
            row(1, "vpn", Some(5), 31, true),
            row(2, "vpn", Some(2), 40, true),
            row(3, "vpn", None, 41, true),
            row(4, "laptop", Some(4), 50, false),
            row(5, "vpn", Some(3), 10, true),
            row(6, "laptop", Some(1), 70, true),
        ];
        let refs: Vec<&TicketSummary> = rows.iter().collect();
        let period = Period {
            start: Timestamp(30 * DAY),
            end: Timestamp(60 * DAY),
        };
        let report = satisfaction_report(&refs, &[], period);
        let it = line(&report, &Subject::Provider("IT".into()));
        // 5 + 2 + 4 = 11 over 3.
        assert_eq!(it.now.ratings, 3);
        assert_eq!(it.now.counts, [0, 1, 0, 1, 1]);
        assert!((it.now.mean.unwrap() - 11.0 / 3.0).abs() < 1e-9);
        // Asked 3 (tickets 1–3), answered 2.
        assert_eq!((it.now.asked, it.now.answered), (3, 2));
        assert!((it.now.response_rate().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(it.before.mean, Some(3.0));
        assert!((it.trend().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        let vpn = line(
            &report,
            &Subject::Service {
                provider: "IT".into(),
                service: "vpn".into(),
            },
        );
        assert_eq!(vpn.now.mean, Some(3.5));
        let agent = line(
            &report,
            &Subject::Agent {
                provider: "IT".into(),
                agent: "Li Lei".into(),
            },
        );
        assert_eq!(agent.now.ratings, 3);
        let csv = report.to_csv();
        assert!(csv.starts_with("provider,service,agent,ratings,mean"));
        assert!(
            csv.contains("IT,vpn,,2,3.50,0,1,0,0,1,3,2,0.67,3.00,0.50\n"),
            "{csv}"
        );
    }

    #[test]
    fn the_lowest_items_need_enough_ratings_and_include_survey_questions() {
        // Round 1 opens 2026-01-05; the period is January 2026.
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let first_day = day_start(start).0 / DAY;
        let mut rows = vec![row(1, "vpn", Some(1), first_day + 1, false)];
        for n in 2..5 {
            rows.push(row(n, "laptop", Some(3), first_day + 2, false));
        }
        let refs: Vec<&TicketSummary> = rows.iter().collect();
        let mut survey = quarterly();
        survey.confidential = false;
        let answers: Vec<Response> = (0..2)
            .map(|n| Response {
                survey: "s1".into(),
                round: 1,
                respondent: format!("p{n}"),
                department: "财务部".into(),
                answers: [
                    ("q1".to_string(), Answer::Score(2)),
                    ("q2".to_string(), Answer::Score(10)),
                ]
                .into(),
                at: Timestamp(0),
            })
            .collect();
        let results = summarise(&survey, &answers);
        let period = Period {
            start: day_start(start),
            end: Timestamp(day_start(start).0 + 31 * DAY),
        };
        let report = satisfaction_report(&refs, &[(&survey, &results)], period);
        assert_eq!(report.surveys.len(), 2);
        assert_eq!(report.surveys[1].nps, Some(100));
        assert_eq!(
            report.surveys_csv().lines().nth(2),
            Some("s1,q2,IT,1,2,10.00,100,,")
        );
        let low = report.lowest(5);
        // vpn has one rating only: not enough to rank. The Likert question (2.0) before laptop (3.0).
        assert_eq!(low.len(), 2);
        assert!(matches!(&low[0], LowItem::Question { question, .. } if question == "q1"));
        assert_eq!(low[1].mean(), 3.0);
    }
}

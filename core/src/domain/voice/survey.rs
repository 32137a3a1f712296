//! Periodic surveys: what is asked, of whom, how often, and which answers are valid.

use crate::domain::catalog::Text;
use crate::domain::classification::Segment;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a question asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "options")]
pub enum QuestionKind {
    /// Agreement or satisfaction from 1 to 5.
    Likert,
    /// "How likely are you to recommend…", 0 to 10.
    Nps,
    Single(Vec<Text>),
    Multiple(Vec<Text>),
    FreeText,
}

impl QuestionKind {
    /// The lowest and highest score a scored question takes.
    pub fn scale(&self) -> Option<(i64, i64)> {
        match self {
            QuestionKind::Likert => Some((1, 5)),
            QuestionKind::Nps => Some((0, 10)),
            _ => None,
        }
    }

    pub fn options(&self) -> &[Text] {
        match self {
            QuestionKind::Single(o) | QuestionKind::Multiple(o) => o,
            _ => &[],
        }
    }
}

/// Which part of the voice of the customer a question measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    #[default]
    Satisfaction,
    ServiceGap,
    Suggestion,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [
        Dimension::Satisfaction,
        Dimension::ServiceGap,
        Dimension::Suggestion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Satisfaction => "satisfaction",
            Dimension::ServiceGap => "service_gap",
            Dimension::Suggestion => "suggestion",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: Text,
    pub kind: QuestionKind,
    #[serde(default)]
    pub dimension: Dimension,
    #[serde(default)]
    pub required: bool,
    /// The providing department the question is about (empty: the service desk as a whole).
    #[serde(default)]
    pub about: String,
}

/// Who is asked: people of these departments or of departments in these segments; nobody
/// named means everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyAudience {
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub segments: Vec<Segment>,
}

impl SurveyAudience {
    pub fn includes(&self, department: &str, segment: Option<Segment>) -> bool {
        (self.departments.is_empty() && self.segments.is_empty())
            || self.departments.iter().any(|d| d == department)
            || segment.is_some_and(|s| self.segments.contains(&s))
    }
}

/// When a survey runs: from `start`, every `every_months` months (0: once), each round open for
/// `open_days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub start: NaiveDate,
    pub every_months: u32,
    pub open_days: u32,
}

/// One run of a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// 1 for the first run.
    pub number: u32,
    pub opens: NaiveDate,
    /// The last day answers are taken.
    pub closes: NaiveDate,
}

impl Schedule {
    /// The round that opens `n`-th (1-based).
    pub fn round(&self, number: u32) -> Option<Round> {
        let opens = self.start.checked_add_months(Months::new(
            self.every_months.checked_mul(number.checked_sub(1)?)?,
        ))?;
        let closes = opens + chrono::Days::new(u64::from(self.open_days.max(1) - 1));
        Some(Round {
            number,
            opens,
            closes,
        })
    }

    /// The round taking answers on `day`, if one is.
    pub fn open_on(&self, day: NaiveDate) -> Option<Round> {
        self.latest_by(day).filter(|r| day <= r.closes)
    }

    /// The most recent round that has opened by `day`.
    pub fn latest_by(&self, day: NaiveDate) -> Option<Round> {
        if day < self.start {
            return None;
        }
        if self.every_months == 0 {
            return self.round(1);
        }
        let months =
            (day.year() - self.start.year()) * 12 + day.month() as i32 - self.start.month() as i32;
        let mut number = (months.max(0) as u32) / self.every_months + 1;
        while number > 1 && self.round(number).is_none_or(|r| r.opens > day) {
            number -= 1;
        }
        self.round(number)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub id: String,
    pub title: Text,
    pub questions: Vec<Question>,
    #[serde(default)]
    pub audience: SurveyAudience,
    pub schedule: Schedule,
    /// Results only in aggregates of at least [`super::results::CONFIDENTIAL_MINIMUM`] answers.
    #[serde(default)]
    pub confidential: bool,
    /// The survey whose results this one follows up (an improvement plan's after-measure).
    #[serde(default)]
    pub follows_up: String,
    /// Rounds of a confidential survey whose free-text answers an administrator released after
    /// the round closed (until then they are counted, not shown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts_released: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    #[error("the survey needs a title")]
    NoTitle,
    #[error("the survey has no questions")]
    NoQuestions,
    #[error("question {0} has no text")]
    EmptyQuestion(usize),
    #[error("question {0} needs at least two options")]
    TooFewOptions(usize),
    #[error("question {0} lists the same option twice")]
    DuplicateOption(usize),
    #[error("a round must stay open at least one day and no longer than the time between rounds")]
    OpenDays,
}

impl Survey {
    /// Every reason the survey cannot be published (questions are numbered from 1).
    pub fn problems(&self) -> Vec<SurveyError> {
        let mut problems = Vec::new();
        if self.title.show(true).trim().is_empty() {
            problems.push(SurveyError::NoTitle);
        }
        if self.questions.is_empty() {
            problems.push(SurveyError::NoQuestions);
        }
        for (n, q) in self.questions.iter().enumerate().map(|(i, q)| (i + 1, q)) {
            if q.text.show(true).trim().is_empty() {
                problems.push(SurveyError::EmptyQuestion(n));
            }
            let options = q.kind.options();
            if matches!(q.kind, QuestionKind::Single(_) | QuestionKind::Multiple(_)) {
                if options
                    .iter()
                    .filter(|o| !o.show(true).trim().is_empty())
                    .count()
                    < 2
                {
                    problems.push(SurveyError::TooFewOptions(n));
                }
                let mut seen: Vec<&str> = options.iter().map(|o| o.show(true).trim()).collect();
                seen.sort();
                if seen.windows(2).any(|w| w[0] == w[1] && !w[0].is_empty()) {
                    problems.push(SurveyError::DuplicateOption(n));
                }
            }
        }
        let s = &self.schedule;
        // A month is at least 28 days.
        if s.open_days == 0 || (s.every_months > 0 && s.open_days > s.every_months * 28) {
            problems.push(SurveyError::OpenDays);
        }
        problems
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// One answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Answer {
    Score(i64),
    /// Indexes into the question's options.
    Choices(Vec<usize>),
    Text(String),
}

pub const MAX_TEXT_ANSWER_CHARS: usize = 4000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("question {question}: {value} is outside {min}–{max}")]
    OutOfRange {
        question: usize,
        value: i64,
        min: i64,
        max: i64,
    },
    #[error("question {0} must be answered")]
    Required(usize),
    #[error("question {0}: no such option")]
    UnknownOption(usize),
    #[error("question {0} takes one choice")]
    OneChoiceOnly(usize),
    #[error("question {0}: this kind of answer does not fit the question")]
    WrongKind(usize),
    #[error("question {0}: the answer is too long")]
    TooLong(usize),
    #[error("an answer names a question the survey does not have")]
    UnknownQuestion,
    #[error("the survey is not open for answers on this day")]
    Closed,
}

/// Every problem with a set of answers to a survey (questions numbered from 1).
pub fn check_answers(survey: &Survey, answers: &BTreeMap<String, Answer>) -> Vec<AnswerError> {
    let mut problems = Vec::new();
    if answers.keys().any(|id| survey.question(id).is_none()) {
        problems.push(AnswerError::UnknownQuestion);
    }
    for (n, q) in survey.questions.iter().enumerate().map(|(i, q)| (i + 1, q)) {
        let Some(answer) = answers.get(&q.id).filter(|a| !is_blank(a)) else {
            if q.required {
                problems.push(AnswerError::Required(n));
            }
            continue;
        };
        if let Some(problem) = check_one(n, &q.kind, answer) {
            problems.push(problem);
        }
    }
    problems
}

fn is_blank(answer: &Answer) -> bool {
    match answer {
        Answer::Score(_) => false,
        Answer::Choices(c) => c.is_empty(),
        Answer::Text(t) => t.trim().is_empty(),
    }
}

fn check_one(n: usize, kind: &QuestionKind, answer: &Answer) -> Option<AnswerError> {
    match (kind, answer) {
        (QuestionKind::Likert | QuestionKind::Nps, Answer::Score(value)) => {
            let (min, max) = kind.scale().expect("scored");
            (!(min..=max).contains(value)).then_some(AnswerError::OutOfRange {
                question: n,
                value: *value,
                min,
                max,
            })
        }
        (QuestionKind::Single(options) | QuestionKind::Multiple(options), Answer::Choices(c)) => {
            if matches!(kind, QuestionKind::Single(_)) && c.len() > 1 {
                Some(AnswerError::OneChoiceOnly(n))
            } else if c.iter().any(|i| *i >= options.len()) {
                Some(AnswerError::UnknownOption(n))
            } else {
                None
            }
        }
        (QuestionKind::FreeText, Answer::Text(t)) => {
            (t.chars().count() > MAX_TEXT_ANSWER_CHARS).then_some(AnswerError::TooLong(n))
        }
        _ => Some(AnswerError::WrongKind(n)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn text(s: &str) -> Text {
        Text {
            zh: s.into(),
            en: String::new(),
        }
    }

    pub(crate) fn quarterly() -> Survey {
        Survey {
            id: "s1".into(),
            title: text("IT 服务满意度"),
            questions: vec![
                Question {
                    id: "q1".into(),
                    text: text("总体满意度"),
                    kind: QuestionKind::Likert,
                    dimension: Dimension::Satisfaction,
                    required: true,
                    about: "IT".into(),
                },
                Question {
                    id: "q2".into(),
                    text: text("推荐意愿"),
                    kind: QuestionKind::Nps,
                    dimension: Dimension::Satisfaction,
                    required: false,
                    about: "IT".into(),
                },
                Question {
                    id: "q3".into(),
                    text: text("最需要改进"),
                    kind: QuestionKind::Single(vec![text("响应速度"), text("沟通")]),
                    dimension: Dimension::ServiceGap,
                    required: false,
                    about: String::new(),
                },
            ],
            audience: SurveyAudience::default(),
            schedule: Schedule {
                start: day(2026, 1, 5),
                every_months: 3,
                open_days: 14,
            },
            confidential: true,
            follows_up: String::new(),
            texts_released: Vec::new(),
        }
    }

    #[test]
    fn a_survey_with_no_questions_or_bad_options_is_refused_with_every_reason() {
        let mut survey = quarterly();
        assert!(survey.problems().is_empty());
        survey.questions[2].kind = QuestionKind::Single(vec![text("同"), text("同")]);
        assert_eq!(survey.problems(), vec![SurveyError::DuplicateOption(3)]);
        survey.questions.clear();
        survey.title = text(" ");
        survey.schedule.open_days = 0;
        assert_eq!(
            survey.problems(),
            vec![
                SurveyError::NoTitle,
                SurveyError::NoQuestions,
                SurveyError::OpenDays
            ]
        );
    }

    #[test]
    fn quarterly_rounds_open_and_close_on_their_days() {
        let s = quarterly().schedule;
        assert_eq!(s.open_on(day(2026, 1, 4)), None);
        let first = s.open_on(day(2026, 1, 5)).unwrap();
        assert_eq!((first.number, first.closes), (1, day(2026, 1, 18)));
        assert_eq!(s.open_on(day(2026, 1, 19)), None);
        assert_eq!(s.latest_by(day(2026, 3, 30)).unwrap().number, 1);
        let third = s.open_on(day(2026, 7, 10)).unwrap();
        assert_eq!((third.number, third.opens), (3, day(2026, 7, 5)));
        let once = Schedule {
            every_months: 0,
            ..s
        };
        assert_eq!(once.latest_by(day(2027, 1, 1)).unwrap().number, 1);
        assert_eq!(once.open_on(day(2027, 1, 1)), None);
    }

    #[test]
    fn answers_out_of_range_of_the_wrong_kind_or_missing_are_refused() {
        let survey = quarterly();
        let answers = |pairs: &[(&str, Answer)]| -> BTreeMap<String, Answer> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        assert!(check_answers(&survey, &answers(&[("q1", Answer::Score(4))])).is_empty());
        assert_eq!(
            check_answers(
                &survey,
                &answers(&[("q1", Answer::Score(4)), ("q2", Answer::Score(11))])
            ),
            vec![AnswerError::OutOfRange {
                question: 2,
                value: 11,
                min: 0,
                max: 10
            }]
        );
        assert_eq!(
            check_answers(&survey, &answers(&[("q2", Answer::Score(-1))])),
            vec![
                AnswerError::Required(1),
                AnswerError::OutOfRange {
                    question: 2,
                    value: -1,
                    min: 0,
                    max: 10
                }
            ]
        );
        assert_eq!(
            check_answers(
                &survey,
                &answers(&[
                    ("q1", Answer::Text("好".into())),
                    ("q3", Answer::Choices(vec![0, 1])),
                    ("q9", Answer::Score(1))
                ])
            ),
            vec![
                AnswerError::UnknownQuestion,
                AnswerError::WrongKind(1),
                AnswerError::OneChoiceOnly(3)
            ]
        );
    }

    #[test]
    fn the_audience_is_departments_or_segments_or_everyone() {
        let mut audience = SurveyAudience::default();
        assert!(audience.includes("财务部", None));
        audience.departments.push("财务部".into());
        assert!(audience.includes("财务部", None));
        assert!(!audience.includes("人事部", Some(Segment::Frequent)));
        audience.segments.push(Segment::Key);
        assert!(audience.includes("人事部", Some(Segment::Key)));
    }
}

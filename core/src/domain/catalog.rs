//! The service catalog: what each providing department promises to do, the form a request for it
//! fills in, which queue serves it, under which SLA policy, and whether it needs approval; plus the
//! organisation's SLA policies and business calendars, which the services name.

use super::classification::Segment;
use super::directory::{DepartmentId, Directory};
use super::people_search::NameKeys;
use super::sla::{
    evaluate, Calendar, CalendarError, ClockReport, Policy, PolicyError, SlaEvent, WorkCalendar,
};
use super::Priority;
use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A text in both of the interface's languages; either may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    /// The text in the wanted language, or in the other if that one is empty.
    pub fn show(&self, chinese: bool) -> &str {
        let (first, second) = if chinese {
            (&self.zh, &self.en)
        } else {
            (&self.en, &self.zh)
        };
        if first.trim().is_empty() {
            second
        } else {
            first
        }
    }

    fn is_empty(&self) -> bool {
        self.zh.trim().is_empty() && self.en.trim().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "choices")]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Choice(Vec<String>),
    /// Someone from the directory, by email.
    Person,
}

/// One question of a service's request form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub key: String,
    pub label: Text,
    pub kind: FieldKind,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub provider: DepartmentId,
    pub name: Text,
    #[serde(default)]
    pub description: Text,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    pub priority: Priority,
    /// The queue that serves requests (a department of the provider, often the provider itself).
    pub queue: DepartmentId,
    /// The SLA policy, by name; empty for the organisation's default.
    #[serde(default)]
    pub policy: String,
    #[serde(default)]
    pub needs_approval: bool,
    /// The approval chain (by id) a request for it waits on; empty: the requester's manager.
    #[serde(default)]
    pub approval_chain: String,
}

/// Why a service cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("a service needs a name")]
    NoName,
    #[error("a service needs a queue that serves it")]
    NoQueue,
    #[error("two questions share the key {0:?}")]
    DuplicateField(String),
    #[error("the choice question {0:?} has no choices")]
    NoChoices(String),
    #[error("the policy {0:?} does not exist")]
    UnknownPolicy(String),
}

/// Why an answer to a request form is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerProblem {
    #[error("an answer is required")]
    Missing,
    #[error("not a number")]
    NotANumber,
    #[error("not a date (YYYY-MM-DD)")]
    NotADate,
    #[error("not one of the choices")]
    NotAChoice,
    #[error("nobody in the directory has this email")]
    UnknownPerson,
}

/// Everything the catalog document holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub services: BTreeMap<String, Service>,
    pub policies: BTreeMap<String, Policy>,
    pub calendars: BTreeMap<String, Calendar>,
    /// The policy of tickets filed without a service (or naming none).
    #[serde(default)]
    pub default_policy: String,
}

/// The catalog's calendars, checked, by name.
#[derive(Debug, Clone, Default)]
pub struct Calendars(pub BTreeMap<String, WorkCalendar>);

/// Why a catalog change cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Policy(PolicyError),
    #[error("{0}")]
    Calendar(CalendarError),
    #[error("the policy names a calendar {0:?} that does not exist")]
    UnknownCalendar(String),
}

impl Catalog {
    /// Publishes a service (new or changed) after checking it.
    pub fn put_service(&mut self, service: Service) -> Result<(), Vec<CatalogError>> {
        let mut errors: Vec<CatalogError> = service
            .check()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        if !service.policy.is_empty() && !self.policies.contains_key(&service.policy) {
            errors.push(ServiceError::UnknownPolicy(service.policy.clone()).into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.services.insert(service.id.clone(), service);
        Ok(())
    }

    /// Saves a policy after checking it; the previous one stays if it is refused.
    pub fn put_policy(&mut self, policy: Policy) -> Result<(), Vec<CatalogError>> {
        let mut errors: Vec<CatalogError> = policy
            .check()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(CatalogError::Policy)
            .collect();
        if !self.calendars.contains_key(&policy.calendar) {
            errors.push(CatalogError::UnknownCalendar(policy.calendar.clone()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if self.default_policy.is_empty() {
            self.default_policy = policy.name.clone();
        }
        self.policies.insert(policy.name.clone(), policy);
        Ok(())
    }

    /// Saves a calendar after checking it; the previous one stays if it is refused.
    pub fn put_calendar(&mut self, calendar: Calendar) -> Result<(), Vec<CatalogError>> {
        calendar.check().map_err(|e| {
            e.into_iter()
                .map(CatalogError::Calendar)
                .collect::<Vec<_>>()
        })?;
        self.calendars.insert(calendar.name.clone(), calendar);
        Ok(())
    }

    /// Takes in what another catalog has and this one lacks, keeping this one's version of the rest.
    pub fn absorb(&mut self, other: Catalog) {
        for (id, service) in other.services {
            self.services.entry(id).or_insert(service);
        }
        for (name, policy) in other.policies {
            self.policies.entry(name).or_insert(policy);
        }
        for (name, calendar) in other.calendars {
            self.calendars.entry(name).or_insert(calendar);
        }
        if self.default_policy.is_empty() {
            self.default_policy = other.default_policy;
        }
    }

    /// The policy a ticket of this service (or of none) is measured by.
    pub fn policy_for(&self, service: &str) -> Option<&Policy> {
        let named = self
            .services
            .get(service)
            .map(|s| s.policy.as_str())
            .filter(|p| !p.is_empty())
            .unwrap_or(&self.default_policy);
        self.policies.get(named)
    }

    /// Every calendar, checked once (each builds its table of working time on first use).
    pub fn work_calendars(&self) -> Calendars {
        Calendars(
            self.calendars
                .iter()
                .filter_map(|(name, c)| Some((name.clone(), c.check().ok()?)))
                .collect(),
        )
    }

    /// Every SLA clock of a ticket at `now`, by its service's policy and that policy's calendar;
    /// none when no policy applies.
    pub fn clocks(
        &self,
        calendars: &Calendars,
        service: &str,
        events: &[SlaEvent],
        segment: Option<Segment>,
        now: Timestamp,
    ) -> Vec<ClockReport> {
        let Some(policy) = self.policy_for(service) else {
            return Vec::new();
        };
        match calendars.0.get(&policy.calendar) {
            Some(calendar) => evaluate(events, policy, segment, calendar, now),
            None => Vec::new(),
        }
    }

    /// Services matching a query by name or description, in either language, by pinyin or initials.
    pub fn find(&self, query: &str) -> Vec<&Service> {
        self.services
            .values()
            .filter(|s| {
                NameKeys::of(
                    &s.name.zh,
                    &[&s.name.en, &s.description.zh, &s.description.en],
                )
                .matches(query)
            })
            .collect()
    }
}

impl Service {
    pub fn check(&self) -> Result<(), Vec<ServiceError>> {
        let mut errors = Vec::new();
        if self.name.is_empty() {
            errors.push(ServiceError::NoName);
        }
        if self.queue.0.trim().is_empty() {
            errors.push(ServiceError::NoQueue);
        }
        for (i, field) in self.fields.iter().enumerate() {
            if self.fields[..i].iter().any(|f| f.key == field.key) {
                errors.push(ServiceError::DuplicateField(field.key.clone()));
            }
            if matches!(&field.kind, FieldKind::Choice(c) if c.is_empty()) {
                errors.push(ServiceError::NoChoices(field.key.clone()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Checks a filled-in form: every problem by question key, or the answers trimmed.
    pub fn check_answers(
        &self,
        answers: &BTreeMap<String, String>,
        directory: &Directory,
    ) -> Result<BTreeMap<String, String>, Vec<(String, AnswerProblem)>> {
        let mut clean = BTreeMap::new();
        let mut problems = Vec::new();
        for field in &self.fields {
            let value = answers.get(&field.key).map_or("", |v| v.trim());
            if value.is_empty() {
                if field.required {
                    problems.push((field.key.clone(), AnswerProblem::Missing));
                }
                continue;
            }
            let problem = match &field.kind {
                FieldKind::Text => None,
                FieldKind::Number => value
                    .parse::<f64>()
                    .is_err()
                    .then_some(AnswerProblem::NotANumber),
                FieldKind::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .is_err()
                    .then_some(AnswerProblem::NotADate),
                FieldKind::Choice(choices) => {
                    (!choices.iter().any(|c| c == value)).then_some(AnswerProblem::NotAChoice)
                }
                FieldKind::Person => (!directory.people.contains_key(&value.to_lowercase()))
                    .then_some(AnswerProblem::UnknownPerson),
            };
            match problem {
                Some(p) => problems.push((field.key.clone(), p)),
                None => {
                    clean.insert(field.key.clone(), value.to_string());
                }
            }
        }
        if problems.is_empty() {
            Ok(clean)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sla::{Slot, Target};

    fn text(zh: &str, en: &str) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    fn laptop() -> Service {
        Service {
            id: "laptop".into(),
            provider: DepartmentId("信息技术部".into()),
            name: text("笔记本电脑申领", "Laptop request"),
            description: text("新员工或更换电脑", "New starters or replacements"),
            fields: vec![
                FieldSpec {
                    key: "model".into(),
                    label: text("型号", "Model"),
                    kind: FieldKind::Choice(vec!["ThinkPad".into(), "MacBook".into()]),
                    required: true,
                },
                FieldSpec {
                    key: "budget".into(),
                    label: text("预算", "Budget"),
                    kind: FieldKind::Number,
                    required: false,
                },
                FieldSpec {
                    key: "needed_by".into(),
                    label: text("需要日期", "Needed by"),
                    kind: FieldKind::Date,
                    required: true,
                },
                FieldSpec {
                    key: "for".into(),
                    label: text("使用人", "For"),
                    kind: FieldKind::Person,
                    required: false,
                },
            ],
            priority: Priority::Normal,
            queue: DepartmentId("桌面支持".into()),
            policy: String::new(),
            needs_approval: true,
            approval_chain: String::new(),
        }
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let directory = crate::domain::people_csv::preview_import(
            "name,email,department\n张三,zs@x.cn,信息技术部\n".as_bytes(),
            &Directory::default(),
        )
        .unwrap()
        .apply()
        .unwrap();
        let answers = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let good = answers(&[
            ("model", "MacBook"),
            ("needed_by", "2026-12-01"),
            ("for", " ZS@x.cn "),
        ]);
        let clean = laptop().check_answers(&good, &directory).unwrap();
        assert_eq!(clean["for"], "ZS@x.cn");
        let bad = answers(&[
            ("model", "Surface"),
            ("budget", "很多"),
            ("needed_by", "明天"),
            ("for", "nobody@x.cn"),
        ]);
        assert_eq!(
            laptop().check_answers(&bad, &directory).unwrap_err(),
            vec![
                ("model".into(), AnswerProblem::NotAChoice),
                ("budget".into(), AnswerProblem::NotANumber),
                ("needed_by".into(), AnswerProblem::NotADate),
                ("for".into(), AnswerProblem::UnknownPerson),
            ]
        );
        assert_eq!(
            laptop()
                .check_answers(&BTreeMap::new(), &directory)
                .unwrap_err(),
            vec![
                ("model".into(), AnswerProblem::Missing),
                ("needed_by".into(), AnswerProblem::Missing)
            ]
        );
    }

    #[test]
    fn the_catalog_refuses_what_cannot_work_and_keeps_what_it_had() {
        let mut catalog = Catalog::default();
        let mut broken = laptop();
        broken.name = Text::default();
        broken.fields.push(broken.fields[0].clone());
        broken.fields[1].kind = FieldKind::Choice(Vec::new());
        broken.fields[1].key = "budget".into();
        broken.policy = "VIP".into();
        let errors = catalog.put_service(broken).unwrap_err();
        assert!(errors.contains(&ServiceError::NoName.into()));
        assert!(errors.contains(&ServiceError::DuplicateField("model".into()).into()));
        assert!(errors.contains(&ServiceError::NoChoices("budget".into()).into()));
        assert!(errors.contains(&ServiceError::UnknownPolicy("VIP".into()).into()));
        assert!(catalog.services.is_empty());

        let calendar = Calendar::weekdays(
            "总部",
            "Asia/Shanghai",
            &[Slot::hours("09:00", "18:00").unwrap()],
        );
        catalog.put_calendar(calendar.clone()).unwrap();
        let mut idle = calendar;
        idle.week = Default::default();
        assert!(catalog.put_calendar(idle).is_err());
        assert!(
            !catalog.calendars["总部"].week[0].is_empty(),
            "the previous calendar stays"
        );
        let policy = Policy {
            name: "标准".into(),
            calendar: "总部".into(),
            targets: vec![Target {
                priority: Priority::Normal,
                segment: None,
                first_response: 60,
                next_response: None,
                resolution: 480,
            }],
            handoff: None,
            warn_percent: vec![75],
            warn_before: None,
            pause_while_waiting: true,
            escalations: Vec::new(),
        };
        let mut zero = policy.clone();
        zero.targets[0].resolution = 0;
        assert!(catalog.put_policy(zero).is_err());
        catalog.put_policy(policy).unwrap();
        assert_eq!(catalog.default_policy, "标准");
        catalog.put_service(laptop()).unwrap();
        assert_eq!(catalog.policy_for("laptop").unwrap().name, "标准");
        assert_eq!(catalog.policy_for("").unwrap().name, "标准");
        for query in ["笔记本", "laptop", "bjb", "replacement"] {
            assert_eq!(catalog.find(query).len(), 1, "{query}");
        }
    }
}

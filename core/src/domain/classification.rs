//! Classifying internal customers: which kind of relation a department has with a provider
//! (cross-department collaborator, recipient of a support department's services, cross-level),
//! and which segment it falls in (key / frequent / occasional) by its function, how often it asks
//! and how important its requests are — with weights the organisation sets, over a chosen window.
//! A manual override needs a reason and stays visible next to the computed segment.

use super::directory::{DepartmentId, Directory};
use super::{Priority, TicketSummary, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One request, as classification needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub customer: DepartmentId,
    pub provider: DepartmentId,
    pub at: Timestamp,
    pub priority: Priority,
    /// The requester manages people (management) rather than working on the front line.
    pub from_management: bool,
    /// Whoever handled it manages people.
    pub to_management: bool,
}

/// How a customer relates to a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Both ask each other for work: peers collaborating across departments.
    CrossDepartment,
    /// Receives a support department's services (IT, HR, finance…).
    SupportRecipient,
    /// Requests cross levels: management and front line asking each other.
    CrossLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Occasional,
    Frequent,
    Key,
}

impl Segment {
    pub const ALL: [Segment; 3] = [Segment::Key, Segment::Frequent, Segment::Occasional];

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Key => "key",
            Segment::Frequent => "frequent",
            Segment::Occasional => "occasional",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The organisation's settings for classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    pub function: f64,
    pub frequency: f64,
    pub importance: f64,
    /// Score (0–1) from which a customer is `Key`, and from which `Frequent`.
    pub key_from: f64,
    pub frequent_from: f64,
    /// How much each department's function matters to the organisation (0–1); unlisted: 0.5.
    pub function_value: BTreeMap<DepartmentId, f64>,
    /// Departments whose work is supporting others.
    pub support_departments: Vec<DepartmentId>,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            function: 0.3,
            frequency: 0.4,
            importance: 0.3,
            key_from: 0.7,
            frequent_from: 0.4,
            function_value: BTreeMap::new(),
            support_departments: Vec::new(),
        }
    }
}

/// What an organisation configures about classification: the weights, and manual segments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerSettings {
    pub weights: Weights,
    #[serde(default)]
    pub overrides: BTreeMap<DepartmentId, Override>,
}

/// A manual segment, with why and who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub segment: Segment,
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("a manual segment needs a reason")]
    NoReason,
}

impl Override {
    pub fn new(
        segment: Segment,
        reason: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<Self, OverrideError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(OverrideError::NoReason);
        }
        Ok(Self {
            segment,
            reason: reason.into(),
            by: by.into(),
            at,
        })
    }
}

/// A customer's classification, with the parts of its score shown so it can be explained.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub customer: DepartmentId,
    pub requests: usize,
    pub per_week: f64,
    pub function_score: f64,
    pub frequency_score: f64,
    pub importance_score: f64,
    pub score: f64,
    pub computed: Segment,
    pub manual: Option<Override>,
    /// Requests per provider, and the relation with each.
    pub providers: BTreeMap<DepartmentId, (usize, Vec<Relation>)>,
}

impl Profile {
    /// The segment in force: the manual one if set, else the computed one.
    pub fn segment(&self) -> Segment {
        self.manual.as_ref().map_or(self.computed, |o| o.segment)
    }
}

/// The requests behind classification, drawn from ticket list rows. Each counts under the
/// departments its customer and provider belong to at `now`, after merges: a ticket filed before a
/// merge reports under the merged department. Tickets filed without the directory are left out.
pub fn requests_from<'a>(
    rows: impl IntoIterator<Item = &'a TicketSummary>,
    directory: &Directory,
    now: Timestamp,
) -> Vec<Request> {
    let managers: BTreeSet<&str> = directory
        .people
        .values()
        .filter_map(|p| p.manager.as_deref())
        .collect();
    rows.into_iter()
        .filter(|row| !row.customer_department.is_empty())
        .map(|row| Request {
            customer: directory.department_at(&DepartmentId(row.customer_department.clone()), now),
            provider: directory.department_at(&DepartmentId(row.department.clone()), now),
            at: row.created_at,
            priority: row.priority,
            from_management: managers.contains(row.requester_email.as_str()),
            // Who handles a ticket is not recorded yet; the serving side counts as front line.
            to_management: false,
        })
        .collect()
}

/// One person as a customer: how much they ask, and of whom.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonProfile {
    pub email: String,
    pub name: String,
    pub requests: usize,
    pub providers: BTreeMap<DepartmentId, usize>,
}

/// Every requester with tickets created in `[from, to)`, busiest first.
pub fn person_profiles<'a>(
    rows: impl IntoIterator<Item = &'a TicketSummary>,
    directory: &Directory,
    from: Timestamp,
    to: Timestamp,
) -> Vec<PersonProfile> {
    let mut by_person: BTreeMap<&str, PersonProfile> = BTreeMap::new();
    for row in rows
        .into_iter()
        .filter(|r| !r.requester_email.is_empty() && r.created_at >= from && r.created_at < to)
    {
        let profile = by_person
            .entry(&row.requester_email)
            .or_insert_with(|| PersonProfile {
                email: row.requester_email.clone(),
                name: row.requester.clone(),
                requests: 0,
                providers: BTreeMap::new(),
            });
        profile.requests += 1;
        let provider = directory.department_at(&DepartmentId(row.department.clone()), to);
        *profile.providers.entry(provider).or_default() += 1;
    }
    let mut out: Vec<PersonProfile> = by_person.into_values().collect();
    out.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.email.cmp(&b.email))
    });
    out
}

/// Classifies every customer department with requests in `[from, to)`.
pub fn classify(
    requests: &[Request],
    from: Timestamp,
    to: Timestamp,
    weights: &Weights,
    overrides: &BTreeMap<DepartmentId, Override>,
) -> Vec<Profile> {
    let window: Vec<&Request> = requests
        .iter()
        .filter(|r| r.at >= from && r.at < to)
        .collect();
    let weeks = ((to.0 - from.0) as f64 / (7.0 * 24.0 * 3_600_000.0)).max(1.0 / 7.0);
    let mut by_customer: BTreeMap<&DepartmentId, Vec<&Request>> = BTreeMap::new();
    for r in &window {
        by_customer.entry(&r.customer).or_default().push(r);
    }
    let busiest = by_customer.values().map(Vec::len).max().unwrap_or(0).max(1) as f64;
    let total_weight =
        (weights.function + weights.frequency + weights.importance).max(f64::EPSILON);
    by_customer
        .into_iter()
        .map(|(customer, asked)| {
            let function_score = weights
                .function_value
                .get(customer)
                .copied()
                .unwrap_or(0.5)
                .clamp(0.0, 1.0);
            let frequency_score = asked.len() as f64 / busiest;
            let urgent = asked
                .iter()
                .filter(|r| matches!(r.priority, Priority::High | Priority::Urgent))
                .count();
            let importance_score = urgent as f64 / asked.len() as f64;
            let score = (weights.function * function_score
                + weights.frequency * frequency_score
                + weights.importance * importance_score)
                / total_weight;
            let computed = if score >= weights.key_from {
                Segment::Key
            } else if score >= weights.frequent_from {
                Segment::Frequent
            } else {
                Segment::Occasional
            };
            Profile {
                customer: customer.clone(),
                requests: asked.len(),
                per_week: asked.len() as f64 / weeks,
                function_score,
                frequency_score,
                importance_score,
                score,
                computed,
                manual: overrides.get(customer).cloned(),
                providers: providers_of(customer, &asked, &window, weights),
            }
        })
        .collect()
}

fn providers_of(
    customer: &DepartmentId,
    asked: &[&Request],
    window: &[&Request],
    weights: &Weights,
) -> BTreeMap<DepartmentId, (usize, Vec<Relation>)> {
    let mut providers: BTreeMap<DepartmentId, Vec<&Request>> = BTreeMap::new();
    for r in asked {
        providers.entry(r.provider.clone()).or_default().push(r);
    }
    providers
        .into_iter()
        .map(|(provider, requests)| {
            let mut relations = Vec::new();
            if weights.support_departments.contains(&provider) {
                relations.push(Relation::SupportRecipient);
            }
            let asked_back = window
                .iter()
                .any(|r| r.customer == provider && r.provider == *customer);
            if asked_back {
                relations.push(Relation::CrossDepartment);
            }
            if requests
                .iter()
                .any(|r| r.from_management != r.to_management)
            {
                relations.push(Relation::CrossLevel);
            }
            (provider, (requests.len(), relations))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3_600_000;

    fn d(id: &str) -> DepartmentId {
        DepartmentId(id.into())
    }

    fn request(customer: &str, provider: &str, day: i64, priority: Priority) -> Request {
        Request {
            customer: d(customer),
            provider: d(provider),
            at: Timestamp(day * DAY),
            priority,
            from_management: false,
            to_management: false,
        }
    }

    /// Four weeks: sales asks IT 8 times (4 urgent), finance asks IT twice, IT asks finance once.
    fn month() -> Vec<Request> {
        let mut all = Vec::new();
        for day in 0..8 {
            let priority = if day < 4 {
                Priority::Urgent
            } else {
                Priority::Normal
            };
            all.push(request("sales", "it", day * 3, priority));
        }
        all.push(request("finance", "it", 2, Priority::Normal));
        all.push(request("finance", "it", 9, Priority::Normal));
        let mut up = request("it", "finance", 5, Priority::Normal);
        up.from_management = true;
        all.push(up);
        all.push(request("sales", "it", 40, Priority::Urgent)); // outside the window
        all
    }

    fn weights() -> Weights {
        let mut w = Weights {
            support_departments: vec![d("it")],
            ..Weights::default()
        };
        w.function_value.insert(d("sales"), 1.0);
        w.function_value.insert(d("finance"), 0.5);
        w
    }

    fn month_profiles() -> Vec<Profile> {
        classify(
            &month(),
            Timestamp(0),
            Timestamp(28 * DAY),
            &weights(),
            &BTreeMap::new(),
        )
    }

    #[test]
    fn segments_follow_the_hand_computed_scores() {
        let profiles = month_profiles();
        let sales = profiles.iter().find(|p| p.customer == d("sales")).unwrap();
        // function 1.0 × 0.3 + frequency 8/8 × 0.4 + importance 4/8 × 0.3 = 0.85
        assert!((sales.score - 0.85).abs() < 1e-9, "{}", sales.score);
        assert_eq!(sales.computed, Segment::Key);
        assert!((sales.per_week - 2.0).abs() < 1e-9);
        let finance = profiles
            .iter()
            .find(|p| p.customer == d("finance"))
            .unwrap();
        // 0.5 × 0.3 + 2/8 × 0.4 + 0 × 0.3 = 0.25
        assert!((finance.score - 0.25).abs() < 1e-9, "{}", finance.score);
        assert_eq!(finance.computed, Segment::Occasional);
        let it = profiles.iter().find(|p| p.customer == d("it")).unwrap();
        // 0.5 × 0.3 + 1/8 × 0.4 + 0 = 0.2
        assert!((it.score - 0.2).abs() < 1e-9);
    }

    #[test]
    fn relations_name_support_collaboration_and_crossing_levels() {
        let profiles = month_profiles();
        let of = |c: &str, p: &str| {
            profiles
                .iter()
                .find(|x| x.customer == d(c))
                .unwrap()
                .providers[&d(p)]
                .clone()
        };
        assert_eq!(of("sales", "it"), (8, vec![Relation::SupportRecipient]));
        assert_eq!(
            of("finance", "it"),
            (
                2,
                vec![Relation::SupportRecipient, Relation::CrossDepartment]
            )
        );
        assert_eq!(
            of("it", "finance"),
            (1, vec![Relation::CrossDepartment, Relation::CrossLevel])
        );
    }

    fn row(n: u8, customer: &str, provider: &str, day: i64, email: &str) -> TicketSummary {
        TicketSummary {
            self_help: Default::default(),
            involvement: Default::default(),
            id: crate::domain::DocumentId::from_bytes([n; 16]),
            title: format!("request {n}"),
            status: crate::domain::Status::New,
            priority: Priority::Normal,
            department: provider.into(),
            requester: email.into(),
            requester_email: email.into(),
            customer_department: customer.into(),
            service: String::new(),
            sla: Vec::new(),
            category: String::new(),
            created_at: Timestamp(day * DAY),
            updated_at: Timestamp(day * DAY),
            comment_count: 0,
            resolved_by: String::new(),
            feedback: Default::default(),
        }
    }

    #[test]
    fn a_ticket_filed_before_a_merge_reports_under_the_merged_department() {
        use crate::domain::people_csv::preview_import;
        let file = "name,email,department,manager\n张三,zs@x.cn,市场部,ww@x.cn\n王五,ww@x.cn,销售部,\n李四,ls@x.cn,信息技术部,\n";
        let mut directory = preview_import(file.as_bytes(), &Directory::default())
            .unwrap()
            .apply()
            .unwrap();
        let rows = vec![
            row(1, "市场部", "信息技术部", 1, "zs@x.cn"), // before the merge
            row(2, "销售部", "信息技术部", 2, "ww@x.cn"),
            row(3, "", "信息技术部", 2, ""), // filed without the directory
        ];
        directory
            .merge(&d("市场部"), &d("销售部"), Timestamp(10 * DAY))
            .unwrap();

        let before = requests_from(&rows, &directory, Timestamp(5 * DAY));
        assert_eq!(before.len(), 2);
        assert_eq!(
            before[0].customer,
            d("市场部"),
            "the merge is not yet in force"
        );

        let after = requests_from(&rows, &directory, Timestamp(20 * DAY));
        assert!(after.iter().all(|r| r.customer == d("销售部")));
        assert!(
            !after[0].from_management && after[1].from_management,
            "王五 manages 张三"
        );
        let profiles = classify(
            &after,
            Timestamp(0),
            Timestamp(28 * DAY),
            &weights(),
            &BTreeMap::new(),
        );
        assert_eq!(profiles.len(), 1);
        assert_eq!(profiles[0].requests, 2);

        let people = person_profiles(&rows, &directory, Timestamp(0), Timestamp(28 * DAY));
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].providers[&d("信息技术部")], 1);
    }

    #[test]
    fn a_manual_segment_needs_a_reason_and_shows_beside_the_computed_one() {
        assert_eq!(
            Override::new(Segment::Key, "  ", "Root", Timestamp(0)),
            Err(OverrideError::NoReason)
        );
        let manual =
            Override::new(Segment::Key, "年度审计期间的关键客户", "Root", Timestamp(0)).unwrap();
        let overrides = BTreeMap::from([(d("finance"), manual)]);
        let profiles = classify(
            &month(),
            Timestamp(0),
            Timestamp(28 * DAY),
            &weights(),
            &overrides,
        );
        let finance = profiles
            .iter()
            .find(|p| p.customer == d("finance"))
            .unwrap();
        assert_eq!(
            (finance.computed, finance.segment()),
            (Segment::Occasional, Segment::Key)
        );
        assert_eq!(
            finance.manual.as_ref().unwrap().reason,
            "年度审计期间的关键客户"
        );
    }
}

//! Rules: *when* something happens to a ticket, *if* it matches, *then* act.
//!
//! [`due_firings`] lists what should fire now for one ticket, skipping every firing the ticket
//! already records. A firing's key is the rule and its triggering event ("created", an update's
//! own identity, an SLA warning, a moment plus a delay), so two devices that see the same trigger
//! offline compute the same key and their two records merge into one.
//!
//! Rules compose: an action that changes the ticket is itself an update other rules may react to.
//! [`check_rules`] refuses a rule set where that could go round for ever.

use super::{Automation, Known};
use crate::domain::classification::Segment;
use crate::domain::{DocumentId, EventKind, Priority, Status, Ticket, TicketEvent, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// When a rule is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "on")]
pub enum Trigger {
    Created,
    /// Any change recorded in the ticket's history: status, priority, queue, assignee, a reply.
    Updated,
    /// An SLA clock reached one of its warnings.
    SlaWarning,
    /// This many minutes after a moment in the ticket's life.
    After {
        moment: Moment,
        minutes: u32,
    },
}

/// A moment a delayed rule counts from (the latest one, should it recur).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    Created,
    WaitingOnRequester,
    Resolved,
}

impl Moment {
    pub const ALL: [Moment; 3] = [
        Moment::Created,
        Moment::WaitingOnRequester,
        Moment::Resolved,
    ];

    fn status(self) -> Option<Status> {
        match self {
            Moment::Created => None,
            Moment::WaitingOnRequester => Some(Status::WaitingOnRequester),
            Moment::Resolved => Some(Status::Resolved),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Moment::Created => "created",
            Moment::WaitingOnRequester => "waiting_on_requester",
            Moment::Resolved => "resolved",
        }
    }
}

/// How an answer on the request form is tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "test", content = "value")]
pub enum Test {
    /// The same text, ignoring case and surrounding space.
    Equals(String),
    Contains(String),
    /// A number below this (an amount "under the threshold").
    Below(f64),
    AtLeast(f64),
}

/// One thing a ticket must match; all of a rule's conditions must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "if")]
pub enum Condition {
    Service {
        id: String,
    },
    Priority {
        is: Priority,
    },
    /// The serving department (its queue).
    Queue {
        department: String,
    },
    /// The requester's department.
    CustomerDepartment {
        department: String,
    },
    Segment {
        is: Segment,
    },
    Status {
        is: Status,
    },
    /// An answer on the service's request form.
    Field {
        key: String,
        test: Test,
    },
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "do", content = "value")]
pub enum Action {
    /// Hand the ticket to a department's queue.
    SetQueue(String),
    /// Assign to one person (by email).
    AssignAgent(String),
    /// Assign within the serving team, by the team's mode (round-robin or load-balanced).
    AssignTeam,
    SetPriority(Priority),
    SetStatus(Status),
    /// Set an answer on the request form.
    SetField {
        key: String,
        value: String,
    },
    /// Add someone (by email) who follows the ticket.
    AddWatcher(String),
    /// Approve every pending step of the ticket's approval ("below a threshold" is a condition).
    AutoApprove,
    /// Ask for an approval chain, by id.
    RequestApproval(String),
    /// Reply publicly with a link to a knowledge-base article.
    ReplyArticle {
        id: DocumentId,
        title: String,
    },
    /// Reply with a canned reply, by id.
    ReplyTemplate(String),
    /// Tell someone (by email): it appears among what needs their attention.
    Notify(String),
}

impl Action {
    /// What the action writes that shows up in the ticket's history (and so is an update).
    fn writes(&self) -> Write {
        match self {
            Action::SetQueue(d) => Write::Set(Target::Queue, d.clone()),
            Action::AssignAgent(e) => Write::Set(Target::Agent, e.clone()),
            Action::SetPriority(p) => Write::Set(Target::Priority, p.as_str().into()),
            Action::SetStatus(s) => Write::Set(Target::Status, s.as_str().into()),
            // A different person, a new reply each time: never the same twice.
            Action::AssignTeam | Action::ReplyArticle { .. } | Action::ReplyTemplate(_) => {
                Write::Fresh
            }
            Action::SetField { .. }
            | Action::AddWatcher(_)
            | Action::AutoApprove
            | Action::RequestApproval(_)
            | Action::Notify(_) => Write::Quiet,
        }
    }

    /// Only a device that sees the team's work can share it out fairly.
    fn needs_staff(&self) -> bool {
        matches!(self, Action::AssignTeam)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Queue,
    Agent,
    Priority,
    Status,
}

enum Write {
    /// Sets a value: firing twice changes nothing the second time.
    Set(Target, String),
    /// Changes the ticket anew every time it fires.
    Fresh,
    /// Changes nothing in the ticket's history.
    Quiet,
}

/// A rule, as an admin saved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    /// Only events from this moment on trigger it (when it was saved or last switched on), so a
    /// new rule does not act on years of history.
    pub since: Timestamp,
}

fn yes() -> bool {
    true
}

/// What a rule's check found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("a rule needs a name")]
    NameMissing,
    #[error("rule {0:?} does nothing: add an action")]
    NoActions(String),
    #[error("rule {0:?} waits no time: give a delay in minutes")]
    NoDelay(String),
    #[error("rule {rule:?} names {email}, who is not in the directory")]
    UnknownPerson { rule: String, email: String },
    #[error("rule {rule:?} names the department {department}, which does not exist")]
    UnknownDepartment { rule: String, department: String },
    #[error("rule {rule:?} names the service {service}, which is not in the catalog")]
    UnknownService { rule: String, service: String },
    #[error("rule {rule:?} asks for an approval chain that does not exist")]
    UnknownChain { rule: String },
    #[error("rule {rule:?} replies with a canned reply that does not exist")]
    UnknownMacro { rule: String },
    /// `rules` retrigger each other (or one retriggers itself) and never settle.
    #[error("rules {} would trigger each other for ever: {why}", rules.join(" → "))]
    Loop { rules: Vec<String>, why: LoopCause },
}

/// Why a cycle of rules never settles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoopCause {
    /// The rule's action changes the ticket anew each time (a reply, a turn in the rota).
    #[error("{0:?} changes the ticket every time it runs, which is an update that runs it again")]
    Repeats(String),
    /// Two rules set the same thing to different values, undoing each other.
    #[error("{0:?} and {1:?} set the same field to different values")]
    Conflict(String, String),
}

/// Checks a whole rule set: every rule on its own, then the loops between them.
pub fn check_rules(
    rules: &[&Rule],
    known: &Known,
    automation: &Automation,
) -> Result<(), Vec<RuleProblem>> {
    let mut problems = Vec::new();
    for rule in rules {
        check_one(rule, known, automation, &mut problems);
    }
    problems.extend(loops(rules));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_one(rule: &Rule, known: &Known, automation: &Automation, out: &mut Vec<RuleProblem>) {
    let name = rule.name.trim().to_string();
    if name.is_empty() {
        out.push(RuleProblem::NameMissing);
    }
    if rule.actions.is_empty() {
        out.push(RuleProblem::NoActions(name.clone()));
    }
    if matches!(rule.trigger, Trigger::After { minutes: 0, .. }) {
        out.push(RuleProblem::NoDelay(name.clone()));
    }
    let department = |d: &String, out: &mut Vec<RuleProblem>| {
        if !known.departments.contains(d) {
            out.push(RuleProblem::UnknownDepartment {
                rule: name.clone(),
                department: d.clone(),
            });
        }
    };
    for condition in &rule.conditions {
        match condition {
            Condition::Queue { department: d }
            | Condition::CustomerDepartment { department: d } => department(d, out),
            Condition::Service { id } if !known.services.contains(id) => {
                out.push(RuleProblem::UnknownService {
                    rule: name.clone(),
                    service: id.clone(),
                })
            }
            _ => {}
        }
    }
    for action in &rule.actions {
        match action {
            Action::SetQueue(d) => department(d, out),
            Action::AssignAgent(email) | Action::AddWatcher(email) | Action::Notify(email)
                if !known.people.contains(email) =>
            {
                out.push(RuleProblem::UnknownPerson {
                    rule: name.clone(),
                    email: email.clone(),
                })
            }
            Action::RequestApproval(chain) if !automation.chains.contains_key(chain) => {
                out.push(RuleProblem::UnknownChain { rule: name.clone() })
            }
            Action::ReplyTemplate(id) if !automation.macros.contains_key(id) => {
                out.push(RuleProblem::UnknownMacro { rule: name.clone() })
            }
            _ => {}
        }
    }
}

/// The cycles of "this rule's action is an update that triggers that rule" which never settle.
fn loops(rules: &[&Rule]) -> Vec<RuleProblem> {
    let retriggers = |a: &Rule, b: &Rule| {
        b.enabled
            && b.trigger == Trigger::Updated
            && a.actions
                .iter()
                .any(|x| !matches!(x.writes(), Write::Quiet))
            && !falsifies(a, b)
    };
    let live: Vec<&Rule> = rules.iter().copied().filter(|r| r.enabled).collect();
    let edges: Vec<Vec<usize>> = live
        .iter()
        .map(|a| {
            (0..live.len())
                .filter(|&j| retriggers(a, live[j]))
                .collect()
        })
        .collect();
    let mut problems = Vec::new();
    for component in cycles(&edges) {
        let members: Vec<&Rule> = component.iter().map(|&i| live[i]).collect();
        if let Some(why) = never_settles(&members) {
            problems.push(RuleProblem::Loop {
                rules: members.iter().map(|r| r.name.clone()).collect(),
                why,
            });
        }
    }
    problems
}

/// True when what `a` sets makes one of `b`'s conditions false, so `a` firing never triggers `b`.
fn falsifies(a: &Rule, b: &Rule) -> bool {
    a.actions.iter().any(|action| {
        b.conditions.iter().any(|c| match (action, c) {
            (Action::SetPriority(p), Condition::Priority { is }) => p != is,
            (Action::SetStatus(s), Condition::Status { is }) => s != is,
            (Action::SetQueue(d), Condition::Queue { department }) => d != department,
            _ => false,
        })
    })
}

/// A cycle settles when every rule on it only sets values, and no two set one thing differently.
fn never_settles(members: &[&Rule]) -> Option<LoopCause> {
    let mut set: BTreeMap<Target, (&str, String)> = BTreeMap::new();
    for rule in members {
        for action in &rule.actions {
            match action.writes() {
                Write::Fresh => return Some(LoopCause::Repeats(rule.name.clone())),
                Write::Set(target, value) => match set.get(&target) {
                    Some((other, v)) if *v != value => {
                        return Some(LoopCause::Conflict(other.to_string(), rule.name.clone()))
                    }
                    _ => {
                        set.insert(target, (&rule.name, value));
                    }
                },
                Write::Quiet => {}
            }
        }
    }
    None
}

/// The strongly connected groups of a graph that contain a cycle (a self-edge counts), each in
/// index order. Tarjan's algorithm; rule sets are small, recursion depth is their number.
fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct Walk<'a> {
        edges: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.edges[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(i) if self.on_stack[w] => self.low[v] = self.low[v].min(i),
                    _ => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                group.sort_unstable();
                if group.len() > 1 || self.edges[v].contains(&v) {
                    self.found.push(group);
                }
            }
        }
    }
    let n = edges.len();
    let mut walk = Walk {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if walk.index[v].is_none() {
            walk.visit(v);
        }
    }
    walk.found.sort();
    walk.found
}

/// What evaluation needs besides the ticket: nothing here reads a clock or the network.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub segment: Option<Segment>,
    /// SLA warnings reached so far: when, and a stable name (clock and threshold).
    pub warnings: &'a [(Timestamp, String)],
    /// The keys of the firings the ticket already records.
    pub fired: &'a BTreeSet<String>,
    /// Whether this device sees the serving team's work (only then it shares work out).
    pub staff: bool,
    pub now: Timestamp,
}

/// A rule that should act now on a ticket, because of one triggering event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub rule: String,
    pub name: String,
    /// Rule id and triggering event: the same on every device that sees the same trigger.
    pub key: String,
    /// When the triggering event happened.
    pub at: Timestamp,
    pub actions: Vec<Action>,
}

/// The firings due on `ticket` now, in rule order, none already recorded.
pub fn due_firings(rules: &[&Rule], ticket: &Ticket, context: &Context) -> Vec<Firing> {
    let mut due = Vec::new();
    for rule in rules.iter().filter(|r| r.enabled) {
        if !context.staff && rule.actions.iter().any(Action::needs_staff) {
            continue; // left for a device of the serving team, which records it once
        }
        if !rule.conditions.iter().all(|c| holds(c, ticket, context)) {
            continue;
        }
        for (at, event) in occurrences(rule.trigger, ticket, context) {
            let key = format!("{}|{event}", rule.id);
            if at >= rule.since && !context.fired.contains(&key) {
                due.push(Firing {
                    rule: rule.id.clone(),
                    name: rule.name.clone(),
                    key,
                    at,
                    actions: rule.actions.clone(),
                });
            }
        }
    }
    due
}

/// Each event of a ticket a trigger reacts to, with its stable identity.
fn occurrences(trigger: Trigger, ticket: &Ticket, context: &Context) -> Vec<(Timestamp, String)> {
    match trigger {
        Trigger::Created => vec![(ticket.created_at, "created".into())],
        Trigger::Updated => ticket
            .events
            .iter()
            .filter(|e| e.kind != EventKind::Created)
            .map(|e| (e.at, event_identity(e)))
            .collect(),
        Trigger::SlaWarning => context
            .warnings
            .iter()
            .map(|(at, name)| (*at, format!("sla:{name}")))
            .collect(),
        Trigger::After { moment, minutes } => {
            let since = match moment.status() {
                None => Some(ticket.created_at),
                Some(status) if ticket.status == status => {
                    ticket.events.iter().rev().find_map(|e| match e.kind {
                        EventKind::StatusChanged { to, .. } if to == status => Some(e.at),
                        _ => None,
                    })
                }
                Some(_) => None, // the ticket has moved on since
            };
            since
                .map(|at| (at, Timestamp(at.0 + i64::from(minutes) * 60_000)))
                .filter(|(_, due)| *due <= context.now)
                .map(|(at, due)| (due, format!("after:{}:{}:{minutes}", moment.as_str(), at.0)))
                .into_iter()
                .collect()
        }
    }
}

/// An event's identity, the same on every device: when, what kind, and a hash of who.
pub fn event_identity(e: &TicketEvent) -> String {
    let tag = match &e.kind {
        EventKind::Created => "created",
        EventKind::StatusChanged { .. } => "status",
        EventKind::Commented { .. } => "comment",
        EventKind::PriorityChanged { .. } => "priority",
        EventKind::Reassigned { .. } => "queue",
        EventKind::CategoryChanged { .. } => "category",
        EventKind::Assigned { .. } => "assigned",
    };
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let hash = e.by.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("u:{}:{tag}:{hash:016x}", e.at.0)
}

fn holds(condition: &Condition, ticket: &Ticket, context: &Context) -> bool {
    match condition {
        Condition::Service { id } => ticket.service == *id,
        Condition::Priority { is } => ticket.priority == *is,
        Condition::Queue { department } => ticket.department == *department,
        Condition::CustomerDepartment { department } => ticket.customer_department == *department,
        Condition::Segment { is } => context.segment == Some(*is),
        Condition::Status { is } => ticket.status == *is,
        Condition::Field { key, test } => {
            answer(&ticket.answers, key).is_some_and(|answer| passes(test, answer))
        }
    }
}

fn passes(test: &Test, answer: &str) -> bool {
    let answer = answer.trim();
    match test {
        Test::Equals(v) => answer.to_lowercase() == v.trim().to_lowercase(),
        Test::Contains(v) => answer.to_lowercase().contains(&v.trim().to_lowercase()),
        Test::Below(n) => number(answer).is_some_and(|a| a < *n),
        Test::AtLeast(n) => number(answer).is_some_and(|a| a >= *n),
    }
}

/// The answer to a question named by its key, or by a name differing only in case.
pub fn answer<'a>(answers: &'a BTreeMap<String, String>, field: &str) -> Option<&'a String> {
    let field = field.trim();
    answers.get(field).or_else(|| {
        answers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(field))
            .map(|(_, value)| value)
    })
}

/// A number as people type amounts: "1,250.50", "¥ 800", "800元".
pub fn number(text: &str) -> Option<f64> {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
        .collect();
    digits.parse().ok().filter(|n: &f64| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automation::{Chain, Macro};
    use crate::domain::{TicketEvent, Visibility};

    fn ticket() -> Ticket {
        Ticket {
            id: DocumentId::from_bytes([7; 16]),
            title: "差旅报销".into(),
            description: String::new(),
            requester: "王芳".into(),
            requester_email: "wang@x.cn".into(),
            customer_department: "市场部".into(),
            department: "财务部".into(),
            service: "reimbursement".into(),
            answers: BTreeMap::from([("amount".into(), "¥800".into())]),
            category: String::new(),
            priority: Priority::Normal,
            status: Status::New,
            created_at: Timestamp(1_000),
            created_by: "王芳".into(),
            filed_by: String::new(),
            comments: vec![],
            events: vec![TicketEvent {
                at: Timestamp(1_000),
                by: "王芳".into(),
                kind: EventKind::Created,
            }],
            feedback: Default::default(),
            follow_up_of: None,
            self_help: Default::default(),
            articles: vec![],
            assignee: String::new(),
            watchers: vec![],
            approval: None,
            seen: Default::default(),
            fired: Default::default(),
        }
    }

    fn rule(id: &str, trigger: Trigger, conditions: Vec<Condition>, actions: Vec<Action>) -> Rule {
        Rule {
            id: id.into(),
            name: id.into(),
            enabled: true,
            trigger,
            conditions,
            actions,
            since: Timestamp(0),
        }
    }

    fn small_claims() -> Rule {
        rule(
            "small",
            Trigger::Created,
            vec![
                Condition::Service {
                    id: "reimbursement".into(),
                },
                Condition::Field {
                    key: "amount".into(),
                    test: Test::Below(1000.0),
                },
            ],
            vec![Action::AutoApprove],
        )
    }

    fn due(rules: &[Rule], ticket: &Ticket, fired: &BTreeSet<String>, now: i64) -> Vec<String> {
        let rules: Vec<&Rule> = rules.iter().collect();
        let context = Context {
            segment: None,
            warnings: &[(Timestamp(5_000), "resolution:75%".into())],
            fired,
            staff: false,
            now: Timestamp(now),
        };
        due_firings(&rules, ticket, &context)
            .into_iter()
            .map(|f| f.key)
            .collect()
    }

    #[test]
    fn a_rule_fires_once_per_trigger_when_its_conditions_hold() {
        let none = BTreeSet::new();
        assert_eq!(
            due(&[small_claims()], &ticket(), &none, 2_000),
            ["small|created"]
        );
        let fired = BTreeSet::from(["small|created".to_string()]);
        assert!(
            due(&[small_claims()], &ticket(), &fired, 2_000).is_empty(),
            "recorded: never again"
        );
        let mut large = ticket();
        large.answers.insert("amount".into(), "3,000".into());
        assert!(due(&[small_claims()], &large, &none, 2_000).is_empty());
        let mut unreadable = ticket();
        unreadable
            .answers
            .insert("amount".into(), "about a thousand".into());
        assert!(due(&[small_claims()], &unreadable, &none, 2_000).is_empty());
        let later = Rule {
            since: Timestamp(1_500),
            ..small_claims()
        };
        assert!(
            due(&[later], &ticket(), &none, 2_000).is_empty(),
            "older than the rule"
        );
        let off = Rule {
            enabled: false,
            ..small_claims()
        };
        assert!(due(&[off], &ticket(), &none, 2_000).is_empty());
    }

    #[test]
    fn conditions_match_service_priority_queue_customer_status_and_fields() {
        let t = ticket();
        let context = Context {
            segment: Some(Segment::Key),
            warnings: &[],
            fired: &BTreeSet::new(),
            staff: true,
            now: Timestamp(0),
        };
        let table = [
            (
                Condition::Priority {
                    is: Priority::Normal,
                },
                true,
            ),
            (Condition::Priority { is: Priority::High }, false),
            (
                Condition::Queue {
                    department: "财务部".into(),
                },
                true,
            ),
            (
                Condition::CustomerDepartment {
                    department: "市场部".into(),
                },
                true,
            ),
            (Condition::Segment { is: Segment::Key }, true),
            (
                Condition::Segment {
                    is: Segment::Occasional,
                },
                false,
            ),
            (Condition::Status { is: Status::New }, true),
            (
                Condition::Field {
                    key: "amount".into(),
                    test: Test::AtLeast(800.0),
                },
                true,
            ),
            (
                Condition::Field {
                    key: "amount".into(),
                    test: Test::Contains("80".into()),
                },
                true,
            ),
            (
                Condition::Field {
                    key: "amount".into(),
                    test: Test::Equals(" ¥800 ".into()),
                },
                true,
            ),
            (
                Condition::Field {
                    key: "missing".into(),
                    test: Test::Below(1.0),
                },
                false,
            ),
        ];
        for (condition, expected) in table {
            assert_eq!(holds(&condition, &t, &context), expected, "{condition:?}");
        }
    }

    #[test]
    fn updates_warnings_and_delays_each_have_their_own_key() {
        let mut t = ticket();
        t.events.push(TicketEvent {
            at: Timestamp(3_000),
            by: "李雷".into(),
            kind: EventKind::StatusChanged {
                from: Status::New,
                to: Status::Resolved,
            },
        });
        t.status = Status::Resolved;
        let updated = rule(
            "u",
            Trigger::Updated,
            vec![],
            vec![Action::Notify("a@x.cn".into())],
        );
        let keys = due(&[updated], &t, &BTreeSet::new(), 9_000);
        assert_eq!(keys.len(), 1);
        assert!(keys[0].starts_with("u|u:3000:status:"));
        let warned = rule(
            "w",
            Trigger::SlaWarning,
            vec![],
            vec![Action::SetPriority(Priority::High)],
        );
        assert_eq!(
            due(&[warned], &t, &BTreeSet::new(), 9_000),
            ["w|sla:resolution:75%"]
        );
        let close = rule(
            "close",
            Trigger::After {
                moment: Moment::Resolved,
                minutes: 1,
            },
            vec![],
            vec![Action::SetStatus(Status::Closed)],
        );
        assert!(due(std::slice::from_ref(&close), &t, &BTreeSet::new(), 62_999).is_empty());
        assert_eq!(
            due(std::slice::from_ref(&close), &t, &BTreeSet::new(), 63_000),
            ["close|after:resolved:3000:1"]
        );
        t.status = Status::InProgress;
        assert!(
            due(&[close], &t, &BTreeSet::new(), 99_000).is_empty(),
            "reopened since"
        );
    }

    #[test]
    fn team_assignment_is_left_to_a_device_of_the_team() {
        let assign = rule("rr", Trigger::Created, vec![], vec![Action::AssignTeam]);
        assert!(due(
            std::slice::from_ref(&assign),
            &ticket(),
            &BTreeSet::new(),
            2_000
        )
        .is_empty());
        let rules = [&assign];
        let context = Context {
            segment: None,
            warnings: &[],
            fired: &BTreeSet::new(),
            staff: true,
            now: Timestamp(2_000),
        };
        assert_eq!(due_firings(&rules, &ticket(), &context).len(), 1);
    }

    fn known() -> Known {
        Known {
            people: ["qian@x.cn".to_string()].into(),
            departments: ["财务部".to_string(), "IT".to_string()].into(),
            services: ["reimbursement".to_string()].into(),
        }
    }

    fn check(rules: &[Rule]) -> Result<(), Vec<RuleProblem>> {
        let automation = Automation {
            chains: BTreeMap::from([(
                "expenses".to_string(),
                Chain {
                    id: "expenses".into(),
                    name: "Expenses".into(),
                    steps: vec![],
                    pause_sla: false,
                },
            )]),
            macros: BTreeMap::from([(
                "thanks".to_string(),
                Macro {
                    id: "thanks".into(),
                    name: "Thanks".into(),
                    body: "Thanks {{requester}}".into(),
                    visibility: Visibility::Public,
                    set_status: None,
                },
            )]),
            ..Automation::default()
        };
        let rules: Vec<&Rule> = rules.iter().collect();
        check_rules(&rules, &known(), &automation)
    }

    #[test]
    fn a_rule_whose_reply_retriggers_it_is_refused() {
        let chatty = rule(
            "chatty",
            Trigger::Updated,
            vec![],
            vec![Action::ReplyTemplate("thanks".into())],
        );
        assert_eq!(
            check(&[chatty]),
            Err(vec![RuleProblem::Loop {
                rules: vec!["chatty".into()],
                why: LoopCause::Repeats("chatty".into())
            }])
        );
        let on_create = rule(
            "greet",
            Trigger::Created,
            vec![],
            vec![Action::ReplyTemplate("thanks".into())],
        );
        assert_eq!(check(&[on_create]), Ok(()), "created happens once");
    }

    #[test]
    fn rules_that_undo_each_other_are_refused_and_rules_that_settle_are_not() {
        let up = rule(
            "up",
            Trigger::Updated,
            vec![Condition::Queue {
                department: "IT".into(),
            }],
            vec![Action::SetPriority(Priority::High)],
        );
        let down = rule(
            "down",
            Trigger::Updated,
            vec![],
            vec![Action::SetPriority(Priority::Low)],
        );
        let Err(problems) = check(&[up.clone(), down.clone()]) else {
            panic!("a ping-pong must be refused");
        };
        assert!(
            matches!(&problems[..], [RuleProblem::Loop { why: LoopCause::Conflict(..), rules }] if rules.len() == 2)
        );
        // Setting a value again changes nothing: a rule may react to its own update.
        assert_eq!(check(std::slice::from_ref(&up)), Ok(()));
        // Once `down` only acts on urgent tickets, `up` (which sets High) never triggers it.
        let guarded = Rule {
            conditions: vec![Condition::Priority {
                is: Priority::Urgent,
            }],
            ..down
        };
        assert_eq!(check(&[up, guarded]), Ok(()));
    }

    #[test]
    fn missing_people_departments_chains_and_replies_are_named() {
        let bad = rule(
            "bad",
            Trigger::Created,
            vec![Condition::Queue {
                department: "Nowhere".into(),
            }],
            vec![
                Action::AssignAgent("ghost@x.cn".into()),
                Action::RequestApproval("gone".into()),
                Action::ReplyTemplate("gone".into()),
            ],
        );
        assert_eq!(
            check(&[bad]),
            Err(vec![
                RuleProblem::UnknownDepartment {
                    rule: "bad".into(),
                    department: "Nowhere".into()
                },
                RuleProblem::UnknownPerson {
                    rule: "bad".into(),
                    email: "ghost@x.cn".into()
                },
                RuleProblem::UnknownChain { rule: "bad".into() },
                RuleProblem::UnknownMacro { rule: "bad".into() },
            ])
        );
        let empty = Rule {
            name: " ".into(),
            actions: vec![],
            trigger: Trigger::After {
                moment: Moment::Created,
                minutes: 0,
            },
            ..small_claims()
        };
        assert_eq!(
            check(&[empty]),
            Err(vec![
                RuleProblem::NameMissing,
                RuleProblem::NoActions(String::new()),
                RuleProblem::NoDelay(String::new())
            ])
        );
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(number("1,250.50"), Some(1250.5));
        assert_eq!(number("¥ 800"), Some(800.0));
        assert_eq!(number("800元"), Some(800.0));
        assert_eq!(number("n/a"), None);
        let answers = BTreeMap::from([("Amount".to_string(), "800".to_string())]);
        assert_eq!(answer(&answers, " amount "), Some(&"800".to_string()));
        assert_eq!(answer(&answers, "金额"), None);
    }
}

//! What each ticket contributes to the figures: its teams, times and outcomes, worked out once from
//! its list row so that every KPI, the who-serves-whom map and the bottlenecks read the same facts.

use crate::domain::catalog::{Calendars, Catalog};
use crate::domain::classification::Segment;
use crate::domain::directory::{DepartmentId, Directory};
use crate::domain::knowledge::SelfHelp;
use crate::domain::sla::WorkCalendar;
use crate::domain::sla::{measure, ClockKind, ClockReport, ClockState, SlaEvent, SlaEventKind};
use crate::domain::{DocumentId, Status, TicketSummary, Timestamp};
use std::collections::HashMap;

/// One ticket, as the measures see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub id: DocumentId,
    pub created_at: Timestamp,
    pub status: Status,
    /// The providing department (the top of the serving team's branch), the serving team, who
    /// resolved it, the catalog service, and the requesting department, all as the organisation
    /// stands today (a merged department's tickets count for the department it merged into).
    pub provider: String,
    pub team: String,
    pub agent: String,
    pub service: String,
    pub customer: String,
    /// Business time to the first response and to the (last) resolution.
    pub first_response_ms: Option<i64>,
    pub resolution_ms: Option<i64>,
    pub resolved_at: Option<Timestamp>,
    /// Whether every customer-facing SLA clock was met: `Some(false)` once any was missed or is
    /// breached, `Some(true)` once resolved with all met, `None` while undecided or with no policy.
    pub on_time: Option<bool>,
    pub reopened: bool,
    pub rating: Option<u8>,
    /// Business time spent in each status (indexed like [`Status::ALL`]), up to now.
    pub status_ms: [i64; 5],
    pub handoffs: Vec<HandoffWait>,
    /// Each moment the ticket left (`false`) or re-entered (`true`) the open statuses.
    pub openings: Vec<(Timestamp, bool)>,
    /// Whether a business calendar counted its times (otherwise calendar time).
    pub business_time: bool,
    /// Articles suggested while it was typed, and whether one solved it (a self-service record,
    /// which counts for deflection only: nobody worked on it).
    pub self_help: SelfHelp,
}

/// How long a team took to act on a ticket handed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffWait {
    pub from: String,
    pub to: String,
    pub at: Timestamp,
    pub waited_ms: i64,
    /// False while the receiving team has not acted yet.
    pub acted: bool,
}

impl TicketFacts {
    /// Whether the ticket was open at `at` (filed by then and not resolved or closed).
    pub fn open_at(&self, at: Timestamp) -> bool {
        self.created_at <= at
            && self
                .openings
                .iter()
                .take_while(|(when, _)| *when <= at)
                .last()
                .is_none_or(|(_, open)| *open)
    }
}

/// What the facts are measured against.
pub struct Measuring<'a> {
    pub catalog: &'a Catalog,
    pub calendars: &'a Calendars,
    pub directory: &'a Directory,
    /// A customer department's segment (a policy may promise more to key customers).
    pub segment_of: &'a dyn Fn(&str) -> Option<Segment>,
    pub now: Timestamp,
}

/// The facts of every row.
pub fn facts_of<'r>(
    rows: impl IntoIterator<Item = &'r TicketSummary>,
    measuring: &Measuring,
) -> Vec<TicketFacts> {
    let mut org = OrgMap::new(measuring.directory, measuring.now);
    rows.into_iter()
        .map(|row| ticket_facts(row, measuring, &mut org))
        .collect()
}

fn ticket_facts(row: &TicketSummary, m: &Measuring, org: &mut OrgMap) -> TicketFacts {
    let (team, provider) = org.team_and_provider(&row.department);
    let ruled = m
        .catalog
        .policy_for(&row.service)
        .and_then(|policy| Some((policy, m.calendars.0.get(&policy.calendar)?)));
    let calendar = ruled.map(|(_, c)| c);
    let mut events: Vec<&SlaEvent> = row.sla.iter().filter(|e| e.at <= m.now).collect();
    events.sort();
    let walk = walk(row, &events, calendar, m.now);
    let mut facts = TicketFacts {
        id: row.id,
        created_at: row.created_at,
        status: row.status,
        provider,
        team,
        agent: row.resolved_by.clone(),
        service: row.service.clone(),
        customer: org.customer(&row.customer_department),
        first_response_ms: walk.first_response_ms,
        resolution_ms: (!row.status.is_open()).then(|| walk.status_ms[..3].iter().sum::<i64>()),
        resolved_at: (!row.status.is_open())
            .then(|| walk.openings.last().map(|(at, _)| *at))
            .flatten(),
        on_time: None,
        reopened: walk.reopened,
        rating: row.feedback.rating.as_ref().map(|r| r.score),
        status_ms: walk.status_ms,
        handoffs: walk.handoffs,
        openings: walk.openings,
        business_time: calendar.is_some(),
        self_help: row.self_help,
    };
    if let Some((policy, calendar)) = ruled {
        let segment = (m.segment_of)(&row.customer_department);
        let clocks = measure(&row.sla, policy, segment, calendar, m.now);
        apply_clocks(&mut facts, &clocks);
    }
    facts
}

/// The SLA clocks, where a policy applies, decide the response and resolution times (with the
/// time credited back for pauses) and whether the promise was kept.
fn apply_clocks(facts: &mut TicketFacts, clocks: &[ClockReport]) {
    let stopped = |c: &&ClockReport| matches!(c.state, ClockState::Met | ClockState::Missed);
    let elapsed = |kind: ClockKind| {
        clocks
            .iter()
            .filter(|c| c.kind == kind)
            .filter(stopped)
            .map(|c| c.elapsed_ms)
            .next_back()
    };
    facts.first_response_ms = elapsed(ClockKind::FirstResponse);
    if facts.resolution_ms.is_some() {
        facts.resolution_ms = elapsed(ClockKind::Resolution);
    }
    let promises = clocks
        .iter()
        .filter(|c| !matches!(c.kind, ClockKind::Handoff(_)));
    let mut resolved_in_time = false;
    for clock in promises {
        match (clock.state, &clock.kind) {
            (ClockState::Missed | ClockState::Breached, _) => {
                facts.on_time = Some(false);
                return;
            }
            (ClockState::Met, ClockKind::Resolution) => resolved_in_time = true,
            _ => {}
        }
    }
    facts.on_time = resolved_in_time.then_some(true);
}

/// What one pass over a ticket's events finds.
struct Walk {
    first_response_ms: Option<i64>,
    status_ms: [i64; 5],
    reopened: bool,
    handoffs: Vec<HandoffWait>,
    openings: Vec<(Timestamp, bool)>,
}

fn walk(
    row: &TicketSummary,
    events: &[&SlaEvent],
    calendar: Option<&WorkCalendar>,
    now: Timestamp,
) -> Walk {
    let span = |from: Timestamp, to: Timestamp| match calendar {
        Some(c) => c.business_ms(from, to),
        None => (to.0 - from.0).max(0),
    };
    let mut out = Walk {
        first_response_ms: None,
        status_ms: [0; 5],
        reopened: false,
        handoffs: Vec::new(),
        openings: Vec::new(),
    };
    let (mut status, mut since) = (Status::New, row.created_at);
    let mut pending: Option<HandoffWait> = None;
    for event in events {
        let staff_acted = match &event.kind {
            SlaEventKind::StatusChanged { from, to } => {
                out.status_ms[index(status)] += span(since, event.at);
                (status, since) = (*to, event.at);
                if from.is_open() != to.is_open() {
                    out.openings.push((event.at, to.is_open()));
                    out.reopened |= to.is_open();
                }
                if out.first_response_ms.is_none()
                    && matches!(
                        to,
                        Status::WaitingOnRequester | Status::Resolved | Status::Closed
                    )
                {
                    out.first_response_ms = Some(span(row.created_at, event.at));
                }
                true
            }
            SlaEventKind::Reply {
                by_requester: false,
            } => {
                if out.first_response_ms.is_none() {
                    out.first_response_ms = Some(span(row.created_at, event.at));
                }
                true
            }
            SlaEventKind::Note | SlaEventKind::HandedOff { .. } => true,
            _ => false,
        };
        if staff_acted {
            if let Some(mut wait) = pending.take() {
                wait.waited_ms = span(wait.at, event.at);
                wait.acted = true;
                out.handoffs.push(wait);
            }
        }
        if let SlaEventKind::HandedOff { from, to } = &event.kind {
            pending = Some(HandoffWait {
                from: from.clone(),
                to: to.clone(),
                at: event.at,
                waited_ms: 0,
                acted: false,
            });
        }
    }
    if status.is_open() {
        out.status_ms[index(status)] += span(since, now);
    }
    if let Some(mut wait) = pending {
        wait.waited_ms = span(wait.at, now);
        out.handoffs.push(wait);
    }
    out
}

fn index(status: Status) -> usize {
    Status::ALL.iter().position(|s| *s == status).unwrap_or(0)
}

/// Departments as the organisation stands now: merges followed, teams placed under their
/// providing department.
struct OrgMap<'a> {
    directory: &'a Directory,
    now: Timestamp,
    /// The department that is the whole organisation, when the tree has one root above the rest.
    organisation: Option<DepartmentId>,
    known: HashMap<String, (String, String)>,
    customers: HashMap<String, String>,
}

impl<'a> OrgMap<'a> {
    fn new(directory: &'a Directory, now: Timestamp) -> Self {
        let mut roots = directory
            .departments
            .values()
            .filter(|d| d.parent.is_none());
        let organisation = match (roots.next(), roots.next()) {
            (Some(root), None) if directory.departments.len() > 1 => Some(root.id.clone()),
            _ => None,
        };
        Self {
            directory,
            now,
            organisation,
            known: HashMap::new(),
            customers: HashMap::new(),
        }
    }

    fn current(&self, department: &str) -> String {
        if department.is_empty() {
            return String::new();
        }
        self.directory
            .department_at(&DepartmentId(department.into()), self.now)
            .0
    }

    /// A requesting department as it stands now.
    fn customer(&mut self, department: &str) -> String {
        if let Some(known) = self.customers.get(department) {
            return known.clone();
        }
        let current = self.current(department);
        self.customers
            .insert(department.to_string(), current.clone());
        current
    }

    /// The serving team and its providing department.
    fn team_and_provider(&mut self, queue: &str) -> (String, String) {
        if let Some(known) = self.known.get(queue) {
            return known.clone();
        }
        let team = self.current(queue);
        let provider = self.top_of(&team);
        let found = (team, provider);
        self.known.insert(queue.to_string(), found.clone());
        found
    }

    fn top_of(&self, team: &str) -> String {
        let mut at = DepartmentId(team.into());
        // A tree has fewer levels than departments; more steps would mean a cycle.
        for _ in 0..self.directory.departments.len() {
            match self
                .directory
                .departments
                .get(&at)
                .and_then(|d| d.parent.clone())
            {
                Some(parent) if Some(&parent) != self.organisation.as_ref() => at = parent,
                _ => break,
            }
        }
        at.0
    }
}

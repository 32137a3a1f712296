//! The SLA engine: one pure function from a ticket's events, a policy and a calendar to the state
//! of every clock, its due time, the business time it has used, and each step that explains it
//! (started, paused and why, resumed, warned, breached, escalated, met).
//!
//! Events are sorted by time (and, for equal times, by content) before anything is counted, so the
//! order in which they arrived (late, from an offline device) never changes the result.

use super::calendar::{minutes, WorkCalendar};
use super::policy::{EscalationAction, Policy};
use crate::domain::classification::Segment;
use crate::domain::{EventKind, Priority, Status, Ticket, Timestamp, Visibility};

/// An SLA-relevant fact about a ticket (kept in list rows, so lists can show due times).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SlaEvent {
    pub at: Timestamp,
    pub kind: SlaEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaEventKind {
    Created(Priority),
    StatusChanged {
        from: Status,
        to: Status,
    },
    PriorityChanged(Priority),
    /// A public reply, from the requester or from the serving side.
    Reply {
        by_requester: bool,
    },
    /// An internal note: the serving team acted.
    Note,
    /// Handed from one team's queue to another's.
    HandedOff {
        /// Empty in rows written before hand-offs named their origin.
        #[serde(default)]
        from: String,
        to: String,
    },
    /// The ticket started (`true`) or stopped (`false`) waiting for an approval whose chain
    /// pauses the clocks.
    Approval {
        waiting: bool,
    },
}

/// The SLA events of a ticket. Replies count as the requester's when written under their name.
pub fn events_of(ticket: &Ticket) -> Vec<SlaEvent> {
    let first_priority = ticket
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::PriorityChanged { from, .. } => Some(*from),
            _ => None,
        })
        .unwrap_or(ticket.priority);
    let mut out = vec![SlaEvent {
        at: ticket.created_at,
        kind: SlaEventKind::Created(first_priority),
    }];
    for event in &ticket.events {
        let kind = match &event.kind {
            EventKind::Created => continue,
            EventKind::StatusChanged { from, to } => SlaEventKind::StatusChanged {
                from: *from,
                to: *to,
            },
            EventKind::PriorityChanged { to, .. } => SlaEventKind::PriorityChanged(*to),
            EventKind::Reassigned { from, to } => SlaEventKind::HandedOff {
                from: from.clone(),
                to: to.clone(),
            },
            EventKind::Commented { visibility } => match visibility {
                Visibility::Public => SlaEventKind::Reply {
                    by_requester: event.by == ticket.requester,
                },
                Visibility::Internal => SlaEventKind::Note,
            },
            EventKind::CategoryChanged { .. } | EventKind::Assigned { .. } => continue,
        };
        out.push(SlaEvent { at: event.at, kind });
    }
    if let Some(approval) = ticket.approval.as_ref().filter(|a| a.pause_sla) {
        out.push(SlaEvent {
            at: approval.requested_at,
            kind: SlaEventKind::Approval { waiting: true },
        });
        if let Some(at) = approval.settled_at() {
            out.push(SlaEvent {
                at,
                kind: SlaEventKind::Approval { waiting: false },
            });
        }
        out.sort_by_key(|e| e.at); // stable: the ticket's own order stays for equal times
    }
    out
}

/// Which promise a clock measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockKind {
    FirstResponse,
    /// The response to the requester's n-th reply (counting from 1).
    NextResponse(usize),
    Resolution,
    /// The team the ticket was handed to acting on it (OLA).
    Handoff(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    Running,
    Paused,
    /// Stopped within its target.
    Met,
    /// Stopped after its target.
    Missed,
    /// Still running, past its target.
    Breached,
}

/// One moment in a clock's life, as the timeline explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: Timestamp,
    pub what: StepKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    Started,
    /// Paused because the ticket entered this status (time credited back).
    Paused(Status),
    /// Paused while the ticket waits for approval (time credited back).
    AwaitingApproval,
    /// Running again: the ticket left the pausing status, or was reopened.
    Resumed {
        reopened: bool,
    },
    /// This share of the target has passed.
    Warned(u8),
    /// The due time is this many business minutes away.
    DueSoon(u32),
    Breached,
    Escalated(EscalationAction),
    Stopped,
    /// The priority changed, and with it the target.
    Retargeted(Priority),
}

/// One clock, fully explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockReport {
    pub kind: ClockKind,
    pub target_ms: i64,
    pub elapsed_ms: i64,
    pub state: ClockState,
    /// When it is (or was) due; `None` while paused before its target.
    pub due: Option<Timestamp>,
    pub steps: Vec<Step>,
}

impl ClockReport {
    /// Business time left before the due time (negative once breached).
    pub fn remaining_ms(&self) -> i64 {
        self.target_ms - self.elapsed_ms
    }

    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            ClockState::Running | ClockState::Paused | ClockState::Breached
        )
    }
}

/// A clock's raw life, before business time is counted.
struct Run {
    kind: ClockKind,
    /// Running spans: start, and end if it ended.
    spans: Vec<(Timestamp, Option<Timestamp>)>,
    steps: Vec<Step>,
    stopped: bool,
}

impl Run {
    fn start(kind: ClockKind, at: Timestamp) -> Self {
        Self {
            kind,
            spans: vec![(at, None)],
            steps: vec![Step {
                at,
                what: StepKind::Started,
            }],
            stopped: false,
        }
    }

    fn running(&self) -> bool {
        self.spans.last().is_some_and(|(_, end)| end.is_none())
    }

    fn halt(&mut self, at: Timestamp, why: StepKind) {
        if let Some(span) = self.spans.last_mut().filter(|(_, end)| end.is_none()) {
            span.1 = Some(at.max(span.0));
            self.steps.push(Step { at, what: why });
        }
    }

    fn stop(&mut self, at: Timestamp) {
        self.halt(at, StepKind::Stopped);
        self.stopped = true;
    }

    fn resume(&mut self, at: Timestamp, reopened: bool) {
        if !self.running() {
            self.spans.push((at, None));
            self.stopped = false;
            self.steps.push(Step {
                at,
                what: StepKind::Resumed { reopened },
            });
        }
    }
}

/// Every clock of a ticket at `now`, with the steps that explain it.
pub fn evaluate(
    events: &[SlaEvent],
    policy: &Policy,
    segment: Option<Segment>,
    calendar: &WorkCalendar,
    now: Timestamp,
) -> Vec<ClockReport> {
    run_clocks(events, policy, segment, calendar, now, Explain::Steps)
}

/// Every clock's state and business time, without placing warnings and escalations in time: what
/// figures over many tickets need, at a fraction of the cost.
pub fn measure(
    events: &[SlaEvent],
    policy: &Policy,
    segment: Option<Segment>,
    calendar: &WorkCalendar,
    now: Timestamp,
) -> Vec<ClockReport> {
    run_clocks(events, policy, segment, calendar, now, Explain::Figures)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Explain {
    Steps,
    Figures,
}

fn run_clocks(
    events: &[SlaEvent],
    policy: &Policy,
    segment: Option<Segment>,
    calendar: &WorkCalendar,
    now: Timestamp,
    explain: Explain,
) -> Vec<ClockReport> {
    let mut sorted: Vec<&SlaEvent> = events.iter().filter(|e| e.at <= now).collect();
    sorted.sort();
    let (runs, priority) = replay(&sorted, policy);
    let Some(target) = policy.target(priority, segment) else {
        return Vec::new();
    };
    runs.into_iter()
        .filter_map(|run| {
            let target_minutes = match &run.kind {
                ClockKind::FirstResponse => Some(target.first_response),
                ClockKind::NextResponse(_) => target.next_response,
                ClockKind::Resolution => Some(target.resolution),
                ClockKind::Handoff(_) => policy.handoff,
            }?;
            Some(count(
                run,
                minutes(target_minutes),
                policy,
                calendar,
                now,
                explain,
            ))
        })
        .collect()
}

/// Walks the sorted events and records when each clock runs. Returns the clocks and the priority
/// in force at the end (which sets the targets).
fn replay(events: &[&SlaEvent], policy: &Policy) -> (Vec<Run>, Priority) {
    let mut runs: Vec<Run> = Vec::new();
    let mut priority = Priority::Normal;
    let mut created = false;
    let mut responded = false;
    let mut requester_replies = 0;
    let index = |runs: &Vec<Run>, wanted: &dyn Fn(&ClockKind) -> bool| {
        runs.iter().rposition(|r| wanted(&r.kind))
    };
    for event in events {
        let at = event.at;
        match &event.kind {
            SlaEventKind::Created(p) if !created => {
                created = true;
                priority = *p;
                runs.push(Run::start(ClockKind::FirstResponse, at));
                runs.push(Run::start(ClockKind::Resolution, at));
            }
            SlaEventKind::Created(_) => {}
            SlaEventKind::PriorityChanged(p) => {
                priority = *p;
                if let Some(i) = index(&runs, &|k| *k == ClockKind::Resolution) {
                    runs[i].steps.push(Step {
                        at,
                        what: StepKind::Retargeted(*p),
                    });
                }
            }
            SlaEventKind::StatusChanged { from, to } => {
                let acted = matches!(
                    to,
                    Status::WaitingOnRequester | Status::Resolved | Status::Closed
                );
                for run in runs.iter_mut().filter(|r| r.running()) {
                    match &run.kind {
                        ClockKind::Resolution => {}
                        ClockKind::Handoff(_) => run.stop(at),
                        _ if acted => run.stop(at),
                        _ => {}
                    }
                }
                responded |= acted;
                if let Some(i) = index(&runs, &|k| *k == ClockKind::Resolution) {
                    resolution_status(&mut runs[i], at, *from, *to, policy);
                }
            }
            SlaEventKind::Reply {
                by_requester: false,
            } => {
                responded = true;
                for run in runs.iter_mut().filter(|r| r.running()) {
                    if !matches!(run.kind, ClockKind::Resolution) {
                        run.stop(at);
                    }
                }
            }
            SlaEventKind::Reply { by_requester: true } => {
                let waiting = index(&runs, &|k| matches!(k, ClockKind::NextResponse(_)))
                    .is_some_and(|i| runs[i].running());
                if created && responded && !waiting {
                    requester_replies += 1;
                    runs.push(Run::start(ClockKind::NextResponse(requester_replies), at));
                }
            }
            SlaEventKind::Note => {
                for run in runs.iter_mut().filter(|r| r.running()) {
                    if matches!(run.kind, ClockKind::Handoff(_)) {
                        run.stop(at);
                    }
                }
            }
            SlaEventKind::Approval { waiting: true } => {
                for run in runs.iter_mut().filter(|r| r.running()) {
                    run.halt(at, StepKind::AwaitingApproval);
                }
            }
            SlaEventKind::Approval { waiting: false } => {
                for run in runs.iter_mut().filter(|r| {
                    !r.running()
                        && r.steps
                            .last()
                            .is_some_and(|s| s.what == StepKind::AwaitingApproval)
                }) {
                    run.resume(at, false);
                }
            }
            SlaEventKind::HandedOff { to, .. } => {
                for run in runs.iter_mut().filter(|r| r.running()) {
                    if matches!(run.kind, ClockKind::Handoff(_)) {
                        run.stop(at);
                    }
                }
                if created {
                    runs.push(Run::start(ClockKind::Handoff(to.clone()), at));
                }
            }
        }
    }
    (runs, priority)
}

/// The resolution clock follows the status: paused while waiting on the requester (if the policy
/// credits that time back), stopped when resolved, continued when reopened.
fn resolution_status(run: &mut Run, at: Timestamp, from: Status, to: Status, policy: &Policy) {
    if !to.is_open() {
        run.stop(at);
    } else if to == Status::WaitingOnRequester && policy.pause_while_waiting {
        run.halt(at, StepKind::Paused(to));
    } else if !from.is_open() {
        run.resume(at, true);
    } else if from == Status::WaitingOnRequester {
        run.resume(at, false);
    }
}

/// Counts a clock's business time and finds when each warning, the breach and each escalation
/// happened, up to `now`.
fn count(
    run: Run,
    target: i64,
    policy: &Policy,
    calendar: &WorkCalendar,
    now: Timestamp,
    explain: Explain,
) -> ClockReport {
    if explain == Explain::Figures {
        return count_figures(run, target, calendar, now);
    }
    let mut thresholds: Vec<(i64, StepKind)> = policy
        .warn_percent
        .iter()
        .map(|&p| (target * i64::from(p) / 100, StepKind::Warned(p)))
        .collect();
    if let Some(before) = policy.warn_before.filter(|b| minutes(*b) < target) {
        thresholds.push((target - minutes(before), StepKind::DueSoon(before)));
    }
    thresholds.push((target, StepKind::Breached));
    for escalation in &policy.escalations {
        thresholds.push((
            target + minutes(escalation.after),
            StepKind::Escalated(escalation.action.clone()),
        ));
    }
    let mut steps = run.steps;
    let mut elapsed = 0;
    let mut due = None;
    for &(start, end) in &run.spans {
        let span = calendar.business_ms(start, end.unwrap_or(now).min(now));
        for (at_elapsed, what) in &thresholds {
            if elapsed < *at_elapsed && *at_elapsed < elapsed + span {
                if let Some(at) = calendar.add_business(start, at_elapsed - elapsed) {
                    steps.push(Step {
                        at,
                        what: what.clone(),
                    });
                }
            }
        }
        // Due when the elapsed time reaches the target: within this span, or (for the span still
        // running) in the future.
        let reaches = elapsed < target && (target <= elapsed + span || end.is_none());
        if reaches {
            due = calendar.add_business(start, target - elapsed);
        }
        elapsed += span;
    }
    let running = run.spans.last().is_some_and(|(_, end)| end.is_none());
    let state = state_of(run.stopped, running, elapsed > target);
    steps.sort_by_key(|s| s.at);
    ClockReport {
        kind: run.kind,
        target_ms: target,
        elapsed_ms: elapsed,
        state,
        due,
        steps,
    }
}

/// A clock's business time and state only (see [`measure`]).
fn count_figures(run: Run, target: i64, calendar: &WorkCalendar, now: Timestamp) -> ClockReport {
    let elapsed = run
        .spans
        .iter()
        .map(|&(start, end)| calendar.business_ms(start, end.unwrap_or(now).min(now)))
        .sum();
    let running = run.spans.last().is_some_and(|(_, end)| end.is_none());
    ClockReport {
        kind: run.kind,
        target_ms: target,
        elapsed_ms: elapsed,
        state: state_of(run.stopped, running, elapsed > target),
        due: None,
        steps: Vec::new(),
    }
}

fn state_of(stopped: bool, running: bool, over: bool) -> ClockState {
    match (stopped, running, over) {
        (true, _, false) => ClockState::Met,
        (true, _, true) => ClockState::Missed,
        (false, _, true) => ClockState::Breached,
        (false, true, false) => ClockState::Running,
        (false, false, false) => ClockState::Paused,
    }
}

//! What every page needs to show service levels: the catalog, its calendars (checked once per
//! change), a clock that ticks every minute, and each ticket's clocks from `domain::sla`.

use super::directory::use_directory;
use super::i18n::*;
use super::state::{now, AppState};
use crate::domain::catalog::{Calendars, Catalog};
use crate::domain::classification::{classify, requests_from, Segment};
use crate::domain::directory::{DepartmentId, Directory};
use crate::domain::sla::{ClockKind, ClockReport, ClockState, SlaEvent, StepKind};
use crate::domain::{TicketSummary, Timestamp};
use leptos::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How often due times are brought up to date.
const TICK_MS: u32 = 60_000;

/// Checked calendars, shared; two are the same only if they are the very same check.
#[derive(Clone)]
pub struct SharedCalendars(pub Arc<Calendars>);

impl PartialEq for SharedCalendars {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Clone, Copy)]
pub struct ServiceLevels {
    pub catalog: Memo<Catalog>,
    pub calendars: Memo<SharedCalendars>,
    /// The current minute; clocks are recomputed when it moves.
    pub now: RwSignal<Timestamp>,
    /// Each customer department's segment (a policy may promise more to key customers).
    segments: Memo<BTreeMap<DepartmentId, Segment>>,
    directory: Memo<Directory>,
}

/// The window classification looks at for segment-specific targets.
const SEGMENT_WINDOW_MS: i64 = 90 * 24 * 3_600_000;

pub fn provide_service_levels(state: AppState) {
    let catalog = Memo::new(move |_| state.read(|d| d.catalog().0));
    let calendars =
        Memo::new(move |_| catalog.with(|c| SharedCalendars(Arc::new(c.work_calendars()))));
    let clock = RwSignal::new(now());
    let directory = use_directory();
    let segments = Memo::new(move |_| {
        let to = now();
        let settings = state.read(|d| d.customer_settings());
        let requests = directory
            .with(|dir| state.read(|d| requests_from(d.rows().iter().map(|(s, _)| s), dir, to)));
        let from = Timestamp(to.0 - SEGMENT_WINDOW_MS);
        classify(&requests, from, to, &settings.weights, &settings.overrides)
            .into_iter()
            .map(|p| (p.customer.clone(), p.segment()))
            .collect()
    });
    // The page's shell lives as long as the page, and so does this tick.
    gloo::timers::callback::Interval::new(TICK_MS, move || clock.set(now())).forget();
    provide_context(ServiceLevels {
        catalog,
        calendars,
        now: clock,
        segments,
        directory,
    });
}

pub fn use_service_levels() -> ServiceLevels {
    expect_context::<ServiceLevels>()
}

impl ServiceLevels {
    /// A ticket's clocks at the current minute (tracking the catalog and the minute).
    pub fn clocks(&self, summary: &TicketSummary) -> Vec<ClockReport> {
        self.clocks_of(&summary.service, &summary.sla, &summary.customer_department)
    }

    /// The clocks of a ticket's SLA events under its service's policy.
    pub fn clocks_of(
        &self,
        service: &str,
        events: &[SlaEvent],
        customer: &str,
    ) -> Vec<ClockReport> {
        // The minute signal says when to look again; the time itself is read fresh, so an event
        // made a moment ago is already counted.
        self.now.track();
        let now = now();
        let calendars = self.calendars.get();
        let segment = self.segment_of(customer, now);
        self.catalog
            .with(|c| c.clocks(&calendars.0, service, events, segment, now))
    }

    pub fn segment_of(&self, department: &str, now: Timestamp) -> Option<Segment> {
        if department.is_empty() {
            return None;
        }
        let current = self
            .directory
            .with(|d| d.department_at(&DepartmentId(department.into()), now));
        self.segments.with(|s| s.get(&current).copied())
    }

    /// The clock that matters most for a list: the open one due soonest.
    pub fn most_urgent(&self, summary: &TicketSummary) -> Option<ClockReport> {
        if !summary.status.is_open() {
            return None;
        }
        self.clocks(summary)
            .into_iter()
            .filter(|c| c.is_open())
            .min_by_key(|c| (c.state == ClockState::Paused, c.remaining_ms()))
    }
}

/// How a clock looks: on track, at risk (a warning has passed), breached, or paused.
pub fn urgency(clock: &ClockReport) -> &'static str {
    match clock.state {
        ClockState::Breached | ClockState::Missed => "breached",
        ClockState::Paused => "paused",
        _ if clock
            .steps
            .iter()
            .any(|s| matches!(s.what, StepKind::Warned(_) | StepKind::DueSoon(_))) =>
        {
            "at-risk"
        }
        _ => "on-track",
    }
}

/// Business time as people say it: "1 h 20 min", "3 d 2 h" (a day being 24 h of the clock's time).
pub fn duration(l: Locale, ms: i64) -> String {
    let minutes = ms.abs() / 60_000;
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let (dl, hl, ml) = match l {
        Locale::en => ("d", "h", "min"),
        Locale::zh_CN => ("天", "小时", "分钟"),
    };
    let sep = if l == Locale::en { " " } else { "" };
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}{sep}{dl}"));
    }
    if h > 0 {
        parts.push(format!("{h}{sep}{hl}"));
    }
    if d == 0 && (m > 0 || parts.is_empty()) {
        parts.push(format!("{m}{sep}{ml}"));
    }
    parts.join(" ")
}

/// What a list's due badge says.
pub fn badge_text(l: Locale, clock: &ClockReport) -> String {
    let left = duration(l, clock.remaining_ms());
    match clock.state {
        ClockState::Paused => td_string!(l, sla.badge_paused, left = left).to_string(),
        ClockState::Breached => td_string!(l, sla.badge_overdue, late = left).to_string(),
        _ => td_string!(l, sla.badge_left, left = left).to_string(),
    }
}

pub fn clock_name(l: Locale, kind: &ClockKind) -> String {
    match kind {
        ClockKind::FirstResponse => td_string!(l, sla.first_response).to_string(),
        ClockKind::NextResponse(n) => td_string!(l, sla.next_response, n = *n).to_string(),
        ClockKind::Resolution => td_string!(l, sla.resolution).to_string(),
        ClockKind::Handoff(to) => td_string!(l, sla.handoff, to = to.clone()).to_string(),
    }
}

pub fn state_name(l: Locale, state: ClockState) -> &'static str {
    match state {
        ClockState::Running => td_string!(l, sla.running),
        ClockState::Paused => td_string!(l, sla.paused),
        ClockState::Met => td_string!(l, sla.met),
        ClockState::Missed => td_string!(l, sla.missed),
        ClockState::Breached => td_string!(l, sla.breached),
    }
}

/// Open tickets at risk and overdue, from every list row this desk holds.
pub fn alerts(
    state: AppState,
    sla: ServiceLevels,
) -> Memo<(Vec<crate::domain::DocumentId>, usize)> {
    Memo::new(move |_| {
        state.read(|d| {
            let mut overdue = Vec::new();
            let mut at_risk = 0;
            for (summary, _) in d.rows().iter().filter(|(s, _)| s.status.is_open()) {
                match sla.most_urgent(summary).as_ref().map(urgency) {
                    Some("breached") => overdue.push(summary.id),
                    Some("at-risk") => at_risk += 1,
                    _ => {}
                }
            }
            (overdue, at_risk)
        })
    })
}

/// The header's warning: how many tickets are overdue or at risk; newly overdue tickets also raise a
/// browser notification where the person allowed them (asked on the first click).
#[component]
pub fn SlaAlerts() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let sla = use_service_levels();
    let alerts = alerts(state, sla);
    let seen = StoredValue::new(std::collections::BTreeSet::<crate::domain::DocumentId>::new());
    Effect::new(move |_| {
        let (overdue, _) = alerts.get();
        let new = seen
            .try_update_value(|s| overdue.iter().filter(|id| s.insert(**id)).count())
            .unwrap_or(0);
        if new > 0 && notifications_allowed() {
            let text = td_string!(i18n.get_locale_untracked(), sla.notify_overdue, count = new)
                .to_string();
            let _ = web_sys::Notification::new(&text);
        }
    });
    let ask = move |_| {
        if web_sys::Notification::permission() == web_sys::NotificationPermission::Default {
            let _ = web_sys::Notification::request_permission();
        }
    };
    move || {
        let (overdue, at_risk) = alerts.get();
        (overdue.len() + at_risk > 0).then(|| {
            let text = td_string!(i18n.get_locale(), sla.alerts, overdue = overdue.len(), at_risk = at_risk).to_string();
            let class = if overdue.is_empty() { "sla-alerts at-risk" } else { "sla-alerts breached" };
            view! { <a class=class href="#/" on:click=ask aria-live="polite" id="sla-alerts">{text}</a> }
        })
    }
}

fn notifications_allowed() -> bool {
    web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
}

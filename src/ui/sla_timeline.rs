//! A ticket's service levels: each clock with its state, due time, business time used against its
//! target, and the steps that explain it (started, paused and why, resumed, warned, breached…).

use super::format::{date_time, iso};
use super::i18n::*;
use super::labels::{priority_label, status_label};
use super::service_levels::{clock_name, duration, state_name, urgency, use_service_levels};
use crate::domain::sla::{events_of, ClockReport, EscalationAction, StepKind};
use crate::domain::Ticket;
use leptos::prelude::*;

#[component]
pub fn SlaTimeline(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let i18n = use_i18n();
    let sla = use_service_levels();
    let clocks = move || {
        ticket.with(|t| {
            t.as_ref()
                .map(|t| sla.clocks_of(&t.service, &events_of(t), &t.customer_department))
                .unwrap_or_default()
        })
    };
    move || {
        let clocks = clocks();
        (!clocks.is_empty()).then(|| {
            let locale = i18n.get_locale();
            view! {
                <section class="sla" aria-labelledby="sla-title">
                    <h2 id="sla-title">{t!(i18n, sla.title)}</h2>
                    <div class="sla-clocks">
                        {clocks.into_iter().map(|c| clock_view(locale, c)).collect_view()}
                    </div>
                </section>
            }
        })
    }
}

fn clock_view(l: Locale, clock: ClockReport) -> impl IntoView {
    let used = td_string!(
        l,
        sla.used,
        used = duration(l, clock.elapsed_ms),
        target = duration(l, clock.target_ms)
    )
    .to_string();
    let due = clock.due.map(|at| {
        let text = td_string!(l, sla.due_at, when = date_time(l, at)).to_string();
        view! { <p><time datetime=iso(at)>{text}</time></p> }
    });
    let steps = clock
        .steps
        .iter()
        .map(|s| view! { <li><time datetime=iso(s.at)>{date_time(l, s.at)}</time>{step_text(l, &s.what)}</li> })
        .collect_view();
    view! {
        <article class="sla-clock" data-clock=format!("{:?}", clock.kind) data-state=format!("{:?}", clock.state)>
            <h3>
                <span>{clock_name(l, &clock.kind)}</span>
                <span class=format!("due-badge {}", urgency(&clock))>{state_name(l, clock.state)}</span>
            </h3>
            {due}
            <p>{used}</p>
            <ol class="sla-steps">{steps}</ol>
        </article>
    }
}

fn step_text(l: Locale, step: &StepKind) -> String {
    match step {
        StepKind::Started => td_string!(l, sla.step_started).to_string(),
        StepKind::Paused(status) => {
            td_string!(l, sla.step_paused, status = status_label(l, *status)).to_string()
        }
        StepKind::AwaitingApproval => td_string!(l, sla.step_awaiting_approval).to_string(),
        StepKind::Resumed { reopened: true } => td_string!(l, sla.step_reopened).to_string(),
        StepKind::Resumed { reopened: false } => td_string!(l, sla.step_resumed).to_string(),
        StepKind::Warned(p) => td_string!(l, sla.step_warned, percent = *p).to_string(),
        StepKind::DueSoon(m) => td_string!(
            l,
            sla.step_due_soon,
            left = duration(l, i64::from(*m) * 60_000)
        )
        .to_string(),
        StepKind::Breached => td_string!(l, sla.step_breached).to_string(),
        StepKind::Escalated(EscalationAction::NotifyLead) => {
            td_string!(l, sla.step_notify_lead).to_string()
        }
        StepKind::Escalated(EscalationAction::Reassign(to)) => {
            td_string!(l, sla.step_reassign, to = to.clone()).to_string()
        }
        StepKind::Stopped => td_string!(l, sla.step_stopped).to_string(),
        StepKind::Retargeted(p) => {
            td_string!(l, sla.step_retargeted, priority = priority_label(l, *p)).to_string()
        }
    }
}

//! A ticket's approval: each step with who decides it and what they decided; the person whose
//! turn it is (or an admin) approves or rejects with a comment, offline if need be.

use super::super::format::{date_time, iso};
use super::super::i18n::*;
use super::super::state::AppState;
use crate::domain::automation::{Approval, ApprovalState, PlannedStep};
use crate::domain::Ticket;
use crate::store::desk::DecideError;
use leptos::prelude::*;

#[component]
pub fn ApprovalPanel(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let approval = Memo::new(move |_| ticket.with(|t| t.as_ref().and_then(|t| t.approval.clone())));
    let me = Memo::new(move |_| state.read(|d| d.me()));
    let comment = RwSignal::new(String::new());
    let error = RwSignal::new(None::<DecideErrorKind>);
    let decide = move |approve: bool| {
        let Some(id) = ticket.with_untracked(|t| t.as_ref().map(|t| t.id)) else {
            return;
        };
        match state.decide(id, approve, &comment.get_untracked()) {
            Ok(()) => {
                comment.set(String::new());
                error.set(None);
            }
            Err(e) => error.set(Some(DecideErrorKind::of(&e))),
        }
    };
    move || {
        approval.get().map(|a| {
            let may_decide = me.with(|m| a.may_decide(&m.email, m.admin));
            let code = match a.state() {
                ApprovalState::Pending(_) => "pending",
                ApprovalState::Approved => "approved",
                ApprovalState::Rejected => "rejected",
            };
            let steps = a.steps.iter().enumerate().map(|(i, step)| step_item(i, step, &a)).collect_view();
            let chain = a.chain.clone();
            view! {
                <section class="card approval" aria-labelledby="approval-title" data-approval=code>
                    <h2 id="approval-title">
                        {t!(i18n, approval.title)}
                        {(!chain.is_empty()).then(|| view! { <span class="muted">" · "{chain.clone()}</span> })}
                    </h2>
                    <p class=format!("approval-state {code}") role="status">{move || summary(i18n.get_locale(), &a)}</p>
                    <ol class="approval-steps">{steps}</ol>
                    {may_decide.then(|| view! {
                        <form class="approval-decide" on:submit=|ev| ev.prevent_default() novalidate>
                            <div class="field">
                                <label for="approval-comment">{t!(i18n, approval.comment)}</label>
                                <textarea id="approval-comment" rows="2" bind:value=comment
                                    aria-describedby="approval-error"
                                    aria-invalid=move || (error.get() == Some(DecideErrorKind::ReasonMissing)).to_string()></textarea>
                                <p id="approval-error" class="field-error">{move || error.get().map(|e| e.text(i18n.get_locale()))}</p>
                            </div>
                            <div class="button-row">
                                <button type="button" class="button primary" data-decide="approve" on:click=move |_| decide(true)>{t!(i18n, approval.approve)}</button>
                                <button type="button" class="button danger" data-decide="reject" on:click=move |_| decide(false)>{t!(i18n, approval.reject)}</button>
                            </div>
                        </form>
                    })}
                </section>
            }
        })
    }
}

/// One step: who decides it, and the decision if there is one.
fn step_item(i: usize, step: &PlannedStep, approval: &Approval) -> impl IntoView {
    let i18n = use_i18n();
    let who = match (step.name.is_empty(), step.email.is_empty()) {
        (_, true) => None,
        (true, false) => Some(step.email.clone()),
        (false, false) => Some(format!("{} <{}>", step.name, step.email)),
    };
    let manager = step.manager;
    let decision = approval.decisions.get(&i).cloned();
    let waiting = approval.state() == ApprovalState::Pending(i);
    let state = match (&decision, waiting) {
        (Some(d), _) if d.approve => "approved",
        (Some(_), _) => "rejected",
        (None, true) => "pending",
        (None, false) => "later",
    };
    view! {
        <li class=format!("approval-step {state}") data-step=i>
            <p>
                <strong>{move || td_string!(i18n.get_locale(), approval.step, n = i + 1).to_string()}</strong>" "
                {match who {
                    Some(who) => view! { <span>{who}</span> }.into_any(),
                    None => view! { <span class="muted">{t!(i18n, approval.no_approver)}</span> }.into_any(),
                }}
                {manager.then(|| view! { <span class="badge">{t!(i18n, approval.manager)}</span> })}
            </p>
            {match decision {
                Some(d) => {
                    let at = d.at;
                    let comment = d.comment.clone();
                    view! {
                        <p class="muted">
                            {move || {
                                let l = i18n.get_locale();
                                let who = d.by.clone();
                                match (d.approve, d.automatic) {
                                    (true, true) => td_string!(l, approval.approved_by_rule, rule = who).to_string(),
                                    (true, false) => td_string!(l, approval.approved_by, who).to_string(),
                                    (false, _) => td_string!(l, approval.rejected_by, who).to_string(),
                                }
                            }}
                            " · "<time datetime=iso(at)>{move || date_time(i18n.get_locale(), at)}</time>
                        </p>
                        {(!comment.is_empty()).then(|| view! { <blockquote class="prose">{comment}</blockquote> })}
                    }.into_any()
                }
                None if waiting => view! { <p class="muted">{t!(i18n, approval.waiting)}</p> }.into_any(),
                None => ().into_any(),
            }}
        </li>
    }
}

fn summary(l: Locale, a: &Approval) -> String {
    match a.state() {
        ApprovalState::Pending(i) => {
            let step = &a.steps[i];
            let who = if step.name.is_empty() {
                step.email.clone()
            } else {
                step.name.clone()
            };
            if who.is_empty() {
                td_string!(l, approval.pending_admin).to_string()
            } else {
                td_string!(l, approval.pending, who).to_string()
            }
        }
        ApprovalState::Approved => td_string!(l, approval.approved).to_string(),
        ApprovalState::Rejected => td_string!(l, approval.rejected).to_string(),
    }
}

/// A refused decision, kept as a value a signal can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecideErrorKind {
    NotWaiting,
    NotYours,
    ReasonMissing,
    Failed,
}

impl DecideErrorKind {
    fn of(e: &DecideError) -> Self {
        match e {
            DecideError::NotWaiting => Self::NotWaiting,
            DecideError::NotYours => Self::NotYours,
            DecideError::ReasonMissing => Self::ReasonMissing,
            DecideError::Change(_) => Self::Failed,
        }
    }

    fn text(self, l: Locale) -> String {
        match self {
            Self::NotWaiting => td_string!(l, approval.err_not_waiting),
            Self::NotYours => td_string!(l, approval.err_not_yours),
            Self::ReasonMissing => td_string!(l, approval.err_reason),
            Self::Failed => td_string!(l, approval.err_failed),
        }
        .to_string()
    }
}

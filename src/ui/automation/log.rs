//! What the organisation's rules did to a ticket: each firing once, with the rule's name, when,
//! and every change it made (or why it left one undone).

use super::super::format::{date_time, iso};
use super::super::i18n::*;
use super::super::labels::{priority_label, status_label};
use super::super::state::AppState;
use super::assignee::person_name;
use crate::domain::automation::{Effect, FiringRecord, Skip};
use crate::domain::Ticket;
use leptos::prelude::*;

#[component]
pub fn AutomationLog(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let records = Memo::new(move |_| {
        let mut records: Vec<FiringRecord> = ticket.with(|t| {
            t.as_ref()
                .map(|t| t.fired.values().cloned().collect())
                .unwrap_or_default()
        });
        records.sort_by_key(|r| r.at);
        records
    });
    move || {
        let records = records.get();
        (!records.is_empty()).then(|| view! {
            <h3>{t!(i18n, automation.log_title)}</h3>
            <ol class="automation-log">
                {records.into_iter().map(|r| {
                    let at = r.at;
                    let rule = r.rule.clone();
                    let marker = r.rule.clone();
                    let effects = r.effects.clone();
                    view! {
                        <li data-rule=marker>
                            <strong>{move || td_string!(i18n.get_locale(), automation.log_rule, rule = rule.clone()).to_string()}</strong>
                            " · "<time datetime=iso(at)>{move || date_time(i18n.get_locale(), at)}</time>
                            <span>{move || {
                                let l = i18n.get_locale();
                                let text: Vec<String> = effects.iter().map(|e| effect_text(l, state, e)).collect();
                                if text.is_empty() { td_string!(l, automation.log_nothing).to_string() } else { format!(": {}", text.join("; ")) }
                            }}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        })
    }
}

fn effect_text(l: Locale, state: AppState, e: &Effect) -> String {
    match e {
        Effect::Priority { to, .. } => {
            td_string!(l, automation.fx_priority, to = priority_label(l, *to)).to_string()
        }
        Effect::Queue { to, .. } => td_string!(l, automation.fx_queue, to = to.clone()).to_string(),
        Effect::Status { to, .. } => {
            td_string!(l, automation.fx_status, to = status_label(l, *to)).to_string()
        }
        Effect::Assigned { to, .. } => {
            td_string!(l, automation.fx_assigned, who = person_name(state, to)).to_string()
        }
        Effect::Field { key, value } => td_string!(
            l,
            automation.fx_field,
            key = key.clone(),
            value = value.clone()
        )
        .to_string(),
        Effect::Watcher { email } => {
            td_string!(l, automation.fx_watcher, who = person_name(state, email)).to_string()
        }
        Effect::Approved => td_string!(l, automation.fx_approved).to_string(),
        Effect::ApprovalRequested { chain } => {
            td_string!(l, automation.fx_approval, chain = chain.clone()).to_string()
        }
        Effect::Reply { .. } => td_string!(l, automation.fx_reply).to_string(),
        Effect::Notify { email } => {
            td_string!(l, automation.fx_notify, who = person_name(state, email)).to_string()
        }
        Effect::Skipped { reason } => match reason {
            Skip::NobodyAvailable => td_string!(l, automation.skip_nobody),
            Skip::Missing => td_string!(l, automation.skip_missing),
            Skip::NotAllowed => td_string!(l, automation.skip_not_allowed),
        }
        .to_string(),
    }
}

//! Who works a ticket: shown to everyone, chosen by the serving team (anyone of it, or "me").

use super::super::i18n::*;
use super::super::state::AppState;
use crate::domain::Ticket;
use leptos::prelude::*;

/// A person's name from the directory, or their email when the directory does not know them.
pub fn person_name(state: AppState, email: &str) -> String {
    state.read(|d| {
        d.directory()
            .0
            .people
            .get(email)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| email.to_string())
    })
}

#[component]
pub fn AssigneeField(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let assignee = Memo::new(move |_| {
        ticket.with(|t| t.as_ref().map(|t| t.assignee.clone()).unwrap_or_default())
    });
    let me = Memo::new(move |_| state.read(|d| d.me()));
    let works =
        Memo::new(move |_| ticket.with(|t| t.as_ref().is_some_and(|t| state.role_on(t).works())));
    let department = Memo::new(move |_| {
        ticket.with(|t| t.as_ref().map(|t| t.department.clone()).unwrap_or_default())
    });
    let team = Memo::new(move |_| state.read(|d| d.team(&department.get())));
    let assign = move |to: String| {
        if let Some(id) = ticket.with_untracked(|t| t.as_ref().map(|t| t.id)) {
            let _ = state.assign(id, &to);
        }
    };
    let shown = move || {
        let email = assignee.get();
        if email.is_empty() {
            t_string!(i18n, assign.nobody).to_string()
        } else {
            person_name(state, &email)
        }
    };
    view! {
        <div>
            <dt>{t!(i18n, assign.label)}</dt>
            <dd>
                <span id="ticket-assignee" data-assignee=move || assignee.get()>{shown}</span>
                // The serving team assigns; a requester or an approver from elsewhere only sees who.
                {move || works.get().then(|| {
                    let mine = me.with(|m| m.email.clone());
                    view! {
                        <span class="assign-controls">
                            <label class="visually-hidden" for="assign-to">{t!(i18n, assign.choose)}</label>
                            <select id="assign-to" on:change=move |ev| assign(event_target_value(&ev))>
                                <option value="" selected=move || assignee.get().is_empty()>{t!(i18n, assign.nobody)}</option>
                                {move || team.get().into_iter().map(|(email, name)| {
                                    let selected = email == assignee.get_untracked();
                                    view! { <option value=email.clone() selected=selected>{name}</option> }
                                }).collect_view()}
                            </select>
                            {(!mine.is_empty()).then(|| view! {
                                <button type="button" class="button small" id="assign-me"
                                    on:click=move |_| assign(mine.clone())>{t!(i18n, assign.me)}</button>
                            })}
                        </span>
                    }
                })}
            </dd>
        </div>
    }
}

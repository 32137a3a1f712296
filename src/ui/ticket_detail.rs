//! One ticket: its fields, status actions, conversation and history. The comment box sits outside the
//! reactive parts so a draft survives changes arriving while it is typed.

use super::audit::AuditDownload;
use super::automation::{person_name, ApprovalPanel, AssigneeField, AutomationLog};
use super::catalog::ServiceAnswers;
use super::directory::{department_name, use_directory, DepartmentInput};
use super::format::{date_time, iso};
use super::i18n::*;
use super::knowledge::LinkedArticles;
use super::labels::{move_label, priority_label, status_label};
use super::route::Route;
use super::sla_timeline::SlaTimeline;
use super::state::now;
use super::state::{AppState, TicketAvailability};
use super::voice::RatingPanel;
use crate::access::TicketRole;
use crate::domain::automation::mentions;
use crate::domain::{
    CommentError, DocumentId, EventKind, Priority, Reclassification, Status, Ticket, TicketEvent,
    Visibility,
};
use crate::store::TicketChangeError;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn TicketDetail(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let loading = RwSignal::new(None::<TicketAvailability>);
    spawn_local(async move { loading.set(Some(state.open_ticket(id).await)) });
    let ticket = Memo::new(move |_| state.read(|d| d.ticket(id)).and_then(Result::ok));
    // What was new when the page opened stays marked while it is open; reading the page marks it
    // read for this person (a no-op when nothing is new).
    let seen_at_open = StoredValue::new(None::<Option<crate::domain::Timestamp>>);
    let remember_seen = move |t: &Ticket| {
        if seen_at_open.get_value().is_none() {
            let me = state.read_untracked(|d| d.me());
            seen_at_open.set_value(Some(t.seen.get(me.key()).copied()));
        }
    };
    Effect::new(move |_| {
        if ticket.with(|t| t.is_some()) {
            state.mark_seen(id);
        }
    });
    // The page is built once the ticket is there and follows its changes inside: rebuilding it on
    // every change (a colleague reading it writes a read marker) would wipe a reply being typed.
    let held = Memo::new(move |_| ticket.with(Option::is_some));
    view! {
        <p class="back"><a href=Route::Tickets.href()>"← "{t!(i18n, detail.back)}</a></p>
        {move || match (held.get(), loading.get()) {
            (true, _) => {
                ticket.with_untracked(|t| t.as_ref().map(remember_seen));
                view! { <TicketView ticket seen_at_open/> <CommentBox id ticket/> <AuditDownload id/> }.into_any()
            }
            (false, None | Some(TicketAvailability::Open)) => {
                view! { <p class="muted" aria-busy="true">{t!(i18n, detail.loading)}</p> }.into_any()
            }
            (false, Some(TicketAvailability::Fetching)) if state.unavailable.with(|u| u.contains(&id)) => {
                view! { <p class="empty" role="alert" data-unavailable="true">{t!(i18n, detail.not_shared)}</p> }.into_any()
            }
            (false, Some(TicketAvailability::Fetching)) => {
                view! { <p class="muted" aria-busy="true">{t!(i18n, detail.fetching)}</p> }.into_any()
            }
            (false, Some(TicketAvailability::Missing)) => {
                view! { <p class="empty" role="alert">{t!(i18n, detail.not_found)}</p> }.into_any()
            }
            (false, Some(TicketAvailability::Damaged)) => {
                view! { <p class="empty" role="alert" data-damaged="true">{t!(i18n, detail.damaged)}</p> }.into_any()
            }
        }}
    }
}

#[component]
fn TicketView(
    ticket: Memo<Option<Ticket>>,
    seen_at_open: StoredValue<Option<Option<crate::domain::Timestamp>>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let me = state.read_untracked(|d| d.me());
    let field = move |f: fn(&Ticket) -> String| {
        move || ticket.with(|t| t.as_ref().map(f).unwrap_or_default())
    };
    let status = move || ticket.with(|t| t.as_ref().map(|t| t.status));
    // What this person may do here, from the same rules the relay enforces: a control they may
    // not use is not shown at all.
    let role = Memo::new(move |_| {
        ticket.with(|t| {
            t.as_ref()
                .map_or(TicketRole::Outsider, |t| state.role_on(t))
        })
    });
    let works = move || role.get().works();
    let directory = use_directory();
    let department = move || {
        let id = field(|t| t.department.clone())();
        directory.with(|d| department_name(d, &id))
    };
    view! {
        <article class="card ticket" aria-labelledby="ticket-title">
            <header class="ticket-head">
                <p class="code">{field(|t| t.id.short_code())}</p>
                <h1 id="ticket-title">{field(|t| t.title.clone())}</h1>
                <p class="muted">{move || ticket.with(|t| t.as_ref().map(|t| {
                    let when = date_time(i18n.get_locale(), t.created_at);
                    t_string!(i18n, detail.filed_by, who = t.created_by.clone(), when).to_string()
                }))}</p>
            </header>
            <dl class="facts">
                <div><dt>{t!(i18n, detail.status)}</dt><dd>
                    {move || status().map(|s| view! {
                        <span class=format!("badge status-{}", s.as_str()) id="ticket-status">{move || status_label(i18n.get_locale(), s)}</span>
                    })}
                </dd></div>
                <div><dt>{t!(i18n, detail.priority)}</dt><dd>{move || ticket.with(|t| t.as_ref().map(|t| priority_label(i18n.get_locale(), t.priority)))}</dd></div>
                <div><dt>{t!(i18n, detail.requester)}</dt><dd>{field(|t| t.requester.clone())}</dd></div>
                <div><dt>{t!(i18n, detail.department)}</dt><dd>{department}</dd></div>
                <div><dt>{t!(i18n, detail.category)}</dt><dd>{field(|t| if t.category.is_empty() { "—".into() } else { t.category.clone() })}</dd></div>
                <AssigneeField ticket/>
            </dl>
            {move || works().then(|| view! {
                <div class="status-actions" role="group" aria-label=move || t_string!(i18n, detail.actions)>
                    {move || ticket.with(|t| t.as_ref().map(|t| {
                        let (id, from) = (t.id, t.status);
                        from.next().iter().map(|&to| view! {
                            <button type="button" class="button" data-to=to.as_str()
                                on:click=move |_| { let _ = state.change_status(id, to); }>
                                {move || move_label(i18n.get_locale(), from, to)}
                            </button>
                        }).collect_view()
                    }))}
                </div>
            })}
            <ServiceAnswers ticket/>
            <ApprovalPanel ticket/>
            <SlaTimeline ticket/>
            {move || works().then(|| view! { <ReclassifyForm ticket/> })}
            <div class="description">
                {move || ticket.with(|t| match t.as_ref().map(|t| t.description.clone()) {
                    Some(d) if !d.is_empty() => view! { <p class="prose">{d}</p> }.into_any(),
                    _ => view! { <p class="muted">{t!(i18n, detail.no_description)}</p> }.into_any(),
                })}
            </div>
        </article>
        <RatingPanel ticket/>
        {move || ticket.get().map(|t| {
            // The serving team links articles; everyone else reads the links.
            view! { <LinkedArticles ticket=t may_link=works()/> }
        })}
        <section class="card" aria-labelledby="conversation-title">
            <h2 id="conversation-title">{t!(i18n, detail.conversation)}</h2>
            {move || ticket.with(|t| {
                let comments = t.as_ref().map(|t| t.comments.clone()).unwrap_or_default();
                // What was new when the page opened stays marked while it is open.
                let seen_before = seen_at_open.get_value().flatten();
                let my_name = me.name.clone();
                if comments.is_empty() {
                    return view! { <p class="muted">{t!(i18n, detail.no_comments)}</p> }.into_any();
                }
                view! {
                    <ol class="comments">
                        {comments.into_iter().map(|c| {
                            let internal = c.visibility == Visibility::Internal;
                            let mentioned = c.mentions.iter().map(|m| person_name(state, m)).collect::<Vec<_>>().join(", ");
                            let unread = seen_before.is_none_or(|s| c.at > s) && c.by != my_name;
                            view! {
                                <li class=if internal { "comment internal" } else { "comment" } data-unread=unread.to_string()>
                                    <p class="comment-meta">
                                        {unread.then(|| view! { <span class="badge unread">{t!(i18n, detail.new_badge)}</span> })}
                                        <strong>{c.by.clone()}</strong>
                                        <span class="badge">{move || if internal { t_string!(i18n, detail.internal_badge) } else { t_string!(i18n, detail.public_badge) }}</span>
                                        <time datetime=iso(c.at)>{move || date_time(i18n.get_locale(), c.at)}</time>
                                    </p>
                                    <p class="prose">{c.body.clone()}</p>
                                    {(!mentioned.is_empty()).then(|| view! {
                                        <p class="muted mentions">{move || td_string!(i18n.get_locale(), detail.notified, who = mentioned.clone()).to_string()}</p>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            })}
        </section>
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">{t!(i18n, detail.history)}</h2>
            <ol class="history">
                {move || ticket.with(|t| t.as_ref().map(|t| t.events.iter().rev().cloned().map(|e| {
                    let at = e.at;
                    view! {
                        <li>
                            <span>{move || history_line(i18n.get_locale(), &e, state)}</span>
                            " · "
                            <time datetime=iso(at)>{move || date_time(i18n.get_locale(), at)}</time>
                        </li>
                    }
                }).collect_view()))}
            </ol>
            <AutomationLog ticket/>
        </section>
    }
}

fn history_line(l: Locale, e: &TicketEvent, state: AppState) -> String {
    let who = e.by.clone();
    match e.kind {
        EventKind::Created => td_string!(l, detail.history_created, who).to_string(),
        EventKind::StatusChanged { from, to } => {
            let (from, to) = (status_label(l, from), status_label(l, to));
            td_string!(l, detail.history_status, who, from, to).to_string()
        }
        EventKind::Commented {
            visibility: Visibility::Public,
        } => td_string!(l, detail.history_reply, who).to_string(),
        EventKind::Commented {
            visibility: Visibility::Internal,
        } => td_string!(l, detail.history_note, who).to_string(),
        EventKind::PriorityChanged { from, to } => {
            let (from, to) = (priority_label(l, from), priority_label(l, to));
            td_string!(l, detail.history_priority, who, from, to).to_string()
        }
        EventKind::Reassigned { ref from, ref to } => td_string!(
            l,
            detail.history_reassigned,
            who,
            from = from.clone(),
            to = to.clone()
        )
        .to_string(),
        EventKind::CategoryChanged { ref from, ref to } => {
            let (from, to) = (or_dash(from), or_dash(to));
            td_string!(l, detail.history_category, who, from, to).to_string()
        }
        EventKind::Assigned { ref to, .. } if to.is_empty() => {
            td_string!(l, detail.history_unassigned, who).to_string()
        }
        EventKind::Assigned { ref to, .. } => {
            td_string!(l, detail.history_assigned, who, to = person_name(state, to)).to_string()
        }
    }
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "—".into()
    } else {
        text.into()
    }
}

/// Priority, serving department and category, changed together; the history explains each change.
#[component]
fn ReclassifyForm(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let Some(current) = ticket.get_untracked() else {
        return ().into_any();
    };
    let id = current.id;
    let priority = RwSignal::new(current.priority);
    let department = RwSignal::new(current.department);
    let category = RwSignal::new(current.category);
    // When someone else changes these, the form starts from the new values (submitting the old
    // ones would undo their change).
    let current_fields = Memo::new(move |_| {
        ticket.with(|t| {
            t.as_ref()
                .map(|t| (t.priority, t.department.clone(), t.category.clone()))
        })
    });
    Effect::new(move |_| {
        if let Some((p, d, c)) = current_fields.get() {
            priority.set(p);
            department.set(d);
            category.set(c);
        }
    });
    let error = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = Reclassification {
            priority: priority.get(),
            department: department.get(),
            category: category.get(),
        };
        error.set(matches!(
            state.reclassify(id, &change),
            Err(TicketChangeError::Reclassify(_))
        ));
    };
    view! {
        <details class="reclassify">
            <summary>{t!(i18n, detail.edit)}</summary>
            <form on:submit=submit novalidate>
                <div class="field-row three">
                    <div class="field">
                        <label for="edit-priority">{t!(i18n, detail.priority)}</label>
                        <select id="edit-priority" prop:value=move || priority.get().as_str()
                            on:change=move |ev| if let Some(p) = Priority::parse(&event_target_value(&ev)) { priority.set(p) }>
                            {Priority::ALL.into_iter().map(|p| view! {
                                <option value=p.as_str() selected=p == priority.get_untracked()>
                                    {move || priority_label(i18n.get_locale(), p)}
                                </option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="edit-department">{t!(i18n, detail.department)}</label>
                        <DepartmentInput id="edit-department" value=department
                            invalid=Signal::derive(move || error.get().to_string()) described_by="edit-department-error"/>
                        <p id="edit-department-error" class="field-error">
                            {move || error.get().then(|| t_string!(i18n, detail.department_missing))}
                        </p>
                    </div>
                    <div class="field">
                        <label for="edit-category">{t!(i18n, detail.category)}</label>
                        <input id="edit-category" bind:value=category/>
                    </div>
                </div>
                <button type="submit" class="button">{t!(i18n, detail.save_changes)}</button>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn CommentBox(id: DocumentId, ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let body = RwSignal::new(String::new());
    let visibility = RwSignal::new(Visibility::Public);
    let error = RwSignal::new(None::<CommentError>);
    // The status a canned reply moves the ticket to once it is sent.
    let then_status = RwSignal::new(None::<Status>);
    // Canned replies and internal notes are the serving team's; everyone on the ticket replies.
    let role = Memo::new(move |_| {
        ticket.with(|t| {
            t.as_ref()
                .map_or(TicketRole::Outsider, |t| state.role_on(t))
        })
    });
    let staff = Memo::new(move |_| role.get().works());
    let canned = Memo::new(move |_| {
        state.read(|d| {
            d.automation()
                .0
                .macros
                .into_values()
                .map(|m| (m.id, m.name, m.visibility, m.set_status))
                .collect::<Vec<_>>()
        })
    });
    let people = Memo::new(move |_| state.read(|d| d.mentionable()));
    let will_notify = move || {
        let names: Vec<String> = body.with(|b| {
            people.with(|p| {
                mentions(b, p)
                    .into_iter()
                    .filter_map(|email| p.iter().find(|(e, _)| *e == email).map(|(_, n)| n.clone()))
                    .collect()
            })
        });
        (!names.is_empty()).then(|| {
            td_string!(
                i18n.get_locale(),
                detail.will_notify,
                who = names.join(", ")
            )
            .to_string()
        })
    };
    let insert = move |ev: leptos::ev::Event| {
        let choice = event_target_value(&ev);
        let Some((_, _, shown, status)) =
            canned.with_untracked(|c| c.iter().find(|m| m.0 == choice).cloned())
        else {
            return;
        };
        let chinese = i18n.get_locale_untracked() == Locale::zh_CN;
        if let Some(Ok(text)) =
            state.read_untracked(|d| d.canned_reply(id, &choice, chinese, now()))
        {
            body.set(text);
            visibility.set(shown);
            then_status.set(status);
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Only the team writes internal notes, whatever the form was left at.
        let visibility = if staff.get_untracked() {
            visibility.get()
        } else {
            Visibility::Public
        };
        match state.add_comment(id, &body.get(), visibility) {
            Ok(()) => {
                body.set(String::new());
                error.set(None);
                if let Some(to) = then_status.get_untracked() {
                    let _ = state.change_status(id, to);
                }
                then_status.set(None);
            }
            Err(TicketChangeError::Comment(e)) => error.set(Some(e)),
            Err(_) => {}
        }
    };
    let error_text = move || {
        error.get().map(|e| match e {
            CommentError::Empty => t_string!(i18n, detail.comment_empty),
            CommentError::TooLarge => t_string!(i18n, detail.comment_too_large),
        })
    };
    view! {
        <section class="card">
            <form class="comment-form" on:submit=submit novalidate>
                {move || (staff.get() && !canned.with(Vec::is_empty)).then(|| view! {
                    <div class="field inline">
                        <label for="canned-reply">{t!(i18n, detail.canned)}</label>
                        <select id="canned-reply" on:change=insert>
                            <option value="">{t!(i18n, detail.canned_pick)}</option>
                            {canned.get().into_iter().map(|(id, name, _, _)| view! { <option value=id>{name}</option> }).collect_view()}
                        </select>
                    </div>
                })}
                <div class="field">
                    <label for="comment-body">{move || if staff.get() { t_string!(i18n, detail.comment_label) } else { t_string!(i18n, detail.reply_label) }}</label>
                    <textarea id="comment-body" rows="4" bind:value=body
                        aria-invalid=move || error.get().is_some().to_string() aria-describedby="comment-error comment-hint"></textarea>
                    <p id="comment-error" class="field-error">{error_text}</p>
                    <p id="comment-hint" class="hint" aria-live="polite">
                        {move || will_notify().unwrap_or_else(|| t_string!(i18n, detail.mention_hint).to_string())}
                    </p>
                </div>
                {move || staff.get().then(|| view! {
                    <fieldset class="choice">
                        <legend class="visually-hidden">{t!(i18n, detail.comment_label)}</legend>
                        <label><input type="radio" name="visibility" value="public"
                            prop:checked=move || visibility.get() == Visibility::Public
                            on:change=move |_| visibility.set(Visibility::Public)/>{t!(i18n, detail.public)}</label>
                        <label><input type="radio" name="visibility" value="internal"
                            prop:checked=move || visibility.get() == Visibility::Internal
                            on:change=move |_| visibility.set(Visibility::Internal)/>{t!(i18n, detail.internal)}</label>
                    </fieldset>
                })}
                {move || then_status.get().map(|to| view! {
                    <p class="hint">{move || td_string!(i18n.get_locale(), detail.canned_then, status = status_label(i18n.get_locale(), to)).to_string()}</p>
                })}
                <button type="submit" class="button primary">{t!(i18n, detail.send)}</button>
            </form>
        </section>
    }
}

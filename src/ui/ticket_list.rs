//! The ticket list: filters, search and a page of rows. Filtering runs over the in-memory index on every
//! keystroke; only the first rows are drawn, more on request.

use super::automation::person_name;
use super::directory::{department_name, use_directory};
use super::format::{date_time, iso};
use super::i18n::*;
use super::labels::{priority_label, status_label};
use super::route::Route;
use super::service_levels::{badge_text, urgency, use_service_levels};
use super::state::AppState;
use super::voice::RatingPrompt;
use crate::domain::automation::{ApprovalState, Attention};
use crate::domain::{Priority, Status, TicketFilter, TicketSummary};
use crate::store::desk::Me;
use leptos::prelude::*;

/// Rows drawn at first, and added by each "show more".
const PAGE: usize = 50;

#[component]
pub fn TicketList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let status = RwSignal::new(None::<Status>);
    let priority = RwSignal::new(None::<Priority>);
    let department = RwSignal::new(None::<String>);
    let text = RwSignal::new(String::new());
    let limit = RwSignal::new(PAGE);
    // A queue sorted by due time: the open ticket whose clock runs out first on top.
    let by_due = RwSignal::new(false);
    // Only what is for this person: new replies, mentions, approvals waiting on them, their work.
    let mine = RwSignal::new(Mine::All);
    let me = Memo::new(move |_| state.read(|d| d.me()));
    let sla = use_service_levels();
    let filter = Memo::new(move |_| TicketFilter {
        status: status.get(),
        priority: priority.get(),
        department: department.get(),
        text: text.get(),
    });
    let for_me = Memo::new(move |_| (mine.get(), me.get()));
    // A new filter starts from the first page again.
    // (Setting a signal notifies even when the value is unchanged, so only reset when needed: every
    // extra notification would filter 10,000 rows again.)
    Effect::new(move |_| {
        filter.track();
        for_me.track();
        if limit.get_untracked() != PAGE {
            limit.set(PAGE);
        }
    });
    // (total in the desk, matches, the rows to draw)
    let view_rows = Memo::new(move |_| {
        let f = filter.get();
        let limit = limit.get();
        let by_due = by_due.get();
        let (mine, me) = for_me.get();
        state.read(|d| {
            let mut matches = f.apply(d.rows());
            if mine != Mine::All {
                matches.retain(|&i| mine.keeps(&d.rows()[i].0, &me));
            }
            if by_due {
                // Each row's clocks are computed once, not at every comparison of the sort.
                matches.sort_by_cached_key(|&i| {
                    let clock = sla.most_urgent(&d.rows()[i].0);
                    clock.map_or(i64::MAX, |c| c.remaining_ms())
                });
            }
            let rows: Vec<TicketSummary> = matches
                .iter()
                .take(limit)
                .map(|&i| d.rows()[i].0.clone())
                .collect();
            (d.rows().len(), matches.len(), rows)
        })
    });
    // (total in the desk, matches, rows drawn): the small parts of the view follow this, not the rows.
    let counts =
        Memo::new(move |_| view_rows.with(|(total, matched, rows)| (*total, *matched, rows.len())));
    let departments = Memo::new(move |_| state.read(|d| d.departments()));
    let directory = use_directory();
    let clear = move |_| {
        status.set(None);
        priority.set(None);
        department.set(None);
        text.set(String::new());
    };
    view! {
        <section class="list-page">
            <div class="page-head">
                <h1>{t!(i18n, list.title)}</h1>
                <a class="button primary" href=Route::NewTicket.href()>{t!(i18n, nav.new_ticket)}</a>
            </div>
            <RatingPrompt/>
            <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
                <div class="field grow">
                    <label for="search">{t!(i18n, list.search)}</label>
                    <input id="search" type="search" autocomplete="off" bind:value=text
                        placeholder=move || t_string!(i18n, list.search_placeholder)/>
                </div>
                <div class="field">
                    <label for="filter-status">{t!(i18n, list.status)}</label>
                    <select id="filter-status" on:change=move |ev| status.set(Status::parse(&event_target_value(&ev)))
                        prop:value=move || status.get().map(|s| s.as_str()).unwrap_or("")>
                        <option value="">{t!(i18n, list.any)}</option>
                        {Status::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str()>{move || status_label(i18n.get_locale(), s)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-priority">{t!(i18n, list.priority)}</label>
                    <select id="filter-priority" on:change=move |ev| priority.set(Priority::parse(&event_target_value(&ev)))
                        prop:value=move || priority.get().map(|p| p.as_str()).unwrap_or("")>
                        <option value="">{t!(i18n, list.any)}</option>
                        {Priority::ALL.into_iter().map(|p| view! {
                            <option value=p.as_str()>{move || priority_label(i18n.get_locale(), p)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-mine">{t!(i18n, list.show)}</label>
                    <select id="filter-mine" on:change=move |ev| mine.set(Mine::parse(&event_target_value(&ev)))>
                        {Mine::ALL.into_iter().map(|m| view! {
                            <option value=m.code()>{move || m.label(i18n.get_locale())}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="sort-by">{t!(i18n, list.sort)}</label>
                    <select id="sort-by" on:change=move |ev| by_due.set(event_target_value(&ev) == "due")>
                        <option value="recent">{t!(i18n, list.sort_recent)}</option>
                        <option value="due">{t!(i18n, list.sort_due)}</option>
                    </select>
                </div>
                <div class="field">
                    <label for="filter-department">{t!(i18n, list.department)}</label>
                    <select id="filter-department"
                        on:change=move |ev| { let v = event_target_value(&ev); department.set((!v.is_empty()).then_some(v)); }
                        prop:value=move || department.get().unwrap_or_default()>
                        <option value="">{t!(i18n, list.any)}</option>
                        <For each=move || departments.get() key=|d| d.clone() let(d)>
                            <option value=d.clone()>{directory.with_untracked(|dir| department_name(dir, &d))}</option>
                        </For>
                    </select>
                </div>
            </form>
            {move || {
                let (total, matched, _) = counts.get();
                if total == 0 {
                    view! { <p class="empty">{t!(i18n, list.empty)}</p> }.into_any()
                } else if matched == 0 {
                    view! {
                        <p class="empty">{t!(i18n, list.no_match)}" "
                            <button type="button" class="link" on:click=clear>{t!(i18n, list.clear)}</button>
                        </p>
                    }.into_any()
                } else {
                    ().into_any()
                }
            }}
            <table class="tickets" id="ticket-table" hidden=move || counts.get().1 == 0>
                <caption class="visually-hidden">{t!(i18n, list.title)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, list.code)}</th>
                        <th scope="col">{t!(i18n, list.subject)}</th>
                        <th scope="col">{t!(i18n, list.status)}</th>
                        <th scope="col">{t!(i18n, list.priority)}</th>
                        <th scope="col">{t!(i18n, list.department)}</th>
                        <th scope="col">{t!(i18n, list.requester)}</th>
                        <th scope="col">{t!(i18n, list.due)}</th>
                        <th scope="col">{t!(i18n, list.updated)}</th>
                    </tr>
                </thead>
                <tbody>
                    // Rows are plain text in one language: the key includes the locale, so a language
                    // switch redraws them, and a keystroke creates no per-cell reactive work.
                    <For
                        each=move || {
                            let l = i18n.get_locale();
                            // Org changes rename departments: the history's length redraws the rows.
                            let org = directory.with(|d| d.history.len());
                            view_rows.get().2.into_iter().map(move |s| (l, org, s))
                        }
                        key=|(l, org, s)| {
                            let seen = s.involvement.seen.values().max().copied();
                            (*l, *org, s.id, s.updated_at, s.status, seen, s.involvement.approval)
                        }
                        let((locale, _org, s))
                    >
                        <TicketRow summary=s locale me=me.get_untracked()/>
                    </For>
                </tbody>
            </table>
            <p class="list-foot" aria-live="polite">
                {move || {
                    let (_, matched, shown) = counts.get();
                    (matched > 0).then(|| t_string!(i18n, list.showing, shown, total = matched).to_string())
                }}
                {move || {
                    let (_, matched, shown) = counts.get();
                    (shown < matched).then(|| view! {
                        <button type="button" class="button" on:click=move |_| limit.update(|l| *l += PAGE)>
                            {t!(i18n, list.show_more)}
                        </button>
                    })
                }}
            </p>
        </section>
    }
}

#[component]
fn TicketRow(summary: TicketSummary, locale: Locale, me: Me) -> impl IntoView {
    let s = summary;
    let state = expect_context::<AppState>();
    let department = use_directory().with_untracked(|d| department_name(d, &s.department));
    let attention = Attention::of(&s, &me.email, &me.name);
    let assignee =
        (!s.involvement.assignee.is_empty()).then(|| person_name(state, &s.involvement.assignee));
    let approval = s.involvement.approval.map(|a| match a {
        ApprovalState::Pending(_) => ("pending", td_string!(locale, list.awaiting_approval)),
        ApprovalState::Approved => ("approved", td_string!(locale, approval.approved)),
        ApprovalState::Rejected => ("rejected", td_string!(locale, approval.rejected)),
    });
    let status = s.status;
    let priority = s.priority;
    let updated = s.updated_at;
    view! {
        <tr class=format!("status-{}", status.as_str())>
            <td class="code">{s.id.short_code()}</td>
            <td class="title">
                {(attention.unread || attention.mentioned).then(|| view! {
                    <span class="unread-dot" data-unread="true" title=td_string!(locale, list.unread)>
                        <span class="visually-hidden">{td_string!(locale, list.unread)}</span>
                    </span>
                })}
                <a href=Route::Ticket(s.id).href()>{s.title.clone()}</a>
                {attention.mentioned.then(|| view! { " "<span class="badge mention">{td_string!(locale, list.mentioned)}</span> })}
                {attention.approval.then(|| view! { " "<span class="badge approval-mine">{td_string!(locale, list.your_approval)}</span> })}
            </td>
            <td>
                <span class=format!("badge status-{}", status.as_str())>{status_label(locale, status)}</span>
                // A request an article solved: recorded, but nobody worked on it.
                {s.self_help.deflected().then(|| view! { " "<span class="badge self-served">{td_string!(locale, kb.self_served)}</span> })}
                {approval.map(|(code, text)| view! { " "<span class=format!("badge approval-{code}") data-approval=code>{text}</span> })}
            </td>
            <td><span class=format!("priority priority-{}", priority.as_str())>{priority_label(locale, priority)}</span></td>
            <td>{department}{assignee.map(|who| view! { <br/><span class="muted assignee">{who}</span> })}</td>
            <td>{s.requester.clone()}</td>
            <td class="due"><DueBadge summary=s.clone() locale/></td>
            <td><time datetime=iso(updated)>{date_time(locale, updated)}</time></td>
        </tr>
    }
}

/// The most urgent open clock of a ticket: time left (or late) in business time, coloured.
#[component]
fn DueBadge(summary: TicketSummary, locale: Locale) -> impl IntoView {
    let sla = use_service_levels();
    move || {
        sla.most_urgent(&summary).map(|clock| {
            let class = format!("due-badge {}", urgency(&clock));
            view! { <span class=class data-urgency=urgency(&clock)>{badge_text(locale, &clock)}</span> }
        })
    }
}

/// Which tickets the list shows by who they are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mine {
    All,
    /// New replies, mentions and approvals waiting on this person.
    Attention,
    Assigned,
    Approvals,
}

impl Mine {
    const ALL: [Mine; 4] = [Mine::All, Mine::Attention, Mine::Assigned, Mine::Approvals];

    fn code(self) -> &'static str {
        match self {
            Mine::All => "all",
            Mine::Attention => "attention",
            Mine::Assigned => "assigned",
            Mine::Approvals => "approvals",
        }
    }

    fn parse(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|m| m.code() == code)
            .unwrap_or(Mine::All)
    }

    fn label(self, l: Locale) -> &'static str {
        match self {
            Mine::All => td_string!(l, list.show_all),
            Mine::Attention => td_string!(l, list.show_attention),
            Mine::Assigned => td_string!(l, list.show_assigned),
            Mine::Approvals => td_string!(l, list.show_approvals),
        }
    }

    fn keeps(self, row: &TicketSummary, me: &Me) -> bool {
        let attention = Attention::of(row, &me.email, &me.name);
        match self {
            Mine::All => true,
            Mine::Attention => attention.any(),
            Mine::Assigned => !me.email.is_empty() && row.involvement.assignee == me.email,
            Mine::Approvals => attention.approval,
        }
    }
}

//! Internal customers: each department's profile (what it asks for, from whom, how often, and in
//! what relation), its segment with the parts of its score, and the busiest requesters. For
//! administrators, the weights and manual segments. Every figure comes from `domain::classification`.

use super::directory::{department_name, departments_in_order, use_directory};
use super::i18n::*;
use super::labels::{relation_label, segment_label};
use super::state::{now, AppState};
use crate::domain::classification::{
    classify, person_profiles, requests_from, CustomerSettings, Override, PersonProfile, Profile,
    Segment,
};
use crate::domain::directory::{DepartmentId, Directory};
use crate::domain::Timestamp;
use leptos::prelude::*;

const DAY_MS: i64 = 24 * 3_600_000;
/// Requesters listed at most.
const TOP_PEOPLE: usize = 20;

#[component]
pub fn CustomersPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let days = RwSignal::new(90i64);
    let settings = Memo::new(move |_| state.read(|d| d.customer_settings()));
    let may_edit = Memo::new(move |_| state.read(|d| d.may_configure()));
    let window = Memo::new(move |_| {
        let to = now();
        (Timestamp(to.0 - days.get() * DAY_MS), to)
    });
    let profiles = Memo::new(move |_| {
        let (from, to) = window.get();
        let settings = settings.get();
        let requests = directory
            .with(|dir| state.read(|d| requests_from(d.rows().iter().map(|(s, _)| s), dir, to)));
        let mut profiles = classify(&requests, from, to, &settings.weights, &settings.overrides);
        profiles.sort_by(|a, b| b.score.total_cmp(&a.score));
        profiles
    });
    let people = Memo::new(move |_| {
        let (from, to) = window.get();
        directory.with(|dir| {
            state.read(|d| person_profiles(d.rows().iter().map(|(s, _)| s), dir, from, to))
        })
    });
    view! {
        <section class="customers-page">
            <div class="page-head">
                <h1>{t!(i18n, customers.title)}</h1>
                <div class="field inline">
                    <label for="customer-window">{t!(i18n, customers.window)}</label>
                    <select id="customer-window" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(90))>
                        <option value="30">{t!(i18n, customers.days_30)}</option>
                        <option value="90" selected>{t!(i18n, customers.days_90)}</option>
                        <option value="365">{t!(i18n, customers.days_365)}</option>
                    </select>
                </div>
            </div>
            <p class="hint">{t!(i18n, customers.intro)}</p>
            <ProfilesTable profiles/>
            <PeopleTable people/>
            {move || may_edit.get().then(|| view! { <WeightsForm settings/> <OverridesForm settings/> })}
        </section>
    }
}

/// Each customer department's segment over the last 90 days (department id → segment), for
/// surveys addressed to segments.
pub fn department_segments(
    state: AppState,
    directory: &Directory,
) -> std::collections::HashMap<String, Segment> {
    let settings = state.read(|d| d.customer_settings());
    let to = now();
    let from = Timestamp(to.0 - 90 * DAY_MS);
    let requests = state.read(|d| requests_from(d.rows().iter().map(|(s, _)| s), directory, to));
    classify(&requests, from, to, &settings.weights, &settings.overrides)
        .into_iter()
        .map(|p| (p.customer.0.clone(), p.segment()))
        .collect()
}

#[component]
fn ProfilesTable(profiles: Memo<Vec<Profile>>) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let rows = move || {
        let locale = i18n.get_locale();
        profiles.with(|p| {
            directory.with(|d| {
                p.iter()
                    .map(|profile| profile_row(locale, d, profile))
                    .collect_view()
            })
        })
    };
    view! {
        {move || profiles.with(Vec::is_empty).then(|| view! { <p class="empty">{t!(i18n, customers.none)}</p> })}
        <div class="table-scroll" hidden=move || profiles.with(Vec::is_empty)>
            <table class="data customers" id="customer-profiles">
                <caption>{t!(i18n, customers.departments)}</caption>
                <thead><tr>
                    <th scope="col">{t!(i18n, customers.department)}</th>
                    <th scope="col">{t!(i18n, customers.segment)}</th>
                    <th scope="col">{t!(i18n, customers.score)}</th>
                    <th scope="col">{t!(i18n, customers.requests)}</th>
                    <th scope="col">{t!(i18n, customers.per_week)}</th>
                    <th scope="col">{t!(i18n, customers.served_by)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

fn profile_row(locale: Locale, d: &Directory, p: &Profile) -> impl IntoView {
    let segment = p.segment();
    let manual = p.manual.clone().map(|o| {
        let note = td_string!(
            locale,
            customers.manual_note,
            by = o.by.clone(),
            reason = o.reason.clone(),
            computed = segment_label(locale, p.computed)
        )
        .to_string();
        view! { <p class="hint manual-note">{note}</p> }
    });
    let parts = td_string!(
        locale,
        customers.score_parts,
        function = format!("{:.2}", p.function_score),
        frequency = format!("{:.2}", p.frequency_score),
        importance = format!("{:.2}", p.importance_score)
    )
    .to_string();
    let providers = p
        .providers
        .iter()
        .map(|(provider, (count, relations))| {
            let kinds: Vec<&str> = relations
                .iter()
                .map(|r| relation_label(locale, *r))
                .collect();
            let kinds = if kinds.is_empty() {
                String::new()
            } else {
                format!(" · {}", kinds.join(" / "))
            };
            view! { <li>{department_name(d, &provider.0)}" "<strong>{*count}</strong>{kinds}</li> }
        })
        .collect_view();
    view! {
        <tr data-customer=p.customer.0.clone() data-segment=segment.as_str()>
            <th scope="row">{department_name(d, &p.customer.0)}</th>
            <td>
                <span class=format!("badge segment-{}", segment.as_str())>{segment_label(locale, segment)}</span>
                {manual.is_some().then(|| view! { <span class="manual">{td_string!(locale, customers.manual)}</span> })}
                {manual}
            </td>
            <td class="number">{format!("{:.2}", p.score)}<p class="hint">{parts}</p></td>
            <td class="number">{p.requests}</td>
            <td class="number">{format!("{:.1}", p.per_week)}</td>
            <td><ul class="plain">{providers}</ul></td>
        </tr>
    }
}

#[component]
fn PeopleTable(people: Memo<Vec<PersonProfile>>) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let rows = move || {
        people.with(|people| {
            directory.with(|d| {
                people
                    .iter()
                    .take(TOP_PEOPLE)
                    .map(|p| {
                        let department = d
                            .people
                            .get(&p.email)
                            .map(|m| department_name(d, &m.department.0))
                            .unwrap_or_default();
                        let served: Vec<String> = p
                            .providers
                            .iter()
                            .map(|(id, n)| format!("{} {n}", department_name(d, &id.0)))
                            .collect();
                        view! {
                            <tr>
                                <th scope="row">{p.name.clone()}</th>
                                <td>{department}</td>
                                <td class="number">{p.requests}</td>
                                <td>{served.join(" · ")}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <div class="table-scroll" hidden=move || people.with(Vec::is_empty)>
            <table class="data" id="customer-people">
                <caption>{t!(i18n, customers.people)}</caption>
                <thead><tr>
                    <th scope="col">{t!(i18n, customers.person)}</th>
                    <th scope="col">{t!(i18n, customers.department)}</th>
                    <th scope="col">{t!(i18n, customers.requests)}</th>
                    <th scope="col">{t!(i18n, customers.served_by)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Weights of the three parts of the score, the thresholds of the segments, which departments are
/// support departments, and how much each department's function matters.
#[component]
fn WeightsForm(settings: Memo<CustomerSettings>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let draft = RwSignal::new(settings.get_untracked().weights);
    let saved = RwSignal::new(false);
    let number = move |id: &'static str,
                       get: fn(&crate::domain::classification::Weights) -> f64,
                       set: fn(&mut crate::domain::classification::Weights, f64)| {
        view! {
            <input id=id type="number" min="0" max="1" step="0.05"
                prop:value=move || draft.with(|w| format!("{:.2}", get(w)))
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        draft.update(|w| set(w, v.clamp(0.0, 1.0)));
                    }
                }/>
        }
    };
    let departments = move || {
        directory.with(departments_in_order).into_iter().map(|(id, name, _)| {
            let support_id = id.clone();
            let value_id = id.clone();
            let key = id.clone();
            let input_id = format!("function-{}", id.0);
            view! {
                <tr>
                    <th scope="row">{name}</th>
                    <td>
                        <input type="checkbox" aria-label=move || t_string!(i18n, customers.support)
                            prop:checked=move || draft.with(|w| w.support_departments.contains(&support_id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                draft.update(|w| {
                                    w.support_departments.retain(|d| *d != id);
                                    if on { w.support_departments.push(id.clone()); }
                                });
                            }/>
                    </td>
                    <td>
                        <input id=input_id type="number" min="0" max="1" step="0.1"
                            aria-label=move || t_string!(i18n, customers.function_value)
                            prop:value=move || draft.with(|w| format!("{:.1}", w.function_value.get(&value_id).copied().unwrap_or(0.5)))
                            on:change={
                                move |ev| if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                    draft.update(|w| { w.function_value.insert(key.clone(), v.clamp(0.0, 1.0)); });
                                }
                            }/>
                    </td>
                </tr>
            }
        }).collect_view()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut next = settings.get_untracked();
        next.weights = draft.get_untracked();
        saved.set(state.save_customer_settings(&next).is_ok());
    };
    view! {
        <details class="card settings">
            <summary>{t!(i18n, customers.weights)}</summary>
            <form on:submit=submit>
                <p class="hint">{t!(i18n, customers.weights_hint)}</p>
                <div class="field-row weights">
                    <div class="field"><label for="weight-function">{t!(i18n, customers.weight_function)}</label>{number("weight-function", |w| w.function, |w, v| w.function = v)}</div>
                    <div class="field"><label for="weight-frequency">{t!(i18n, customers.weight_frequency)}</label>{number("weight-frequency", |w| w.frequency, |w, v| w.frequency = v)}</div>
                    <div class="field"><label for="weight-importance">{t!(i18n, customers.weight_importance)}</label>{number("weight-importance", |w| w.importance, |w, v| w.importance = v)}</div>
                    <div class="field"><label for="key-from">{t!(i18n, customers.key_from)}</label>{number("key-from", |w| w.key_from, |w, v| w.key_from = v)}</div>
                    <div class="field"><label for="frequent-from">{t!(i18n, customers.frequent_from)}</label>{number("frequent-from", |w| w.frequent_from, |w, v| w.frequent_from = v)}</div>
                </div>
                <div class="table-scroll">
                    <table class="data compact">
                        <thead><tr>
                            <th scope="col">{t!(i18n, customers.department)}</th>
                            <th scope="col">{t!(i18n, customers.support)}</th>
                            <th scope="col">{t!(i18n, customers.function_value)}</th>
                        </tr></thead>
                        <tbody>{departments}</tbody>
                    </table>
                </div>
                <div class="actions">
                    <button type="submit" class="button primary" id="save-weights">{t!(i18n, customers.save)}</button>
                    {move || saved.get().then(|| view! { <span role="status" class="muted">{t!(i18n, customers.saved)}</span> })}
                </div>
            </form>
        </details>
    }
}

/// A manual segment for a department, with the reason it needs; each can be removed again.
#[component]
fn OverridesForm(settings: Memo<CustomerSettings>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let department = RwSignal::new(String::new());
    let segment = RwSignal::new(Segment::Key);
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<&'static str>);
    let me = state.read_untracked(|d| d.profile().map(|p| p.name).unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let locale = i18n.get_locale_untracked();
        if department.get_untracked().is_empty() {
            error.set(Some(td_string!(locale, customers.pick_department)));
            return;
        }
        match Override::new(segment.get_untracked(), &reason.get_untracked(), &me, now()) {
            Ok(manual) => {
                let mut next = settings.get_untracked();
                next.overrides
                    .insert(DepartmentId(department.get_untracked()), manual);
                let _ = state.save_customer_settings(&next);
                reason.set(String::new());
                error.set(None);
            }
            Err(_) => error.set(Some(td_string!(locale, customers.reason_missing))),
        }
    };
    let remove = move |id: DepartmentId| {
        let mut next = settings.get_untracked();
        next.overrides.remove(&id);
        let _ = state.save_customer_settings(&next);
    };
    let current = move || {
        let locale = i18n.get_locale();
        settings.with(|s| {
            directory.with(|d| {
                s.overrides.iter().map(|(id, o)| {
                    let id = id.clone();
                    let name = department_name(d, &id.0);
                    let label = td_string!(locale, customers.remove_manual, name = name.clone()).to_string();
                    view! {
                        <li>
                            <strong>{name}</strong>" · "{segment_label(locale, o.segment)}" — "{o.reason.clone()}
                            " "<button type="button" class="link" aria-label=label on:click=move |_| remove(id.clone())>
                                {td_string!(locale, customers.remove)}
                            </button>
                        </li>
                    }
                }).collect_view()
            })
        })
    };
    view! {
        <details class="card settings">
            <summary>{t!(i18n, customers.manual_title)}</summary>
            <ul class="plain overrides">{current}</ul>
            <form on:submit=submit novalidate>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert" id="override-error">{e}</p> })}
                <div class="field-row">
                    <div class="field">
                        <label for="override-department">{t!(i18n, customers.department)}</label>
                        <select id="override-department" on:change=move |ev| department.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, directory.choose)}</option>
                            {move || directory.with(departments_in_order).into_iter().map(|(id, name, _)| view! {
                                <option value=id.0>{name}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="override-segment">{t!(i18n, customers.segment)}</label>
                        <select id="override-segment" on:change=move |ev| segment.set(Segment::parse(&event_target_value(&ev)).unwrap_or(Segment::Key))>
                            {Segment::ALL.into_iter().map(|s| view! {
                                <option value=s.as_str()>{move || segment_label(i18n.get_locale(), s)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                </div>
                <div class="field">
                    <label for="override-reason">{t!(i18n, customers.reason)}</label>
                    <textarea id="override-reason" rows="2" bind:value=reason></textarea>
                </div>
                <button type="submit" class="button primary" id="save-override">{t!(i18n, customers.set_manual)}</button>
            </form>
        </details>
    }
}

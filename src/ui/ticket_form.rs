//! Filing a new ticket. Validation is the domain's; this form only shows its verdict next to each field.
//! With a directory, the requester is picked from it (by name, pinyin, initials or email) and the
//! serving department is one of its departments, whose queue the relay's access rules use.

use super::catalog_messages::answer_problem;
use super::directory::{department_name, use_directory, DepartmentInput};
use super::i18n::*;
use super::knowledge::{take_prefill, Suggestions};
use super::labels::priority_label;
use super::route::{navigate, Route};
use super::service_levels::use_service_levels;
use super::state::AppState;
use crate::domain::catalog::{AnswerProblem, FieldKind, Service};
use crate::domain::knowledge::SelfHelp;
use crate::domain::people_search::DirectorySearch;
use crate::domain::DocumentId;
use crate::domain::{DraftError, Priority, TicketDraft};
use crate::store::desk::CreateError;
use leptos::prelude::*;
use std::collections::BTreeMap;

#[component]
pub fn TicketForm(
    /// The catalog service requested, if the form was opened from the catalog.
    service: Option<DocumentId>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let sla = use_service_levels();
    let me = state.read_untracked(|d| d.profile()).unwrap_or_default();
    let service = service.and_then(|id| {
        sla.catalog
            .with_untracked(|c| c.services.get(&id.to_string()).cloned())
    });
    let chinese = i18n.get_locale_untracked() == Locale::zh_CN;
    let prefill = take_prefill();
    let title = RwSignal::new(match &prefill {
        Some(p) => p.title.clone(),
        None => service
            .as_ref()
            .map(|s| s.name.show(chinese).to_string())
            .unwrap_or_default(),
    });
    let description = RwSignal::new(String::new());
    let directory = use_directory();
    let has_directory = directory.with_untracked(|d| !d.departments.is_empty());
    // Filing for oneself is the common case: start with the signed-in person, if the directory knows them.
    let myself = me
        .account
        .as_ref()
        .and_then(|a| directory.with_untracked(|d| d.people.get(&a.email).cloned()));
    let requester = RwSignal::new(me.name);
    let requester_email =
        RwSignal::new(myself.as_ref().map(|p| p.email.clone()).unwrap_or_default());
    let customer_department = RwSignal::new(myself.map(|p| p.department.0).unwrap_or_default());
    let department = RwSignal::new(
        service
            .as_ref()
            .map(|s| s.queue.0.clone())
            .or(prefill.map(|p| p.department))
            .unwrap_or_default(),
    );
    let suggested = RwSignal::new(0u32);
    let category = RwSignal::new(String::new());
    let priority = RwSignal::new(service.as_ref().map_or(Priority::Normal, |s| s.priority));
    let errors = RwSignal::new(Vec::<DraftError>::new());
    let answers = RwSignal::new(BTreeMap::<String, String>::new());
    let answer_errors = RwSignal::new(Vec::<(String, AnswerProblem)>::new());
    let asked = service.clone();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let checked = match &asked {
            Some(s) => directory.with_untracked(|d| s.check_answers(&answers.get_untracked(), d)),
            None => Ok(BTreeMap::new()),
        };
        let clean = match checked {
            Ok(clean) => {
                answer_errors.set(Vec::new());
                clean
            }
            Err(problems) => {
                if let Some((key, _)) = problems.first() {
                    focus(&format!("answer-{key}"));
                }
                answer_errors.set(problems);
                return;
            }
        };
        let draft = TicketDraft {
            title: title.get(),
            description: description.get(),
            requester: requester.get(),
            requester_email: requester_email.get(),
            customer_department: customer_department.get(),
            department: department.get(),
            category: category.get(),
            priority: priority.get(),
            service: asked.as_ref().map(|s| s.id.clone()).unwrap_or_default(),
            answers: clean,
            follow_up_of: None,
            self_help: SelfHelp {
                solved_by: None,
                suggested: suggested.get(),
            },
        };
        match state.create_ticket(&draft) {
            Ok(id) => navigate(Route::Ticket(id)),
            Err(CreateError::Invalid(found)) => {
                let first = found.first().map(field_of);
                errors.set(found);
                if let Some(field) = first {
                    focus(field);
                }
            }
            Err(_) => navigate(Route::Profile),
        }
    };
    // An article solved it: the request is recorded as solved by it, not filed.
    let solved = Callback::new(move |article: DocumentId| {
        let draft = TicketDraft {
            title: title.get_untracked(),
            description: description.get_untracked(),
            requester: requester.get_untracked(),
            requester_email: requester_email.get_untracked(),
            customer_department: customer_department.get_untracked(),
            self_help: SelfHelp {
                solved_by: None,
                suggested: suggested.get_untracked(),
            },
            ..Default::default()
        };
        if let Ok(id) = state.record_self_service(&draft, article) {
            navigate(Route::Ticket(id));
        }
    });
    let error_for = move |field: &'static str| {
        move || {
            errors.with(|es| {
                es.iter()
                    .find(|e| field_of(e) == field)
                    .map(|e| message(i18n.get_locale(), e))
            })
        }
    };
    let invalid = move |field: &'static str| {
        move || {
            errors
                .with(|es| es.iter().any(|e| field_of(e) == field))
                .to_string()
        }
    };

    view! {
        <section class="card">
            {match service.clone() {
                Some(s) => view! {
                    <h1>{s.name.show(chinese).to_string()}</h1>
                    <p class="muted">{s.description.show(chinese).to_string()}</p>
                }.into_any(),
                None => view! { <h1>{t!(i18n, form.title)}</h1> }.into_any(),
            }}
            <form on:submit=submit novalidate>
                {move || (!errors.with(Vec::is_empty)).then(|| view! {
                    <p class="form-error" role="alert">{t!(i18n, form.errors_summary)}</p>
                })}
                <div class="field">
                    <label for="ticket-title">{t!(i18n, form.subject)}</label>
                    <input id="ticket-title" bind:value=title aria-invalid=invalid("ticket-title")
                        aria-describedby="ticket-title-error"/>
                    <p id="ticket-title-error" class="field-error">{error_for("ticket-title")}</p>
                </div>
                <div class="field">
                    <label for="ticket-description">{t!(i18n, form.description)}</label>
                    <textarea id="ticket-description" rows="6" bind:value=description
                        aria-invalid=invalid("ticket-description")
                        aria-describedby="ticket-description-hint ticket-description-error"></textarea>
                    <p id="ticket-description-hint" class="hint">{t!(i18n, form.description_hint)}</p>
                    <p id="ticket-description-error" class="field-error">{error_for("ticket-description")}</p>
                </div>
                <Suggestions title description shown=suggested solved/>
                <div class="field-row">
                    <div class="field">
                        <label for="ticket-requester">{t!(i18n, form.requester)}</label>
                        <input id="ticket-requester" bind:value=requester aria-invalid=invalid("ticket-requester")
                            autocomplete="off" aria-describedby="ticket-requester-picked ticket-requester-error"
                            on:input=move |_| { requester_email.set(String::new()); customer_department.set(String::new()); }/>
                        {has_directory.then(|| view! { <RequesterPicker requester requester_email customer_department/> })}
                        <p id="ticket-requester-error" class="field-error">{error_for("ticket-requester")}</p>
                    </div>
                    <div class="field">
                        <label for="ticket-department">{t!(i18n, form.department)}</label>
                        <DepartmentInput id="ticket-department" value=department invalid=Signal::derive(invalid("ticket-department"))
                            described_by="ticket-department-hint ticket-department-error"/>
                        {(!has_directory).then(|| view! {
                            <p id="ticket-department-hint" class="hint">{t!(i18n, form.department_hint)}</p>
                        })}
                        <p id="ticket-department-error" class="field-error">{error_for("ticket-department")}</p>
                    </div>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="ticket-category">{t!(i18n, form.category)}</label>
                        <input id="ticket-category" bind:value=category/>
                    </div>
                    <div class="field">
                        <label for="ticket-priority">{t!(i18n, form.priority)}</label>
                        <select id="ticket-priority" prop:value=move || priority.get().as_str()
                            on:change=move |ev| priority.set(Priority::parse(&event_target_value(&ev)).unwrap_or(Priority::Normal))>
                            {Priority::ALL.into_iter().map(|p| view! {
                                <option value=p.as_str() selected=p == Priority::Normal>{move || priority_label(i18n.get_locale(), p)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                </div>
                {service.map(|s| view! { <Questions service=s answers problems=answer_errors/> })}
                <div class="actions">
                    <button type="submit" class="button primary">{t!(i18n, form.submit)}</button>
                    <a class="button" href=Route::Tickets.href()>{t!(i18n, form.cancel)}</a>
                </div>
            </form>
        </section>
    }
}

/// People from the directory matching what was typed as the requester; picking one fills in their
/// email and department.
#[component]
fn RequesterPicker(
    requester: RwSignal<String>,
    requester_email: RwSignal<String>,
    customer_department: RwSignal<String>,
) -> impl IntoView {
    const SHOWN: usize = 8;
    let i18n = use_i18n();
    let directory = use_directory();
    let search = Memo::new(move |_| directory.with(DirectorySearch::new));
    let matches = Memo::new(move |_| {
        if !requester_email.with(String::is_empty) {
            return Vec::new();
        }
        let query = requester.get();
        if query.trim().is_empty() {
            return Vec::new();
        }
        let emails = search.with(|s| s.people(&query, SHOWN));
        directory.with(|d| {
            emails
                .iter()
                .filter_map(|e| d.people.get(e))
                .map(|p| (p.clone(), department_name(d, &p.department.0)))
                .collect::<Vec<_>>()
        })
    });
    let picked = move || {
        let email = requester_email.get();
        if email.is_empty() {
            return t_string!(i18n, form.requester_hint).to_string();
        }
        let department = directory.with(|d| department_name(d, &customer_department.get()));
        format!("{} · {email} · {department}", requester.get())
    };
    view! {
        <p id="ticket-requester-picked" class="hint" aria-live="polite">{picked}</p>
        <ul class="picker" id="requester-options" aria-label=move || t_string!(i18n, form.requester_matches)
            hidden=move || matches.with(Vec::is_empty)>
            <For each=move || matches.get() key=|(p, _)| p.email.clone() let((person, department))>
                {
                    let label = format!("{} · {department} · {}", person.name, person.email);
                    view! {
                        <li>
                            <button type="button" class="option" on:click=move |_| {
                                requester.set(person.name.clone());
                                requester_email.set(person.email.clone());
                                customer_department.set(person.department.0.clone());
                            }>{label}</button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

/// The questions of a catalog service's request form, each with its own error.
#[component]
fn Questions(
    service: Service,
    answers: RwSignal<BTreeMap<String, String>>,
    problems: RwSignal<Vec<(String, AnswerProblem)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let chinese = move || i18n.get_locale() == Locale::zh_CN;
    let people = directory.with_untracked(|d| {
        d.people
            .values()
            .map(|p| (p.email.clone(), p.name.clone()))
            .collect::<Vec<_>>()
    });
    service
        .fields
        .into_iter()
        .map(|field| {
            let id = format!("answer-{}", field.key);
            let error_id = format!("{id}-error");
            let key = field.key.clone();
            let problem_key = field.key.clone();
            let problem = Memo::new(move |_| {
                problems.with(|ps| {
                    ps.iter()
                        .find(|(k, _)| *k == problem_key)
                        .map(|(_, p)| answer_problem(i18n.get_locale(), p))
                })
            });
            let invalid = move || problem.get().is_some().to_string();
            let set = move |ev: leptos::ev::Event| {
                let value = event_target_value(&ev);
                answers.update(|a| {
                    a.insert(key.clone(), value);
                });
            };
            let label = field.label.clone();
            let required = field.required;
            let input = match &field.kind {
                FieldKind::Choice(choices) => view! {
                    <select id=id.clone() on:change=set aria-invalid=invalid aria-describedby=error_id.clone()>
                        <option value="">{t!(i18n, directory.choose)}</option>
                        {choices.iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                }.into_any(),
                FieldKind::Person => {
                    let list = format!("{id}-people");
                    view! {
                        <input id=id.clone() type="email" list=list.clone() on:change=set aria-invalid=invalid aria-describedby=error_id.clone()/>
                        <datalist id=list>{people.iter().map(|(e, n)| view! { <option value=e.clone()>{n.clone()}</option> }).collect_view()}</datalist>
                    }.into_any()
                }
                kind => {
                    let kind = match kind {
                        FieldKind::Number => "number",
                        FieldKind::Date => "date",
                        _ => "text",
                    };
                    view! { <input id=id.clone() type=kind on:change=set aria-invalid=invalid aria-describedby=error_id.clone()/> }.into_any()
                }
            };
            view! {
                <div class="field">
                    <label for=id.clone()>
                        {move || label.show(chinese()).to_string()}
                        {required.then(|| view! { <span class="hint">" "{t!(i18n, request.required)}</span> })}
                    </label>
                    {input}
                    <p id=error_id.clone() class="field-error">{problem}</p>
                </div>
            }
        })
        .collect_view()
}

/// The id of the input a draft error belongs to.
fn field_of(e: &DraftError) -> &'static str {
    match e {
        DraftError::TitleMissing | DraftError::TitleTooLong => "ticket-title",
        DraftError::DescriptionTooLarge => "ticket-description",
        DraftError::RequesterMissing => "ticket-requester",
        DraftError::DepartmentMissing => "ticket-department",
    }
}

fn message(l: Locale, e: &DraftError) -> &'static str {
    match e {
        DraftError::TitleMissing => td_string!(l, form.title_missing),
        DraftError::TitleTooLong => td_string!(l, form.title_too_long),
        DraftError::DescriptionTooLarge => td_string!(l, form.description_too_large),
        DraftError::RequesterMissing => td_string!(l, form.requester_missing),
        DraftError::DepartmentMissing => td_string!(l, form.department_missing),
    }
}

fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = document().get_element_by_id(id) {
        let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}

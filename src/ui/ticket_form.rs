//! Filing a new ticket. Validation is the domain's; this form only shows its verdict next to each field.

use super::i18n::*;
use super::labels::priority_label;
use super::route::{navigate, Route};
use super::state::AppState;
use crate::domain::{DraftError, Priority, TicketDraft};
use crate::store::desk::CreateError;
use leptos::prelude::*;

#[component]
pub fn TicketForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let me = state.read_untracked(|d| d.profile()).unwrap_or_default();
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let requester = RwSignal::new(me.name);
    let department = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let priority = RwSignal::new(Priority::Normal);
    let errors = RwSignal::new(Vec::<DraftError>::new());
    let departments = state.read_untracked(|d| d.departments());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = TicketDraft {
            title: title.get(),
            description: description.get(),
            requester: requester.get(),
            department: department.get(),
            category: category.get(),
            priority: priority.get(),
            ..Default::default()
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
            <h1>{t!(i18n, form.title)}</h1>
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
                <div class="field-row">
                    <div class="field">
                        <label for="ticket-requester">{t!(i18n, form.requester)}</label>
                        <input id="ticket-requester" bind:value=requester aria-invalid=invalid("ticket-requester")
                            aria-describedby="ticket-requester-error"/>
                        <p id="ticket-requester-error" class="field-error">{error_for("ticket-requester")}</p>
                    </div>
                    <div class="field">
                        <label for="ticket-department">{t!(i18n, form.department)}</label>
                        <input id="ticket-department" list="known-departments" bind:value=department
                            aria-invalid=invalid("ticket-department")
                            aria-describedby="ticket-department-hint ticket-department-error"/>
                        <datalist id="known-departments">
                            {departments.into_iter().map(|d| view! { <option value=d/> }).collect_view()}
                        </datalist>
                        <p id="ticket-department-hint" class="hint">{t!(i18n, form.department_hint)}</p>
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
                <div class="actions">
                    <button type="submit" class="button primary">{t!(i18n, form.submit)}</button>
                    <a class="button" href=Route::Tickets.href()>{t!(i18n, form.cancel)}</a>
                </div>
            </form>
        </section>
    }
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

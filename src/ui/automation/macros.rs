//! The canned reply editor: a name, the text with its variables, public or internal, and the
//! status the ticket moves to when the reply is sent.

use super::super::i18n::*;
use super::super::labels::status_label;
use super::super::state::{new_id, AppState};
use super::messages::template_error;
use super::{save, Outcome};
use crate::domain::automation::template::VARIABLES;
use crate::domain::automation::Macro;
use crate::domain::{Status, Visibility};
use leptos::prelude::*;

#[component]
pub fn MacroEditor(existing: Option<Macro>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let is_new = existing.is_none();
    let canned = existing.unwrap_or(Macro {
        id: new_id().to_string(),
        name: String::new(),
        body: String::new(),
        visibility: Visibility::Public,
        set_status: None,
    });
    // The form for a new one has its own ids: once saved, the same macro is also listed above.
    let prefix = match !is_new {
        true => format!("macro-{}", &canned.id[..8.min(canned.id.len())]),
        false => "macro-new".to_string(),
    };
    let name = RwSignal::new(canned.name.clone());
    let body = RwSignal::new(canned.body.clone());
    let public = RwSignal::new(canned.visibility == Visibility::Public);
    let status = RwSignal::new(
        canned
            .set_status
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    );
    let outcome = RwSignal::new(None::<Result<(), Vec<String>>>);
    let id = RwSignal::new(canned.id.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let canned = Macro {
            id: id.get_untracked(),
            name: name.get_untracked(),
            body: body.get_untracked(),
            visibility: if public.get_untracked() {
                Visibility::Public
            } else {
                Visibility::Internal
            },
            set_status: Status::parse(&status.get_untracked()),
        };
        let mut automation = state.read_untracked(|d| d.automation().0);
        match automation.put_macro(canned) {
            Ok(()) => {
                if save(state, &automation, outcome) && is_new {
                    id.set(new_id().to_string());
                    name.set(String::new());
                    body.set(String::new());
                }
            }
            Err(e) => outcome.set(Some(Err(vec![template_error(l, &e)]))),
        }
    };
    let f = move |part: &str| format!("{prefix}-{part}");
    let variables = VARIABLES
        .iter()
        .map(|(en, zh)| format!("{{{{{en}}}}} / {{{{{zh}}}}}"))
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <form class="macro-editor" on:submit=submit novalidate>
            <Outcome outcome/>
            <div class="field-row">
                <div class="field"><label for=f("name")>{t!(i18n, automation.macro_name)}</label>
                    <input id=f("name") bind:value=name/></div>
                <div class="field"><label for=f("status")>{t!(i18n, automation.macro_status)}</label>
                    <select id=f("status") on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, automation.macro_no_status)}</option>
                        {Status::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=s.as_str() == status.get_untracked()>{move || status_label(i18n.get_locale(), s)}</option>
                        }).collect_view()}
                    </select></div>
            </div>
            <div class="field"><label for=f("body")>{t!(i18n, automation.macro_body)}</label>
                <textarea id=f("body") rows="4" bind:value=body aria-describedby=f("vars")></textarea>
                <p class="hint" id=f("vars")>{t!(i18n, automation.variables)}" "<code>{variables}</code></p></div>
            <div class="choice">
                <label><input type="checkbox" id=f("public") prop:checked=move || public.get()
                    on:change=move |ev| public.set(event_target_checked(&ev))/>{t!(i18n, automation.macro_public)}</label>
            </div>
            <button type="submit" class="button primary">{t!(i18n, automation.save_macro)}</button>
        </form>
    }
}

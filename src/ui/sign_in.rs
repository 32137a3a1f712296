//! Signing in to the organisation's relay with the link an administrator sends: once per device,
//! after which the page keeps working offline and syncs whenever it can.

use super::i18n::*;
use super::route::{navigate, Route};
use super::state::AppState;
use super::sync::{self, token_in_link, SignInError};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Idle,
    Working,
    Done { name: String, department: String },
    Failed(SignInError),
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let entered = RwSignal::new(String::new());
    let progress = RwSignal::new(Progress::Idle);
    let attempt = move |text: String| {
        let token = token_in_link(
            text.rsplit_once('#')
                .map_or(text.as_str(), |(_, hash)| hash),
        )
        .unwrap_or_else(|| text.trim().to_string());
        if token.is_empty() {
            return;
        }
        progress.set(Progress::Working);
        spawn_local(async move {
            progress.set(match sync::sign_in(state, &token).await {
                Ok(session) => Progress::Done {
                    name: session.person.name,
                    department: session.person.department,
                },
                Err(e) => Progress::Failed(e),
            });
        });
    };
    // Opened from a sign-in link: take the token out of the address (so it stays out of history
    // and screenshots) and sign in at once.
    let hash = window().location().hash().unwrap_or_default();
    if let Some(token) = token_in_link(&hash) {
        if let Ok(history) = window().history() {
            let _ =
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("#/signin"));
        }
        attempt(token);
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempt(entered.get());
    };
    let outcome = move || {
        match progress.get() {
        Progress::Idle => None,
        Progress::Working => Some(view! { <p class="muted" aria-busy="true">{t!(i18n, sign_in.working)}</p> }.into_any()),
        Progress::Done { name, department } => Some(view! {
            <div class="notice success" role="status" data-signed-in="true">
                <p>{td_string!(i18n.get_locale(), sign_in.done, name = name, department = department)}</p>
                <button type="button" class="button primary" on:click=move |_| navigate(Route::Tickets)>
                    {t!(i18n, sign_in.continue_to_tickets)}
                </button>
            </div>
        }.into_any()),
        Progress::Failed(e) => Some(view! {
            <p class="field-error" role="alert">{move || match e {
                SignInError::Refused => t_string!(i18n, sign_in.refused),
                SignInError::Unreachable => t_string!(i18n, sign_in.unreachable),
                SignInError::Storage => t_string!(i18n, sign_in.storage),
            }}</p>
        }.into_any()),
    }
    };
    view! {
        <section class="card narrow">
            <h1>{t!(i18n, sign_in.title)}</h1>
            <p class="muted">{t!(i18n, sign_in.intro)}</p>
            {move || (!matches!(progress.get(), Progress::Done { .. })).then(|| view! {
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="sign-in-token">{t!(i18n, sign_in.label)}</label>
                    <input id="sign-in-token" autocomplete="off" spellcheck="false" bind:value=entered
                        aria-describedby="sign-in-hint"/>
                    <p id="sign-in-hint" class="muted small">{t!(i18n, sign_in.hint)}</p>
                </div>
                <button type="submit" class="button primary"
                    disabled=move || progress.get() == Progress::Working>
                    {t!(i18n, sign_in.submit)}
                </button>
            </form>
            })}
            {outcome}
        </section>
    }
}

//! Signing in to the organisation's relay with the link an administrator sends: once per device,
//! after which the page keeps working offline and syncs whenever it can.
//!
//! A link that would make a device signed in as one person someone else's (one planted in a
//! message, say) first says who each is and what becomes of the work not yet sent, and waits to
//! be told.

use super::format::date_time;
use super::i18n::*;
use super::route::{navigate, Route};
use super::state::AppState;
use super::sync::{self, token_in_link, SignInError};
use crate::domain::Timestamp;
use crate::sync::SpentLink;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Idle,
    Working,
    /// The token is someone else's than the person this device is signed in as.
    Confirm(Switch),
    Done {
        name: String,
        department: String,
    },
    Failed(SignInError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Switch {
    token: String,
    current: String,
    name: String,
    department: String,
    /// Documents with changes the relay has not confirmed.
    unsent: usize,
}

/// Signs in with a token and says how it went.
async fn finish(state: AppState, token: &str) -> Progress {
    match sync::sign_in(state, token).await {
        Ok(session) => Progress::Done {
            name: session.person.name,
            department: session.person.department,
        },
        Err(e) => Progress::Failed(e),
    }
}

/// Signs in, or asks first when the token belongs to someone other than the person signed in.
async fn sign_in_or_ask(state: AppState, token: String) -> Progress {
    let current = state.read_untracked(|d| d.profile().filter(|p| p.account.is_some()));
    let Some(current) = current else {
        return finish(state, &token).await;
    };
    match sync::who(&token).await {
        Err(e) => Progress::Failed(e),
        Ok(session) if current.account.as_ref().map(|a| &a.person) == Some(&session.person.id) => {
            finish(state, &token).await
        }
        Ok(session) => Progress::Confirm(Switch {
            token,
            current: current.name,
            name: session.person.name,
            department: session.person.department,
            unsent: state.unsent(),
        }),
    }
}

/// Why signing in failed, in the person's words.
fn failure_text(l: Locale, e: &SignInError) -> String {
    let on = |at: i64| date_time(l, Timestamp(at.saturating_mul(1000)));
    match e {
        SignInError::Refused => td_string!(l, sign_in.refused).to_string(),
        SignInError::Unreachable => td_string!(l, sign_in.unreachable).to_string(),
        SignInError::Storage => td_string!(l, sign_in.storage).to_string(),
        SignInError::Spent(SpentLink::Used { at, device }) => {
            td_string!(l, sign_in.used, date = on(*at), device = device.clone()).to_string()
        }
        SignInError::Spent(SpentLink::Expired { at }) => {
            td_string!(l, sign_in.expired, date = on(*at)).to_string()
        }
        SignInError::Spent(SpentLink::Replaced { at }) => {
            td_string!(l, sign_in.replaced, date = on(*at)).to_string()
        }
        SignInError::Spent(SpentLink::Revoked { at }) => {
            td_string!(l, sign_in.withdrawn, date = on(*at)).to_string()
        }
    }
}

/// Names the refusal for tests and styles.
fn refusal_code(e: &SignInError) -> &'static str {
    match e {
        SignInError::Refused => "refused",
        SignInError::Unreachable => "unreachable",
        SignInError::Storage => "storage",
        SignInError::Spent(SpentLink::Used { .. }) => "used",
        SignInError::Spent(SpentLink::Expired { .. }) => "expired",
        SignInError::Spent(SpentLink::Replaced { .. }) => "replaced",
        SignInError::Spent(SpentLink::Revoked { .. }) => "withdrawn",
    }
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
        spawn_local(async move { progress.set(sign_in_or_ask(state, token).await) });
    };
    let switch = move |token: String| {
        progress.set(Progress::Working);
        spawn_local(async move {
            let signed_in = finish(state, &token).await;
            if matches!(signed_in, Progress::Done { .. }) {
                // Everything in memory was the other person's: start afresh as the new one.
                let location = window().location();
                let _ = location.set_hash("#/");
                let _ = location.reload();
            }
            progress.set(signed_in);
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
        Progress::Confirm(s) => Some(confirm_switch(s, progress, switch).into_any()),
        Progress::Done { name, department } => Some(view! {
            <div class="notice success" role="status" data-signed-in="true">
                <p>{td_string!(i18n.get_locale(), sign_in.done, name = name, department = department)}</p>
                <button type="button" class="button primary" on:click=move |_| navigate(Route::Tickets)>
                    {t!(i18n, sign_in.continue_to_tickets)}
                </button>
            </div>
        }.into_any()),
        Progress::Failed(e) => Some({
            let code = refusal_code(&e);
            view! {
            <p class="field-error" role="alert" data-refused=code>
                {move || failure_text(i18n.get_locale(), &e)}
            </p>
        }}.into_any()),
    }
    };
    view! {
        <section class="card narrow">
            <h1>{t!(i18n, sign_in.title)}</h1>
            <p class="muted">{t!(i18n, sign_in.intro)}</p>
            {move || (!matches!(progress.get(), Progress::Done { .. } | Progress::Confirm(_))).then(|| view! {
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

/// Says who the device belongs to and who the link would make it belong to, and what happens to
/// unsent work; staying is the first choice, and has the focus.
fn confirm_switch(
    s: Switch,
    progress: RwSignal<Progress>,
    switch: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let Switch {
        token,
        current,
        name,
        department,
        unsent,
    } = s;
    let (title_name, keep_name) = (current.clone(), current);
    let (explain_name, unsent_name, confirm_name) = (name.clone(), name.clone(), name);
    let unsent_text = move || {
        let l = i18n.get_locale();
        if unsent > 0 {
            td_string!(
                l,
                sign_in.switch_unsent,
                documents = unsent,
                name = unsent_name.clone()
            )
        } else {
            td_string!(l, sign_in.switch_all_sent).to_string()
        }
    };
    let stay = move |_| {
        progress.set(Progress::Idle);
        navigate(Route::Tickets);
    };
    let stay_button = NodeRef::<leptos::html::Button>::new();
    stay_button.on_load(|button| {
        let _ = button.focus();
    });
    let has_unsent = unsent > 0;
    view! {
        <div class="notice warning" role="alertdialog" aria-labelledby="switch-title"
            aria-describedby="switch-explain switch-unsent" data-switch=unsent.to_string()>
            <h2 id="switch-title">
                {move || td_string!(i18n.get_locale(), sign_in.switch_title, current = title_name.clone())}
            </h2>
            <p id="switch-explain">
                {move || td_string!(i18n.get_locale(), sign_in.switch_explain,
                    name = explain_name.clone(), department = department.clone())}
            </p>
            <p id="switch-unsent" class:field-error=has_unsent>{unsent_text}</p>
            <div class="actions">
                <button type="button" class="button primary" id="switch-stay" node_ref=stay_button on:click=stay>
                    {move || td_string!(i18n.get_locale(), sign_in.switch_keep, current = keep_name.clone())}
                </button>
                <button type="button" class="button" id="switch-confirm"
                    on:click=move |_| switch(token.clone())>
                    {move || td_string!(i18n.get_locale(), sign_in.switch_confirm, name = confirm_name.clone())}
                </button>
            </div>
        </div>
    }
}

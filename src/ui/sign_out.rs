//! Signing out of this device: the relay revokes the device, and everything the page keeps on it
//! is deleted. Work the relay has not received yet would be lost, so the page says how much and
//! lets the person wait for it to sync.

use super::i18n::*;
use super::state::AppState;
use super::sync;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Idle,
    Confirming,
    Working,
}

#[component]
pub fn SignOut() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let step = RwSignal::new(Step::Idle);
    let unsent = Memo::new(move |_| state.unsent());
    let confirm_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move || {
        if step.get() == Step::Confirming {
            if let Some(button) = confirm_ref.get() {
                let _ = button.focus();
            }
        }
    });
    let sign_out = move |_| {
        step.set(Step::Working);
        spawn_local(sync::sign_out(state));
    };
    let confirmation = move || {
        let waiting = unsent.get();
        view! {
            <div class="notice warning" role="alertdialog" aria-labelledby="sign-out-question">
                <p id="sign-out-question">{move || if waiting > 0 {
                    td_string!(i18n.get_locale(), sign_out.unsent, documents = waiting).to_string()
                } else {
                    t_string!(i18n, sign_out.intro).to_string()
                }}</p>
                <div class="button-row">
                    {(waiting > 0).then(|| view! {
                        <button type="button" class="button primary" id="sign-out-wait" node_ref=confirm_ref
                            on:click=move |_| step.set(Step::Idle)>
                            {t!(i18n, sign_out.wait)}
                        </button>
                        <button type="button" class="button danger" id="sign-out-anyway" on:click=sign_out>
                            {t!(i18n, sign_out.anyway)}
                        </button>
                    })}
                    {(waiting == 0).then(|| view! {
                        <button type="button" class="button danger" id="sign-out-confirm" node_ref=confirm_ref
                            on:click=sign_out>
                            {t!(i18n, sign_out.confirm)}
                        </button>
                        <button type="button" class="button" id="sign-out-cancel"
                            on:click=move |_| step.set(Step::Idle)>
                            {t!(i18n, sign_out.cancel)}
                        </button>
                    })}
                </div>
            </div>
        }
    };
    view! {
        <section class="card sign-out" aria-labelledby="sign-out-title">
            <h2 id="sign-out-title">{t!(i18n, sign_out.title)}</h2>
            {move || match step.get() {
                Step::Idle => view! {
                    <p class="muted">{t!(i18n, sign_out.intro)}</p>
                    <button type="button" class="button" id="sign-out" on:click=move |_| step.set(Step::Confirming)>
                        {t!(i18n, sign_out.button)}
                    </button>
                }.into_any(),
                Step::Confirming => confirmation().into_any(),
                Step::Working => view! { <p class="muted" aria-busy="true">{t!(i18n, sign_out.working)}</p> }.into_any(),
            }}
        </section>
    }
}

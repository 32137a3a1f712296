//! Storage warnings: shown until dismissed, or (for save failures) until saving succeeds again.

use super::i18n::*;
use super::state::{AppState, Notice, SaveState};
use crate::storage::StorageError;
use leptos::prelude::*;

#[component]
pub fn Banners() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let save_problem = move || match state.save.get() {
        SaveState::Failed(StorageError::QuotaExceeded) => Some(t_string!(i18n, banner.quota)),
        SaveState::Failed(_) => Some(t_string!(i18n, banner.write_failed)),
        _ => None,
    };
    let notice_text = move |n: &Notice| match n {
        Notice::StorageUnavailable => t_string!(i18n, banner.storage_unavailable).to_string(),
        Notice::Damaged(problems) => {
            let what = problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            t_string!(i18n, banner.corrupt, what).to_string()
        }
        Notice::Refused(title) => {
            t_string!(i18n, banner.refused, title = title.clone()).to_string()
        }
    };
    view! {
        <div class="banners">
            {move || save_problem().map(|text| view! { <p class="banner warn" role="alert">{text}</p> })}
            {move || {
                state.notices.get().into_iter().enumerate().map(|(i, n)| view! {
                    <p class="banner warn" role="alert" data-notice=format!("{n:?}")>
                        <span>{notice_text(&n)}</span>
                        <button type="button" class="link" on:click=move |_| state.notices.update(|v| { v.remove(i); })>
                            {t!(i18n, banner.dismiss)}
                        </button>
                    </p>
                }).collect_view()
            }}
        </div>
    }
}

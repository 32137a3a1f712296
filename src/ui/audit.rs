//! For admins: the relay's audit trail of a ticket (who delivered which change, and when), as CSV.

use super::files::save_file;
use super::i18n::*;
use super::state::AppState;
use super::sync;
use crate::domain::DocumentId;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn AuditDownload(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let is_admin = move || state.is_admin();
    let failed = RwSignal::new(false);
    let download = move |_| {
        spawn_local(async move {
            match sync::audit_csv(state, id).await {
                Some(csv) => {
                    failed.set(false);
                    save_file(&format!("audit-{}.csv", id.short_code()), &csv);
                }
                None => failed.set(true),
            }
        });
    };
    move || {
        is_admin().then(|| view! {
            <p class="audit">
                <button type="button" class="button" on:click=download>{t!(i18n, detail.audit_download)}</button>
                {move || failed.get().then(|| view! {
                    <span class="field-error" role="alert">{t!(i18n, detail.audit_failed)}</span>
                })}
            </p>
        })
    }
}

//! For admins: the relay's audit trail of a ticket (who delivered which change, and when), as CSV.

use super::i18n::*;
use super::state::AppState;
use super::sync;
use crate::access::Role;
use crate::domain::DocumentId;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

#[component]
pub fn AuditDownload(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let is_admin = move || {
        state.read(|d| {
            d.profile()
                .and_then(|p| p.account)
                .is_some_and(|a| a.role == Role::Admin)
        })
    };
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

/// Offers text to the browser as a downloaded file.
fn save_file(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(link) = document().create_element("a") {
        let link: web_sys::HtmlAnchorElement = link.unchecked_into();
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

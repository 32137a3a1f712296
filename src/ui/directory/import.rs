//! Importing people from CSV: a preview of what would change, with every row's problems, before
//! anything is applied. The preview follows the directory, so it is never applied to a stale copy.

use super::messages::{csv_error, row_problem};
use super::use_directory;
use crate::domain::people_csv::{preview_import, Preview};
use crate::ui::files::chosen_file;
use crate::ui::i18n::*;
use crate::ui::state::AppState;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Import() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let file = RwSignal::new(None::<Vec<u8>>);
    let done = RwSignal::new(None::<(usize, usize)>);
    let input = NodeRef::<leptos::html::Input>::new();
    let preview = Memo::new(move |_| {
        file.with(|bytes| {
            bytes
                .as_ref()
                .map(|b| directory.with(|d| preview_import(b, d)))
        })
    });
    let forget_file = move || {
        file.set(None);
        if let Some(el) = input.get_untracked() {
            el.set_value("");
        }
    };
    let chosen = move |_| {
        let Some(el) = input.get_untracked() else {
            return;
        };
        spawn_local(async move {
            if let Some((_, bytes)) = chosen_file(&el).await {
                done.set(None);
                file.set(Some(bytes));
            }
        });
    };
    let apply = move |_| {
        let Some(Ok(p)) = preview.get_untracked() else {
            return;
        };
        let counts = (p.added.len(), p.updated.len());
        if let Ok(result) = p.apply() {
            if state.save_directory(&result).is_ok() {
                done.set(Some(counts));
                forget_file();
            }
        }
    };
    view! {
        <section class="card import" aria-labelledby="import-title">
            <h2 id="import-title">{t!(i18n, import.title)}</h2>
            <div class="field">
                <label for="import-file">{t!(i18n, import.choose)}</label>
                <input id="import-file" type="file" accept=".csv,text/csv" node_ref=input on:change=chosen
                    aria-describedby="import-hint"/>
                <p id="import-hint" class="hint">{t!(i18n, import.hint)}</p>
            </div>
            {move || done.get().map(|(added, updated)| view! {
                <p class="notice success" role="status" id="import-done">
                    {td_string!(i18n.get_locale(), import.done, added = added, updated = updated).to_string()}
                </p>
            })}
            {move || preview.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert" id="import-failed">{csv_error(i18n.get_locale(), &e)}</p> }.into_any(),
                Ok(p) => view! { <PreviewView preview=p apply cancel=move |_| forget_file()/> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn PreviewView(
    preview: Preview,
    apply: impl Fn(leptos::ev::MouseEvent) + 'static,
    cancel: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let summary = td_string!(
        i18n.get_locale(),
        import.summary,
        added = preview.added.len(),
        updated = preview.updated.len(),
        unchanged = preview.unchanged,
        departments = preview.new_departments.len()
    )
    .to_string();
    let has_errors = !preview.errors.is_empty();
    let nothing = preview.added.is_empty()
        && preview.updated.is_empty()
        && preview.new_departments.is_empty();
    let error_count = preview.errors.len();
    let rows = preview
        .errors
        .into_iter()
        .map(|e| {
            view! {
                <tr><td class="line">{e.line}</td><td>{move || row_problem(i18n.get_locale(), &e.problem)}</td></tr>
            }
        })
        .collect_view();
    view! {
        <div class="import-preview" id="import-preview">
            <p id="import-summary">{summary}</p>
            {has_errors.then(|| view! {
                <div role="alert">
                    <p class="form-error" id="import-errors-summary">
                        {move || td_string!(i18n.get_locale(), import.errors, count = error_count).to_string()}
                    </p>
                </div>
                <div class="table-scroll">
                    <table class="data import-errors" id="import-errors">
                        <thead><tr>
                            <th scope="col">{t!(i18n, import.line)}</th>
                            <th scope="col">{t!(i18n, import.problem)}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
            <div class="actions">
                <button type="button" class="button primary" id="import-apply" on:click=apply
                    disabled=has_errors || nothing>{t!(i18n, import.apply)}</button>
                <button type="button" class="button" on:click=cancel>{t!(i18n, import.cancel)}</button>
            </div>
        </div>
    }
}

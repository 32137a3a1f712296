//! A page's search box: one field in a search landmark, filtering as the person types.

use super::i18n::*;
use leptos::prelude::*;

#[component]
pub fn SearchForm(
    id: &'static str,
    value: RwSignal<String>,
    label: fn(Locale) -> &'static str,
    placeholder: fn(Locale) -> &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field grow">
                <label for=id>{move || label(i18n.get_locale())}</label>
                <input id=id type="search" autocomplete="off" bind:value=value
                    placeholder=move || placeholder(i18n.get_locale())/>
            </div>
        </form>
    }
}

//! Search over articles and tickets, ranked, with the matches marked. Runs on the device, so it
//! works offline; the time each search took is kept on the results for benchmarks.

use super::{Highlighted, KnowledgeNav};
use crate::domain::knowledge::Found;
use crate::ui::i18n::*;
use crate::ui::route::Route;
use crate::ui::state::AppState;
use leptos::prelude::*;

/// How many results a search shows.
const SHOWN: usize = 30;

/// What is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Articles,
    Tickets,
}

impl Scope {
    fn wants(self, found: &Found) -> bool {
        matches!(
            (self, found),
            (Scope::All, _)
                | (Scope::Articles, Found::Article(_))
                | (Scope::Tickets, Found::Ticket(_))
        )
    }
}

/// The text searched for, kept while moving between pages.
#[derive(Clone, Copy)]
pub struct SearchText(pub RwSignal<String>);

pub fn provide_search_text() {
    provide_context(SearchText(RwSignal::new(String::new())));
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let text = expect_context::<SearchText>().0;
    let scope = RwSignal::new(Scope::All);
    let results = Memo::new(move |_| {
        let query = text.get();
        let scope = scope.get();
        let chinese = i18n.get_locale() == Locale::zh_CN;
        let started = now_ms();
        let found = state.read(|d| d.search(&query, SHOWN, |f| scope.wants(f), chinese));
        (found, now_ms() - started)
    });
    let scopes = [
        (Scope::All, "scope-all"),
        (Scope::Articles, "scope-articles"),
        (Scope::Tickets, "scope-tickets"),
    ];
    let scope_label = move |l: Locale, s: Scope| match s {
        Scope::All => td_string!(l, kb.scope_all),
        Scope::Articles => td_string!(l, kb.scope_articles),
        Scope::Tickets => td_string!(l, kb.scope_tickets),
    };
    view! {
        <section class="card search-page">
            <KnowledgeNav/>
            <h1>{t!(i18n, kb.search_title)}</h1>
            <form role="search" on:submit=|ev| ev.prevent_default()>
                <label for="search-text">{t!(i18n, kb.search_label)}</label>
                <input id="search-text" type="search" bind:value=text autocomplete="off"
                    aria-describedby="search-hint" aria-controls="search-results"/>
                <p id="search-hint" class="hint">{t!(i18n, kb.search_hint)}</p>
                <fieldset class="scope">
                    <legend>{t!(i18n, kb.scope)}</legend>
                    {scopes.into_iter().map(|(s, id)| view! {
                        <label for=id class="choice">
                            <input type="radio" id=id name="scope" checked=s == Scope::All on:change=move |_| scope.set(s)/>
                            {move || scope_label(i18n.get_locale(), s)}
                        </label>
                    }).collect_view()}
                </fieldset>
            </form>
            <div id="search-results" aria-live="polite"
                data-count=move || results.with(|(r, _)| r.len())
                data-ms=move || results.with(|(_, ms)| format!("{ms:.3}"))>
                {move || {
                    let (found, _) = results.get();
                    if text.with(|t| t.trim().is_empty()) {
                        return view! { <p class="muted">{t!(i18n, kb.search_empty)}</p> }.into_any();
                    }
                    if found.is_empty() {
                        return view! { <p class="empty">{t!(i18n, kb.no_results)}</p> }.into_any();
                    }
                    let l = i18n.get_locale();
                    view! {
                        <p class="muted">{td_string!(l, kb.results, n = found.len()).to_string()}</p>
                        <ol class="search-results">
                            {found.into_iter().map(|r| {
                                let (href, kind) = match r.found {
                                    Found::Article(id) => (Route::Article(id).href(), td_string!(l, kb.kind_article)),
                                    Found::Ticket(id) => (Route::Ticket(id).href(), td_string!(l, kb.kind_ticket)),
                                };
                                view! {
                                    <li class="search-result">
                                        <span class="badge">{kind}</span>" "
                                        <a href=href class="result-title"><Highlighted pieces=r.title_pieces/></a>
                                        <p class="snippet"><Highlighted pieces=r.snippet/></p>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }
                    .into_any()
                }}
            </div>
        </section>
    }
}

/// Milliseconds from the page's clock, for timing searches.
pub(super) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

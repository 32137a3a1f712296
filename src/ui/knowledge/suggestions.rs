//! Articles while a request is typed (deflection), and the articles linked to a ticket.

use super::markup::Markup;
use crate::domain::knowledge::Found;
use crate::domain::{DocumentId, Ticket};
use crate::ui::i18n::*;
use crate::ui::route::Route;
use crate::ui::state::AppState;
use leptos::prelude::*;

/// How many articles are suggested.
const SUGGESTED: usize = 3;

/// Articles that may answer the request being typed. Each opens in place (the form keeps what
/// was typed); "this solved it" calls `solved` with the article.
#[component]
pub fn Suggestions(
    title: RwSignal<String>,
    description: RwSignal<String>,
    /// How many articles were shown, for the request's record.
    shown: RwSignal<u32>,
    solved: Callback<DocumentId>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let found = Memo::new(move |_| {
        let text = format!("{} {}", title.get(), description.get());
        state.read(|d| {
            d.suggest_articles(&text, SUGGESTED)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| {
        let n = found.with(Vec::len) as u32;
        if n > shown.get_untracked() {
            shown.set(n);
        }
    });
    view! {
        <section class="suggestions" aria-live="polite" aria-labelledby="suggestions-title"
            hidden=move || found.with(Vec::is_empty)>
            <h2 id="suggestions-title">{t!(i18n, kb.suggested)}</h2>
            <ul>
                {move || {
                    let zh = i18n.get_locale() == Locale::zh_CN;
                    found.get().into_iter().map(|a| {
                        let id = a.id;
                        view! {
                            <li>
                                <details class="suggestion">
                                    <summary>{a.title.show(zh).to_string()}</summary>
                                    <div class="article-body"><Markup body=a.body.show(zh).to_string()/></div>
                                    <div class="actions">
                                        <button type="button" class="button primary" on:click=move |_| solved.run(id)>{t!(i18n, kb.solved_it)}</button>
                                        <a class="button" href=Route::Article(id).href() target="_blank">{t!(i18n, kb.open_article)}</a>
                                    </div>
                                </details>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
        </section>
    }
}

/// The articles linked to a ticket (and the one that solved it), and for those who work on it, a
/// search to link more.
#[component]
pub fn LinkedArticles(ticket: Ticket, may_link: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let id = ticket.id;
    let looking = RwSignal::new(String::new());
    let linked: Vec<DocumentId> = ticket.articles.iter().map(|(a, _)| *a).collect();
    let candidates = Memo::new(move |_| {
        let text = looking.get();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let zh = i18n.get_locale() == Locale::zh_CN;
        state.read(|d| d.search(&text, 5, |f| matches!(f, Found::Article(_)), zh))
    });
    let solved_by = ticket.self_help.solved_by;
    let title_now = move |article: DocumentId, then: String| {
        let zh = i18n.get_locale() == Locale::zh_CN;
        state
            .read(|d| d.article(article).map(|a| a.title.show(zh).to_string()))
            .unwrap_or(then)
    };
    view! {
        <section class="card linked-articles" aria-labelledby="linked-title">
            <h2 id="linked-title">{t!(i18n, kb.linked)}</h2>
            {solved_by.map(|article| view! {
                <p class="notice">{t!(i18n, kb.solved_by)}" "
                    <a href=Route::Article(article).href()>{move || title_now(article, String::new())}</a>
                </p>
            })}
            {(ticket.articles.is_empty() && solved_by.is_none()).then(|| view! { <p class="muted">{t!(i18n, kb.none_linked)}</p> })}
            <ul>
                {ticket.articles.into_iter().map(|(article, title)| view! {
                    <li>
                        <a href=Route::Article(article).href()>{move || title_now(article, title.clone())}</a>
                        {may_link.then(|| view! {
                            " "<button type="button" class="button small" on:click=move |_| { let _ = state.link_article(id, article, false); }>
                                {t!(i18n, kb.unlink)}
                            </button>
                        })}
                    </li>
                }).collect_view()}
            </ul>
            {may_link.then(|| view! {
                <div class="field">
                    <label for="link-article">{t!(i18n, kb.link_label)}</label>
                    <input id="link-article" type="search" bind:value=looking autocomplete="off"/>
                </div>
                <ul class="picker" hidden=move || candidates.with(Vec::is_empty)>
                    {move || candidates.get().into_iter().filter_map(|r| {
                        let Found::Article(article) = r.found else { return None };
                        let already = linked.contains(&article);
                        Some(view! {
                            <li>
                                <button type="button" class="option" disabled=already
                                    on:click=move |_| { let _ = state.link_article(id, article, true); looking.set(String::new()); }>
                                    {r.title}
                                </button>
                            </li>
                        })
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

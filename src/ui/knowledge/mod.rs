//! The knowledge base: browsing and reading articles, writing them, searching articles and
//! tickets, and the assistant. The ranking, markup and answers are the domain's
//! (`domain::knowledge`); these components show them.

mod article;
mod assistant;
mod editor;
mod markup;
mod search;
mod suggestions;

pub use article::ArticlePage;
pub use assistant::AssistantPage;
pub use editor::ArticleEditor;
pub use search::{provide_search_text, SearchPage};
pub use suggestions::{LinkedArticles, Suggestions};

use crate::domain::knowledge::highlight::Piece;
use crate::domain::knowledge::{Article, Audience};
use crate::ui::directory::{department_name, use_directory};
use crate::ui::format::date;
use crate::ui::i18n::*;
use crate::ui::route::Route;
use crate::ui::state::AppState;
use leptos::prelude::*;
use std::collections::BTreeSet;

/// What the request form starts with when opened from the assistant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefill {
    pub title: String,
    pub department: String,
}

/// The request the assistant offers, waiting for the form to take it.
#[derive(Clone, Copy)]
pub struct RequestPrefill(pub RwSignal<Option<Prefill>>);

pub fn provide_request_prefill() {
    provide_context(RequestPrefill(RwSignal::new(None)));
}

/// Takes the waiting pre-filled request, if any (once: a later form starts empty).
pub fn take_prefill() -> Option<Prefill> {
    use_context::<RequestPrefill>().and_then(|p| p.0.try_update(Option::take).flatten())
}

/// The links between the knowledge pages.
#[component]
fn KnowledgeNav() -> impl IntoView {
    let i18n = use_i18n();
    let route = expect_context::<ReadSignal<Route>>();
    let current = move |to: Route| move || (route.get() == to).then_some("page");
    view! {
        <nav class="subnav" aria-label=move || t_string!(i18n, kb.nav_label)>
            <a href=Route::Knowledge.href() aria-current=current(Route::Knowledge)>{t!(i18n, kb.nav_articles)}</a>
            <a href=Route::Search.href() aria-current=current(Route::Search)>{t!(i18n, kb.nav_search)}</a>
            <a href=Route::Assistant.href() aria-current=current(Route::Assistant)>{t!(i18n, kb.nav_assistant)}</a>
        </nav>
    }
}

/// Text with the matches of a search marked.
#[component]
pub fn Highlighted(pieces: Vec<Piece>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|p| {
            if p.hit {
                view! { <mark>{p.text}</mark> }.into_any()
            } else {
                p.text.into_any()
            }
        })
        .collect_view()
}

fn audience_label(l: Locale, a: Audience) -> &'static str {
    match a {
        Audience::Everyone => td_string!(l, kb.audience_everyone),
        Audience::Internal => td_string!(l, kb.audience_internal),
    }
}

/// The article's title in the reader's language, or the other one.
fn title_of(article: &Article, chinese: bool) -> String {
    article.title.show(chinese).to_string()
}

/// Articles shown at first, and added by "show more".
const PAGE: usize = 50;

/// Every article, by department and category, with filters.
#[component]
pub fn KnowledgePage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let department = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    // A large knowledge base is shown a page at a time.
    let limit = RwSignal::new(PAGE);
    let writes = Memo::new(move |_| state.read(|d| d.writes_articles()));
    let articles =
        Memo::new(move |_| state.read(|d| d.articles().into_iter().cloned().collect::<Vec<_>>()));
    let departments = Memo::new(move |_| {
        articles.with(|a| {
            a.iter()
                .map(|a| a.department.clone())
                .collect::<BTreeSet<_>>()
        })
    });
    let categories = Memo::new(move |_| {
        articles.with(|a| {
            a.iter()
                .filter(|a| department.with(|d| d.is_empty() || *d == a.department))
                .map(|a| a.category.clone())
                .filter(|c| !c.is_empty())
                .collect::<BTreeSet<_>>()
        })
    });
    let shown = move || {
        let chinese = i18n.get_locale() == Locale::zh_CN;
        let l = i18n.get_locale();
        let (list, total): (Vec<Article>, usize) = articles.with(|all| {
            let matching: Vec<&Article> = all
                .iter()
                .filter(|a| department.with(|d| d.is_empty() || *d == a.department))
                .filter(|a| category.with(|c| c.is_empty() || *c == a.category))
                .collect();
            let total = matching.len();
            (
                matching.into_iter().take(limit.get()).cloned().collect(),
                total,
            )
        });
        if list.is_empty() {
            return view! { <p class="empty">{t!(i18n, kb.no_articles)}</p> }.into_any();
        }
        let shown = list.len();
        view! {
            <p class="muted">{td_string!(l, kb.showing, shown = shown, total = total).to_string()}</p>
            <ul class="article-list">
                {list.into_iter().map(|a| {
                    let dept = directory.with(|d| department_name(d, &a.department));
                    let meta = format!("{dept} · {} · {}", a.category, date(l, a.updated_at));
                    view! {
                        <li class="article-item">
                            <a href=Route::Article(a.id).href() class="article-link">{title_of(&a, chinese)}</a>
                            {(a.audience == Audience::Internal).then(|| view! {
                                <span class="badge internal">{audience_label(l, a.audience)}</span>
                            })}
                            <p class="muted">{meta}</p>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(shown < total).then(|| view! {
                <button type="button" class="button" on:click=move |_| limit.update(|n| *n += PAGE)>{t!(i18n, kb.show_more)}</button>
            })}
        }
        .into_any()
    };
    view! {
        <section class="card knowledge-page">
            <KnowledgeNav/>
            <div class="page-head">
                <h1>{t!(i18n, kb.title)}</h1>
                {move || writes.get().then(|| view! {
                    <a class="button primary" href=Route::NewArticle.href()>{t!(i18n, kb.new_article)}</a>
                })}
            </div>
            <p class="muted">{t!(i18n, kb.intro)}</p>
            <div class="field-row filters">
                <div class="field">
                    <label for="kb-department">{t!(i18n, kb.department)}</label>
                    <select id="kb-department" on:change=move |ev| { department.set(event_target_value(&ev)); category.set(String::new()); limit.set(PAGE); }>
                        <option value="">{t!(i18n, kb.all)}</option>
                        {move || departments.get().into_iter().map(|d| {
                            let name = directory.with(|dir| department_name(dir, &d));
                            view! { <option value=d>{name}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="kb-category">{t!(i18n, kb.category)}</label>
                    <select id="kb-category" prop:value=move || category.get() on:change=move |ev| { category.set(event_target_value(&ev)); limit.set(PAGE); }>
                        <option value="">{t!(i18n, kb.all)}</option>
                        {move || categories.get().into_iter().map(|c| { let value = c.clone(); view! { <option value=value>{c}</option> } }).collect_view()}
                    </select>
                </div>
            </div>
            {shown}
        </section>
    }
}

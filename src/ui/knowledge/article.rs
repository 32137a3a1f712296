//! One article: read in either language, its history (who changed what, when), any earlier
//! version shown and restored, and for its department's staff: edit and retire.

use super::markup::Markup;
use super::{audience_label, title_of, KnowledgeNav};
use crate::domain::knowledge::Article;
use crate::domain::DocumentId;
use crate::store::article_doc::Revision;
use crate::ui::directory::{department_name, use_directory};
use crate::ui::format::date_time;
use crate::ui::i18n::*;
use crate::ui::route::{navigate, Route};
use crate::ui::service_levels::use_service_levels;
use crate::ui::state::AppState;
use leptos::prelude::*;

#[component]
pub fn ArticlePage(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let article = Memo::new(move |_| state.read(|d| d.article(id).cloned()));
    let may_write = Memo::new(move |_| {
        state.read(|d| {
            d.article(id)
                .is_some_and(|a| d.may_write_articles(&a.department))
        })
    });
    view! {
        <section class="card article-page">
            <KnowledgeNav/>
            {move || match article.get() {
                None => view! {
                    <h1>{t!(i18n, kb.missing_title)}</h1>
                    <p>{t!(i18n, kb.missing)}</p>
                }.into_any(),
                Some(a) => view! { <Reading article=a may_write=may_write/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Reading(article: Article, may_write: Memo<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let catalog = use_service_levels().catalog;
    // Which language is shown: the reader's, unless they switch to the other version.
    let other = RwSignal::new(false);
    let id = article.id;
    let both = !article.body.zh.trim().is_empty() && !article.body.en.trim().is_empty();
    let chinese = move || (i18n.get_locale() == Locale::zh_CN) != other.get();
    let shown = article.clone();
    let title = move || title_of(&shown, chinese());
    let shown = article.clone();
    let body = move || {
        let zh = chinese();
        let text = shown.body.show(zh).to_string();
        view! { <Markup body=text/> }
    };
    let shown = article.clone();
    let only_other = move || {
        let zh = i18n.get_locale() == Locale::zh_CN;
        let wanted = if zh { &shown.body.zh } else { &shown.body.en };
        (!both && wanted.trim().is_empty())
            .then(|| view! { <p class="notice">{t!(i18n, kb.only_other_language)}</p> })
    };
    let dept = directory.with_untracked(|d| department_name(d, &article.department));
    let service = catalog.with_untracked(|c| c.services.get(&article.service).cloned());
    let meta = move || {
        let l = i18n.get_locale();
        td_string!(
            l,
            kb.updated,
            by = article.updated_by.clone(),
            at = date_time(l, article.updated_at)
        )
        .to_string()
    };
    let audience = article.audience;
    let retire = move |retired: bool| {
        if state.retire_article(id, retired).is_ok() && retired {
            navigate(Route::Knowledge);
        }
    };
    view! {
        <article class="article" data-article=id.to_string()>
            <h1>{title}</h1>
            <p class="muted article-meta">
                {dept}" · "{article.category.clone()}" · "{move || audience_label(i18n.get_locale(), audience)}" · "{meta}
            </p>
            {both.then(|| view! {
                <button type="button" class="button small" on:click=move |_| other.update(|o| *o = !*o)>
                    {move || if other.get() { t_string!(i18n, kb.show_my_language) } else { t_string!(i18n, kb.show_other_language) }}
                </button>
            })}
            {only_other}
            <div class="article-body">{body}</div>
            {service.map(|s| {
                let href = s.id.parse::<DocumentId>().map(|id| Route::Request(id).href()).unwrap_or_default();
                let name = s.name.clone();
                view! {
                    <p class="still-need">{t!(i18n, kb.still_need)}" "
                        <a href=href>{move || name.show(i18n.get_locale() == Locale::zh_CN).to_string()}</a>
                    </p>
                }
            })}
            {move || may_write.get().then(|| view! {
                <div class="actions">
                    <a class="button" href=Route::EditArticle(id).href()>{t!(i18n, kb.edit)}</a>
                    <button type="button" class="button danger" on:click=move |_| retire(true)>{t!(i18n, kb.retire)}</button>
                </div>
            })}
        </article>
        <History id may_write/>
    }
}

/// The article's change log, and any earlier version.
#[component]
fn History(id: DocumentId, may_write: Memo<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let revisions = Memo::new(move |_| state.article_history(id));
    let viewing = RwSignal::new(None::<(Revision, Article)>);
    let changed = move |l: Locale, r: &Revision| {
        r.changed
            .iter()
            .map(|f| field_label(l, f))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let restore = move |old: Article| {
        if state.edit_article(id, &old.draft()).is_ok() {
            viewing.set(None);
        }
    };
    view! {
        <section class="article-history" aria-labelledby="history-title">
            <h2 id="history-title">{t!(i18n, kb.history)}</h2>
            <ol class="revisions">
                {move || {
                    let l = i18n.get_locale();
                    revisions.get().into_iter().map(|r| {
                        let when = date_time(l, r.at);
                        let what = changed(l, &r);
                        let hash = r.hash;
                        let revision = r.clone();
                        let show = move |_| {
                            if let Some(old) = state.article_at(id, hash) {
                                viewing.set(Some((revision.clone(), old)));
                            }
                        };
                        view! {
                            <li class="revision">
                                <span>{when}" · "<strong>{r.by.clone()}</strong>" · "{what}</span>
                                " "<button type="button" class="button small" on:click=show>{t!(i18n, kb.view_version)}</button>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
            {move || viewing.get().map(|(r, old)| {
                let l = i18n.get_locale();
                let zh = l == Locale::zh_CN;
                let heading = td_string!(l, kb.version_of, at = date_time(l, r.at), by = r.by.clone()).to_string();
                let body = old.body.show(zh).to_string();
                let title = title_of(&old, zh);
                let label = heading.clone();
                view! {
                    <div class="old-version" role="region" aria-label=label>
                        <h3>{heading}</h3>
                        <p><strong>{title}</strong></p>
                        <Markup body/>
                        <div class="actions">
                            {may_write.get().then(|| {
                                let old = old.clone();
                                view! { <button type="button" class="button" on:click=move |_| restore(old.clone())>{t!(i18n, kb.restore)}</button> }
                            })}
                            <button type="button" class="button" on:click=move |_| viewing.set(None)>{t!(i18n, kb.close_version)}</button>
                        </div>
                    </div>
                }
            })}
        </section>
    }
}

/// A changed field's name as people read it.
fn field_label(l: Locale, key: &str) -> &'static str {
    match key {
        "created" => td_string!(l, kb.field_created),
        "title_zh" => td_string!(l, kb.field_title_zh),
        "title_en" => td_string!(l, kb.field_title_en),
        "body_zh" => td_string!(l, kb.field_body_zh),
        "body_en" => td_string!(l, kb.field_body_en),
        "audience" => td_string!(l, kb.field_audience),
        "department" => td_string!(l, kb.field_department),
        "category" => td_string!(l, kb.field_category),
        "keywords" => td_string!(l, kb.field_keywords),
        "service" => td_string!(l, kb.field_service),
        "retired" => td_string!(l, kb.field_retired),
        _ => td_string!(l, kb.field_other),
    }
}

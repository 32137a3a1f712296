//! Writing an article, or editing one: both languages side by side, the light markup explained,
//! and the domain's verdict next to each field.

use super::KnowledgeNav;
use crate::domain::catalog::Text;
use crate::domain::knowledge::{ArticleDraft, ArticleError, Audience};
use crate::domain::DocumentId;
use crate::store::desk::ArticleSaveError;
use crate::ui::directory::DepartmentInput;
use crate::ui::i18n::*;
use crate::ui::route::{navigate, Route};
use crate::ui::service_levels::use_service_levels;
use crate::ui::state::AppState;
use leptos::prelude::*;

#[component]
pub fn ArticleEditor(
    /// The article edited; `None` for a new one.
    id: Option<DocumentId>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let catalog = use_service_levels().catalog;
    let start = state.read_untracked(|d| match id {
        Some(id) => d.article(id).map(|a| a.draft()),
        None => Some(ArticleDraft {
            department: d.profile().map(|p| p.department).unwrap_or_default(),
            ..Default::default()
        }),
    });
    let Some(start) = start else {
        return view! { <section class="card"><p>{t!(i18n, kb.missing)}</p></section> }.into_any();
    };
    let department = RwSignal::new(start.department.clone());
    let category = RwSignal::new(start.category.clone());
    let audience = RwSignal::new(start.audience);
    let service = RwSignal::new(start.service.clone());
    let keywords = RwSignal::new(start.keywords.clone());
    let title_zh = RwSignal::new(start.title.zh.clone());
    let title_en = RwSignal::new(start.title.en.clone());
    let body_zh = RwSignal::new(start.body.zh.clone());
    let body_en = RwSignal::new(start.body.en.clone());
    let errors = RwSignal::new(Vec::<ArticleError>::new());
    let refused = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = ArticleDraft {
            department: department.get(),
            category: category.get(),
            audience: audience.get(),
            service: service.get(),
            keywords: keywords.get(),
            title: Text {
                zh: title_zh.get(),
                en: title_en.get(),
            },
            body: Text {
                zh: body_zh.get(),
                en: body_en.get(),
            },
        };
        let saved = match id {
            Some(id) => state.edit_article(id, &draft).map(|()| id),
            None => state.create_article(&draft),
        };
        match saved {
            Ok(id) => navigate(Route::Article(id)),
            Err(ArticleSaveError::Invalid(found)) => {
                refused.set(false);
                errors.set(found);
            }
            Err(_) => refused.set(true),
        }
    };
    let error = move |which: &'static [ArticleError]| {
        move || {
            let l = i18n.get_locale();
            errors.with(|es| es.iter().find(|e| which.contains(e)).map(|e| message(l, e)))
        }
    };
    let invalid = move |which: &'static [ArticleError]| {
        move || {
            errors
                .with(|es| es.iter().any(|e| which.contains(e)))
                .to_string()
        }
    };
    const TITLE: &[ArticleError] = &[ArticleError::NoTitle, ArticleError::TitleTooLong];
    const BODY: &[ArticleError] = &[ArticleError::BodyTooLarge];
    const DEPARTMENT: &[ArticleError] = &[ArticleError::NoDepartment];
    let heading = if id.is_some() {
        t_string!(i18n, kb.edit_title)
    } else {
        t_string!(i18n, kb.new_title)
    };
    view! {
        <section class="card article-editor">
            <KnowledgeNav/>
            <h1>{heading}</h1>
            <form on:submit=save novalidate>
                {move || (!errors.with(Vec::is_empty)).then(|| view! {
                    <p class="form-error" role="alert">{t!(i18n, form.errors_summary)}</p>
                })}
                {move || refused.get().then(|| view! {
                    <p class="form-error" role="alert">{t!(i18n, kb.not_allowed)}</p>
                })}
                <div class="field-row">
                    <div class="field">
                        <label for="article-title-zh">{t!(i18n, kb.title_zh)}</label>
                        <input id="article-title-zh" lang="zh-CN" bind:value=title_zh aria-invalid=invalid(TITLE) aria-describedby="article-title-error"/>
                    </div>
                    <div class="field">
                        <label for="article-title-en">{t!(i18n, kb.title_en)}</label>
                        <input id="article-title-en" lang="en" bind:value=title_en aria-invalid=invalid(TITLE) aria-describedby="article-title-error"/>
                    </div>
                </div>
                <p id="article-title-error" class="field-error">{error(TITLE)}</p>
                <div class="field-row">
                    <div class="field">
                        <label for="article-body-zh">{t!(i18n, kb.body_zh)}</label>
                        <textarea id="article-body-zh" lang="zh-CN" rows="12" bind:value=body_zh aria-invalid=invalid(BODY)
                            aria-describedby="article-markup-hint article-body-error"></textarea>
                    </div>
                    <div class="field">
                        <label for="article-body-en">{t!(i18n, kb.body_en)}</label>
                        <textarea id="article-body-en" lang="en" rows="12" bind:value=body_en aria-invalid=invalid(BODY)
                            aria-describedby="article-markup-hint article-body-error"></textarea>
                    </div>
                </div>
                <p id="article-markup-hint" class="hint">{t!(i18n, kb.markup_hint)}</p>
                <p id="article-body-error" class="field-error">{error(BODY)}</p>
                <div class="field-row">
                    <div class="field">
                        <label for="article-department">{t!(i18n, kb.department)}</label>
                        <DepartmentInput id="article-department" value=department invalid=Signal::derive(invalid(DEPARTMENT))
                            described_by="article-department-error"/>
                        <p id="article-department-error" class="field-error">{error(DEPARTMENT)}</p>
                    </div>
                    <div class="field">
                        <label for="article-category">{t!(i18n, kb.category)}</label>
                        <input id="article-category" bind:value=category/>
                    </div>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="article-audience">{t!(i18n, kb.audience)}</label>
                        <select id="article-audience" on:change=move |ev| audience.set(Audience::parse(&event_target_value(&ev)).unwrap_or_default())>
                            {[Audience::Everyone, Audience::Internal].into_iter().map(|a| view! {
                                <option value=a.as_str() selected=a == audience.get_untracked()>{move || super::audience_label(i18n.get_locale(), a)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="article-service">{t!(i18n, kb.service)}</label>
                        <select id="article-service" on:change=move |ev| service.set(event_target_value(&ev)) aria-describedby="article-service-hint">
                            <option value="">{t!(i18n, kb.no_service)}</option>
                            {move || {
                                let zh = i18n.get_locale() == Locale::zh_CN;
                                let current = service.get_untracked();
                                catalog.with(|c| c.services.values().map(|s| {
                                    let selected = s.id == current;
                                    view! { <option value=s.id.clone() selected=selected>{s.name.show(zh).to_string()}</option> }
                                }).collect_view())
                            }}
                        </select>
                        <p id="article-service-hint" class="hint">{t!(i18n, kb.service_hint)}</p>
                    </div>
                </div>
                <div class="field">
                    <label for="article-keywords">{t!(i18n, kb.keywords)}</label>
                    <input id="article-keywords" bind:value=keywords aria-describedby="article-keywords-hint"/>
                    <p id="article-keywords-hint" class="hint">{t!(i18n, kb.keywords_hint)}</p>
                </div>
                <div class="actions">
                    <button type="submit" class="button primary">{t!(i18n, kb.save)}</button>
                    <a class="button" href=id.map_or(Route::Knowledge.href(), |id| Route::Article(id).href())>{t!(i18n, form.cancel)}</a>
                </div>
            </form>
        </section>
    }
    .into_any()
}

fn message(l: Locale, e: &ArticleError) -> &'static str {
    match e {
        ArticleError::NoTitle => td_string!(l, kb.error_no_title),
        ArticleError::TitleTooLong => td_string!(l, kb.error_title_too_long),
        ArticleError::BodyTooLarge => td_string!(l, kb.error_body_too_large),
        ArticleError::NoDepartment => td_string!(l, kb.error_no_department),
    }
}

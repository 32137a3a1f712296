//! The service catalog: every providing department's services, searchable (also by pinyin), each
//! with its promise (response and resolution times) and a link to its request form. Administrators
//! publish and edit services here.

use super::directory::{department_name, use_directory};
use super::i18n::*;
use super::route::Route;
use super::search_form::SearchForm;
use super::service_editor::ServiceEditor;
use super::service_levels::{duration, use_service_levels};
use super::state::AppState;
use crate::domain::catalog::{Catalog, FieldKind, Service};
use crate::domain::directory::DepartmentId;
use crate::domain::Ticket;
use leptos::prelude::*;
use std::collections::BTreeMap;

#[component]
pub fn CatalogPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let sla = use_service_levels();
    let may_configure = Memo::new(move |_| state.read(|d| d.may_configure()));
    let query = RwSignal::new(String::new());
    let published = RwSignal::new(0u32);
    let groups = Memo::new(move |_| {
        let q = query.get();
        sla.catalog.with(|c| {
            let mut by_provider: BTreeMap<DepartmentId, Vec<Service>> = BTreeMap::new();
            for service in c.find(&q) {
                by_provider
                    .entry(service.provider.clone())
                    .or_default()
                    .push(service.clone());
            }
            by_provider.into_iter().collect::<Vec<_>>()
        })
    });
    view! {
        <section class="catalog-page">
            <div class="page-head">
                <h1>{t!(i18n, catalog.title)}</h1>
                {move || may_configure.get().then(|| view! {
                    <a class="button" href=Route::ServiceLevels.href()>{t!(i18n, catalog.service_levels)}</a>
                })}
            </div>
            <p class="hint">{t!(i18n, catalog.intro)}</p>
            <SearchForm id="service-search" value=query label=|l| td_string!(l, catalog.search)
                placeholder=|l| td_string!(l, catalog.search_placeholder)/>
            {move || groups.with(Vec::is_empty).then(|| view! { <p class="empty">{t!(i18n, catalog.empty)}</p> })}
            {move || groups.get().into_iter().map(|(provider, services)| view! {
                <ProviderServices provider services may_configure/>
            }).collect_view()}
            {move || may_configure.get().then(|| view! {
                <details class="card settings" id="add-service">
                    <summary>{t!(i18n, catalog.add)}</summary>
                    {move || {
                        // A fresh form after each publication (keyed by the count).
                        published.track();
                        view! { <ServiceEditor existing=None published/> }
                    }}
                </details>
            })}
        </section>
    }
}

#[component]
fn ProviderServices(
    provider: DepartmentId,
    services: Vec<Service>,
    may_configure: Memo<bool>,
) -> impl IntoView {
    let directory = use_directory();
    let name = directory.with_untracked(|d| department_name(d, &provider.0));
    view! {
        <h2 class="provider-title">{name}</h2>
        <div class="service-grid">
            {services.into_iter().map(|s| view! { <ServiceCard service=s may_configure/> }).collect_view()}
        </div>
    }
}

#[component]
fn ServiceCard(service: Service, may_configure: Memo<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let sla = use_service_levels();
    let directory = use_directory();
    let request = service
        .id
        .parse()
        .map(Route::Request)
        .unwrap_or(Route::Catalog);
    let queue = directory.with_untracked(|d| department_name(d, &service.queue.0));
    let chinese = move || i18n.get_locale() == Locale::zh_CN;
    let (name, description) = (service.name.clone(), service.description.clone());
    let promise = {
        let service = service.clone();
        move || {
            sla.catalog
                .with(|c| promise(i18n.get_locale(), c, &service))
        }
    };
    let approval = service.needs_approval;
    let editing = service.clone();
    view! {
        <article class="service-card" data-service=service.id.clone()>
            <h3>{move || name.show(chinese()).to_string()}</h3>
            <p class="muted">{move || description.show(chinese()).to_string()}</p>
            <p class="hint">{move || td_string!(i18n.get_locale(), catalog.served_by, queue = queue.clone()).to_string()}</p>
            <p class="promise">{promise}</p>
            {approval.then(|| view! { <p><span class="badge">{t!(i18n, catalog.needs_approval)}</span></p> })}
            <div class="actions">
                <a class="button primary" href=request.href()>{t!(i18n, catalog.request)}</a>
            </div>
            {move || may_configure.get().then(|| view! {
                <details class="settings">
                    <summary>{t!(i18n, catalog.edit)}</summary>
                    <ServiceEditor existing=Some(editing.clone())/>
                </details>
            })}
        </article>
    }
}

/// "Responds within 1 h, resolves within 8 h" at the service's default priority.
fn promise(l: Locale, catalog: &Catalog, service: &Service) -> String {
    let Some(target) = catalog
        .policy_for(&service.id)
        .and_then(|p| p.target(service.priority, None))
    else {
        return td_string!(l, catalog.no_promise).to_string();
    };
    td_string!(
        l,
        catalog.promise,
        respond = duration(l, i64::from(target.first_response) * 60_000),
        resolve = duration(l, i64::from(target.resolution) * 60_000)
    )
    .to_string()
}

/// The service a ticket requested and the answers to its form.
#[component]
pub fn ServiceAnswers(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let i18n = use_i18n();
    let sla = use_service_levels();
    let directory = use_directory();
    move || {
        let (service_id, answers) =
            ticket.with(|t| t.as_ref().map(|t| (t.service.clone(), t.answers.clone())))?;
        let service = sla.catalog.with(|c| c.services.get(&service_id).cloned())?;
        let chinese = i18n.get_locale() == Locale::zh_CN;
        let rows = service
            .fields
            .iter()
            .filter_map(|f| {
                let answer = answers.get(&f.key)?.clone();
                let shown = match f.kind {
                    FieldKind::Person => directory
                        .with_untracked(|d| d.people.get(&answer.to_lowercase()).map(|p| p.name.clone()))
                        .unwrap_or(answer),
                    _ => answer,
                };
                Some(view! { <div><dt>{f.label.show(chinese).to_string()}</dt><dd>{shown}</dd></div> })
            })
            .collect_view();
        Some(view! {
            <section class="answers" aria-labelledby="service-name">
                <h2 id="service-name">{service.name.show(chinese).to_string()}</h2>
                <dl class="facts">{rows}</dl>
            </section>
        })
    }
}

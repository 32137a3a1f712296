//! The top bar: name, navigation, save status, language switch and profile.

use super::i18n::*;
use super::route::Route;
use super::service_levels::SlaAlerts;
use super::state::{AppState, SaveState};
use super::sync::SyncView;
use leptos::prelude::*;

#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let switch_language = move |_| {
        let next = match i18n.get_locale() {
            Locale::en => Locale::zh_CN,
            Locale::zh_CN => Locale::en,
        };
        i18n.set_locale(next);
    };
    let route = expect_context::<ReadSignal<Route>>();
    // Marks the link of the page being shown, for screen readers and the eye alike.
    let current = move |to: Route| move || (route.get() == to).then_some("page");
    let in_voice = move || {
        matches!(
            route.get(),
            Route::Surveys | Route::Survey(_) | Route::Report | Route::Needs | Route::Bulletin
        )
        .then_some("page")
    };
    let in_measure = move || {
        matches!(
            route.get(),
            Route::Kpis | Route::ServiceMap | Route::Bottlenecks | Route::Forecast
        )
        .then_some("page")
    };
    let in_knowledge = move || {
        matches!(
            route.get(),
            Route::Knowledge
                | Route::Article(_)
                | Route::NewArticle
                | Route::EditArticle(_)
                | Route::Search
                | Route::Assistant
        )
        .then_some("page")
    };
    let profile_name = Memo::new(move |_| state.read(|d| d.profile().map(|p| p.name)));
    let staff = Memo::new(move |_| state.read(|d| d.me().staff));
    let save_text = move || match state.save.get() {
        SaveState::Saved => t_string!(i18n, save.saved),
        SaveState::Saving => t_string!(i18n, save.saving),
        SaveState::Failed(_) => t_string!(i18n, save.failed),
    };
    let save_class = move || match state.save.get() {
        SaveState::Saved => "save-status saved",
        SaveState::Saving => "save-status saving",
        SaveState::Failed(_) => "save-status failed",
    };
    let sync_text = move || match state.sync.get() {
        SyncView::LocalOnly => t_string!(i18n, sync.local_only).to_string(),
        SyncView::Offline => t_string!(i18n, sync.offline).to_string(),
        SyncView::Syncing(count) => {
            td_string!(i18n.get_locale(), sync.syncing, count = count).to_string()
        }
        SyncView::UpToDate => t_string!(i18n, sync.up_to_date).to_string(),
        SyncView::Refused => t_string!(i18n, sync.refused).to_string(),
    };
    view! {
        <header class="topbar">
            <a class="brand" href=Route::Tickets.href()>
                <img src="icon.svg" alt="" width="28" height="28"/>
                <span class="brand-name">{t!(i18n, app_name)}</span>
            </a>
            <nav aria-label=move || t_string!(i18n, nav.main)>
                <a href=Route::Tickets.href() aria-current=current(Route::Tickets)>{t!(i18n, nav.tickets)}</a>
                <a href=Route::Catalog.href() aria-current=current(Route::Catalog)>{t!(i18n, nav.catalog)}</a>
                <a href=Route::Knowledge.href() aria-current=in_knowledge>{t!(i18n, nav.knowledge)}</a>
                <a href=Route::Directory.href() aria-current=current(Route::Directory)>{t!(i18n, nav.directory)}</a>
                <a href=Route::Customers.href() aria-current=current(Route::Customers)>{t!(i18n, nav.customers)}</a>
                <a href=Route::Surveys.href() aria-current=in_voice>{t!(i18n, nav.voice)}</a>
                <a href=Route::Kpis.href() aria-current=in_measure>{t!(i18n, nav.measure)}</a>
                {move || staff.get().then(|| view! {
                    <a href=Route::Automation.href() aria-current=current(Route::Automation)>{t!(i18n, nav.automation)}</a>
                })}
                <a class="primary-link" href=Route::NewTicket.href() aria-current=current(Route::NewTicket)>
                    {t!(i18n, nav.new_ticket)}
                </a>
            </nav>
            <div class="status-line">
                <SlaAlerts/>
                <p class=save_class role="status" aria-live="polite" data-save=move || format!("{:?}", state.save.get())>
                    {save_text}
                </p>
                <a class=move || format!("sync-status {}", state.sync.get().code()) href=Route::SignIn.href()
                    data-sync=move || state.sync.get().code() aria-live="polite">
                    {sync_text}
                </a>
            </div>
            <div class="topbar-end">
                <button type="button" class="lang" on:click=switch_language
                    aria-label=move || t_string!(i18n, language.switch_label)>
                    {t!(i18n, language.switch_to_other)}
                </button>
                {move || profile_name.get().map(|name| view! {
                    <a class="profile-link" href=Route::Profile.href() title=move || t_string!(i18n, nav.profile)>{name}</a>
                })}
            </div>
        </header>
    }
}

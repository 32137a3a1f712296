//! The root component: opens the desk, then lays out header, banners and the current page.

use super::automation::AutomationPage;
use super::banner::Banners;
use super::catalog::CatalogPage;
use super::customers::CustomersPage;
use super::directory::{provide_directory, DirectoryPage};
use super::header::Header;
use super::i18n::*;
use super::knowledge::{
    provide_request_prefill, provide_search_text, ArticleEditor, ArticlePage, AssistantPage,
    KnowledgePage, SearchPage,
};
use super::labels::locale_tag;
use super::measure::{provide_measure_facts, BottlenecksPage, ForecastPage, KpiPage, MapPage};
use super::profile_form::ProfileForm;
use super::route::{use_route, Route};
use super::service_levels::provide_service_levels;
use super::sign_in::SignInPage;
use super::sla_settings::SlaSettingsPage;
use super::state::AppState;
use super::sync;
use super::ticket_detail::TicketDetail;
use super::ticket_form::TicketForm;
use super::ticket_list::TicketList;
use super::voice::{BulletinPage, NeedsPage, ReportPage, SurveyAnswerPage, SurveysPage};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let opened = LocalResource::new(AppState::open);
    view! {
        <I18nContextProvider>
            <LangAttribute/>
            {move || match opened.get() {
                Some(state) => view! { <Shell state/> }.into_any(),
                None => view! { <p class="booting" aria-busy="true">"Innerdesk…"</p> }.into_any(),
            }}
        </I18nContextProvider>
    }
}

/// Keeps `<html lang>` in step with the chosen language, for screen readers and fonts.
#[component]
fn LangAttribute() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| {
        let tag = locale_tag(i18n.get_locale());
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("lang", tag);
        }
        document().set_title(&format!(
            "{} · {}",
            td_string!(i18n.get_locale(), app_name),
            td_string!(i18n.get_locale(), tagline)
        ));
    });
}

#[component]
fn Shell(state: AppState) -> impl IntoView {
    provide_context(state);
    let i18n = use_i18n();
    let route = use_route();
    provide_context(route);
    provide_directory(state);
    provide_service_levels(state);
    provide_measure_facts(state);
    provide_request_prefill();
    provide_search_text();
    let has_profile = Memo::new(move |_| state.read(|d| d.profile().is_some()));
    warn_before_closing_with_unsaved_changes(state);
    sync::start(state);
    let focus_main = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if let Some(main) = document().get_element_by_id("main") {
            let _ = main.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    };
    view! {
        <a class="skip-link" href="#/" on:click=focus_main>{t!(i18n, skip_to_content)}</a>
        <Header/>
        <Banners/>
        <main id="main" tabindex="-1">
            {move || {
                // A sign-in link works on a device that has never been used: the relay supplies the profile.
                if route.get() == Route::SignIn {
                    return view! { <SignInPage/> }.into_any();
                }
                if !has_profile.get() {
                    return view! { <ProfileForm first_visit=true/> }.into_any();
                }
                match route.get() {
                    Route::Tickets => view! { <TicketList/> }.into_any(),
                    Route::NewTicket => view! { <TicketForm service=None/> }.into_any(),
                    Route::Request(id) => view! { <TicketForm service=Some(id)/> }.into_any(),
                    Route::Catalog => view! { <CatalogPage/> }.into_any(),
                    Route::ServiceLevels => view! { <SlaSettingsPage/> }.into_any(),
                    Route::Ticket(id) => view! { <TicketDetail id/> }.into_any(),
                    Route::Profile => view! { <ProfileForm first_visit=false/> }.into_any(),
                    Route::Directory => view! { <DirectoryPage/> }.into_any(),
                    Route::Customers => view! { <CustomersPage/> }.into_any(),
                    Route::Surveys => view! { <SurveysPage/> }.into_any(),
                    Route::Survey(id) => view! { <SurveyAnswerPage id/> }.into_any(),
                    Route::Report => view! { <ReportPage/> }.into_any(),
                    Route::Needs => view! { <NeedsPage/> }.into_any(),
                    Route::Bulletin => view! { <BulletinPage/> }.into_any(),
                    Route::Kpis => view! { <KpiPage/> }.into_any(),
                    Route::ServiceMap => view! { <MapPage/> }.into_any(),
                    Route::Bottlenecks => view! { <BottlenecksPage/> }.into_any(),
                    Route::Forecast => view! { <ForecastPage/> }.into_any(),
                    Route::Knowledge => view! { <KnowledgePage/> }.into_any(),
                    Route::Article(id) => view! { <ArticlePage id/> }.into_any(),
                    Route::NewArticle => view! { <ArticleEditor id=None/> }.into_any(),
                    Route::EditArticle(id) => view! { <ArticleEditor id=Some(id)/> }.into_any(),
                    Route::Search => view! { <SearchPage/> }.into_any(),
                    Route::Assistant => view! { <AssistantPage/> }.into_any(),
                    Route::Automation => view! { <AutomationPage/> }.into_any(),
                    Route::SignIn => view! { <SignInPage/> }.into_any(),
                }
            }}
        </main>
    }
}

fn warn_before_closing_with_unsaved_changes(state: AppState) {
    let handle = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if state.has_unsaved() {
            ev.prevent_default();
        }
    });
    on_cleanup(move || handle.remove());
}

use wasm_bindgen::JsCast;

//! Hash routes (`#/`, `#/new`, `#/t/<id>`, `#/catalog`, `#/request/<service>`, `#/sla`,
//! `#/directory`, `#/customers`, `#/surveys`, `#/survey/<id>`, `#/report`, `#/needs`,
//! `#/bulletin`, `#/measure[/map|/bottlenecks|/forecast]`, `#/kb`, `#/kb/new`, `#/kb/<id>[/edit]`,
//! `#/search`, `#/ask`, `#/automation`, `#/profile`,
//! `#/signin[/<token>]`), so the page works from any static host and offline without server-side
//! rewrites.

use crate::domain::DocumentId;
use leptos::prelude::*;

/// Where the user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Tickets,
    NewTicket,
    Ticket(DocumentId),
    /// The service catalog.
    Catalog,
    /// A request for one catalog service (its form).
    Request(DocumentId),
    /// Business calendars and SLA policies.
    ServiceLevels,
    Profile,
    /// The organisation's departments and people.
    Directory,
    /// Internal customers: profiles and segments.
    Customers,
    /// Surveys open to answer, their results, and the builder.
    Surveys,
    /// Answering one survey.
    Survey(DocumentId),
    /// The satisfaction report.
    Report,
    /// The needs workbench: needs, interview notes, improvement plans.
    Needs,
    /// Awards, the bulletin and the suggestion box.
    Bulletin,
    /// The KPI dashboard.
    Kpis,
    /// Who serves whom.
    ServiceMap,
    Bottlenecks,
    /// Demand forecasts and staffing.
    Forecast,
    /// The knowledge base's articles.
    Knowledge,
    Article(DocumentId),
    NewArticle,
    EditArticle(DocumentId),
    /// Search over articles and tickets.
    Search,
    /// The assistant.
    Assistant,
    /// Rules, approval chains, canned replies and teams.
    Automation,
    /// Signing in to the organisation's relay (a sign-in link carries its token after the slash).
    SignIn,
}

impl Route {
    pub fn parse(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        match path.split_once('/') {
            Some(("t", id)) => id.parse().map(Route::Ticket).unwrap_or(Route::Tickets),
            Some(("request", id)) => id.parse().map(Route::Request).unwrap_or(Route::Catalog),
            Some(("survey", id)) => id.parse().map(Route::Survey).unwrap_or(Route::Surveys),
            Some(("signin", _)) => Route::SignIn,
            Some(("kb", "new")) => Route::NewArticle,
            Some(("kb", rest)) => match rest.split_once('/') {
                Some((id, "edit")) => id
                    .parse()
                    .map(Route::EditArticle)
                    .unwrap_or(Route::Knowledge),
                _ => rest.parse().map(Route::Article).unwrap_or(Route::Knowledge),
            },
            Some(("measure", "map")) => Route::ServiceMap,
            Some(("measure", "bottlenecks")) => Route::Bottlenecks,
            Some(("measure", "forecast")) => Route::Forecast,
            Some(("measure", _)) => Route::Kpis,
            _ => match path {
                "new" => Route::NewTicket,
                "profile" => Route::Profile,
                "directory" => Route::Directory,
                "catalog" => Route::Catalog,
                "sla" => Route::ServiceLevels,
                "customers" => Route::Customers,
                "surveys" => Route::Surveys,
                "report" => Route::Report,
                "needs" => Route::Needs,
                "bulletin" => Route::Bulletin,
                "measure" => Route::Kpis,
                "kb" => Route::Knowledge,
                "search" => Route::Search,
                "ask" => Route::Assistant,
                "automation" => Route::Automation,
                "signin" => Route::SignIn,
                _ => Route::Tickets,
            },
        }
    }

    pub fn href(self) -> String {
        match self {
            Route::Tickets => "#/".into(),
            Route::NewTicket => "#/new".into(),
            Route::Ticket(id) => format!("#/t/{id}"),
            Route::Catalog => "#/catalog".into(),
            Route::Request(id) => format!("#/request/{id}"),
            Route::ServiceLevels => "#/sla".into(),
            Route::Profile => "#/profile".into(),
            Route::Directory => "#/directory".into(),
            Route::Customers => "#/customers".into(),
            Route::Surveys => "#/surveys".into(),
            Route::Survey(id) => format!("#/survey/{id}"),
            Route::Report => "#/report".into(),
            Route::Needs => "#/needs".into(),
            Route::Bulletin => "#/bulletin".into(),
            Route::Kpis => "#/measure".into(),
            Route::ServiceMap => "#/measure/map".into(),
            Route::Bottlenecks => "#/measure/bottlenecks".into(),
            Route::Forecast => "#/measure/forecast".into(),
            Route::Knowledge => "#/kb".into(),
            Route::Article(id) => format!("#/kb/{id}"),
            Route::NewArticle => "#/kb/new".into(),
            Route::EditArticle(id) => format!("#/kb/{id}/edit"),
            Route::Search => "#/search".into(),
            Route::Assistant => "#/ask".into(),
            Route::Automation => "#/automation".into(),
            Route::SignIn => "#/signin".into(),
        }
    }
}

fn current() -> Route {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Route::parse(&hash)
}

/// The current route, following `hashchange`.
pub fn use_route() -> ReadSignal<Route> {
    let (route, set_route) = signal(current());
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        set_route.set(current());
        // A new page starts at the top, as a full navigation would.
        window().scroll_to_with_x_and_y(0.0, 0.0);
    });
    on_cleanup(move || handle.remove());
    route
}

/// Goes to a route (adds a history entry, so Back works).
pub fn navigate(to: Route) {
    let _ = window().location().set_hash(&to.href());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_route_and_falls_back_to_the_list() {
        let id = DocumentId::from_bytes([8; 16]);
        for route in [
            Route::Tickets,
            Route::NewTicket,
            Route::Ticket(id),
            Route::Catalog,
            Route::Request(id),
            Route::ServiceLevels,
            Route::Profile,
            Route::Directory,
            Route::Customers,
            Route::Surveys,
            Route::Survey(id),
            Route::Report,
            Route::Needs,
            Route::Bulletin,
            Route::Kpis,
            Route::ServiceMap,
            Route::Bottlenecks,
            Route::Forecast,
            Route::Knowledge,
            Route::Article(id),
            Route::NewArticle,
            Route::EditArticle(id),
            Route::Search,
            Route::Assistant,
            Route::Automation,
        ] {
            assert_eq!(Route::parse(&route.href()), route);
        }
        assert_eq!(Route::parse(""), Route::Tickets);
        assert_eq!(Route::parse("#/t/not-an-id"), Route::Tickets);
        assert_eq!(Route::parse("#/elsewhere"), Route::Tickets);
    }
}

//! Measurement pages: the KPI dashboard, who serves whom, bottlenecks and demand forecasts, all
//! computed on this device from the tickets it holds (see `domain::measure`). Every figure opens
//! the tickets behind it.

mod bottlenecks;
mod charts;
mod drill;
mod forecast;
mod kpis;
mod map;

pub use bottlenecks::BottlenecksPage;
pub use forecast::ForecastPage;
pub use kpis::KpiPage;
pub use map::MapPage;

use super::directory::{department_name, use_directory};
use super::i18n::*;
use super::route::Route;
use super::service_levels::use_service_levels;
use super::state::{now, AppState};
use crate::domain::measure::facts::{facts_of, Measuring, TicketFacts};
use crate::domain::measure::kpi::{is_time, Dimension, Kpi};
use crate::domain::measure::{measure_all, Measures};
use crate::domain::time::Period;
use crate::domain::voice::report::{nps_by_department, survey_lines};
use crate::domain::voice::survey::Survey;
use leptos::prelude::*;
use std::sync::Arc;

/// A computed value shared without copying, with the milliseconds it took (the benchmarks read
/// them from the page); two are equal only if they are the same computation.
#[derive(Clone)]
pub struct Computed<T> {
    pub value: Arc<T>,
    pub ms: f64,
}

impl<T> PartialEq for Computed<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.value, &other.value)
    }
}

fn timed<T>(work: impl FnOnce() -> T) -> Computed<T> {
    let clock = window().performance();
    let started = clock.as_ref().map_or(0.0, |p| p.now());
    let value = Arc::new(work());
    let ms = clock.map_or(0.0, |p| p.now() - started);
    Computed { value, ms }
}

/// Every ticket's facts, kept while nothing changes (computed when a page first asks).
#[derive(Clone, Copy)]
pub struct MeasureFacts(Memo<Computed<Vec<TicketFacts>>>);

pub fn provide_measure_facts(state: AppState) {
    let levels = use_service_levels();
    let directory = use_directory();
    let facts = Memo::new(move |_| {
        levels.now.track();
        let now = now();
        let calendars = levels.calendars.get();
        directory.with(|dir| {
            levels.catalog.with(|catalog| {
                state.read(|desk| {
                    timed(|| {
                        let segment_of = |c: &str| levels.segment_of(c, now);
                        let measuring = Measuring {
                            catalog,
                            calendars: &calendars.0,
                            directory: dir,
                            segment_of: &segment_of,
                            now,
                        };
                        facts_of(desk.rows().iter().map(|(s, _)| s), &measuring)
                    })
                })
            })
        })
    });
    provide_context(MeasureFacts(facts));
}

fn use_facts() -> Memo<Computed<Vec<TicketFacts>>> {
    expect_context::<MeasureFacts>().0
}

/// Every figure of a period: all KPIs, the map and the bottlenecks, computed together.
fn use_measures(state: AppState, period: Signal<Period>) -> Memo<Computed<Measures>> {
    let facts = use_facts();
    let voice = Memo::new(move |_| state.read(|d| d.voice()));
    let results = Memo::new(move |_| state.read(|d| d.survey_results()));
    Memo::new(move |_| {
        let period = period.get();
        let nps = voice.with(|v| {
            results.with(|r| {
                let surveys: Vec<(&Survey, &[_])> = v
                    .surveys
                    .values()
                    .filter_map(|s| Some((s, r.get(&s.id)?.as_slice())))
                    .collect();
                nps_by_department(&survey_lines(&surveys, period))
            })
        });
        facts.with(|f| timed(|| measure_all(&f.value, period, now(), &nps)))
    })
}

/// The links between the measurement pages.
#[component]
fn MeasureNav() -> impl IntoView {
    let i18n = use_i18n();
    let route = expect_context::<ReadSignal<Route>>();
    let current = move |to: Route| move || (route.get() == to).then_some("page");
    view! {
        <nav class="subnav" aria-label=move || t_string!(i18n, measure.nav_label)>
            <a href=Route::Kpis.href() aria-current=current(Route::Kpis)>{t!(i18n, measure.nav_kpis)}</a>
            <a href=Route::ServiceMap.href() aria-current=current(Route::ServiceMap)>{t!(i18n, measure.nav_map)}</a>
            <a href=Route::Bottlenecks.href() aria-current=current(Route::Bottlenecks)>{t!(i18n, measure.nav_bottlenecks)}</a>
            <a href=Route::Forecast.href() aria-current=current(Route::Forecast)>{t!(i18n, measure.nav_forecast)}</a>
        </nav>
    }
}

pub fn kpi_name(l: Locale, kpi: Kpi) -> &'static str {
    match kpi {
        Kpi::Volume => td_string!(l, measure.kpi_volume),
        Kpi::FirstResponseMedian => td_string!(l, measure.kpi_first_response_median),
        Kpi::FirstResponseP90 => td_string!(l, measure.kpi_first_response_p90),
        Kpi::ResolutionMedian => td_string!(l, measure.kpi_resolution_median),
        Kpi::ResolutionP90 => td_string!(l, measure.kpi_resolution_p90),
        Kpi::OnTime => td_string!(l, measure.kpi_on_time),
        Kpi::Resolved => td_string!(l, measure.kpi_resolved),
        Kpi::Reopened => td_string!(l, measure.kpi_reopened),
        Kpi::Backlog => td_string!(l, measure.kpi_backlog),
        Kpi::BacklogAge => td_string!(l, measure.kpi_backlog_age),
        Kpi::Satisfaction => td_string!(l, measure.kpi_satisfaction),
        Kpi::Csat => td_string!(l, measure.kpi_csat),
        Kpi::Nps => td_string!(l, measure.kpi_nps),
        Kpi::Deflection => td_string!(l, measure.kpi_deflection),
    }
}

/// A KPI's definition in the chosen language (written once, in the domain).
pub fn kpi_definition(l: Locale, kpi: Kpi) -> &'static str {
    let [en, zh] = kpi.definition();
    match l {
        Locale::en => en,
        Locale::zh_CN => zh,
    }
}

pub fn dimension_name(l: Locale, by: Dimension) -> &'static str {
    match by {
        Dimension::Provider => td_string!(l, measure.by_provider),
        Dimension::Team => td_string!(l, measure.by_team),
        Dimension::Agent => td_string!(l, measure.by_agent),
        Dimension::Service => td_string!(l, measure.by_service),
        Dimension::Customer => td_string!(l, measure.by_customer),
    }
}

/// A figure as a plain number, for the page's data attributes (what tests and benchmarks read).
fn raw(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.4}")).unwrap_or_default()
}

/// Business hours with one decimal.
pub fn hours(l: Locale, ms: f64) -> String {
    let h = format!("{:.1}", ms / 3_600_000.0);
    td_string!(l, measure.hours, h = h).to_string()
}

/// A figure as shown: hours for times, whole percent for shares, one decimal for means and ages.
pub fn show(l: Locale, kpi: Kpi, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "—".into();
    };
    match kpi {
        _ if is_time(kpi) => hours(l, v),
        Kpi::Volume | Kpi::Backlog => format!("{v:.0}"),
        Kpi::OnTime | Kpi::Resolved | Kpi::Reopened | Kpi::Csat | Kpi::Deflection => {
            format!("{v:.0}%")
        }
        Kpi::BacklogAge => td_string!(l, measure.days, d = format!("{v:.1}")).to_string(),
        Kpi::Nps => format!("{v:+.0}"),
        Kpi::Satisfaction => format!("{v:.1}"),
        _ => format!("{v:.1}"),
    }
}

/// A group's name as people know it: departments by their directory name, services by their
/// catalog name, agents as they are; the empty group said plainly.
fn group_name(l: Locale, by: Dimension, key: &str) -> String {
    if key.is_empty() {
        return match by {
            Dimension::Agent => td_string!(l, measure.no_agent),
            Dimension::Service => td_string!(l, measure.no_service),
            _ => td_string!(l, measure.no_department),
        }
        .to_string();
    }
    match by {
        Dimension::Provider | Dimension::Team | Dimension::Customer => {
            use_directory().with(|d| department_name(d, key))
        }
        Dimension::Service => use_service_levels().catalog.with(|c| {
            c.services
                .get(key)
                .map(|s| s.name.show(l == Locale::zh_CN).to_string())
                .unwrap_or_else(|| key.to_string())
        }),
        Dimension::Agent => key.to_string(),
    }
}

/// A button that downloads a table on the page as CSV.
#[component]
fn TableCsv(table: &'static str, file: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button type="button" class="link-button no-print" id=format!("{table}-csv")
            on:click=move |_| super::files::save_table(table, file)>
            {t!(i18n, measure.download_csv)}
        </button>
    }
}

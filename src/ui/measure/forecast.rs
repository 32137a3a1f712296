//! Demand forecast: weekly tickets for the whole desk, a providing department or a service, with
//! its 95 % interval, its back-tested accuracy beside it, the weekday pattern, and the staff it
//! implies at a chosen capacity per agent.

use super::charts::{forecast_lines, Chart};
use super::{group_name, raw, use_facts, MeasureNav, TableCsv};
use crate::csv;
use crate::domain::measure::forecast::{forecast, Forecast, Method, BACKTEST_WEEKS};
use crate::domain::measure::kpi::Dimension;
use crate::ui::files::save_file;
use crate::ui::format::{date, iso};
use crate::ui::i18n::*;
use crate::ui::state::now;
use leptos::prelude::*;
use std::collections::BTreeSet;

const HORIZONS: [usize; 4] = [4, 8, 13, 26];
/// Weeks of history drawn before the forecast.
const DRAWN_WEEKS: usize = 52;

/// Which tickets a forecast is about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Series {
    All,
    Provider(String),
    Service(String),
}

impl Series {
    fn value(&self) -> String {
        match self {
            Series::All => "all".into(),
            Series::Provider(p) => format!("provider:{p}"),
            Series::Service(s) => format!("service:{s}"),
        }
    }

    fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some(("provider", p)) => Series::Provider(p.into()),
            Some(("service", s)) => Series::Service(s.into()),
            _ => Series::All,
        }
    }
}

/// Minutes the browser's time zone is ahead of UTC (weeks start on its Monday).
fn local_offset() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

#[component]
pub fn ForecastPage() -> impl IntoView {
    let i18n = use_i18n();
    let facts = use_facts();
    let series = RwSignal::new(Series::All);
    let horizon = RwSignal::new(13usize);
    let capacity = RwSignal::new(30.0f64);
    let choices = Memo::new(move |_| {
        facts.with(|f| {
            let providers: BTreeSet<&str> = f
                .value
                .iter()
                .map(|t| t.provider.as_str())
                .filter(|p| !p.is_empty())
                .collect();
            let services: BTreeSet<&str> = f
                .value
                .iter()
                .map(|t| t.service.as_str())
                .filter(|s| !s.is_empty())
                .collect();
            providers
                .into_iter()
                .map(|p| Series::Provider(p.into()))
                .chain(services.into_iter().map(|s| Series::Service(s.into())))
                .collect::<Vec<_>>()
        })
    });
    let planned = Memo::new(move |_| {
        let chosen = series.get();
        let times: Vec<_> = facts.with(|f| {
            f.value
                .iter()
                .filter(|t| match &chosen {
                    Series::All => true,
                    Series::Provider(p) => &t.provider == p,
                    Series::Service(s) => &t.service == s,
                })
                .map(|t| t.created_at)
                .collect()
        });
        forecast(&times, local_offset(), now(), horizon.get(), capacity.get())
    });
    let label = move |s: &Series| {
        let l = i18n.get_locale();
        match s {
            Series::All => td_string!(l, measure.all_tickets).to_string(),
            Series::Provider(p) => group_name(l, Dimension::Provider, p),
            Series::Service(s) => format!(
                "{} · {}",
                td_string!(l, measure.service),
                group_name(l, Dimension::Service, s)
            ),
        }
    };
    let set_capacity = move |ev: leptos::ev::Event| {
        if let Ok(c) = event_target_value(&ev).parse::<f64>() {
            if c >= 1.0 {
                capacity.set(c);
            }
        }
    };
    let download = move |_| {
        if let Some(f) = planned.get() {
            save_file("forecast.csv", &forecast_csv(&f));
        }
    };
    view! {
        <section class="measure-page">
            <MeasureNav/>
            <div class="page-head">
                <h1>{t!(i18n, measure.forecast_title)}</h1>
                <div class="report-controls no-print">
                    <div class="field inline">
                        <label for="forecast-series">{t!(i18n, measure.series)}</label>
                        <select id="forecast-series" on:change=move |ev| series.set(Series::parse(&event_target_value(&ev)))>
                            <option value="all" selected=move || series.get() == Series::All>{move || label(&Series::All)}</option>
                            {move || choices.get().into_iter().map(|s| {
                                let value = s.value();
                                let chosen = s.clone();
                                view! { <option value=value selected=move || series.get() == chosen>{label(&s)}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field inline">
                        <label for="forecast-horizon">{t!(i18n, measure.horizon)}</label>
                        <select id="forecast-horizon" on:change=move |ev| if let Ok(h) = event_target_value(&ev).parse() { horizon.set(h) }>
                            {HORIZONS.into_iter().map(|h| view! {
                                <option value=h.to_string() selected=move || horizon.get() == h>{move || td_string!(i18n.get_locale(), measure.weeks, n = h)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field inline">
                        <label for="forecast-capacity">{t!(i18n, measure.capacity)}</label>
                        <input id="forecast-capacity" type="number" min="1" step="1" prop:value=move || capacity.get().to_string()
                            on:change=set_capacity/>
                    </div>
                    <button type="button" class="button" id="forecast-csv" on:click=download>{t!(i18n, measure.download_csv)}</button>
                </div>
            </div>
            <MeasureNote/>
            {move || {
                let l = i18n.get_locale();
                match planned.get() {
                    None => view! { <p class="empty">{t!(i18n, measure.no_history)}</p> }.into_any(),
                    Some(f) => view! { <ForecastView f l/> }.into_any(),
                }
            }}
        </section>
    }
}

#[component]
fn MeasureNote() -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="hint">{t!(i18n, measure.forecast_intro)}</p> }
}

#[component]
fn ForecastView(f: Forecast, l: Locale) -> impl IntoView {
    let i18n = use_i18n();
    let drawn = f.history.counts.len().saturating_sub(DRAWN_WEEKS);
    let history = &f.history.counts[drawn..];
    let points: Vec<_> = f.weeks.iter().map(|w| w.demand).collect();
    let first = date(l, f.history.week(drawn));
    let split = f
        .weeks
        .first()
        .map(|w| date(l, w.start))
        .unwrap_or_default();
    let svg = forecast_lines(history, &points, &first, &split);
    let history_table = view! {
        <table class="data">
            <caption>{t!(i18n, measure.history)}</caption>
            <thead><tr><th scope="col">{t!(i18n, measure.week_of)}</th><th scope="col">{t!(i18n, measure.tickets)}</th></tr></thead>
            <tbody>{history.iter().enumerate().map(|(i, n)| view! {
                <tr><th scope="row">{date(l, f.history.week(drawn + i))}</th><td class="number">{format!("{n:.0}")}</td></tr>
            }).collect_view()}</tbody>
        </table>
    }
    .into_any();
    let caption = Signal::derive(move || t_string!(i18n, measure.forecast_chart).to_string());
    let method = match f.method {
        Method::HoltWinters { alpha, beta, gamma } => td_string!(
            l,
            measure.method_hw,
            alpha = alpha,
            beta = beta,
            gamma = gamma
        )
        .to_string(),
        Method::Holt { alpha, beta } => {
            td_string!(l, measure.method_holt, alpha = alpha, beta = beta).to_string()
        }
        Method::Mean => td_string!(l, measure.method_mean).to_string(),
    };
    let accuracy = match f.backtest {
        Some(b) => td_string!(
            l,
            measure.backtest,
            weeks = b.weeks,
            mae = format!("{:.1}", b.mae),
            naive = format!("{:.1}", b.naive_mae),
            verdict = verdict(l, b.skill().unwrap_or(0.0)),
            covered = format!("{:.0}", b.covered * 100.0)
        )
        .to_string(),
        None => td_string!(l, measure.no_backtest, weeks = BACKTEST_WEEKS + 6).to_string(),
    };
    let next_week = f.weeks.first().map(|w| w.demand.mean).unwrap_or(0.0);
    let weekdays = [
        td_string!(l, weekday.mon),
        td_string!(l, weekday.tue),
        td_string!(l, weekday.wed),
        td_string!(l, weekday.thu),
        td_string!(l, weekday.fri),
        td_string!(l, weekday.sat),
        td_string!(l, weekday.sun),
    ];
    view! {
        <Chart id="forecast-chart" caption svg table=history_table/>
        <p id="forecast-method">{method}</p>
        <p id="forecast-accuracy" class="accuracy" data-mae=raw(f.backtest.map(|b| b.mae))
            data-naive=raw(f.backtest.map(|b| b.naive_mae))>{accuracy}</p>
        <div class="table-scroll">
            <table class="data" id="forecast-table">
                <caption>{t!(i18n, measure.forecast_table)}</caption>
                <thead><tr>
                    <th scope="col">{t!(i18n, measure.week_of)}</th>
                    <th scope="col">{t!(i18n, measure.expected)}</th>
                    <th scope="col">{t!(i18n, measure.interval)}</th>
                    <th scope="col">{t!(i18n, measure.staff)}</th>
                    <th scope="col">{t!(i18n, measure.staff_high)}</th>
                </tr></thead>
                <tbody>{f.weeks.iter().map(|w| view! {
                    <tr data-mean=raw(Some(w.demand.mean))>
                        <th scope="row">{date(l, w.start)}</th>
                        <td class="number">{format!("{:.0}", w.demand.mean)}</td>
                        <td class="number">{format!("{:.0}–{:.0}", w.demand.low, w.demand.high)}</td>
                        <td class="number">{w.staff}</td>
                        <td class="number">{w.staff_high}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        </div>
        <div class="table-scroll">
            <table class="data" id="weekday-table">
                <caption>{t!(i18n, measure.weekday_title)}" "<TableCsv table="weekday-table" file="weekdays.csv"/></caption>
                <thead><tr>{weekdays.iter().map(|d| view! { <th scope="col">{*d}</th> }).collect_view()}</tr></thead>
                <tbody><tr>{f.weekdays.iter().map(|share| view! {
                    <td class="number">{format!("{:.0} ({:.0}%)", next_week * share, share * 100.0)}</td>
                }).collect_view()}</tr></tbody>
            </table>
        </div>
    }
}

/// How the forecast compared with the seasonal-naive one, said the right way round.
fn verdict(l: Locale, skill: f64) -> String {
    let n = format!("{:.0}", skill.abs() * 100.0);
    if skill >= 0.0 {
        td_string!(l, measure.better, n = n).to_string()
    } else {
        td_string!(l, measure.worse, n = n).to_string()
    }
}

fn forecast_csv(f: &Forecast) -> String {
    let mut out = csv::row(&[
        "week".into(),
        "expected".into(),
        "low".into(),
        "high".into(),
        "staff".into(),
        "staff_high".into(),
    ]);
    for w in &f.weeks {
        out.push_str(&csv::row(&[
            iso(w.start),
            format!("{:.1}", w.demand.mean),
            format!("{:.1}", w.demand.low),
            format!("{:.1}", w.demand.high),
            w.staff.to_string(),
            w.staff_high.to_string(),
        ]));
    }
    out
}

//! The KPI dashboard: the desk's headline figures, a table of every KPI per providing department,
//! team, agent, service or customer department, and the monthly trend. Each figure's definition
//! is beside it, and each figure opens the tickets behind it.

use super::charts::{bars, Chart};
use super::drill::{Drill, DrillContent, DrillPanel};
use super::{
    dimension_name, group_name, hours, kpi_definition, kpi_name, raw, show, timed, use_facts,
    use_measures, MeasureNav, TableCsv,
};
use crate::domain::measure::facts::TicketFacts;
use crate::domain::measure::kpi::{behind, figures, is_time, to_csv, Dimension, Kpi};
use crate::domain::time::Period;
use crate::ui::files::save_file;
use crate::ui::i18n::*;
use crate::ui::period::{period, period_name, today, PeriodChoice, PeriodControls, Span};
use crate::ui::state::{now, AppState};
use leptos::prelude::*;

/// The headline figures above the table.
const HEADLINE: [Kpi; 7] = [
    Kpi::Volume,
    Kpi::OnTime,
    Kpi::FirstResponseMedian,
    Kpi::ResolutionMedian,
    Kpi::Backlog,
    Kpi::Satisfaction,
    Kpi::Deflection,
];

/// Months in the trend chart.
const TREND_MONTHS: u32 = 12;

#[component]
pub fn KpiPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let choice = PeriodChoice::new(Span::Quarter);
    let period_signal = Signal::derive(move || choice.period());
    let measures = use_measures(state, period_signal);
    let facts = use_facts();
    let by = RwSignal::new(Dimension::Provider);
    let drill = RwSignal::new(None::<Drill>);
    let open = move |kpi: Kpi, group: Option<(Dimension, String)>| {
        let period = choice.period();
        drill.set(Some(Drill::new(move |l| {
            let title = match &group {
                Some((d, key)) => format!("{} · {}", kpi_name(l, kpi), group_name(l, *d, key)),
                None => kpi_name(l, kpi).to_string(),
            };
            let keep = |t: &&TicketFacts| group.as_ref().is_none_or(|(d, key)| d.key_of(t) == key);
            facts.with(|f| kpi_drill(l, kpi, title, f.value.iter().filter(keep), period))
        })));
    };
    let download = move |_| {
        let l = i18n.get_locale();
        let d = by.get();
        let csv = measures.with(|m| to_csv(m.value.lines(d), |k| group_name(l, d, k)));
        save_file(
            &format!("kpis-{}-{}.csv", d.id(), choice.name().replace(' ', "-")),
            &csv,
        );
    };
    view! {
        <section class="measure-page" data-facts-ms=move || format!("{:.1}", facts.get().ms)
            data-kpi-ms=move || format!("{:.1}", measures.get().ms)>
            <MeasureNav/>
            <div class="page-head">
                <h1>{t!(i18n, measure.kpis_title)}" · "<span id="kpi-period">{move || choice.name()}</span></h1>
                <div class="report-controls no-print">
                    <PeriodControls choice id="kpi-span"/>
                    <button type="button" class="button" id="kpi-csv" on:click=download>{t!(i18n, measure.download_csv)}</button>
                    <button type="button" class="button" on:click=move |_| { let _ = window().print(); }>{t!(i18n, measure.print)}</button>
                </div>
            </div>
            <p class="hint">{t!(i18n, measure.kpis_intro)}</p>
            <div class="kpi-cards" id="kpi-totals">
                {HEADLINE.into_iter().map(|kpi| {
                    let value = move || measures.with(|m| m.value.total.value(kpi));
                    view! {
                        <button type="button" class="kpi-card" data-kpi=kpi.id() data-value=move || raw(value())
                            title=move || kpi_definition(i18n.get_locale(), kpi) on:click=move |_| open(kpi, None)>
                            <span class="kpi-label">{move || kpi_name(i18n.get_locale(), kpi)}</span>
                            <strong>{move || show(i18n.get_locale(), kpi, value())}</strong>
                        </button>
                    }
                }).collect_view()}
            </div>
            <DrillPanel drill/>
            <div class="field inline no-print">
                <label for="kpi-by">{t!(i18n, measure.group_by)}</label>
                <select id="kpi-by" on:change=move |ev| if let Some(d) = Dimension::parse(&event_target_value(&ev)) { by.set(d) }>
                    {Dimension::ALL.into_iter().map(|d| view! {
                        <option value=d.id() selected=move || by.get() == d>{move || dimension_name(i18n.get_locale(), d)}</option>
                    }).collect_view()}
                </select>
            </div>
            <KpiTable measures by open/>
            <Definitions/>
            <Trend/>
        </section>
    }
}

/// The tickets behind a KPI, each with the value it contributed.
pub(super) fn kpi_drill<'a>(
    l: Locale,
    kpi: Kpi,
    title: String,
    tickets: impl Iterator<Item = &'a TicketFacts>,
    period: Period,
) -> DrillContent {
    let value = |v: Option<f64>| match (kpi, v) {
        (Kpi::OnTime | Kpi::Resolved | Kpi::Reopened | Kpi::Csat, Some(v)) => if v > 0.0 {
            td_string!(l, measure.yes)
        } else {
            td_string!(l, measure.no)
        }
        .to_string(),
        (_, Some(v)) if is_time(kpi) => hours(l, v),
        (Kpi::BacklogAge, v) => show(l, kpi, v),
        (_, Some(v)) => format!("{v}"),
        (_, None) => "✓".into(),
    };
    DrillContent {
        title,
        definition: kpi_definition(l, kpi).to_string(),
        value_label: kpi_name(l, kpi).to_string(),
        tickets: behind(kpi, tickets, period, now())
            .into_iter()
            .map(|(t, v)| (t.id, value(v)))
            .collect(),
    }
}

#[component]
fn KpiTable(
    measures: Memo<super::Computed<crate::domain::measure::Measures>>,
    by: RwSignal<Dimension>,
    open: impl Fn(Kpi, Option<(Dimension, String)>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let l = i18n.get_locale();
        let d = by.get();
        let lines = measures.with(|m| m.value.lines(d).to_vec());
        if lines.is_empty() {
            return view! { <p class="empty">{t!(i18n, measure.no_tickets)}</p> }.into_any();
        }
        let body = lines
            .into_iter()
            .map(|line| {
                let cells = Kpi::ALL
                    .into_iter()
                    .map(|kpi| {
                        let value = line.figures.value(kpi);
                        let key = line.key.clone();
                        match value {
                            Some(_) if kpi != Kpi::Nps => view! {
                                <td class="number" data-kpi=kpi.id() data-value=raw(value)>
                                    <button type="button" class="figure-button" on:click=move |_| open(kpi, Some((d, key.clone())))>{show(l, kpi, value)}</button>
                                </td>
                            }.into_any(),
                            _ => view! { <td class="number" data-kpi=kpi.id() data-value=raw(value)>{show(l, kpi, value)}</td> }.into_any(),
                        }
                    })
                    .collect_view();
                view! { <tr data-key=line.key.clone()><th scope="row">{group_name(l, d, &line.key)}</th>{cells}</tr> }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="data kpi-table" id="kpi-table">
                    <caption>{dimension_name(l, d)}</caption>
                    <thead><tr>
                        <th scope="col">{dimension_name(l, d)}</th>
                        {Kpi::ALL.into_iter().map(|kpi| view! {
                            <th scope="col" title=kpi_definition(l, kpi)>{kpi_name(l, kpi)}</th>
                        }).collect_view()}
                    </tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        }
        .into_any()
    }
}

/// Every KPI's definition, as the domain computes it.
#[component]
fn Definitions() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <details class="definitions">
            <summary>{t!(i18n, measure.definitions)}</summary>
            <dl>
                {Kpi::ALL.into_iter().map(|kpi| view! {
                    <dt>{move || kpi_name(i18n.get_locale(), kpi)}</dt>
                    <dd>{move || kpi_definition(i18n.get_locale(), kpi)}</dd>
                }).collect_view()}
            </dl>
        </details>
    }
}

/// Tickets filed per month over the last year, with the share kept on time.
#[component]
fn Trend() -> impl IntoView {
    let i18n = use_i18n();
    let facts = use_facts();
    let months = Memo::new(move |_| {
        let now = now();
        facts.with(|f| {
            timed(|| {
                (0..TREND_MONTHS)
                    .rev()
                    .map(|back| {
                        let (p, start) = period(Span::Month, back, today());
                        let figures = figures(f.value.iter(), p, now);
                        (
                            period_name(Span::Month, start),
                            figures.volume,
                            figures.on_time.percent(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let caption = Signal::derive(move || t_string!(i18n, measure.trend_title).to_string());
    move || {
        let l = i18n.get_locale();
        let computed = months.get();
        let data = &computed.value;
        let svg = bars(
            &data
                .iter()
                .map(|(m, v, _)| (m[5..].to_string(), *v as f64))
                .collect::<Vec<_>>(),
        );
        let table = view! {
            <table class="data" id="kpi-trend-table">
                <thead><tr>
                    <th scope="col">{t!(i18n, measure.month)}</th>
                    <th scope="col">{kpi_name(l, Kpi::Volume)}</th>
                    <th scope="col">{kpi_name(l, Kpi::OnTime)}</th>
                </tr></thead>
                <tbody>
                    {data.iter().map(|(m, v, on)| view! {
                        <tr><th scope="row">{m.clone()}</th><td class="number">{*v}</td><td class="number">{show(l, Kpi::OnTime, *on)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any();
        view! {
            <div class="trend" data-trend-ms=format!("{:.1}", computed.ms)>
                <Chart id="kpi-trend" caption svg table/>
                <TableCsv table="kpi-trend-table" file="kpi-trend.csv"/>
            </div>
        }
    }
}

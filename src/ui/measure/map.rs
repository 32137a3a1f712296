//! Who serves whom: requesting departments down the side, providing departments across the top,
//! each cell coloured by the chosen figure and opening the tickets between the two.

use super::drill::{Drill, DrillPanel};
use super::kpis::kpi_drill;
use super::{group_name, kpi_definition, kpi_name, raw, show, use_facts, use_measures, MeasureNav};
use crate::csv;
use crate::domain::measure::facts::TicketFacts;
use crate::domain::measure::kpi::{Dimension, Kpi};
use crate::domain::measure::map::{scale, ServiceMap};
use crate::ui::files::save_file;
use crate::ui::i18n::*;
use crate::ui::period::{PeriodChoice, PeriodControls, Span};
use crate::ui::state::AppState;
use leptos::prelude::*;

/// The figures a cell can be coloured by.
const METRICS: [Kpi; 3] = [Kpi::Volume, Kpi::OnTime, Kpi::Satisfaction];

#[component]
pub fn MapPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let choice = PeriodChoice::new(Span::Quarter);
    let measures = use_measures(state, Signal::derive(move || choice.period()));
    let facts = use_facts();
    let metric = RwSignal::new(Kpi::Volume);
    let drill = RwSignal::new(None::<Drill>);
    let open = move |customer: String, provider: String| {
        let kpi = metric.get_untracked();
        let period = choice.period();
        drill.set(Some(Drill::new(move |l| {
            let title = format!(
                "{} → {}",
                group_name(l, Dimension::Customer, &customer),
                group_name(l, Dimension::Provider, &provider)
            );
            let between = |t: &&TicketFacts| t.customer == customer && t.provider == provider;
            facts.with(|f| kpi_drill(l, kpi, title, f.value.iter().filter(between), period))
        })));
    };
    let download = move |_| {
        let l = i18n.get_locale();
        let csv = measures.with(|m| map_csv(l, &m.value.map, metric.get()));
        save_file(
            &format!("who-serves-whom-{}.csv", choice.name().replace(' ', "-")),
            &csv,
        );
    };
    view! {
        <section class="measure-page">
            <MeasureNav/>
            <div class="page-head">
                <h1>{t!(i18n, measure.map_title)}" · "{move || choice.name()}</h1>
                <div class="report-controls no-print">
                    <PeriodControls choice id="map-span"/>
                    <div class="field inline">
                        <label for="map-metric">{t!(i18n, measure.colour_by)}</label>
                        <select id="map-metric" on:change=move |ev| {
                            let id = event_target_value(&ev);
                            if let Some(k) = METRICS.into_iter().find(|k| k.id() == id) { metric.set(k) }
                        }>
                            {METRICS.into_iter().map(|k| view! {
                                <option value=k.id() selected=move || metric.get() == k>{move || kpi_name(i18n.get_locale(), k)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="button" class="button" id="map-csv" on:click=download>{t!(i18n, measure.download_csv)}</button>
                </div>
            </div>
            <p class="hint">{t!(i18n, measure.map_intro)}</p>
            {move || {
                let l = i18n.get_locale();
                let kpi = metric.get();
                measures.with(|m| map_table(l, &m.value.map, kpi, open))
            }}
            <DrillPanel drill/>
        </section>
    }
}

fn map_table(
    l: Locale,
    map: &ServiceMap,
    kpi: Kpi,
    open: impl Fn(String, String) + Copy + Send + Sync + 'static,
) -> AnyView {
    if map.cells.is_empty() {
        return view! { <p class="empty">{td_string!(l, measure.no_tickets)}</p> }.into_any();
    }
    let range = map.range(kpi);
    // Higher is better for shares and scores; for volume a darker cell is simply busier.
    let colour = |v: f64| {
        let x = range.map_or(0.5, |r| scale(v, r));
        match kpi {
            Kpi::Volume => format!("hsl(215 70% {:.0}%)", 94.0 - 50.0 * x),
            _ => format!("hsl({:.0} 65% 82%)", 8.0 + 112.0 * x),
        }
    };
    let dark = |v: f64| kpi == Kpi::Volume && range.is_some_and(|r| scale(v, r) > 0.6);
    let rows = map
        .customers
        .iter()
        .map(|customer| {
            let cells = map
                .providers
                .iter()
                .map(|provider| match map.cell(customer, provider) {
                    Some(f) => {
                        let value = f.value(kpi);
                        let (c, p) = (customer.clone(), provider.clone());
                        let background = value.map(colour).unwrap_or_default();
                        let class = if value.is_some_and(dark) { "map-cell dark" } else { "map-cell" };
                        view! {
                            <td class=class style=("background", background) data-customer=customer.clone() data-provider=provider.clone()
                                data-volume=f.volume data-value=raw(value)>
                                <button type="button" class="figure-button" on:click=move |_| open(c.clone(), p.clone())>
                                    {show(l, kpi, value)}
                                </button>
                            </td>
                        }
                        .into_any()
                    }
                    None => view! { <td class="map-cell empty-cell">"·"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr><th scope="row">{group_name(l, Dimension::Customer, customer)}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="data service-map" id="service-map">
                <caption>{td_string!(l, measure.map_caption, kpi = kpi_name(l, kpi))}</caption>
                <thead><tr>
                    <td></td>
                    {map.providers.iter().map(|p| view! { <th scope="col">{group_name(l, Dimension::Provider, p)}</th> }).collect_view()}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {range.map(|(lo, hi)| view! {
            <p class="legend">
                <span class="swatch" style=("background", colour(lo))></span>{show(l, kpi, Some(lo))}
                " … "
                <span class="swatch" style=("background", colour(hi))></span>{show(l, kpi, Some(hi))}
                <span class="legend-definition">{kpi_name(l, kpi)}": "{kpi_definition(l, kpi)}</span>
            </p>
        })}
    }
    .into_any()
}

fn map_csv(l: Locale, map: &ServiceMap, kpi: Kpi) -> String {
    let mut header = vec![format!("customer \\ provider ({})", kpi.id())];
    header.extend(
        map.providers
            .iter()
            .map(|p| group_name(l, Dimension::Provider, p)),
    );
    let mut out = csv::row(&header);
    for customer in &map.customers {
        let mut cells = vec![group_name(l, Dimension::Customer, customer)];
        cells.extend(map.providers.iter().map(|p| {
            crate::domain::measure::kpi::csv_value(
                kpi,
                map.cell(customer, p).and_then(|f| f.value(kpi)),
            )
        }));
        out.push_str(&csv::row(&cells));
    }
    out
}

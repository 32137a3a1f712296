//! Bottlenecks: where tickets wait (business time per status and team), the services slowest to
//! resolve, and the hand-offs between teams that wait longest. Each line opens its tickets.

use super::drill::{Drill, DrillContent, DrillPanel};
use super::kpis::kpi_drill;
use super::{group_name, hours, kpi_name, show, use_facts, use_measures, MeasureNav, TableCsv};
use crate::domain::measure::bottlenecks::slowest_services;
use crate::domain::measure::facts::{HandoffWait, TicketFacts};
use crate::domain::measure::kpi::{Dimension, Kpi};
use crate::domain::Status;
use crate::ui::i18n::*;
use crate::ui::labels::status_label;
use crate::ui::period::{PeriodChoice, PeriodControls, Span};
use crate::ui::state::AppState;
use leptos::prelude::*;

/// How many of the slowest services are listed.
const SLOWEST: usize = 10;

#[component]
pub fn BottlenecksPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let choice = PeriodChoice::new(Span::Quarter);
    let measures = use_measures(state, Signal::derive(move || choice.period()));
    let facts = use_facts();
    let drill = RwSignal::new(None::<Drill>);
    let open_team = move |team: String| {
        let period = choice.period();
        drill.set(Some(Drill::new(move |l| DrillContent {
            title: group_name(l, Dimension::Team, &team),
            definition: td_string!(l, measure.status_time_intro).to_string(),
            value_label: td_string!(l, measure.open_time).to_string(),
            tickets: facts.with(|f| {
                f.value
                    .iter()
                    .filter(|t| t.team == team && period.contains(t.created_at))
                    .map(|t| (t.id, hours(l, t.status_ms[..3].iter().sum::<i64>() as f64)))
                    .collect()
            }),
        })));
    };
    let open_service = move |service: String| {
        let period = choice.period();
        drill.set(Some(Drill::new(move |l| {
            let title = format!(
                "{} · {}",
                kpi_name(l, Kpi::ResolutionP90),
                group_name(l, Dimension::Service, &service)
            );
            let of_service = |t: &&TicketFacts| t.service == service;
            facts.with(|f| {
                kpi_drill(
                    l,
                    Kpi::ResolutionP90,
                    title,
                    f.value.iter().filter(of_service),
                    period,
                )
            })
        })));
    };
    let open_route = move |from: String, to: String| {
        let period = choice.period();
        drill.set(Some(Drill::new(move |l| DrillContent {
            title: format!(
                "{} → {}",
                group_name(l, Dimension::Team, &from),
                group_name(l, Dimension::Team, &to)
            ),
            definition: td_string!(l, measure.handoffs_intro).to_string(),
            value_label: td_string!(l, measure.waited).to_string(),
            tickets: facts.with(|f| {
                f.value
                    .iter()
                    .flat_map(|t| t.handoffs.iter().map(move |w| (t, w)))
                    .filter(|(_, w)| w.from == from && w.to == to && period.contains(w.at))
                    .map(|(t, w)| (t.id, waited(l, w)))
                    .collect()
            }),
        })));
    };
    view! {
        <section class="measure-page">
            <MeasureNav/>
            <div class="page-head">
                <h1>{t!(i18n, measure.bottlenecks_title)}" · "{move || choice.name()}</h1>
                <div class="report-controls no-print"><PeriodControls choice id="bottleneck-span"/></div>
            </div>
            <DrillPanel drill/>
            <h2>{t!(i18n, measure.status_time_title)}" "<TableCsv table="status-time" file="status-time.csv"/></h2>
            <p class="hint">{t!(i18n, measure.status_time_intro)}</p>
            {move || {
                let l = i18n.get_locale();
                let lines = measures.with(|m| m.value.status_time.clone());
                if lines.is_empty() {
                    return view! { <p class="empty">{t!(i18n, measure.no_tickets)}</p> }.into_any();
                }
                view! {
                    <div class="table-scroll"><table class="data" id="status-time">
                        <thead><tr>
                            <th scope="col">{t!(i18n, measure.team)}</th>
                            <th scope="col">{t!(i18n, measure.tickets)}</th>
                            {Status::ALL[..3].iter().map(|s| view! { <th scope="col">{status_label(l, *s)}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>{lines.into_iter().map(|line| {
                            let slowest = line.slowest();
                            let team = line.team.clone();
                            view! {
                                <tr data-team=line.team.clone()>
                                    <th scope="row"><button type="button" class="figure-button" on:click=move |_| open_team(team.clone())>{group_name(l, Dimension::Team, &line.team)}</button></th>
                                    <td class="number">{line.tickets}</td>
                                    {Status::ALL[..3].iter().map(|s| view! {
                                        <td class=if *s == slowest { "number slowest" } else { "number" }>{hours(l, line.mean_ms(*s) as f64)}</td>
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
            <h2>{t!(i18n, measure.slowest_services)}" "<TableCsv table="slowest-services" file="slowest-services.csv"/></h2>
            {move || {
                let l = i18n.get_locale();
                let lines = measures.with(|m| slowest_services(m.value.lines(Dimension::Service).to_vec(), SLOWEST));
                if lines.is_empty() {
                    return view! { <p class="empty">{t!(i18n, measure.no_resolved)}</p> }.into_any();
                }
                view! {
                    <div class="table-scroll"><table class="data" id="slowest-services">
                        <thead><tr>
                            <th scope="col">{t!(i18n, measure.service)}</th>
                            <th scope="col">{kpi_name(l, Kpi::Volume)}</th>
                            <th scope="col">{kpi_name(l, Kpi::ResolutionMedian)}</th>
                            <th scope="col">{kpi_name(l, Kpi::ResolutionP90)}</th>
                            <th scope="col">{kpi_name(l, Kpi::OnTime)}</th>
                        </tr></thead>
                        <tbody>{lines.into_iter().map(|line| {
                            let f = &line.figures;
                            let key = line.key.clone();
                            view! {
                                <tr>
                                    <th scope="row"><button type="button" class="figure-button" on:click=move |_| open_service(key.clone())>{group_name(l, Dimension::Service, &line.key)}</button></th>
                                    <td class="number">{f.volume}</td>
                                    <td class="number">{show(l, Kpi::ResolutionMedian, f.value(Kpi::ResolutionMedian))}</td>
                                    <td class="number">{show(l, Kpi::ResolutionP90, f.value(Kpi::ResolutionP90))}</td>
                                    <td class="number">{show(l, Kpi::OnTime, f.value(Kpi::OnTime))}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
            <h2>{t!(i18n, measure.handoffs_title)}" "<TableCsv table="handoffs" file="handoffs.csv"/></h2>
            <p class="hint">{t!(i18n, measure.handoffs_intro)}</p>
            {move || {
                let l = i18n.get_locale();
                let lines = measures.with(|m| m.value.handoffs.clone());
                if lines.is_empty() {
                    return view! { <p class="empty">{t!(i18n, measure.no_handoffs)}</p> }.into_any();
                }
                let time = |ms: Option<i64>| ms.map_or_else(|| "—".to_string(), |ms| hours(l, ms as f64));
                view! {
                    <div class="table-scroll"><table class="data" id="handoffs">
                        <thead><tr>
                            <th scope="col">{t!(i18n, measure.route)}</th>
                            <th scope="col">{t!(i18n, measure.handoffs)}</th>
                            <th scope="col">{t!(i18n, measure.median_wait)}</th>
                            <th scope="col">{t!(i18n, measure.p90_wait)}</th>
                            <th scope="col">{t!(i18n, measure.waiting_now)}</th>
                        </tr></thead>
                        <tbody>{lines.into_iter().map(|line| {
                            let (from, to) = (line.from.clone(), line.to.clone());
                            let name = format!("{} → {}", group_name(l, Dimension::Team, &line.from), group_name(l, Dimension::Team, &line.to));
                            view! {
                                <tr>
                                    <th scope="row"><button type="button" class="figure-button" on:click=move |_| open_route(from.clone(), to.clone())>{name}</button></th>
                                    <td class="number">{line.waited.count + line.waiting}</td>
                                    <td class="number">{time(line.waited.median_ms)}</td>
                                    <td class="number">{time(line.waited.p90_ms)}</td>
                                    <td class="number">{line.waiting}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

/// How long a hand-off waited, and whether it still does.
fn waited(l: Locale, wait: &HandoffWait) -> String {
    let time = hours(l, wait.waited_ms as f64);
    if wait.acted {
        time
    } else {
        td_string!(l, measure.still_waiting, h = time).to_string()
    }
}

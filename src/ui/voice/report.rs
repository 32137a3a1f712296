//! The satisfaction report of a month, quarter or year: ratings per providing department, service
//! and agent with their response rate and trend, survey scores and NPS, the lowest-scoring items.
//! Printable (the print stylesheet hides the controls) and downloadable as CSV.

use super::{change, one_decimal, percent, use_voice, VoiceNav};
use crate::domain::voice::report::{satisfaction_report, LowItem, RatingLine, Report, Subject};
use crate::domain::voice::results::RoundResult;
use crate::domain::voice::survey::Survey;
use crate::domain::TicketSummary;
use crate::ui::directory::{department_name, use_directory};
use crate::ui::files::save_file;
use crate::ui::i18n::*;
use crate::ui::period::{PeriodChoice, PeriodControls, Span};
use crate::ui::service_levels::use_service_levels;
use crate::ui::state::AppState;
use leptos::prelude::*;

/// How many lowest-scoring items the report lists.
const LOWEST: usize = 5;

#[component]
pub fn ReportPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let choice = PeriodChoice::new(Span::Quarter);
    let report = use_report(state, Signal::derive(move || choice.period()));
    let name = move || choice.name();
    let download = move |_| {
        let csv = report.with(Report::to_csv);
        save_file(
            &format!("satisfaction-{}.csv", name().replace(' ', "-")),
            &csv,
        );
    };
    let print = move |_| {
        let _ = window().print();
    };
    view! {
        <section class="voice-page report-page">
            <VoiceNav/>
            <div class="page-head">
                <h1>{t!(i18n, voice.report_title)}" · "<span id="report-period">{name}</span></h1>
                <div class="report-controls no-print">
                    <PeriodControls choice id="report-span"/>
                    <button type="button" class="button" id="report-csv" on:click=download>{t!(i18n, voice.download_csv)}</button>
                    <button type="button" class="button" on:click=print>{t!(i18n, voice.print)}</button>
                </div>
            </div>
            <p class="hint">{t!(i18n, voice.report_intro)}</p>
            <RatingTable report level=Level::Provider/>
            <RatingTable report level=Level::Service/>
            <RatingTable report level=Level::Agent/>
            <LowestItems report/>
            <SurveyLines report/>
        </section>
    }
}

/// The report of the chosen period over the tickets and survey results this person sees.
pub(super) fn use_report(
    state: AppState,
    period: Signal<crate::domain::voice::report::Period>,
) -> Memo<Report> {
    let voice = use_voice(state);
    let results = Memo::new(move |_| state.read(|d| d.survey_results()));
    Memo::new(move |_| {
        let period = period.get();
        voice.with(|v| {
            results.with(|r| {
                let surveys: Vec<(&Survey, &[RoundResult])> = v
                    .surveys
                    .values()
                    .filter_map(|s| Some((s, r.get(&s.id)?.as_slice())))
                    .collect();
                state.read(|d| {
                    let rows: Vec<&TicketSummary> = d.rows().iter().map(|(s, _)| s).collect();
                    satisfaction_report(&rows, &surveys, period)
                })
            })
        })
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Provider,
    Service,
    Agent,
}

/// A subject's name as people know it: department names, service names from the catalog.
pub(super) fn subject_name(
    subject: &Subject,
    directory: &crate::domain::directory::Directory,
    catalog: &crate::domain::catalog::Catalog,
    zh: bool,
) -> String {
    match subject {
        Subject::Provider(p) => department_name(directory, p),
        Subject::Service { provider, service } => {
            let name = catalog
                .services
                .get(service)
                .map(|s| s.name.show(zh).to_string())
                .unwrap_or_else(|| service.clone());
            format!("{name} · {}", department_name(directory, provider))
        }
        Subject::Agent { provider, agent } => {
            format!("{agent} · {}", department_name(directory, provider))
        }
    }
}

#[component]
fn RatingTable(report: Memo<Report>, level: Level) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let catalog = use_service_levels().catalog;
    let lines = move || {
        report.with(|r| {
            r.lines
                .iter()
                .filter(|l| {
                    matches!(
                        (&l.subject, level),
                        (Subject::Provider(_), Level::Provider)
                            | (Subject::Service { .. }, Level::Service)
                            | (Subject::Agent { .. }, Level::Agent)
                    )
                })
                .cloned()
                .collect::<Vec<RatingLine>>()
        })
    };
    let (caption, id): (fn(Locale) -> &'static str, &str) = match level {
        Level::Provider => (|l| td_string!(l, voice.by_provider), "report-providers"),
        Level::Service => (|l| td_string!(l, voice.by_service), "report-services"),
        Level::Agent => (|l| td_string!(l, voice.by_agent), "report-agents"),
    };
    move || {
        let lines = lines();
        if lines.is_empty() {
            return (level == Level::Provider)
                .then(|| view! { <p class="empty">{t!(i18n, voice.no_ratings)}</p> }.into_any());
        }
        let zh = i18n.get_locale() == Locale::zh_CN;
        let body = directory.with(|dir| {
            catalog.with(|cat| {
                lines
                    .iter()
                    .map(|l| {
                        let n = &l.now;
                        let spread = n
                            .counts
                            .iter()
                            .enumerate()
                            .map(|(i, c)| format!("{}★{c}", i + 1))
                            .collect::<Vec<_>>()
                            .join(" ");
                        view! {
                            <tr>
                                <th scope="row">{subject_name(&l.subject, dir, cat, zh)}</th>
                                <td class="number">{n.ratings}</td>
                                <td class="number figure">{one_decimal(n.mean)}</td>
                                <td class="spread">{spread}</td>
                                <td class="number">{percent(n.response_rate())}</td>
                                <td class="number">{one_decimal(l.before.mean)}</td>
                                <td class="number">{change(l.trend())}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
        });
        Some(
            view! {
                <div class="table-scroll">
                    <table class="data" id=id>
                        <caption>{move || caption(i18n.get_locale())}</caption>
                        <thead><tr>
                            <th scope="col">{t!(i18n, voice.subject)}</th>
                            <th scope="col">{t!(i18n, voice.ratings)}</th>
                            <th scope="col">{t!(i18n, voice.mean)}</th>
                            <th scope="col">{t!(i18n, voice.spread)}</th>
                            <th scope="col">{t!(i18n, voice.response_rate)}</th>
                            <th scope="col">{t!(i18n, voice.previous)}</th>
                            <th scope="col">{t!(i18n, voice.trend)}</th>
                        </tr></thead>
                        <tbody>{body}</tbody>
                    </table>
                </div>
            }
            .into_any(),
        )
    }
}

#[component]
fn LowestItems(report: Memo<Report>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let catalog = use_service_levels().catalog;
    let voice = use_voice(state);
    move || {
        let items = report.with(|r| r.lowest(LOWEST));
        if items.is_empty() {
            return None;
        }
        let zh = i18n.get_locale() == Locale::zh_CN;
        let list = items.into_iter().map(|item| {
            let name = match &item {
                LowItem::Rating(subject, _) => directory.with(|d| catalog.with(|c| subject_name(subject, d, c, zh))),
                LowItem::Question { survey, question, .. } => voice.with(|v| {
                    v.surveys.get(survey).and_then(|s| Some(format!("{} · {}", s.title.show(zh), s.question(question)?.text.show(zh))))
                }).unwrap_or_default(),
            };
            view! { <li><span>{name}</span>" "<strong>{format!("{:.1}", item.mean())}</strong></li> }
        }).collect_view();
        Some(view! {
            <section aria-labelledby="lowest-title">
                <h2 id="lowest-title">{t!(i18n, voice.lowest)}</h2>
                <ol class="lowest" id="report-lowest">{list}</ol>
            </section>
        })
    }
}

/// How many people in the directory a survey asks, when the directory lists people.
fn audience_size(state: AppState, survey: &Survey) -> Option<usize> {
    let directory = use_directory();
    let segments = if survey.audience.segments.is_empty() {
        Default::default()
    } else {
        directory.with(|d| crate::ui::customers::department_segments(state, d))
    };
    directory.with(|d| {
        (!d.people.is_empty()).then(|| {
            d.people
                .values()
                .filter(|p| {
                    let department = &p.department.0;
                    survey
                        .audience
                        .includes(department, segments.get(department).copied())
                })
                .count()
        })
    })
}

#[component]
fn SurveyLines(report: Memo<Report>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let directory = use_directory();
    move || {
        let lines = report.with(|r| r.surveys.clone());
        if lines.is_empty() {
            return None;
        }
        let zh = i18n.get_locale() == Locale::zh_CN;
        let body = lines
            .into_iter()
            .map(|l| {
                let (survey, question) = voice.with(|v| {
                    let s = v.surveys.get(&l.survey);
                    (
                        s.map(|s| s.title.show(zh).to_string()).unwrap_or_default(),
                        s.and_then(|s| s.question(&l.question))
                            .map(|q| q.text.show(zh).to_string())
                            .unwrap_or_default(),
                    )
                });
                let about = if l.about.is_empty() {
                    "—".to_string()
                } else {
                    directory.with(|d| department_name(d, &l.about))
                };
                let invited = voice
                    .with(|v| v.surveys.get(&l.survey).cloned())
                    .and_then(|s| audience_size(state, &s));
                let rate = percent(
                    invited
                        .filter(|n| *n > 0)
                        .map(|n| l.respondents as f64 / n as f64),
                );
                let (now, before) = match l.nps {
                    Some(n) => (
                        format!("NPS {n:+}"),
                        l.previous_nps
                            .map(|p| format!("NPS {p:+}"))
                            .unwrap_or_else(|| "—".into()),
                    ),
                    None => (one_decimal(l.mean), one_decimal(l.previous_mean)),
                };
                view! {
                    <tr>
                        <th scope="row">{question}<span class="muted">" · "{survey}</span></th>
                        <td>{about}</td>
                        <td class="number">{l.round}</td>
                        <td class="number">{l.respondents}</td>
                        <td class="number">{rate}</td>
                        <td class="number figure">{now}</td>
                        <td class="number">{before}</td>
                    </tr>
                }
            })
            .collect_view();
        let download = move |_| save_file("survey-scores.csv", &report.with(Report::surveys_csv));
        Some(view! {
            <div class="table-scroll">
                <table class="data" id="report-surveys">
                    <caption>{t!(i18n, voice.survey_scores)}</caption>
                    <thead><tr>
                        <th scope="col">{t!(i18n, voice.question)}</th>
                        <th scope="col">{t!(i18n, voice.about)}</th>
                        <th scope="col">{t!(i18n, voice.round)}</th>
                        <th scope="col">{t!(i18n, voice.respondents)}</th>
                        <th scope="col">{t!(i18n, voice.response_rate)}</th>
                        <th scope="col">{t!(i18n, voice.score)}</th>
                        <th scope="col">{t!(i18n, voice.previous_round)}</th>
                    </tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
            <button type="button" class="button no-print" id="report-surveys-csv" on:click=download>
                {t!(i18n, voice.download_survey_csv)}
            </button>
        })
    }
}

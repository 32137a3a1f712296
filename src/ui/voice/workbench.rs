//! The needs workbench, for the serving side: needs ranked by a score the data raises, the
//! interview and forum notes they come from, and improvement plans with their effect.

use super::{department_choices, one_decimal, today, use_voice, VoiceNav};
use crate::domain::voice::results::RoundResult;
use crate::domain::voice::survey::Survey;
use crate::domain::voice::workbench::{
    rank, Action, Evidence, Interview, Measure, Measured, Need, NeedStatus, Plan, PlanSource,
    PlanState, Point,
};
use crate::domain::{TicketSummary, Timestamp};
use crate::store::organisation::OrgKind;
use crate::store::voice_doc::Workbench;
use crate::ui::directory::{department_name, use_directory};
use crate::ui::format::today_input;
use crate::ui::i18n::*;
use crate::ui::service_levels::use_service_levels;
use crate::ui::state::{new_id, now, AppState};
use chrono::NaiveDate;
use leptos::prelude::*;

/// Needs are measured over the tickets of the last 90 days.
const WINDOW_MS: i64 = 90 * 24 * 3_600_000;

fn use_workbench(state: AppState) -> Memo<Workbench> {
    Memo::new(move |_| state.read(|d| d.workbench()))
}

#[component]
pub fn NeedsPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let staff = Memo::new(move |_| state.read(|d| d.may_edit(OrgKind::Workbench)));
    view! {
        <section class="voice-page needs-page">
            <VoiceNav/>
            <h1>{t!(i18n, voice.needs_title)}</h1>
            {move || if staff.get() {
                view! {
                    <p class="hint">{t!(i18n, voice.needs_intro)}</p>
                    <RankedNeeds/>
                    <NeedForm/>
                    <Interviews/>
                    <Plans/>
                }.into_any()
            } else {
                view! { <p class="empty">{t!(i18n, voice.staff_only)}</p> }.into_any()
            }}
        </section>
    }
}

/// Every need's measure now, over the last 90 days of tickets.
fn measured(state: AppState, needs: &[Need]) -> Vec<Option<Measured>> {
    let sla = use_service_levels();
    let since = Timestamp(now().0 - WINDOW_MS);
    state.read(|d| {
        let rows: Vec<&TicketSummary> = d.rows().iter().map(|(s, _)| s).collect();
        needs
            .iter()
            .map(|n| n.measure.as_ref()?.measure(&rows, since, |r| sla.clocks(r)))
            .collect()
    })
}

fn measure_text(l: Locale, m: &Measure, value: Option<&Measured>) -> String {
    let (customer, provider) = m.parties();
    let directory = use_directory();
    let names = directory.with(|d| (or_anyone(l, d, customer), or_anyone(l, d, provider)));
    let Some(v) = value else {
        return td_string!(l, voice.measure_no_data, from = names.0, to = names.1).to_string();
    };
    let key = match m {
        Measure::FirstResponseHours { .. } => td_string!(
            l,
            voice.measure_first_response,
            from = names.0.clone(),
            to = names.1.clone(),
            value = format!("{:.1}", v.value),
            target = format!("{:.1}", v.target),
            n = v.tickets
        )
        .to_string(),
        Measure::ResolutionHours { .. } => td_string!(
            l,
            voice.measure_resolution,
            from = names.0.clone(),
            to = names.1.clone(),
            value = format!("{:.1}", v.value),
            target = format!("{:.1}", v.target),
            n = v.tickets
        )
        .to_string(),
        Measure::Rating { .. } => td_string!(
            l,
            voice.measure_rating,
            from = names.0.clone(),
            to = names.1.clone(),
            value = format!("{:.1}", v.value),
            target = format!("{:.1}", v.target),
            n = v.tickets
        )
        .to_string(),
    };
    key
}

fn or_anyone(l: Locale, d: &crate::domain::directory::Directory, id: &str) -> String {
    if id.is_empty() {
        td_string!(l, voice.anyone).to_string()
    } else {
        department_name(d, id)
    }
}

fn status_label(l: Locale, s: NeedStatus) -> &'static str {
    match s {
        NeedStatus::Open => td_string!(l, voice.need_open),
        NeedStatus::Planned => td_string!(l, voice.need_planned),
        NeedStatus::Done => td_string!(l, voice.need_done),
    }
}

#[component]
fn RankedNeeds() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let workbench = use_workbench(state);
    let directory = use_directory();
    move || {
        let needs: Vec<Need> = workbench.with(|w| w.needs.values().cloned().collect());
        if needs.is_empty() {
            return view! { <p class="empty">{t!(i18n, voice.no_needs)}</p> }.into_any();
        }
        let values = measured(state, &needs);
        let pairs: Vec<(&Need, Option<Measured>)> = needs.iter().zip(values).collect();
        let l = i18n.get_locale();
        let rows = rank(&pairs).into_iter().enumerate().map(|(i, (need, m, score))| {
            let id = need.id.clone();
            let measure = need.measure.as_ref().map(|x| measure_text(l, x, m.as_ref())).unwrap_or_else(|| "—".into());
            let parties = directory.with(|d| format!("{} → {}", or_anyone(l, d, &need.customer), or_anyone(l, d, &need.provider)));
            let evidence = need.evidence.len();
            let status = need.status;
            let select_id = format!("need-status-{}", i + 1);
            view! {
                <tr data-need=need.id.clone()>
                    <td class="number">{i + 1}</td>
                    <th scope="row">{need.statement.clone()}<p class="hint">{parties}</p></th>
                    <td class="measure">{measure}</td>
                    <td class="number">{need.frequency}" × "{need.impact}</td>
                    <td class="number figure">{format!("{score:.1}")}</td>
                    <td class="number evidence-count">{evidence}</td>
                    <td>
                        <label class="visually-hidden" for=select_id.clone()>{t!(i18n, voice.need_status)}</label>
                        <select id=select_id on:change=move |ev| {
                            if let Some(s) = NeedStatus::parse(&event_target_value(&ev)) {
                                let mut w = workbench.get_untracked();
                                if let Some(n) = w.needs.get_mut(&id) { n.status = s; }
                                let _ = state.save_workbench(&w);
                            }
                        }>
                            {NeedStatus::ALL.into_iter().map(|s| view! {
                                <option value=s.as_str() selected=s == status>{move || status_label(i18n.get_locale(), s)}</option>
                            }).collect_view()}
                        </select>
                    </td>
                </tr>
            }
        }).collect_view();
        view! {
            <div class="table-scroll">
                <table class="data" id="needs-ranked">
                    <caption>{t!(i18n, voice.needs_ranked)}</caption>
                    <thead><tr>
                        <th scope="col">"#"</th>
                        <th scope="col">{t!(i18n, voice.need)}</th>
                        <th scope="col">{t!(i18n, voice.measure)}</th>
                        <th scope="col">{t!(i18n, voice.frequency_impact)}</th>
                        <th scope="col">{t!(i18n, voice.priority_score)}</th>
                        <th scope="col">{t!(i18n, voice.evidence)}</th>
                        <th scope="col">{t!(i18n, voice.need_status)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="hint">{t!(i18n, voice.score_rule)}</p>
        }
        .into_any()
    }
}

/// A select of the directory's departments (or "anyone").
fn department_select(id: &'static str, value: RwSignal<String>, anyone: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    view! {
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
            <option value="">{move || if anyone { t_string!(i18n, voice.anyone) } else { t_string!(i18n, voice.choose) }}</option>
            {move || department_choices(state).into_iter().map(|(id, label)| {
                let selected = id == value.get_untracked();
                view! { <option value=id selected=selected>{label}</option> }
            }).collect_view()}
        </select>
    }
}

/// Survey questions as "survey id|question id" choices, for evidence and plans.
fn question_options(zh: bool, surveys: &[Survey]) -> Vec<(String, String)> {
    surveys
        .iter()
        .flat_map(|s| {
            s.questions.iter().map(move |q| {
                (
                    format!("{}|{}", s.id, q.id),
                    format!("{} · {}", s.title.show(zh), q.text.show(zh)),
                )
            })
        })
        .collect()
}

#[component]
fn NeedForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let workbench = use_workbench(state);
    let voice = use_voice(state);
    let statement = RwSignal::new(String::new());
    let customer = RwSignal::new(String::new());
    let provider = RwSignal::new(String::new());
    let frequency = RwSignal::new(3u8);
    let impact = RwSignal::new(3u8);
    let measure_kind = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let question = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let problems = RwSignal::new(Vec::<String>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let target_value: f64 = target.get().trim().parse().unwrap_or(0.0);
        let (c, p) = (customer.get(), provider.get());
        let measure = match measure_kind.get().as_str() {
            "first_response" => Some(Measure::FirstResponseHours {
                customer: c.clone(),
                provider: p.clone(),
                target: target_value,
            }),
            "resolution" => Some(Measure::ResolutionHours {
                customer: c.clone(),
                provider: p.clone(),
                target: target_value,
            }),
            "rating" => Some(Measure::Rating {
                customer: c.clone(),
                provider: p.clone(),
                target: target_value,
            }),
            _ => None,
        };
        let mut evidence = Vec::new();
        if let Some((survey, q)) = question.get().split_once('|') {
            evidence.push(Evidence::SurveyQuestion {
                survey: survey.into(),
                question: q.into(),
            });
        }
        if !note.get().trim().is_empty() {
            evidence.push(Evidence::Note {
                text: note.get().trim().into(),
            });
        }
        let need = Need {
            id: new_id().to_string(),
            statement: statement.get().trim().into(),
            customer: c,
            provider: p,
            evidence,
            measure,
            frequency: frequency.get(),
            impact: impact.get(),
            status: NeedStatus::Open,
            created_at: now(),
        };
        let found: Vec<String> = need.problems().iter().map(|e| need_error(l, e)).collect();
        if !found.is_empty() {
            problems.set(found);
            return;
        }
        problems.set(Vec::new());
        let mut w = workbench.get_untracked();
        w.needs.insert(need.id.clone(), need);
        if state.save_workbench(&w).is_ok() {
            statement.set(String::new());
            note.set(String::new());
        }
    };
    let scale = move |id: &'static str, value: RwSignal<u8>| {
        view! {
            <select id=id on:change=move |ev| value.set(event_target_value(&ev).parse().unwrap_or(3))>
                {(1..=5u8).map(|n| view! { <option value=n selected=n == 3>{n}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        <section class="card" aria-labelledby="need-form-title">
            <h2 id="need-form-title">{t!(i18n, voice.new_need)}</h2>
            <form on:submit=submit novalidate>
                <div class="field"><label for="need-statement">{t!(i18n, voice.need_statement)}</label>
                    <textarea id="need-statement" rows="2" bind:value=statement aria-describedby="need-problems"></textarea></div>
                <div class="field-row four">
                    <div class="field"><label for="need-customer">{t!(i18n, voice.customer)}</label>{department_select("need-customer", customer, true)}</div>
                    <div class="field"><label for="need-provider">{t!(i18n, voice.provider)}</label>{department_select("need-provider", provider, true)}</div>
                    <div class="field"><label for="need-frequency">{t!(i18n, voice.frequency)}</label>{scale("need-frequency", frequency)}</div>
                    <div class="field"><label for="need-impact">{t!(i18n, voice.impact)}</label>{scale("need-impact", impact)}</div>
                </div>
                <div class="field-row">
                    <div class="field"><label for="need-measure">{t!(i18n, voice.measure)}</label>
                        <select id="need-measure" on:change=move |ev| measure_kind.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, voice.measure_none)}</option>
                            <option value="first_response">{t!(i18n, voice.measure_kind_first_response)}</option>
                            <option value="resolution">{t!(i18n, voice.measure_kind_resolution)}</option>
                            <option value="rating">{t!(i18n, voice.measure_kind_rating)}</option>
                        </select></div>
                    <div class="field"><label for="need-target">{t!(i18n, voice.target)}</label>
                        <input id="need-target" type="number" step="0.1" min="0" bind:value=target/></div>
                </div>
                <div class="field-row">
                    <div class="field"><label for="need-question">{t!(i18n, voice.evidence_question)}</label>
                        <select id="need-question" on:change=move |ev| question.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, voice.none)}</option>
                            {move || {
                                let zh = i18n.get_locale() == Locale::zh_CN;
                                let surveys: Vec<Survey> = voice.with(|v| v.surveys.values().cloned().collect());
                                question_options(zh, &surveys).into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()
                            }}
                        </select></div>
                    <div class="field"><label for="need-note">{t!(i18n, voice.evidence_note)}</label>
                        <input id="need-note" bind:value=note/></div>
                </div>
                <ul class="field-error" role="alert" id="need-problems">{move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                <button type="submit" class="button primary">{t!(i18n, voice.add_need)}</button>
            </form>
        </section>
    }
}

fn need_error(l: Locale, e: &crate::domain::voice::workbench::NeedError) -> String {
    use crate::domain::voice::workbench::NeedError;
    match e {
        NeedError::NoStatement => td_string!(l, voice.error_no_statement),
        NeedError::Scale => td_string!(l, voice.error_scale),
        NeedError::Target => td_string!(l, voice.error_target),
    }
    .to_string()
}

#[component]
fn Interviews() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let workbench = use_workbench(state);
    let directory = use_directory();
    let title = RwSignal::new(String::new());
    let day = RwSignal::new(today_input());
    let forum = RwSignal::new(false);
    let present = RwSignal::new(Vec::<String>::new());
    let points = RwSignal::new(String::new());
    let problems = RwSignal::new(Vec::<String>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let interview = Interview {
            id: new_id().to_string(),
            date: NaiveDate::parse_from_str(&day.get(), "%Y-%m-%d").unwrap_or_else(|_| today()),
            forum: forum.get(),
            title: title.get().trim().into(),
            departments: present.get(),
            points: points
                .get()
                .lines()
                .filter(|p| !p.trim().is_empty())
                .map(|p| Point {
                    text: p.trim().into(),
                    need: String::new(),
                })
                .collect(),
            by: state.read_untracked(|d| d.profile().map(|p| p.name).unwrap_or_default()),
        };
        let found: Vec<String> = interview
            .problems()
            .iter()
            .map(|e| {
                use crate::domain::voice::workbench::InterviewError;
                match e {
                    InterviewError::NoTitle => td_string!(l, voice.error_no_title),
                    InterviewError::NoDepartments => td_string!(l, voice.error_no_departments),
                    InterviewError::NoPoints => td_string!(l, voice.error_no_points),
                }
                .to_string()
            })
            .collect();
        if !found.is_empty() {
            problems.set(found);
            return;
        }
        problems.set(Vec::new());
        let mut w = workbench.get_untracked();
        w.interviews.insert(interview.id.clone(), interview);
        if state.save_workbench(&w).is_ok() {
            title.set(String::new());
            points.set(String::new());
            present.set(Vec::new());
        }
    };
    let list = move || {
        let l = i18n.get_locale();
        let mut interviews: Vec<Interview> =
            workbench.with(|w| w.interviews.values().cloned().collect());
        interviews.sort_by_key(|i| std::cmp::Reverse(i.date));
        let needs: Vec<(String, String)> = workbench.with(|w| {
            w.needs
                .values()
                .map(|n| (n.id.clone(), n.statement.clone()))
                .collect()
        });
        interviews.into_iter().map(|iv| {
            let names = directory.with(|d| iv.departments.iter().map(|x| department_name(d, x)).collect::<Vec<_>>().join("、"));
            let kind = if iv.forum { td_string!(l, voice.forum) } else { td_string!(l, voice.interview) };
            let points = iv.points.iter().enumerate().map(|(i, p)| {
                let (iv_id, select_id) = (iv.id.clone(), format!("point-{}-{i}", iv.id));
                let linked = p.need.clone();
                view! {
                    <li>
                        <span>{p.text.clone()}</span>
                        <label class="visually-hidden" for=select_id.clone()>{t!(i18n, voice.link_need)}</label>
                        <select id=select_id class="link-need" on:change=move |ev| {
                            let need = event_target_value(&ev);
                            let mut w = workbench.get_untracked();
                            if let Some(point) = w.interviews.get_mut(&iv_id).and_then(|x| x.points.get_mut(i)) { point.need = need.clone(); }
                            if let Some(n) = w.needs.get_mut(&need) {
                                let evidence = Evidence::InterviewPoint { interview: iv_id.clone(), point: i };
                                if !n.evidence.contains(&evidence) { n.evidence.push(evidence); }
                            }
                            let _ = state.save_workbench(&w);
                        }>
                            <option value="">{t!(i18n, voice.link_need)}</option>
                            {needs.iter().map(|(id, s)| view! { <option value=id.clone() selected=*id == linked>{s.clone()}</option> }).collect_view()}
                        </select>
                    </li>
                }
            }).collect_view();
            view! {
                <li class="interview" data-interview=iv.id.clone()>
                    <h3>{iv.title.clone()}</h3>
                    <p class="muted">{format!("{} · {} · {} · {}", kind, iv.date.format("%Y-%m-%d"), names, iv.by)}</p>
                    <ul class="points">{points}</ul>
                </li>
            }
        }).collect_view()
    };
    let department_boxes = move || {
        department_choices(state).into_iter().map(|(id, label)| {
        let (a, b) = (id.clone(), id);
        view! {
            <label class="option"><input type="checkbox" prop:checked=move || present.with(|p| p.contains(&a))
                on:change=move |ev| { let on = event_target_checked(&ev); let id = b.clone(); present.update(|p| { p.retain(|x| *x != id); if on { p.push(id) } }); }/>
                {label}</label>
        }
    }).collect_view()
    };
    view! {
        <section class="card" aria-labelledby="interviews-title">
            <h2 id="interviews-title">{t!(i18n, voice.interviews_title)}</h2>
            <ul class="plain interviews">{list}</ul>
            <form on:submit=submit novalidate>
                <div class="field-row three">
                    <div class="field"><label for="interview-title">{t!(i18n, voice.interview_title)}</label><input id="interview-title" bind:value=title/></div>
                    <div class="field"><label for="interview-date">{t!(i18n, voice.date)}</label><input id="interview-date" type="date" bind:value=day/></div>
                    <label class="option"><input type="checkbox" bind:checked=forum/>{t!(i18n, voice.is_forum)}</label>
                </div>
                <fieldset><legend>{t!(i18n, voice.present)}</legend><div class="checklist">{department_boxes}</div></fieldset>
                <div class="field"><label for="interview-points">{t!(i18n, voice.points)}</label>
                    <textarea id="interview-points" rows="4" bind:value=points></textarea>
                    <p class="hint">{t!(i18n, voice.points_hint)}</p></div>
                <ul class="field-error" role="alert">{move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                <button type="submit" class="button">{t!(i18n, voice.add_notes)}</button>
            </form>
        </section>
    }
}

/// The figure a plan measures, now: the need's measure, the service's mean rating since the plan
/// began, or the survey question's latest score (in the follow-up survey once there is one).
fn current_figure(
    state: AppState,
    plan: &Plan,
    workbench: &Workbench,
    results: &std::collections::BTreeMap<String, Vec<RoundResult>>,
) -> Option<f64> {
    match &plan.source {
        PlanSource::Need { need } => {
            let need = workbench.needs.get(need)?;
            measured(state, std::slice::from_ref(need))
                .pop()
                .flatten()
                .map(|m| m.value)
        }
        PlanSource::Service { provider, service } => state.read(|d| {
            let scores: Vec<f64> = d
                .rows()
                .iter()
                .map(|(s, _)| s)
                .filter(|s| &s.department == provider && &s.service == service)
                .filter_map(|s| s.feedback.rating.as_ref())
                .filter(|r| r.at >= plan.created_at)
                .map(|r| f64::from(r.score))
                .collect();
            (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
        }),
        PlanSource::SurveyQuestion { survey, question } => {
            let source = if plan.follow_up_survey.is_empty() {
                survey
            } else {
                &plan.follow_up_survey
            };
            latest_question_mean(results.get(source)?, question)
        }
    }
}

fn latest_question_mean(rounds: &[RoundResult], question: &str) -> Option<f64> {
    rounds.iter().rev().find_map(|r| {
        let q = r
            .groups
            .first()?
            .questions
            .iter()
            .find(|q| q.question == question)?;
        if q.withheld {
            None
        } else {
            q.mean
        }
    })
}

fn plan_state_label(l: Locale, s: PlanState) -> &'static str {
    match s {
        PlanState::Open => td_string!(l, voice.plan_open),
        PlanState::Overdue => td_string!(l, voice.plan_overdue),
        PlanState::Done => td_string!(l, voice.plan_done),
    }
}

#[component]
fn Plans() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let workbench = use_workbench(state);
    let voice = use_voice(state);
    let results = Memo::new(move |_| state.read(|d| d.survey_results()));
    let may_configure = Memo::new(move |_| state.read(|d| d.may_configure()));
    let title = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let actions = RwSignal::new(String::new());
    let due = RwSignal::new(today_input());
    let problems = RwSignal::new(Vec::<String>::new());
    let sources = move || {
        let zh = i18n.get_locale() == Locale::zh_CN;
        let mut options: Vec<(String, String)> = workbench.with(|w| {
            w.needs
                .values()
                .map(|n| (format!("need|{}", n.id), n.statement.clone()))
                .collect()
        });
        let surveys: Vec<Survey> = voice.with(|v| v.surveys.values().cloned().collect());
        options.extend(
            question_options(zh, &surveys)
                .into_iter()
                .map(|(v, l)| (format!("question|{v}"), l)),
        );
        let catalog = use_service_levels().catalog;
        options.extend(catalog.with(|c| {
            c.services
                .values()
                .map(|s| {
                    (
                        format!("service|{}|{}", s.provider, s.id),
                        s.name.show(zh).to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }));
        options
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let text = source.get();
        let parts: Vec<&str> = text.split('|').collect();
        let plan_source = match parts.as_slice() {
            ["need", id] => Some(PlanSource::Need {
                need: id.to_string(),
            }),
            ["question", s, q] => Some(PlanSource::SurveyQuestion {
                survey: s.to_string(),
                question: q.to_string(),
            }),
            ["service", p, s] => Some(PlanSource::Service {
                provider: p.to_string(),
                service: s.to_string(),
            }),
            _ => None,
        };
        let Some(plan_source) = plan_source else {
            problems.set(vec![td_string!(l, voice.error_no_source).to_string()]);
            return;
        };
        let mut plan = Plan {
            id: new_id().to_string(),
            title: title.get().trim().into(),
            source: plan_source,
            owner: owner.get().trim().into(),
            actions: actions
                .get()
                .lines()
                .filter(|a| !a.trim().is_empty())
                .map(|a| Action {
                    text: a.trim().into(),
                    done: false,
                })
                .collect(),
            due: NaiveDate::parse_from_str(&due.get(), "%Y-%m-%d").unwrap_or_else(|_| today()),
            before: None,
            follow_up_survey: String::new(),
            created_at: Timestamp(0),
        };
        let w = workbench.get_untracked();
        // The starting figure: measured over everything up to now.
        plan.before = results.with_untracked(|r| current_figure(state, &plan, &w, r));
        plan.created_at = now();
        let found: Vec<String> = plan
            .problems()
            .iter()
            .map(|e| {
                use crate::domain::voice::workbench::PlanError;
                match e {
                    PlanError::NoTitle => td_string!(l, voice.error_no_title),
                    PlanError::NoOwner => td_string!(l, voice.error_no_owner),
                    PlanError::NoActions => td_string!(l, voice.error_no_actions),
                }
                .to_string()
            })
            .collect();
        if !found.is_empty() {
            problems.set(found);
            return;
        }
        problems.set(Vec::new());
        let mut w = w;
        if let PlanSource::Need { need } = &plan.source {
            if let Some(n) = w.needs.get_mut(need) {
                n.status = NeedStatus::Planned;
            }
        }
        w.plans.insert(plan.id.clone(), plan);
        if state.save_workbench(&w).is_ok() {
            title.set(String::new());
            actions.set(String::new());
        }
    };
    let list = move || {
        let l = i18n.get_locale();
        let w = workbench.get();
        let mut plans: Vec<Plan> = w.plans.values().cloned().collect();
        plans.sort_by_key(|p| p.due);
        let day = today();
        plans.into_iter().map(|plan| {
            let after = results.with(|r| current_figure(state, &plan, &w, r));
            let effect = plan.effect(after);
            let plan_state = plan.state(day);
            let actions = plan.actions.iter().enumerate().map(|(i, a)| {
                let id = plan.id.clone();
                view! {
                    <li><label class="option"><input type="checkbox" prop:checked=a.done on:change=move |ev| {
                        let done = event_target_checked(&ev);
                        let mut w = workbench.get_untracked();
                        if let Some(action) = w.plans.get_mut(&id).and_then(|p| p.actions.get_mut(i)) { action.done = done; }
                        let _ = state.save_workbench(&w);
                    }/>{a.text.clone()}</label></li>
                }
            }).collect_view();
            let follow_up = match (&plan.source, plan.follow_up_survey.is_empty(), may_configure.get()) {
                (PlanSource::SurveyQuestion { survey, question }, true, true) => {
                    let (plan_id, survey, question) = (plan.id.clone(), survey.clone(), question.clone());
                    Some(view! {
                        <button type="button" class="button" on:click=move |_| create_follow_up(state, &plan_id, &survey, &question)>
                            {t!(i18n, voice.create_follow_up)}
                        </button>
                    })
                }
                _ => None,
            };
            view! {
                <li class=format!("plan plan-{}", match plan_state { PlanState::Open => "open", PlanState::Overdue => "overdue", PlanState::Done => "done" }) data-plan=plan.id.clone()>
                    <h3>{plan.title.clone()}" "<span class="badge">{plan_state_label(l, plan_state)}</span></h3>
                    <p class="muted">{td_string!(l, voice.plan_line, owner = plan.owner.clone(), due = plan.due.format("%Y-%m-%d").to_string()).to_string()}</p>
                    <p class="effect">{td_string!(l, voice.plan_effect, before = one_decimal(plan.before), after = one_decimal(after), change = super::change(effect)).to_string()}</p>
                    <ul class="plain actions">{actions}</ul>
                    {follow_up}
                </li>
            }
        }).collect_view()
    };
    view! {
        <section class="card" aria-labelledby="plans-title">
            <h2 id="plans-title">{t!(i18n, voice.plans_title)}</h2>
            <ul class="plain plans">{list}</ul>
            <form on:submit=submit novalidate>
                <div class="field-row">
                    <div class="field"><label for="plan-title">{t!(i18n, voice.plan_title)}</label><input id="plan-title" bind:value=title/></div>
                    <div class="field"><label for="plan-source">{t!(i18n, voice.plan_source)}</label>
                        <select id="plan-source" on:change=move |ev| source.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, voice.choose)}</option>
                            {move || sources().into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                        </select></div>
                </div>
                <div class="field-row">
                    <div class="field"><label for="plan-owner">{t!(i18n, voice.owner)}</label><input id="plan-owner" bind:value=owner/></div>
                    <div class="field"><label for="plan-due">{t!(i18n, voice.due)}</label><input id="plan-due" type="date" bind:value=due/></div>
                </div>
                <div class="field"><label for="plan-actions">{t!(i18n, voice.actions)}</label>
                    <textarea id="plan-actions" rows="3" bind:value=actions></textarea>
                    <p class="hint">{t!(i18n, voice.actions_hint)}</p></div>
                <ul class="field-error" role="alert">{move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                <button type="submit" class="button">{t!(i18n, voice.add_plan)}</button>
            </form>
        </section>
    }
}

/// A once-off survey asking the same question again from today, to measure a plan's effect.
fn create_follow_up(state: AppState, plan_id: &str, survey_id: &str, question: &str) {
    let mut voice = state.read_untracked(|d| d.voice());
    let Some(original) = voice.surveys.get(survey_id).cloned() else {
        return;
    };
    let Some(q) = original.question(question).cloned() else {
        return;
    };
    let follow_up = Survey {
        id: new_id().to_string(),
        title: original.title.clone(),
        questions: vec![q],
        audience: original.audience.clone(),
        schedule: crate::domain::voice::survey::Schedule {
            start: today(),
            every_months: 0,
            open_days: 14,
        },
        confidential: original.confidential,
        follows_up: original.id.clone(),
        texts_released: Vec::new(),
    };
    let id = follow_up.id.clone();
    voice.surveys.insert(id.clone(), follow_up);
    if state.save_voice(&voice).is_ok() {
        let mut w = state.read_untracked(|d| d.workbench());
        if let Some(plan) = w.plans.get_mut(plan_id) {
            plan.follow_up_survey = id;
        }
        let _ = state.save_workbench(&w);
    }
}

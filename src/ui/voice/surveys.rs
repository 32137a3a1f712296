//! Surveys: the ones open to this person (answerable offline), their published results, and for
//! administrators the builder and the rating settings.

use super::survey_builder::{RatingSettingsForm, SurveyBuilder};
use super::{one_decimal, today, use_voice, VoiceNav};
use crate::domain::voice::results::{
    Group, QuestionResult, Response, RoundResult, CONFIDENTIAL_MINIMUM,
};
use crate::domain::voice::survey::{check_answers, Answer, AnswerError, QuestionKind, Survey};
use crate::domain::DocumentId;
use crate::ui::customers::department_segments;
use crate::ui::directory::{department_name, use_directory};
use crate::ui::i18n::*;
use crate::ui::route::Route;
use crate::ui::state::{now, AppState};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Whether this person is in a survey's audience.
fn addressed_to_me(state: AppState, survey: &Survey) -> bool {
    let Some(me) = state.read_untracked(|d| d.profile()) else {
        return false;
    };
    let audience = &survey.audience;
    if audience.segments.is_empty() {
        return audience.includes(&me.department, None);
    }
    let segments = use_directory().with_untracked(|dir| department_segments(state, dir));
    audience.includes(&me.department, segments.get(&me.department).copied())
}

#[component]
pub fn SurveysPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let may_configure = Memo::new(move |_| state.read(|d| d.may_configure()));
    let answered = Memo::new(move |_| {
        state.read(|d| {
            d.my_responses()
                .into_iter()
                .map(|r| (r.survey, r.round))
                .collect::<Vec<_>>()
        })
    });
    let open = move || {
        let day = today();
        voice.with(|v| {
            v.surveys
                .values()
                .filter_map(|s| Some((s.clone(), s.schedule.open_on(day)?)))
                .filter(|(s, _)| addressed_to_me(state, s))
                .collect::<Vec<_>>()
        })
    };
    let open_list = move || {
        let open = open();
        if open.is_empty() {
            return view! { <p class="empty">{t!(i18n, voice.no_open_surveys)}</p> }.into_any();
        }
        view! {
            <ul class="survey-list">
                {open.into_iter().map(|(s, round)| {
                    let done = answered.with(|a| a.contains(&(s.id.clone(), round.number)));
                    let href = s.id.parse::<DocumentId>().map(|id| Route::Survey(id).href()).unwrap_or_default();
                    let title = s.title.clone();
                    view! {
                        <li class="survey-item" data-survey=s.id.clone()>
                            <h3>{move || title.show(i18n.get_locale() == Locale::zh_CN).to_string()}</h3>
                            <p class="muted">{move || td_string!(i18n.get_locale(), voice.round_open,
                                n = round.number, until = round.closes.format("%Y-%m-%d").to_string()).to_string()}</p>
                            {s.confidential.then(|| view! { <p class="hint">{t!(i18n, voice.confidential_note)}</p> })}
                            <a class="button" class:primary=!done href=href>
                                {move || if done { t_string!(i18n, voice.change_answers) } else { t_string!(i18n, voice.answer) }}
                            </a>
                            {done.then(|| view! { <span class="badge answered">{t!(i18n, voice.answered)}</span> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="voice-page">
            <VoiceNav/>
            <h1>{t!(i18n, voice.surveys_title)}</h1>
            <p class="hint">{t!(i18n, voice.surveys_intro)}</p>
            <section aria-labelledby="open-surveys">
                <h2 id="open-surveys">{t!(i18n, voice.open_surveys)}</h2>
                {open_list}
            </section>
            <SurveyResults/>
            {move || may_configure.get().then(|| view! { <RatingSettingsForm/> <SurveyBuilder/> })}
        </section>
    }
}

/// Every survey's latest published round, summed up by the relay.
#[component]
fn SurveyResults() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let results = Memo::new(move |_| state.read(|d| d.survey_results()));
    let list = move || {
        let surveys: Vec<(Survey, Vec<RoundResult>)> = voice.with(|v| {
            results.with(|r| {
                v.surveys
                    .values()
                    .filter_map(|s| Some((s.clone(), r.get(&s.id)?.clone())))
                    .collect()
            })
        });
        if surveys.is_empty() {
            return view! { <p class="empty">{t!(i18n, voice.no_results)}</p> }.into_any();
        }
        surveys
            .into_iter()
            .map(|(survey, rounds)| view! { <SurveyResult survey rounds/> })
            .collect_view()
            .into_any()
    };
    view! {
        <section aria-labelledby="survey-results">
            <h2 id="survey-results">{t!(i18n, voice.results_title)}</h2>
            {list}
        </section>
    }
}

#[component]
fn SurveyResult(survey: Survey, rounds: Vec<RoundResult>) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let latest = rounds.last().cloned();
    let previous = rounds
        .len()
        .checked_sub(2)
        .and_then(|i| rounds.get(i).cloned());
    let zh = move || i18n.get_locale() == Locale::zh_CN;
    let title = survey.title.clone();
    let Some(latest) = latest else {
        return view! {
            <article class="card survey-result" data-survey=survey.id.clone()>
                <h3>{move || title.show(zh()).to_string()}</h3>
                <p class="muted">{t!(i18n, voice.no_answers_yet)}</p>
            </article>
        }
        .into_any();
    };
    let everyone = latest.groups.first().cloned();
    let questions = survey.questions.clone();
    let rows = move || {
        let everyone = everyone.clone()?;
        let l = i18n.get_locale();
        Some(
            questions
                .iter()
                .zip(everyone.questions.iter())
                .enumerate()
                .map(|(i, (q, r))| {
                    let before = previous
                        .as_ref()
                        .and_then(|p| p.groups.first())
                        .and_then(|g| g.questions.get(i));
                    let figure = figure_text(l, &q.kind, r);
                    let trend = match (r.mean, before.and_then(|b| b.mean)) {
                        (Some(now), Some(then)) if !r.withheld => super::change(Some(now - then)),
                        _ => "—".into(),
                    };
                    let details = detail_view(l, zh(), &q.kind, r);
                    view! {
                        <tr data-question=q.id.clone() data-withheld=r.withheld.to_string()>
                            <th scope="row">{q.text.show(zh()).to_string()}</th>
                            <td class="number">{r.answers}</td>
                            <td class="number figure">{figure}</td>
                            <td class="number">{trend}</td>
                            <td>{details}</td>
                        </tr>
                    }
                })
                .collect_view(),
        )
    };
    let groups = {
        let groups: Vec<_> = latest.groups.iter().skip(1).cloned().collect();
        let survey = survey.clone();
        move || {
            if groups.is_empty() {
                return None;
            }
            let l = i18n.get_locale();
            let head = survey
                .questions
                .iter()
                .filter(|q| q.kind.scale().is_some())
                .map(|q| view! { <th scope="col">{q.text.show(zh()).to_string()}</th> })
                .collect_view();
            let body = groups.iter().map(|g| {
                let name = match &g.group {
                    Group::Department(d) => directory.with(|dir| department_name(dir, d)),
                    Group::OtherDepartments => td_string!(l, voice.other_departments).to_string(),
                    Group::Everyone => td_string!(l, voice.everyone).to_string(),
                };
                let cells = survey.questions.iter().zip(g.questions.iter()).filter(|(q, _)| q.kind.scale().is_some())
                    .map(|(q, r)| view! { <td class="number">{figure_text(l, &q.kind, r)}</td> }).collect_view();
                view! { <tr><th scope="row">{name}</th><td class="number">{g.respondents}</td>{cells}</tr> }
            }).collect_view();
            Some(view! {
                <div class="table-scroll">
                    <table class="data">
                        <caption>{t!(i18n, voice.by_department)}</caption>
                        <thead><tr><th scope="col">{t!(i18n, voice.group)}</th><th scope="col">{t!(i18n, voice.respondents)}</th>{head}</tr></thead>
                        <tbody>{body}</tbody>
                    </table>
                </div>
            })
        }
    };
    view! {
        <article class="card survey-result" data-survey=survey.id.clone()>
            <h3>{move || title.show(zh()).to_string()}</h3>
            <p class="muted">{move || td_string!(i18n.get_locale(), voice.round_summary,
                n = latest.round, respondents = latest.respondents).to_string()}</p>
            {survey.confidential.then(|| view! { <p class="hint">{move || td_string!(i18n.get_locale(), voice.confidential_rule, n = CONFIDENTIAL_MINIMUM).to_string()}</p> })}
            <ReleaseTexts survey=survey.clone() round=latest.clone()/>
            <div class="table-scroll">
                <table class="data">
                    <caption class="visually-hidden">{t!(i18n, voice.results_title)}</caption>
                    <thead><tr>
                        <th scope="col">{t!(i18n, voice.question)}</th>
                        <th scope="col">{t!(i18n, voice.answers)}</th>
                        <th scope="col">{t!(i18n, voice.score)}</th>
                        <th scope="col">{t!(i18n, voice.trend)}</th>
                        <th scope="col">{t!(i18n, voice.details)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {groups}
        </article>
    }
    .into_any()
}

/// For administrators: releases the written answers of a closed round of a confidential survey.
/// The relay then publishes the round again, with the same figures and the text.
#[component]
fn ReleaseTexts(survey: Survey, round: RoundResult) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let held: usize = (round.groups.iter().take(1))
        .flat_map(|g| &g.questions)
        .map(|q| q.texts_held)
        .sum();
    let asked = RwSignal::new(survey.texts_released.contains(&round.round));
    let release = {
        let id = survey.id.clone();
        let number = round.round;
        move |_| {
            let mut voice = state.read_untracked(|d| d.voice());
            let Some(survey) = voice.surveys.get_mut(&id) else {
                return;
            };
            if !survey.texts_released.contains(&number) {
                survey.texts_released.push(number);
            }
            if state.save_voice(&voice).is_ok() {
                asked.set(true);
            }
        }
    };
    let shown = held > 0 && state.is_admin();
    shown.then(|| view! {
        <p class="release-texts">
            {move || if asked.get() {
                view! { <span class="muted" role="status">{t!(i18n, voice.texts_release_asked)}</span> }.into_any()
            } else {
                view! {
                    <button type="button" class="button" on:click=release.clone()>{t!(i18n, voice.texts_release)}</button>
                    " " <span class="hint">{t!(i18n, voice.texts_release_hint)}</span>
                }.into_any()
            }}
        </p>
    })
}

/// The headline figure of a question: mean of 5, NPS, or nothing for choices and text.
fn figure_text(l: Locale, kind: &QuestionKind, r: &QuestionResult) -> String {
    if r.withheld {
        return td_string!(l, voice.withheld).to_string();
    }
    match kind {
        QuestionKind::Likert => format!("{} / 5", one_decimal(r.mean)),
        QuestionKind::Nps => r
            .nps
            .map(|n| format!("NPS {n:+}"))
            .unwrap_or_else(|| "—".into()),
        _ => "—".into(),
    }
}

/// The spread behind a figure: counts per score or option, or the texts.
fn detail_view(l: Locale, zh: bool, kind: &QuestionKind, r: &QuestionResult) -> AnyView {
    if r.withheld {
        return view! { <span class="muted">{td_string!(l, voice.withheld_why, n = CONFIDENTIAL_MINIMUM).to_string()}</span> }.into_any();
    }
    let labels: Vec<String> = match kind {
        QuestionKind::Likert => (1..=5).map(|n| n.to_string()).collect(),
        QuestionKind::Nps => (0..=10).map(|n| n.to_string()).collect(),
        QuestionKind::Single(o) | QuestionKind::Multiple(o) => {
            o.iter().map(|t| t.show(zh).to_string()).collect()
        }
        QuestionKind::FreeText if r.texts_held > 0 => {
            return view! { <span class="muted">{td_string!(l, voice.texts_held, n = r.texts_held).to_string()}</span> }.into_any();
        }
        QuestionKind::FreeText => {
            return view! { <ul class="texts">{r.texts.iter().map(|t| view! { <li>{t.clone()}</li> }).collect_view()}</ul> }.into_any();
        }
    };
    let most = r.counts.iter().copied().max().unwrap_or(0).max(1);
    view! {
        <ul class="bars">
            {labels.into_iter().zip(r.counts.iter().copied()).map(|(label, n)| {
                let width = format!("{}%", n * 100 / most);
                view! { <li><span class="bar-label">{label}</span><span class="bar" style=("width", width)></span><span class="bar-count">{n}</span></li> }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Answering one survey's open round; the answers are kept on this device and sync when online.
#[component]
pub fn SurveyAnswerPage(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let survey = Memo::new(move |_| voice.with(|v| v.surveys.get(&id.to_string()).cloned()));
    move || {
        let Some(survey) = survey.get() else {
            return view! { <p class="empty" role="alert">{t!(i18n, voice.survey_missing)}</p> }
                .into_any();
        };
        let Some(round) = survey.schedule.open_on(today()) else {
            return view! {
                <p class="back"><a href=Route::Surveys.href()>"← "{t!(i18n, voice.nav_surveys)}</a></p>
                <p class="empty" role="alert">{t!(i18n, voice.survey_closed)}</p>
            }.into_any();
        };
        view! { <AnswerForm survey round=round.number/> }.into_any()
    }
}

#[component]
fn AnswerForm(survey: Survey, round: u32) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let zh = move || i18n.get_locale() == Locale::zh_CN;
    let previous = state.read_untracked(|d| {
        d.my_responses()
            .into_iter()
            .filter(|r| r.survey == survey.id && r.round == round)
            .max_by_key(|r| r.at)
            .map(|r| r.answers)
            .unwrap_or_default()
    });
    let answers = RwSignal::new(previous);
    let problems = RwSignal::new(Vec::<AnswerError>::new());
    let sent = RwSignal::new(false);
    let survey_id = survey.id.clone();
    let checked = survey.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given: BTreeMap<String, Answer> = answers.get();
        let found = check_answers(&checked, &given);
        if !found.is_empty() {
            problems.set(found);
            return;
        }
        let response = Response {
            survey: survey_id.clone(),
            round,
            respondent: String::new(),
            department: String::new(),
            answers: given,
            at: now(),
        };
        problems.set(Vec::new());
        sent.set(state.answer_survey(&response).is_ok());
    };
    let title = survey.title.clone();
    let questions = survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let n = i + 1;
            let required = q.required;
            let error = move || {
                problems.with(|p| {
                    p.iter()
                        .find(|e| error_question(e) == Some(n))
                        .map(|e| answer_error(i18n.get_locale(), e))
                })
            };
            let text = q.text.clone();
            let legend = move || {
                format!(
                    "{n}. {}{}",
                    text.show(zh()),
                    if required { " *" } else { "" }
                )
            };
            let input = question_input(q.id.clone(), q.kind.clone(), answers, zh);
            let error_id = format!("q{n}-error");
            let described = error_id.clone();
            view! {
                <fieldset class="question" aria-describedby=described>
                    <legend>{legend}</legend>
                    {input}
                    <p id=error_id class="field-error">{error}</p>
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <section class="voice-page survey-answer">
            <p class="back"><a href=Route::Surveys.href()>"← "{t!(i18n, voice.nav_surveys)}</a></p>
            <h1>{move || title.show(zh()).to_string()}</h1>
            {survey.confidential.then(|| view! { <p class="hint">{t!(i18n, voice.confidential_note)}</p> })}
            <form on:submit=submit novalidate>
                {questions}
                <p class="field-error" role="alert">{move || problems.with(|p| p.contains(&AnswerError::UnknownQuestion).then(|| t_string!(i18n, voice.answer_unknown_question)))}</p>
                <button type="submit" class="button primary">{t!(i18n, voice.send_answers)}</button>
                <p role="status" class="saved-note">{move || sent.get().then(|| t_string!(i18n, voice.answers_saved))}</p>
            </form>
        </section>
    }
}

/// The inputs of one question, writing into the answers as they change.
fn question_input(
    id: String,
    kind: QuestionKind,
    answers: RwSignal<BTreeMap<String, Answer>>,
    zh: impl Fn() -> bool + Copy + Send + Sync + 'static,
) -> AnyView {
    let name = format!("answer-{id}");
    let multiple = matches!(kind, QuestionKind::Multiple(_));
    match kind {
        QuestionKind::Likert | QuestionKind::Nps => {
            let (min, max) = kind.scale().expect("scored");
            let nps = matches!(kind, QuestionKind::Nps);
            let i18n = use_i18n();
            let anchors = move || if nps { t_string!(i18n, voice.nps_anchors) } else { t_string!(i18n, voice.likert_anchors) };
            view! {
                <p class="hint">{anchors}</p>
                <div class=if nps { "scale nps" } else { "scale" }>
                    {(min..=max).map(|v| {
                        let (id_check, id_set) = (id.clone(), id.clone());
                        view! {
                            <label class="scale-option">
                                <input type="radio" name=name.clone() value=v
                                    prop:checked=move || answers.with(|a| a.get(&id_check) == Some(&Answer::Score(v)))
                                    on:change=move |_| answers.update(|a| { a.insert(id_set.clone(), Answer::Score(v)); })/>
                                <span>{v}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            }
            .into_any()
        }
        QuestionKind::Single(options) | QuestionKind::Multiple(options) => {
            view! {
                <div class="options">
                    {options.into_iter().enumerate().map(|(i, option)| {
                        let (id_check, id_set) = (id.clone(), id.clone());
                        let chosen = move || answers.with(|a| matches!(a.get(&id_check), Some(Answer::Choices(c)) if c.contains(&i)));
                        let toggle = move |_| answers.update(|a| {
                            let mut current = match a.get(&id_set) { Some(Answer::Choices(c)) if multiple => c.clone(), _ => Vec::new() };
                            if multiple && current.contains(&i) { current.retain(|c| *c != i) } else { current.push(i); current.sort(); }
                            a.insert(id_set.clone(), Answer::Choices(current));
                        });
                        view! {
                            <label class="option">
                                <input type=if multiple { "checkbox" } else { "radio" } name=name.clone() value=i
                                    prop:checked=chosen on:change=toggle/>
                                {move || option.show(zh()).to_string()}
                            </label>
                        }
                    }).collect_view()}
                </div>
            }
            .into_any()
        }
        QuestionKind::FreeText => {
            let id_get = id.clone();
            view! {
                <textarea rows="3" aria-label=name.clone()
                    prop:value=move || answers.with(|a| match a.get(&id_get) { Some(Answer::Text(t)) => t.clone(), _ => String::new() })
                    on:input=move |ev| { let text = event_target_value(&ev); answers.update(|a| { a.insert(id.clone(), Answer::Text(text)); }); }>
                </textarea>
            }
            .into_any()
        }
    }
}

fn error_question(e: &AnswerError) -> Option<usize> {
    match e {
        AnswerError::OutOfRange { question, .. } => Some(*question),
        AnswerError::Required(n)
        | AnswerError::UnknownOption(n)
        | AnswerError::OneChoiceOnly(n)
        | AnswerError::WrongKind(n)
        | AnswerError::TooLong(n) => Some(*n),
        AnswerError::UnknownQuestion | AnswerError::Closed => None,
    }
}

fn answer_error(l: Locale, e: &AnswerError) -> String {
    match e {
        AnswerError::OutOfRange { min, max, .. } => {
            td_string!(l, voice.answer_out_of_range, min = *min, max = *max).to_string()
        }
        AnswerError::Required(_) => td_string!(l, voice.answer_required).to_string(),
        AnswerError::UnknownOption(_) | AnswerError::WrongKind(_) => {
            td_string!(l, voice.answer_invalid).to_string()
        }
        AnswerError::OneChoiceOnly(_) => td_string!(l, voice.answer_one_choice).to_string(),
        AnswerError::TooLong(_) => td_string!(l, voice.answer_too_long).to_string(),
        AnswerError::UnknownQuestion | AnswerError::Closed => {
            td_string!(l, voice.answer_unknown_question).to_string()
        }
    }
}

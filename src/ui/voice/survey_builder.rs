//! For administrators: how ratings are asked for, and the survey builder.

use super::{department_choices, use_voice};
use crate::domain::catalog::Text;
use crate::domain::classification::Segment;
use crate::domain::voice::rating::RatingSettings;
use crate::domain::voice::survey::{
    Dimension, Question, QuestionKind, Schedule, Survey, SurveyAudience, SurveyError,
};
use crate::ui::format::today_input;
use crate::ui::i18n::*;
use crate::ui::labels::segment_label;
use crate::ui::state::{new_id, AppState};
use leptos::prelude::*;

#[component]
pub fn RatingSettingsForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let current = voice.get_untracked().rating;
    let sample = RwSignal::new(current.sample_percent.to_string());
    let fatigue = RwSignal::new(current.fatigue_days.to_string());
    let reminder = RwSignal::new(current.reminder_days.to_string());
    let threshold = RwSignal::new(current.follow_up_at_or_below.to_string());
    let invalid = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = (|| {
            Some(RatingSettings {
                sample_percent: sample.get().trim().parse().ok()?,
                fatigue_days: fatigue.get().trim().parse().ok()?,
                reminder_days: reminder.get().trim().parse().ok()?,
                follow_up_at_or_below: threshold.get().trim().parse().ok()?,
            })
        })()
        .filter(|s| s.validate().is_ok());
        invalid.set(settings.is_none());
        if let Some(settings) = settings {
            let mut voice = voice.get_untracked();
            voice.rating = settings;
            saved.set(state.save_voice(&voice).is_ok());
        }
    };
    let number = move |id: &'static str,
                       label: fn(Locale) -> &'static str,
                       value: RwSignal<String>,
                       max: u32| {
        view! {
            <div class="field">
                <label for=id>{move || label(i18n.get_locale())}</label>
                <input id=id type="number" min="0" max=max bind:value=value
                    aria-invalid=move || invalid.get().to_string() aria-describedby="rating-settings-error"/>
            </div>
        }
    };
    view! {
        <section class="card" aria-labelledby="rating-settings-title">
            <h2 id="rating-settings-title">{t!(i18n, voice.rating_settings)}</h2>
            <p class="hint">{t!(i18n, voice.rating_settings_hint)}</p>
            <form on:submit=submit novalidate>
                <div class="field-row four">
                    {number("rating-sample", |l| td_string!(l, voice.sample_percent), sample, 100)}
                    {number("rating-fatigue", |l| td_string!(l, voice.fatigue_days), fatigue, 365)}
                    {number("rating-reminder", |l| td_string!(l, voice.reminder_days), reminder, 365)}
                    {number("rating-threshold", |l| td_string!(l, voice.follow_up_threshold), threshold, 4)}
                </div>
                <p id="rating-settings-error" class="field-error" role="alert">
                    {move || invalid.get().then(|| t_string!(i18n, voice.rating_settings_invalid))}
                </p>
                <button type="submit" class="button">{t!(i18n, voice.save)}</button>
                <span role="status" class="saved-note">{move || saved.get().then(|| t_string!(i18n, voice.saved))}</span>
            </form>
        </section>
    }
}

/// One question being written.
#[derive(Debug, Clone, PartialEq)]
struct QuestionDraft {
    key: u32,
    kind: String,
    zh: String,
    en: String,
    dimension: Dimension,
    required: bool,
    /// One option per line (Chinese, then " / " and English if wanted).
    options: String,
    about: String,
}

impl QuestionDraft {
    fn new(key: u32) -> Self {
        Self {
            key,
            kind: "likert".into(),
            zh: String::new(),
            en: String::new(),
            dimension: Dimension::Satisfaction,
            required: true,
            options: String::new(),
            about: String::new(),
        }
    }

    fn question(&self) -> Question {
        let options: Vec<Text> = self
            .options
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| match line.split_once(" / ") {
                Some((zh, en)) => Text {
                    zh: zh.trim().into(),
                    en: en.trim().into(),
                },
                None => Text {
                    zh: line.trim().into(),
                    en: String::new(),
                },
            })
            .collect();
        let kind = match self.kind.as_str() {
            "nps" => QuestionKind::Nps,
            "single" => QuestionKind::Single(options),
            "multiple" => QuestionKind::Multiple(options),
            "text" => QuestionKind::FreeText,
            _ => QuestionKind::Likert,
        };
        Question {
            id: format!("q{}", self.key),
            text: Text {
                zh: self.zh.trim().into(),
                en: self.en.trim().into(),
            },
            kind,
            dimension: self.dimension,
            required: self.required,
            about: self.about.clone(),
        }
    }
}

fn dimension_label(l: Locale, d: Dimension) -> &'static str {
    match d {
        Dimension::Satisfaction => td_string!(l, voice.dimension_satisfaction),
        Dimension::ServiceGap => td_string!(l, voice.dimension_gap),
        Dimension::Suggestion => td_string!(l, voice.dimension_suggestion),
    }
}

fn survey_error(l: Locale, e: &SurveyError) -> String {
    match e {
        SurveyError::NoTitle => td_string!(l, voice.error_no_title).to_string(),
        SurveyError::NoQuestions => td_string!(l, voice.error_no_questions).to_string(),
        SurveyError::EmptyQuestion(n) => {
            td_string!(l, voice.error_empty_question, n = *n).to_string()
        }
        SurveyError::TooFewOptions(n) => td_string!(l, voice.error_few_options, n = *n).to_string(),
        SurveyError::DuplicateOption(n) => {
            td_string!(l, voice.error_duplicate_option, n = *n).to_string()
        }
        SurveyError::OpenDays => td_string!(l, voice.error_open_days).to_string(),
    }
}

#[component]
pub fn SurveyBuilder() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let title_zh = RwSignal::new(String::new());
    let title_en = RwSignal::new(String::new());
    let confidential = RwSignal::new(true);
    let departments = RwSignal::new(Vec::<String>::new());
    let segments = RwSignal::new(Vec::<Segment>::new());
    let start = RwSignal::new(today_input());
    let every = RwSignal::new(3u32);
    let open_days = RwSignal::new("14".to_string());
    let next_key = RwSignal::new(2u32);
    let questions = RwSignal::new(vec![QuestionDraft::new(1)]);
    let problems = RwSignal::new(Vec::<SurveyError>::new());
    let published = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(start_day) = chrono::NaiveDate::parse_from_str(&start.get(), "%Y-%m-%d") else {
            problems.set(vec![SurveyError::OpenDays]);
            return;
        };
        let survey = Survey {
            id: new_id().to_string(),
            title: Text {
                zh: title_zh.get().trim().into(),
                en: title_en.get().trim().into(),
            },
            questions: questions
                .get()
                .iter()
                .map(QuestionDraft::question)
                .collect(),
            audience: SurveyAudience {
                departments: departments.get(),
                segments: segments.get(),
            },
            schedule: Schedule {
                start: start_day,
                every_months: every.get(),
                open_days: open_days.get().trim().parse().unwrap_or(0),
            },
            confidential: confidential.get(),
            follows_up: String::new(),
            texts_released: Vec::new(),
        };
        let found = survey.problems();
        published.set(false);
        if !found.is_empty() {
            problems.set(found);
            return;
        }
        problems.set(Vec::new());
        let mut voice = voice.get_untracked();
        voice.surveys.insert(survey.id.clone(), survey);
        if state.save_voice(&voice).is_ok() {
            published.set(true);
            title_zh.set(String::new());
            title_en.set(String::new());
            questions.set(vec![QuestionDraft::new(next_key.get())]);
            next_key.update(|k| *k += 1);
        }
    };
    let department_boxes = move || {
        department_choices(state).into_iter().map(|(id, label)| {
            let (id_check, id_set) = (id.clone(), id);
            view! {
                <label class="option">
                    <input type="checkbox" prop:checked=move || departments.with(|d| d.contains(&id_check))
                        on:change=move |ev| { let on = event_target_checked(&ev); let id = id_set.clone();
                            departments.update(|d| { d.retain(|x| *x != id); if on { d.push(id) } }); }/>
                    {label}
                </label>
            }
        }).collect_view()
    };
    let segment_boxes = move || {
        Segment::ALL.into_iter().map(|s| view! {
        <label class="option">
            <input type="checkbox" prop:checked=move || segments.with(|v| v.contains(&s))
                on:change=move |ev| { let on = event_target_checked(&ev); segments.update(|v| { v.retain(|x| *x != s); if on { v.push(s) } }); }/>
            {move || segment_label(i18n.get_locale(), s)}
        </label>
    }).collect_view()
    };
    view! {
        <section class="card survey-builder" aria-labelledby="builder-title">
            <h2 id="builder-title">{t!(i18n, voice.builder_title)}</h2>
            <form on:submit=submit novalidate>
                <div class="field-row">
                    <div class="field"><label for="survey-title-zh">{t!(i18n, voice.title_zh)}</label>
                        <input id="survey-title-zh" bind:value=title_zh/></div>
                    <div class="field"><label for="survey-title-en">{t!(i18n, voice.title_en)}</label>
                        <input id="survey-title-en" bind:value=title_en/></div>
                </div>
                <label class="option"><input type="checkbox" id="survey-confidential" bind:checked=confidential/>
                    {move || td_string!(i18n.get_locale(), voice.confidential_label, n = crate::domain::voice::results::CONFIDENTIAL_MINIMUM).to_string()}</label>
                <div class="field-row three">
                    <div class="field"><label for="survey-start">{t!(i18n, voice.start)}</label>
                        <input id="survey-start" type="date" bind:value=start/></div>
                    <div class="field"><label for="survey-every">{t!(i18n, voice.every)}</label>
                        <select id="survey-every" on:change=move |ev| every.set(event_target_value(&ev).parse().unwrap_or(0))>
                            {[(0u32, "once"), (1, "monthly"), (3, "quarterly"), (6, "half_yearly"), (12, "yearly")].into_iter().map(|(m, key)| view! {
                                <option value=m selected=move || every.get() == m>{move || schedule_label(i18n.get_locale(), key)}</option>
                            }).collect_view()}
                        </select></div>
                    <div class="field"><label for="survey-open-days">{t!(i18n, voice.open_days)}</label>
                        <input id="survey-open-days" type="number" min="1" bind:value=open_days/></div>
                </div>
                <fieldset class="audience">
                    <legend>{t!(i18n, voice.audience)}</legend>
                    <p class="hint">{t!(i18n, voice.audience_hint)}</p>
                    <div class="checklist">{department_boxes}</div>
                    <div class="checklist">{segment_boxes}</div>
                </fieldset>
                <ol class="question-drafts">
                    <For each=move || questions.get() key=|q| q.key let:q>
                        <QuestionEditor key=q.key questions/>
                    </For>
                </ol>
                <ul class="field-error" role="alert" id="survey-problems">
                    {move || problems.get().iter().map(|e| view! { <li>{survey_error(i18n.get_locale(), e)}</li> }).collect_view()}
                </ul>
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| {
                        let key = next_key.get();
                        next_key.set(key + 1);
                        questions.update(|q| q.push(QuestionDraft::new(key)));
                    }>{t!(i18n, voice.add_question)}</button>
                    <button type="submit" class="button primary">{t!(i18n, voice.publish)}</button>
                    <span role="status" class="saved-note">{move || published.get().then(|| t_string!(i18n, voice.published))}</span>
                </div>
            </form>
            <SurveyAdminList/>
        </section>
    }
}

fn schedule_label(l: Locale, key: &str) -> &'static str {
    match key {
        "once" => td_string!(l, voice.every_once),
        "monthly" => td_string!(l, voice.every_month),
        "quarterly" => td_string!(l, voice.every_quarter),
        "half_yearly" => td_string!(l, voice.every_half_year),
        _ => td_string!(l, voice.every_year),
    }
}

#[component]
fn QuestionEditor(key: u32, questions: RwSignal<Vec<QuestionDraft>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let get = move |f: fn(&QuestionDraft) -> String| {
        move || questions.with(|qs| qs.iter().find(|q| q.key == key).map(f).unwrap_or_default())
    };
    let set = move |f: fn(&mut QuestionDraft, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            questions.update(|qs| {
                if let Some(q) = qs.iter_mut().find(|q| q.key == key) {
                    f(q, value)
                }
            });
        }
    };
    let position = move || {
        questions.with(|qs| {
            qs.iter()
                .position(|q| q.key == key)
                .map(|i| i + 1)
                .unwrap_or(0)
        })
    };
    let id = move |name: &str| format!("q{key}-{name}");
    let has_options = move || {
        questions.with(|qs| {
            qs.iter()
                .find(|q| q.key == key)
                .is_some_and(|q| q.kind == "single" || q.kind == "multiple")
        })
    };
    let kinds = [
        ("likert", "kind_likert"),
        ("nps", "kind_nps"),
        ("single", "kind_single"),
        ("multiple", "kind_multiple"),
        ("text", "kind_text"),
    ];
    view! {
        <li class="question-draft">
            <p class="question-number">{move || td_string!(i18n.get_locale(), voice.question_n, n = position()).to_string()}</p>
            <div class="field-row">
                <div class="field"><label for=id("zh")>{t!(i18n, voice.question_zh)}</label>
                    <input id=id("zh") prop:value=get(|q| q.zh.clone()) on:input=set(|q, v| q.zh = v)/></div>
                <div class="field"><label for=id("en")>{t!(i18n, voice.question_en)}</label>
                    <input id=id("en") prop:value=get(|q| q.en.clone()) on:input=set(|q, v| q.en = v)/></div>
            </div>
            <div class="field-row four">
                <div class="field"><label for=id("kind")>{t!(i18n, voice.question_kind)}</label>
                    <select id=id("kind") on:change=set(|q, v| q.kind = v)>
                        {kinds.into_iter().map(|(value, label)| view! {
                            <option value=value selected=move || get(|q| q.kind.clone())() == value>{move || kind_label(i18n.get_locale(), label)}</option>
                        }).collect_view()}
                    </select></div>
                <div class="field"><label for=id("dimension")>{t!(i18n, voice.dimension)}</label>
                    <select id=id("dimension") on:change=set(|q, v| if let Some(d) = Dimension::parse(&v) { q.dimension = d })>
                        {Dimension::ALL.into_iter().map(|d| view! {
                            <option value=d.as_str()>{move || dimension_label(i18n.get_locale(), d)}</option>
                        }).collect_view()}
                    </select></div>
                <div class="field"><label for=id("about")>{t!(i18n, voice.about)}</label>
                    <select id=id("about") on:change=set(|q, v| q.about = v)>
                        <option value="">{t!(i18n, voice.about_desk)}</option>
                        {move || department_choices(state).into_iter().map(|(id, label)| view! {
                            <option value=id>{label}</option>
                        }).collect_view()}
                    </select></div>
                <label class="option"><input type="checkbox" id=id("required")
                    prop:checked=move || questions.with(|qs| qs.iter().any(|q| q.key == key && q.required))
                    on:change=move |ev| { let on = event_target_checked(&ev); questions.update(|qs| if let Some(q) = qs.iter_mut().find(|q| q.key == key) { q.required = on }); }/>
                    {t!(i18n, voice.required)}</label>
            </div>
            <div class="field" hidden=move || !has_options()>
                <label for=id("options")>{t!(i18n, voice.options)}</label>
                <textarea id=id("options") rows="3" prop:value=get(|q| q.options.clone()) on:input=set(|q, v| q.options = v)></textarea>
                <p class="hint">{t!(i18n, voice.options_hint)}</p>
            </div>
            <button type="button" class="button subtle" on:click=move |_| questions.update(|qs| qs.retain(|q| q.key != key))>
                {t!(i18n, voice.remove_question)}
            </button>
        </li>
    }
}

fn kind_label(l: Locale, key: &str) -> &'static str {
    match key {
        "kind_likert" => td_string!(l, voice.kind_likert),
        "kind_nps" => td_string!(l, voice.kind_nps),
        "kind_single" => td_string!(l, voice.kind_single),
        "kind_multiple" => td_string!(l, voice.kind_multiple),
        _ => td_string!(l, voice.kind_text),
    }
}

/// The published surveys, each removable.
#[component]
fn SurveyAdminList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    move || {
        let surveys: Vec<Survey> = voice.with(|v| v.surveys.values().cloned().collect());
        (!surveys.is_empty()).then(|| view! {
            <h3>{t!(i18n, voice.published_surveys)}</h3>
            <ul class="plain">
                {surveys.into_iter().map(|s| {
                    let id = s.id.clone();
                    let zh = i18n.get_locale() == Locale::zh_CN;
                    let name = s.title.show(zh).to_string();
                    let remove_label = td_string!(i18n.get_locale(), voice.remove_survey, name = name.clone()).to_string();
                    view! {
                        <li>{name}" "
                            <button type="button" class="button subtle" aria-label=remove_label on:click=move |_| {
                                let mut voice = voice.get_untracked();
                                voice.surveys.remove(&id);
                                let _ = state.save_voice(&voice);
                            }>{t!(i18n, voice.remove)}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    }
}

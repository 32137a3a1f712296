//! Publishing or changing a catalog service: names and descriptions in both languages, who
//! provides it, the queue that serves it, its default priority, SLA policy, approval, and the
//! questions of its request form. The catalog checks it; a refusal lists every reason.

use super::catalog_messages::catalog_error;
use super::directory::DepartmentInput;
use super::i18n::*;
use super::labels::priority_label;
use super::service_levels::use_service_levels;
use super::state::{new_id, AppState};
use crate::domain::catalog::{FieldKind, FieldSpec, Service, Text};
use crate::domain::directory::DepartmentId;
use crate::domain::Priority;
use leptos::prelude::*;

/// One question as typed into the editor.
#[derive(Debug, Clone, PartialEq)]
struct Question {
    key: String,
    zh: RwSignal<String>,
    en: RwSignal<String>,
    kind: RwSignal<String>,
    choices: RwSignal<String>,
    required: RwSignal<bool>,
}

impl Question {
    fn from_spec(f: &FieldSpec) -> Self {
        let (kind, choices) = match &f.kind {
            FieldKind::Text => ("text", String::new()),
            FieldKind::Number => ("number", String::new()),
            FieldKind::Date => ("date", String::new()),
            FieldKind::Choice(c) => ("choice", c.join(", ")),
            FieldKind::Person => ("person", String::new()),
        };
        Self {
            key: f.key.clone(),
            zh: RwSignal::new(f.label.zh.clone()),
            en: RwSignal::new(f.label.en.clone()),
            kind: RwSignal::new(kind.into()),
            choices: RwSignal::new(choices),
            required: RwSignal::new(f.required),
        }
    }

    fn spec(&self) -> FieldSpec {
        let kind = match self.kind.get_untracked().as_str() {
            "number" => FieldKind::Number,
            "date" => FieldKind::Date,
            "person" => FieldKind::Person,
            "choice" => FieldKind::Choice(
                self.choices
                    .get_untracked()
                    .split([',', '，', '\n'])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect(),
            ),
            _ => FieldKind::Text,
        };
        FieldSpec {
            key: self.key.clone(),
            label: Text {
                zh: self.zh.get_untracked().trim().into(),
                en: self.en.get_untracked().trim().into(),
            },
            kind,
            required: self.required.get_untracked(),
        }
    }
}

#[component]
pub fn ServiceEditor(
    existing: Option<Service>,
    /// Bumped after a new service is published, so the page can offer an empty form again.
    #[prop(optional)]
    published: Option<RwSignal<u32>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let sla = use_service_levels();
    let s = existing.unwrap_or_else(|| Service {
        id: new_id().to_string(),
        provider: DepartmentId(String::new()),
        name: Text::default(),
        description: Text::default(),
        fields: Vec::new(),
        priority: Priority::Normal,
        queue: DepartmentId(String::new()),
        policy: String::new(),
        needs_approval: false,
        approval_chain: String::new(),
    });
    let id = s.id.clone();
    let prefix = format!("svc-{}", &id[..6.min(id.len())]);
    let name_zh = RwSignal::new(s.name.zh.clone());
    let name_en = RwSignal::new(s.name.en.clone());
    let desc_zh = RwSignal::new(s.description.zh.clone());
    let desc_en = RwSignal::new(s.description.en.clone());
    let provider = RwSignal::new(s.provider.0.clone());
    let queue = RwSignal::new(s.queue.0.clone());
    let priority = RwSignal::new(s.priority);
    let policy = RwSignal::new(s.policy.clone());
    let approval = RwSignal::new(s.needs_approval);
    let chain = RwSignal::new(s.approval_chain.clone());
    let chains = Memo::new(move |_| {
        state.read(|d| {
            d.automation()
                .0
                .chains
                .values()
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect::<Vec<_>>()
        })
    });
    let questions = RwSignal::new(s.fields.iter().map(Question::from_spec).collect::<Vec<_>>());
    let errors = RwSignal::new(Vec::<String>::new());
    let saved = RwSignal::new(false);
    let add_question = move |_| {
        let n = questions.with_untracked(Vec::len) + 1;
        let key = format!("q{n}-{}", &new_id().to_string()[..4]);
        questions.update(|q| {
            q.push(Question::from_spec(&FieldSpec {
                key,
                label: Text::default(),
                kind: FieldKind::Text,
                required: false,
            }))
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let service = Service {
            id: id.clone(),
            provider: DepartmentId(provider.get_untracked()),
            name: Text {
                zh: name_zh.get_untracked().trim().into(),
                en: name_en.get_untracked().trim().into(),
            },
            description: Text {
                zh: desc_zh.get_untracked().trim().into(),
                en: desc_en.get_untracked().trim().into(),
            },
            fields: questions.with_untracked(|q| q.iter().map(Question::spec).collect()),
            priority: priority.get_untracked(),
            queue: DepartmentId(queue.get_untracked()),
            policy: policy.get_untracked(),
            needs_approval: approval.get_untracked(),
            approval_chain: if approval.get_untracked() {
                chain.get_untracked()
            } else {
                String::new()
            },
        };
        let locale = i18n.get_locale_untracked();
        let mut catalog = sla.catalog.get_untracked();
        match catalog.put_service(service) {
            Ok(()) => {
                errors.set(Vec::new());
                let ok = state.save_catalog(&catalog).is_ok();
                saved.set(ok);
                if let Some(published) = published.filter(|_| ok) {
                    published.update(|n| *n += 1);
                }
            }
            Err(found) => {
                saved.set(false);
                errors.set(found.iter().map(|e| catalog_error(locale, e)).collect());
            }
        }
    };
    let field_id = move |name: &str| format!("{prefix}-{name}");
    let f = field_id.clone();
    let policies = move || {
        sla.catalog
            .with(|c| c.policies.keys().cloned().collect::<Vec<_>>())
    };
    view! {
        <form class="service-editor" on:submit=submit novalidate>
            {move || (!errors.with(Vec::is_empty)).then(|| view! {
                <ul class="form-error" role="alert">{errors.get().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
            })}
            <div class="field-row">
                <div class="field"><label for=f("name-zh")>{t!(i18n, catalog.name_zh)}</label><input id=f("name-zh") bind:value=name_zh/></div>
                <div class="field"><label for=f("name-en")>{t!(i18n, catalog.name_en)}</label><input id=f("name-en") bind:value=name_en/></div>
                <div class="field"><label for=f("desc-zh")>{t!(i18n, catalog.description_zh)}</label><textarea id=f("desc-zh") rows="2" bind:value=desc_zh></textarea></div>
                <div class="field"><label for=f("desc-en")>{t!(i18n, catalog.description_en)}</label><textarea id=f("desc-en") rows="2" bind:value=desc_en></textarea></div>
                <div class="field"><label for=f("provider")>{t!(i18n, catalog.provider)}</label>
                    <DepartmentInput id=f("provider") value=provider invalid=Signal::derive(|| "false".to_string()) described_by=""/></div>
                <div class="field"><label for=f("queue")>{t!(i18n, catalog.queue)}</label>
                    <DepartmentInput id=f("queue") value=queue invalid=Signal::derive(|| "false".to_string()) described_by=""/></div>
                <div class="field"><label for=f("priority")>{t!(i18n, catalog.priority)}</label>
                    <select id=f("priority") on:change=move |ev| priority.set(Priority::parse(&event_target_value(&ev)).unwrap_or_default())>
                        {Priority::ALL.into_iter().map(|p| view! {
                            <option value=p.as_str() selected=p == priority.get_untracked()>{move || priority_label(i18n.get_locale(), p)}</option>
                        }).collect_view()}
                    </select></div>
                <div class="field"><label for=f("policy")>{t!(i18n, catalog.policy)}</label>
                    <select id=f("policy") on:change=move |ev| policy.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, catalog.default_policy)}</option>
                        {move || policies().into_iter().map(|p| view! {
                            <option value=p.clone() selected=p == policy.get_untracked()>{p.clone()}</option>
                        }).collect_view()}
                    </select></div>
            </div>
            <div class="choice">
                <label><input type="checkbox" id=f("approval") prop:checked=move || approval.get()
                    on:change=move |ev| approval.set(event_target_checked(&ev))/>{t!(i18n, catalog.needs_approval)}</label>
                {move || approval.get().then(|| view! {
                    <span class="field inline">
                        <label for=f("chain")>{t!(i18n, catalog.approval_chain)}</label>
                        <select id=f("chain") on:change=move |ev| chain.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, catalog.chain_manager)}</option>
                            {chains.get().into_iter().map(|(id, name)| {
                                let selected = id == chain.get_untracked();
                                view! { <option value=id selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                    </span>
                })}
            </div>
            <fieldset class="questions">
                <legend>{t!(i18n, catalog.questions)}</legend>
                <For each=move || questions.get() key=|q| q.key.clone() let(q)>
                    <QuestionRow question=q questions/>
                </For>
                <button type="button" class="button" on:click=add_question>{t!(i18n, catalog.add_question)}</button>
            </fieldset>
            <div class="actions">
                <button type="submit" class="button primary">{t!(i18n, catalog.save)}</button>
                {move || saved.get().then(|| view! { <span role="status" class="muted">{t!(i18n, catalog.saved)}</span> })}
            </div>
        </form>
    }
}

#[component]
fn QuestionRow(question: Question, questions: RwSignal<Vec<Question>>) -> impl IntoView {
    let i18n = use_i18n();
    let key = question.key.clone();
    let id = move |what: &str| format!("{key}-{what}");
    let remove_key = question.key.clone();
    let q = question.clone();
    view! {
        <div class="question-row">
            <div class="field"><label for=id("zh")>{t!(i18n, catalog.question_zh)}</label><input id=id("zh") bind:value=q.zh/></div>
            <div class="field"><label for=id("en")>{t!(i18n, catalog.question_en)}</label><input id=id("en") bind:value=q.en/></div>
            <div class="field"><label for=id("kind")>{t!(i18n, catalog.question_kind)}</label>
                <select id=id("kind") on:change=move |ev| q.kind.set(event_target_value(&ev))>
                    {["text", "number", "date", "choice", "person"].into_iter().map(|k| view! {
                        <option value=k selected=k == question.kind.get_untracked()>{move || kind_label(i18n.get_locale(), k)}</option>
                    }).collect_view()}
                </select></div>
            <div class="field"><label for=id("choices")>{t!(i18n, catalog.choices)}</label>
                <input id=id("choices") bind:value=q.choices disabled=move || q.kind.get() != "choice"/></div>
            <div class="field">
                <label><input type="checkbox" prop:checked=move || q.required.get()
                    on:change=move |ev| q.required.set(event_target_checked(&ev))/>{t!(i18n, catalog.required)}</label>
                <button type="button" class="link" on:click=move |_| questions.update(|all| all.retain(|x| x.key != remove_key))>
                    {t!(i18n, catalog.remove_question)}
                </button>
            </div>
        </div>
    }
}

fn kind_label(l: Locale, kind: &str) -> &'static str {
    match kind {
        "number" => td_string!(l, catalog.kind_number),
        "date" => td_string!(l, catalog.kind_date),
        "choice" => td_string!(l, catalog.kind_choice),
        "person" => td_string!(l, catalog.kind_person),
        _ => td_string!(l, catalog.kind_text),
    }
}

//! The rule editor: *when* (a trigger), *if* (conditions, all of which must hold), *then*
//! (actions). Each condition and action is a row: a kind, then the values that kind needs.
//! A rule that is refused (a loop, someone missing) lists every reason and is not saved.

use super::super::i18n::*;
use super::super::labels::{priority_label, segment_label, status_label};
use super::super::state::{new_id, now, AppState};
use super::messages::{moment_label, rule_problem, Names};
use super::{field_key, save, Outcome};
use crate::domain::automation::{Action, Condition, Moment, Rule, Test, Trigger};
use crate::domain::classification::Segment;
use crate::domain::{Priority, Status, Timestamp};
use leptos::prelude::*;

/// One condition or action being edited: its kind and up to three values.
#[derive(Clone, Copy)]
struct Row {
    key: u32,
    kind: RwSignal<String>,
    field: RwSignal<String>,
    op: RwSignal<String>,
    value: RwSignal<String>,
}

impl Row {
    fn new(key: u32, kind: &str, field: &str, op: &str, value: &str) -> Self {
        Row {
            key,
            kind: RwSignal::new(kind.into()),
            field: RwSignal::new(field.into()),
            op: RwSignal::new(op.into()),
            value: RwSignal::new(value.into()),
        }
    }

    fn of_condition(key: u32, c: &Condition) -> Self {
        let (kind, field, op, value) = match c {
            Condition::Service { id } => ("service", "", "", id.clone()),
            Condition::Priority { is } => ("priority", "", "", is.as_str().into()),
            Condition::Queue { department } => ("queue", "", "", department.clone()),
            Condition::CustomerDepartment { department } => {
                ("customer", "", "", department.clone())
            }
            Condition::Segment { is } => ("segment", "", "", is.as_str().into()),
            Condition::Status { is } => ("status", "", "", is.as_str().into()),
            Condition::Field { key: f, test } => {
                let (op, value) = match test {
                    Test::Equals(v) => ("equals", v.clone()),
                    Test::Contains(v) => ("contains", v.clone()),
                    Test::Below(n) => ("below", n.to_string()),
                    Test::AtLeast(n) => ("at_least", n.to_string()),
                };
                return Row::new(key, "field", f, op, &value);
            }
        };
        Row::new(key, kind, field, op, &value)
    }

    fn condition(&self, state: AppState) -> Option<Condition> {
        let value = self.value.get_untracked().trim().to_string();
        Some(match self.kind.get_untracked().as_str() {
            "service" => Condition::Service { id: value },
            "priority" => Condition::Priority {
                is: Priority::parse(&value)?,
            },
            "queue" => Condition::Queue { department: value },
            "customer" => Condition::CustomerDepartment { department: value },
            "segment" => Condition::Segment {
                is: Segment::parse(&value)?,
            },
            "status" => Condition::Status {
                is: Status::parse(&value)?,
            },
            _ => {
                let number = || crate::domain::automation::rules::number(&value);
                let test = match self.op.get_untracked().as_str() {
                    "contains" => Test::Contains(value.clone()),
                    "below" => Test::Below(number()?),
                    "at_least" => Test::AtLeast(number()?),
                    _ => Test::Equals(value.clone()),
                };
                Condition::Field {
                    key: field_key(state, &self.field.get_untracked()),
                    test,
                }
            }
        })
    }

    fn of_action(key: u32, a: &Action) -> Self {
        let (kind, field, value) = match a {
            Action::SetQueue(d) => ("set_queue", String::new(), d.clone()),
            Action::AssignAgent(e) => ("assign_agent", String::new(), e.clone()),
            Action::AssignTeam => ("assign_team", String::new(), String::new()),
            Action::SetPriority(p) => ("set_priority", String::new(), p.as_str().into()),
            Action::SetStatus(s) => ("set_status", String::new(), s.as_str().into()),
            Action::SetField { key: f, value } => ("set_field", f.clone(), value.clone()),
            Action::AddWatcher(e) => ("add_watcher", String::new(), e.clone()),
            Action::AutoApprove => ("auto_approve", String::new(), String::new()),
            Action::RequestApproval(c) => ("request_approval", String::new(), c.clone()),
            Action::ReplyArticle { id, title } => ("reply_article", title.clone(), id.to_string()),
            Action::ReplyTemplate(m) => ("reply_template", String::new(), m.clone()),
            Action::Notify(e) => ("notify", String::new(), e.clone()),
        };
        Row::new(key, kind, &field, "", &value)
    }

    fn action(&self, state: AppState, articles: &[(String, String)]) -> Option<Action> {
        let value = self.value.get_untracked().trim().to_lowercase();
        let raw = self.value.get_untracked().trim().to_string();
        Some(match self.kind.get_untracked().as_str() {
            "set_queue" => Action::SetQueue(raw),
            "assign_agent" => Action::AssignAgent(value),
            "assign_team" => Action::AssignTeam,
            "set_priority" => Action::SetPriority(Priority::parse(&value)?),
            "set_status" => Action::SetStatus(Status::parse(&value)?),
            "set_field" => Action::SetField {
                key: field_key(state, &self.field.get_untracked()),
                value: raw,
            },
            "add_watcher" => Action::AddWatcher(value),
            "auto_approve" => Action::AutoApprove,
            "request_approval" => Action::RequestApproval(raw),
            "reply_article" => {
                let title = articles.iter().find(|(id, _)| *id == raw)?.1.clone();
                Action::ReplyArticle {
                    id: raw.parse().ok()?,
                    title,
                }
            }
            "reply_template" => Action::ReplyTemplate(raw),
            _ => Action::Notify(value),
        })
    }
}

/// A kind of row: its code, and its label in a language.
type Kind = (&'static str, fn(Locale) -> &'static str);

const CONDITION_KINDS: [Kind; 7] = [
    ("service", |l| td_string!(l, automation.if_service)),
    ("priority", |l| td_string!(l, automation.if_priority)),
    ("queue", |l| td_string!(l, automation.if_queue)),
    ("customer", |l| td_string!(l, automation.if_customer)),
    ("segment", |l| td_string!(l, automation.if_segment)),
    ("status", |l| td_string!(l, automation.if_status)),
    ("field", |l| td_string!(l, automation.if_field)),
];

const ACTION_KINDS: [Kind; 12] = [
    ("auto_approve", |l| {
        td_string!(l, automation.do_auto_approve)
    }),
    ("request_approval", |l| {
        td_string!(l, automation.do_request_approval)
    }),
    ("assign_team", |l| td_string!(l, automation.do_assign_team)),
    ("assign_agent", |l| {
        td_string!(l, automation.do_assign_agent)
    }),
    ("set_queue", |l| td_string!(l, automation.do_set_queue)),
    ("set_priority", |l| {
        td_string!(l, automation.do_set_priority)
    }),
    ("set_status", |l| td_string!(l, automation.do_set_status)),
    ("set_field", |l| td_string!(l, automation.do_set_field)),
    ("add_watcher", |l| td_string!(l, automation.do_add_watcher)),
    ("reply_template", |l| {
        td_string!(l, automation.do_reply_template)
    }),
    ("reply_article", |l| {
        td_string!(l, automation.do_reply_article)
    }),
    ("notify", |l| td_string!(l, automation.do_notify)),
];

#[component]
pub fn RuleEditor(existing: Option<Rule>, names: Memo<Names>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let rule = existing.clone().unwrap_or(Rule {
        id: new_id().to_string(),
        name: String::new(),
        enabled: true,
        trigger: Trigger::Created,
        conditions: vec![],
        actions: vec![],
        since: Timestamp(0),
    });
    // The form for a new one has its own ids: once saved, the same rule is also listed above.
    let prefix = match &existing {
        Some(_) => format!("rule-{}", &rule.id[..8.min(rule.id.len())]),
        None => "rule-new".to_string(),
    };
    let name = RwSignal::new(rule.name.clone());
    let enabled = RwSignal::new(rule.enabled);
    let (when, moment, minutes) = match rule.trigger {
        Trigger::Created => ("created", Moment::Created, 60),
        Trigger::Updated => ("updated", Moment::Created, 60),
        Trigger::SlaWarning => ("sla_warning", Moment::Created, 60),
        Trigger::After { moment, minutes } => ("after", moment, minutes),
    };
    let when = RwSignal::new(when.to_string());
    let moment = RwSignal::new(moment.as_str().to_string());
    let minutes = RwSignal::new(minutes.to_string());
    let next_key = StoredValue::new(1_000u32);
    let fresh = move || {
        next_key.update_value(|k| *k += 1);
        next_key.get_value()
    };
    let shown = names.get_untracked();
    let conditions = RwSignal::new(
        rule.conditions
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let row = Row::of_condition(i as u32, c);
                // A question shows by its name (saving turns a name back into its key).
                let key = row.field.get_untracked();
                if !key.is_empty() {
                    row.field
                        .set(shown.field(i18n.get_locale_untracked(), &key));
                }
                row
            })
            .collect::<Vec<_>>(),
    );
    let actions = RwSignal::new(
        rule.actions
            .iter()
            .enumerate()
            .map(|(i, a)| Row::of_action(i as u32, a))
            .collect::<Vec<_>>(),
    );
    let articles = Memo::new(move |_| {
        state.read(|d| {
            d.articles()
                .into_iter()
                .filter(|a| !a.retired)
                .map(|a| (a.id.to_string(), a.title.show(false).to_string()))
                .collect::<Vec<_>>()
        })
    });
    let outcome = RwSignal::new(None::<Result<(), Vec<String>>>);
    let id = RwSignal::new(rule.id.clone());
    let was = existing.clone();
    let is_new = existing.is_none();
    let (condition_rows, action_rows) = (conditions, actions);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let parsed_conditions: Option<Vec<Condition>> =
            conditions.with_untracked(|rows| rows.iter().map(|r| r.condition(state)).collect());
        let parsed_actions: Option<Vec<Action>> = articles.with_untracked(|a| {
            actions.with_untracked(|rows| rows.iter().map(|r| r.action(state, a)).collect())
        });
        let (Some(conditions), Some(actions)) = (parsed_conditions, parsed_actions) else {
            outcome.set(Some(Err(vec![
                td_string!(l, automation.err_values).to_string()
            ])));
            return;
        };
        let trigger = match when.get_untracked().as_str() {
            "updated" => Trigger::Updated,
            "sla_warning" => Trigger::SlaWarning,
            "after" => Trigger::After {
                moment: Moment::ALL
                    .into_iter()
                    .find(|m| m.as_str() == moment.get_untracked())
                    .unwrap_or(Moment::Created),
                minutes: minutes.get_untracked().trim().parse().unwrap_or(0),
            },
            _ => Trigger::Created,
        };
        // A rule acts on what happens from the moment it is saved (or switched back on).
        let since = match &was {
            Some(old) if old.enabled || !enabled.get_untracked() => old.since,
            _ => now(),
        };
        let rule = Rule {
            id: id.get_untracked(),
            name: name.get_untracked().trim().to_string(),
            enabled: enabled.get_untracked(),
            trigger,
            conditions,
            actions,
            since,
        };
        let mut automation = state.read_untracked(|d| d.automation().0);
        let known = state.read_untracked(|d| d.known());
        match automation.put_rule(rule, &known) {
            Ok(()) => {
                if save(state, &automation, outcome) && is_new {
                    // The form is ready for the next rule.
                    id.set(new_id().to_string());
                    name.set(String::new());
                    condition_rows.set(Vec::new());
                    action_rows.set(Vec::new());
                }
            }
            Err(problems) => outcome.set(Some(Err(problems
                .iter()
                .map(|p| rule_problem(l, p))
                .collect()))),
        }
    };
    let prefix = StoredValue::new(prefix);
    let f = move |part: &str| format!("{}-{part}", prefix.get_value());
    let remove_id = rule.id.clone();
    let remove = move |_| {
        let mut automation = state.read_untracked(|d| d.automation().0);
        automation.rules.remove(&remove_id);
        let _ = state.save_automation(&automation);
    };
    view! {
        <form class="rule-editor" on:submit=submit novalidate>
            <Outcome outcome/>
            <div class="field-row">
                <div class="field"><label for=f("name")>{t!(i18n, automation.rule_name)}</label>
                    <input id=f("name") bind:value=name/></div>
                <div class="field"><label for=f("when")>{t!(i18n, automation.when)}</label>
                    <select id=f("when") on:change=move |ev| when.set(event_target_value(&ev))>
                        {[("created", 0), ("updated", 1), ("sla_warning", 2), ("after", 3)].into_iter().map(|(code, n)| view! {
                            <option value=code selected=code == when.get_untracked()>{move || {
                                let l = i18n.get_locale();
                                match n {
                                    0 => td_string!(l, automation.when_created),
                                    1 => td_string!(l, automation.when_updated),
                                    2 => td_string!(l, automation.when_sla),
                                    _ => td_string!(l, automation.when_after),
                                }
                            }}</option>
                        }).collect_view()}
                    </select></div>
            </div>
            {move || (when.get() == "after").then(|| view! {
                <div class="field-row">
                    <div class="field"><label for=f("minutes")>{t!(i18n, automation.minutes)}</label>
                        <input id=f("minutes") type="number" min="1" inputmode="numeric" bind:value=minutes/></div>
                    <div class="field"><label for=f("moment")>{t!(i18n, automation.after_moment)}</label>
                        <select id=f("moment") on:change=move |ev| moment.set(event_target_value(&ev))>
                            {Moment::ALL.into_iter().map(|m| view! {
                                <option value=m.as_str() selected=m.as_str() == moment.get_untracked()>{move || moment_label(i18n.get_locale(), m)}</option>
                            }).collect_view()}
                        </select></div>
                </div>
            })}
            <fieldset class="rows">
                <legend>{t!(i18n, automation.conditions)}</legend>
                <p class="hint">{t!(i18n, automation.conditions_hint)}</p>
                <For each=move || conditions.get() key=|r| r.key let(row)>
                    <EditRow row prefix=f("c") role="condition" kinds=&CONDITION_KINDS
                        kind_label=|l| td_string!(l, automation.condition_kind)
                        values=move |id| condition_values(row, names, id)
                        on_remove=move || conditions.update(|rows| rows.retain(|r| r.key != row.key))/>
                </For>
                <button type="button" class="button small" on:click=move |_| {
                    let key = fresh();
                    conditions.update(|rows| rows.push(Row::new(key, "service", "", "below", "")))
                }>{t!(i18n, automation.add_condition)}</button>
            </fieldset>
            <fieldset class="rows">
                <legend>{t!(i18n, automation.actions)}</legend>
                <For each=move || actions.get() key=|r| r.key let(row)>
                    <EditRow row prefix=f("a") role="action" kinds=&ACTION_KINDS
                        kind_label=|l| td_string!(l, automation.action_kind)
                        values=move |id| action_values(row, names, articles, id)
                        on_remove=move || actions.update(|rows| rows.retain(|r| r.key != row.key))/>
                </For>
                <button type="button" class="button small" on:click=move |_| {
                    let key = fresh();
                    actions.update(|rows| rows.push(Row::new(key, "auto_approve", "", "", "")))
                }>{t!(i18n, automation.add_action)}</button>
            </fieldset>
            <div class="choice">
                <label><input type="checkbox" id=f("enabled") prop:checked=move || enabled.get()
                    on:change=move |ev| enabled.set(event_target_checked(&ev))/>{t!(i18n, automation.enabled)}</label>
            </div>
            <div class="button-row">
                <button type="submit" class="button primary">{t!(i18n, automation.save_rule)}</button>
                {existing.is_some().then(|| view! {
                    <button type="button" class="button danger" on:click=remove>{t!(i18n, automation.delete)}</button>
                })}
            </div>
        </form>
    }
}

/// One condition or action: what kind it is, then the values that kind needs.
#[component]
fn EditRow(
    row: Row,
    prefix: String,
    /// `condition` or `action`.
    role: &'static str,
    kinds: &'static [Kind],
    kind_label: fn(Locale) -> &'static str,
    /// The inputs for the row's kind, given the id the first of them takes.
    values: impl Fn(String) -> AnyView + Send + Sync + 'static,
    on_remove: impl Fn() + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = format!("{prefix}-{}", row.key);
    let kind_id = format!("{id}-kind");
    let value_id = format!("{id}-value");
    view! {
        <div class="rule-row" data-row=role>
            <label class="visually-hidden" for=kind_id.clone()>{move || kind_label(i18n.get_locale())}</label>
            <select id=kind_id on:change=move |ev| { row.kind.set(event_target_value(&ev)); row.value.set(String::new()); }>
                {kinds.iter().map(|&(code, label)| view! {
                    <option value=code selected=code == row.kind.get_untracked()>{move || label(i18n.get_locale())}</option>
                }).collect_view()}
            </select>
            {move || values(value_id.clone())}
            <button type="button" class="button small" on:click=move |_| on_remove()
                aria-label=move || t_string!(i18n, automation.remove_row)>"✕"</button>
        </div>
    }
}

/// The inputs of a condition of the row's kind.
fn condition_values(row: Row, names: Memo<Names>, value_id: String) -> AnyView {
    let i18n = use_i18n();
    match row.kind.get().as_str() {
        "service" => {
            let l = i18n.get_locale_untracked();
            let options: Vec<(String, String)> = names.with(|n| n.services.keys().map(|k| (k.clone(), n.service(l, k))).collect());
            value_select(row.value, value_id, options).into_any()
        }
        "priority" => enum_select(row.value, value_id, Priority::ALL.iter().map(|p| (p.as_str(), *p)).collect(), priority_label).into_any(),
        "segment" => enum_select(row.value, value_id, Segment::ALL.iter().map(|s| (s.as_str(), *s)).collect(), segment_label).into_any(),
        "status" => enum_select(row.value, value_id, Status::ALL.iter().map(|s| (s.as_str(), *s)).collect(), status_label).into_any(),
        "field" => view! {
            <label class="visually-hidden" for=format!("{value_id}-field")>{t!(i18n, automation.field_key)}</label>
            <input id=format!("{value_id}-field") class="short" list="automation-fields" placeholder=move || t_string!(i18n, automation.field_key) bind:value=row.field/>
            <label class="visually-hidden" for=format!("{value_id}-op")>{t!(i18n, automation.test)}</label>
            <select id=format!("{value_id}-op") on:change=move |ev| row.op.set(event_target_value(&ev))>
                {[("below", "<"), ("at_least", "≥"), ("equals", "="), ("contains", "∋")].into_iter().map(|(code, sign)| view! {
                    <option value=code selected=code == row.op.get_untracked()>{sign}</option>
                }).collect_view()}
            </select>
            <label class="visually-hidden" for=value_id.clone()>{t!(i18n, automation.value)}</label>
            <input id=value_id class="short" bind:value=row.value/>
        }.into_any(),
        _ => view! {
            <label class="visually-hidden" for=value_id.clone()>{t!(i18n, automation.value)}</label>
            <input id=value_id list="automation-departments" bind:value=row.value/>
        }.into_any(),
    }
}

/// The inputs of an action of the row's kind.
fn action_values(
    row: Row,
    names: Memo<Names>,
    articles: Memo<Vec<(String, String)>>,
    value_id: String,
) -> AnyView {
    let i18n = use_i18n();
    let text = |list: &'static str, value_id: String| {
        view! {
            <label class="visually-hidden" for=value_id.clone()>{t!(i18n, automation.value)}</label>
            <input id=value_id list=list bind:value=row.value/>
        }
    };
    match row.kind.get().as_str() {
        "assign_team" | "auto_approve" => ().into_any(),
        "set_priority" => enum_select(row.value, value_id, Priority::ALL.iter().map(|p| (p.as_str(), *p)).collect(), priority_label).into_any(),
        "set_status" => enum_select(row.value, value_id, Status::ALL.iter().map(|s| (s.as_str(), *s)).collect(), status_label).into_any(),
        "request_approval" => {
            let options = names.with(|n| n.automation.chains.values().map(|c| (c.id.clone(), c.name.clone())).collect());
            value_select(row.value, value_id, options).into_any()
        }
        "reply_template" => {
            let options = names.with(|n| n.automation.macros.values().map(|m| (m.id.clone(), m.name.clone())).collect());
            value_select(row.value, value_id, options).into_any()
        }
        "reply_article" => value_select(row.value, value_id, articles.get()).into_any(),
        "set_field" => view! {
            <label class="visually-hidden" for=format!("{value_id}-field")>{t!(i18n, automation.field_key)}</label>
            <input id=format!("{value_id}-field") class="short" list="automation-fields" placeholder=move || t_string!(i18n, automation.field_key) bind:value=row.field/>
            {text("", value_id)}
        }.into_any(),
        "set_queue" => text("automation-departments", value_id).into_any(),
        _ => text("automation-people", value_id).into_any(),
    }
}

/// A select over (value, label) pairs, choosing the first when nothing is chosen yet.
fn value_select(
    value: RwSignal<String>,
    id: String,
    options: Vec<(String, String)>,
) -> impl IntoView {
    let i18n = use_i18n();
    if value.get_untracked().is_empty() {
        if let Some((first, _)) = options.first() {
            value.set(first.clone());
        }
    }
    view! {
        <label class="visually-hidden" for=id.clone()>{t!(i18n, automation.value)}</label>
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
            {options.into_iter().map(|(code, label)| {
                let selected = code == value.get_untracked();
                view! { <option value=code selected=selected>{label}</option> }
            }).collect_view()}
        </select>
    }
}

/// A select over an enum's values with their translated labels.
fn enum_select<T: Copy + Send + Sync + 'static>(
    value: RwSignal<String>,
    id: String,
    options: Vec<(&'static str, T)>,
    label: fn(Locale, T) -> &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    if value.get_untracked().is_empty() {
        if let Some((first, _)) = options.first() {
            value.set(first.to_string());
        }
    }
    view! {
        <label class="visually-hidden" for=id.clone()>{t!(i18n, automation.value)}</label>
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
            {options.into_iter().map(|(code, v)| view! {
                <option value=code selected=code == value.get_untracked()>{move || label(i18n.get_locale(), v)}</option>
            }).collect_view()}
        </select>
    }
}

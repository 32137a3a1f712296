//! The approval chain editor: a name, whether the SLA pauses while it waits, and its steps (the
//! requester's manager or a named person, each optionally only from an amount on the form).

use super::super::i18n::*;
use super::super::state::{new_id, AppState};
use super::messages::chain_error;
use super::{field_key, save, Outcome};
use crate::domain::automation::approval::{Step, Threshold};
use crate::domain::automation::{Approver, Chain};
use leptos::prelude::*;

#[derive(Clone, Copy)]
struct StepRow {
    key: u32,
    manager: RwSignal<bool>,
    email: RwSignal<String>,
    field: RwSignal<String>,
    amount: RwSignal<String>,
}

impl StepRow {
    fn of(key: u32, step: &Step) -> Self {
        let (manager, email) = match &step.approver {
            Approver::Manager => (true, String::new()),
            Approver::Person(e) => (false, e.clone()),
        };
        StepRow {
            key,
            manager: RwSignal::new(manager),
            email: RwSignal::new(email),
            field: RwSignal::new(
                step.at_least
                    .as_ref()
                    .map(|t| t.field.clone())
                    .unwrap_or_default(),
            ),
            amount: RwSignal::new(
                step.at_least
                    .as_ref()
                    .map(|t| t.amount.to_string())
                    .unwrap_or_default(),
            ),
        }
    }

    fn step(&self, state: AppState) -> Step {
        let amount = crate::domain::automation::rules::number(&self.amount.get_untracked());
        Step {
            approver: if self.manager.get_untracked() {
                Approver::Manager
            } else {
                Approver::Person(self.email.get_untracked().trim().to_lowercase())
            },
            at_least: amount.map(|amount| Threshold {
                field: field_key(state, &self.field.get_untracked()),
                amount,
            }),
        }
    }
}

#[component]
pub fn ChainEditor(existing: Option<Chain>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let chain = existing.clone().unwrap_or(Chain {
        id: new_id().to_string(),
        name: String::new(),
        steps: vec![Step {
            approver: Approver::Manager,
            at_least: None,
        }],
        pause_sla: true,
    });
    // The form for a new one has its own ids: once saved, the same chain is also listed above.
    let prefix = match &existing {
        Some(_) => format!("chain-{}", &chain.id[..8.min(chain.id.len())]),
        None => "chain-new".to_string(),
    };
    let name = RwSignal::new(chain.name.clone());
    let pause = RwSignal::new(chain.pause_sla);
    let steps = RwSignal::new(
        chain
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepRow::of(i as u32, s))
            .collect::<Vec<_>>(),
    );
    let next_key = StoredValue::new(1_000u32);
    let outcome = RwSignal::new(None::<Result<(), Vec<String>>>);
    let id = RwSignal::new(chain.id.clone());
    let is_new = existing.is_none();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let chain = Chain {
            id: id.get_untracked(),
            name: name.get_untracked().trim().into(),
            steps: steps.with_untracked(|rows| rows.iter().map(|r| r.step(state)).collect()),
            pause_sla: pause.get_untracked(),
        };
        let mut automation = state.read_untracked(|d| d.automation().0);
        let known = state.read_untracked(|d| d.known());
        match automation.put_chain(chain, &known) {
            Ok(()) => {
                if save(state, &automation, outcome) && is_new {
                    id.set(new_id().to_string());
                    name.set(String::new());
                    steps.set(vec![StepRow::of(
                        0,
                        &Step {
                            approver: Approver::Manager,
                            at_least: None,
                        },
                    )]);
                }
            }
            Err(problems) => outcome.set(Some(Err(problems
                .iter()
                .map(|p| chain_error(l, p))
                .collect()))),
        }
    };
    let prefix = StoredValue::new(prefix);
    let f = move |part: &str| format!("{}-{part}", prefix.get_value());
    view! {
        <form class="chain-editor" on:submit=submit novalidate>
            <Outcome outcome/>
            <div class="field"><label for=f("name")>{t!(i18n, automation.chain_name)}</label>
                <input id=f("name") bind:value=name/></div>
            <ol class="chain-steps">
                <For each=move || steps.get() key=|s| s.key let(row)>
                    <li class="rule-row" data-row="step">
                        {
                            let id = StoredValue::new(f(&format!("s{}", row.key)));
                            let id = move || id.get_value();
                            view! {
                                <label class="visually-hidden" for=format!("{}-who", id())>{t!(i18n, automation.approver)}</label>
                                <select id=format!("{}-who", id()) on:change=move |ev| row.manager.set(event_target_value(&ev) == "manager")>
                                    <option value="manager" selected=row.manager.get_untracked()>{t!(i18n, catalog.chain_manager)}</option>
                                    <option value="person" selected=!row.manager.get_untracked()>{t!(i18n, automation.named_person)}</option>
                                </select>
                                {move || (!row.manager.get()).then(|| view! {
                                    <label class="visually-hidden" for=format!("{}-email", id())>{t!(i18n, automation.approver_email)}</label>
                                    <input id=format!("{}-email", id()) type="email" list="automation-people" placeholder=move || t_string!(i18n, automation.approver_email) bind:value=row.email/>
                                })}
                                <span class="muted">{t!(i18n, automation.only_from)}</span>
                                <label class="visually-hidden" for=format!("{}-field", id())>{t!(i18n, automation.field_key)}</label>
                                <input id=format!("{}-field", id()) class="short" list="automation-fields" placeholder=move || t_string!(i18n, automation.field_key) bind:value=row.field/>
                                <label class="visually-hidden" for=format!("{}-amount", id())>{t!(i18n, automation.amount)}</label>
                                <input id=format!("{}-amount", id()) class="short" inputmode="decimal" placeholder=move || t_string!(i18n, automation.amount) bind:value=row.amount/>
                                <button type="button" class="button small" aria-label=move || t_string!(i18n, automation.remove_row)
                                    on:click=move |_| steps.update(|s| s.retain(|r| r.key != row.key))>"✕"</button>
                            }
                        }
                    </li>
                </For>
            </ol>
            <button type="button" class="button small" on:click=move |_| {
                next_key.update_value(|k| *k += 1);
                let key = next_key.get_value();
                steps.update(|s| s.push(StepRow::of(key, &Step { approver: Approver::Person(String::new()), at_least: None })))
            }>{t!(i18n, automation.add_step)}</button>
            <div class="choice">
                <label><input type="checkbox" id=f("pause") prop:checked=move || pause.get()
                    on:change=move |ev| pause.set(event_target_checked(&ev))/>{t!(i18n, automation.pause_sla)}</label>
            </div>
            <button type="submit" class="button primary">{t!(i18n, automation.save_chain)}</button>
        </form>
    }
}

//! Automation settings (`#/automation`): rules, approval chains, canned replies and how each team
//! shares out work; and the parts of a ticket's page that show what automation and approvals did.
//! Admins change the organisation's automation; staff mark themselves away.

mod approval;
mod assignee;
mod chains;
mod log;
mod macros;
mod messages;
mod rules;
mod teams;

pub use approval::ApprovalPanel;
pub use assignee::{person_name, AssigneeField};
pub use log::AutomationLog;

use super::i18n::*;
use super::sla_settings::Outcome;
use super::state::AppState;
use chains::ChainEditor;
use leptos::prelude::*;
use macros::MacroEditor;
use messages::{rule_text, Names};
use rules::RuleEditor;
use teams::TeamSettings;

#[component]
pub fn AutomationPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let me = state.read_untracked(|d| d.me());
    let admin = me.admin;
    let names = Memo::new(move |_| {
        state.read(|d| {
            let (directory, _) = d.directory();
            let (catalog, _) = d.catalog();
            Names {
                people: directory
                    .people
                    .values()
                    .map(|p| (p.email.clone(), p.name.clone()))
                    .collect(),
                services: catalog
                    .services
                    .values()
                    .map(|s| (s.id.clone(), s.name.clone()))
                    .collect(),
                fields: catalog
                    .services
                    .values()
                    .flat_map(|s| s.fields.iter())
                    .map(|f| (f.key.clone(), f.label.clone()))
                    .collect(),
                automation: d.automation().0,
            }
        })
    });
    let lists = Memo::new(move |_| {
        state.read(|d| {
            let known = d.known();
            // Every question of every service, by its key, labelled so an admin knows which it is.
            let fields: Vec<(String, String)> = d
                .catalog()
                .0
                .services
                .values()
                .flat_map(|s| {
                    s.fields.iter().map(move |f| {
                        (
                            f.key.clone(),
                            format!("{} · {} / {}", s.name.show(false), f.label.en, f.label.zh),
                        )
                    })
                })
                .collect();
            (
                known.people.into_iter().collect::<Vec<_>>(),
                known.departments.into_iter().collect::<Vec<_>>(),
                fields,
            )
        })
    });
    let rules = move || {
        names.with(|n| {
            n.automation
                .ordered_rules()
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let chains = move || names.with(|n| n.automation.chains.values().cloned().collect::<Vec<_>>());
    let macros = move || names.with(|n| n.automation.macros.values().cloned().collect::<Vec<_>>());
    view! {
        <section class="automation-settings">
            <h1>{t!(i18n, automation.title)}</h1>
            <p class="hint">{t!(i18n, automation.intro)}</p>
            {(!admin).then(|| view! { <p class="notice">{t!(i18n, automation.admins_only)}</p> })}
            <datalist id="automation-people">
                {move || lists.get().0.into_iter().map(|e| view! { <option value=e/> }).collect_view()}
            </datalist>
            <datalist id="automation-departments">
                {move || lists.get().1.into_iter().map(|d| view! { <option value=d/> }).collect_view()}
            </datalist>
            <datalist id="automation-fields">
                {move || lists.get().2.into_iter().map(|(key, label)| view! { <option value=key>{label}</option> }).collect_view()}
            </datalist>

            <h2 id="rules-title">{t!(i18n, automation.rules)}</h2>
            {move || {
                let rules = rules();
                if rules.is_empty() {
                    return view! { <p class="muted">{t!(i18n, automation.no_rules)}</p> }.into_any();
                }
                rules.into_iter().map(|r| {
                    let summary = r.clone();
                    let off = !r.enabled;
                    let (name, marker) = (r.name.clone(), r.name.clone());
                    view! {
                        <details class="card settings rule" data-rule=marker>
                            <summary>
                                <strong>{name}</strong>
                                {off.then(|| view! { " " <span class="badge">{t!(i18n, automation.disabled)}</span> })}
                                <span class="muted rule-text">{move || names.with(|n| rule_text(i18n.get_locale(), &summary, n))}</span>
                            </summary>
                            {admin.then_some(r).map(|r| view! { <RuleEditor existing=Some(r) names/> })}
                        </details>
                    }
                }).collect_view().into_any()
            }}
            {admin.then(|| view! {
                <details class="card settings" id="new-rule"><summary>{t!(i18n, automation.add_rule)}</summary><RuleEditor existing=None names/></details>
            })}

            <h2>{t!(i18n, automation.chains)}</h2>
            {move || chains().into_iter().map(|c| {
                let steps = c.steps.len();
                let (name, marker) = (c.name.clone(), c.name.clone());
                view! {
                    <details class="card settings" data-chain=marker>
                        <summary><strong>{name}</strong>" "<span class="muted">{move || td_string!(i18n.get_locale(), automation.steps_count, count = steps).to_string()}</span></summary>
                        {admin.then_some(c).map(|c| view! { <ChainEditor existing=Some(c)/> })}
                    </details>
                }
            }).collect_view()}
            {admin.then(|| view! {
                <details class="card settings" id="new-chain"><summary>{t!(i18n, automation.add_chain)}</summary><ChainEditor existing=None/></details>
            })}

            <h2>{t!(i18n, automation.macros)}</h2>
            {move || macros().into_iter().map(|m| {
                let (name, marker) = (m.name.clone(), m.name.clone());
                view! {
                    <details class="card settings" data-macro=marker>
                        <summary><strong>{name}</strong></summary>
                        {admin.then_some(m).map(|m| view! { <MacroEditor existing=Some(m)/> })}
                    </details>
                }
            }).collect_view()}
            {admin.then(|| view! {
                <details class="card settings" id="new-macro"><summary>{t!(i18n, automation.add_macro)}</summary><MacroEditor existing=None/></details>
            })}

            <h2>{t!(i18n, automation.teams)}</h2>
            <p class="hint">{t!(i18n, automation.teams_hint)}</p>
            <TeamSettings admin/>
        </section>
    }
}

/// The key of a service question named by its key or by its label in either language, so an admin
/// may type "Amount" or "金额"; anything else is kept as typed.
fn field_key(state: AppState, typed: &str) -> String {
    let typed = typed.trim();
    state.read_untracked(|d| {
        d.catalog()
            .0
            .services
            .values()
            .flat_map(|s| s.fields.iter())
            .find(|f| {
                f.key == typed || f.label.en.eq_ignore_ascii_case(typed) || f.label.zh == typed
            })
            .map_or_else(|| typed.to_string(), |f| f.key.clone())
    })
}

/// Saves the organisation's automation and says so; true when saved.
fn save(
    state: AppState,
    automation: &crate::domain::automation::Automation,
    outcome: RwSignal<Option<Result<(), Vec<String>>>>,
) -> bool {
    let saved = state.save_automation(automation).is_ok();
    outcome.set(Some(if saved { Ok(()) } else { Err(Vec::new()) }));
    saved
}

//! How each team shares out its work (by hand, round-robin, or to whoever has least), and who in
//! it is away. Anyone on the team marks themselves away; leads and admins mark anyone.

use super::super::i18n::*;
use super::super::state::AppState;
use crate::access::Role;
use crate::domain::automation::{Mode, Team};
use leptos::prelude::*;

fn mode_label(l: Locale, m: Mode) -> &'static str {
    match m {
        Mode::Manual => td_string!(l, automation.mode_manual),
        Mode::RoundRobin => td_string!(l, automation.mode_round_robin),
        Mode::LoadBalanced => td_string!(l, automation.mode_load_balanced),
    }
}

#[component]
pub fn TeamSettings(admin: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    // Teams are the departments with someone who works a queue.
    let teams = Memo::new(move |_| {
        state.read(|d| {
            let (directory, _) = d.directory();
            let mut teams: Vec<String> = directory
                .people
                .values()
                .filter(|p| p.role.works_queues())
                .map(|p| p.department.0.clone())
                .collect();
            teams.sort();
            teams.dedup();
            teams
        })
    });
    view! {
        {move || {
            let teams = teams.get();
            if teams.is_empty() {
                return view! { <p class="muted">{t!(i18n, automation.no_teams)}</p> }.into_any();
            }
            teams.into_iter().enumerate().map(|(n, department)| view! { <TeamCard n department admin/> }).collect_view().into_any()
        }}
    }
}

#[component]
fn TeamCard(n: usize, department: String, admin: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let dept = department.clone();
    let mode = Memo::new(move |_| {
        state.read(|d| {
            d.automation()
                .0
                .teams
                .get(&dept)
                .map_or(Mode::Manual, |t| t.mode)
        })
    });
    let dept = department.clone();
    let people = Memo::new(move |_| state.read(|d| d.team(&dept)));
    let away = Memo::new(move |_| state.read(|d| d.away()));
    let me = Memo::new(move |_| state.read(|d| d.me()));
    let may_mark = move |email: &str| {
        me.with(|m| m.admin || m.email == email)
            || state.read(|d| {
                d.profile()
                    .and_then(|p| p.account)
                    .is_some_and(|a| a.role == Role::Lead)
            })
    };
    let key = department.clone();
    let select_id = format!("team-{n}-mode");
    let set_mode = move |ev: leptos::ev::Event| {
        let Some(mode) = Mode::parse(&event_target_value(&ev)) else {
            return;
        };
        let mut automation = state.read_untracked(|d| d.automation().0);
        automation.teams.insert(
            key.clone(),
            Team {
                department: key.clone(),
                mode,
            },
        );
        let _ = state.save_automation(&automation);
    };
    view! {
        <section class="card team" data-team=department.clone()>
            <h3>{department.clone()}</h3>
            <div class="field inline">
                <label for=select_id.clone()>{t!(i18n, automation.team_mode)}</label>
                <select id=select_id on:change=set_mode disabled=!admin>
                    {Mode::ALL.into_iter().map(|m| view! {
                        <option value=m.as_str() selected=move || mode.get() == m>{move || mode_label(i18n.get_locale(), m)}</option>
                    }).collect_view()}
                </select>
            </div>
            <ul class="team-people">
                {move || people.get().into_iter().map(|(email, name)| {
                    let is_away = away.with(|a| a.contains(&email));
                    let allowed = may_mark(&email);
                    let who = email.clone();
                    view! {
                        <li class:away=is_away>
                            <span class="person">{name}</span>
                            <label class="away-toggle">
                                <input type="checkbox" data-away=email.clone() prop:checked=is_away disabled=!allowed
                                    on:change=move |ev| { let _ = state.set_away(&who, event_target_checked(&ev)); }/>
                                {t!(i18n, automation.away)}
                            </label>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

//! For administrators: business calendars (time zone, working slots per weekday, holidays,
//! make-up working days, holidays imported from an ICS file) and SLA policies (targets per
//! priority, warnings, hand-off OLA, pausing, escalation). A refused change lists every reason and
//! the previous version stays in force.

use super::catalog_messages::{catalog_error, ics_error, weekday_name};
use super::files::chosen_file;
use super::i18n::*;
use super::labels::priority_label;
use super::service_levels::use_service_levels;
use super::state::AppState;
use crate::domain::catalog::Catalog;
use crate::domain::sla::{
    parse_ics, Calendar, Escalation, EscalationAction, Holiday, Policy, Slot, Target,
};
use crate::domain::Priority;
use chrono::{NaiveDate, Weekday};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The zones compiled in (see `.cargo/config.toml`), most used first.
const ZONES: [&str; 12] = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
];

#[component]
pub fn SlaSettingsPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let sla = use_service_levels();
    if !state.read_untracked(|d| d.may_configure()) {
        return view! {
            <section class="sla-settings">
                <h1>{t!(i18n, sla_settings.title)}</h1>
                <p class="empty">{t!(i18n, sla_settings.admins_only)}</p>
            </section>
        }
        .into_any();
    }
    let calendars = move || {
        sla.catalog
            .with(|c| c.calendars.values().cloned().collect::<Vec<_>>())
    };
    let policies = move || {
        sla.catalog
            .with(|c| c.policies.values().cloned().collect::<Vec<_>>())
    };
    view! {
        <section class="sla-settings">
            <h1>{t!(i18n, sla_settings.title)}</h1>
            <p class="hint">{t!(i18n, sla_settings.intro)}</p>
            <h2>{t!(i18n, sla_settings.calendars)}</h2>
            {move || calendars().into_iter().map(|c| view! {
                <details class="card settings"><summary>{c.name.clone()}" · "{c.zone.clone()}</summary><CalendarEditor existing=Some(c)/></details>
            }).collect_view()}
            <details class="card settings" id="new-calendar"><summary>{t!(i18n, sla_settings.add_calendar)}</summary><CalendarEditor existing=None/></details>
            <h2>{t!(i18n, sla_settings.policies)}</h2>
            {move || policies().into_iter().map(|p| view! {
                <details class="card settings"><summary>{p.name.clone()}</summary><PolicyEditor existing=Some(p)/></details>
            }).collect_view()}
            <details class="card settings" id="new-policy"><summary>{t!(i18n, sla_settings.add_policy)}</summary><PolicyEditor existing=None/></details>
        </section>
    }
    .into_any()
}

/// Saves a change to the catalog, or shows why it was refused.
fn save(state: AppState, catalog: Catalog, outcome: RwSignal<Option<Result<(), Vec<String>>>>) {
    let ok = state.save_catalog(&catalog).is_ok();
    outcome.set(Some(if ok { Ok(()) } else { Err(Vec::new()) }));
}

/// Saved, or every reason it was refused (shared by the settings pages).
#[component]
pub(super) fn Outcome(outcome: RwSignal<Option<Result<(), Vec<String>>>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        outcome.get().map(|o| match o {
            Ok(()) => view! { <p class="notice success" role="status">{t!(i18n, sla_settings.saved)}</p> }.into_any(),
            Err(errors) => view! {
                <ul class="form-error" role="alert">
                    {if errors.is_empty() { vec![t_string!(i18n, sla_settings.save_failed).to_string()] } else { errors }
                        .into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                </ul>
            }.into_any(),
        })
    }
}

fn slots_text(slots: &[Slot]) -> String {
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    slots
        .iter()
        .map(|s| format!("{}-{}", hm(s.start), hm(s.end)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `08:00-12:00, 13:00-18:00` → slots; `None` if a part cannot be read.
fn parse_slots(text: &str) -> Option<Vec<Slot>> {
    text.split([',', '，'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (start, end) = part.split_once(['-', '–', '~'])?;
            Slot::hours(start.trim(), end.trim())
        })
        .collect()
}

/// Holiday lines: `2026-10-01 国庆节`, or `* 2026-01-01 元旦` for every year.
fn holidays_text(holidays: &[Holiday]) -> String {
    holidays
        .iter()
        .map(|h| format!("{}{} {}", if h.yearly { "* " } else { "" }, h.date, h.name))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_holidays(text: &str) -> Result<Vec<Holiday>, usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let line = line.trim();
            let (yearly, rest) = match line.strip_prefix('*') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let (date, name) = rest.split_once(' ').unwrap_or((rest, ""));
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| i + 1)?;
            Ok(Holiday {
                date,
                yearly,
                name: name.trim().into(),
            })
        })
        .collect()
}

fn parse_days(text: &str) -> Result<Vec<NaiveDate>, usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| NaiveDate::parse_from_str(l.trim(), "%Y-%m-%d").map_err(|_| i + 1))
        .collect()
}

#[component]
fn CalendarEditor(existing: Option<Calendar>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let sla = use_service_levels();
    let c = existing.unwrap_or_else(|| {
        Calendar::weekdays(
            "",
            "Asia/Shanghai",
            &[
                Slot {
                    start: 9 * 60,
                    end: 12 * 60,
                },
                Slot {
                    start: 13 * 60,
                    end: 18 * 60,
                },
            ],
        )
    });
    let prefix = if c.name.is_empty() {
        "new-calendar".to_string()
    } else {
        format!("calendar-{}", c.name)
    };
    let id = move |what: &str| format!("{prefix}-{what}");
    let name = RwSignal::new(c.name.clone());
    let zone = RwSignal::new(c.zone.clone());
    let week = c
        .week
        .clone()
        .map(|slots| RwSignal::new(slots_text(&slots)));
    let holidays = RwSignal::new(holidays_text(&c.holidays));
    let makeup = RwSignal::new(
        c.makeup_days
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let outcome = RwSignal::new(None::<Result<(), Vec<String>>>);
    let ics_input = NodeRef::<leptos::html::Input>::new();
    let import_ics = move |_| {
        let Some(el) = ics_input.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let Some((_, bytes)) = chosen_file(&el).await else {
                return;
            };
            let locale = i18n.get_locale_untracked();
            match parse_ics(&String::from_utf8_lossy(&bytes)) {
                Ok(days) => {
                    holidays.update(|h| {
                        let more = holidays_text(&days.holidays);
                        *h = [h.trim(), more.as_str()]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join("\n");
                    });
                    makeup.update(|m| {
                        for day in &days.makeup_days {
                            if !m.is_empty() {
                                m.push('\n');
                            }
                            m.push_str(&day.to_string());
                        }
                    });
                    outcome.set(None);
                }
                Err(e) => outcome.set(Some(Err(vec![ics_error(locale, &e)]))),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let mut problems = Vec::new();
        let mut slots: [Vec<Slot>; 7] = Default::default();
        for (i, text) in week.iter().enumerate() {
            match parse_slots(&text.get_untracked()) {
                Some(s) => slots[i] = s,
                None => problems.push(
                    td_string!(
                        l,
                        sla_settings.bad_slots,
                        day = weekday_name(l, Weekday::try_from(i as u8).unwrap_or(Weekday::Mon))
                    )
                    .to_string(),
                ),
            }
        }
        let holiday_list = parse_holidays(&holidays.get_untracked()).unwrap_or_else(|line| {
            problems.push(td_string!(l, sla_settings.bad_holiday, line = line).to_string());
            Vec::new()
        });
        let makeup_days = parse_days(&makeup.get_untracked()).unwrap_or_else(|line| {
            problems.push(td_string!(l, sla_settings.bad_makeup, line = line).to_string());
            Vec::new()
        });
        if name.get_untracked().trim().is_empty() {
            problems.push(td_string!(l, sla_settings.name_missing).to_string());
        }
        if !problems.is_empty() {
            outcome.set(Some(Err(problems)));
            return;
        }
        let calendar = Calendar {
            name: name.get_untracked().trim().into(),
            zone: zone.get_untracked(),
            week: slots,
            holidays: holiday_list,
            makeup_days,
        };
        let mut catalog = sla.catalog.get_untracked();
        match catalog.put_calendar(calendar) {
            Ok(()) => save(state, catalog, outcome),
            Err(errors) => outcome.set(Some(Err(errors
                .iter()
                .map(|e| catalog_error(l, e))
                .collect()))),
        }
    };
    view! {
        <form on:submit=submit novalidate class="calendar-editor">
            <Outcome outcome/>
            <div class="field-row">
                <div class="field"><label for=id("name")>{t!(i18n, sla_settings.name)}</label><input id=id("name") bind:value=name/></div>
                <div class="field"><label for=id("zone")>{t!(i18n, sla_settings.zone)}</label>
                    <select id=id("zone") on:change=move |ev| zone.set(event_target_value(&ev))>
                        {ZONES.into_iter().map(|z| view! { <option value=z selected=z == zone.get_untracked()>{z}</option> }).collect_view()}
                    </select></div>
            </div>
            <fieldset class="week">
                <legend>{t!(i18n, sla_settings.hours)}</legend>
                <p class="hint">{t!(i18n, sla_settings.hours_hint)}</p>
                <div class="field-row week-slots">
                    {week.into_iter().enumerate().map(|(i, text)| {
                        let day = Weekday::try_from(i as u8).unwrap_or(Weekday::Mon);
                        let input = id(&format!("day-{i}"));
                        view! {
                            <div class="field"><label for=input.clone()>{move || weekday_name(i18n.get_locale(), day)}</label>
                                <input id=input bind:value=text/></div>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="field-row">
                <div class="field"><label for=id("holidays")>{t!(i18n, sla_settings.holidays)}</label>
                    <textarea id=id("holidays") rows="5" bind:value=holidays aria-describedby=id("holidays-hint")></textarea>
                    <p id=id("holidays-hint") class="hint">{t!(i18n, sla_settings.holidays_hint)}</p></div>
                <div class="field"><label for=id("makeup")>{t!(i18n, sla_settings.makeup)}</label>
                    <textarea id=id("makeup") rows="5" bind:value=makeup aria-describedby=id("makeup-hint")></textarea>
                    <p id=id("makeup-hint") class="hint">{t!(i18n, sla_settings.makeup_hint)}</p></div>
            </div>
            <div class="field"><label for=id("ics")>{t!(i18n, sla_settings.ics)}</label>
                <input id=id("ics") type="file" accept=".ics,text/calendar" node_ref=ics_input on:change=import_ics/></div>
            <button type="submit" class="button primary">{t!(i18n, sla_settings.save_calendar)}</button>
        </form>
    }
}

#[component]
fn PolicyEditor(existing: Option<Policy>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let sla = use_service_levels();
    let p = existing.unwrap_or_else(|| Policy {
        name: String::new(),
        calendar: String::new(),
        targets: Vec::new(),
        handoff: None,
        warn_percent: vec![50, 75, 90],
        warn_before: Some(30),
        pause_while_waiting: true,
        escalations: Vec::new(),
    });
    let prefix = if p.name.is_empty() {
        "new-policy".to_string()
    } else {
        format!("policy-{}", p.name)
    };
    let prefix = StoredValue::new(prefix);
    let id = move |what: &str| format!("{}-{what}", prefix.get_value());
    let number = |v: Option<u32>| v.map(|m| m.to_string()).unwrap_or_default();
    let name = RwSignal::new(p.name.clone());
    let calendar = RwSignal::new(p.calendar.clone());
    let rows = Priority::ALL.map(|priority| {
        let t = p
            .targets
            .iter()
            .find(|t| t.priority == priority && t.segment.is_none());
        (
            priority,
            RwSignal::new(number(t.map(|t| t.first_response))),
            RwSignal::new(number(t.and_then(|t| t.next_response))),
            RwSignal::new(number(t.map(|t| t.resolution))),
        )
    });
    let warn = RwSignal::new(
        p.warn_percent
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    );
    let warn_before = RwSignal::new(number(p.warn_before));
    let handoff = RwSignal::new(number(p.handoff));
    let pause = RwSignal::new(p.pause_while_waiting);
    let notify_after = RwSignal::new(number(
        p.escalations
            .iter()
            .find(|e| e.action == EscalationAction::NotifyLead)
            .map(|e| e.after),
    ));
    let make_default = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<(), Vec<String>>>);
    let minutes = |s: RwSignal<String>| s.get_untracked().trim().parse::<u32>().ok();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = i18n.get_locale_untracked();
        let targets = rows
            .iter()
            .filter_map(|(priority, first, next, resolve)| {
                Some(Target {
                    priority: *priority,
                    segment: None,
                    first_response: minutes(*first)?,
                    next_response: minutes(*next),
                    resolution: minutes(*resolve)?,
                })
            })
            .collect();
        let policy = Policy {
            name: name.get_untracked().trim().into(),
            calendar: calendar.get_untracked(),
            targets,
            handoff: minutes(handoff),
            warn_percent: warn
                .get_untracked()
                .split([',', '，', ' '])
                .filter_map(|p| p.trim().parse().ok())
                .collect(),
            warn_before: minutes(warn_before),
            pause_while_waiting: pause.get_untracked(),
            escalations: minutes(notify_after)
                .map(|after| {
                    vec![Escalation {
                        after,
                        action: EscalationAction::NotifyLead,
                    }]
                })
                .unwrap_or_default(),
        };
        if policy.name.is_empty() {
            outcome.set(Some(Err(vec![
                td_string!(l, sla_settings.name_missing).to_string()
            ])));
            return;
        }
        let mut catalog = sla.catalog.get_untracked();
        let policy_name = policy.name.clone();
        match catalog.put_policy(policy) {
            Ok(()) => {
                if make_default.get_untracked() {
                    catalog.default_policy = policy_name;
                }
                save(state, catalog, outcome)
            }
            Err(errors) => outcome.set(Some(Err(errors
                .iter()
                .map(|e| catalog_error(l, e))
                .collect()))),
        }
    };
    let calendars = move || {
        sla.catalog
            .with(|c| c.calendars.keys().cloned().collect::<Vec<_>>())
    };
    view! {
        <form on:submit=submit novalidate class="policy-editor">
            <Outcome outcome/>
            <div class="field-row">
                <div class="field"><label for=id("name")>{t!(i18n, sla_settings.name)}</label><input id=id("name") bind:value=name/></div>
                <div class="field"><label for=id("calendar")>{t!(i18n, sla_settings.calendar)}</label>
                    <select id=id("calendar") on:change=move |ev| calendar.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, directory.choose)}</option>
                        {move || calendars().into_iter().map(|c| view! { <option value=c.clone() selected=c == calendar.get_untracked()>{c.clone()}</option> }).collect_view()}
                    </select></div>
            </div>
            <div class="table-scroll">
                <table class="data compact targets">
                    <caption>{t!(i18n, sla_settings.targets)}</caption>
                    <thead><tr>
                        <th scope="col">{t!(i18n, sla_settings.priority)}</th>
                        <th scope="col">{t!(i18n, sla_settings.first_response)}</th>
                        <th scope="col">{t!(i18n, sla_settings.next_response)}</th>
                        <th scope="col">{t!(i18n, sla_settings.resolution)}</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|(priority, first, next, resolve)| {
                            let cell = move |what: &'static str, value: RwSignal<String>| {
                                let input = id(&format!("{}-{what}", priority.as_str()));
                                view! { <td><input id=input type="number" min="1" bind:value=value
                                    aria-label=move || format!("{} · {}", priority_label(i18n.get_locale(), priority), what_label(i18n.get_locale(), what))/></td> }
                            };
                            view! {
                                <tr>
                                    <th scope="row">{move || priority_label(i18n.get_locale(), priority)}</th>
                                    {cell("first", first)}{cell("next", next)}{cell("resolve", resolve)}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="hint">{t!(i18n, sla_settings.targets_hint)}</p>
            <div class="field-row weights">
                <div class="field"><label for=id("warn")>{t!(i18n, sla_settings.warn_percent)}</label><input id=id("warn") bind:value=warn/></div>
                <div class="field"><label for=id("warn-before")>{t!(i18n, sla_settings.warn_before)}</label><input id=id("warn-before") type="number" min="1" bind:value=warn_before/></div>
                <div class="field"><label for=id("handoff")>{t!(i18n, sla_settings.handoff)}</label><input id=id("handoff") type="number" min="1" bind:value=handoff/></div>
                <div class="field"><label for=id("notify")>{t!(i18n, sla_settings.notify_after)}</label><input id=id("notify") type="number" min="0" bind:value=notify_after/></div>
            </div>
            <div class="choice">
                <label><input type="checkbox" prop:checked=move || pause.get() on:change=move |ev| pause.set(event_target_checked(&ev))/>{t!(i18n, sla_settings.pause)}</label>
                <label><input type="checkbox" id=id("default") on:change=move |ev| make_default.set(event_target_checked(&ev))/>{t!(i18n, sla_settings.make_default)}</label>
            </div>
            <button type="submit" class="button primary">{t!(i18n, sla_settings.save_policy)}</button>
        </form>
    }
}

fn what_label(l: Locale, what: &str) -> &'static str {
    match what {
        "first" => td_string!(l, sla_settings.first_response),
        "next" => td_string!(l, sla_settings.next_response),
        _ => td_string!(l, sla_settings.resolution),
    }
}

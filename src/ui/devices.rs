//! The devices a person is signed in on (for admins, everyone's), each revocable alone: a lost
//! phone is cut off without signing out the laptop.

use super::format::date_time;
use super::i18n::*;
use super::state::AppState;
use super::sync;
use crate::domain::Timestamp;
use crate::sync::DeviceView;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Rows shown at once in everyone's list; the filter narrows the rest.
const SHOWN: usize = 100;

fn short_id(device: &str) -> String {
    device.chars().take(6).collect()
}

#[derive(Clone, PartialEq)]
enum Listing {
    Loading,
    /// The relay could not be asked: offline, or this device is not signed in.
    Unreachable,
    Loaded(Vec<DeviceView>),
}

#[component]
pub fn DeviceList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let is_admin = move || state.is_admin();
    let everyone = RwSignal::new(false);
    let listing = RwSignal::new(Listing::Loading);
    let said = RwSignal::new(None::<String>);
    let filter = RwSignal::new(String::new());
    let load = move || {
        spawn_local(async move {
            let found = sync::devices(state, everyone.get_untracked()).await;
            listing.set(found.map_or(Listing::Unreachable, Listing::Loaded));
        })
    };
    Effect::new(move || {
        everyone.track();
        load();
    });
    let revoke = move |device: DeviceView| {
        spawn_local(async move {
            let done = sync::revoke_device(state, &device).await;
            let l = i18n.get_locale_untracked();
            said.set(Some(if done {
                td_string!(l, devices.revoked, device = device.label.clone()).to_string()
            } else {
                td_string!(l, devices.revoke_failed).to_string()
            }));
            load();
        })
    };
    let rows = move || {
        let Listing::Loaded(all) = listing.get() else {
            return Vec::new();
        };
        let needle = filter.get().trim().to_lowercase();
        let mut matching: Vec<DeviceView> = all
            .into_iter()
            .filter(|d| {
                needle.is_empty()
                    || d.person_name.to_lowercase().contains(&needle)
                    || d.label.to_lowercase().contains(&needle)
            })
            .collect();
        matching.sort_by_key(|d| std::cmp::Reverse(d.last_used_at));
        matching
    };
    let row = move |device: DeviceView| {
        let when =
            move |seconds: i64| move || date_time(i18n.get_locale(), Timestamp(seconds * 1000));
        let name = device.label.clone();
        let current = device.current;
        let person = device.person_name.clone();
        let revoking = device.clone();
        view! {
            <tr>
                <td>
                    {name.clone()}
                    // Two laptops with the same browser are told apart by their id.
                    " " <span class="muted device-id">{short_id(&device.id)}</span>
                    {current.then(|| view! { " " <span class="badge status-new">{t!(i18n, devices.this_device)}</span> })}
                </td>
                {move || everyone.get().then(|| view! { <td>{person.clone()}</td> })}
                <td>{when(device.enrolled_at)}</td>
                <td>{when(device.last_used_at)}</td>
                <td>
                    {(!current).then(|| {
                        let label = move || {
                            td_string!(i18n.get_locale(), devices.revoke_named, device = name.clone()).to_string()
                        };
                        view! {
                            <button type="button" class="button small danger" aria-label=label
                                on:click=move |_| revoke(revoking.clone())>
                                {t!(i18n, devices.revoke)}
                            </button>
                        }
                    })}
                </td>
            </tr>
        }
    };
    view! {
        <section class="card narrow devices" aria-labelledby="devices-title">
            <h2 id="devices-title">{t!(i18n, devices.title)}</h2>
            <p class="muted">{t!(i18n, devices.intro)}</p>
            {move || is_admin().then(|| view! {
                <div class="choice">
                    <label>
                        <input type="checkbox" bind:checked=everyone/>
                        {t!(i18n, devices.everyone)}
                    </label>
                </div>
            })}
            {move || everyone.get().then(|| view! {
                <div class="field">
                    <label for="devices-filter">{t!(i18n, devices.filter)}</label>
                    <input id="devices-filter" type="search" bind:value=filter/>
                </div>
            })}
            <p role="status" class="muted">{move || said.get()}</p>
            {move || match listing.get() {
                Listing::Loading => view! { <p class="muted">{t!(i18n, devices.loading)}</p> }.into_any(),
                Listing::Unreachable => view! { <p class="muted">{t!(i18n, devices.unreachable)}</p> }.into_any(),
                Listing::Loaded(_) => {
                    let all = rows();
                    let total = all.len();
                    let shown: Vec<DeviceView> = all.into_iter().take(SHOWN).collect();
                    view! {
                        <div class="table-scroll">
                            <table class="data" id="device-list">
                                <thead><tr>
                                    <th scope="col">{t!(i18n, devices.device)}</th>
                                    {move || everyone.get().then(|| view! { <th scope="col">{t!(i18n, devices.person)}</th> })}
                                    <th scope="col">{t!(i18n, devices.enrolled)}</th>
                                    <th scope="col">{t!(i18n, devices.last_used)}</th>
                                    <th scope="col"><span class="visually-hidden">{t!(i18n, devices.actions)}</span></th>
                                </tr></thead>
                                <tbody>{shown.into_iter().map(row).collect_view()}</tbody>
                            </table>
                        </div>
                        {(total > SHOWN).then(|| view! {
                            <p class="muted">{t!(i18n, devices.more, shown = SHOWN, total = total)}</p>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}

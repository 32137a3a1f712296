//! Accounts beside the directory, for administrators: who has signed in, who is invited and who
//! is deactivated; sign-in links for one person, a selection or everyone listed, to copy, download
//! or scan as a QR code; roles and deactivation.
//!
//! Roles and deactivation are edits of the directory, which the relay follows (a deactivated
//! person is signed out everywhere as soon as it arrives); links are made by the relay, which
//! alone knows the secrets.

use super::use_directory;
use crate::access::Role;
use crate::domain::directory::{Directory, Member};
use crate::domain::Timestamp;
use crate::sync::{AccountView, Invitation, NotInvited};
use crate::ui::files::{copy_text, save_file};
use crate::ui::format::date;
use crate::ui::i18n::*;
use crate::ui::labels::role_label;
use crate::ui::state::AppState;
use crate::ui::sync;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::{BTreeSet, HashMap};

/// The accounts the relay keeps, and what the administrator is doing with them.
#[derive(Clone, Copy)]
pub struct Accounts {
    state: AppState,
    i18n: leptos_i18n::I18nContext<Locale>,
    directory: Memo<Directory>,
    /// By email; `None` while not known (asking, or the relay cannot be reached).
    known: RwSignal<Option<HashMap<String, AccountView>>>,
    selected: RwSignal<BTreeSet<String>>,
    links: RwSignal<Vec<Invitation>>,
    /// The last action's outcome, and what it could not do.
    said: RwSignal<Option<Result<String, String>>>,
    refused: RwSignal<Vec<String>>,
    busy: RwSignal<bool>,
    /// The person whose deactivation waits to be confirmed.
    confirming: RwSignal<Option<Member>>,
}

/// Provides the accounts to the directory page when an administrator signed in looks at it.
pub fn provide_accounts() -> Option<Accounts> {
    let state = expect_context::<AppState>();
    if !state.is_admin() {
        return None;
    }
    let accounts = Accounts {
        state,
        i18n: use_i18n(),
        directory: use_directory(),
        known: RwSignal::new(None),
        selected: RwSignal::new(BTreeSet::new()),
        links: RwSignal::new(Vec::new()),
        said: RwSignal::new(None),
        refused: RwSignal::new(Vec::new()),
        busy: RwSignal::new(false),
        confirming: RwSignal::new(None),
    };
    provide_context(accounts);
    accounts.reload();
    Some(accounts)
}

pub fn use_accounts() -> Option<Accounts> {
    use_context::<Accounts>()
}

/// Where a person of the directory stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Unknown,
    NoAccount,
    /// Until when their link works (unix seconds).
    Invited(i64),
    SignedIn(usize),
    NotSignedIn,
    Deactivated,
}

impl Standing {
    fn code(self) -> &'static str {
        match self {
            Standing::Unknown => "unknown",
            Standing::NoAccount => "none",
            Standing::Invited(_) => "invited",
            Standing::SignedIn(_) => "signed-in",
            Standing::NotSignedIn => "not-signed-in",
            Standing::Deactivated => "deactivated",
        }
    }

    fn text(self, l: Locale) -> String {
        match self {
            Standing::Unknown => td_string!(l, accounts.state_unknown).to_string(),
            Standing::NoAccount => td_string!(l, accounts.state_none).to_string(),
            Standing::Invited(until) => {
                td_string!(l, accounts.state_invited, date = on(l, until)).to_string()
            }
            Standing::SignedIn(devices) => {
                td_string!(l, accounts.state_signed_in, devices = devices).to_string()
            }
            Standing::NotSignedIn => td_string!(l, accounts.state_waiting).to_string(),
            Standing::Deactivated => td_string!(l, accounts.state_deactivated).to_string(),
        }
    }
}

fn on(l: Locale, unix_seconds: i64) -> String {
    date(l, Timestamp(unix_seconds.saturating_mul(1000)))
}

fn link_of(invitation: &Invitation) -> String {
    let origin = window().location().origin().unwrap_or_default();
    format!("{origin}/#/signin/{}", invitation.token)
}

impl Accounts {
    fn reload(self) {
        spawn_local(async move {
            let found = sync::accounts(self.state).await;
            self.known.set(found.map(|all| {
                all.into_iter()
                    .map(|account| (account.email.clone(), account))
                    .collect()
            }));
        });
    }

    fn standing(self, member: &Member) -> Standing {
        if member.deactivated {
            return Standing::Deactivated;
        }
        self.known.with(|known| {
            let Some(known) = known else {
                return Standing::Unknown;
            };
            match known.get(&member.email) {
                None => Standing::NoAccount,
                Some(a) if a.devices > 0 => Standing::SignedIn(a.devices),
                Some(AccountView {
                    invited_until: Some(until),
                    ..
                }) => Standing::Invited(*until),
                Some(_) => Standing::NotSignedIn,
            }
        })
    }

    /// Asks the relay for links for these people and shows them.
    fn invite(self, emails: Vec<String>) {
        if emails.is_empty() {
            return;
        }
        self.busy.set(true);
        spawn_local(async move {
            let invited = sync::invite(self.state, emails).await;
            let l = self.i18n.get_locale_untracked();
            self.busy.set(false);
            let Some(mut invited) = invited else {
                self.said
                    .set(Some(Err(td_string!(l, accounts.unreachable).to_string())));
                return;
            };
            invited.invitations.sort_by(|a, b| a.name.cmp(&b.name));
            let count = invited.invitations.len();
            self.refused.set(
                invited
                    .refused
                    .iter()
                    .map(|(email, why)| refusal_text(l, email, *why))
                    .collect(),
            );
            self.said.set(Some(Ok(
                td_string!(l, accounts.done_links, count = count).to_string()
            )));
            self.links.set(invited.invitations);
            self.selected.set(BTreeSet::new());
            self.reload();
        });
    }

    /// Saves a change of one person in the directory and says what it did.
    fn edit(self, change: impl FnOnce(&mut Directory) -> Option<String>) {
        let mut copy = self.directory.get_untracked();
        let Some(done) = change(&mut copy) else {
            return;
        };
        let l = self.i18n.get_locale_untracked();
        let saved = self.state.save_directory(&copy);
        self.said.set(Some(match saved {
            Ok(()) => Ok(done),
            Err(_) => Err(td_string!(l, directory.save_failed).to_string()),
        }));
        self.refused.set(Vec::new());
    }

    fn set_role(self, member: &Member, role: Role) {
        let l = self.i18n.get_locale_untracked();
        let name = member.name.clone();
        self.edit(|d| {
            d.set_role(&member.email, role).ok()?;
            Some(
                td_string!(
                    l,
                    accounts.role_set,
                    name = name,
                    role = role_label(l, role)
                )
                .to_string(),
            )
        });
    }

    fn set_deactivated(self, member: &Member, deactivated: bool) {
        let l = self.i18n.get_locale_untracked();
        let name = member.name.clone();
        self.edit(|d| {
            d.set_deactivated(&member.email, deactivated).ok()?;
            Some(if deactivated {
                td_string!(l, accounts.deactivated_done, name = name).to_string()
            } else {
                td_string!(l, accounts.reactivated_done, name = name).to_string()
            })
        });
        self.confirming.set(None);
    }
}

fn refusal_text(l: Locale, email: &str, why: NotInvited) -> String {
    let email = email.to_string();
    match why {
        NotInvited::NotListed => td_string!(l, accounts.refused_not_listed, email = email),
        NotInvited::Deactivated => td_string!(l, accounts.refused_deactivated, email = email),
    }
    .to_string()
}

/// The checkbox that selects a person for inviting.
#[component]
pub fn SelectPerson(member: Member) -> impl IntoView {
    let Some(accounts) = use_accounts() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let email = member.email.clone();
    let checked_email = email.clone();
    let name = member.name.clone();
    view! {
        <input type="checkbox" class="select-person" disabled=member.deactivated
            aria-label=move || td_string!(i18n.get_locale(), accounts.select_person, name = name.clone()).to_string()
            prop:checked=move || accounts.selected.with(|s| s.contains(&checked_email))
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                accounts.selected.update(|s| {
                    if on { s.insert(email.clone()); } else { s.remove(&email); }
                });
            }/>
    }
    .into_any()
}

/// A person's account standing and what an administrator can do about it.
#[component]
pub fn PersonAccount(member: Member) -> impl IntoView {
    let Some(accounts) = use_accounts() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let shown = member.clone();
    let standing = Memo::new(move |_| accounts.standing(&shown));
    let invite_email = member.email.clone();
    let invite_name = member.name.clone();
    let toggled = member.clone();
    let toggle_name = member.name.clone();
    let deactivated = member.deactivated;
    view! {
        <span class="account-state" data-account=move || standing.get().code()>
            {move || standing.get().text(i18n.get_locale())}
        </span>
        <span class="account-actions">
            {(!deactivated).then(|| view! {
                <button type="button" class="button small invite-one"
                    disabled=move || accounts.busy.get()
                    aria-label=move || if matches!(standing.get(), Standing::NoAccount | Standing::Unknown) {
                        td_string!(i18n.get_locale(), accounts.invite_named, name = invite_name.clone()).to_string()
                    } else {
                        td_string!(i18n.get_locale(), accounts.new_link_named, name = invite_name.clone()).to_string()
                    }
                    on:click=move |_| accounts.invite(vec![invite_email.clone()])>
                    {move || if matches!(standing.get(), Standing::NoAccount | Standing::Unknown) {
                        t_string!(i18n, accounts.invite)
                    } else {
                        t_string!(i18n, accounts.new_link)
                    }}
                </button>
            })}
            <button type="button" class="button small subtle toggle-active"
                aria-label=move || if deactivated {
                    td_string!(i18n.get_locale(), accounts.reactivate_named, name = toggle_name.clone()).to_string()
                } else {
                    td_string!(i18n.get_locale(), accounts.deactivate_named, name = toggle_name.clone()).to_string()
                }
                on:click=move |_| if deactivated {
                    accounts.set_deactivated(&toggled, false);
                } else {
                    accounts.confirming.set(Some(toggled.clone()));
                }>
                {move || if deactivated { t_string!(i18n, accounts.reactivate) } else { t_string!(i18n, accounts.deactivate) }}
            </button>
        </span>
    }
    .into_any()
}

/// The role of a person: a choice for administrators, a word for everyone else.
#[component]
pub fn RoleCell(member: Member) -> impl IntoView {
    let i18n = use_i18n();
    let Some(accounts) = use_accounts() else {
        let role = member.role;
        return view! { {move || role_label(i18n.get_locale(), role)} }.into_any();
    };
    let name = member.name.clone();
    let current = member.role;
    let options = move || {
        let l = i18n.get_locale();
        [Role::Requester, Role::Agent, Role::Lead, Role::Admin]
            .into_iter()
            .map(|role| {
                view! {
                    <option value=role.as_str() selected=role == current>{role_label(l, role)}</option>
                }
            })
            .collect_view()
    };
    view! {
        <select class="role-select"
            aria-label=move || td_string!(i18n.get_locale(), accounts.role_of, name = name.clone()).to_string()
            on:change=move |ev| {
                if let Some(role) = Role::parse(&event_target_value(&ev)) {
                    accounts.set_role(&member, role);
                }
            }>
            {options}
        </select>
    }
    .into_any()
}

/// Above a list of people: invite the selected ones, or everyone listed without an account; and
/// the confirmation a deactivation waits for.
#[component]
pub fn InviteBar(people: Vec<Member>) -> impl IntoView {
    let Some(accounts) = use_accounts() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let listed = people.clone();
    let uninvited = Memo::new(move |_| {
        listed
            .iter()
            .filter(|m| accounts.standing(m) == Standing::NoAccount)
            .map(|m| m.email.clone())
            .collect::<Vec<_>>()
    });
    let emails: BTreeSet<String> = people.iter().map(|m| m.email.clone()).collect();
    let in_view = emails.clone();
    let selected = Memo::new(move |_| {
        accounts
            .selected
            .with(|s| s.intersection(&in_view).cloned().collect::<Vec<_>>())
    });
    view! {
        <div class="invite-bar">
            <button type="button" class="button" id="invite-selected"
                disabled=move || accounts.busy.get() || selected.with(Vec::is_empty)
                on:click=move |_| accounts.invite(selected.get_untracked())>
                {move || td_string!(i18n.get_locale(), accounts.invite_selected, count = selected.with(Vec::len)).to_string()}
            </button>
            <button type="button" class="button" id="invite-everyone"
                disabled=move || accounts.busy.get() || uninvited.with(Vec::is_empty)
                on:click=move |_| accounts.invite(uninvited.get_untracked())>
                {move || td_string!(i18n.get_locale(), accounts.invite_all, count = uninvited.with(Vec::len)).to_string()}
            </button>
            {move || accounts.busy.get().then(|| view! {
                <span class="muted" aria-busy="true">{t!(i18n, accounts.inviting)}</span>
            })}
        </div>
        <ConfirmDeactivation/>
    }
    .into_any()
}

#[component]
fn ConfirmDeactivation() -> impl IntoView {
    let Some(accounts) = use_accounts() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let confirm_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move || {
        if accounts.confirming.with(Option::is_some) {
            if let Some(button) = confirm_ref.get() {
                let _ = button.focus();
            }
        }
    });
    view! {
        {move || accounts.confirming.get().map(|member| {
            let name = member.name.clone();
            view! {
                <div class="notice warning" role="alertdialog" aria-labelledby="confirm-deactivate-text">
                    <p id="confirm-deactivate-text">
                        {move || td_string!(i18n.get_locale(), accounts.confirm_deactivate, name = name.clone()).to_string()}
                    </p>
                    <div class="button-row">
                        <button type="button" class="button danger" id="confirm-deactivate" node_ref=confirm_ref
                            on:click=move |_| accounts.set_deactivated(&member, true)>
                            {t!(i18n, accounts.confirm)}
                        </button>
                        <button type="button" class="button" id="cancel-deactivate"
                            on:click=move |_| accounts.confirming.set(None)>
                            {t!(i18n, accounts.cancel)}
                        </button>
                    </div>
                </div>
            }
        })}
    }
    .into_any()
}

/// What the last action did, and the links made, each to copy, download or scan.
#[component]
pub fn InvitationLinks() -> impl IntoView {
    let Some(accounts) = use_accounts() else {
        return ().into_any();
    };
    let i18n = use_i18n();
    let download = move |_| {
        let l = i18n.get_locale_untracked();
        let mut text = innerdesk_core::csv::row(&[
            td_string!(l, accounts.csv_name).to_string(),
            td_string!(l, accounts.csv_email).to_string(),
            td_string!(l, accounts.csv_link).to_string(),
            td_string!(l, accounts.csv_valid_until).to_string(),
        ]);
        for invitation in accounts.links.get_untracked() {
            text += &innerdesk_core::csv::row(&[
                invitation.name.clone(),
                invitation.email.clone(),
                link_of(&invitation),
                on(l, invitation.expires_at),
            ]);
        }
        save_file("sign-in-links.csv", &text);
    };
    view! {
        {move || accounts.said.get().map(|said| match said {
            Ok(text) => view! { <p class="notice success" role="status" id="account-done">{text}</p> }.into_any(),
            Err(text) => view! { <p class="form-error" role="alert" id="account-refused">{text}</p> }.into_any(),
        })}
        {move || {
            let refused = accounts.refused.get();
            (!refused.is_empty()).then(|| view! {
                <ul class="form-error" role="alert" id="invite-refused">
                    {refused.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
            })
        }}
        {move || (!accounts.links.with(Vec::is_empty)).then(|| view! {
            <section class="card invitations" id="invitations" aria-labelledby="invitations-title">
                <div class="page-head">
                    <h2 id="invitations-title">{t!(i18n, accounts.links_title)}</h2>
                    <div class="button-row">
                        <button type="button" class="button" id="download-links" on:click=download>
                            {t!(i18n, accounts.download)}
                        </button>
                        <button type="button" class="button" id="close-links"
                            on:click=move |_| accounts.links.set(Vec::new())>
                            {t!(i18n, accounts.close_links)}
                        </button>
                    </div>
                </div>
                <p class="muted">{t!(i18n, accounts.links_intro)}</p>
                <ul class="invitation-list">
                    <For each=move || accounts.links.get() key=|i| i.token.clone() let(invitation)>
                        <InvitationItem invitation/>
                    </For>
                </ul>
            </section>
        })}
    }
    .into_any()
}

#[component]
fn InvitationItem(invitation: Invitation) -> impl IntoView {
    let i18n = use_i18n();
    let link = link_of(&invitation);
    let input = NodeRef::<leptos::html::Input>::new();
    let copied = RwSignal::new(None::<bool>);
    let to_copy = link.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        spawn_local(async move {
            let field: Option<web_sys::HtmlInputElement> = input.get_untracked();
            copied.set(Some(copy_text(&text, field.as_ref()).await));
        });
    };
    let name = invitation.name.clone();
    let (label_name, copy_name, qr_name) = (name.clone(), name.clone(), name.clone());
    let expires_at = invitation.expires_at;
    view! {
        <li class="invitation" data-email=invitation.email.clone()>
            <p class="who">
                <strong>{name}</strong>
                " "<span class="muted">{invitation.email.clone()}" · "
                {move || td_string!(i18n.get_locale(), accounts.valid_until, date = on(i18n.get_locale(), expires_at)).to_string()}</span>
            </p>
            <div class="link-row">
                <input type="text" readonly class="invitation-link" node_ref=input value=link.clone()
                    aria-label=move || td_string!(i18n.get_locale(), accounts.link_for, name = label_name.clone()).to_string()/>
                <button type="button" class="button small copy-link" on:click=copy
                    aria-label=move || td_string!(i18n.get_locale(), accounts.copy_named, name = copy_name.clone()).to_string()>
                    {t!(i18n, accounts.copy)}
                </button>
                {move || copied.get().map(|done| view! {
                    <span class="muted small" role="status">
                        {move || if done { t_string!(i18n, accounts.copied) } else { t_string!(i18n, accounts.copy_failed) }}
                    </span>
                })}
            </div>
            <details class="qr">
                <summary>{t!(i18n, accounts.qr)}</summary>
                <QrCode text=link label=Signal::derive(move || td_string!(i18n.get_locale(), accounts.qr_named, name = qr_name.clone()).to_string())/>
            </details>
        </li>
    }
}

/// A QR code drawn as SVG: one square per dark module, four modules of quiet zone around.
#[component]
fn QrCode(text: String, label: Signal<String>) -> impl IntoView {
    const QUIET: usize = 4;
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
    else {
        return ().into_any();
    };
    let width = code.width();
    let mut path = String::new();
    for (at, colour) in code.to_colors().into_iter().enumerate() {
        if colour == qrcode::Color::Dark {
            let (x, y) = (at % width + QUIET, at / width + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let size = width + 2 * QUIET;
    view! {
        <svg class="qr-code" role="img" aria-label=label viewBox=format!("0 0 {size} {size}")
            shape-rendering="crispEdges">
            <rect width=size.to_string() height=size.to_string() fill="#fff"/>
            <path d=path fill="#000"/>
        </svg>
    }
    .into_any()
}

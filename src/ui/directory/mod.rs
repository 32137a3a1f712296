//! The directory page: the department tree, people found by name, pinyin, initials or email, the
//! history of org changes, and, for administrators, CSV import and export, the org changes
//! themselves, and people's accounts (invitations, roles, deactivation). The rules live in
//! `domain::directory`; this module only shows them.

mod accounts;
mod actions;
mod import;
mod messages;

use super::files::save_file;
use super::format::{date, iso};
use super::i18n::*;
use super::search_form::SearchForm;
use super::state::{now, AppState};
use crate::domain::directory::{DepartmentId, Directory, Member, OrgChange};
use crate::domain::people_csv;
use crate::domain::people_search::DirectorySearch;
use accounts::{InvitationLinks, InviteBar, PersonAccount, RoleCell, SelectPerson};
use actions::DepartmentActions;
use import::Import;
use leptos::prelude::*;

/// The organisation's directory, read once per change of the desk and shared by every page.
#[derive(Clone, Copy)]
pub struct OrgDirectory(pub Memo<Directory>);

pub fn provide_directory(state: AppState) {
    let directory = Memo::new(move |_| state.read(|d| d.directory().0));
    provide_context(OrgDirectory(directory));
}

pub fn use_directory() -> Memo<Directory> {
    expect_context::<OrgDirectory>().0
}

/// A department's name today, following renames and merges; unknown ids show as they are.
pub fn department_name(directory: &Directory, id: &str) -> String {
    let current = directory.department_at(&DepartmentId(id.into()), now());
    directory
        .departments
        .get(&current)
        .map_or_else(|| id.to_string(), |d| d.name.clone())
}

/// Departments in tree order, each with its depth, for selects and the tree.
pub fn departments_in_order(directory: &Directory) -> Vec<(DepartmentId, String, usize)> {
    fn below(
        directory: &Directory,
        parent: Option<&DepartmentId>,
        depth: usize,
        out: &mut Vec<(DepartmentId, String, usize)>,
    ) {
        // A cycle cannot be saved, but a damaged document must not hang the page.
        if depth > directory.departments.len() {
            return;
        }
        for d in directory
            .departments
            .values()
            .filter(|d| d.parent.as_ref() == parent)
        {
            out.push((d.id.clone(), d.name.clone(), depth));
            below(directory, Some(&d.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    below(directory, None, 0, &mut out);
    out
}

/// The serving department of a ticket: one of the directory's departments (its id is the queue the
/// relay's access rules use), or, before there is a directory, typed with suggestions.
#[component]
pub fn DepartmentInput(
    #[prop(into)] id: String,
    value: RwSignal<String>,
    #[prop(into)] invalid: Signal<String>,
    #[prop(into)] described_by: String,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let tree = directory.with_untracked(departments_in_order);
    if tree.is_empty() {
        let known = state.read_untracked(|d| d.departments());
        let list = format!("{id}-known");
        return view! {
            <input id=id list=list.clone() bind:value=value aria-invalid=invalid
                aria-describedby=(!described_by.is_empty()).then_some(described_by)/>
            <datalist id=list>{known.into_iter().map(|d| view! { <option value=d/> }).collect_view()}</datalist>
        }
        .into_any();
    }
    let current = value.get_untracked();
    view! {
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))
            aria-invalid=invalid aria-describedby=(!described_by.is_empty()).then_some(described_by)>
            <option value="">{t!(i18n, directory.choose)}</option>
            {tree.into_iter().map(|(department, name, depth)| {
                let selected = department.0 == current;
                view! { <option value=department.0 selected=selected>{indented(&name, depth)}</option> }
            }).collect_view()}
        </select>
    }
    .into_any()
}

/// A department's name indented by its depth in the tree, for the options of a select.
pub fn indented(name: &str, depth: usize) -> String {
    format!("{}{name}", "\u{2003}".repeat(depth))
}

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let may_edit = Memo::new(move |_| state.read(|d| d.may_configure()));
    accounts::provide_accounts();
    let search = Memo::new(move |_| directory.with(DirectorySearch::new));
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(None::<DepartmentId>);
    let export = move |_| directory.with(|d| save_file("directory.csv", &people_csv::export(d)));
    let counts = move || {
        directory.with(|d| {
            td_string!(
                i18n.get_locale(),
                directory.counts,
                departments = d.departments.len(),
                people = d.people.len()
            )
            .to_string()
        })
    };
    view! {
        <section class="directory-page">
            <div class="page-head">
                <h1>{t!(i18n, directory.title)}</h1>
                <button type="button" class="button" on:click=export id="export-directory">{t!(i18n, directory.export)}</button>
            </div>
            <p class="muted" id="directory-counts">{counts}</p>
            <InvitationLinks/>
            {move || if may_edit.get() {
                view! { <Import/> }.into_any()
            } else {
                view! { <p class="hint">{t!(i18n, directory.admins_only)}</p> }.into_any()
            }}
            <SearchForm id="people-search" value=query label=|l| td_string!(l, directory.search)
                placeholder=|l| td_string!(l, directory.search_placeholder)/>
            // On a phone the panel comes first once it shows something: results or a department.
            <div class=move || if query.with(|q| !q.trim().is_empty()) || selected.with(Option::is_some) {
                "directory-layout showing"
            } else {
                "directory-layout"
            }>
                <nav class="dept-tree" aria-label=move || t_string!(i18n, directory.departments)>
                    <h2>{t!(i18n, directory.departments)}</h2>
                    <DepartmentTree selected query/>
                </nav>
                <div class="dept-panel">
                    {move || {
                        let q = query.get();
                        if !q.trim().is_empty() {
                            view! { <SearchResults query=q search selected query_signal=query/> }.into_any()
                        } else if let Some(id) = selected.get().filter(|id| directory.with(|d| d.departments.contains_key(id))) {
                            view! { <DepartmentPanel id may_edit selected/> }.into_any()
                        } else {
                            view! { <p class="empty">{t!(i18n, directory.pick_department)}</p> }.into_any()
                        }
                    }}
                </div>
            </div>
            <OrgHistory/>
        </section>
    }
}

#[component]
fn DepartmentTree(
    selected: RwSignal<Option<DepartmentId>>,
    query: RwSignal<String>,
) -> impl IntoView {
    let directory = use_directory();
    let i18n = use_i18n();
    let rows = Memo::new(move |_| {
        directory.with(|d| {
            departments_in_order(d)
                .into_iter()
                .map(|(id, name, depth)| {
                    let people = d.people.values().filter(|p| p.department == id).count();
                    (id, name, depth, people)
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        {move || rows.with(Vec::is_empty).then(|| view! { <p class="muted">{t!(i18n, directory.empty)}</p> })}
        <ul class="tree">
            <For each=move || rows.get() key=|row| row.clone() let((id, name, depth, people))>
                {
                    let pick = id.clone();
                    let current = id.clone();
                    view! {
                        <li style=("--depth", depth.to_string())>
                            <button type="button" class="tree-item"
                                aria-pressed=move || (selected.get().as_ref() == Some(&current)).to_string()
                                on:click=move |_| { query.set(String::new()); selected.set(Some(pick.clone())); }>
                                <span>{name}</span>
                                <span class="count">{people}</span>
                            </button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

#[component]
fn SearchResults(
    query: String,
    search: Memo<DirectorySearch>,
    selected: RwSignal<Option<DepartmentId>>,
    query_signal: RwSignal<String>,
) -> impl IntoView {
    const SHOWN: usize = 50;
    let i18n = use_i18n();
    let directory = use_directory();
    let departments = search.with(|s| s.departments(&query));
    let emails = search.with(|s| s.people(&query, SHOWN));
    let people: Vec<Member> = directory.with(|d| {
        emails
            .iter()
            .filter_map(|e| d.people.get(e).cloned())
            .collect()
    });
    let none = departments.is_empty() && people.is_empty();
    let found = people.len();
    let department_count = departments.len();
    let department_links = departments
        .into_iter()
        .map(|id| {
            let name = directory.with(|d| department_name(d, &id.0));
            view! {
                <li><button type="button" class="link" on:click=move |_| {
                    query_signal.set(String::new());
                    selected.set(Some(id.clone()));
                }>{name}</button></li>
            }
        })
        .collect_view();
    view! {
        <h2 aria-live="polite">{move || td_string!(i18n.get_locale(), directory.results, count = found, departments = department_count).to_string()}</h2>
        {none.then(|| view! { <p class="empty">{t!(i18n, directory.no_match)}</p> })}
        <ul class="dept-matches">{department_links}</ul>
        {(found > 0).then(|| view! { <PeopleTable people/> })}
    }
}

#[component]
fn DepartmentPanel(
    id: DepartmentId,
    may_edit: Memo<bool>,
    selected: RwSignal<Option<DepartmentId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let panel_id = id.clone();
    let name = Memo::new(move |_| directory.with(|d| department_name(d, &panel_id.0)));
    let members_of = id.clone();
    let people = Memo::new(move |_| {
        directory.with(|d| {
            d.people
                .values()
                .filter(|p| p.department == members_of)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <h2 id="department-name">{move || name.get()}</h2>
        {move || {
            let people = people.get();
            if people.is_empty() {
                view! { <p class="muted">{t!(i18n, directory.no_people)}</p> }.into_any()
            } else {
                view! { <PeopleTable people/> }.into_any()
            }
        }}
        {move || may_edit.get().then(|| view! { <DepartmentActions id=id.clone() selected/> })}
    }
}

#[component]
fn PeopleTable(people: Vec<Member>) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let with_accounts = accounts::use_accounts().is_some();
    let bar = people.clone();
    let rows = move || {
        directory.with(|d| {
            people
                .iter()
                .map(|p| {
                    let manager = p
                        .manager
                        .as_ref()
                        .map(|m| {
                            d.people
                                .get(m)
                                .map_or_else(|| m.clone(), |x| x.name.clone())
                        })
                        .unwrap_or_default();
                    view! {
                        <tr class:deactivated=p.deactivated>
                            {with_accounts.then(|| view! { <td><SelectPerson member=p.clone()/></td> })}
                            <td>{p.name.clone()}</td>
                            <td class="email">{p.email.clone()}</td>
                            <td>{department_name(d, &p.department.0)}</td>
                            <td>{manager}</td>
                            <td><RoleCell member=p.clone()/></td>
                            {with_accounts.then(|| view! { <td class="account"><PersonAccount member=p.clone()/></td> })}
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <InviteBar people=bar/>
        <div class="table-scroll">
            <table class="data people" class:with-accounts=with_accounts>
                <thead>
                    <tr>
                        {with_accounts.then(|| view! { <th scope="col"><span class="visually-hidden">{t!(i18n, accounts.select_column)}</span></th> })}
                        <th scope="col">{t!(i18n, directory.name)}</th>
                        <th scope="col">{t!(i18n, directory.email)}</th>
                        <th scope="col">{t!(i18n, directory.department)}</th>
                        <th scope="col">{t!(i18n, directory.manager)}</th>
                        <th scope="col">{t!(i18n, directory.role)}</th>
                        {with_accounts.then(|| view! { <th scope="col">{t!(i18n, accounts.column)}</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Org changes, newest first, each with the date it takes effect.
#[component]
fn OrgHistory() -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let items = move || {
        let locale = i18n.get_locale();
        directory.with(|d| {
            d.history
                .iter()
                .rev()
                .map(|change| {
                    let effective = effective_of(change);
                    view! {
                        <li>
                            <time datetime=iso(effective)>{date(locale, effective)}</time>
                            " · "{messages::org_change(locale, d, change)}
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="card" aria-labelledby="org-history">
            <h2 id="org-history">{t!(i18n, directory.history)}</h2>
            {move || directory.with(|d| d.history.is_empty()).then(|| view! { <p class="muted">{t!(i18n, directory.no_history)}</p> })}
            <ol class="history" id="org-changes">{items}</ol>
        </section>
    }
}

fn effective_of(change: &OrgChange) -> crate::domain::Timestamp {
    match change {
        OrgChange::Renamed { effective, .. }
        | OrgChange::Merged { effective, .. }
        | OrgChange::Split { effective, .. }
        | OrgChange::Moved { effective, .. } => *effective,
    }
}

//! An administrator's org changes to one department: rename, merge, split, move someone, add a
//! sub-department, delete. Each is a domain operation on a copy of the directory, saved as one
//! change; a refusal is shown with its reason and changes nothing.

use super::messages::{delete_error, edit_error};
use super::{departments_in_order, indented, use_directory};
use crate::domain::directory::{DepartmentId, Directory};
use crate::domain::Timestamp;
use crate::ui::format::{day_start, today_input};
use crate::ui::i18n::*;
use crate::ui::state::AppState;
use leptos::prelude::*;

/// What the last action did: done, or refused with the reason.
type Outcome = RwSignal<Option<Result<String, String>>>;

/// What every form needs to make a change and report it (captured while the component is built:
/// event handlers run outside the component tree).
#[derive(Clone, Copy)]
struct Editor {
    state: AppState,
    directory: Memo<Directory>,
    i18n: leptos_i18n::I18nContext<Locale>,
    outcome: Outcome,
}

#[component]
pub fn DepartmentActions(
    id: DepartmentId,
    selected: RwSignal<Option<DepartmentId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let outcome: Outcome = RwSignal::new(None);
    let editor = Editor {
        state: expect_context::<AppState>(),
        directory: use_directory(),
        i18n,
        outcome,
    };
    view! {
        <section class="dept-actions" aria-labelledby="dept-actions-title">
            <h3 id="dept-actions-title">{t!(i18n, directory.changes)}</h3>
            {move || outcome.get().map(|o| match o {
                Ok(text) => view! { <p class="notice success" role="status" id="action-done">{text}</p> }.into_any(),
                Err(text) => view! { <p class="form-error" role="alert" id="action-refused">{text}</p> }.into_any(),
            })}
            <RenameForm id=id.clone() editor/>
            <MergeForm id=id.clone() editor selected/>
            <SplitForm id=id.clone() editor selected/>
            <MoveForm id=id.clone() editor/>
            <AddForm id=id.clone() editor selected/>
            <DeleteForm id editor selected/>
        </section>
    }
}

impl Editor {
    /// Applies `change` to a copy of the directory and saves it, reporting the outcome.
    fn edit(self, change: impl FnOnce(&mut Directory, Locale) -> Result<String, String>) -> bool {
        let locale = self.i18n.get_locale_untracked();
        let mut copy = self.directory.get_untracked();
        let result = change(&mut copy, locale).and_then(|done| {
            self.state
                .save_directory(&copy)
                .map(|()| done)
                .map_err(|_| td_string!(locale, directory.save_failed).to_string())
        });
        let ok = result.is_ok();
        self.outcome.set(Some(result));
        ok
    }
}

fn effective(value: RwSignal<String>) -> Timestamp {
    day_start(&value.get_untracked()).unwrap_or_else(crate::ui::state::now)
}

/// One org change: a collapsed form whose summary and submit button share the action's name.
fn action_form(
    title: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    submit: impl Fn(leptos::ev::SubmitEvent) + 'static,
    body: impl IntoView,
) -> impl IntoView {
    view! {
        <details>
            <summary>{title}</summary>
            <form on:submit=submit>
                {body}
                <button type="submit" class="button primary">{title}</button>
            </form>
        </details>
    }
}

#[component]
fn EffectiveDate(id: &'static str, value: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field">
            <label for=id>{t!(i18n, directory.effective)}</label>
            <input id=id type="date" bind:value=value required/>
        </div>
    }
}

/// A choice among the other departments (where to merge or move to), in tree order.
#[component]
fn OtherDepartment(
    id: &'static str,
    except: DepartmentId,
    value: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let options = move || {
        directory
            .with(departments_in_order)
            .into_iter()
            .filter(|(id, _, _)| *id != except)
            .map(|(id, name, depth)| {
                view! { <option value=id.0.clone()>{indented(&name, depth)}</option> }
            })
            .collect_view()
    };
    view! {
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
            <option value="">{t!(i18n, directory.choose)}</option>
            {options}
        </select>
    }
}

#[component]
fn RenameForm(id: DepartmentId, editor: Editor) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let current = directory.with_untracked(|d| {
        d.departments
            .get(&id)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    });
    let name = RwSignal::new(current);
    let day = RwSignal::new(today_input());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        editor.edit(|d, l| {
            let to = name.get_untracked();
            if to.trim().is_empty() {
                return Err(td_string!(l, directory.error_empty_name).to_string());
            }
            d.rename(&id, &to, effective(day))
                .map_err(|e| edit_error(l, &e))?;
            Ok(td_string!(l, directory.done_renamed, to = to.trim().to_string()).to_string())
        });
    };
    action_form(
        move || t_string!(i18n, directory.rename),
        submit,
        view! {
            <div class="field">
                <label for="rename-name">{t!(i18n, directory.new_name)}</label>
                <input id="rename-name" bind:value=name/>
            </div>
            <EffectiveDate id="rename-date" value=day/>
        },
    )
}

#[component]
fn MergeForm(
    id: DepartmentId,
    editor: Editor,
    selected: RwSignal<Option<DepartmentId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let into = RwSignal::new(String::new());
    let day = RwSignal::new(today_input());
    let from = id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let target = DepartmentId(into.get_untracked());
        let merged = editor.edit(|d, l| {
            if target.0.is_empty() {
                return Err(td_string!(l, directory.pick_target).to_string());
            }
            d.merge(&from, &target, effective(day))
                .map_err(|e| edit_error(l, &e))?;
            Ok(td_string!(l, directory.done_merged).to_string())
        });
        if merged {
            selected.set(Some(target));
        }
    };
    action_form(
        move || t_string!(i18n, directory.merge),
        submit,
        view! {
            <p class="hint">{t!(i18n, directory.merge_hint)}</p>
            <div class="field">
                <label for="merge-into">{t!(i18n, directory.merge_into)}</label>
                <OtherDepartment id="merge-into" except=id value=into/>
            </div>
            <EffectiveDate id="merge-date" value=day/>
        },
    )
}

#[component]
fn SplitForm(
    id: DepartmentId,
    editor: Editor,
    selected: RwSignal<Option<DepartmentId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let name = RwSignal::new(String::new());
    let day = RwSignal::new(today_input());
    let chosen = RwSignal::new(Vec::<String>::new());
    let members_of = id.clone();
    let people = move || {
        directory.with(|d| {
            d.people
                .values()
                .filter(|p| p.department == members_of)
                .map(|p| (p.email.clone(), p.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut created = None;
        editor.edit(|d, l| {
            let new = d
                .split(
                    &id,
                    &name.get_untracked(),
                    &chosen.get_untracked(),
                    effective(day),
                )
                .map_err(|e| edit_error(l, &e))?;
            created = Some(new);
            Ok(td_string!(l, directory.done_split).to_string())
        });
        if created.is_some() {
            selected.set(created);
            chosen.set(Vec::new());
        }
    };
    action_form(
        move || t_string!(i18n, directory.split),
        submit,
        view! {
            <div class="field">
                <label for="split-name">{t!(i18n, directory.split_name)}</label>
                <input id="split-name" bind:value=name/>
            </div>
            <fieldset class="choice people-choice">
                <legend>{t!(i18n, directory.split_people)}</legend>
                <For each=people key=|(email, _)| email.clone() let((email, person))>
                    {
                        let value = email.clone();
                        view! {
                            <label>
                                <input type="checkbox" value=email.clone() on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|e| *e != value);
                                        if on { c.push(value.clone()); }
                                    });
                                }/>
                                {person}
                            </label>
                        }
                    }
                </For>
            </fieldset>
            <EffectiveDate id="split-date" value=day/>
        },
    )
}

#[component]
fn MoveForm(id: DepartmentId, editor: Editor) -> impl IntoView {
    let i18n = use_i18n();
    let directory = use_directory();
    let person = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let day = RwSignal::new(today_input());
    let members_of = id.clone();
    let people = move || {
        directory.with(|d| {
            d.people
                .values()
                .filter(|p| p.department == members_of)
                .map(|p| view! { <option value=p.email.clone()>{format!("{} <{}>", p.name, p.email)}</option> })
                .collect_view()
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        editor.edit(|d, l| {
            let (email, target) = (person.get_untracked(), DepartmentId(to.get_untracked()));
            if email.is_empty() || target.0.is_empty() {
                return Err(td_string!(l, directory.pick_target).to_string());
            }
            d.move_person(&email, &target, effective(day))
                .map_err(|e| edit_error(l, &e))?;
            Ok(td_string!(l, directory.done_moved).to_string())
        });
    };
    action_form(
        move || t_string!(i18n, directory.move_person),
        submit,
        view! {
            <div class="field-row">
                <div class="field">
                    <label for="move-person">{t!(i18n, directory.person)}</label>
                    <select id="move-person" on:change=move |ev| person.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, directory.choose)}</option>
                        {people}
                    </select>
                </div>
                <div class="field">
                    <label for="move-to">{t!(i18n, directory.move_to)}</label>
                    <OtherDepartment id="move-to" except=id value=to/>
                </div>
            </div>
            <EffectiveDate id="move-date" value=day/>
        },
    )
}

#[component]
fn AddForm(
    id: DepartmentId,
    editor: Editor,
    selected: RwSignal<Option<DepartmentId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut created = None;
        editor.edit(|d, l| {
            let new = d
                .add_department(&name.get_untracked(), Some(&id))
                .map_err(|e| edit_error(l, &e))?;
            created = Some(new);
            Ok(td_string!(l, directory.done_added).to_string())
        });
        if created.is_some() {
            name.set(String::new());
            selected.set(created);
        }
    };
    action_form(
        move || t_string!(i18n, directory.add_sub),
        submit,
        view! {
            <div class="field">
                <label for="sub-name">{t!(i18n, directory.sub_name)}</label>
                <input id="sub-name" bind:value=name/>
            </div>
        },
    )
}

#[component]
fn DeleteForm(
    id: DepartmentId,
    editor: Editor,
    selected: RwSignal<Option<DepartmentId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let delete = move |_| {
        let open_tickets = editor.state.read_untracked(|d| {
            d.rows()
                .iter()
                .filter(|(s, _)| s.department == id.0 && s.status.is_open())
                .count()
        });
        let deleted = editor.edit(|d, l| {
            d.delete(&id, open_tickets)
                .map_err(|e| delete_error(l, &e))?;
            Ok(td_string!(l, directory.done_deleted).to_string())
        });
        if deleted {
            selected.set(None);
        }
    };
    view! {
        <details>
            <summary>{t!(i18n, directory.delete)}</summary>
            <p class="hint">{t!(i18n, directory.delete_hint)}</p>
            <button type="button" class="button danger" id="delete-department" on:click=delete>{t!(i18n, directory.delete)}</button>
        </details>
    }
}

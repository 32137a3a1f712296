//! Who is using this device: asked on first open, editable later.

use super::devices::DeviceList;
use super::i18n::*;
use super::route::{navigate, Route};
use super::sign_out::SignOut;
use super::state::AppState;
use crate::domain::{Profile, ProfileError};
use leptos::prelude::*;

#[component]
pub fn ProfileForm(first_visit: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let current = state.read_untracked(|d| d.profile()).unwrap_or_default();
    let signed_in = current.account.is_some();
    let name = RwSignal::new(current.name);
    let department = RwSignal::new(current.department);
    let error = RwSignal::new(None::<ProfileError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match Profile::new(&name.get(), &department.get()) {
            Ok(profile) => {
                error.set(None);
                state.save_profile(profile);
                navigate(Route::Tickets);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let name_error = move || {
        (error.get() == Some(ProfileError::NameMissing))
            .then(|| t_string!(i18n, profile.name_missing))
    };
    let department_error = move || {
        (error.get() == Some(ProfileError::DepartmentMissing))
            .then(|| t_string!(i18n, profile.department_missing))
    };
    view! {
        <section class="card narrow">
            <h1>{move || if first_visit { t_string!(i18n, profile.welcome) } else { t_string!(i18n, profile.edit_title) }}</h1>
            <p class="muted">{t!(i18n, profile.intro)}</p>
            {first_visit.then(|| view! {
                <p><a href=Route::SignIn.href()>{t!(i18n, profile.connect)}</a></p>
            })}
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="profile-name">{t!(i18n, profile.name)}</label>
                    <input id="profile-name" autocomplete="name" bind:value=name
                        aria-invalid=move || name_error().is_some().to_string()
                        aria-describedby="profile-name-error"/>
                    <p id="profile-name-error" class="field-error">{name_error}</p>
                </div>
                <div class="field">
                    <label for="profile-department">{t!(i18n, profile.department)}</label>
                    <input id="profile-department" autocomplete="organization-title" bind:value=department
                        aria-invalid=move || department_error().is_some().to_string()
                        aria-describedby="profile-department-error"/>
                    <p id="profile-department-error" class="field-error">{department_error}</p>
                </div>
                <button type="submit" class="button primary">
                    {move || if first_visit { t_string!(i18n, profile.save) } else { t_string!(i18n, profile.update) }}
                </button>
            </form>
        </section>
        {(signed_in && !first_visit).then(|| view! { <DeviceList/> <SignOut/> })}
    }
}

//! The voice of the internal customer: ratings on tickets, surveys and their results, the
//! satisfaction report, the needs workbench, and the bulletin with awards and the suggestion box.

mod bulletin;
mod rating;
mod report;
mod survey_builder;
mod surveys;
mod workbench;

pub use bulletin::BulletinPage;
pub use rating::{RatingPanel, RatingPrompt};
pub use report::ReportPage;
pub use surveys::{SurveyAnswerPage, SurveysPage};
pub use workbench::NeedsPage;

use super::directory::{departments_in_order, indented, use_directory};
use super::i18n::*;
use super::period::{period, period_name, today, Span};
use super::route::Route;
use super::state::{new_id, now, AppState};
use crate::domain::voice::rating::Rating;
use crate::domain::voice::results::Response;
use crate::domain::voice::suggestions::{Reply, Suggestion};
use crate::domain::{DocumentId, Ticket, TicketDraft};
use crate::store::voice_doc::{Voice, Workbench};
use crate::store::{StoreError, TicketChangeError};
use leptos::prelude::*;

/// The links between the voice pages.
#[component]
fn VoiceNav() -> impl IntoView {
    let i18n = use_i18n();
    let route = expect_context::<ReadSignal<Route>>();
    let current = move |to: Route| move || (route.get() == to).then_some("page");
    view! {
        <nav class="subnav" aria-label=move || t_string!(i18n, voice.nav_label)>
            <a href=Route::Surveys.href() aria-current=current(Route::Surveys)>{t!(i18n, voice.nav_surveys)}</a>
            <a href=Route::Report.href() aria-current=current(Route::Report)>{t!(i18n, voice.nav_report)}</a>
            <a href=Route::Needs.href() aria-current=current(Route::Needs)>{t!(i18n, voice.nav_needs)}</a>
            <a href=Route::Bulletin.href() aria-current=current(Route::Bulletin)>{t!(i18n, voice.nav_bulletin)}</a>
        </nav>
    }
}

/// The departments to choose from: the directory's tree (indented), or before there is a
/// directory, the departments tickets name. Each is (id, label).
fn department_choices(state: AppState) -> Vec<(String, String)> {
    let tree = use_directory().with(departments_in_order);
    if tree.is_empty() {
        return state
            .read(|d| d.departments())
            .into_iter()
            .map(|d| (d.clone(), d))
            .collect();
    }
    tree.into_iter()
        .map(|(id, name, depth)| (id.0, indented(&name, depth)))
        .collect()
}

/// The voice configuration (rating settings, surveys, awards, bulletin), tracked.
fn use_voice(state: AppState) -> Memo<Voice> {
    Memo::new(move |_| state.read(|d| d.voice()))
}

impl AppState {
    pub fn save_voice(&self, voice: &Voice) -> Result<(), StoreError> {
        self.change(|d| d.save_voice(voice, new_id))
    }

    pub fn save_workbench(&self, workbench: &Workbench) -> Result<(), StoreError> {
        self.change(|d| d.save_workbench(workbench, new_id))
    }

    pub fn suggest(&self, suggestion: &Suggestion) -> Result<(), StoreError> {
        self.change(|d| d.suggest(suggestion, new_id))
    }

    pub fn vote(&self, suggestion: &str, on: bool) -> Result<(), StoreError> {
        self.change(|d| d.vote(suggestion, on, new_id))
    }

    pub fn reply_to_suggestion(&self, suggestion: &str, reply: &Reply) -> Result<(), StoreError> {
        self.change(|d| d.reply_to_suggestion(suggestion, reply, new_id))
    }

    /// Rates a ticket; `follow_up` drafts the follow-up a low score opens.
    pub fn rate(
        &self,
        id: DocumentId,
        score: i64,
        comment: &str,
        follow_up: impl FnOnce(&Ticket, &Rating) -> Option<TicketDraft>,
    ) -> Result<Rating, TicketChangeError> {
        self.change(|d| {
            d.rate(id, score, comment, now(), |t, r| {
                follow_up(t, r).map(|draft| (new_id(), draft))
            })
        })
    }

    pub fn note_rating_request(&self, id: DocumentId, reminder: bool) {
        let _ = self.change(|d| d.note_rating_request(id, reminder, now()));
    }

    pub fn answer_survey(&self, response: &Response) -> Result<(), StoreError> {
        self.change(|d| d.answer_survey(new_id(), response))
    }
}

/// A score with one decimal, or a dash.
fn one_decimal(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

/// A share in whole percent, or a dash.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{:.0}%", v * 100.0))
}

/// A signed change with one decimal ("+0.4", "−1.2"), or a dash.
fn change(value: Option<f64>) -> String {
    match value {
        Some(v) if v > 0.05 => format!("+{v:.1}"),
        Some(v) if v < -0.05 => format!("−{:.1}", v.abs()),
        Some(_) => "±0".into(),
        None => "—".into(),
    }
}

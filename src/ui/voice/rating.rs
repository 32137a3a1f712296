//! Rating after resolution: the requester's form on the ticket, the rating as the serving team
//! sees it, and the request to rate shown above the ticket list (sampled, rested, reminded once).

use super::use_voice;
use crate::domain::voice::rating::{prompt, Prompt, RatingError};
use crate::domain::{Priority, Status, Ticket, TicketDraft};
use crate::store::TicketChangeError;
use crate::ui::format::date;
use crate::ui::i18n::*;
use crate::ui::route::Route;
use crate::ui::state::{now, AppState};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The score's words, 1 to 5.
fn score_label(l: Locale, score: u8) -> &'static str {
    match score {
        1 => td_string!(l, voice.score_1),
        2 => td_string!(l, voice.score_2),
        3 => td_string!(l, voice.score_3),
        4 => td_string!(l, voice.score_4),
        _ => td_string!(l, voice.score_5),
    }
}

fn rating_error(l: Locale, e: &RatingError) -> &'static str {
    match e {
        RatingError::OutOfRange(_) => td_string!(l, voice.rating_out_of_range),
        RatingError::AlreadyRated => td_string!(l, voice.rating_already),
        RatingError::NotResolved => td_string!(l, voice.rating_not_resolved),
        RatingError::NotRequester => td_string!(l, voice.rating_not_requester),
        RatingError::CommentTooLong => td_string!(l, voice.rating_comment_too_long),
    }
}

/// The rating part of a ticket's page.
#[component]
pub fn RatingPanel(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let view_of = move || {
        let t = ticket.get()?;
        let follows = t.follow_up_of.map(|original| {
            view! {
                <p class="follow-up-of">
                    {t!(i18n, voice.follows_up)}" "
                    <a href=Route::Ticket(original).href()>{original.short_code()}</a>
                </p>
            }
        });
        let body = if let Some(r) = t.feedback.rating.clone() {
            let l = i18n.get_locale();
            let line =
                td_string!(l, voice.rated_by, who = r.by.clone(), when = date(l, r.at)).to_string();
            Some(view! {
                <div class="rating-given" data-score=r.score>
                    <p class="stars" aria-hidden="true">{"★".repeat(usize::from(r.score))}{"☆".repeat(5 - usize::from(r.score))}</p>
                    <p><strong>{format!("{}/5 · {}", r.score, score_label(l, r.score))}</strong>" "<span class="muted">{line}</span></p>
                    {(!r.comment.is_empty()).then(|| view! { <p class="prose">{r.comment.clone()}</p> })}
                </div>
            }.into_any())
        } else if matches!(t.status, Status::Resolved | Status::Closed)
            && state.read_untracked(|d| d.is_requester(&t))
        {
            Some(view! { <RatingForm ticket=t.clone()/> }.into_any())
        } else {
            None
        };
        (follows.is_some() || body.is_some()).then(|| {
            view! {
                <section class="card rating" id="rating" aria-labelledby="rating-title">
                    <h2 id="rating-title">{t!(i18n, voice.rating_title)}</h2>
                    {follows}
                    {body}
                </section>
            }
        })
    };
    view! { {view_of} }
}

#[component]
fn RatingForm(ticket: Ticket) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let score = RwSignal::new(0u8);
    let comment = RwSignal::new(String::new());
    let error = RwSignal::new(None::<RatingError>);
    let id = ticket.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = voice.get_untracked().rating;
        let l = i18n.get_locale_untracked();
        let result = state.rate(id, i64::from(score.get()), &comment.get(), |t, r| {
            settings
                .needs_follow_up(r.score)
                .then(|| follow_up_draft(l, t, r.score, &r.comment))
        });
        match result {
            Ok(_) => error.set(None),
            Err(TicketChangeError::Rating(e)) => error.set(Some(e)),
            Err(_) => {}
        }
    };
    view! {
        <form class="rating-form" on:submit=submit novalidate>
            <p>{t!(i18n, voice.rating_ask)}</p>
            <fieldset class="score-choice" aria-describedby="rating-error">
                <legend>{t!(i18n, voice.rating_score)}</legend>
                {(1..=5u8).map(|n| view! {
                    <label class="score-option">
                        <input type="radio" name="rating-score" value=n
                            prop:checked=move || score.get() == n on:change=move |_| score.set(n)/>
                        <span class="score-number">{n}</span>
                        <span class="score-words">{move || score_label(i18n.get_locale(), n)}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <div class="field">
                <label for="rating-comment">{t!(i18n, voice.rating_comment)}</label>
                <textarea id="rating-comment" rows="3" bind:value=comment></textarea>
            </div>
            <p id="rating-error" class="field-error" role="alert">
                {move || error.get().map(|e| rating_error(i18n.get_locale(), &e))}
            </p>
            <button type="submit" class="button primary">{t!(i18n, voice.rating_send)}</button>
        </form>
    }
}

/// The follow-up a low score opens for the serving team, filed under the requester's name.
fn follow_up_draft(l: Locale, t: &Ticket, score: u8, comment: &str) -> TicketDraft {
    let title = td_string!(
        l,
        voice.follow_up_title,
        score = score,
        title = t.title.clone()
    )
    .to_string();
    let description = td_string!(
        l,
        voice.follow_up_body,
        code = t.id.short_code(),
        comment = if comment.is_empty() {
            "—".to_string()
        } else {
            comment.to_string()
        }
    )
    .to_string();
    TicketDraft {
        title: title.chars().take(crate::domain::MAX_TITLE_CHARS).collect(),
        description,
        requester: t.requester.clone(),
        requester_email: t.requester_email.clone(),
        customer_department: t.customer_department.clone(),
        department: t.department.clone(),
        category: td_string!(l, voice.follow_up_category).to_string(),
        priority: Priority::High,
        follow_up_of: Some(t.id),
        ..Default::default()
    }
}

/// Above the ticket list: the one rating request to show this person now, if any.
#[component]
pub fn RatingPrompt() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let shown = Memo::new(move |_| {
        let settings = voice.with(|v| v.rating);
        state.read(|d| prompt(&d.rating_candidates(), &settings, now()))
    });
    // Asking and reminding are recorded on the ticket, so other devices hold back too.
    Effect::new(move |_| {
        // Tried again as data arrives: the ticket may reach this device only after the prompt.
        state.version.track();
        let reminder = match shown.get() {
            Some(Prompt::Ask(_)) => false,
            Some(Prompt::Remind(_)) => true,
            _ => return,
        };
        let id = shown
            .get_untracked()
            .map(Prompt::ticket)
            .expect("matched above");
        spawn_local(async move {
            state.open_ticket(id).await;
            state.note_rating_request(id, reminder);
        });
    });
    move || {
        let prompt = shown.get()?;
        let id = prompt.ticket();
        let row = state.read(|d| {
            d.rows()
                .iter()
                .find(|(s, _)| s.id == id)
                .map(|(s, _)| s.clone())
        })?;
        let l = i18n.get_locale();
        let text = td_string!(l, voice.prompt, title = row.title.clone()).to_string();
        Some(view! {
            <aside class="rating-prompt" aria-label=move || t_string!(i18n, voice.prompt_label)>
                <p>{text}</p>
                <a class="button primary" href=format!("{}", Route::Ticket(id).href())>{t!(i18n, voice.prompt_action)}</a>
            </aside>
        })
    }
}

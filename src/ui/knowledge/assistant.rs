//! The assistant: ask in your own words; it answers from the knowledge base on this device (no
//! network), quoting the passages it found with links to their articles, says plainly when no
//! article covers the question, and offers the request to file instead.

use super::{Highlighted, KnowledgeNav, Prefill, RequestPrefill};
use crate::domain::knowledge::assistant::Reply;
use crate::domain::{DocumentId, TicketDraft};
use crate::ui::i18n::*;
use crate::ui::route::{navigate, Route};
use crate::ui::state::AppState;
use leptos::prelude::*;

/// One question and what the assistant said.
#[derive(Debug, Clone, PartialEq)]
struct Exchange {
    question: String,
    reply: Reply<DocumentId>,
}

#[component]
pub fn AssistantPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let question = RwSignal::new(String::new());
    let log = RwSignal::new(Vec::<Exchange>::new());
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let asked = question.get();
        let reply = state.read_untracked(|d| d.ask(&asked));
        if reply == Reply::Empty {
            return;
        }
        log.update(|l| {
            l.push(Exchange {
                question: asked.trim().to_string(),
                reply,
            })
        });
        question.set(String::new());
    };
    view! {
        <section class="card assistant-page">
            <KnowledgeNav/>
            <h1>{t!(i18n, kb.assistant_title)}</h1>
            <p class="muted">{t!(i18n, kb.assistant_intro)}</p>
            <ol class="chat" aria-live="polite" aria-label=move || t_string!(i18n, kb.conversation)>
                <For each=move || log.get().into_iter().enumerate() key=|(i, _)| *i let((_, exchange))>
                    <ExchangeView exchange/>
                </For>
            </ol>
            <form class="ask" on:submit=ask>
                <label for="assistant-question">{t!(i18n, kb.your_question)}</label>
                <div class="ask-row">
                    <input id="assistant-question" bind:value=question autocomplete="off" maxlength="2000"/>
                    <button type="submit" class="button primary">{t!(i18n, kb.ask)}</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn ExchangeView(exchange: Exchange) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let Exchange { question, reply } = exchange;
    let prefill = use_context::<RequestPrefill>();
    let solved = RwSignal::new(false);
    let article_title = move |id: DocumentId| {
        let zh = i18n.get_locale() == Locale::zh_CN;
        state.read(|d| {
            d.article(id)
                .map(|a| a.title.show(zh).to_string())
                .unwrap_or_default()
        })
    };
    let answer = match reply {
        Reply::Answer { quotes, articles } => {
            let first = articles.first().copied();
            let asked = question.clone();
            let record = move |_| {
                let Some(article) = first else { return };
                let draft = self_service_draft(&state, &asked);
                if state.record_self_service(&draft, article).is_ok() {
                    solved.set(true);
                }
            };
            let asked = question.clone();
            view! {
                <div class="assistant-reply" data-kind="answer">
                    <p>{t!(i18n, kb.found_this)}</p>
                    {quotes.into_iter().map(|q| {
                        let article = q.article;
                        view! {
                            <blockquote class="quote">
                                <p><Highlighted pieces=q.pieces/></p>
                                <footer>"— "<a href=Route::Article(article).href()>{move || article_title(article)}</a></footer>
                            </blockquote>
                        }
                    }).collect_view()}
                    {move || if solved.get() {
                        view! { <p class="notice" role="status">{t!(i18n, kb.glad)}</p> }.into_any()
                    } else {
                        let asked = asked.clone();
                        view! {
                            <div class="actions">
                                <button type="button" class="button primary" on:click=record.clone()>{t!(i18n, kb.solved_it)}</button>
                                <button type="button" class="button" on:click=move |_| offer_request(&state, prefill, &asked, first)>
                                    {t!(i18n, kb.still_need_help)}
                                </button>
                            </div>
                        }.into_any()
                    }}
                </div>
            }
            .into_any()
        }
        Reply::Unknown { nearest } => {
            let asked = question.clone();
            view! {
                <div class="assistant-reply" data-kind="unknown">
                    <p>{t!(i18n, kb.dont_know)}</p>
                    <button type="button" class="button primary" on:click=move |_| offer_request(&state, prefill, &asked, nearest)>
                        {t!(i18n, kb.file_request)}
                    </button>
                </div>
            }
            .into_any()
        }
        Reply::Empty => ().into_any(),
    };
    view! {
        <li class="exchange">
            <p class="my-question"><span class="visually-hidden">{t!(i18n, kb.you_asked)}" "</span>{question}</p>
            {answer}
        </li>
    }
}

/// The self-service record of a question an article answered.
fn self_service_draft(state: &AppState, question: &str) -> TicketDraft {
    let me = state.read_untracked(|d| d.profile()).unwrap_or_default();
    TicketDraft {
        title: question
            .chars()
            .take(crate::domain::MAX_TITLE_CHARS)
            .collect(),
        requester: me.name,
        department: me.department,
        ..Default::default()
    }
}

/// Opens the request form with the question filled in: the article's service if it names one,
/// otherwise a request to the article's department.
fn offer_request(
    state: &AppState,
    prefill: Option<RequestPrefill>,
    question: &str,
    article: Option<DocumentId>,
) {
    let article = article.and_then(|id| state.read_untracked(|d| d.article(id).cloned()));
    let title: String = question
        .chars()
        .take(crate::domain::MAX_TITLE_CHARS)
        .collect();
    if let Some(prefill) = prefill {
        prefill.0.set(Some(Prefill {
            title,
            department: article
                .as_ref()
                .map(|a| a.department.clone())
                .unwrap_or_default(),
        }));
    }
    let service = article.and_then(|a| a.service.parse::<DocumentId>().ok());
    navigate(service.map_or(Route::NewTicket, Route::Request));
}

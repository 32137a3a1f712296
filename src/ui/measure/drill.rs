//! The audit drill-down: the tickets behind a figure, what each contributed, and the events it was
//! computed from, so anyone can check the arithmetic.

use crate::csv;
use crate::domain::sla::{SlaEvent, SlaEventKind};
use crate::domain::{DocumentId, TicketSummary};
use crate::ui::files::save_file;
use crate::ui::format::{date_time, iso};
use crate::ui::i18n::*;
use crate::ui::labels::{priority_label, status_label};
use crate::ui::route::Route;
use crate::ui::state::AppState;
use leptos::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// How many tickets the panel lists; the CSV has them all.
const SHOWN: usize = 300;

/// A figure opened for audit: how to list it in a language, so the panel follows a language switch
/// and the tickets as they change.
#[derive(Clone)]
pub struct Drill(Arc<dyn Fn(Locale) -> DrillContent + Send + Sync>);

impl Drill {
    pub fn new(content: impl Fn(Locale) -> DrillContent + Send + Sync + 'static) -> Self {
        Self(Arc::new(content))
    }
}

/// What the panel lists.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillContent {
    pub title: String,
    /// How the figure is computed.
    pub definition: String,
    /// What the value column holds.
    pub value_label: String,
    /// Each ticket and the value it contributed, as shown.
    pub tickets: Vec<(DocumentId, String)>,
}

#[component]
pub fn DrillPanel(drill: RwSignal<Option<Drill>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    // Keyboard and screen-reader users land on the panel as it opens.
    Effect::new(move |_| {
        if drill.with(Option::is_some) {
            if let Some(el) = document().get_element_by_id("drill-title") {
                let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        }
    });
    move || {
        let l = i18n.get_locale();
        let d = (drill.get()?.0)(l);
        let rows: HashMap<DocumentId, TicketSummary> = state.read_untracked(|desk| {
            let wanted: std::collections::HashSet<DocumentId> =
                d.tickets.iter().map(|(id, _)| *id).collect();
            desk.rows()
                .iter()
                .filter(|(s, _)| wanted.contains(&s.id))
                .map(|(s, _)| (s.id, s.clone()))
                .collect()
        });
        let download = {
            let d = d.clone();
            let rows = rows.clone();
            move |_| save_file("figure-tickets.csv", &drill_csv(l, &d, &rows))
        };
        let total = d.tickets.len();
        let body = d
            .tickets
            .iter()
            .take(SHOWN)
            .filter_map(|(id, value)| {
                let row = rows.get(id)?;
                Some(view! {
                    <tr>
                        <th scope="row"><a href=Route::Ticket(*id).href()>{row.title.clone()}</a></th>
                        <td class="wide-only">{date_time(l, row.created_at)}</td>
                        <td class="wide-only">{row.department.clone()}</td>
                        <td class="wide-only">{row.customer_department.clone()}</td>
                        <td class="wide-only">{status_label(l, row.status)}</td>
                        <td class="number figure">{value.clone()}</td>
                        <td>
                            <details>
                                <summary>{td_string!(l, measure.events, n = row.sla.len())}</summary>
                                <ol class="events">
                                    {row.sla.iter().map(|e| view! { <li>{date_time(l, e.at)}" · "{event_text(l, e)}</li> }).collect_view()}
                                </ol>
                            </details>
                        </td>
                    </tr>
                })
            })
            .collect_view();
        Some(view! {
            <section class="drill" aria-labelledby="drill-title">
                <div class="page-head">
                    <h2 id="drill-title" tabindex="-1">{d.title.clone()}</h2>
                    <div class="no-print">
                        <button type="button" class="button" id="drill-csv" on:click=download>{t!(i18n, measure.download_csv)}</button>
                        " "
                        <button type="button" class="button" on:click=move |_| drill.set(None)>{t!(i18n, measure.close)}</button>
                    </div>
                </div>
                <p class="hint">{d.definition.clone()}</p>
                <p id="drill-count">{td_string!(l, measure.drill_count, n = total)}
                    {(total > SHOWN).then(|| td_string!(l, measure.drill_more, n = SHOWN))}</p>
                <div class="table-scroll">
                    <table class="data" id="drill-table">
                        <thead><tr>
                            <th scope="col">{t!(i18n, measure.ticket)}</th>
                            <th scope="col" class="wide-only">{t!(i18n, measure.filed)}</th>
                            <th scope="col" class="wide-only">{t!(i18n, measure.team)}</th>
                            <th scope="col" class="wide-only">{t!(i18n, measure.customer)}</th>
                            <th scope="col" class="wide-only">{t!(i18n, measure.status)}</th>
                            <th scope="col">{d.value_label.clone()}</th>
                            <th scope="col">{t!(i18n, measure.events_title)}</th>
                        </tr></thead>
                        <tbody>{body}</tbody>
                    </table>
                </div>
            </section>
        })
    }
}

/// What an SLA event was, in words.
fn event_text(l: Locale, e: &SlaEvent) -> String {
    match &e.kind {
        SlaEventKind::Created(p) => {
            td_string!(l, measure.ev_created, priority = priority_label(l, *p)).to_string()
        }
        SlaEventKind::StatusChanged { from, to } => td_string!(
            l,
            measure.ev_status,
            from = status_label(l, *from),
            to = status_label(l, *to)
        )
        .to_string(),
        SlaEventKind::PriorityChanged(p) => {
            td_string!(l, measure.ev_priority, priority = priority_label(l, *p)).to_string()
        }
        SlaEventKind::Approval { waiting: true } => {
            td_string!(l, measure.ev_approval_waiting).to_string()
        }
        SlaEventKind::Approval { waiting: false } => {
            td_string!(l, measure.ev_approval_done).to_string()
        }
        SlaEventKind::Reply { by_requester: true } => {
            td_string!(l, measure.ev_requester_reply).to_string()
        }
        SlaEventKind::Reply {
            by_requester: false,
        } => td_string!(l, measure.ev_reply).to_string(),
        SlaEventKind::Note => td_string!(l, measure.ev_note).to_string(),
        SlaEventKind::HandedOff { from, to } => {
            td_string!(l, measure.ev_handoff, from = from.clone(), to = to.clone()).to_string()
        }
    }
}

fn drill_csv(l: Locale, d: &DrillContent, rows: &HashMap<DocumentId, TicketSummary>) -> String {
    let mut out = csv::row(&[
        "ticket".into(),
        "title".into(),
        "filed".into(),
        "team".into(),
        "customer".into(),
        "status".into(),
        d.value_label.clone(),
        "events".into(),
    ]);
    for (id, value) in &d.tickets {
        let Some(row) = rows.get(id) else { continue };
        let events = row
            .sla
            .iter()
            .map(|e| format!("{} {}", iso(e.at), event_text(l, e)))
            .collect::<Vec<_>>()
            .join("; ");
        out.push_str(&csv::row(&[
            id.to_string(),
            row.title.clone(),
            iso(row.created_at),
            row.department.clone(),
            row.customer_department.clone(),
            row.status.as_str().into(),
            value.clone(),
            events,
        ]));
    }
    out
}

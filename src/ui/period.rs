//! Calendar periods for reports and dashboards: a month, quarter or year in local time, moved
//! back and forth by the controls every report shares.

use super::format::day_start;
use super::i18n::*;
use crate::domain::time::Period;
use chrono::{Datelike, Months, NaiveDate};
use leptos::prelude::*;

/// How long a report period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Month,
    Quarter,
    Year,
}

impl Span {
    pub const ALL: [Span; 3] = [Span::Month, Span::Quarter, Span::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            Span::Month => "month",
            Span::Quarter => "quarter",
            Span::Year => "year",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn months(self) -> u32 {
        match self {
            Span::Month => 1,
            Span::Quarter => 3,
            Span::Year => 12,
        }
    }

    pub fn label(self, l: Locale) -> &'static str {
        match self {
            Span::Month => td_string!(l, period.month),
            Span::Quarter => td_string!(l, period.quarter),
            Span::Year => td_string!(l, period.year),
        }
    }
}

/// The calendar period of a span containing `today`, moved back `back` periods, in local time,
/// with its first day.
pub fn period(span: Span, back: u32, today: NaiveDate) -> (Period, NaiveDate) {
    let first_month = match span {
        Span::Month => today.month(),
        Span::Quarter => (today.month() - 1) / 3 * 3 + 1,
        Span::Year => 1,
    };
    let start = NaiveDate::from_ymd_opt(today.year(), first_month, 1).expect("a valid month");
    let start = start - Months::new(span.months() * back);
    let end = start + Months::new(span.months());
    let at = |d: NaiveDate| day_start(&d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    (
        Period {
            start: at(start),
            end: at(end),
        },
        start,
    )
}

/// A period's name: "2026-11", "2026 Q4", "2026".
pub fn period_name(span: Span, start: NaiveDate) -> String {
    match span {
        Span::Month => start.format("%Y-%m").to_string(),
        Span::Quarter => format!("{} Q{}", start.year(), (start.month() - 1) / 3 + 1),
        Span::Year => start.year().to_string(),
    }
}

/// Today in the user's time zone.
pub fn today() -> NaiveDate {
    NaiveDate::parse_from_str(&super::format::today_input(), "%Y-%m-%d").unwrap_or_default()
}

/// The chosen period: its span and how many periods back from the current one.
#[derive(Clone, Copy)]
pub struct PeriodChoice {
    pub span: RwSignal<Span>,
    pub back: RwSignal<u32>,
    /// The period and its first day.
    pub chosen: Memo<(Period, NaiveDate)>,
}

impl PeriodChoice {
    pub fn new(span: Span) -> Self {
        let span = RwSignal::new(span);
        let back = RwSignal::new(0u32);
        let chosen = Memo::new(move |_| period(span.get(), back.get(), today()));
        Self { span, back, chosen }
    }

    pub fn period(&self) -> Period {
        self.chosen.get().0
    }

    pub fn name(&self) -> String {
        period_name(self.span.get(), self.chosen.get().1)
    }
}

/// The span choice and the earlier / later buttons.
#[component]
pub fn PeriodControls(choice: PeriodChoice, id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let PeriodChoice { span, back, .. } = choice;
    view! {
        <div class="field inline">
            <label for=id>{t!(i18n, period.span)}</label>
            <select id=id on:change=move |ev| if let Some(s) = Span::parse(&event_target_value(&ev)) { span.set(s); back.set(0) }>
                {Span::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=move || span.get() == s>{move || s.label(i18n.get_locale())}</option>
                }).collect_view()}
            </select>
        </div>
        <button type="button" class="button" on:click=move |_| back.update(|b| *b += 1)>{t!(i18n, period.earlier)}</button>
        <button type="button" class="button" disabled=move || back.get() == 0 on:click=move |_| back.update(|b| *b = b.saturating_sub(1))>{t!(i18n, period.later)}</button>
    }
}

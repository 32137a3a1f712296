//! The catalog's and the SLA settings' refusals in the user's language.

use super::i18n::*;
use super::labels::priority_label;
use crate::domain::catalog::{AnswerProblem, CatalogError, ServiceError};
use crate::domain::sla::{CalendarError, IcsError, PolicyError};
use chrono::Weekday;

pub fn catalog_error(l: Locale, e: &CatalogError) -> String {
    match e {
        CatalogError::Service(e) => service_error(l, e),
        CatalogError::Policy(e) => policy_error(l, e),
        CatalogError::Calendar(e) => calendar_error(l, e),
        CatalogError::UnknownCalendar(name) => {
            td_string!(l, sla_settings.error_unknown_calendar, name = name.clone()).to_string()
        }
    }
}

fn service_error(l: Locale, e: &ServiceError) -> String {
    match e {
        ServiceError::NoName => td_string!(l, catalog.error_no_name).to_string(),
        ServiceError::NoQueue => td_string!(l, catalog.error_no_queue).to_string(),
        ServiceError::DuplicateField(k) => {
            td_string!(l, catalog.error_duplicate_question, key = k.clone()).to_string()
        }
        ServiceError::NoChoices(k) => {
            td_string!(l, catalog.error_no_choices, key = k.clone()).to_string()
        }
        ServiceError::UnknownPolicy(p) => {
            td_string!(l, catalog.error_unknown_policy, name = p.clone()).to_string()
        }
    }
}

fn policy_error(l: Locale, e: &PolicyError) -> String {
    match e {
        PolicyError::NoTargets => td_string!(l, sla_settings.error_no_targets).to_string(),
        PolicyError::ZeroTarget(p) => td_string!(
            l,
            sla_settings.error_zero_target,
            priority = priority_label(l, *p)
        )
        .to_string(),
        PolicyError::BadPercent(p) => {
            td_string!(l, sla_settings.error_bad_percent, percent = *p).to_string()
        }
        PolicyError::ZeroHandoff => td_string!(l, sla_settings.error_zero_handoff).to_string(),
        PolicyError::Duplicate(p) => td_string!(
            l,
            sla_settings.error_duplicate_target,
            priority = priority_label(l, *p)
        )
        .to_string(),
    }
}

fn calendar_error(l: Locale, e: &CalendarError) -> String {
    match e {
        CalendarError::NoWorkingTime => {
            td_string!(l, sla_settings.error_no_working_time).to_string()
        }
        CalendarError::Overlap(day) => {
            td_string!(l, sla_settings.error_overlap, day = weekday_name(l, *day)).to_string()
        }
        CalendarError::EmptySlot(day) => td_string!(
            l,
            sla_settings.error_empty_slot,
            day = weekday_name(l, *day)
        )
        .to_string(),
        CalendarError::UnknownZone(z) => {
            td_string!(l, sla_settings.error_unknown_zone, zone = z.clone()).to_string()
        }
    }
}

pub fn ics_error(l: Locale, e: &IcsError) -> String {
    match e {
        IcsError::NotCalendar => td_string!(l, sla_settings.ics_not_calendar).to_string(),
        IcsError::BadDate(line, value) => td_string!(
            l,
            sla_settings.ics_bad_date,
            line = *line,
            value = value.clone()
        )
        .to_string(),
        IcsError::NoStart(line) => {
            td_string!(l, sla_settings.ics_no_start, line = *line).to_string()
        }
        IcsError::NoEvents => td_string!(l, sla_settings.ics_no_events).to_string(),
    }
}

pub fn answer_problem(l: Locale, p: &AnswerProblem) -> &'static str {
    match p {
        AnswerProblem::Missing => td_string!(l, request.missing),
        AnswerProblem::NotANumber => td_string!(l, request.not_a_number),
        AnswerProblem::NotADate => td_string!(l, request.not_a_date),
        AnswerProblem::NotAChoice => td_string!(l, request.not_a_choice),
        AnswerProblem::UnknownPerson => td_string!(l, request.unknown_person),
    }
}

pub fn weekday_name(l: Locale, day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => td_string!(l, weekday.mon),
        Weekday::Tue => td_string!(l, weekday.tue),
        Weekday::Wed => td_string!(l, weekday.wed),
        Weekday::Thu => td_string!(l, weekday.thu),
        Weekday::Fri => td_string!(l, weekday.fri),
        Weekday::Sat => td_string!(l, weekday.sat),
        Weekday::Sun => td_string!(l, weekday.sun),
    }
}

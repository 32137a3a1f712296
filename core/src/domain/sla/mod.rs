//! Service levels: business calendars, SLA policies, and the engine that runs a ticket's clocks.

pub mod calendar;
pub mod clocks;
pub mod ics;
pub mod policy;

pub use calendar::{Calendar, CalendarError, Holiday, Slot, WorkCalendar};
pub use clocks::{
    evaluate, events_of, measure, ClockKind, ClockReport, ClockState, SlaEvent, SlaEventKind, Step,
    StepKind,
};
pub use ics::{parse_ics, IcsDays, IcsError};
pub use policy::{Escalation, EscalationAction, Policy, PolicyError, Target};

#[cfg(test)]
mod tests;

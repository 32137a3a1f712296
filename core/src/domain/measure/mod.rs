//! Measurement on the device: each ticket's facts, the KPIs over them per department, team, agent,
//! service or customer and period, who serves whom, the bottlenecks, and weekly demand forecasts.
//! Pure functions of the list rows, the catalog and the directory, so every figure can be checked
//! by hand and opened down to the tickets behind it.

pub mod bottlenecks;
pub mod facts;
pub mod forecast;
pub mod kpi;
pub mod map;
pub mod stats;

use crate::domain::time::Period;
use crate::domain::Timestamp;
use bottlenecks::{slow_handoffs, time_in_status, HandoffLine, StatusTime};
use facts::TicketFacts;
use kpi::{kpis, Dimension, KpiLine};
use map::{who_serves_whom, ServiceMap};
use std::collections::BTreeMap;

/// Every figure of the dashboard for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Measures {
    /// The KPI lines per dimension, in the order of [`Dimension::ALL`], and the whole desk's.
    pub lines: Vec<(Dimension, Vec<KpiLine>)>,
    pub total: kpi::Figures,
    pub map: ServiceMap,
    pub status_time: Vec<StatusTime>,
    pub handoffs: Vec<HandoffLine>,
}

impl Measures {
    pub fn lines(&self, by: Dimension) -> &[KpiLine] {
        self.lines
            .iter()
            .find(|(d, _)| *d == by)
            .map_or(&[], |(_, l)| l.as_slice())
    }
}

/// All the KPIs, the map and the bottlenecks of a period.
pub fn measure_all(
    facts: &[TicketFacts],
    period: Period,
    now: Timestamp,
    nps: &BTreeMap<String, i64>,
) -> Measures {
    Measures {
        lines: Dimension::ALL
            .into_iter()
            .map(|by| (by, kpis(facts, by, period, now, nps)))
            .collect(),
        total: kpi::figures(facts, period, now),
        map: who_serves_whom(facts, period, now),
        status_time: time_in_status(facts, period),
        handoffs: slow_handoffs(facts, period),
    }
}

#[cfg(test)]
mod tests;

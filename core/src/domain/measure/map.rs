//! Who serves whom: every requesting department against every providing department, with the
//! figures of the tickets between them.

use super::facts::TicketFacts;
use super::kpi::{figures, Figures, Kpi};
use crate::domain::time::Period;
use crate::domain::Timestamp;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceMap {
    /// Requesting departments (rows) and providing departments (columns), busiest first.
    pub customers: Vec<String>,
    pub providers: Vec<String>,
    /// (customer, provider) → the figures of the period's tickets between them.
    pub cells: BTreeMap<(String, String), Figures>,
}

impl ServiceMap {
    pub fn cell(&self, customer: &str, provider: &str) -> Option<&Figures> {
        self.cells
            .get(&(customer.to_string(), provider.to_string()))
    }

    /// The lowest and highest value of a KPI over the cells, for a colour scale.
    pub fn range(&self, kpi: Kpi) -> Option<(f64, f64)> {
        let values = self.cells.values().filter_map(|f| f.value(kpi));
        values.fold(None, |range, v| match range {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
    }
}

/// Where a value sits between `lo` and `hi`, from 0 to 1 (the middle when all values are equal).
pub fn scale(value: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        ((value - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// The map over the tickets filed in the period.
pub fn who_serves_whom(facts: &[TicketFacts], period: Period, now: Timestamp) -> ServiceMap {
    let mut pairs: BTreeMap<(&str, &str), Vec<&TicketFacts>> = BTreeMap::new();
    for t in facts
        .iter()
        .filter(|t| period.contains(t.created_at) && !t.self_help.deflected())
    {
        pairs.entry((&t.customer, &t.provider)).or_default().push(t);
    }
    let mut map = ServiceMap::default();
    let (mut by_customer, mut by_provider) = (BTreeMap::new(), BTreeMap::new());
    for ((customer, provider), tickets) in pairs {
        let cell = figures(tickets, period, now);
        *by_customer.entry(customer).or_insert(0) += cell.volume;
        *by_provider.entry(provider).or_insert(0) += cell.volume;
        map.cells
            .insert((customer.to_string(), provider.to_string()), cell);
    }
    map.customers = busiest(by_customer);
    map.providers = busiest(by_provider);
    map
}

fn busiest(volumes: BTreeMap<&str, usize>) -> Vec<String> {
    let mut keys: Vec<(&str, usize)> = volumes.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    keys.into_iter().map(|(k, _)| k.to_string()).collect()
}

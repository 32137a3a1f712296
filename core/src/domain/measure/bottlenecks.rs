//! Where the time goes: business time per status and team, and the hand-offs between teams that
//! wait longest. (The slowest services are the service KPI lines sorted by their slow tail.)

use super::facts::TicketFacts;
use super::kpi::{KpiLine, Spread};
use crate::domain::time::Period;
use crate::domain::Status;
use std::collections::BTreeMap;

/// How long a team's tickets of the period spent in each status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTime {
    pub team: String,
    pub tickets: usize,
    /// Business time summed over the tickets, indexed like [`Status::ALL`].
    pub total_ms: [i64; 5],
}

impl StatusTime {
    /// The mean time a ticket spent in a status.
    pub fn mean_ms(&self, status: Status) -> i64 {
        let i = Status::ALL.iter().position(|s| *s == status).unwrap_or(0);
        self.total_ms[i] / self.tickets.max(1) as i64
    }

    /// The open status most time went to.
    pub fn slowest(&self) -> Status {
        let i = (0..3).max_by_key(|&i| self.total_ms[i]).unwrap_or(0);
        Status::ALL[i]
    }

    fn open_ms(&self) -> i64 {
        self.total_ms[..3].iter().sum()
    }
}

/// Time in status per team, the team whose tickets wait longest on average first.
pub fn time_in_status(facts: &[TicketFacts], period: Period) -> Vec<StatusTime> {
    let mut teams: BTreeMap<&str, StatusTime> = BTreeMap::new();
    for t in facts
        .iter()
        .filter(|t| period.contains(t.created_at) && !t.self_help.deflected())
    {
        let line = teams.entry(&t.team).or_insert_with(|| StatusTime {
            team: t.team.clone(),
            tickets: 0,
            total_ms: [0; 5],
        });
        line.tickets += 1;
        for (sum, ms) in line.total_ms.iter_mut().zip(t.status_ms) {
            *sum += ms;
        }
    }
    let mut lines: Vec<StatusTime> = teams.into_values().collect();
    lines.sort_by_key(|l| {
        (
            std::cmp::Reverse(l.open_ms() / l.tickets as i64),
            l.team.clone(),
        )
    });
    lines
}

/// Hand-offs from one team to another made in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffLine {
    pub from: String,
    pub to: String,
    /// Business time until the receiving team acted, over the hand-offs it acted on.
    pub waited: Spread,
    /// Hand-offs still waiting for the receiving team.
    pub waiting: usize,
}

/// Every team-to-team hand-off route, the slowest (by median wait) first.
pub fn slow_handoffs(facts: &[TicketFacts], period: Period) -> Vec<HandoffLine> {
    let mut routes: BTreeMap<(&str, &str), (Vec<i64>, usize)> = BTreeMap::new();
    for wait in facts.iter().flat_map(|t| &t.handoffs) {
        if !period.contains(wait.at) {
            continue;
        }
        let route = routes.entry((&wait.from, &wait.to)).or_default();
        if wait.acted {
            route.0.push(wait.waited_ms);
        } else {
            route.1 += 1;
        }
    }
    let mut lines: Vec<HandoffLine> = routes
        .into_iter()
        .map(|((from, to), (waits, waiting))| HandoffLine {
            from: from.to_string(),
            to: to.to_string(),
            waited: Spread::of(waits),
            waiting,
        })
        .collect();
    lines.sort_by_key(|l| {
        (
            std::cmp::Reverse(l.waited.median_ms),
            l.from.clone(),
            l.to.clone(),
        )
    });
    lines
}

/// The services whose resolution takes longest in its slow tail (90th percentile), at most `n`.
pub fn slowest_services(mut services: Vec<KpiLine>, n: usize) -> Vec<KpiLine> {
    services.retain(|l| l.figures.resolution.count > 0 && !l.key.is_empty());
    services.sort_by_key(|l| {
        (
            std::cmp::Reverse(l.figures.resolution.p90_ms),
            l.key.clone(),
        )
    });
    services.truncate(n);
    services
}

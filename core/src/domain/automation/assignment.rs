//! Sharing a team's work out: round-robin (whoever was given work longest ago is next) or
//! load-balanced (whoever has the fewest open tickets), always skipping people marked away.
//!
//! Both are worked out from the tickets themselves, not from a counter, so a device that was
//! offline reaches a fair choice from what it knows.

use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Nobody is assigned automatically.
    #[default]
    Manual,
    RoundRobin,
    LoadBalanced,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Manual, Mode::RoundRobin, Mode::LoadBalanced];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Manual => "manual",
            Mode::RoundRobin => "round_robin",
            Mode::LoadBalanced => "load_balanced",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// How one team (a serving department) hands out its work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub department: String,
    pub mode: Mode,
}

/// Someone who could be given the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub email: String,
    pub away: bool,
    /// Open tickets assigned to them now.
    pub open: usize,
    /// When they were last given a ticket.
    pub last_assigned: Option<Timestamp>,
}

/// The person next in turn, or `None` when nobody is available (or the mode is manual).
pub fn pick(mode: Mode, candidates: &[Candidate]) -> Option<&Candidate> {
    let available = candidates.iter().filter(|c| !c.away);
    match mode {
        Mode::Manual => None,
        Mode::RoundRobin => {
            available.min_by(|a, b| (a.last_assigned, &a.email).cmp(&(b.last_assigned, &b.email)))
        }
        Mode::LoadBalanced => available.min_by(|a, b| {
            (a.open, a.last_assigned, &a.email).cmp(&(b.open, b.last_assigned, &b.email))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<Candidate> {
        [
            ("a", false, 3, Some(30)),
            ("b", true, 0, None),
            ("c", false, 1, Some(50)),
            ("d", false, 5, Some(10)),
        ]
        .into_iter()
        .map(|(email, away, open, last)| Candidate {
            email: email.into(),
            away,
            open,
            last_assigned: last.map(Timestamp),
        })
        .collect()
    }

    #[test]
    fn round_robin_takes_turns_and_skips_people_away() {
        let mut team = people();
        let mut order = Vec::new();
        for t in 100..106 {
            let next = pick(Mode::RoundRobin, &team).unwrap().email.clone();
            team.iter_mut()
                .find(|c| c.email == next)
                .unwrap()
                .last_assigned = Some(Timestamp(t));
            order.push(next);
        }
        assert_eq!(order, ["d", "a", "c", "d", "a", "c"], "b is away");
    }

    #[test]
    fn load_balanced_gives_to_the_least_loaded_present_person() {
        let mut team = people();
        assert_eq!(pick(Mode::LoadBalanced, &team).unwrap().email, "c");
        team[2].open = 4;
        assert_eq!(pick(Mode::LoadBalanced, &team).unwrap().email, "a");
        for c in &mut team {
            c.away = true;
        }
        assert_eq!(pick(Mode::LoadBalanced, &team), None);
        assert_eq!(pick(Mode::Manual, &people()), None);
    }
}

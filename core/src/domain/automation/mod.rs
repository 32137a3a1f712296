//! Automation: rules that act on tickets, approval chains, assignment within a team, canned
//! replies with variables, and the conversation's mentions and unread markers.
//!
//! All pure: what fires, who is next in turn, what a reply says. The store writes the outcome of
//! each firing under a key made of the rule and its triggering event (see [`rules::Firing::key`]),
//! so a firing two offline devices both made merges into one.

pub mod approval;
pub mod assignment;
pub mod conversation;
pub mod record;
pub mod rules;
pub mod template;

pub use approval::{Approval, ApprovalState, Approver, Chain, ChainError, Decision, PlannedStep};
pub use assignment::{pick, Candidate, Mode, Team};
pub use conversation::{mentions, Attention};
pub use record::{Effect, FiringRecord, Skip};
pub use rules::{
    check_rules, due_firings, Action, Condition, Context, Firing, Moment, Rule, RuleProblem, Test,
    Trigger,
};
pub use template::{check_template, render, Macro, TemplateError, Values};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything the organisation's automation document holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    /// By id, evaluated in order of their names.
    pub rules: BTreeMap<String, Rule>,
    pub chains: BTreeMap<String, Chain>,
    pub macros: BTreeMap<String, Macro>,
    /// How each team (a serving department) hands out its work, by department.
    pub teams: BTreeMap<String, Team>,
}

/// What the checks of a rule set, a chain or a macro need to know of the organisation.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Everyone in the directory, by email.
    pub people: std::collections::BTreeSet<String>,
    pub departments: std::collections::BTreeSet<String>,
    pub services: std::collections::BTreeSet<String>,
}

impl Automation {
    /// Rules in a stable order: by name, then id.
    pub fn ordered_rules(&self) -> Vec<&Rule> {
        let mut rules: Vec<&Rule> = self.rules.values().collect();
        rules.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        rules
    }

    /// Saves a rule when the whole rule set stays sound (no loop, nothing missing).
    pub fn put_rule(&mut self, rule: Rule, known: &Known) -> Result<(), Vec<RuleProblem>> {
        let mut next = self.rules.clone();
        next.insert(rule.id.clone(), rule.clone());
        let rules: Vec<&Rule> = next.values().collect();
        check_rules(&rules, known, self)?;
        self.rules = next;
        Ok(())
    }

    pub fn put_chain(&mut self, chain: Chain, known: &Known) -> Result<(), Vec<ChainError>> {
        chain.check(known)?;
        self.chains.insert(chain.id.clone(), chain);
        Ok(())
    }

    pub fn put_macro(&mut self, canned: Macro) -> Result<(), TemplateError> {
        let canned = canned.checked()?;
        self.macros.insert(canned.id.clone(), canned);
        Ok(())
    }

    /// Takes in what another automation document has and this one lacks.
    pub fn absorb(&mut self, other: Automation) {
        for (k, v) in other.rules {
            self.rules.entry(k).or_insert(v);
        }
        for (k, v) in other.chains {
            self.chains.entry(k).or_insert(v);
        }
        for (k, v) in other.macros {
            self.macros.entry(k).or_insert(v);
        }
        for (k, v) in other.teams {
            self.teams.entry(k).or_insert(v);
        }
    }
}

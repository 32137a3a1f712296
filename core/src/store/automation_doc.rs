//! The organisation's automation as one document (kind `automation`): rules, approval chains,
//! canned replies and how each team shares out work, each entry one JSON string under its id
//! (see `entries`). Admins write it; everyone reads it, so any device can run the rules.
//!
//! Who is away is kept in the staff workbench instead (staff mark themselves away; requesters
//! never need it): one root key per person, `away:<email>`.

use super::entries::{entries, sync_map};
use super::fields::{check_header, obj_at, write_header};
use super::StoreError;
use crate::domain::automation::{Automation, Chain, Macro, Rule, Team};
use automerge::{
    transaction::Transactable, AutoCommit, ObjType, ReadDoc, ScalarValueRef, ValueRef, ROOT,
};
use std::collections::BTreeSet;

pub const KIND: &str = "automation";
const SCHEMA: i64 = 1;
const MAPS: [&str; 4] = ["rules", "chains", "macros", "teams"];
const AWAY_PREFIX: &str = "away:";

pub fn create() -> Result<AutoCommit, StoreError> {
    let mut doc = AutoCommit::new();
    write_header(&mut doc, KIND, SCHEMA)?;
    for map in MAPS {
        doc.put_object(ROOT, map, ObjType::Map)?;
    }
    doc.commit();
    Ok(doc)
}

pub fn is_automation(doc: &impl ReadDoc) -> bool {
    check_header(doc, KIND, SCHEMA).is_ok()
}

/// The automation; entries that do not parse are skipped (and counted).
pub fn read_automation(doc: &impl ReadDoc) -> Result<(Automation, usize), StoreError> {
    check_header(doc, KIND, SCHEMA)?;
    let mut unreadable = 0;
    let mut automation = Automation::default();
    for rule in entries::<Rule>(doc, "rules", &mut unreadable)? {
        automation.rules.insert(rule.id.clone(), rule);
    }
    for chain in entries::<Chain>(doc, "chains", &mut unreadable)? {
        automation.chains.insert(chain.id.clone(), chain);
    }
    for canned in entries::<Macro>(doc, "macros", &mut unreadable)? {
        automation.macros.insert(canned.id.clone(), canned);
    }
    for team in entries::<Team>(doc, "teams", &mut unreadable)? {
        automation.teams.insert(team.department.clone(), team);
    }
    Ok((automation, unreadable))
}

/// Writes what differs between the stored automation and `wanted`, as one change.
pub fn save_automation(doc: &mut AutoCommit, wanted: &Automation) -> Result<(), StoreError> {
    let (current, _) = read_automation(doc)?;
    let map = obj_at(doc, &ROOT, "rules")?;
    sync_map(doc, &map, &current.rules, &wanted.rules, String::clone)?;
    let map = obj_at(doc, &ROOT, "chains")?;
    sync_map(doc, &map, &current.chains, &wanted.chains, String::clone)?;
    let map = obj_at(doc, &ROOT, "macros")?;
    sync_map(doc, &map, &current.macros, &wanted.macros, String::clone)?;
    let map = obj_at(doc, &ROOT, "teams")?;
    sync_map(doc, &map, &current.teams, &wanted.teams, String::clone)?;
    doc.commit();
    Ok(())
}

/// The people (by email) marked away, from the staff workbench.
pub fn away(workbench: &impl ReadDoc) -> BTreeSet<String> {
    workbench
        .map_range(&ROOT, AWAY_PREFIX.to_string()..)
        .take_while(|item| item.key.starts_with(AWAY_PREFIX))
        .filter(|item| matches!(item.value, ValueRef::Scalar(ScalarValueRef::Boolean(true))))
        .map(|item| item.key[AWAY_PREFIX.len()..].to_string())
        .collect()
}

/// Marks someone away (or back) in the staff workbench.
pub fn set_away(workbench: &mut AutoCommit, email: &str, away: bool) -> Result<(), StoreError> {
    workbench.put(ROOT, format!("{AWAY_PREFIX}{email}"), away)?;
    workbench.commit();
    Ok(())
}

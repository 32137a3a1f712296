//! The service catalog as one organisation document (kind `catalog`): services, SLA policies and
//! business calendars, each entry one JSON string under its id or name (see `entries`).

use super::entries::{entries, sync_map};
use super::fields::{check_header, obj_at, str_at, write_header};
use super::StoreError;
use crate::domain::catalog::{Catalog, Service};
use crate::domain::sla::{Calendar, Policy};
use automerge::{transaction::Transactable, AutoCommit, ObjType, ReadDoc, ROOT};

pub const KIND: &str = "catalog";
const SCHEMA: i64 = 1;
const MAPS: [&str; 3] = ["services", "policies", "calendars"];

pub fn create() -> Result<AutoCommit, StoreError> {
    let mut doc = AutoCommit::new();
    write_header(&mut doc, KIND, SCHEMA)?;
    for map in MAPS {
        doc.put_object(ROOT, map, ObjType::Map)?;
    }
    doc.commit();
    Ok(doc)
}

pub fn is_catalog(doc: &impl ReadDoc) -> bool {
    check_header(doc, KIND, SCHEMA).is_ok()
}

/// The catalog; entries that do not parse are skipped (and counted).
pub fn read_catalog(doc: &impl ReadDoc) -> Result<(Catalog, usize), StoreError> {
    check_header(doc, KIND, SCHEMA)?;
    let mut unreadable = 0;
    let mut catalog = Catalog {
        default_policy: str_at(doc, &ROOT, "default_policy").unwrap_or_default(),
        ..Catalog::default()
    };
    for service in entries::<Service>(doc, "services", &mut unreadable)? {
        catalog.services.insert(service.id.clone(), service);
    }
    for policy in entries::<Policy>(doc, "policies", &mut unreadable)? {
        catalog.policies.insert(policy.name.clone(), policy);
    }
    for calendar in entries::<Calendar>(doc, "calendars", &mut unreadable)? {
        catalog.calendars.insert(calendar.name.clone(), calendar);
    }
    Ok((catalog, unreadable))
}

/// Writes what differs between the stored catalog and `wanted`, as one change.
pub fn save_catalog(doc: &mut AutoCommit, wanted: &Catalog) -> Result<(), StoreError> {
    let (current, _) = read_catalog(doc)?;
    let services = obj_at(doc, &ROOT, "services")?;
    sync_map(
        doc,
        &services,
        &current.services,
        &wanted.services,
        String::clone,
    )?;
    let policies = obj_at(doc, &ROOT, "policies")?;
    sync_map(
        doc,
        &policies,
        &current.policies,
        &wanted.policies,
        String::clone,
    )?;
    let calendars = obj_at(doc, &ROOT, "calendars")?;
    sync_map(
        doc,
        &calendars,
        &current.calendars,
        &wanted.calendars,
        String::clone,
    )?;
    if current.default_policy != wanted.default_policy {
        doc.put(ROOT, "default_policy", wanted.default_policy.as_str())?;
    }
    doc.commit();
    Ok(())
}

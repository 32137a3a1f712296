//! Organisation documents keep each entry (a department, a person, a service, a policy…) as one
//! JSON string under its key: two admins editing different entries merge cleanly, and edits to the
//! same entry resolve last-writer-wins. Entries that do not parse are skipped and counted.

use super::fields::obj_at;
use super::StoreError;
use automerge::{
    transaction::Transactable, AutoCommit, ObjType, ReadDoc, ScalarValueRef, ValueRef, ROOT,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub(super) fn json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::Invalid("entry"))
}

pub(super) fn sync_map<K: Ord, V: PartialEq + Serialize>(
    doc: &mut AutoCommit,
    map: &automerge::ObjId,
    current: &std::collections::BTreeMap<K, V>,
    wanted: &std::collections::BTreeMap<K, V>,
    key: impl Fn(&K) -> String,
) -> Result<(), StoreError> {
    for (k, v) in wanted {
        if current.get(k) != Some(v) {
            doc.put(map, key(k), json(v)?)?;
        }
    }
    for k in current.keys().filter(|k| !wanted.contains_key(k)) {
        doc.delete(map, key(k))?;
    }
    Ok(())
}

/// The JSON entries of a map or list field.
pub(super) fn entries<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    field: &'static str,
    unreadable: &mut usize,
) -> Result<Vec<T>, StoreError> {
    let obj = obj_at(doc, &ROOT, field)?;
    let values: Vec<ValueRef<'_>> = match doc.object_type(&obj) {
        Ok(ObjType::List) => doc.list_range(&obj, ..).map(|item| item.value).collect(),
        _ => doc.map_range(&obj, ..).map(|item| item.value).collect(),
    };
    let mut out = Vec::new();
    for value in values {
        match value {
            ValueRef::Scalar(ScalarValueRef::Str(text)) => match serde_json::from_str(&text) {
                Ok(entry) => out.push(entry),
                Err(_) => *unreadable += 1,
            },
            _ => *unreadable += 1,
        }
    }
    Ok(out)
}

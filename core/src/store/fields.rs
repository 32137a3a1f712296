//! Typed reads and writes of document fields, shared by the document kinds.

use super::StoreError;
use automerge::{transaction::Transactable, ObjId, ObjType, ReadDoc, ScalarValue, Value};

pub(super) fn str_at(
    doc: &impl ReadDoc,
    obj: &ObjId,
    key: &'static str,
) -> Result<String, StoreError> {
    match doc.get(obj, key)? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(text) => Ok(text.to_string()),
            _ => Err(StoreError::Invalid(key)),
        },
        Some((Value::Object(ObjType::Text), id)) => Ok(doc.text(&id)?),
        Some(_) => Err(StoreError::Invalid(key)),
        None => Err(StoreError::Missing(key)),
    }
}

pub(super) fn int_at(
    doc: &impl ReadDoc,
    obj: &ObjId,
    key: &'static str,
) -> Result<i64, StoreError> {
    match doc.get(obj, key)? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Int(n) | ScalarValue::Timestamp(n) => Ok(*n),
            ScalarValue::Uint(n) => i64::try_from(*n).map_err(|_| StoreError::Invalid(key)),
            _ => Err(StoreError::Invalid(key)),
        },
        Some(_) => Err(StoreError::Invalid(key)),
        None => Err(StoreError::Missing(key)),
    }
}

pub(super) fn obj_at(
    doc: &impl ReadDoc,
    obj: &ObjId,
    key: &'static str,
) -> Result<ObjId, StoreError> {
    match doc.get(obj, key)? {
        Some((Value::Object(_), id)) => Ok(id),
        Some(_) => Err(StoreError::Invalid(key)),
        None => Err(StoreError::Missing(key)),
    }
}

/// Parses a stored enum name with the enum's own parser.
pub(super) fn parsed_at<T>(
    doc: &impl ReadDoc,
    obj: &ObjId,
    key: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(&str_at(doc, obj, key)?).ok_or(StoreError::Invalid(key))
}

/// Checks the `kind` and `schema` every document carries at its root.
pub(super) fn check_header(
    doc: &impl ReadDoc,
    expected: &'static str,
    schema: i64,
) -> Result<(), StoreError> {
    let root = automerge::ROOT;
    let found = str_at(doc, &root, "kind")?;
    if found != expected {
        return Err(StoreError::WrongKind { expected, found });
    }
    let version = int_at(doc, &root, "schema")?;
    if version > schema {
        return Err(StoreError::NewerSchema(version));
    }
    Ok(())
}

pub(super) fn write_header(
    doc: &mut impl Transactable,
    kind: &str,
    schema: i64,
) -> Result<(), StoreError> {
    doc.put(automerge::ROOT, "kind", kind)?;
    doc.put(automerge::ROOT, "schema", schema)?;
    Ok(())
}

/// Appends a new map to a list and returns it.
pub(super) fn push_map(doc: &mut impl Transactable, list: &ObjId) -> Result<ObjId, StoreError> {
    let len = doc.length(list);
    Ok(doc.insert_object(list, len, ObjType::Map)?)
}

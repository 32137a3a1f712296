//! The organisation's directory as one Automerge document (kind `directory`): every department and
//! every person is one JSON string under its id or email, so two admins editing different people
//! merge cleanly and edits to the same person resolve last-writer-wins; org changes are appended
//! to a list, so none is lost when admins work offline at the same time.

use super::entries::{entries, json, sync_map};
use super::fields::{check_header, obj_at, str_at, write_header};
use super::StoreError;
use crate::domain::classification::CustomerSettings;
use crate::domain::directory::{Department, Directory, Member, OrgChange};
use automerge::{transaction::Transactable, AutoCommit, ObjType, ReadDoc, ROOT};

pub const KIND: &str = "directory";
const SCHEMA: i64 = 1;

/// A new, empty directory.
pub fn create() -> Result<AutoCommit, StoreError> {
    let mut doc = AutoCommit::new();
    write_header(&mut doc, KIND, SCHEMA)?;
    doc.put_object(ROOT, "departments", ObjType::Map)?;
    doc.put_object(ROOT, "people", ObjType::Map)?;
    doc.put_object(ROOT, "history", ObjType::List)?;
    doc.commit();
    Ok(doc)
}

/// Whether a document is a directory this version can read.
pub fn is_directory(doc: &impl ReadDoc) -> bool {
    check_header(doc, KIND, SCHEMA).is_ok()
}

/// Reads a directory from any Automerge document of kind `directory` (the relay holds plain ones);
/// entries that do not parse are skipped (and counted).
pub fn read_directory(doc: &impl ReadDoc) -> Result<(Directory, usize), StoreError> {
    check_header(doc, KIND, SCHEMA)?;
    let mut directory = Directory::default();
    let mut unreadable = 0;
    for department in entries::<Department>(doc, "departments", &mut unreadable)? {
        directory
            .departments
            .insert(department.id.clone(), department);
    }
    for person in entries::<Member>(doc, "people", &mut unreadable)? {
        directory.people.insert(person.email.clone(), person);
    }
    directory.history = entries::<OrgChange>(doc, "history", &mut unreadable)?;
    Ok((directory, unreadable))
}

/// Writes what differs between the stored directory and `wanted`, as one change.
pub fn save_directory(doc: &mut AutoCommit, wanted: &Directory) -> Result<(), StoreError> {
    let (current, _) = read_directory(doc)?;
    let departments = obj_at(doc, &ROOT, "departments")?;
    sync_map(
        doc,
        &departments,
        &current.departments,
        &wanted.departments,
        |id| id.0.clone(),
    )?;
    let people = obj_at(doc, &ROOT, "people")?;
    sync_map(doc, &people, &current.people, &wanted.people, String::clone)?;
    let history = obj_at(doc, &ROOT, "history")?;
    for change in wanted.history.iter().skip(current.history.len()) {
        let at = doc.length(&history);
        doc.insert(&history, at, json(change)?)?;
    }
    doc.commit();
    Ok(())
}

/// The classification settings (weights and manual segments); defaults until an admin sets them.
pub fn customer_settings(doc: &impl ReadDoc) -> CustomerSettings {
    str_at(doc, &ROOT, "classification")
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

pub fn set_customer_settings(
    doc: &mut AutoCommit,
    settings: &CustomerSettings,
) -> Result<(), StoreError> {
    doc.put(ROOT, "classification", json(settings)?)?;
    doc.commit();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::directory::DepartmentId;
    use crate::domain::people_csv::preview_import;
    use crate::domain::Timestamp;

    fn imported() -> Directory {
        let file =
            "name,email,department\n张三,zs@example.cn,信息技术部\n李四,ls@example.cn,财务部\n";
        preview_import(file.as_bytes(), &Directory::default())
            .unwrap()
            .apply()
            .unwrap()
    }

    #[test]
    fn a_directory_round_trips_and_two_admins_merge() {
        let mut doc = create().unwrap();
        save_directory(&mut doc, &imported()).unwrap();
        let (read, unreadable) = read_directory(&doc).unwrap();
        assert_eq!((read.clone(), unreadable), (imported(), 0));

        // Two admins offline: one renames IT, the other moves 李四 into it.
        let mut a = doc.fork();
        let mut b = doc.fork();
        let it = DepartmentId("信息技术部".into());
        let mut renamed = read.clone();
        renamed.rename(&it, "IT 服务部", Timestamp(10)).unwrap();
        save_directory(&mut a, &renamed).unwrap();
        let mut moved = read.clone();
        moved
            .move_person("ls@example.cn", &it, Timestamp(11))
            .unwrap();
        save_directory(&mut b, &moved).unwrap();
        a.merge(&mut b).unwrap();

        let (merged, _) = read_directory(&a).unwrap();
        assert_eq!(merged.departments[&it].name, "IT 服务部");
        assert_eq!(merged.people["ls@example.cn"].department, it);
        assert_eq!(merged.history.len(), 2, "both org changes are kept");
    }
}

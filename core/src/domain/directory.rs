//! The organisation's directory: a department tree, the people in it (with their managers and
//! roles), and the history of organisational changes with the date each takes effect, so figures
//! and tickets keep pointing at the right department after a rename or a merge.
//!
//! Pure data and rules: no clock (dates are parameters), no storage.

use crate::access::Role;
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A department's stable id (its name may change; the id does not).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DepartmentId(pub String);

impl fmt::Display for DepartmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    pub parent: Option<DepartmentId>,
}

/// Someone in the directory. The email is what identifies a person across imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub email: String,
    pub name: String,
    pub department: DepartmentId,
    /// The email of their manager, if any.
    pub manager: Option<String>,
    pub role: Role,
    /// No longer signs in: the relay revokes their account. Kept in the directory (never
    /// deleted) so their tickets and figures still name them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deactivated: bool,
}

/// One organisational change, effective from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum OrgChange {
    Renamed {
        department: DepartmentId,
        from: String,
        to: String,
        effective: Timestamp,
    },
    /// `from` stops existing; its people, tickets and figures belong to `into` from `effective`.
    Merged {
        from: DepartmentId,
        into: DepartmentId,
        effective: Timestamp,
    },
    /// A new department `into` split off `from`; the people who moved are recorded as moves.
    Split {
        from: DepartmentId,
        into: DepartmentId,
        effective: Timestamp,
    },
    /// A person moves to another department.
    Moved {
        email: String,
        from: DepartmentId,
        to: DepartmentId,
        effective: Timestamp,
    },
}

/// What is wrong with a directory as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("{0} appears more than once")]
    DuplicateEmail(String),
    #[error("department {0} is inside itself (through {1})")]
    DepartmentCycle(DepartmentId, DepartmentId),
    #[error("{0}'s chain of managers comes back to them")]
    ManagerCycle(String),
    #[error("{0} belongs to an unknown department {1}")]
    UnknownDepartment(String, DepartmentId),
    #[error("{0}'s manager {1} is not in the directory")]
    UnknownManager(String, String),
}

/// Why an edit of the directory (add, rename, merge, split, move) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("a department cannot be merged into itself")]
    IntoItself,
    #[error("unknown department {0}")]
    Unknown(DepartmentId),
    #[error("a department needs a name")]
    EmptyName,
    #[error("a department named {0} already exists")]
    Exists(DepartmentId),
    #[error("nobody in the directory has the email {0}")]
    UnknownPerson(String),
}

/// Why a department cannot be deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteError {
    #[error("{0} open tickets are still served by this department; close or hand them over first")]
    OpenTickets(usize),
    #[error("{0} people still belong to this department; move them first")]
    People(usize),
    #[error("it still has sub-departments; move or delete them first")]
    Children,
    #[error("unknown department {0}")]
    Unknown(DepartmentId),
}

/// The whole directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub departments: BTreeMap<DepartmentId, Department>,
    /// By email, lower-cased.
    pub people: BTreeMap<String, Member>,
    pub history: Vec<OrgChange>,
}

impl Directory {
    /// Every problem, so an import or an edit can list them all at once.
    pub fn problems(&self) -> Vec<DirectoryError> {
        let mut problems = Vec::new();
        for department in self.departments.values() {
            if let Some(through) = self.cycle_above(&department.id) {
                problems.push(DirectoryError::DepartmentCycle(
                    department.id.clone(),
                    through,
                ));
            }
        }
        for person in self.people.values() {
            if !self.departments.contains_key(&person.department) {
                problems.push(DirectoryError::UnknownDepartment(
                    person.email.clone(),
                    person.department.clone(),
                ));
            }
            match &person.manager {
                Some(manager) if !self.people.contains_key(manager) => {
                    problems.push(DirectoryError::UnknownManager(
                        person.email.clone(),
                        manager.clone(),
                    ));
                }
                _ => {}
            }
            if self.manages_themselves(&person.email) {
                problems.push(DirectoryError::ManagerCycle(person.email.clone()));
            }
        }
        problems
    }

    /// The department a walk up the tree from `start` meets twice, if any.
    fn cycle_above(&self, start: &DepartmentId) -> Option<DepartmentId> {
        let mut seen = BTreeSet::new();
        let mut at = self.departments.get(start)?.parent.clone();
        while let Some(id) = at {
            if id == *start || !seen.insert(id.clone()) {
                return Some(id);
            }
            at = self.departments.get(&id).and_then(|d| d.parent.clone());
        }
        None
    }

    fn manages_themselves(&self, email: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut at = self.people.get(email).and_then(|p| p.manager.clone());
        while let Some(manager) = at {
            if manager == email {
                return true;
            }
            if !seen.insert(manager.clone()) {
                return false; // a cycle further up: reported for the people on it
            }
            at = self.people.get(&manager).and_then(|p| p.manager.clone());
        }
        false
    }

    /// The department that answers for `department` at `when`: merges effective by then are
    /// followed, so a ticket filed with a department that later merged reports under the merged one.
    pub fn department_at(&self, department: &DepartmentId, when: Timestamp) -> DepartmentId {
        let mut current = department.clone();
        // Each merge can move the answer once; more steps than changes would mean a loop.
        for _ in 0..=self.history.len() {
            let next = self.history.iter().find_map(|change| match change {
                OrgChange::Merged {
                    from,
                    into,
                    effective,
                } if *from == current && *effective <= when => Some(into.clone()),
                _ => None,
            });
            match next {
                Some(into) => current = into,
                None => break,
            }
        }
        current
    }

    /// The name a department had at `when` (renames effective later are not yet visible).
    pub fn name_at(&self, department: &DepartmentId, when: Timestamp) -> Option<String> {
        let now = self.departments.get(department)?.name.clone();
        // The earliest rename after `when` still had the name of that moment as its `from`.
        let next_rename = self
            .history
            .iter()
            .filter_map(|change| match change {
                OrgChange::Renamed {
                    department: d,
                    from,
                    effective,
                    ..
                } if d == department && *effective > when => Some((*effective, from.clone())),
                _ => None,
            })
            .min_by_key(|(effective, _)| *effective);
        Some(next_rename.map_or(now, |(_, from)| from))
    }

    pub fn rename(
        &mut self,
        department: &DepartmentId,
        to: &str,
        effective: Timestamp,
    ) -> Result<(), EditError> {
        let entry = self
            .departments
            .get_mut(department)
            .ok_or_else(|| EditError::Unknown(department.clone()))?;
        let from = std::mem::replace(&mut entry.name, to.trim().to_string());
        self.history.push(OrgChange::Renamed {
            department: department.clone(),
            from,
            to: to.trim().into(),
            effective,
        });
        Ok(())
    }

    /// Merges `from` into `into`: its people move, its sub-departments re-attach, and the change
    /// is kept so earlier tickets report under `into` from `effective` on.
    pub fn merge(
        &mut self,
        from: &DepartmentId,
        into: &DepartmentId,
        effective: Timestamp,
    ) -> Result<(), EditError> {
        if from == into {
            return Err(EditError::IntoItself);
        }
        for id in [from, into] {
            if !self.departments.contains_key(id) {
                return Err(EditError::Unknown(id.clone()));
            }
        }
        for person in self.people.values_mut().filter(|p| p.department == *from) {
            person.department = into.clone();
        }
        for department in self
            .departments
            .values_mut()
            .filter(|d| d.parent.as_ref() == Some(from))
        {
            department.parent = Some(into.clone());
        }
        self.departments.remove(from);
        self.history.push(OrgChange::Merged {
            from: from.clone(),
            into: into.clone(),
            effective,
        });
        Ok(())
    }

    /// Adds a department under `parent` (or at the top), its id taken from its name.
    pub fn add_department(
        &mut self,
        name: &str,
        parent: Option<&DepartmentId>,
    ) -> Result<DepartmentId, EditError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(EditError::EmptyName);
        }
        if let Some(same) = self.departments.values().find(|d| d.name == name) {
            return Err(EditError::Exists(same.id.clone()));
        }
        let id = self.free_id(name);
        if let Some(parent) = parent.filter(|p| !self.departments.contains_key(*p)) {
            return Err(EditError::Unknown(parent.clone()));
        }
        self.departments.insert(
            id.clone(),
            Department {
                id: id.clone(),
                name: name.into(),
                parent: parent.cloned(),
            },
        );
        Ok(id)
    }

    /// An id for a new department named `name`: the name itself, unless a renamed department
    /// still has it as its id (ids never change, so tickets keep pointing at the right place).
    pub fn free_id(&self, name: &str) -> DepartmentId {
        let mut id = DepartmentId(name.into());
        let mut n = 2;
        while self.departments.contains_key(&id) {
            id = DepartmentId(format!("{name} ({n})"));
            n += 1;
        }
        id
    }

    /// Splits a new department off `from` (beside it in the tree) and moves `people` into it.
    /// Tickets filed before stay with `from`; the new department serves what comes after.
    pub fn split(
        &mut self,
        from: &DepartmentId,
        name: &str,
        people: &[String],
        effective: Timestamp,
    ) -> Result<DepartmentId, EditError> {
        let parent = self
            .departments
            .get(from)
            .ok_or_else(|| EditError::Unknown(from.clone()))?
            .parent
            .clone();
        let id = self.add_department(name, parent.as_ref())?;
        self.history.push(OrgChange::Split {
            from: from.clone(),
            into: id.clone(),
            effective,
        });
        for email in people {
            if self
                .people
                .get(email)
                .is_some_and(|p| p.department == *from)
            {
                let _ = self.move_person(email, &id, effective);
            }
        }
        Ok(id)
    }

    /// Moves a person to another department, keeping the move in the history.
    pub fn move_person(
        &mut self,
        email: &str,
        to: &DepartmentId,
        effective: Timestamp,
    ) -> Result<(), EditError> {
        if !self.departments.contains_key(to) {
            return Err(EditError::Unknown(to.clone()));
        }
        let Some(person) = self.people.get_mut(email) else {
            return Ok(());
        };
        let from = std::mem::replace(&mut person.department, to.clone());
        self.history.push(OrgChange::Moved {
            email: email.into(),
            from,
            to: to.clone(),
            effective,
        });
        Ok(())
    }

    /// Gives a person another role: what they may read and do follows on every device.
    pub fn set_role(&mut self, email: &str, role: Role) -> Result<(), EditError> {
        self.person_mut(email)?.role = role;
        Ok(())
    }

    /// Deactivates a person (their account is revoked) or makes them active again (they sign in
    /// anew, with a new invitation).
    pub fn set_deactivated(&mut self, email: &str, deactivated: bool) -> Result<(), EditError> {
        self.person_mut(email)?.deactivated = deactivated;
        Ok(())
    }

    fn person_mut(&mut self, email: &str) -> Result<&mut Member, EditError> {
        self.people
            .get_mut(email)
            .ok_or_else(|| EditError::UnknownPerson(email.into()))
    }

    /// Takes in what another directory has and this one lacks (departments, people, org changes),
    /// keeping this one's version of anything both have.
    pub fn absorb(&mut self, other: Directory) {
        for (id, department) in other.departments {
            self.departments.entry(id).or_insert(department);
        }
        for (email, person) in other.people {
            self.people.entry(email).or_insert(person);
        }
        for change in other.history {
            if !self.history.contains(&change) {
                self.history.push(change);
            }
        }
    }

    /// Deletes an empty department; `open_tickets` is how many open tickets it still serves.
    pub fn delete(
        &mut self,
        department: &DepartmentId,
        open_tickets: usize,
    ) -> Result<(), DeleteError> {
        if !self.departments.contains_key(department) {
            return Err(DeleteError::Unknown(department.clone()));
        }
        if open_tickets > 0 {
            return Err(DeleteError::OpenTickets(open_tickets));
        }
        let people = self
            .people
            .values()
            .filter(|p| p.department == *department)
            .count();
        if people > 0 {
            return Err(DeleteError::People(people));
        }
        if self
            .departments
            .values()
            .any(|d| d.parent.as_ref() == Some(department))
        {
            return Err(DeleteError::Children);
        }
        self.departments.remove(department);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: &str, parent: Option<&str>) -> Department {
        Department {
            id: DepartmentId(id.into()),
            name: id.to_uppercase(),
            parent: parent.map(|p| DepartmentId(p.into())),
        }
    }

    fn member(email: &str, department: &str, manager: Option<&str>) -> Member {
        Member {
            email: email.into(),
            name: email.into(),
            department: DepartmentId(department.into()),
            manager: manager.map(str::to_string),
            role: Role::Requester,
            deactivated: false,
        }
    }

    fn directory() -> Directory {
        let mut d = Directory::default();
        for department in [
            dept("hq", None),
            dept("it", Some("hq")),
            dept("ops", Some("hq")),
            dept("helpdesk", Some("it")),
        ] {
            d.departments.insert(department.id.clone(), department);
        }
        for person in [
            member("ceo", "hq", None),
            member("li", "it", Some("ceo")),
            member("wang", "ops", Some("ceo")),
        ] {
            d.people.insert(person.email.clone(), person);
        }
        d
    }

    #[test]
    fn a_new_department_never_takes_the_id_of_a_renamed_one() {
        let mut directory = Directory::default();
        let it = directory.add_department("信息技术部", None).unwrap();
        directory.rename(&it, "IT 服务部", Timestamp(1)).unwrap();
        assert_eq!(
            directory.add_department("IT 服务部", None),
            Err(EditError::Exists(it.clone()))
        );
        let new = directory.add_department("信息技术部", None).unwrap();
        assert_ne!(new, it);
        assert_eq!(directory.departments[&it].name, "IT 服务部");
        assert_eq!(directory.departments[&new].name, "信息技术部");
    }

    #[test]
    fn a_sound_directory_has_no_problems() {
        assert_eq!(directory().problems(), vec![]);
    }

    #[test]
    fn cycles_unknown_departments_and_managers_are_each_reported() {
        let mut d = directory();
        d.departments
            .get_mut(&DepartmentId("hq".into()))
            .unwrap()
            .parent = Some(DepartmentId("helpdesk".into()));
        d.people.get_mut("ceo").unwrap().manager = Some("li".into());
        d.people
            .insert("zhao".into(), member("zhao", "finance", Some("nobody")));
        let problems = d.problems();
        assert!(problems.contains(&DirectoryError::DepartmentCycle(
            DepartmentId("hq".into()),
            DepartmentId("hq".into())
        )));
        assert!(problems.contains(&DirectoryError::ManagerCycle("ceo".into())));
        assert!(problems.contains(&DirectoryError::ManagerCycle("li".into())));
        assert!(problems.contains(&DirectoryError::UnknownDepartment(
            "zhao".into(),
            DepartmentId("finance".into())
        )));
        assert!(problems.contains(&DirectoryError::UnknownManager(
            "zhao".into(),
            "nobody".into()
        )));
    }

    #[test]
    fn a_ticket_filed_before_a_merge_reports_under_the_merged_department_after_it() {
        let mut d = directory();
        let (ops, it) = (DepartmentId("ops".into()), DepartmentId("it".into()));
        d.merge(&ops, &it, Timestamp(1_000)).unwrap();
        assert_eq!(
            d.department_at(&ops, Timestamp(999)),
            ops,
            "before the merge it was still ops"
        );
        assert_eq!(d.department_at(&ops, Timestamp(1_000)), it);
        assert_eq!(d.people["wang"].department, it, "its people moved");
        assert_eq!(
            d.merge(&it, &it, Timestamp(2_000)),
            Err(EditError::IntoItself)
        );
        assert_eq!(
            d.merge(&ops, &it, Timestamp(2_000)),
            Err(EditError::Unknown(ops))
        );
    }

    #[test]
    fn renames_keep_the_old_name_for_earlier_dates() {
        let mut d = directory();
        let it = DepartmentId("it".into());
        d.rename(&it, "信息技术部", Timestamp(5_000)).unwrap();
        assert_eq!(d.name_at(&it, Timestamp(4_999)).unwrap(), "IT");
        assert_eq!(d.name_at(&it, Timestamp(5_000)).unwrap(), "信息技术部");
    }

    #[test]
    fn a_department_with_open_tickets_people_or_children_is_not_deleted() {
        let mut d = directory();
        let (it, helpdesk) = (DepartmentId("it".into()), DepartmentId("helpdesk".into()));
        assert_eq!(d.delete(&helpdesk, 3), Err(DeleteError::OpenTickets(3)));
        assert_eq!(d.delete(&it, 0), Err(DeleteError::People(1)));
        d.move_person("li", &DepartmentId("hq".into()), Timestamp(1))
            .unwrap();
        assert_eq!(d.delete(&it, 0), Err(DeleteError::Children));
        d.delete(&helpdesk, 0).unwrap();
        d.delete(&it, 0).unwrap();
        assert!(matches!(d.history.last(), Some(OrgChange::Moved { .. })));
    }
}

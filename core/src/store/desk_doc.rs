//! The personal document of one desk: the local profile and the id of the ticket index it reads.

use super::fields::{check_header, obj_at, parsed_at, str_at, write_header};
use super::StoreError;
use crate::access::{PersonId, Role};
use crate::domain::{Account, DocumentId, Profile};
use automerge::{transaction::Transactable, AutoCommit, ObjType, ReadDoc, ROOT};

const KIND: &str = "desk";
const SCHEMA: i64 = 1;

/// The desk document.
#[derive(Debug, Clone)]
pub struct DeskDoc {
    doc: AutoCommit,
}

impl DeskDoc {
    /// A new desk, pointing at its (new, empty) ticket index.
    pub fn create(index: DocumentId) -> Result<Self, StoreError> {
        let mut doc = AutoCommit::new();
        write_header(&mut doc, KIND, SCHEMA)?;
        doc.put(ROOT, "ticket_index", index.to_string())?;
        doc.put_object(ROOT, "profile", ObjType::Map)?;
        Ok(Self { doc })
    }

    pub fn from_automerge(doc: AutoCommit) -> Result<Self, StoreError> {
        check_header(&doc, KIND, SCHEMA)?;
        Ok(Self { doc })
    }

    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub fn ticket_index(&self) -> Result<DocumentId, StoreError> {
        str_at(&self.doc, &ROOT, "ticket_index")?
            .parse()
            .map_err(|_| StoreError::Invalid("ticket_index"))
    }

    /// The profile, or `None` before the person has introduced themselves.
    pub fn profile(&self) -> Result<Option<Profile>, StoreError> {
        let profile = obj_at(&self.doc, &ROOT, "profile")?;
        if self.doc.length(&profile) == 0 {
            return Ok(None);
        }
        let account = match str_at(&self.doc, &profile, "person") {
            Ok(person) => Some(Account {
                person: PersonId(person),
                role: parsed_at(&self.doc, &profile, "role", Role::parse)?,
                email: str_at(&self.doc, &profile, "email")?,
            }),
            Err(StoreError::Missing(_)) => None,
            Err(other) => return Err(other),
        };
        Ok(Some(Profile {
            name: str_at(&self.doc, &profile, "name")?,
            department: str_at(&self.doc, &profile, "department")?,
            account,
        }))
    }

    pub fn set_profile(&mut self, p: &Profile) -> Result<(), StoreError> {
        let profile = obj_at(&self.doc, &ROOT, "profile")?;
        self.doc.put(&profile, "name", p.name.as_str())?;
        self.doc
            .put(&profile, "department", p.department.as_str())?;
        match &p.account {
            Some(account) => {
                self.doc
                    .put(&profile, "person", account.person.0.as_str())?;
                self.doc.put(&profile, "role", account.role.as_str())?;
                self.doc.put(&profile, "email", account.email.as_str())?;
            }
            None => {
                for key in ["person", "role", "email"] {
                    self.doc.delete(&profile, key)?;
                }
            }
        }
        self.doc.commit();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_round_trip() {
        let index = DocumentId::from_bytes([5; 16]);
        let mut desk = DeskDoc::create(index).unwrap();
        assert_eq!(desk.profile().unwrap(), None);
        let p = Profile::new("Ann Lee", "Finance").unwrap();
        desk.set_profile(&p).unwrap();
        let loaded =
            DeskDoc::from_automerge(AutoCommit::load(&desk.automerge_mut().save()).unwrap())
                .unwrap();
        assert_eq!(loaded.profile().unwrap(), Some(p));
        assert_eq!(loaded.ticket_index().unwrap(), index);
    }
}

//! The personal document of one desk: the local profile, the id of the ticket index it reads, and
//! what sync needs to remember across reloads: the relay's indexes this person reads, and the
//! outbox of documents changed here that the relay has not yet confirmed.

use super::fields::{check_header, obj_at, parsed_at, str_at, write_header};
use super::StoreError;
use crate::access::{PersonId, Role};
use crate::domain::{Account, DocumentId, Profile};
use automerge::{transaction::Transactable, AutoCommit, ObjId, ObjType, ReadDoc, ROOT};

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

    /// Documents changed on this device that the relay has not confirmed yet.
    pub fn outbox(&self) -> Vec<DocumentId> {
        self.ids_in("outbox")
    }

    /// Puts a document in the outbox or takes it out; true if that changed anything.
    pub fn set_in_outbox(&mut self, id: DocumentId, waiting: bool) -> Result<bool, StoreError> {
        let outbox = self.map("outbox")?;
        let key = id.to_string();
        match (waiting, self.doc.get(&outbox, &key)?.is_some()) {
            (true, false) => self.doc.put(&outbox, key, true)?,
            (false, true) => self.doc.delete(&outbox, key)?,
            _ => return Ok(false),
        }
        self.doc.commit();
        Ok(true)
    }

    /// The relay's index documents that list the tickets this person may read.
    pub fn relay_indexes(&self) -> Vec<DocumentId> {
        self.ids_in("relay_indexes")
    }

    pub fn set_relay_indexes(&mut self, ids: &[DocumentId]) -> Result<(), StoreError> {
        self.set_ids("relay_indexes", ids)
    }

    /// The organisation-wide documents the relay named (directory, catalog…).
    pub fn organisation(&self) -> Vec<DocumentId> {
        self.ids_in("organisation")
    }

    pub fn set_organisation(&mut self, ids: &[DocumentId]) -> Result<(), StoreError> {
        self.set_ids("organisation", ids)
    }

    /// This person's own survey responses made on this device.
    pub fn responses(&self) -> Vec<DocumentId> {
        self.ids_in("responses")
    }

    pub fn add_response(&mut self, id: DocumentId) -> Result<(), StoreError> {
        let map = self.map("responses")?;
        self.doc.put(&map, id.to_string(), true)?;
        self.doc.commit();
        Ok(())
    }

    /// The knowledge-base articles this desk holds (written here or announced by the relay).
    pub fn articles(&self) -> Vec<DocumentId> {
        self.ids_in("articles")
    }

    pub fn add_article(&mut self, id: DocumentId) -> Result<(), StoreError> {
        let map = self.map("articles")?;
        self.doc.put(&map, id.to_string(), true)?;
        self.doc.commit();
        Ok(())
    }

    /// The organisation document of a kind (`directory`, `catalog`) this desk reads and edits,
    /// once there is one.
    pub fn chosen(&self, kind: &'static str) -> Option<DocumentId> {
        str_at(&self.doc, &ROOT, kind).ok()?.parse().ok()
    }

    pub fn set_chosen(&mut self, kind: &str, id: DocumentId) -> Result<(), StoreError> {
        self.doc.put(ROOT, kind, id.to_string())?;
        self.doc.commit();
        Ok(())
    }

    /// Replaces a map of document ids, unless it already holds exactly `ids`.
    fn set_ids(&mut self, key: &'static str, ids: &[DocumentId]) -> Result<(), StoreError> {
        let mut wanted = ids.to_vec();
        wanted.sort();
        let mut current = self.ids_in(key);
        current.sort();
        if current == wanted {
            return Ok(());
        }
        let map = self.doc.put_object(ROOT, key, ObjType::Map)?;
        for id in ids {
            self.doc.put(&map, id.to_string(), true)?;
        }
        self.doc.commit();
        Ok(())
    }

    /// The keys of a map of document ids (absent in desks made before sync existed).
    fn ids_in(&self, key: &'static str) -> Vec<DocumentId> {
        let Ok(map) = obj_at(&self.doc, &ROOT, key) else {
            return Vec::new();
        };
        self.doc.keys(&map).filter_map(|k| k.parse().ok()).collect()
    }

    fn map(&mut self, key: &'static str) -> Result<ObjId, StoreError> {
        match obj_at(&self.doc, &ROOT, key) {
            Ok(map) => Ok(map),
            Err(StoreError::Missing(_)) => Ok(self.doc.put_object(ROOT, key, ObjType::Map)?),
            Err(other) => Err(other),
        }
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

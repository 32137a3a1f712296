//! The people who may sign in, kept in `people.json` in the data folder. Only SHA-256 hashes of
//! sign-in tokens are stored; the token itself is shown once, when it is issued.
//!
//! The admin subcommands edit the file while the relay runs; the relay rereads it within a second
//! of a change and cuts the open connections of anyone whose sign-in, role or department changed.

use innerdesk_core::access::{PersonId, Role, Viewer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub email: String,
    pub department: String,
    pub role: Role,
    /// SHA-256 (hex) of every token that is still valid.
    #[serde(default)]
    pub token_hashes: Vec<String>,
}

impl Person {
    pub fn viewer(&self) -> Viewer {
        Viewer {
            id: self.id.clone(),
            department: self.department.clone(),
            role: self.role,
        }
    }

    pub fn may_sign_in(&self) -> bool {
        !self.token_hashes.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is damaged: {source}")]
    Damaged {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("nobody has the email or id {0:?}")]
    Unknown(String),
    #[error("{0:?} is already in use by someone else")]
    EmailTaken(String),
    #[error("unknown role {0:?}: use requester, agent, lead or admin")]
    BadRole(String),
    #[error("{0} is required")]
    Missing(&'static str),
}

/// Everyone, as stored in the data folder.
#[derive(Debug, Default)]
pub struct PeopleBook {
    path: PathBuf,
    people: Vec<Person>,
    /// Position of each person in `people`: the relay looks people up on every message.
    by_id: HashMap<PersonId, usize>,
    /// When the file was last read, to notice edits by the admin subcommands.
    read_at: Option<(SystemTime, u64)>,
}

impl PeopleBook {
    pub fn open(data_dir: &Path) -> Result<Self, PeopleError> {
        let mut book = Self {
            path: data_dir.join("people.json"),
            ..Self::default()
        };
        book.reload()?;
        Ok(book)
    }

    /// Rereads the file if it changed since it was last read; true if it did.
    pub fn refresh(&mut self) -> Result<bool, PeopleError> {
        if modified(&self.path) == self.read_at {
            return Ok(false);
        }
        self.reload()?;
        Ok(true)
    }

    fn reload(&mut self) -> Result<(), PeopleError> {
        let read_at = modified(&self.path);
        self.people = match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| PeopleError::Damaged {
                path: self.path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(PeopleError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        self.read_at = read_at;
        self.index();
        Ok(())
    }

    fn index(&mut self) {
        self.by_id = self
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
    }

    /// Writes the whole file through a temporary one, so a crash never leaves half a file.
    fn save(&mut self) -> Result<(), PeopleError> {
        let io = |source| PeopleError::Io {
            path: self.path.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(&self.people).expect("people serialise");
        let temporary = self.path.with_extension("json.new");
        std::fs::write(&temporary, json).map_err(io)?;
        std::fs::rename(&temporary, &self.path).map_err(io)?;
        self.read_at = modified(&self.path);
        Ok(())
    }

    pub fn everyone(&self) -> &[Person] {
        &self.people
    }

    /// Adds a person and returns their first sign-in token.
    pub fn add(
        &mut self,
        name: &str,
        email: &str,
        department: &str,
        role: &str,
    ) -> Result<(Person, String), PeopleError> {
        let role = Role::parse(role).ok_or_else(|| PeopleError::BadRole(role.into()))?;
        let (name, email, department) =
            (name.trim(), email.trim().to_lowercase(), department.trim());
        for (value, what) in [
            (name, "a name"),
            (email.as_str(), "an email"),
            (department, "a department"),
        ] {
            if value.is_empty() {
                return Err(PeopleError::Missing(what));
            }
        }
        if self.people.iter().any(|p| p.email == email) {
            return Err(PeopleError::EmailTaken(email));
        }
        let person = Person {
            id: PersonId(format!("p{}", hex(&random_bytes::<6>()))),
            name: name.into(),
            email,
            department: department.into(),
            role,
            token_hashes: Vec::new(),
        };
        self.people.push(person.clone());
        self.index();
        let token = self.issue_token(&person.id.0)?;
        Ok((person, token))
    }

    /// A new token for the person with this email or id.
    pub fn issue_token(&mut self, who: &str) -> Result<String, PeopleError> {
        let token = format!("idk_{}", bs58::encode(random_bytes::<24>()).into_string());
        self.find_mut(who)?.token_hashes.push(token_hash(&token));
        self.save()?;
        Ok(token)
    }

    /// Moves a person to another department or role (or both).
    pub fn change(
        &mut self,
        who: &str,
        department: Option<&str>,
        role: Option<&str>,
    ) -> Result<Person, PeopleError> {
        let role = role
            .map(|r| Role::parse(r).ok_or_else(|| PeopleError::BadRole(r.into())))
            .transpose()?;
        let department = department.map(str::trim);
        if department.is_some_and(str::is_empty) {
            return Err(PeopleError::Missing("a department"));
        }
        let person = self.find_mut(who)?;
        if let Some(department) = department {
            person.department = department.into();
        }
        if let Some(role) = role {
            person.role = role;
        }
        let person = person.clone();
        self.save()?;
        Ok(person)
    }

    pub fn revoke(&mut self, who: &str) -> Result<Person, PeopleError> {
        let person = self.find_mut(who)?;
        person.token_hashes.clear();
        let person = person.clone();
        self.save()?;
        Ok(person)
    }

    /// The person a token belongs to, if it is valid.
    pub fn authenticate(&self, token: &str) -> Option<&Person> {
        let hashed = token_hash(token);
        self.people
            .iter()
            .find(|p| p.token_hashes.contains(&hashed))
    }

    pub fn get(&self, id: &PersonId) -> Option<&Person> {
        self.by_id.get(id).map(|&i| &self.people[i])
    }

    /// The person with this email (emails are kept lower-case).
    pub fn with_email(&self, email: &str) -> Option<&Person> {
        let email = email.trim().to_lowercase();
        self.people.iter().find(|p| p.email == email)
    }

    fn find_mut(&mut self, who: &str) -> Result<&mut Person, PeopleError> {
        let key = who.trim().to_lowercase();
        self.people
            .iter_mut()
            .find(|p| p.email == key || p.id.0 == who.trim())
            .ok_or_else(|| PeopleError::Unknown(who.into()))
    }
}

/// The file's version: every save renames a new file into place, so the inode changes even when
/// the clock is too coarse to tell two writes apart.
fn modified(path: &Path) -> Option<(SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.ino()))
}

/// What the file keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        crate::empty_test_dir(&format!("people-{name}"))
    }

    #[test]
    fn a_token_signs_in_until_it_is_revoked_and_only_its_hash_is_stored() {
        let dir = temp_dir("revoke");
        let mut book = PeopleBook::open(&dir).unwrap();
        let (wang, token) = book
            .add("王芳", "Wang.Fang@example.cn", "财务部", "requester")
            .unwrap();
        assert_eq!(wang.email, "wang.fang@example.cn");
        assert_eq!(book.authenticate(&token).unwrap().id, wang.id);
        assert!(book.authenticate("idk_forged").is_none());
        let stored = std::fs::read_to_string(dir.join("people.json")).unwrap();
        assert!(!stored.contains(&token), "the token itself is never stored");

        // Another process (the admin subcommand) revokes; this book notices on refresh.
        let mut admin = PeopleBook::open(&dir).unwrap();
        admin.revoke("wang.fang@example.cn").unwrap();
        book.refresh().unwrap();
        assert!(book.authenticate(&token).is_none());
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        let mut book = PeopleBook::open(&temp_dir("bad")).unwrap();
        book.add("Li Lei", "li@example.cn", "IT", "agent").unwrap();
        assert!(matches!(
            book.add("Li", "LI@example.cn", "IT", "agent"),
            Err(PeopleError::EmailTaken(_))
        ));
        assert!(matches!(
            book.add("Li", "x@example.cn", "IT", "boss"),
            Err(PeopleError::BadRole(_))
        ));
        assert!(matches!(
            book.add(" ", "y@example.cn", "IT", "agent"),
            Err(PeopleError::Missing(_))
        ));
        assert!(matches!(
            book.revoke("nobody"),
            Err(PeopleError::Unknown(_))
        ));
    }
}

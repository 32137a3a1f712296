//! The people who may sign in, kept in `people.json` in the data folder. Only SHA-256 hashes of
//! secrets are stored; a secret itself is shown once, when it is issued.
//!
//! Two kinds of secret: a person's sign-in link token (`idk_…`), valid until revoked, which only
//! enrols devices; and each device's own credential (`idd_…`), which the page keeps and signs in
//! with. A device credential lapses after a spell unused and can be revoked alone.
//!
//! The admin subcommands and the relay both edit the file: every edit rereads it under a lock
//! file, so neither undoes the other's. The relay rereads it within a second of a change and cuts
//! the open connections of anyone whose sign-in, role or department changed.

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
    /// SHA-256 (hex) of every sign-in link token that is still valid.
    #[serde(default)]
    pub token_hashes: Vec<String>,
    /// The devices signed in with one of those links.
    #[serde(default)]
    pub devices: Vec<Device>,
}

/// A browser (or other client) that enrolled with a sign-in link and holds its own credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The name the device gave itself (a random id the page keeps).
    pub id: String,
    /// What it is, as its browser says: "Chrome on Windows".
    pub label: String,
    pub credential_hash: String,
    /// Unix seconds.
    pub enrolled_at: i64,
    /// Unix seconds; kept to the hour (see [`PeopleBook::touch`]).
    pub last_used_at: i64,
}

/// The secret a request signed in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// What `people.json` keeps of it.
    pub hash: String,
    /// The device it belongs to; `None` for a sign-in link token.
    pub device: Option<String>,
}

/// How stale a device's last use may be on disk: one write an hour at most per device.
const LAST_USE_GRANULARITY_SECONDS: i64 = 3_600;

impl Person {
    pub fn viewer(&self) -> Viewer {
        Viewer {
            id: self.id.clone(),
            department: self.department.clone(),
            role: self.role,
        }
    }

    pub fn may_sign_in(&self) -> bool {
        !self.token_hashes.is_empty() || !self.devices.is_empty()
    }

    /// Whether a secret with this hash still signs this person in (lapse aside).
    pub fn holds(&self, hash: &str) -> bool {
        self.token_hashes.iter().any(|h| h == hash)
            || self.devices.iter().any(|d| d.credential_hash == hash)
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
    #[error("{0} has no device {1:?}")]
    UnknownDevice(String, String),
}

/// Everyone, as stored in the data folder.
#[derive(Debug, Default)]
pub struct PeopleBook {
    path: PathBuf,
    people: Vec<Person>,
    /// Position of each person in `people`: the relay looks people up on every message.
    by_id: HashMap<PersonId, usize>,
    /// The person and (for a device credential) the device each secret's hash belongs to.
    by_credential: HashMap<String, (usize, Option<usize>)>,
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
        self.by_credential.clear();
        for (i, person) in self.people.iter().enumerate() {
            for hash in &person.token_hashes {
                self.by_credential.insert(hash.clone(), (i, None));
            }
            for (d, device) in person.devices.iter().enumerate() {
                self.by_credential
                    .insert(device.credential_hash.clone(), (i, Some(d)));
            }
        }
    }

    /// Changes the file: rereads it under the lock, applies `f`, writes it back, so edits by the
    /// relay and by an admin subcommand at the same moment both stay.
    fn edit<T>(
        &mut self,
        f: impl FnOnce(&mut Vec<Person>) -> Result<T, PeopleError>,
    ) -> Result<T, PeopleError> {
        let path = self.path.clone();
        let io = |source| PeopleError::Io {
            path: path.clone(),
            source,
        };
        let _lock = FileLock::take(&self.path.with_extension("lock")).map_err(io)?;
        self.refresh()?;
        let result = f(&mut self.people);
        self.index();
        let value = match result {
            Ok(value) => value,
            Err(e) => {
                // Nothing is written; what `f` may have half changed is read again.
                self.read_at = None;
                return Err(e);
            }
        };
        let json = serde_json::to_vec_pretty(&self.people).expect("people serialise");
        let temporary = self.path.with_extension("json.new");
        std::fs::write(&temporary, json).map_err(io)?;
        std::fs::rename(&temporary, &self.path).map_err(io)?;
        self.read_at = modified(&self.path);
        Ok(value)
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
        let token = new_secret("idk");
        let person = Person {
            id: PersonId(format!("p{}", hex(&random_bytes::<6>()))),
            name: name.into(),
            email,
            department: department.into(),
            role,
            token_hashes: vec![token_hash(&token)],
            devices: Vec::new(),
        };
        self.edit(|people| {
            if people.iter().any(|p| p.email == person.email) {
                return Err(PeopleError::EmailTaken(person.email.clone()));
            }
            people.push(person.clone());
            Ok(())
        })?;
        Ok((person, token))
    }

    /// A new sign-in link token for the person with this email or id.
    pub fn issue_token(&mut self, who: &str) -> Result<String, PeopleError> {
        let token = new_secret("idk");
        self.edit(|people| {
            find(people, who)?.token_hashes.push(token_hash(&token));
            Ok(())
        })?;
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
        self.edit(|people| {
            let person = find(people, who)?;
            if let Some(department) = department {
                person.department = department.into();
            }
            if let Some(role) = role {
                person.role = role;
            }
            Ok(person.clone())
        })
    }

    /// Revokes every sign-in link and every device of a person.
    pub fn revoke(&mut self, who: &str) -> Result<Person, PeopleError> {
        self.edit(|people| {
            let person = find(people, who)?;
            person.token_hashes.clear();
            person.devices.clear();
            Ok(person.clone())
        })
    }

    /// Gives a device of this person its own credential (replacing one it had) and returns it.
    pub fn enrol(
        &mut self,
        person: &PersonId,
        device: &str,
        label: &str,
        now: i64,
    ) -> Result<String, PeopleError> {
        let credential = new_secret("idd");
        let enrolled = Device {
            id: device.into(),
            label: label.into(),
            credential_hash: token_hash(&credential),
            enrolled_at: now,
            last_used_at: now,
        };
        self.edit(|people| {
            let person = find(people, &person.0)?;
            person.devices.retain(|d| d.id != enrolled.id);
            person.devices.push(enrolled);
            Ok(())
        })?;
        Ok(credential)
    }

    /// Revokes one device of a person; their other devices stay signed in.
    pub fn revoke_device(&mut self, who: &str, device: &str) -> Result<Device, PeopleError> {
        self.edit(|people| {
            let person = find(people, who)?;
            let at = person
                .devices
                .iter()
                .position(|d| d.id == device)
                .ok_or_else(|| PeopleError::UnknownDevice(person.email.clone(), device.into()))?;
            Ok(person.devices.remove(at))
        })
    }

    /// Records that these credentials were used now. The file is written only when one's
    /// recorded use is over an hour old, so a busy relay writes it rarely.
    pub fn touch(&mut self, hashes: &[String], now: i64) -> Result<(), PeopleError> {
        let stale = |book: &Self, hash: &String| {
            book.device_of(hash)
                .is_some_and(|d| now - d.last_used_at >= LAST_USE_GRANULARITY_SECONDS)
        };
        if !hashes.iter().any(|h| stale(self, h)) {
            return Ok(());
        }
        self.edit(|people| {
            for device in people.iter_mut().flat_map(|p| p.devices.iter_mut()) {
                if hashes.contains(&device.credential_hash) {
                    device.last_used_at = device.last_used_at.max(now);
                }
            }
            Ok(())
        })
    }

    /// Forgets devices unused for longer than `idle_seconds`: their credentials no longer sign in.
    pub fn forget_idle_devices(&mut self, idle_seconds: i64, now: i64) -> Result<(), PeopleError> {
        let lapsed = |d: &Device| now - d.last_used_at > idle_seconds;
        if !self.people.iter().flat_map(|p| &p.devices).any(lapsed) {
            return Ok(());
        }
        self.edit(|people| {
            for person in people.iter_mut() {
                person.devices.retain(|d| !lapsed(d));
            }
            Ok(())
        })
    }

    fn device_of(&self, hash: &str) -> Option<&Device> {
        let &(person, device) = self.by_credential.get(hash)?;
        self.people[person].devices.get(device?)
    }

    /// The person a secret signs in, and which secret it is. A device credential unused for
    /// longer than `idle_seconds` has lapsed.
    pub fn authenticate(
        &self,
        secret: &str,
        idle_seconds: i64,
        now: i64,
    ) -> Option<(&Person, Credential)> {
        let hash = token_hash(secret);
        let &(person, device) = self.by_credential.get(&hash)?;
        let person = &self.people[person];
        let device = match device {
            None => None,
            Some(d) => {
                let device = &person.devices[d];
                if now - device.last_used_at > idle_seconds {
                    return None;
                }
                Some(device.id.clone())
            }
        };
        Some((person, Credential { hash, device }))
    }

    pub fn get(&self, id: &PersonId) -> Option<&Person> {
        self.by_id.get(id).map(|&i| &self.people[i])
    }

    /// The person with this email (emails are kept lower-case).
    pub fn with_email(&self, email: &str) -> Option<&Person> {
        let email = email.trim().to_lowercase();
        self.people.iter().find(|p| p.email == email)
    }

    /// The person with this email or id.
    pub fn find(&self, who: &str) -> Option<&Person> {
        let key = who.trim().to_lowercase();
        self.people
            .iter()
            .find(|p| p.email == key || p.id.0 == who.trim())
    }
}

fn find<'a>(people: &'a mut [Person], who: &str) -> Result<&'a mut Person, PeopleError> {
    let key = who.trim().to_lowercase();
    people
        .iter_mut()
        .find(|p| p.email == key || p.id.0 == who.trim())
        .ok_or_else(|| PeopleError::Unknown(who.into()))
}

/// An exclusive `flock(2)` on a file beside `people.json`, held until dropped (closing the
/// file releases it).
struct FileLock {
    _held: std::fs::File,
}

impl FileLock {
    fn take(path: &Path) -> std::io::Result<Self> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        // SAFETY: flock only reads the descriptor, which `file` keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Self { _held: file })
    }
}

/// A new secret: a prefix that says what it is, and 24 random bytes.
fn new_secret(kind: &str) -> String {
    format!(
        "{kind}_{}",
        bs58::encode(random_bytes::<24>()).into_string()
    )
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
        let signed_in = book.authenticate(&token, IDLE, NOW).unwrap();
        assert_eq!(signed_in.0.id, wang.id);
        assert_eq!(signed_in.1.device, None, "a link token, not a device");
        assert!(book.authenticate("idk_forged", IDLE, NOW).is_none());
        let stored = std::fs::read_to_string(dir.join("people.json")).unwrap();
        assert!(!stored.contains(&token), "the token itself is never stored");

        // Another process (the admin subcommand) revokes; this book notices on refresh.
        let mut admin = PeopleBook::open(&dir).unwrap();
        admin.revoke("wang.fang@example.cn").unwrap();
        book.refresh().unwrap();
        assert!(book.authenticate(&token, IDLE, NOW).is_none());
    }

    const NOW: i64 = 1_800_000_000;
    const IDLE: i64 = 90 * 86_400;

    #[test]
    fn each_device_has_its_own_credential_that_lapses_unused_and_is_revoked_alone() {
        let dir = temp_dir("devices");
        let mut book = PeopleBook::open(&dir).unwrap();
        let (li, link) = book.add("李雷", "li@example.cn", "IT", "agent").unwrap();
        let laptop = book
            .enrol(&li.id, "laptop", "Firefox on Linux", NOW)
            .unwrap();
        let phone = book
            .enrol(&li.id, "phone", "Safari on iPhone", NOW)
            .unwrap();
        let (_, on_laptop) = book.authenticate(&laptop, IDLE, NOW).unwrap();
        assert_eq!(on_laptop.device.as_deref(), Some("laptop"));
        let stored = std::fs::read_to_string(dir.join("people.json")).unwrap();
        assert!(!stored.contains(&laptop) && !stored.contains(&phone));

        // Unused past the limit: lapsed. A use within it keeps it alive (recorded to the hour).
        assert!(book.authenticate(&phone, IDLE, NOW + IDLE + 1).is_none());
        book.touch(&[token_hash(&phone)], NOW + IDLE - 10).unwrap();
        assert!(book.authenticate(&phone, IDLE, NOW + IDLE + 1).is_some());
        book.forget_idle_devices(IDLE, NOW + IDLE + 1).unwrap();
        assert!(book.authenticate(&laptop, IDLE, NOW + IDLE + 1).is_none());
        assert_eq!(
            book.get(&li.id).unwrap().devices.len(),
            1,
            "the laptop is forgotten"
        );

        // Revoking the phone leaves the link (which enrols devices) and nothing else.
        book.revoke_device("li@example.cn", "phone").unwrap();
        assert!(book.authenticate(&phone, IDLE, NOW).is_none());
        assert!(book.authenticate(&link, IDLE, NOW).is_some());
        assert!(matches!(
            book.revoke_device("li@example.cn", "phone"),
            Err(PeopleError::UnknownDevice(..))
        ));
    }

    #[test]
    fn edits_from_two_processes_both_stay() {
        let dir = temp_dir("two-writers");
        let mut relay = PeopleBook::open(&dir).unwrap();
        let (li, _) = relay.add("李雷", "li@example.cn", "IT", "agent").unwrap();
        // The admin command adds someone the relay has not read yet; the relay then enrols.
        let mut admin = PeopleBook::open(&dir).unwrap();
        admin
            .add("王芳", "wang@example.cn", "财务部", "requester")
            .unwrap();
        relay
            .enrol(&li.id, "laptop", "Edge on Windows", NOW)
            .unwrap();
        let on_disk = PeopleBook::open(&dir).unwrap();
        assert_eq!(
            on_disk.everyone().len(),
            2,
            "the relay's write kept the admin's"
        );
        assert_eq!(on_disk.get(&li.id).unwrap().devices.len(), 1);
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

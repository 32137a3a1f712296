//! The people who may sign in, kept in `people.json` in the data folder. Only SHA-256 hashes of
//! secrets are stored; a secret itself is shown once, when it is issued.
//!
//! Three kinds of secret:
//! - an invitation (`idk_…`, in a sign-in link an administrator hands out): it enrols one device,
//!   once, before it expires, and a newer one replaces it;
//! - a key (`idk_…` too, from `people add` or `people token`): for scripts and other clients, it
//!   signs in and enrols devices until revoked;
//! - each device's own credential (`idd_…`), which the page keeps and signs in with. It lapses
//!   after a spell unused and can be revoked alone.
//!
//! The organisation's directory is where administrators set roles and deactivate people: the
//! relay follows it ([`PeopleBook::follow_directory`]), the shell commands stay for scripting and
//! recovery.
//!
//! The admin subcommands and the relay both edit the file: every edit rereads it under a lock
//! file, so neither undoes the other's. The relay rereads it within a second of a change and cuts
//! the open connections of anyone whose sign-in, role or department changed.

use innerdesk_core::access::{PersonId, Role, Viewer};
use innerdesk_core::domain::directory::{Directory, Member};
use innerdesk_core::sync::SpentLink;
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
    /// SHA-256 (hex) of every key that is still valid.
    #[serde(default)]
    pub token_hashes: Vec<String>,
    /// The devices signed in with a key or an invitation.
    #[serde(default)]
    pub devices: Vec<Device>,
    /// The latest invitations, open or spent (a spent one is kept to say why it no longer works).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitations: Vec<InvitationRecord>,
    /// What the directory said of this person when the relay last followed it; `None` while it
    /// has not listed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<Listed>,
}

/// One sign-in link handed out by an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRecord {
    pub hash: String,
    /// Unix seconds.
    pub issued_at: i64,
    pub expires_at: i64,
    /// Why it no longer works, once used, replaced or revoked (expiry is read off the clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<SpentLink>,
}

/// A person as the directory lists them, for the fields the relay follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub name: String,
    pub department: String,
    pub role: Role,
    pub deactivated: bool,
}

impl Listed {
    fn of(member: &Member) -> Self {
        Self {
            name: member.name.clone(),
            department: member.department.0.clone(),
            role: member.role,
            deactivated: member.deactivated,
        }
    }
}

/// How many spent invitations a person keeps, to explain a link opened again.
const SPENT_INVITATIONS_KEPT: usize = 3;

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
    /// The device it belongs to; `None` for a key or an invitation.
    pub device: Option<String>,
    /// An invitation: it only enrols a device, never signs in for anything else.
    pub invitation: bool,
}

/// Which secret of a person a hash is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secret {
    Key,
    Invitation(usize),
    Device(usize),
}

/// What the run command's first administrator needs.
#[derive(Debug)]
pub enum FirstAdmin {
    /// An invitation for the administrator, created now or not yet used.
    Invited {
        person: Person,
        token: String,
        expires_at: i64,
    },
    /// An administrator has signed in on a device already: no new link is made.
    SignedIn(Person),
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
        !self.deactivated() && (!self.token_hashes.is_empty() || !self.devices.is_empty())
    }

    /// Whether the directory deactivated this person.
    pub fn deactivated(&self) -> bool {
        self.listed.as_ref().is_some_and(|l| l.deactivated)
    }

    /// Whether a key or device credential with this hash still signs this person in (lapse
    /// aside). Invitations do not count: they only enrol.
    pub fn holds(&self, hash: &str) -> bool {
        self.token_hashes.iter().any(|h| h == hash)
            || self.devices.iter().any(|d| d.credential_hash == hash)
    }

    /// The invitation still waiting to be used, if any.
    pub fn pending_invitation(&self, now: i64) -> Option<&InvitationRecord> {
        self.invitations
            .iter()
            .find(|i| i.ended.is_none() && now < i.expires_at)
    }

    /// Ends every open invitation, for this reason.
    fn end_invitations(&mut self, reason: SpentLink) {
        for invitation in self.invitations.iter_mut().filter(|i| i.ended.is_none()) {
            invitation.ended = Some(reason.clone());
        }
    }

    /// Revokes every secret: keys, devices, invitations.
    fn revoke_all(&mut self, now: i64) {
        self.token_hashes.clear();
        self.devices.clear();
        self.end_invitations(SpentLink::Revoked { at: now });
    }

    fn is_active_admin(&self) -> bool {
        self.role == Role::Admin && !self.deactivated()
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
    #[error("{0} is deactivated in the directory: make them active there first")]
    Deactivated(String),
    #[error("this sign-in link no longer works")]
    Spent(SpentLink),
}

/// Everyone, as stored in the data folder.
#[derive(Debug, Default)]
pub struct PeopleBook {
    path: PathBuf,
    people: Vec<Person>,
    /// Position of each person in `people`: the relay looks people up on every message.
    by_id: HashMap<PersonId, usize>,
    /// The person each secret's hash belongs to, and which of their secrets it is.
    by_credential: HashMap<String, (usize, Secret)>,
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
                self.by_credential.insert(hash.clone(), (i, Secret::Key));
            }
            for (n, invitation) in person.invitations.iter().enumerate() {
                self.by_credential
                    .insert(invitation.hash.clone(), (i, Secret::Invitation(n)));
            }
            for (d, device) in person.devices.iter().enumerate() {
                self.by_credential
                    .insert(device.credential_hash.clone(), (i, Secret::Device(d)));
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
        let mut person = account(name, &email, department, role);
        person.token_hashes.push(token_hash(&token));
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

    /// Revokes every key, invitation and device of a person.
    pub fn revoke(&mut self, who: &str, now: i64) -> Result<Person, PeopleError> {
        self.edit(|people| {
            let person = find(people, who)?;
            person.revoke_all(now);
            Ok(person.clone())
        })
    }

    /// A new invitation for the person with this email or id, replacing any still open; it
    /// expires after `lifetime` seconds. Returns the person, the token and its expiry.
    pub fn invite(
        &mut self,
        who: &str,
        lifetime: i64,
        now: i64,
    ) -> Result<(Person, String, i64), PeopleError> {
        self.edit(|people| {
            let person = find(people, who)?;
            let (token, expires_at) = issue_invitation(person, lifetime, now)?;
            Ok((person.clone(), token, expires_at))
        })
    }

    /// Invitations for these directory members, in one write: those without an account get one,
    /// with the directory's name, department and role. Deactivated members are refused by the
    /// caller; here they fail the whole batch.
    pub fn invite_members(
        &mut self,
        members: &[Member],
        lifetime: i64,
        now: i64,
    ) -> Result<Vec<(Person, String, i64)>, PeopleError> {
        self.edit(|people| {
            let mut issued = Vec::with_capacity(members.len());
            for member in members {
                let at = match people.iter().position(|p| p.email == member.email) {
                    Some(at) => at,
                    None => {
                        people.push(account_for(member));
                        people.len() - 1
                    }
                };
                let person = &mut people[at];
                let (token, expires_at) = issue_invitation(person, lifetime, now)?;
                issued.push((person.clone(), token, expires_at));
            }
            Ok(issued)
        })
    }

    /// The administrator the run command signs a newcomer in as: created if there is no
    /// administrator yet; given a fresh invitation while no administrator has a device.
    pub fn first_admin(
        &mut self,
        name: &str,
        email: &str,
        lifetime: i64,
        now: i64,
    ) -> Result<FirstAdmin, PeopleError> {
        let email = email.trim().to_lowercase();
        self.edit(|people| {
            if let Some(admin) = people
                .iter()
                .find(|p| p.is_active_admin() && !p.devices.is_empty())
            {
                return Ok(FirstAdmin::SignedIn(admin.clone()));
            }
            let at = match people.iter().position(|p| p.is_active_admin()) {
                Some(at) => at,
                None => {
                    if people.iter().any(|p| p.email == email) {
                        return Err(PeopleError::EmailTaken(email.clone()));
                    }
                    people.push(account(name.trim(), &email, "IT", Role::Admin));
                    people.len() - 1
                }
            };
            let admin = &mut people[at];
            let (token, expires_at) = issue_invitation(admin, lifetime, now)?;
            Ok(FirstAdmin::Invited {
                person: admin.clone(),
                token,
                expires_at,
            })
        })
    }

    /// Takes in what the directory now says of the people it lists: name, department and role,
    /// and deactivation, which revokes every secret (open connections are cut by the caller).
    /// Only what changed in the directory since it was last followed is applied, so a change
    /// made with the shell commands stays until the directory changes that person again. The
    /// last active administrator is never demoted or deactivated this way. True if anything
    /// changed.
    pub fn follow_directory(
        &mut self,
        directory: &Directory,
        now: i64,
    ) -> Result<bool, PeopleError> {
        let listed_changes = |people: &[Person]| {
            people.iter().any(|p| {
                directory
                    .people
                    .get(&p.email)
                    .is_some_and(|m| p.listed.as_ref() != Some(&Listed::of(m)))
            })
        };
        if !listed_changes(&self.people) {
            return Ok(false);
        }
        self.edit(|people| {
            apply_directory(people, directory, now);
            Ok(true)
        })
    }

    /// Gives a device of this person its own credential (replacing one it had) and returns it.
    /// An invitation it enrols with is used up, under the lock, so two devices racing with one
    /// link cannot both enrol.
    pub fn enrol(
        &mut self,
        person: &PersonId,
        with: &Credential,
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
            if person.deactivated() {
                return Err(PeopleError::Deactivated(person.email.clone()));
            }
            if with.invitation {
                let invitation = person
                    .invitations
                    .iter_mut()
                    .find(|i| i.hash == with.hash)
                    .ok_or(PeopleError::Spent(SpentLink::Revoked { at: now }))?;
                if let Some(spent) = spent(invitation, now) {
                    return Err(PeopleError::Spent(spent));
                }
                invitation.ended = Some(SpentLink::Used {
                    at: now,
                    device: label.into(),
                });
            } else if !person.holds(&with.hash) {
                return Err(PeopleError::Spent(SpentLink::Revoked { at: now }));
            }
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
        match self.by_credential.get(hash)? {
            &(person, Secret::Device(d)) => self.people[person].devices.get(d),
            _ => None,
        }
    }

    /// The person a secret signs in, and which secret it is. A device credential unused for
    /// longer than `idle_seconds` has lapsed; an invitation works until used or expired;
    /// nothing signs in a deactivated person.
    pub fn authenticate(
        &self,
        secret: &str,
        idle_seconds: i64,
        now: i64,
    ) -> Option<(&Person, Credential)> {
        let hash = token_hash(secret);
        let &(person, which) = self.by_credential.get(&hash)?;
        let person = &self.people[person];
        if person.deactivated() {
            return None;
        }
        let (device, invitation) = match which {
            Secret::Key => (None, false),
            Secret::Invitation(n) => {
                spent(&person.invitations[n], now).is_none().then_some(())?;
                (None, true)
            }
            Secret::Device(d) => {
                let device = &person.devices[d];
                if now - device.last_used_at > idle_seconds {
                    return None;
                }
                (Some(device.id.clone()), false)
            }
        };
        Some((
            person,
            Credential {
                hash,
                device,
                invitation,
            },
        ))
    }

    /// Why a secret that is one of the invitations this relay issued no longer works; `None`
    /// for any other secret (a valid one, or one it never issued).
    pub fn spent(&self, secret: &str, now: i64) -> Option<SpentLink> {
        let hash = token_hash(secret);
        match self.by_credential.get(&hash)? {
            &(person, Secret::Invitation(n)) => {
                let person = &self.people[person];
                let invitation = &person.invitations[n];
                spent(invitation, now).or_else(|| {
                    person.deactivated().then_some(SpentLink::Revoked {
                        at: invitation.issued_at,
                    })
                })
            }
            _ => None,
        }
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

/// Why an invitation no longer works, if it does not.
fn spent(invitation: &InvitationRecord, now: i64) -> Option<SpentLink> {
    match &invitation.ended {
        Some(ended) => Some(ended.clone()),
        None if now >= invitation.expires_at => Some(SpentLink::Expired {
            at: invitation.expires_at,
        }),
        None => None,
    }
}

/// Issues a person a new invitation, ending any open one.
fn issue_invitation(
    person: &mut Person,
    lifetime: i64,
    now: i64,
) -> Result<(String, i64), PeopleError> {
    if person.deactivated() {
        return Err(PeopleError::Deactivated(person.email.clone()));
    }
    person.end_invitations(SpentLink::Replaced { at: now });
    let spent = person
        .invitations
        .len()
        .saturating_sub(SPENT_INVITATIONS_KEPT);
    person.invitations.drain(..spent);
    let token = new_secret("idk");
    let expires_at = now.saturating_add(lifetime);
    person.invitations.push(InvitationRecord {
        hash: token_hash(&token),
        issued_at: now,
        expires_at,
        ended: None,
    });
    Ok((token, expires_at))
}

/// An account for someone the directory lists, with no secret yet.
fn account_for(member: &Member) -> Person {
    let listed = Listed::of(member);
    let mut person = account(&listed.name, &member.email, &listed.department, listed.role);
    person.listed = Some(listed);
    person
}

/// A new account with no secret, not (yet) followed from the directory.
fn account(name: &str, email: &str, department: &str, role: Role) -> Person {
    Person {
        id: PersonId(format!("p{}", hex(&random_bytes::<6>()))),
        name: name.into(),
        email: email.into(),
        department: department.into(),
        role,
        token_hashes: Vec::new(),
        devices: Vec::new(),
        invitations: Vec::new(),
        listed: None,
    }
}

/// Applies the directory's changes to each person it lists (see
/// [`PeopleBook::follow_directory`]).
fn apply_directory(people: &mut [Person], directory: &Directory, now: i64) {
    for at in 0..people.len() {
        let Some(member) = directory.people.get(&people[at].email) else {
            continue;
        };
        let now_listed = Listed::of(member);
        let before = people[at].listed.clone();
        if before.as_ref() == Some(&now_listed) {
            continue;
        }
        let changed =
            |field: fn(&Listed) -> String| before.as_ref().map(field) != Some(field(&now_listed));
        let loses_admin = people[at].is_active_admin()
            && (now_listed.deactivated || now_listed.role != Role::Admin);
        let another_admin = people
            .iter()
            .enumerate()
            .any(|(i, p)| i != at && p.is_active_admin() && p.may_sign_in());
        if loses_admin && !another_admin {
            tracing::warn!(
                email = %people[at].email,
                "the directory demotes or deactivates the last administrator: left as they are"
            );
            continue;
        }
        let person = &mut people[at];
        if changed(|l| l.name.clone()) {
            person.name = now_listed.name.clone();
        }
        if changed(|l| l.department.clone()) {
            person.department = now_listed.department.clone();
        }
        if changed(|l| l.role.as_str().to_string()) {
            person.role = now_listed.role;
        }
        let was_deactivated = before.as_ref().is_some_and(|l| l.deactivated);
        person.listed = Some(now_listed);
        if person.deactivated() && !was_deactivated {
            person.revoke_all(now);
        }
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
        admin.revoke("wang.fang@example.cn", NOW).unwrap();
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
        let key = credential(&book, &link);
        let laptop = book
            .enrol(&li.id, &key, "laptop", "Firefox on Linux", NOW)
            .unwrap();
        let phone = book
            .enrol(&li.id, &key, "phone", "Safari on iPhone", NOW)
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
        let (li, link) = relay.add("李雷", "li@example.cn", "IT", "agent").unwrap();
        let key = credential(&relay, &link);
        // The admin command adds someone the relay has not read yet; the relay then enrols.
        let mut admin = PeopleBook::open(&dir).unwrap();
        admin
            .add("王芳", "wang@example.cn", "财务部", "requester")
            .unwrap();
        relay
            .enrol(&li.id, &key, "laptop", "Edge on Windows", NOW)
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
            book.revoke("nobody", NOW),
            Err(PeopleError::Unknown(_))
        ));
    }

    fn credential(book: &PeopleBook, secret: &str) -> Credential {
        book.authenticate(secret, IDLE, NOW).unwrap().1
    }

    const WEEK: i64 = 7 * 86_400;

    fn member(email: &str, department: &str, role: Role) -> Member {
        Member {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            department: innerdesk_core::domain::directory::DepartmentId(department.into()),
            manager: None,
            role,
            deactivated: false,
        }
    }

    fn directory(members: &[Member]) -> Directory {
        let mut directory = Directory::default();
        for m in members {
            directory.people.insert(m.email.clone(), m.clone());
        }
        directory
    }

    #[test]
    fn an_invitation_enrols_one_device_once_before_it_expires() {
        let mut book = PeopleBook::open(&temp_dir("invitation")).unwrap();
        let wang = member("wang@example.cn", "财务部", Role::Requester);
        let issued = book
            .invite_members(std::slice::from_ref(&wang), WEEK, NOW)
            .unwrap();
        let (person, token, expires_at) = issued[0].clone();
        assert_eq!((person.role, expires_at), (Role::Requester, NOW + WEEK));
        assert!(!person.may_sign_in(), "an invitation alone is no sign-in");

        let invited = credential(&book, &token);
        assert!(invited.invitation);
        book.enrol(
            &person.id,
            &invited,
            "laptop",
            "Chrome on Windows",
            NOW + 60,
        )
        .unwrap();
        assert!(book.authenticate(&token, IDLE, NOW + 61).is_none());
        assert_eq!(
            book.spent(&token, NOW + 61),
            Some(SpentLink::Used {
                at: NOW + 60,
                device: "Chrome on Windows".into()
            })
        );
        // A second device racing with the same link, checked under the lock, is refused.
        assert!(matches!(
            book.enrol(&person.id, &invited, "phone", "Safari on iPhone", NOW + 62),
            Err(PeopleError::Spent(SpentLink::Used { .. }))
        ));
        assert_eq!(book.get(&person.id).unwrap().devices.len(), 1);

        // A new invitation replaces an open one; an unused one expires.
        let (_, first, _) = book.invite("wang@example.cn", WEEK, NOW).unwrap();
        let (_, second, _) = book.invite("wang@example.cn", WEEK, NOW + 5).unwrap();
        assert_eq!(
            book.spent(&first, NOW + 6),
            Some(SpentLink::Replaced { at: NOW + 5 })
        );
        assert!(book.authenticate(&second, IDLE, NOW + WEEK).is_some());
        assert_eq!(
            book.spent(&second, NOW + 5 + WEEK),
            Some(SpentLink::Expired { at: NOW + 5 + WEEK })
        );
        assert_eq!(book.spent("idk_never_issued", NOW), None);
        assert!(
            book.get(&person.id).unwrap().invitations.len() <= SPENT_INVITATIONS_KEPT + 1,
            "spent invitations are not kept forever"
        );
    }

    #[test]
    fn the_directory_sets_roles_and_deactivation_revokes_everything() {
        let mut book = PeopleBook::open(&temp_dir("follow")).unwrap();
        let admin = member("admin@example.cn", "IT", Role::Admin);
        let li = member("li@example.cn", "IT", Role::Requester);
        let issued = book
            .invite_members(&[admin.clone(), li.clone()], WEEK, NOW)
            .unwrap();
        for (person, token, _) in &issued {
            let with = credential(&book, token);
            book.enrol(&person.id, &with, "d1", "Firefox on Linux", NOW)
                .unwrap();
        }
        let li_id = issued[1].0.id.clone();

        let promoted = member("li@example.cn", "网络组", Role::Agent);
        assert!(book
            .follow_directory(&directory(&[admin.clone(), promoted.clone()]), NOW)
            .unwrap());
        let person = book.get(&li_id).unwrap();
        assert_eq!(
            (person.role, person.department.as_str()),
            (Role::Agent, "网络组")
        );
        // The same directory again changes nothing, and a shell change stays until the
        // directory changes that person again.
        book.change("li@example.cn", None, Some("lead")).unwrap();
        assert!(!book
            .follow_directory(&directory(&[admin.clone(), promoted.clone()]), NOW)
            .unwrap());
        assert_eq!(book.get(&li_id).unwrap().role, Role::Lead);

        let gone = Member {
            deactivated: true,
            ..promoted.clone()
        };
        book.follow_directory(&directory(&[admin.clone(), gone]), NOW + 9)
            .unwrap();
        let person = book.get(&li_id).unwrap();
        assert!(!person.may_sign_in() && person.devices.is_empty());
        assert!(matches!(
            book.invite("li@example.cn", WEEK, NOW),
            Err(PeopleError::Deactivated(_))
        ));

        // Active again: no old secret comes back, a new invitation is needed and works.
        book.follow_directory(&directory(&[admin.clone(), promoted]), NOW + 10)
            .unwrap();
        assert!(!book.get(&li_id).unwrap().may_sign_in());
        let (_, token, _) = book.invite("li@example.cn", WEEK, NOW + 10).unwrap();
        assert!(book.authenticate(&token, IDLE, NOW + 11).is_some());
    }

    #[test]
    fn the_last_administrator_is_never_demoted_by_the_directory() {
        let mut book = PeopleBook::open(&temp_dir("last-admin")).unwrap();
        let FirstAdmin::Invited { person, token, .. } = book
            .first_admin("Administrator", "admin@localhost", WEEK, NOW)
            .unwrap()
        else {
            panic!("a fresh data folder has no administrator");
        };
        let with = credential(&book, &token);
        book.enrol(&person.id, &with, "d1", "Firefox on Linux", NOW)
            .unwrap();
        assert!(matches!(
            book.first_admin("Administrator", "admin@localhost", WEEK, NOW)
                .unwrap(),
            FirstAdmin::SignedIn(_)
        ));
        let demoted = member("admin@localhost", "IT", Role::Requester);
        book.follow_directory(&directory(std::slice::from_ref(&demoted)), NOW)
            .unwrap();
        assert_eq!(book.get(&person.id).unwrap().role, Role::Admin);

        // With a second administrator signed in, the first may be demoted.
        let second = member("chen@example.cn", "IT", Role::Admin);
        let (other, token, _) = book
            .invite_members(std::slice::from_ref(&second), WEEK, NOW)
            .unwrap()[0]
            .clone();
        let with = credential(&book, &token);
        book.enrol(&other.id, &with, "d1", "Edge on Windows", NOW)
            .unwrap();
        book.follow_directory(&directory(&[demoted, second]), NOW)
            .unwrap();
        assert_eq!(book.get(&person.id).unwrap().role, Role::Requester);
    }
}

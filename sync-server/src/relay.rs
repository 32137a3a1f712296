//! The relay assembled: the people who may sign in, what it knows about each document for access,
//! the audit trail, the document hub and the indexes that let people discover what they may read.

use crate::audit::AuditLog;
use crate::backlog::Backlog;
use crate::config::Limits;
use crate::docstore::DocStore;
use crate::durable::Durability;
use crate::feeds::Feeds;
use crate::hub::ConnId;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::people::{Credential, PeopleBook, PeopleError, Person};
use crate::quota::Quotas;
use crate::registry::Registry;
use innerdesk_core::access::Role;
use innerdesk_core::access::{decide, Access, DocFacts, PersonId, Viewer};
use innerdesk_core::domain::directory::{DepartmentId, Directory};
use innerdesk_core::domain::{DocumentId, Timestamp};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// Everything a request handler needs, shared.
pub struct Relay {
    pub hub: Arc<Hub>,
    pub shared: Arc<Shared>,
    pub feeds: Arc<Feeds>,
}

/// The state the hub, the indexes and the connections read.
pub struct Shared {
    pub data_dir: PathBuf,
    pub people: RwLock<PeopleBook>,
    pub registry: Registry,
    pub audit: AuditLog,
    pub metrics: Metrics,
    pub quotas: Quotas,
    pub limits: Limits,
    /// The organisation's directory as last synced: its merges decide which queue a merged
    /// department's tickets now belong to.
    /// (The lowest id wins, should two admins each have created one offline; the page folds the
    /// other into it.)
    pub directory: RwLock<Option<(DocumentId, Directory)>>,
    /// Every open sync connection, to cut those whose sign-in, role or department changes.
    pub connections: Mutex<HashMap<ConnId, Signed>>,
}

/// Who an open connection signed in as, and how to cut it.
pub struct Signed {
    pub person: PersonId,
    /// What `people.json` keeps of the secret it signed in with.
    pub credential_hash: String,
    pub role: Role,
    pub department: String,
    pub cut: mpsc::UnboundedSender<String>,
}

/// How often the relay looks for edits to `people.json`.
const PEOPLE_CHECKED_EVERY: Duration = Duration::from_secs(1);
/// How often open connections count as a use of their device (so a device connected for months
/// never lapses) and lapsed devices are forgotten.
const DEVICES_TENDED_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    People(#[from] crate::people::PeopleError),
}

impl Shared {
    /// What the relay knows of its data folder, read at start.
    pub fn open(data_dir: &Path, limits: Limits) -> Result<Shared, StartError> {
        Ok(Shared {
            data_dir: data_dir.to_path_buf(),
            people: RwLock::new(PeopleBook::open(data_dir)?),
            registry: Registry::open(data_dir)?,
            audit: AuditLog::open(data_dir)?,
            metrics: Metrics::default(),
            quotas: Quotas::new(limits),
            limits,
            directory: RwLock::default(),
            connections: Mutex::default(),
        })
    }

    /// The person a secret signs in, rereading the people file if an admin changed it. A device
    /// credential's use is recorded.
    pub fn authenticate(&self, secret: &str) -> Option<(Person, Credential)> {
        self.refresh_people();
        let now = chrono::Utc::now().timestamp();
        let (person, credential) = {
            let people = self.people.read().unwrap();
            let (person, credential) =
                people.authenticate(secret, self.limits.device_idle_seconds(), now)?;
            (person.clone(), credential)
        };
        if credential.device.is_some() {
            self.touch(std::slice::from_ref(&credential.hash), now);
        }
        Some((person, credential))
    }

    /// Why a sign-in link no longer works, if it is one that did.
    pub fn spent(&self, secret: &str) -> Option<innerdesk_core::sync::SpentLink> {
        let now = chrono::Utc::now().timestamp();
        self.people.read().unwrap().spent(secret, now)
    }

    /// Takes in the roles, departments and deactivations an administrator set in the directory;
    /// the connections of whoever changed are cut at once.
    pub fn follow_directory(&self, directory: &Directory) {
        let now = chrono::Utc::now().timestamp();
        match self.edit_people(|people| people.follow_directory(directory, now)) {
            Ok(true) => tracing::info!("accounts follow the directory's changes"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not follow the directory"),
        }
    }

    fn touch(&self, hashes: &[String], now: i64) {
        if let Err(e) = self.edit_people(|people| people.touch(hashes, now)) {
            tracing::error!(error = %e, "could not record when devices were last used");
        }
    }

    /// Changes `people.json`. An edit rereads the file first, which may bring in an admin's
    /// changes: connections are checked against the result, as after any reread.
    pub fn edit_people<T>(
        &self,
        edit: impl FnOnce(&mut PeopleBook) -> Result<T, PeopleError>,
    ) -> Result<T, PeopleError> {
        let result = edit(&mut self.people.write().unwrap());
        self.cut_outdated_connections();
        result
    }

    /// Counts every open connection as a use of its device, and forgets lapsed devices.
    fn tend_devices(&self) {
        let now = chrono::Utc::now().timestamp();
        let open: Vec<String> = (self.connections.lock().unwrap().values())
            .map(|signed| signed.credential_hash.clone())
            .collect();
        self.touch(&open, now);
        let idle = self.limits.device_idle_seconds();
        if let Err(e) = self.edit_people(|people| people.forget_idle_devices(idle, now)) {
            tracing::error!(error = %e, "could not forget lapsed devices");
        }
    }

    fn refresh_people(&self) {
        let refreshed = self.people.write().unwrap().refresh();
        match refreshed {
            Ok(true) => self.cut_outdated_connections(),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "kept the people already loaded"),
        }
    }

    /// Cuts each connection whose token was revoked, or whose person now has another role or
    /// department: what it may read and write was decided for who they were. A device still
    /// entitled reconnects at once, to what its person may see now.
    fn cut_outdated_connections(&self) {
        let people = self.people.read().unwrap();
        for signed in self.connections.lock().unwrap().values() {
            let reason = match people.get(&signed.person) {
                Some(p) if p.holds(&signed.credential_hash) => {
                    (p.role != signed.role || p.department != signed.department).then_some(
                        "your role or department changed: connect again to sync what you may see now",
                    )
                }
                _ => Some("the sign-in of this device was revoked"),
            };
            if let Some(reason) = reason {
                let _ = signed.cut.send(reason.into());
            }
        }
    }

    /// Rereads `people.json` once a second, and tends devices every few minutes, for as long as
    /// the relay runs.
    async fn watch_people(shared: std::sync::Weak<Shared>) {
        let mut every = tokio::time::interval(PEOPLE_CHECKED_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut tended = tokio::time::Instant::now();
        loop {
            every.tick().await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            shared.refresh_people();
            if tended.elapsed() >= DEVICES_TENDED_EVERY {
                tended = tokio::time::Instant::now();
                shared.tend_devices();
            }
        }
    }

    /// What a signed-in person may do with a document right now.
    pub fn access(&self, person: &PersonId, doc: DocumentId) -> Access {
        let Some(viewer) = self.viewer(person) else {
            return Access::None;
        };
        let facts = self.registry.facts(doc).map(|f| self.now_merged(f));
        decide(&viewer, facts.as_ref(), |ticket| {
            self.registry.facts(ticket).map(|f| self.now_merged(f))
        })
    }

    /// Facts with departments as they are now, after merges.
    fn now_merged(&self, facts: DocFacts) -> DocFacts {
        match facts {
            DocFacts::Ticket {
                creator,
                requester,
                queue,
                watchers,
                family,
            } => DocFacts::Ticket {
                creator,
                requester,
                queue: self.current_queue(&queue),
                watchers,
                family,
            },
            DocFacts::Article {
                department,
                internal,
            } => DocFacts::Article {
                department: self.current_queue(&department),
                internal,
            },
            other => other,
        }
    }

    /// The queue a department's work belongs to now: its own, or, after a merge, the department
    /// it was merged into.
    pub fn current_queue(&self, department: &str) -> String {
        let directory = self.directory.read().unwrap();
        let Some((_, directory)) = directory.as_ref() else {
            return department.to_string();
        };
        let now = Timestamp(chrono::Utc::now().timestamp_millis());
        directory
            .department_at(&DepartmentId(department.into()), now)
            .0
    }

    /// Who a person is for access decisions, if they may still sign in.
    pub fn viewer(&self, person: &PersonId) -> Option<Viewer> {
        let people = self.people.read().unwrap();
        people
            .get(person)
            .filter(|p| p.may_sign_in())
            .map(Person::viewer)
            .map(|mut viewer| {
                viewer.department = self.current_queue(&viewer.department);
                viewer
            })
    }
}

impl Relay {
    pub async fn start(data_dir: &Path, limits: Limits) -> Result<Relay, StartError> {
        let store = DocStore::open(&data_dir.join("documents"))?;
        let shared = Arc::new(Shared::open(data_dir, limits)?);
        tokio::spawn(Shared::watch_people(Arc::downgrade(&shared)));
        // In the relay's own log, so lines later cut off the audit log's end can be noticed.
        tracing::info!(head = %shared.audit.head(), "audit log opened");
        // Indexing a crash interrupted is taken up first; then classifying what was delivered
        // but not classified (until then only the deliverer may read it); the directory's merges
        // are read again before anyone is served.
        let (backlog, owed) = Backlog::open(data_dir)?;
        let backlog = Arc::new(backlog);
        // Tickets recorded before tickets had parts are taken up into their parts.
        let legacy = shared.registry.matching_facts(|f| match f {
            DocFacts::Ticket { family: false, .. } => Some(()),
            _ => None,
        });
        for doc in shared
            .registry
            .unclassified()
            .into_iter()
            .chain(shared.registry.organisation())
            .chain(legacy.into_iter().map(|(id, ())| id))
        {
            backlog.nudge(doc);
        }
        let durability = Durability::new(store.disk(), limits.synced_writes);
        let hub = Arc::new(Hub::new(store, durability, shared.clone(), backlog.clone()));
        let feeds = Arc::new(Feeds::open(hub.clone(), shared.clone(), backlog)?);
        tokio::spawn(feeds.clone().keep_current(owed));
        tokio::spawn(feeds.clone().publish_closed_rounds());
        Ok(Relay { hub, shared, feeds })
    }
}

/// `person~device`: the peer id a connection must use, so one person's devices stay apart.
pub fn peer_id_for(person: &PersonId, device: &str) -> String {
    format!("{person}~{device}")
}

//! The relay's heart: a samod repo on the data folder, the share policy that enforces access per
//! document and connection, and the indexes that let people discover the tickets they may read.

use crate::audit::AuditLog;
use crate::config::Limits;
use crate::feeds::Feeds;
use crate::metrics::Metrics;
use crate::people::{PeopleBook, Person};
use crate::registry::Registry;
use crate::storage::{DiskStore, Writing};
use futures::{Stream, StreamExt};
use innerdesk_core::access::{decide, Access, PersonId, Viewer};
use innerdesk_core::domain::DocumentId;
use samod::{PeerId, Repo, RepoEvent, RepoObserver, ShareConfig, SharePolicy};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, watch};

/// Everything a request handler needs, shared.
pub struct Relay {
    pub repo: Repo,
    pub acceptor: samod::AcceptorHandle,
    pub shared: Arc<Shared>,
    pub feeds: Arc<Feeds>,
}

/// The state the share policy and the connection guards read.
pub struct Shared {
    pub data_dir: PathBuf,
    pub people: RwLock<PeopleBook>,
    /// Bumped when the people file changes, so open share decisions are made again.
    pub people_changed: watch::Sender<()>,
    pub registry: Registry,
    pub audit: AuditLog,
    pub metrics: Metrics,
    pub limits: Limits,
    /// Writes in flight per document; answers wait for them (see `storage`).
    pub writing: Arc<Writing>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    People(#[from] crate::people::PeopleError),
}

impl Shared {
    /// The person a token signs in, rereading the people file if an admin changed it.
    pub fn authenticate(&self, token: &str) -> Option<Person> {
        self.refresh_people();
        self.people.read().unwrap().authenticate(token).cloned()
    }

    fn refresh_people(&self) {
        match self.people.write().unwrap().refresh() {
            Ok(true) => {
                self.people_changed.send_replace(());
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "kept the people already loaded"),
        }
    }

    /// What a signed-in person may do with a document right now.
    pub fn access(&self, person: &PersonId, doc: DocumentId) -> Access {
        let Some(viewer) = self.viewer(person) else {
            return Access::None;
        };
        decide(&viewer, self.registry.facts(doc).as_ref())
    }

    fn viewer(&self, person: &PersonId) -> Option<Viewer> {
        let people = self.people.read().unwrap();
        people
            .get(person)
            .filter(|p| p.may_sign_in())
            .map(Person::viewer)
    }
}

impl Relay {
    pub async fn start(data_dir: &Path, limits: Limits) -> Result<Relay, StartError> {
        let documents = data_dir.join("documents");
        std::fs::create_dir_all(&documents)?;
        let store = DiskStore::new(&documents);
        let shared = Arc::new(Shared {
            data_dir: data_dir.to_path_buf(),
            people: RwLock::new(PeopleBook::open(data_dir)?),
            people_changed: watch::channel(()).0,
            registry: Registry::open(data_dir)?,
            audit: AuditLog::open(data_dir)?,
            metrics: Metrics::default(),
            limits,
            writing: store.writing(),
        });
        let (changed_tx, changed_rx) = mpsc::unbounded_channel();
        // Finish classifying what a crash interrupted; until then only the deliverer may read it.
        for doc in shared.registry.unclassified() {
            let _ = changed_tx.send(doc);
        }
        let repo = Repo::build_tokio()
            .with_peer_id(PeerId::from("innerdesk-relay"))
            .with_storage(store)
            .with_share_policy(Policy(shared.clone()))
            .with_observer(Observer {
                shared: shared.clone(),
                changed: changed_tx,
            })
            .load()
            .await;
        let url = samod::Url::parse("ws://innerdesk-relay/sync").expect("a valid url");
        let acceptor = repo
            .make_acceptor(url)
            .map_err(|_| std::io::Error::other("repo stopped"))?;
        let feeds = Arc::new(Feeds::open(repo.clone(), shared.clone())?);
        tokio::spawn(feeds.clone().keep_current(changed_rx));
        Ok(Relay {
            repo,
            acceptor,
            shared,
            feeds,
        })
    }

    /// Flushes and stops the repo.
    pub async fn stop(&self) {
        self.repo.stop().await;
    }
}

/// `person~device`: the peer id a connection must use, so one person's devices stay apart.
pub fn peer_id_for(person: &PersonId, device: &str) -> PeerId {
    PeerId::from(format!("{person}~{device}"))
}

fn person_of(peer: &PeerId) -> PersonId {
    let text = peer.as_str();
    PersonId(
        text.split_once('~')
            .map_or(text, |(person, _)| person)
            .to_string(),
    )
}

pub fn ours(id: &samod::DocumentId) -> Option<DocumentId> {
    let bytes: [u8; 16] = id.as_bytes().try_into().ok()?;
    Some(DocumentId::from_bytes(bytes))
}

pub fn theirs(id: DocumentId) -> samod::DocumentId {
    samod::DocumentId::try_from(id.as_bytes().to_vec()).expect("16 bytes are a document id")
}

/// Decides per document and peer, and decides again when the document's facts or the people change.
#[derive(Clone)]
struct Policy(Arc<Shared>);

impl SharePolicy for Policy {
    fn share(
        &self,
        doc: samod::DocumentId,
        peer: PeerId,
    ) -> impl Stream<Item = ShareConfig> + Send + 'static {
        let shared = self.0.clone();
        let person = person_of(&peer);
        let doc = ours(&doc);
        let facts = doc.map(|d| shared.registry.watch(d));
        let people = shared.people_changed.subscribe();
        futures::stream::unfold(
            (facts, people, true),
            move |(mut facts, mut people, first)| {
                let shared = shared.clone();
                let person = person.clone();
                async move {
                    if !first {
                        let facts_changed = async {
                            match facts.as_mut() {
                                Some(rx) => rx.changed().await.is_ok(),
                                None => std::future::pending().await,
                            }
                        };
                        let alive = tokio::select! {
                            alive = facts_changed => alive,
                            alive = people.changed() => alive.is_ok(),
                        };
                        if !alive {
                            return None;
                        }
                    }
                    let access = doc.map_or(Access::None, |d| shared.access(&person, d));
                    Some((share_config(access), (facts, people, false)))
                }
            },
        )
        .boxed()
    }
}

/// Peers ask for what they want; the relay never pushes documents nobody asked for.
fn share_config(access: Access) -> ShareConfig {
    match access {
        Access::Write => ShareConfig::read_write().with_announce(false),
        Access::Read => ShareConfig::read_only().with_announce(false),
        Access::None => ShareConfig::none(),
    }
}

/// Counts what happens and passes every document that received changes to the index keeper.
struct Observer {
    shared: Arc<Shared>,
    changed: mpsc::UnboundedSender<DocumentId>,
}

impl RepoObserver for Observer {
    fn observe(&self, event: &RepoEvent) {
        let metrics = &self.shared.metrics;
        match event {
            RepoEvent::SyncMessageReceived {
                document_id, bytes, ..
            } => {
                metrics.sync_received(*bytes);
                if let Some(doc) = ours(document_id) {
                    let _ = self.changed.send(doc);
                }
            }
            RepoEvent::SyncMessageGenerated { bytes, .. } => metrics.sync_sent(*bytes),
            RepoEvent::DocumentOpened { .. } => metrics.document_opened(),
            RepoEvent::DocumentClosed { .. } => metrics.document_closed(),
            _ => {}
        }
    }
}

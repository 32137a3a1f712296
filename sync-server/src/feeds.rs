//! Discovery without leaks: the relay keeps one index document per queue and per person, listing
//! the tickets that audience may read with the summary a list needs. Only the relay writes them,
//! and each is shared only with its audience, so nobody learns the id or title of a ticket they
//! may not read. `feeds.json` in the data folder names each audience's index.

use crate::registry::Registry;
use crate::relay::{ours, theirs, Shared};
use automerge::Automerge;
use innerdesk_core::access::{Audience, DocFacts, PersonId, Role};
use innerdesk_core::domain::{DocumentId, TicketSummary};
use innerdesk_core::store::facts::facts_of;
use innerdesk_core::store::ticket_doc::read_ticket;
use innerdesk_core::store::ticket_index;
use samod::{DocHandle, Repo};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

#[derive(Serialize, Deserialize)]
struct Named {
    audience: Audience,
    index: DocumentId,
}

pub struct Feeds {
    repo: Repo,
    shared: Arc<Shared>,
    path: PathBuf,
    open: Mutex<HashMap<Audience, DocHandle>>,
    named: Mutex<Vec<Named>>,
}

impl Feeds {
    pub fn open(repo: Repo, shared: Arc<Shared>) -> std::io::Result<Self> {
        let path = shared.data_dir.join("feeds.json");
        let named = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            repo,
            shared,
            path,
            open: Mutex::new(HashMap::new()),
            named: Mutex::new(named),
        })
    }

    /// The indexes a person reads: their own, their queue's, and every queue's for admins.
    pub async fn indexes_for(&self, person: &crate::people::Person) -> Vec<DocumentId> {
        let mut audiences = vec![Audience::Person(person.id.clone())];
        match person.role {
            Role::Agent | Role::Lead => audiences.push(Audience::Queue(person.department.clone())),
            Role::Admin => {
                let named = self.named.lock().await;
                audiences.extend(named.iter().filter_map(|n| match &n.audience {
                    Audience::Queue(_) => Some(n.audience.clone()),
                    Audience::Person(_) => None,
                }));
            }
            Role::Requester => {}
        }
        let mut ids = Vec::new();
        for audience in audiences {
            match self.index(&audience).await {
                Ok(handle) => ids.extend(ours(handle.document_id())),
                Err(e) => tracing::error!(error = %e, ?audience, "could not open an index"),
            }
        }
        ids
    }

    /// Keeps the indexes in step with every ticket that receives changes.
    pub async fn keep_current(self: Arc<Self>, mut changed: mpsc::UnboundedReceiver<DocumentId>) {
        let mut batch = HashSet::new();
        while let Some(first) = changed.recv().await {
            batch.insert(first);
            while let Ok(more) = changed.try_recv() {
                batch.insert(more);
            }
            for doc in batch.drain() {
                if let Err(e) = self.ticket_changed(doc).await {
                    tracing::warn!(%doc, error = %e, "could not update the indexes for a document");
                }
            }
        }
    }

    async fn ticket_changed(&self, doc: DocumentId) -> std::io::Result<()> {
        let registry: &Registry = &self.shared.registry;
        let creator = match registry.facts(doc) {
            Some(DocFacts::Ticket { creator, .. } | DocFacts::Unclassified { creator }) => creator,
            _ => return Ok(()),
        };
        let Ok(Some(handle)) = self.repo.find(theirs(doc)).await else {
            return Ok(());
        };
        let (facts, summary) = handle.with_document(|d| {
            let summary = read_ticket(d).ok().map(|t| TicketSummary::from(&t));
            (facts_of(d, &creator), summary)
        });
        let now = audiences(&facts);
        if let Some(previous) = registry.record(doc, facts)? {
            let before = previous.as_ref().map(audiences).unwrap_or_default();
            for gone in before.iter().filter(|a| !now.contains(a)) {
                self.index(gone).await?.with_document(|d| {
                    d.transact(|tx| ticket_index::remove_row(tx, doc))
                        .map(|_| ())
                        .ok()
                });
            }
        }
        let Some(summary) = summary else {
            return Ok(());
        };
        for audience in &now {
            self.index(audience)
                .await?
                .with_document(|d| put_if_changed(d, &summary));
        }
        Ok(())
    }

    /// The index document of an audience, created the first time it is needed.
    async fn index(&self, audience: &Audience) -> std::io::Result<DocHandle> {
        let mut open = self.open.lock().await;
        if let Some(handle) = open.get(audience) {
            return Ok(handle.clone());
        }
        let mut named = self.named.lock().await;
        let stopped = |_| std::io::Error::other("the repo has stopped");
        let handle = match named.iter().find(|n| n.audience == *audience) {
            Some(n) => self.repo.find(theirs(n.index)).await.map_err(stopped)?,
            None => None,
        };
        let handle = match handle {
            Some(handle) => handle,
            None => {
                let mut doc = Automerge::new();
                doc.transact(|tx| ticket_index::init(tx))
                    .map_err(|_| std::io::Error::other("could not write a new index"))?;
                let handle = self.repo.create(doc).await.map_err(stopped)?;
                let index = ours(handle.document_id()).expect("the relay makes 16-byte ids");
                self.shared.registry.record(
                    index,
                    DocFacts::Index {
                        audience: audience.clone(),
                    },
                )?;
                named.retain(|n| n.audience != *audience);
                named.push(Named {
                    audience: audience.clone(),
                    index,
                });
                save(&self.path, &named)?;
                handle
            }
        };
        open.insert(audience.clone(), handle.clone());
        Ok(handle)
    }
}

/// Who sees a ticket in their lists: its queue, its requester, its watchers and its creator.
fn audiences(facts: &DocFacts) -> Vec<Audience> {
    let DocFacts::Ticket {
        creator,
        requester,
        queue,
        watchers,
    } = facts
    else {
        return Vec::new();
    };
    let mut people: Vec<&PersonId> = vec![creator];
    people.extend(requester.iter());
    people.extend(watchers.iter());
    people.sort();
    people.dedup();
    let mut out = vec![Audience::Queue(queue.clone())];
    out.extend(people.into_iter().map(|p| Audience::Person(p.clone())));
    out
}

/// Rewriting an unchanged row would still grow the index's history, so compare first.
fn put_if_changed(doc: &mut Automerge, summary: &TicketSummary) {
    if ticket_index::get_row(doc, summary.id)
        .ok()
        .flatten()
        .as_ref()
        == Some(summary)
    {
        return;
    }
    if let Err(e) = doc.transact(|tx| ticket_index::put_row(tx, summary)) {
        tracing::warn!(error = ?e.error, "could not write an index row");
    }
}

fn save(path: &PathBuf, named: &[Named]) -> std::io::Result<()> {
    let temporary = path.with_extension("json.new");
    std::fs::write(&temporary, serde_json::to_vec_pretty(named)?)?;
    std::fs::rename(&temporary, path)
}

//! The local desk: every open document of this device, the list index drawn from them, and the
//! bookkeeping of what is durable. It does no IO itself; [`open_desk`] and [`load_ticket`] read from a
//! [`ChunkStore`], and [`Desk::pending_writes`] hands out the writes a caller makes and confirms with
//! [`Desk::saved`]. So the browser never holds a borrow of the desk while IndexedDB works.
//!
//! ```
//! # futures::executor::block_on(async {
//! use innerdesk_core::domain::*;
//! use innerdesk_core::storage::{ChunkStore, MemoryStore};
//! use innerdesk_core::store::desk::{open_desk, Desk};
//! let store = MemoryStore::new();
//! let mut next = 0u8;
//! let mut new_id = || { next += 1; DocumentId::from_bytes([next; 16]) };
//! let (mut desk, problems) = open_desk(&store, &mut new_id).await.unwrap();
//! assert!(problems.is_empty());
//! desk.set_profile(Profile::new("王芳", "财务部").unwrap()).unwrap();
//! for plan in desk.pending_writes() {
//!     store.write(plan.batch.clone()).await.unwrap();
//!     desk.saved(plan);
//! }
//! let (reopened, _) = open_desk(&store, &mut new_id).await.unwrap();
//! assert_eq!(reopened.profile().unwrap().name, "王芳");
//! # });
//! ```

mod automation;
mod knowledge;
mod voice;

pub use automation::{DecideError, Me};
pub use knowledge::{load_article, ArticleSaveError, SearchResult};

use super::organisation::OrgKind;
use super::{
    catalog_doc, directory_doc, DeskDoc, StoreError, TicketChangeError, TicketDoc, TicketIndex,
};
use crate::access::{Role, TicketRole, Viewer};
use crate::domain::catalog::Catalog;
use crate::domain::classification::CustomerSettings;
use crate::domain::directory::Directory;
use crate::domain::{
    DocumentId, DraftError, Profile, Reclassification, SearchText, Status, Ticket, TicketDraft,
    TicketSummary, Timestamp, Visibility,
};
use crate::storage::{
    load_document, ChunkStore, LoadError, LoadedDocument, SaveTracker, StorageError, WritePlan,
};
use crate::store::ticket_doc::Side;
use crate::store::ticket_index::{self, Announced};
use crate::sync::Replica;
use automerge::AutoCommit;
use std::collections::{BTreeSet, HashMap};

/// The setting that names this device's desk document.
pub const DESK_SETTING: &str = "desk";

/// Something found wrong while opening, reported to the user; the rest of the desk still works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("document {0} is damaged and was skipped")]
    CorruptDocument(DocumentId),
    #[error("part of document {0} is damaged; the rest was loaded")]
    DamagedChunks(DocumentId),
    #[error("{0} list entries are damaged and were skipped")]
    DamagedRows(usize),
}

/// Why the desk could not be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a ticket could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the ticket is not valid")]
    Invalid(Vec<DraftError>),
    #[error("no profile yet")]
    NoProfile,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Change(Box<TicketChangeError>),
}

/// All documents this device has open.
#[derive(Debug)]
pub struct Desk {
    tracker: SaveTracker,
    docs: Documents,
    /// Documents changed since they were last durable.
    dirty: BTreeSet<DocumentId>,
    /// List rows, newest activity first, with their folded search text.
    rows: Vec<(TicketSummary, SearchText)>,
    /// A new desk is announced (the setting that names it is written) together with its first save.
    announce: bool,
    /// Documents changed here since sync last offered them to the relay.
    to_offer: BTreeSet<DocumentId>,
    /// How far each relay index has been taken into the list.
    indexes_seen: HashMap<DocumentId, Vec<automerge::ChangeHash>>,
    /// The articles read from their documents, and the search index over articles and rows.
    knowledge: knowledge::Knowledge,
    /// Tickets changed since automation last looked at them.
    automate: BTreeSet<DocumentId>,
}

/// The open documents, by id.
#[derive(Debug)]
struct Documents {
    desk_id: DocumentId,
    desk: DeskDoc,
    index_id: DocumentId,
    index: TicketIndex,
    tickets: HashMap<DocumentId, TicketDoc>,
    /// The ticket each part this desk keeps in step belongs to (held or still to arrive).
    part_of: HashMap<DocumentId, DocumentId>,
    /// The relay's indexes this person reads (written by the relay only).
    relay_indexes: HashMap<DocumentId, AutoCommit>,
    /// Organisation-wide documents (the directory, the catalog…), by id.
    organisation: HashMap<DocumentId, AutoCommit>,
    /// This person's survey responses (theirs alone; the relay sums them up).
    responses: HashMap<DocumentId, AutoCommit>,
    /// Knowledge-base articles.
    articles: HashMap<DocumentId, AutoCommit>,
}

impl Documents {
    fn get_mut(&mut self, id: DocumentId) -> Option<&mut automerge::AutoCommit> {
        if id == self.desk_id {
            Some(self.desk.automerge_mut())
        } else if id == self.index_id {
            Some(self.index.automerge_mut())
        } else {
            self.shared_mut(id)
        }
    }

    /// A document that syncs with the relay: a ticket, one of the relay's indexes or an
    /// organisation document.
    fn shared_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit> {
        if let Some(ticket) = self.part_of.get(&id) {
            return self.tickets.get_mut(ticket)?.doc_mut(id);
        }
        match self.tickets.get_mut(&id) {
            Some(ticket) => Some(ticket.automerge_mut()),
            None => match self.relay_indexes.get_mut(&id) {
                Some(index) => Some(index),
                None => match self.organisation.get_mut(&id) {
                    Some(doc) => Some(doc),
                    None => match self.responses.get_mut(&id) {
                        Some(doc) => Some(doc),
                        None => self.articles.get_mut(&id),
                    },
                },
            },
        }
    }

    /// The organisation document of a kind this desk reads, if it holds one.
    fn chosen(&self, kind: OrgKind) -> Option<&AutoCommit> {
        self.organisation.get(&self.desk.chosen(kind.name())?)
    }
}

/// Opens this device's desk from storage, creating it on first use.
pub async fn open_desk(
    store: &impl ChunkStore,
    new_id: &mut impl FnMut() -> DocumentId,
) -> Result<(Desk, Vec<Problem>), OpenError> {
    let mut problems = Vec::new();
    let mut tracker = SaveTracker::new();
    let existing = match store.setting(DESK_SETTING).await? {
        Some(text) => text.parse::<DocumentId>().ok(),
        None => None,
    };
    let mut dirty = BTreeSet::new();
    let (desk_id, desk) = match existing {
        Some(id) => match loaded(load_document(store, id).await, &mut tracker, &mut problems)? {
            Some(doc) => (id, DeskDoc::from_automerge(doc)?),
            None => fresh_desk(new_id, &mut dirty)?,
        },
        None => fresh_desk(new_id, &mut dirty)?,
    };
    let index_id = desk.ticket_index()?;
    let index = match loaded(
        load_document(store, index_id).await,
        &mut tracker,
        &mut problems,
    )? {
        Some(doc) => TicketIndex::from_automerge(doc)?,
        None => {
            dirty.insert(index_id);
            TicketIndex::create()?
        }
    };
    let mut relay_indexes = HashMap::new();
    for id in desk.relay_indexes() {
        let result = load_document(store, id).await;
        if let Some(doc) = loaded(result, &mut tracker, &mut problems)? {
            relay_indexes.insert(id, doc);
        }
    }
    let mut organisation = HashMap::new();
    let chosen = OrgKind::ALL.map(|kind| desk.chosen(kind.name()));
    for id in desk
        .organisation()
        .into_iter()
        .chain(chosen.into_iter().flatten())
    {
        let result = load_document(store, id).await;
        if let Some(doc) = loaded(result, &mut tracker, &mut problems)? {
            organisation.insert(id, doc);
        }
    }
    let mut responses = HashMap::new();
    for id in desk.responses() {
        let result = load_document(store, id).await;
        if let Some(doc) = loaded(result, &mut tracker, &mut problems)? {
            responses.insert(id, doc);
        }
    }
    // Articles are read after the desk opens (see `Desk::unloaded_articles`): a knowledge base of
    // thousands must not hold up the list.
    let articles = HashMap::new();
    let docs = Documents {
        desk_id,
        desk,
        index_id,
        index,
        tickets: HashMap::new(),
        part_of: HashMap::new(),
        relay_indexes,
        organisation,
        responses,
        articles,
    };
    let announce = existing != Some(desk_id);
    let mut desk = Desk {
        tracker,
        docs,
        dirty,
        rows: Vec::new(),
        announce,
        to_offer: BTreeSet::new(),
        indexes_seen: HashMap::new(),
        knowledge: Default::default(),
        automate: BTreeSet::new(),
    };
    let unreadable = desk.rebuild_rows()?;
    if unreadable > 0 {
        problems.push(Problem::DamagedRows(unreadable));
    }
    Ok((desk, problems))
}

fn fresh_desk(
    new_id: &mut impl FnMut() -> DocumentId,
    dirty: &mut BTreeSet<DocumentId>,
) -> Result<(DocumentId, DeskDoc), StoreError> {
    let desk_id = new_id();
    let desk = DeskDoc::create(new_id())?;
    dirty.insert(desk_id);
    Ok((desk_id, desk))
}

/// Turns a load result into a document (or none), recording damage as a problem.
fn loaded(
    result: Result<Option<LoadedDocument>, LoadError>,
    tracker: &mut SaveTracker,
    problems: &mut Vec<Problem>,
) -> Result<Option<automerge::AutoCommit>, StorageError> {
    match result {
        Ok(Some(mut doc)) => {
            if !doc.corrupt.is_empty() {
                problems.push(Problem::DamagedChunks(doc.id));
            }
            tracker.loaded(&mut doc);
            Ok(Some(doc.doc))
        }
        Ok(None) => Ok(None),
        Err(LoadError::Corrupt(id)) => {
            problems.push(Problem::CorruptDocument(id));
            Ok(None)
        }
        Err(LoadError::Storage(e)) => Err(e),
    }
}

/// A ticket's documents as read from storage: its request and the parts this device stored.
#[derive(Debug)]
pub struct LoadedTicket {
    pub request: LoadedDocument,
    pub parts: Vec<LoadedDocument>,
}

/// Reads one ticket's documents from storage (the list only needs the index; a ticket opens on
/// demand). A damaged part is left out: sync brings it again.
pub async fn load_ticket(
    store: &impl ChunkStore,
    id: DocumentId,
) -> Result<Option<LoadedTicket>, LoadError> {
    let Some(request) = load_document(store, id).await? else {
        return Ok(None);
    };
    let mut family =
        TicketDoc::from_automerge(request.doc.clone()).map_err(|_| LoadError::Corrupt(id))?;
    let mut parts = Vec::new();
    let mut tried = BTreeSet::new();
    // Followers named in a part (the team's) lead to more parts: read until none is new.
    loop {
        let wanted: Vec<DocumentId> = family
            .readable_parts(true)
            .into_iter()
            .filter(|p| tried.insert(*p))
            .collect();
        if wanted.is_empty() {
            break;
        }
        for part in wanted {
            if let Ok(Some(loaded)) = load_document(store, part).await {
                family.attach(part, loaded.doc.clone());
                parts.push(loaded);
            }
        }
    }
    Ok(Some(LoadedTicket { request, parts }))
}

impl Desk {
    pub fn profile(&self) -> Option<Profile> {
        self.docs.desk.profile().ok().flatten()
    }

    pub fn set_profile(&mut self, profile: Profile) -> Result<(), StoreError> {
        self.docs.desk.set_profile(&profile)?;
        self.dirty.insert(self.docs.desk_id);
        Ok(())
    }

    /// The document holding this desk's own list rows.
    pub fn index_id(&self) -> DocumentId {
        self.docs.index_id
    }

    /// Every list row, newest activity first.
    pub fn rows(&self) -> &[(TicketSummary, SearchText)] {
        &self.rows
    }

    /// The serving departments seen on tickets so far, for filters and suggestions.
    pub fn departments(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .rows
            .iter()
            .map(|(s, _)| s.department.as_str())
            .collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// Files a new ticket as the profile's person.
    pub fn create_ticket(
        &mut self,
        id: DocumentId,
        draft: &TicketDraft,
        now: Timestamp,
    ) -> Result<(), CreateError> {
        let by = self.profile().ok_or(CreateError::NoProfile)?;
        let draft = draft.validate().map_err(CreateError::Invalid)?;
        let doc = TicketDoc::create(id, &draft, &by, now)?;
        self.docs.tickets.insert(id, doc);
        self.changed_here(id)?;
        // Staff filing for someone plan its approval at once; a requester's waits for the team.
        self.follow_approval(id, now)?;
        Ok(())
    }

    /// A ticket whose document is open, or `None` if it must be loaded first.
    pub fn ticket(&self, id: DocumentId) -> Option<Result<Ticket, StoreError>> {
        self.docs.tickets.get(&id).map(TicketDoc::read)
    }

    /// Adds a ticket's documents read from storage. Damaged documents are refused with the reason.
    pub fn insert_loaded(&mut self, loaded: LoadedTicket) -> Result<(), StoreError> {
        let LoadedTicket { mut request, parts } = loaded;
        let id = request.id;
        self.tracker.loaded(&mut request);
        let mut doc = TicketDoc::from_automerge(request.doc)?;
        for mut part in parts {
            self.tracker.loaded(&mut part);
            doc.attach(part.id, part.doc);
        }
        doc.read()?;
        self.docs.tickets.insert(id, doc);
        self.follow_parts(id);
        Ok(())
    }

    /// Where this person stands on a ticket: what the page offers them, and which of its
    /// documents take their changes. A desk not signed in to an organisation is its own admin.
    pub fn role_on(&self, ticket: &Ticket) -> TicketRole {
        let Some(profile) = self.profile() else {
            return TicketRole::Admin;
        };
        let Some(account) = profile.account else {
            return TicketRole::Admin;
        };
        // Departments as the directory has them now, after merges, as the relay reads them.
        let (directory, _) = self.directory();
        let current = |department: &str| {
            let id = crate::domain::directory::DepartmentId(department.to_string());
            directory.department_at(&id, Timestamp(i64::MAX)).0
        };
        let viewer = Viewer {
            id: account.person.clone(),
            department: current(&profile.department),
            role: account.role,
        };
        let mine =
            |email: &str| !account.email.is_empty() && email.eq_ignore_ascii_case(&account.email);
        let follows = ticket.watchers.iter().any(|w| mine(w));
        let queue = current(&ticket.department);
        TicketRole::on_ticket(&viewer, &queue, self.asked_for(ticket), follows)
    }

    /// Whether this person asked for the ticket (or filed it), whatever else they are on it: the
    /// request and its rating are theirs.
    pub fn asked_for(&self, ticket: &Ticket) -> bool {
        let Some(account) = self.profile().and_then(|p| p.account) else {
            return false;
        };
        ticket.filed_by == account.person.0
            || (!account.email.is_empty()
                && ticket.requester_email.eq_ignore_ascii_case(&account.email))
    }

    /// This person's role on an open ticket (`Outsider` when it is not open).
    pub fn role(&self, id: DocumentId) -> TicketRole {
        match self.ticket(id) {
            Some(Ok(ticket)) => self.role_on(&ticket),
            _ => TicketRole::Outsider,
        }
    }

    /// Which document of a ticket takes this person's replies and read markers.
    fn side(&self, id: DocumentId) -> Side {
        let role = self.role(id);
        match role {
            TicketRole::Requester => Side::Requester,
            _ if role.works() => Side::Team,
            _ => Side::Follower(self.me().email),
        }
    }

    /// Notes the parts of a ticket this desk keeps in step (the staff part only for its team);
    /// one it did not follow yet is offered to sync, which asks the relay for it.
    fn follow_parts(&mut self, id: DocumentId) {
        let staff = self.role(id).works();
        let Some(ticket) = self.docs.tickets.get(&id) else {
            return;
        };
        for part in ticket.readable_parts(staff) {
            if self.docs.part_of.insert(part, id).is_none() {
                self.to_offer.insert(part);
            }
        }
    }

    pub fn change_status(
        &mut self,
        id: DocumentId,
        to: Status,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let by = self.actor();
        if self.role(id).requested() && to == Status::Resolved {
            self.open_ticket(id)?.resolve_own(&by, now)?;
        } else {
            self.open_ticket(id)?.change_status(to, &by, now)?;
        }
        self.changed_here(id)?;
        Ok(())
    }

    /// Changes a ticket's priority, serving department or category.
    pub fn reclassify(
        &mut self,
        id: DocumentId,
        change: &Reclassification,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let by = self.actor();
        self.open_ticket(id)?.reclassify(change, &by, now)?;
        self.changed_here(id)?;
        Ok(())
    }

    pub fn add_comment(
        &mut self,
        id: DocumentId,
        body: &str,
        visibility: Visibility,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let by = self.actor();
        // Only a comment with an @ can mention anyone: the directory is read for those alone.
        let mentions = if body.contains('@') {
            crate::domain::automation::mentions(body, &self.mentionable())
        } else {
            Vec::new()
        };
        let side = self.side(id);
        self.open_ticket(id)?
            .add_comment(body, visibility, &mentions, (&by, &side), now)?;
        self.changed_here(id)?;
        Ok(())
    }

    /// Documents changed here since the last call, for sync to offer to the relay.
    pub fn take_offers(&mut self) -> Vec<DocumentId> {
        std::mem::take(&mut self.to_offer).into_iter().collect()
    }

    /// Documents changed here that the relay has not confirmed yet.
    pub fn outbox(&self) -> Vec<DocumentId> {
        self.docs.desk.outbox()
    }

    /// The relay has every change of `id` this device has.
    pub fn confirmed(&mut self, id: DocumentId) -> Result<(), StoreError> {
        if self.docs.desk.set_in_outbox(id, false)? {
            self.dirty.insert(self.docs.desk_id);
        }
        Ok(())
    }

    /// The relay will not take this device's changes to `id` (it reads them only): if this device
    /// had changed it, it leaves the outbox (it would never settle), and the title of the ticket
    /// it belongs to is returned so the person can be told.
    pub fn refused(&mut self, id: DocumentId) -> Option<String> {
        if !self.docs.desk.outbox().contains(&id) {
            return None;
        }
        self.docs.desk.set_in_outbox(id, false).ok()?;
        self.dirty.insert(self.docs.desk_id);
        let ticket = self.docs.part_of.get(&id).copied().unwrap_or(id);
        Some(match self.ticket(ticket) {
            Some(Ok(t)) => t.title,
            _ => ticket.short_code(),
        })
    }

    /// The relay's indexes this person reads (from the sign-in session).
    pub fn relay_indexes(&self) -> Vec<DocumentId> {
        self.docs.desk.relay_indexes()
    }

    pub fn set_relay_indexes(&mut self, ids: &[DocumentId]) -> Result<(), StoreError> {
        self.docs.desk.set_relay_indexes(ids)?;
        self.dirty.insert(self.docs.desk_id);
        self.docs.relay_indexes.retain(|id, _| ids.contains(id));
        Ok(())
    }

    /// The documents in memory that sync keeps in step: tickets and organisation documents.
    pub fn held_documents(&self) -> Vec<DocumentId> {
        let docs = &self.docs;
        docs.tickets
            .keys()
            .chain(docs.part_of.keys())
            .chain(docs.organisation.keys())
            .chain(docs.responses.keys())
            .chain(docs.articles.keys())
            .copied()
            .collect()
    }

    /// Whether this device holds the document in memory.
    pub fn holds(&self, id: DocumentId) -> bool {
        let docs = &self.docs;
        let part = docs.part_of.get(&id).and_then(|t| docs.tickets.get(t));
        part.is_some_and(|t| t.parts().any(|(p, _, _)| p == id))
            || self.docs.tickets.contains_key(&id)
            || self.docs.organisation.contains_key(&id)
            || self.docs.responses.contains_key(&id)
            || self.docs.articles.contains_key(&id)
    }

    /// The organisation documents the relay named for this person (from the sign-in session).
    pub fn set_organisation(&mut self, ids: &[DocumentId]) -> Result<(), StoreError> {
        if self.docs.desk.organisation() != ids {
            self.docs.desk.set_organisation(ids)?;
            self.dirty.insert(self.docs.desk_id);
        }
        self.choose_all()
    }

    /// The organisation's directory as this device knows it (empty before anyone has set one up),
    /// and how many of its entries could not be read.
    pub fn directory(&self) -> (Directory, usize) {
        self.docs
            .chosen(OrgKind::Directory)
            .and_then(|doc| directory_doc::read_directory(doc).ok())
            .unwrap_or_default()
    }

    /// How customers are classified (weights and manual segments).
    pub fn customer_settings(&self) -> CustomerSettings {
        self.docs
            .chosen(OrgKind::Directory)
            .map(directory_doc::customer_settings)
            .unwrap_or_default()
    }

    /// The service catalog, SLA policies and calendars (empty before anyone has set them up).
    pub fn catalog(&self) -> (Catalog, usize) {
        self.docs
            .chosen(OrgKind::Catalog)
            .and_then(|doc| catalog_doc::read_catalog(doc).ok())
            .unwrap_or_default()
    }

    /// Whether this person may change the organisation's configuration (directory, catalog): an
    /// admin, or anyone on a desk that is not signed in to an organisation (it is their own).
    pub fn may_configure(&self) -> bool {
        self.profile()
            .and_then(|p| p.account)
            .is_none_or(|a| a.role == Role::Admin)
    }

    /// Whether this person may change an organisation document of a kind: admins configure;
    /// staff keep the workbench; everyone writes on the suggestion board.
    pub fn may_edit(&self, kind: OrgKind) -> bool {
        let role = self.profile().and_then(|p| p.account).map(|a| a.role);
        match kind {
            OrgKind::Board => true,
            OrgKind::Workbench => role.is_none_or(|r| r.works_queues() || r == Role::Admin),
            _ => self.may_configure(),
        }
    }

    /// Saves a changed directory (creating the document, with `new_id`, on first use).
    pub fn save_directory(
        &mut self,
        wanted: &Directory,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Directory, new_id, |doc| {
            directory_doc::save_directory(doc, wanted)
        })
    }

    pub fn save_customer_settings(
        &mut self,
        settings: &CustomerSettings,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Directory, new_id, |doc| {
            directory_doc::set_customer_settings(doc, settings)
        })
    }

    pub fn save_catalog(
        &mut self,
        wanted: &Catalog,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Catalog, new_id, |doc| {
            catalog_doc::save_catalog(doc, wanted)
        })
    }

    /// Changes the organisation document of a kind, creating it (with `new_id`) on first use.
    fn edit_organisation(
        &mut self,
        kind: OrgKind,
        new_id: impl FnOnce() -> DocumentId,
        edit: impl FnOnce(&mut AutoCommit) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let id = match self.docs.desk.chosen(kind.name()) {
            Some(id) if self.docs.organisation.contains_key(&id) => id,
            _ => {
                let id = new_id();
                self.docs.organisation.insert(id, kind.create()?);
                self.docs.desk.set_chosen(kind.name(), id)?;
                self.dirty.insert(self.docs.desk_id);
                id
            }
        };
        let doc = self
            .docs
            .organisation
            .get_mut(&id)
            .ok_or(StoreError::Missing("organisation document"))?;
        edit(doc)?;
        self.changed_here(id)
    }

    fn choose_all(&mut self) -> Result<(), StoreError> {
        for kind in OrgKind::ALL {
            self.choose(kind)?;
        }
        Ok(())
    }

    /// Settles on one document of a kind when the organisation has one: the organisation's (the
    /// lowest id, should two admins have created one each while offline). One begun on this desk
    /// before it knew the organisation's is folded into it, so no entry is lost.
    fn choose(&mut self, kind: OrgKind) -> Result<(), StoreError> {
        let listed = self.docs.desk.organisation();
        let Some(chosen) = listed
            .iter()
            .filter(|id| self.docs.organisation.get(id).is_some_and(|d| kind.is(d)))
            .min()
            .copied()
        else {
            return Ok(());
        };
        let previous = self.docs.desk.chosen(kind.name());
        if previous == Some(chosen) {
            return Ok(());
        }
        self.docs.desk.set_chosen(kind.name(), chosen)?;
        self.dirty.insert(self.docs.desk_id);
        let earlier = previous
            .and_then(|id| self.docs.organisation.get(&id))
            .cloned();
        if let Some(earlier) = earlier.filter(|_| self.may_edit(kind)) {
            let doc = self
                .docs
                .organisation
                .get_mut(&chosen)
                .ok_or(StoreError::Missing("organisation document"))?;
            kind.fold(doc, &earlier)?;
            self.changed_here(chosen)?;
        }
        Ok(())
    }

    /// A synced document received changes from the relay. Returns the open tickets a relay index
    /// lists that this device does not hold, for sync to fetch.
    pub fn changed_remotely(&mut self, id: DocumentId) -> Result<Vec<DocumentId>, StoreError> {
        if let Some(ticket) = self.docs.part_of.get(&id).copied() {
            self.dirty.insert(id);
            self.ticket_changed(ticket)?;
            return Ok(Vec::new());
        }
        if self.docs.tickets.contains_key(&id) {
            self.ticket_changed(id)?;
            return Ok(Vec::new());
        }
        if self.docs.organisation.contains_key(&id) {
            self.dirty.insert(id);
            self.choose_all()?;
            return Ok(Vec::new());
        }
        if self.docs.articles.contains_key(&id) {
            self.dirty.insert(id);
            self.read_article(id);
            return Ok(Vec::new());
        }
        if !self.docs.relay_indexes.contains_key(&id) {
            return Ok(Vec::new());
        }
        self.dirty.insert(id);
        let mut wanted = self.learn_shared(id)?;
        let Some(index) = self.docs.relay_indexes.get_mut(&id) else {
            return Ok(wanted);
        };
        let seen = self.indexes_seen.remove(&id).unwrap_or_default();
        let listed = ticket_index::written_since(index, &seen)?;
        self.indexes_seen.insert(id, index.get_heads());
        for row in listed {
            if self.docs.tickets.contains_key(&row.id) {
                continue;
            }
            if row.status.is_open() {
                wanted.push(row.id);
            }
            if self.docs.index.get(row.id)?.as_ref() != Some(&row) {
                self.docs.index.upsert(&row)?;
                self.dirty.insert(self.docs.index_id);
                self.place_row(row);
            }
        }
        Ok(wanted)
    }

    /// Shared documents a relay index names that this desk did not know of (made while it was
    /// online): from now on they are the organisation's, and sync fetches them.
    fn learn_shared(&mut self, index: DocumentId) -> Result<Vec<DocumentId>, StoreError> {
        let Some(doc) = self.docs.relay_indexes.get(&index) else {
            return Ok(Vec::new());
        };
        let mut known = self.docs.desk.organisation();
        let articles = self.docs.desk.articles();
        let mut new = Vec::new();
        let mut new_articles = Vec::new();
        for (id, kind) in ticket_index::announced(doc) {
            match kind {
                Announced::Shared if !known.contains(&id) => new.push(id),
                Announced::Article if !articles.contains(&id) => new_articles.push(id),
                _ => {}
            }
        }
        if !new.is_empty() {
            known.extend(&new);
            self.docs.desk.set_organisation(&known)?;
            self.dirty.insert(self.docs.desk_id);
        }
        for id in &new_articles {
            self.docs.desk.add_article(*id)?;
            self.dirty.insert(self.docs.desk_id);
        }
        new.extend(new_articles);
        Ok(new)
    }

    /// The writes that would make every changed document durable.
    pub fn pending_writes(&mut self) -> Vec<WritePlan> {
        let ids: Vec<DocumentId> = self.dirty.iter().copied().collect();
        let mut plans: Vec<WritePlan> = ids
            .into_iter()
            .filter_map(|id| {
                let plan = self
                    .docs
                    .get_mut(id)
                    .and_then(|doc| self.tracker.plan(id, doc));
                if plan.is_none() {
                    self.dirty.remove(&id);
                }
                plan
            })
            .collect();
        if self.announce {
            // Written last, in the desk's own batch: the setting never names a desk that is not stored.
            plans.sort_by_key(|p| p.doc == self.docs.desk_id);
            if let Some(plan) = plans.iter_mut().find(|p| p.doc == self.docs.desk_id) {
                plan.batch
                    .settings
                    .push((DESK_SETTING.into(), self.docs.desk_id.to_string()));
            }
        }
        plans
    }

    /// Confirms a write from [`Self::pending_writes`]; the document stays dirty if it changed meanwhile.
    pub fn saved(&mut self, plan: WritePlan) {
        let id = plan.doc;
        if !plan.batch.settings.is_empty() {
            self.announce = false;
        }
        self.tracker.saved(plan);
        let heads = self.docs.get_mut(id).map(|doc| doc.get_heads());
        if heads.is_none_or(|h| self.tracker.is_durable_at(id, &h)) {
            self.dirty.remove(&id);
        }
    }

    /// Treats every open document as never stored, for a store that starts empty (such as IndexedDB
    /// becoming available after the desk began in memory): the next writes store everything.
    pub fn forget_durability(&mut self) {
        self.tracker = SaveTracker::new();
        let docs = &self.docs;
        self.dirty = [docs.desk_id, docs.index_id]
            .into_iter()
            .chain(docs.tickets.keys().copied())
            .chain(
                docs.tickets
                    .values()
                    .flat_map(|t| t.parts().map(|(id, _, _)| id)),
            )
            .chain(docs.relay_indexes.keys().copied())
            .chain(docs.organisation.keys().copied())
            .chain(docs.responses.keys().copied())
            .chain(docs.articles.keys().copied())
            .collect();
        self.announce = true;
    }

    /// Whether any change is not yet durable.
    pub fn has_unsaved(&self) -> bool {
        !self.dirty.is_empty()
    }

    fn actor(&self) -> String {
        self.profile().map(|p| p.name).unwrap_or_default()
    }

    fn open_ticket(&mut self, id: DocumentId) -> Result<&mut TicketDoc, StoreError> {
        self.docs
            .tickets
            .get_mut(&id)
            .ok_or(StoreError::Missing("ticket"))
    }

    /// A change made on this device: stored, offered to the relay, and kept in the outbox until
    /// the relay confirms it (so a reload before reconnecting still sends it).
    fn changed_here(&mut self, id: DocumentId) -> Result<(), StoreError> {
        let changed = match self.docs.tickets.get_mut(&id) {
            Some(ticket) => ticket.take_touched(),
            None => vec![id],
        };
        if self.docs.tickets.contains_key(&id) {
            for part in &changed {
                if *part != id {
                    self.docs.part_of.insert(*part, id);
                }
            }
            self.ticket_changed(id)?;
        }
        for doc in changed {
            self.dirty.insert(doc);
            self.docs.desk.set_in_outbox(doc, true)?;
            self.to_offer.insert(doc);
        }
        self.dirty.insert(self.docs.desk_id);
        Ok(())
    }

    /// Rewrites a ticket's list row after any change to it.
    fn ticket_changed(&mut self, id: DocumentId) -> Result<(), StoreError> {
        let summary = TicketSummary::from(&self.open_ticket(id)?.read()?);
        self.follow_parts(id);
        self.automate.insert(id);
        self.docs.index.upsert(&summary)?;
        self.dirty.insert(id);
        self.dirty.insert(self.docs.index_id);
        self.place_row(summary);
        Ok(())
    }

    /// Puts a list row where its last activity sorts it, replacing any older row of the ticket.
    /// A changed ticket moves only past the rows between its old and new places (usually a few at
    /// the top), not the whole list.
    fn place_row(&mut self, summary: TicketSummary) {
        self.knowledge.index_row(&summary);
        let text = SearchText::of(&summary);
        let old = self.rows.iter().position(|(s, _)| s.id == summary.id);
        let at = self
            .rows
            .partition_point(|(s, _)| s.updated_at > summary.updated_at);
        match old {
            // Newer than before (the usual case): the rows in between move down one.
            Some(old) if at <= old => {
                self.rows[at..=old].rotate_right(1);
                self.rows[at] = (summary, text);
            }
            // Older than before: the old row counted among the newer ones, so it lands one higher.
            Some(old) => {
                self.rows[old..at].rotate_left(1);
                self.rows[at - 1] = (summary, text);
            }
            None => self.rows.insert(at, (summary, text)),
        }
    }

    fn rebuild_rows(&mut self) -> Result<usize, StoreError> {
        let read = self.docs.index.rows()?;
        let mut rows: Vec<_> = read
            .rows
            .into_iter()
            .map(|s| (SearchText::of(&s), s))
            .map(|(t, s)| (s, t))
            .collect();
        rows.sort_by_key(|(s, _)| std::cmp::Reverse(s.updated_at));
        self.rows = rows;
        Ok(read.unreadable.len())
    }
}

/// What sync reads and fills: tickets and the relay's indexes, never the desk's own documents.
impl Replica for Desk {
    fn doc_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit> {
        self.docs.shared_mut(id)
    }

    /// A document fetched from the relay: kept if it is one of this person's indexes or a readable
    /// ticket, and stored like any other.
    fn adopt(&mut self, id: DocumentId, doc: AutoCommit) {
        if self.docs.desk.relay_indexes().contains(&id) {
            self.docs.relay_indexes.insert(id, doc);
            self.dirty.insert(id);
        } else if self.docs.desk.organisation().contains(&id) {
            self.docs.organisation.insert(id, doc);
            self.dirty.insert(id);
            let _ = self.choose_all();
        } else if self.docs.desk.responses().contains(&id) {
            self.docs.responses.insert(id, doc);
            self.dirty.insert(id);
        } else if self.docs.desk.articles().contains(&id) {
            self.docs.articles.insert(id, doc);
            self.dirty.insert(id);
            self.read_article(id);
        } else if let Some(ticket) = self.docs.part_of.get(&id).copied() {
            if let Some(family) = self.docs.tickets.get_mut(&ticket) {
                if family.attach(id, doc) {
                    self.dirty.insert(id);
                    let _ = self.ticket_changed(ticket);
                }
            }
        } else if let Ok(ticket) = TicketDoc::from_automerge(doc) {
            if ticket.read().is_ok() {
                self.docs.tickets.insert(id, ticket);
                self.dirty.insert(id);
                self.automate.insert(id);
                self.follow_parts(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Priority;
    use crate::storage::MemoryStore;
    use crate::sync::Replica;
    use futures::executor::block_on;

    fn ids() -> impl FnMut() -> DocumentId {
        let mut n = 0u8;
        move || {
            n += 1;
            DocumentId::from_bytes([n; 16])
        }
    }

    fn draft(title: &str, department: &str) -> TicketDraft {
        TicketDraft {
            title: title.into(),
            description: "".into(),
            requester: "王芳".into(),
            department: department.into(),
            category: "".into(),
            priority: Priority::Normal,
            ..Default::default()
        }
    }

    fn write_all(desk: &mut Desk, store: &MemoryStore) {
        for plan in desk.pending_writes() {
            block_on(store.write(plan.batch.clone())).unwrap();
            desk.saved(plan);
        }
    }

    fn opened(store: &MemoryStore) -> Desk {
        let mut new_id = ids();
        let (mut desk, problems) = block_on(open_desk(store, &mut new_id)).unwrap();
        assert!(problems.is_empty());
        if desk.profile().is_none() {
            desk.set_profile(Profile::new("王芳", "财务部").unwrap())
                .unwrap();
        }
        desk
    }

    #[test]
    fn rows_stay_newest_first_however_tickets_move() {
        let store = MemoryStore::new();
        let mut desk = opened(&store);
        desk.create_ticket(
            DocumentId::from_bytes([60; 16]),
            &draft("template", "IT"),
            Timestamp(1),
        )
        .unwrap();
        let template = desk.rows()[0].0.clone();
        let mut reference: Vec<TicketSummary> = vec![template.clone()];
        let mut seed = 0x5eed_u64;
        for _ in 0..2_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let mut row = template.clone();
            row.id = DocumentId::from_bytes([(seed >> 40) as u8 % 40; 16]);
            row.updated_at = Timestamp((seed >> 20) as i64 % 500);
            reference.retain(|s| s.id != row.id);
            let at = reference.partition_point(|s| s.updated_at > row.updated_at);
            reference.insert(at, row.clone());
            desk.place_row(row);
            let ids = |rows: &mut dyn Iterator<Item = &TicketSummary>| {
                rows.map(|s| s.id).collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&mut desk.rows().iter().map(|(s, _)| s)),
                ids(&mut reference.iter())
            );
        }
    }

    #[test]
    fn tickets_list_newest_first_and_departments_are_collected() {
        let store = MemoryStore::new();
        let mut desk = opened(&store);
        desk.create_ticket(
            DocumentId::from_bytes([50; 16]),
            &draft("first", "IT"),
            Timestamp(10),
        )
        .unwrap();
        desk.create_ticket(
            DocumentId::from_bytes([51; 16]),
            &draft("second", "HR"),
            Timestamp(20),
        )
        .unwrap();
        let titles: Vec<_> = desk.rows().iter().map(|(s, _)| s.title.as_str()).collect();
        assert_eq!(titles, ["second", "first"]);
        desk.change_status(
            DocumentId::from_bytes([50; 16]),
            Status::InProgress,
            Timestamp(30),
        )
        .unwrap();
        assert_eq!(
            desk.rows()[0].0.title,
            "first",
            "activity moves a ticket to the top"
        );
        assert_eq!(desk.departments(), ["HR", "IT"]);
    }

    #[test]
    fn an_invalid_draft_changes_nothing() {
        let store = MemoryStore::new();
        let mut desk = opened(&store);
        write_all(&mut desk, &store);
        let err = desk
            .create_ticket(
                DocumentId::from_bytes([60; 16]),
                &draft("  ", "IT"),
                Timestamp(1),
            )
            .unwrap_err();
        assert!(matches!(err, CreateError::Invalid(ref e) if e == &[DraftError::TitleMissing]));
        assert!(desk.rows().is_empty());
        assert!(!desk.has_unsaved());
    }

    #[test]
    fn a_write_that_failed_is_planned_again_with_everything_since() {
        let store = MemoryStore::new();
        let mut desk = opened(&store);
        let id = DocumentId::from_bytes([70; 16]);
        desk.create_ticket(id, &draft("quota", "IT"), Timestamp(1))
            .unwrap();
        let lost = desk.pending_writes(); // the disk was full: nothing written, nothing confirmed
        assert!(!lost.is_empty());
        desk.add_comment(id, "still here", Visibility::Public, Timestamp(2))
            .unwrap();
        assert!(desk.has_unsaved());
        write_all(&mut desk, &store);
        assert!(!desk.has_unsaved());

        let mut reopened = opened(&store);
        assert_eq!(reopened.rows().len(), 1);
        let loaded = block_on(load_ticket(&store, id)).unwrap().unwrap();
        reopened.insert_loaded(loaded).unwrap();
        let ticket = reopened.ticket(id).unwrap().unwrap();
        assert_eq!(ticket.comments[0].body, "still here");
    }

    #[test]
    fn a_desk_begun_in_memory_moves_whole_to_an_empty_store() {
        let memory = MemoryStore::new();
        let mut desk = opened(&memory);
        let id = DocumentId::from_bytes([80; 16]);
        desk.create_ticket(id, &draft("begun offline", "IT"), Timestamp(1))
            .unwrap();
        write_all(&mut desk, &memory);
        let durable = MemoryStore::new();
        desk.forget_durability();
        write_all(&mut desk, &durable);
        let mut moved = opened(&durable);
        assert_eq!(moved.profile().unwrap().name, "王芳");
        let loaded = block_on(load_ticket(&durable, id)).unwrap().unwrap();
        moved.insert_loaded(loaded).unwrap();
        assert_eq!(moved.ticket(id).unwrap().unwrap().title, "begun offline");
    }

    #[test]
    fn a_directory_begun_here_is_kept_and_folds_into_the_organisations() {
        use crate::domain::people_csv::preview_import;
        let import = |csv: &str, into: &Directory| {
            preview_import(csv.as_bytes(), into)
                .unwrap()
                .apply()
                .unwrap()
        };
        let store = MemoryStore::new();
        let mut desk = opened(&store);
        assert!(desk.may_configure(), "a desk of one's own");
        let mine = import(
            "name,email,department\n张三,zs@x.cn,信息技术部\n",
            &Directory::default(),
        );
        desk.save_directory(&mine, || DocumentId::from_bytes([90; 16]))
            .unwrap();
        write_all(&mut desk, &store);
        let mut desk = opened(&store);
        assert_eq!(desk.directory().0, mine);

        // The organisation's directory arrives from the relay.
        let org_id = DocumentId::from_bytes([91; 16]);
        let theirs = import(
            "name,email,department\n李四,ls@x.cn,财务部\n",
            &Directory::default(),
        );
        let mut org = directory_doc::create().unwrap();
        directory_doc::save_directory(&mut org, &theirs).unwrap();
        desk.set_organisation(&[org_id]).unwrap();
        desk.adopt(org_id, org);
        let (both, _) = desk.directory();
        assert_eq!(both.people.len(), 2);
        assert!(
            desk.outbox().contains(&org_id),
            "the folded entries go to the relay"
        );
        write_all(&mut desk, &store);
        assert_eq!(opened(&store).directory().0.people.len(), 2);
    }

    /// A desk signed in as `role` of `department`.
    fn signed_in(
        store: &MemoryStore,
        name: &str,
        email: &str,
        department: &str,
        role: Role,
    ) -> Desk {
        let mut desk = opened(store);
        let mut profile = Profile::new(name, department).unwrap();
        profile.account = Some(crate::domain::Account {
            person: crate::access::PersonId(email.split('@').next().unwrap().into()),
            role,
            email: email.into(),
        });
        desk.set_profile(profile).unwrap();
        desk
    }

    #[test]
    fn each_person_writes_their_own_side_of_a_ticket_and_sync_follows_its_parts() {
        use crate::store::ticket_parts::{part_id, Part};
        let id = DocumentId::from_bytes([77; 16]);
        let mut wang = signed_in(
            &MemoryStore::new(),
            "王芳",
            "wang@example.cn",
            "财务部",
            Role::Requester,
        );
        wang.create_ticket(id, &draft("VPN", "IT"), Timestamp(1))
            .unwrap();
        let _ = wang.take_offers();
        assert_eq!(wang.role(id), TicketRole::Requester);
        wang.add_comment(id, "还是不行", Visibility::Public, Timestamp(2))
            .unwrap();
        assert_eq!(wang.take_offers(), [id], "her reply is in her request");
        assert!(
            wang.held_documents().contains(&part_id(id, &Part::Team))
                && !wang.held_documents().contains(&part_id(id, &Part::Staff)),
            "she follows the team's part, never the internal notes"
        );

        let mut li = signed_in(
            &MemoryStore::new(),
            "Li Lei",
            "li@example.cn",
            "IT",
            Role::Agent,
        );
        li.adopt(id, wang.docs.tickets[&id].automerge().clone());
        assert_eq!(li.role(id), TicketRole::Team);
        let offered = li.take_offers();
        for part in [Part::Team, Part::Staff] {
            assert!(
                offered.contains(&part_id(id, &part)),
                "the team asks the relay for its parts"
            );
        }
        li.add_comment(id, "查日志", Visibility::Internal, Timestamp(3))
            .unwrap();
        li.change_status(id, Status::InProgress, Timestamp(4))
            .unwrap();
        let mut changed = li.take_offers();
        changed.sort();
        let mut parts = vec![part_id(id, &Part::Staff), part_id(id, &Part::Team)];
        parts.sort();
        assert_eq!(changed, parts);
        assert_eq!(li.outbox().len(), 2);

        // Were the relay to refuse the team's part (the ticket moved to another queue meanwhile),
        // it leaves the outbox and the person is told which ticket.
        assert_eq!(li.refused(part_id(id, &Part::Team)).as_deref(), Some("VPN"));
        assert_eq!(li.refused(part_id(id, &Part::Team)), None, "told once");
        assert_eq!(li.refused(id), None, "a document it only read is no news");
    }

    #[test]
    fn a_low_rating_offers_its_follow_up_to_sync() {
        let store = MemoryStore::new();
        let mut desk = signed_in(&store, "王芳", "wang@example.cn", "财务部", Role::Requester);
        let id = DocumentId::from_bytes([40; 16]);
        let draft = TicketDraft {
            title: "VPN".into(),
            requester: "王芳".into(),
            department: "IT".into(),
            ..Default::default()
        };
        desk.create_ticket(id, &draft, Timestamp(1)).unwrap();
        // The team resolves it (its part arrives from the relay).
        let mut team = desk.docs.tickets.get_mut(&id).unwrap().fork();
        team.change_status(Status::Resolved, "Li", Timestamp(2))
            .unwrap();
        for part in team.take_touched() {
            let doc = team.doc_mut(part).unwrap().fork();
            desk.adopt(part, doc);
        }
        assert_eq!(desk.ticket(id).unwrap().unwrap().status, Status::Resolved);
        let _ = desk.take_offers();
        let follow = DocumentId::from_bytes([41; 16]);
        let mut follow_draft = draft.clone();
        follow_draft.follow_up_of = Some(id);
        desk.rate(id, 2, "慢", Timestamp(3), |_, _| {
            Some((follow, follow_draft))
        })
        .unwrap();
        let offers = desk.take_offers();
        assert!(offers.contains(&id), "{offers:?}");
        assert!(offers.contains(&follow), "{offers:?}");
    }

    #[test]
    fn the_desk_is_named_only_once_it_is_stored() {
        let store = MemoryStore::new();
        let mut desk = opened(&store);
        let _ = desk.pending_writes(); // failed
        assert_eq!(block_on(store.setting(DESK_SETTING)).unwrap(), None);
        write_all(&mut desk, &store);
        assert!(block_on(store.setting(DESK_SETTING)).unwrap().is_some());
        assert_eq!(opened(&store).profile().unwrap().name, "王芳");
    }
}

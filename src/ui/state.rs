//! The page's state: the local [`Desk`] and its store, plus the signals components read. Actions
//! change the desk in memory at once, then [`AppState::persist`] makes them durable; the indicator says
//! "saved" only once IndexedDB has committed. A failed write keeps the change in memory and is retried.

use super::sync::{offer_changes, track, Link, SyncView};
use crate::access::TicketRole;
use crate::domain::automation::Automation;
use crate::domain::catalog::Catalog;
use crate::domain::classification::CustomerSettings;
use crate::domain::directory::Directory;
use crate::domain::knowledge::ArticleDraft;
use crate::domain::{
    DocumentId, Profile, Reclassification, Status, TicketDraft, Timestamp, Visibility,
};
use crate::storage::browser::{BrowserStore, DATABASE};
use crate::storage::indexeddb::IdbStore;
use crate::storage::{ChunkStore, StorageError};
use crate::store::desk::DESK_SETTING;
use crate::store::desk::{
    load_article, load_ticket, open_desk, ArticleSaveError, CreateError, DecideError, Desk, Problem,
};
use crate::store::{StoreError, TicketChangeError};
use crate::sync::SyncClient;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// How long to wait before retrying a failed save.
const RETRY_MS: u32 = 3_000;
/// How often rules with delays and SLA warnings are looked at on every open ticket held.
const AUTOMATION_TICK_MS: u32 = 60_000;
/// How often to try IndexedDB again after it could not be opened.
const RECONNECT_MS: u32 = 5_000;
/// How long after the first change of a burst from the relay readers are told about it: short
/// enough to feel live, long enough to gather a catch-up's messages into a few redraws.
const REMOTE_REDRAW_MS: u32 = 100;

/// Whether every change is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    Saved,
    Saving,
    Failed(StorageError),
}

/// Whether a ticket could be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAvailability {
    Open,
    /// Not on this device.
    Missing,
    /// Not on this device; asked from the relay.
    Fetching,
    /// Stored, but damaged beyond reading.
    Damaged,
}

/// Something the user should know about storage, shown in a banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    StorageUnavailable,
    Damaged(Vec<Problem>),
    /// The relay would not take this device's change to a ticket (by title): the person may no
    /// longer write that part of it.
    Refused(String),
}

impl Inner {
    fn store(&self) -> Rc<BrowserStore> {
        self.store.borrow().clone()
    }
}

struct Inner {
    desk: RefCell<Desk>,
    /// Swapped once, if IndexedDB becomes available after the desk began in memory.
    store: RefCell<Rc<BrowserStore>>,
    flushing: Cell<bool>,
    flush_again: Cell<bool>,
    retry_scheduled: Cell<bool>,
    /// Changes from the relay arrived and readers will be told shortly.
    remote_redraw_due: Cell<bool>,
    link: Rc<RefCell<Link>>,
}

/// Shared by every component through context. `Copy`: every field is a handle.
#[derive(Clone, Copy)]
pub struct AppState {
    inner: StoredValue<Rc<Inner>, LocalStorage>,
    /// Bumped whenever desk data changes; readers of the desk track it.
    pub version: RwSignal<u64>,
    pub save: RwSignal<SaveState>,
    pub notices: RwSignal<Vec<Notice>>,
    pub sync: RwSignal<SyncView>,
    /// Documents the relay said it will not share (or does not have).
    pub unavailable: RwSignal<Vec<DocumentId>>,
}

/// The current wall-clock time, the only place the page reads the clock for domain actions.
pub fn now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}

/// A fresh random document id.
pub fn new_id() -> DocumentId {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the browser's crypto.getRandomValues is available");
    DocumentId::from_bytes(bytes)
}

impl AppState {
    /// Opens storage and the desk. Never fails: a broken store falls back to memory with a notice.
    pub async fn open() -> Self {
        let (store, unavailable) = BrowserStore::open().await;
        let mut notices = Vec::new();
        if unavailable.is_some() {
            notices.push(Notice::StorageUnavailable);
        }
        let (desk, problems) = match open_desk(&store, &mut new_id).await {
            Ok(opened) => opened,
            Err(_) => {
                // The database opened but cannot be read: work in memory rather than not at all.
                notices.push(Notice::StorageUnavailable);
                let memory = BrowserStore::Memory(Default::default());
                let opened = open_desk(&memory, &mut new_id)
                    .await
                    .expect("a memory store always opens");
                let state = Self::assemble(memory, opened.0, notices);
                state.reconnect_later();
                return state;
            }
        };
        if !problems.is_empty() {
            notices.push(Notice::Damaged(problems));
        }
        let in_memory = matches!(store, BrowserStore::Memory(_));
        let state = Self::assemble(store, desk, notices);
        state.persist(); // a brand-new desk is written at once
        spawn_local(state.load_articles());
        // Delays and SLA warnings come due with time alone; the page lives as long as the tab.
        gloo::timers::callback::Interval::new(AUTOMATION_TICK_MS, move || {
            state.run_automation(true)
        })
        .forget();
        if in_memory {
            state.reconnect_later();
        }
        state
    }

    fn assemble(store: BrowserStore, desk: Desk, notices: Vec<Notice>) -> Self {
        let inner = Inner {
            desk: RefCell::new(desk),
            store: RefCell::new(Rc::new(store)),
            flushing: Cell::new(false),
            flush_again: Cell::new(false),
            retry_scheduled: Cell::new(false),
            remote_redraw_due: Cell::new(false),
            link: Rc::default(),
        };
        Self {
            inner: StoredValue::new_local(Rc::new(inner)),
            version: RwSignal::new(0),
            save: RwSignal::new(SaveState::Saved),
            notices: RwSignal::new(notices),
            sync: RwSignal::new(SyncView::LocalOnly),
            unavailable: RwSignal::new(Vec::new()),
        }
    }

    pub(super) fn store(&self) -> Rc<BrowserStore> {
        self.inner().store()
    }

    /// Deletes everything the page keeps on this device. From here on, until the page is
    /// reloaded, it works in memory only, so nothing is written back.
    pub(super) async fn forget_everything(&self) {
        let kept = self
            .inner()
            .store
            .replace(Rc::new(BrowserStore::Memory(Default::default())));
        if kept.destroy().await.is_err() {
            leptos::logging::warn!("could not delete this device's data");
        }
    }

    /// Documents changed here that the relay has not confirmed, leaving out those it said it
    /// will not share with this person (they would never be sent).
    pub fn unsent(&self) -> usize {
        let unavailable = self.unavailable.get();
        self.read(|d| {
            d.outbox()
                .into_iter()
                .filter(|id| !unavailable.contains(id))
                .count()
        })
    }

    pub(super) fn link(&self) -> Rc<RefCell<Link>> {
        self.inner().link.clone()
    }

    /// Runs `f` on the sync client, if this device has signed in.
    pub(super) fn with_client<T>(&self, f: impl FnOnce(&SyncClient) -> T) -> Option<T> {
        self.inner().link.borrow().client().map(f)
    }

    /// Runs `f` on the desk and the sync client together (the client reads and fills the desk).
    pub(super) fn with_desk_and_client<T>(
        &self,
        f: impl FnOnce(&mut Desk, &mut SyncClient) -> T,
    ) -> Option<T> {
        let inner = self.inner();
        let mut link = inner.link.borrow_mut();
        let client = link.client_mut()?;
        let result = f(&mut inner.desk.borrow_mut(), client);
        Some(result)
    }

    fn inner(&self) -> Rc<Inner> {
        self.inner.get_value()
    }

    /// Reads the desk, tracking [`Self::version`] so the caller re-runs when data changes.
    pub fn read<T>(&self, f: impl FnOnce(&Desk) -> T) -> T {
        self.version.track();
        f(&self.inner().desk.borrow())
    }

    /// Reads the desk once, without subscribing (for a form's initial values).
    pub fn read_untracked<T>(&self, f: impl FnOnce(&Desk) -> T) -> T {
        f(&self.inner().desk.borrow())
    }

    /// Changes the desk, then tells readers, starts saving and offers the change to the relay.
    /// The organisation's rules run on whatever the change touched before anyone sees it.
    pub(super) fn change<T>(&self, f: impl FnOnce(&mut Desk) -> T) -> T {
        let result = self.change_quietly(|d| {
            let result = f(d);
            d.run_automation(now(), false);
            result
        });
        self.version.update(|v| *v += 1);
        offer_changes(*self);
        result
    }

    /// Changes the desk and starts saving, without telling readers (for bookkeeping they never show).
    pub(super) fn change_quietly<T>(&self, f: impl FnOnce(&mut Desk) -> T) -> T {
        let result = f(&mut self.inner().desk.borrow_mut());
        self.persist();
        result
    }

    /// Tells readers about changes that came from the relay. They arrive in bursts (catching up
    /// after offline work brings hundreds of messages, each touching the list's index), so readers
    /// are told once per burst, [`REMOTE_REDRAW_MS`] after its first change, not once per message:
    /// every telling recomputes the lists and the SLA clocks of every row.
    pub(super) fn changed_remotely(&self) {
        if self.inner().remote_redraw_due.replace(true) {
            return;
        }
        let state = *self;
        gloo::timers::callback::Timeout::new(REMOTE_REDRAW_MS, move || {
            state.inner().remote_redraw_due.set(false);
            state.version.update(|v| *v += 1);
            state.run_automation(false);
        })
        .forget();
    }

    /// Runs the rules on tickets changed by others (or, every minute, on every open ticket held,
    /// for delays and SLA warnings); what they did is saved and offered like any change.
    pub(super) fn run_automation(&self, every_open: bool) {
        let fired = self.change_quietly(|d| d.run_automation(now(), every_open));
        if fired > 0 {
            self.version.update(|v| *v += 1);
            offer_changes(*self);
        }
    }

    pub fn save_automation(&self, automation: &Automation) -> Result<(), StoreError> {
        self.change(|d| d.save_automation(automation, new_id))
    }

    pub fn set_away(&self, email: &str, away: bool) -> Result<(), StoreError> {
        self.change(|d| d.set_away(email, away, new_id))
    }

    /// Whether the person signed in here is an administrator, following profile changes.
    pub fn is_admin(&self) -> bool {
        self.read(|d| {
            d.profile()
                .and_then(|p| p.account)
                .is_some_and(|a| a.role == crate::access::Role::Admin)
        })
    }

    /// Where this person stands on a ticket (what the page offers them), following its changes.
    pub fn role_on(&self, ticket: &crate::domain::Ticket) -> TicketRole {
        self.read(|d| d.role_on(ticket))
    }

    pub fn assign(&self, id: DocumentId, to: &str) -> Result<(), TicketChangeError> {
        self.change(|d| d.assign(id, to, now()))
    }

    pub fn decide(&self, id: DocumentId, approve: bool, comment: &str) -> Result<(), DecideError> {
        self.change(|d| d.decide(id, approve, comment, now()))
    }

    /// Marks the ticket read by this person; readers are told only when something was new to
    /// them (telling them always would make the page mark it read again, for ever).
    pub fn mark_seen(&self, id: DocumentId) {
        let marked = self.change_quietly(|d| d.mark_seen(id, now()).unwrap_or(false));
        if marked {
            self.version.update(|v| *v += 1);
            offer_changes(*self);
        }
    }

    pub fn save_profile(&self, profile: Profile) {
        self.change(|d| d.set_profile(profile)).ok();
    }

    /// Saves an edited directory (an import, a rename, a merge…) as one change.
    pub fn save_directory(&self, directory: &Directory) -> Result<(), StoreError> {
        self.change(|d| d.save_directory(directory, new_id))
    }

    pub fn save_catalog(&self, catalog: &Catalog) -> Result<(), StoreError> {
        self.change(|d| d.save_catalog(catalog, new_id))
    }

    pub fn save_customer_settings(&self, settings: &CustomerSettings) -> Result<(), StoreError> {
        self.change(|d| d.save_customer_settings(settings, new_id))
    }

    pub fn create_ticket(&self, draft: &TicketDraft) -> Result<DocumentId, CreateError> {
        let id = new_id();
        self.change(|d| d.create_ticket(id, draft, now()))?;
        Ok(id)
    }

    pub fn change_status(&self, id: DocumentId, to: Status) -> Result<(), TicketChangeError> {
        self.change(|d| d.change_status(id, to, now()))
    }

    pub fn reclassify(
        &self,
        id: DocumentId,
        change: &Reclassification,
    ) -> Result<(), TicketChangeError> {
        self.change(|d| d.reclassify(id, change, now()))
    }

    pub fn add_comment(
        &self,
        id: DocumentId,
        body: &str,
        visibility: Visibility,
    ) -> Result<(), TicketChangeError> {
        self.change(|d| d.add_comment(id, body, visibility, now()))
    }

    /// Saves a new article; returns its id.
    pub fn create_article(&self, draft: &ArticleDraft) -> Result<DocumentId, ArticleSaveError> {
        let id = new_id();
        self.change(|d| d.create_article(id, draft, now()))?;
        Ok(id)
    }

    pub fn edit_article(
        &self,
        id: DocumentId,
        draft: &ArticleDraft,
    ) -> Result<(), ArticleSaveError> {
        self.change(|d| d.edit_article(id, draft, now()))
    }

    pub fn retire_article(&self, id: DocumentId, retired: bool) -> Result<(), ArticleSaveError> {
        self.change(|d| d.retire_article(id, retired, now()))
    }

    /// Records a request an article solved; returns the record's id.
    pub fn record_self_service(
        &self,
        draft: &TicketDraft,
        article: DocumentId,
    ) -> Result<DocumentId, CreateError> {
        let id = new_id();
        self.change(|d| d.record_self_service(id, draft, article, now()))?;
        Ok(id)
    }

    pub fn link_article(
        &self,
        ticket: DocumentId,
        article: DocumentId,
        linked: bool,
    ) -> Result<(), TicketChangeError> {
        self.change(|d| d.link_article(ticket, article, linked, now()))
    }

    /// An article's history, newest first (reads the document's change log).
    pub fn article_history(&self, id: DocumentId) -> Vec<crate::store::article_doc::Revision> {
        self.version.track();
        self.inner().desk.borrow_mut().article_history(id)
    }

    /// An article as it was after one of its changes.
    pub fn article_at(
        &self,
        id: DocumentId,
        revision: automerge::ChangeHash,
    ) -> Option<crate::domain::knowledge::Article> {
        self.inner().desk.borrow_mut().article_at(id, revision)
    }

    /// Indexes the list's rows for search, then reads the knowledge base's articles after the desk has opened, a batch at a time (read side
    /// by side, as IndexedDB serves many small reads at once far faster than one by one), so the
    /// list shows at once and search fills in as they arrive.
    async fn load_articles(self) {
        const BATCH: usize = 250;
        // After the list is drawn: the rows the desk opened with go into the search index first.
        gloo::timers::future::TimeoutFuture::new(0).await;
        let inner = self.inner();
        inner.desk.borrow_mut().index_rows();
        self.version.update(|v| *v += 1);
        let ids = inner.desk.borrow().unloaded_articles();
        let mut damaged = Vec::new();
        for batch in ids.chunks(BATCH) {
            let store = inner.store();
            let loads = batch.iter().map(|id| load_article(&*store, *id));
            let results = futures::future::join_all(loads).await;
            for (id, result) in batch.iter().zip(results) {
                let inserted = match result {
                    Ok(Some(loaded)) => inner.desk.borrow_mut().insert_article(loaded).is_ok(),
                    Ok(None) => {
                        inner.desk.borrow_mut().article_not_stored(*id);
                        true
                    }
                    Err(_) => false,
                };
                if inserted {
                    track(self, *id);
                } else {
                    damaged.push(Problem::CorruptDocument(*id));
                }
            }
            self.version.update(|v| *v += 1);
        }
        if !damaged.is_empty() {
            self.notices.update(|n| n.push(Notice::Damaged(damaged)));
        }
    }

    /// Loads a ticket's document if it is not open yet.
    pub async fn open_ticket(&self, id: DocumentId) -> TicketAvailability {
        let inner = self.inner();
        if inner.desk.borrow().ticket(id).is_some() {
            return TicketAvailability::Open;
        }
        let store = inner.store();
        let result = match load_ticket(&*store, id).await {
            Ok(Some(loaded)) => inner
                .desk
                .borrow_mut()
                .insert_loaded(loaded)
                .map_err(|_| ()),
            Ok(None) if self.with_client(SyncClient::is_connected) == Some(true) => {
                // Not on this device yet: ask the relay; the view shows it when it arrives.
                track(*self, id);
                return TicketAvailability::Fetching;
            }
            Ok(None) => return TicketAvailability::Missing,
            Err(_) => Err(()),
        };
        if result.is_ok() {
            track(*self, id);
            // And its parts (the team's, the followers'), which it names only once it is open.
            offer_changes(*self);
        }
        self.version.update(|v| *v += 1);
        match result {
            Ok(()) => TicketAvailability::Open,
            Err(()) => {
                self.notices
                    .update(|n| n.push(Notice::Damaged(vec![Problem::CorruptDocument(id)])));
                TicketAvailability::Damaged
            }
        }
    }

    /// Whether a change is still only in memory (used to warn before the tab closes).
    pub fn has_unsaved(&self) -> bool {
        self.inner().desk.borrow().has_unsaved()
    }

    /// Starts writing every change that is not durable yet.
    pub fn persist(&self) {
        let state = *self;
        spawn_local(async move { state.flush().await });
    }

    async fn flush(self) {
        let inner = self.inner();
        if inner.flushing.replace(true) {
            inner.flush_again.set(true);
            return;
        }
        loop {
            inner.flush_again.set(false);
            let plans = inner.desk.borrow_mut().pending_writes();
            if plans.is_empty() {
                self.save.set(SaveState::Saved);
                break;
            }
            self.save.set(SaveState::Saving);
            if let Err(e) = self.write_all(&inner, plans).await {
                self.save.set(SaveState::Failed(e));
                self.schedule_retry(&inner);
                break;
            }
            if !inner.flush_again.get() && !inner.desk.borrow().has_unsaved() {
                self.save.set(SaveState::Saved);
                break;
            }
        }
        inner.flushing.set(false);
    }

    async fn write_all(
        &self,
        inner: &Inner,
        plans: Vec<crate::storage::WritePlan>,
    ) -> Result<(), StorageError> {
        let store = inner.store();
        for plan in plans {
            store.write(plan.batch.clone()).await?;
            inner.desk.borrow_mut().saved(plan);
        }
        Ok(())
    }

    /// While working in memory, keeps trying to open IndexedDB; once it opens empty, everything in
    /// memory is written there and work continues durably. (If it opens holding another desk, the two
    /// are not merged here: the banner stays and the tab keeps working in memory.)
    fn reconnect_later(&self) {
        let state = *self;
        gloo::timers::callback::Timeout::new(RECONNECT_MS, move || {
            spawn_local(async move {
                let Ok(db) = IdbStore::open(DATABASE).await else {
                    return state.reconnect_later();
                };
                if !matches!(db.setting(DESK_SETTING).await, Ok(None)) {
                    return;
                }
                let inner = state.inner();
                *inner.store.borrow_mut() = Rc::new(BrowserStore::IndexedDb(db));
                inner.desk.borrow_mut().forget_durability();
                state
                    .notices
                    .update(|n| n.retain(|n| *n != Notice::StorageUnavailable));
                state.persist();
            });
        })
        .forget();
    }

    fn schedule_retry(&self, inner: &Inner) {
        if inner.retry_scheduled.replace(true) {
            return;
        }
        let state = *self;
        gloo::timers::callback::Timeout::new(RETRY_MS, move || {
            state.inner().retry_scheduled.set(false);
            state.persist();
        })
        .forget();
    }
}

//! The browser's side of sync: signs in once, then keeps a WebSocket to the relay open whenever it
//! can, reconnecting with backoff. The protocol itself is `innerdesk_core::sync::SyncClient`; this
//! module only moves bytes between it, the socket and the desk, and says how sync is going.

use super::socket::{RelaySocket, SocketEvent};
use super::state::{new_id, AppState, Notice};
use crate::domain::{Account, DocumentId, Profile};
use crate::storage::{Batch, ChunkStore};
use crate::sync::session::socket_query;
use crate::sync::{
    AccountView, DeviceView, Enrolled, InvitationRequest, Invited, Output, Session, SpentLink,
    SyncClient, SyncStatus,
};
use futures::channel::mpsc;
use futures::StreamExt;
use gloo::net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Settings (in IndexedDB) that let the page reconnect after a reload, offline-first. The secret
/// is this device's own credential; a device that signed in before devices had their own keeps
/// a link token there until its next connection trades it for one.
const TOKEN_SETTING: &str = "relay_token";
const DEVICE_SETTING: &str = "device";
/// A sign-in link's token: it enrols devices, and is never kept.
const LINK_PREFIX: &str = "idk_";
/// Reconnect delays grow from the first to the last, doubling.
const FIRST_RETRY_MS: u32 = 1_000;
const LAST_RETRY_MS: u32 = 30_000;

/// How sync is going, as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncView {
    /// Not signed in: this device works on its own.
    LocalOnly,
    Offline,
    Syncing(usize),
    UpToDate,
    /// The relay refused the sign-in token (revoked or replaced).
    Refused,
}

impl SyncView {
    pub fn code(self) -> &'static str {
        match self {
            SyncView::LocalOnly => "local",
            SyncView::Offline => "offline",
            SyncView::Syncing(_) => "syncing",
            SyncView::UpToDate => "up-to-date",
            SyncView::Refused => "refused",
        }
    }
}

/// Why signing in did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    Refused,
    /// A sign-in link that worked once: used, expired, replaced or withdrawn.
    Spent(SpentLink),
    Unreachable,
    /// The page could not store the token on this device.
    Storage,
}

/// What a refusal from the relay means for signing in.
async fn refusal(response: gloo::net::http::Response) -> SignInError {
    match response.status() {
        401 | 403 => SignInError::Refused,
        410 => response
            .json::<SpentLink>()
            .await
            .map_or(SignInError::Refused, SignInError::Spent),
        _ => SignInError::Unreachable,
    }
}

/// The connection's moving parts, kept in the app state.
#[derive(Default)]
pub struct Link {
    client: Option<SyncClient>,
    outgoing: Option<mpsc::UnboundedSender<Vec<u8>>>,
    running: bool,
}

impl Link {
    pub(super) fn client(&self) -> Option<&SyncClient> {
        self.client.as_ref()
    }

    pub(super) fn client_mut(&mut self) -> Option<&mut SyncClient> {
        self.client.as_mut()
    }
}

/// Accepts a sign-in link's token: enrols this device with it (the device keeps its own
/// credential, not the link), learns who it signs in, starts syncing.
pub async fn sign_in(state: AppState, token: &str) -> Result<Session, SignInError> {
    let store = state.store();
    let device = match store.setting(DEVICE_SETTING).await {
        Ok(Some(device)) => device,
        _ => new_id().to_string(),
    };
    let credential = enrol(token, &device).await?;
    let session = fetch_session(&credential, &device).await?;
    remember(state, &credential, &device).await?;
    adopt_session(state, &session);
    start(state);
    Ok(session)
}

/// Trades a sign-in link's token for this device's own credential.
async fn enrol(link: &str, device: &str) -> Result<String, SignInError> {
    let body = serde_json::json!({ "device": device }).to_string();
    let response = Request::post("/api/devices")
        .header("Authorization", &format!("Bearer {link}"))
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(|_| SignInError::Unreachable)?
        .send()
        .await
        .map_err(|_| SignInError::Unreachable)?;
    match response.status() {
        200 => response
            .json::<Enrolled>()
            .await
            .map(|enrolled| enrolled.credential)
            .map_err(|_| SignInError::Unreachable),
        _ => Err(refusal(response).await),
    }
}

async fn remember(state: AppState, credential: &str, device: &str) -> Result<(), SignInError> {
    let settings = vec![
        (TOKEN_SETTING.into(), credential.into()),
        (DEVICE_SETTING.into(), device.into()),
    ];
    state
        .store()
        .write(Batch {
            settings,
            ..Batch::default()
        })
        .await
        .map_err(|_| SignInError::Storage)
}

/// Starts syncing if this device has signed in before; does nothing otherwise.
pub fn start(state: AppState) {
    let link = state.link();
    if std::mem::replace(&mut link.borrow_mut().running, true) {
        return;
    }
    spawn_local(async move { run(state).await });
}

/// Who a token would sign in, without signing in.
pub async fn who(token: &str) -> Result<Session, SignInError> {
    fetch_session(token, "default").await
}

/// Who the secret signs in, and a ticket that opens the socket once.
async fn fetch_session(secret: &str, device: &str) -> Result<Session, SignInError> {
    let response = Request::get(&format!("/api/session?device={device}"))
        .header("Authorization", &format!("Bearer {secret}"))
        .send()
        .await
        .map_err(|_| SignInError::Unreachable)?;
    match response.status() {
        200 => response
            .json::<Session>()
            .await
            .map_err(|_| SignInError::Unreachable),
        _ => Err(refusal(response).await),
    }
}

/// The relay's word on who this person is and which indexes they read becomes the profile.
fn adopt_session(state: AppState, session: &Session) {
    let person = &session.person;
    let profile = Profile {
        name: person.name.clone(),
        department: person.department.clone(),
        account: Some(Account {
            person: person.id.clone(),
            role: person.role,
            email: person.email.clone(),
        }),
    };
    state.change(|desk| {
        let same = desk.profile().as_ref() == Some(&profile);
        if !same {
            let _ = desk.set_profile(profile);
        }
        let _ = desk.set_relay_indexes(&session.indexes);
        let _ = desk.set_organisation(&session.organisation);
    });
}

/// Connects, syncs until the socket closes, waits, and connects again, for as long as the page lives.
async fn run(state: AppState) {
    let mut delay = FIRST_RETRY_MS;
    loop {
        let store = state.store();
        let (Ok(Some(secret)), Ok(Some(device))) = (
            store.setting(TOKEN_SETTING).await,
            store.setting(DEVICE_SETTING).await,
        ) else {
            state.sync.set(SyncView::LocalOnly);
            state.link().borrow_mut().running = false;
            return;
        };
        let session = match own_credential(state, secret, &device).await {
            Ok(credential) => fetch_session(&credential, &device).await,
            Err(e) => Err(e),
        };
        match session {
            Ok(session) => {
                adopt_session(state, &session);
                if connect(state, &session, &device).await {
                    delay = FIRST_RETRY_MS;
                }
            }
            Err(SignInError::Refused | SignInError::Spent(_)) => {
                state.sync.set(SyncView::Refused);
                state.link().borrow_mut().running = false;
                return;
            }
            Err(_) => {}
        }
        state.sync.set(SyncView::Offline);
        // Jitter spreads reconnects after a relay restart.
        let jitter = (js_sys::Math::random() * f64::from(delay) / 4.0) as u32;
        gloo::timers::future::TimeoutFuture::new(delay + jitter).await;
        delay = (delay * 2).min(LAST_RETRY_MS);
    }
}

/// This device's credential: the one it keeps, or, if it kept a link token from before devices
/// had their own, one traded for that (and the link forgotten).
async fn own_credential(
    state: AppState,
    secret: String,
    device: &str,
) -> Result<String, SignInError> {
    if !secret.starts_with(LINK_PREFIX) {
        return Ok(secret);
    }
    let credential = enrol(&secret, device).await?;
    remember(state, &credential, device).await?;
    Ok(credential)
}

/// One connection's life. True if the handshake finished (so the next retry starts quickly).
async fn connect(state: AppState, session: &Session, device: &str) -> bool {
    let Some(url) = socket_url(&socket_query(&session.ticket)) else {
        return false;
    };
    let Ok((socket, mut events)) = RelaySocket::open(&url) else {
        return false;
    };
    if !matches!(events.next().await, Some(SocketEvent::Open)) {
        return false;
    }
    let (outgoing, mut queued) = mpsc::unbounded::<Vec<u8>>();
    spawn_local(async move {
        while let Some(bytes) = queued.next().await {
            if !socket.send(&bytes) {
                break;
            }
        }
    });
    let me = format!("{}~{device}", session.person.id);
    let hello = {
        let link = state.link();
        let mut link = link.borrow_mut();
        let client = link
            .client
            .get_or_insert_with(|| SyncClient::new(me.clone()));
        let hello = client.hello();
        link.outgoing = Some(outgoing.clone());
        hello
    };
    let _ = outgoing.unbounded_send(hello);
    track_everything(state, session).await;
    let mut shook_hands = false;
    while let Some(SocketEvent::Frame(bytes)) = events.next().await {
        if !received(state, &bytes) {
            break;
        }
        shook_hands |= state.with_client(|c| c.is_connected()).unwrap_or(false);
    }
    let link = state.link();
    let mut link = link.borrow_mut();
    link.outgoing = None;
    if let Some(client) = link.client.as_mut() {
        client.disconnected();
    }
    shook_hands
}

/// Tracks what must stay in step: the relay's indexes and the organisation's documents,
/// everything changed here that the relay has not confirmed (loaded from storage first), and every
/// document open in memory.
async fn track_everything(state: AppState, session: &Session) {
    let waiting = state.read_untracked(|d| {
        let outbox = d.outbox();
        outbox
            .into_iter()
            .filter(|id| !d.holds(*id))
            .collect::<Vec<_>>()
    });
    // Read side by side: IndexedDB serves many small reads at once far faster than one by one.
    futures::future::join_all(waiting.into_iter().map(|id| state.open_ticket(id))).await;
    let held = state.read_untracked(|d| {
        let mut held = d.held_documents();
        held.extend(d.missing_articles());
        held
    });
    let shared = session.indexes.iter().chain(&session.organisation).copied();
    let mut all: Vec<DocumentId> = shared.chain(held).collect();
    all.sort();
    all.dedup();
    for id in all {
        track(state, id);
    }
}

/// Keeps `id` in step with the relay (fetching it if this device lacks it).
pub fn track(state: AppState, id: DocumentId) {
    let outputs = state.with_desk_and_client(|desk, client| client.track(id, desk));
    act(state, outputs.unwrap_or_default());
}

/// Offers the relay whatever this device changed since the last offer.
pub fn offer_changes(state: AppState) {
    let offers = state.change_quietly(|d| d.take_offers());
    for id in offers {
        track(state, id);
    }
}

/// Handles one message from the relay; false if the connection must close.
fn received(state: AppState, bytes: &[u8]) -> bool {
    match state.with_desk_and_client(|desk, client| client.receive(bytes, desk)) {
        Some(Ok(outputs)) => {
            act(state, outputs);
            true
        }
        Some(Err(e)) => {
            leptos::logging::warn!("sync: {e}");
            false
        }
        None => false,
    }
}

/// Carries out the client's outputs, then updates the outbox and the status.
fn act(state: AppState, outputs: Vec<Output>) {
    let mut changed = false;
    let mut confirmed = Vec::new();
    for output in outputs {
        match output {
            Output::Send(bytes) => {
                if let Some(outgoing) = &state.link().borrow().outgoing {
                    let _ = outgoing.unbounded_send(bytes);
                }
            }
            Output::Changed(id) => {
                changed = true;
                let wanted = state.change_quietly(|d| d.changed_remotely(id).unwrap_or_default());
                for ticket in wanted {
                    spawn_local(async move { fetch(state, ticket).await });
                }
            }
            Output::Unavailable(id) => state.unavailable.update(|u| {
                if !u.contains(&id) {
                    u.push(id);
                }
            }),
            Output::Settled(id) => confirmed.push(id),
            Output::ReadOnly(id) => {
                // Only a document this device changed is news: reading others is normal.
                let refused = state.change_quietly(|d| d.refused(id));
                if let Some(title) = refused {
                    state.notices.update(|n| n.push(Notice::Refused(title)));
                }
            }
        }
    }
    if !confirmed.is_empty() {
        // Bookkeeping nobody sees: stored, but no redraw.
        state.change_quietly(|d| {
            for id in confirmed {
                let _ = d.confirmed(id);
            }
        });
    }
    if changed {
        state.changed_remotely();
        // A change may name parts of a ticket to follow (a new follower's, the team's).
        offer_changes(state);
    }
    let view = match state.with_client(|c| c.status()) {
        Some(SyncStatus::Syncing(n)) => SyncView::Syncing(n),
        Some(SyncStatus::UpToDate) => SyncView::UpToDate,
        _ => SyncView::Offline,
    };
    if state.sync.get_untracked() != view {
        state.sync.set(view);
    }
}

/// A ticket listed by the relay: loaded from this device's storage if it is there, then synced.
async fn fetch(state: AppState, id: DocumentId) {
    if state.read_untracked(|d| d.holds(id)) {
        return;
    }
    state.open_ticket(id).await;
    track(state, id);
}

/// The relay's audit trail of a document as CSV (admins only; `None` if refused or unreachable).
pub async fn audit_csv(state: AppState, id: DocumentId) -> Option<String> {
    let response = as_this_device(state, Request::get(&format!("/api/audit/{id}"))).await?;
    if response.status() != 200 {
        return None;
    }
    response.text().await.ok()
}

/// `ws://host/sync?…` (or `wss://` under https), on the host that served the page.
fn socket_url(path_and_query: &str) -> Option<String> {
    let location = window().location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!(
        "{scheme}://{}{path_and_query}",
        location.host().ok()?
    ))
}

/// The sign-in token carried by a sign-in link (`#/signin/<token>`), if the page was opened with one.
pub fn token_in_link(hash: &str) -> Option<String> {
    let token = hash
        .trim_start_matches('#')
        .trim_start_matches('/')
        .strip_prefix("signin/")?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// This person's signed-in devices, or (admins, `everyone`) all of them. `None` if the relay
/// cannot be asked (offline, or this device is not signed in).
pub async fn devices(state: AppState, everyone: bool) -> Option<Vec<DeviceView>> {
    let request = Request::get(&format!("/api/devices?everyone={everyone}"));
    let response = as_this_device(state, request).await?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

/// Revokes one device; true if the relay did.
pub async fn revoke_device(state: AppState, device: &DeviceView) -> bool {
    let path = format!("/api/devices/{}/{}", device.person, device.id);
    let response = as_this_device(state, Request::delete(&path)).await;
    response.is_some_and(|r| r.status() == 204)
}

/// Everyone's accounts (administrators only); `None` if refused or unreachable.
pub async fn accounts(state: AppState) -> Option<Vec<AccountView>> {
    let response = as_this_device(state, Request::get("/api/people")).await?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

/// Sign-in links for these people of the directory; `None` if refused or unreachable.
pub async fn invite(state: AppState, emails: Vec<String>) -> Option<Invited> {
    let body = serde_json::to_string(&InvitationRequest { emails }).ok()?;
    let request = Request::post("/api/invitations").header("Content-Type", "application/json");
    let response = (signed(state, request).await?.body(body).ok()?)
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

/// Signs this device out: the relay revokes its credential (when it can be reached; if not,
/// the credential goes with the rest of the device's data and lapses unused), then everything
/// the page keeps on the device is deleted and the page starts afresh.
pub async fn sign_out(state: AppState) {
    let device = state.store().setting(DEVICE_SETTING).await.ok().flatten();
    let person = state.read_untracked(|d| d.profile().and_then(|p| p.account).map(|a| a.person));
    if let (Some(device), Some(person)) = (device, person) {
        let path = format!("/api/devices/{person}/{device}");
        let _ = as_this_device(state, Request::delete(&path)).await;
    }
    state.forget_everything().await;
    let location = window().location();
    let _ = location.set_hash("#/");
    let _ = location.reload();
}

/// Sends a request to the relay signed in as this device; `None` if the device is not signed in
/// or the relay cannot be reached.
async fn as_this_device(
    state: AppState,
    request: gloo::net::http::RequestBuilder,
) -> Option<gloo::net::http::Response> {
    signed(state, request).await?.send().await.ok()
}

/// The request with this device's credential; `None` if the device is not signed in.
async fn signed(
    state: AppState,
    request: gloo::net::http::RequestBuilder,
) -> Option<gloo::net::http::RequestBuilder> {
    let secret = state.store().setting(TOKEN_SETTING).await.ok()??;
    Some(request.header("Authorization", &format!("Bearer {secret}")))
}

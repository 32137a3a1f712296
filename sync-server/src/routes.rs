//! HTTP routes: the page's static files, the sync socket, the session the page signs in with,
//! devices, accounts and invitations, the audit trail for admins, health and metrics; security
//! headers on every response.

use crate::audit;
use crate::client_address::{client_address, Cidr};
use crate::config::Settings;
use crate::error::AppError;
use crate::guard;
use crate::headers::SecurityHeaders;
use crate::people::{Credential, PeopleError, Person};
use crate::relay::{peer_id_for, Relay};
use crate::sessions::{device_label, SocketTickets, Ticket};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use innerdesk_core::access::{Access, Role};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::sync::{
    AccountView, DeviceView, Enrolled, Invitation, InvitationRequest, Invited, NotInvited, Session,
    SessionPerson,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Each connection's socket buffers, each way.
const SOCKET_BUFFER_BYTES: usize = 8 * 1024;

#[derive(Clone)]
pub struct App {
    relay: Arc<Relay>,
    failures: Arc<Mutex<FailedSignIns>>,
    tickets: Arc<SocketTickets>,
    trusted_proxies: Arc<[Cidr]>,
    /// The SHA-256 of the secret that reads `/metrics`, if one is set.
    metrics_token: Option<[u8; 32]>,
}

/// Failed sign-ins per client address in the current minute of each.
#[derive(Default)]
struct FailedSignIns {
    by_address: HashMap<IpAddr, (Instant, u32)>,
    pruned_at: Option<Instant>,
}

impl FailedSignIns {
    const WINDOW: Duration = Duration::from_secs(60);

    /// Whether the address has used up its failures for this minute.
    fn exhausted(&mut self, client: IpAddr, limit: u32, now: Instant) -> bool {
        self.prune(now);
        self.by_address.get(&client).is_some_and(|(since, count)| {
            now.duration_since(*since) <= Self::WINDOW && *count >= limit
        })
    }

    fn failed(&mut self, client: IpAddr, now: Instant) {
        let entry = self.by_address.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) > Self::WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// Addresses whose minute is over are forgotten, once a minute, so the map stays as small as
    /// the set of addresses failing right now.
    fn prune(&mut self, now: Instant) {
        if self
            .pruned_at
            .is_some_and(|at| now.duration_since(at) < Self::WINDOW)
        {
            return;
        }
        self.by_address
            .retain(|_, (since, _)| now.duration_since(*since) <= Self::WINDOW);
        self.pruned_at = Some(now);
    }
}

pub fn router(settings: &Settings, relay: Arc<Relay>) -> Router {
    let index = settings.page_dir.join("index.html");
    // Asset names carry a content hash, but index.html, the service worker and the manifest do not:
    // "no-cache" makes the browser revalidate, so an update is picked up on the next visit.
    let page = ServeDir::new(&settings.page_dir).fallback(ServeFile::new(index));
    let app = App {
        relay,
        failures: Arc::default(),
        tickets: Arc::default(),
        trusted_proxies: settings.trusted_proxies.clone().into(),
        metrics_token: settings.metrics_token.as_deref().map(sha256),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/sync", get(sync_socket))
        .route("/api/session", get(session))
        .route("/api/devices", get(devices).post(enrol))
        .route("/api/devices/{person}/{device}", delete(revoke_device))
        .route("/api/people", get(accounts))
        .route("/api/invitations", post(invite))
        .route("/api/audit/{document}", get(audit_trail))
        .with_state(app)
        .fallback_service(page)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(axum::middleware::map_response_with_state(
            SecurityHeaders::for_page(&settings.page_dir),
            SecurityHeaders::add,
        ))
}

#[derive(Deserialize)]
struct SyncParams {
    /// A one-use ticket from `/api/session`.
    ticket: Option<String>,
    /// Refused: a long-lived secret in an address ends up in proxies' logs.
    token: Option<String>,
    /// Names this device, for a client that signs in with a link token in a header.
    device: Option<String>,
}

/// The WebSocket: signed in before the upgrade, so no document flows on an unauthenticated socket.
/// Browsers cannot set headers on a WebSocket, so the page brings a one-use ticket; other clients
/// may send their secret in an `Authorization` header.
async fn sync_socket(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(params): Query<SyncParams>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    if params.token.is_some() {
        return Err(AppError::BadRequest(
            "a sign-in token never goes in an address: send it in an Authorization header, \
             or open the socket with a ticket from /api/session"
                .into(),
        ));
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(not_a_socket) => return Ok(not_a_socket.into_response()),
    };
    let (person, credential, device) = match params.ticket {
        Some(ticket) => app.redeem(client.ip(), &headers, &ticket)?,
        None => {
            let (person, credential) = app.sign_in(client.ip(), &headers, bearer(&headers))?;
            lasting(&credential)?;
            let device = device_of(&credential, params.device)?;
            (person, credential, device)
        }
    };
    let peer = peer_id_for(&person.id, &device);
    let relay = app.relay.clone();
    let limit = relay.shared.limits.max_message_bytes;
    tracing::info!(person = %person.id, %device, "connected");
    // The socket's own cap sits above the relay's limit, so the guard can say why before closing.
    // Small buffers (they grow for a large message): at 128 KiB each way, the default, a thousand
    // idle connections would hold 256 MB.
    Ok(upgrade
        .max_message_size(limit.saturating_add(64 * 1024))
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| {
            guard::serve(
                relay.shared.clone(),
                relay.hub.clone(),
                socket,
                person,
                credential.hash,
                peer,
            )
        }))
}

/// The device a connection speaks for: a device credential's own, or the one a link-token
/// client names.
fn device_of(credential: &Credential, named: Option<String>) -> Result<String, AppError> {
    let device = match &credential.device {
        Some(enrolled) => enrolled.clone(),
        None => named.unwrap_or_else(|| "default".into()),
    };
    valid_device_name(&device)?;
    Ok(device)
}

fn valid_device_name(device: &str) -> Result<(), AppError> {
    let fine = (1..=64).contains(&device.len())
        && device
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fine {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "device must be 1 to 64 letters, digits, - or _".into(),
        ))
    }
}

#[derive(Deserialize)]
struct SessionParams {
    device: Option<String>,
}

/// Who the secret signs in, which index documents list the tickets they may read, and a ticket
/// that opens the sync socket once. An invitation is answered too (the page asks whose it is
/// before it enrols), with no ticket: it never opens a socket.
async fn session(
    State(app): State<App>,
    SigningIn(SignedIn { person, credential }): SigningIn,
    Query(params): Query<SessionParams>,
) -> Result<Response, AppError> {
    let device = device_of(&credential, params.device)?;
    let indexes = app.relay.feeds.indexes_for(&person).await;
    let ticket = if credential.invitation {
        String::new()
    } else {
        app.tickets.issue(
            Ticket {
                person: person.id.clone(),
                credential,
                device,
            },
            Instant::now(),
        )
    };
    let person = SessionPerson {
        id: person.id,
        name: person.name,
        email: person.email,
        department: person.department,
        role: person.role,
    };
    let shared = &app.relay.shared;
    let organisation: Vec<DocumentId> = shared
        .registry
        .organisation()
        .into_iter()
        .filter(|doc| shared.access(&person.id, *doc) != Access::None)
        .collect();
    Ok(Json(Session {
        person,
        indexes,
        organisation,
        ticket,
    })
    .into_response())
}

#[derive(Deserialize)]
struct EnrolRequest {
    device: String,
}

/// A device signing in with a link gets its own credential: the page keeps that, not the link,
/// so the device can lapse or be revoked alone. An invitation is used up doing so.
async fn enrol(
    State(app): State<App>,
    SigningIn(SignedIn { person, credential }): SigningIn,
    headers: HeaderMap,
    Json(request): Json<EnrolRequest>,
) -> Result<Response, AppError> {
    if credential.device.is_some() {
        return Err(AppError::Forbidden(
            "a device's credential cannot enrol another device: use a sign-in link",
        ));
    }
    valid_device_name(&request.device)?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let label = device_label(user_agent);
    let secret = (app.relay.shared)
        .edit_people(|people| people.enrol(&person.id, &credential, &request.device, &label, now))
        .map_err(people_error)?;
    tracing::info!(person = %person.id, device = %request.device, "device enrolled");
    Ok(Json(Enrolled {
        credential: secret,
        device: request.device,
    })
    .into_response())
}

#[derive(Deserialize)]
struct DevicesParams {
    /// Admins only: every person's devices.
    #[serde(default)]
    everyone: bool,
}

/// The signed-in devices of the person asking, or, for an admin who asks, of everyone.
async fn devices(
    State(app): State<App>,
    SignedIn { person, credential }: SignedIn,
    Query(params): Query<DevicesParams>,
) -> Result<Response, AppError> {
    if params.everyone && person.role != Role::Admin {
        return Err(AppError::Forbidden("only admins see everyone's devices"));
    }
    let people = app.relay.shared.people.read().unwrap();
    let listed: Vec<DeviceView> = people
        .everyone()
        .iter()
        .filter(|p| params.everyone || p.id == person.id)
        .flat_map(|p| {
            p.devices.iter().map(|d| DeviceView {
                person: p.id.clone(),
                person_name: p.name.clone(),
                id: d.id.clone(),
                label: d.label.clone(),
                enrolled_at: d.enrolled_at,
                last_used_at: d.last_used_at,
                current: d.credential_hash == credential.hash,
            })
        })
        .collect();
    Ok(Json(listed).into_response())
}

/// Revokes one device: its open connection is cut within a second, its credential refused.
/// A person revokes their own; an admin anyone's.
async fn revoke_device(
    State(app): State<App>,
    SignedIn { person, .. }: SignedIn,
    Path((owner, device)): Path<(String, String)>,
) -> Result<Response, AppError> {
    if person.id.0 != owner && person.role != Role::Admin {
        return Err(AppError::Forbidden("only admins revoke others' devices"));
    }
    let shared = &app.relay.shared;
    let revoked = shared.edit_people(|people| people.revoke_device(&owner, &device));
    match revoked {
        Ok(_) => {
            tracing::info!(by = %person.id, %owner, %device, "device revoked");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(PeopleError::Unknown(_) | PeopleError::UnknownDevice(..)) => {
            Err(AppError::NotFound("no such device"))
        }
        Err(e) => Err(people_error(e)),
    }
}

fn people_error(e: PeopleError) -> AppError {
    match e {
        PeopleError::Spent(spent) => AppError::Spent(spent),
        PeopleError::Deactivated(_) => AppError::SignIn,
        e => AppError::Io(std::io::Error::other(e.to_string())),
    }
}

/// Everyone with an account, for administrators: the directory page shows who is invited,
/// signed in or deactivated beside each person.
async fn accounts(
    State(app): State<App>,
    SignedIn { person, .. }: SignedIn,
) -> Result<Response, AppError> {
    admin_only(&person, "only admins list accounts")?;
    let now = chrono::Utc::now().timestamp();
    let people = app.relay.shared.people.read().unwrap();
    let listed: Vec<AccountView> = people
        .everyone()
        .iter()
        .map(|p| AccountView {
            email: p.email.clone(),
            name: p.name.clone(),
            role: p.role,
            department: p.department.clone(),
            deactivated: p.deactivated(),
            devices: p.devices.len(),
            invited_until: p.pending_invitation(now).map(|i| i.expires_at),
        })
        .collect();
    Ok(Json(listed).into_response())
}

/// The most people one request may invite: a whole large department at once.
const MOST_INVITED_AT_ONCE: usize = 5_000;

/// Sign-in links for people of the directory the relay holds, by email: those without an account
/// get one with the directory's department and role. Each link enrols one device once, and
/// replaces the person's earlier invitation.
async fn invite(
    State(app): State<App>,
    SignedIn { person, .. }: SignedIn,
    Json(request): Json<InvitationRequest>,
) -> Result<Response, AppError> {
    admin_only(&person, "only admins invite people")?;
    if request.emails.len() > MOST_INVITED_AT_ONCE {
        return Err(AppError::BadRequest(format!(
            "at most {MOST_INVITED_AT_ONCE} people at once"
        )));
    }
    let shared = &app.relay.shared;
    let mut refused = Vec::new();
    let members: Vec<_> = {
        let directory = shared.directory.read().unwrap();
        let listed = |email: &str| {
            directory
                .as_ref()
                .and_then(|(_, d)| d.people.get(email).cloned())
        };
        request
            .emails
            .iter()
            .map(|email| email.trim().to_lowercase())
            .filter_map(|email| match listed(&email) {
                None => {
                    refused.push((email, NotInvited::NotListed));
                    None
                }
                Some(m) if m.deactivated => {
                    refused.push((email, NotInvited::Deactivated));
                    None
                }
                Some(m) => Some(m),
            })
            .collect()
    };
    let now = chrono::Utc::now().timestamp();
    let lifetime = shared.limits.invitation_seconds();
    let issued = shared
        .edit_people(|people| people.invite_members(&members, lifetime, now))
        .map_err(people_error)?;
    tracing::info!(by = %person.id, invited = issued.len(), "invitations issued");
    let invitations = issued
        .into_iter()
        .map(|(p, token, expires_at)| Invitation {
            email: p.email,
            name: p.name,
            token,
            expires_at,
        })
        .collect();
    Ok(Json(Invited {
        invitations,
        refused,
    })
    .into_response())
}

fn admin_only(person: &Person, refusal: &'static str) -> Result<(), AppError> {
    if person.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(refusal))
    }
}

/// Refuses an invitation where a lasting sign-in is needed: an invitation only enrols a device.
fn lasting(credential: &Credential) -> Result<(), AppError> {
    if credential.invitation {
        Err(AppError::Forbidden(
            "a sign-in link only enrols a device: sign in with the device's own credential",
        ))
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
struct AuditParams {
    format: Option<String>,
}

/// The audit trail of one document, for admins: CSV by default, `?format=json` for JSON.
async fn audit_trail(
    State(app): State<App>,
    SignedIn { person, .. }: SignedIn,
    Path(document): Path<String>,
    Query(params): Query<AuditParams>,
) -> Result<Response, AppError> {
    if person.role != Role::Admin {
        return Err(AppError::Forbidden("only admins read the audit trail"));
    }
    let doc: DocumentId = document
        .parse()
        .map_err(|_| AppError::BadRequest("not a document id".into()))?;
    let shared = &app.relay.shared;
    let records = shared
        .audit
        .of_documents(&shared.registry.family(doc))
        .map_err(AppError::Io)?;
    Ok(match params.format.as_deref() {
        Some("json") => Json(records).into_response(),
        _ => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            audit::to_csv(&records),
        )
            .into_response(),
    })
}

/// The relay's figures in Prometheus' text format, for the metrics token or an admin: they tell
/// how many people and documents there are and when they are busy.
async fn metrics(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = bearer(&headers);
    let is_monitor = app
        .metrics_token
        .is_some_and(|secret| token.is_some_and(|t| sha256(t) == secret));
    if !is_monitor {
        let (person, credential) = app.sign_in(client.ip(), &headers, token)?;
        lasting(&credential)?;
        admin_only(
            &person,
            "only admins and the metrics token read the metrics",
        )?;
    }
    let shared = &app.relay.shared;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(shared.registry.len()),
    )
        .into_response())
}

/// Compared as hashes, so how long a comparison takes says nothing about the secret.
pub fn sha256(text: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).into()
}

/// A request signed in with a key or a device credential in its `Authorization` header.
struct SignedIn {
    person: Person,
    credential: Credential,
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let SigningIn(signed_in) = SigningIn::from_request_parts(parts, app).await?;
        lasting(&signed_in.credential)?;
        Ok(signed_in)
    }
}

/// A request that may also bring an invitation: asking whose it is, or enrolling with it.
struct SigningIn(SignedIn);

impl FromRequestParts<App> for SigningIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let ConnectInfo(client) = *parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .expect("the relay serves with connection info");
        let (person, credential) =
            app.sign_in(client.ip(), &parts.headers, bearer(&parts.headers))?;
        Ok(SigningIn(SignedIn { person, credential }))
    }
}

impl App {
    /// Checks a token. A valid one always signs in; an address (the client's, behind a trusted
    /// proxy) that keeps failing is turned away for the rest of its minute.
    fn sign_in(
        &self,
        peer: IpAddr,
        headers: &HeaderMap,
        token: Option<&str>,
    ) -> Result<(Person, Credential), AppError> {
        // Tokens are 24 random bytes: the limit saves the relay work and its log noise; guessing
        // one is hopeless either way, so a valid token is never held up by someone else's failures.
        if let Some(signed_in) = token.and_then(|t| self.relay.shared.authenticate(t)) {
            return Ok(signed_in);
        }
        // A link that worked once says why it no longer does (it is a real secret: no failure).
        if let Some(spent) = token.and_then(|t| self.relay.shared.spent(t)) {
            return Err(AppError::Spent(spent));
        }
        Err(self.refuse(peer, headers))
    }

    /// Uses up a socket ticket. Its person must still hold the secret it was issued for: a
    /// revocation in the ticket's half minute counts.
    fn redeem(
        &self,
        peer: IpAddr,
        headers: &HeaderMap,
        ticket: &str,
    ) -> Result<(Person, Credential, String), AppError> {
        let shared = &self.relay.shared;
        let granted = self.tickets.redeem(ticket, Instant::now()).and_then(|t| {
            let people = shared.people.read().unwrap();
            let person = people
                .get(&t.person)
                .filter(|p| p.holds(&t.credential.hash))?;
            Some((person.clone(), t.credential, t.device))
        });
        granted.ok_or_else(|| self.refuse(peer, headers))
    }

    /// Counts a failed sign-in against the client's address.
    fn refuse(&self, peer: IpAddr, headers: &HeaderMap) -> AppError {
        let client = client_address(peer, headers, &self.trusted_proxies);
        let limit = self.relay.shared.limits.failed_sign_ins_per_minute;
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap();
        self.relay.shared.metrics.sign_in_refused();
        if failures.exhausted(client, limit, now) {
            return AppError::TooManyFailures;
        }
        failures.failed(client, now);
        AppError::SignIn
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

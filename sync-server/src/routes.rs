//! HTTP routes: the page's static files, the sync socket, the session the page signs in with, the
//! audit trail for admins, health and metrics; security headers on every response.

use crate::audit;
use crate::client_address::{client_address, Cidr};
use crate::config::Settings;
use crate::error::AppError;
use crate::guard;
use crate::headers::SecurityHeaders;
use crate::people::{token_hash, Person};
use crate::relay::{peer_id_for, Relay};
use axum::extract::{ConnectInfo, Path, Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use innerdesk_core::access::{Access, Role};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::sync::{Session, SessionPerson};
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
        trusted_proxies: settings.trusted_proxies.clone().into(),
        metrics_token: settings.metrics_token.as_deref().map(sha256),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/sync", get(sync_socket))
        .route("/api/session", get(session))
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
    token: Option<String>,
    /// Names this device, so one person's devices are separate peers.
    device: Option<String>,
}

/// The WebSocket: signed in before the upgrade, so no document flows on an unauthenticated socket.
/// Browsers cannot set headers on a WebSocket, hence the token may come in the query string.
async fn sync_socket(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(params): Query<SyncParams>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let token = bearer(&headers).or(params.token.as_deref());
    let person = app.sign_in(client.ip(), &headers, token)?;
    let token_hash = token.map(token_hash).expect("signed in with a token");
    let device = params.device.unwrap_or_else(|| "default".into());
    if device.is_empty()
        || device.len() > 64
        || !device
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::BadRequest(
            "device must be 1 to 64 letters, digits, - or _".into(),
        ));
    }
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
                token_hash,
                peer,
            )
        }))
}

/// Who the token signs in, and which index documents list the tickets they may read.
async fn session(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let person = app.sign_in(client.ip(), &headers, bearer(&headers))?;
    let indexes = app.relay.feeds.indexes_for(&person).await;
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
    })
    .into_response())
}

#[derive(Deserialize)]
struct AuditParams {
    format: Option<String>,
}

/// The audit trail of one document, for admins: CSV by default, `?format=json` for JSON.
async fn audit_trail(
    State(app): State<App>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(document): Path<String>,
    Query(params): Query<AuditParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let person = app.sign_in(client.ip(), &headers, bearer(&headers))?;
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
    if !is_monitor && app.sign_in(client.ip(), &headers, token)?.role != Role::Admin {
        return Err(AppError::Forbidden(
            "only admins and the metrics token read the metrics",
        ));
    }
    let shared = &app.relay.shared;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(shared.registry.len()),
    )
        .into_response())
}

/// Compared as hashes, so how long a comparison takes says nothing about the secret.
fn sha256(text: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).into()
}

impl App {
    /// Checks a token. A valid one always signs in; an address (the client's, behind a trusted
    /// proxy) that keeps failing is turned away for the rest of its minute.
    fn sign_in(
        &self,
        peer: IpAddr,
        headers: &HeaderMap,
        token: Option<&str>,
    ) -> Result<Person, AppError> {
        // Tokens are 24 random bytes: the limit saves the relay work and its log noise; guessing
        // one is hopeless either way, so a valid token is never held up by someone else's failures.
        if let Some(person) = token.and_then(|t| self.relay.shared.authenticate(t)) {
            return Ok(person);
        }
        let client = client_address(peer, headers, &self.trusted_proxies);
        let limit = self.relay.shared.limits.failed_sign_ins_per_minute;
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap();
        self.relay.shared.metrics.sign_in_refused();
        if failures.exhausted(client, limit, now) {
            return Err(AppError::TooManyFailures);
        }
        failures.failed(client, now);
        Err(AppError::SignIn)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

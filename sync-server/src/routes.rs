//! HTTP routes: the page's static files and a health check.

use crate::config::Config;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub fn router(config: &Config) -> Router {
    let index = config.page_dir.join("index.html");
    // Asset names carry a content hash, but index.html, the service worker and the manifest do not:
    // "no-cache" makes the browser revalidate, so an update is picked up on the next visit.
    let page = ServeDir::new(&config.page_dir).fallback(ServeFile::new(index));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .fallback_service(page)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

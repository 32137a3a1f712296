//! Security headers on every response: a Content-Security-Policy that lets the page run only its
//! own scripts (the inline loader Trunk writes into `index.html` is allowed by its hash), never
//! inside another site's frame, with no MIME sniffing and no referrer sent anywhere.

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone)]
pub struct SecurityHeaders(Arc<Vec<(HeaderName, HeaderValue)>>);

impl SecurityHeaders {
    /// The headers for the page in `page_dir`, read once at start: a new page needs a restart.
    pub fn for_page(page_dir: &Path) -> Self {
        let index = std::fs::read_to_string(page_dir.join("index.html")).unwrap_or_default();
        let policy = content_security_policy(&inline_scripts(&index));
        let headers = vec![
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&policy).expect("the policy is ASCII"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            // For browsers older than frame-ancestors.
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
        ];
        Self(Arc::new(headers))
    }

    /// Adds the headers to a response (axum `map_response_with_state`).
    pub async fn add(State(headers): State<SecurityHeaders>, mut response: Response) -> Response {
        for (name, value) in headers.0.iter() {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

/// WebAssembly needs 'wasm-unsafe-eval' to be compiled; styles come only from the stylesheet (the
/// page sets single properties through CSSOM, which the policy allows); sync goes to the relay
/// that served the page ('self' covers its ws:// and wss://).
fn content_security_policy(inline_scripts: &[&str]) -> String {
    let hashes: String = inline_scripts
        .iter()
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            let digest = base64::engine::general_purpose::STANDARD.encode(digest);
            format!(" 'sha256-{digest}'")
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The text of each `<script>` without a `src`, exactly as served (what a hash source covers).
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script") else {
            break;
        };
        if !after[..tag_end].contains("src=") {
            scripts.push(&body[..close]);
        }
        rest = &body[close..];
    }
    scripts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_inline_script_is_allowed_by_its_hash_and_nothing_else_is() {
        let html =
            "<head><script type=\"module\">import init from './a.js';\nawait init();</script>\
                    <script src=\"x.js\"></script><script>\n</script></head>";
        assert_eq!(
            inline_scripts(html),
            ["import init from './a.js';\nawait init();", "\n"]
        );
        let policy = content_security_policy(&["alert(1)"]);
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert!(policy.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}

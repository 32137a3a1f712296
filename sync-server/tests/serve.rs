//! The relay as a real process on 127.0.0.1: it serves the page, answers health checks, keeps its data
//! folder, and shuts down cleanly on SIGTERM.

mod common;

use common::{add_person, page_dir, temp_dir, Relay, BINARY};
use std::process::Command;

#[test]
fn serves_the_page_and_answers_health_checks() {
    let data = temp_dir("data").join("nested");
    let relay = Relay::start(&page_dir(), &data);
    assert!(data.is_dir(), "the data folder is created");

    let (status, _, body) = relay.get("/healthz");
    assert_eq!((status, body.as_str()), (200, "ok"));

    let (status, head, body) = relay.get("/");
    assert_eq!(status, 200);
    assert!(body.contains("<title>Innerdesk</title>"));
    assert!(
        head.contains("cache-control: no-cache"),
        "the shell is revalidated so updates arrive: {head}"
    );

    let (status, head, _) = relay.get("/sw.js");
    assert_eq!(status, 200);
    assert!(head.contains("javascript"), "{head}");

    // Unknown paths get the page, so a bookmarked deep link still opens the app.
    let (status, _, body) = relay.get("/some/deep/link");
    assert_eq!(status, 200);
    assert!(body.contains("Innerdesk"));
}

#[test]
fn every_response_carries_the_security_headers_and_the_page_its_script_hash() {
    let page = page_dir();
    let loader = "import init from './innerdesk.js';\nawait init();";
    std::fs::write(
        page.join("index.html"),
        format!("<!doctype html><title>Innerdesk</title><script type=\"module\">{loader}</script>"),
    )
    .unwrap();
    let relay = Relay::start(&page, &temp_dir("headers"));
    for path in [
        "/",
        "/sw.js",
        "/healthz",
        "/api/session",
        "/metrics",
        "/sync",
    ] {
        let (status, head, _) = relay.get(path);
        let has = |header: &str| head.lines().any(|l| l.trim() == header);
        assert!(
            has("x-content-type-options: nosniff"),
            "{path} ({status}): {head}"
        );
        assert!(has("referrer-policy: no-referrer"), "{path}: {head}");
        assert!(has("x-frame-options: deny"), "{path}: {head}");
        let policy = head
            .lines()
            .find_map(|l| l.strip_prefix("content-security-policy: "))
            .unwrap_or_else(|| panic!("{path} has no policy: {head}"));
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }
}

#[test]
fn metrics_are_read_only_with_the_metrics_token_or_as_an_admin() {
    let data = temp_dir("metrics");
    let admin = add_person(&data, "Root", "root@example.cn", "IT", "admin");
    let agent = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let secret = "monitoring-secret-0123456789";
    let relay = Relay::start_with(
        &page_dir(),
        &data,
        "127.0.0.1:0",
        &["--metrics-token", secret],
    );
    assert_eq!(relay.get("/metrics").0, 401);
    assert_eq!(relay.request("/metrics", Some("guess-guess-guess")).0, 401);
    assert_eq!(relay.request("/metrics", Some(&agent)).0, 403);
    for token in [secret, admin.as_str()] {
        let (status, _, body) = relay.request("/metrics", Some(token));
        assert_eq!(status, 200);
        assert!(body.contains("innerdesk_connections"), "{body}");
    }
}

#[test]
fn stops_cleanly_on_sigterm() {
    let mut relay = Relay::start(&page_dir(), &temp_dir("term"));
    let pid = relay.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = relay.child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[test]
fn refuses_a_bad_address_with_a_clear_error() {
    let out = Command::new(BINARY)
        .args(["--addr", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'not-an-address'"));
}

#[test]
fn help_lists_every_setting() {
    let out = Command::new(BINARY).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--addr", "--data-dir", "--page-dir", "INNERDESK_ADDR"] {
        assert!(help.contains(flag), "--help mentions {flag}");
    }
}

//! The relay as a real process on 127.0.0.1: it serves the page, answers health checks, keeps its data
//! folder, and shuts down cleanly on SIGTERM.

mod common;

use common::{page_dir, temp_dir, Relay, BINARY};
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

//! The relay as a real process on 127.0.0.1: it serves the page, answers health checks, keeps its data
//! folder, and shuts down cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Relay {
    child: Child,
    addr: String,
}

impl Relay {
    fn start(page_dir: &Path, data_dir: &Path) -> Relay {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .args(["--addr", "127.0.0.1:0", "--page-dir"])
            .arg(page_dir)
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the relay starts");
        // The relay prints the URL it listens on; port 0 lets the OS pick a free one.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.starts_with("Innerdesk is running at http://") {
            line.clear();
            assert_ne!(
                stdout.read_line(&mut line).unwrap(),
                0,
                "the relay printed no address"
            );
        }
        let addr = line
            .trim()
            .trim_start_matches("Innerdesk is running at http://")
            .trim_end_matches('/')
            .to_string();
        Relay { child, addr }
    }

    fn get(&self, path: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, head.to_lowercase(), body.to_string())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "innerdesk-relay-test-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn page_dir() -> PathBuf {
    let dir = temp_dir("page");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Innerdesk</title>",
    )
    .unwrap();
    std::fs::write(dir.join("sw.js"), "// worker").unwrap();
    dir
}

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
    let out = Command::new(env!("CARGO_BIN_EXE_sync-server"))
        .args(["--addr", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'not-an-address'"));
}

#[test]
fn help_lists_every_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_sync-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--addr", "--data-dir", "--page-dir", "INNERDESK_ADDR"] {
        assert!(help.contains(flag), "--help mentions {flag}");
    }
}

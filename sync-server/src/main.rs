//! `sync-server`: one process that is a complete Innerdesk installation. It serves the built page,
//! syncs documents over the automerge-repo protocol at `/sync`, and decides who may see what.
//!
//! ```text
//! sync-server --addr 127.0.0.1:8080 --data-dir ./data --page-dir ./dist
//! sync-server people add --name 王芳 --email wang@example.cn --department 财务部 --role requester
//! sync-server audit <document-id>
//! sync-server audit verify
//! ```

/// mimalloc: the relay allocates and frees small buffers for every message on several threads,
/// where glibc's allocator spent a fifth of the CPU time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit;
mod backlog;
mod backup;
mod client_address;
mod config;
mod disk;
mod docstore;
mod durable;
mod error;
mod feeds;
mod guard;
mod headers;
mod hub;
mod listen;
mod metrics;
mod people;
mod quota;
mod registry;
mod relay;
mod results;
mod routes;
mod sessions;
mod tickets;
mod votes;

use clap::Parser;
use config::{AuditCommand, Cli, Command, PeopleCommand, Settings};
use people::PeopleBook;
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr; stdout carries only what the command prints for people and scripts.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let cli = Cli::parse();
    let outcome = match cli.settings() {
        Ok(settings) => match cli.command {
            None => serve(settings).await,
            Some(command) => manage(command, &settings),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    std::fs::create_dir_all(&settings.data_dir).map_err(io)?;
    let relay = Arc::new(
        relay::Relay::start(&settings.data_dir, settings.limits)
            .await
            .map_err(|e| e.to_string())?,
    );
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    // Signal handlers are in place before anyone is told the address, so a stop request that
    // follows at once is still a graceful one.
    let stop = stop_requested().map_err(io)?;
    tracing::info!(%addr, data_dir = %settings.data_dir.display(), page_dir = %settings.page_dir.display(), "listening");
    // The line scripts and people read to find the page.
    println!("Innerdesk is running at http://{addr}/");
    let app = routes::router(&settings, relay.clone());
    let idle = Duration::from_secs(settings.limits.idle_seconds);
    listen::serve(listener, app, idle, stop).await;
    // Every change was written before it was acknowledged: nothing is left to flush.
    tracing::info!("stopped");
    Ok(())
}

/// The admin subcommands: they edit the data folder directly, and a running relay picks it up.
fn manage(command: Command, settings: &Settings) -> Result<(), String> {
    let dir = &settings.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let text = |e: people::PeopleError| e.to_string();
    let now = chrono::Utc::now().timestamp();
    let lifetime = settings.limits.invitation_seconds();
    match command {
        Command::People(PeopleCommand::Add {
            name,
            email,
            department,
            role,
            url,
        }) => {
            let mut book = PeopleBook::open(dir).map_err(text)?;
            let (person, token) = book.add(&name, &email, &department, &role).map_err(text)?;
            println!(
                "added {} <{}> ({}, {}) as {}",
                person.name,
                person.email,
                person.department,
                person.role.as_str(),
                person.id
            );
            print_token(&url, &token);
        }
        Command::People(PeopleCommand::List) => {
            let book = PeopleBook::open(dir).map_err(text)?;
            println!("id\tname\temail\tdepartment\trole\tsign-in");
            for p in book.everyone() {
                let state = if p.deactivated() {
                    "deactivated"
                } else if p.may_sign_in() {
                    "active"
                } else if p.pending_invitation(now).is_some() {
                    "invited"
                } else {
                    "revoked"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{state}",
                    p.id,
                    p.name,
                    p.email,
                    p.department,
                    p.role.as_str()
                );
            }
        }
        Command::People(PeopleCommand::Invite { who, url }) => {
            let (person, token, expires_at) = PeopleBook::open(dir)
                .and_then(|mut b| b.invite(&who, lifetime, now))
                .map_err(text)?;
            println!("invited {} <{}>", person.name, person.email);
            print_invitation(&url, &token, expires_at);
        }
        Command::People(PeopleCommand::FirstAdmin { email, name, url }) => {
            let first = PeopleBook::open(dir)
                .and_then(|mut b| b.first_admin(&name, &email, lifetime, now))
                .map_err(text)?;
            match first {
                people::FirstAdmin::Invited {
                    person,
                    token,
                    expires_at,
                } => {
                    println!(
                        "administrator {} <{}>: open this link to sign in",
                        person.name, person.email
                    );
                    print_invitation(&url, &token, expires_at);
                }
                people::FirstAdmin::SignedIn(person) => println!(
                    "administrator {} <{}> has signed in already \
                     (a new link: sync-server people invite {})",
                    person.name, person.email, person.email
                ),
            }
        }
        Command::People(PeopleCommand::Token { who, url }) => {
            let token = PeopleBook::open(dir)
                .and_then(|mut b| b.issue_token(&who))
                .map_err(text)?;
            print_token(&url, &token);
        }
        Command::People(PeopleCommand::Set {
            who,
            department,
            role,
        }) => {
            if department.is_none() && role.is_none() {
                return Err("say what changes: --department, --role or both".into());
            }
            let person = PeopleBook::open(dir)
                .and_then(|mut b| b.change(&who, department.as_deref(), role.as_deref()))
                .map_err(text)?;
            println!(
                "{} <{}> is now {} in {}",
                person.name,
                person.email,
                person.role.as_str(),
                person.department
            );
        }
        Command::People(PeopleCommand::Revoke { who }) => {
            let person = PeopleBook::open(dir)
                .and_then(|mut b| b.revoke(&who, now))
                .map_err(text)?;
            println!(
                "revoked every sign-in link and device of {} <{}>",
                person.name, person.email
            );
        }
        Command::People(PeopleCommand::Devices { who }) => {
            let book = PeopleBook::open(dir).map_err(text)?;
            let person = book
                .find(&who)
                .ok_or_else(|| text(people::PeopleError::Unknown(who)))?;
            println!("device\tlabel\tenrolled\tlast used");
            let when = |at: i64| {
                chrono::DateTime::from_timestamp(at, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default()
            };
            for d in &person.devices {
                println!(
                    "{}\t{}\t{}\t{}",
                    d.id,
                    d.label,
                    when(d.enrolled_at),
                    when(d.last_used_at)
                );
            }
        }
        Command::People(PeopleCommand::RevokeDevice { who, device }) => {
            let revoked = PeopleBook::open(dir)
                .and_then(|mut b| b.revoke_device(&who, &device))
                .map_err(text)?;
            println!("revoked {} ({})", revoked.id, revoked.label);
        }
        Command::Backup { to } => {
            let copy = backup::backup(dir, &to).map_err(|e| e.to_string())?;
            println!(
                "backed up {} documents ({:.1} MB) to {}",
                copy.documents,
                copy.bytes as f64 / 1e6,
                to.display()
            );
        }
        Command::Audit {
            check: Some(AuditCommand::Verify),
            ..
        } => {
            let found = audit::verify_in(dir).map_err(|e| e.to_string())?;
            let found = found.map_err(|broken| format!("the audit log is not intact: {broken}"))?;
            println!(
                "the audit log is intact: {} records ({} from before the chain began, {} torn lines passed over)",
                found.records, found.unchained, found.torn
            );
            println!("newest hash: {}", found.head);
        }
        Command::Audit {
            document: Some(document),
            format,
            ..
        } => {
            let doc = document
                .parse()
                .map_err(|e: innerdesk_core::domain::BadDocumentId| e.to_string())?;
            let records = audit::list_in(dir, doc).map_err(|e| e.to_string())?;
            match format.as_str() {
                "json" => {
                    for r in records {
                        println!("{}", serde_json::to_string(&r).expect("records serialise"));
                    }
                }
                "csv" => print!("{}", audit::to_csv(&records)),
                other => return Err(format!("unknown format {other:?}: use csv or json")),
            }
        }
        Command::Audit { .. } => return Err("name a document id, or `verify`".into()),
    }
    Ok(())
}

fn print_invitation(url: &str, token: &str, expires_at: i64) {
    let until = chrono::DateTime::from_timestamp(expires_at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    println!(
        "sign-in link (one device, until {until}): {}/#/signin/{token}",
        url.trim_end_matches('/')
    );
}

fn print_token(url: &str, token: &str) {
    println!("token: {token}");
    println!(
        "sign-in link: {}/#/signin/{token}",
        url.trim_end_matches('/')
    );
}

/// A fresh, empty folder for one unit test.
#[cfg(test)]
fn empty_test_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("innerdesk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
fn stop_requested() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
}

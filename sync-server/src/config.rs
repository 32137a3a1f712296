//! Settings: flags, then environment variables, then an optional TOML file, then defaults.

use crate::client_address::Cidr;
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The Innerdesk relay: serves the page, syncs documents between devices, and manages who may see them.
#[derive(Debug, Parser)]
#[command(name = "sync-server", version, about)]
pub struct Cli {
    /// A TOML file with any of: addr, data_dir, page_dir, trusted_proxies, metrics_token and a
    /// [limits] table.
    #[arg(long, env = "INNERDESK_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Folder for the relay's own store (created if missing). Default: `data`.
    #[arg(long, env = "INNERDESK_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0 only behind a TLS proxy. Default: 127.0.0.1:8080.
    #[arg(long, env = "INNERDESK_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Folder holding the built page (`trunk build --release` writes it to `dist/`). Default: `dist`.
    #[arg(long, env = "INNERDESK_PAGE_DIR")]
    pub page_dir: Option<PathBuf>,
    /// Largest protocol message accepted, in bytes; a larger one closes its connection.
    #[arg(long, env = "INNERDESK_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Most bytes the compressed parts of one sync message may inflate to; more closes the
    /// connection before anything is inflated for real.
    #[arg(long, env = "INNERDESK_MAX_INFLATED_BYTES")]
    pub max_inflated_bytes: Option<u64>,
    /// Most documents one connection may sync.
    #[arg(long, env = "INNERDESK_MAX_DOCUMENTS_PER_CONNECTION")]
    pub max_documents_per_connection: Option<usize>,
    /// Failed sign-ins allowed per client address per minute before it is turned away.
    #[arg(long, env = "INNERDESK_FAILED_SIGN_INS_PER_MINUTE")]
    pub failed_sign_ins_per_minute: Option<u32>,
    /// Documents kept in memory between messages; beyond it the longest held are read again from
    /// disk when next needed.
    #[arg(long, env = "INNERDESK_RESIDENT_DOCUMENTS")]
    pub resident_documents: Option<usize>,
    /// Documents one person may bring to the relay.
    #[arg(long, env = "INNERDESK_MAX_DOCUMENTS_PER_PERSON")]
    pub max_documents_per_person: Option<u64>,
    /// Bytes of changes one person may store.
    #[arg(long, env = "INNERDESK_MAX_BYTES_PER_PERSON")]
    pub max_bytes_per_person: Option<u64>,
    /// Bytes of changes one document may hold.
    #[arg(long, env = "INNERDESK_MAX_DOCUMENT_BYTES")]
    pub max_document_bytes: Option<u64>,
    /// Changes one person may send a minute on average.
    #[arg(long, env = "INNERDESK_CHANGES_PER_MINUTE_PER_PERSON")]
    pub changes_per_minute_per_person: Option<u64>,
    /// Changes one person may send at once after a quiet spell.
    #[arg(long, env = "INNERDESK_CHANGE_BURST_PER_PERSON")]
    pub change_burst_per_person: Option<u64>,
    /// Days a device may go unused before its credential lapses and it must sign in with a
    /// link again.
    #[arg(long, env = "INNERDESK_DEVICE_IDLE_DAYS")]
    pub device_idle_days: Option<u64>,
    /// Days an invitation (a sign-in link handed out by an administrator) stays usable.
    #[arg(long, env = "INNERDESK_INVITATION_DAYS")]
    pub invitation_days: Option<u64>,
    /// Acknowledge changes before they are synced to disk: faster on slow disks, but a power
    /// cut (not a crash of the relay alone) may lose changes devices were told are kept.
    #[arg(long, env = "INNERDESK_UNSYNCED_WRITES")]
    pub unsynced_writes: bool,
    /// Reverse proxies (addresses or ranges such as 10.0.0.0/8, comma-separated) whose
    /// `Forwarded` / `X-Forwarded-For` headers name the client; from anyone else they are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "INNERDESK_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// A secret a monitoring system sends (`Authorization: Bearer …`) to read `/metrics`;
    /// without it only admins can. Prefer the environment or the file: flags show in `ps`.
    #[arg(long, env = "INNERDESK_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Seconds a connection may go without finishing anything (an HTTP request head; on a
    /// WebSocket, any frame: the relay pings every third of it) before it is closed.
    #[arg(long, env = "INNERDESK_IDLE_SECONDS")]
    pub idle_seconds: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the people who may sign in.
    #[command(subcommand)]
    People(PeopleCommand),
    /// Copy the data folder, consistently, while the relay keeps serving it. The copy is a data
    /// folder: to restore, start a relay with `--data-dir` on it (on any machine).
    Backup {
        /// Where the copy goes; must not exist yet.
        to: std::path::PathBuf,
    },
    /// Print the audit trail of one document (who delivered which change, and when), or check
    /// the whole log with `audit verify`.
    #[command(args_conflicts_with_subcommands = true)]
    Audit {
        #[command(subcommand)]
        check: Option<AuditCommand>,
        /// The document id (a ticket's id, as in its address `#/t/<id>`).
        #[arg(required = true)]
        document: Option<String>,
        /// `csv` or `json` (one record per line).
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that every line of the audit log follows the one before it (exit status 1 if not),
    /// and print the newest line's hash: keep it elsewhere to notice lines cut off the end.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Add a person and print their sign-in link.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        department: String,
        /// requester, agent, lead or admin.
        #[arg(long, default_value = "requester")]
        role: String,
        /// The address people open the page at, for the sign-in link.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// List everyone, with their role and whether they may sign in.
    List,
    /// Issue an invitation: a sign-in link that enrols one device, once, within
    /// --invitation-days (an earlier invitation stops working).
    Invite {
        /// Email or person id.
        who: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Make sure an administrator can sign in: creates one if there is none and prints an
    /// invitation while no administrator has signed in on a device (the run command does this).
    FirstAdmin {
        #[arg(long, default_value = "admin@localhost")]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Issue a key for a script or other client: it signs in until revoked (earlier keys stay
    /// valid). People are better given an invitation.
    Token {
        /// Email or person id.
        who: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Move a person to another department or role; their open connections are cut, and
    /// reconnect to what they may see now.
    Set {
        /// Email or person id.
        who: String,
        #[arg(long)]
        department: Option<String>,
        /// requester, agent, lead or admin.
        #[arg(long)]
        role: Option<String>,
    },
    /// Revoke every sign-in link and device of a person: their open connections are cut within
    /// a second, and every later one is refused.
    Revoke {
        /// Email or person id.
        who: String,
    },
    /// List the devices a person signed in on, with when each was last used.
    Devices {
        /// Email or person id.
        who: String,
    },
    /// Revoke one device of a person (its id as `people devices` lists it); the others stay
    /// signed in.
    RevokeDevice {
        /// Email or person id.
        who: String,
        device: String,
    },
}

/// Limits that protect the relay from one bad client.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub max_message_bytes: usize,
    pub max_inflated_bytes: u64,
    pub max_documents_per_connection: usize,
    pub failed_sign_ins_per_minute: u32,
    pub resident_documents: usize,
    pub idle_seconds: u64,
    /// Documents one person may bring to the relay (those whose first change they deliver).
    pub max_documents_per_person: u64,
    /// Bytes of changes one person may store.
    pub max_bytes_per_person: u64,
    /// Bytes of changes one document may hold.
    pub max_document_bytes: u64,
    /// Changes one person may send a minute, on average…
    pub changes_per_minute_per_person: u64,
    /// …and at once, after a quiet spell.
    pub change_burst_per_person: u64,
    /// Whether a change is synced to disk before it is acknowledged (see `--unsynced-writes`).
    pub synced_writes: bool,
    /// Days a device credential stays valid unused.
    pub device_idle_days: u64,
    /// Days an invitation stays usable.
    pub invitation_days: u64,
}

impl Limits {
    pub fn device_idle_seconds(&self) -> i64 {
        days_in_seconds(self.device_idle_days)
    }

    pub fn invitation_seconds(&self) -> i64 {
        days_in_seconds(self.invitation_days)
    }
}

fn days_in_seconds(days: u64) -> i64 {
    i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX)
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024 * 1024,
            max_inflated_bytes: innerdesk_core::sync::checked::MAX_INFLATED_BYTES,
            max_documents_per_connection: 50_000,
            failed_sign_ins_per_minute: 20,
            // An Automerge document takes some 17 KB of memory even when tiny.
            resident_documents: 2_000,
            idle_seconds: 60,
            // Far above what anyone does by hand in years: a busy agent makes a few thousand
            // changes a day, a few kilobytes each, and a long ticket holds a few megabytes.
            max_documents_per_person: 1_000_000,
            max_bytes_per_person: 20 * 1024 * 1024 * 1024,
            max_document_bytes: 256 * 1024 * 1024,
            changes_per_minute_per_person: 6_000,
            // A device back from weeks offline delivers its backlog at once.
            change_burst_per_person: 60_000,
            synced_writes: true,
            // A remote site may be offline for weeks; a lost laptop is revoked by hand.
            device_idle_days: 90,
            // Long enough to reach someone back from a week away; short enough that a link
            // forgotten in a mailbox is soon worth nothing.
            invitation_days: 7,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileSettings {
    addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    page_dir: Option<PathBuf>,
    trusted_proxies: Option<Vec<String>>,
    metrics_token: Option<String>,
    limits: Option<Limits>,
}

/// The settings in force, after every source has been merged.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub page_dir: PathBuf,
    pub trusted_proxies: Vec<Cidr>,
    pub metrics_token: Option<String>,
    pub limits: Limits,
}

impl Cli {
    pub fn settings(&self) -> Result<Settings, String> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let mut limits = file.limits.unwrap_or_default();
        let s = &self.serve;
        limits.max_message_bytes = s.max_message_bytes.unwrap_or(limits.max_message_bytes);
        limits.max_inflated_bytes = s.max_inflated_bytes.unwrap_or(limits.max_inflated_bytes);
        limits.max_documents_per_connection = s
            .max_documents_per_connection
            .unwrap_or(limits.max_documents_per_connection);
        limits.failed_sign_ins_per_minute = s
            .failed_sign_ins_per_minute
            .unwrap_or(limits.failed_sign_ins_per_minute);
        limits.resident_documents = s.resident_documents.unwrap_or(limits.resident_documents);
        limits.idle_seconds = s.idle_seconds.unwrap_or(limits.idle_seconds).max(1);
        limits.synced_writes &= !s.unsynced_writes;
        for (flag, limit) in [
            (
                s.max_documents_per_person,
                &mut limits.max_documents_per_person,
            ),
            (s.max_bytes_per_person, &mut limits.max_bytes_per_person),
            (s.max_document_bytes, &mut limits.max_document_bytes),
            (
                s.changes_per_minute_per_person,
                &mut limits.changes_per_minute_per_person,
            ),
            (
                s.change_burst_per_person,
                &mut limits.change_burst_per_person,
            ),
            (s.device_idle_days, &mut limits.device_idle_days),
            (s.invitation_days, &mut limits.invitation_days),
        ] {
            *limit = flag.unwrap_or(*limit);
        }
        let proxies = if s.trusted_proxies.is_empty() {
            file.trusted_proxies.unwrap_or_default()
        } else {
            s.trusted_proxies.clone()
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| p.parse())
            .collect::<Result<_, String>>()
            .map_err(|e| format!("trusted proxy: {e}"))?;
        let metrics_token = s.metrics_token.clone().or(file.metrics_token);
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err("the metrics token must be at least 16 characters".into());
        }
        Ok(Settings {
            trusted_proxies,
            metrics_token,
            addr: s
                .addr
                .or(file.addr)
                .unwrap_or(([127, 0, 0, 1], 8080).into()),
            data_dir: self
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| "data".into()),
            page_dir: s
                .page_dir
                .clone()
                .or(file.page_dir)
                .unwrap_or_else(|| "dist".into()),
            limits,
        })
    }
}

fn read_file(path: &Path) -> Result<FileSettings, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("the config file {} is invalid: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = crate::empty_test_dir("config");
        let file = dir.join("relay.toml");
        std::fs::write(
            &file,
            "page_dir = \"site\"\naddr = \"127.0.0.1:9000\"\n[limits]\nmax_message_bytes = 1000\n",
        )
        .unwrap();
        let cli = Cli::parse_from([
            "sync-server",
            "--config",
            file.to_str().unwrap(),
            "--addr",
            "127.0.0.1:9100",
        ]);
        let settings = cli.settings().unwrap();
        assert_eq!(settings.addr.port(), 9100);
        assert_eq!(settings.page_dir, PathBuf::from("site"));
        assert_eq!(settings.data_dir, PathBuf::from("data"));
        assert_eq!(settings.limits.max_message_bytes, 1000);
        assert_eq!(settings.limits.max_documents_per_connection, 50_000);
        std::fs::write(&file, "adress = 1").unwrap();
        assert!(cli.settings().unwrap_err().contains("invalid"));
    }
}

//! Settings, from flags or environment variables.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The Innerdesk relay.
#[derive(Debug, Clone, Parser)]
#[command(name = "sync-server", version, about)]
pub struct Config {
    /// Address to listen on. Use 0.0.0.0 only behind a TLS proxy.
    #[arg(long, env = "INNERDESK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder for the relay's own store (created if missing).
    #[arg(long, env = "INNERDESK_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Folder holding the built page (`trunk build --release` writes it to `dist/`).
    #[arg(long, env = "INNERDESK_PAGE_DIR", default_value = "dist")]
    pub page_dir: PathBuf,
}

impl Config {
    pub fn prepare_data_dir(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.data_dir)
    }
}

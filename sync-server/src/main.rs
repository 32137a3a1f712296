//! `sync-server`: one process that is a complete Innerdesk installation. It serves the built page and
//! keeps its data folder; the sync protocol arrives on top of this.
//!
//! ```text
//! sync-server --addr 127.0.0.1:8080 --data-dir ./data --page-dir ./dist
//! ```

mod config;
mod routes;

use clap::Parser;
use config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr; stdout carries only the line that says where the page is.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = Config::parse();
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> std::io::Result<()> {
    config.prepare_data_dir()?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    // Signal handlers are in place before anyone is told the address, so a stop request that
    // follows at once is still a graceful one.
    let stop = stop_requested()?;
    tracing::info!(%addr, data_dir = %config.data_dir.display(), page_dir = %config.page_dir.display(), "listening");
    // The line scripts and people read to find the page.
    println!("Innerdesk is running at http://{addr}/");
    axum::serve(listener, routes::router(&config))
        .with_graceful_shutdown(stop)
        .await?;
    tracing::info!("stopped");
    Ok(())
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

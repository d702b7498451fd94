//! `juki serve`: run a node until SIGTERM or Ctrl-C.

use anyhow::{Context, Result};
use juki_node::{Node, NodeConfig, SystemClock};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Listen here instead of the configured address (port 0: any free port).
    #[arg(long)]
    listen: Option<String>,
}

pub fn run(a: Args) -> Result<u8> {
    let mut config = NodeConfig::load(&a.data)?;
    if let Some(l) = a.listen {
        config.listen = l.parse().with_context(|| format!("--listen {l}"))?;
    }
    let _lock = super::lock_data_dir(&a.data)?;
    let store = config.open_store()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(role = config.role.as_str(), name = %config.name, %addr, "node ready");
        let node = Arc::new(Node::new(config, Arc::new(store), Arc::new(SystemClock)));
        // The first line on stdout says where the node listens (tests and scripts read it).
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready https://{addr}")?;
        out.flush()?;
        drop(out);
        juki_node::serve(node, listener, shutdown_signal()).await
    })?;
    Ok(crate::exit::DONE)
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

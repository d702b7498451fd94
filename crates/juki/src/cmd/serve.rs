//! `juki serve`: run a node until SIGTERM or Ctrl-C.

use anyhow::{Context, Result};
use juki_node::{Node, NodeConfig, Parent, SystemClock};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
        let parent = parent_link(&config)?;
        let mut node = Node::new(config, Arc::new(store), Arc::new(SystemClock));
        if let Some(p) = parent {
            node = node.with_parent(p);
        }
        let node = Arc::new(node);
        // The first line on stdout says where the node listens (tests and scripts read it).
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready https://{addr}")?;
        out.flush()?;
        drop(out);
        juki_node::serve(node, listener, shutdown_signal()).await
    })?;
    Ok(crate::exit::DONE)
}

/// How long one forward or pool request to the parent may take.
const PARENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The client of the node's parent: the node's own certificate, and the parent must present
/// the certificate of this node's prefecture (or of the national node).
fn parent_link(config: &NodeConfig) -> Result<Option<Parent>> {
    let Some(url) = &config.parent else {
        return Ok(None);
    };
    let me = config.identity()?;
    let tls = config.node_tls();
    let expect = juki_pki::Expect::parent_of(&me);
    let client_tls = juki_pki::client_config(&tls.ca, Some((&tls.cert, &tls.key)), expect)?;
    let client = juki_client::Client::with_tls(url, client_tls, PARENT_TIMEOUT)?;
    Ok(Some(Parent {
        url: url.clone(),
        client,
    }))
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

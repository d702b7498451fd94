//! The node server: TLS accept loop with bounded connections, HTTP/1.1 and HTTP/2, and
//! graceful shutdown.

use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::metrics::Metrics;
use anyhow::{Context, Result};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use juki_store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// A running node's shared state.
pub struct Node {
    pub config: NodeConfig,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub(crate) admission: Arc<Semaphore>,
    /// Distinguishes request ids across restarts.
    pub(crate) boot_id: u64,
}

impl Node {
    pub fn new(config: NodeConfig, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Node {
        let admission = Arc::new(Semaphore::new(config.limits.concurrent_requests_max));
        let boot_id = (clock.now_ms() as u64) & 0xffff_ffff;
        Node {
            config,
            store,
            clock,
            metrics: Metrics::new(),
            admission,
            boot_id,
        }
    }
}

/// Serves `node` on `listener` until `shutdown` completes, then stops accepting, lets the
/// requests in progress finish (up to `shutdown_grace_ms`) and returns.
pub async fn serve(
    node: Arc<Node>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let limits = node.config.limits.clone();
    let tls = crate::tls::server_config(
        &node.config.path(&node.config.tls.cert),
        &node.config.path(&node.config.tls.key),
    )
    .context("loading the node's TLS certificate")?;
    let acceptor = TlsAcceptor::from(tls);
    let app = crate::routes::router(node.clone());
    let connections = Arc::new(Semaphore::new(limits.connections_max));
    let graceful = GracefulShutdown::new();
    let handshake_timeout = Duration::from_millis(limits.tls_handshake_timeout_ms);
    tokio::pin!(shutdown);
    loop {
        // Wait for a connection slot before accepting: excess connections wait in the
        // kernel's backlog instead of consuming memory here.
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p.context("connection limiter closed")?,
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        let watcher = graceful.watcher();
        let node = node.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let tls = match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            node.metrics.connections_open.inc();
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(tls), service);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            node.metrics.connections_open.dec();
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing requests in progress");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(Duration::from_millis(limits.shutdown_grace_ms)) => {
            tracing::warn!("shutdown grace period over; closing remaining connections");
        }
    }
    Ok(())
}

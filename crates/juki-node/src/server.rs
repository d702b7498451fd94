//! The node server: TLS accept loop with bounded connections, HTTP/1.1 and HTTP/2, and
//! graceful shutdown.

use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::error::ApiError;
use crate::link::{LinkState, Parent};
use crate::metrics::Metrics;
use anyhow::{Context, Result};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use juki_domain::catalogue::{
    NET_OUTSIDE_JURISDICTION, NODE_INTERNAL, TLS_EXPIRES_SOON, TLS_NO_CLIENT_CERT,
};
use juki_store::Store;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The identity of a connection's verified client certificate (None: it presented none).
#[derive(Clone, Debug)]
pub struct Peer(pub Option<juki_pki::Identity>);

/// A running node's shared state.
pub struct Node {
    pub config: NodeConfig,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub(crate) admission: Arc<Semaphore>,
    /// Distinguishes request ids across restarts.
    pub(crate) boot_id: u64,
    /// The parent this node forwards to (None: standalone, or the national node).
    pub parent: Option<Arc<Parent>>,
    /// Wakes the forwarder when the journal grew.
    pub(crate) journal_grew: Notify,
    /// Wakes the pool keeper when codes run low.
    pub(crate) pool_low: Notify,
    pub(crate) link: Mutex<LinkState>,
    /// The audit log (None only when `[audit] enabled = false`, for benchmarks).
    pub audit: Option<juki_audit::AuditLog>,
    /// Accesses by resident, derived from the audit log (for disclosure reports).
    pub access_index: Option<Arc<crate::access_index::AccessIndex>>,
    /// This node's identity URI, as audit entries name it.
    pub(crate) node_uri: String,
    /// Approval requests and the operations they run (None: not opened, as in some tests).
    pub approvals: Option<Arc<crate::approvals::Approvals>>,
    /// Set when the node is asked to stop (`Node::request_stop`); `serve` waits on it.
    pub(crate) stop: tokio::sync::watch::Sender<bool>,
    /// Operator accounts: password and one-time-code logins (None: certificates only).
    pub operators: Option<Arc<juki_operators::OperatorStore>>,
    /// Routed requests: children's URLs and the handlers of each kind (crate::routing).
    pub routing: crate::routing::Routing,
    /// Special move procedures under way here (municipal nodes; crate::moves).
    pub moves: Option<Arc<juki_moves::MoveStore>>,
    /// The font certificate PDFs are set in, once loaded (`[certificates] font`).
    certificate_font: Mutex<Option<Arc<juki_print::CertificateFont>>>,
    /// The code ranges the last digest comparison with the parent found differing, by scope
    /// (crate::digest).
    pub(crate) digest_differences: Mutex<std::collections::BTreeMap<String, Vec<String>>>,
}

impl Node {
    pub fn new(config: NodeConfig, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Node {
        let admission = Arc::new(Semaphore::new(config.limits.concurrent_requests_max));
        let boot_id = (clock.now_ms() as u64) & 0xffff_ffff;
        Node {
            store,
            clock,
            metrics: Metrics::new(),
            admission,
            boot_id,
            parent: None,
            journal_grew: Notify::new(),
            pool_low: Notify::new(),
            link: Mutex::new(LinkState::default()),
            audit: None,
            access_index: None,
            node_uri: String::new(),
            approvals: None,
            stop: tokio::sync::watch::Sender::new(false),
            operators: None,
            routing: crate::routing::Routing::open(&config.data_dir),
            moves: None,
            certificate_font: Mutex::new(None),
            digest_differences: Mutex::new(Default::default()),
            config,
        }
        .named()
    }

    fn named(mut self) -> Node {
        self.node_uri = match self.config.identity() {
            Ok(i) => i.uri(),
            Err(_) => format!(
                "urn:juki:{}:unknown:{}",
                self.config.role.as_str(),
                self.config.role.as_str()
            ),
        };
        self
    }

    /// The node with its audit log and the access index derived from it.
    pub fn with_audit(
        mut self,
        log: juki_audit::AuditLog,
        index: crate::access_index::AccessIndex,
    ) -> Node {
        self.audit = Some(log);
        self.access_index = Some(Arc::new(index));
        self
    }

    /// The node with its record of approval requests (DATA/approvals.db).
    pub fn with_approvals(mut self, store: juki_approvals::ApprovalStore) -> Node {
        self.approvals = Some(Arc::new(crate::approvals::Approvals::new(store)));
        self
    }

    /// The node with its record of special move procedures (DATA/moves.db).
    pub fn with_moves(mut self, store: Option<juki_moves::MoveStore>) -> Node {
        self.moves = store.map(Arc::new);
        self
    }

    /// The certificate font, loaded on first use (and again after a failure, so installing
    /// the font needs no restart).
    pub(crate) fn certificate_font(&self) -> Result<Arc<juki_print::CertificateFont>, ApiError> {
        let mut slot = self
            .certificate_font
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(f) = slot.as_ref() {
            return Ok(f.clone());
        }
        let path = &self.config.certificates.font;
        let font = juki_print::CertificateFont::load(path).map_err(|e| {
            tracing::warn!(error = %e, "certificate font unavailable");
            ApiError::with(
                &juki_domain::catalogue::SVC_PDF_FONT,
                serde_json::json!({ "font": path.display().to_string() }),
            )
        })?;
        let font = Arc::new(font);
        *slot = Some(font.clone());
        Ok(font)
    }

    /// The node with its operator accounts.
    pub fn with_operators(mut self, store: Arc<juki_operators::OperatorStore>) -> Node {
        self.operators = Some(store);
        self
    }

    /// Checks that the connection's certificate is the node `from`, a child of this node.
    pub(crate) fn authorize_child(
        &self,
        peer: Option<Peer>,
        from: juki_domain::LocalGovernmentCode,
    ) -> Result<(), ApiError> {
        let peer = peer
            .and_then(|p| p.0)
            .ok_or_else(|| ApiError::new(&TLS_NO_CLIENT_CERT))?;
        let me = self.own_identity()?;
        juki_pki::may_push(&peer, &me)
            .map_err(|r| ApiError::with(r.def(), serde_json::json!({ "reason": r.to_string() })))?;
        if peer.jurisdiction != juki_pki::Jurisdiction::Local(from) {
            return Err(ApiError::with(
                &NET_OUTSIDE_JURISDICTION,
                serde_json::json!({ "from": from.to_string(), "certificate": peer.uri() }),
            ));
        }
        Ok(())
    }

    /// This node's own identity (its certificate's), or an internal error when its
    /// configuration cannot name one.
    pub(crate) fn own_identity(&self) -> Result<juki_pki::Identity, ApiError> {
        self.config.identity().map_err(|e| {
            tracing::error!(error = %e, "this node's own identity is invalid");
            ApiError::new(&NODE_INTERNAL)
        })
    }

    /// Warnings about this node's certificate: it expires within 30 days.
    pub(crate) fn cert_warnings(&self) -> Vec<juki_api::Warning> {
        let cert = self.config.path(&self.config.tls.cert);
        let now = time::OffsetDateTime::from_unix_timestamp(self.clock.now_ms() / 1000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        match juki_pki::expires_within(&cert, juki_pki::EXPIRY_WARNING_DAYS, now) {
            Ok(false) => vec![],
            Ok(true) => vec![juki_api::Warning::from(&TLS_EXPIRES_SOON)],
            Err(e) => {
                tracing::warn!(error = %e, "reading the node certificate's expiry");
                vec![juki_api::Warning::from(e.def)]
            }
        }
    }

    /// The node with the parent it forwards to.
    pub fn with_parent(mut self, parent: Parent) -> Node {
        self.parent = Some(Arc::new(parent));
        self
    }

    /// How the link to the parent stands.
    pub fn link_state(&self) -> LinkState {
        self.link.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_lag(&self, changes: u64, ms: u64) {
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        link.lag_changes = changes;
        link.lag_ms = ms;
        drop(link);
        self.metrics.link_lag_changes.set(changes as i64);
        self.metrics.link_lag_ms.set(ms as i64);
    }

    pub(crate) fn set_link_error(&self, error: Option<String>) {
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        match error {
            Some(e) => {
                link.failing_since_ms.get_or_insert(self.clock.now_ms());
                link.error = Some(e);
            }
            None => {
                link.failing_since_ms = None;
                link.error = None;
            }
        }
    }
}

/// How long a refused connection is drained before it is closed, and how much is read.
const LINGER: Duration = Duration::from_millis(250);
const LINGER_BYTES_MAX: usize = 64 * 1024;

/// Closes a connection whose handshake was refused so that the client reads the alert saying
/// why (a revoked certificate, an unknown CA): closing at once, with the client's first
/// request still unread, makes the kernel reset the connection, and the client may then see
/// only "connection reset" instead of the alert. Stops sending, then reads what the client
/// sent until it closes, for a short, bounded time.
async fn linger(mut tcp: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tcp.shutdown().await;
    let drain = async {
        let mut buf = [0u8; 4096];
        let mut read = 0;
        while read < LINGER_BYTES_MAX {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Serves `node` on `listener` until `shutdown` completes or the node is asked to stop
/// (`Node::request_stop`), then stops accepting, lets the requests in progress finish (up to
/// `shutdown_grace_ms`) and returns.
pub async fn serve(
    node: Arc<Node>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let stop_node = node.clone();
    let shutdown = async move {
        tokio::select! {
            () = shutdown => {}
            () = stop_node.stopping() => tracing::info!("stop requested"),
        }
    };
    let limits = node.config.limits.clone();
    let tls = juki_pki::server_config(&node.config.node_tls())
        .context("loading the node's TLS certificate")?;
    let acceptor = TlsAcceptor::from(tls);
    let app = crate::routes::router(node.clone());
    let connections = Arc::new(Semaphore::new(limits.connections_max));
    let graceful = GracefulShutdown::new();
    let handshake_timeout = Duration::from_millis(limits.tls_handshake_timeout_ms);
    let (header_bytes_max, headers_max) = (limits.header_bytes_max, limits.headers_max);
    let stop_links = Arc::new(Notify::new());
    let mut links = Vec::new();
    if let Some(parent) = &node.parent {
        links.push(tokio::spawn(crate::link::forward(
            node.clone(),
            parent.clone(),
            stop_links.clone(),
        )));
        links.push(tokio::spawn(crate::link::keep_pools(
            node.clone(),
            parent.clone(),
            stop_links.clone(),
        )));
        links.push(tokio::spawn(crate::routing::announce(
            node.clone(),
            parent.clone(),
            stop_links.clone(),
        )));
    }
    if node.moves.is_some() {
        links.push(tokio::spawn(crate::moves::keep_moving(
            node.clone(),
            stop_links.clone(),
        )));
    }
    if let Some(parent) = &node.parent {
        links.push(tokio::spawn(crate::digest::keep_comparing(
            node.clone(),
            parent.clone(),
            stop_links.clone(),
        )));
    }
    if node.config.backup.repo.is_some() {
        // Set before the node answers, so that its first metrics already tell.
        node.metrics
            .backup_same_storage
            .set(i64::from(crate::backup::same_storage(&node)));
        links.push(tokio::spawn(crate::backup::keep_backing_up(
            node.clone(),
            stop_links.clone(),
        )));
        links.push(tokio::spawn(crate::backup::keep_drilling(
            node.clone(),
            stop_links.clone(),
        )));
    }
    if node.audit.is_some() {
        links.push(tokio::spawn(crate::audit::keep_retention(
            node.clone(),
            stop_links.clone(),
        )));
        links.push(tokio::spawn(crate::audit::keep_index(
            node.clone(),
            stop_links.clone(),
        )));
    }
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
        let app = app.clone();
        let watcher = graceful.watcher();
        let node = node.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let accept = acceptor.accept(tcp).into_fallible();
            let tls = match tokio::time::timeout(handshake_timeout, accept).await {
                Ok(Ok(s)) => s,
                Ok(Err((e, tcp))) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    linger(tcp).await;
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            node.metrics.connections_open.inc();
            // Who the verified client certificate speaks for, for every request of this
            // connection.
            let identity = Peer(
                tls.get_ref()
                    .1
                    .peer_certificates()
                    .and_then(juki_pki::peer_identity),
            );
            let service = TowerToHyperService::new(app.map_request(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(identity.clone());
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                },
            ));
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // Bounded request heads: beyond them HTTP/1.1 answers 431 and closes, HTTP/2
            // answers the stream 431.
            builder
                .http1()
                .max_buf_size(header_bytes_max as usize)
                .max_headers(headers_max);
            builder.http2().max_header_list_size(header_bytes_max);
            let conn = builder.serve_connection(TokioIo::new(tls), service);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            node.metrics.connections_open.dec();
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing requests in progress");
    stop_links.notify_waiters();
    for l in links {
        l.abort();
    }
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(Duration::from_millis(limits.shutdown_grace_ms)) => {
            tracing::warn!("shutdown grace period over; closing remaining connections");
        }
    }
    if let Some(log) = &node.audit {
        let n = node.clone();
        let sealed = tokio::task::spawn_blocking(move || n.audit.as_ref().map(|l| l.seal())).await;
        match sealed {
            Ok(Some(Err(e))) => {
                tracing::error!(error = %e, dir = %log.dir().display(), "sealing the audit log at shutdown")
            }
            Err(e) => tracing::error!(error = %e, "sealing the audit log at shutdown"),
            _ => {}
        }
    }
    Ok(())
}

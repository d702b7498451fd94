//! `juki serve`: run a node until SIGTERM or Ctrl-C, or until it is asked to stop
//! (`juki node stop`, docs/approvals.md).

use anyhow::{Context, Result};
use juki_node::{Node, NodeConfig, Parent, SystemClock};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node's data directory. Repeat it to host several nodes in this process (as a
    /// shared municipal data centre does); they still talk to each other only over HTTPS.
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// Listen here instead of the configured address (port 0: any free port); one node only.
    #[arg(long)]
    listen: Option<String>,
}

pub fn run(a: Args) -> Result<u8> {
    if a.listen.is_some() && a.data.len() > 1 {
        return Err(crate::exit::exit(
            crate::exit::USAGE,
            "--listen applies to one node; several nodes listen on their configured addresses",
        ));
    }
    let mut nodes = Vec::with_capacity(a.data.len());
    for data in &a.data {
        let mut config = NodeConfig::load(data)?;
        if let Some(l) = &a.listen {
            config.listen = l.parse().with_context(|| format!("--listen {l}"))?;
        }
        let lock = super::lock_data_dir(data)?;
        let store = config.open_store()?;
        nodes.push((config, store, lock));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (stop, _) = tokio::sync::watch::channel(false);
        let mut servers = tokio::task::JoinSet::new();
        let mut out = std::io::stdout().lock();
        for (config, store, lock) in nodes {
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("listening on {}", config.listen))?;
            let addr = listener.local_addr()?;
            tracing::info!(role = config.role.as_str(), name = %config.name, %addr, "node ready");
            let parent = parent_link(&config)?;
            let clock: Arc<dyn juki_node::Clock> = Arc::new(SystemClock);
            let audit = juki_node::audit::open(&config, clock.clone())?;
            let approvals = juki_node::approvals::open(&config, clock.now_ms())?;
            let operators = open_operators(&config)?;
            let moves = juki_node::moves::open(&config)?;
            let mut node = Node::new(config, Arc::new(store), clock)
                .with_approvals(approvals)
                .with_operators(operators)
                .with_moves(moves);
            if let Some((log, index)) = audit {
                node = node.with_audit(log, index);
            }
            if let Some(p) = parent {
                node = node.with_parent(p);
            }
            // One line per node on stdout says where it listens (tests and scripts read it).
            writeln!(out, "ready https://{addr}")?;
            out.flush()?;
            let mut stopped = stop.subscribe();
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            servers.spawn(async move {
                let served = juki_node::serve(Arc::new(node), listener, shutdown).await;
                // A node that stopped frees its data directory while the others go on.
                drop(lock);
                served
            });
        }
        drop(out);
        let signal = shutdown_signal();
        tokio::pin!(signal);
        loop {
            tokio::select! {
                () = &mut signal => break,
                ended = servers.join_next() => match ended {
                    // A node asked to stop ends normally and the others go on; one that fails
                    // takes the others down with it.
                    Some(ended) => ended??,
                    // Every node stopped on request.
                    None => break,
                },
            }
        }
        let _ = stop.send(true);
        while let Some(ended) = servers.join_next().await {
            ended??;
        }
        anyhow::Ok(())
    })?;
    Ok(crate::exit::DONE)
}

/// The node's operator accounts, `DATA/operators.db` (created, 0600, on first start).
fn open_operators(config: &NodeConfig) -> Result<Arc<juki_operators::OperatorStore>> {
    let path = config.data_dir.join(juki_operators::OPERATORS_FILE);
    let store = juki_operators::OperatorStore::open(&path, juki_operators::Options::default())
        .with_context(|| format!("opening the operator accounts {}", path.display()))?;
    Ok(Arc::new(store))
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

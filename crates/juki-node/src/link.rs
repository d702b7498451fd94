//! The link to the parent node: the forwarder, which sends the journal (the outbox) upward
//! from the last acknowledged position, and the code-pool keeper, which asks the parent for
//! resident codes before this node runs out. Both run as long as the node serves, retry with
//! bounded backoff, and never lose anything: the journal holds every change durably and the
//! acknowledged position is stored, so a restart resumes where the parent said it was.

use crate::config::Role;
use crate::server::Node;
use juki_api::{ForwardRequest, PROTOCOL_VERSION, PoolRequest, WireEntry};
use juki_client::{Client, ClientError};
use juki_domain::LocalGovernmentCode;
use juki_store::{CodePool, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// The name of the outgoing link in the store's link table.
pub const PARENT_LINK: &str = "parent";
/// Entries sent in one forward request at most.
pub const FORWARD_BATCH_MAX: usize = 1000;
/// The longest wait between retries of a failing link.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// How often an idle forwarder looks at the journal even without a notification.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How often the pool keeper checks the pools.
const POOL_POLL: Duration = Duration::from_secs(10);

/// The parent a node forwards to.
#[derive(Debug)]
pub struct Parent {
    pub url: String,
    pub client: Client,
}

/// How the link to the parent stands (for `status` and metrics).
#[derive(Clone, Debug, Default)]
pub struct LinkState {
    /// Changes in the journal the parent has not acknowledged.
    pub lag_changes: u64,
    /// Age of the oldest of them, ms.
    pub lag_ms: u64,
    /// The last failure, while the link is failing.
    pub error: Option<String>,
    /// Since when the link fails, ms since the Unix epoch.
    pub failing_since_ms: Option<i64>,
}

/// Pool sizes: how many codes a node asks for, and below how many it asks.
pub fn pool_policy(role: Role) -> Option<(u64, u64)> {
    match role {
        Role::Municipal => Some((10_000, 2_000)),
        Role::Prefecture => Some((1_000_000, 200_000)),
        Role::National => None,
    }
}

/// What a forward round did.
enum Round {
    Idle,
    Sent,
}

/// What went wrong talking to the parent or reading the store.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0}")]
    Client(#[from] ClientError),
    /// The parent answered something that does not hold together.
    #[error("the parent's answer: {0}")]
    BadAnswer(String),
    #[error("{}: {err}", err.def())]
    Store {
        #[from]
        err: StoreError,
    },
    #[error("store task failed")]
    Task,
}

/// Runs store work on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    node: &Arc<Node>,
    f: impl FnOnce(&dyn juki_store::Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, LinkError> {
    let store = node.store.clone();
    tokio::task::spawn_blocking(move || f(&*store))
        .await
        .map_err(|_| LinkError::Task)?
        .map_err(LinkError::from)
}

/// Sends the journal to the parent until `stop` fires.
pub async fn forward(node: Arc<Node>, parent: Arc<Parent>, stop: Arc<tokio::sync::Notify>) {
    let Some(me) = node.config.code else {
        return;
    };
    let mut backoff = BACKOFF_MIN;
    loop {
        let wait = match round(&node, &parent, me).await {
            Ok(Round::Sent) => {
                backoff = BACKOFF_MIN;
                node.set_link_error(None);
                continue;
            }
            Ok(Round::Idle) => {
                backoff = BACKOFF_MIN;
                node.set_link_error(None);
                IDLE_POLL
            }
            Err(e) => {
                node.metrics.link_errors.inc();
                tracing::warn!(error = %e, retry_ms = backoff.as_millis() as u64, "forwarding to the parent failed");
                node.set_link_error(Some(e.to_string()));
                let wait = backoff;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                wait
            }
        };
        tokio::select! {
            () = node.journal_grew.notified() => {}
            () = tokio::time::sleep(wait) => {}
            () = stop.notified() => return,
        }
    }
}

async fn round(
    node: &Arc<Node>,
    parent: &Parent,
    me: LocalGovernmentCode,
) -> Result<Round, LinkError> {
    let (acked, entries, stats) = blocking(node, |s| {
        let acked = s.link_acked(PARENT_LINK)?;
        Ok((
            acked,
            s.journal_after(acked, FORWARD_BATCH_MAX)?,
            s.stats()?,
        ))
    })
    .await?;
    let lag_changes = stats.journal_head.saturating_sub(acked);
    let lag_ms = entries.first().map_or(0, |e| {
        (node.clock.now_ms() - e.recorded_at_ms).max(0) as u64
    });
    node.set_lag(lag_changes, lag_ms);
    if entries.is_empty() {
        return Ok(Round::Idle);
    }
    let req = ForwardRequest {
        protocol: PROTOCOL_VERSION,
        from: me.to_string(),
        epoch: stats.epoch,
        entries: entries.iter().map(WireEntry::from).collect(),
    };
    let resp = parent.client.forward(&req).await?;
    if resp.acked < acked {
        tracing::warn!(
            before = acked,
            now = resp.acked,
            "the parent acknowledges less than before (it was restored); sending again from there"
        );
    }
    let new = resp.acked;
    blocking(node, move |s| s.set_link_acked(PARENT_LINK, new)).await?;
    node.metrics.link_sent.inc_by(resp.applied);
    node.set_lag(stats.journal_head.saturating_sub(new), 0);
    Ok(if new > acked {
        Round::Sent
    } else {
        Round::Idle
    })
}

/// Keeps this node's code pools above the low-water mark by asking the parent, until `stop`
/// fires. A grant whose answer is lost is never used by anyone: codes are wasted, never
/// assigned twice.
pub async fn keep_pools(node: Arc<Node>, parent: Arc<Parent>, stop: Arc<tokio::sync::Notify>) {
    let (Some(me), Some((size, low))) = (node.config.code, pool_policy(node.config.role)) else {
        return;
    };
    let mut backoff = BACKOFF_MIN;
    loop {
        let wait = match top_up(&node, &parent, me, size, low).await {
            Ok(true) => continue,
            Ok(false) => {
                backoff = BACKOFF_MIN;
                POOL_POLL
            }
            // A parent that has no codes yet (it is waiting for its own pool, as a new network
            // starts) is not a failure: ask again shortly.
            Err(LinkError::Client(ClientError::Refused { body, .. }))
                if body.code == juki_domain::catalogue::NET_POOL_EXHAUSTED.code =>
            {
                tracing::info!("the parent has no resident codes to hand out yet; asking again");
                let wait = backoff;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                wait
            }
            Err(e) => {
                tracing::warn!(error = %e, "asking the parent for resident codes failed");
                let wait = backoff;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                wait
            }
        };
        tokio::select! {
            () = node.pool_low.notified() => {}
            () = tokio::time::sleep(wait) => {}
            () = stop.notified() => return,
        }
    }
}

/// Asks for one pool when below `low`; true when one was added.
async fn top_up(
    node: &Arc<Node>,
    parent: &Parent,
    me: LocalGovernmentCode,
    size: u64,
    low: u64,
) -> Result<bool, LinkError> {
    let available = blocking(node, |s| s.stats()).await?.codes_available;
    if available >= low {
        return Ok(false);
    }
    let grant = parent
        .client
        .request_pool(&PoolRequest {
            protocol: PROTOCOL_VERSION,
            from: me.to_string(),
            size,
        })
        .await?;
    let pool = CodePool {
        start: grant.start,
        end: grant.end,
    };
    blocking(node, move |s| s.add_code_pool(pool)).await?;
    tracing::info!(codes = pool.end - pool.start, "resident code pool received");
    Ok(true)
}

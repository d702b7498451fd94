//! The node's audit log (docs/audit.md): opened at `DATA/audit` with the node's own key, and
//! purged of entries past retention once a day.

use crate::access_index::AccessIndex;
use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::server::Node;
use anyhow::{Context, Result};
use juki_audit::{AuditEntry, AuditLog, AuditOptions, Signer};
use std::sync::Arc;
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// Opens the node's audit log and its access index, or None when `[audit] enabled = false`.
pub fn open(config: &NodeConfig, clock: Arc<dyn Clock>) -> Result<Option<(AuditLog, AccessIndex)>> {
    if !config.audit.enabled {
        tracing::warn!(
            "the audit log is disabled ([audit] enabled = false): accesses are not recorded"
        );
        return Ok(None);
    }
    let tls = config.node_tls();
    let signer = Signer::from_files(&tls.key, &tls.cert)
        .with_context(|| format!("loading the audit signing key {}", tls.key.display()))?;
    let node = config.identity()?.uri();
    let mut options = AuditOptions::new(node, Arc::new(move || clock.now_ms()));
    options.retention_ms = i64::from(config.audit.retention_days) * DAY_MS;
    options.queue_capacity = config.audit.queue_capacity;
    let dir = config.data_dir.join(juki_audit::AUDIT_DIR);
    let log = AuditLog::open(&dir, signer, options)
        .with_context(|| format!("opening the audit log {}", dir.display()))?;
    let index = AccessIndex::open(&config.data_dir.join(crate::access_index::INDEX_FILE))?;
    Ok(Some((log, index)))
}

/// How often the node purges entries past retention.
const PURGE_EVERY: Duration = Duration::from_secs(86_400);

/// Purges entries past retention once a day (each purge is itself an entry).
pub(crate) async fn keep_retention(node: Arc<Node>, stop: Arc<tokio::sync::Notify>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(PURGE_EVERY) => {}
            () = stop.notified() => return,
        }
        let n = node.clone();
        let done = tokio::task::spawn_blocking(move || purge_now(&n)).await;
        if let Ok(Err(e)) = done {
            tracing::error!(error = %e, "audit retention purge failed");
        }
    }
}

/// How often the access index reads what the log wrote since.
const INDEX_EVERY: Duration = Duration::from_secs(1);

/// Keeps the access index up to date with the audit log.
pub(crate) async fn keep_index(node: Arc<Node>, stop: Arc<tokio::sync::Notify>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(INDEX_EVERY) => {}
            () = stop.notified() => return,
        }
        let n = node.clone();
        let done = tokio::task::spawn_blocking(move || index_now(&n, false)).await;
        if let Ok(Err(e)) = done {
            tracing::error!(error = %e, "updating the access index");
        }
    }
}

/// Brings the access index up to the log's head; with `flush`, first writes what the log holds
/// queued, so that an access accepted a moment ago is indexed too.
pub fn index_now(node: &Node, flush: bool) -> Result<()> {
    let (Some(log), Some(index)) = (&node.audit, &node.access_index) else {
        return Ok(());
    };
    if flush {
        log.flush()?;
    }
    index.catch_up(log.dir())?;
    Ok(())
}

/// One purge, as the node itself.
pub fn purge_now(node: &Node) -> Result<Option<juki_audit::Purged>> {
    let Some(log) = &node.audit else {
        return Ok(None);
    };
    let entry = AuditEntry::new(
        node.clock.now_ms(),
        node.node_uri.as_str(),
        node.config.role.as_str(),
        node.node_uri.as_str(),
        juki_audit::Action::AuditPurge,
    );
    let purged = log.purge(entry)?;
    if let Some(index) = &node.access_index {
        let before = node.clock.now_ms() - i64::from(node.config.audit.retention_days) * DAY_MS;
        index.forget_before(before)?;
    }
    Ok(Some(purged))
}

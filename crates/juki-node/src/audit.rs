//! The node's audit log (docs/audit.md): opened at `DATA/audit` with the node's own key, and
//! purged of entries past retention once a day.

use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::server::Node;
use anyhow::{Context, Result};
use juki_audit::{AuditEntry, AuditLog, AuditOptions, Signer};
use std::sync::Arc;
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// Opens the node's audit log, or None when `[audit] enabled = false`.
pub fn open(config: &NodeConfig, clock: Arc<dyn Clock>) -> Result<Option<AuditLog>> {
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
    Ok(Some(log))
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
    Ok(Some(log.purge(entry)?))
}

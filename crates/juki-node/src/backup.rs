//! The node's own backups (docs/backup.md): every `[backup] interval_seconds` it backs its data
//! directory up into the configured repository while it serves (a full snapshot every
//! `snapshot_interval_seconds`, its journal in between), every `drill_interval_seconds` it
//! restores the latest backup into a scratch directory and compares it with itself, and it
//! reports how both went in metrics; `status` warns while the repository is on the data's own
//! device, and while backups or drills fail or are overdue.

use crate::server::Node;
use juki_backup::RepoSpec;
use std::sync::Arc;
use std::time::Duration;

/// True while the configured repository is on the data directory's device (an unreadable
/// location counts as not known to be the same; the backup itself then fails and says why).
pub fn same_storage(node: &Node) -> bool {
    node.config.backup.repo.as_deref().is_some_and(|repo| {
        juki_backup::device::same_device(&node.config.data_dir, repo).unwrap_or(false)
    })
}

/// With an interval, takes a backup every interval until `stop`; a failure is logged and
/// counted, and the next interval tries again. The same-storage gauge is set again after each.
pub(crate) async fn keep_backing_up(node: Arc<Node>, stop: Arc<tokio::sync::Notify>) {
    if node.config.backup.interval_seconds == 0 {
        return;
    }
    let every = Duration::from_secs(node.config.backup.interval_seconds);
    // The last success, or the start: a node that never managed one is overdue as well.
    let mut last_success = tokio::time::Instant::now();
    while next_round(every, &stop).await {
        let done = on_blocking_thread(&node, backup_now).await;
        match done {
            Ok(Ok(ran)) => {
                last_success = tokio::time::Instant::now();
                let now_s = node.clock.now_ms() / 1000;
                node.metrics.backup_last_success_seconds.set(now_s);
                let seq = ran.seq();
                node.metrics
                    .backup_last_seq
                    .set(i64::try_from(seq).unwrap_or(i64::MAX));
                match ran.snapshot() {
                    Some(snap) => {
                        tracing::info!(snapshot = %snap.id, kind = snap.kind.as_str(), seq, "backup taken");
                    }
                    None => tracing::info!(seq, "backup: nothing recorded since the last"),
                }
            }
            Ok(Err(e)) if e.def == &juki_domain::catalogue::BAK_BUSY => {
                // An operator's `juki backup run` is at work: this interval's backup is theirs.
                tracing::info!(error = %e, "backup skipped");
            }
            Ok(Err(e)) => {
                node.metrics.backup_failures.inc();
                tracing::error!(error = %e, "backup failed");
            }
            Err(e) => {
                node.metrics.backup_failures.inc();
                tracing::error!(error = %e, "backup task failed");
            }
        }
        node.metrics
            .backup_same_storage
            .set(i64::from(same_storage(&node)));
        let overdue = last_success.elapsed() > every * 2;
        node.metrics.backup_overdue.set(i64::from(overdue));
    }
}

/// True while the node's scheduled backups are overdue (`status` warns JK-BAK-0115).
pub fn overdue(node: &Node) -> bool {
    node.metrics.backup_overdue.get() == 1
}

/// The repository `[backup]` names, refused on the data's own device unless allowed.
fn spec(node: &Node) -> Result<RepoSpec, juki_backup::BackupError> {
    let settings = &node.config.backup;
    let (Some(repo), Some(password_file)) = (&settings.repo, &settings.password_file) else {
        // Validation makes a schedule need both; nothing to do without them.
        return Err(juki_backup::BackupError::new(
            &juki_domain::catalogue::BAK_NO_REPO,
            "[backup] has no repo or password_file",
        ));
    };
    juki_backup::device::check_separate(&node.config.data_dir, repo, settings.same_storage)?;
    let spec = RepoSpec::new(repo, password_file)?;
    Ok(match &settings.cacert {
        Some(pem) => spec.with_cacert(pem),
        None => spec,
    })
}

/// The node's name in its snapshots: its code, or `national`.
pub fn snapshot_node(code: Option<juki_domain::LocalGovernmentCode>) -> String {
    code.map_or_else(|| "national".to_string(), |c| c.to_string())
}

fn backup_now(node: &Node) -> Result<juki_backup::Ran, juki_backup::BackupError> {
    let opts = juki_backup::RunOptions {
        full: false,
        snapshot_interval_seconds: node.config.backup.snapshot_interval(),
        now_ms: node.clock.now_ms(),
    };
    juki_backup::run(
        &spec(node)?,
        &node.config.data_dir,
        &snapshot_node(node.config.code),
        &node.config.store,
        &opts,
    )
}

/// Waits one interval; false when `stop` came first.
async fn next_round(every: Duration, stop: &tokio::sync::Notify) -> bool {
    tokio::select! {
        () = tokio::time::sleep(every) => true,
        () = stop.notified() => false,
    }
}

/// Runs `job` on a blocking thread (a backup or a drill reads and writes files for a while).
async fn on_blocking_thread<T: Send + 'static>(
    node: &Arc<Node>,
    job: fn(&Node) -> Result<T, juki_backup::BackupError>,
) -> Result<Result<T, juki_backup::BackupError>, tokio::task::JoinError> {
    let n = node.clone();
    tokio::task::spawn_blocking(move || job(&n)).await
}

fn drill_now(node: &Node) -> Result<juki_backup::Drill, juki_backup::BackupError> {
    juki_backup::drill(
        &spec(node)?,
        &node.config.data_dir,
        &snapshot_node(node.config.code),
        &node.config.store,
        &*node.store,
    )
}

/// Every `[backup] drill_interval_seconds`, a restore drill ([`juki_backup::drill`]) against
/// the live store, until `stop`; the outcome goes to metrics (and `status`).
pub(crate) async fn keep_drilling(node: Arc<Node>, stop: Arc<tokio::sync::Notify>) {
    if node.config.backup.drill_interval_seconds == 0 {
        return;
    }
    let every = Duration::from_secs(node.config.backup.drill_interval_seconds);
    let mut last_success = tokio::time::Instant::now();
    while next_round(every, &stop).await {
        let done = on_blocking_thread(&node, drill_now).await;
        match done {
            Ok(Ok(d)) => {
                last_success = tokio::time::Instant::now();
                node.metrics
                    .backup_drill_last_success_seconds
                    .set(node.clock.now_ms() / 1000);
                node.metrics.backup_drill_failed.set(0);
                tracing::info!(seq = d.seq, digest = %d.digest, "restore drill passed");
            }
            Ok(Err(e)) => {
                node.metrics.backup_drill_failures.inc();
                node.metrics.backup_drill_failed.set(1);
                tracing::error!(error = %e, "restore drill failed");
            }
            Err(e) => {
                node.metrics.backup_drill_failures.inc();
                node.metrics.backup_drill_failed.set(1);
                tracing::error!(error = %e, "restore drill task failed");
            }
        }
        let overdue = last_success.elapsed() > every * 2;
        node.metrics.backup_drill_overdue.set(i64::from(overdue));
    }
}

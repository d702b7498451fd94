//! The node's Prometheus metrics. Labels carry routes, statuses and outcomes only: never a
//! name, a resident code or an address (BRIEF §7).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteOnly {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// Every metric the node exports.
pub struct Metrics {
    pub registry: Registry,
    pub requests: Family<RouteLabels, Counter>,
    pub request_seconds: Family<RouteOnly, Histogram>,
    pub in_flight: Gauge,
    pub shed: Counter,
    /// Requests refused with 429 because their client was over its rate, by route.
    pub rate_limited: Family<RouteOnly, Counter>,
    pub changes: Family<OutcomeLabels, Counter>,
    pub residents_current: Gauge,
    pub journal_head: Gauge,
    pub codes_available: Gauge,
    pub connections_open: Gauge,
    /// The link to the parent.
    pub link_lag_changes: Gauge,
    pub link_lag_ms: Gauge,
    pub link_sent: Counter,
    pub link_errors: Counter,
    /// Links from children: entries applied, by child.
    pub link_received: Family<ChildLabels, Counter>,
    /// Requests refused because the audit log could not take their entry.
    pub audit_refused: Counter,
    /// Requests the policy refused (403).
    pub denied: Counter,
    /// Audit entries waiting to be written, and written since start.
    pub audit_queue_depth: Gauge,
    pub audit_written: Gauge,
    /// Special move-ins whose procedure is not complete (their notice waits).
    pub moves_pending: Gauge,
    /// The node's own backups (docs/backup.md): when the last succeeded (Unix seconds), the
    /// journal sequence it holds, failures since start, and 1 while the repository is on the
    /// data's own device.
    pub backup_last_success_seconds: Gauge,
    pub backup_last_seq: Gauge,
    pub backup_failures: Counter,
    pub backup_same_storage: Gauge,
    /// 1 while no scheduled backup has succeeded for more than two intervals.
    pub backup_overdue: Gauge,
    /// Restore drills (docs/backup.md): when the last succeeded (Unix seconds), failures since
    /// start, 1 while the last one failed, 1 while none has succeeded for two drill intervals.
    pub backup_drill_last_success_seconds: Gauge,
    pub backup_drill_failures: Counter,
    pub backup_drill_failed: Gauge,
    pub backup_drill_overdue: Gauge,
    /// Cross-tier digests (docs/backup.md): when the last comparison with the parent finished
    /// (Unix seconds), and the ranges it found differing, by scope (a municipality's code).
    pub digest_last_run_seconds: Gauge,
    pub digest_differing_ranges: Family<ScopeLabels, Gauge>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScopeLabels {
    pub scope: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChildLabels {
    pub child: String,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("juki");
        let requests = Family::<RouteLabels, Counter>::default();
        let request_seconds = Family::<RouteOnly, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
        });
        let m = Metrics {
            requests: requests.clone(),
            request_seconds: request_seconds.clone(),
            in_flight: Gauge::default(),
            shed: Counter::default(),
            rate_limited: Family::default(),
            changes: Family::default(),
            residents_current: Gauge::default(),
            journal_head: Gauge::default(),
            codes_available: Gauge::default(),
            connections_open: Gauge::default(),
            link_lag_changes: Gauge::default(),
            link_lag_ms: Gauge::default(),
            link_sent: Counter::default(),
            link_errors: Counter::default(),
            link_received: Family::default(),
            audit_refused: Counter::default(),
            denied: Counter::default(),
            audit_queue_depth: Gauge::default(),
            audit_written: Gauge::default(),
            moves_pending: Gauge::default(),
            backup_last_success_seconds: Gauge::default(),
            backup_last_seq: Gauge::default(),
            backup_failures: Counter::default(),
            backup_same_storage: Gauge::default(),
            backup_overdue: Gauge::default(),
            backup_drill_last_success_seconds: Gauge::default(),
            backup_drill_failures: Counter::default(),
            backup_drill_failed: Gauge::default(),
            backup_drill_overdue: Gauge::default(),
            digest_last_run_seconds: Gauge::default(),
            digest_differing_ranges: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            m.requests.clone(),
        );
        registry.register(
            "http_request_seconds",
            "HTTP request latency by route",
            m.request_seconds.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being served",
            m.in_flight.clone(),
        );
        registry.register(
            "audit_refused",
            "Requests refused because the audit log could not take their entry (JK-AUDIT-02xx)",
            m.audit_refused.clone(),
        );
        registry.register(
            "policy_denied",
            "Requests the authorisation policy refused (403)",
            m.denied.clone(),
        );
        registry.register(
            "audit_queue_depth",
            "Audit entries waiting to be written",
            m.audit_queue_depth.clone(),
        );
        registry.register(
            "audit_written",
            "Audit entries written since the node started",
            m.audit_written.clone(),
        );
        registry.register(
            "moves_pending",
            "Special move-ins not yet completed: their notice to the old municipality waits (docs/moves.md)",
            m.moves_pending.clone(),
        );
        registry.register(
            "backup_last_success_timestamp_seconds",
            "When the node's last scheduled backup succeeded, Unix seconds (0: none since start)",
            m.backup_last_success_seconds.clone(),
        );
        registry.register(
            "backup_last_seq",
            "The journal sequence the node's last scheduled backup holds",
            m.backup_last_seq.clone(),
        );
        registry.register(
            "backup_failures",
            "Scheduled backups that failed since the node started (an alert when it grows)",
            m.backup_failures.clone(),
        );
        registry.register(
            "backup_same_storage",
            "1 while the backup repository is on the data directory's own device (docs/backup.md)",
            m.backup_same_storage.clone(),
        );
        registry.register(
            "backup_overdue",
            "1 while no scheduled backup has succeeded for more than two intervals (JK-BAK-0115)",
            m.backup_overdue.clone(),
        );
        registry.register(
            "backup_drill_last_success_seconds",
            "When the node's last restore drill succeeded, Unix seconds (0: none since start)",
            m.backup_drill_last_success_seconds.clone(),
        );
        registry.register(
            "backup_drill_failures",
            "Restore drills that failed since the node started (an alert when it grows)",
            m.backup_drill_failures.clone(),
        );
        registry.register(
            "backup_drill_failed",
            "1 while the node's last restore drill failed (JK-BAK-0120)",
            m.backup_drill_failed.clone(),
        );
        registry.register(
            "backup_drill_overdue",
            "1 while no restore drill has succeeded for more than two drill intervals (JK-BAK-0121)",
            m.backup_drill_overdue.clone(),
        );
        registry.register(
            "digest_last_run_seconds",
            "When the last comparison of this node's digests with its parent's finished, Unix seconds (0: none since start)",
            m.digest_last_run_seconds.clone(),
        );
        registry.register(
            "digest_differing_ranges",
            "Code ranges whose entries differ from the parent's at the last comparison, by scope (JK-DIG-0101)",
            m.digest_differing_ranges.clone(),
        );
        registry.register(
            "http_requests_shed",
            "Requests refused with 503 because the node was at capacity",
            m.shed.clone(),
        );
        registry.register(
            "http_requests_rate_limited",
            "Requests refused with 429 because their client was over its rate, by route",
            m.rate_limited.clone(),
        );
        registry.register(
            "changes",
            "Changes submitted, by outcome (applied, duplicate, refused)",
            m.changes.clone(),
        );
        registry.register(
            "residents_current",
            "Records in force at this node",
            m.residents_current.clone(),
        );
        registry.register(
            "journal_head_sequence",
            "Highest journal sequence",
            m.journal_head.clone(),
        );
        registry.register(
            "resident_codes_available",
            "Resident codes left in this node's pools",
            m.codes_available.clone(),
        );
        registry.register(
            "tls_connections_open",
            "Open client connections",
            m.connections_open.clone(),
        );
        registry.register(
            "link_lag_changes",
            "Changes in this node's journal its parent has not acknowledged",
            m.link_lag_changes.clone(),
        );
        registry.register(
            "link_lag_ms",
            "Age of the oldest change the parent has not acknowledged, ms",
            m.link_lag_ms.clone(),
        );
        registry.register(
            "link_forwarded",
            "Changes the parent applied from this node's forwards",
            m.link_sent.clone(),
        );
        registry.register(
            "link_errors",
            "Failed forwards to the parent",
            m.link_errors.clone(),
        );
        registry.register(
            "link_received",
            "Changes applied from each child node",
            m.link_received.clone(),
        );
        Metrics { registry, ..m }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

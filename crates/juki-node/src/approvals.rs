//! Two-person approval at a node (docs/approvals.md): the record of requests
//! (`DATA/approvals.db`, see juki-approvals), the operation the node carries out for each kind
//! of request once it is approved, what each says it will affect, and the node's stop handle.
//! The HTTP side is `routes/approvals.rs`.
//!
//! A new kind of operation plugs in with [`Approvals::register`]: the policy action that names
//! it (the approver must be allowed the same action on the same target), how its execution is
//! audited, and a blocking function that carries it out and says what came of it.

use crate::config::{NodeConfig, Role};
use crate::error::ApiError;
use crate::policy;
use crate::server::Node;
use anyhow::Context;
use juki_approvals::{APPROVALS_FILE, ApprovalError, ApprovalStore, Request};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::{APPR_CANNOT, APPR_INVALID, TLS_SERIAL_UNKNOWN};
use juki_domain::lgc::table;
use juki_pki::{Ca, Serial};
use std::collections::BTreeMap;

/// Carries out an approved request (on a blocking thread); `Ok` says what was done.
pub type Execute = fn(&Node, &Request) -> Result<String, ApiError>;

/// A kind of operation that runs once approved.
#[derive(Clone, Debug)]
pub struct Operation {
    /// How its execution is written to the audit log.
    pub audit_as: AuditAction,
    pub execute: Execute,
}

/// The node's approval requests and the operations it carries out.
#[derive(Debug)]
pub struct Approvals {
    pub store: ApprovalStore,
    operations: BTreeMap<policy::Action, Operation>,
}

impl Approvals {
    /// The record with the operations every node knows: stopping it, and (at the national
    /// node) revoking a certificate.
    pub fn new(store: ApprovalStore) -> Approvals {
        let mut a = Approvals {
            store,
            operations: BTreeMap::new(),
        };
        a.register(
            policy::Action::StopNode,
            AuditAction::Admin("node-stop".into()),
            stop_node,
        );
        a.register(
            policy::Action::RevokeCertificate,
            AuditAction::CertificateRevoked,
            revoke_certificate,
        );
        a.register(
            policy::Action::CloseRecords,
            AuditAction::Change,
            crate::routes::gateway::apply_approved,
        );
        a.register(
            policy::Action::RestoreNode,
            AuditAction::Admin("restore-node".into()),
            crate::routes::restore::grant,
        );
        a
    }

    /// Registers (or replaces) the operation carried out for requests of `action`.
    pub fn register(&mut self, action: policy::Action, audit_as: AuditAction, execute: Execute) {
        self.operations
            .insert(action, Operation { audit_as, execute });
    }

    /// The operation of `action`, if this node carries such requests out.
    pub fn operation(&self, action: policy::Action) -> Option<&Operation> {
        self.operations.get(&action)
    }

    /// The actions whose requests this node holds.
    pub fn actions(&self) -> impl Iterator<Item = policy::Action> + '_ {
        self.operations.keys().copied()
    }
}

/// Opens `DATA/approvals.db` (created 0600); an approved request whose execution the last
/// run did not finish is marked failed.
pub fn open(config: &NodeConfig, now_ms: i64) -> anyhow::Result<ApprovalStore> {
    let path = config.data_dir.join(APPROVALS_FILE);
    ApprovalStore::open(&path, now_ms)
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.def()))
        .with_context(|| format!("opening {}", path.display()))
}

/// A refusal of the approval rules as an answer; a database failure is logged.
pub(crate) fn refused(e: ApprovalError) -> ApiError {
    if let ApprovalError::Storage(m) = &e {
        tracing::error!(error = %m, "approvals database");
    }
    ApiError::with(e.def(), serde_json::json!({ "reason": e.to_string() }))
}

impl Node {
    /// Asks the node to stop: `serve` stops accepting connections, lets the requests in
    /// progress finish (the one that asked included) and returns; `juki serve` ends normally
    /// once all its nodes have stopped.
    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    /// Whether a stop was asked for.
    pub fn stop_requested(&self) -> bool {
        *self.stop.borrow()
    }

    /// Completes when a stop is asked for.
    pub(crate) async fn stopping(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// What stopping this node affects, in one sentence.
pub(crate) fn stop_effect(node: &Node) -> String {
    let name = &node.config.name;
    match (node.config.role, node.config.code) {
        (Role::Municipal, Some(c)) => {
            let wards = table().wards_of(c).count();
            let whose = match wards {
                0 => String::new(),
                n => format!(" ({name} and its {n} wards)"),
            };
            format!(
                "stops CS {name} ({c}): window services of 1 municipality{whose} unavailable until restart"
            )
        }
        (Role::Prefecture, Some(c)) => {
            let nodes = table()
                .nodes()
                .filter(|r| r.code.prefecture() == c.prefecture())
                .count();
            format!(
                "stops the prefecture node {name} ({c}): changes of its {nodes} municipal nodes wait at them, and identity lookups at {name} are unavailable until restart"
            )
        }
        _ => format!(
            "stops the national node: changes of all {} prefectures wait at their nodes, and identity lookups and certificate revocation at the national node are unavailable until restart",
            table().prefectures().count()
        ),
    }
}

fn stop_node(node: &Node, _request: &Request) -> Result<String, ApiError> {
    node.request_stop();
    Ok(format!("{} stopping", node.config.name))
}

/// The CA directory this node revokes with (`[ca] dir`, the national node's).
fn ca_dir(node: &Node) -> Result<&std::path::Path, ApiError> {
    node.config.ca_dir.as_deref().ok_or_else(|| {
        ApiError::with(
            &APPR_CANNOT,
            serde_json::json!({ "reason": "no network CA is configured here ([ca] dir in juki.toml)" }),
        )
    })
}

fn pki(e: juki_pki::PkiError) -> ApiError {
    tracing::warn!(error = %e, "certificate authority");
    ApiError::with(e.def, serde_json::json!({ "reason": e.detail }))
}

/// Reads a serial as written in a path or a request.
pub(crate) fn parse_serial(s: &str) -> Result<Serial, ApiError> {
    s.parse().map_err(|e: String| {
        ApiError::with(
            &APPR_INVALID,
            serde_json::json!({ "field": "serial", "reason": e }),
        )
    })
}

/// What revoking `serial` affects, from the CA's list (blocking: the CA is opened and its
/// lock held only while this reads it). A serial the CA never issued is refused.
pub(crate) fn revoke_effect(node: &Node, serial: &Serial) -> Result<String, ApiError> {
    let ca = Ca::open(ca_dir(node)?).map_err(pki)?;
    let cert = ca
        .list()
        .iter()
        .find(|c| &c.serial == serial)
        .ok_or_else(|| {
            ApiError::with(
                &TLS_SERIAL_UNKNOWN,
                serde_json::json!({ "serial": serial.to_string() }),
            )
        })?;
    let who = &cert.identity;
    let mut effect = format!(
        "revokes certificate {serial} of {} ({}): every node refuses it from its next connection",
        who.uri(),
        who.common_name()
    );
    if matches!(
        who.role,
        juki_pki::Role::National | juki_pki::Role::Prefecture | juki_pki::Role::Municipal
    ) {
        effect
            .push_str("; that node can neither serve nor link until it is given a new certificate");
    }
    if cert.revoked_at.is_some() {
        effect.push_str(" (already revoked: only rewrites the revocation list)");
    }
    Ok(effect)
}

fn revoke_certificate(node: &Node, request: &Request) -> Result<String, ApiError> {
    let serial = parse_serial(request.target.object.as_deref().unwrap_or_default())?;
    // The CA directory is locked while open: open it for this revocation only.
    let mut ca = Ca::open(ca_dir(node)?).map_err(pki)?;
    let newly = ca.revoke(&serial).map_err(pki)?;
    drop(ca);
    Ok(match newly {
        true => format!(
            "revoked certificate {serial}; revocation list rewritten: nodes refuse it from their next connection"
        ),
        false => format!("certificate {serial} was already revoked; revocation list rewritten"),
    })
}

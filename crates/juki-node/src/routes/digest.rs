//! Cross-tier digests over the API (docs/backup.md, "Cross-tier digests and reconcile"): a
//! scope's digest, the entries of one of its code ranges, and reconcile at a municipal node.

use super::{AppState, audit_changes, blocking, query_params};
use crate::caller::Caller;
use crate::config::Role;
use crate::digest::{self, DigestError, ENTRIES_PER_PAGE};
use crate::error::ApiError;
use crate::policy;
use crate::server::Node;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use juki_api::{DigestEntries, DigestResponse, ReconcileReport, WireEntry};
use juki_audit::Action as AuditAction;
use juki_digest::LeafRange;
use juki_domain::LocalGovernmentCode;
use juki_domain::catalogue::{DIG_NOT_HERE, NODE_BAD_QUERY, POLICY_ROLE};
use juki_pki::Jurisdiction;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/digest", get(get_digest))
        .route("/v1/digest/entries", get(get_entries))
        .route("/v1/digest/reconcile", post(post_reconcile))
}

fn bad(field: &str, reason: &str) -> ApiError {
    ApiError::with(
        &NODE_BAD_QUERY,
        serde_json::json!({ "field": field, "reason": reason }),
    )
}

fn scope_of(s: &str) -> Result<LocalGovernmentCode, ApiError> {
    LocalGovernmentCode::parse(s).map_err(|_| bad("scope", "not a local government code"))
}

/// A node calling: it must be this node's child or parent, and a child may ask only about
/// scopes within its own jurisdiction.
fn linked_node(node: &Node, caller: &Caller, scope: LocalGovernmentCode) -> Result<(), ApiError> {
    let me = node.own_identity()?;
    juki_pki::may_route(&caller.identity, &me)
        .map_err(|r| ApiError::with(r.def(), serde_json::json!({ "reason": r.to_string() })))?;
    let is_child = juki_pki::may_push(&caller.identity, &me).is_ok();
    if is_child && !policy::contains(caller.identity.jurisdiction, Jurisdiction::Local(scope)) {
        return Err(ApiError::with(
            &juki_domain::catalogue::NET_OUTSIDE_JURISDICTION,
            serde_json::json!({ "scope": scope.to_string(), "certificate": caller.identity.uri() }),
        ));
    }
    Ok(())
}

/// `GET /v1/digest` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DigestParams {
    scope: String,
    cut: Option<String>,
    after: Option<u64>,
}

/// A scope's digest: for the child and parent nodes of that scope, and for operators who may
/// read the node's status (a digest carries no personal data).
async fn get_digest(
    State(node): State<AppState>,
    caller: Caller,
    params: Result<Query<DigestParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<DigestResponse>, ApiError> {
    let p = query_params(params)?;
    let scope = scope_of(&p.scope)?;
    if caller.identity.role.is_node() {
        linked_node(&node, &caller, scope)?;
    } else {
        node.authorize(
            &caller,
            policy::Action::ReadStatus,
            node.jurisdiction(),
            AuditAction::Admin("digest".into()),
            &[],
        )?;
    }
    let cut = p
        .cut
        .as_deref()
        .map(|c| juki_digest::parse_cut(c).ok_or_else(|| bad("cut", "EPOCH:SEQ")))
        .transpose()?;
    let d = blocking(&node, move |s| digest::compute(s, scope, cut)).await?;
    Ok(axum::Json(digest::response(&d, p.after)))
}

/// `GET /v1/digest/entries` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntriesParams {
    scope: String,
    start: u64,
    end: u64,
    page_token: Option<String>,
}

/// A scope's entries of one code range, for the child and parent nodes of that scope only
/// (they carry identity information); audited.
async fn get_entries(
    State(node): State<AppState>,
    caller: Caller,
    params: Result<Query<EntriesParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<DigestEntries>, ApiError> {
    let p = query_params(params)?;
    let scope = scope_of(&p.scope)?;
    if !caller.identity.role.is_node() {
        return Err(node.deny(
            &caller,
            AuditAction::Admin("digest-entries".into()),
            &[],
            &POLICY_ROLE,
            policy::Action::ReadRecord,
        ));
    }
    linked_node(&node, &caller, scope)?;
    let range = LeafRange::from_bounds(p.start, p.end)
        .ok_or_else(|| bad("start", "start..end must be one leaf range of the digest"))?;
    let after = p
        .page_token
        .as_deref()
        .map(|t| {
            t.parse::<u64>()
                .map_err(|_| bad("page_token", "not a token"))
        })
        .transpose()?
        .unwrap_or(0);
    let (entries, next) = blocking(&node, move |s| {
        digest::entries_in(s, scope, range, after, ENTRIES_PER_PAGE)
    })
    .await?;
    let codes: Vec<String> = entries
        .iter()
        .map(|e| e.resident_code.to_string())
        .collect();
    for chunk in codes.chunks(juki_audit::TARGETS_MAX) {
        node.audit(
            node.audit_entry(&caller, AuditAction::Admin("digest-entries".into()))
                .targets(chunk.to_vec()),
        )?;
    }
    Ok(axum::Json(DigestEntries {
        protocol: juki_api::PROTOCOL_VERSION,
        entries: entries
            .into_iter()
            .map(|e| WireEntry::from(&e.forwardable()))
            .collect(),
        next_page_token: next.map(|n| n.to_string()),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconcileParams {
    #[serde(default)]
    dry_run: bool,
}

/// Reconcile at a municipal node with its parent: administrators of the municipality (or its
/// prefecture) and national operators.
async fn post_reconcile(
    State(node): State<AppState>,
    caller: Caller,
    params: Result<Query<ReconcileParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<ReconcileReport>, ApiError> {
    let p = query_params(params)?;
    node.authorize(
        &caller,
        policy::Action::Reconcile,
        node.jurisdiction(),
        AuditAction::Admin("reconcile".into()),
        &[],
    )?;
    let (Role::Municipal, Some(scope), Some(parent)) =
        (node.config.role, node.config.code, node.parent.clone())
    else {
        return Err(ApiError::new(&DIG_NOT_HERE));
    };
    let (report, recovered) = digest::reconcile(&node, &parent, scope, p.dry_run)
        .await
        .map_err(|e: DigestError| {
            tracing::warn!(error = %e, "reconcile failed");
            ApiError::with(e.def(), serde_json::json!({ "reason": e.to_string() }))
        })?;
    tracing::info!(
        dry_run = p.dry_run,
        ranges = report.differing_ranges.len(),
        recovered = report.recovered,
        missing_at_parent = report.missing_at_parent,
        conflicts = report.conflicts.len(),
        "reconcile"
    );
    let conflicting: Vec<String> = report
        .conflicts
        .iter()
        .map(|c| c.resident_code.clone())
        .take(juki_audit::TARGETS_MAX)
        .collect();
    node.audit(
        node.audit_entry(&caller, AuditAction::Admin("reconcile".into()))
            .targets(conflicting),
    )?;
    audit_changes(&node, &caller, recovered).await?;
    Ok(axum::Json(report))
}

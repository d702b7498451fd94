//! Cross-tier digests over the API (docs/backup.md, "Cross-tier digests and reconcile"): a
//! scope's digest, the entries of one of its code ranges, and reconcile at a municipal node.

use super::{AppState, audit_changes, blocking, query_params};
use crate::caller::Caller;
use crate::config::Role;
use crate::digest::{self, ENTRIES_PER_PAGE};
use crate::error::ApiError;
use crate::policy;
use crate::server::Node;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use juki_api::{DigestEntries, DigestResponse, ReconcileReport, WireEntry};
use juki_audit::Action as AuditAction;
use juki_digest::Span;
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
    let span = Span::from_bounds(p.start, p.end).ok_or_else(|| {
        bad(
            "start",
            "start..end must be whole leaf ranges of the digest (multiples of 4096)",
        )
    })?;
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
        digest::entries_in(s, scope, span, after, ENTRIES_PER_PAGE)
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
        .map_err(|e: crate::link::LinkError| {
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

#[cfg(test)]
mod tests {
    use super::super::tests::node;
    use crate::server::{Node, Peer};
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use std::sync::Arc;
    use tower::ServiceExt;

    fn person(role: juki_pki::Role) -> Peer {
        let code = juki_domain::LocalGovernmentCode::parse("131148").unwrap();
        Peer(Some(
            juki_pki::Identity::new(role, juki_pki::Jurisdiction::Local(code), "someone").unwrap(),
        ))
    }

    async fn call(
        node: &Arc<Node>,
        method: &str,
        path: &str,
        peer: Peer,
        body: &str,
    ) -> (StatusCode, serde_json::Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::from(body.to_string()))
            .unwrap();
        req.extensions_mut().insert(peer);
        let resp = super::super::router(node.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn operators_read_digests_but_not_entries_and_reconcile_needs_a_parent() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), |_| {});
        let clerk = || person(juki_pki::Role::Clerk);
        let changes: Vec<serde_json::Value> = (1..=3u64)
            .map(|i| {
                serde_json::json!({
                    "record_id": format!("D-{i}"), "change_kind": "転入",
                    "effective_date": "2026-04-01",
                    "resident_code": juki_domain::ResidentCode::from_body(i * 1_000_000).to_string(),
                    "family_name": "佐々木", "given_name": "陽菜", "family_name_kana": "ササキ",
                    "given_name_kana": "ヒナ", "birth_date": "1998-07-14", "sex": "女",
                    "local_government_code": "131148", "address": "中野二丁目3番4号",
                })
            })
            .collect();
        let body = serde_json::json!({ "changes": changes }).to_string();
        let (status, answer) = call(&node, "POST", "/v1/changes", clerk(), &body).await;
        assert_eq!(
            (status, &answer["applied"]),
            (StatusCode::OK, &serde_json::json!(3))
        );

        let (status, d) = call(&node, "GET", "/v1/digest?scope=131148", clerk(), "").await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(
            (d["entries"].as_u64(), d["leaf_count"].as_u64()),
            (Some(3), Some(3))
        );
        let expected = crate::digest::compute(
            &*node.store,
            juki_domain::LocalGovernmentCode::parse("131148").unwrap(),
            None,
        )
        .unwrap();
        assert_eq!(d["root"], juki_digest::hex(&expected.root));
        let (_, cut) = call(&node, "GET", "/v1/digest?scope=131148&cut=1:1", clerk(), "").await;
        assert_eq!(cut["entries"], 1, "{cut}");
        assert_ne!(cut["root"], d["root"]);
        let (_, other) = call(&node, "GET", "/v1/digest?scope=131202", clerk(), "").await;
        assert_eq!(other["entries"], 0, "{other}");
        let (status, bad) = call(&node, "GET", "/v1/digest?scope=13114", clerk(), "").await;
        assert_eq!(
            (status, bad["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("JK-NODE-0110"))
        );

        // Entries carry identity information: linked nodes only.
        let range = &d["leaves"][0];
        let path = format!(
            "/v1/digest/entries?scope=131148&start={}&end={}",
            range["start"], range["end"]
        );
        let (status, e) = call(&node, "GET", &path, clerk(), "").await;
        assert_eq!(
            (status, e["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("JK-POL-0101"))
        );

        let prefecture = |code: &str| {
            let code = juki_domain::LocalGovernmentCode::parse(code).unwrap();
            Peer(Some(
                juki_pki::Identity::new(
                    juki_pki::Role::Prefecture,
                    juki_pki::Jurisdiction::Local(code),
                    juki_pki::Role::Prefecture.as_str(),
                )
                .unwrap(),
            ))
        };
        let (status, e) = call(&node, "GET", &path, prefecture("130001"), "").await;
        assert_eq!(status, StatusCode::OK, "{e}");
        assert_eq!(e["entries"].as_array().unwrap().len(), 1, "{e}");
        assert_eq!(e["entries"][0]["record_id"], "D-1", "{e}");
        let (status, _) = call(&node, "GET", &path, prefecture("270008"), "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "not this node's parent");
        let (status, e) = call(&node, "GET", &format!("{path}1"), prefecture("130001"), "").await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a leaf range: {e}"
        );

        let (status, e) = call(&node, "POST", "/v1/digest/reconcile", clerk(), "").await;
        assert_eq!(
            (status, e["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("JK-POL-0101"))
        );
        let admin = person(juki_pki::Role::Admin);
        let (status, e) = call(&node, "POST", "/v1/digest/reconcile", admin, "").await;
        assert_eq!(
            (status, e["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("JK-DIG-0103"))
        );
    }
}

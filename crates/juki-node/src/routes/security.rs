//! Identity verification for agencies (本人確認情報の提供), disclosure to residents (開示) and
//! verification of the node's audit log over the API.

use super::{AppState, bad_query, blocking, json_body, read_inline};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::policy;
use crate::server::Node;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use juki_api::{
    Access, DisclosureParts, DisclosureReport, DisclosureRequest, ErrorBody, HeldRecord,
    IdentityResponse, RecordFields, TierPart,
};
use juki_audit::{Action as AuditAction, Outcome};
use juki_domain::catalogue::{
    NET_PROTOCOL_VERSION, NODE_INTERNAL, NODE_RECORD_NOT_FOUND, POLICY_JURISDICTION,
    POLICY_PURPOSE_MISSING, POLICY_PURPOSE_UNKNOWN,
};
use juki_domain::{ResidentCode, StoredResident};
use juki_pki::Jurisdiction;
use serde::Deserialize;
use std::sync::Arc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/identity/{code}", get(identity))
        .route("/v1/disclosure/{code}", get(disclosure))
        .route("/v1/link/disclosure", post(link_disclosure))
        .route("/v1/audit/verify", get(audit_verify))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IdentityParams {
    pub(super) purpose: Option<String>,
}

/// The purpose an identity verification names, and its name at this node; a missing or
/// unlisted one is refused (JK-POL-0104 / 0105, with the accepted codes) and audited.
pub(super) fn purpose_of(
    node: &Node,
    caller: &Caller,
    purpose: Option<String>,
    targets: &[String],
) -> Result<(String, String), ApiError> {
    let purpose = purpose.unwrap_or_default();
    let Some(name) = node.config.purposes.get(&purpose).cloned() else {
        let def = if purpose.is_empty() {
            &POLICY_PURPOSE_MISSING
        } else {
            &POLICY_PURPOSE_UNKNOWN
        };
        let action = policy::Action::IdentityLookup;
        let mut e = node.deny(caller, AuditAction::IdentityLookup, targets, def, action);
        e.detail["purposes"] = serde_json::json!(node.config.purposes.keys().collect::<Vec<_>>());
        return Err(e);
    };
    Ok((purpose, name))
}

/// `GET /v1/identity/{code}?purpose=P`: an agency verifies a resident's identity, at a
/// prefecture or the national node, for a purpose from the node's configured list.
async fn identity(
    State(node): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    params: Result<Query<IdentityParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<IdentityResponse>, ApiError> {
    let code = ResidentCode::parse(&code).map_err(|p| bad_query("resident_code", p))?;
    let targets = [code.to_string()];
    let action = policy::Action::IdentityLookup;
    let view = read_inline(&node, move |s| s.record(code)).await?;
    let whose = node.whose(view.as_ref().map(|v| &v.current));
    node.authorize(
        &caller,
        action,
        whose,
        AuditAction::IdentityLookup,
        &targets,
    )?;
    let (purpose, purpose_name) = purpose_of(
        &node,
        &caller,
        params.ok().and_then(|q| q.0.purpose),
        &targets,
    )?;
    let entry = node
        .audit_entry(&caller, AuditAction::IdentityLookup)
        .targets(targets.to_vec())
        .purpose(purpose.as_str());
    let Some(view) = view else {
        node.audit(entry.result(Outcome::Denied(NODE_RECORD_NOT_FOUND.code.into())))?;
        return Err(ApiError::new(&NODE_RECORD_NOT_FOUND));
    };
    node.audit(entry)?;
    let c = &view.current;
    Ok(axum::Json(IdentityResponse {
        resident_code: targets[0].clone(),
        status: c.status.as_str().into(),
        current: (c.status == juki_domain::RecordStatus::Current).then(|| identity_fields(c)),
        purpose,
        purpose_name,
        node: node.node_uri.clone(),
    }))
}

/// The identity facts only: what an agency and an upper tier see (no local fields).
pub(super) fn identity_fields(r: &StoredResident) -> RecordFields {
    RecordFields::new(&r.record.facts, &juki_domain::LocalFields::default())
}

/// `GET /v1/disclosure/{code}`: the disclosure report (開示) a clerk produces at a resident's
/// request: what this node and each tier above it holds on the resident, and who accessed it
/// there — when, doing what, for what purpose, through which node.
async fn disclosure(
    State(node): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<axum::Json<DisclosureReport>, ApiError> {
    let code = ResidentCode::parse(&code).map_err(|p| bad_query("resident_code", p))?;
    let targets = [code.to_string()];
    let action = policy::Action::Disclose;
    let view = read_inline(&node, move |s| s.record(code)).await?;
    let whose = node.whose(view.as_ref().map(|v| &v.current));
    node.authorize(&caller, action, whose, AuditAction::Disclosure, &targets)?;
    let Some(view) = view else {
        return Err(node.deny(
            &caller,
            AuditAction::Disclosure,
            &targets,
            &NODE_RECORD_NOT_FOUND,
            action,
        ));
    };
    let mut tiers = vec![own_part(&node, code, Some(&view.current)).await?];
    if let Some(parent) = &node.parent {
        let req = DisclosureRequest {
            protocol: juki_api::PROTOCOL_VERSION,
            resident_code: targets[0].clone(),
            requested_by: caller.identity.uri(),
            request_id: caller.request_id.clone(),
        };
        match parent.client.disclosure_parts(&req).await {
            Ok(parts) => tiers.extend(parts.tiers),
            Err(e) => tiers.push(unreachable_part(&node, &e)),
        }
    }
    node.audit(
        node.audit_entry(&caller, AuditAction::Disclosure)
            .targets(targets.to_vec()),
    )?;
    let complete = tiers.iter().all(|t| t.error.is_none()) && tiers.len() == expected_tiers(&node);
    Ok(axum::Json(DisclosureReport {
        resident_code: targets[0].clone(),
        produced_at: crate::access_index::rfc3339(node.clock.now_ms()),
        produced_by: node.node_uri.clone(),
        requested_by: caller.identity.uri(),
        complete,
        tiers,
    }))
}

/// How many tiers a report produced here should have: this node and each above it.
fn expected_tiers(node: &Node) -> usize {
    match node.tier() {
        policy::Tier::Municipal if node.parent.is_some() => 3,
        policy::Tier::Prefecture if node.parent.is_some() => 2,
        _ => 1,
    }
}

/// The part of a tier that did not answer.
fn unreachable_part(node: &Node, e: &juki_client::ClientError) -> TierPart {
    let tier = match node.tier() {
        policy::Tier::Municipal => "prefecture",
        _ => "national",
    };
    let url = node
        .parent
        .as_ref()
        .map(|p| p.url.clone())
        .unwrap_or_default();
    tracing::warn!(error = %e, "the parent did not answer a disclosure request");
    let body = match e {
        juki_client::ClientError::Refused { body, .. } => body.clone(),
        _ => ErrorBody::new(
            &juki_domain::catalogue::NET_PARENT_UNREACHABLE,
            serde_json::json!({ "parent": url }),
        ),
    };
    TierPart {
        tier: tier.into(),
        node: url,
        name: String::new(),
        record: None,
        accesses: vec![],
        accesses_truncated: false,
        error: Some(body),
    }
}

/// `POST /v1/link/disclosure`: a child node asks for this node's part of a report (and, through
/// this node, its parent's). Only for a resident the child's jurisdiction holds.
async fn link_disclosure(
    State(node): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<axum::Json<DisclosureParts>, ApiError> {
    let Jurisdiction::Local(from) = caller.identity.jurisdiction else {
        return Err(ApiError::new(&juki_domain::catalogue::NET_WRONG_ROLE));
    };
    node.authorize_child(
        Some(crate::server::Peer(Some(caller.identity.clone()))),
        from,
    )?;
    let req: DisclosureRequest = json_body(&node, body).await?;
    if !juki_api::protocol_compatible(req.protocol) {
        return Err(ApiError::with(
            &NET_PROTOCOL_VERSION,
            serde_json::json!({ "theirs": req.protocol, "ours": juki_api::PROTOCOL_VERSION }),
        ));
    }
    let code =
        ResidentCode::parse(&req.resident_code).map_err(|p| bad_query("resident_code", p))?;
    let targets = [code.to_string()];
    let current = read_inline(&node, move |s| s.record(code))
        .await?
        .map(|v| v.current);
    // The child may ask only about a resident of its own jurisdiction (a resident it serves).
    if let Some(c) = &current
        && !policy::contains(Jurisdiction::Local(from), node.holder_of(c))
    {
        return Err(node.deny(
            &caller,
            AuditAction::Disclosure,
            &targets,
            &POLICY_JURISDICTION,
            policy::Action::Disclose,
        ));
    }
    let mut tiers = vec![own_part(&node, code, current.as_ref()).await?];
    if let Some(parent) = &node.parent {
        match parent.client.disclosure_parts(&req).await {
            Ok(parts) => tiers.extend(parts.tiers),
            Err(e) => tiers.push(unreachable_part(&node, &e)),
        }
    }
    node.audit(
        node.audit_entry(&caller, AuditAction::Disclosure)
            .targets(targets.to_vec())
            .detail(format!(
                "for {} (request {})",
                truncate(&req.requested_by, 256),
                truncate(&req.request_id, 64)
            )),
    )?;
    Ok(axum::Json(DisclosureParts { tiers }))
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// This node's part: the record it holds (identity facts; local fields too at the municipal
/// node) and the accesses its audit log recorded.
async fn own_part(
    node: &Arc<Node>,
    code: ResidentCode,
    current: Option<&StoredResident>,
) -> Result<TierPart, ApiError> {
    let record = current.map(|c| HeldRecord {
        status: c.status.as_str().into(),
        fields: match node.tier() {
            policy::Tier::Municipal => RecordFields::new(&c.record.facts, &c.local),
            _ => identity_fields(c),
        },
    });
    let n = node.clone();
    let (accesses, truncated) = blocking(node, move |_| Ok(accesses_of(&n, code)))
        .await?
        .map_err(|e| {
            tracing::error!(error = %e, "reading the audit log for a disclosure");
            ApiError::new(&NODE_INTERNAL)
        })?;
    Ok(TierPart {
        tier: node.tier().as_str().into(),
        node: node.node_uri.clone(),
        name: node.config.name.clone(),
        record,
        accesses,
        accesses_truncated: truncated,
        error: None,
    })
}

/// The accesses to `code` this node's audit log holds, oldest first, from the access index
/// brought up to the log's head first; true when there are more than
/// [`juki_api::ACCESSES_MAX`].
fn accesses_of(node: &Node, code: ResidentCode) -> anyhow::Result<(Vec<Access>, bool)> {
    let Some(index) = &node.access_index else {
        return Ok((vec![], false));
    };
    crate::audit::index_now(node, true)?;
    index.accesses(code, juki_api::ACCESSES_MAX)
}

/// `GET /v1/audit/verify`: verifies this node's audit log as `juki audit verify --data` would,
/// while the node runs (entries after the last seal are reported as unsealed).
async fn audit_verify(
    State(node): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    node.authorize(
        &caller,
        policy::Action::VerifyAudit,
        node.jurisdiction(),
        AuditAction::Admin("audit-verify".into()),
        &[],
    )?;
    let Some(log) = &node.audit else {
        return Err(ApiError::with(
            &juki_domain::catalogue::AUDIT_CLOSED,
            serde_json::json!({ "reason": "the audit log is disabled at this node" }),
        ));
    };
    let dir = log.dir().to_path_buf();
    let tls = node.config.node_tls();
    let n = node.clone();
    let report = blocking(&node, move |_| {
        Ok((|| {
            if let Some(l) = &n.audit {
                l.seal()?;
            }
            let trust = juki_audit::Trust::for_node(&tls.cert, Some(&tls.ca), &dir)?;
            juki_audit::verify(&dir, &trust)
        })())
    })
    .await?
    .map_err(|e| ApiError::with(e.def, serde_json::json!({ "reason": e.detail })))?;
    node.audit(
        node.audit_entry(&caller, AuditAction::Admin("audit-verify".into()))
            .detail(format!(
                "{} entries, {} damaged",
                report.entries, report.damage_total
            )),
    )?;
    serde_json::to_value(&report)
        .map(axum::Json)
        .map_err(|_| ApiError::new(&NODE_INTERNAL))
}

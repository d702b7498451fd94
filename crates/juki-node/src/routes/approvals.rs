//! The routes of two-person approval (docs/approvals.md, docs/api.md): stopping the node,
//! revoking a certificate, and listing, showing, approving and rejecting requests.
//!
//! Every act — a request made, approved, rejected or refused, and the operation carried out —
//! is written to the audit log and flushed to disk before the answer. The audit entries name
//! the request and what it affects, never the reasons given (free text: they stay in
//! `DATA/approvals.db`).

use super::json_body;
use crate::approvals::{Approvals, parse_serial, refused, revoke_effect, stop_effect};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::policy::{self, Target as PolicyTarget};
use crate::server::Node;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use juki_api::{Approval, ApprovalList, ApprovalTarget, OperationAnswer, ReasonBody};
use juki_approvals::{ApprovalError, Decision, NewRequest, Request, RequestId, Target};
use juki_audit::{Action as AuditAction, Outcome};
use juki_domain::ErrorClass;
use juki_domain::catalogue::{APPR_CANNOT, APPR_STORAGE, NODE_INTERNAL};
use juki_pki::Jurisdiction;
use std::sync::Arc;

type AppState = Arc<Node>;

/// Decided and finished requests `GET /v1/approvals` lists beside the pending ones.
const RECENT: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/node/stop", post(stop_node))
        .route("/v1/certificates/{serial}/revoke", post(revoke_certificate))
        .route("/v1/approvals", get(list))
        .route("/v1/approvals/{id}", get(show))
        .route("/v1/approvals/{id}/approve", post(approve))
        .route("/v1/approvals/{id}/reject", post(reject))
}

/// Runs `f` on a blocking thread with the node's approvals (SQLite calls and CA files block).
pub(super) async fn blocking<T: Send + 'static>(
    node: &AppState,
    f: impl FnOnce(&Node, &Approvals) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let Some(approvals) = node.approvals.clone() else {
        return Err(ApiError::with(
            &APPR_STORAGE,
            serde_json::json!({ "reason": "this node runs without its approvals database" }),
        ));
    };
    let n = node.clone();
    match tokio::task::spawn_blocking(move || f(&n, &approvals)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "approvals task failed");
            Err(ApiError::new(&NODE_INTERNAL))
        }
    }
}

/// An audit `detail` within its limit (1,024 bytes), cut at a character boundary.
pub(super) fn detail(mut s: String) -> String {
    let max = juki_audit::DETAIL_BYTES_MAX;
    if s.len() > max {
        let mut end = max - "…".len();
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// Audits a refused or failed act of `caller` (`audit_as`) and returns the error to answer.
pub(super) fn audited_refusal(
    node: &Node,
    caller: &Caller,
    audit_as: AuditAction,
    what: String,
    e: ApiError,
) -> ApiError {
    let code = e.def.code.to_string();
    let result = match e.def.class {
        ErrorClass::Internal
        | ErrorClass::Unavailable
        | ErrorClass::Overloaded
        | ErrorClass::Timeout => Outcome::Failed(code),
        _ => Outcome::Denied(code),
    };
    let entry = node
        .audit_entry(caller, audit_as)
        .result(result)
        .detail(detail(what));
    match node.audit(entry) {
        Ok(()) => e,
        Err(audit) => audit,
    }
}

/// Waits until what was audited is on disk (an approval is not answered before).
pub(super) async fn durable(node: &AppState) -> Result<(), ApiError> {
    if node.audit.is_none() {
        return Ok(());
    }
    let n = node.clone();
    match tokio::task::spawn_blocking(move || n.audit.as_ref().map(|l| l.flush())).await {
        Ok(Some(Err(e))) => {
            tracing::error!(error = %e, "flushing the audit log");
            Err(ApiError::new(e.def))
        }
        Err(e) => {
            tracing::error!(error = %e, "flushing the audit log");
            Err(ApiError::new(&NODE_INTERNAL))
        }
        Ok(_) => Ok(()),
    }
}

/// A request as the wire shows it.
pub(super) fn wire(node: &Node, r: Request) -> Approval {
    Approval {
        id: r.id.to_string(),
        node: node.node_uri.clone(),
        action: r.action,
        target: ApprovalTarget {
            jurisdiction: r.target.jurisdiction,
            object: r.target.object,
        },
        effect: r.effect,
        params: r.params,
        reason: r.reason,
        requested_by: r.requested_by,
        requested_at_ms: r.requested_at_ms,
        expires_at_ms: r.expires_at_ms,
        state: r.state.as_str().into(),
        decided_by: r.decided_by,
        decided_at_ms: r.decided_at_ms,
        decision_reason: r.decision_reason,
        executed_at_ms: r.executed_at_ms,
        result: r.result,
    }
}

/// `A-000017: stop-node on 131148` (with the object, when there is one).
fn naming(r: &Request) -> String {
    let object = r
        .target
        .object
        .as_deref()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "{}: {} on {}{object}",
        r.id, r.action, r.target.jurisdiction
    )
}

/// Records `new` as a pending request and answers 202 with it.
pub(super) async fn create(
    node: AppState,
    caller: Caller,
    new: NewRequest,
) -> Result<(StatusCode, axum::Json<OperationAnswer>), ApiError> {
    let now = node.clock.now_ms();
    let what = format!("request for {} on {}", new.action, new.target.jurisdiction);
    let created = blocking(&node, move |_, a| a.store.create(new, now).map_err(refused)).await;
    let r = created.map_err(|e| audited_refusal(&node, &caller, AuditAction::Approval, what, e))?;
    let entry = node
        .audit_entry(&caller, AuditAction::Approval)
        .detail(detail(format!("requested {}: {}", naming(&r), r.effect)));
    node.audit(entry)?;
    durable(&node).await?;
    tracing::info!(id = %r.id, action = %r.action, "approval requested");
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(OperationAnswer {
            state: "pending".into(),
            approval: Some(wire(&node, r)),
        }),
    ))
}

/// `POST /v1/node/stop`: outside operating hours the node stops at once; within them the stop
/// becomes a request for a second person to approve.
async fn stop_node(
    State(node): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, axum::Json<OperationAnswer>), ApiError> {
    let req: ReasonBody = json_body(&node, body).await?;
    // Checked alike whether the stop waits for approval or not.
    juki_approvals::check_reason(req.reason.as_deref()).map_err(refused)?;
    let stop_audit = AuditAction::Admin("node-stop".into());
    node.authorize(
        &caller,
        policy::Action::StopNode,
        node.jurisdiction(),
        stop_audit.clone(),
        &[],
    )?;
    let new = NewRequest::new(
        policy::Action::StopNode.as_str(),
        Target {
            jurisdiction: node.jurisdiction().to_string(),
            object: None,
        },
        stop_effect(&node),
        caller.identity.uri(),
    )
    .reason(req.reason);
    if node.within_operating_hours() {
        return create(node, caller, new).await;
    }
    let entry = node.audit_entry(&caller, stop_audit).detail(detail(format!(
        "{} outside operating hours ({}): no approval needed",
        new.effect,
        node.config.hours.describe()
    )));
    node.audit(entry)?;
    durable(&node).await?;
    tracing::info!("stopping at once: outside operating hours");
    node.request_stop();
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(OperationAnswer {
            state: "stopping".into(),
            approval: None,
        }),
    ))
}

/// `POST /v1/certificates/{serial}/revoke`: always a request for a second operator (served at
/// the national node, which holds the network CA).
async fn revoke_certificate(
    State(node): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    body: Body,
) -> Result<(StatusCode, axum::Json<OperationAnswer>), ApiError> {
    let req: ReasonBody = json_body(&node, body).await?;
    let audit_as = AuditAction::Approval;
    node.authorize(
        &caller,
        policy::Action::RevokeCertificate,
        Jurisdiction::National,
        audit_as.clone(),
        &[],
    )?;
    let what = format!("request to revoke certificate {serial}");
    let effect = async {
        let serial = parse_serial(&serial)?;
        blocking(&node, move |n, _| Ok((revoke_effect(n, &serial)?, serial))).await
    };
    let (effect, serial) = effect
        .await
        .map_err(|e| audited_refusal(&node, &caller, audit_as, what, e))?;
    let new = NewRequest::new(
        policy::Action::RevokeCertificate.as_str(),
        Target {
            jurisdiction: Jurisdiction::National.to_string(),
            object: Some(serial.to_string()),
        },
        effect,
        caller.identity.uri(),
    )
    .reason(req.reason);
    create(node, caller, new).await
}

/// Whether `caller` may see this node's requests: when the policy allows them, on this node,
/// any action whose requests it holds (so who could approve one may see them all). A refusal
/// is audited with the first action's denial.
fn may_list(node: &Node, caller: &Caller) -> Result<(), ApiError> {
    let Some(approvals) = &node.approvals else {
        return Ok(());
    };
    let target = PolicyTarget {
        jurisdiction: node.jurisdiction(),
        tier: node.tier(),
    };
    let mut first = None;
    for action in approvals.actions() {
        match policy::decide(caller.subject(), action, target) {
            Ok(()) => return Ok(()),
            Err(d) => {
                first.get_or_insert((action, d));
            }
        }
    }
    let (action, denial) = first.unwrap_or((policy::Action::StopNode, policy::Denial::Role));
    Err(node.deny(caller, AuditAction::Approval, &[], denial.def(), action))
}

/// `GET /v1/approvals`: pending requests and the latest 100 others, newest first.
async fn list(
    State(node): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<ApprovalList>, ApiError> {
    may_list(&node, &caller)?;
    let now = node.clock.now_ms();
    let all = blocking(&node, move |_, a| {
        a.store.list(now, RECENT).map_err(refused)
    })
    .await?;
    Ok(axum::Json(ApprovalList {
        approvals: all
            .into_iter()
            .filter(|r| may_decide(&node, &caller, r))
            .map(|r| wire(&node, r))
            .collect(),
    }))
}

/// Whether the policy allows `caller` the action of `r` here: only such requests are shown
/// (a clerk sees the files waiting to close records, not a stop of the node).
fn may_decide(node: &Node, caller: &Caller, r: &Request) -> bool {
    let target = PolicyTarget {
        jurisdiction: node.jurisdiction(),
        tier: node.tier(),
    };
    policy::Action::parse(&r.action)
        .is_some_and(|a| policy::decide(caller.subject(), a, target).is_ok())
}

fn parse_id(id: &str) -> Result<RequestId, ApiError> {
    id.parse().map_err(refused)
}

/// `GET /v1/approvals/{id}`.
async fn show(
    State(node): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Approval>, ApiError> {
    may_list(&node, &caller)?;
    let id = parse_id(&id)?;
    let now = node.clock.now_ms();
    let r = blocking(&node, move |_, a| a.store.get(id, now).map_err(refused)).await?;
    if !may_decide(&node, &caller, &r) {
        return Err(refused(ApprovalError::NotFound(r.id.to_string())));
    }
    Ok(axum::Json(wire(&node, r)))
}

/// `caller` decides request `id`: the request is read, the policy must allow `caller` its
/// action on its target here, and the rules of juki-approvals record the decision (pending,
/// within its time, never approved by its requester). Every refusal is audited. Returns the
/// request as decided, and its action.
async fn decide(
    node: &AppState,
    caller: &Caller,
    id: &str,
    body: Body,
    decision: Decision,
) -> Result<(Request, policy::Action), ApiError> {
    let req: ReasonBody = json_body(node, body).await?;
    let id = parse_id(id)?;
    let now = node.clock.now_ms();
    let r = blocking(node, move |_, a| a.store.get(id, now).map_err(refused)).await?;
    let cannot = move |why: String| {
        ApiError::with(
            &APPR_CANNOT,
            serde_json::json!({ "id": id.to_string(), "reason": why }),
        )
    };
    let action = policy::Action::parse(&r.action).ok_or_else(|| {
        cannot(format!(
            "{}: an action this version does not know",
            r.action
        ))
    })?;
    let target: Jurisdiction = r
        .target
        .jurisdiction
        .parse()
        .map_err(|_| cannot("a target this version cannot read".into()))?;
    node.authorize(caller, action, target, AuditAction::Approval, &[])?;
    let what = naming(&r);
    let by = caller.identity.uri();
    let decided = blocking(node, move |_, a| {
        if decision == Decision::Approve && a.operation(action).is_none() {
            return Err(cannot(format!(
                "this node does not carry out {}",
                action.as_str()
            )));
        }
        a.store
            .decide(id, decision, &by, now, req.reason)
            .map_err(refused)
    })
    .await;
    let noun = match decision {
        Decision::Approve => "approval",
        Decision::Reject => "rejection",
    };
    let what = format!("{noun} of {what}");
    decided
        .map(|d| (d, action))
        .map_err(|e| audited_refusal(node, caller, AuditAction::Approval, what, e))
}

/// `POST /v1/approvals/{id}/approve`: a second person whom the policy allows the same action
/// on the same target approves; the operation is then carried out, and the answer is the
/// request as it ended (`executed` or `failed`).
async fn approve(
    State(node): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<axum::Json<Approval>, ApiError> {
    let (approved, action) = decide(&node, &caller, &id, body, Decision::Approve).await?;
    let (id, what) = (approved.id, naming(&approved));
    // The approval is on record before the operation runs; if the log refuses it, nothing runs.
    let entry = node
        .audit_entry(&caller, AuditAction::Approval)
        .detail(detail(format!("approved {what}: {}", approved.effect)));
    if let Err(e) = node.audit(entry) {
        let why = format!(
            "not carried out: the audit log refused the approval ({})",
            e.def.code
        );
        let now = node.clock.now_ms();
        let _ = blocking(&node, move |_, a| {
            a.store.finish(id, now, Err(why)).map_err(refused)
        })
        .await;
        return Err(e);
    }
    let (finished, audit_as) = blocking(&node, move |n, a| {
        let op = a
            .operation(action)
            .cloned()
            .ok_or_else(|| ApiError::new(&APPR_CANNOT))?;
        let outcome = (op.execute)(n, &approved).map_err(|e| {
            let reason = e
                .detail
                .get("reason")
                .and_then(|r| r.as_str())
                .unwrap_or_default();
            format!("{}: {reason}", e.def)
                .trim_end_matches(": ")
                .to_string()
        });
        let done = a
            .store
            .finish(id, n.clock.now_ms(), outcome)
            .map_err(refused)?;
        Ok((done, op.audit_as))
    })
    .await?;
    let result = finished.result.clone().unwrap_or_default();
    let mut entry = node.audit_entry(&caller, audit_as).detail(detail(format!(
        "{what} approved by {}: {result}",
        caller.identity.uri()
    )));
    if finished.state == juki_approvals::State::Failed {
        let code = result.split(' ').next().unwrap_or_default().to_string();
        entry = entry.result(Outcome::Failed(code));
    }
    node.audit(entry)?;
    durable(&node).await?;
    tracing::info!(id = %finished.id, state = %finished.state, "approved request carried out");
    Ok(axum::Json(wire(&node, finished)))
}

/// `POST /v1/approvals/{id}/reject` {reason}: rejected by someone the policy allows the action
/// on the target — the requester too (a withdrawal).
async fn reject(
    State(node): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<axum::Json<Approval>, ApiError> {
    let (rejected, _) = decide(&node, &caller, &id, body, Decision::Reject).await?;
    let verb = match rejected.decided_by.as_deref() == Some(rejected.requested_by.as_str()) {
        true => "withdrew",
        false => "rejected",
    };
    let entry = node
        .audit_entry(&caller, AuditAction::Approval)
        .detail(detail(format!("{verb} {}", naming(&rejected))));
    node.audit(entry)?;
    durable(&node).await?;
    Ok(axum::Json(wire(&node, rejected)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::router;
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use crate::config::{InitOptions, NodeConfig, Role, init};
    use crate::server::Peer;
    use axum::http::Request as HttpRequest;
    use juki_domain::LocalGovernmentCode;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    /// Friday 2026-04-10 10:00 in Tokyo: within the default hours.
    const FRIDAY_10: &str = "2026-04-10T01:00:00Z";
    /// Saturday 2026-04-11 10:00 in Tokyo.
    const SATURDAY_10: &str = "2026-04-11T01:00:00Z";

    struct Fixture {
        node: Arc<Node>,
        clock: Arc<FixedClock>,
        dir: tempfile::TempDir,
    }

    fn node(role: Role, code: Option<&str>, at: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        init(&InitOptions {
            role,
            code: code.map(Into::into),
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".into(),
            parent: None,
            ca_dir: None,
        })
        .unwrap();
        let config = NodeConfig::load(dir.path()).unwrap();
        let store = Arc::new(config.open_store().unwrap());
        let clock = Arc::new(FixedClock::new(at.parse().unwrap()));
        let (audit, index) = crate::audit::open(&config, clock.clone()).unwrap().unwrap();
        let approvals = crate::approvals::open(&config, clock.now_ms()).unwrap();
        let node = Node::new(config, store, clock.clone())
            .with_audit(audit, index)
            .with_approvals(approvals);
        Fixture {
            node: Arc::new(node),
            clock,
            dir,
        }
    }

    fn nakano() -> Fixture {
        node(Role::Municipal, Some("131148"), FRIDAY_10)
    }

    fn person(role: juki_pki::Role, jurisdiction: &str, name: &str) -> Peer {
        let j = match jurisdiction {
            "national" => Jurisdiction::National,
            c => Jurisdiction::Local(LocalGovernmentCode::parse(c).unwrap()),
        };
        Peer(Some(juki_pki::Identity::new(role, j, name).unwrap()))
    }

    fn admin() -> Peer {
        person(juki_pki::Role::Admin, "131148", "admin")
    }
    fn admin2() -> Peer {
        person(juki_pki::Role::Admin, "131148", "admin2")
    }
    fn clerk() -> Peer {
        person(juki_pki::Role::Clerk, "131148", "clerk")
    }
    fn meguro_admin() -> Peer {
        person(juki_pki::Role::Admin, "131202", "admin")
    }
    fn operator(name: &str) -> Peer {
        person(juki_pki::Role::Operator, "national", name)
    }

    async fn call(
        node: &Arc<Node>,
        who: Peer,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
        let mut req = HttpRequest::builder()
            .method(method)
            .uri(path)
            .body(body)
            .unwrap();
        req.extensions_mut().insert(who);
        let resp = router(node.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn post(node: &Arc<Node>, who: Peer, path: &str) -> (StatusCode, Value) {
        call(
            node,
            who,
            "POST",
            path,
            Some(json!({"reason": "maintenance"})),
        )
        .await
    }

    fn refused(got: &(StatusCode, Value), status: StatusCode, code: &str) {
        assert_eq!(
            (got.0, got.1["code"].as_str()),
            (status, Some(code)),
            "{}",
            got.1
        );
    }

    /// The audit log's entries so far: (action, actor, result, detail).
    fn audited(f: &Fixture) -> Vec<(String, String, String, String)> {
        f.node.audit.as_ref().unwrap().flush().unwrap();
        let page =
            juki_audit::read_entries(&f.dir.path().join(juki_audit::AUDIT_DIR), 1, 1000).unwrap();
        page.entries
            .into_iter()
            .map(|e| {
                let e = e.stored.entry;
                let result = match e.result {
                    Outcome::Ok => "ok".to_string(),
                    Outcome::Denied(c) => format!("denied {c}"),
                    Outcome::Failed(c) => format!("failed {c}"),
                };
                (
                    e.action.to_string(),
                    e.actor,
                    result,
                    e.detail.unwrap_or_default(),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn outside_operating_hours_an_admin_stops_the_node_at_once() {
        let f = node(Role::Municipal, Some("131148"), SATURDAY_10);
        let n = &f.node;
        refused(
            &post(n, clerk(), "/v1/node/stop").await,
            StatusCode::FORBIDDEN,
            "JK-POL-0101",
        );
        refused(
            &post(n, meguro_admin(), "/v1/node/stop").await,
            StatusCode::FORBIDDEN,
            "JK-POL-0102",
        );
        assert!(!n.stop_requested());
        let (status, body) = post(n, admin(), "/v1/node/stop").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body, json!({"state": "stopping"}));
        assert!(n.stop_requested());
        let (_, list) = call(n, admin(), "GET", "/v1/approvals", None).await;
        assert_eq!(list["approvals"], json!([]), "no request was needed");
        let log = audited(&f);
        assert_eq!(log.len(), 3, "{log:?}");
        assert_eq!(log[0].2, "denied JK-POL-0101");
        assert_eq!(log[1].2, "denied JK-POL-0102");
        let (action, actor, result, detail) = &log[2];
        assert_eq!(
            (action.as_str(), actor.as_str(), result.as_str()),
            ("admin:node-stop", "urn:juki:admin:131148:admin", "ok")
        );
        assert!(
            detail.contains("stops CS 中野区 (131148)")
                && detail.contains("outside operating hours"),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn within_operating_hours_a_stop_waits_for_a_second_person() {
        let f = nakano();
        let n = &f.node;
        let (status, body) = post(n, admin(), "/v1/node/stop").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["state"], "pending");
        let a = &body["approval"];
        assert_eq!(a["id"], "A-000001");
        assert_eq!(a["action"], "stop-node");
        assert_eq!(
            a["target"],
            json!({"jurisdiction": "131148", "object": null})
        );
        assert_eq!(
            a["effect"],
            "stops CS 中野区 (131148): window services of 1 municipality unavailable until restart"
        );
        assert_eq!(a["reason"], "maintenance");
        assert_eq!(a["requested_by"], "urn:juki:admin:131148:admin");
        assert_eq!(a["node"], "urn:juki:municipal:131148:municipal");
        assert_eq!(
            a["expires_at_ms"].as_i64().unwrap() - a["requested_at_ms"].as_i64().unwrap(),
            86_400_000
        );
        assert!(!n.stop_requested());

        // Not the requester; not a role or jurisdiction the policy refuses the stop.
        let approve = "/v1/approvals/A-000001/approve";
        refused(
            &post(n, admin(), approve).await,
            StatusCode::FORBIDDEN,
            "JK-POL-0106",
        );
        refused(
            &post(n, clerk(), approve).await,
            StatusCode::FORBIDDEN,
            "JK-POL-0101",
        );
        refused(
            &post(n, meguro_admin(), approve).await,
            StatusCode::FORBIDDEN,
            "JK-POL-0102",
        );
        // A clerk may see requests to close records, not this stop.
        let (status, list) = call(n, clerk(), "GET", "/v1/approvals", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["approvals"], json!([]), "{list}");
        refused(
            &call(n, clerk(), "GET", "/v1/approvals/A-000001", None).await,
            StatusCode::NOT_FOUND,
            "JK-APPR-0101",
        );
        assert!(!n.stop_requested());

        // Anyone who could approve sees it; a national operator approves and the node stops.
        let (status, list) = call(n, operator("operator"), "GET", "/v1/approvals", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["approvals"][0]["state"], "pending");
        let (status, done) = post(n, operator("operator2"), approve).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "executed");
        assert_eq!(done["decided_by"], "urn:juki:operator:national:operator2");
        assert_eq!(done["result"], "中野区 stopping");
        assert!(n.stop_requested());
        refused(
            &post(n, admin2(), approve).await,
            StatusCode::CONFLICT,
            "JK-APPR-0102",
        );
        let (_, shown) = call(n, admin2(), "GET", "/v1/approvals/A-000001", None).await;
        assert_eq!(shown, done);

        let log = audited(&f);
        let acts: Vec<(&str, &str)> = log
            .iter()
            .map(|(a, _, r, _)| (a.as_str(), r.as_str()))
            .collect();
        assert_eq!(
            acts,
            [
                ("approval", "ok"),
                ("approval", "denied JK-POL-0106"),
                ("approval", "denied JK-POL-0101"),
                ("approval", "denied JK-POL-0102"),
                ("approval", "ok"),
                ("admin:node-stop", "ok"),
                ("approval", "denied JK-APPR-0102"),
            ]
        );
        assert!(
            log[0]
                .3
                .starts_with("requested A-000001: stop-node on 131148: stops CS 中野区"),
            "{}",
            log[0].3
        );
        assert!(log[4].3.starts_with("approved A-000001"), "{}", log[4].3);
        assert_eq!(log[5].1, "urn:juki:operator:national:operator2");
        assert!(
            !log.iter().any(|e| e.3.contains("maintenance")),
            "reasons stay out of the audit log"
        );
    }

    #[tokio::test]
    async fn another_admin_of_the_municipality_may_approve_and_the_requester_may_withdraw() {
        let f = nakano();
        let n = &f.node;
        post(n, admin(), "/v1/node/stop").await;
        let (status, body) = post(n, admin(), "/v1/approvals/A-000001/reject").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["state"].as_str(), body["decision_reason"].as_str()),
            (Some("rejected"), Some("maintenance"))
        );
        refused(
            &post(n, admin2(), "/v1/approvals/A-000001/approve").await,
            StatusCode::CONFLICT,
            "JK-APPR-0102",
        );
        assert!(!n.stop_requested());
        post(n, admin(), "/v1/node/stop").await;
        let (status, body) = post(n, admin2(), "/v1/approvals/a-2/approve").await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::OK, Some("executed")),
            "{body}"
        );
        assert!(n.stop_requested());
        let log = audited(&f);
        assert!(log[1].3.starts_with("withdrew A-000001"), "{log:?}");
    }

    #[tokio::test]
    async fn a_request_not_approved_within_24_hours_expires() {
        let f = nakano();
        let n = &f.node;
        post(n, admin(), "/v1/node/stop").await;
        f.clock
            .set(f.clock.now() + jiff::SignedDuration::from_hours(24));
        refused(
            &post(n, operator("operator"), "/v1/approvals/A-000001/approve").await,
            StatusCode::CONFLICT,
            "JK-APPR-0103",
        );
        let (_, shown) = call(n, admin(), "GET", "/v1/approvals/A-000001", None).await;
        assert_eq!(shown["state"], "expired");
        assert!(!n.stop_requested());
    }

    #[tokio::test]
    async fn ids_and_bodies_are_checked() {
        let f = nakano();
        let n = &f.node;
        refused(
            &post(n, admin(), "/v1/approvals/17/approve").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "JK-APPR-0105",
        );
        refused(
            &post(n, admin(), "/v1/approvals/A-000009/approve").await,
            StatusCode::NOT_FOUND,
            "JK-APPR-0101",
        );
        let long = json!({"reason": "長".repeat(513)});
        refused(
            &call(n, admin(), "POST", "/v1/node/stop", Some(long.clone())).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "JK-APPR-0105",
        );
        let weekend = node(Role::Municipal, Some("131148"), SATURDAY_10);
        refused(
            &call(&weekend.node, admin(), "POST", "/v1/node/stop", Some(long)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "JK-APPR-0105",
        );
        assert!(!weekend.node.stop_requested());
        let (status, _) = call(
            n,
            admin(),
            "POST",
            "/v1/node/stop",
            Some(json!({"why": "x"})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = call(n, admin(), "POST", "/v1/node/stop", Some(json!({}))).await;
        assert_eq!(
            (status, body["approval"]["reason"].clone()),
            (StatusCode::ACCEPTED, Value::Null)
        );
    }

    #[tokio::test]
    async fn certificates_are_revoked_at_the_national_node_once_a_second_operator_approves() {
        // Not served by a municipal node.
        let m = nakano();
        refused(
            &post(
                &m.node,
                operator("operator"),
                "/v1/certificates/4960bb830670942ac0ad53b7938a88c7/revoke",
            )
            .await,
            StatusCode::FORBIDDEN,
            "JK-POL-0103",
        );
        // A standalone national node revokes with its own CA (DATA/ca).
        let f = node(Role::National, None, SATURDAY_10);
        let n = &f.node;
        let ca_dir = f.dir.path().join("ca");
        let suzuki = juki_pki::Identity::new(
            juki_pki::Role::Clerk,
            Jurisdiction::Local(LocalGovernmentCode::parse("131148").unwrap()),
            "suzuki",
        )
        .unwrap();
        let issued = {
            let mut ca = juki_pki::Ca::open(&ca_dir).unwrap();
            let (c, k) = (
                f.dir.path().join("suzuki.crt"),
                f.dir.path().join("suzuki.key"),
            );
            ca.issue(&suzuki, &[], 30, &c, &k).unwrap()
        };
        let path = format!("/v1/certificates/{}/revoke", issued.serial);
        refused(
            &post(n, admin(), &path).await,
            StatusCode::FORBIDDEN,
            "JK-POL-0101",
        );
        refused(
            &post(n, operator("operator"), "/v1/certificates/not-hex/revoke").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "JK-APPR-0105",
        );
        refused(
            &post(
                n,
                operator("operator"),
                "/v1/certificates/4960bb830670942ac0ad53b7938a88c7/revoke",
            )
            .await,
            StatusCode::NOT_FOUND,
            "JK-TLS-0206",
        );
        // Always a request, even outside operating hours.
        let (status, body) = post(n, operator("operator"), &path).await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::ACCEPTED, Some("pending")),
            "{body}"
        );
        let a = &body["approval"];
        assert_eq!(
            a["target"],
            json!({"jurisdiction": "national", "object": issued.serial.to_string()})
        );
        let effect = a["effect"].as_str().unwrap();
        assert!(
            effect.contains("urn:juki:clerk:131148:suzuki") && effect.contains("next connection"),
            "{effect}"
        );
        let approve = "/v1/approvals/A-000001/approve";
        refused(
            &post(n, operator("operator"), approve).await,
            StatusCode::FORBIDDEN,
            "JK-POL-0106",
        );
        let (status, done) = post(n, operator("operator2"), approve).await;
        assert_eq!(
            (status, done["state"].as_str()),
            (StatusCode::OK, Some("executed")),
            "{done}"
        );
        assert!(!n.stop_requested());
        let ca = juki_pki::Ca::open(&ca_dir).unwrap();
        let cert = ca
            .list()
            .iter()
            .find(|c| c.serial == issued.serial)
            .unwrap();
        assert!(cert.revoked_at.is_some());
        drop(ca);
        let log = audited(&f);
        let last = log.last().unwrap();
        assert_eq!(
            (last.0.as_str(), last.2.as_str()),
            ("certificate-revoked", "ok")
        );
        assert!(last.3.contains(&issued.serial.to_string()), "{}", last.3);
    }
}

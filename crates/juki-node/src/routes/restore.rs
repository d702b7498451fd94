//! Restore and rebuild of a municipal node, at its parent (docs/backup.md "Rebuild from the
//! hierarchy", docs/approvals.md): the export of the entries a municipality recorded, as this
//! upper tier holds them; the `restore-node` request a second person approves here; and the
//! one use of that approval by `juki rebuild` or `juki backup restore` at the node.

use super::approvals::{audited_refusal, blocking as with_approvals, detail, durable, wire};
use super::{blocking, child_of, json_body};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::policy;
use crate::server::{Node, Peer};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use juki_api::{
    Approval, EXPORT_LIMIT_MAX, ExportPage, OperationAnswer, RestoreRequestBody, UseApprovalBody,
    WireEntry,
};
use juki_approvals::{NewRequest, Request, RequestId, TakeError, Target};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::{APPR_INVALID, APPR_NOT_USABLE, NODE_BAD_QUERY};
use juki_domain::{LocalGovernmentCode, lgc};
use juki_pki::{Jurisdiction, Role as PkiRole};
use serde::Deserialize;
use std::sync::Arc;

type AppState = Arc<Node>;

/// Journal entries one export request reads at most, whatever it finds: the scan for one
/// municipality's entries in an upper tier's journal is bounded per page.
const EXPORT_SCAN_MAX: usize = 20_000;
/// Entries read from the store in one call while scanning.
const SCAN_CHUNK: usize = 5_000;

/// The operations a `restore-node` approval allows.
pub const OPERATIONS: [&str; 2] = ["rebuild", "restore"];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/export", get(export))
        .route("/v1/nodes/{code}/restore", post(request_restore))
        .route("/v1/approvals/{id}/use", post(use_approval))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    recorded_by: String,
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
}

fn bad_query(field: &str, reason: &str) -> ApiError {
    ApiError::with(
        &NODE_BAD_QUERY,
        serde_json::json!({ "errors": [{ "field": field, "reason": reason }] }),
    )
}

/// `GET /v1/export?recorded_by=LGC&after=N&limit=M`: served to the municipal node `LGC` itself
/// (its node certificate, as on its link) and to the people the policy allows
/// `export-records` on it. Each page is audited (who, which municipality, from where).
async fn export(
    State(node): State<AppState>,
    caller: Caller,
    peer: Option<axum::Extension<Peer>>,
    Query(q): Query<ExportQuery>,
) -> Result<axum::Json<ExportPage>, ApiError> {
    let recorded_by = LocalGovernmentCode::parse(&q.recorded_by)
        .map_err(|_| bad_query("recorded_by", "not a local government code"))?;
    let limit = q.limit.unwrap_or(EXPORT_LIMIT_MAX);
    if limit == 0 || limit > EXPORT_LIMIT_MAX {
        return Err(bad_query("limit", "1 to 1000"));
    }
    let audit_as = AuditAction::Admin("export-records".into());
    let is_node = matches!(
        caller.identity.role,
        PkiRole::Municipal | PkiRole::Prefecture | PkiRole::National
    );
    if is_node {
        node.authorize_child(peer.map(|p| p.0), recorded_by)?;
    } else {
        node.authorize(
            &caller,
            policy::Action::ExportRecords,
            Jurisdiction::Local(recorded_by),
            audit_as.clone(),
            &[],
        )?;
    }
    let after = q.after;
    let (entries, next, head) = blocking(&node, move |s| {
        let head = s.stats()?.journal_head;
        let mut entries = Vec::new();
        let mut next = after;
        let mut scanned = 0;
        'scan: while next < head && scanned < EXPORT_SCAN_MAX {
            let chunk = s.journal_after(next, SCAN_CHUNK.min(EXPORT_SCAN_MAX - scanned))?;
            if chunk.is_empty() {
                break;
            }
            for e in chunk {
                scanned += 1;
                next = e.seq;
                if e.recorded_by == recorded_by {
                    entries.push(WireEntry::from(&e.forwardable()));
                    if entries.len() == limit {
                        break 'scan;
                    }
                }
            }
        }
        Ok((entries, next, head))
    })
    .await?;
    let entry = node.audit_entry(&caller, audit_as).detail(detail(format!(
        "export of entries recorded by {recorded_by} after {after}: {} entries up to {next}",
        entries.len()
    )));
    node.audit(entry)?;
    Ok(axum::Json(ExportPage {
        protocol: juki_api::PROTOCOL_VERSION,
        recorded_by: recorded_by.to_string(),
        entries,
        next,
        head,
        more: next < head,
    }))
}

fn operation(op: &str) -> Result<&'static str, ApiError> {
    OPERATIONS.into_iter().find(|o| *o == op).ok_or_else(|| {
        ApiError::with(
            &APPR_INVALID,
            serde_json::json!({ "field": "operation", "reason": "rebuild or restore" }),
        )
    })
}

/// What restoring or rebuilding child node `code` affects, in one sentence.
fn restore_effect(node: &Node, code: LocalGovernmentCode, op: &str) -> String {
    let name = lgc::table().get(code).map_or("?", |g| g.name);
    let here = &node.config.name;
    match op {
        "rebuild" => format!(
            "rebuilds the node of {name} ({code}) from the entries it recorded that {here} holds and from its latest backup: its service stops until it restarts, local-only data and local files are as of the backup, changes that reached neither {here} nor the backup are lost; it starts a new epoch"
        ),
        _ => format!(
            "restores the node of {name} ({code}) from its backup: its service stops until it restarts, changes after the backup that {here} does not hold are lost; it starts a new epoch"
        ),
    }
}

/// Whether the policy allows `caller` restore-node on node `code` here (a refusal audited).
fn may_restore(node: &Node, caller: &Caller, code: LocalGovernmentCode) -> Result<(), ApiError> {
    node.authorize(
        caller,
        policy::Action::RestoreNode,
        Jurisdiction::Local(code),
        AuditAction::Approval,
        &[],
    )
}

/// `POST /v1/nodes/{code}/restore` {operation, reason}: a request, always, for a second person
/// to approve a restore or rebuild of child node `code`.
async fn request_restore(
    State(node): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: Body,
) -> Result<(StatusCode, axum::Json<OperationAnswer>), ApiError> {
    let req: RestoreRequestBody = json_body(&node, body).await?;
    juki_approvals::check_reason(req.reason.as_deref()).map_err(crate::approvals::refused)?;
    let op = operation(&req.operation)?;
    let code = child_of(&node, &code)?;
    may_restore(&node, &caller, code)?;
    let new = NewRequest::new(
        policy::Action::RestoreNode.as_str(),
        Target {
            jurisdiction: code.to_string(),
            object: Some(op.to_string()),
        },
        restore_effect(&node, code, op),
        caller.identity.uri(),
    )
    .params(serde_json::json!({ "operation": op }))
    .reason(req.reason);
    super::approvals::create(node, caller, new).await
}

/// Carries out an approved `restore-node` request: nothing runs here (the node is restored or
/// rebuilt where it stands); the request becomes usable once by that operation.
pub(crate) fn grant(_node: &Node, r: &Request) -> Result<String, ApiError> {
    let op = r.target.object.as_deref().unwrap_or("restore");
    Ok(format!(
        "granted: one {op} of node {} may run with --approval {}",
        r.target.jurisdiction, r.id
    ))
}

/// Whether `r` approves `op` of node `code`.
fn fits(r: &Request, code: &str, op: &str) -> Result<(), String> {
    if r.action != policy::Action::RestoreNode.as_str() {
        return Err(format!(
            "{} is a {} request, not restore-node",
            r.id, r.action
        ));
    }
    if r.target.jurisdiction != code {
        return Err(format!(
            "{} approves node {}, not {code}",
            r.id, r.target.jurisdiction
        ));
    }
    if r.target.object.as_deref() != Some(op) {
        return Err(format!(
            "{} approves a {}, not a {op}",
            r.id,
            r.target.object.as_deref().unwrap_or("?")
        ));
    }
    Ok(())
}

/// `POST /v1/approvals/{id}/use` {node, operation}: the caller, whom the policy allows
/// `restore-node` on the node, uses the executed request `id` for that operation — once.
async fn use_approval(
    State(node): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<axum::Json<Approval>, ApiError> {
    let req: UseApprovalBody = json_body(&node, body).await?;
    let op = operation(&req.operation)?;
    let code = LocalGovernmentCode::parse(&req.node).map_err(|_| {
        ApiError::with(
            &APPR_INVALID,
            serde_json::json!({ "field": "node", "reason": "not a local government code" }),
        )
    })?;
    may_restore(&node, &caller, code)?;
    let id: RequestId = id.parse().map_err(crate::approvals::refused)?;
    let by = caller.identity.uri();
    let now = node.clock.now_ms();
    let what = format!("{op} of {code}");
    let used = with_approvals(&node, move |_, a| {
        let code = code.to_string();
        a.store
            .take(id, &by, now, &what, |r| fits(r, &code, op))
            .map_err(|e| match e {
                TakeError::Approval(e) => crate::approvals::refused(e),
                TakeError::Unfit(why) => ApiError::with(
                    &APPR_NOT_USABLE,
                    serde_json::json!({ "id": id.to_string(), "reason": why }),
                ),
            })
    })
    .await
    .map_err(|e| {
        audited_refusal(
            &node,
            &caller,
            AuditAction::Approval,
            format!("use of {id} for {op} of {code}"),
            e,
        )
    })?;
    let entry = node
        .audit_entry(&caller, AuditAction::Admin("restore-node".into()))
        .detail(detail(format!(
            "used {id} ({}): {op} of {code} begins",
            used.effect
        )));
    node.audit(entry)?;
    durable(&node).await?;
    tracing::info!(%id, node = %code, operation = op, "restore-node approval used");
    Ok(axum::Json(wire(&node, used)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::router;
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use crate::config::{InitOptions, NodeConfig, Role, init};
    use axum::http::Request as HttpRequest;
    use juki_store::{JournalEntry, LinkFrom};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    /// 東京都's node (a standalone CA of its own), with its audit log and approvals.
    fn tokyo(dir: &std::path::Path) -> Arc<Node> {
        init(&InitOptions {
            role: Role::Prefecture,
            code: Some("130001".into()),
            data_dir: dir.to_path_buf(),
            listen: "127.0.0.1:0".into(),
            parent: None,
            ca_dir: None,
        })
        .unwrap();
        let config = NodeConfig::load(dir).unwrap();
        let store = Arc::new(config.open_store().unwrap());
        let clock = Arc::new(FixedClock::new("2026-04-10T01:00:00Z".parse().unwrap()));
        let (audit, index) = crate::audit::open(&config, clock.clone()).unwrap().unwrap();
        let approvals = crate::approvals::open(&config, clock.now_ms()).unwrap();
        Arc::new(
            Node::new(config, store, clock)
                .with_audit(audit, index)
                .with_approvals(approvals),
        )
    }

    fn who(role: PkiRole, jurisdiction: &str, name: &str) -> Peer {
        let j = match jurisdiction {
            "national" => Jurisdiction::National,
            c => Jurisdiction::Local(LocalGovernmentCode::parse(c).unwrap()),
        };
        Peer(Some(juki_pki::Identity::new(role, j, name).unwrap()))
    }

    async fn call(
        node: &Arc<Node>,
        peer: Peer,
        method: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let mut req = HttpRequest::builder()
            .method(method)
            .uri(path)
            .body(Body::from(body.to_string()))
            .unwrap();
        req.extensions_mut().insert(peer);
        let resp = router(node.clone()).oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 22)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(node: &Arc<Node>, peer: Peer, path: &str) -> (u16, Value) {
        call(node, peer, "GET", path, Value::Null).await
    }

    /// An entry recorded by `by` (origin seq `seq`) as a child forwards it.
    fn entry(by: &str, seq: u64) -> JournalEntry {
        let body = 9_000_000_000 + seq + u64::from(by == "131202") * 100;
        let code = juki_domain::ResidentCode::from_body(body).to_string();
        let w: WireEntry = serde_json::from_value(json!({
            "seq": seq, "recorded_by": by, "origin_epoch": 1, "origin_seq": seq,
            "record_id": format!("{by}-{seq}"), "change_kind": "転入",
            "effective_date": "2026-04-01", "recorded_at_ms": 0,
            "resident_code": code,
            "status": "current", "family_name": "佐々木", "given_name": "陽菜",
            "family_name_kana": "ササキ", "given_name_kana": "ヒナ", "script": "ja",
            "birth_date": "1998-07-14", "sex": "女", "local_government_code": by,
            "address": "一丁目1番1号",
        }))
        .unwrap();
        JournalEntry::try_from(w).unwrap()
    }

    #[tokio::test]
    async fn the_export_pages_one_municipalitys_entries_to_that_node_and_to_operators_only() {
        let dir = tempfile::tempdir().unwrap();
        let node = tokyo(dir.path());
        for (by, n) in [("131148", 3), ("131202", 2)] {
            let link = LinkFrom {
                node: by.into(),
                epoch: 1,
            };
            let entries: Vec<_> = (1..=n).map(|s| entry(by, s)).collect();
            assert_eq!(node.store.receive(&link, &entries).unwrap().applied, n);
        }
        let nakano = || who(PkiRole::Municipal, "131148", "municipal");
        let mut got = Vec::new();
        let mut after = 0;
        for _ in 0..10 {
            let path = format!("/v1/export?recorded_by=131148&after={after}&limit=2");
            let (status, page) = get(&node, nakano(), &path).await;
            assert_eq!(status, 200, "{page}");
            for e in page["entries"].as_array().unwrap() {
                assert_eq!(e["recorded_by"], "131148");
                got.push(e["record_id"].as_str().unwrap().to_string());
            }
            after = page["next"].as_u64().unwrap();
            if page["more"] == false {
                break;
            }
        }
        assert_eq!(got, ["131148-1", "131148-2", "131148-3"]);
        // Another municipality's node may not read 中野区's entries; a clerk may not at all; a
        // national operator may.
        let path = "/v1/export?recorded_by=131148";
        let (status, body) = get(&node, who(PkiRole::Municipal, "131202", "municipal"), path).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("JK-NET-0102")),
            "{body}"
        );
        let (status, _) = get(&node, who(PkiRole::Clerk, "131148", "clerk"), path).await;
        assert_eq!(status, 403);
        let (status, page) = get(&node, who(PkiRole::Operator, "national", "operator"), path).await;
        assert_eq!(
            (status, page["entries"].as_array().unwrap().len()),
            (200, 3)
        );
        let (status, _) = get(&node, nakano(), "/v1/export?recorded_by=131148&limit=5000").await;
        assert_eq!(status, 422);
    }

    #[tokio::test]
    async fn a_restore_node_approval_is_asked_approved_by_another_and_used_once() {
        let dir = tempfile::tempdir().unwrap();
        let node = tokyo(dir.path());
        let admin = || who(PkiRole::Admin, "130001", "admin");
        let operator = || who(PkiRole::Operator, "national", "operator");
        let body = json!({"operation": "rebuild", "reason": "disk lost"});
        // Only a child of this node, and only a known operation.
        let (status, refusal) = call(
            &node,
            admin(),
            "POST",
            "/v1/nodes/272108/restore",
            body.clone(),
        )
        .await;
        assert_eq!(
            (status, refusal["code"].as_str()),
            (409, Some("JK-NET-0106"))
        );
        let (status, _) = call(
            &node,
            admin(),
            "POST",
            "/v1/nodes/131148/restore",
            json!({"operation": "drop"}),
        )
        .await;
        assert_eq!(status, 422);
        let (status, asked) = call(&node, admin(), "POST", "/v1/nodes/131148/restore", body).await;
        assert_eq!(
            (status, asked["state"].as_str()),
            (202, Some("pending")),
            "{asked}"
        );
        let id = asked["approval"]["id"].as_str().unwrap().to_string();
        assert!(
            asked["approval"]["effect"]
                .as_str()
                .unwrap()
                .contains("中野区")
        );
        let use_it = |op: &str| json!({"node": "131148", "operation": op});
        let used = |node: &Arc<Node>, op: &'static str| {
            let (node, id) = (node.clone(), id.clone());
            async move {
                call(
                    &node,
                    operator(),
                    "POST",
                    &format!("/v1/approvals/{id}/use"),
                    json!({"node": "131148", "operation": op}),
                )
                .await
            }
        };
        // Pending: not usable.
        let (status, body) = used(&node, "rebuild").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("JK-APPR-0112")),
            "{body}"
        );
        let (status, approved) = call(
            &node,
            operator(),
            "POST",
            &format!("/v1/approvals/{id}/approve"),
            json!({}),
        )
        .await;
        assert_eq!(
            (status, approved["state"].as_str()),
            (200, Some("executed")),
            "{approved}"
        );
        // For another operation or node: not usable, and not spent.
        let (status, _) = used(&node, "restore").await;
        assert_eq!(status, 409);
        let (status, _) = call(
            &node,
            operator(),
            "POST",
            &format!("/v1/approvals/{id}/use"),
            json!({"node": "131202", "operation": "rebuild"}),
        )
        .await;
        assert_eq!(status, 409);
        let (status, body) = call(
            &node,
            admin(),
            "POST",
            &format!("/v1/approvals/{id}/use"),
            use_it("rebuild"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = used(&node, "rebuild").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("JK-APPR-0112")),
            "{body}"
        );
        assert!(
            body["detail"]["reason"]
                .as_str()
                .unwrap()
                .contains("already used")
        );
    }
}

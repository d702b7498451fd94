//! The gateway at a municipal node (docs/gateway-formats.md): `POST
//! /v1/gateway/submit?format=csv|fixed|jsonl&encoding=utf-8|cp932` takes a change file of any
//! size as the request body, streamed to a file in `DATA/gateway/` (bounded memory, its SHA-256
//! computed on the way), checks every record as `juki gw submit` does, and applies the accepted
//! ones in batches — unless the file closes (消除) more records than
//! `[gateway] closes_without_approval`: then the node keeps the file and records a
//! `close-records` request, and applies the file it kept once a second person approves.

use super::AppState;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::moves::own_code;
use crate::policy;
use crate::server::Node;
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use futures_util::StreamExt;
use juki_api::GatewaySubmitted;
use juki_approvals::{NewRequest, Request, Target};
use juki_audit::{Action as AuditAction, AuditEntry};
use juki_domain::catalogue::{NODE_BAD_QUERY, NODE_BODY_TOO_LARGE, NODE_INTERNAL};
use juki_domain::{Problem, ValidatedChange, ValidationContext};
use juki_gateway::{CharSet, Encoding, Format, GaijiTable, RefusedRecord, Rules, staged};
use juki_store::Outcome;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Records applied in one transaction.
const BATCH: usize = 1_000;
/// Refusals by the node listed in a report at most (the rest are counted).
const NODE_REFUSED_LISTED_MAX: usize = juki_gateway::report::REFUSED_LISTED_MAX;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/v1/gateway/submit", post(submit))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitParams {
    format: Option<String>,
    encoding: Option<String>,
}

/// A file the node keeps: where, how to read it, and its digest. The params of a
/// `close-records` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Kept {
    /// Relative to the data directory.
    path: PathBuf,
    format: String,
    encoding: Option<String>,
    sha256: String,
}

/// What one pass over a file gave.
#[derive(Debug, Default)]
struct Pass {
    accepted: u64,
    closes: u64,
    applied: u64,
    duplicates: u64,
    report: juki_gateway::LinkageReport,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "gateway at the node");
    ApiError::new(&NODE_INTERNAL)
}

fn file_refusal(e: juki_gateway::FileError) -> ApiError {
    ApiError::with(e.def, serde_json::json!({ "reason": e.detail }))
}

/// `POST /v1/gateway/submit`.
async fn submit(
    State(node): State<AppState>,
    caller: Caller,
    params: Result<Query<SubmitParams>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<(StatusCode, axum::Json<GatewaySubmitted>), ApiError> {
    node.authorize(
        &caller,
        policy::Action::Change,
        node.jurisdiction(),
        AuditAction::Change,
        &[],
    )?;
    own_code(&node)?;
    let p = super::query_params(params)?;
    let format_name = p.format.unwrap_or_else(|| "csv".into());
    let bad = |field: &'static str| {
        ApiError::with(&NODE_BAD_QUERY, serde_json::json!({ "field": field }))
    };
    let format = Format::parse(&format_name).ok_or_else(|| bad("format"))?;
    if let Some(e) = &p.encoding {
        Encoding::parse(e).ok_or_else(|| bad("encoding"))?;
    }
    let kept = receive(&node, &caller, body, format, p.encoding).await?;
    let allowed = node.config.gateway.closes_without_approval;

    let (n, k) = (node.clone(), kept.clone());
    let counted = tokio::task::spawn_blocking(move || pass(&n, &k, None))
        .await
        .map_err(internal)?;
    let counted = match counted {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(node.config.data_dir.join(&kept.path));
            return Err(e);
        }
    };
    if let Err(e) = staged::check_closes(counted.closes, allowed) {
        let effect = format!(
            "applies a change file of {} accepted records (SHA-256 {}) at {}: {} of them close (消除) records, more than the {allowed} allowed without approval",
            counted.accepted,
            &kept.sha256[..16],
            node.config.name,
            counted.closes
        );
        let mut new = NewRequest::new(
            policy::Action::CloseRecords.as_str(),
            Target {
                jurisdiction: node.jurisdiction().to_string(),
                object: Some(kept.sha256[..16].to_string()),
            },
            effect,
            caller.identity.uri(),
        )
        .reason(Some(e.detail));
        new.params = serde_json::to_value(&kept).map_err(internal)?;
        let (status, answer) = super::approvals::create(node.clone(), caller, new).await?;
        return Ok((
            status,
            axum::Json(GatewaySubmitted {
                state: "pending".into(),
                sha256: kept.sha256,
                accepted: counted.accepted,
                applied: 0,
                duplicates: 0,
                closes: counted.closes,
                report: report_json(&counted.report)?,
                approval: answer.0.approval,
            }),
        ));
    }

    let (n, k) = (node.clone(), kept.clone());
    let who = Actor::of(&caller);
    let done = tokio::task::spawn_blocking(move || pass(&n, &k, Some(&who)))
        .await
        .map_err(internal)?;
    let _ = std::fs::remove_file(node.config.data_dir.join(&kept.path));
    let done = done?;
    Ok((
        StatusCode::OK,
        axum::Json(GatewaySubmitted {
            state: "applied".into(),
            sha256: kept.sha256,
            accepted: done.accepted,
            applied: done.applied,
            duplicates: done.duplicates,
            closes: done.closes,
            report: report_json(&done.report)?,
            approval: None,
        }),
    ))
}

fn report_json(r: &juki_gateway::LinkageReport) -> Result<serde_json::Value, ApiError> {
    serde_json::from_str(&r.to_json()).map_err(internal)
}

/// Streams the body into `DATA/gateway/<request id>.in`, within `[gateway] file_bytes_max`,
/// computing its SHA-256.
async fn receive(
    node: &Arc<Node>,
    caller: &Caller,
    body: Body,
    format: Format,
    encoding: Option<String>,
) -> Result<Kept, ApiError> {
    let dir = node.config.data_dir.join("gateway");
    std::fs::create_dir_all(&dir).map_err(internal)?;
    forget_old(&dir);
    let name: String = caller
        .request_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    let path = dir.join(format!("{name}.in"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).map_err(internal)?);
    let max = node.config.gateway.file_bytes_max;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut size = 0u64;
    let mut data = body.into_data_stream();
    let failed = |e: ApiError| {
        let _ = std::fs::remove_file(&path);
        e
    };
    while let Some(chunk) = data.next().await {
        let chunk = chunk.map_err(|e| {
            failed(ApiError::with(
                &juki_domain::catalogue::NODE_BAD_BODY,
                serde_json::json!({ "reason": e.to_string() }),
            ))
        })?;
        size += chunk.len() as u64;
        if size > max {
            return Err(failed(ApiError::with(
                &NODE_BODY_TOO_LARGE,
                serde_json::json!({ "file_bytes_max": max }),
            )));
        }
        ctx.update(&chunk);
        // A local disk write of a chunk: short, and the file is this request's own.
        out.write_all(&chunk).map_err(|e| failed(internal(e)))?;
    }
    out.flush().map_err(|e| failed(internal(e)))?;
    drop(out);
    Ok(Kept {
        path: PathBuf::from("gateway").join(format!("{name}.in")),
        format: format.name().into(),
        encoding,
        sha256: staged::hex(ctx.finish().as_ref()),
    })
}

/// Files kept longer than any approval request waits (24 hours) were rejected, expired or
/// left by a stop mid-request: removed.
const KEPT_FOR: Duration = Duration::from_secs(2 * 24 * 3600);

fn forget_old(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > KEPT_FOR);
        if old && e.path().extension().is_some_and(|x| x == "in") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Who a pass applies changes for, as audit entries name them.
#[derive(Clone, Debug)]
struct Actor {
    uri: String,
    role: String,
    request_id: String,
}

impl Actor {
    fn of(c: &Caller) -> Actor {
        Actor {
            uri: c.identity.uri(),
            role: c.identity.role.as_str().into(),
            request_id: c.request_id.clone(),
        }
    }
}

/// The node's gateway rules: its character set and 外字 table.
fn rules(node: &Node) -> Result<Rules, ApiError> {
    let g = &node.config.gateway;
    let read = |p: &str| {
        std::fs::read_to_string(node.config.data_dir.join(p)).map_err(|e| juki_gateway::FileError {
            def: &juki_domain::catalogue::IN_UNREADABLE,
            detail: format!("{p}: {e}"),
        })
    };
    let charset = CharSet::from_flag(&g.charset, read)
        .map_err(file_refusal)?
        .ok_or_else(|| internal(format!("[gateway] charset = {}", g.charset)))?;
    let gaiji = match &g.gaiji {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(internal)?;
            GaijiTable::parse(&text).map_err(file_refusal)?
        }
        None => GaijiTable::default(),
    };
    Ok(Rules { charset, gaiji })
}

/// Reads the kept file and checks every record; with `apply`, applies the accepted ones in
/// batches for `apply` (each batch one transaction, audited), folding the node's own
/// refusals into the report. Blocking.
fn pass(node: &Node, kept: &Kept, apply: Option<&Actor>) -> Result<Pass, ApiError> {
    let here = own_code(node)?;
    let rules = rules(node)?;
    let format = Format::parse(&kept.format).ok_or_else(|| internal("format"))?;
    let encoding = kept.encoding.as_deref().and_then(Encoding::parse);
    let file = std::fs::File::open(node.config.data_dir.join(&kept.path)).map_err(internal)?;
    let mut records = juki_gateway::open(
        std::io::BufReader::with_capacity(1 << 16, file),
        format,
        encoding,
    )
    .map_err(file_refusal)?;
    let ctx = ValidationContext {
        node: here,
        today: node.clock.today_tokyo(),
    };
    let mut out = Pass::default();
    let mut batch: Vec<(u64, ValidatedChange)> = Vec::with_capacity(BATCH);
    let mut refused: Vec<RefusedRecord> = Vec::new();
    let mut unlisted = 0u64;
    let mut failure: Option<ApiError> = None;
    let mut flush = |batch: &mut Vec<(u64, ValidatedChange)>, out: &mut Pass| {
        let Some(actor) = apply else { return };
        if batch.is_empty() || failure.is_some() {
            batch.clear();
            return;
        }
        let (lines, changes): (Vec<u64>, Vec<ValidatedChange>) =
            std::mem::take(batch).into_iter().unzip();
        match node.store.apply(here, node.clock.now_ms(), &changes) {
            Ok(outcomes) => {
                node.journal_grew.notify_one();
                let mut touched = Vec::with_capacity(outcomes.len());
                for ((line, change), outcome) in lines.into_iter().zip(&changes).zip(outcomes) {
                    match outcome {
                        Outcome::Applied { resident_code, .. } => {
                            out.applied += 1;
                            touched.push(resident_code.to_string());
                        }
                        Outcome::Duplicate { resident_code, .. } => {
                            out.duplicates += 1;
                            touched.push(resident_code.to_string());
                        }
                        Outcome::Refused(p) => {
                            if refused.len() < NODE_REFUSED_LISTED_MAX {
                                refused.push(node_refusal(line, change, p));
                            } else {
                                unlisted += 1;
                            }
                        }
                    }
                }
                if let Err(e) = audit_blocking(node, actor, touched) {
                    failure = Some(e);
                }
            }
            Err(e) => failure = Some(ApiError::from(e)),
        }
    };
    let mut report = juki_gateway::check_all(&mut records, &ctx, &rules, &mut |a| {
        out.accepted += 1;
        if staged::closes(a.change.kind) {
            out.closes += 1;
        }
        if apply.is_some() {
            batch.push((a.line, a.change));
            if batch.len() >= BATCH {
                flush(&mut batch, &mut out);
            }
        }
    });
    flush(&mut batch, &mut out);
    if let Some(e) = failure {
        return Err(e);
    }
    // Records the node refused leave the accepted count: the report's totals are the file's.
    out.accepted -= refused.len() as u64 + unlisted;
    report.accepted = out.accepted;
    for r in refused {
        report.refuse(r);
    }
    report.unlisted += unlisted;
    report.refused.sort_by_key(|r| r.line);
    out.report = report;
    Ok(out)
}

/// A record the node's apply engine refused, as the report lists it.
fn node_refusal(line: u64, change: &ValidatedChange, p: Problem) -> RefusedRecord {
    RefusedRecord {
        line,
        record_id: Some(change.record_id.clone()),
        resident_code: change.resident_code.map(|c| c.to_string()),
        problems: vec![p],
    }
}

/// How long applied changes wait for the audit log to take their entry.
const AUDIT_WAIT: Duration = Duration::from_secs(2);

/// Audits the residents a batch recorded (on a blocking thread: waits briefly for room, as
/// the changes are already committed).
fn audit_blocking(node: &Node, actor: &Actor, touched: Vec<String>) -> Result<(), ApiError> {
    let started = Instant::now();
    for chunk in touched.chunks(juki_audit::TARGETS_MAX) {
        loop {
            let entry = AuditEntry::new(
                node.clock.now_ms(),
                actor.uri.as_str(),
                actor.role.as_str(),
                node.node_uri.as_str(),
                AuditAction::Change,
            )
            .request_id(actor.request_id.as_str())
            .targets(chunk.to_vec())
            .detail("change file at the gateway".to_string());
            match node.audit(entry) {
                Ok(()) => break,
                Err(_) if started.elapsed() < AUDIT_WAIT => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Carries out an approved `close-records` request: applies the file the node kept, if it is
/// still the one approved, then removes it.
pub(crate) fn apply_approved(node: &Node, request: &Request) -> Result<String, ApiError> {
    let kept: Kept = serde_json::from_value(request.params.clone()).map_err(internal)?;
    let path = node.config.data_dir.join(&kept.path);
    staged::check_kept(&path, &kept.sha256).map_err(file_refusal)?;
    let actor = Actor {
        uri: request.requested_by.clone(),
        role: "clerk".into(),
        request_id: request.id.to_string(),
    };
    let done = pass(node, &kept, Some(&actor))?;
    let _ = std::fs::remove_file(&path);
    Ok(format!(
        "applied {} records of the file (SHA-256 {}): {} closes; {} already recorded; {} refused",
        done.applied,
        &kept.sha256[..16],
        done.closes,
        done.duplicates,
        done.report.refused_count()
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use crate::config::{InitOptions, NodeConfig, Role, init};
    use crate::server::Peer;
    use axum::http::Request as HttpRequest;
    use juki_domain::{LocalGovernmentCode, ResidentCode};
    use tower::ServiceExt;

    const HEADER: &str = "record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,given_name_kana,birth_date,sex,local_government_code,address,planned_date,destination_code,destination_address\n";

    /// 中野区 on Friday 2026-04-10 10:00 Tokyo, with its approvals, allowing `closes` closes a
    /// file.
    fn nakano(dir: &std::path::Path, closes: u64) -> Arc<Node> {
        init(&InitOptions {
            role: Role::Municipal,
            code: Some("131148".into()),
            data_dir: dir.to_path_buf(),
            listen: "127.0.0.1:0".into(),
            parent: None,
            ca_dir: None,
        })
        .unwrap();
        let mut config = NodeConfig::load(dir).unwrap();
        config.gateway.closes_without_approval = closes;
        let store = Arc::new(config.open_store().unwrap());
        let clock = Arc::new(FixedClock::new("2026-04-10T01:00:00Z".parse().unwrap()));
        let approvals = crate::approvals::open(&config, clock.now_ms()).unwrap();
        Arc::new(Node::new(config, store, clock).with_approvals(approvals))
    }

    fn person(role: juki_pki::Role, name: &str) -> Peer {
        let c = LocalGovernmentCode::parse("131148").unwrap();
        Peer(Some(
            juki_pki::Identity::new(role, juki_pki::Jurisdiction::Local(c), name).unwrap(),
        ))
    }

    async fn call(
        node: &Arc<Node>,
        who: Peer,
        path: &str,
        body: String,
    ) -> (StatusCode, serde_json::Value) {
        let mut req = HttpRequest::post(path).body(Body::from(body)).unwrap();
        req.extensions_mut().insert(who);
        let resp = crate::routes::router(node.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    fn code(n: u64) -> String {
        ResidentCode::from_body(1_000_000_000 + n).to_string()
    }

    /// `n` move-ins (record ids `I-k`) and, for the first `closes` of them, a move-out.
    fn file(n: u64, closes: u64) -> String {
        let mut s = String::from(HEADER);
        for k in 0..n {
            s.push_str(&format!(
                "I-{k},転入,2026-04-01,{},山田,太郎,ヤマダ,タロウ,1980-05-05,男,131148,中央一丁目{}番1号,,,\n",
                code(k),
                k + 1
            ));
        }
        for k in 0..closes {
            s.push_str(&format!(
                "O-{k},転出,2026-04-09,{},山田,太郎,ヤマダ,タロウ,1980-05-05,男,131148,中央一丁目{}番1号,2026-04-09,131202,豊玉北一丁目1番1号\n",
                code(k),
                k + 1
            ));
        }
        s
    }

    /// A file is checked and applied at the node, its bad records reported with line and
    /// code; submitting it again applies nothing.
    #[tokio::test]
    async fn a_file_is_checked_applied_and_resubmitted_harmlessly() {
        let dir = tempfile::tempdir().unwrap();
        let node = nakano(dir.path(), 100);
        let clerk = || person(juki_pki::Role::Clerk, "clerk");
        let mut text = file(5, 1);
        text.push_str(
            "X-1,転入,2026-04-01,12345,ﾔﾏﾀﾞ,太郎,ヤマダ,タロウ,1980-05-05,男,131148,中央,,,\n",
        );
        let (status, body) = call(&node, clerk(), "/v1/gateway/submit", text.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "applied");
        assert_eq!(
            (body["applied"].as_u64(), body["closes"].as_u64()),
            (Some(6), Some(1))
        );
        let refused = body["report"]["refused"].as_array().unwrap();
        assert_eq!(refused.len(), 1, "{body}");
        assert_eq!(refused[0]["line"], 8);
        let (_, again) = call(&node, clerk(), "/v1/gateway/submit", text).await;
        assert_eq!(
            (again["applied"].as_u64(), again["duplicates"].as_u64()),
            (Some(0), Some(6)),
            "{again}"
        );
        let staged: Vec<_> = std::fs::read_dir(dir.path().join("gateway"))
            .unwrap()
            .collect();
        assert!(staged.is_empty(), "a file applied is not kept");
        // Bad parameters.
        let (status, body) = call(
            &node,
            clerk(),
            "/v1/gateway/submit?format=xml",
            String::new(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("JK-NODE-0110"))
        );
    }

    /// A file closing more records than allowed waits, unapplied, for a second person; once
    /// approved the node applies the file it kept, exactly once.
    #[tokio::test]
    async fn a_file_closing_many_records_waits_for_a_second_person() {
        let dir = tempfile::tempdir().unwrap();
        let node = nakano(dir.path(), 2);
        let clerk = || person(juki_pki::Role::Clerk, "clerk");
        let (_, first) = call(&node, clerk(), "/v1/gateway/submit", file(4, 0)).await;
        assert_eq!(first["applied"], 4);
        let (status, body) = call(&node, clerk(), "/v1/gateway/submit", file(4, 3)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(
            (body["state"].as_str(), body["closes"].as_u64()),
            (Some("pending"), Some(3))
        );
        assert_eq!(body["applied"], 0);
        let approval = &body["approval"];
        assert_eq!(approval["action"], "close-records");
        assert!(
            approval["effect"]
                .as_str()
                .unwrap()
                .contains("3 of them close"),
            "{approval}"
        );
        let id = approval["id"].as_str().unwrap().to_string();
        let held = node
            .store
            .record(ResidentCode::parse(&code(0)).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            held.current.status,
            juki_domain::RecordStatus::Current,
            "nothing applied yet"
        );
        // The requester cannot approve; another clerk can.
        let path = format!("/v1/approvals/{id}/approve");
        let (status, own) = call(&node, clerk(), &path, "{}".into()).await;
        assert_eq!(
            (status, own["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("JK-POL-0106")),
            "{own}"
        );
        let (status, done) = call(
            &node,
            person(juki_pki::Role::Clerk, "clerk2"),
            &path,
            "{}".into(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "executed", "{done}");
        assert!(
            done["result"].as_str().unwrap().contains("3 closes"),
            "{done}"
        );
        assert!(
            done["params"]["path"]
                .as_str()
                .unwrap()
                .starts_with("gateway/"),
            "{done}"
        );
        for k in 0..3 {
            let r = node
                .store
                .record(ResidentCode::parse(&code(k)).unwrap())
                .unwrap()
                .unwrap();
            assert_eq!(r.current.status, juki_domain::RecordStatus::Closed);
        }
        let staged: Vec<_> = std::fs::read_dir(dir.path().join("gateway"))
            .unwrap()
            .collect();
        assert!(staged.is_empty(), "the kept file is removed once applied");
    }
}

//! Identity verification in bulk for agencies (本人確認情報の一括提供): `POST
//! /v1/identity/batch?purpose=P` at prefecture and national nodes. JSON lines in — one query per
//! line, `{"id", "resident_code"}` or a bare resident code — and JSON lines out, one answer per
//! query in order, streamed both ways: up to 1,000,000 queries in one request, in memory a
//! chunk of 1,000 at a time. Each chunk's residents are audited (one entry, the purpose, every
//! resident answered) before its answers are sent.

use super::security::{IdentityParams, identity_fields, purpose_of};
use super::{AppState, blocking};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::policy::{self, Target};
use crate::server::Node;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;
use juki_api::{BATCH_LINE_BYTES_MAX, BATCH_QUERIES_MAX, BatchAnswer, BatchQuery, BatchStopped};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::{
    NODE_BAD_BODY, NODE_BAD_QUERY, NODE_BODY_TOO_LARGE, NODE_DEADLINE, NODE_TOO_MANY,
};
use juki_domain::{ErrorDef, RecordStatus, ResidentCode};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/v1/identity/batch", post(batch))
}

/// Queries looked up, audited and answered together.
const CHUNK: usize = juki_store::RESIDENTS_PER_CALL;
/// Answered chunks waiting for the client to read them (backpressure beyond).
const CHUNKS_IN_FLIGHT: usize = 4;
/// The longest one batch may take.
const BATCH_TIME_MAX: Duration = Duration::from_secs(3_600);

async fn batch(
    State(node): State<AppState>,
    caller: Caller,
    params: Result<Query<IdentityParams>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    node.authorize(
        &caller,
        policy::Action::IdentityLookup,
        node.jurisdiction(),
        AuditAction::IdentityLookup,
        &[],
    )?;
    let (purpose, _) = purpose_of(&node, &caller, params, &[])?;
    let (tx, rx) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
    tokio::spawn(run(node, caller, purpose, body, tx));
    let answers = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(answers),
    )
        .into_response())
}

/// Reads the queries, answers them a chunk at a time, and ends with a [`BatchStopped`] line
/// if it must stop early.
async fn run(
    node: Arc<Node>,
    caller: Caller,
    purpose: String,
    body: Body,
    tx: mpsc::Sender<Bytes>,
) {
    let started = Instant::now();
    let mut data = body.into_data_stream();
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk: Vec<String> = Vec::with_capacity(CHUNK);
    let mut line_no: u64 = 0;
    let mut answered: u64 = 0;
    let stop = |def: &'static ErrorDef, detail: serde_json::Value, answered: u64| {
        let line = BatchStopped {
            stopped: juki_api::ErrorBody::new(def, detail),
            answered,
        };
        let mut b = serde_json::to_vec(&line).unwrap_or_default();
        b.push(b'\n');
        Bytes::from(b)
    };
    let mut ended = false;
    loop {
        // Cut whole lines out of what has arrived.
        while let Some(at) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=at).collect();
            line_no += 1;
            chunk.push(String::from_utf8_lossy(&line[..line.len() - 1]).into_owned());
            if chunk.len() == CHUNK {
                break;
            }
        }
        if pending.len() > BATCH_LINE_BYTES_MAX && chunk.len() < CHUNK {
            let detail =
                serde_json::json!({ "line": line_no + 1, "line_bytes_max": BATCH_LINE_BYTES_MAX });
            let _ = tx.send(stop(&NODE_BODY_TOO_LARGE, detail, answered)).await;
            return;
        }
        if ended && !pending.is_empty() && chunk.len() < CHUNK {
            line_no += 1;
            chunk.push(String::from_utf8_lossy(&std::mem::take(&mut pending)).into_owned());
        }
        if line_no > BATCH_QUERIES_MAX {
            let detail = serde_json::json!({ "queries_max": BATCH_QUERIES_MAX });
            let _ = tx.send(stop(&NODE_TOO_MANY, detail, answered)).await;
            return;
        }
        if started.elapsed() > BATCH_TIME_MAX {
            let detail = serde_json::json!({ "seconds_max": BATCH_TIME_MAX.as_secs() });
            let _ = tx.send(stop(&NODE_DEADLINE, detail, answered)).await;
            return;
        }
        if chunk.len() == CHUNK || (ended && !chunk.is_empty()) {
            let first = line_no - chunk.len() as u64 + 1;
            let lines = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            let n = lines.len() as u64;
            match answer(&node, &caller, &purpose, first, lines).await {
                Ok(bytes) => {
                    if tx.send(bytes).await.is_err() {
                        return; // the client went away
                    }
                    answered += n;
                }
                Err(e) => {
                    let _ = tx.send(stop(e.def, e.detail, answered)).await;
                    return;
                }
            }
            continue;
        }
        if ended {
            return;
        }
        match data.next().await {
            Some(Ok(bytes)) => pending.extend_from_slice(&bytes),
            Some(Err(e)) => {
                let detail = serde_json::json!({ "reason": e.to_string() });
                let _ = tx.send(stop(&NODE_BAD_BODY, detail, answered)).await;
                return;
            }
            None => ended = true,
        }
    }
}

/// One chunk: parse, look up (one read), decide each by the policy, audit, serialise.
async fn answer(
    node: &Arc<Node>,
    caller: &Caller,
    purpose: &str,
    first_line: u64,
    lines: Vec<String>,
) -> Result<Bytes, ApiError> {
    let mut answers: Vec<BatchAnswer> = Vec::with_capacity(lines.len());
    let mut codes = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        let parsed = if line.starts_with('{') {
            serde_json::from_str::<BatchQuery>(line).map_err(|_| NODE_BAD_BODY.code.to_string())
        } else {
            Ok(BatchQuery {
                id: (first_line + i as u64).to_string(),
                resident_code: line.to_string(),
            })
        };
        let code = parsed
            .as_ref()
            .ok()
            .and_then(|q| ResidentCode::parse(&q.resident_code).ok());
        let (id, resident_code) = match parsed {
            Ok(q) => (q.id, q.resident_code),
            Err(_) => ((first_line + i as u64).to_string(), String::new()),
        };
        let error = match (&code, resident_code.is_empty()) {
            (Some(_), _) => None,
            (None, true) => Some(NODE_BAD_BODY.code.to_string()),
            (None, false) => Some(NODE_BAD_QUERY.code.to_string()),
        };
        if let Some(c) = code {
            codes.push(c);
        }
        answers.push(BatchAnswer {
            id,
            resident_code,
            status: if error.is_some() {
                "refused"
            } else {
                "not-found"
            }
            .into(),
            current: None,
            error,
        });
    }
    let asked = codes.clone();
    let found = blocking(node, move |s| s.residents(&asked)).await?;
    let subject = caller.subject();
    let mut targets = Vec::with_capacity(found.len());
    let mut found = found.into_iter();
    for a in answers.iter_mut().filter(|a| a.error.is_none()) {
        let Some(Some(r)) = found.next() else {
            continue;
        };
        let target = Target {
            jurisdiction: node.holder_of(&r),
            tier: node.tier(),
        };
        if let Err(d) = policy::decide(subject, policy::Action::IdentityLookup, target) {
            a.status = "refused".into();
            a.error = Some(d.def().code.into());
            continue;
        }
        targets.push(r.record.resident_code.to_string());
        a.status = r.status.as_str().into();
        a.current = (r.status == RecordStatus::Current).then(|| identity_fields(&r));
    }
    node.audit(
        node.audit_entry(caller, AuditAction::IdentityLookup)
            .targets(targets)
            .purpose(purpose)
            .detail(format!(
                "batch, lines {first_line}–{}",
                first_line + lines.len() as u64 - 1
            )),
    )?;
    let mut out = Vec::with_capacity(answers.len() * 256);
    for a in &answers {
        serde_json::to_writer(&mut out, a)
            .map_err(|_| ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))?;
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

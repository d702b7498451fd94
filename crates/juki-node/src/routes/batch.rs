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
    let (purpose, _) = purpose_of(&node, &caller, params.ok().and_then(|q| q.0.purpose), &[])?;
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

/// Chunks being answered at once: the next is read and parsed while the last is looked up.
const CHUNKS_AT_ONCE: usize = 2;

/// Reads the queries, answers them a chunk at a time (in order, [`CHUNKS_AT_ONCE`] at once),
/// and ends with a [`BatchStopped`] line if it must stop early.
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
    let mut working = Working::new();
    let mut ended = false;
    loop {
        // Cut whole lines out of what has arrived (one pass, one move of the rest).
        let mut from = 0;
        while chunk.len() < CHUNK {
            let Some(at) = pending[from..].iter().position(|&b| b == b'\n') else {
                break;
            };
            line_no += 1;
            chunk.push(String::from_utf8_lossy(&pending[from..from + at]).into_owned());
            from += at + 1;
        }
        pending.drain(..from);
        if pending.len() > BATCH_LINE_BYTES_MAX && chunk.len() < CHUNK {
            let detail =
                serde_json::json!({ "line": line_no + 1, "line_bytes_max": BATCH_LINE_BYTES_MAX });
            flush(&mut working, &tx, &mut answered).await;
            let _ = tx
                .send(stopped_line(&NODE_BODY_TOO_LARGE, detail, answered))
                .await;
            return;
        }
        if ended && !pending.is_empty() && chunk.len() < CHUNK {
            line_no += 1;
            chunk.push(String::from_utf8_lossy(&std::mem::take(&mut pending)).into_owned());
        }
        let refusal = if line_no > BATCH_QUERIES_MAX {
            Some((
                &NODE_TOO_MANY,
                serde_json::json!({ "queries_max": BATCH_QUERIES_MAX }),
            ))
        } else if started.elapsed() > BATCH_TIME_MAX {
            Some((
                &NODE_DEADLINE,
                serde_json::json!({ "seconds_max": BATCH_TIME_MAX.as_secs() }),
            ))
        } else {
            None
        };
        if let Some((def, detail)) = refusal {
            if flush(&mut working, &tx, &mut answered).await {
                let _ = tx.send(stopped_line(def, detail, answered)).await;
            }
            return;
        }
        if chunk.len() == CHUNK || (ended && !chunk.is_empty()) {
            let first = line_no - chunk.len() as u64 + 1;
            let lines = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            let n = lines.len() as u64;
            let (node, caller, purpose) = (node.clone(), caller.clone(), purpose.clone());
            working.push_back((
                n,
                tokio::spawn(async move { answer(&node, &caller, &purpose, first, lines).await }),
            ));
            if working.len() >= CHUNKS_AT_ONCE
                && !send_first(&mut working, &tx, &mut answered).await
            {
                return;
            }
            continue;
        }
        if ended {
            flush(&mut working, &tx, &mut answered).await;
            return;
        }
        match data.next().await {
            Some(Ok(bytes)) => pending.extend_from_slice(&bytes),
            Some(Err(e)) => {
                let detail = serde_json::json!({ "reason": e.to_string() });
                if flush(&mut working, &tx, &mut answered).await {
                    let _ = tx
                        .send(stopped_line(&NODE_BAD_BODY, detail, answered))
                        .await;
                }
                return;
            }
            None => ended = true,
        }
    }
}

/// The last line of a batch that ends early.
fn stopped_line(def: &'static ErrorDef, detail: serde_json::Value, answered: u64) -> Bytes {
    let line = BatchStopped {
        stopped: juki_api::ErrorBody::new(def, detail),
        answered,
    };
    let mut b = serde_json::to_vec(&line).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

type Working = std::collections::VecDeque<(u64, tokio::task::JoinHandle<Result<Bytes, ApiError>>)>;

/// Sends the oldest chunk's answers, or the line saying why it failed; false when the batch
/// must end (a failure, or the client went away).
async fn send_first(working: &mut Working, tx: &mpsc::Sender<Bytes>, answered: &mut u64) -> bool {
    let Some((n, handle)) = working.pop_front() else {
        return true;
    };
    let result = handle
        .await
        .unwrap_or_else(|_| Err(ApiError::new(&juki_domain::catalogue::NODE_INTERNAL)));
    match result {
        Ok(bytes) => {
            if tx.send(bytes).await.is_err() {
                return false;
            }
            *answered += n;
            true
        }
        Err(e) => {
            let _ = tx.send(stopped_line(e.def, e.detail, *answered)).await;
            false
        }
    }
}

/// Sends every chunk being answered, in order; false when the batch must end.
async fn flush(working: &mut Working, tx: &mpsc::Sender<Bytes>, answered: &mut u64) -> bool {
    while !working.is_empty() {
        if !send_first(working, tx, answered).await {
            return false;
        }
    }
    true
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

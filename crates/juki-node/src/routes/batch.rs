//! Identity verification in bulk for agencies (本人確認情報の一括提供): `POST
//! /v1/identity/batch?purpose=P` at prefecture and national nodes. JSON lines in — one query per
//! line, `{"id", "resident_code"}`, a bare resident code, or `{"id", "kana", "birth_date",
//! "sex", …}` by the four facts (answered with ranked candidates) — and JSON lines out, one answer per
//! query in order, streamed both ways: up to 1,000,000 queries in one request, in memory a
//! chunk of 1,000 at a time. Each chunk's residents are audited (one entry, the purpose, every
//! resident answered) before its answers are sent.

use super::identity;
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
use juki_api::{
    BATCH_CANDIDATES_DEFAULT, BATCH_LINE_BYTES_MAX, BATCH_QUERIES_MAX, BatchAnswer, BatchQuery,
    BatchStopped,
};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::{
    NODE_BAD_BODY, NODE_BAD_QUERY, NODE_BODY_TOO_LARGE, NODE_DEADLINE, NODE_TOO_MANY,
};
use juki_domain::matching::MatchQuery;
use juki_domain::{ErrorDef, RecordStatus, ResidentCode, StoredResident};
use juki_store::SearchQuery;
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

/// What a query line asks.
enum Asked {
    /// The resident with this code.
    Code(ResidentCode),
    /// The residents who may be the person described by the four facts: the matching query,
    /// the store's search and the number of candidates.
    Facts(Box<(MatchQuery, SearchQuery, usize)>),
    /// Nothing answerable: the line's error code.
    Bad(&'static str),
}

/// Reads query line number `line_no`: its id, its resident code (empty for the four facts)
/// and what it asks.
fn read_line(line: &str, line_no: u64) -> (String, String, Asked) {
    let line = line.trim();
    let by_code = |id: String, code: String| {
        let asked = match ResidentCode::parse(&code) {
            Ok(c) => Asked::Code(c),
            Err(_) if code.is_empty() => Asked::Bad(NODE_BAD_BODY.code),
            Err(_) => Asked::Bad(NODE_BAD_QUERY.code),
        };
        (id, code, asked)
    };
    if !line.starts_with('{') {
        return by_code(line_no.to_string(), line.to_string());
    }
    let Ok(q) = serde_json::from_str::<BatchQuery>(line) else {
        return (
            line_no.to_string(),
            String::new(),
            Asked::Bad(NODE_BAD_BODY.code),
        );
    };
    let id = if q.id.is_empty() {
        line_no.to_string()
    } else {
        q.id
    };
    let by_facts = q.kana.is_some() || q.birth_date.is_some() || q.sex.is_some();
    if !by_facts {
        return by_code(id, q.resident_code);
    }
    if !q.resident_code.is_empty() {
        return (id, q.resident_code, Asked::Bad(NODE_BAD_QUERY.code));
    }
    let facts = identity::Facts {
        kana: q.kana.unwrap_or_default(),
        birth_date: q.birth_date.unwrap_or_default(),
        sex: q.sex.unwrap_or_default(),
        name: q.name,
        address_code: q.address_code,
        address: q.address,
    };
    let asked = identity::parse(facts)
        .and_then(|(m, s)| Ok((m, s, identity::limit_of(q.limit, BATCH_CANDIDATES_DEFAULT)?)))
        .map_or_else(|e| Asked::Bad(e.def.code), |f| Asked::Facts(Box::new(f)));
    (id, String::new(), asked)
}

/// One chunk: parse, look up (one read for the codes, one search per query by the four
/// facts), decide each resident by the policy, audit, serialise.
async fn answer(
    node: &Arc<Node>,
    caller: &Caller,
    purpose: &str,
    first_line: u64,
    lines: Vec<String>,
) -> Result<Bytes, ApiError> {
    let mut answers: Vec<BatchAnswer> = Vec::with_capacity(lines.len());
    let mut codes = Vec::with_capacity(lines.len());
    let mut searches = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let (id, resident_code, asked) = read_line(line, first_line + i as u64);
        let error = match asked {
            Asked::Code(c) => {
                codes.push((i, c));
                None
            }
            Asked::Facts(f) => {
                searches.push((i, f));
                None
            }
            Asked::Bad(code) => Some(code.to_string()),
        };
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
            candidates: Vec::new(),
            error,
        });
    }
    let asked: Vec<ResidentCode> = codes.iter().map(|(_, c)| *c).collect();
    let queries: Vec<SearchQuery> = searches.iter().map(|(_, f)| f.1.clone()).collect();
    let (found, hits) = blocking(node, move |s| {
        let found = s.residents(&asked)?;
        let hits = queries
            .iter()
            .map(|q| s.search(q))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((found, hits))
    })
    .await?;
    let subject = caller.subject();
    let allowed = |r: &StoredResident| {
        let target = Target {
            jurisdiction: node.holder_of(r),
            tier: node.tier(),
        };
        policy::decide(subject, policy::Action::IdentityLookup, target).map_err(|d| d.def().code)
    };
    let mut targets = Vec::with_capacity(found.len());
    for ((i, _), r) in codes.iter().zip(found) {
        let Some(r) = r else { continue };
        let a = &mut answers[*i];
        if let Err(code) = allowed(&r) {
            a.status = "refused".into();
            a.error = Some(code.into());
            continue;
        }
        targets.push(r.record.resident_code.to_string());
        a.status = r.status.as_str().into();
        a.current = (r.status == RecordStatus::Current).then(|| identity_fields(&r));
    }
    for ((i, f), hits) in searches.into_iter().zip(hits) {
        let (query, _, limit) = *f;
        let a = &mut answers[i];
        for (r, score) in identity::best(&query, hits, limit) {
            if allowed(&r).is_ok() {
                targets.push(r.record.resident_code.to_string());
                a.candidates.push(identity::candidate(&r, &score));
            }
        }
        if !a.candidates.is_empty() {
            a.status = "matched".into();
        }
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

//! The HTTP routes of a node (docs/api.md) and the middleware around them.

use crate::caller::Caller;
pub(crate) mod operators;

use crate::config::Role;
use crate::error::ApiError;
use crate::metrics::{ChildLabels, OutcomeLabels, RouteLabels, RouteOnly};
use crate::policy;
use crate::server::{Node, Peer};
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use juki_api::{
    ChangeResult, ChangeStatus, ForwardRequest, ForwardResponse, Health, PoolGrant, PoolRequest,
    ProblemJson, RecordResponse, SearchResponse, SearchResult, Status, SubmitRequest,
    SubmitResponse, Warning, protocol_compatible,
};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::{
    NET_LAGGING, NET_OUTSIDE_JURISDICTION, NET_PARENT_UNREACHABLE, NET_POOL_EXHAUSTED,
    NET_PROTOCOL_VERSION, NET_WRONG_ROLE, NODE_BAD_BODY, NODE_BAD_QUERY, NODE_BODY_TOO_LARGE,
    NODE_DEADLINE, NODE_INTERNAL, NODE_NO_ROUTE, NODE_OVERLOADED, NODE_RECORD_NOT_FOUND,
    NODE_TOO_MANY,
};
use juki_domain::change::{ValidationContext, validate};
use juki_domain::{LocalGovernmentCode, Problem, RawChange, ResidentCode, Sex, date, lgc, name};
use juki_store::{JournalEntry, LinkFrom, Outcome, SEARCH_LIMIT_MAX, SearchQuery, Store};
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod approvals;
mod batch;
pub(crate) mod certificate;
mod digest;
pub(crate) mod gateway;
pub(crate) mod identity;
pub(crate) mod moves;
pub(crate) mod restore;
mod route;
mod security;

type AppState = Arc<Node>;

pub fn router(node: Arc<Node>) -> Router {
    let api = Router::new()
        .route("/v1/changes", post(submit_changes))
        .route("/v1/records/{code}", get(get_record))
        .route("/v1/search", get(search))
        .route("/v1/status", get(status))
        .route("/v1/link/forward", post(link_forward))
        .route("/v1/link/code-pools", post(link_code_pools))
        .merge(security::routes())
        .merge(batch::routes())
        .merge(digest::routes())
        .merge(certificate::routes())
        .merge(moves::routes())
        .merge(gateway::routes())
        .merge(identity::routes())
        .merge(approvals::routes())
        .merge(operators::routes())
        .merge(route::routes())
        .merge(restore::routes())
        .route_layer(middleware::from_fn_with_state(node.clone(), admit));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(api)
        .fallback(|| async { ApiError::new(&NODE_NO_ROUTE) })
        .layer(crate::ratelimit::layer(&node))
        .layer(middleware::from_fn_with_state(node.clone(), observe))
        .with_state(node)
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// Gives every request an id, logs it (route, status, duration — never personal data) and
/// counts it.
async fn observe(State(node): State<AppState>, mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let id = format!(
        "{:x}-{:x}",
        node.boot_id,
        REQUEST_IDS.fetch_add(1, Ordering::Relaxed)
    );
    req.extensions_mut()
        .insert(crate::caller::RequestId(id.clone()));
    let method = req.method().clone();
    let started = Instant::now();
    let mut resp = next.run(req).await;
    let elapsed = started.elapsed();
    let status = resp.status().as_u16();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    node.metrics
        .requests
        .get_or_create(&RouteLabels {
            route: route.clone(),
            status,
        })
        .inc();
    node.metrics
        .request_seconds
        .get_or_create(&RouteOnly {
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());
    tracing::info!(request_id = %id, %method, route = %route, status, elapsed_us = elapsed.as_micros() as u64, "request");
    resp
}

/// Admission control: at most `concurrent_requests_max` requests at once; the rest are shed
/// at once with 503 and Retry-After rather than queued, so admitted requests keep their
/// latency. Each admitted request has a deadline.
async fn admit(State(node): State<AppState>, req: Request, next: Next) -> Response {
    let Ok(_permit) = node.admission.clone().try_acquire_owned() else {
        node.metrics.shed.inc();
        return ApiError::new(&NODE_OVERLOADED).into_response();
    };
    node.metrics.in_flight.inc();
    let deadline = Duration::from_millis(node.config.limits.request_timeout_ms);
    let resp = match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(&NODE_DEADLINE).into_response(),
    };
    node.metrics.in_flight.dec();
    resp
}

/// Runs store work on a blocking thread.
async fn blocking<T: Send + 'static>(
    node: &AppState,
    f: impl FnOnce(&dyn Store) -> Result<T, juki_store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = node.store.clone();
    match tokio::task::spawn_blocking(move || f(&*store)).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "store task failed");
            Err(ApiError::new(&NODE_INTERNAL))
        }
    }
}

/// Runs a short store read (a point lookup) on this worker thread, telling the runtime to move
/// its other tasks elsewhere meanwhile (`block_in_place`): a lookup takes tens of microseconds,
/// and handing it to a blocking thread and back cost more than that and made the latency tail
/// (docs/BENCHMARKS.md). On a single-threaded runtime (tests) it falls back to [`blocking`].
async fn read_inline<T: Send + 'static>(
    node: &AppState,
    f: impl FnOnce(&dyn Store) -> Result<T, juki_store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() != RuntimeFlavor::MultiThread {
        return blocking(node, f).await;
    }
    let store = node.store.clone();
    tokio::task::block_in_place(move || f(&*store)).map_err(ApiError::from)
}

async fn healthz(State(node): State<AppState>) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        role: node.config.role.as_str().into(),
        code: node.config.code.map(|c| c.to_string()),
        name: node.config.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol: juki_api::PROTOCOL_VERSION,
    })
}

async fn metrics(State(node): State<AppState>) -> Response {
    if let Ok(stats) = blocking(&node, |s| s.stats()).await {
        node.metrics
            .residents_current
            .set(stats.residents_current as i64);
        node.metrics.journal_head.set(stats.journal_head as i64);
        node.metrics
            .codes_available
            .set(stats.codes_available as i64);
    }
    if let Some(log) = &node.audit {
        node.metrics.audit_written.set(log.written() as i64);
        node.metrics.audit_queue_depth.set(log.depth() as i64);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        node.metrics.encode(),
    )
        .into_response()
}

/// Reads a JSON body within the node's size limit.
pub(super) async fn json_body<T: serde::de::DeserializeOwned>(
    node: &AppState,
    body: Body,
) -> Result<T, ApiError> {
    let limit = node.config.limits.body_bytes_max;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::with(
            &NODE_BODY_TOO_LARGE,
            serde_json::json!({ "body_bytes_max": limit }),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::with(
            &NODE_BAD_BODY,
            serde_json::json!({ "reason": e.to_string() }),
        )
    })
}

async fn submit_changes(
    State(node): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<axum::Json<SubmitResponse>, ApiError> {
    node.authorize(
        &caller,
        policy::Action::Change,
        node.jurisdiction(),
        AuditAction::Change,
        &[],
    )?;
    let Some(code) = node.config.code else {
        return Err(ApiError::new(&NODE_INTERNAL));
    };
    let req: SubmitRequest = json_body(&node, body).await?;
    let max = node.config.limits.changes_per_request_max;
    if req.changes.len() > max {
        return Err(ApiError::with(
            &NODE_TOO_MANY,
            serde_json::json!({ "changes_per_request_max": max }),
        ));
    }
    let ctx = ValidationContext {
        node: code,
        today: node.clock.today_tokyo(),
    };
    let mut results: Vec<Option<ChangeResult>> = Vec::with_capacity(req.changes.len());
    let mut valid = Vec::new();
    let mut valid_at = Vec::new();
    for (i, input) in req.changes.into_iter().enumerate() {
        let raw: RawChange = input.into();
        match validate(&raw, &ctx) {
            Ok(v) => {
                valid.push(v);
                valid_at.push(i);
                results.push(None);
            }
            Err(problems) => results.push(Some(refused(raw.record_id, None, &problems))),
        }
    }
    let now_ms = node.clock.now_ms();
    let ids: Vec<String> = valid.iter().map(|v| v.record_id.clone()).collect();
    let assigns = valid.iter().any(|v| v.resident_code.is_none());
    let outcomes = blocking(&node, move |s| s.apply(code, now_ms, &valid)).await?;
    node.journal_grew.notify_one();
    if assigns {
        node.pool_low.notify_one();
    }
    for ((i, record_id), outcome) in valid_at.into_iter().zip(ids).zip(outcomes) {
        results[i] = Some(match outcome {
            Outcome::Applied { seq, resident_code } => ChangeResult {
                record_id,
                status: ChangeStatus::Applied,
                sequence: Some(seq),
                resident_code: Some(resident_code.to_string()),
                errors: vec![],
            },
            Outcome::Duplicate { seq, resident_code } => ChangeResult {
                record_id,
                status: ChangeStatus::Duplicate,
                sequence: Some(seq),
                resident_code: Some(resident_code.to_string()),
                errors: vec![],
            },
            Outcome::Refused(p) => refused(record_id, None, &[p]),
        });
    }
    let touched: Vec<String> = results
        .iter()
        .flatten()
        .filter(|r| r.status != ChangeStatus::Refused)
        .filter_map(|r| r.resident_code.clone())
        .collect();
    audit_changes(&node, &caller, touched).await?;
    let mut resp = SubmitResponse::default();
    for r in results.into_iter().flatten() {
        let (counter, outcome) = match r.status {
            ChangeStatus::Applied => (&mut resp.applied, "applied"),
            ChangeStatus::Duplicate => (&mut resp.duplicates, "duplicate"),
            ChangeStatus::Refused => (&mut resp.refused, "refused"),
        };
        *counter += 1;
        node.metrics
            .changes
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
        resp.results.push(r);
    }
    Ok(axum::Json(resp))
}

/// How long a request whose changes are already recorded waits for the audit log to take their
/// entry before it answers 503 (a retry then records the changes as duplicates, audited).
const CHANGE_AUDIT_WAIT: Duration = Duration::from_secs(2);

/// Audits the residents a change request recorded, in entries of at most
/// [`juki_audit::TARGETS_MAX`] codes. The changes are already committed, so a full audit queue
/// is waited on (briefly) rather than refused at once: the entry must not be lost.
async fn audit_changes(node: &Node, caller: &Caller, touched: Vec<String>) -> Result<(), ApiError> {
    let started = Instant::now();
    for chunk in touched.chunks(juki_audit::TARGETS_MAX) {
        loop {
            let entry = node
                .audit_entry(caller, AuditAction::Change)
                .targets(chunk.to_vec());
            match node.audit(entry) {
                Ok(()) => break,
                Err(e) if started.elapsed() < CHANGE_AUDIT_WAIT => {
                    tracing::debug!(
                        code = e.def.code,
                        "audit log busy; waiting to record changes"
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => {
                    tracing::error!(
                        code = e.def.code,
                        "changes recorded but their audit entry was refused"
                    );
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

fn refused(record_id: String, resident_code: Option<String>, problems: &[Problem]) -> ChangeResult {
    ChangeResult {
        record_id,
        status: ChangeStatus::Refused,
        sequence: None,
        resident_code,
        errors: problems.iter().map(ProblemJson::from).collect(),
    }
}

/// An audit entry here about resident `code`, for a routed request that a clerk
/// (`requested_by`) made at another municipality's window.
fn routed_entry(
    node: &Node,
    env: &juki_api::RouteEnvelope,
    requested_by: &str,
    action: AuditAction,
    code: ResidentCode,
) -> juki_audit::AuditEntry {
    juki_audit::AuditEntry::new(
        node.clock.now_ms(),
        requested_by.chars().take(200).collect::<String>().as_str(),
        "clerk",
        node.node_uri.as_str(),
        action,
    )
    .targets(vec![code.to_string()])
    .request_id(env.request_id.chars().take(128).collect::<String>())
}

/// A field of a query string that failed its rule.
fn bad_query(field: &'static str, p: Problem) -> ApiError {
    ApiError::with(
        &NODE_BAD_QUERY,
        serde_json::json!({ "errors": [ProblemJson::from(&p.field(field))] }),
    )
}

async fn get_record(
    State(node): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<axum::Json<RecordResponse>, ApiError> {
    let code = ResidentCode::parse(&code).map_err(|p| bad_query("resident_code", p))?;
    let targets = [code.to_string()];
    let view = read_inline(&node, move |s| s.record(code)).await?;
    let whose = node.whose(view.as_ref().map(|v| &v.current));
    node.authorize(
        &caller,
        policy::Action::ReadRecord,
        whose,
        AuditAction::Read,
        &targets,
    )?;
    let Some(view) = view else {
        return Err(node.deny(
            &caller,
            AuditAction::Read,
            &targets,
            &NODE_RECORD_NOT_FOUND,
            policy::Action::ReadRecord,
        ));
    };
    node.audit(
        node.audit_entry(&caller, AuditAction::Read)
            .targets(targets.to_vec()),
    )?;
    Ok(axum::Json(RecordResponse::from(&view)))
}

/// A query string that does not parse: 422 JK-NODE-0110 with the reason.
fn query_params<T>(
    params: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, ApiError> {
    params.map(|Query(p)| p).map_err(|e| {
        ApiError::with(
            &NODE_BAD_QUERY,
            serde_json::json!({ "reason": e.body_text() }),
        )
    })
}

/// The four facts of a search, checked: the reading's search key, the birth date, the sex and
/// the address code if one is given.
fn four_facts(
    kana: &str,
    birth_date: &str,
    sex: &str,
    address_code: Option<&str>,
) -> Result<
    (
        String,
        juki_domain::BirthDate,
        Sex,
        Option<LocalGovernmentCode>,
    ),
    ApiError,
> {
    let search_key = name::kana_search_key(kana);
    if search_key.is_empty() {
        return Err(ApiError::with(
            &NODE_BAD_QUERY,
            serde_json::json!({ "reason": "kana is empty" }),
        ));
    }
    let birth_date = date::parse_birth_date(birth_date).map_err(|e| bad_query("birth_date", e))?;
    let sex = Sex::parse(sex).map_err(|e| bad_query("sex", e))?;
    let address_code = address_code
        .map(LocalGovernmentCode::parse)
        .transpose()
        .map_err(|e| bad_query("address_code", e))?;
    Ok((search_key, birth_date, sex, address_code))
}

/// `GET /v1/search` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    kana: String,
    birth_date: String,
    sex: String,
    address_code: Option<String>,
    address_prefix: Option<String>,
    #[serde(default)]
    include_closed: bool,
    limit: Option<usize>,
    page_token: Option<String>,
}

async fn search(
    State(node): State<AppState>,
    caller: Caller,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<SearchResponse>, ApiError> {
    node.authorize(
        &caller,
        policy::Action::Search,
        node.jurisdiction(),
        AuditAction::Search,
        &[],
    )?;
    let p = query_params(params)?;
    let (search_key, birth_date, sex, address_code) =
        four_facts(&p.kana, &p.birth_date, &p.sex, p.address_code.as_deref())?;
    let after = p
        .page_token
        .as_deref()
        .map(ResidentCode::parse)
        .transpose()
        .map_err(|e| bad_query("page_token", e))?;
    let limit = p.limit.unwrap_or(100);
    if limit == 0 || limit > SEARCH_LIMIT_MAX {
        return Err(ApiError::with(
            &NODE_TOO_MANY,
            serde_json::json!({ "limit_max": SEARCH_LIMIT_MAX }),
        ));
    }
    let q = SearchQuery {
        search_key,
        birth_date,
        sex,
        address_code,
        address_prefix: p.address_prefix.filter(|s| !s.is_empty()),
        include_closed: p.include_closed,
        after,
        limit,
    };
    let hits = blocking(&node, move |s| s.search(&q)).await?;
    let found: Vec<String> = hits
        .iter()
        .map(|h| h.resident.record.resident_code.to_string())
        .collect();
    node.audit(
        node.audit_entry(&caller, AuditAction::Search)
            .targets(found),
    )?;
    let next_page_token = (hits.len() == limit)
        .then(|| {
            hits.last()
                .map(|h| h.resident.record.resident_code.to_string())
        })
        .flatten();
    Ok(axum::Json(SearchResponse {
        results: hits
            .iter()
            .map(|h| SearchResult::from(&h.resident))
            .collect(),
        next_page_token,
    }))
}

async fn status(
    State(node): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Status>, ApiError> {
    if caller.identity.role.is_node() {
        // A child node asking how its parent stands.
    } else {
        node.authorize(
            &caller,
            policy::Action::ReadStatus,
            node.jurisdiction(),
            AuditAction::Admin("status".into()),
            &[],
        )?;
    }
    let stats = blocking(&node, |s| s.stats()).await?;
    let link = node.link_state();
    let mut warnings = Vec::new();
    if link.error.is_some() {
        warnings.push(Warning::from(&NET_PARENT_UNREACHABLE));
    }
    if link.lag_ms > LAG_WARNING_MS {
        warnings.push(Warning::from(&NET_LAGGING));
    }
    warnings.extend(node.cert_warnings());
    if node.config.hours.always_open {
        warnings.push(Warning::from(&juki_domain::catalogue::POLICY_ALWAYS_OPEN));
    }
    if crate::backup::same_storage(&node) {
        warnings.push(Warning::from(&juki_domain::catalogue::BAK_SAME_STORAGE));
    }
    if crate::backup::overdue(&node) {
        warnings.push(Warning::from(&juki_domain::catalogue::BAK_OVERDUE));
    }
    if node.metrics.backup_drill_failed.get() == 1 {
        warnings.push(Warning::from(&juki_domain::catalogue::BAK_DRILL_FAILED));
    }
    if node.metrics.backup_drill_overdue.get() == 1 {
        warnings.push(Warning::from(&juki_domain::catalogue::BAK_DRILL_OVERDUE));
    }
    warnings.extend(crate::digest::warning(&node));
    if node.moves.is_some() && crate::moves::on_book(&node, |b| b.pending_notices()).await? > 0 {
        warnings.push(Warning::from(
            &juki_domain::catalogue::SVC_MOVE_NOTICE_PENDING,
        ));
    }
    Ok(axum::Json(Status {
        role: node.config.role.as_str().into(),
        code: node.config.code.map(|c| c.to_string()),
        name: node.config.name.clone(),
        parent: node.config.parent.clone(),
        residents: stats.residents_current,
        lag_changes: link.lag_changes,
        lag_ms: link.lag_ms,
        queue_depth: node
            .config
            .limits
            .concurrent_requests_max
            .saturating_sub(node.admission.available_permits()) as u64,
        warnings,
        epoch: stats.epoch,
        journal_head: stats.journal_head,
        codes_available: stats.codes_available,
        protocol: juki_api::PROTOCOL_VERSION,
    }))
}

/// Oldest unacknowledged change, ms, past which `status` warns.
const LAG_WARNING_MS: u64 = 60_000;
/// The largest code pool one request may ask for.
const POOL_REQUEST_MAX: u64 = 10_000_000;

/// Checks that `from` is a child of this node: a municipality of this prefecture, or a
/// prefecture of the nation.
fn child_of(node: &Node, from: &str) -> Result<LocalGovernmentCode, ApiError> {
    let wrong = |reason: &str| {
        ApiError::with(
            &NET_WRONG_ROLE,
            serde_json::json!({ "from": from, "reason": reason }),
        )
    };
    let from =
        LocalGovernmentCode::parse(from).map_err(|_| wrong("not a local government code"))?;
    let kind = lgc::table().get(from).map(|r| r.kind);
    match (node.config.role, node.config.code) {
        (Role::National, _) if kind == Some(lgc::LgcKind::Prefecture) => Ok(from),
        (Role::Prefecture, Some(me))
            if kind.is_some_and(|k| k.has_node()) && from.prefecture() == me.prefecture() =>
        {
            Ok(from)
        }
        (Role::Municipal, _) => Err(wrong("a municipal node has no children")),
        _ => Err(wrong("the sender is not a child of this node")),
    }
}

/// Checks a link request: a protocol version this node speaks, a sender that is a child of
/// this node, and a client certificate that is that child's.
fn link_sender(
    node: &Node,
    protocol: u32,
    from: &str,
    peer: Option<axum::Extension<Peer>>,
) -> Result<LocalGovernmentCode, ApiError> {
    if !protocol_compatible(protocol) {
        return Err(ApiError::with(
            &NET_PROTOCOL_VERSION,
            serde_json::json!({ "theirs": protocol, "ours": juki_api::PROTOCOL_VERSION }),
        ));
    }
    let from = child_of(node, from)?;
    node.authorize_child(peer.map(|p| p.0), from)?;
    Ok(from)
}

async fn link_forward(
    State(node): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    body: Body,
) -> Result<axum::Json<ForwardResponse>, ApiError> {
    let req: ForwardRequest = json_body(&node, body).await?;
    let from = link_sender(&node, req.protocol, &req.from, peer)?;
    let max = node.config.limits.changes_per_request_max;
    if req.entries.len() > max {
        return Err(ApiError::with(
            &NODE_TOO_MANY,
            serde_json::json!({ "changes_per_request_max": max }),
        ));
    }
    let mut entries = Vec::with_capacity(req.entries.len());
    for w in req.entries {
        let seq = w.seq;
        let e = JournalEntry::try_from(w).map_err(|b| {
            ApiError::with(
                &NODE_BAD_BODY,
                serde_json::json!({ "sequence": seq, "reason": b.to_string() }),
            )
        })?;
        // A municipal node forwards what it recorded; a prefecture what its municipalities did.
        let inside = match node.config.role {
            Role::National => e.recorded_by.prefecture() == from.prefecture(),
            _ => e.recorded_by == from,
        };
        if !inside {
            return Err(ApiError::with(
                &NET_OUTSIDE_JURISDICTION,
                serde_json::json!({ "sequence": seq, "recorded_by": e.recorded_by.to_string() }),
            ));
        }
        entries.push(e);
    }
    let link = LinkFrom {
        node: from.to_string(),
        epoch: req.epoch,
    };
    let received = blocking(&node, move |s| s.receive(&link, &entries)).await?;
    if received.applied > 0 {
        node.journal_grew.notify_one();
        node.metrics
            .link_received
            .get_or_create(&ChildLabels {
                child: from.to_string(),
            })
            .inc_by(received.applied);
    }
    Ok(axum::Json(ForwardResponse {
        protocol: juki_api::PROTOCOL_VERSION,
        acked: received.acked,
        applied: received.applied,
        duplicates: received.duplicates,
        held_back: received.held_back,
    }))
}

async fn link_code_pools(
    State(node): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    body: Body,
) -> Result<axum::Json<PoolGrant>, ApiError> {
    let req: PoolRequest = json_body(&node, body).await?;
    let from = link_sender(&node, req.protocol, &req.from, peer)?;
    if req.size == 0 || req.size > POOL_REQUEST_MAX {
        return Err(ApiError::with(
            &NODE_TOO_MANY,
            serde_json::json!({ "size_max": POOL_REQUEST_MAX }),
        ));
    }
    let size = req.size;
    match blocking(&node, move |s| s.grant_code_pool(size)).await? {
        Some(pool) => {
            tracing::info!(child = %from, codes = size, "resident code pool granted");
            node.pool_low.notify_one();
            Ok(axum::Json(PoolGrant {
                protocol: juki_api::PROTOCOL_VERSION,
                start: pool.start,
                end: pool.end,
            }))
        }
        None => Err(ApiError::new(&NET_POOL_EXHAUSTED)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::config::{InitOptions, NodeConfig, Role, init};
    use axum::http::{Request as HttpRequest, StatusCode};
    use tower::ServiceExt;

    /// POSTs `body` to `path` as `peer`; the status and the JSON answer.
    pub(crate) async fn post_as(
        node: &Arc<Node>,
        path: &str,
        peer: Peer,
        body: Vec<u8>,
    ) -> (axum::http::StatusCode, serde_json::Value) {
        use tower::ServiceExt;
        let mut req = axum::http::Request::post(path)
            .body(Body::from(body))
            .unwrap();
        req.extensions_mut().insert(peer);
        let resp = router(node.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    pub(crate) fn node(dir: &std::path::Path, tune: impl FnOnce(&mut NodeConfig)) -> Arc<Node> {
        let clock = Arc::new(FixedClock::new("2026-04-10T01:00:00Z".parse().unwrap()));
        node_at(dir, tune, clock)
    }

    /// A 中野区 node in `dir` whose time is `clock`'s.
    pub(crate) fn node_at(
        dir: &std::path::Path,
        tune: impl FnOnce(&mut NodeConfig),
        clock: Arc<FixedClock>,
    ) -> Arc<Node> {
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
        tune(&mut config);
        let store = Arc::new(config.open_store().unwrap());
        let moves = crate::moves::open(&config).unwrap();
        Arc::new(Node::new(config, store, clock).with_moves(moves))
    }

    /// The clerk of 中野区, as a verified client certificate would say.
    fn clerk() -> Peer {
        let code = LocalGovernmentCode::parse("131148").unwrap();
        Peer(Some(
            juki_pki::Identity::new(
                juki_pki::Role::Clerk,
                juki_pki::Jurisdiction::Local(code),
                "clerk",
            )
            .unwrap(),
        ))
    }

    async fn call(
        node: &Arc<Node>,
        mut req: HttpRequest<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        req.extensions_mut().insert(clerk());
        let resp = router(node.clone()).oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (parts.status, parts.headers, json)
    }

    fn get(path: &str) -> HttpRequest<Body> {
        HttpRequest::get(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn at_capacity_requests_are_shed_with_retry_after_and_health_still_answers() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), |c| c.limits.concurrent_requests_max = 2);
        let held = node.admission.clone().try_acquire_many_owned(2).unwrap();
        let (status, headers, body) = call(&node, get("/v1/records/12345678903")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers.get("retry-after").unwrap(), "1");
        assert_eq!(body["code"], "JK-NODE-0101");
        assert!(body["message_ja"].as_str().unwrap().contains("混雑"));
        let (status, _, _) = call(&node, get("/healthz")).await;
        assert_eq!(status, StatusCode::OK, "health is not subject to admission");
        drop(held);
        let (status, _, body) = call(&node, get("/v1/records/12345678903")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("JK-NODE-0106"))
        );
        let metrics = node.metrics.encode();
        assert!(
            metrics.contains("juki_http_requests_shed_total 1"),
            "{metrics}"
        );
    }

    #[tokio::test]
    async fn bodies_are_bounded_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), |c| c.limits.body_bytes_max = 2048);
        let post = |body: Vec<u8>| {
            HttpRequest::post("/v1/changes")
                .body(Body::from(body))
                .unwrap()
        };
        let (status, _, body) = call(&node, post(vec![b' '; 4096])).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("JK-NODE-0102"))
        );
        let (status, _, body) = call(&node, post(b"{\"changes\": 3}".to_vec())).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("JK-NODE-0103"))
        );
        let (status, _, body) =
            call(&node, post(b"{\"changes\": [], \"extra\": 1}".to_vec())).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("JK-NODE-0103"))
        );
        let (status, _, body) = call(&node, get("/v2/nothing")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("JK-NODE-0104"))
        );
    }

    #[tokio::test]
    async fn too_many_changes_in_one_request_are_refused_whole() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), |c| c.limits.changes_per_request_max = 1);
        let body = br#"{"changes": [{"record_id": "A"}, {"record_id": "B"}]}"#.to_vec();
        let (status, _, body) = call(
            &node,
            HttpRequest::post("/v1/changes")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("JK-NODE-0107"))
        );
        assert_eq!(node.store.stats().unwrap().journal_head, 0);
    }

    #[tokio::test]
    async fn search_parameters_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), |_| {});
        let (status, _, body) = call(
            &node,
            get("/v1/search?kana=%E3%82%B5&birth_date=1998-13-01&sex=%E5%A5%B3"),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("JK-NODE-0110"))
        );
        assert_eq!(body["detail"]["errors"][0]["field"], "birth_date");
        let (status, _, body) = call(&node, get("/v1/search?kana=%E3%82%B5")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("JK-NODE-0110"))
        );
        let (status, _, body) = call(
            &node,
            get("/v1/search?kana=%E3%82%B5&birth_date=1998&sex=%E5%A5%B3&limit=5000"),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("JK-NODE-0107"))
        );
    }

    #[tokio::test]
    async fn status_warns_thirty_days_before_the_certificate_expires() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), |_| {});
        let (status, _, body) = call(&node, get("/v1/status")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["role"], "municipal");
        assert_eq!(body["code"], "131148");
        assert_eq!(body["parent"], serde_json::Value::Null);
        assert_eq!(body["warnings"], serde_json::json!([]));
        // The same node 810 days on: its 825-day certificate expires within 30 days.
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(810 * 24);
        let clock = Arc::new(FixedClock::new(later));
        let config = NodeConfig::load(dir.path()).unwrap();
        let store = node.store.clone();
        let node = Arc::new(Node::new(config, store, clock));
        let (_, _, body) = call(&node, get("/v1/status")).await;
        assert_eq!(body["warnings"][0]["code"], "JK-TLS-0110", "{body}");
        assert!(
            !body["warnings"][0]["message_ja"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn without_a_client_certificate_only_health_and_metrics_answer() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), |_| {});
        for path in ["/v1/status", "/v1/records/12345678903"] {
            let resp = router(node.clone()).oneshot(get(path)).await.unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
        }
        for path in ["/healthz", "/metrics"] {
            let resp = router(node.clone()).oneshot(get(path)).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
        }
    }
}

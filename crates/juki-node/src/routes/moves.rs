//! The special move-out/move-in at the window (docs/moves.md): `POST /v1/moves/out` at the old
//! municipality, `POST /v1/moves/in` at the new one, `GET /v1/moves/{code}` at either; and the
//! old municipality's answers to the routed kinds `move-out-fetch` and `move-in-notice`.

use super::{AppState, bad_query, json_body, read_inline};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::moves::{
    self, FETCH, MOVE_IN_WITHIN_DAYS, NOTICE, NOTIFY_AFTER_DAYS, NOTIFY_AHEAD_DAYS,
    USE_WITHIN_DAYS, days_after, on_book, own_code,
};
use crate::policy;
use crate::routing;
use crate::server::Node;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use juki_api::{
    MoveCertificate, MoveIn, MoveInNotice, MoveInNoticeAck, MoveInRequest, MoveOut, MoveOutRequest,
    MoveStatus, RecordFields, RouteEnvelope, Warning,
};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::{
    CODE_LGC_UNKNOWN, DATE_FUTURE, NET_OUTSIDE_JURISDICTION, NET_WRONG_ROLE, NODE_BAD_QUERY,
    NODE_INTERNAL, NODE_RECORD_NOT_FOUND, REC_ALREADY_REGISTERED, SVC_MOVE_ALREADY_NOTIFIED,
    SVC_MOVE_ELSEWHERE, SVC_MOVE_EXPIRED, SVC_MOVE_IN_LATE, SVC_MOVE_NOT_NOTIFIED,
    SVC_MOVE_NOTICE_PENDING, SVC_MOVE_PLANNED_DATE, SVC_MOVE_SAME_MUNICIPALITY,
};
use juki_domain::record::Address;
use juki_domain::{LocalGovernmentCode, Problem, RecordStatus, ResidentCode, date, lgc};
use juki_moves::{InState, Incoming, NewIncoming, NewOutgoing, Notified, OutState, Outgoing};
use std::sync::Arc;
use std::time::Duration;

/// How long a window waits for the old municipality's certificate data.
const FETCH_TIMEOUT: Duration = Duration::from_secs(20);

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/moves/out", post(move_out))
        .route("/v1/moves/in", post(move_in))
        .route("/v1/moves/{code}", get(status))
}

/// Registers the old municipality's side with the node's routing.
pub fn register(routing: &routing::Routing) {
    routing.register(
        FETCH,
        Arc::new(|node, env| Box::pin(async move { answer_fetch(node, env).await })),
    );
    routing.register(
        NOTICE,
        Arc::new(|node, env| Box::pin(async move { answer_notice(node, env).await })),
    );
}

/// A municipality by its code: one that exists, as the node serving it (a ward of a
/// designated city is served by the city's node).
fn municipality(s: &str) -> Result<LocalGovernmentCode, Problem> {
    let code = LocalGovernmentCode::parse(s)?;
    let table = lgc::table();
    if table.get(code).is_none() {
        return Err(Problem::new(&CODE_LGC_UNKNOWN));
    }
    Ok(table.serving_node(code).map_or(code, |g| g.code))
}

fn rfc3339(ms: i64) -> String {
    crate::access_index::rfc3339(ms)
}

fn out_view(o: &Outgoing) -> MoveOut {
    let move_in_by = date::parse_date(&o.planned_date)
        .map(|d| days_after(d, USE_WITHIN_DAYS).to_string())
        .unwrap_or_default();
    MoveOut {
        move_id: o.move_id.clone(),
        resident_code: o.resident_code.clone(),
        planned_date: o.planned_date.clone(),
        destination: o.destination.clone(),
        destination_address: o.destination_address.clone(),
        state: o.state.as_str().into(),
        notified_at: rfc3339(o.notified_at_ms),
        move_in_by,
        fetched_by: o.fetched_by.clone(),
        moved_on: o.moved_on.clone(),
        closed_sequence: o.closed_seq,
    }
}

fn in_view(i: &Incoming, resumed: bool) -> MoveIn {
    let warnings = if i.state == InState::Completed {
        vec![]
    } else {
        vec![Warning::from(&SVC_MOVE_NOTICE_PENDING)]
    };
    MoveIn {
        move_id: i.move_id.clone(),
        resident_code: i.resident_code.clone(),
        from: i.from_code.clone(),
        moved_on: i.moved_on.clone(),
        address: i.address.clone(),
        state: i.state.as_str().into(),
        sequence: i.recorded_seq,
        notice_attempts: i.attempts,
        last_error: i.last_error.clone(),
        resumed,
        warnings,
    }
}

/// A window's move request about `resident_code`: the code, the audit targets and this
/// municipality, once the clerk may record changes here.
fn at_window(
    node: &Node,
    caller: &Caller,
    resident_code: &str,
) -> Result<(ResidentCode, [String; 1], LocalGovernmentCode), ApiError> {
    let code = ResidentCode::parse(resident_code).map_err(|p| bad_query("resident_code", p))?;
    let targets = [code.to_string()];
    node.authorize(
        caller,
        policy::Action::Change,
        node.jurisdiction(),
        AuditAction::Change,
        &targets,
    )?;
    Ok((code, targets, own_code(node)?))
}

/// The municipality in `field`, which must not be this one (a move within it is a 転居).
fn other_municipality(
    s: &str,
    field: &'static str,
    here: LocalGovernmentCode,
) -> Result<LocalGovernmentCode, ApiError> {
    let m = municipality(s).map_err(|p| bad_query(field, p))?;
    if m == here {
        return Err(ApiError::new(&SVC_MOVE_SAME_MUNICIPALITY));
    }
    Ok(m)
}

/// `POST /v1/moves/out`: the move-out is notified with its planned date; its certificate data
/// stays here for the new municipality to fetch. Notifying the same move-out again answers it.
async fn move_out(
    State(node): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<axum::Json<MoveOut>, ApiError> {
    let req: MoveOutRequest = json_body(&node, body).await?;
    let (code, targets, here) = at_window(&node, &caller, &req.resident_code)?;
    let planned = date::parse_date(&req.planned_date).map_err(|p| bad_query("planned_date", p))?;
    let destination = other_municipality(&req.destination, "destination", here)?;
    Address::check_remainder("destination_address", &req.destination_address)
        .map_err(|p| bad_query("destination_address", p))?;
    let today = node.clock.today_tokyo();
    let (earliest, latest) = (
        days_after(today, -NOTIFY_AFTER_DAYS),
        days_after(today, NOTIFY_AHEAD_DAYS),
    );
    if planned < earliest || planned > latest {
        return Err(ApiError::with(
            &SVC_MOVE_PLANNED_DATE,
            serde_json::json!({
                "planned_date": planned.to_string(),
                "earliest": earliest.to_string(),
                "latest": latest.to_string(),
            }),
        ));
    }
    let view = read_inline(&node, move |s| s.record(code)).await?;
    if !view.is_some_and(|v| v.current.status == RecordStatus::Current) {
        return Err(node.deny(
            &caller,
            AuditAction::Change,
            &targets,
            &NODE_RECORD_NOT_FOUND,
            policy::Action::Change,
        ));
    }
    let new = NewOutgoing {
        resident_code: code.to_string(),
        planned_date: planned.to_string(),
        destination: destination.to_string(),
        destination_address: req.destination_address,
        notified_by: caller.identity.uri(),
    };
    let now = node.clock.now_ms();
    let here_s = here.to_string();
    let notified = on_book(&node, move |b| b.notify_out(&here_s, &new, now)).await?;
    let out = match notified {
        Notified::Created(o) | Notified::Again(o) => o,
        Notified::Conflict(o) => {
            return Err(ApiError::with(
                &SVC_MOVE_ALREADY_NOTIFIED,
                serde_json::json!({ "open": out_view(&o) }),
            ));
        }
    };
    node.audit(
        node.audit_entry(&caller, AuditAction::Change)
            .targets(targets.to_vec())
            .detail(format!(
                "special move-out {} notified (planned {}, to {})",
                out.move_id, out.planned_date, out.destination
            )),
    )?;
    Ok(axum::Json(out_view(&out)))
}

/// `POST /v1/moves/in`: fetches the old municipality's move-out certificate data, records the
/// move-in and notifies the old municipality. A repeated request resumes the procedure under
/// way (without asking the old municipality again) and records nothing twice.
async fn move_in(
    State(node): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<axum::Json<MoveIn>, ApiError> {
    let req: MoveInRequest = json_body(&node, body).await?;
    let (code, targets, here) = at_window(&node, &caller, &req.resident_code)?;
    let from = other_municipality(&req.from, "from", here)?;
    let moved_on = date::parse_date(&req.moved_on).map_err(|p| bad_query("moved_on", p))?;
    let today = node.clock.today_tokyo();
    if moved_on > today {
        return Err(ApiError::with(
            &DATE_FUTURE,
            serde_json::json!({ "field": "moved_on", "today": today.to_string() }),
        ));
    }
    let limit = days_after(moved_on, MOVE_IN_WITHIN_DAYS);
    if today > limit {
        return Err(ApiError::with(
            &SVC_MOVE_IN_LATE,
            serde_json::json!({ "moved_on": moved_on.to_string(), "limit": limit.to_string() }),
        ));
    }
    Address::check_remainder("address", &req.address).map_err(|p| bad_query("address", p))?;
    let audit = |inc: &Incoming, what: &str| {
        node.audit(
            node.audit_entry(&caller, AuditAction::Change)
                .targets(targets.to_vec())
                .detail(format!(
                    "special move-in {} from {} {what} ({})",
                    inc.move_id,
                    inc.from_code,
                    inc.state.as_str()
                )),
        )
    };

    // A procedure under way here: resume it.
    let (c, f) = (code.to_string(), from.to_string());
    if let Some(inc) = on_book(&node, move |b| b.open_in(&c, &f)).await? {
        let inc = moves::advance(&node, inc).await;
        audit(&inc, "resumed")?;
        return Ok(axum::Json(in_view(&inc, true)));
    }

    node.require_service_hours()?;
    let payload = serde_json::json!({
        "resident_code": code.to_string(),
        "to": here.to_string(),
        "requested_by": caller.identity.uri(),
    });
    let answer = routing::ask(
        &node,
        &caller.request_id,
        from,
        FETCH,
        payload,
        FETCH_TIMEOUT,
    )
    .await?;
    let cert: MoveCertificate = routing::answer_as(FETCH, answer)?;
    if cert.resident_code != code.to_string() {
        return Err(ApiError::new(&NODE_INTERNAL));
    }
    let id = cert.move_id.clone();
    if let Some(inc) = on_book(&node, move |b| b.incoming(&id)).await? {
        // Completed here before: the same answer, nothing recorded again.
        let inc = moves::advance(&node, inc).await;
        audit(&inc, "repeated")?;
        return Ok(axum::Json(in_view(&inc, true)));
    }
    if cert.state == OutState::Closed.as_str() {
        return Err(ApiError::with(
            &SVC_MOVE_ELSEWHERE,
            serde_json::json!({ "move_id": cert.move_id, "closed_by": cert.closed_by }),
        ));
    }
    let planned =
        date::parse_date(&cert.planned_date).map_err(|_| ApiError::new(&NODE_INTERNAL))?;
    let use_by = days_after(planned, USE_WITHIN_DAYS);
    if today > use_by {
        return Err(ApiError::with(
            &SVC_MOVE_EXPIRED,
            serde_json::json!({ "planned_date": cert.planned_date, "move_in_by": use_by.to_string() }),
        ));
    }
    // The change must pass its rules before the procedure is recorded: a refusal leaves
    // nothing behind.
    moves::check(
        &node,
        &moves::move_in_change(&cert, &req, here, today),
        here,
    )?;
    let held = read_inline(&node, move |s| s.record(code)).await?;
    if held.is_some_and(|v| v.current.status == RecordStatus::Current) {
        return Err(ApiError::with(
            &REC_ALREADY_REGISTERED,
            serde_json::json!({ "field": "resident_code" }),
        ));
    }
    let new = NewIncoming {
        move_id: cert.move_id.clone(),
        from_code: from.to_string(),
        resident_code: code.to_string(),
        moved_on: moved_on.to_string(),
        address: req.address.clone(),
        certificate: to_text(&cert)?,
        request: to_text(&req)?,
        requested_by: caller.identity.uri(),
    };
    let now = node.clock.now_ms();
    let (inc, created) = on_book(&node, move |b| b.begin_in(&new, now)).await?;
    moves::failpoint("move-in-after-fetch").await;
    let inc = moves::advance(&node, inc).await;
    audit(&inc, "recorded")?;
    Ok(axum::Json(in_view(&inc, !created)))
}

/// A wire value as the JSON text moves.db keeps.
fn to_text(v: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|_| ApiError::new(&NODE_INTERNAL))
}

/// `GET /v1/moves/{code}`: the procedures about a resident at this node.
async fn status(
    State(node): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<axum::Json<MoveStatus>, ApiError> {
    let code = ResidentCode::parse(&code).map_err(|p| bad_query("resident_code", p))?;
    let targets = [code.to_string()];
    node.authorize(
        &caller,
        policy::Action::ReadRecord,
        node.jurisdiction(),
        AuditAction::Read,
        &targets,
    )?;
    let c = code.to_string();
    let (outs, ins) = on_book(&node, move |b| b.about(&c)).await?;
    node.audit(
        node.audit_entry(&caller, AuditAction::Read)
            .targets(targets.to_vec())
            .detail("special move procedures".to_string()),
    )?;
    Ok(axum::Json(MoveStatus {
        resident_code: code.to_string(),
        outgoing: outs.iter().map(out_view).collect(),
        incoming: ins.iter().map(|i| in_view(i, false)).collect(),
    }))
}

fn field<'a>(env: &'a RouteEnvelope, name: &'static str) -> Result<&'a str, ApiError> {
    env.payload[name]
        .as_str()
        .ok_or_else(|| ApiError::with(&NODE_BAD_QUERY, serde_json::json!({ "field": name })))
}

/// At the old municipality: the move-out certificate data, for the new municipality's window.
async fn answer_fetch(node: Arc<Node>, env: RouteEnvelope) -> Result<serde_json::Value, ApiError> {
    if node.tier() != policy::Tier::Municipal {
        return Err(ApiError::new(&NET_WRONG_ROLE));
    }
    node.require_service_hours()?;
    let code = ResidentCode::parse(field(&env, "resident_code")?)
        .map_err(|p| bad_query("resident_code", p))?;
    let to = municipality(field(&env, "to")?).map_err(|p| bad_query("to", p))?;
    let requested_by = field(&env, "requested_by").unwrap_or("");
    let entry = super::routed_entry(&node, &env, requested_by, AuditAction::Read, code).detail(
        format!("special move-out certificate data for the move-in at {to}"),
    );
    let c = code.to_string();
    let latest = on_book(&node, move |b| b.latest_out(&c)).await?;
    let Some(out) = latest else {
        node.audit(entry.result(juki_audit::Outcome::Denied(
            SVC_MOVE_NOT_NOTIFIED.code.into(),
        )))?;
        return Err(ApiError::new(&SVC_MOVE_NOT_NOTIFIED));
    };
    if out.state == OutState::Closed {
        node.audit(entry)?;
        return to_value(&MoveCertificate {
            move_id: out.move_id.clone(),
            resident_code: out.resident_code.clone(),
            planned_date: out.planned_date.clone(),
            destination: out.destination.clone(),
            destination_address: out.destination_address.clone(),
            fields: RecordFields::default(),
            state: out.state.as_str().into(),
            closed_by: out.closed_by.clone(),
        });
    }
    let planned = date::parse_date(&out.planned_date).map_err(|_| ApiError::new(&NODE_INTERNAL))?;
    let use_by = days_after(planned, USE_WITHIN_DAYS);
    if node.clock.today_tokyo() > use_by {
        node.audit(entry.result(juki_audit::Outcome::Denied(SVC_MOVE_EXPIRED.code.into())))?;
        return Err(ApiError::with(
            &SVC_MOVE_EXPIRED,
            serde_json::json!({ "planned_date": out.planned_date, "move_in_by": use_by.to_string() }),
        ));
    }
    let view = read_inline(&node, move |s| s.record(code)).await?;
    let Some(v) = view.filter(|v| v.current.status == RecordStatus::Current) else {
        node.audit(entry.result(juki_audit::Outcome::Denied(
            NODE_RECORD_NOT_FOUND.code.into(),
        )))?;
        return Err(ApiError::new(&NODE_RECORD_NOT_FOUND));
    };
    node.audit(entry)?;
    let (id, by, now) = (out.move_id.clone(), to.to_string(), node.clock.now_ms());
    on_book(&node, move |b| b.mark_fetched(&id, &by, now)).await?;
    to_value(&MoveCertificate {
        move_id: out.move_id,
        resident_code: out.resident_code,
        planned_date: out.planned_date,
        destination: out.destination,
        destination_address: out.destination_address,
        fields: RecordFields::new(&v.current.record.facts, &v.current.local),
        state: OutState::Fetched.as_str().into(),
        closed_by: None,
    })
}

fn to_value(v: &impl serde::Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|_| ApiError::new(&NODE_INTERNAL))
}

/// At the old municipality: the move-in notice closes the record, once; a repeated notice is
/// acknowledged with the same answer.
async fn answer_notice(node: Arc<Node>, env: RouteEnvelope) -> Result<serde_json::Value, ApiError> {
    if node.tier() != policy::Tier::Municipal {
        return Err(ApiError::new(&NET_WRONG_ROLE));
    }
    let notice: MoveInNotice = serde_json::from_value(env.payload.clone()).map_err(|e| {
        ApiError::with(
            &NODE_BAD_QUERY,
            serde_json::json!({ "reason": e.to_string() }),
        )
    })?;
    if notice.to != env.from {
        return Err(ApiError::with(
            &NET_OUTSIDE_JURISDICTION,
            serde_json::json!({ "from": env.from, "to": notice.to }),
        ));
    }
    let code =
        ResidentCode::parse(&notice.resident_code).map_err(|p| bad_query("resident_code", p))?;
    let id = notice.move_id.clone();
    let out = on_book(&node, move |b| b.outgoing(&id))
        .await?
        .filter(|o| o.resident_code == notice.resident_code)
        .ok_or_else(|| ApiError::new(&SVC_MOVE_NOT_NOTIFIED))?;
    let ack = |seq: u64| {
        to_value(&MoveInNoticeAck {
            move_id: notice.move_id.clone(),
            closed_sequence: seq,
        })
    };
    if out.state == OutState::Closed {
        return match (out.closed_by.as_deref(), out.closed_seq) {
            (Some(by), Some(seq)) if by == notice.to => ack(seq),
            _ => Err(ApiError::with(
                &SVC_MOVE_ELSEWHERE,
                serde_json::json!({ "move_id": out.move_id, "closed_by": out.closed_by }),
            )),
        };
    }
    let here = own_code(&node)?;
    let view = read_inline(&node, move |s| s.record(code)).await?;
    let Some(v) = view else {
        return Err(ApiError::new(&NODE_RECORD_NOT_FOUND));
    };
    // The record as it stood before the move-out; after a crash between applying the move-out
    // and recording it below, the store answers the same sequence again.
    let fields = RecordFields::new(&v.current.record.facts, &v.current.local);
    let notified_on = jiff::Timestamp::from_millisecond(out.notified_at_ms)
        .map(|t| crate::clock::tokyo().to_datetime(t).date())
        .unwrap_or_else(|_| node.clock.today_tokyo());
    let raw = moves::move_out_change(&fields, &out, &notice, notified_on);
    let change = moves::check(&node, &raw, here)?;
    let seq = moves::apply_once(&node, change).await?;
    let (id, by, on, addr, now) = (
        out.move_id.clone(),
        notice.to.clone(),
        notice.moved_on.clone(),
        notice.address.clone(),
        node.clock.now_ms(),
    );
    on_book(&node, move |b| b.close_out(&id, &by, &on, &addr, seq, now)).await?;
    node.audit(
        juki_audit::AuditEntry::new(
            node.clock.now_ms(),
            env.from.chars().take(16).collect::<String>().as_str(),
            "node",
            node.node_uri.as_str(),
            AuditAction::Change,
        )
        .targets(vec![code.to_string()])
        .request_id(env.request_id.chars().take(128).collect::<String>())
        .detail(format!(
            "special move-out {} closed by the move-in notice of {}",
            out.move_id, notice.to
        )),
    )?;
    ack(seq)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::clock::FixedClock;
    use crate::server::Peer;
    use axum::http::StatusCode;

    fn clerk() -> Peer {
        let c = LocalGovernmentCode::parse("131148").unwrap();
        Peer(Some(
            juki_pki::Identity::new(
                juki_pki::Role::Clerk,
                juki_pki::Jurisdiction::Local(c),
                "clerk",
            )
            .unwrap(),
        ))
    }

    async fn post(
        node: &Arc<Node>,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        crate::routes::tests::post_as(node, path, clerk(), body.to_string().into_bytes()).await
    }

    /// 中野区 on 2026-04-10 10:00 Tokyo (a Friday), with one resident, and its clock.
    async fn nakano(dir: &std::path::Path, hours_never: bool) -> (Arc<Node>, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::new("2026-04-10T01:00:00Z".parse().unwrap()));
        let node = crate::routes::tests::node_at(
            dir,
            |c| {
                if hours_never {
                    c.hours =
                        crate::hours::OperatingHours::from_settings(&crate::hours::HoursSettings {
                            days: vec![],
                            ..Default::default()
                        })
                        .unwrap();
                }
            },
            clock.clone(),
        );
        let change = serde_json::json!({ "changes": [{
            "record_id": "R1", "change_kind": "転入", "effective_date": "2026-04-01",
            "resident_code": resident(),
            "family_name": "山田", "given_name": "太郎", "family_name_kana": "ヤマダ",
            "given_name_kana": "タロウ", "birth_date": "1980-05-05", "sex": "男",
            "local_government_code": "131148", "address": "中央一丁目1番1号",
        }]});
        let (status, body) = post(&node, "/v1/changes", change).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["applied"], 1, "{body}");
        (node, clock)
    }

    fn resident() -> String {
        ResidentCode::from_body(1_234_567_890).to_string()
    }

    fn out(planned: &str, destination: &str) -> serde_json::Value {
        serde_json::json!({
            "resident_code": resident(), "planned_date": planned,
            "destination": destination, "destination_address": "豊玉北六丁目12番1号",
        })
    }

    /// A move-out is notified once, within its date range, to another municipality; the
    /// same notice again answers the same move, a different one is refused.
    #[tokio::test]
    async fn a_move_out_is_notified_once_within_its_dates() {
        let dir = tempfile::tempdir().unwrap();
        let (node, _) = nakano(dir.path(), false).await;
        for (planned, dest, code) in [
            ("2026-03-26", "131202", "JK-SVC-0105"), // 15 days ago
            ("2026-05-11", "131202", "JK-SVC-0105"), // 31 days ahead
            ("2026-04-15", "131148", "JK-SVC-0106"), // the same municipality
            ("2026-04-15", "999999", "JK-NODE-0110"),
        ] {
            let (status, body) = post(&node, "/v1/moves/out", out(planned, dest)).await;
            assert_eq!(body["code"], code, "{planned} {dest}: {status} {body}");
        }
        let (status, first) = post(&node, "/v1/moves/out", out("2026-04-15", "131202")).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["move_id"], "131148-1");
        assert_eq!(first["state"], "notified");
        assert_eq!(first["move_in_by"], "2026-05-15");
        let (_, again) = post(&node, "/v1/moves/out", out("2026-04-15", "131202")).await;
        assert_eq!(again, first);
        let (status, other) = post(&node, "/v1/moves/out", out("2026-04-16", "131202")).await;
        assert_eq!(
            (status, other["code"].as_str()),
            (StatusCode::CONFLICT, Some("JK-SVC-0102"))
        );
        assert_eq!(other["detail"]["open"]["move_id"], "131148-1");
        // Only residents of this municipality.
        let mut stranger = out("2026-04-15", "131202");
        stranger["resident_code"] = ResidentCode::from_body(1_000_000_001).to_string().into();
        let (status, body) = post(&node, "/v1/moves/out", stranger).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("JK-NODE-0106"))
        );
    }

    fn move_in(moved_on: &str) -> serde_json::Value {
        serde_json::json!({
            "resident_code": resident(), "from": "131202", "moved_on": moved_on,
            "address": "中央二丁目2番2号",
        })
    }

    /// The move-in's limits are checked before anything is asked of the old municipality:
    /// within 14 days of moving, not in the future, within operating hours.
    #[tokio::test]
    async fn a_move_in_keeps_its_time_limits_and_operating_hours() {
        let dir = tempfile::tempdir().unwrap();
        let (node, _) = nakano(dir.path(), true).await;
        for (moved_on, code) in [
            ("2026-03-26", "JK-SVC-0103"), // 15 days ago
            ("2026-04-11", "JK-DATE-0110"),
        ] {
            let (_, body) = post(&node, "/v1/moves/in", move_in(moved_on)).await;
            assert_eq!(body["code"], code, "{moved_on}: {body}");
        }
        assert_eq!(
            post(&node, "/v1/moves/in", move_in("2026-03-27")).await.1["code"],
            "JK-POL-0107",
            "14 days ago is in time, but the hours are closed"
        );
        let mut same = move_in("2026-04-10");
        same["from"] = "131148".into();
        assert_eq!(
            post(&node, "/v1/moves/in", same).await.1["code"],
            "JK-SVC-0106"
        );
    }

    fn envelope(kind: &str, payload: serde_json::Value) -> RouteEnvelope {
        RouteEnvelope {
            protocol: juki_api::PROTOCOL_VERSION,
            request_id: "r1".into(),
            deadline_ms: i64::MAX / 2,
            hops: 1,
            from: "131202".into(),
            to: "131148".into(),
            kind: kind.into(),
            payload,
        }
    }

    /// The old municipality's side: the certificate data is given within 30 days of the
    /// planned date; the notice closes the record once, and repeating it changes nothing.
    #[tokio::test]
    async fn the_old_municipality_answers_fetch_and_notice_once() {
        let dir = tempfile::tempdir().unwrap();
        let (node, _) = nakano(dir.path(), false).await;
        let fetch = || {
            envelope(
                FETCH,
                serde_json::json!({ "resident_code": resident(), "to": "131202", "requested_by": "urn:x" }),
            )
        };
        let err = answer_fetch(node.clone(), fetch()).await.unwrap_err();
        assert_eq!(err.def.code, "JK-SVC-0101");
        let (status, _) = post(&node, "/v1/moves/out", out("2026-04-10", "131202")).await;
        assert_eq!(status, StatusCode::OK);
        let cert: MoveCertificate =
            serde_json::from_value(answer_fetch(node.clone(), fetch()).await.unwrap()).unwrap();
        assert_eq!(
            (cert.move_id.as_str(), cert.state.as_str()),
            ("131148-1", "fetched")
        );
        assert_eq!(cert.fields.family_name, "山田");

        let notice = serde_json::json!({
            "move_id": "131148-1", "resident_code": resident(), "moved_on": "2026-04-10",
            "to": "131202", "address": "豊玉北六丁目12番1号",
        });
        let mut forged = envelope(NOTICE, notice.clone());
        forged.from = "131211".into();
        assert_eq!(
            answer_notice(node.clone(), forged)
                .await
                .unwrap_err()
                .def
                .code,
            "JK-NET-0102"
        );
        let first = answer_notice(node.clone(), envelope(NOTICE, notice.clone()))
            .await
            .unwrap();
        let again = answer_notice(node.clone(), envelope(NOTICE, notice.clone()))
            .await
            .unwrap();
        assert_eq!(first, again);
        let record = node
            .store
            .record(ResidentCode::parse(&resident()).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(record.current.status, RecordStatus::Closed);
        assert_eq!(record.history.len(), 2, "one move-in, one move-out");

        // A second move-out later, fetched 31 days after its planned date: expired.
        let (status, body) = post(&node, "/v1/moves/out", out("2026-04-10", "131202")).await;
        assert_eq!(
            body["code"], "JK-NODE-0106",
            "{status}: the record is closed now"
        );
    }

    #[tokio::test]
    async fn move_out_certificate_data_expires_thirty_days_after_the_planned_date() {
        let dir = tempfile::tempdir().unwrap();
        let (node, clock) = nakano(dir.path(), false).await;
        let (status, _) = post(&node, "/v1/moves/out", out("2026-04-20", "131202")).await;
        assert_eq!(status, StatusCode::OK);
        let fetch = envelope(
            FETCH,
            serde_json::json!({ "resident_code": resident(), "to": "131202", "requested_by": "urn:x" }),
        );
        // 2026-05-20 is the last day (a Wednesday); 2026-05-21 10:00 Tokyo is too late.
        clock.set("2026-05-20T01:00:00Z".parse().unwrap());
        assert!(answer_fetch(node.clone(), fetch.clone()).await.is_ok());
        clock.set("2026-05-21T01:00:00Z".parse().unwrap());
        let err = answer_fetch(node.clone(), fetch).await.unwrap_err();
        assert_eq!(err.def.code, "JK-SVC-0104");
        assert_eq!(err.detail["move_in_by"], "2026-05-20");
    }
}

//! The special move-out/move-in (転入転出の特例, docs/moves.md): the steps of a move-in at the
//! new municipality and the loop that finishes unfinished ones.
//!
//! A move-in goes fetched → recorded (notice pending) → completed, each step durable in
//! `DATA/moves.db` ([`juki_moves`]) before the next begins:
//! 1. the old municipality's move-out certificate data is fetched over routing (the handler in
//!    `routes::moves` then records the procedure);
//! 2. the move-in is applied to this node's store as the change `tokurei-in-<move id>` — the
//!    store applies a record id at most once, so repeating the step after a crash is harmless;
//! 3. the move-in notice goes to the old municipality, which closes its record with the change
//!    `tokurei-out-<move id>` (at most once, likewise) and acknowledges.
//!
//! [`advance`] runs whatever steps remain; [`keep_moving`] calls it for every unfinished
//! move-in whose time has come, so a node that was killed, or whose notice found the old
//! municipality down, completes the procedure exactly once when both are back.

use crate::error::ApiError;
use crate::server::Node;
use juki_api::{MoveCertificate, MoveInNotice, MoveInNoticeAck, MoveInRequest};
use juki_domain::change::{ValidationContext, validate};
use juki_domain::{ChangeKind, LocalGovernmentCode, RawChange, ValidatedChange, date};
use juki_moves::{InState, Incoming, MoveError, MoveStore};
use juki_store::Outcome;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Routed kinds: the new municipality fetches the move-out certificate data, and notifies the
/// move-in.
pub const FETCH: &str = "move-out-fetch";
pub const NOTICE: &str = "move-in-notice";

/// A move-in is notified within this many days of moving (住民基本台帳法第22条).
pub const MOVE_IN_WITHIN_DAYS: i64 = 14;
/// The move-out certificate data serves a move-in within this many days of the planned date.
pub const USE_WITHIN_DAYS: i64 = 30;
/// A move-out is notified at most this many days after the planned date, and at most
/// [`NOTIFY_AHEAD_DAYS`] before it.
pub const NOTIFY_AFTER_DAYS: i64 = 14;
pub const NOTIFY_AHEAD_DAYS: i64 = 30;

/// How long a notice waits for the old municipality.
const NOTICE_TIMEOUT: Duration = Duration::from_secs(10);
/// Back-off between notices that were not acknowledged: doubling from the first to the last.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_LAST: Duration = Duration::from_secs(30);
/// A move-in the store refused (which needs a person to look) is tried again this late.
const REFUSED_RETRY: Duration = Duration::from_secs(3600);
/// How often the loop looks for due steps, and how many it takes at once.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
const SWEEP_BATCH: usize = 100;

/// Opens `DATA/moves.db` of a municipal node (None at other tiers: they hold no procedures).
pub fn open(config: &crate::config::NodeConfig) -> anyhow::Result<Option<MoveStore>> {
    if config.role != crate::config::Role::Municipal {
        return Ok(None);
    }
    let path = config.data_dir.join(juki_moves::MOVES_FILE);
    Ok(Some(MoveStore::open(&path).map_err(|e| {
        anyhow::anyhow!("opening the record of move procedures: {e}")
    })?))
}

/// The day `days` after `d` (or before, when negative); the last representable day on
/// overflow.
pub fn days_after(d: date::Date, days: i64) -> date::Date {
    use jiff::ToSpan;
    d.checked_add(days.days()).unwrap_or(date::Date::MAX)
}

/// Runs `f` on the node's record of move procedures, on a blocking thread.
pub(crate) async fn on_book<T: Send + 'static>(
    node: &Node,
    f: impl FnOnce(&MoveStore) -> Result<T, MoveError> + Send + 'static,
) -> Result<T, ApiError> {
    let Some(book) = node.moves.clone() else {
        return Err(ApiError::new(&juki_domain::catalogue::NET_WRONG_ROLE));
    };
    match tokio::task::spawn_blocking(move || f(&book)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "record of move procedures failed");
            Err(ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))
        }
        Err(e) => {
            tracing::error!(error = %e, "move task failed");
            Err(ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))
        }
    }
}

/// The move-in as a change at the new municipality `here`: the old municipality's record
/// with the new address, the day of the move, and the household as the clerk states it.
pub fn move_in_change(
    cert: &MoveCertificate,
    req: &MoveInRequest,
    here: LocalGovernmentCode,
    today: date::Date,
) -> RawChange {
    let f = &cert.fields;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    RawChange {
        record_id: format!("tokurei-in-{}", cert.move_id),
        change_kind: ChangeKind::MoveIn.ja().into(),
        effective_date: req.moved_on.clone(),
        notified_date: today.to_string(),
        resident_code: cert.resident_code.clone(),
        family_name: f.family_name.clone(),
        given_name: f.given_name.clone(),
        family_name_kana: f.family_name_kana.clone(),
        given_name_kana: f.given_name_kana.clone(),
        birth_date: f.birth_date.clone(),
        sex: f.sex.clone(),
        local_government_code: here.to_string(),
        address: req.address.clone(),
        individual_number: opt(&f.individual_number),
        former_family_name: opt(&f.former_family_name),
        alias_name: opt(&f.alias_name),
        nationality: opt(&f.nationality),
        household_head: req
            .household_head
            .clone()
            .or_else(|| f.household_head.clone())
            .unwrap_or_default(),
        relationship: req
            .relationship
            .clone()
            .or_else(|| f.relationship.clone())
            .unwrap_or_default(),
        resident_since: req.moved_on.clone(),
        address_since: req.moved_on.clone(),
        ..RawChange::default()
    }
}

/// The move-out that closes the record at the old municipality when the notice arrives: the
/// record as it stands, with the planned date, the destination and the day of the move.
pub fn move_out_change(
    fields: &juki_api::RecordFields,
    out: &juki_moves::Outgoing,
    notice: &MoveInNotice,
    notified_on: date::Date,
) -> RawChange {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    RawChange {
        record_id: format!("tokurei-out-{}", out.move_id),
        change_kind: ChangeKind::MoveOut.ja().into(),
        effective_date: notice.moved_on.clone(),
        notified_date: notified_on.to_string(),
        resident_code: out.resident_code.clone(),
        family_name: fields.family_name.clone(),
        given_name: fields.given_name.clone(),
        family_name_kana: fields.family_name_kana.clone(),
        given_name_kana: fields.given_name_kana.clone(),
        birth_date: fields.birth_date.clone(),
        sex: fields.sex.clone(),
        local_government_code: fields.local_government_code.clone(),
        address: fields.address.clone(),
        planned_date: out.planned_date.clone(),
        destination_code: notice.to.clone(),
        destination_address: notice.address.clone(),
        individual_number: opt(&fields.individual_number),
        former_family_name: opt(&fields.former_family_name),
        alias_name: opt(&fields.alias_name),
        nationality: opt(&fields.nationality),
        ..RawChange::default()
    }
}

/// The first problem of a change that failed its rules, as an answer (the others in detail).
pub fn refused(problems: &[juki_domain::Problem]) -> ApiError {
    let list: Vec<juki_api::ProblemJson> = problems.iter().map(Into::into).collect();
    let def = problems
        .first()
        .map_or(&juki_domain::catalogue::NODE_INTERNAL, |p| p.def);
    ApiError::with(def, serde_json::json!({ "problems": list }))
}

/// Validates `raw` as a change recorded at `here` today.
pub fn check(
    node: &Node,
    raw: &RawChange,
    here: LocalGovernmentCode,
) -> Result<ValidatedChange, ApiError> {
    let ctx = ValidationContext {
        node: here,
        today: node.clock.today_tokyo(),
    };
    validate(raw, &ctx).map_err(|ps| refused(&ps))
}

/// Applies one change recorded at this municipal node; its journal sequence (also when it
/// was applied before: the same record id is never applied twice).
pub async fn apply_once(node: &Arc<Node>, change: ValidatedChange) -> Result<u64, ApiError> {
    let here = own_code(node)?;
    let now_ms = node.clock.now_ms();
    let store = node.store.clone();
    let outcomes = tokio::task::spawn_blocking(move || store.apply(here, now_ms, &[change]))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "store task failed");
            ApiError::new(&juki_domain::catalogue::NODE_INTERNAL)
        })??;
    node.journal_grew.notify_one();
    match outcomes.into_iter().next() {
        Some(Outcome::Applied { seq, .. } | Outcome::Duplicate { seq, .. }) => Ok(seq),
        Some(Outcome::Refused(p)) => Err(refused(&[p])),
        None => Err(ApiError::new(&juki_domain::catalogue::NODE_INTERNAL)),
    }
}

/// This municipal node's own code.
pub fn own_code(node: &Node) -> Result<LocalGovernmentCode, ApiError> {
    node.config
        .code
        .ok_or_else(|| ApiError::new(&juki_domain::catalogue::NET_WRONG_ROLE))
}

/// Records the move-in of `inc` in the store (step 2).
async fn record(node: &Arc<Node>, inc: &Incoming) -> Result<u64, ApiError> {
    let internal = |what: &str, e: serde_json::Error| {
        tracing::error!(move_id = %inc.move_id, error = %e, "unreadable {what} in moves.db");
        ApiError::new(&juki_domain::catalogue::NODE_INTERNAL)
    };
    let cert: MoveCertificate =
        serde_json::from_str(&inc.certificate).map_err(|e| internal("certificate", e))?;
    let req: MoveInRequest =
        serde_json::from_str(&inc.request).map_err(|e| internal("request", e))?;
    let here = own_code(node)?;
    let raw = move_in_change(&cert, &req, here, node.clock.today_tokyo());
    let change = check(node, &raw, here)?;
    apply_once(node, change).await
}

/// Sends the move-in notice of `inc` to the old municipality (step 3).
async fn notify(node: &Arc<Node>, inc: &Incoming) -> Result<MoveInNoticeAck, ApiError> {
    let from = LocalGovernmentCode::parse(&inc.from_code)
        .map_err(|_| ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))?;
    let notice = MoveInNotice {
        move_id: inc.move_id.clone(),
        resident_code: inc.resident_code.clone(),
        moved_on: inc.moved_on.clone(),
        to: own_code(node)?.to_string(),
        address: inc.address.clone(),
    };
    let payload = serde_json::to_value(&notice)
        .map_err(|_| ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))?;
    let request_id = format!("move-{}-{}", inc.move_id, inc.attempts + 1);
    let answer =
        crate::routing::ask(node, &request_id, from, NOTICE, payload, NOTICE_TIMEOUT).await?;
    crate::routing::answer_as(NOTICE, answer)
}

/// How long to wait after `attempts` notices went unacknowledged.
fn backoff(attempts: u32) -> Duration {
    RETRY_FIRST
        .saturating_mul(1u32 << attempts.min(16))
        .min(RETRY_LAST)
}

fn describe(e: &ApiError) -> String {
    if e.detail.is_null() {
        format!("{} {}", e.def.code, e.def.message_en)
    } else {
        format!("{} {} {}", e.def.code, e.def.message_en, e.detail)
    }
    .chars()
    .take(500)
    .collect()
}

/// Runs the steps of `inc` that remain and returns where it stands. Failures are recorded
/// with the time of the next attempt, never lost; the record is the truth.
pub async fn advance(node: &Arc<Node>, inc: Incoming) -> Incoming {
    let id = inc.move_id.clone();
    let reload = |fallback: Incoming| {
        let id = id.clone();
        async move {
            match on_book(node, move |b| b.incoming(&id)).await {
                Ok(Some(i)) => i,
                _ => fallback,
            }
        }
    };
    let mut inc = inc;
    if inc.state == InState::Fetched {
        let now = node.clock.now_ms();
        let step = match record(node, &inc).await {
            Ok(seq) => {
                let id = id.clone();
                on_book(node, move |b| b.mark_recorded(&id, seq)).await
            }
            Err(e) => {
                tracing::warn!(move_id = %id, code = e.def.code, "the move-in was not recorded");
                let (id, why) = (id.clone(), describe(&e));
                let next = now + REFUSED_RETRY.as_millis() as i64;
                on_book(node, move |b| b.step_failed(&id, &why, next)).await
            }
        };
        if step.is_err() {
            return inc;
        }
        inc = reload(inc).await;
    }
    if inc.state == InState::Recorded {
        let now = node.clock.now_ms();
        let step = match notify(node, &inc).await {
            Ok(ack) => {
                tracing::info!(move_id = %id, closed = ack.closed_sequence, "move-in notice acknowledged");
                let id = id.clone();
                on_book(node, move |b| b.complete_in(&id, now)).await
            }
            Err(e) => {
                tracing::info!(move_id = %id, code = e.def.code, attempts = inc.attempts + 1,
                    "move-in notice not acknowledged; it will be resent");
                let (id, why) = (id.clone(), describe(&e));
                let next = now + backoff(inc.attempts).as_millis() as i64;
                on_book(node, move |b| b.step_failed(&id, &why, next)).await
            }
        };
        if step.is_ok() {
            inc = reload(inc).await;
        }
    }
    inc
}

/// Finishes unfinished move-ins whose next attempt is due, until `stop`.
pub async fn keep_moving(node: Arc<Node>, stop: Arc<Notify>) {
    loop {
        tokio::select! {
            () = stop.notified() => return,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
        }
        let now = node.clock.now_ms();
        let Ok(due) = on_book(&node, move |b| b.due(now, SWEEP_BATCH)).await else {
            continue;
        };
        for inc in due {
            advance(&node, inc).await;
        }
        if let Ok(n) = on_book(&node, |b| b.pending_notices()).await {
            node.metrics.moves_pending.set(n as i64);
        }
    }
}

/// A pause for tests: while the file `<$JUKI_FAILPOINT_DIR>/<name>` exists (at most two
/// minutes), the step that calls this waits — so a test can kill another node at exactly
/// this point. Without the variable it returns at once.
pub async fn failpoint(name: &str) {
    let Some(dir) = std::env::var_os("JUKI_FAILPOINT_DIR") else {
        return;
    };
    let marker = std::path::Path::new(&dir).join(name);
    let until = std::time::Instant::now() + Duration::from_secs(120);
    if marker.exists() {
        tracing::warn!(failpoint = name, "paused at a test failpoint");
    }
    while marker.exists() && std::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_back_off_from_one_second_to_thirty() {
        let secs: Vec<u64> = (0..8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX), RETRY_LAST);
    }
}

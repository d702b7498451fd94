//! The record of requests: `DATA/approvals.db`, SQLite, created 0600. Every change of a
//! request is one durable transaction (`synchronous = FULL`) that reads the request, applies
//! the rule of [`crate::request`] and writes it back, so two people deciding at once cannot
//! both win. Requests are never deleted: the table is the history of who asked and who
//! decided. Calls block: an async caller runs them on a blocking thread.

use crate::error::ApprovalError;
use crate::request::{Decision, NewRequest, Request, RequestId, State, Target, check_identity};
use rusqlite::{Row, Transaction, params};
use std::path::Path;

/// The file's name inside a node's data directory.
pub const APPROVALS_FILE: &str = "approvals.db";

/// Schema versions, in order; `user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE requests (
    seq             INTEGER PRIMARY KEY,
    action          TEXT    NOT NULL,
    jurisdiction    TEXT    NOT NULL,
    object          TEXT,
    effect          TEXT    NOT NULL,
    params          TEXT    NOT NULL,
    reason          TEXT,
    requested_by    TEXT    NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    decided_by      TEXT,
    decided_at_ms   INTEGER,
    decision_reason TEXT,
    executed_at_ms  INTEGER,
    result          TEXT
);
CREATE INDEX requests_state ON requests (state, expires_at_ms);
",
    "
CREATE TABLE uses (
    seq        INTEGER PRIMARY KEY REFERENCES requests (seq),
    used_by    TEXT    NOT NULL,
    used_at_ms INTEGER NOT NULL,
    what       TEXT    NOT NULL
);
",
];

const COLUMNS: &str = "seq, action, jurisdiction, object, effect, params, reason, requested_by, \
    requested_at_ms, expires_at_ms, state, decided_by, decided_at_ms, decision_reason, \
    executed_at_ms, result";

/// A node's record of approval requests.
#[derive(Debug)]
pub struct ApprovalStore {
    db: juki_localdb::LocalDb,
}

impl ApprovalStore {
    /// Opens (creating, 0600) the record at `path` and brings its schema up to date. Requests
    /// found approved but not finished — the node stopped while carrying one out — are marked
    /// failed (see [`Request::interrupted`]); they never run again by themselves.
    pub fn open(path: &Path, now_ms: i64) -> Result<ApprovalStore, ApprovalError> {
        let db = juki_localdb::LocalDb::open(path, MIGRATIONS)
            .map_err(|e| ApprovalError::Storage(e.to_string()))?;
        let store = ApprovalStore { db };
        store.write(|tx| {
            let approved = select(tx, "state = 'approved'", [])?;
            for mut r in approved {
                if r.interrupted(now_ms) {
                    save(tx, &r)?;
                }
            }
            Ok(())
        })?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// Runs `f` in one immediate (write-locked) transaction and commits it.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApprovalError>,
    ) -> Result<T, ApprovalError> {
        self.db.write(f)
    }

    /// Records a new request, pending; refused by the rules of [`NewRequest::admit`].
    pub fn create(&self, new: NewRequest, now_ms: i64) -> Result<Request, ApprovalError> {
        self.write(|tx| {
            expire_due(tx, now_ms)?;
            let pending: i64 = tx.query_row(
                "SELECT COUNT(*) FROM requests WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )?;
            let last: i64 =
                tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM requests", [], |r| {
                    r.get(0)
                })?;
            let request = new.admit(RequestId(last as u64 + 1), now_ms, pending as usize)?;
            insert(tx, &request)?;
            Ok(request)
        })
    }

    /// The request `id` (marked expired first if its time has passed).
    pub fn get(&self, id: RequestId, now_ms: i64) -> Result<Request, ApprovalError> {
        self.change(id, |r| {
            r.expire_if_due(now_ms);
            Ok(())
        })
    }

    /// Every pending request and the `recent` latest others, newest first.
    pub fn list(&self, now_ms: i64, recent: usize) -> Result<Vec<Request>, ApprovalError> {
        self.write(|tx| {
            expire_due(tx, now_ms)?;
            let mut out = select(tx, "state = 'pending' ORDER BY seq DESC", [])?;
            let limit = i64::try_from(recent).unwrap_or(i64::MAX);
            out.extend(select(
                tx,
                "state <> 'pending' ORDER BY seq DESC LIMIT ?1",
                [limit],
            )?);
            out.sort_by_key(|r| std::cmp::Reverse(r.id));
            Ok(out)
        })
    }

    /// `by` approves or rejects `id` ([`Request::decide`]).
    pub fn decide(
        &self,
        id: RequestId,
        decision: Decision,
        by: &str,
        now_ms: i64,
        reason: Option<String>,
    ) -> Result<Request, ApprovalError> {
        self.change(id, |r| r.decide(decision, by, now_ms, reason))
    }

    /// Records how carrying out the approved request `id` ended ([`Request::finish`]).
    pub fn finish(
        &self,
        id: RequestId,
        now_ms: i64,
        outcome: Result<String, String>,
    ) -> Result<Request, ApprovalError> {
        self.change(id, |r| r.finish(now_ms, outcome))
    }

    /// Uses the executed request `id` once: an approval that allows an operation run outside
    /// the node that holds it (a restore or rebuild of a child node, by `juki` at that node).
    /// `fits` checks that the request is the one the operation needs; a request not executed,
    /// or used before, is refused. The use is recorded (who, when, `what`) in the same
    /// transaction, so two uses at once cannot both succeed.
    pub fn take(
        &self,
        id: RequestId,
        by: &str,
        now_ms: i64,
        what: &str,
        fits: impl FnOnce(&Request) -> Result<(), String>,
    ) -> Result<Request, TakeError> {
        self.db.write(|tx| {
            let r = select(tx, "seq = ?1", [id.0 as i64])?
                .pop()
                .ok_or_else(|| ApprovalError::NotFound(id.to_string()))?;
            fits(&r).map_err(TakeError::Unfit)?;
            if r.state != State::Executed {
                return Err(TakeError::Unfit(format!(
                    "request {id} is {}: only an approved (executed) one can be used",
                    r.state
                )));
            }
            if let Some((who, at)) = use_of(tx, id)? {
                return Err(TakeError::Unfit(format!(
                    "request {id} was already used by {who} at {at} ms"
                )));
            }
            check_identity("used_by", by)?;
            tx.execute(
                "INSERT INTO uses (seq, used_by, used_at_ms, what) VALUES (?1, ?2, ?3, ?4)",
                params![id.0 as i64, by, now_ms, what],
            )
            .map_err(ApprovalError::from)?;
            Ok(r)
        })
    }

    /// Who used request `id` and when, if it was used ([`ApprovalStore::take`]).
    pub fn used(&self, id: RequestId) -> Result<Option<(String, i64)>, ApprovalError> {
        Ok(use_of(&self.db.conn(), id)?)
    }

    /// Reads `id`, applies `rule` and commits what it changed — also when the rule refuses,
    /// so that a request found expired is recorded as such.
    fn change(
        &self,
        id: RequestId,
        rule: impl FnOnce(&mut Request) -> Result<(), ApprovalError>,
    ) -> Result<Request, ApprovalError> {
        self.write(|tx| {
            let mut r = select(tx, "seq = ?1", [id.0 as i64])?
                .pop()
                .ok_or_else(|| ApprovalError::NotFound(id.to_string()))?;
            let before = r.clone();
            let ruled = rule(&mut r);
            if r != before {
                save(tx, &r)?;
            }
            Ok(ruled.map(|()| r))
        })?
    }
}

/// Why an approval could not be used ([`ApprovalStore::take`]).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TakeError {
    /// The rules or the record refused it.
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    /// It is not an approval of this operation, not executed, or used already.
    #[error("{0}")]
    Unfit(String),
}

impl From<rusqlite::Error> for TakeError {
    fn from(e: rusqlite::Error) -> TakeError {
        TakeError::Approval(e.into())
    }
}

/// Who used request `id` and when, if anyone did.
fn use_of(conn: &rusqlite::Connection, id: RequestId) -> rusqlite::Result<Option<(String, i64)>> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT used_by, used_at_ms FROM uses WHERE seq = ?1",
        [id.0 as i64],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}

/// Marks every pending request whose time has passed by `now_ms` as expired.
fn expire_due(tx: &Transaction<'_>, now_ms: i64) -> Result<(), ApprovalError> {
    let due = select(tx, "state = 'pending' AND expires_at_ms <= ?1", [now_ms])?;
    for mut r in due {
        if r.expire_if_due(now_ms) {
            save(tx, &r)?;
        }
    }
    Ok(())
}

fn select<P: rusqlite::Params>(
    tx: &Transaction<'_>,
    condition: &str,
    p: P,
) -> Result<Vec<Request>, ApprovalError> {
    let sql = format!("SELECT {COLUMNS} FROM requests WHERE {condition}");
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(p, read)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// A row as a request; a value juki never writes is damage.
fn read(row: &Row<'_>) -> rusqlite::Result<Result<Request, ApprovalError>> {
    let seq: i64 = row.get(0)?;
    let params: String = row.get(5)?;
    let state: String = row.get(10)?;
    let damaged = |what: &str| ApprovalError::Storage(format!("request {seq}: {what}"));
    let Some(state) = State::parse(&state) else {
        return Ok(Err(damaged(&format!("unknown state {state:?}"))));
    };
    let Ok(params) = serde_json::from_str(&params) else {
        return Ok(Err(damaged("params are not JSON")));
    };
    Ok(Ok(Request {
        id: RequestId(seq as u64),
        action: row.get(1)?,
        target: Target {
            jurisdiction: row.get(2)?,
            object: row.get(3)?,
        },
        effect: row.get(4)?,
        params,
        reason: row.get(6)?,
        requested_by: row.get(7)?,
        requested_at_ms: row.get(8)?,
        expires_at_ms: row.get(9)?,
        state,
        decided_by: row.get(11)?,
        decided_at_ms: row.get(12)?,
        decision_reason: row.get(13)?,
        executed_at_ms: row.get(14)?,
        result: row.get(15)?,
    }))
}

/// Writes a new request: what was asked, then (by [`save`]) how it stands.
fn insert(tx: &Transaction<'_>, r: &Request) -> Result<(), ApprovalError> {
    tx.execute(
        "INSERT INTO requests (seq, action, jurisdiction, object, effect, params, reason, \
         requested_by, requested_at_ms, expires_at_ms, state) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending')",
        params![
            r.id.0 as i64,
            r.action,
            r.target.jurisdiction,
            r.target.object,
            r.effect,
            r.params.to_string(),
            r.reason,
            r.requested_by,
            r.requested_at_ms,
            r.expires_at_ms,
        ],
    )?;
    save(tx, r)
}

/// Writes what the rules change: the state and the decision and execution fields.
fn save(tx: &Transaction<'_>, r: &Request) -> Result<(), ApprovalError> {
    let n = tx.execute(
        "UPDATE requests SET state = ?2, decided_by = ?3, decided_at_ms = ?4, \
         decision_reason = ?5, executed_at_ms = ?6, result = ?7 WHERE seq = ?1",
        params![
            r.id.0 as i64,
            r.state.as_str(),
            r.decided_by,
            r.decided_at_ms,
            r.decision_reason,
            r.executed_at_ms,
            r.result,
        ],
    )?;
    if n != 1 {
        return Err(ApprovalError::NotFound(r.id.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::request::{INTERRUPTED, PENDING_MAX, TTL_DEFAULT_MS};

    use crate::Decision::{Approve, Reject};
    use crate::testing::{ADMIN, OPERATOR, T0, stop};

    fn revoke() -> NewRequest {
        NewRequest::new(
            "revoke-certificate",
            Target {
                jurisdiction: "national".into(),
                object: Some("4960bb830670942ac0ad53b7938a88c7".into()),
            },
            "revokes a certificate",
            OPERATOR,
        )
        .params(serde_json::json!({"identity": "urn:juki:clerk:131148:suzuki"}))
    }

    fn open(dir: &tempfile::TempDir) -> ApprovalStore {
        ApprovalStore::open(&dir.path().join(APPROVALS_FILE), T0).unwrap()
    }

    #[test]
    fn the_file_is_private_and_requests_survive_a_reopen() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let a = store.create(stop(), T0).unwrap();
        let b = store.create(revoke(), T0 + 1).unwrap();
        assert_eq!(
            (a.id.to_string(), b.id.to_string()),
            ("A-000001".into(), "A-000002".into())
        );
        drop(store);
        let store = open(&dir);
        assert_eq!(store.get(a.id, T0 + 2).unwrap(), a);
        assert_eq!(store.get(b.id, T0 + 2).unwrap(), b);
        assert_eq!(store.create(stop(), T0 + 3).unwrap().id, RequestId(3));
        let e = store.get(RequestId(99), T0).unwrap_err();
        assert_eq!(e.def().code, "JK-APPR-0101");
    }

    #[test]
    fn an_executed_request_is_used_once_and_only_when_it_fits() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let a = store.create(stop(), T0).unwrap();
        let fits = |r: &Request| match r.action.as_str() {
            "stop-node" => Ok(()),
            other => Err(format!("{other} is not stop-node")),
        };
        let unfit = |e: TakeError| matches!(e, TakeError::Unfit(_));
        // Pending: not yet usable.
        assert!(unfit(
            store.take(a.id, OPERATOR, T0 + 1, "x", fits).unwrap_err()
        ));
        store.decide(a.id, Approve, OPERATOR, T0 + 2, None).unwrap();
        store.finish(a.id, T0 + 3, Ok("granted".into())).unwrap();
        // Of another kind: refused, and not spent by the refusal.
        assert!(unfit(
            store
                .take(a.id, OPERATOR, T0 + 4, "x", |_| Err("no".into()))
                .unwrap_err()
        ));
        assert_eq!(store.used(a.id).unwrap(), None);
        let used = store.take(a.id, ADMIN, T0 + 5, "rebuild", fits).unwrap();
        assert_eq!(used.id, a.id);
        assert_eq!(store.used(a.id).unwrap(), Some((ADMIN.into(), T0 + 5)));
        // Once only, also after a reopen.
        drop(store);
        let store = open(&dir);
        let e = store
            .take(a.id, ADMIN, T0 + 6, "rebuild", fits)
            .unwrap_err();
        assert!(e.to_string().contains("already used"), "{e}");
        let e = store.take(RequestId(9), ADMIN, T0, "x", fits).unwrap_err();
        assert_eq!(
            e,
            TakeError::Approval(ApprovalError::NotFound("A-000009".into()))
        );
    }

    #[test]
    fn decisions_are_recorded_and_checked_against_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let a = store.create(stop(), T0).unwrap();
        let e = store
            .decide(a.id, Approve, ADMIN, T0 + 1, None)
            .unwrap_err();
        assert_eq!(e.def().code, "JK-POL-0106");
        assert_eq!(store.get(a.id, T0 + 1).unwrap().state, State::Pending);
        let approved = store
            .decide(a.id, Approve, OPERATOR, T0 + 2, Some("ok".into()))
            .unwrap();
        assert_eq!(approved.state, State::Approved);
        // A second decision of the same request loses, whoever makes it.
        for e in [
            store.decide(
                a.id,
                Approve,
                "urn:juki:operator:national:operator",
                T0 + 3,
                None,
            ),
            store.decide(a.id, Reject, ADMIN, T0 + 3, None),
        ] {
            assert_eq!(e.unwrap_err().def().code, "JK-APPR-0102");
        }
        let done = store.finish(a.id, T0 + 4, Ok("stopping".into())).unwrap();
        assert_eq!(done.state, State::Executed);
        assert_eq!(store.get(a.id, T0 + 5).unwrap(), done);
        assert_eq!(done.decided_by.as_deref(), Some(OPERATOR));
        assert_eq!(done.decision_reason.as_deref(), Some("ok"));

        let b = store.create(revoke(), T0).unwrap();
        let rejected = store
            .decide(b.id, Reject, OPERATOR, T0 + 1, Some("withdrawn".into()))
            .unwrap();
        assert_eq!(rejected.state, State::Rejected);
        assert_eq!(store.get(b.id, T0 + 2).unwrap(), rejected);
        let e = store.finish(b.id, T0 + 2, Ok("x".into())).unwrap_err();
        assert_eq!(e.def().code, "JK-APPR-0102");
    }

    #[test]
    fn requests_expire_when_their_time_passes() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let a = store.create(stop(), T0).unwrap();
        let b = store.create(stop(), T0 + 1000).unwrap();
        let end = T0 + TTL_DEFAULT_MS;
        let e = store
            .decide(a.id, Approve, OPERATOR, end, None)
            .unwrap_err();
        assert_eq!(e.def().code, "JK-APPR-0103");
        let a = store.get(a.id, end).unwrap();
        assert_eq!((a.state, a.decided_at_ms), (State::Expired, Some(end)));
        // b has a second left; listing after it passes marks it too.
        assert_eq!(store.get(b.id, end).unwrap().state, State::Pending);
        let list = store.list(end + 1000, 10).unwrap();
        assert!(list.iter().all(|r| r.state == State::Expired), "{list:?}");
        let e = store
            .decide(b.id, Reject, ADMIN, end + 1000, None)
            .unwrap_err();
        assert_eq!(e.def().code, "JK-APPR-0103");
    }

    #[test]
    fn at_most_pending_max_wait_and_expired_ones_make_room() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        // One by one, each would wait for the disk: insert all but the last in one transaction.
        store
            .write(|tx| {
                for i in 0..PENDING_MAX as i64 - 1 {
                    let r = stop()
                        .ttl_ms(60_000)
                        .admit(RequestId(i as u64 + 1), T0 + i, 0)?;
                    insert(tx, &r)?;
                }
                Ok(())
            })
            .unwrap();
        store
            .create(stop().ttl_ms(60_000), T0 + PENDING_MAX as i64 - 1)
            .unwrap();
        let e = store.create(stop(), T0 + 10_000).unwrap_err();
        assert_eq!(e.def().code, "JK-APPR-0104");
        // Decided requests do not count.
        store
            .decide(RequestId(1), Reject, ADMIN, T0 + 10_000, None)
            .unwrap();
        store.create(stop(), T0 + 10_000).unwrap();
        assert!(store.create(stop(), T0 + 10_000).is_err());
        // Once the first ones expire there is room again.
        let later = T0 + 60_000 + PENDING_MAX as i64;
        let r = store.create(stop(), later).unwrap();
        assert_eq!(r.id, RequestId(PENDING_MAX as u64 + 2));
    }

    #[test]
    fn listing_shows_pending_and_recent_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        for i in 0..6 {
            let r = store.create(stop(), T0 + i).unwrap();
            if i % 2 == 0 {
                store.decide(r.id, Reject, ADMIN, T0 + i, None).unwrap();
            }
        }
        let ids = |v: Vec<Request>| v.into_iter().map(|r| r.id.0).collect::<Vec<_>>();
        assert_eq!(
            ids(store.list(T0 + 10, 10).unwrap()),
            vec![6, 5, 4, 3, 2, 1]
        );
        assert_eq!(ids(store.list(T0 + 10, 1).unwrap()), vec![6, 5, 4, 2]);
        assert_eq!(ids(store.list(T0 + 10, 0).unwrap()), vec![6, 4, 2]);
    }

    #[test]
    fn an_execution_interrupted_by_a_stop_fails_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let a = store.create(stop(), T0).unwrap();
        store.decide(a.id, Approve, OPERATOR, T0 + 1, None).unwrap();
        let b = store.create(stop(), T0).unwrap();
        drop(store);
        let store = ApprovalStore::open(&dir.path().join(APPROVALS_FILE), T0 + 50).unwrap();
        let a = store.get(a.id, T0 + 60).unwrap();
        assert_eq!(a.state, State::Failed);
        assert_eq!(
            (a.executed_at_ms, a.result.as_deref()),
            (Some(T0 + 50), Some(INTERRUPTED))
        );
        assert_eq!(store.get(b.id, T0 + 60).unwrap().state, State::Pending);
    }

    #[test]
    fn a_row_juki_never_wrote_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let a = store.create(stop(), T0).unwrap();
        store
            .db
            .conn()
            .execute("UPDATE requests SET state = 'maybe' WHERE seq = 1", [])
            .unwrap();
        let e = store.get(a.id, T0).unwrap_err();
        assert_eq!(e.def().code, "JK-APPR-0110");
    }
}

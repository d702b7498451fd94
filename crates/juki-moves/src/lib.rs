//! The durable record of special move-out/move-in procedures (転入転出の特例) at a municipal
//! node: `DATA/moves.db` ([`juki_localdb`]: SQLite, created 0600), every step one durable
//! transaction.
//!
//! A procedure crosses two municipalities. The old one records an [`Outgoing`] move when the
//! move-out is notified (with its planned date: the move-out certificate data stays here), marks
//! it fetched when the new municipality asks for that data, and closed when the move-in notice
//! arrives. The new one records an [`Incoming`] move once it has fetched the data, marks it
//! recorded once the move-in is in its store, and completed once the old municipality has
//! acknowledged the notice. Each step is idempotent — the changes it applies carry record ids
//! derived from the move id, which the store applies at most once — so a node killed at any
//! step completes the procedure exactly once when it returns: the new municipality resumes
//! from the step its record names, and resends a pending notice until it is acknowledged.
//!
//! Dates are `YYYY-MM-DD` text and codes are text: the rules about them live in the node.
//! Calls block; an async caller runs them on a blocking thread.

use rusqlite::{Row, Transaction, params};
use std::path::Path;

/// The file's name inside a node's data directory.
pub const MOVES_FILE: &str = "moves.db";

/// Schema versions, in order; `user_version` counts those applied.
const MIGRATIONS: &[&str] = &["
CREATE TABLE outgoing (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    move_id             TEXT    NOT NULL UNIQUE,
    resident_code       TEXT    NOT NULL,
    planned_date        TEXT    NOT NULL,
    destination         TEXT    NOT NULL,
    destination_address TEXT    NOT NULL,
    notified_at_ms      INTEGER NOT NULL,
    notified_by         TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    fetched_by          TEXT,
    fetched_at_ms       INTEGER,
    closed_by           TEXT,
    moved_on            TEXT,
    new_address         TEXT,
    closed_at_ms        INTEGER,
    closed_seq          INTEGER
);
CREATE INDEX outgoing_resident ON outgoing (resident_code, state);
CREATE TABLE incoming (
    move_id         TEXT    PRIMARY KEY,
    from_code       TEXT    NOT NULL,
    resident_code   TEXT    NOT NULL,
    moved_on        TEXT    NOT NULL,
    address         TEXT    NOT NULL,
    certificate     TEXT    NOT NULL,
    request         TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    requested_by    TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    recorded_seq    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    completed_at_ms INTEGER
);
CREATE INDEX incoming_due ON incoming (state, next_attempt_ms);
CREATE INDEX incoming_resident ON incoming (resident_code, from_code);
"];

/// The record failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoveError {
    /// The database failed.
    #[error("moves database: {0}")]
    Storage(String),
}

impl From<rusqlite::Error> for MoveError {
    fn from(e: rusqlite::Error) -> MoveError {
        MoveError::Storage(e.to_string())
    }
}

/// Where a move-out notified here stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutState {
    /// Notified; the certificate data waits here for the new municipality.
    Notified,
    /// The new municipality fetched the certificate data.
    Fetched,
    /// The move-in notice arrived and the record here is closed.
    Closed,
}

impl OutState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutState::Notified => "notified",
            OutState::Fetched => "fetched",
            OutState::Closed => "closed",
        }
    }

    fn parse(s: &str) -> Result<OutState, MoveError> {
        match s {
            "notified" => Ok(OutState::Notified),
            "fetched" => Ok(OutState::Fetched),
            "closed" => Ok(OutState::Closed),
            other => Err(MoveError::Storage(format!(
                "unknown outgoing state {other}"
            ))),
        }
    }
}

/// Where a move-in recorded here stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InState {
    /// The certificate data is here; the move-in is not yet in the store.
    Fetched,
    /// The move-in is in the store; the notice to the old municipality is not yet acknowledged.
    Recorded,
    /// The old municipality acknowledged the notice: the procedure is over.
    Completed,
}

impl InState {
    pub fn as_str(self) -> &'static str {
        match self {
            InState::Fetched => "fetched",
            InState::Recorded => "notice-pending",
            InState::Completed => "completed",
        }
    }

    fn parse(s: &str) -> Result<InState, MoveError> {
        match s {
            "fetched" => Ok(InState::Fetched),
            "notice-pending" => Ok(InState::Recorded),
            "completed" => Ok(InState::Completed),
            other => Err(MoveError::Storage(format!(
                "unknown incoming state {other}"
            ))),
        }
    }
}

/// A move-out to be notified at the old municipality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutgoing {
    pub resident_code: String,
    pub planned_date: String,
    pub destination: String,
    pub destination_address: String,
    /// Who notified it (the clerk's identity URI).
    pub notified_by: String,
}

/// A move-out notified at this (the old) municipality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// `<old municipality's code>-<n>`: names the procedure at both ends.
    pub move_id: String,
    pub resident_code: String,
    pub planned_date: String,
    pub destination: String,
    pub destination_address: String,
    pub notified_at_ms: i64,
    pub notified_by: String,
    pub state: OutState,
    /// The municipality that fetched the certificate data, and when.
    pub fetched_by: Option<String>,
    pub fetched_at_ms: Option<i64>,
    /// From the move-in notice: the municipality that sent it, the day of the move and the
    /// new address.
    pub closed_by: Option<String>,
    pub moved_on: Option<String>,
    pub new_address: Option<String>,
    pub closed_at_ms: Option<i64>,
    /// The journal sequence of the move-out that closed the record here.
    pub closed_seq: Option<u64>,
}

/// A move-in about to be recorded at the new municipality, with the data it fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIncoming {
    pub move_id: String,
    pub from_code: String,
    pub resident_code: String,
    pub moved_on: String,
    pub address: String,
    /// The move-out certificate data as fetched (JSON).
    pub certificate: String,
    /// The clerk's move-in request (JSON).
    pub request: String,
    pub requested_by: String,
}

/// A move-in at this (the new) municipality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incoming {
    pub move_id: String,
    pub from_code: String,
    pub resident_code: String,
    pub moved_on: String,
    pub address: String,
    pub certificate: String,
    pub request: String,
    pub state: InState,
    pub requested_by: String,
    pub created_at_ms: i64,
    /// The journal sequence of the move-in here.
    pub recorded_seq: Option<u64>,
    /// Notices sent without an acknowledgement, the last failure, and when to try again.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_ms: i64,
    pub completed_at_ms: Option<i64>,
}

/// A node's record of special move procedures.
#[derive(Debug)]
pub struct MoveStore {
    db: juki_localdb::LocalDb,
}

const OUT_COLUMNS: &str = "move_id, resident_code, planned_date, destination, \
    destination_address, notified_at_ms, notified_by, state, fetched_by, fetched_at_ms, \
    closed_by, moved_on, new_address, closed_at_ms, closed_seq";

fn outgoing_row(r: &Row<'_>) -> rusqlite::Result<Outgoing> {
    let state: String = r.get(7)?;
    Ok(Outgoing {
        move_id: r.get(0)?,
        resident_code: r.get(1)?,
        planned_date: r.get(2)?,
        destination: r.get(3)?,
        destination_address: r.get(4)?,
        notified_at_ms: r.get(5)?,
        notified_by: r.get(6)?,
        state: OutState::parse(&state).map_err(|e| bad_state(7, e.to_string()))?,
        fetched_by: r.get(8)?,
        fetched_at_ms: r.get(9)?,
        closed_by: r.get(10)?,
        moved_on: r.get(11)?,
        new_address: r.get(12)?,
        closed_at_ms: r.get(13)?,
        closed_seq: r.get::<_, Option<i64>>(14)?.map(|s| s as u64),
    })
}

const IN_COLUMNS: &str = "move_id, from_code, resident_code, moved_on, address, certificate, \
    request, state, requested_by, created_at_ms, recorded_seq, attempts, last_error, \
    next_attempt_ms, completed_at_ms";

fn incoming_row(r: &Row<'_>) -> rusqlite::Result<Incoming> {
    let state: String = r.get(7)?;
    Ok(Incoming {
        move_id: r.get(0)?,
        from_code: r.get(1)?,
        resident_code: r.get(2)?,
        moved_on: r.get(3)?,
        address: r.get(4)?,
        certificate: r.get(5)?,
        request: r.get(6)?,
        state: InState::parse(&state).map_err(|e| bad_state(7, e.to_string()))?,
        requested_by: r.get(8)?,
        created_at_ms: r.get(9)?,
        recorded_seq: r.get::<_, Option<i64>>(10)?.map(|s| s as u64),
        attempts: r.get(11)?,
        last_error: r.get(12)?,
        next_attempt_ms: r.get(13)?,
        completed_at_ms: r.get(14)?,
    })
}

/// Runs `sql` and reads each row with `row`.
fn select<T>(
    tx: &Transaction<'_>,
    sql: &str,
    args: impl rusqlite::Params,
    row: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, MoveError> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map(args, row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}

fn select_out(
    tx: &Transaction<'_>,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Outgoing>, MoveError> {
    let sql = format!("SELECT {OUT_COLUMNS} FROM outgoing WHERE {filter}");
    select(tx, &sql, args, outgoing_row)
}

fn select_in(
    tx: &Transaction<'_>,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Incoming>, MoveError> {
    let sql = format!("SELECT {IN_COLUMNS} FROM incoming WHERE {filter}");
    select(tx, &sql, args, incoming_row)
}

/// A state column that holds no known state.
fn bad_state(column: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, what.into())
}

/// What [`MoveStore::notify_out`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notified {
    /// A new move-out was recorded.
    Created(Outgoing),
    /// The same move-out (resident, planned date, destination) was already open: nothing new.
    Again(Outgoing),
    /// Another move-out of the same resident is open (a different date or destination).
    Conflict(Outgoing),
}

impl MoveStore {
    /// Opens (creating, 0600) the record at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<MoveStore, MoveError> {
        let db = juki_localdb::LocalDb::open(path, MIGRATIONS)
            .map_err(|e| MoveError::Storage(e.to_string()))?;
        Ok(MoveStore { db })
    }

    pub fn path(&self) -> &Path {
        self.db.path()
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, MoveError>,
    ) -> Result<T, MoveError> {
        self.db.write(f)
    }

    /// Records a move-out notified at this municipality as `<code>-<n>`, unless the resident
    /// already has one open ([`Notified`] says which).
    pub fn notify_out(
        &self,
        code: &str,
        new: &NewOutgoing,
        now_ms: i64,
    ) -> Result<Notified, MoveError> {
        self.write(|tx| {
            let open = select_out(
                tx,
                "resident_code = ?1 AND state <> 'closed' ORDER BY seq DESC LIMIT 1",
                [&new.resident_code],
            )?;
            if let Some(o) = open.into_iter().next() {
                let same = o.planned_date == new.planned_date
                    && o.destination == new.destination
                    && o.destination_address == new.destination_address;
                return Ok(if same {
                    Notified::Again(o)
                } else {
                    Notified::Conflict(o)
                });
            }
            let next: i64 =
                tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM outgoing", [], |r| {
                    r.get(0)
                })?;
            let move_id = format!("{code}-{next}");
            tx.execute(
                "INSERT INTO outgoing (seq, move_id, resident_code, planned_date, destination, \
                 destination_address, notified_at_ms, notified_by, state) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'notified')",
                params![
                    next,
                    move_id,
                    new.resident_code,
                    new.planned_date,
                    new.destination,
                    new.destination_address,
                    now_ms,
                    new.notified_by
                ],
            )?;
            let created = select_out(tx, "move_id = ?1", [&move_id])?;
            created
                .into_iter()
                .next()
                .map(Notified::Created)
                .ok_or_else(|| MoveError::Storage("a move just recorded is missing".into()))
        })
    }

    /// The latest move-out of `resident_code` notified here (open or not).
    pub fn latest_out(&self, resident_code: &str) -> Result<Option<Outgoing>, MoveError> {
        self.write(|tx| {
            Ok(select_out(
                tx,
                "resident_code = ?1 ORDER BY seq DESC LIMIT 1",
                [resident_code],
            )?
            .into_iter()
            .next())
        })
    }

    /// The move-out `move_id`.
    pub fn outgoing(&self, move_id: &str) -> Result<Option<Outgoing>, MoveError> {
        self.write(|tx| {
            Ok(select_out(tx, "move_id = ?1", [move_id])?
                .into_iter()
                .next())
        })
    }

    /// Records that `by` fetched the certificate data of `move_id` (the first fetch is kept;
    /// a closed move stays closed).
    pub fn mark_fetched(&self, move_id: &str, by: &str, now_ms: i64) -> Result<(), MoveError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outgoing SET state = 'fetched', fetched_by = ?2, fetched_at_ms = ?3 \
                 WHERE move_id = ?1 AND state = 'notified'",
                params![move_id, by, now_ms],
            )?;
            Ok(())
        })
    }

    /// Records that the move-in notice of `move_id` arrived from `by` and the record was
    /// closed by the journal entry `seq`. Idempotent: a second notice changes nothing.
    pub fn close_out(
        &self,
        move_id: &str,
        by: &str,
        moved_on: &str,
        new_address: &str,
        seq: u64,
        now_ms: i64,
    ) -> Result<(), MoveError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outgoing SET state = 'closed', closed_by = ?2, moved_on = ?3, \
                 new_address = ?4, closed_seq = ?5, closed_at_ms = ?6 \
                 WHERE move_id = ?1 AND state <> 'closed'",
                params![move_id, by, moved_on, new_address, seq as i64, now_ms],
            )?;
            Ok(())
        })
    }

    /// Records a move-in whose certificate data was fetched; when `move_id` is already here,
    /// the record as it stands (a resumed procedure) and false.
    pub fn begin_in(&self, new: &NewIncoming, now_ms: i64) -> Result<(Incoming, bool), MoveError> {
        self.write(|tx| {
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO incoming (move_id, from_code, resident_code, moved_on, \
                 address, certificate, request, state, requested_by, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'fetched', ?8, ?9)",
                params![
                    new.move_id,
                    new.from_code,
                    new.resident_code,
                    new.moved_on,
                    new.address,
                    new.certificate,
                    new.request,
                    new.requested_by,
                    now_ms
                ],
            )?;
            let found = select_in(tx, "move_id = ?1", [&new.move_id])?;
            let found = found
                .into_iter()
                .next()
                .ok_or_else(|| MoveError::Storage("a move just recorded is missing".into()))?;
            Ok((found, inserted == 1))
        })
    }

    /// The move-in `move_id`.
    pub fn incoming(&self, move_id: &str) -> Result<Option<Incoming>, MoveError> {
        self.write(|tx| Ok(select_in(tx, "move_id = ?1", [move_id])?.into_iter().next()))
    }

    /// The unfinished move-in of `resident_code` from `from_code`, if any.
    pub fn open_in(
        &self,
        resident_code: &str,
        from_code: &str,
    ) -> Result<Option<Incoming>, MoveError> {
        self.write(|tx| {
            Ok(select_in(
                tx,
                "resident_code = ?1 AND from_code = ?2 AND state <> 'completed' \
                 ORDER BY created_at_ms DESC LIMIT 1",
                [resident_code, from_code],
            )?
            .into_iter()
            .next())
        })
    }

    /// Records that the move-in of `move_id` is in the store as journal entry `seq`.
    pub fn mark_recorded(&self, move_id: &str, seq: u64) -> Result<(), MoveError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE incoming SET state = 'notice-pending', recorded_seq = ?2 \
                 WHERE move_id = ?1 AND state = 'fetched'",
                params![move_id, seq as i64],
            )?;
            Ok(())
        })
    }

    /// Records a step that failed (a notice not acknowledged, a move-in the store refused),
    /// and when to try it again.
    pub fn step_failed(
        &self,
        move_id: &str,
        error: &str,
        next_attempt_ms: i64,
    ) -> Result<(), MoveError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE incoming SET attempts = attempts + 1, last_error = ?2, \
                 next_attempt_ms = ?3 WHERE move_id = ?1 AND state <> 'completed'",
                params![move_id, error, next_attempt_ms],
            )?;
            Ok(())
        })
    }

    /// Records that the old municipality acknowledged the notice of `move_id`.
    pub fn complete_in(&self, move_id: &str, now_ms: i64) -> Result<(), MoveError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE incoming SET state = 'completed', completed_at_ms = ?2, last_error = NULL \
                 WHERE move_id = ?1 AND state = 'notice-pending'",
                params![move_id, now_ms],
            )?;
            Ok(())
        })
    }

    /// Move-ins not yet completed whose next step is due, oldest first, at most `limit`.
    pub fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<Incoming>, MoveError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(|tx| {
            select_in(
                tx,
                "state <> 'completed' AND next_attempt_ms <= ?1 \
                 ORDER BY created_at_ms LIMIT ?2",
                params![now_ms, limit],
            )
        })
    }

    /// Every procedure about `resident_code` at this node: move-outs notified here and
    /// move-ins recorded here, oldest first.
    pub fn about(&self, resident_code: &str) -> Result<(Vec<Outgoing>, Vec<Incoming>), MoveError> {
        self.write(|tx| {
            Ok((
                select_out(tx, "resident_code = ?1 ORDER BY seq", [resident_code])?,
                select_in(
                    tx,
                    "resident_code = ?1 ORDER BY created_at_ms",
                    [resident_code],
                )?,
            ))
        })
    }

    /// How many move-ins wait for their notice to be acknowledged (for status and metrics).
    pub fn pending_notices(&self) -> Result<u64, MoveError> {
        let conn = self.db.conn();
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM incoming WHERE state <> 'completed'",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests;

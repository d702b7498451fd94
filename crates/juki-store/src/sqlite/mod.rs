//! The SQLite store: the embedded default (nothing to install).
//!
//! One writer connection (SQLite allows one writer at a time) and a small pool of reader
//! connections; WAL mode lets readers run while the writer commits. Every commit of
//! [`Store::apply`] is durable (`synchronous = FULL`) before it returns.
//!
//! [`Store::bulk_load`] is for a stopped node: it commits the journal batch by batch without
//! waiting for the disk, writes `residents` and builds deferred indexes once at the end, in a
//! last commit that does wait for it (`synchronous = FULL`), and returns after checkpointing
//! the WAL into the database file. A helper thread prepares each next batch, and checkpoints
//! each batch committed, meanwhile. See [`bulk`].

mod bulk;
mod rows;
mod schema;
mod segment;
#[cfg(test)]
mod tests;

use crate::engine::{self, EntryMeta, HISTORY_ENTRIES_MAX, Held, NewEntry, ResidentState, Txn};
use crate::{
    BulkSummary, CodePool, CodesAfterRestore, JOURNAL_LIMIT_MAX, JournalEntry, LinkFrom, Outcome,
    Received, Recovered, ResidentView, SEARCH_LIMIT_MAX, SearchHit, SearchQuery, SegmentSummary,
    Store, StoreError, StoreStats,
};
use bulk::{Bulk, META_CURRENT, META_TOTAL};
use juki_domain::{LocalGovernmentCode, RecordStatus, ResidentCode, ValidatedChange};
use rows::*;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
pub use segment::{
    JOURNAL_LINE, WHOLE_TABLES, for_each_statement, line_seq, segment_summary, write_header,
};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Tuning of a SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// Page cache of the writer connection.
    pub writer_cache_mib: u32,
    /// Page cache of each reader connection.
    pub reader_cache_mib: u32,
    /// Reader connections kept open at most (more may be opened under load and closed after).
    pub readers_max: usize,
    /// How long to wait for a lock held by another process.
    pub busy_timeout_ms: u64,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        SqliteOptions {
            writer_cache_mib: 256,
            reader_cache_mib: 32,
            readers_max: 16,
            busy_timeout_ms: 5_000,
        }
    }
}

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    options: SqliteOptions,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let mut writer = Connection::open(path)?;
        configure(&writer, &options, options.writer_cache_mib)?;
        // Only takes effect on a new store: before anything (WAL mode included) is written.
        writer.pragma_update(None, "page_size", schema::PAGE_SIZE)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut writer)?;
        bulk::catch_up(&mut writer)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            options,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// A second writing connection for a bulk load's helper thread, which checkpoints the WAL
    /// while the writer goes on; None if it cannot be opened (the writer then checkpoints).
    fn checkpointer(&self) -> Option<Connection> {
        let conn = Connection::open(&self.path).ok()?;
        conn.busy_timeout(Duration::from_millis(self.options.busy_timeout_ms))
            .ok()?;
        conn.pragma_update(None, "synchronous", "NORMAL").ok()?;
        Some(conn)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the writer leaves no open transaction behind (rusqlite rolls
        // back on drop), so a poisoned lock is safe to keep using.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c, &self.options, self.options.reader_cache_mib)?;
                c
            }
        };
        let result = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < self.options.readers_max {
            pool.push(conn);
        }
        result
    }

    fn meta_i64(conn: &Connection, key: &str) -> Result<i64, StoreError> {
        let v: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        v.map_or(Ok(0), |s| {
            s.parse()
                .map_err(|_| StoreError::Corrupt(format!("meta {key}")))
        })
    }
}

fn configure(conn: &Connection, options: &SqliteOptions, cache_mib: u32) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_millis(options.busy_timeout_ms))?;
    conn.pragma_update(None, "cache_size", -(i64::from(cache_mib) * 1024))?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = schema::MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::SchemaNewer { found, known });
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// [`Txn`] over an open SQLite transaction; counts how the number of residents changes.
///
/// In a bulk load, resident rows are not written one by one: they collect in the load's
/// [`Bulk`] state and are written once, sorted by code, at its end.
struct SqliteTxn<'a> {
    tx: &'a Transaction<'a>,
    delta_current: i64,
    delta_total: i64,
    bulk: Option<&'a mut Bulk>,
    /// Scratch space for a journal entry's snapshot.
    buf: Vec<u8>,
    /// The journal insert, prepared once per transaction (looking it up in the statement cache
    /// for every row costs more than binding it).
    journal_insert: Option<rusqlite::CachedStatement<'a>>,
    /// In a bulk load: the batch being applied and what was computed ahead for it.
    prepared: Option<(&'a Prepared, &'a [ValidatedChange])>,
    /// The change of that batch being applied.
    current: usize,
}

impl SqliteTxn<'_> {
    fn new<'a>(tx: &'a Transaction<'a>, bulk: Option<&'a mut Bulk>) -> SqliteTxn<'a> {
        SqliteTxn {
            tx,
            delta_current: 0,
            delta_total: 0,
            bulk,
            buf: Vec::with_capacity(512),
            journal_insert: None,
            prepared: None,
            current: 0,
        }
    }

    /// Writes the counters' changes (in a bulk load: hands them to the load); call once before
    /// commit.
    fn finish(self) -> Result<(), StoreError> {
        match self.bulk {
            Some(b) => {
                b.delta_current += self.delta_current;
                b.delta_total += self.delta_total;
                b.end_batch(self.tx)?;
            }
            None => bulk::add_counts(self.tx, self.delta_current, self.delta_total)?,
        }
        Ok(())
    }

    /// A resident from its state: the facts are in journal entry `facts_seq`.
    fn read_journal_facts(
        &self,
        code: ResidentCode,
        state: ResidentState,
    ) -> Result<Held, StoreError> {
        let mut st = self
            .tx
            .prepare_cached(&format!("{} WHERE j.seq = ?1", journal_select()))?;
        let mut rows = st.query([state.facts_seq as i64])?;
        let row = rows.next()?.ok_or_else(|| {
            StoreError::Corrupt(format!("journal entry {} missing", state.facts_seq))
        })?;
        let e = read_journal(row, &[])?;
        Ok(Held {
            resident: juki_domain::StoredResident {
                record: juki_domain::IdentityRecord {
                    resident_code: code,
                    facts: e.facts,
                },
                status: state.status,
                local: e.local,
            },
            state,
        })
    }
}

impl Txn for SqliteTxn<'_> {
    fn seen(
        &mut self,
        recorded_by: LocalGovernmentCode,
        record_id: &str,
    ) -> Result<Option<(u64, ResidentCode)>, StoreError> {
        if let Some(b) = &self.bulk
            && let Some(found) = b.seen(self.tx, recorded_by, record_id)?
        {
            return Ok(found);
        }
        let mut st = self.tx.prepare_cached(
            "SELECT seq, resident_code FROM journal WHERE recorded_by = ?1 AND record_id = ?2",
        )?;
        let row: Option<(i64, i64)> = st
            .query_row(params![recorded_by.get(), record_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(seq, code)| Ok((seq as u64, rows::resident_code(code)?)))
            .transpose()
    }

    fn resident(&mut self, code: ResidentCode) -> Result<Option<Held>, StoreError> {
        if let Some(b) = &self.bulk {
            if let Some(state) = b.get(code) {
                return self.read_journal_facts(code, state).map(Some);
            }
            if !b.table_rows() {
                return Ok(None);
            }
        }
        let mut st = self.tx.prepare_cached(RESIDENT_STATE)?;
        let mut rows = st.query([code.get() as i64])?;
        let state = match rows.next()? {
            Some(row) => read_state(row)?,
            None => return Ok(None),
        };
        self.read_journal_facts(code, state).map(Some)
    }

    fn peek_code(&mut self) -> Result<Option<ResidentCode>, StoreError> {
        loop {
            let mut st = self.tx.prepare_cached(
                "SELECT start_body, next_body FROM code_pools WHERE next_body < end_body ORDER BY start_body LIMIT 1",
            )?;
            let Some((start, next)) = st
                .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                .optional()?
            else {
                return Ok(None);
            };
            let code = ResidentCode::from_body(next as u64);
            // A code given explicitly (e.g. in a birth row) may already be taken: skip it.
            let pending = self.bulk.as_ref().is_some_and(|b| b.get(code).is_some());
            let mut taken = self
                .tx
                .prepare_cached("SELECT 1 FROM residents WHERE resident_code = ?1")?;
            if pending || taken.exists([code.get() as i64])? {
                self.tx.execute(
                    "UPDATE code_pools SET next_body = next_body + 1 WHERE start_body = ?1",
                    [start],
                )?;
                continue;
            }
            return Ok(Some(code));
        }
    }

    fn consume_code(&mut self, code: ResidentCode) -> Result<(), StoreError> {
        let n = self.tx.execute(
            "UPDATE code_pools SET next_body = next_body + 1 WHERE next_body = ?1 AND next_body < end_body",
            [code.body() as i64],
        )?;
        debug_assert_eq!(n, 1, "consume_code takes the code peek_code returned");
        Ok(())
    }

    fn append(&mut self, entry: &NewEntry<'_>) -> Result<Option<u64>, StoreError> {
        // In a load into an empty journal, the idempotency index is deferred: ask the load.
        if let Some(b) = &mut self.bulk
            && let Some(Some(_)) = b.claim(self.tx, entry.recorded_by, &entry.change.record_id)?
        {
            return Ok(None);
        }
        let st = match &mut self.journal_insert {
            Some(st) => st,
            None => self
                .journal_insert
                .insert(self.tx.prepare_cached(JOURNAL_INSERT)?),
        };
        let prepared = self
            .prepared
            .and_then(|(p, batch)| p.for_entry(batch, self.current, entry));
        match insert_journal(st, entry, prepared, &mut self.buf) {
            Ok(()) => {
                let seq = self.tx.last_insert_rowid() as u64;
                if let Some(b) = &mut self.bulk {
                    b.appended(seq)?;
                }
                Ok(Some(seq))
            }
            // The unique index on (recorded_by, record_id): this change was recorded before.
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn put_resident(
        &mut self,
        code: ResidentCode,
        state: ResidentState,
        before: Option<RecordStatus>,
    ) -> Result<(), StoreError> {
        match &mut self.bulk {
            Some(b) => b.put(code, state),
            None => {
                let mut st = self.tx.prepare_cached(RESIDENT_WRITE)?;
                write_resident(&mut st, code, state)?;
            }
        }
        let is_current = |s: Option<RecordStatus>| i64::from(s == Some(RecordStatus::Current));
        self.delta_current += is_current(Some(state.status)) - is_current(before);
        self.delta_total += i64::from(before.is_none());
        Ok(())
    }

    fn state(&mut self, code: ResidentCode) -> Result<Option<ResidentState>, StoreError> {
        if let Some(b) = &self.bulk
            && let Some(state) = b.get(code)
        {
            return Ok(Some(state));
        }
        let mut st = self.tx.prepare_cached(RESIDENT_STATE)?;
        let mut rows = st.query([code.get() as i64])?;
        rows.next()?.map(read_state).transpose()
    }

    fn about(&mut self, code: ResidentCode) -> Result<Vec<EntryMeta>, StoreError> {
        forwarded_about(self.tx, code)
    }
}

/// The position acknowledged on a link into this node.
fn link_position(conn: &Connection, from: &LinkFrom) -> Result<u64, StoreError> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT acked_seq FROM links_in WHERE node = ?1 AND epoch = ?2")?
        .query_row(params![from.node, from.epoch as i64], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0) as u64)
}

/// The forwarded entries about `code` (see [`Txn::about`]).
fn forwarded_about(conn: &Connection, code: ResidentCode) -> Result<Vec<EntryMeta>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT seq, recorded_by, origin_epoch, origin_seq, resident_code, previous_code, status, \
         effective_date, recorded_at_ms FROM journal WHERE origin_seq IS NOT NULL AND resident_code = ?1 \
         UNION ALL \
         SELECT seq, recorded_by, origin_epoch, origin_seq, resident_code, previous_code, status, \
         effective_date, recorded_at_ms FROM journal WHERE origin_seq IS NOT NULL AND previous_code = ?1 \
         AND previous_code IS NOT NULL AND resident_code != ?1",
    )?;
    let mut rows = st.query([code.get() as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        if out.len() >= HISTORY_ENTRIES_MAX {
            return Err(StoreError::Corrupt(format!(
                "history of a resident longer than {HISTORY_ENTRIES_MAX}"
            )));
        }
        out.push(read_meta(row)?);
    }
    Ok(out)
}

/// The whole history of `code` at an upper tier, newest (highest sequence here) first.
fn forwarded_history(
    conn: &Connection,
    code: ResidentCode,
    epochs: &[(u64, u64)],
) -> Result<Vec<JournalEntry>, StoreError> {
    let seqs = engine::forwarded_seqs(code, &mut |c| forwarded_about(conn, c))?;
    let mut st = conn.prepare_cached(&format!("{} WHERE j.seq = ?1", journal_select()))?;
    let mut history = Vec::with_capacity(seqs.len());
    for seq in seqs.into_iter().rev() {
        let mut rows = st.query([seq as i64])?;
        let row = rows
            .next()?
            .ok_or_else(|| StoreError::Corrupt(format!("journal entry {seq} missing")))?;
        history.push(read_journal(row, epochs)?);
    }
    Ok(history)
}

/// WAL pages past which the writer checkpoints itself during a bulk load (256 MiB of 16 KiB
/// pages); the load's helper thread checkpoints every batch committed, so the writer has
/// little left to copy when it does.
const LOAD_CHECKPOINT_PAGES: i64 = 16_384;
/// SQLite's default `wal_autocheckpoint`, in force outside bulk loads.
const CHECKPOINT_PAGES: i64 = 1000;

/// The writer during a bulk load: its commits do not wait for the disk (`synchronous =
/// NORMAL`) nor checkpoint the WAL until it is large, until it is dropped, however the load ends
/// (a panicking `on_batch` included).
struct Lowered<'a>(std::sync::MutexGuard<'a, Connection>);

impl<'a> Lowered<'a> {
    fn new(conn: std::sync::MutexGuard<'a, Connection>) -> Result<Lowered<'a>, StoreError> {
        let conn = Lowered(conn);
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", LOAD_CHECKPOINT_PAGES)?;
        Ok(conn)
    }

    fn restore(&self) -> Result<(), StoreError> {
        self.0.pragma_update(None, "synchronous", "FULL")?;
        self.0
            .pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
        Ok(())
    }
}

impl Drop for Lowered<'_> {
    fn drop(&mut self) {
        // Also done explicitly (with its error reported) when a load ends normally.
        let _ = self.restore();
    }
}

impl std::ops::Deref for Lowered<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl std::ops::DerefMut for Lowered<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0
    }
}

/// The body of [`Store::bulk_load`]: the batches, each in a transaction, then the residents and
/// the deferred indexes ([`bulk`]).
fn load(
    conn: &mut Connection,
    checkpointer: Option<Connection>,
    node: LocalGovernmentCode,
    now_ms: i64,
    batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
    on_batch: &mut dyn FnMut(&[Outcome]),
) -> Result<BulkSummary, StoreError> {
    let mut summary = BulkSummary::default();
    let mut state: Option<Bulk> = None;
    bulk::pipelined(batches, checkpointer, |batch, prepared| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let b = match &mut state {
            Some(b) => b,
            None => state.insert(Bulk::begin(&tx)?),
        };
        let mut txn = SqliteTxn::new(&tx, Some(b));
        txn.prepared = Some((prepared, batch));
        let mut outcomes = Vec::with_capacity(batch.len());
        for (i, c) in batch.iter().enumerate() {
            txn.current = i;
            outcomes.push(engine::apply_one(&mut txn, node, now_ms, c)?);
        }
        txn.finish()?;
        tx.commit()?;
        summary.count(&outcomes);
        on_batch(&outcomes);
        Ok(())
    })?;
    if let Some(b) = state {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        b.finish(&tx)?;
        tx.commit()?;
        summary.index_build_ms = bulk::complete(conn)?;
    }
    Ok(summary)
}

impl Store for SqliteStore {
    fn apply(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        changes: &[ValidatedChange],
    ) -> Result<Vec<Outcome>, StoreError> {
        let mut conn = self.writer();
        bulk::catch_up(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut txn = SqliteTxn::new(&tx, None);
        let outcomes = changes
            .iter()
            .map(|c| engine::apply_one(&mut txn, node, now_ms, c))
            .collect::<Result<Vec<_>, _>>()?;
        txn.finish()?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn bulk_load(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
        on_batch: &mut dyn FnMut(&[Outcome]),
    ) -> Result<BulkSummary, StoreError> {
        let mut conn = self.writer();
        bulk::catch_up(&mut conn)?;
        // Each batch commits without waiting for the disk; the last commit does (see
        // `bulk::complete`), which makes the whole load durable.
        let mut conn = Lowered::new(conn)?;
        let loaded = load(
            &mut conn,
            self.checkpointer(),
            node,
            now_ms,
            batches,
            on_batch,
        );
        // Whether or not the load succeeded: what was committed is made whole and durable.
        let caught_up = match &loaded {
            Ok(_) => Ok(false),
            Err(_) => bulk::catch_up(&mut conn),
        };
        conn.restore()?;
        // Copies the WAL into the database file and empties it: a load leaves no large WAL.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        caught_up?;
        loaded
    }

    fn record(&self, code: ResidentCode) -> Result<Option<ResidentView>, StoreError> {
        self.with_reader(|conn| {
            let mut st = conn.prepare_cached(RESIDENT_STATE)?;
            let mut rows = st.query([code.get() as i64])?;
            let Some(row) = rows.next()? else {
                return Ok(None);
            };
            let state = read_state(row)?;
            let epochs = read_epochs(conn)?;
            let forwarded: bool = conn
                .prepare_cached(FORWARDED_HEAD)?
                .query_row([state.last_seq as i64], |r| r.get(0))?;
            let history = match forwarded {
                true => Some(forwarded_history(conn, code, &epochs)?),
                false => None,
            };
            let mut entry_st =
                conn.prepare_cached(&format!("{} WHERE j.seq = ?1", journal_select()))?;
            let mut read_entry = |seq: u64| -> Result<JournalEntry, StoreError> {
                let mut rows = entry_st.query([seq as i64])?;
                let row = rows
                    .next()?
                    .ok_or_else(|| StoreError::Corrupt(format!("journal entry {seq} missing")))?;
                read_journal(row, &epochs)
            };
            engine::view(code, state, history, &mut read_entry).map(Some)
        })
    }

    fn residents(
        &self,
        codes: &[ResidentCode],
    ) -> Result<Vec<Option<juki_domain::StoredResident>>, StoreError> {
        self.with_reader(|conn| {
            let mut st = conn.prepare_cached(&rows::resident_by_code())?;
            codes
                .iter()
                .map(|c| {
                    let mut found = st.query([c.get() as i64])?;
                    found.next()?.map(rows::read_resident).transpose()
                })
                .collect()
        })
    }

    fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        let limit = q.limit.clamp(1, SEARCH_LIMIT_MAX) as i64;
        self.with_reader(|conn| {
            // Entries with the four facts, of residents whose facts they hold now.
            let mut st = conn.prepare_cached(&format!(
                "{} WHERE j.search_key = ?1 AND j.birth_date = ?2 AND j.sex = ?3 \
                 AND r.resident_code = j.resident_code AND r.facts_seq = j.seq \
                 AND (?4 IS NULL OR j.snapshot ->> '$[5]' = ?4) \
                 AND (?5 IS NULL OR substr(j.snapshot ->> '$[6]', 1, length(?5)) = ?5) \
                 AND (?6 OR r.status = 'current') AND r.resident_code > ?7 ORDER BY r.resident_code LIMIT ?8",
                resident_select()
            ))?;
            let mut rows = st.query(params![
                q.search_key,
                q.birth_date.to_string(),
                q.sex.as_str(),
                q.address_code.map(|c| c.get()),
                q.address_prefix,
                q.include_closed,
                q.after.map_or(-1, |c| c.get() as i64),
                limit
            ])?;
            let mut hits = Vec::new();
            while let Some(row) = rows.next()? {
                hits.push(SearchHit { resident: read_resident(row)? });
            }
            Ok(hits)
        })
    }

    fn journal_after(&self, after: u64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        let limit = limit.clamp(1, JOURNAL_LIMIT_MAX) as i64;
        self.with_reader(|conn| {
            let mut st = conn.prepare_cached(&format!(
                "{} WHERE j.seq > ?1 ORDER BY j.seq LIMIT ?2",
                journal_select()
            ))?;
            let epochs = read_epochs(conn)?;
            let mut rows = st.query(params![after as i64, limit])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_journal(row, &epochs)?);
            }
            Ok(out)
        })
    }

    fn receive(&self, from: &LinkFrom, entries: &[JournalEntry]) -> Result<Received, StoreError> {
        let mut conn = self.writer();
        bulk::catch_up(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut txn = SqliteTxn::new(&tx, None);
        let received = engine::receive(&mut txn, link_position(&tx, from)?, entries)?;
        txn.finish()?;
        tx.execute(
            "INSERT INTO links_in (node, epoch, acked_seq) VALUES (?1, ?2, ?3) \
             ON CONFLICT (node, epoch) DO UPDATE SET acked_seq = excluded.acked_seq",
            params![from.node, from.epoch as i64, received.acked as i64],
        )?;
        tx.commit()?;
        Ok(received)
    }

    fn received(&self, from: &LinkFrom) -> Result<u64, StoreError> {
        self.with_reader(|conn| link_position(conn, from))
    }

    fn link_acked(&self, link: &str) -> Result<u64, StoreError> {
        self.with_reader(|conn| {
            let v: Option<i64> = conn
                .prepare_cached("SELECT acked_seq FROM links WHERE name = ?1")?
                .query_row([link], |r| r.get(0))
                .optional()?;
            Ok(v.unwrap_or(0) as u64)
        })
    }

    fn set_link_acked(&self, link: &str, seq: u64) -> Result<(), StoreError> {
        let conn = self.writer();
        conn.prepare_cached(
            "INSERT INTO links (name, acked_seq) VALUES (?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET acked_seq = excluded.acked_seq",
        )?
        .execute(params![link, seq as i64])?;
        Ok(())
    }

    fn grant_code_pool(&self, size: u64) -> Result<Option<CodePool>, StoreError> {
        if size == 0 || size > ResidentCode::SPACE {
            return Err(StoreError::Io(format!("invalid code pool size {size}")));
        }
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<(i64, i64)> = tx
            .query_row(
                "SELECT start_body, next_body FROM code_pools WHERE end_body - next_body >= ?1 \
                 ORDER BY start_body LIMIT 1",
                [size as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((start, next)) = found else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE code_pools SET next_body = next_body + ?2 WHERE start_body = ?1",
            params![start, size as i64],
        )?;
        tx.commit()?;
        Ok(Some(CodePool {
            start: next as u64,
            end: next as u64 + size,
        }))
    }

    fn add_code_pool(&self, pool: CodePool) -> Result<(), StoreError> {
        if pool.start >= pool.end || pool.end > ResidentCode::SPACE {
            return Err(StoreError::Io(format!(
                "invalid code pool {}..{}",
                pool.start, pool.end
            )));
        }
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let overlaps: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM code_pools WHERE start_body < ?2 AND end_body > ?1)",
            params![pool.start as i64, pool.end as i64],
            |r| r.get(0),
        )?;
        if overlaps {
            return Err(StoreError::Io(format!(
                "code pool {}..{} overlaps one already held",
                pool.start, pool.end
            )));
        }
        tx.execute(
            "INSERT INTO code_pools (start_body, end_body, next_body) VALUES (?1, ?2, ?1)",
            params![pool.start as i64, pool.end as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn begin_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError> {
        self.new_epoch(codes)
    }

    fn reindex_after(&self, after: u64) -> Result<u64, StoreError> {
        self.reindex_journal_after(after)
    }

    fn export_segment(
        &self,
        after: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError> {
        self.export(after, out)
    }

    fn recover(&self, entries: &[JournalEntry]) -> Result<Recovered, StoreError> {
        let mut conn = self.writer();
        bulk::catch_up(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut txn = SqliteTxn::new(&tx, None);
        let recovered = engine::recover_all(&mut txn, entries)?;
        txn.finish()?;
        segment::advance_pools(&tx, entries.iter().flat_map(JournalEntry::codes))?;
        tx.commit()?;
        Ok(recovered)
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.with_reader(|conn| {
            let journal_head: i64 =
                conn.query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
                    r.get(0)
                })?;
            let codes_available: i64 = conn.query_row(
                "SELECT coalesce(sum(end_body - next_body), 0) FROM code_pools",
                [],
                |r| r.get(0),
            )?;
            let schema_version: i64 =
                conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let epoch: i64 =
                conn.query_row("SELECT coalesce(max(epoch), 1) FROM epochs", [], |r| {
                    r.get(0)
                })?;
            Ok(StoreStats {
                epoch: epoch as u64,
                residents_current: Self::meta_i64(conn, META_CURRENT)? as u64,
                residents_total: Self::meta_i64(conn, META_TOTAL)? as u64,
                journal_head: journal_head as u64,
                codes_available: codes_available as u64,
                schema_version,
            })
        })
    }
}

//! The state of one bulk load across its batches, and catching up after an interrupted one.
//!
//! `residents` is a function of the journal (see [`catch_up`]), so a bulk load commits the
//! journal batch by batch but writes `residents` once, at the end, sorted by code: every page of
//! the table is then written once, instead of once per batch. Until then, the meta key
//! [`BULK_RESIDENTS_AFTER`] says from which entry on the journal is not reflected in
//! `residents`; should the load be interrupted, opening the store replays those entries.
//!
//! Into an empty journal, the load also defers the journal's indexes ([`DEFERRABLE_INDEXES`])
//! and builds them at the end, one sort each. Duplicates within the load are then found in
//! memory ([`RecordIds`]), exactly: by a 64-bit hash of the record id, confirmed against the
//! journal row it points to, with the rare colliding ids kept whole.
//!
//! Memory: a pending resident takes 24 bytes (and a control byte) and a record id 16, in hash
//! tables between 44% and 87% full: 48–96 bytes per resident loaded (88 for a million). Past
//! [`PENDING_MAX`] residents or [`IDS_MAX`] record ids (a load of several million), the pending
//! rows are written out, or the idempotency index is built, and the load goes on without them.
//! Besides, each batch in flight (at most three) takes about 300 bytes per change for what is
//! [`Prepared`] for it.

use super::rows::{self, Prepared, RESIDENT_STATE, read_state, write_residents};
use super::schema::{BULK_RESIDENTS_AFTER, DEFERRABLE_INDEXES, IDEMPOTENCY_INDEX};
use crate::StoreError;
use crate::engine::ResidentState;
use juki_domain::{LocalGovernmentCode, RecordStatus, ResidentCode, ValidatedChange};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::sync::mpsc;

/// Meta keys of the counters kept in step with `residents`.
pub(super) const META_CURRENT: &str = "residents_current";
pub(super) const META_TOTAL: &str = "residents_total";

/// Pending residents past which they are written out mid-load (bounds memory; just under a
/// power-of-two table's capacity).
const PENDING_MAX: usize = 7_000_000;
/// Record ids kept in memory past which the idempotency index is built mid-load.
const IDS_MAX: usize = 7_000_000;

#[cfg(not(test))]
fn limits() -> (usize, usize) {
    (PENDING_MAX, IDS_MAX)
}

#[cfg(test)]
thread_local! {
    /// Tests lower the limits to exercise what happens past them.
    pub(super) static LIMITS: std::cell::Cell<(usize, usize)> =
        const { std::cell::Cell::new((PENDING_MAX, IDS_MAX)) };
}

#[cfg(test)]
fn limits() -> (usize, usize) {
    LIMITS.with(|l| l.get())
}

/// A hasher for keys that are one `u64` (a code, or a hash already): the splitmix64
/// finalizer, so that the table's bucket and tag bits both vary.
#[derive(Default)]
pub(super) struct U64Hasher(u64);

impl Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

type U64Map<V> = HashMap<u64, V, BuildHasherDefault<U64Hasher>>;

/// Record ids appended by this load, while the journal's idempotency index is deferred.
pub(super) struct RecordIds {
    /// Hash of `(recorded_by, record_id)` → the sequence of the first entry with that hash.
    by_hash: U64Map<u64>,
    /// Ids whose hash an earlier, different id already had.
    collided: HashMap<(u32, String), u64>,
}

fn id_hash(recorded_by: LocalGovernmentCode, record_id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    recorded_by.get().hash(&mut h);
    record_id.hash(&mut h);
    h.finish()
}

/// Entry `seq`'s sequence and code when it has `(recorded_by, record_id)`.
fn confirm(
    tx: &Transaction<'_>,
    seq: u64,
    recorded_by: LocalGovernmentCode,
    record_id: &str,
) -> Result<Option<(u64, ResidentCode)>, StoreError> {
    let mut st = tx.prepare_cached(
        "SELECT recorded_by, record_id, resident_code FROM journal WHERE seq = ?1",
    )?;
    let (by, id, code): (u32, String, i64) =
        st.query_row([seq as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    (by == recorded_by.get() && id == record_id)
        .then(|| rows::resident_code(code).map(|c| (seq, c)))
        .transpose()
}

/// The resident code of entry `seq`.
fn code_of(tx: &Transaction<'_>, seq: u64) -> Result<ResidentCode, StoreError> {
    let mut st = tx.prepare_cached("SELECT resident_code FROM journal WHERE seq = ?1")?;
    rows::resident_code(st.query_row([seq as i64], |r| r.get(0))?)
}

impl RecordIds {
    pub(super) fn new() -> RecordIds {
        RecordIds {
            by_hash: U64Map::default(),
            collided: HashMap::new(),
        }
    }

    /// The entry this load appended for `(recorded_by, record_id)`, whose [`id_hash`] is
    /// `hash`: its sequence and code.
    pub(super) fn get(
        &self,
        tx: &Transaction<'_>,
        hash: u64,
        recorded_by: LocalGovernmentCode,
        record_id: &str,
    ) -> Result<Option<(u64, ResidentCode)>, StoreError> {
        let Some(&first) = self.by_hash.get(&hash) else {
            return Ok(None);
        };
        if let Some(found) = confirm(tx, first, recorded_by, record_id)? {
            return Ok(Some(found));
        }
        match self
            .collided
            .get(&(recorded_by.get(), record_id.to_string()))
        {
            Some(&seq) => Ok(Some((seq, code_of(tx, seq)?))),
            None => Ok(None),
        }
    }

    /// Claims `(recorded_by, record_id)`, whose [`id_hash`] is `hash`, for entry `seq`, about to
    /// be appended: returns the entry this load appended with it before, or None (it is now
    /// entry `seq`'s).
    pub(super) fn claim(
        &mut self,
        tx: &Transaction<'_>,
        hash: u64,
        recorded_by: LocalGovernmentCode,
        record_id: &str,
        seq: u64,
    ) -> Result<Option<(u64, ResidentCode)>, StoreError> {
        use std::collections::hash_map::Entry;
        // One probe in the common case: a new id with a new hash.
        let first = match self.by_hash.entry(hash) {
            Entry::Vacant(v) => {
                v.insert(seq);
                return Ok(None);
            }
            Entry::Occupied(o) => *o.get(),
        };
        if let Some(found) = confirm(tx, first, recorded_by, record_id)? {
            return Ok(Some(found));
        }
        match self
            .collided
            .entry((recorded_by.get(), record_id.to_string()))
        {
            Entry::Occupied(o) => Ok(Some((*o.get(), code_of(tx, *o.get())?))),
            Entry::Vacant(v) => {
                v.insert(seq);
                Ok(None)
            }
        }
    }

    fn len(&self) -> usize {
        self.by_hash.len() + self.collided.len()
    }
}

/// A resident's state packed in 16 bytes: the top bit of `facts` marks a current record.
#[derive(Clone, Copy)]
struct Packed {
    last_seq: u64,
    facts: u64,
}

const CURRENT_BIT: u64 = 1 << 63;

impl Packed {
    fn of(s: ResidentState) -> Packed {
        let current = if s.status == RecordStatus::Current {
            CURRENT_BIT
        } else {
            0
        };
        Packed {
            last_seq: s.last_seq,
            facts: s.facts_seq | current,
        }
    }

    fn state(self) -> ResidentState {
        ResidentState {
            status: if self.facts & CURRENT_BIT != 0 {
                RecordStatus::Current
            } else {
                RecordStatus::Closed
            },
            last_seq: self.last_seq,
            facts_seq: self.facts & !CURRENT_BIT,
        }
    }
}

/// What one bulk load keeps across its batches.
pub(super) struct Bulk {
    /// Record ids this load appended, while the idempotency index is deferred.
    ids: Option<RecordIds>,
    /// Residents this load changed, not yet written, by code.
    pending: U64Map<Packed>,
    /// Whether `residents` may hold rows that `pending` does not.
    table_rows: bool,
    /// The sequence the next entry appended gets.
    next_seq: u64,
    /// [`PENDING_MAX`] and [`IDS_MAX`] (smaller in tests).
    limits: (usize, usize),
    /// How the counts of residents changed.
    pub(super) delta_current: i64,
    pub(super) delta_total: i64,
}

impl Bulk {
    /// Starts a load in its first transaction: marks `residents` as behind the journal and, into
    /// an empty journal, drops the deferrable indexes.
    pub(super) fn begin(tx: &Transaction<'_>) -> Result<Bulk, StoreError> {
        let head = journal_head(tx)?;
        let table_rows: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM residents)", [], |r| r.get(0))?;
        set_marker(tx, head)?;
        let empty = head == 0;
        if empty {
            for (name, _) in DEFERRABLE_INDEXES {
                tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
            }
        }
        Ok(Bulk {
            ids: empty.then(RecordIds::new),
            pending: U64Map::default(),
            table_rows,
            next_seq: head + 1,
            limits: limits(),
            delta_current: 0,
            delta_total: 0,
        })
    }

    /// The state of a resident this load changed.
    pub(super) fn get(&self, code: ResidentCode) -> Option<ResidentState> {
        self.pending.get(&code.get()).map(|p| p.state())
    }

    /// Whether `residents` may hold a resident that [`Bulk::get`] does not know.
    pub(super) fn table_rows(&self) -> bool {
        self.table_rows
    }

    pub(super) fn put(&mut self, code: ResidentCode, state: ResidentState) {
        self.pending.insert(code.get(), Packed::of(state));
    }

    /// The entry this load appended for a record id; None when the idempotency index is live
    /// (ask the journal).
    pub(super) fn seen(
        &self,
        tx: &Transaction<'_>,
        recorded_by: LocalGovernmentCode,
        record_id: &str,
    ) -> Result<Option<Option<(u64, ResidentCode)>>, StoreError> {
        self.ids
            .as_ref()
            .map(|ids| ids.get(tx, id_hash(recorded_by, record_id), recorded_by, record_id))
            .transpose()
    }

    /// Claims a record id for the entry about to be appended: the entry that has it already,
    /// if any; None when the idempotency index is live (the insert finds duplicates).
    pub(super) fn claim(
        &mut self,
        tx: &Transaction<'_>,
        recorded_by: LocalGovernmentCode,
        record_id: &str,
    ) -> Result<Option<Option<(u64, ResidentCode)>>, StoreError> {
        let seq = self.next_seq;
        self.ids
            .as_mut()
            .map(|ids| {
                ids.claim(
                    tx,
                    id_hash(recorded_by, record_id),
                    recorded_by,
                    record_id,
                    seq,
                )
            })
            .transpose()
    }

    /// Notes that entry `seq` was appended.
    pub(super) fn appended(&mut self, seq: u64) -> Result<(), StoreError> {
        if seq != self.next_seq {
            return Err(StoreError::Corrupt(format!(
                "journal entry {seq} appended where {} was expected",
                self.next_seq
            )));
        }
        self.next_seq += 1;
        Ok(())
    }

    /// Ends a batch, inside its transaction: bounds the memory held.
    pub(super) fn end_batch(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        let (pending_max, ids_max) = self.limits;
        if self.pending.len() > pending_max {
            self.write_pending(tx)?;
            set_marker(tx, journal_head(tx)?)?;
        }
        if self.ids.as_ref().is_some_and(|ids| ids.len() > ids_max) {
            tx.execute_batch(IDEMPOTENCY_INDEX.1)?;
            self.ids = None;
        }
        Ok(())
    }

    fn write_pending(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        let mut rows: Vec<(u64, Packed)> = std::mem::take(&mut self.pending).into_iter().collect();
        rows.sort_unstable_by_key(|&(code, _)| code);
        write_residents(tx, rows.into_iter().map(|(code, p)| (code, p.state())))?;
        self.table_rows = true;
        add_counts(tx, self.delta_current, self.delta_total)?;
        (self.delta_current, self.delta_total) = (0, 0);
        Ok(())
    }

    /// Ends the load, in a transaction of its own: writes the residents and their counts. The
    /// load is then completed by [`complete`].
    pub(super) fn finish(mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        self.ids = None;
        self.write_pending(tx)
    }
}

/// SQLite's sorter budget while building an index (see [`complete`]).
const SORT_CACHE_KIB: i64 = 4096;

/// Completes a load whose residents are written: builds the deferred indexes that are missing
/// and clears the mark, in one transaction, committed durably. Returns how long the indexes
/// took, in ms.
///
/// An index is built by sorting its entries. With `temp_store = MEMORY`, SQLite's sorter keeps
/// every entry in one linked list and sorts it at the end, which is slow for millions of
/// randomly ordered keys (a cache miss per step); with temporary files, it sorts runs of
/// `cache_size` bytes (on worker threads) and merges them: 2–3 times faster here. The runs
/// are written to unlinked temporary files, which usually stay in the OS page cache.
pub(super) fn complete(conn: &mut Connection) -> Result<u64, StoreError> {
    // The last commit of a load waits for the disk (it syncs the whole WAL): the load is
    // durable when this returns, whether or not a checkpoint can run after.
    conn.pragma_update(None, "synchronous", "FULL")?;
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get().saturating_sub(1));
    conn.pragma_update(None, "temp_store", "FILE")?;
    conn.pragma_update(None, "cache_size", -SORT_CACHE_KIB)?;
    conn.pragma_update(None, "threads", threads.min(4) as i64)?;
    let started = std::time::Instant::now();
    let built = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (_, sql) in DEFERRABLE_INDEXES {
            tx.execute_batch(sql)?;
        }
        tx.execute("DELETE FROM meta WHERE key = ?1", [BULK_RESIDENTS_AFTER])?;
        tx.commit()?;
        Ok::<_, StoreError>(())
    })();
    let ms = started.elapsed().as_millis() as u64;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", cache)?;
    conn.pragma_update(None, "threads", 0)?;
    built.map(|()| ms)
}

fn journal_head(conn: &Connection) -> Result<u64, StoreError> {
    let head: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
        r.get(0)
    })?;
    Ok(head as u64)
}

fn set_marker(tx: &Transaction<'_>, head: u64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        params![BULK_RESIDENTS_AFTER, head.to_string()],
    )?;
    Ok(())
}

/// Adds to the counts of residents kept in meta.
pub(super) fn add_counts(tx: &Transaction<'_>, current: i64, total: i64) -> Result<(), StoreError> {
    for (key, delta) in [(META_CURRENT, current), (META_TOTAL, total)] {
        if delta != 0 {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + ?2",
                params![key, delta],
            )?;
        }
    }
    Ok(())
}

/// Brings `residents`, its counts and the deferred indexes up to date with the journal after an
/// interrupted bulk load; does nothing (one read) when none was. Returns whether it did.
///
/// A resident's row follows from the journal alone: the newest entry about its code decides it.
/// An entry sets its code's row to (its status, itself, itself); a code change also closes the
/// code it replaces, which keeps its facts (a current record's facts are those of its newest
/// entry, `prev_seq`).
pub(super) fn catch_up(conn: &mut Connection) -> Result<bool, StoreError> {
    let after: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([BULK_RESIDENTS_AFTER], |r| r.get(0))
        .optional()?;
    let Some(after) = after else {
        return Ok(false);
    };
    let after: i64 = after
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("meta {BULK_RESIDENTS_AFTER}")))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut states: HashMap<ResidentCode, ResidentState> = HashMap::new();
    {
        let mut st = tx.prepare(
            "SELECT seq, resident_code, previous_code, prev_seq, status FROM journal \
             WHERE seq > ?1 ORDER BY seq",
        )?;
        let mut stored = tx.prepare(RESIDENT_STATE)?;
        let mut entries = st.query([after])?;
        while let Some(row) = entries.next()? {
            let seq = row.get::<_, i64>(0)? as u64;
            let code = rows::resident_code(row.get(1)?)?;
            let previous = row.get::<_, Option<i64>>(2)?;
            let prev_seq = row.get::<_, Option<i64>>(3)?.map(|s| s as u64);
            let status = RecordStatus::parse(&row.get::<_, String>(4)?)
                .ok_or_else(|| StoreError::Corrupt("status".into()))?;
            if let Some(old) = previous {
                let old = rows::resident_code(old)?;
                let facts_seq = match states.get(&old) {
                    Some(s) => s.facts_seq,
                    None => match stored
                        .query([old.get() as i64])?
                        .next()?
                        .map(read_state)
                        .transpose()?
                    {
                        Some(s) => s.facts_seq,
                        None => prev_seq.ok_or_else(|| {
                            StoreError::Corrupt(format!("code change {seq} without a history"))
                        })?,
                    },
                };
                states.insert(
                    old,
                    ResidentState {
                        status: RecordStatus::Closed,
                        last_seq: seq,
                        facts_seq,
                    },
                );
            }
            states.insert(
                code,
                ResidentState {
                    status,
                    last_seq: seq,
                    facts_seq: seq,
                },
            );
        }
    }
    let mut states: Vec<_> = states
        .into_iter()
        .map(|(code, state)| (code.get(), state))
        .collect();
    states.sort_unstable_by_key(|&(code, _)| code);
    write_residents(&tx, states)?;
    let (total, current): (i64, i64) = tx.query_row(
        "SELECT count(*), coalesce(sum(status = 'current'), 0) FROM residents",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (key, value) in [(META_CURRENT, current), (META_TOTAL, total)] {
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value.to_string()],
        )?;
    }
    tx.commit()?;
    complete(conn)?;
    Ok(true)
}

/// Calls `apply` with each batch in turn and what was [`Prepared`] for it. A helper thread
/// prepares the next batch while one is applied, and, once a batch is applied (committed),
/// frees it (freeing a million changes' strings takes a tenth of a second) and checkpoints
/// the WAL with `checkpointer` (copying the batch into the database file and waiting for the
/// disk), off the writer's thread. Without a helper thread (one could not be started), the
/// batches are prepared in line, and the writer checkpoints.
pub(super) fn pipelined(
    batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
    checkpointer: Option<Connection>,
    mut apply: impl FnMut(&[ValidatedChange], &Prepared) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    enum Work {
        Prepare(Vec<ValidatedChange>),
        Free(Vec<ValidatedChange>, Prepared),
    }
    let gone = || StoreError::Io("the bulk load's helper thread stopped".into());
    std::thread::scope(|scope| {
        let (to_helper, work) = mpsc::sync_channel::<Work>(1);
        let (to_writer, prepared) = mpsc::sync_channel::<(Vec<ValidatedChange>, Prepared)>(1);
        let helper = std::thread::Builder::new()
            .name("juki-bulk-prepare".into())
            .spawn_scoped(scope, move || {
                for w in work {
                    match w {
                        Work::Prepare(batch) => {
                            let p = Prepared::of(&batch);
                            if to_writer.send((batch, p)).is_err() {
                                break;
                            }
                        }
                        Work::Free(batch, p) => {
                            drop((batch, p));
                            // Best effort: the writer checkpoints what is left.
                            if let Some(c) = &checkpointer {
                                let _ =
                                    c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                            }
                        }
                    }
                }
            });
        if helper.is_err() {
            for batch in batches {
                apply(&batch, &Prepared::of(&batch))?;
            }
            return Ok(());
        }
        let ask = |next: Option<Vec<ValidatedChange>>| match next {
            Some(b) => to_helper
                .send(Work::Prepare(b))
                .map(|()| true)
                .map_err(|_| gone()),
            None => Ok(false),
        };
        let mut ahead = ask(batches.next())?;
        while ahead {
            let (batch, p) = prepared.recv().map_err(|_| gone())?;
            ahead = ask(batches.next())?;
            apply(&batch, &p)?;
            to_helper.send(Work::Free(batch, p)).map_err(|_| gone())?;
        }
        Ok(())
    })
}

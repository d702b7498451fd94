//! [`Txn`] over an open PostgreSQL transaction, for [`juki_store::engine`] to apply changes
//! with; in a bulk load, with what the load keeps in memory ([`Bulk`]).
//!
//! Every writing transaction first takes the journal's lock (`LOCK TABLE journal IN EXCLUSIVE
//! MODE`: readers go on, writers wait), so sequences are given in commit order and stay
//! gapless: the next one is the journal's head plus one, counted here.

use crate::pipe::{self, Link};
use crate::rows::{
    self, CopyBuf, HELD, JOURNAL_INSERT, JournalRow, Value, get, read_held, read_state,
};
use crate::schema::JOURNAL_COLUMNS;
use crate::{Db, Statements};
use juki_domain::{LocalGovernmentCode, RecordStatus, ResidentCode, StoredResident};
use juki_store::StoreError;
use juki_store::codec::resident_code;
use juki_store::engine::{EntryMeta, Held, NewEntry, ResidentState, Txn};
use postgres::Transaction;
use std::collections::HashMap;

/// Opens a writing transaction: takes the journal's lock and reads its head.
pub(crate) fn begin<'c>(
    client: &'c mut postgres::Client,
) -> Result<(Transaction<'c>, u64), StoreError> {
    let mut tx = client.transaction().db()?;
    tx.batch_execute("LOCK TABLE journal IN EXCLUSIVE MODE")
        .db()?;
    let head: i64 = get(
        &tx.query_one("SELECT coalesce(max(seq), 0) FROM journal", &[])
            .db()?,
        0,
    )?;
    Ok((tx, head as u64))
}

/// What one bulk load keeps across its batches. Into a new store (no journal, no residents),
/// nothing the load did not write itself can be in the way, so it answers from memory what
/// [`Txn`] asks, writes each batch's journal with one binary `COPY` (into a new store, streamed
/// in chunks of [`CHUNK`] as the rows are made), and its residents with another (those changed
/// again through a temporary table, merged with an upsert).
///
/// Memory: about 100 bytes per change loaded (its record id and its resident's state), and
/// into a store that was not new, a batch's encoded journal rows.
pub(crate) struct Bulk {
    /// Whether the store was new when the load began.
    fresh: bool,
    /// Record ids this load appended: the entry's sequence and code.
    ids: HashMap<(u32, Box<str>), (u64, ResidentCode)>,
    /// Residents this load changed, by code.
    touched: HashMap<u64, ResidentState>,
    /// Codes changed in the batch being applied: first changed by this load (in a new store:
    /// not in `residents` yet), and changed before.
    new: Vec<u64>,
    dirty: Vec<u64>,
    /// Journal rows not sent yet; the first of them has sequence `unsent_from`.
    journal: CopyBuf,
    unsent_from: u64,
}

impl Bulk {
    pub(crate) fn new(fresh: bool) -> Bulk {
        Bulk {
            fresh,
            ids: HashMap::new(),
            touched: HashMap::new(),
            new: Vec::new(),
            dirty: Vec::new(),
            journal: CopyBuf::new(),
            unsent_from: 0,
        }
    }

    /// Sends the journal rows appended since the last send.
    fn send_journal(&mut self, tx: &mut Transaction<'_>, next_seq: u64) -> Result<(), StoreError> {
        self.journal.send(tx, &journal_copy())?;
        self.unsent_from = next_seq;
        Ok(())
    }

    /// Sends the journal rows appended since the last send through `link`, ending the
    /// `COPY` that streamed them.
    fn end_journal(&mut self, link: &Link, next_seq: u64) -> Result<(), StoreError> {
        if self.journal.rows() > 0 {
            link.copy(&journal_copy(), self.journal.last_chunk())?;
        }
        link.end_copy()?;
        self.unsent_from = next_seq;
        Ok(())
    }

    /// Ends a batch, inside its transaction: sends its journal rows and writes its residents.
    fn end_batch(&mut self, tx: &mut Transaction<'_>, next_seq: u64) -> Result<(), StoreError> {
        self.send_journal(tx, next_seq)?;
        self.resident_rows().write(tx)
    }

    /// The rows of the residents the batch changed, taken from what it keeps.
    fn resident_rows(&mut self) -> ResidentRows {
        // In code order: the primary key's pages fill one after the other.
        let mut new = std::mem::take(&mut self.new);
        new.sort_unstable();
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        // A code new in this batch and changed again in it is written once, as new.
        dirty.retain(|c| new.binary_search(c).is_err());
        let rows = |codes: &[u64]| {
            let mut rows = CopyBuf::new();
            for code in codes {
                if let Some(s) = self.touched.get(code) {
                    rows.push_resident(*code, *s);
                }
            }
            rows
        };
        ResidentRows {
            new: rows(&new),
            changed: rows(&dirty),
        }
    }
}

/// The statement copying journal rows.
fn journal_copy() -> String {
    format!("COPY journal ({JOURNAL_COLUMNS}) FROM STDIN (FORMAT binary)")
}

/// How much of the journal's rows a bulk load into a new store sends at a time.
const CHUNK: usize = 1 << 20;

/// A batch's residents: those new to the store, and those it held already.
pub(crate) struct ResidentRows {
    new: CopyBuf,
    changed: CopyBuf,
}

impl ResidentRows {
    /// Writes them in the batch's transaction.
    fn write(self, tx: &mut Transaction<'_>) -> Result<(), StoreError> {
        let ResidentRows {
            mut new,
            mut changed,
        } = self;
        // New residents go straight into the table; the others are merged with an upsert.
        let copy = |table: &str| {
            format!(
                "COPY {table} (resident_code, status, last_seq, facts_seq) FROM STDIN (FORMAT binary)"
            )
        };
        new.send(tx, &copy("residents"))?;
        if changed.rows() == 0 {
            return Ok(());
        }
        tx.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS residents_load (LIKE residents) ON COMMIT DELETE ROWS",
        )
        .db()?;
        changed.send(tx, &copy("residents_load"))?;
        tx.batch_execute(
            "INSERT INTO residents SELECT * FROM residents_load ON CONFLICT (resident_code) \
             DO UPDATE SET status = excluded.status, last_seq = excluded.last_seq, \
             facts_seq = excluded.facts_seq",
        )
        .db()?;
        Ok(())
    }
}

/// Where a [`PgTxn`]'s statements go.
enum Via<'t, 'c> {
    /// The open transaction, on this thread.
    Tx {
        tx: &'t mut Transaction<'c>,
        statements: &'t mut Statements,
    },
    /// The connection's thread of a bulk load into a new store ([`crate::pipe`]).
    Link(&'t Link),
}

/// [`Txn`] over an open transaction that holds the journal's lock ([`begin`]), or over a bulk
/// load's connection on a thread of its own, which holds such a transaction.
pub(crate) struct PgTxn<'t, 'c> {
    via: Via<'t, 'c>,
    /// The sequence the next entry appended gets.
    next_seq: u64,
    delta_current: i64,
    delta_total: i64,
    /// Scratch space for a journal entry's snapshot.
    buf: Vec<u8>,
    bulk: Option<&'t mut Bulk>,
}

impl<'t, 'c> PgTxn<'t, 'c> {
    pub(crate) fn new(
        tx: &'t mut Transaction<'c>,
        statements: &'t mut Statements,
        head: u64,
        bulk: Option<&'t mut Bulk>,
    ) -> PgTxn<'t, 'c> {
        let mut bulk = bulk;
        if let Some(b) = &mut bulk {
            debug_assert_eq!(b.journal.rows(), 0, "a batch starts with nothing unsent");
            b.unsent_from = head + 1;
        }
        PgTxn {
            via: Via::Tx { tx, statements },
            next_seq: head + 1,
            delta_current: 0,
            delta_total: 0,
            buf: Vec::with_capacity(512),
            bulk,
        }
    }

    /// A batch of a bulk load into a new store, over its connection's thread ([`crate::pipe`]),
    /// whose transaction was begun at journal head `head`.
    pub(crate) fn piped(link: &'t Link, head: u64, bulk: &'t mut Bulk) -> PgTxn<'t, 'c> {
        debug_assert_eq!(bulk.journal.rows(), 0, "a batch starts with nothing unsent");
        bulk.unsent_from = head + 1;
        PgTxn {
            via: Via::Link(link),
            next_seq: head + 1,
            delta_current: 0,
            delta_total: 0,
            buf: Vec::with_capacity(512),
            bulk: Some(bulk),
        }
    }

    /// The journal's head once this transaction's entries are in.
    pub(crate) fn head(&self) -> u64 {
        self.next_seq - 1
    }

    /// Runs `sql` with `params`: a query's rows, a statement's count.
    fn run(&mut self, sql: &str, params: &[Value<'_>]) -> Result<pipe::Answer, StoreError> {
        // No statement runs while a COPY is open: end it (with the rows not sent yet).
        if let Via::Link(link) = &self.via
            && link.copying()
        {
            self.flush()?;
        }
        match &mut self.via {
            Via::Tx { tx, statements } => {
                let params: Vec<_> = params.iter().map(Value::param).collect();
                pipe::run(tx, statements, sql, &params)
            }
            Via::Link(link) => link.run(sql, params),
        }
    }

    fn query(&mut self, sql: &str, params: &[Value<'_>]) -> Result<Vec<postgres::Row>, StoreError> {
        Ok(self.run(sql, params)?.0)
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        Ok(self.run(sql, params)?.1)
    }

    /// Writes what the transaction changed besides the journal and residents (the counts; in
    /// a bulk load, the batch's rows); call once before commit.
    pub(crate) fn finish(self) -> Result<(), StoreError> {
        let (current, total) = (self.delta_current, self.delta_total);
        match self.via {
            Via::Tx { tx, statements } => {
                if let Some(b) = self.bulk {
                    b.end_batch(tx, self.next_seq)?;
                }
                add_counts(tx, statements, current, total)
            }
            Via::Link(link) => {
                let residents = match self.bulk {
                    Some(b) => {
                        b.end_journal(link, self.next_seq)?;
                        Some(b.resident_rows())
                    }
                    None => None,
                };
                link.exec(Box::new(move |tx, statements| {
                    if let Some(r) = residents {
                        r.write(tx)?;
                    }
                    add_counts(tx, statements, current, total)?;
                    Ok((Vec::new(), 0))
                }))
            }
        }
    }

    /// Sends a bulk load's unsent journal rows, so that queries see them.
    fn flush(&mut self) -> Result<(), StoreError> {
        if let Some(b) = &mut self.bulk {
            match &mut self.via {
                Via::Tx { tx, .. } => b.send_journal(tx, self.next_seq)?,
                Via::Link(link) => b.end_journal(link, self.next_seq)?,
            }
        }
        Ok(())
    }
}

/// Adds to the counts of residents kept in `meta`.
pub(crate) fn add_counts(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    current: i64,
    total: i64,
) -> Result<(), StoreError> {
    if current == 0 && total == 0 {
        return Ok(());
    }
    let st = statements.get(
        tx,
        "UPDATE meta SET value = value + CASE key WHEN 'residents_current' THEN $1::bigint ELSE $2::bigint END \
         WHERE key IN ('residents_current', 'residents_total')",
    )?;
    tx.execute(&st, &[&current, &total]).db()?;
    Ok(())
}

impl Txn for PgTxn<'_, '_> {
    fn seen(
        &mut self,
        recorded_by: LocalGovernmentCode,
        record_id: &str,
    ) -> Result<Option<(u64, ResidentCode)>, StoreError> {
        if let Some(b) = &self.bulk {
            if let Some(found) = b.ids.get(&(recorded_by.get(), record_id.into())) {
                return Ok(Some(*found));
            }
            if b.fresh {
                return Ok(None);
            }
        }
        let rows = self.query(
            "SELECT seq, resident_code FROM journal WHERE recorded_by = $1 AND record_id = $2",
            &[
                Value::Int(Some(i64::from(recorded_by.get()))),
                Value::Text(Some(record_id)),
            ],
        )?;
        rows.first()
            .map(|r| Ok((get::<i64>(r, 0)? as u64, resident_code(get(r, 1)?)?)))
            .transpose()
    }

    fn resident(&mut self, code: ResidentCode) -> Result<Option<Held>, StoreError> {
        let key = code.get() as i64;
        if let Some(b) = &self.bulk {
            match b.touched.get(&code.get()).copied() {
                Some(state) => {
                    // Its row is written at the end of the batch: its facts are in the journal.
                    if state.facts_seq >= b.unsent_from {
                        self.flush()?;
                    }
                    let rows = self.query(
                        "SELECT status, birth_date, sex, snapshot FROM journal WHERE seq = $1",
                        &[Value::Int(Some(state.facts_seq as i64))],
                    )?;
                    let row = rows.first().ok_or_else(|| {
                        StoreError::Corrupt(format!("journal entry {} missing", state.facts_seq))
                    })?;
                    let (_, facts, local) = juki_store::codec::read_record(
                        get(row, 0)?,
                        get(row, 1)?,
                        get(row, 2)?,
                        get(row, 3)?,
                    )?;
                    let resident = StoredResident {
                        record: juki_domain::IdentityRecord {
                            resident_code: code,
                            facts,
                        },
                        status: state.status,
                        local,
                    };
                    return Ok(Some(Held { resident, state }));
                }
                None if b.fresh => return Ok(None),
                None => {}
            }
        }
        let rows = self.query(HELD, &[Value::Int(Some(key))])?;
        rows.first().map(|r| read_held(r, code)).transpose()
    }

    fn peek_code(&mut self) -> Result<Option<ResidentCode>, StoreError> {
        loop {
            let rows = self.query(
                "SELECT start_body, next_body FROM code_pools WHERE next_body < end_body \
                 ORDER BY start_body LIMIT 1",
                &[],
            )?;
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            let (start, next): (i64, i64) = (get(row, 0)?, get(row, 1)?);
            let code = ResidentCode::from_body(next as u64);
            // A code given explicitly (e.g. in a birth row) may already be taken: skip it.
            let taken = match &self.bulk {
                Some(b) if b.touched.contains_key(&code.get()) => true,
                Some(b) if b.fresh => false,
                _ => !self
                    .query(
                        "SELECT 1 FROM residents WHERE resident_code = $1",
                        &[Value::Int(Some(code.get() as i64))],
                    )?
                    .is_empty(),
            };
            if !taken {
                return Ok(Some(code));
            }
            self.execute(
                "UPDATE code_pools SET next_body = next_body + 1 WHERE start_body = $1",
                &[Value::Int(Some(start))],
            )?;
        }
    }

    fn consume_code(&mut self, code: ResidentCode) -> Result<(), StoreError> {
        let n = self.execute(
            "UPDATE code_pools SET next_body = next_body + 1 \
             WHERE next_body = $1 AND next_body < end_body",
            &[Value::Int(Some(code.body() as i64))],
        )?;
        debug_assert_eq!(n, 1, "consume_code takes the code peek_code returned");
        Ok(())
    }

    fn append(&mut self, entry: &NewEntry<'_>) -> Result<Option<u64>, StoreError> {
        let seq = self.next_seq;
        let record_id = entry.change.record_id.as_str();
        let appended = match self.bulk.is_some() {
            true => {
                let key = (entry.recorded_by.get(), Box::<str>::from(record_id));
                let held = self.bulk.as_ref().is_some_and(|b| b.ids.contains_key(&key));
                let fresh = self.bulk.as_ref().is_some_and(|b| b.fresh);
                if held || (!fresh && self.seen(entry.recorded_by, record_id)?.is_some()) {
                    false
                } else {
                    let row = JournalRow::of(entry, seq, &mut self.buf)?;
                    if let Some(b) = &mut self.bulk {
                        b.journal.push_journal(&row);
                        b.ids
                            .insert(key, (seq, entry.resident.record.resident_code));
                        // Into a new store, the rows go to the server as they are made.
                        if let Via::Link(link) = &self.via
                            && let Some(chunk) = b.journal.chunk(CHUNK)
                        {
                            link.copy(&journal_copy(), chunk)?;
                        }
                    }
                    true
                }
            }
            false => match &mut self.via {
                Via::Tx { tx, statements } => {
                    let insert = statements.get(*tx, JOURNAL_INSERT)?;
                    JournalRow::of(entry, seq, &mut self.buf)?.insert(tx, &insert)?
                }
                Via::Link(_) => {
                    return Err(StoreError::Io("a bulk load's entry outside it".into()));
                }
            },
        };
        if !appended {
            return Ok(None);
        }
        self.next_seq += 1;
        Ok(Some(seq))
    }

    fn put_resident(
        &mut self,
        code: ResidentCode,
        state: ResidentState,
        before: Option<RecordStatus>,
    ) -> Result<(), StoreError> {
        let is_current = |s: Option<RecordStatus>| i64::from(s == Some(RecordStatus::Current));
        let current = is_current(Some(state.status)) - is_current(before);
        let total = i64::from(before.is_none());
        self.delta_current += current;
        self.delta_total += total;
        match &mut self.bulk {
            Some(b) => {
                let first = b.touched.insert(code.get(), state).is_none();
                match first && b.fresh {
                    true => b.new.push(code.get()),
                    false => b.dirty.push(code.get()),
                }
            }
            None => {
                self.execute(
                    "INSERT INTO residents (resident_code, status, last_seq, facts_seq) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (resident_code) DO UPDATE SET \
                     status = excluded.status, last_seq = excluded.last_seq, \
                     facts_seq = excluded.facts_seq",
                    &[
                        Value::Int(Some(code.get() as i64)),
                        Value::Text(Some(state.status.as_str())),
                        Value::Int(Some(state.last_seq as i64)),
                        Value::Int(Some(state.facts_seq as i64)),
                    ],
                )?;
            }
        }
        Ok(())
    }

    fn state(&mut self, code: ResidentCode) -> Result<Option<ResidentState>, StoreError> {
        if let Some(b) = &self.bulk {
            if let Some(s) = b.touched.get(&code.get()) {
                return Ok(Some(*s));
            }
            if b.fresh {
                return Ok(None);
            }
        }
        let rows = self.query(
            "SELECT status, last_seq, facts_seq FROM residents WHERE resident_code = $1",
            &[Value::Int(Some(code.get() as i64))],
        )?;
        rows.first().map(|r| read_state(r, 0)).transpose()
    }

    fn about(&mut self, code: ResidentCode) -> Result<Vec<EntryMeta>, StoreError> {
        self.flush()?;
        let rows = self.query(rows::ABOUT, &[Value::Int(Some(code.get() as i64))])?;
        rows.iter().map(rows::read_meta).collect()
    }
}

//! Mapping between rows and domain values. Writes bind borrowed values (no copies of names
//! or addresses); short texts such as dates are formatted on the stack, and a bulk load
//! prepares the rest of a journal row ahead, on another thread ([`Prepared`]).
//!
//! The journal's record format (dates as text, the snapshot) is [`crate::codec`]'s.

use crate::codec::{self, Short, write_snapshot};
pub(crate) use crate::codec::{epoch_of, resident_code};
use crate::engine::{EntryMeta, NewEntry, ResidentState};
use crate::{JournalEntry, Origin, StoreError};
use codec::{corrupt, lgc, parse_date};
use juki_domain::change::Destination;
use juki_domain::name;
use juki_domain::{
    ChangeKind, Date, IdentityFacts, IdentityRecord, LocalFields, RecordStatus, ResidentCode,
    StoredResident, ValidatedChange,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Row, ToSql};

impl ToSql for Short {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(
            self.as_str().as_bytes(),
        )))
    }
}

/// Text bound without a copy into Rust (SQLite still copies it once).
struct Utf8<'a>(&'a [u8]);

impl ToSql for Utf8<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.0)))
    }
}

/// The texts of a journal row that take work to make.
#[derive(Clone, Copy)]
pub(crate) struct EntryTexts<'t> {
    search_key: &'t [u8],
    snapshot: &'t [u8],
    effective: Short,
    birth: Short,
    notified: Option<Short>,
    planned: Option<Short>,
}

impl EntryTexts<'_> {
    /// The dates of `c` (its facts' birth date among them).
    fn dates(c: &ValidatedChange) -> (Short, Short, Option<Short>, Option<Short>) {
        (
            Short::date(c.effective_date),
            Short::birth(c.facts.birth_date),
            c.notified_date.map(Short::date),
            c.planned_date.map(Short::date),
        )
    }
}

/// The texts of the journal entries a batch of changes will most likely make, computed before
/// the changes are applied (on another thread, while the previous batch is written): they
/// depend on the change alone whenever the record after the change has the change's facts and
/// local fields, as it has for every change that opens a record.
#[derive(Default)]
pub(crate) struct Prepared {
    /// Per change: its search key, then its snapshot, back to back.
    text: Vec<u8>,
    rows: Vec<PreparedRow>,
}

struct PreparedRow {
    /// Where the change's search key and snapshot end in `text`.
    key_end: usize,
    end: usize,
    dates: (Short, Short, Option<Short>, Option<Short>),
}

impl Prepared {
    pub(crate) fn of(changes: &[ValidatedChange]) -> Prepared {
        let mut p = Prepared {
            text: Vec::with_capacity(changes.len() * 256),
            rows: Vec::with_capacity(changes.len()),
        };
        for c in changes {
            p.text
                .extend_from_slice(name::search_key(&c.facts.name).as_bytes());
            let key_end = p.text.len();
            if write_snapshot(&mut p.text, &c.facts, &c.local).is_err() {
                p.text.truncate(key_end);
            }
            p.rows.push(PreparedRow {
                key_end,
                end: p.text.len(),
                dates: EntryTexts::dates(c),
            });
        }
        p
    }

    /// The texts prepared for change `i` of `batch`, when they are those of `e` (the entry
    /// the change made).
    pub(crate) fn for_entry<'p>(
        &'p self,
        batch: &[ValidatedChange],
        i: usize,
        e: &NewEntry<'_>,
    ) -> Option<EntryTexts<'p>> {
        let c = batch.get(i)?;
        let r = e.resident;
        if !std::ptr::eq(c, e.change) || r.local != c.local || r.record.facts != c.facts {
            return None;
        }
        let start = match i {
            0 => 0,
            _ => self.rows.get(i - 1)?.end,
        };
        let row = self.rows.get(i)?;
        let (effective, birth, notified, planned) = row.dates;
        (row.key_end < row.end).then(|| EntryTexts {
            search_key: &self.text[start..row.key_end],
            snapshot: &self.text[row.key_end..row.end],
            effective,
            birth,
            notified,
            planned,
        })
    }
}

pub(crate) const JOURNAL_INSERT: &str = "INSERT INTO journal (recorded_by, record_id, kind, effective_date, \
     notified_date, planned_date, destination_code, destination_address, recorded_at_ms, resident_code, \
     previous_code, prev_seq, status, search_key, birth_date, sex, snapshot, origin_epoch, origin_seq) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

/// Inserts a journal entry with `st` (prepared from [`JOURNAL_INSERT`]). `prepared` is its
/// texts when they were made ahead ([`Prepared`]); otherwise they are made here, the snapshot
/// into `buf` (scratch space kept between calls).
pub(crate) fn insert_journal(
    st: &mut rusqlite::CachedStatement<'_>,
    e: &NewEntry<'_>,
    prepared: Option<EntryTexts<'_>>,
    buf: &mut Vec<u8>,
) -> rusqlite::Result<()> {
    let c = e.change;
    let f = &e.resident.record.facts;
    let search_key;
    let t = match prepared {
        Some(t) => t,
        None => {
            buf.clear();
            write_snapshot(buf, f, &e.resident.local)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            search_key = name::search_key(&f.name);
            let (effective, _, notified, planned) = EntryTexts::dates(c);
            EntryTexts {
                search_key: search_key.as_bytes(),
                snapshot: buf.as_slice(),
                effective,
                birth: Short::birth(f.birth_date),
                notified,
                planned,
            }
        }
    };
    let dest_code = c.destination.as_ref().and_then(|d| d.code).map(|c| c.get());
    let dest_addr = c.destination.as_ref().map(|d| d.address.as_str());
    let params: [&dyn ToSql; 19] = [
        &e.recorded_by.get(),
        &c.record_id,
        &c.kind.ja(),
        &t.effective,
        &t.notified,
        &t.planned,
        &dest_code,
        &dest_addr,
        &e.recorded_at_ms,
        &(e.resident.record.resident_code.get() as i64),
        &e.previous_code.map(|c| c.get() as i64),
        &e.prev_seq.map(|s| s as i64),
        &e.resident.status.as_str(),
        &Utf8(t.search_key),
        &t.birth,
        &f.sex.as_str(),
        &Utf8(t.snapshot),
        &e.origin.map(|o| o.epoch as i64),
        &e.origin.map(|o| o.seq as i64),
    ];
    st.execute(params.as_slice())?;
    Ok(())
}

/// Writes (inserts or replaces) the rows of residents given in ascending code order, many per
/// statement: within one statement SQLite appends each row after the last without searching the
/// table again (a quarter faster than one row per statement).
pub(crate) fn write_residents(
    tx: &rusqlite::Transaction<'_>,
    rows: impl IntoIterator<Item = (u64, ResidentState)>,
) -> Result<(), StoreError> {
    const ROWS: usize = 64;
    let sql = format!(
        "INSERT OR REPLACE INTO residents (resident_code, status, last_seq, facts_seq) VALUES {}",
        vec!["(?, ?, ?, ?)"; ROWS].join(", ")
    );
    let mut many = tx.prepare_cached(&sql)?;
    let mut one = tx.prepare_cached(RESIDENT_WRITE)?;
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<_> = rows.by_ref().take(ROWS).collect();
        if chunk.len() < ROWS {
            for (code, state) in chunk {
                write_resident(&mut one, resident_code(code as i64)?, state)?;
            }
            return Ok(());
        }
        for (j, (code, s)) in chunk.into_iter().enumerate() {
            many.raw_bind_parameter(j * 4 + 1, resident_code(code as i64)?.get() as i64)?;
            many.raw_bind_parameter(j * 4 + 2, s.status.as_str())?;
            many.raw_bind_parameter(j * 4 + 3, s.last_seq as i64)?;
            many.raw_bind_parameter(j * 4 + 4, s.facts_seq as i64)?;
        }
        many.raw_execute()?;
    }
}

/// Writes (inserts or replaces) a resident's row.
pub(crate) const RESIDENT_WRITE: &str = "INSERT OR REPLACE INTO residents \
     (resident_code, status, last_seq, facts_seq) VALUES (?1, ?2, ?3, ?4)";

/// Writes a resident's row with `st` (prepared from [`RESIDENT_WRITE`]).
pub(crate) fn write_resident(
    st: &mut rusqlite::CachedStatement<'_>,
    code: ResidentCode,
    state: ResidentState,
) -> rusqlite::Result<()> {
    st.execute(rusqlite::params![
        code.get() as i64,
        state.status.as_str(),
        state.last_seq as i64,
        state.facts_seq as i64
    ])?;
    Ok(())
}

/// The state columns of a resident: status, last_seq, facts_seq.
/// Whether a history is an upper tier's (found by code among forwarded entries) rather than a
/// chain along `prev_seq`: its newest entry kept an origin and starts no chain here. Entries a
/// municipal node recovered keep their origin too, but chain to the person's previous entry.
pub(crate) const FORWARDED_HEAD: &str =
    "SELECT origin_seq IS NOT NULL AND prev_seq IS NULL FROM journal WHERE seq = ?1";

pub(crate) const RESIDENT_STATE: &str =
    "SELECT status, last_seq, facts_seq FROM residents WHERE resident_code = ?1";

pub(crate) fn read_state(row: &Row) -> Result<ResidentState, StoreError> {
    Ok(ResidentState {
        status: status(row, 0)?,
        last_seq: row.get::<_, i64>(1)? as u64,
        facts_seq: row.get::<_, i64>(2)? as u64,
    })
}

/// A TEXT column, borrowed from the row.
fn text<'r>(row: &'r Row, i: usize) -> Result<&'r str, StoreError> {
    row.get_ref(i)?
        .as_str()
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

fn status(row: &Row, i: usize) -> Result<RecordStatus, StoreError> {
    codec::status(text(row, i)?)
}

fn get_date(row: &Row, i: usize) -> Result<Option<Date>, StoreError> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        _ => parse_date(text(row, i)?).map(Some),
    }
}

/// The record columns of the journal, in the order [`read_facts`] reads them.
const FACTS: &str = "j.status, j.birth_date, j.sex, j.snapshot";

/// Reads the record columns ([`FACTS`]) starting at column `at`.
fn read_facts(
    row: &Row,
    at: usize,
) -> Result<(RecordStatus, IdentityFacts, LocalFields), StoreError> {
    codec::read_record(
        text(row, at)?,
        text(row, at + 1)?,
        text(row, at + 2)?,
        text(row, at + 3)?,
    )
}

/// Selects residents with the journal entry holding their facts: journal first (for searches
/// by the journal's indexes); join and filter with `WHERE`.
pub(crate) fn resident_select() -> String {
    format!("SELECT r.resident_code, r.status, {FACTS} FROM journal j CROSS JOIN residents r")
}

/// One resident's current record by code (`?1`), residents first (its primary key), then the
/// journal entry holding its facts; rows read as [`resident_select`]'s.
pub(crate) fn resident_by_code() -> String {
    format!(
        "SELECT r.resident_code, r.status, {FACTS} FROM residents r CROSS JOIN journal j \
         WHERE r.resident_code = ?1 AND j.seq = r.facts_seq"
    )
}

/// Reads a row of [`resident_select`].
pub(crate) fn read_resident(row: &Row) -> Result<StoredResident, StoreError> {
    let code = resident_code(row.get(0)?)?;
    let status = status(row, 1)?;
    let (_, facts, local) = read_facts(row, 2)?;
    Ok(StoredResident {
        record: IdentityRecord {
            resident_code: code,
            facts,
        },
        status,
        local,
    })
}

/// Selects journal entries; filter with `WHERE`.
pub(crate) fn journal_select() -> String {
    format!(
        "SELECT j.seq, j.recorded_by, j.record_id, j.kind, j.effective_date, j.notified_date, j.recorded_at_ms, \
         j.resident_code, j.previous_code, j.prev_seq, j.planned_date, j.destination_code, j.destination_address, \
         {FACTS}, j.origin_epoch, j.origin_seq FROM journal j"
    )
}

/// Reads a row of [`journal_select`]. An entry recorded at this node gets its origin epoch
/// from `epochs` (this node's epochs, see [`epoch_of`]).
pub(crate) fn read_journal(row: &Row, epochs: &[(u64, u64)]) -> Result<JournalEntry, StoreError> {
    let seq: i64 = row.get(0)?;
    let origin = match (
        row.get::<_, Option<i64>>(17)?,
        row.get::<_, Option<i64>>(18)?,
    ) {
        (Some(epoch), Some(seq)) => Origin {
            epoch: epoch as u64,
            seq: seq as u64,
        },
        _ => Origin {
            epoch: epoch_of(epochs, seq as u64),
            seq: seq as u64,
        },
    };
    let (status, facts, local) = read_facts(row, 13)?;
    let destination = match row.get::<_, Option<String>>(12)? {
        Some(address) => Some(Destination {
            code: row.get::<_, Option<i64>>(11)?.map(lgc).transpose()?,
            address,
        }),
        None => None,
    };
    Ok(JournalEntry {
        seq: seq as u64,
        recorded_by: lgc(row.get(1)?)?,
        origin,
        record_id: row.get(2)?,
        kind: ChangeKind::parse(text(row, 3)?).ok_or_else(|| corrupt("change kind"))?,
        effective_date: parse_date(text(row, 4)?)?,
        notified_date: get_date(row, 5)?,
        recorded_at_ms: row.get(6)?,
        resident_code: resident_code(row.get(7)?)?,
        previous_code: row
            .get::<_, Option<i64>>(8)?
            .map(resident_code)
            .transpose()?,
        prev_seq: row.get::<_, Option<i64>>(9)?.map(|s| s as u64),
        status,
        facts,
        local,
        planned_date: get_date(row, 10)?,
        destination,
    })
}

/// Reads a forwarded entry's convergence facts: `seq, recorded_by, origin_epoch, origin_seq,
/// resident_code, previous_code, status, effective_date, recorded_at_ms`.
pub(crate) fn read_meta(row: &Row) -> Result<EntryMeta, StoreError> {
    Ok(EntryMeta {
        seq: row.get::<_, i64>(0)? as u64,
        recorded_by: lgc(row.get(1)?)?,
        origin: Origin {
            epoch: row.get::<_, i64>(2)? as u64,
            seq: row.get::<_, i64>(3)? as u64,
        },
        resident_code: resident_code(row.get(4)?)?,
        previous_code: row
            .get::<_, Option<i64>>(5)?
            .map(resident_code)
            .transpose()?,
        status: status(row, 6)?,
        effective_date: parse_date(text(row, 7)?)?,
        recorded_at_ms: row.get(8)?,
    })
}

/// This node's epochs, ascending.
pub(crate) fn read_epochs(conn: &rusqlite::Connection) -> Result<Vec<(u64, u64)>, StoreError> {
    let mut st = conn.prepare_cached("SELECT epoch, first_seq FROM epochs ORDER BY epoch")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

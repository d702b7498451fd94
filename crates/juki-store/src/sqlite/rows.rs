//! Mapping between rows and domain values. Writes bind borrowed values (no copies of names
//! or addresses); short texts such as dates are formatted on the stack, and a bulk load
//! prepares the rest of a journal row ahead, on another thread ([`Prepared`]).
//!
//! # The journal's snapshot
//!
//! A journal row keeps what identifies and orders the change as columns (`seq`, `recorded_by`,
//! `record_id`, `kind`, `effective_date`, `resident_code`, `previous_code`, `prev_seq`,
//! `recorded_at_ms`, the change's optional dates and destination), the record's `status`, and
//! the three facts the 4-fact search indexes (`search_key`, `birth_date`, `sex`). The rest of
//! the record after the change is one TEXT column, `snapshot`: a JSON array, by position
//!
//! | # | field                | JSON                     |
//! |---|----------------------|--------------------------|
//! | 0 | `family_name`        | string                   |
//! | 1 | `given_name`         | string                   |
//! | 2 | `family_name_kana`   | string (may be empty)    |
//! | 3 | `given_name_kana`    | string (may be empty)    |
//! | 4 | `script`             | `"ja"` or `"latin"`      |
//! | 5 | `lgc`                | integer (address's code) |
//! | 6 | `address`            | string (the remainder)   |
//! | 7 | `individual_number`  | integer or null          |
//! | 8 | `former_family_name` | string or null           |
//! | 9 | `alias_name`         | string or null           |
//! | 10 | `nationality`       | string or null           |
//! | 11 | `household_head`    | string or null           |
//! | 12 | `relationship`      | string or null           |
//! | 13 | `resident_since`    | `YYYY-MM-DD` or null     |
//! | 14 | `address_since`     | `YYYY-MM-DD` or null     |
//!
//! e.g. `["藤本","宏郎","フジモト","ヒロオ","ja",131148,"一番町二丁目22番23号",490001437477,null,
//! null,null,"藤本宏郎","世帯主","2018-09-04","2018-09-04"]`. `sqlite3` reads it with
//! `json_extract(snapshot, '$[6]')`; the view `journal_entries` names every field.
//!
//! Why not a column per field: every bound column costs (binding, then encoding the record),
//! and a row of 31 columns took about 1 µs longer to insert than this one of 17 (raw insert
//! rate ~300,000 against ~450,000 rows/s), for a journal only 11% smaller. Why not a JSON
//! object: the names would make the journal 60% larger. A positional array is the smallest
//! form `sqlite3` still reads.

use crate::engine::{EntryMeta, NewEntry, ResidentState};
use crate::{JournalEntry, Origin, StoreError};
use juki_domain::change::Destination;
use juki_domain::date::BirthDate;
use juki_domain::name::{self, PersonName, Script};
use juki_domain::{
    Address, ChangeKind, Date, IdentityFacts, IdentityRecord, IndividualNumber, LocalFields,
    LocalGovernmentCode, RecordStatus, ResidentCode, Sex, StoredResident, ValidatedChange,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Row, ToSql};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// A short text (a date, a birth date) kept inline.
#[derive(Clone, Copy)]
pub(crate) struct Short {
    buf: [u8; 24],
    len: u8,
}

impl Short {
    pub(crate) fn of(v: impl std::fmt::Display) -> Short {
        let mut s = Short::empty();
        write!(s, "{v}").expect("short texts fit 24 bytes");
        s
    }

    fn empty() -> Short {
        Short {
            buf: [0; 24],
            len: 0,
        }
    }

    /// Appends `v` in `width` digits (`v` < 10^width; 12 digits at most in all).
    fn digits(&mut self, mut v: u32, width: u8) {
        let end = self.len + width;
        for i in (usize::from(self.len)..usize::from(end)).rev() {
            self.buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.len = end;
    }

    /// A date as `YYYY-MM-DD`, as its `Display` writes it (formatted directly: this runs
    /// several times per journal entry).
    pub(crate) fn date(d: Date) -> Short {
        let Ok(year) = u32::try_from(d.year()) else {
            return Short::of(d);
        };
        if year > 9999 {
            return Short::of(d);
        }
        let mut s = Short::empty();
        s.digits(year, 4);
        s.buf[4] = b'-';
        s.len = 5;
        s.digits(d.month() as u32, 2);
        s.buf[7] = b'-';
        s.len = 8;
        s.digits(d.day() as u32, 2);
        s
    }

    /// A birth date as its `Display` writes it: `1998-07-14`, `1998-07`, `1998` or `不詳`.
    pub(crate) fn birth(b: BirthDate) -> Short {
        let (year, month) = match b {
            BirthDate::Full(d) => return Short::date(d),
            BirthDate::YearMonth { year, month } => (year, Some(month)),
            BirthDate::Year(year) => (year, None),
            BirthDate::Unknown => return Short::of(b),
        };
        let (Ok(year), Ok(month)) = (u32::try_from(year), month.map(u32::try_from).transpose())
        else {
            return Short::of(b);
        };
        if year > 9999 || month.is_some_and(|m| m > 99) {
            return Short::of(b);
        }
        let mut s = Short::empty();
        s.digits(year, 4);
        if let Some(m) = month {
            s.buf[4] = b'-';
            s.len = 5;
            s.digits(m, 2);
        }
        s
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever written into `buf`.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }
}

impl Write for Short {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let start = usize::from(self.len);
        let end = start + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[start..end].copy_from_slice(s.as_bytes());
        self.len = end as u8;
        Ok(())
    }
}

impl ToSql for Short {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(
            &self.buf[..usize::from(self.len)],
        )))
    }
}

impl Serialize for Short {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Debug for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text bound without a copy into Rust (SQLite still copies it once).
struct Utf8<'a>(&'a [u8]);

impl ToSql for Utf8<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.0)))
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn script_str(s: Script) -> &'static str {
    match s {
        Script::Japanese => "ja",
        Script::Latin => "latin",
    }
}

/// The snapshot as written (see the module documentation for the positions).
#[derive(Serialize)]
struct SnapshotOut<'a>(
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'static str,
    u32,
    &'a str,
    Option<u64>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<Short>,
    Option<Short>,
);

/// The snapshot as read back.
#[derive(Deserialize)]
struct SnapshotIn(
    String,
    String,
    String,
    String,
    String,
    u32,
    String,
    Option<u64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Appends the snapshot of `facts` and `local` to `buf`.
fn write_snapshot(buf: &mut Vec<u8>, f: &IdentityFacts, l: &LocalFields) -> rusqlite::Result<()> {
    let date = |d: Option<Date>| d.map(Short::date);
    let snapshot = SnapshotOut(
        &f.name.family,
        &f.name.given,
        &f.name.family_kana,
        &f.name.given_kana,
        script_str(f.name.script),
        f.address.code.get(),
        &f.address.remainder,
        f.individual_number.map(|n| n.get()),
        f.former_family_name.as_deref(),
        f.alias_name.as_deref(),
        f.nationality.as_deref(),
        l.household_head.as_deref(),
        l.relationship.as_deref(),
        date(l.resident_since),
        date(l.address_since),
    );
    serde_json::to_writer(&mut *buf, &snapshot)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
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
            write_snapshot(buf, f, &e.resident.local)?;
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
    RecordStatus::parse(text(row, i)?).ok_or_else(|| corrupt("status"))
}

fn parse_date(s: &str) -> Result<Date, StoreError> {
    s.parse::<Date>().map_err(|_| corrupt("date"))
}

fn get_date(row: &Row, i: usize) -> Result<Option<Date>, StoreError> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        _ => parse_date(text(row, i)?).map(Some),
    }
}

pub(crate) fn resident_code(v: i64) -> Result<ResidentCode, StoreError> {
    u64::try_from(v)
        .ok()
        .and_then(ResidentCode::from_u64)
        .ok_or_else(|| corrupt("resident code"))
}

fn lgc(v: i64) -> Result<LocalGovernmentCode, StoreError> {
    LocalGovernmentCode::parse(&format!("{v:06}")).map_err(|_| corrupt("local government code"))
}

/// The record columns of the journal, in the order [`read_facts`] reads them.
const FACTS: &str = "j.status, j.birth_date, j.sex, j.snapshot";

/// Reads the record columns ([`FACTS`]) starting at column `at`.
fn read_facts(
    row: &Row,
    at: usize,
) -> Result<(RecordStatus, IdentityFacts, LocalFields), StoreError> {
    let status = status(row, at)?;
    let birth_date =
        BirthDate::parse_stored(text(row, at + 1)?).map_err(|_| corrupt("birth date"))?;
    let sex = Sex::parse(text(row, at + 2)?).map_err(|_| corrupt("sex"))?;
    let s: SnapshotIn =
        serde_json::from_str(text(row, at + 3)?).map_err(|e| corrupt(&format!("snapshot: {e}")))?;
    let script = match s.4.as_str() {
        "ja" => Script::Japanese,
        "latin" => Script::Latin,
        _ => return Err(corrupt("script")),
    };
    let facts = IdentityFacts {
        name: PersonName {
            family: s.0,
            given: s.1,
            family_kana: s.2,
            given_kana: s.3,
            script,
        },
        birth_date,
        sex,
        address: Address {
            code: lgc(i64::from(s.5))?,
            remainder: s.6,
        },
        individual_number: s
            .7
            .map(|n| {
                IndividualNumber::parse(&format!("{n:012}"))
                    .map_err(|_| corrupt("individual number"))
            })
            .transpose()?,
        former_family_name: s.8,
        alias_name: s.9,
        nationality: s.10,
    };
    let local = LocalFields {
        household_head: s.11,
        relationship: s.12,
        resident_since: s.13.as_deref().map(parse_date).transpose()?,
        address_since: s.14.as_deref().map(parse_date).transpose()?,
    };
    Ok((status, facts, local))
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

/// The epoch in force at sequence `seq`, given this node's epochs as `(epoch, first_seq)` in
/// ascending order.
pub(crate) fn epoch_of(epochs: &[(u64, u64)], seq: u64) -> u64 {
    epochs
        .iter()
        .rev()
        .find(|(_, first)| *first <= seq)
        .map_or(1, |(epoch, _)| *epoch)
}

/// This node's epochs, ascending.
pub(crate) fn read_epochs(conn: &rusqlite::Connection) -> Result<Vec<(u64, u64)>, StoreError> {
    let mut st = conn.prepare_cached("SELECT epoch, first_seq FROM epochs ORDER BY epoch")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_display_writes_them() {
        for (y, m, d) in [
            (2026, 4, 1),
            (1, 1, 1),
            (999, 12, 31),
            (9999, 12, 31),
            (-1, 3, 4),
        ] {
            let date = Date::new(y, m, d).unwrap();
            assert_eq!(Short::date(date).as_str(), date.to_string());
            let full = BirthDate::Full(date);
            assert_eq!(Short::birth(full).as_str(), full.to_string());
        }
        for b in [
            BirthDate::YearMonth {
                year: 1998,
                month: 7,
            },
            BirthDate::YearMonth { year: 5, month: 12 },
            BirthDate::Year(1950),
            BirthDate::Year(-20),
            BirthDate::Unknown,
        ] {
            assert_eq!(Short::birth(b).as_str(), b.to_string());
        }
    }
}

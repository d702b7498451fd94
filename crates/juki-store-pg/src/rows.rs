//! Mapping between PostgreSQL rows and domain values, in the text forms of
//! [`juki_store::codec`] (the SQLite store's, so both stores hold the same values).
//!
//! A journal row is made once ([`JournalRow`]) and either bound to the prepared insert or
//! appended to a binary `COPY` stream ([`CopyBuf`]).

use crate::Db;
use juki_domain::change::Destination;
use juki_domain::name;
use juki_domain::{ChangeKind, Date, IdentityRecord, RecordStatus, ResidentCode, StoredResident};
use juki_store::codec::{self, Short, corrupt, lgc, parse_date, resident_code};
use juki_store::engine::{EntryMeta, NewEntry, ResidentState};
use juki_store::{JournalEntry, Origin, StoreError};
use postgres::Row;
use postgres::types::{FromSql, ToSql};

/// A journal row about to be written.
pub(crate) struct JournalRow<'a> {
    seq: i64,
    recorded_by: i64,
    origin: Option<(i64, i64)>,
    record_id: &'a str,
    kind: &'static str,
    effective: Short,
    notified: Option<Short>,
    planned: Option<Short>,
    destination_code: Option<i64>,
    destination_address: Option<&'a str>,
    recorded_at_ms: i64,
    resident_code: i64,
    previous_code: Option<i64>,
    prev_seq: Option<i64>,
    status: &'static str,
    search_key: String,
    birth: Short,
    sex: &'static str,
    snapshot: &'a str,
}

impl<'a> JournalRow<'a> {
    /// The row of entry `e` under sequence `seq`; its snapshot is written into `buf`.
    pub(crate) fn of(
        e: &'a NewEntry<'a>,
        seq: u64,
        buf: &'a mut Vec<u8>,
    ) -> Result<JournalRow<'a>, StoreError> {
        let c = e.change;
        let f = &e.resident.record.facts;
        buf.clear();
        codec::write_snapshot(buf, f, &e.resident.local)
            .map_err(|e| StoreError::Io(format!("snapshot: {e}")))?;
        let snapshot = std::str::from_utf8(buf).map_err(|_| corrupt("snapshot"))?;
        let destination = c.destination.as_ref();
        Ok(JournalRow {
            seq: seq as i64,
            recorded_by: i64::from(e.recorded_by.get()),
            origin: e.origin.map(|o| (o.epoch as i64, o.seq as i64)),
            record_id: &c.record_id,
            kind: c.kind.ja(),
            effective: Short::date(c.effective_date),
            notified: c.notified_date.map(Short::date),
            planned: c.planned_date.map(Short::date),
            destination_code: destination.and_then(|d| d.code).map(|c| i64::from(c.get())),
            destination_address: destination.map(|d| d.address.as_str()),
            recorded_at_ms: e.recorded_at_ms,
            resident_code: e.resident.record.resident_code.get() as i64,
            previous_code: e.previous_code.map(|c| c.get() as i64),
            prev_seq: e.prev_seq.map(|s| s as i64),
            status: e.resident.status.as_str(),
            search_key: name::search_key(&f.name),
            birth: Short::birth(f.birth_date),
            sex: f.sex.as_str(),
            snapshot,
        })
    }

    /// The row's values in the order of [`crate::schema::JOURNAL_COLUMNS`].
    fn values(&self) -> [Value<'_>; 20] {
        use Value::{Int, Text};
        [
            Int(Some(self.seq)),
            Int(Some(self.recorded_by)),
            Int(self.origin.map(|o| o.0)),
            Int(self.origin.map(|o| o.1)),
            Text(Some(self.record_id)),
            Text(Some(self.kind)),
            Text(Some(self.effective.as_str())),
            Text(self.notified.as_ref().map(Short::as_str)),
            Text(self.planned.as_ref().map(Short::as_str)),
            Int(self.destination_code),
            Text(self.destination_address),
            Int(Some(self.recorded_at_ms)),
            Int(Some(self.resident_code)),
            Int(self.previous_code),
            Int(self.prev_seq),
            Text(Some(self.status)),
            Text(Some(&self.search_key)),
            Text(Some(self.birth.as_str())),
            Text(Some(self.sex)),
            Text(Some(self.snapshot)),
        ]
    }

    /// Inserts the row with `insert` (prepared from [`JOURNAL_INSERT`]); false when the journal
    /// holds an entry with the same `(recorded_by, record_id)` or origin already.
    pub(crate) fn insert(
        &self,
        tx: &mut postgres::Transaction<'_>,
        insert: &postgres::Statement,
    ) -> Result<bool, StoreError> {
        let values = self.values();
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::param).collect();
        Ok(tx.execute(insert, &params).db()? == 1)
    }
}

/// Inserts a journal row unless it would repeat a record id or an origin.
pub(crate) const JOURNAL_INSERT: &str = "INSERT INTO journal (seq, recorded_by, origin_epoch, \
     origin_seq, record_id, kind, effective_date, notified_date, planned_date, destination_code, \
     destination_address, recorded_at_ms, resident_code, previous_code, prev_seq, status, \
     search_key, birth_date, sex, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT DO NOTHING";

/// One value of a row (None: NULL), as bound or copied.
pub(crate) enum Value<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
}

impl Value<'_> {
    pub(crate) fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Int(v) => v,
            Value::Text(v) => v,
        }
    }
}

/// Rows in PostgreSQL's binary `COPY` format, ready to send.
pub(crate) struct CopyBuf {
    bytes: Vec<u8>,
    rows: usize,
}

impl CopyBuf {
    const HEADER: &'static [u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

    pub(crate) fn new() -> CopyBuf {
        CopyBuf {
            bytes: Self::HEADER.to_vec(),
            rows: 0,
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// The bytes of the rows pushed since the last chunk was taken, when there are at least
    /// `size` of them: the next part of one `COPY`'s data.
    pub(crate) fn chunk(&mut self, size: usize) -> Option<Vec<u8>> {
        (self.bytes.len() >= size)
            .then(|| std::mem::replace(&mut self.bytes, Vec::with_capacity(size + size / 8)))
    }

    /// The rest of one `COPY`'s data, its end included; the buffer starts the next.
    pub(crate) fn last_chunk(&mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&(-1i16).to_be_bytes());
        self.rows = 0;
        std::mem::replace(&mut self.bytes, Self::HEADER.to_vec())
    }

    fn push(&mut self, values: &[Value<'_>]) {
        let b = &mut self.bytes;
        b.extend_from_slice(&(values.len() as i16).to_be_bytes());
        for v in values {
            match v {
                Value::Int(Some(i)) => {
                    b.extend_from_slice(&8i32.to_be_bytes());
                    b.extend_from_slice(&i.to_be_bytes());
                }
                Value::Text(Some(t)) => {
                    b.extend_from_slice(&(t.len() as i32).to_be_bytes());
                    b.extend_from_slice(t.as_bytes());
                }
                Value::Int(None) | Value::Text(None) => b.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        self.rows += 1;
    }

    pub(crate) fn push_journal(&mut self, row: &JournalRow<'_>) {
        self.push(&row.values());
    }

    pub(crate) fn push_resident(&mut self, code: u64, s: ResidentState) {
        self.push(&[
            Value::Int(Some(code as i64)),
            Value::Text(Some(s.status.as_str())),
            Value::Int(Some(s.last_seq as i64)),
            Value::Int(Some(s.facts_seq as i64)),
        ]);
    }

    /// Sends the rows with `copy` (a `COPY … FROM STDIN (FORMAT binary)` statement) and empties
    /// the buffer.
    pub(crate) fn send(
        &mut self,
        tx: &mut postgres::Transaction<'_>,
        copy: &str,
    ) -> Result<(), StoreError> {
        use std::io::Write;
        if self.rows == 0 {
            return Ok(());
        }
        self.bytes.extend_from_slice(&(-1i16).to_be_bytes());
        let mut w = tx.copy_in(copy).db()?;
        w.write_all(&self.bytes)
            .map_err(|e| StoreError::Unreachable(e.to_string()))?;
        w.finish().db()?;
        self.bytes.truncate(Self::HEADER.len());
        self.rows = 0;
        Ok(())
    }
}

/// Column `i` of `row`, or [`StoreError::Corrupt`] when it has another type.
pub(crate) fn get<'r, T: FromSql<'r>>(row: &'r Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

fn date(row: &Row, i: usize) -> Result<Option<Date>, StoreError> {
    get::<Option<&str>>(row, i)?.map(parse_date).transpose()
}

fn code(row: &Row, i: usize) -> Result<ResidentCode, StoreError> {
    resident_code(get(row, i)?)
}

fn opt_code(row: &Row, i: usize) -> Result<Option<ResidentCode>, StoreError> {
    get::<Option<i64>>(row, i)?.map(resident_code).transpose()
}

/// The record columns of the journal, in the order [`read_record`] reads them.
const FACTS: &str = "j.status, j.birth_date, j.sex, j.snapshot";

fn read_record(
    row: &Row,
    at: usize,
) -> Result<
    (
        RecordStatus,
        juki_domain::IdentityFacts,
        juki_domain::LocalFields,
    ),
    StoreError,
> {
    codec::read_record(
        get(row, at)?,
        get(row, at + 1)?,
        get(row, at + 2)?,
        get(row, at + 3)?,
    )
}

/// A resident's state columns: status, last_seq, facts_seq, starting at column `at`.
pub(crate) fn read_state(row: &Row, at: usize) -> Result<ResidentState, StoreError> {
    Ok(ResidentState {
        status: codec::status(get(row, at)?)?,
        last_seq: get::<i64>(row, at + 1)? as u64,
        facts_seq: get::<i64>(row, at + 2)? as u64,
    })
}

/// Selects a resident's state and the record of the entry holding its facts; `WHERE` on
/// `r.resident_code`. Rows read with [`read_held`].
pub(crate) const HELD: &str = "SELECT r.status, r.last_seq, r.facts_seq, j.status, j.birth_date, \
     j.sex, j.snapshot FROM residents r JOIN journal j ON j.seq = r.facts_seq \
     WHERE r.resident_code = $1";

/// Reads a row of [`HELD`] about `code`.
pub(crate) fn read_held(
    row: &Row,
    code: ResidentCode,
) -> Result<juki_store::engine::Held, StoreError> {
    let state = read_state(row, 0)?;
    let (_, facts, local) = read_record(row, 3)?;
    Ok(juki_store::engine::Held {
        resident: StoredResident {
            record: IdentityRecord {
                resident_code: code,
                facts,
            },
            status: state.status,
            local,
        },
        state,
    })
}

/// Selects residents with the journal entry holding their facts; join condition and filters
/// with `WHERE`. Rows read with [`read_resident`].
pub(crate) fn resident_select() -> String {
    format!(
        "SELECT r.resident_code, r.status, {FACTS} FROM residents r JOIN journal j \
         ON j.seq = r.facts_seq"
    )
}

pub(crate) fn read_resident(row: &Row) -> Result<StoredResident, StoreError> {
    let (_, facts, local) = read_record(row, 2)?;
    Ok(StoredResident {
        record: IdentityRecord {
            resident_code: code(row, 0)?,
            facts,
        },
        status: codec::status(get(row, 1)?)?,
        local,
    })
}

/// Selects journal entries; filter with `WHERE`. Rows read with [`read_journal`].
pub(crate) fn journal_select() -> String {
    format!("SELECT {} FROM journal j", journal_columns())
}

/// The columns of [`journal_select`], of the journal aliased `j`: [`read_journal`] reads them
/// from the start of a row, whatever follows them.
pub(crate) fn journal_columns() -> String {
    format!(
        "j.seq, j.recorded_by, j.record_id, j.kind, j.effective_date, j.notified_date, \
         j.recorded_at_ms, j.resident_code, j.previous_code, j.prev_seq, j.planned_date, \
         j.destination_code, j.destination_address, {FACTS}, j.origin_epoch, j.origin_seq"
    )
}

/// Reads a row of [`journal_select`]; an entry recorded here gets its origin epoch from
/// `epochs` (this node's, ascending).
pub(crate) fn read_journal(row: &Row, epochs: &[(u64, u64)]) -> Result<JournalEntry, StoreError> {
    let seq = get::<i64>(row, 0)? as u64;
    let origin = match (get::<Option<i64>>(row, 17)?, get::<Option<i64>>(row, 18)?) {
        (Some(epoch), Some(seq)) => Origin {
            epoch: epoch as u64,
            seq: seq as u64,
        },
        _ => Origin {
            epoch: codec::epoch_of(epochs, seq),
            seq,
        },
    };
    let (status, facts, local) = read_record(row, 13)?;
    let destination = match get::<Option<String>>(row, 12)? {
        Some(address) => Some(Destination {
            code: get::<Option<i64>>(row, 11)?.map(lgc).transpose()?,
            address,
        }),
        None => None,
    };
    Ok(JournalEntry {
        seq,
        recorded_by: lgc(get(row, 1)?)?,
        origin,
        record_id: get(row, 2)?,
        kind: ChangeKind::parse(get(row, 3)?).ok_or_else(|| corrupt("change kind"))?,
        effective_date: parse_date(get(row, 4)?)?,
        notified_date: date(row, 5)?,
        recorded_at_ms: get(row, 6)?,
        resident_code: code(row, 7)?,
        previous_code: opt_code(row, 8)?,
        prev_seq: get::<Option<i64>>(row, 9)?.map(|s| s as u64),
        status,
        facts,
        local,
        planned_date: date(row, 10)?,
        destination,
    })
}

/// The forwarded entries about a code (as the resident code, or as the previous code of a
/// code change), as [`read_meta`] reads them.
pub(crate) const ABOUT: &str = "SELECT seq, recorded_by, origin_epoch, origin_seq, \
     resident_code, previous_code, status, effective_date, recorded_at_ms FROM journal \
     WHERE origin_seq IS NOT NULL AND resident_code = $1 \
     UNION ALL \
     SELECT seq, recorded_by, origin_epoch, origin_seq, resident_code, previous_code, status, \
     effective_date, recorded_at_ms FROM journal WHERE origin_seq IS NOT NULL \
     AND previous_code = $1 AND resident_code != $1";

pub(crate) fn read_meta(row: &Row) -> Result<EntryMeta, StoreError> {
    Ok(EntryMeta {
        seq: get::<i64>(row, 0)? as u64,
        recorded_by: lgc(get(row, 1)?)?,
        origin: Origin {
            epoch: get::<i64>(row, 2)? as u64,
            seq: get::<i64>(row, 3)? as u64,
        },
        resident_code: code(row, 4)?,
        previous_code: opt_code(row, 5)?,
        status: codec::status(get(row, 6)?)?,
        effective_date: parse_date(get(row, 7)?)?,
        recorded_at_ms: get(row, 8)?,
    })
}

/// A journal row as the re-index after a restore reads it: seq, resident_code, previous_code,
/// status, and whether it is a forwarded entry (kept origin, no chain here).
pub(crate) fn index_row(row: &Row) -> Result<juki_store::engine::IndexRow, StoreError> {
    Ok(juki_store::engine::IndexRow {
        seq: get::<i64>(row, 0)? as u64,
        resident_code: resident_code(get(row, 1)?)?,
        previous_code: get::<Option<i64>>(row, 2)?.map(resident_code).transpose()?,
        status: codec::status(get(row, 3)?)?,
        forwarded: get(row, 4)?,
    })
}

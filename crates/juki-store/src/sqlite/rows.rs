//! Mapping between rows and domain values. Writes bind borrowed values (no copies of names
//! or addresses); short texts such as dates are formatted on the stack.

use crate::{JournalEntry, StoreError};
use juki_domain::change::Destination;
use juki_domain::date::BirthDate;
use juki_domain::name::{self, PersonName, Script};
use juki_domain::{
    Address, ChangeKind, Date, IdentityFacts, IdentityRecord, IndividualNumber, LocalFields,
    LocalGovernmentCode, RecordStatus, ResidentCode, Sex, StoredResident,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Row, ToSql};
use std::fmt::Write;

/// A short text (a date, a birth date) kept inline.
#[derive(Clone, Copy)]
pub(crate) struct Short {
    buf: [u8; 24],
    len: usize,
}

impl Short {
    pub(crate) fn of(v: impl std::fmt::Display) -> Short {
        let mut s = Short {
            buf: [0; 24],
            len: 0,
        };
        write!(s, "{v}").expect("short texts fit 24 bytes");
        s
    }
}

impl Write for Short {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl ToSql for Short {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(&self.buf[..self.len])))
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

pub(crate) const JOURNAL_INSERT: &str = "INSERT INTO journal (recorded_by, record_id, kind, effective_date, notified_date, \
     recorded_at_ms, resident_code, previous_code, prev_seq, status, family_name, given_name, family_name_kana, \
     given_name_kana, script, search_key, birth_date, sex, lgc, address, individual_number, former_family_name, \
     alias_name, nationality, household_head, relationship, resident_since, address_since, planned_date, \
     destination_code, destination_address) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
     ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)";

/// Inserts a journal entry with `st` (prepared from [`JOURNAL_INSERT`]).
pub(crate) fn insert_journal(
    st: &mut rusqlite::CachedStatement<'_>,
    e: &JournalEntry,
) -> rusqlite::Result<()> {
    let f = &e.facts;
    let l = &e.local;
    let search_key = name::search_key(&f.name);
    let date = |d: Option<Date>| d.map(Short::of);
    let effective = Short::of(e.effective_date);
    let birth = Short::of(f.birth_date);
    let (notified, planned) = (date(e.notified_date), date(e.planned_date));
    let (resident_since, address_since) = (date(l.resident_since), date(l.address_since));
    let dest_code = e.destination.as_ref().and_then(|d| d.code).map(|c| c.get());
    let dest_addr = e.destination.as_ref().map(|d| d.address.as_str());
    let params: [&dyn ToSql; 31] = [
        &e.recorded_by.get(),
        &e.record_id,
        &e.kind.ja(),
        &effective,
        &notified,
        &e.recorded_at_ms,
        &(e.resident_code.get() as i64),
        &e.previous_code.map(|c| c.get() as i64),
        &e.prev_seq.map(|s| s as i64),
        &e.status.as_str(),
        &f.name.family,
        &f.name.given,
        &f.name.family_kana,
        &f.name.given_kana,
        &script_str(f.name.script),
        &search_key,
        &birth,
        &f.sex.as_str(),
        &f.address.code.get(),
        &f.address.remainder,
        &f.individual_number.map(|n| n.get() as i64),
        &f.former_family_name,
        &f.alias_name,
        &f.nationality,
        &l.household_head,
        &l.relationship,
        &resident_since,
        &address_since,
        &planned,
        &dest_code,
        &dest_addr,
    ];
    st.execute(params.as_slice())?;
    Ok(())
}

/// A resident row waiting to be written: its state and the columns the search needs.
#[derive(Clone, Debug)]
pub(crate) struct ResidentRow {
    pub code: ResidentCode,
    pub status: RecordStatus,
    pub last_seq: u64,
    pub facts_seq: u64,
    pub search_key: String,
    pub birth_date: Short,
    pub sex: &'static str,
    pub lgc: u32,
}

impl ResidentRow {
    pub(crate) fn new(r: &StoredResident, state: crate::engine::ResidentState) -> ResidentRow {
        let f = &r.record.facts;
        ResidentRow {
            code: r.record.resident_code,
            status: state.status,
            last_seq: state.last_seq,
            facts_seq: state.facts_seq,
            search_key: name::search_key(&f.name),
            birth_date: Short::of(f.birth_date),
            sex: f.sex.as_str(),
            lgc: f.address.code.get(),
        }
    }

    pub(crate) fn write(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        let mut st = tx.prepare_cached(
            "INSERT OR REPLACE INTO residents \
             (resident_code, status, last_seq, facts_seq, search_key, birth_date, sex, lgc) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        st.execute(rusqlite::params![
            self.code.get() as i64,
            self.status.as_str(),
            self.last_seq as i64,
            self.facts_seq as i64,
            self.search_key,
            self.birth_date,
            self.sex,
            self.lgc
        ])?;
        Ok(())
    }
}

impl std::fmt::Debug for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::str::from_utf8(&self.buf[..self.len]).unwrap_or("?"))
    }
}

/// The state columns of a resident: status, last_seq, facts_seq.
pub(crate) const RESIDENT_STATE: &str =
    "SELECT status, last_seq, facts_seq FROM residents WHERE resident_code = ?1";

pub(crate) fn read_state(row: &Row) -> Result<crate::engine::ResidentState, StoreError> {
    let status: String = row.get(0)?;
    Ok(crate::engine::ResidentState {
        status: RecordStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        last_seq: row.get::<_, i64>(1)? as u64,
        facts_seq: row.get::<_, i64>(2)? as u64,
    })
}

fn get_date(row: &Row, i: usize) -> Result<Option<Date>, StoreError> {
    let s: Option<String> = row.get(i)?;
    s.map(|s| s.parse::<Date>().map_err(|_| corrupt("date")))
        .transpose()
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
const FACTS: &str = "j.status, j.family_name, j.given_name, j.family_name_kana, j.given_name_kana, j.script, \
     j.birth_date, j.sex, j.lgc, j.address, j.individual_number, j.former_family_name, j.alias_name, j.nationality, \
     j.household_head, j.relationship, j.resident_since, j.address_since";

/// Reads the record columns ([`FACTS`]) starting at column `at`.
fn read_facts(
    row: &Row,
    at: usize,
) -> Result<(RecordStatus, IdentityFacts, LocalFields), StoreError> {
    let text = |i: usize| -> Result<String, StoreError> { Ok(row.get::<_, String>(at + i)?) };
    let opt = |i: usize| -> Result<Option<String>, StoreError> {
        Ok(row.get::<_, Option<String>>(at + i)?)
    };
    let status = RecordStatus::parse(&text(0)?).ok_or_else(|| corrupt("status"))?;
    let script = match text(5)?.as_str() {
        "ja" => Script::Japanese,
        "latin" => Script::Latin,
        _ => return Err(corrupt("script")),
    };
    let name = PersonName {
        family: text(1)?,
        given: text(2)?,
        family_kana: text(3)?,
        given_kana: text(4)?,
        script,
    };
    let birth_date = BirthDate::parse_stored(&text(6)?).map_err(|_| corrupt("birth date"))?;
    let sex = Sex::parse(&text(7)?).map_err(|_| corrupt("sex"))?;
    let address = Address {
        code: lgc(row.get(at + 8)?)?,
        remainder: text(9)?,
    };
    let individual_number = row
        .get::<_, Option<i64>>(at + 10)?
        .map(|n| {
            IndividualNumber::parse(&format!("{n:012}")).map_err(|_| corrupt("individual number"))
        })
        .transpose()?;
    let facts = IdentityFacts {
        name,
        birth_date,
        sex,
        address,
        individual_number,
        former_family_name: opt(11)?,
        alias_name: opt(12)?,
        nationality: opt(13)?,
    };
    let local = LocalFields {
        household_head: opt(14)?,
        relationship: opt(15)?,
        resident_since: get_date(row, at + 16)?,
        address_since: get_date(row, at + 17)?,
    };
    Ok((status, facts, local))
}

/// Selects residents joined with the journal entry holding their facts; filter with `WHERE`.
pub(crate) fn resident_select() -> String {
    format!(
        "SELECT r.resident_code, r.status, {FACTS} FROM residents r JOIN journal j ON j.seq = r.facts_seq"
    )
}

/// Reads a row of [`resident_select`].
pub(crate) fn read_resident(row: &Row) -> Result<StoredResident, StoreError> {
    let code = resident_code(row.get(0)?)?;
    let status: String = row.get(1)?;
    let status = RecordStatus::parse(&status).ok_or_else(|| corrupt("status"))?;
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
         {FACTS} FROM journal j"
    )
}

/// Reads a row of [`journal_select`].
pub(crate) fn read_journal(row: &Row) -> Result<JournalEntry, StoreError> {
    let seq: i64 = row.get(0)?;
    let kind: String = row.get(3)?;
    let effective: String = row.get(4)?;
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
        record_id: row.get(2)?,
        kind: ChangeKind::parse(&kind).ok_or_else(|| corrupt("change kind"))?,
        effective_date: effective.parse().map_err(|_| corrupt("effective date"))?,
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

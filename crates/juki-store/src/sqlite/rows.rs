//! Mapping between rows and domain values.

use crate::{JournalEntry, StoreError};
use juki_domain::change::Destination;
use juki_domain::date::BirthDate;
use juki_domain::name::{self, PersonName, Script};
use juki_domain::{
    Address, ChangeKind, Date, IdentityFacts, IdentityRecord, IndividualNumber, LocalFields,
    LocalGovernmentCode, RecordStatus, ResidentCode, Sex, StoredResident,
};
use rusqlite::types::Value;
use rusqlite::{Row, ToSql};

/// The record columns `residents` and `journal` share: status, family_name, given_name,
/// family_name_kana, given_name_kana, script, birth_date, sex, lgc, address, individual_number,
/// former_family_name, alias_name, nationality, household_head, relationship, resident_since,
/// address_since.
pub(crate) const FACT_COLUMN_COUNT: usize = 18;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn date_text(d: Option<Date>) -> Value {
    d.map_or(Value::Null, |d| Value::Text(d.to_string()))
}

fn opt_text(s: &Option<String>) -> Value {
    s.clone().map_or(Value::Null, Value::Text)
}

/// The values of the shared record columns for a record and its state.
pub(crate) fn fact_values(
    status: RecordStatus,
    facts: &IdentityFacts,
    local: &LocalFields,
) -> [Value; 18] {
    [
        Value::Text(status.as_str().into()),
        Value::Text(facts.name.family.clone()),
        Value::Text(facts.name.given.clone()),
        Value::Text(facts.name.family_kana.clone()),
        Value::Text(facts.name.given_kana.clone()),
        Value::Text(script_str(facts.name.script).into()),
        Value::Text(facts.birth_date.to_string()),
        Value::Text(facts.sex.as_str().into()),
        Value::Integer(i64::from(facts.address.code.get())),
        Value::Text(facts.address.remainder.clone()),
        facts
            .individual_number
            .map_or(Value::Null, |n| Value::Integer(n.get() as i64)),
        opt_text(&facts.former_family_name),
        opt_text(&facts.alias_name),
        opt_text(&facts.nationality),
        opt_text(&local.household_head),
        opt_text(&local.relationship),
        date_text(local.resident_since),
        date_text(local.address_since),
    ]
}

pub(crate) fn script_str(s: Script) -> &'static str {
    match s {
        Script::Japanese => "ja",
        Script::Latin => "latin",
    }
}

/// Values for the `residents` row of a resident.
pub(crate) fn resident_params(r: &StoredResident, last_seq: u64) -> Vec<Value> {
    let mut v = Vec::with_capacity(FACT_COLUMN_COUNT + 3);
    v.push(Value::Integer(r.record.resident_code.get() as i64));
    v.extend(fact_values(r.status, &r.record.facts, &r.local));
    v.push(Value::Text(name::search_key(&r.record.facts.name)));
    v.push(Value::Integer(last_seq as i64));
    v
}

pub(crate) const RESIDENT_INSERT: &str = "INSERT OR REPLACE INTO residents (resident_code, status, family_name, given_name, \
     family_name_kana, given_name_kana, script, birth_date, sex, lgc, address, individual_number, former_family_name, \
     alias_name, nationality, household_head, relationship, resident_since, address_since, search_key, last_seq) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";

pub(crate) const JOURNAL_INSERT: &str = "INSERT INTO journal (recorded_by, record_id, kind, effective_date, notified_date, \
     recorded_at_ms, resident_code, previous_code, prev_seq, status, family_name, given_name, family_name_kana, \
     given_name_kana, script, birth_date, sex, lgc, address, individual_number, former_family_name, alias_name, \
     nationality, household_head, relationship, resident_since, address_since, planned_date, destination_code, \
     destination_address) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, \
     ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)";

pub(crate) fn journal_params(e: &JournalEntry) -> Vec<Value> {
    let mut v = Vec::with_capacity(30);
    v.push(Value::Integer(i64::from(e.recorded_by.get())));
    v.push(Value::Text(e.record_id.clone()));
    v.push(Value::Text(e.kind.ja().into()));
    v.push(Value::Text(e.effective_date.to_string()));
    v.push(date_text(e.notified_date));
    v.push(Value::Integer(e.recorded_at_ms));
    v.push(Value::Integer(e.resident_code.get() as i64));
    v.push(
        e.previous_code
            .map_or(Value::Null, |c| Value::Integer(c.get() as i64)),
    );
    v.push(e.prev_seq.map_or(Value::Null, |s| Value::Integer(s as i64)));
    v.extend(fact_values(e.status, &e.facts, &e.local));
    v.push(date_text(e.planned_date));
    let (code, addr) = match &e.destination {
        Some(d) => (
            d.code
                .map_or(Value::Null, |c| Value::Integer(i64::from(c.get()))),
            Value::Text(d.address.clone()),
        ),
        None => (Value::Null, Value::Null),
    };
    v.push(code);
    v.push(addr);
    v
}

pub(crate) fn as_params(v: &[Value]) -> Vec<&dyn ToSql> {
    v.iter().map(|x| x as &dyn ToSql).collect()
}

fn get_date(row: &Row, i: usize) -> Result<Option<Date>, StoreError> {
    let s: Option<String> = row.get(i)?;
    s.map(|s| s.parse::<Date>().map_err(|_| corrupt("date")))
        .transpose()
}

fn resident_code(v: i64) -> Result<ResidentCode, StoreError> {
    u64::try_from(v)
        .ok()
        .and_then(ResidentCode::from_u64)
        .ok_or_else(|| corrupt("resident code"))
}

fn lgc(v: i64) -> Result<LocalGovernmentCode, StoreError> {
    LocalGovernmentCode::parse(&format!("{v:06}")).map_err(|_| corrupt("local government code"))
}

/// Reads the shared record columns starting at column `at`.
pub(crate) fn read_facts(
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

pub(crate) const RESIDENT_SELECT: &str = "SELECT resident_code, last_seq, status, family_name, given_name, family_name_kana, \
     given_name_kana, script, birth_date, sex, lgc, address, individual_number, former_family_name, alias_name, \
     nationality, household_head, relationship, resident_since, address_since FROM residents";

/// Reads a row of [`RESIDENT_SELECT`].
pub(crate) fn read_resident(row: &Row) -> Result<(StoredResident, u64), StoreError> {
    let code = resident_code(row.get(0)?)?;
    let last_seq: i64 = row.get(1)?;
    let (status, facts, local) = read_facts(row, 2)?;
    Ok((
        StoredResident {
            record: IdentityRecord {
                resident_code: code,
                facts,
            },
            status,
            local,
        },
        last_seq as u64,
    ))
}

pub(crate) const JOURNAL_SELECT: &str = "SELECT seq, recorded_by, record_id, kind, effective_date, notified_date, \
     recorded_at_ms, resident_code, previous_code, prev_seq, planned_date, destination_code, destination_address, \
     status, family_name, given_name, family_name_kana, given_name_kana, script, birth_date, sex, lgc, address, \
     individual_number, former_family_name, alias_name, nationality, household_head, relationship, resident_since, \
     address_since FROM journal";

/// Reads a row of [`JOURNAL_SELECT`].
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

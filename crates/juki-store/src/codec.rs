//! The row format every store implementation shares: how a journal entry's record is written
//! as text (dates, birth dates, the snapshot) and read back, independent of the database.
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

use crate::StoreError;
use juki_domain::date::BirthDate;
use juki_domain::name::{PersonName, Script};
use juki_domain::{
    Address, Date, IdentityFacts, IndividualNumber, LocalFields, LocalGovernmentCode, RecordStatus,
    ResidentCode, Sex,
};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// A short text (a date, a birth date) kept inline, formatted without allocating.
#[derive(Clone, Copy)]
pub struct Short {
    buf: [u8; 24],
    len: u8,
}

impl Short {
    pub fn of(v: impl std::fmt::Display) -> Short {
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
    pub fn date(d: Date) -> Short {
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
    pub fn birth(b: BirthDate) -> Short {
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

    pub fn as_str(&self) -> &str {
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
pub fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub fn script_str(s: Script) -> &'static str {
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
pub fn write_snapshot(
    buf: &mut Vec<u8>,
    f: &IdentityFacts,
    l: &LocalFields,
) -> serde_json::Result<()> {
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
}

/// The text a record status is stored as.
pub fn status(s: &str) -> Result<RecordStatus, StoreError> {
    RecordStatus::parse(s).ok_or_else(|| corrupt("status"))
}

pub fn parse_date(s: &str) -> Result<Date, StoreError> {
    s.parse::<Date>().map_err(|_| corrupt("date"))
}

pub fn resident_code(v: i64) -> Result<ResidentCode, StoreError> {
    u64::try_from(v)
        .ok()
        .and_then(ResidentCode::from_u64)
        .ok_or_else(|| corrupt("resident code"))
}

pub fn lgc(v: i64) -> Result<LocalGovernmentCode, StoreError> {
    LocalGovernmentCode::parse(&format!("{v:06}")).map_err(|_| corrupt("local government code"))
}

/// Reads a journal entry's record back from its stored texts: status, birth date, sex and the
/// snapshot.
pub fn read_record(
    status_text: &str,
    birth_text: &str,
    sex_text: &str,
    snapshot: &str,
) -> Result<(RecordStatus, IdentityFacts, LocalFields), StoreError> {
    let status = status(status_text)?;
    let birth_date = BirthDate::parse_stored(birth_text).map_err(|_| corrupt("birth date"))?;
    let sex = Sex::parse(sex_text).map_err(|_| corrupt("sex"))?;
    let s: SnapshotIn =
        serde_json::from_str(snapshot).map_err(|e| corrupt(&format!("snapshot: {e}")))?;
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

/// The epoch in force at sequence `seq`, given this node's epochs as `(epoch, first_seq)` in
/// ascending order.
pub fn epoch_of(epochs: &[(u64, u64)], seq: u64) -> u64 {
    epochs
        .iter()
        .rev()
        .find(|(_, first)| *first <= seq)
        .map_or(1, |(epoch, _)| *epoch)
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

//! One CSV row per resident, formatted by hand into a byte buffer: no per-row allocation, and
//! what a household's rows share is formatted once per household.

use crate::days::{self, Day};
use crate::household::{Member, Precision};
use crate::names::Words;

/// The header row: FORMATS §1 column names in the order written.
pub const HEADER: &str = "record_id,change_kind,effective_date,resident_code,family_name,given_name,\
family_name_kana,given_name_kana,birth_date,sex,local_government_code,address,notified_date,\
individual_number,nationality,alias_name,household_head,relationship,resident_since,address_since";

/// Whether a field must be quoted (RFC 4180): it holds a comma, quote, CR or LF. Branch-free
/// over the bytes so the compiler can vectorise it; all four are ASCII, so UTF-8 text cannot
/// hide them inside a multi-byte character.
#[inline]
fn needs_quotes(field: &[u8]) -> bool {
    field.iter().fold(false, |acc, &b| {
        acc | (b == b',') | (b == b'"') | (b == b'\r') | (b == b'\n')
    })
}

/// Quotes what was appended to `out` since `start` if RFC 4180 requires it: wraps it in quotes
/// and doubles inner quotes. The vendored tables hold no such character, but a table edited by
/// hand must not be able to break the file.
#[inline]
pub fn quote_from(out: &mut Vec<u8>, start: usize) {
    if !needs_quotes(&out[start..]) {
        return;
    }
    let field = out.split_off(start);
    out.push(b'"');
    for b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends words (checked table entries) joined by single spaces, skipping empty ones.
#[inline]
pub fn push_words(out: &mut Vec<u8>, words: &Words) {
    let mut first = true;
    for w in words.iter().filter(|w| !w.is_empty()) {
        if !first {
            out.push(b' ');
        }
        push_checked(out, w);
        first = false;
    }
}

/// Appends a field built only from table entries that were checked when the tables loaded
/// (kanji and kana, or A–Z words: see `names`), so it can never need quotes; debug builds
/// check that again.
#[inline]
fn push_checked(out: &mut Vec<u8>, text: &str) {
    debug_assert!(
        !needs_quotes(text.as_bytes()),
        "{text:?} escaped the table checks"
    );
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
fn push_field(out: &mut Vec<u8>, text: &str) {
    let start = out.len();
    out.extend_from_slice(text.as_bytes());
    quote_from(out, start);
}

/// A person's full name as the household_head column writes it: `佐藤太郎` for a Japanese-script
/// name, `NGUYEN VAN AN` for a Latin one. Appended unquoted; the caller quotes the field.
pub fn push_full_name(out: &mut Vec<u8>, m: &Member, latin: bool) {
    push_words(out, &m.family);
    if latin && m.given.iter().any(|w| !w.is_empty()) {
        out.push(b' ');
    }
    push_words(out, &m.given);
}

/// Every date a run can write (birth dates up to ~107 years back and later), pre-formatted.
pub struct Dates {
    first: Day,
    text: Vec<[u8; 10]>,
}

impl Dates {
    /// The dates `first..=last`.
    pub fn new(first: Day, last: Day) -> Dates {
        let text = (first..=last)
            .map(|d| {
                let mut t = Vec::with_capacity(10);
                days::push_date(&mut t, d);
                t.try_into().expect("YYYY-MM-DD is ten bytes")
            })
            .collect();
        Dates { first, text }
    }

    /// Appends `YYYY-MM-DD`.
    #[inline]
    pub fn push(&self, out: &mut Vec<u8>, day: Day) {
        match usize::try_from(day - self.first)
            .ok()
            .and_then(|i| self.text.get(i))
        {
            Some(t) => out.extend_from_slice(t),
            None => days::push_date(out, day),
        }
    }
}

/// What every row of a run shares, formatted once.
pub struct RunText {
    /// `S<seed>-`
    pub record_prefix: Vec<u8>,
    /// `,転入,YYYY-MM-DD,`: change kind and effective date.
    pub kind_and_date: Vec<u8>,
    pub dates: Dates,
    /// The effective date, `YYYY-MM-DD` (also the notified date).
    pub effective: [u8; 10],
}

/// What every row of a household shares, formatted (and quoted where needed) once.
pub struct HouseholdText {
    /// `,<lgc>,<address>,<notified date>,`
    pub place: Vec<u8>,
    /// `,<nationality>,`
    pub nationality: Vec<u8>,
    /// `,<household head>,`
    pub head: Vec<u8>,
}

impl HouseholdText {
    pub fn new() -> HouseholdText {
        HouseholdText {
            place: Vec::with_capacity(128),
            nationality: Vec::with_capacity(8),
            head: Vec::with_capacity(64),
        }
    }

    /// Formats the shared fields of a household.
    pub fn set(
        &mut self,
        run: &RunText,
        lgc: &[u8; 6],
        address: &[u8],
        nationality: &str,
        head: &Member,
        latin: bool,
    ) {
        self.place.clear();
        self.place.push(b',');
        self.place.extend_from_slice(lgc);
        self.place.push(b',');
        let start = self.place.len();
        self.place.extend_from_slice(address);
        quote_from(&mut self.place, start);
        self.place.push(b',');
        self.place.extend_from_slice(&run.effective);
        self.place.push(b',');
        self.nationality.clear();
        self.nationality.push(b',');
        self.nationality.extend_from_slice(nationality.as_bytes());
        self.nationality.push(b',');
        self.head.clear();
        self.head.push(b',');
        push_full_name(&mut self.head, head, latin);
        quote_from(&mut self.head, 1);
        self.head.push(b',');
    }
}

impl Default for HouseholdText {
    fn default() -> Self {
        Self::new()
    }
}

/// Appends one row.
#[inline]
pub fn push_row(
    out: &mut Vec<u8>,
    run: &RunText,
    hh: &HouseholdText,
    index: u64,
    m: &Member,
    resident_code: u64,
    individual_number: Option<u64>,
) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(&run.record_prefix);
    out.extend_from_slice(num.format(index).as_bytes());
    out.extend_from_slice(&run.kind_and_date);
    out.extend_from_slice(num.format(resident_code).as_bytes());
    out.push(b',');
    push_words(out, &m.family);
    out.push(b',');
    push_words(out, &m.given);
    out.push(b',');
    push_checked(out, m.family_kana);
    out.push(b',');
    push_checked(out, m.given_kana);
    out.push(b',');
    match m.precision {
        Precision::Full => run.dates.push(out, m.birth),
        Precision::YearMonth => days::push_year_month(out, m.birth),
        Precision::Year => days::push_year(out, days::to_civil(m.birth).0),
        Precision::Unknown => out.extend_from_slice("不詳".as_bytes()),
    }
    out.push(b',');
    out.extend_from_slice(if m.male { "男" } else { "女" }.as_bytes());
    out.extend_from_slice(&hh.place);
    if let Some(n) = individual_number {
        out.extend_from_slice(num.format(n).as_bytes());
    }
    out.extend_from_slice(&hh.nationality);
    push_checked(out, m.alias[0]);
    push_checked(out, m.alias[1]);
    out.extend_from_slice(&hh.head);
    out.extend_from_slice(m.relationship.as_str().as_bytes());
    out.push(b',');
    run.dates.push(out, m.resident_since);
    out.push(b',');
    run.dates.push(out, m.address_since);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        for (text, expected) in [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\r", "\"cr\r\""),
            ("佐々木", "佐々木"),
            ("", ""),
        ] {
            let mut out = b"x,".to_vec();
            push_field(&mut out, text);
            assert_eq!(String::from_utf8(out).unwrap(), format!("x,{expected}"));
        }
    }

    #[test]
    fn words_join_with_single_spaces() {
        let mut out = Vec::new();
        push_words(&mut out, &["NGUYEN", "", "AN"]);
        assert_eq!(out, b"NGUYEN AN");
    }

    #[test]
    fn the_date_table_matches_the_conversion_and_falls_back_outside() {
        let dates = Dates::new(-10, 10);
        for d in [-11, -10, 0, 10, 11, 20_000] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            dates.push(&mut a, d);
            days::push_date(&mut b, d);
            assert_eq!(a, b);
        }
    }
}

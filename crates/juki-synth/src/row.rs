//! One CSV row per resident, formatted by hand into a byte buffer (no per-row allocation).

use crate::days::{self, Day};
use crate::household::{Member, Precision};
use crate::names::Words;

/// The header row: FORMATS §1 column names in the order written.
pub const HEADER: &str = "record_id,change_kind,effective_date,resident_code,family_name,given_name,\
family_name_kana,given_name_kana,birth_date,sex,local_government_code,address,notified_date,\
individual_number,nationality,alias_name,household_head,relationship,resident_since,address_since";

/// Quotes what was appended to `out` since `start` if RFC 4180 requires it (a comma, quote,
/// CR or LF): wraps it in quotes and doubles inner quotes. Synthetic text never needs it, but
/// a table edited by hand must not be able to break the file.
#[inline]
pub fn quote_from(out: &mut Vec<u8>, start: usize) {
    if !out[start..]
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
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

/// Appends words joined by single spaces, skipping empty ones.
#[inline]
pub fn push_words(out: &mut Vec<u8>, words: &Words) {
    let mut first = true;
    for w in words.iter().filter(|w| !w.is_empty()) {
        if !first {
            out.push(b' ');
        }
        out.extend_from_slice(w.as_bytes());
        first = false;
    }
}

#[inline]
fn push_field_words(out: &mut Vec<u8>, words: &Words) {
    let start = out.len();
    push_words(out, words);
    quote_from(out, start);
}

#[inline]
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

/// What every row of a household shares, already formatted (and quoted where needed).
pub struct Shared<'a> {
    /// `S<seed>-`
    pub record_prefix: &'a [u8],
    /// The effective date, `YYYY-MM-DD`.
    pub effective: &'a [u8],
    pub lgc: &'a [u8; 6],
    pub address: &'a [u8],
    pub nationality: &'a str,
    pub head: &'a [u8],
}

/// Appends one row.
#[inline]
pub fn push_row(
    out: &mut Vec<u8>,
    s: &Shared<'_>,
    index: u64,
    m: &Member,
    resident_code: u64,
    individual_number: Option<u64>,
) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(s.record_prefix);
    out.extend_from_slice(num.format(index).as_bytes());
    out.extend_from_slice(",転入,".as_bytes());
    out.extend_from_slice(s.effective);
    out.push(b',');
    out.extend_from_slice(num.format(resident_code).as_bytes());
    out.push(b',');
    push_field_words(out, &m.family);
    out.push(b',');
    push_field_words(out, &m.given);
    out.push(b',');
    push_field(out, m.family_kana);
    out.push(b',');
    push_field(out, m.given_kana);
    out.push(b',');
    match m.precision {
        Precision::Full => days::push_date(out, m.birth),
        Precision::YearMonth => days::push_year_month(out, m.birth),
        Precision::Year => days::push_year(out, days::to_civil(m.birth).0),
        Precision::Unknown => out.extend_from_slice("不詳".as_bytes()),
    }
    out.push(b',');
    out.extend_from_slice(if m.male { "男" } else { "女" }.as_bytes());
    out.push(b',');
    out.extend_from_slice(s.lgc);
    out.push(b',');
    out.extend_from_slice(s.address);
    out.push(b',');
    out.extend_from_slice(s.effective);
    out.push(b',');
    if let Some(n) = individual_number {
        out.extend_from_slice(num.format(n).as_bytes());
    }
    out.push(b',');
    out.extend_from_slice(s.nationality.as_bytes());
    out.push(b',');
    let start = out.len();
    out.extend_from_slice(m.alias[0].as_bytes());
    out.extend_from_slice(m.alias[1].as_bytes());
    quote_from(out, start);
    out.push(b',');
    out.extend_from_slice(s.head);
    out.push(b',');
    out.extend_from_slice(m.relationship.as_str().as_bytes());
    out.push(b',');
    push_day(out, m.resident_since);
    out.push(b',');
    push_day(out, m.address_since);
    out.push(b'\n');
}

#[inline]
fn push_day(out: &mut Vec<u8>, day: Day) {
    days::push_date(out, day);
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
}

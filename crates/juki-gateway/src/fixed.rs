//! Fixed-width change records as a legacy host writes them (docs/gateway-formats.md): CP932
//! bytes, one record per line, every field at a fixed width in bytes padded with spaces, dates
//! in era form (`R060401`), change kinds and sex as number codes.
//!
//! The reader only cuts and decodes: it turns each record into the same [`RawChange`] the CSV
//! reader gives (era dates into the `R06.04.01` form, codes into their Japanese names), so that
//! one validator judges every format alike.

use crate::csv_input::{Column, Row};
use crate::encoding::{Encoding, Prefixed};
use crate::lines::Lines;
use juki_domain::catalogue::{GW_RECORD_LENGTH, IN_ENCODING, IN_ROW_TOO_LONG};
use juki_domain::{ChangeKind, Problem, RawChange};
use std::io::{BufReader, Read};

/// How a field's text becomes the value of its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Taken as it is (spaces at either end trimmed).
    Text,
    /// `GYYMMDD`: era letter, year, month, day (`R060401`); blank when absent.
    Date,
    /// `GYYMMDD` with `00` for an unknown month or day (`S630000` is 昭和63年, month and day
    /// unknown); `0000000` is 不詳.
    BirthDate,
    /// A two-digit change-kind code ([`KIND_CODES`]).
    Kind,
    /// `1` male, `2` female.
    Sex,
}

/// One field of the layout.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub column: Column,
    pub width_bytes: usize,
    pub kind: FieldKind,
}

const fn field(column: Column, width_bytes: usize, kind: FieldKind) -> Field {
    Field {
        column,
        width_bytes,
        kind,
    }
}

/// The record layout, in order. docs/gateway-formats.md prints it with offsets; a test keeps
/// the two equal.
pub const LAYOUT: &[Field] = &[
    field(Column::record_id, 20, FieldKind::Text),
    field(Column::change_kind, 2, FieldKind::Kind),
    field(Column::effective_date, 7, FieldKind::Date),
    field(Column::resident_code, 11, FieldKind::Text),
    field(Column::family_name, 40, FieldKind::Text),
    field(Column::given_name, 40, FieldKind::Text),
    field(Column::family_name_kana, 40, FieldKind::Text),
    field(Column::given_name_kana, 40, FieldKind::Text),
    field(Column::birth_date, 7, FieldKind::BirthDate),
    field(Column::sex, 1, FieldKind::Sex),
    field(Column::local_government_code, 6, FieldKind::Text),
    field(Column::address, 120, FieldKind::Text),
    field(Column::notified_date, 7, FieldKind::Date),
    field(Column::planned_date, 7, FieldKind::Date),
    field(Column::destination_code, 6, FieldKind::Text),
    field(Column::destination_address, 120, FieldKind::Text),
    field(Column::individual_number, 12, FieldKind::Text),
    field(Column::nationality, 2, FieldKind::Text),
];

/// The length of a record in bytes, without its line break.
pub const RECORD_BYTES: usize = {
    let mut total = 0;
    let mut i = 0;
    while i < LAYOUT.len() {
        total += LAYOUT[i].width_bytes;
        i += 1;
    }
    total
};

/// The change-kind codes of the layout.
pub const KIND_CODES: &[(&str, ChangeKind)] = &[
    ("01", ChangeKind::MoveIn),
    ("02", ChangeKind::MoveInFromAbroad),
    ("03", ChangeKind::Birth),
    ("04", ChangeKind::OfficialEntry),
    ("11", ChangeKind::MoveOut),
    ("12", ChangeKind::MoveOutAbroad),
    ("13", ChangeKind::Death),
    ("14", ChangeKind::OfficialDeletion),
    ("21", ChangeKind::MoveWithin),
    ("22", ChangeKind::OfficialCorrection),
    ("23", ChangeKind::ClericalCorrection),
    ("24", ChangeKind::CodeChange),
];

/// Reads fixed-width records.
pub struct FixedReader<R: Read> {
    lines: Lines<BufReader<Prefixed<R>>>,
    encoding: Encoding,
    buf: Vec<u8>,
}

impl<R: Read> FixedReader<R> {
    /// `input` with its BOM, if any, already settled (`encoding::settle`).
    pub fn new(input: Prefixed<R>, encoding: Encoding) -> FixedReader<R> {
        FixedReader {
            lines: Lines::new(BufReader::with_capacity(64 * 1024, input), RECORD_BYTES),
            encoding,
            buf: Vec::with_capacity(RECORD_BYTES + 2),
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.lines.bytes_read()
    }

    /// The bytes of the record read last, as in the file (empty when it was too long to keep).
    pub fn last_line(&self) -> &[u8] {
        &self.buf
    }
}

impl<R: Read> Iterator for FixedReader<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Self::Item> {
        let encoding = self.encoding;
        self.lines.next_row(
            &mut self.buf,
            || {
                Problem::new(&IN_ROW_TOO_LONG).note(format!(
                    "a record is {RECORD_BYTES} bytes; this line is longer"
                ))
            },
            |bytes, _| parse_record(bytes, encoding),
        )
    }
}

/// Cuts one record into its fields; a wrong length or bytes that are not valid in the
/// encoding refuse the record.
pub fn parse_record(
    bytes: &[u8],
    encoding: Encoding,
) -> Result<RawChange, (Option<String>, Problem)> {
    let record_id = record_id_of(bytes);
    if bytes.len() != RECORD_BYTES {
        return Err((
            record_id,
            Problem::new(&GW_RECORD_LENGTH).note(format!(
                "{RECORD_BYTES} bytes expected, {} found",
                bytes.len()
            )),
        ));
    }
    let mut raw = RawChange::default();
    let mut at = 0;
    for f in LAYOUT {
        let slice = &bytes[at..at + f.width_bytes];
        at += f.width_bytes;
        let Some(text) = encoding.decode(slice) else {
            return Err((
                record_id,
                Problem::new(&IN_ENCODING)
                    .field(f.column.name())
                    .note(format!(
                        "{} (a character cut at the field's edge?)",
                        encoding.name()
                    )),
            ));
        };
        let text = text.trim_matches(|c| c == ' ' || c == '\u{3000}');
        let value = match f.kind {
            FieldKind::Text => text.to_string(),
            FieldKind::Date => era_date(text, false),
            FieldKind::BirthDate => era_date(text, true),
            FieldKind::Kind => KIND_CODES
                .iter()
                .find(|(code, _)| *code == text)
                .map_or_else(|| text.to_string(), |(_, k)| k.ja().to_string()),
            FieldKind::Sex => match text {
                "1" => "男".to_string(),
                "2" => "女".to_string(),
                other => other.to_string(),
            },
        };
        f.column.set(&mut raw, value);
    }
    Ok(raw)
}

/// The record id, when the first field can be read (for the report of a refused record).
fn record_id_of(bytes: &[u8]) -> Option<String> {
    let width = LAYOUT[0].width_bytes.min(bytes.len());
    let id = std::str::from_utf8(&bytes[..width]).ok()?.trim();
    (!id.is_empty() && id.is_ascii()).then(|| id.to_string())
}

/// `R060401` → `R06.04.01`, the era form the domain reads and checks (calendar, era span).
/// For a birth date `00` stands for an unknown month or day and `0000000` for 不詳. Anything
/// else is passed on as it is, for the validator to refuse with the field named.
fn era_date(text: &str, birth: bool) -> String {
    let b = text.as_bytes();
    if birth && text == "0000000" {
        return "不詳".to_string();
    }
    if b.len() != 7 || !b[0].is_ascii_alphabetic() || !b[1..].iter().all(u8::is_ascii_digit) {
        return text.to_string();
    }
    let (era, yy, mm, dd) = (&text[..1], &text[1..3], &text[3..5], &text[5..7]);
    match (birth, mm, dd) {
        (true, "00", "00") => format!("{era}{yy}"),
        (true, _, "00") => format!("{era}{yy}.{mm}"),
        _ => format!("{era}{yy}.{mm}.{dd}"),
    }
}

/// A suggestion the rules made for a date field, written as this layout writes dates: the era
/// form `R1.5.2` becomes `R010502`. `None` for other fields and other forms.
pub fn layout_suggestion(field: &str, suggestion: &str) -> Option<String> {
    let is_date = LAYOUT.iter().any(|f| {
        f.column.name() == field && matches!(f.kind, FieldKind::Date | FieldKind::BirthDate)
    });
    let mut chars = suggestion.chars();
    let era = chars.next().filter(|c| c.is_ascii_uppercase() && is_date)?;
    let parts: Vec<u32> = chars
        .as_str()
        .split('.')
        .map(|p| p.parse().ok().filter(|n| *n < 100))
        .collect::<Option<_>>()?;
    match parts[..] {
        [y, m, d] => Some(format!("{era}{y:02}{m:02}{d:02}")),
        [y, m] => Some(format!("{era}{y:02}{m:02}00")),
        [y] => Some(format!("{era}{y:02}0000")),
        _ => None,
    }
}

/// Writes one record in the layout (for tests, samples and benchmarks): each value encoded and
/// padded with spaces to its width; `None` when a value does not fit or cannot be encoded.
pub fn write_record(values: &[(Column, &str)], encoding: Encoding) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(RECORD_BYTES);
    for f in LAYOUT {
        let value = values
            .iter()
            .find(|(c, _)| *c == f.column)
            .map_or("", |(_, v)| *v);
        let bytes = match encoding {
            Encoding::Utf8 => value.as_bytes().to_vec(),
            Encoding::Cp932 => {
                let (b, _, unmappable) = encoding_rs::SHIFT_JIS.encode(value);
                if unmappable {
                    return None;
                }
                b.into_owned()
            }
        };
        if bytes.len() > f.width_bytes {
            return None;
        }
        out.extend_from_slice(&bytes);
        out.resize(out.len() + f.width_bytes - bytes.len(), b' ');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(Column, &'static str)> {
        vec![
            (Column::record_id, "F0001"),
            (Column::change_kind, "01"),
            (Column::effective_date, "R060401"),
            (Column::resident_code, "12345678903"),
            (Column::family_name, "佐々木"),
            (Column::given_name, "陽菜"),
            (Column::family_name_kana, "ササキ"),
            (Column::given_name_kana, "ヒナ"),
            (Column::birth_date, "H100714"),
            (Column::sex, "2"),
            (Column::local_government_code, "131148"),
            (Column::address, "中野二丁目3番4号"),
        ]
    }

    #[test]
    fn a_record_is_cut_decoded_and_converted() {
        let bytes = write_record(&sample(), Encoding::Cp932).unwrap();
        assert_eq!(bytes.len(), RECORD_BYTES);
        let raw = parse_record(&bytes, Encoding::Cp932).unwrap();
        assert_eq!(raw.record_id, "F0001");
        assert_eq!(raw.change_kind, "転入");
        assert_eq!(raw.effective_date, "R06.04.01");
        assert_eq!(raw.family_name, "佐々木");
        assert_eq!(raw.birth_date, "H10.07.14");
        assert_eq!(raw.sex, "女");
        assert_eq!(raw.address, "中野二丁目3番4号");
        assert_eq!(raw.planned_date, "");
    }

    #[test]
    fn the_documented_layout_is_the_layout() {
        let doc = include_str!("../../../docs/gateway-formats.md");
        let mut offset = 0;
        for (i, f) in LAYOUT.iter().enumerate() {
            let row = format!(
                "| {} | `{}` | {offset} | {} |",
                i + 1,
                f.column.name(),
                f.width_bytes
            );
            assert!(doc.contains(&row), "docs/gateway-formats.md lacks {row}");
            offset += f.width_bytes;
        }
        assert!(doc.contains(&format!("exactly **{RECORD_BYTES} bytes**")));
        for (code, kind) in KIND_CODES {
            assert!(
                doc.contains(&format!("| `{code}` | {} |", kind.ja())),
                "{code}"
            );
        }
    }

    #[test]
    fn suggestions_are_written_in_the_layouts_date_form() {
        assert_eq!(
            layout_suggestion("effective_date", "R1.5.2").as_deref(),
            Some("R010502")
        );
        assert_eq!(
            layout_suggestion("birth_date", "S63.12").as_deref(),
            Some("S631200")
        );
        assert_eq!(layout_suggestion("family_name", "R1.5.2"), None);
        assert_eq!(layout_suggestion("effective_date", "2019-05-02"), None);
    }

    #[test]
    fn partial_birth_dates_and_unknown_codes() {
        assert_eq!(era_date("S630000", true), "S63");
        assert_eq!(era_date("S631200", true), "S63.12");
        assert_eq!(era_date("0000000", true), "不詳");
        assert_eq!(era_date("", false), "");
        assert_eq!(era_date("2024-01", false), "2024-01");
        let mut values = sample();
        values[1] = (Column::change_kind, "99");
        let raw = parse_record(
            &write_record(&values, Encoding::Cp932).unwrap(),
            Encoding::Cp932,
        )
        .unwrap();
        assert_eq!(raw.change_kind, "99");
    }

    #[test]
    fn a_short_record_or_a_cut_character_refuses_that_record_only() {
        let good = write_record(&sample(), Encoding::Cp932).unwrap();
        let mut file = good[..100].to_vec();
        file.push(b'\n');
        // A double-byte character straddling the end of family_name (offset 40..80).
        let mut cut = good.clone();
        cut[79] = 0x88; // a lead byte as the last byte of the field
        file.extend_from_slice(&cut);
        file.extend_from_slice(b"\r\n");
        file.extend_from_slice(&good);
        file.extend_from_slice(b"\r\n\r\n");
        let input = std::io::Cursor::new(Vec::new()).chain(file.as_slice());
        let rows: Vec<_> = FixedReader::new(input, Encoding::Cp932).collect();
        assert_eq!(rows.len(), 3);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!(
            (e.line, e.problem.code(), e.record_id.as_deref()),
            (1, "JK-GW-0102", Some("F0001"))
        );
        let e = rows[1].as_ref().unwrap_err();
        assert_eq!(
            (e.line, e.problem.code(), e.problem.field),
            (2, "JK-IN-0101", Some("family_name"))
        );
        assert_eq!(rows[2].as_ref().unwrap().0, 3);
    }
}

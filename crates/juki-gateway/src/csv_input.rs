//! Reading the change CSV of FORMATS §1: UTF-8 (a BOM allowed), RFC 4180, one header row whose
//! names may come in any order; unknown columns are warned about and ignored.

use crate::encoding::{self, Encoding, Prefixed};
use juki_domain::catalogue::{
    IN_DUPLICATE_COLUMN, IN_ENCODING, IN_MALFORMED_ROW, IN_MISSING_COLUMN, IN_ROW_TOO_LONG,
    IN_UNKNOWN_COLUMN,
};
use juki_domain::{ErrorDef, Problem, RawChange};
use std::io::Read;

/// The longest row accepted, in bytes (no valid change record comes near it).
pub const ROW_BYTES_MAX: usize = 64 * 1024;

macro_rules! columns {
    ($($variant:ident => $name:literal, $required:literal;)*) => {
        /// A column of the change file.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Column { $($variant),* }

        impl Column {
            pub const ALL: &'static [Column] = &[$(Column::$variant),*];

            /// The header name, exactly as FORMATS §1 spells it.
            pub fn name(self) -> &'static str {
                match self { $(Column::$variant => $name),* }
            }

            /// Whether the header must contain it.
            pub fn required(self) -> bool {
                match self { $(Column::$variant => $required),* }
            }

            pub(crate) fn set(self, raw: &mut RawChange, value: String) {
                match self { $(Column::$variant => raw.$variant = value),* }
            }
        }
    };
}

#[allow(non_camel_case_types)]
mod names {
    use super::*;
    columns! {
        record_id => "record_id", true;
        change_kind => "change_kind", true;
        effective_date => "effective_date", true;
        resident_code => "resident_code", true;
        family_name => "family_name", true;
        given_name => "given_name", true;
        family_name_kana => "family_name_kana", true;
        given_name_kana => "given_name_kana", true;
        birth_date => "birth_date", true;
        sex => "sex", true;
        local_government_code => "local_government_code", true;
        address => "address", true;
        notified_date => "notified_date", false;
        planned_date => "planned_date", false;
        destination_code => "destination_code", false;
        destination_address => "destination_address", false;
        individual_number => "individual_number", false;
        former_family_name => "former_family_name", false;
        alias_name => "alias_name", false;
        nationality => "nationality", false;
        household_head => "household_head", false;
        relationship => "relationship", false;
        resident_since => "resident_since", false;
        address_since => "address_since", false;
    }
}
pub use names::Column;

impl Column {
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// A problem with the file as a whole: nothing can be read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub def: &'static ErrorDef,
    pub detail: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.def, self.detail)
    }
}

impl std::error::Error for FileError {}

/// One record read, with the line it starts on, or why it could not be read.
pub type Row = Result<(u64, RawChange), RowError>;

/// A row that could not be read; the rows after it still are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number where the row starts.
    pub line: u64,
    /// The record id, when it could be read.
    pub record_id: Option<String>,
    pub problem: Problem,
}

/// Reads change rows from a FORMATS §1 CSV.
pub struct ChangeReader<R: Read> {
    csv: csv::Reader<Prefixed<R>>,
    encoding: Encoding,
    columns: Vec<Option<Column>>,
    warnings: Vec<Problem>,
    record: csv::ByteRecord,
}

impl<R: Read> ChangeReader<R> {
    /// Reads and checks the header of a UTF-8 file (a BOM allowed).
    pub fn new(input: R) -> Result<ChangeReader<R>, FileError> {
        ChangeReader::with_encoding(input, None)
    }

    /// Reads and checks the header, in the declared encoding (UTF-8 when none is declared).
    /// Fields are split on bytes and each decoded on its own: in CP932 the bytes of `,` `"`
    /// and line breaks never occur inside a double-byte character.
    pub fn with_encoding(
        input: R,
        declared: Option<Encoding>,
    ) -> Result<ChangeReader<R>, FileError> {
        let (encoding, input) = encoding::settle(input, declared, Encoding::Utf8)?;
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let header = csv
            .byte_headers()
            .map_err(|e| FileError {
                def: &IN_MALFORMED_ROW,
                detail: format!("header: {e}"),
            })?
            .clone();
        let mut columns = Vec::with_capacity(header.len());
        let mut warnings = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = encoding.decode(name).ok_or_else(|| FileError {
                def: &IN_ENCODING,
                detail: format!("header column {}", i + 1),
            })?;
            let name = name.as_str();
            let column = Column::from_name(name);
            match column {
                Some(c) if columns.contains(&Some(c)) => {
                    return Err(FileError {
                        def: &IN_DUPLICATE_COLUMN,
                        detail: name.to_string(),
                    });
                }
                Some(_) => {}
                None => warnings.push(
                    Problem::new(&IN_UNKNOWN_COLUMN).note(format!("column {} {name:?}", i + 1)),
                ),
            }
            columns.push(column);
        }
        let missing: Vec<&str> = Column::ALL
            .iter()
            .filter(|c| c.required() && !columns.contains(&Some(**c)))
            .map(|c| c.name())
            .collect();
        if !missing.is_empty() {
            return Err(FileError {
                def: &IN_MISSING_COLUMN,
                detail: missing.join(", "),
            });
        }
        Ok(ChangeReader {
            csv,
            encoding,
            columns,
            warnings,
            record: csv::ByteRecord::new(),
        })
    }

    /// Warnings about the header (unknown columns).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Bytes read so far, for progress.
    pub fn bytes_read(&self) -> u64 {
        self.csv.position().byte()
    }

    fn convert(&self) -> Result<RawChange, (Option<String>, Problem)> {
        let mut raw = RawChange::default();
        let mut bad_encoding = None;
        for (i, field) in self.record.iter().enumerate() {
            let Some(column) = self.columns.get(i).copied().flatten() else {
                continue;
            };
            match self.encoding.decode(field) {
                Some(s) => column.set(&mut raw, s),
                None => bad_encoding = bad_encoding.or(Some(column)),
            }
        }
        let record_id = (!raw.record_id.is_empty()).then(|| raw.record_id.clone());
        match bad_encoding {
            Some(c) => Err((
                record_id,
                Problem::new(&IN_ENCODING)
                    .field(c.name())
                    .note(self.encoding.name()),
            )),
            None => Ok(raw),
        }
    }
}

impl<R: Read> Iterator for ChangeReader<R> {
    /// A row with its line number, or why it could not be read.
    type Item = Row;

    fn next(&mut self) -> Option<Self::Item> {
        let mut record = std::mem::take(&mut self.record);
        let read = self.csv.read_byte_record(&mut record);
        self.record = record;
        let line = self.record.position().map_or(0, |p| p.line());
        match read {
            Ok(false) => None,
            Ok(true) if self.record.as_slice().len() > ROW_BYTES_MAX => Some(Err(RowError {
                line,
                record_id: None,
                problem: Problem::new(&IN_ROW_TOO_LONG),
            })),
            Ok(true) => Some(match self.convert() {
                Ok(raw) => Ok((line, raw)),
                Err((record_id, problem)) => Err(RowError {
                    line,
                    record_id,
                    problem,
                }),
            }),
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                // An I/O error ends the file; a malformed row does not.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Some(Err(RowError {
                        line,
                        record_id: None,
                        problem: Problem::new(&juki_domain::catalogue::IN_UNREADABLE)
                            .note(e.to_string()),
                    }));
                }
                Some(Err(RowError {
                    line,
                    record_id: None,
                    problem: Problem::new(&IN_MALFORMED_ROW).note(e.to_string()),
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,given_name_kana,birth_date,sex,local_government_code,address";

    #[test]
    fn reads_the_formats_example_with_a_bom_and_columns_in_any_order() {
        let text = format!(
            "\u{feff}{HEADER},extra\nN2026-000001,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,中野二丁目3番4号,x\n"
        );
        let mut r = ChangeReader::new(text.as_bytes()).unwrap();
        assert_eq!(r.warnings().len(), 1);
        assert_eq!(r.warnings()[0].code(), "JK-IN-0103");
        let (line, raw) = r.next().unwrap().unwrap();
        assert_eq!(
            (line, raw.record_id.as_str(), raw.family_name.as_str()),
            (2, "N2026-000001", "佐々木")
        );
        assert!(r.next().is_none());

        let reordered = "sex,record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,given_name_kana,birth_date,local_government_code,address\n女,A,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,131148,\"中野,二丁目\"\n";
        let (_, raw) = ChangeReader::new(reordered.as_bytes())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            (raw.sex.as_str(), raw.address.as_str()),
            ("女", "中野,二丁目")
        );
    }

    #[test]
    fn header_problems_refuse_the_file() {
        let err = ChangeReader::new("record_id,change_kind\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!(err.def.code, "JK-IN-0102");
        assert!(err.detail.contains("resident_code"));
        let err = ChangeReader::new(format!("{HEADER},sex\n").as_bytes())
            .err()
            .unwrap();
        assert_eq!(err.def.code, "JK-IN-0106");
    }

    #[test]
    fn a_bad_row_does_not_stop_the_rest() {
        let mut bytes = format!("{HEADER}\nA,転入,2026-04-01,1,2\n").into_bytes();
        bytes.extend_from_slice(b"B,\xff\xfe,2026-04-01,12345678903,a,b,c,d,e,f,g,h\n");
        bytes.extend_from_slice(
            "C,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,中野\n"
                .as_bytes(),
        );
        let rows: Vec<_> = ChangeReader::new(bytes.as_slice()).unwrap().collect();
        assert_eq!(rows.len(), 3);
        let e0 = rows[0].as_ref().unwrap_err();
        assert_eq!((e0.line, e0.problem.code()), (2, "JK-IN-0104"));
        let e1 = rows[1].as_ref().unwrap_err();
        assert_eq!(
            (e1.line, e1.problem.code(), e1.record_id.as_deref()),
            (3, "JK-IN-0101", Some("B"))
        );
        assert_eq!(rows[2].as_ref().unwrap().1.record_id, "C");
    }

    #[test]
    fn reads_cp932_when_declared_and_refuses_a_contradicting_bom() {
        let text = format!(
            "{HEADER}\nA,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,中野二丁目3番4号\n"
        );
        let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(&text);
        assert!(!bad);
        let mut r = ChangeReader::with_encoding(&bytes[..], Some(Encoding::Cp932)).unwrap();
        let (_, raw) = r.next().unwrap().unwrap();
        assert_eq!(
            (raw.family_name.as_str(), raw.address.as_str()),
            ("佐々木", "中野二丁目3番4号")
        );
        // The same bytes read as UTF-8 (the default) refuse the record, naming the field.
        let e = ChangeReader::new(&bytes[..])
            .unwrap()
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(
            (e.problem.code(), e.problem.field),
            ("JK-IN-0101", Some("change_kind"))
        );
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(&bytes);
        let e = ChangeReader::with_encoding(&with_bom[..], Some(Encoding::Cp932))
            .err()
            .unwrap();
        assert_eq!(e.def.code, "JK-GW-0101");
    }

    proptest::proptest! {
        /// Whatever bytes follow a valid header, the reader never panics and always ends.
        #[test]
        fn arbitrary_rows_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let mut input = format!("{HEADER}\n").into_bytes();
            input.extend_from_slice(&body);
            let reader = ChangeReader::new(input.as_slice()).unwrap();
            let rows = reader.count();
            proptest::prop_assert!(rows <= body.len() + 1);
        }

        /// A good row after a broken one is still read.
        #[test]
        fn a_good_row_survives_garbage_before_it(garbage in "[^\n\"]{0,200}") {
            let good = "C,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,中野";
            let input = format!("{HEADER}\n{garbage}\n{good}\n");
            let rows: Vec<_> = ChangeReader::new(input.as_bytes()).unwrap().collect();
            let last = rows.last().unwrap().as_ref().unwrap();
            proptest::prop_assert_eq!(last.1.record_id.as_str(), "C");
        }

        /// Any header bytes are refused or accepted without a panic.
        #[test]
        fn arbitrary_headers_never_panic(header in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = ChangeReader::new(header.as_slice()).map(|r| r.count());
        }
    }
}

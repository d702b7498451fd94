//! Reading the change CSV of FORMATS §1: UTF-8 (a BOM allowed) or declared CP932, RFC 4180
//! quoting, one header row whose names may come in any order; unknown columns are warned about
//! and ignored. One record per line (see [`ChangeReader`]).

use crate::encoding::{self, Encoding, Prefixed};
use crate::lines::{Line, Lines};
use juki_domain::catalogue::{
    IN_DUPLICATE_COLUMN, IN_ENCODING, IN_MALFORMED_ROW, IN_MISSING_COLUMN, IN_ROW_TOO_LONG,
    IN_UNKNOWN_COLUMN, IN_UNREADABLE,
};
use juki_domain::{ErrorDef, Problem, RawChange};
use std::io::{BufReader, Read};

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

/// Reads change rows from a FORMATS §1 CSV, one record per line.
///
/// A record never spans lines: no field of a change may hold a line break (names and addresses
/// refuse control characters), so an unterminated quote refuses its own line instead of
/// swallowing the rest of the file into one field. Each line is split by `csv-core` (RFC 4180
/// quoting) into reused buffers.
pub struct ChangeReader<R: Read> {
    lines: Lines<BufReader<Prefixed<R>>>,
    encoding: Encoding,
    columns: Vec<Option<Column>>,
    warnings: Vec<Problem>,
    splitter: Splitter,
    line: Vec<u8>,
    header: Vec<u8>,
}

/// Splits one line into fields, reusing its buffers.
struct Splitter {
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Splitter {
    fn new() -> Splitter {
        Splitter {
            // Comma and double quote, RFC 4180 (`Default` would leave the delimiter NUL).
            core: csv_core::Reader::new(),
            out: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Splits `line`; afterwards [`Splitter::field`] gives field `i`. Refuses a line with an
    /// unterminated quote (an odd number of `"`: RFC 4180 quoting always pairs them).
    fn split(&mut self, line: &[u8]) -> Result<usize, String> {
        if line.iter().filter(|b| **b == b'"').count() % 2 == 1 {
            return Err("a quote is not closed".to_string());
        }
        self.core.reset();
        self.out.clear();
        self.out.resize(line.len() + 1, 0);
        self.ends.clear();
        self.ends.resize(line.len() + 2, 0);
        let (mut input, mut o, mut e) = (line, 0, 0);
        // Two calls at most: the line, then the end of input, which completes the last field.
        for _ in 0..3 {
            let (result, _, nout, nend) =
                self.core
                    .read_record(input, &mut self.out[o..], &mut self.ends[e..]);
            o += nout;
            e += nend;
            match result {
                // All input was taken (the output has room for it): signal its end.
                csv_core::ReadRecordResult::InputEmpty => input = &[],
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => {
                    self.ends.truncate(e);
                    return Ok(e);
                }
                csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => break,
            }
        }
        Err("the line cannot be split into fields".to_string())
    }

    /// Field `i` of the last line split (its ends count from the start of the record).
    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(start..self.ends[i]).unwrap_or(&[])
    }
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
        let mut lines = Lines::new(BufReader::with_capacity(64 * 1024, input), ROW_BYTES_MAX);
        let mut line = Vec::new();
        let mut splitter = Splitter::new();
        let header_error = |detail: String| FileError {
            def: &IN_MALFORMED_ROW,
            detail: format!("header: {detail}"),
        };
        let fields = match lines.next_line(&mut line) {
            Err(e) => {
                return Err(FileError {
                    def: &IN_UNREADABLE,
                    detail: e.to_string(),
                });
            }
            Ok(Some((_, Line::TooLong))) => return Err(header_error("too long".to_string())),
            Ok(None) => 0,
            Ok(Some((_, Line::Read))) if line.is_empty() => 0,
            Ok(Some((_, Line::Read))) => splitter.split(&line).map_err(header_error)?,
        };
        let mut columns = Vec::with_capacity(fields);
        let mut warnings = Vec::new();
        for i in 0..fields {
            let name = encoding
                .decode(splitter.field(i))
                .ok_or_else(|| FileError {
                    def: &IN_ENCODING,
                    detail: format!("header column {}", i + 1),
                })?;
            let column = Column::from_name(&name);
            match column {
                Some(c) if columns.contains(&Some(c)) => {
                    return Err(FileError {
                        def: &IN_DUPLICATE_COLUMN,
                        detail: name,
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
            lines,
            encoding,
            columns,
            warnings,
            splitter,
            header: line.clone(),
            line,
        })
    }

    /// Warnings about the header (unknown columns).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Bytes read so far, for progress.
    pub fn bytes_read(&self) -> u64 {
        self.lines.bytes_read()
    }

    /// The header line as read (without its line break).
    pub fn header_line(&self) -> &[u8] {
        &self.header
    }

    /// The bytes of the record read last, as in the file (empty when it was too long to keep).
    pub fn last_line(&self) -> &[u8] {
        &self.line
    }
}

/// One line as a change: split, checked against the header, each field decoded.
fn convert(
    line: &[u8],
    splitter: &mut Splitter,
    columns: &[Option<Column>],
    encoding: Encoding,
) -> Result<RawChange, (Option<String>, Problem)> {
    let fields = splitter.split(line).map_err(|why| {
        // The record id, for the report, when it is the first column and plainly written.
        let record_id = (columns.first() == Some(&Some(Column::record_id)))
            .then(|| line.split(|b| *b == b',').next())
            .flatten()
            .filter(|id| {
                !id.is_empty()
                    && id
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            })
            .map(|id| String::from_utf8_lossy(id).into_owned());
        (record_id, Problem::new(&IN_MALFORMED_ROW).note(why))
    })?;
    let record_id = columns
        .iter()
        .take(fields)
        .position(|c| *c == Some(Column::record_id))
        .and_then(|i| std::str::from_utf8(splitter.field(i)).ok())
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    if fields != columns.len() {
        return Err((
            record_id,
            Problem::new(&IN_MALFORMED_ROW)
                .note(format!("{fields} fields; the header has {}", columns.len())),
        ));
    }
    let mut raw = RawChange::default();
    for (i, column) in columns.iter().enumerate() {
        let Some(column) = column else { continue };
        match encoding.decode(splitter.field(i)) {
            Some(s) => column.set(&mut raw, s),
            None => {
                return Err((
                    record_id,
                    Problem::new(&IN_ENCODING)
                        .field(column.name())
                        .note(encoding.name()),
                ));
            }
        }
    }
    Ok(raw)
}

impl<R: Read> Iterator for ChangeReader<R> {
    /// A row with its line number, or why it could not be read.
    type Item = Row;

    fn next(&mut self) -> Option<Self::Item> {
        let ChangeReader {
            lines,
            encoding,
            columns,
            splitter,
            line,
            ..
        } = self;
        lines.next_row(
            line,
            || Problem::new(&IN_ROW_TOO_LONG),
            |bytes, _| convert(bytes, splitter, columns, *encoding),
        )
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

    #[test]
    fn an_unterminated_quote_refuses_only_its_line() {
        let good =
            "C,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,中野";
        let input = format!("{HEADER}\nA,転入,\"broken\n{good}\n");
        let rows: Vec<_> = ChangeReader::new(input.as_bytes()).unwrap().collect();
        assert_eq!(rows.len(), 2);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!(
            (e.line, e.problem.code(), e.record_id.as_deref()),
            (2, "JK-IN-0104", Some("A"))
        );
        assert_eq!(rows[1].as_ref().unwrap().1.record_id, "C");
        // Quoted commas and doubled quotes still read as RFC 4180 says.
        let quoted = format!(
            "{HEADER}\nD,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,\"中野,\"\"2\"\"\"\n"
        );
        let (_, raw) = ChangeReader::new(quoted.as_bytes())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(raw.address, "中野,\"2\"");
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
        fn a_good_row_survives_garbage_before_it(garbage in "[^\n]{0,200}") {
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

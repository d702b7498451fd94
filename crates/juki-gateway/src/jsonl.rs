//! Change JSON lines (FORMATS §2): one JSON object per line with the column names of FORMATS §1
//! and string values. Each line is read on its own, so a broken line refuses only itself; keys
//! juki does not know are warned about once each and ignored, as unknown CSV columns are.

use crate::csv_input::{Column, ROW_BYTES_MAX, Row};
use crate::encoding::{Encoding, Prefixed};
use crate::lines::Lines;
use juki_domain::catalogue::{
    GW_FIELD_TYPE, IN_ENCODING, IN_MALFORMED_JSON, IN_ROW_TOO_LONG, IN_UNKNOWN_COLUMN,
};
use juki_domain::{Problem, RawChange};
use std::io::{BufReader, Read};

/// Distinct unknown keys warned about at most.
pub const UNKNOWN_KEYS_MAX: usize = 32;

/// Reads change JSON lines.
pub struct JsonlReader<R: Read> {
    lines: Lines<BufReader<Prefixed<R>>>,
    encoding: Encoding,
    buf: Vec<u8>,
    warnings: Vec<Problem>,
    unknown: Vec<String>,
}

impl<R: Read> JsonlReader<R> {
    /// `input` with its BOM, if any, already settled (`encoding::settle`).
    pub fn new(input: Prefixed<R>, encoding: Encoding) -> JsonlReader<R> {
        JsonlReader {
            lines: Lines::new(BufReader::with_capacity(64 * 1024, input), ROW_BYTES_MAX),
            encoding,
            buf: Vec::new(),
            warnings: Vec::new(),
            unknown: Vec::new(),
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.lines.bytes_read()
    }

    /// The bytes of the record read last, as in the file (empty when it was too long to keep).
    pub fn last_line(&self) -> &[u8] {
        &self.buf
    }

    /// Unknown keys seen so far, one warning each.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }
}

/// One line as a change; unknown keys are added to `warnings` once each.
fn convert(
    bytes: &[u8],
    line: u64,
    encoding: Encoding,
    warnings: &mut Vec<Problem>,
    unknown: &mut Vec<String>,
) -> Result<RawChange, (Option<String>, Problem)> {
    let Some(text) = encoding.decode(bytes) else {
        return Err((None, Problem::new(&IN_ENCODING).note(encoding.name())));
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| {
            (
                None,
                Problem::new(&IN_MALFORMED_JSON).note(format!(
                    "column {}: {}",
                    e.column(),
                    e.classify_name()
                )),
            )
        })?;
    let record_id = object
        .get("record_id")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let mut raw = RawChange::default();
    let mut bad_type = None;
    for (key, value) in object {
        let Some(column) = Column::from_name(&key) else {
            if !unknown.contains(&key) && unknown.len() < UNKNOWN_KEYS_MAX {
                warnings.push(
                    Problem::new(&IN_UNKNOWN_COLUMN)
                        .note(format!("key {key:?}, first on line {line}")),
                );
                unknown.push(key);
            }
            continue;
        };
        match value {
            serde_json::Value::String(s) => column.set(&mut raw, s),
            serde_json::Value::Null => {}
            _ => bad_type = bad_type.or(Some(column)),
        }
    }
    match bad_type {
        Some(c) => Err((record_id, Problem::new(&GW_FIELD_TYPE).field(c.name()))),
        None => Ok(raw),
    }
}

/// The short name of a serde_json error's category, without echoing input (no personal data).
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "not a JSON object",
            serde_json::error::Category::Eof => "unexpected end of line",
        }
    }
}

impl<R: Read> Iterator for JsonlReader<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Self::Item> {
        let JsonlReader {
            lines,
            encoding,
            buf,
            warnings,
            unknown,
        } = self;
        lines.next_row(
            buf,
            || Problem::new(&IN_ROW_TOO_LONG),
            |bytes, line| convert(bytes, line, *encoding, warnings, unknown),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> (Vec<Row>, Vec<Problem>) {
        let input = std::io::Cursor::new(Vec::new()).chain(text);
        let mut r = JsonlReader::new(input, Encoding::Utf8);
        let rows: Vec<_> = r.by_ref().collect();
        (rows, r.warnings().to_vec())
    }

    #[test]
    fn lines_become_changes_and_bad_lines_refuse_only_themselves() {
        let text = "{\"record_id\":\"A\",\"family_name\":\"佐藤\",\"x\":1,\"y\":null}\n\n{broken\n{\"record_id\":\"B\",\"resident_code\":12345678903}\n[1]\n{\"record_id\":\"C\",\"x\":\"again\"}\n";
        let (rows, warnings) = read(text.as_bytes());
        assert_eq!(rows.len(), 5);
        let (line, raw) = rows[0].as_ref().unwrap();
        assert_eq!((*line, raw.family_name.as_str()), (1, "佐藤"));
        let e = rows[1].as_ref().unwrap_err();
        assert_eq!((e.line, e.problem.code()), (3, "JK-IN-0105"));
        let e = rows[2].as_ref().unwrap_err();
        assert_eq!(
            (
                e.line,
                e.problem.code(),
                e.record_id.as_deref(),
                e.problem.field
            ),
            (4, "JK-GW-0103", Some("B"), Some("resident_code"))
        );
        assert_eq!(rows[3].as_ref().unwrap_err().problem.code(), "JK-IN-0105");
        assert_eq!(rows[4].as_ref().unwrap().1.record_id, "C");
        // Unknown keys: one warning per key, however often it appears.
        let codes: Vec<_> = warnings.iter().map(|w| w.code()).collect();
        assert_eq!(codes, ["JK-IN-0103", "JK-IN-0103"]);
    }

    #[test]
    fn bad_bytes_refuse_the_line() {
        let (rows, _) = read(b"{\"record_id\":\"\xff\"}\n{\"record_id\":\"B\"}");
        assert_eq!(rows[0].as_ref().unwrap_err().problem.code(), "JK-IN-0101");
        assert_eq!(rows[1].as_ref().unwrap().1.record_id, "B");
    }
}

//! The linkage report (連携エラー報告, FORMATS §5): per refused record its record id, line,
//! resident code and every error with field, offending character (also as U+XXXX), messages in
//! Japanese and English and a suggested correction. Three renderings: text for the clerk, the
//! JSON document of FORMATS §5, and CSV (one row per error) for a spreadsheet.

use crate::load::RefusedRecord;
use juki_api::ProblemJson;
use juki_domain::Problem;
use serde::Serialize;
use std::fmt::Write as _;

/// What became of a file's records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkageReport {
    /// Records that passed (counted, not listed).
    pub accepted: u64,
    /// Refused records in file order.
    pub refused: Vec<RefusedRecord>,
    /// Warnings about the file (unknown columns or keys).
    pub warnings: Vec<Problem>,
}

/// The CSV rendering's header.
pub const CSV_HEADER: [&str; 13] = [
    "record_id",
    "line",
    "resident_code",
    "code",
    "field",
    "position",
    "char",
    "codepoint",
    "message_ja",
    "message_en",
    "suggestion",
    "note",
    "severity",
];

impl LinkageReport {
    /// The text a clerk reads: totals, then each refused record with one line per error.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "連携結果 / Linkage report: 受付 accepted {}, エラー refused {}, 警告 warnings {}",
            self.accepted,
            self.refused.len(),
            self.warnings.len()
        );
        for w in &self.warnings {
            let _ = writeln!(out, "警告 warning: {}", problem_line(w));
        }
        for r in &self.refused {
            out.push('\n');
            out.push_str(&record_text(r));
        }
        out
    }

    /// FORMATS §5: `{"accepted", "refused": [{record_id, line, resident_code, errors}],
    /// "warnings"}`, pretty-printed.
    pub fn to_json(&self) -> String {
        let doc = ReportJson {
            accepted: self.accepted,
            refused: self.refused.iter().map(RecordJson::from).collect(),
            warnings: self.warnings.iter().map(ProblemJson::from).collect(),
        };
        serde_json::to_string_pretty(&doc).expect("strings and numbers always serialise")
    }

    /// One row per error (and per warning, with severity `warning`), header first.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(CSV_HEADER);
        for p in &self.warnings {
            let _ = w.write_record(csv_row(None, p, "warning"));
        }
        for r in &self.refused {
            for p in &r.problems {
                let _ = w.write_record(csv_row(Some(r), p, "error"));
            }
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8(bytes).expect("the CSV writer writes the UTF-8 it is given")
    }
}

/// A refused record as the clerk reads it.
pub fn record_text(r: &RefusedRecord) -> String {
    let mut out = format!(
        "レコード record {} 行 line {} 住民票コード resident code {}\n",
        r.record_id.as_deref().unwrap_or("-"),
        r.line,
        r.resident_code.as_deref().unwrap_or("-"),
    );
    for p in &r.problems {
        let _ = writeln!(out, "  {}", problem_line(p));
        if let Some(s) = &p.suggestion {
            let _ = writeln!(out, "    修正案 suggestion: {s}");
        }
    }
    out
}

/// `JK-NAME-0101 family_name 3文字目 '1' (U+0031): 氏名に数字は使えません / Digits … [note]`.
fn problem_line(p: &Problem) -> String {
    let mut line = p.def.code.to_string();
    if let Some(f) = p.field {
        let _ = write!(line, " {f}");
    }
    if let Some(pos) = p.position {
        let _ = write!(line, " {pos}文字目");
    }
    if let (Some(c), Some(cp)) = (p.ch, p.codepoint()) {
        let shown = if c.is_control() { ' ' } else { c };
        let _ = write!(line, " '{shown}' ({cp})");
    }
    let _ = write!(line, ": {} / {}", p.def.message_ja, p.def.message_en);
    if let Some(n) = &p.note {
        let _ = write!(line, " [{n}]");
    }
    line
}

/// The FORMATS §5 document, its keys in the documented order.
#[derive(Serialize)]
struct ReportJson<'a> {
    accepted: u64,
    refused: Vec<RecordJson<'a>>,
    warnings: Vec<ProblemJson>,
}

/// One refused record in the FORMATS §5 shape.
#[derive(Serialize)]
pub struct RecordJson<'a> {
    record_id: Option<&'a str>,
    line: u64,
    resident_code: Option<&'a str>,
    errors: Vec<ProblemJson>,
}

impl<'a> From<&'a RefusedRecord> for RecordJson<'a> {
    fn from(r: &'a RefusedRecord) -> RecordJson<'a> {
        RecordJson {
            record_id: r.record_id.as_deref(),
            line: r.line,
            resident_code: r.resident_code.as_deref(),
            errors: r.problems.iter().map(ProblemJson::from).collect(),
        }
    }
}

fn csv_row(r: Option<&RefusedRecord>, p: &Problem, severity: &str) -> [String; 13] {
    let opt = |s: Option<&str>| s.unwrap_or("").to_string();
    [
        opt(r.and_then(|r| r.record_id.as_deref())),
        r.map_or(String::new(), |r| r.line.to_string()),
        opt(r.and_then(|r| r.resident_code.as_deref())),
        p.def.code.to_string(),
        opt(p.field),
        p.position.map_or(String::new(), |n| n.to_string()),
        p.ch.map_or(String::new(), String::from),
        p.codepoint().unwrap_or_default(),
        p.def.message_ja.to_string(),
        p.def.message_en.to_string(),
        opt(p.suggestion.as_deref()),
        opt(p.note.as_deref()),
        severity.to_string(),
    ]
}

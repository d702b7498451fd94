//! The linkage report (連携エラー報告, FORMATS §5): per refused record its record id, line,
//! resident code and every error with field, offending character (also as U+XXXX), messages in
//! Japanese and English and a suggested correction. Three renderings: text for the clerk, the
//! JSON document of FORMATS §5, and CSV (one row per error) for a spreadsheet.
//!
//! A [`ReportWriter`] writes each refused record as it is found, so a file of any size, even
//! one whose every record is refused, is reported in bounded memory; the totals and warnings
//! close the report. [`LinkageReport`] collects a small report and renders it the same way.

use crate::load::RefusedRecord;
use juki_api::ProblemJson;
use juki_domain::Problem;
use juki_domain::catalogue::GW_REPORT_TRUNCATED;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;

/// What became of a file's records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkageReport {
    /// Records that passed (counted, not listed).
    pub accepted: u64,
    /// Refused records in file order.
    pub refused: Vec<RefusedRecord>,
    /// Warnings about the file (unknown columns or keys).
    pub warnings: Vec<Problem>,
    /// Refused records beyond [`REFUSED_LISTED_MAX`], counted but not listed.
    pub unlisted: u64,
}

/// Refused records a collected report lists at most (memory stays bounded however many are
/// refused); a [`ReportWriter`] to a file lists every one.
pub const REFUSED_LISTED_MAX: usize = 100_000;

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

/// A rendering of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rendering {
    /// For the clerk: each refused record with one line per error, then the totals.
    Text,
    /// FORMATS §5: `{"refused": [{record_id, line, resident_code, errors}], "accepted",
    /// "warnings"}`, one refused record per line.
    Json,
    /// One row per error, then one per warning (severity `warning`), header first.
    Csv,
}

/// Writes a report record by record.
pub struct ReportWriter<W: Write> {
    out: W,
    rendering: Rendering,
    refused: u64,
}

impl<W: Write> ReportWriter<W> {
    /// Starts a report (the JSON document's opening, the CSV header).
    pub fn new(mut out: W, rendering: Rendering) -> std::io::Result<ReportWriter<W>> {
        match rendering {
            Rendering::Text => {}
            Rendering::Json => out.write_all(b"{\"refused\": [")?,
            Rendering::Csv => write_csv_row(&mut out, &CSV_HEADER.map(String::from))?,
        }
        Ok(ReportWriter {
            out,
            rendering,
            refused: 0,
        })
    }

    /// Adds a refused record.
    pub fn refused(&mut self, r: &RefusedRecord) -> std::io::Result<()> {
        match self.rendering {
            Rendering::Text => {
                self.out.write_all(record_text(r).as_bytes())?;
                self.out.write_all(b"\n")?;
            }
            Rendering::Json => {
                let sep: &[u8] = if self.refused == 0 { b"\n" } else { b",\n" };
                self.out.write_all(sep)?;
                serde_json::to_writer(&mut self.out, &RecordJson::from(r))?;
            }
            Rendering::Csv => {
                for p in &r.problems {
                    write_csv_row(&mut self.out, &csv_row(Some(r), p, "error"))?;
                }
            }
        }
        self.refused += 1;
        Ok(())
    }

    /// Closes the report with the totals and the warnings; returns the output.
    pub fn finish(mut self, accepted: u64, warnings: &[Problem]) -> std::io::Result<W> {
        match self.rendering {
            Rendering::Text => {
                for w in warnings {
                    writeln!(self.out, "警告 warning: {}", problem_line(w))?;
                }
                writeln!(
                    self.out,
                    "連携結果 / Linkage report: 受付 accepted {accepted}, エラー refused {}, 警告 warnings {}",
                    self.refused,
                    warnings.len()
                )?;
            }
            Rendering::Json => {
                let warnings: Vec<ProblemJson> = warnings.iter().map(ProblemJson::from).collect();
                let end = if self.refused == 0 { "" } else { "\n" };
                write!(
                    self.out,
                    "{end}],\n\"accepted\": {accepted},\n\"warnings\": "
                )?;
                serde_json::to_writer(&mut self.out, &warnings)?;
                self.out.write_all(b"}\n")?;
            }
            Rendering::Csv => {
                for p in warnings {
                    write_csv_row(&mut self.out, &csv_row(None, p, "warning"))?;
                }
            }
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl LinkageReport {
    /// Adds a refused record, or counts it once [`REFUSED_LISTED_MAX`] are listed.
    pub fn refuse(&mut self, r: RefusedRecord) {
        if self.refused.len() < REFUSED_LISTED_MAX {
            self.refused.push(r);
        } else {
            self.unlisted += 1;
        }
    }

    /// Records refused in all, listed or not.
    pub fn refused_count(&self) -> u64 {
        self.refused.len() as u64 + self.unlisted
    }

    /// Sets the file's warnings, with one for the records not listed (`JK-GW-0104`).
    pub fn close(&mut self, mut warnings: Vec<Problem>) {
        if self.unlisted > 0 {
            warnings.push(Problem::new(&GW_REPORT_TRUNCATED).note(format!(
                "{} refused records not listed after the first {REFUSED_LISTED_MAX}",
                self.unlisted
            )));
        }
        self.warnings = warnings;
    }

    /// The report in `rendering`, as one string.
    pub fn render(&self, rendering: Rendering) -> String {
        let write = || -> std::io::Result<Vec<u8>> {
            let mut w = ReportWriter::new(Vec::new(), rendering)?;
            for r in &self.refused {
                w.refused(r)?;
            }
            w.refused += self.unlisted;
            w.finish(self.accepted, &self.warnings)
        };
        let bytes = write().expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("every rendering writes UTF-8")
    }

    pub fn to_text(&self) -> String {
        self.render(Rendering::Text)
    }

    pub fn to_json(&self) -> String {
        self.render(Rendering::Json)
    }

    pub fn to_csv(&self) -> String {
        self.render(Rendering::Csv)
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

/// One refused record in the FORMATS §5 shape, its keys in the documented order.
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

/// Writes one CSV row (RFC 4180 quoting where a value needs it).
fn write_csv_row(out: &mut impl Write, values: &[String]) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    w.write_record(values).map_err(std::io::Error::other)?;
    w.flush()
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

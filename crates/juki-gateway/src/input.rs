//! One reader over every format the gateway takes: FORMATS §1 CSV, fixed-width records and
//! FORMATS §2 JSON lines, each yielding the same `RawChange` per record with its line number,
//! or the reason that one record could not be read. All stream: memory is bounded by one record
//! (and the reader's buffer), whatever the size of the file.

use crate::csv_input::{ChangeReader, FileError, Row};
use crate::encoding::{self, Encoding};
use crate::fixed::FixedReader;
use crate::jsonl::JsonlReader;
use crate::load::RefusedRecord;
use juki_domain::Problem;
use std::io::Read;

/// A file format the gateway reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Fixed,
    Jsonl,
}

impl Format {
    /// `csv`, `fixed` or `jsonl`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "fixed" => Some(Format::Fixed),
            "jsonl" => Some(Format::Jsonl),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Fixed => "fixed",
            Format::Jsonl => "jsonl",
        }
    }

    /// The encoding when none is declared: what the format's writers use.
    pub fn default_encoding(self) -> Encoding {
        match self {
            Format::Csv | Format::Jsonl => Encoding::Utf8,
            Format::Fixed => Encoding::Cp932,
        }
    }
}

/// The records of a change file, in any format.
#[allow(clippy::large_enum_variant)] // one per file, never moved in a loop
pub enum Records<R: Read> {
    Csv(ChangeReader<R>),
    Fixed(FixedReader<R>),
    Jsonl(JsonlReader<R>),
}

/// Opens a change file: settles its encoding (declared, or the format's default; a BOM that
/// contradicts it refuses the file) and, for CSV, reads the header.
pub fn open<R: Read>(
    input: R,
    format: Format,
    declared: Option<Encoding>,
) -> Result<Records<R>, FileError> {
    match format {
        Format::Csv => ChangeReader::with_encoding(input, declared).map(Records::Csv),
        Format::Fixed => {
            let (enc, input) = encoding::settle(input, declared, format.default_encoding())?;
            Ok(Records::Fixed(FixedReader::new(input, enc)))
        }
        Format::Jsonl => {
            let (enc, input) = encoding::settle(input, declared, format.default_encoding())?;
            Ok(Records::Jsonl(JsonlReader::new(input, enc)))
        }
    }
}

impl<R: Read> Records<R> {
    /// Warnings about the file so far (unknown columns or keys).
    pub fn warnings(&self) -> &[Problem] {
        match self {
            Records::Csv(r) => r.warnings(),
            Records::Fixed(_) => &[],
            Records::Jsonl(r) => r.warnings(),
        }
    }

    /// Rewrites the suggestions of a refused record in the form this format writes values (era
    /// dates `R010502` in fixed-width records), so a clerk can copy them into the source.
    pub fn in_source_form(&self, refused: &mut RefusedRecord) {
        if let Records::Fixed(_) = self {
            for p in &mut refused.problems {
                if let (Some(field), Some(s)) = (p.field, &p.suggestion)
                    && let Some(fixed) = crate::fixed::layout_suggestion(field, s)
                {
                    p.suggestion = Some(fixed);
                }
            }
        }
    }

    /// The bytes of the record read last, as in the file, for a quarantine file that can be
    /// corrected and submitted again (empty when the line was too long to keep).
    pub fn last_line(&self) -> &[u8] {
        match self {
            Records::Csv(r) => r.last_line(),
            Records::Fixed(r) => r.last_line(),
            Records::Jsonl(r) => r.last_line(),
        }
    }

    /// The header line a quarantine file of this format starts with (CSV only).
    pub fn header_line(&self) -> Option<&[u8]> {
        match self {
            Records::Csv(r) => Some(r.header_line()),
            Records::Fixed(_) | Records::Jsonl(_) => None,
        }
    }

    /// Bytes read so far, for progress.
    pub fn bytes_read(&self) -> u64 {
        match self {
            Records::Csv(r) => r.bytes_read(),
            Records::Fixed(r) => r.bytes_read(),
            Records::Jsonl(r) => r.bytes_read(),
        }
    }
}

impl<R: Read> Iterator for Records<R> {
    /// A record with its line number, or why it could not be read.
    type Item = Row;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Records::Csv(r) => r.next(),
            Records::Fixed(r) => r.next(),
            Records::Jsonl(r) => r.next(),
        }
    }
}

//! Reading a byte stream line by line with a bound on the line kept in memory: a line longer
//! than the bound is read to its end and reported as too long, so one runaway record costs
//! neither memory nor the records after it.

use crate::csv_input::{Row, RowError};
use juki_domain::catalogue::IN_UNREADABLE;
use juki_domain::{Problem, RawChange};
use std::io::BufRead;

/// One line read.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The line's bytes are in the buffer, without `\n` or `\r\n`.
    Read,
    /// The line was longer than the bound; the buffer holds nothing useful.
    TooLong,
}

/// Lines of a stream, numbered from 1.
pub struct Lines<R: BufRead> {
    input: R,
    bytes_max: usize,
    line: u64,
    bytes_read: u64,
    failed: bool,
}

impl<R: BufRead> Lines<R> {
    pub fn new(input: R, bytes_max: usize) -> Lines<R> {
        Lines {
            input,
            bytes_max,
            line: 0,
            bytes_read: 0,
            failed: false,
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next record of a line-per-record format: the next non-blank line given to `parse`,
    /// or `too_long` when the line was over the bound. A record `parse` refuses names its line.
    pub fn next_row(
        &mut self,
        buf: &mut Vec<u8>,
        too_long: impl FnOnce() -> Problem,
        parse: impl FnOnce(&[u8], u64) -> Result<RawChange, (Option<String>, Problem)>,
    ) -> Option<Row> {
        let (line, read) = match self.next_record(buf)? {
            Ok(l) => l,
            Err(e) => return Some(Err(e)),
        };
        let parsed = match read {
            Line::TooLong => Err((None, too_long())),
            Line::Read => parse(buf, line),
        };
        Some(
            parsed
                .map(|raw| (line, raw))
                .map_err(|(record_id, problem)| RowError {
                    line,
                    record_id,
                    problem,
                }),
        )
    }

    /// The next line that is not blank (only ASCII white space), as a record reader wants it:
    /// `None` at the end, and after a read error, which is reported once as the file's last row.
    pub fn next_record(&mut self, buf: &mut Vec<u8>) -> Option<Result<(u64, Line), RowError>> {
        while !self.failed {
            match self.next_line(buf) {
                Ok(Some((_, Line::Read))) if buf.iter().all(u8::is_ascii_whitespace) => {}
                Ok(Some(l)) => return Some(Ok(l)),
                Ok(None) => return None,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(RowError {
                        line: self.line + 1,
                        record_id: None,
                        problem: Problem::new(&IN_UNREADABLE).note(e.to_string()),
                    }));
                }
            }
        }
        None
    }

    /// Reads the next line into `buf` (cleared first); `None` at the end of the stream.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<(u64, Line)>> {
        buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if !too_long {
                if buf.len() + take > self.bytes_max + 2 {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(&available[..take]);
                }
            }
            self.input.consume(take);
            self.bytes_read += take as u64;
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.line += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        if too_long || buf.len() > self.bytes_max {
            buf.clear();
            return Ok(Some((self.line, Line::TooLong)));
        }
        Ok(Some((self.line, Line::Read)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_and_bounded() {
        let input = b"ab\r\ncdefgh\n\nxy";
        let mut lines = Lines::new(std::io::BufReader::with_capacity(2, &input[..]), 4);
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        while let Some((n, l)) = lines.next_line(&mut buf).unwrap() {
            seen.push((n, l, buf.clone()));
        }
        assert_eq!(
            seen,
            vec![
                (1, Line::Read, b"ab".to_vec()),
                (2, Line::TooLong, vec![]),
                (3, Line::Read, vec![]),
                (4, Line::Read, b"xy".to_vec()),
            ]
        );
        assert_eq!(lines.bytes_read(), input.len() as u64);
    }
}

//! Segment files: their names, listing them in order, and reading their lines with positions
//! (line number and byte offset), a line longer than the limit being reported rather than
//! read into memory.

use crate::entry::LINE_BYTES_MAX;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// `segment-000001.log`: entries, one JSON line each.
pub fn segment_name(n: u64) -> String {
    format!("segment-{n:06}.log")
}

/// `segment-000001.seals`: the seals of the entries in that segment.
pub fn seals_name(n: u64) -> String {
    format!("segment-{n:06}.seals")
}

/// The numbers of the segment files in `dir`, ascending.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<u64>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let name = e?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = name
            .strip_prefix("segment-")
            .and_then(|r| r.strip_suffix(".log"))
            .filter(|d| d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u64>().ok())
        {
            v.push(n);
        }
    }
    v.sort_unstable();
    Ok(v)
}

/// Where a line stands in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct At {
    /// 1-based.
    pub line: u64,
    /// Byte offset of its first byte.
    pub offset: u64,
}

/// What [`Lines::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A line ended by a newline (the bytes exclude it).
    Full,
    /// The file ends without a newline: a write torn by a crash, or a cut.
    Unterminated,
    /// Longer than [`LINE_BYTES_MAX`]; skipped to its newline.
    TooLong,
}

/// Reads a file line by line.
pub(crate) struct Lines<R> {
    r: BufReader<R>,
    buf: Vec<u8>,
    line: u64,
    offset: u64,
}

impl Lines<File> {
    pub(crate) fn open(path: &Path) -> io::Result<Lines<File>> {
        Ok(Lines::new(File::open(path)?))
    }
}

impl<R: Read> Lines<R> {
    pub(crate) fn new(r: R) -> Lines<R> {
        Lines {
            r: BufReader::with_capacity(256 * 1024, r),
            buf: Vec::new(),
            line: 0,
            offset: 0,
        }
    }

    /// The next line, its position and kind; `None` at the end of the file.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(At, Kind, &[u8])>> {
        self.buf.clear();
        let at = At {
            line: self.line + 1,
            offset: self.offset,
        };
        let mut too_long = false;
        let mut read = 0u64;
        let ended = loop {
            let chunk = self.r.fill_buf()?;
            if chunk.is_empty() {
                break false;
            }
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let body = if done { &chunk[..take - 1] } else { chunk };
            if !too_long && self.buf.len() + body.len() <= LINE_BYTES_MAX {
                self.buf.extend_from_slice(body);
            } else {
                too_long = true;
                self.buf.clear();
            }
            self.r.consume(take);
            read += take as u64;
            if done {
                break true;
            }
        };
        if read == 0 {
            return Ok(None);
        }
        self.line += 1;
        self.offset += read;
        let kind = match (too_long, ended) {
            (true, _) => Kind::TooLong,
            (false, true) => Kind::Full,
            (false, false) => Kind::Unterminated,
        };
        Ok(Some((at, kind, &self.buf)))
    }
}

/// The end of a file: the last complete line (without its newline), and how many bytes
/// follow it without a newline (a torn write).
pub(crate) struct Tail {
    pub last: Option<Vec<u8>>,
    /// Length of the file up to and including the last newline.
    pub complete_len: u64,
    pub torn_bytes: u64,
}

/// Reads the end of `path` (at most one line's limit of it).
pub(crate) fn tail(path: &Path) -> io::Result<Tail> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let window = (LINE_BYTES_MAX as u64 + 2).min(len);
    f.seek(SeekFrom::Start(len - window))?;
    let mut buf = Vec::with_capacity(window as usize);
    f.take(window).read_to_end(&mut buf)?;
    let Some(last_nl) = buf.iter().rposition(|&b| b == b'\n') else {
        return if window == len {
            Ok(Tail {
                last: None,
                complete_len: 0,
                torn_bytes: len,
            })
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the last line is longer than the limit",
            ))
        };
    };
    let complete_len = len - window + last_nl as u64 + 1;
    let start = match buf[..last_nl].iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None if window == len => 0,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the last line is longer than the limit",
            ));
        }
    };
    Ok(Tail {
        last: Some(buf[start..last_nl].to_vec()),
        complete_len,
        torn_bytes: len - complete_len,
    })
}

/// The first line of `path`, if it has a complete one.
pub(crate) fn first_line(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut lines = Lines::open(path)?;
    Ok(match lines.next_line()? {
        Some((_, Kind::Full, bytes)) => Some(bytes.to_vec()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_positions_and_kinds() {
        let long = vec![b'x'; LINE_BYTES_MAX + 10];
        let mut data = b"one\ntwo\n".to_vec();
        data.extend_from_slice(&long);
        data.extend_from_slice(b"\nlast");
        let mut l = Lines::new(&data[..]);
        let (at, k, b) = l.next_line().unwrap().unwrap();
        assert_eq!((at.line, at.offset, k, b), (1, 0, Kind::Full, &b"one"[..]));
        let (at, k, b) = l.next_line().unwrap().unwrap();
        assert_eq!((at.line, at.offset, k, b), (2, 4, Kind::Full, &b"two"[..]));
        let (at, k, _) = l.next_line().unwrap().unwrap();
        assert_eq!((at.line, at.offset, k), (3, 8, Kind::TooLong));
        let (at, k, b) = l.next_line().unwrap().unwrap();
        assert_eq!(
            (at.line, at.offset, k, b),
            (
                4,
                8 + long.len() as u64 + 1,
                Kind::Unterminated,
                &b"last"[..]
            )
        );
        assert!(l.next_line().unwrap().is_none());
    }

    #[test]
    fn the_tail_finds_the_last_line_and_a_torn_write() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"a\nbb\nccc").unwrap();
        let t = tail(&p).unwrap();
        assert_eq!(t.last.as_deref(), Some(&b"bb"[..]));
        assert_eq!((t.complete_len, t.torn_bytes), (5, 3));
        std::fs::write(&p, b"only\n").unwrap();
        let t = tail(&p).unwrap();
        assert_eq!(t.last.as_deref(), Some(&b"only"[..]));
        assert_eq!((t.complete_len, t.torn_bytes), (5, 0));
        std::fs::write(&p, b"").unwrap();
        assert!(tail(&p).unwrap().last.is_none());
    }

    #[test]
    fn segments_are_listed_in_order_and_others_ignored() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "segment-000010.log",
            "segment-000002.log",
            "segment-000002.seals",
            "x.log",
        ] {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        assert_eq!(list(dir.path()).unwrap(), vec![2, 10]);
        assert_eq!(segment_name(3), "segment-000003.log");
    }
}

//! Reading entries back for people (`juki audit show`): a page of entries from a sequence
//! number, found by each segment's first entry rather than by reading the whole log.

use crate::entry::{self, StoredEntry};
use crate::error::AuditError;
use crate::segment::{self, Kind, Lines, segment_name};
use std::path::Path;

/// Entries one page may hold.
pub const PAGE_ENTRIES_MAX: usize = 100_000;

/// An entry read back, with where it stands and whether its content still gives its hash
/// (`juki audit verify` says more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadEntry {
    pub file: String,
    pub line: u64,
    pub stored: StoredEntry,
    pub intact: bool,
}

/// A page of entries.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub entries: Vec<ReadEntry>,
    /// Lines that are not readable entries (file, line), skipped.
    pub unreadable: Vec<(String, u64)>,
    /// The sequence number to ask for next, when there may be more.
    pub next_seq: Option<u64>,
}

/// Up to `limit` entries with sequence numbers from `from_seq`, in file order.
pub fn read_entries(dir: &Path, from_seq: u64, limit: usize) -> Result<Page, AuditError> {
    let limit = limit.clamp(1, PAGE_ENTRIES_MAX);
    let segs = segment::list(dir).map_err(|e| AuditError::unreadable(dir, e))?;
    // Start in the last segment whose first entry is at or before `from_seq`.
    let mut start = 0;
    for (i, &n) in segs.iter().enumerate() {
        let path = dir.join(segment_name(n));
        let first = segment::first_line(&path)
            .map_err(|e| AuditError::unreadable(&path, e))?
            .and_then(|l| entry::decode(&l).ok())
            .map(|d| d.stored.seq);
        match first {
            Some(s) if s > from_seq => break,
            Some(_) => start = i,
            None => {}
        }
    }
    let mut page = Page::default();
    for &n in &segs[start.min(segs.len())..] {
        let name = segment_name(n);
        let path = dir.join(&name);
        let mut lines = Lines::open(&path).map_err(|e| AuditError::unreadable(&path, e))?;
        while let Some((at, kind, bytes)) = lines
            .next_line()
            .map_err(|e| AuditError::unreadable(&path, e))?
        {
            let d = match kind {
                Kind::Full => entry::decode(bytes).ok(),
                Kind::Unterminated | Kind::TooLong => None,
            };
            let Some(d) = d else {
                if kind != Kind::Unterminated {
                    page.unreadable.push((name.clone(), at.line));
                }
                continue;
            };
            if d.stored.seq < from_seq {
                continue;
            }
            if page.entries.len() == limit {
                page.next_seq = Some(d.stored.seq);
                return Ok(page);
            }
            page.entries.push(ReadEntry {
                file: name.clone(),
                line: at.line,
                stored: d.stored,
                intact: d.intact,
            });
        }
    }
    Ok(page)
}

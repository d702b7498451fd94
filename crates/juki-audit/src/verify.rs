//! Verification: reads every segment, its seals and the checkpoint in one pass with bounded
//! memory, and reports every damage with its position (file, line, byte offset, sequence
//! number) — an edited, removed, reordered or repeated entry, a cut-off tail, a bad seal or a
//! bad checkpoint.

use crate::entry::{self, Digest};
use crate::error::AuditError;
use crate::key::{Trust, TrustedKey};
use crate::seal::{Checkpoint, LineFault, Seal};
use crate::segment::{self, Kind, Lines, seals_name, segment_name};
use crate::{CHECKPOINT_FILE, files};
use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    AUDIT_BAD_CHECKPOINT, AUDIT_BAD_SEAL, AUDIT_EDITED, AUDIT_INSERTED, AUDIT_KEY_UNUSABLE,
    AUDIT_REMOVED, AUDIT_REORDERED, AUDIT_TRUNCATED,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Damages listed in a report at most (all are counted).
pub const DAMAGE_LISTED_MAX: usize = 1_000;
/// Gaps in the sequence held open at once while reading; beyond it the oldest is reported as
/// removed without waiting for a late entry that would fill it.
const GAPS_OPEN_MAX: usize = 100_000;

/// What is wrong at a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DamageKind {
    /// The entry's content no longer gives its hash, it does not chain to the entry before,
    /// or it is not the entry a seal signed.
    Edited,
    /// Entries (or a segment file) are missing.
    Removed,
    /// An intact entry stands after an entry with a higher sequence number.
    Reordered,
    /// A sequence number appears a second time.
    Inserted,
    /// Entries a seal signed are gone from the end.
    Truncated,
    /// A seal is unreadable, unsigned, signed by an untrusted key, out of order or missing.
    BadSeal,
    /// The checkpoint is unreadable, its signature fails, or it does not match the log.
    BadCheckpoint,
}

impl DamageKind {
    pub fn def(self) -> &'static ErrorDef {
        match self {
            DamageKind::Edited => &AUDIT_EDITED,
            DamageKind::Removed => &AUDIT_REMOVED,
            DamageKind::Reordered => &AUDIT_REORDERED,
            DamageKind::Inserted => &AUDIT_INSERTED,
            DamageKind::Truncated => &AUDIT_TRUNCATED,
            DamageKind::BadSeal => &AUDIT_BAD_SEAL,
            DamageKind::BadCheckpoint => &AUDIT_BAD_CHECKPOINT,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DamageKind::Edited => "edited",
            DamageKind::Removed => "removed",
            DamageKind::Reordered => "reordered",
            DamageKind::Inserted => "inserted",
            DamageKind::Truncated => "truncated",
            DamageKind::BadSeal => "bad-seal",
            DamageKind::BadCheckpoint => "bad-checkpoint",
        }
    }
}

/// One damage and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Damage {
    pub kind: DamageKind,
    /// The catalogue code of the kind (`JK-AUDIT-01nn`).
    pub code: &'static str,
    /// The file, relative to the log's directory.
    pub file: String,
    /// 1-based line; 0 means the file as a whole (e.g. it is missing).
    pub line: u64,
    /// Byte offset of the line in the file.
    pub offset: u64,
    /// The sequence number concerned (the first, for a range).
    pub seq: Option<u64>,
    /// For a range of missing entries, the last.
    pub seq_last: Option<u64>,
    pub detail: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.kind.as_str())?;
        if self.line > 0 {
            write!(f, " at {} line {}", self.file, self.line)?;
        } else {
            write!(f, " at {}", self.file)?;
        }
        match (self.seq, self.seq_last) {
            (Some(a), Some(b)) if b != a => write!(f, " (entries {a}–{b})")?,
            (Some(a), _) => write!(f, " (entry {a})")?,
            _ => {}
        }
        write!(f, ": {}", self.detail)
    }
}

/// What `verify` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub dir: String,
    /// Segment files read.
    pub segments: u64,
    /// Entry lines read.
    pub entries: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Seals whose signature verified.
    pub seals: u64,
    /// The highest sequence number a valid seal covers.
    pub sealed_through: Option<u64>,
    /// Entries after the last seal: not yet sealed (the node is running, or stopped without
    /// closing the log). Their removal from the end could not be detected.
    pub unsealed: u64,
    /// The checkpoint of the last retention purge, when its signature verified.
    pub checkpoint: Option<Checkpoint>,
    /// Segment files older than the checkpoint still present (an interrupted purge leaves
    /// them; the next purge removes them). Not read.
    pub leftover_segments: u64,
    /// Bytes of an unfinished last line (a write in progress or torn by a crash).
    pub torn_tail_bytes: u64,
    /// The keys seals were checked against.
    pub keys: Vec<TrustedKey>,
    /// Certificates in `certs/` that were not trusted, and why.
    pub refused_certs: Vec<String>,
    /// Every damage found, in file order (at most [`DAMAGE_LISTED_MAX`]).
    pub damage: Vec<Damage>,
    /// How many damages were found in all.
    pub damage_total: u64,
}

impl Report {
    /// Nothing was found wrong.
    pub fn intact(&self) -> bool {
        self.damage_total == 0
    }
}

#[derive(Clone, Copy)]
struct Front {
    seq: u64,
    /// None when the line at the front could not be trusted.
    hash: Option<Digest>,
}

struct Gap {
    end: u64,
    file: String,
    line: u64,
    offset: u64,
    note: String,
}

/// An entry held while its place is judged.
struct Here {
    seq: u64,
    hash: Digest,
    file: String,
    line: u64,
    offset: u64,
}

struct SealRef {
    hash: Digest,
    file: String,
    line: u64,
    time_ms: i64,
    /// The seal before it (its seq), to say which entries a mismatch concerns.
    after: u64,
}

struct Verifier<'a> {
    trust: &'a Trust,
    report: Report,
    front: Option<Front>,
    expect_first: u64,
    expect_prev: Digest,
    from_checkpoint: bool,
    gaps: BTreeMap<u64, Gap>,
    seals: BTreeMap<u64, SealRef>,
    /// Set when the segment being read follows missing segment files.
    missing_note: Option<String>,
    /// An entry that jumped ahead of the sequence, judged by the next one.
    pending: Option<Here>,
    /// Entries found ahead of their place (reported): the sequence later skips them.
    ahead: BTreeSet<u64>,
    /// The last reordered damage (index, seq, line), to extend a run of them.
    run: Option<(usize, u64, u64)>,
}

/// Verifies the log in `dir` against the keys in `trust`. Damage is reported, not returned as
/// an error; an error means the log could not be read at all.
pub fn verify(dir: &Path, trust: &Trust) -> Result<Report, AuditError> {
    if trust.is_empty() {
        return Err(AuditError::new(
            &AUDIT_KEY_UNUSABLE,
            "no key to check seals against",
        ));
    }
    let segs = segment::list(dir).map_err(|e| AuditError::unreadable(dir, e))?;
    let mut v = Verifier {
        trust,
        report: Report {
            dir: dir.display().to_string(),
            keys: trust.keys().to_vec(),
            refused_certs: trust.refused.clone(),
            ..Report::default()
        },
        front: None,
        expect_first: 1,
        expect_prev: Digest::ZERO,
        from_checkpoint: false,
        gaps: BTreeMap::new(),
        seals: BTreeMap::new(),
        missing_note: None,
        pending: None,
        ahead: BTreeSet::new(),
        run: None,
    };
    let mut start_segment = 1;
    if let Some(cp) = v.checkpoint(dir)? {
        start_segment = cp.first_segment;
        v.expect_first = cp.first_seq;
        v.expect_prev = cp.prev;
        v.from_checkpoint = true;
        v.report.checkpoint = Some(cp);
    }
    let kept: Vec<u64> = segs
        .iter()
        .copied()
        .filter(|&n| n >= start_segment)
        .collect();
    v.report.leftover_segments = (segs.len() - kept.len()) as u64;
    let mut expected_no = start_segment;
    for (i, &n) in kept.iter().enumerate() {
        if n > expected_no {
            v.missing_note = Some(match n - expected_no {
                1 => segment_name(expected_no),
                2 => format!("{}, {}", segment_name(expected_no), segment_name(n - 1)),
                k => format!(
                    "{} … {}: {k} files",
                    segment_name(expected_no),
                    segment_name(n - 1)
                ),
            });
        }
        let last = i + 1 == kept.len();
        v.read_seals(dir, n, last)?;
        v.read_segment(dir, n, last)?;
        if let Some(names) = v.missing_note.take() {
            // No gap in the sequence showed it (the missing files held no entries).
            v.damage(
                DamageKind::Removed,
                &names,
                0,
                0,
                None,
                None,
                "the segment file is missing".into(),
            );
        }
        expected_no = n + 1;
    }
    if kept.is_empty() && v.from_checkpoint {
        v.damage(
            DamageKind::Removed,
            &segment_name(start_segment),
            0,
            0,
            Some(v.expect_first),
            None,
            "the checkpoint's first segment is missing, and every segment after it".into(),
        );
    }
    v.finish(kept.last().copied());
    let mut report = v.report;
    report
        .damage
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(report)
}

fn describe(fault: &LineFault) -> String {
    fault.to_string()
}

impl Verifier<'_> {
    #[allow(clippy::too_many_arguments)]
    fn damage(
        &mut self,
        kind: DamageKind,
        file: &str,
        line: u64,
        offset: u64,
        seq: Option<u64>,
        seq_last: Option<u64>,
        detail: String,
    ) {
        self.report.damage_total += 1;
        if self.report.damage.len() < DAMAGE_LISTED_MAX {
            self.report.damage.push(Damage {
                kind,
                code: kind.def().code,
                file: file.to_string(),
                line,
                offset,
                seq,
                seq_last,
                detail,
            });
        }
    }

    fn checkpoint(&mut self, dir: &Path) -> Result<Option<Checkpoint>, AuditError> {
        let path = dir.join(CHECKPOINT_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(AuditError::unreadable(&path, e)),
        };
        let line = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        match Checkpoint::from_line(line, self.trust) {
            Ok(cp) => Ok(Some(cp)),
            Err(fault) => {
                self.damage(
                    DamageKind::BadCheckpoint,
                    CHECKPOINT_FILE,
                    1,
                    0,
                    None,
                    None,
                    format!(
                        "the checkpoint is {}; the log is checked as if it had none",
                        describe(&fault).trim_start_matches("its ")
                    ),
                );
                Ok(None)
            }
        }
    }

    fn read_seals(&mut self, dir: &Path, n: u64, last_segment: bool) -> Result<(), AuditError> {
        let name = seals_name(n);
        let path = dir.join(&name);
        let mut lines = match Lines::open(&path) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.damage(
                    DamageKind::BadSeal,
                    &name,
                    0,
                    0,
                    None,
                    None,
                    "the seals file of this segment is missing".into(),
                );
                return Ok(());
            }
            Err(e) => return Err(AuditError::unreadable(&path, e)),
        };
        let mut prev: Option<Seal> = None;
        let mut prev_line = 0;
        let mut count = 0;
        let mut after = self.report.sealed_through.unwrap_or(0);
        while let Some((at, kind, bytes)) = lines
            .next_line()
            .map_err(|e| AuditError::unreadable(&path, e))?
        {
            count = at.line;
            let seal = match kind {
                Kind::Unterminated if last_segment => continue, // a seal being written
                Kind::Unterminated => Err("the line is cut short".to_string()),
                Kind::TooLong => Err("the line is longer than the limit".to_string()),
                Kind::Full => Seal::from_line(bytes, self.trust).map_err(|f| describe(&f)),
            };
            let seal = match seal {
                Ok(s) if s.segment != n => Err(format!("it names segment {}", s.segment)),
                Ok(s) => match &prev {
                    Some(p) if s.seq < p.seq || (s.seq == p.seq && !s.closed) => Err(format!(
                        "it seals entry {} after a seal of entry {}",
                        s.seq, p.seq
                    )),
                    Some(p) if p.closed => Err("it follows the segment's closing seal".into()),
                    _ => Ok(s),
                },
                Err(e) => Err(e),
            };
            match seal {
                Ok(s) => {
                    self.report.seals += 1;
                    self.report.sealed_through =
                        Some(self.report.sealed_through.map_or(s.seq, |t| t.max(s.seq)));
                    self.seals.entry(s.seq).or_insert(SealRef {
                        hash: s.hash,
                        file: name.clone(),
                        line: at.line,
                        time_ms: s.time_ms,
                        after,
                    });
                    after = s.seq;
                    prev = Some(s);
                    prev_line = at.line;
                }
                Err(why) => self.damage(
                    DamageKind::BadSeal,
                    &name,
                    at.line,
                    at.offset,
                    None,
                    None,
                    format!("seal not valid: {why}"),
                ),
            }
        }
        let closed = prev.as_ref().is_some_and(|s| s.closed);
        if !last_segment && !closed {
            self.damage(
                DamageKind::BadSeal,
                &name,
                count + 1,
                0,
                None,
                None,
                "the segment ended without its closing seal (seals were removed from the end of this file)".into(),
            );
        }
        // (A writer running beside this check may have created the next segment since the
        // listing: only a successor still missing now is damage.)
        if last_segment
            && !dir.join(segment_name(n + 1)).exists()
            && let Some(p) = prev.filter(|p| p.closed)
        {
            self.damage(
                DamageKind::Truncated,
                &segment_name(n + 1),
                0,
                0,
                Some(p.seq + 1),
                None,
                format!(
                    "{} was closed by its seal at {} line {}, but {} is missing",
                    segment_name(n),
                    name,
                    prev_line,
                    segment_name(n + 1)
                ),
            );
        }
        Ok(())
    }

    fn read_segment(&mut self, dir: &Path, n: u64, last_segment: bool) -> Result<(), AuditError> {
        let name = segment_name(n);
        let path = dir.join(&name);
        let mut lines = Lines::open(&path).map_err(|e| AuditError::unreadable(&path, e))?;
        self.report.segments += 1;
        while let Some((at, kind, bytes)) = lines
            .next_line()
            .map_err(|e| AuditError::unreadable(&path, e))?
        {
            let decoded = match kind {
                Kind::Unterminated if last_segment => {
                    self.report.torn_tail_bytes = bytes.len() as u64;
                    continue;
                }
                Kind::Unterminated => Err("the line is cut short".to_string()),
                Kind::TooLong => Err("the line is longer than the limit".to_string()),
                Kind::Full => entry::decode(bytes),
            };
            self.report.entries += 1;
            self.entry(&name, at.line, at.offset, decoded);
        }
        Ok(())
    }

    /// The sequence number the next line should have.
    fn next_expected(&self) -> u64 {
        self.front.map_or(self.expect_first, |f| f.seq + 1)
    }

    fn entry(
        &mut self,
        file: &str,
        line: u64,
        offset: u64,
        decoded: Result<entry::Decoded, String>,
    ) {
        let d = match decoded {
            Ok(d) if d.intact => d,
            other => {
                self.accept_pending();
                // Its own seq cannot be trusted: take it for the one expected here.
                let seq = self.next_expected();
                let detail = match other {
                    Ok(d) if d.stored.seq != seq => format!(
                        "the entry's content does not give its hash (it now claims seq {})",
                        d.stored.seq
                    ),
                    Ok(_) => "the entry's content does not give its hash".to_string(),
                    Err(why) => format!("the line is not a readable entry ({why})"),
                };
                self.damage(
                    DamageKind::Edited,
                    file,
                    line,
                    offset,
                    Some(seq),
                    None,
                    detail,
                );
                self.seals.remove(&seq);
                self.see_first(seq);
                self.front = Some(Front { seq, hash: None });
                return;
            }
        };
        let s = d.stored.seq;
        let hash = d.stored.hash;
        let here = Here {
            seq: s,
            hash,
            file: file.to_string(),
            line,
            offset,
        };
        if let Some(seal) = self.seals.remove(&s)
            && seal.hash != hash
        {
            self.damage(
                DamageKind::Edited,
                file,
                line,
                offset,
                Some(s),
                None,
                format!(
                    "not the entry the seal at {} line {} signed on {}: an entry in {}–{} was changed and the chain after it rewritten",
                    seal.file,
                    seal.line,
                    files::utc_date(seal.time_ms),
                    seal.after + 1,
                    s
                ),
            );
        }
        // An entry that jumped ahead is judged by the one after it: when the sequence goes
        // on from before the jump, the jumping entry is out of place (one report, rather than
        // one for every entry it jumped over); otherwise entries are missing.
        if let (Some(p), Some(front)) = (self.pending.take(), self.front) {
            if s == front.seq + 1 {
                self.damage(
                    DamageKind::Reordered,
                    &p.file,
                    p.line,
                    p.offset,
                    Some(p.seq),
                    None,
                    format!(
                        "entry {} stands ahead of its place, before entry {s}",
                        p.seq
                    ),
                );
                self.ahead.insert(p.seq);
                if self.ahead.len() > GAPS_OPEN_MAX {
                    self.ahead.pop_first();
                }
            } else {
                self.pending = Some(p);
                self.accept_pending();
            }
        }
        let Some(front) = self.front else {
            let (first, prev) = (self.expect_first, self.expect_prev);
            if s == first && d.stored.prev != prev {
                let (kind, detail) = if self.from_checkpoint {
                    (
                        DamageKind::BadCheckpoint,
                        "the first entry kept does not chain to the hash the checkpoint signed",
                    )
                } else {
                    (
                        DamageKind::Removed,
                        "the first entry does not start a chain (its link is not zero): entries before it were removed",
                    )
                };
                self.damage(kind, file, line, offset, Some(s), None, detail.into());
            } else if s > first {
                self.open_gap(first, s - 1, file, line, offset);
            } else if s < first {
                self.damage(
                    DamageKind::BadCheckpoint,
                    file,
                    line,
                    offset,
                    Some(s),
                    None,
                    format!(
                        "the checkpoint says the log starts at entry {first}, but this segment holds entry {s}"
                    ),
                );
            }
            self.see_first(s);
            self.front = Some(Front {
                seq: s,
                hash: Some(hash),
            });
            return;
        };
        if s == front.seq + 1 {
            if let Some(h) = front.hash
                && d.stored.prev != h
            {
                self.damage(
                    DamageKind::Edited,
                    file,
                    line,
                    offset,
                    Some(s),
                    None,
                    format!(
                        "does not chain to entry {}: that entry was rewritten with a new hash, or this entry's link was changed",
                        front.seq
                    ),
                );
            }
            self.front = Some(Front {
                seq: s,
                hash: Some(hash),
            });
        } else if s > front.seq + 1 {
            if self.ahead.range(front.seq + 1..s).count() as u64 == s - front.seq - 1 {
                // Every entry jumped over was seen ahead of its place (and reported).
                self.accept(here);
            } else {
                self.pending = Some(here);
            }
        } else if self.fill_gap(s) {
            self.reordered(file, line, offset, s, front.seq);
        } else {
            self.damage(
                DamageKind::Inserted,
                file,
                line,
                offset,
                Some(s),
                None,
                format!(
                    "entry {s} appears a second time (after entry {})",
                    front.seq
                ),
            );
        }
    }

    /// Reports an entry found after its place; a run of them (a block moved back) is one
    /// damage with a range.
    fn reordered(&mut self, file: &str, line: u64, offset: u64, s: u64, front: u64) {
        if let Some((i, last_seq, last_line)) = self.run
            && last_seq + 1 == s
            && last_line + 1 == line
            && let Some(d) = self.report.damage.get_mut(i)
            && d.file == file
        {
            d.seq_last = Some(s);
            d.detail = format!(
                "entries {}–{s} stand after entry {front}",
                d.seq.unwrap_or(s)
            );
            self.run = Some((i, s, line));
            return;
        }
        self.damage(
            DamageKind::Reordered,
            file,
            line,
            offset,
            Some(s),
            None,
            format!("entry {s} stands after entry {front}"),
        );
        self.run = Some((self.report.damage.len() - 1, s, line));
    }

    /// Takes a jump ahead as real: the entries jumped over (not seen ahead) are missing.
    fn accept_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            self.accept(p);
        }
    }

    fn accept(&mut self, p: Here) {
        let from = self.next_expected();
        let mut start = from;
        let seen: Vec<u64> = self.ahead.range(from..p.seq).copied().collect();
        for a in seen {
            self.ahead.remove(&a);
            if a > start {
                self.open_gap(start, a - 1, &p.file, p.line, p.offset);
            }
            start = a + 1;
        }
        if p.seq > start {
            self.open_gap(start, p.seq - 1, &p.file, p.line, p.offset);
        }
        self.front = Some(Front {
            seq: p.seq,
            hash: Some(p.hash),
        });
    }

    fn see_first(&mut self, s: u64) {
        if self.report.first_seq.is_none() {
            self.report.first_seq = Some(s);
        }
    }

    fn open_gap(&mut self, start: u64, end: u64, file: &str, line: u64, offset: u64) {
        let mut note = String::new();
        if line == 1
            && let Some(names) = self.missing_note.take()
        {
            note = format!(" ({names} missing)");
        }
        self.gaps.insert(
            start,
            Gap {
                end,
                file: file.to_string(),
                line,
                offset,
                note,
            },
        );
        if self.gaps.len() > GAPS_OPEN_MAX
            && let Some((start, gap)) = self.gaps.pop_first()
        {
            self.report_gap(start, gap);
        }
    }

    /// Takes `s` out of an open gap; whether it was in one.
    fn fill_gap(&mut self, s: u64) -> bool {
        let Some((&start, gap)) = self.gaps.range(..=s).next_back() else {
            return false;
        };
        if s > gap.end {
            return false;
        }
        let Some(gap) = self.gaps.remove(&start) else {
            return false;
        };
        if start < s {
            self.gaps.insert(
                start,
                Gap {
                    end: s - 1,
                    file: gap.file.clone(),
                    line: gap.line,
                    offset: gap.offset,
                    note: gap.note.clone(),
                },
            );
        }
        if s < gap.end {
            self.gaps.insert(s + 1, Gap { ..gap });
        }
        true
    }

    fn report_gap(&mut self, start: u64, gap: Gap) {
        let count = gap.end - start + 1;
        let what = if count == 1 {
            format!("entry {start} is missing")
        } else {
            format!("entries {start}–{} are missing ({count} entries)", gap.end)
        };
        let head = if self.report.first_seq == Some(gap.end + 1) && start == self.expect_first {
            if self.from_checkpoint {
                " at the start of the log, after the checkpoint"
            } else {
                " at the start of the log, and no checkpoint accounts for them"
            }
        } else {
            ""
        };
        self.damage(
            DamageKind::Removed,
            &gap.file,
            gap.line,
            gap.offset,
            Some(start),
            Some(gap.end),
            format!("{what}{head}{}", gap.note),
        );
    }

    fn finish(&mut self, last_segment: Option<u64>) {
        self.accept_pending();
        while let Some((start, gap)) = self.gaps.pop_first() {
            self.report_gap(start, gap);
        }
        let front = self.front.map(|f| f.seq);
        self.report.last_seq = front;
        // A seal of an entry beyond the end: the tail was cut off.
        let end = front.unwrap_or(self.expect_first.saturating_sub(1));
        if let Some((&seq, seal)) = self.seals.range(end + 1..).next_back() {
            let file = last_segment.map_or_else(|| segment_name(1), segment_name);
            let (lines, len) = self.tail_position(&file);
            let detail = format!(
                "the seal at {} line {} signed entry {seq} on {}, but the log ends at entry {end}: entries {}–{seq} were cut off",
                seal.file,
                seal.line,
                files::utc_date(seal.time_ms),
                end + 1
            );
            self.damage(
                DamageKind::Truncated,
                &file,
                lines + 1,
                len,
                Some(end + 1),
                Some(seq),
                detail,
            );
        }
        if let (Some(f), Some(t)) = (front, self.report.sealed_through) {
            self.report.unsealed = f.saturating_sub(t);
        } else if let Some(f) = front {
            self.report.unsealed = f.saturating_sub(self.expect_first) + 1;
        }
    }

    /// (complete lines, their bytes) of a file of the log's directory: where what was cut
    /// off began.
    fn tail_position(&self, file: &str) -> (u64, u64) {
        let path = Path::new(&self.report.dir).join(file);
        let Ok(mut lines) = Lines::open(&path) else {
            return (0, 0);
        };
        let (mut n, mut len) = (0, 0);
        while let Ok(Some((at, kind, bytes))) = lines.next_line() {
            if kind != Kind::Unterminated {
                n = at.line;
                len = at.offset + bytes.len() as u64 + 1;
            }
        }
        (n, len)
    }
}

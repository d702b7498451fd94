//! The chain of a node's backups in one epoch: a full snapshot of the store at sequence S, then
//! journal snapshots, each holding the segment of the journal after the previous one's end
//! (`after=S`, `seq=T`, then `after=T`, …). A point in time is reached by the newest full
//! snapshot at or before it and the segments that follow it, in order; a missing segment is a
//! gap, and nothing past it can be reached from that full snapshot.
//!
//! Only snapshot metadata is looked at here (no repository): choosing what to restore, where a
//! journal backup starts, and which journal snapshots a kept full snapshot still needs.

use crate::{BackupError, Result, Snapshot};
use juki_domain::catalogue::{BAK_CHAIN_BROKEN, BAK_POINT_NOT_COVERED};

/// What a snapshot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A consistent copy of the whole data directory (at `/juki-data`). Snapshots taken before
    /// journal backups existed carry no kind and are full ones.
    Full,
    /// One segment of the store's journal (at `/juki-journal/<after+1>-<seq>.sql`).
    Journal,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Full => "full",
            Kind::Journal => "journal",
        }
    }
}

/// The point a restore brings the store to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    /// As far as the chain goes.
    Latest,
    /// Exactly the journal up to this sequence.
    Seq(u64),
    /// The journal up to its last entry recorded at or before this time (ms since the Unix
    /// epoch): resolved once the segments are read.
    TimeMs(i64),
}

/// What to restore: a full snapshot and the journal snapshots to apply after it, in order.
#[derive(Clone, Debug)]
pub struct Plan {
    pub full: Snapshot,
    pub segments: Vec<Snapshot>,
    /// The sequence to stop at; None for a time, which the segments' entries decide.
    pub to_seq: Option<u64>,
}

/// One node's snapshots in one epoch.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    pub node: Option<&'a str>,
    pub epoch: u64,
}

impl<'a> Line<'a> {
    pub fn of(s: &'a Snapshot) -> Line<'a> {
        Line {
            node: s.node.as_deref(),
            epoch: s.epoch,
        }
    }

    fn holds(&self, s: &Snapshot) -> bool {
        s.node.as_deref() == self.node && s.epoch == self.epoch
    }

    fn describe(&self) -> String {
        format!(
            "node {} epoch {}",
            self.node.unwrap_or("(none)"),
            self.epoch
        )
    }
}

fn seq(s: &Snapshot) -> u64 {
    s.journal_head_seq.unwrap_or(0)
}

/// The journal snapshots that continue the chain from sequence `from`, in order, as far as
/// they link (each starting where the previous ended), stopping once `until` is reached. Of
/// two segments starting at one place, the longer is taken.
pub fn continuation<'s>(
    snaps: &'s [Snapshot],
    line: Line<'_>,
    from: u64,
    until: Option<u64>,
) -> Vec<&'s Snapshot> {
    let mut out = Vec::new();
    let mut at = from;
    // Each step moves `at` forward through a distinct snapshot: at most one per snapshot.
    for _ in 0..snaps.len() {
        if until.is_some_and(|n| at >= n) {
            break;
        }
        let next = snaps
            .iter()
            .filter(|s| s.kind == Kind::Journal && line.holds(s))
            .filter(|s| s.after == Some(at) && seq(s) > at)
            .max_by_key(|s| seq(s));
        let Some(next) = next else { break };
        at = seq(next);
        out.push(next);
    }
    out
}

/// The newest full snapshot of the line, and the sequence its chain reaches: where the next
/// journal backup starts.
pub fn head<'s>(snaps: &'s [Snapshot], line: Line<'_>) -> Option<(&'s Snapshot, u64)> {
    let full = snaps
        .iter()
        .filter(|s| s.kind == Kind::Full && line.holds(s))
        .max_by_key(|s| (seq(s), s.time_ms))?;
    let reach = continuation(snaps, line, seq(full), None)
        .last()
        .map_or(seq(full), |s| seq(s));
    Some((full, reach))
}

/// Chooses the full snapshot (`base` when given, else the newest of the line at or before
/// the point) and the segments that reach the point. A point past a missing segment is
/// refused with `JK-BAK-0116` naming the gap; one no backup reaches, with `JK-BAK-0117`.
pub fn plan(
    snaps: &[Snapshot],
    line: Line<'_>,
    base: Option<&Snapshot>,
    point: Point,
) -> Result<Plan> {
    let fulls = || {
        snaps
            .iter()
            .filter(move |s| s.kind == Kind::Full && line.holds(s))
    };
    let goal = match point {
        Point::Seq(n) => n,
        Point::Latest => snaps
            .iter()
            .filter(|s| line.holds(s))
            .map(seq)
            .max()
            .unwrap_or(0),
        Point::TimeMs(t) => {
            let full = match base {
                Some(b) if b.time_ms <= t => b.clone(),
                Some(b) => {
                    return Err(not_covered(format!(
                        "snapshot {} was taken after the time asked for",
                        b.id
                    )));
                }
                None => fulls()
                    .filter(|s| s.time_ms <= t)
                    .max_by_key(|s| (s.time_ms, seq(s)))
                    .cloned()
                    .ok_or_else(|| {
                        not_covered(format!(
                            "no full snapshot of {} taken at or before the time asked for",
                            line.describe()
                        ))
                    })?,
            };
            let segments: Vec<Snapshot> = continuation(snaps, line, seq(&full), None)
                .into_iter()
                .cloned()
                .collect();
            let last = segments.last().unwrap_or(&full);
            // The chain stops before the time while later segments exist: what was recorded
            // before the time may lie beyond the gap.
            if last.time_ms < t
                && let Some(beyond) = first_beyond(snaps, line, seq(last))
            {
                return Err(gap(seq(last), beyond));
            }
            return Ok(Plan {
                full,
                segments,
                to_seq: None,
            });
        }
    };
    let full = match base {
        Some(b) if seq(b) <= goal => b.clone(),
        Some(b) => {
            return Err(not_covered(format!(
                "snapshot {} holds seq {}, past {goal}",
                b.id,
                seq(b)
            )));
        }
        None => fulls()
            .filter(|s| seq(s) <= goal)
            .max_by_key(|s| (seq(s), s.time_ms))
            .cloned()
            .ok_or_else(|| {
                not_covered(format!(
                    "no full snapshot of {} at or before seq {goal}",
                    line.describe()
                ))
            })?,
    };
    let segments: Vec<Snapshot> = continuation(snaps, line, seq(&full), Some(goal))
        .into_iter()
        .cloned()
        .collect();
    let reach = segments.last().map_or(seq(&full), seq);
    if reach < goal {
        return Err(match first_beyond(snaps, line, reach) {
            Some(beyond) => gap(reach, beyond),
            None => not_covered(format!(
                "the backups of {} reach seq {reach}, not {goal}",
                line.describe()
            )),
        });
    }
    Ok(Plan {
        full,
        segments,
        to_seq: Some(goal),
    })
}

/// The nearest place after `reach` where a later journal snapshot of the line starts.
fn first_beyond(snaps: &[Snapshot], line: Line<'_>, reach: u64) -> Option<u64> {
    snaps
        .iter()
        .filter(|s| s.kind == Kind::Journal && line.holds(s))
        .filter_map(|s| s.after)
        .filter(|&a| a > reach)
        .min()
}

fn gap(reach: u64, beyond: u64) -> BackupError {
    BackupError::new(
        &BAK_CHAIN_BROKEN,
        format!(
            "no journal snapshot holds seq {}..={beyond}: the chain reaches seq {reach}, the next segment starts after seq {beyond}",
            reach + 1
        ),
    )
}

fn not_covered(detail: String) -> BackupError {
    BackupError::new(&BAK_POINT_NOT_COVERED, detail)
}

/// Prune by whole chains: a journal snapshot is kept while a kept full snapshot of its node
/// and epoch is at or before its start (restoring that full snapshot to a later point needs
/// it); the others are forgotten with the full snapshots they served.
pub fn journal_needed(journal: &Snapshot, kept_fulls: &[&Snapshot]) -> bool {
    let line = Line::of(journal);
    let after = journal.after.unwrap_or(0);
    kept_fulls
        .iter()
        .any(|f| f.kind == Kind::Full && line.holds(f) && seq(f) <= after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(id: &str, epoch: u64, seq: u64, time_ms: i64) -> Snapshot {
        Snapshot {
            id: id.into(),
            time: String::new(),
            time_ms,
            node: Some("131148".into()),
            kind: Kind::Full,
            epoch,
            postgres: false,
            after: None,
            journal_head_seq: Some(seq),
            files: 0,
            bytes: 0,
            added_bytes: 0,
        }
    }

    fn journal(id: &str, epoch: u64, after: u64, seq: u64, time_ms: i64) -> Snapshot {
        Snapshot {
            kind: Kind::Journal,
            after: Some(after),
            ..full(id, epoch, seq, time_ms)
        }
    }

    fn ids(p: &Plan) -> (String, Vec<String>, Option<u64>) {
        (
            p.full.id.clone(),
            p.segments.iter().map(|s| s.id.clone()).collect(),
            p.to_seq,
        )
    }

    fn chain() -> Vec<Snapshot> {
        vec![
            full("f1", 1, 10, 1_000),
            journal("j1", 1, 10, 15, 2_000),
            journal("j2", 1, 15, 22, 3_000),
            full("f2", 1, 22, 4_000),
            journal("j3", 1, 22, 30, 5_000),
            // Another node and another epoch never mix in.
            journal("x", 2, 30, 40, 6_000),
        ]
    }

    fn line() -> Line<'static> {
        Line {
            node: Some("131148"),
            epoch: 1,
        }
    }

    #[test]
    fn the_latest_point_is_the_newest_full_snapshot_and_its_segments() {
        let snaps = chain();
        let p = plan(&snaps, line(), None, Point::Latest).unwrap();
        assert_eq!(ids(&p), ("f2".into(), vec!["j3".into()], Some(30)));
        assert_eq!(
            head(&snaps, line()).map(|(f, h)| (f.id.as_str(), h)),
            Some(("f2", 30))
        );
    }

    #[test]
    fn a_sequence_inside_a_segment_takes_the_full_snapshot_before_it() {
        let snaps = chain();
        let p = plan(&snaps, line(), None, Point::Seq(18)).unwrap();
        assert_eq!(
            ids(&p),
            ("f1".into(), vec!["j1".into(), "j2".into()], Some(18))
        );
        let p = plan(&snaps, line(), None, Point::Seq(10)).unwrap();
        assert_eq!(ids(&p), ("f1".into(), vec![], Some(10)));
        let base = snaps[0].clone();
        let p = plan(&snaps, line(), Some(&base), Point::Seq(25)).unwrap();
        assert_eq!(
            ids(&p),
            (
                "f1".into(),
                vec!["j1".into(), "j2".into(), "j3".into()],
                Some(25)
            )
        );
    }

    #[test]
    fn a_missing_segment_is_a_named_gap() {
        let mut snaps = chain();
        snaps.retain(|s| s.id != "j2" && s.id != "f2");
        let e = plan(&snaps, line(), None, Point::Latest).unwrap_err();
        assert_eq!(e.def.code, "JK-BAK-0116");
        assert!(e.detail.contains("seq 16..=22"), "{}", e.detail);
        // Before the gap the chain still serves.
        let p = plan(&snaps, line(), None, Point::Seq(12)).unwrap();
        assert_eq!(ids(&p), ("f1".into(), vec!["j1".into()], Some(12)));
        assert_eq!(head(&snaps, line()).map(|(_, h)| h), Some(15));
    }

    #[test]
    fn a_point_no_backup_reaches_is_refused() {
        let snaps = chain();
        let e = plan(&snaps, line(), None, Point::Seq(5)).unwrap_err();
        assert_eq!(e.def.code, "JK-BAK-0117");
        let e = plan(&snaps, line(), None, Point::Seq(31)).unwrap_err();
        assert_eq!(e.def.code, "JK-BAK-0117");
        let e = plan(&snaps, line(), None, Point::TimeMs(999)).unwrap_err();
        assert_eq!(e.def.code, "JK-BAK-0117");
    }

    #[test]
    fn a_time_takes_the_full_snapshot_taken_before_it_and_its_whole_chain() {
        let snaps = chain();
        let p = plan(&snaps, line(), None, Point::TimeMs(3_500)).unwrap();
        assert_eq!(
            ids(&p),
            (
                "f1".into(),
                vec!["j1".into(), "j2".into(), "j3".into()],
                None
            )
        );
    }

    #[test]
    fn prune_keeps_the_segments_a_kept_full_snapshot_needs() {
        let snaps = chain();
        let f2 = &snaps[3];
        let needed: Vec<_> = snaps
            .iter()
            .filter(|s| s.kind == Kind::Journal && journal_needed(s, &[f2]))
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(needed, vec!["j3"]);
        let f1 = &snaps[0];
        let needed: Vec<_> = snaps
            .iter()
            .filter(|s| s.kind == Kind::Journal && journal_needed(s, &[f1]))
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(needed, vec!["j1", "j2", "j3"]);
    }
}

//! Conformance of the network stage: an upper tier applies forwarded entries once, in order,
//! and converges whatever order they arrive in.

use super::{NOW_MS, code, raw, valid_at};
use crate::{CodePool, JournalEntry, LinkFrom, Origin, Outcome, Store, StoreError};
use juki_domain::change::RawChange;
use juki_domain::{ChangeKind, LocalGovernmentCode, RecordStatus, ResidentCode};
use std::any::Any;
use std::collections::BTreeSet;

/// Makes a fresh, empty store and a guard that keeps its resources alive.
pub type Fresh<'a> = &'a dyn Fn() -> (Box<dyn Store>, Box<dyn Any>);

/// A named store with its guard.
type Named = (&'static str, Box<dyn Store>, Box<dyn Any>);

fn lgc(s: &str) -> LocalGovernmentCode {
    LocalGovernmentCode::parse(s).expect("valid code")
}

/// A small deterministic generator (SplitMix64): the suite needs no dependency for it, and a
/// seed replays a case exactly.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The journal of `s` as its parent receives it.
pub fn forwardable(s: &dyn Store) -> Vec<JournalEntry> {
    s.journal_after(0, crate::JOURNAL_LIMIT_MAX)
        .unwrap()
        .into_iter()
        .map(JournalEntry::forwardable)
        .collect()
}

fn from(node: &str, epoch: u64) -> LinkFrom {
    LinkFrom {
        node: node.into(),
        epoch,
    }
}

/// Five changes at 中野区 about two residents.
fn municipal_journal(fresh: Fresh) -> (Vec<JournalEntry>, Box<dyn Store>, Box<dyn Any>) {
    let (m, guard) = fresh();
    let node = lgc("131148");
    let a = code(1_500_000_001);
    let b = code(1_500_000_002);
    let moved = RawChange {
        effective_date: "2026-05-01".into(),
        address: "中野三丁目1番1号".into(),
        household_head: "佐々木健".into(),
        ..raw(ChangeKind::MoveWithin, "F3", Some(a))
    };
    let rows = [
        raw(ChangeKind::MoveIn, "F1", Some(a)),
        raw(ChangeKind::MoveIn, "F2", Some(b)),
        moved,
        RawChange {
            effective_date: "2026-06-01".into(),
            ..raw(ChangeKind::Death, "F4", Some(b))
        },
        RawChange {
            effective_date: "2026-06-02".into(),
            given_name: "陽葵".into(),
            address: "中野三丁目1番1号".into(),
            ..raw(ChangeKind::OfficialCorrection, "F5", Some(a))
        },
    ];
    let changes: Vec<_> = rows.iter().map(|r| valid_at(r, node)).collect();
    for o in m.apply(node, NOW_MS, &changes).unwrap() {
        assert!(matches!(o, Outcome::Applied { .. }), "{o:?}");
    }
    (forwardable(&*m), m, guard)
}

pub fn forwarded_entries_apply_once(fresh: Fresh) {
    let (entries, m, _gm) = municipal_journal(fresh);
    assert!(entries.iter().all(|e| e.local == Default::default()));
    let (u, _gu) = fresh();
    let link = from("131148", 1);
    let r = u.receive(&link, &entries[..3]).unwrap();
    assert_eq!((r.acked, r.applied, r.duplicates), (3, 3, 0));
    // Sent again with the next one: the repeats are recognised, the new one applied.
    let r = u.receive(&link, &entries[1..4]).unwrap();
    assert_eq!((r.acked, r.applied, r.duplicates), (4, 1, 2));
    // Beyond a gap: held back, not applied.
    let mut beyond = entries[4].clone();
    beyond.seq = 7;
    let r = u.receive(&link, &[beyond]).unwrap();
    assert_eq!((r.acked, r.applied, r.held_back), (4, 0, 1));
    // Out of order within a batch is fine.
    let r = u
        .receive(&link, &[entries[4].clone(), entries[3].clone()])
        .unwrap();
    assert_eq!((r.acked, r.applied, r.duplicates), (5, 1, 1));
    assert_eq!(u.received(&link).unwrap(), 5);
    // The child restarted in a new epoch and sends everything again: nothing twice.
    let again = from("131148", 2);
    let r = u.receive(&again, &entries).unwrap();
    assert_eq!((r.acked, r.applied, r.duplicates), (5, 0, 5));

    let held = u.journal_after(0, 100).unwrap();
    assert_eq!(
        held.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    for (h, e) in held.iter().zip(&entries) {
        assert_eq!(h.origin, e.origin);
        assert_eq!(h.record_id, e.record_id);
        assert_eq!(h.recorded_at_ms, e.recorded_at_ms);
    }
    for c in [code(1_500_000_001), code(1_500_000_002)] {
        let at_m = m.record(c).unwrap().unwrap();
        let at_u = u.record(c).unwrap().unwrap();
        assert_eq!(at_u.current.record, at_m.current.record);
        assert_eq!(at_u.current.status, at_m.current.status);
        assert_eq!(at_u.current.local, Default::default());
        let origins =
            |v: &crate::ResidentView| v.history.iter().map(|e| e.origin).collect::<Vec<_>>();
        assert_eq!(origins(&at_u), origins(&at_m));
    }
    let st = u.stats().unwrap();
    assert_eq!(
        (st.residents_current, st.residents_total, st.journal_head),
        (1, 2, 5)
    );
}

pub fn a_reused_origin_is_refused(fresh: Fresh) {
    let (entries, _m, _gm) = municipal_journal(fresh);
    let (u, _gu) = fresh();
    let link = from("131148", 1);
    u.receive(&link, &entries[..2]).unwrap();
    // A node that lost its store and reused sequence 1 in the same epoch for another change.
    let mut reused = entries[2].clone();
    reused.seq = 3;
    reused.origin = entries[0].origin;
    let err = u.receive(&link, &[reused]).unwrap_err();
    assert!(matches!(err, StoreError::OriginReused { .. }), "{err:?}");
    assert_eq!(err.def().code, "JK-NET-0101");
    assert_eq!(u.received(&link).unwrap(), 2);
    assert_eq!(u.stats().unwrap().journal_head, 2);
}

pub fn code_pools_are_granted_disjointly(fresh: Fresh) {
    let (s, _g) = fresh();
    assert_eq!(s.grant_code_pool(10).unwrap(), None);
    s.add_code_pool(CodePool {
        start: 500_000_000,
        end: 500_001_000,
    })
    .unwrap();
    let a = s.grant_code_pool(600).unwrap().unwrap();
    assert_eq!(
        a,
        CodePool {
            start: 500_000_000,
            end: 500_000_600
        }
    );
    assert_eq!(s.grant_code_pool(600).unwrap(), None);
    let b = s.grant_code_pool(400).unwrap().unwrap();
    assert_eq!(
        b,
        CodePool {
            start: 500_000_600,
            end: 500_001_000
        }
    );
    assert_eq!(s.stats().unwrap().codes_available, 0);
    // A child given a pool assigns from it.
    let (child, _gc) = fresh();
    child.add_code_pool(a).unwrap();
    let birth = RawChange {
        birth_date: "2026-04-01".into(),
        ..raw(ChangeKind::Birth, "P1", None)
    };
    let birth = valid_at(&birth, super::node());
    let out = child.apply(super::node(), NOW_MS, &[birth]).unwrap();
    assert_eq!(
        out,
        vec![Outcome::Applied {
            seq: 1,
            resident_code: ResidentCode::from_body(500_000_000)
        }]
    );
}

pub fn link_positions_persist(fresh: Fresh) {
    let (s, _g) = fresh();
    assert_eq!(s.link_acked("parent").unwrap(), 0);
    s.set_link_acked("parent", 42).unwrap();
    assert_eq!(s.link_acked("parent").unwrap(), 42);
    // A restored parent may answer lower: the link goes back.
    s.set_link_acked("parent", 40).unwrap();
    assert_eq!(s.link_acked("parent").unwrap(), 40);
    assert_eq!(s.stats().unwrap().epoch, 1);
}

/// How many seeds [`tiers_converge_whatever_the_arrival_order`] runs.
pub const CONVERGENCE_SEEDS: u64 = 24;

pub fn tiers_converge_whatever_the_arrival_order(fresh: Fresh) {
    for seed in 0..CONVERGENCE_SEEDS {
        convergence_case(fresh, seed);
    }
}

/// The municipalities of the convergence case: two in 東京都, one in 大阪府.
const MUNICIPALITIES: [(&str, &str, &str); 3] = [
    ("131148", "130001", "中野"),
    ("131202", "130001", "練馬"),
    ("272191", "270008", "和泉"),
];

/// One person's life across the municipalities of [`MUNICIPALITIES`].
#[derive(Clone)]
struct Person {
    codes: Vec<ResidentCode>,
    at: usize,
    given: &'static str,
    address: String,
}

/// A random life for a few people (moves between prefectures, moves within, corrections,
/// code changes, deaths), recorded at three municipal stores; their journals delivered to two
/// prefectures and a national node twice, in two random interleavings with repeats and gaps.
/// Checks: both nationals hold the same records; each holds every change exactly once, in a
/// gapless journal; a record current at a municipality is the current record at its
/// prefecture and at national; national holds each person's whole history. Panics with the
/// seed on failure.
pub fn convergence_case(fresh: Fresh, seed: u64) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        convergence_case_inner(fresh, seed)
    }));
    if let Err(e) = result {
        eprintln!("convergence case failed with seed {seed}");
        std::panic::resume_unwind(e);
    }
}

fn convergence_case_inner(fresh: Fresh, seed: u64) {
    let mut rng = Rng::new(seed);
    let munis: Vec<_> = MUNICIPALITIES
        .iter()
        .enumerate()
        .map(|(i, (c, _, _))| {
            let (s, g) = fresh();
            s.add_code_pool(CodePool {
                start: 600_000_000 + i as u64 * 1000,
                end: 600_000_000 + i as u64 * 1000 + 1000,
            })
            .unwrap();
            (lgc(c), s, g)
        })
        .collect();
    let mut day = 0u32;
    let mut next_id = 0u32;
    let mut apply = |p: &Person, at: usize, kind: ChangeKind, extra: &dyn Fn(&mut RawChange)| {
        day += 1;
        next_id += 1;
        let (node, store, _) = &munis[at];
        let mut r = RawChange {
            effective_date: format!(
                "20{:02}-{:02}-{:02}",
                10 + day / 336,
                1 + (day / 28) % 12,
                1 + day % 28
            ),
            given_name: p.given.into(),
            given_name_kana: "ヒナ".into(),
            local_government_code: node.to_string(),
            address: p.address.clone(),
            ..raw(kind, &format!("S{seed}-{next_id}"), p.codes.last().copied())
        };
        extra(&mut r);
        let out = store
            .apply(
                *node,
                NOW_MS + i64::from(day) * 1000,
                &[valid_at(&r, *node)],
            )
            .unwrap();
        match &out[..] {
            [Outcome::Applied { resident_code, .. }] => *resident_code,
            other => panic!("scenario change refused: {other:?} for {r:?}"),
        }
    };
    let mut people = Vec::new();
    for i in 0..3u64 {
        let mut p = Person {
            codes: vec![code(1_600_000_000 + i)],
            at: rng.below(3) as usize,
            given: "陽菜",
            address: "本町一丁目1番1号".into(),
        };
        apply(&p, p.at, ChangeKind::MoveIn, &|_| {});
        for _ in 0..rng.below(6) {
            match rng.below(4) {
                0 => {
                    let to = (p.at + 1 + rng.below(2) as usize) % 3;
                    let from_at = p.at;
                    let dest = MUNICIPALITIES[to].0;
                    let move_out = |r: &mut RawChange| {
                        r.planned_date = r.effective_date.clone();
                        r.destination_code = dest.into();
                        r.destination_address = "本町二丁目2番2号".into();
                    };
                    // Either side may record first.
                    if rng.below(2) == 0 {
                        apply(&p, from_at, ChangeKind::MoveOut, &move_out);
                        p.at = to;
                        p.address = "本町二丁目2番2号".into();
                        apply(&p, to, ChangeKind::MoveIn, &|_| {});
                    } else {
                        let old = Person {
                            at: from_at,
                            ..p.clone()
                        };
                        p.at = to;
                        p.address = "本町二丁目2番2号".into();
                        apply(&p, to, ChangeKind::MoveIn, &|_| {});
                        // The old side records with the facts it holds.
                        apply(&old, from_at, ChangeKind::MoveOut, &move_out);
                    }
                }
                1 => {
                    p.address = format!("本町三丁目{}番1号", 1 + rng.below(9));
                    apply(&p, p.at, ChangeKind::MoveWithin, &|_| {});
                }
                2 => {
                    p.given = if p.given == "陽菜" {
                        "陽葵"
                    } else {
                        "陽菜"
                    };
                    apply(&p, p.at, ChangeKind::OfficialCorrection, &|_| {});
                }
                _ => {
                    let new = apply(&p, p.at, ChangeKind::CodeChange, &|_| {});
                    p.codes.push(new);
                }
            }
        }
        if rng.below(4) == 0 {
            apply(&p, p.at, ChangeKind::Death, &|_| {});
        }
        people.push(p);
    }

    let journals: Vec<Vec<JournalEntry>> =
        munis.iter().map(|(_, s, _)| forwardable(&**s)).collect();
    let total: usize = journals.iter().map(Vec::len).sum();
    // Two independent deliveries through the tiers.
    let mut tiers = Vec::new();
    for _ in 0..2 {
        let prefs: Vec<Named> = ["130001", "270008"]
            .into_iter()
            .map(|p| {
                let (s, g) = fresh();
                (p, s, g)
            })
            .collect();
        for (pcode, pstore, _) in &prefs {
            let links: Vec<(LinkFrom, &[JournalEntry])> = MUNICIPALITIES
                .iter()
                .zip(&journals)
                .filter(|((_, p, _), _)| p == pcode)
                .map(|((m, _, _), j)| (from(m, 1), &j[..]))
                .collect();
            deliver(&mut rng, &**pstore, &links);
        }
        let pref_journals: Vec<Vec<JournalEntry>> =
            prefs.iter().map(|(_, s, _)| forwardable(&**s)).collect();
        let (national, gn) = fresh();
        let links: Vec<(LinkFrom, &[JournalEntry])> = prefs
            .iter()
            .zip(&pref_journals)
            .map(|((p, _, _), j)| (from(p, 1), &j[..]))
            .collect();
        deliver(&mut rng, &*national, &links);
        tiers.push((prefs, national, gn));
    }

    for (prefs, national, _) in &tiers {
        // Exactly once, gapless.
        let held = forwardable(&**national);
        assert_eq!(
            held.len(),
            total,
            "seed {seed}: national holds every change once"
        );
        assert!(held.iter().enumerate().all(|(i, e)| e.seq == i as u64 + 1));
        let origins: BTreeSet<_> = held.iter().map(|e| (e.recorded_by, e.origin)).collect();
        assert_eq!(origins.len(), total);
        for (pcode, pstore, _) in prefs {
            let expected: usize = MUNICIPALITIES
                .iter()
                .zip(&journals)
                .filter(|((_, p, _), _)| p == pcode)
                .map(|(_, j)| j.len())
                .sum();
            assert_eq!(pstore.stats().unwrap().journal_head, expected as u64);
        }
    }
    let key = |v: &crate::ResidentView| {
        (
            v.current.record.clone(),
            v.current.status,
            v.history
                .iter()
                .map(|e| (e.recorded_by, e.origin))
                .collect::<BTreeSet<_>>(),
        )
    };
    for p in &people {
        for c in &p.codes {
            let views: Vec<_> = tiers
                .iter()
                .map(|(_, n, _)| n.record(*c).unwrap().expect("national holds every code"))
                .collect();
            assert_eq!(
                key(&views[0]),
                key(&views[1]),
                "seed {seed}: nationals differ on {c}"
            );
            let national = &views[0];
            // Where the record is current at a municipality, it is the record everywhere above.
            let current_at: Vec<_> = munis
                .iter()
                .filter_map(|(_, s, _)| s.record(*c).unwrap())
                .filter(|v| v.current.status == RecordStatus::Current)
                .collect();
            assert!(
                current_at.len() <= 1,
                "seed {seed}: {c} current at two municipalities"
            );
            match current_at.first() {
                Some(m) => {
                    assert_eq!(
                        national.current.status,
                        RecordStatus::Current,
                        "seed {seed}: {c}"
                    );
                    assert_eq!(
                        national.current.record, m.current.record,
                        "seed {seed}: {c}"
                    );
                }
                None => assert_eq!(
                    national.current.status,
                    RecordStatus::Closed,
                    "seed {seed}: {c}"
                ),
            }
            for (prefs, n, _) in &tiers {
                let at_n = n.record(*c).unwrap().unwrap();
                for (_, ps, _) in prefs {
                    if let Some(v) = ps.record(*c).unwrap()
                        && v.current.status == RecordStatus::Current
                    {
                        assert_eq!(v.current.record, at_n.current.record, "seed {seed}: {c}");
                    }
                }
            }
        }
        // National holds the whole history of the person under the last code.
        let last = *p.codes.last().expect("a person has a code");
        let whole: BTreeSet<(LocalGovernmentCode, Origin)> = journals
            .iter()
            .flatten()
            .filter(|e| {
                p.codes.contains(&e.resident_code)
                    || e.previous_code.is_some_and(|c| p.codes.contains(&c))
            })
            .map(|e| (e.recorded_by, e.origin))
            .collect();
        let at_national = tiers[0].1.record(last).unwrap().unwrap();
        assert_eq!(
            key(&at_national).2,
            whole,
            "seed {seed}: whole history of {last}"
        );
    }
}

/// Delivers every link's entries to `to` in a random order: random batches from a random
/// position (repeats of what was acknowledged, and gaps), shuffled within a batch, until each
/// link is acknowledged to its end.
fn deliver(rng: &mut Rng, to: &dyn Store, links: &[(LinkFrom, &[JournalEntry])]) {
    let mut acked = vec![0u64; links.len()];
    for _ in 0..10_000 {
        let open: Vec<usize> = (0..links.len())
            .filter(|&i| acked[i] < links[i].1.len() as u64)
            .collect();
        let Some(&i) = open.get(rng.below(open.len().max(1) as u64) as usize) else {
            return;
        };
        let (link, entries) = &links[i];
        // Start up to two before the acknowledged position, or up to two after it (a gap).
        let start =
            (acked[i] as i64 - 2 + rng.below(5) as i64).clamp(0, entries.len() as i64 - 1) as usize;
        let end = (start + 1 + rng.below(4) as usize).min(entries.len());
        let mut batch = entries[start..end].to_vec();
        if rng.below(2) == 0 {
            batch.reverse();
        }
        let r = to.receive(link, &batch).unwrap();
        assert!(r.acked >= acked[i], "an acknowledgement went back");
        acked[i] = r.acked;
    }
    panic!("delivery did not finish");
}

//! Conformance of restores and rebuilds: a municipal node records again what it lost, as its
//! parent holds it, and a restored node starts a new epoch that reuses no origin and no code.

use super::net::{Fresh, forwardable};
use super::{NOW_MS, birth_row, code, raw, valid_at};
use crate::{CodePool, CodesAfterRestore, LinkFrom, Outcome, Store};
use juki_domain::change::RawChange;
use juki_domain::{ChangeKind, LocalGovernmentCode, ResidentCode};

fn nakano() -> LocalGovernmentCode {
    LocalGovernmentCode::parse("131148").expect("valid code")
}

const POOL: CodePool = CodePool {
    start: 1_311_480_000,
    end: 1_311_480_100,
};

/// A municipal store with a birth (a code from the pool), a move, a code change and a death,
/// and the codes it holds.
fn lived_in(s: &dyn Store) -> Vec<ResidentCode> {
    s.add_code_pool(POOL).unwrap();
    let a = code(1_600_000_001);
    let b = code(1_600_000_002);
    let rows = [
        RawChange {
            household_head: "佐々木健".into(),
            relationship: "妻".into(),
            ..raw(ChangeKind::MoveIn, "R1", Some(a))
        },
        raw(ChangeKind::MoveIn, "R2", Some(b)),
        birth_row("R3"),
        RawChange {
            effective_date: "2026-05-01".into(),
            address: "中野三丁目1番1号".into(),
            ..raw(ChangeKind::MoveWithin, "R4", Some(a))
        },
        raw(ChangeKind::CodeChange, "R5", Some(b)),
        RawChange {
            effective_date: "2026-06-01".into(),
            ..raw(ChangeKind::Death, "R6", Some(a))
        },
    ];
    let mut codes = vec![a, b];
    for r in &rows {
        let out = s.apply(nakano(), NOW_MS, &[valid_at(r, nakano())]).unwrap();
        match out.as_slice() {
            [Outcome::Applied { resident_code, .. }] => {
                if !codes.contains(resident_code) {
                    codes.push(*resident_code);
                }
            }
            other => panic!("{other:?}"),
        }
    }
    codes
}

/// A store that lost everything and recovers its journal from its parent's copy (identity
/// only) holds the same records with the same histories, skips what it holds on a second
/// pass, keeps the origins (the parent takes them for the duplicates they are) and never
/// assigns a code the lost store had used.
pub fn recovery_from_the_parent_rebuilds_the_records(fresh: Fresh) {
    let (lost, _g1) = fresh();
    let codes = lived_in(&*lost);
    let from_parent = forwardable(&*lost);
    let (rebuilt, _g2) = fresh();
    rebuilt.add_code_pool(POOL).unwrap();
    let r = rebuilt.recover(&from_parent).unwrap();
    assert_eq!(r.applied, from_parent.len() as u64);
    assert_eq!(r.already_held, 0);
    assert_eq!(r.local_fields_missing, from_parent.len() as u64);
    for c in &codes {
        let want = lost.record(*c).unwrap().unwrap();
        let got = rebuilt.record(*c).unwrap().unwrap();
        assert_eq!(got.current.record, want.current.record, "{c}");
        assert_eq!(got.current.status, want.current.status, "{c}");
        let ids = |v: &crate::ResidentView| {
            v.history
                .iter()
                .map(|e| (e.record_id.clone(), e.origin))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&got), ids(&want), "history of {c}");
    }
    assert_eq!(
        rebuilt.stats().unwrap().residents_current,
        lost.stats().unwrap().residents_current
    );
    assert_eq!(
        rebuilt.stats().unwrap().residents_total,
        lost.stats().unwrap().residents_total
    );

    let again = rebuilt.recover(&from_parent).unwrap();
    assert_eq!(
        (again.applied, again.already_held),
        (0, from_parent.len() as u64)
    );

    // The pool, given again, moved past every code the recovered entries use.
    let born = rebuilt
        .apply(nakano(), NOW_MS, &[valid_at(&birth_row("R7"), nakano())])
        .unwrap();
    let [Outcome::Applied { resident_code, .. }] = born.as_slice() else {
        panic!("{born:?}")
    };
    assert!(!codes.contains(resident_code), "{resident_code} reused");

    // A parent that held the lost store's journal takes the recovered entries for the
    // duplicates they are, and applies only the one recorded since, under the new epoch.
    let (parent, _g3) = fresh();
    let epoch1 = LinkFrom {
        node: "131148".into(),
        epoch: 1,
    };
    parent.receive(&epoch1, &from_parent).unwrap();
    let held = parent.stats().unwrap().journal_head;
    rebuilt.begin_epoch(CodesAfterRestore::Abandon).unwrap();
    let epoch2 = LinkFrom {
        node: "131148".into(),
        epoch: 2,
    };
    let got = parent.receive(&epoch2, &forwardable(&*rebuilt)).unwrap();
    assert_eq!((got.applied, got.duplicates), (1, from_parent.len() as u64));
    assert_eq!(parent.stats().unwrap().journal_head, held + 1);
}

/// Local-only fields that came with a recovered entry (from a backup) are kept; an entry
/// without them keeps the resident's previous ones.
pub fn recovery_keeps_local_fields_it_is_given(fresh: Fresh) {
    let (lost, _g1) = fresh();
    let codes = lived_in(&*lost);
    let full = lost.journal_after(0, crate::JOURNAL_LIMIT_MAX).unwrap();
    let (rebuilt, _g2) = fresh();
    let r = rebuilt.recover(&full).unwrap();
    assert_eq!(
        r.local_fields_missing as usize,
        full.iter().filter(|e| e.local.is_empty()).count()
    );
    let a = codes[0];
    assert_eq!(
        rebuilt.record(a).unwrap().unwrap().current.local,
        lost.record(a).unwrap().unwrap().current.local
    );
    assert_eq!(
        rebuilt
            .record(a)
            .unwrap()
            .unwrap()
            .current
            .local
            .household_head
            .as_deref(),
        Some("佐々木健")
    );
}

/// A new epoch begins after the head: the links start over, the pool's unused codes are given
/// up (or skipped, at the national node), and what is recorded next carries the new epoch in
/// its origin while earlier entries keep theirs.
pub fn a_new_epoch_starts_links_and_codes_over(fresh: Fresh) {
    let (s, _g) = fresh();
    lived_in(&*s);
    let before = s.stats().unwrap();
    s.set_link_acked("parent", before.journal_head).unwrap();
    assert_eq!(s.begin_epoch(CodesAfterRestore::Abandon).unwrap(), 2);
    let after = s.stats().unwrap();
    assert_eq!(after.epoch, 2);
    assert_eq!(after.codes_available, 0);
    assert_eq!(after.journal_head, before.journal_head);
    assert_eq!(s.link_acked("parent").unwrap(), 0);
    let out = s
        .apply(
            nakano(),
            NOW_MS,
            &[valid_at(
                &raw(ChangeKind::MoveIn, "R9", Some(code(1_600_000_009))),
                nakano(),
            )],
        )
        .unwrap();
    assert!(
        matches!(out.as_slice(), [Outcome::Applied { .. }]),
        "{out:?}"
    );
    let journal = s.journal_after(0, crate::JOURNAL_LIMIT_MAX).unwrap();
    let (last, earlier) = journal.split_last().unwrap();
    assert_eq!(
        (last.origin.epoch, last.origin.seq),
        (2, before.journal_head + 1)
    );
    assert!(earlier.iter().all(|e| e.origin.epoch == 1));

    let (n, _g2) = fresh();
    n.add_code_pool(POOL).unwrap();
    let had = n.stats().unwrap().codes_available;
    n.begin_epoch(CodesAfterRestore::SkipAhead(30)).unwrap();
    assert_eq!(n.stats().unwrap().codes_available, had - 30);
    n.begin_epoch(CodesAfterRestore::SkipAhead(1_000)).unwrap();
    assert_eq!(n.stats().unwrap().codes_available, 0);
    assert_eq!(n.stats().unwrap().epoch, 3);

    // An upper tier forgets where its children's links stood: they send again.
    let (upper, _g3) = fresh();
    let child = LinkFrom {
        node: "131148".into(),
        epoch: 1,
    };
    let sent = forwardable(&*s);
    upper.receive(&child, &sent).unwrap();
    assert_eq!(upper.received(&child).unwrap(), sent.len() as u64);
    upper.begin_epoch(CodesAfterRestore::SkipAhead(0)).unwrap();
    assert_eq!(upper.received(&child).unwrap(), 0);
    let again = upper.receive(&child, &sent).unwrap();
    assert_eq!((again.applied, again.acked), (0, sent.len() as u64));
}

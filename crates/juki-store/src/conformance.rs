//! The conformance suite: what every [`Store`] implementation must do, as tests.
//!
//! An implementation's test file calls [`conformance_tests!`] with a function returning a
//! fresh, empty store and a guard that keeps its resources alive:
//!
//! ```text
//! fn fresh() -> (Box<dyn juki_store::Store>, Box<dyn std::any::Any>) { … }
//! juki_store::conformance_tests!(fresh);
//! ```

// This module is a test suite compiled into the library for other implementations' tests:
// a failing unwrap is a failing test.
#![allow(clippy::unwrap_used)]

pub mod net;
pub mod restore;

use crate::{CodePool, Outcome, SearchQuery, Store};
use juki_domain::change::{RawChange, ValidationContext, validate};
use juki_domain::name::kana_search_key;
use juki_domain::{
    BirthDate, ChangeKind, Date, LocalGovernmentCode, RecordStatus, ResidentCode, Sex,
    ValidatedChange,
};

/// The node every conformance change is recorded at: 中野区.
pub fn node() -> LocalGovernmentCode {
    LocalGovernmentCode::parse("131148").expect("valid code")
}

pub(crate) const NOW_MS: i64 = 1_775_000_000_000;

/// A valid change row for resident `code` (None: empty code), overridable field by field.
pub fn raw(kind: ChangeKind, record_id: &str, code: Option<ResidentCode>) -> RawChange {
    RawChange {
        record_id: record_id.into(),
        change_kind: kind.ja().into(),
        effective_date: "2026-04-01".into(),
        resident_code: code.map(|c| c.to_string()).unwrap_or_default(),
        family_name: "佐々木".into(),
        given_name: "陽菜".into(),
        family_name_kana: "ササキ".into(),
        given_name_kana: "ヒナ".into(),
        birth_date: "1998-07-14".into(),
        sex: "女".into(),
        local_government_code: "131148".into(),
        address: "中野二丁目3番4号".into(),
        ..RawChange::default()
    }
}

/// Validates a row as the node would; panics when the fixture itself is invalid.
pub fn valid(raw: &RawChange) -> ValidatedChange {
    valid_at(raw, node())
}

/// Validates a row as municipal node `node` would.
pub fn valid_at(raw: &RawChange, node: LocalGovernmentCode) -> ValidatedChange {
    let ctx = ValidationContext {
        node,
        today: Date::constant(2026, 11, 1),
    };
    validate(raw, &ctx).unwrap_or_else(|p| panic!("fixture invalid: {p:?}"))
}

/// A birth row (no code: one is assigned), effective on the birth date.
pub fn birth_row(record_id: &str) -> RawChange {
    RawChange {
        birth_date: "2026-04-01".into(),
        ..raw(ChangeKind::Birth, record_id, None)
    }
}

pub fn code(body: u64) -> ResidentCode {
    ResidentCode::from_body(body)
}

fn apply1(s: &dyn Store, c: &ValidatedChange) -> Outcome {
    let mut out = s
        .apply(node(), NOW_MS, std::slice::from_ref(c))
        .expect("apply");
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn seq_of(o: &Outcome) -> u64 {
    match o {
        Outcome::Applied { seq, .. } => *seq,
        other => panic!("expected applied, got {other:?}"),
    }
}

fn refused_code(o: &Outcome) -> &'static str {
    match o {
        Outcome::Refused(p) => p.code(),
        other => panic!("expected refused, got {other:?}"),
    }
}

pub fn apply_then_read(s: &dyn Store) {
    let c = valid(&raw(ChangeKind::MoveIn, "R1", Some(code(1_234_567_890))));
    let seq = seq_of(&apply1(s, &c));
    assert_eq!(seq, 1);
    let view = s
        .record(code(1_234_567_890))
        .unwrap()
        .expect("record present");
    assert_eq!(view.current.status, RecordStatus::Current);
    assert_eq!(view.current.record.facts, c.facts);
    assert_eq!(view.history.len(), 1);
    let h = &view.history[0];
    assert_eq!(
        (h.seq, h.kind, h.recorded_by, h.record_id.as_str()),
        (1, ChangeKind::MoveIn, node(), "R1")
    );
    assert_eq!(h.effective_date, Date::constant(2026, 4, 1));
    assert_eq!(h.recorded_at_ms, NOW_MS);
    assert!(s.record(code(1_234_567_891)).unwrap().is_none());
}

pub fn repeated_record_id_is_applied_once(s: &dyn Store) {
    let c = valid(&raw(ChangeKind::MoveIn, "R1", Some(code(1_000_000_001))));
    let first = apply1(s, &c);
    assert_eq!(
        apply1(s, &c),
        Outcome::Duplicate {
            seq: seq_of(&first),
            resident_code: code(1_000_000_001)
        }
    );
    // Within one batch too, and with different content under the same id.
    let other = valid(&raw(ChangeKind::MoveIn, "R1", Some(code(1_000_000_002))));
    let out = s.apply(node(), NOW_MS, &[other.clone(), other]).unwrap();
    assert!(
        out.iter()
            .all(|o| matches!(o, Outcome::Duplicate { seq: 1, .. })),
        "{out:?}"
    );
    assert_eq!(s.journal_after(0, 100).unwrap().len(), 1);
    assert!(s.record(code(1_000_000_002)).unwrap().is_none());
}

pub fn a_refused_change_does_not_block_others(s: &dyn Store) {
    let a = valid(&raw(ChangeKind::MoveIn, "A1", Some(code(1_000_000_001))));
    let a_again = valid(&raw(ChangeKind::MoveIn, "A2", Some(code(1_000_000_001))));
    let b = valid(&raw(ChangeKind::MoveIn, "B1", Some(code(1_000_000_002))));
    let gone = valid(&raw(ChangeKind::Death, "C1", Some(code(1_000_000_003))));
    let out = s.apply(node(), NOW_MS, &[a, a_again, b, gone]).unwrap();
    assert_eq!(seq_of(&out[0]), 1);
    assert_eq!(refused_code(&out[1]), "JK-REC-0201");
    assert_eq!(seq_of(&out[2]), 2);
    assert_eq!(refused_code(&out[3]), "JK-REC-0202");
    let seqs: Vec<u64> = s
        .journal_after(0, 100)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2]);
}

pub fn history_is_complete_and_newest_first(s: &dyn Store) {
    let c = code(1_000_000_010);
    let steps = [
        raw(ChangeKind::MoveIn, "H1", Some(c)),
        RawChange {
            address: "中野三丁目1番1号".into(),
            ..raw(ChangeKind::MoveWithin, "H2", Some(c))
        },
        RawChange {
            given_name: "陽奈".into(),
            ..raw(ChangeKind::ClericalCorrection, "H3", Some(c))
        },
        RawChange {
            planned_date: "2026-04-20".into(),
            destination_code: "272191".into(),
            destination_address: "府中町1番地".into(),
            ..raw(ChangeKind::MoveOut, "H4", Some(c))
        },
    ];
    for raw in &steps {
        seq_of(&apply1(s, &valid(raw)));
    }
    let view = s.record(c).unwrap().unwrap();
    assert_eq!(view.current.status, RecordStatus::Closed);
    let kinds: Vec<ChangeKind> = view.history.iter().map(|h| h.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ChangeKind::MoveOut,
            ChangeKind::ClericalCorrection,
            ChangeKind::MoveWithin,
            ChangeKind::MoveIn
        ]
    );
    assert_eq!(view.history[1].facts.name.given, "陽奈");
    assert_eq!(view.history[2].facts.address.remainder, "中野三丁目1番1号");
    let dest = view.history[0].destination.clone().unwrap();
    assert_eq!(dest.code.unwrap().to_string(), "272191");
    // Changes to a closed record are refused; the resident may come back.
    assert_eq!(
        refused_code(&apply1(
            s,
            &valid(&raw(ChangeKind::MoveWithin, "H5", Some(c)))
        )),
        "JK-REC-0203"
    );
    seq_of(&apply1(s, &valid(&raw(ChangeKind::MoveIn, "H6", Some(c)))));
    let view = s.record(c).unwrap().unwrap();
    assert_eq!(view.current.status, RecordStatus::Current);
    assert_eq!(view.history.len(), 5);
}

pub fn journal_is_gapless_and_pages(s: &dyn Store) {
    let changes: Vec<_> = (0..25)
        .map(|i| {
            valid(&raw(
                ChangeKind::MoveIn,
                &format!("J{i}"),
                Some(code(1_100_000_000 + i)),
            ))
        })
        .collect();
    for chunk in changes.chunks(7) {
        s.apply(node(), NOW_MS, chunk).unwrap();
    }
    let all = s.journal_after(0, 1000).unwrap();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=25).collect::<Vec<_>>()
    );
    assert_eq!(all[3].record_id, "J3");
    let page = s.journal_after(10, 5).unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![11, 12, 13, 14, 15]
    );
    assert!(s.journal_after(25, 10).unwrap().is_empty());
    assert_eq!(s.stats().unwrap().journal_head, 25);
}

fn query(key: &str, birth: &str, sex: Sex) -> SearchQuery {
    SearchQuery {
        search_key: kana_search_key(key),
        birth_date: BirthDate::parse_stored(birth).expect("fixture birth date"),
        sex,
        address_code: None,
        address_prefix: None,
        include_closed: false,
        after: None,
        limit: 10,
    }
}

pub fn search_by_four_facts(s: &dyn Store) {
    let rows = [
        raw(ChangeKind::MoveIn, "S1", Some(code(1_000_000_101))),
        RawChange {
            birth_date: "1998-07-15".into(),
            ..raw(ChangeKind::MoveIn, "S2", Some(code(1_000_000_102)))
        },
        RawChange {
            sex: "男".into(),
            ..raw(ChangeKind::MoveIn, "S3", Some(code(1_000_000_103)))
        },
        RawChange {
            address: "本町一丁目1番1号".into(),
            ..raw(ChangeKind::MoveIn, "S4", Some(code(1_000_000_104)))
        },
        RawChange {
            family_name_kana: "タナカ".into(),
            ..raw(ChangeKind::MoveIn, "S5", Some(code(1_000_000_105)))
        },
    ];
    let rows: Vec<_> = rows.iter().map(valid).collect();
    s.apply(node(), NOW_MS, &rows).unwrap();
    let codes = |q: &SearchQuery| -> Vec<u64> {
        s.search(q)
            .unwrap()
            .iter()
            .map(|h| h.resident.record.resident_code.body())
            .collect()
    };
    let q = query("ササキヒナ", "1998-07-14", Sex::Female);
    assert_eq!(codes(&q), vec![1_000_000_101, 1_000_000_104]);
    // Readings are matched after normalisation: hiragana, spaces.
    assert_eq!(
        codes(&query("ささき ひな", "1998-07-14", Sex::Female)),
        vec![1_000_000_101, 1_000_000_104]
    );
    assert_eq!(
        codes(&SearchQuery {
            address_prefix: Some("本町".into()),
            ..q.clone()
        }),
        vec![1_000_000_104]
    );
    assert_eq!(
        codes(&SearchQuery {
            address_code: Some(node()),
            ..q.clone()
        })
        .len(),
        2
    );
    assert_eq!(
        codes(&SearchQuery {
            address_code: Some(LocalGovernmentCode::parse("131202").unwrap()),
            ..q.clone()
        }),
        Vec::<u64>::new()
    );
    // Pages.
    assert_eq!(
        codes(&SearchQuery {
            limit: 1,
            ..q.clone()
        }),
        vec![1_000_000_101]
    );
    assert_eq!(
        codes(&SearchQuery {
            limit: 1,
            after: Some(code(1_000_000_101)),
            ..q.clone()
        }),
        vec![1_000_000_104]
    );
    // Closed records only on request.
    s.apply(
        node(),
        NOW_MS,
        &[valid(&raw(
            ChangeKind::Death,
            "S6",
            Some(code(1_000_000_101)),
        ))],
    )
    .unwrap();
    assert_eq!(codes(&q), vec![1_000_000_104]);
    assert_eq!(
        codes(&SearchQuery {
            include_closed: true,
            ..q
        })
        .len(),
        2
    );
}

pub fn codes_are_assigned_from_the_pool(s: &dyn Store) {
    let birth = |id: &str| valid(&birth_row(id));
    assert_eq!(refused_code(&apply1(s, &birth("P0"))), "JK-CODE-0204");
    s.add_code_pool(CodePool {
        start: 131_140_000,
        end: 131_140_003,
    })
    .unwrap();
    assert!(
        s.add_code_pool(CodePool {
            start: 131_140_002,
            end: 131_140_010
        })
        .is_err(),
        "overlap refused"
    );
    assert_eq!(s.stats().unwrap().codes_available, 3);
    // A code of the pool given explicitly is skipped when assigning.
    let given = valid(&raw(ChangeKind::MoveIn, "P1", Some(code(131_140_001))));
    seq_of(&apply1(s, &given));
    let Outcome::Applied {
        resident_code: a, ..
    } = apply1(s, &birth("P2"))
    else {
        panic!()
    };
    let Outcome::Applied {
        resident_code: b, ..
    } = apply1(s, &birth("P3"))
    else {
        panic!()
    };
    assert_eq!((a, b), (code(131_140_000), code(131_140_002)));
    assert_eq!(refused_code(&apply1(s, &birth("P4"))), "JK-CODE-0204");
    assert_eq!(s.stats().unwrap().codes_available, 0);
    assert_eq!(
        s.record(a)
            .unwrap()
            .unwrap()
            .current
            .record
            .facts
            .birth_date
            .to_string(),
        "2026-04-01"
    );
}

pub fn a_code_change_continues_the_history(s: &dyn Store) {
    s.add_code_pool(CodePool {
        start: 131_150_000,
        end: 131_150_010,
    })
    .unwrap();
    let old = code(1_000_000_200);
    seq_of(&apply1(
        s,
        &valid(&raw(ChangeKind::MoveIn, "K1", Some(old))),
    ));
    let out = apply1(s, &valid(&raw(ChangeKind::CodeChange, "K2", Some(old))));
    let Outcome::Applied {
        resident_code: new,
        seq,
    } = out
    else {
        panic!("{out:?}")
    };
    assert_eq!(new, code(131_150_000));
    let old_view = s.record(old).unwrap().unwrap();
    assert_eq!(old_view.current.status, RecordStatus::Closed);
    let new_view = s.record(new).unwrap().unwrap();
    assert_eq!(new_view.current.status, RecordStatus::Current);
    assert_eq!(new_view.history.len(), 2);
    assert_eq!(new_view.history[0].seq, seq);
    assert_eq!(new_view.history[0].previous_code, Some(old));
    assert_eq!(new_view.history[1].kind, ChangeKind::MoveIn);
    let st = s.stats().unwrap();
    assert_eq!((st.residents_current, st.residents_total), (1, 2));
}

/// `residents` answers, for each code in order, exactly the current record `record` gives
/// (a closed one too), and None for a code not held — without reading history.
pub fn residents_by_code_are_their_records(s: &dyn Store) {
    a_code_change_continues_the_history(s);
    let (old, new) = (code(1_000_000_200), code(131_150_000));
    let other = code(1_000_000_201);
    seq_of(&apply1(
        s,
        &valid(&raw(ChangeKind::MoveIn, "K3", Some(other))),
    ));
    let missing = code(1_000_000_299);
    let asked = [new, missing, old, other, new];
    let got = s.residents(&asked).unwrap();
    assert_eq!(got.len(), asked.len());
    for (c, r) in asked.iter().zip(&got) {
        let expected = s.record(*c).unwrap().map(|v| v.current);
        assert_eq!(r, &expected, "{c}");
    }
    assert!(got[1].is_none());
    assert_eq!(got[2].as_ref().unwrap().status, RecordStatus::Closed);
    assert!(s.residents(&[]).unwrap().is_empty());
}

pub fn local_fields_stay_through_amendments(s: &dyn Store) {
    let c = code(1_000_000_300);
    let first = RawChange {
        household_head: "佐々木健".into(),
        relationship: "子".into(),
        resident_since: "2026-04-01".into(),
        ..raw(ChangeKind::MoveIn, "L1", Some(c))
    };
    seq_of(&apply1(s, &valid(&first)));
    let moved = RawChange {
        address_since: "2026-05-01".into(),
        ..raw(ChangeKind::MoveWithin, "L2", Some(c))
    };
    let moved = RawChange {
        effective_date: "2026-05-01".into(),
        ..moved
    };
    seq_of(&apply1(s, &valid(&moved)));
    let local = s.record(c).unwrap().unwrap().current.local;
    assert_eq!(local.household_head.as_deref(), Some("佐々木健"));
    assert_eq!(local.relationship.as_deref(), Some("子"));
    assert_eq!(local.resident_since, Some(Date::constant(2026, 4, 1)));
    assert_eq!(local.address_since, Some(Date::constant(2026, 5, 1)));
}

pub fn bulk_load_equals_apply(s: &dyn Store, twin: &dyn Store) {
    let mut rows: Vec<_> = (0..500)
        .map(|i| {
            valid(&raw(
                ChangeKind::MoveIn,
                &format!("B{i}"),
                Some(code(1_200_000_000 + i * 7)),
            ))
        })
        .collect();
    rows.push(rows[3].clone()); // a duplicate record id
    rows.push(valid(&raw(
        ChangeKind::MoveIn,
        "B-again",
        Some(code(1_200_000_000)),
    ))); // already registered
    rows.push(valid(&raw(
        ChangeKind::Death,
        "B-death",
        Some(code(1_200_000_007)),
    )));
    for chunk in rows.chunks(64) {
        s.apply(node(), NOW_MS, chunk).unwrap();
    }
    let mut batches = rows.chunks(100).map(|c| c.to_vec());
    let mut seen = Vec::new();
    let summary = twin
        .bulk_load(node(), NOW_MS, &mut batches, &mut |o| {
            seen.extend_from_slice(o)
        })
        .unwrap();
    assert_eq!(
        (summary.applied, summary.duplicates, summary.refused),
        (501, 1, 1)
    );
    assert_eq!(seen.len(), rows.len());
    assert_eq!(
        s.journal_after(0, 10_000).unwrap(),
        twin.journal_after(0, 10_000).unwrap()
    );
    assert_eq!(s.stats().unwrap(), twin.stats().unwrap());
    for i in [0, 1, 250, 499] {
        assert_eq!(
            s.record(code(1_200_000_000 + i * 7)).unwrap(),
            twin.record(code(1_200_000_000 + i * 7)).unwrap()
        );
    }
    // The deferred index is back: the search finds a loaded resident.
    let q = SearchQuery {
        include_closed: true,
        limit: 1000,
        ..query("ササキヒナ", "1998-07-14", Sex::Female)
    };
    assert_eq!(twin.search(&q).unwrap().len(), 500);
}

pub fn stats_count_residents(s: &dyn Store) {
    assert_eq!(s.stats().unwrap().residents_total, 0);
    let rows: Vec<_> = (0..10)
        .map(|i| {
            valid(&raw(
                ChangeKind::MoveIn,
                &format!("T{i}"),
                Some(code(1_300_000_000 + i)),
            ))
        })
        .collect();
    s.apply(node(), NOW_MS, &rows).unwrap();
    s.apply(
        node(),
        NOW_MS,
        &[valid(&raw(
            ChangeKind::Death,
            "T-d",
            Some(code(1_300_000_000)),
        ))],
    )
    .unwrap();
    let st = s.stats().unwrap();
    assert_eq!(
        (st.residents_current, st.residents_total, st.journal_head),
        (9, 10, 11)
    );
    assert!(st.schema_version >= 1);
}

/// Generates one `#[test]` per conformance property for the store `$fresh()` makes.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path) => {
        $crate::conformance_tests!(@each $fresh;
            apply_then_read,
            repeated_record_id_is_applied_once,
            a_refused_change_does_not_block_others,
            history_is_complete_and_newest_first,
            journal_is_gapless_and_pages,
            search_by_four_facts,
            codes_are_assigned_from_the_pool,
            a_code_change_continues_the_history,
            residents_by_code_are_their_records,
            local_fields_stay_through_amendments,
            stats_count_residents
        );
        #[test]
        fn bulk_load_equals_apply() {
            let (a, _ga) = $fresh();
            let (b, _gb) = $fresh();
            $crate::conformance::bulk_load_equals_apply(&*a, &*b);
        }
        $crate::conformance_tests!(@net $fresh;
            forwarded_entries_apply_once,
            a_reused_origin_is_refused,
            code_pools_are_granted_disjointly,
            link_positions_persist,
            tiers_converge_whatever_the_arrival_order
        );
        $crate::conformance_tests!(@restore $fresh;
            recovery_from_the_parent_rebuilds_the_records,
            recovery_keeps_local_fields_it_is_given,
            a_new_epoch_starts_links_and_codes_over
        );
    };
    (@restore $fresh:path; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::restore::$name(&$fresh);
            }
        )*
    };
    (@net $fresh:path; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::net::$name(&$fresh);
            }
        )*
    };
    (@each $fresh:path; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let (store, _guard) = $fresh();
                $crate::conformance::$name(&*store);
            }
        )*
    };
}

//! Property tests: a digest does not depend on the order of its entries, and any one entry
//! added, removed or altered is found in exactly its range.

use super::*;
use juki_domain::{
    Address, BirthDate, ChangeKind, Date, IdentityFacts, LocalFields, PersonName, RecordStatus,
    Script, Sex,
};
use proptest::prelude::*;

fn scope() -> LocalGovernmentCode {
    LocalGovernmentCode::parse("131148").unwrap()
}

/// An entry of `scope()` about the code with body `body`, at origin (1, `seq`).
fn entry(seq: u64, body: u64, variant: u8) -> JournalEntry {
    JournalEntry {
        seq,
        recorded_by: scope(),
        origin: Origin { epoch: 1, seq },
        record_id: format!("R{seq}"),
        kind: ChangeKind::Birth,
        effective_date: Date::constant(2026, 4, 1),
        notified_date: None,
        recorded_at_ms: 1_775_000_000_000 + seq as i64,
        resident_code: ResidentCode::from_body(body),
        previous_code: None,
        prev_seq: None,
        status: RecordStatus::Current,
        facts: IdentityFacts {
            name: PersonName {
                family: "中野".into(),
                given: format!("太郎{variant}"),
                family_kana: "ナカノ".into(),
                given_kana: "タロウ".into(),
                script: Script::Japanese,
            },
            birth_date: BirthDate::Full(Date::constant(2026, 3, 30)),
            sex: Sex::Male,
            address: Address {
                code: scope(),
                remainder: "中野二丁目3番4号".into(),
            },
            individual_number: None,
            former_family_name: None,
            alias_name: None,
            nationality: None,
        },
        local: LocalFields::default(),
        planned_date: None,
        destination: None,
    }
}

fn digest<'a>(entries: impl IntoIterator<Item = &'a JournalEntry>) -> Digest {
    let mut b = Builder::new(scope(), None);
    for e in entries {
        b.add(e);
    }
    b.finish()
}

/// Bodies clustered in a few ranges (as code pools make them) and spread over the space.
fn bodies() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(
        prop_oneof![
            0u64..3 * LEAF_BODIES,
            (ResidentCode::SPACE - 2 * LEAF_BODIES)..ResidentCode::SPACE,
            0u64..ResidentCode::SPACE,
        ],
        1..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn order_does_not_matter(bodies in bodies(), seed in any::<u64>()) {
        let entries: Vec<JournalEntry> =
            bodies.iter().enumerate().map(|(i, b)| entry(i as u64 + 1, *b, 0)).collect();
        let mut shuffled = entries.clone();
        // A seeded Fisher–Yates shuffle.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let (a, b) = (digest(&entries), digest(&shuffled));
        prop_assert_eq!(&a, &b);
        prop_assert!(differing(&a.leaves, &b.leaves).is_empty());
    }

    #[test]
    fn one_added_entry_is_found_in_exactly_its_range(bodies in bodies(), extra in 0u64..ResidentCode::SPACE) {
        let entries: Vec<JournalEntry> =
            bodies.iter().enumerate().map(|(i, b)| entry(i as u64 + 1, *b, 0)).collect();
        let added = entry(entries.len() as u64 + 1, extra, 0);
        let a = digest(&entries);
        let b = digest(entries.iter().chain([&added]));
        prop_assert_ne!(a.root, b.root);
        prop_assert_eq!(differing(&a.leaves, &b.leaves), vec![LeafRange::of(added.resident_code)]);
        prop_assert_eq!(differing(&b.leaves, &a.leaves), vec![LeafRange::of(added.resident_code)]);
    }

    #[test]
    fn one_removed_entry_is_found_in_exactly_its_range(bodies in bodies(), which in any::<prop::sample::Index>()) {
        let entries: Vec<JournalEntry> =
            bodies.iter().enumerate().map(|(i, b)| entry(i as u64 + 1, *b, 0)).collect();
        let gone = which.index(entries.len());
        let a = digest(&entries);
        let b = digest(entries.iter().enumerate().filter(|(i, _)| *i != gone).map(|(_, e)| e));
        prop_assert_ne!(a.root, b.root);
        prop_assert_eq!(differing(&a.leaves, &b.leaves), vec![LeafRange::of(entries[gone].resident_code)]);
    }

    #[test]
    fn one_altered_entry_is_found_in_exactly_its_range(
        bodies in bodies(),
        which in any::<prop::sample::Index>(),
        field in 0u8..6,
    ) {
        let entries: Vec<JournalEntry> =
            bodies.iter().enumerate().map(|(i, b)| entry(i as u64 + 1, *b, 0)).collect();
        let at = which.index(entries.len());
        let mut altered = entries.clone();
        let e = &mut altered[at];
        match field {
            0 => e.facts.name.given.push('子'),
            1 => e.status = RecordStatus::Closed,
            2 => e.record_id.push('x'),
            3 => e.notified_date = Some(Date::constant(2026, 4, 2)),
            4 => e.facts.alias_name = Some(String::new()),
            _ => e.destination = Some(Destination { code: None, address: String::new() }),
        }
        let (a, b) = (digest(&entries), digest(&altered));
        prop_assert_ne!(a.root, b.root);
        prop_assert_eq!(differing(&a.leaves, &b.leaves), vec![LeafRange::of(entries[at].resident_code)]);
    }

    #[test]
    fn what_differs_between_tiers_does_not_count(bodies in bodies()) {
        let entries: Vec<JournalEntry> =
            bodies.iter().enumerate().map(|(i, b)| entry(i as u64 + 1, *b, 0)).collect();
        // As an upper tier holds them: its own sequences, no history chain, no local fields.
        let upper: Vec<JournalEntry> = entries
            .iter()
            .map(|e| {
                let mut u = e.clone().forwardable();
                u.seq += 1000;
                u.recorded_at_ms += 1;
                u
            })
            .collect();
        let mut local = entries.clone();
        for e in &mut local {
            e.prev_seq = Some(e.seq);
            e.local.household_head = Some("中野太郎".into());
        }
        prop_assert_eq!(digest(&upper).root, digest(&local).root);
    }
}

#[test]
fn other_scopes_and_entries_past_the_cut_are_left_out() {
    let mut other = entry(1, 10, 0);
    other.recorded_by = LocalGovernmentCode::parse("131130").unwrap();
    let (e1, e2) = (entry(1, 10, 0), entry(2, 20, 0));
    let mut b = Builder::new(scope(), Some(Origin { epoch: 1, seq: 1 }));
    assert!(!b.add(&other));
    assert!(b.add(&e1));
    assert!(!b.add(&e2), "past the cut");
    let cut = b.finish();
    assert_eq!(cut, {
        let mut b = Builder::new(scope(), Some(Origin { epoch: 1, seq: 1 }));
        b.add(&e1);
        b.finish()
    });
    assert_eq!(cut.entries, 1);
    // A later epoch is past any cut in an earlier one.
    let mut later = entry(1, 10, 1);
    later.origin = Origin { epoch: 2, seq: 1 };
    assert!(!Builder::new(scope(), Some(Origin { epoch: 1, seq: 9 })).includes(&later));
}

#[test]
fn an_empty_digest_has_a_root_and_no_leaves() {
    let d = Builder::new(scope(), None).finish();
    assert!(d.leaves.is_empty());
    assert_eq!(d.root, root(&[]));
    assert_ne!(d.root, digest([&entry(1, 0, 0)]).root);
}

#[test]
fn ranges_tile_the_code_space() {
    let first = LeafRange::of(ResidentCode::from_body(0));
    assert_eq!((first.start(), first.end()), (0, LEAF_BODIES));
    let last = LeafRange::of(ResidentCode::from_body(ResidentCode::SPACE - 1));
    assert_eq!(last.end(), ResidentCode::SPACE);
    assert!(last.index >> (FANOUT_BITS * LEVELS) == 0, "one root");
    assert_eq!(
        LeafRange::from_bounds(4096, 8192),
        Some(LeafRange { index: 1 })
    );
    assert_eq!(LeafRange::from_bounds(4096, 8191), None);
    assert_eq!(LeafRange::from_bounds(4095, 8191), None);
    assert_eq!(LeafRange::from_bounds(last.start(), last.end()), Some(last));
    assert_eq!(LeafRange { index: 1 }.to_string(), "0000004096-0000008192");
    let span = Span::covering(&[LeafRange { index: 1 }, LeafRange { index: 3 }]).unwrap();
    assert_eq!(
        span,
        Span {
            start: 4096,
            end: 16384
        }
    );
    assert_eq!(Span::from_bounds(4096, 16384), Some(span));
    assert!(span.contains(ResidentCode::from_body(16383)));
    assert!(!span.contains(ResidentCode::from_body(16384)));
    assert_eq!(Span::from_bounds(4096, 4096), None);
    assert_eq!(Span::from_bounds(4097, 8192), None);
    assert_eq!(
        Span::from_bounds(0, ResidentCode::SPACE).map(|s| s.end),
        Some(ResidentCode::SPACE)
    );
    assert_eq!(Span::from_bounds(0, ResidentCode::SPACE + 4096), None);
    assert_eq!(Span::covering(&[]), None);
}

#[test]
fn hex_and_cuts_read_back() {
    let h = entry_hash(&entry(1, 5, 0));
    assert_eq!(parse_hex(&hex(&h)), Some(h));
    assert_eq!(parse_hex("zz"), None);
    let c = Origin { epoch: 2, seq: 41 };
    assert_eq!(parse_cut(&format_cut(c)), Some(c));
    assert_eq!(parse_cut("2-41"), None);
}

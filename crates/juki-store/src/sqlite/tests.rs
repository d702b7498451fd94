//! Tests of what is SQLite's own in the bulk path: loads into a non-empty store, every kind of
//! change within one load, limits on memory, interrupted loads, record-id hash collisions.

use super::bulk::{self, LIMITS};
use super::schema;
use crate::conformance::{code, node, raw, valid};
use crate::{CodePool, Outcome, SearchQuery, SqliteOptions, SqliteStore, Store};
use juki_domain::change::RawChange;
use juki_domain::name::kana_search_key;
use juki_domain::{BirthDate, ChangeKind, ResidentCode, Sex, ValidatedChange};
use std::path::Path;

const NOW_MS: i64 = 1_775_000_000_000;

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, SqliteOptions::default()).expect("open")
}

fn pair() -> (tempfile::TempDir, SqliteStore, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = open(&dir.path().join("a.db"));
    let b = open(&dir.path().join("b.db"));
    for s in [&a, &b] {
        s.add_code_pool(CodePool {
            start: 131_140_000,
            end: 131_140_100,
        })
        .expect("pool");
    }
    (dir, a, b)
}

/// Move-ins of residents `from..to`, record ids `{prefix}{i}`.
fn move_ins(prefix: &str, from: u64, to: u64) -> Vec<ValidatedChange> {
    (from..to)
        .map(|i| {
            valid(&RawChange {
                family_name_kana: format!("ササキ{}", ["", "ア", "イ"][i as usize % 3]),
                household_head: if i % 2 == 0 {
                    "佐々木健".into()
                } else {
                    String::new()
                },
                ..raw(
                    ChangeKind::MoveIn,
                    &format!("{prefix}{i}"),
                    Some(code(1_400_000_000 + i)),
                )
            })
        })
        .collect()
}

/// Every kind of change about residents `0..20` of [`move_ins`], with births, duplicates and
/// refusals.
fn amendments(prefix: &str) -> Vec<ValidatedChange> {
    let c = |i: u64| Some(code(1_400_000_000 + i));
    let id = |s: &str| format!("{prefix}{s}");
    let mut rows = vec![
        RawChange {
            address: "中野三丁目1番1号".into(),
            address_since: "2026-05-01".into(),
            effective_date: "2026-05-01".into(),
            ..raw(ChangeKind::MoveWithin, &id("w1"), c(1))
        },
        RawChange {
            given_name: "陽奈".into(),
            relationship: "子".into(),
            ..raw(ChangeKind::ClericalCorrection, &id("k1"), c(2))
        },
        raw(ChangeKind::Death, &id("d1"), c(3)),
        RawChange {
            planned_date: "2026-04-20".into(),
            destination_code: "272191".into(),
            destination_address: "府中町1番地".into(),
            ..raw(ChangeKind::MoveOut, &id("o1"), c(4))
        },
        raw(ChangeKind::CodeChange, &id("r1"), c(5)),
        // The code changed away is closed: amending it is refused, the new code is fine.
        raw(ChangeKind::MoveWithin, &id("w2"), c(5)),
        RawChange {
            birth_date: "2026-04-01".into(),
            ..raw(ChangeKind::Birth, &id("b1"), None)
        },
        RawChange {
            birth_date: "2026-04-02".into(),
            effective_date: "2026-04-02".into(),
            ..raw(ChangeKind::Birth, &id("b2"), None)
        },
        // A returning resident, a second move-in of a registered one, an unknown one.
        raw(ChangeKind::MoveIn, &id("i3"), c(3)),
        raw(ChangeKind::MoveIn, &id("i6"), c(6)),
        raw(ChangeKind::MoveWithin, &id("w9"), Some(code(1_499_999_999))),
        // Amending the same resident twice in a row.
        RawChange {
            household_head: "別の人".into(),
            ..raw(ChangeKind::MoveWithin, &id("w7a"), c(7))
        },
        RawChange {
            relationship: "妻".into(),
            ..raw(ChangeKind::ClericalCorrection, &id("w7b"), c(7))
        },
    ];
    // A record id seen before, with other content.
    rows.push(raw(ChangeKind::Death, &id("w1"), c(8)));
    rows.iter().map(valid).collect()
}

/// Asserts that the two stores hold the same: journal, counts, records, searches.
fn assert_same(a: &SqliteStore, b: &SqliteStore, codes: impl IntoIterator<Item = ResidentCode>) {
    assert_eq!(
        a.journal_after(0, 10_000).expect("journal"),
        b.journal_after(0, 10_000).expect("journal")
    );
    assert_eq!(a.stats().expect("stats"), b.stats().expect("stats"));
    for c in codes {
        assert_eq!(
            a.record(c).expect("record"),
            b.record(c).expect("record"),
            "{c}"
        );
    }
    for key in ["ササキヒナ", "ササキアヒナ", "ササキイヒナ", "ササキヒナ"] {
        for birth in ["1998-07-14", "2026-04-01"] {
            let q = SearchQuery {
                search_key: kana_search_key(key),
                birth_date: BirthDate::parse_stored(birth).expect("birth"),
                sex: Sex::Female,
                address_code: None,
                address_prefix: None,
                include_closed: true,
                after: None,
                limit: 1000,
            };
            assert_eq!(a.search(&q).expect("search"), b.search(&q).expect("search"));
        }
    }
}

fn all_codes() -> impl Iterator<Item = ResidentCode> {
    (0..40)
        .map(|i| code(1_400_000_000 + i))
        .chain((131_140_000..131_140_004).map(code))
}

fn bulk(s: &SqliteStore, rows: &[ValidatedChange], batch: usize) -> Vec<Outcome> {
    let mut seen = Vec::new();
    s.bulk_load(
        node(),
        NOW_MS,
        &mut rows.chunks(batch).map(|c| c.to_vec()),
        &mut |o| seen.extend_from_slice(o),
    )
    .expect("bulk load");
    seen
}

fn apply(s: &SqliteStore, rows: &[ValidatedChange], batch: usize) -> Vec<Outcome> {
    rows.chunks(batch)
        .flat_map(|c| s.apply(node(), NOW_MS, c).expect("apply"))
        .collect()
}

/// The deferrable indexes a store has.
fn indexes(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let deferrable: Vec<&str> = schema::DEFERRABLE_INDEXES.iter().map(|(n, _)| *n).collect();
    let mut st = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("prepare");
    st.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<Vec<String>, _>>()
        .expect("names")
        .into_iter()
        .filter(|n| deferrable.contains(&n.as_str()))
        .collect()
}

#[test]
fn every_kind_of_change_in_one_load_equals_apply() {
    let (dir, a, b) = pair();
    let mut rows = move_ins("M", 0, 30);
    rows.extend(amendments("A"));
    rows.extend(move_ins("N", 30, 40));
    let outcomes = bulk(&a, &rows, 7);
    assert_eq!(outcomes, apply(&b, &rows, 5));
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    assert_eq!(count(|o| matches!(o, Outcome::Applied { .. })), 40 + 10);
    assert_eq!(count(|o| matches!(o, Outcome::Duplicate { .. })), 1);
    assert_eq!(count(|o| matches!(o, Outcome::Refused(_))), 3);
    assert_same(&a, &b, all_codes());
    assert_eq!(
        indexes(&dir.path().join("a.db")),
        ["journal_four_facts", "journal_idempotency"]
    );
}

#[test]
fn a_load_into_a_store_that_holds_residents_equals_apply() {
    let (_dir, a, b) = pair();
    let first = move_ins("M", 0, 20);
    apply(&a, &first, 8);
    apply(&b, &first, 8);
    // Amendments of residents already stored, new ones, and record ids already recorded.
    let mut rows = amendments("A");
    rows.extend(move_ins("N", 20, 40));
    rows.extend(move_ins("M", 0, 3));
    let outcomes = bulk(&a, &rows, 6);
    assert_eq!(outcomes, apply(&b, &rows, 4));
    assert!(
        outcomes[outcomes.len() - 3..]
            .iter()
            .all(|o| matches!(o, Outcome::Duplicate { .. }))
    );
    assert_same(&a, &b, all_codes());
    // A second load, record ids of the first among them.
    let again = amendments("A");
    assert_eq!(bulk(&a, &again, 50), apply(&b, &again, 50));
    assert_same(&a, &b, all_codes());
}

#[test]
fn past_the_memory_limits_a_load_goes_on_without_them() {
    let (_dir, a, b) = pair();
    let mut rows = move_ins("M", 0, 30);
    rows.extend(amendments("A"));
    rows.extend(move_ins("N", 30, 40));
    rows.extend(move_ins("M", 10, 12));
    LIMITS.with(|l| l.set((5, 5)));
    let outcomes = bulk(&a, &rows, 4);
    LIMITS.with(|l| l.set((usize::MAX, usize::MAX)));
    assert_eq!(outcomes, apply(&b, &rows, 9));
    assert_same(&a, &b, all_codes());
}

fn count(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// Loads `rows` in batches of 10 into a new store at `path`, stopping as a crash would after
/// `committed` batches, with the memory limits `limits`.
fn interrupted(path: &Path, rows: &[ValidatedChange], committed: usize, limits: (usize, usize)) {
    let a = open(path);
    a.add_code_pool(CodePool {
        start: 131_140_000,
        end: 131_140_100,
    })
    .expect("pool");
    let mut batches = 0;
    LIMITS.with(|l| l.set(limits));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.bulk_load(
            node(),
            NOW_MS,
            &mut rows.chunks(10).map(|c| c.to_vec()),
            &mut |_| {
                batches += 1;
                assert!(batches < committed, "interrupted");
            },
        )
    }));
    LIMITS.with(|l| l.set((usize::MAX, usize::MAX)));
    assert!(result.is_err());
    // The writer is back to waiting for the disk on every commit.
    let synchronous: i64 = a
        .writer()
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .expect("pragma");
    assert_eq!(synchronous, 2, "FULL");
}

#[test]
fn an_interrupted_load_is_completed_when_the_store_is_opened() {
    let mut rows = move_ins("M", 0, 30);
    rows.extend(amendments("A"));
    rows.extend(move_ins("N", 30, 40));
    // Interrupted with everything in memory, and after the residents were written out once.
    for (limits, written) in [((usize::MAX, usize::MAX), 0), ((15, 15), 20)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.db");
        interrupted(&path, &rows, 3, limits);
        // Journal entries without their residents, and no deferred indexes: until opened again.
        assert_eq!(count(&path, "SELECT count(*) FROM journal"), 30);
        assert_eq!(count(&path, "SELECT count(*) FROM residents"), written);
        assert_eq!(indexes(&path).len(), usize::from(written > 0));
        let a = open(&path);
        let twin = open(&dir.path().join("b.db"));
        twin.add_code_pool(CodePool {
            start: 131_140_000,
            end: 131_140_100,
        })
        .expect("pool");
        apply(&twin, &rows[..30], 30);
        assert_same(&a, &twin, all_codes());
        assert_eq!(
            indexes(&path),
            ["journal_four_facts", "journal_idempotency"]
        );
        let marks = format!(
            "SELECT count(*) FROM meta WHERE key = '{}'",
            schema::BULK_RESIDENTS_AFTER
        );
        assert_eq!(count(&path, &marks), 0);
        // It goes on from there like any store.
        assert_eq!(bulk(&a, &rows[30..], 8), apply(&twin, &rows[30..], 8));
        assert_same(&a, &twin, all_codes());
    }
}

#[test]
fn record_ids_with_the_same_hash_are_told_apart() {
    let (_dir, a, _b) = pair();
    let rows = move_ins("M", 0, 3);
    apply(&a, &rows, 3);
    let mut conn = a.writer();
    let tx = conn.transaction().expect("tx");
    let mut ids = bulk::RecordIds::new();
    let (n, hash) = (node(), 42);
    // Entries 1..=3 hold M0, M1, M2; all three ids are given the same hash.
    assert_eq!(ids.claim(&tx, hash, n, "M0", 1).expect("claim"), None);
    assert_eq!(ids.claim(&tx, hash, n, "M1", 2).expect("claim"), None);
    assert_eq!(ids.claim(&tx, hash, n, "M2", 3).expect("claim"), None);
    for (id, seq) in [("M0", 1), ("M1", 2), ("M2", 3)] {
        let found = Some((seq, code(1_400_000_000 + seq - 1)));
        assert_eq!(ids.claim(&tx, hash, n, id, 9).expect("claim"), found);
        assert_eq!(ids.get(&tx, hash, n, id).expect("get"), found);
    }
    assert_eq!(ids.get(&tx, hash, n, "M3").expect("get"), None);
    assert_eq!(ids.get(&tx, 43, n, "M0").expect("get"), None);
}

/// A consistent copy of `s` as it stands, as a backup takes it.
fn copy_of(s: &SqliteStore, to: &Path) -> SqliteStore {
    let conn = rusqlite::Connection::open(s.path()).expect("open");
    conn.execute("VACUUM INTO ?1", [to.to_str().expect("utf-8")])
        .expect("vacuum into");
    drop(conn);
    open(to)
}

fn segment(s: &SqliteStore, after: u64) -> String {
    let mut out = Vec::new();
    let summary = s.export_segment(after, &mut out).expect("export");
    let text = String::from_utf8(out).expect("utf-8");
    assert_eq!(crate::segment_summary(&text).expect("header"), summary);
    text
}

fn touched_codes() -> Vec<ResidentCode> {
    (0..30)
        .map(|i| code(1_400_000_000 + i))
        .chain((131_140_000..131_140_010).map(code))
        .collect()
}

/// Changes in three parts at a municipal node: the store after part 1 is backed up, parts 2
/// and 3 go into one segment; the segment applied whole gives the store, applied up to the end
/// of part 2 gives the store as it was then.
#[test]
fn a_segment_brings_a_copy_to_the_store_whole_or_up_to_a_sequence() {
    let (dir, a, _) = pair();
    a.apply(node(), NOW_MS, &move_ins("S", 0, 30))
        .expect("apply");
    let snapshot = copy_of(&a, &dir.path().join("snap.db"));
    let after = a.stats().expect("stats").journal_head;
    let changes = amendments("S");
    let (part2, part3) = changes.split_at(changes.len() / 2);
    a.apply(node(), NOW_MS, part2).expect("apply");
    let then = copy_of(&a, &dir.path().join("then.db"));
    let mid = a.stats().expect("stats").journal_head;
    a.apply(node(), NOW_MS, part3).expect("apply");
    let sql = segment(&a, after);

    let whole = copy_of(&snapshot, &dir.path().join("whole.db"));
    let applied = whole.apply_segment(&sql, None).expect("apply whole");
    assert_eq!(applied.to, a.stats().expect("stats").journal_head);
    assert_same(&whole, &a, touched_codes());

    let partial = copy_of(&snapshot, &dir.path().join("partial.db"));
    let applied = partial.apply_segment(&sql, Some(mid)).expect("apply part");
    assert_eq!((applied.after, applied.to), (after, mid));
    assert_same(&partial, &then, touched_codes());
    // The next code assigned is past every code the replayed entries used.
    let born = partial
        .apply(
            node(),
            NOW_MS,
            &[valid(&crate::conformance::birth_row("S-new"))],
        )
        .expect("apply");
    let [Outcome::Applied { resident_code, .. }] = born.as_slice() else {
        panic!("{born:?}")
    };
    assert!(
        then.record(*resident_code).expect("read").is_none(),
        "{resident_code} reused"
    );

    // A segment applies only to a store at its start.
    let err = snapshot
        .apply_segment(&segment(&a, after + 1), None)
        .unwrap_err();
    assert!(err.to_string().contains("follows sequence"), "{err}");
    assert!(crate::segment_summary("SELECT 1;").is_err());
}

/// At an upper tier (entries forwarded from a child, records chosen by the convergence rule)
/// a segment applied up to a sequence gives the store as it was then.
#[test]
fn an_upper_tier_segment_up_to_a_sequence_gives_the_store_then() {
    let (dir, m, _) = pair();
    m.apply(node(), NOW_MS, &move_ins("U", 0, 30))
        .expect("apply");
    m.apply(node(), NOW_MS, &amendments("U")).expect("apply");
    let sent = crate::conformance::net::forwardable(&m);
    let (first, rest) = sent.split_at(30);
    let (second, third) = rest.split_at(rest.len() / 2);
    let upper = open(&dir.path().join("upper.db"));
    let link = crate::LinkFrom {
        node: "131148".into(),
        epoch: 1,
    };
    upper.receive(&link, first).expect("receive");
    let snapshot = copy_of(&upper, &dir.path().join("snap.db"));
    let after = upper.stats().expect("stats").journal_head;
    upper.receive(&link, second).expect("receive");
    let then = copy_of(&upper, &dir.path().join("then.db"));
    let mid = upper.stats().expect("stats").journal_head;
    upper.receive(&link, third).expect("receive");
    let sql = segment(&upper, after);
    snapshot.apply_segment(&sql, Some(mid)).expect("apply part");
    assert_same(&snapshot, &then, touched_codes());
}

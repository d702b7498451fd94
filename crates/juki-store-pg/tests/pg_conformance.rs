//! The conformance suite against the PostgreSQL store on the shared server (127.0.0.1:5432,
//! role `postgres`), plus what is PostgreSQL's own. Each test makes its own database (each of
//! its stores a schema there) and drops it after, so runs never interfere.

// Tests: a failed unwrap fails the test.
#![allow(clippy::unwrap_used)]

use juki_store::Store;
use juki_store_pg::{PgOptions, PgStore};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A database of its own, dropped with the guard.
struct Database {
    name: String,
}

impl Database {
    fn new() -> Database {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "juki_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        assert!(
            juki_store_pg::create_database(&format!("{SERVER}/{name}")).unwrap(),
            "database {name} existed already"
        );
        Database { name }
    }

    fn url(&self) -> String {
        format!("{SERVER}/{}", self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&format!("{SERVER}/postgres"), postgres::NoTls)
        {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The database of this test (nextest runs each test in a process of its own), shared by the
/// stores it opens at once, each in a schema of its own; dropped with the last of them.
fn database() -> Arc<Database> {
    static CURRENT: Mutex<Weak<Database>> = Mutex::new(Weak::new());
    let mut current = CURRENT.lock().unwrap();
    current.upgrade().unwrap_or_else(|| {
        let db = Arc::new(Database::new());
        *current = Arc::downgrade(&db);
        db
    })
}

/// A store in a new schema of [`database`]; the guard drops the schema, then (with the last
/// guard) the database.
fn fresh() -> (Box<dyn Store>, Box<dyn Any>) {
    static SCHEMAS: AtomicU64 = AtomicU64::new(0);
    let db = database();
    let schema = format!("node_{}", SCHEMAS.fetch_add(1, Ordering::Relaxed));
    let store = PgStore::open(&db.url(), &schema, PgOptions::default()).expect("open");
    (Box::new(store), Box::new(Schema { db, schema }))
}

struct Schema {
    db: Arc<Database>,
    schema: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.db.url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

juki_store::conformance_tests!(fresh);

#[test]
fn data_survives_reopening() {
    use juki_store::conformance::*;
    let db = Database::new();
    {
        let s = PgStore::open(&db.url(), "node_131148", PgOptions::default()).unwrap();
        let c = valid(&raw(
            juki_domain::ChangeKind::MoveIn,
            "R1",
            Some(code(1_234_567_890)),
        ));
        s.apply(node(), 0, &[c]).unwrap();
    }
    let s = PgStore::open(&db.url(), "node_131148", PgOptions::default()).unwrap();
    assert!(s.record(code(1_234_567_890)).unwrap().is_some());
    assert_eq!(s.stats().unwrap().residents_current, 1);
}

#[test]
fn schemas_of_one_database_are_separate_stores() {
    use juki_store::conformance::*;
    let db = Database::new();
    let a = PgStore::open(&db.url(), "node_a", PgOptions::default()).unwrap();
    let b = PgStore::open(&db.url(), "node_b", PgOptions::default()).unwrap();
    let c = valid(&raw(
        juki_domain::ChangeKind::MoveIn,
        "R1",
        Some(code(1_234_567_890)),
    ));
    a.apply(node(), 0, &[c]).unwrap();
    assert_eq!(a.stats().unwrap().journal_head, 1);
    assert_eq!(b.stats().unwrap().journal_head, 0);
    assert!(b.record(code(1_234_567_890)).unwrap().is_none());
}

#[test]
fn a_store_from_a_newer_juki_is_refused() {
    let db = Database::new();
    drop(PgStore::open(&db.url(), "node_131148", PgOptions::default()).unwrap());
    let mut c = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
    c.batch_execute("INSERT INTO node_131148.schema_migrations (version) VALUES (999)")
        .unwrap();
    drop(c);
    let err = PgStore::open(&db.url(), "node_131148", PgOptions::default()).unwrap_err();
    assert_eq!(err.def().code, "JK-STORE-0103");
}

#[test]
fn a_server_that_does_not_answer_is_a_clear_error() {
    // Nothing listens on port 1: the connection is refused at once.
    let started = std::time::Instant::now();
    let err = PgStore::open(
        "postgres://postgres@127.0.0.1:1/juki",
        "node_131148",
        PgOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.def().code, "JK-STORE-0106", "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_schema_name_that_needs_quoting_is_refused() {
    for bad in ["", "Node", "1node", "node-1", "node;drop"] {
        assert!(!juki_store_pg::valid_schema_name(bad), "{bad}");
    }
    assert!(juki_store_pg::valid_schema_name("node_131148"));
}

/// Every row of the store's journal, residents, small tables and counts, as JSON text.
fn rows_of(url: &str, schema: &str) -> Vec<String> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut out = Vec::new();
    for (table, order) in [
        ("journal", "seq"),
        ("residents", "resident_code"),
        ("code_pools", "start_body"),
        ("links", "name"),
        ("links_in", "node, epoch"),
        ("epochs", "epoch"),
        ("meta", "key"),
    ] {
        for r in c
            .query(
                &format!("SELECT row_to_json(t)::text FROM {schema}.{table} t ORDER BY {order}"),
                &[],
            )
            .unwrap()
        {
            out.push(format!("{table} {}", r.get::<_, String>(0)));
        }
    }
    out
}

/// Changes in three parts: a copy at the end of part 1 gets the segment of parts 2 and 3;
/// applied whole it is the store, applied up to the end of part 2 it is the store as it was
/// then. Text with quotes and backslashes reads back exactly.
#[test]
fn a_segment_brings_a_copy_to_the_store_whole_or_up_to_a_sequence() {
    use juki_domain::{ChangeKind, RawChange};
    use juki_store::conformance::*;
    let db = Database::new();
    let open = |schema: &str| PgStore::open(&db.url(), schema, PgOptions::default()).unwrap();
    let stores = ["node_live", "node_whole", "node_part", "node_then"].map(open);
    let [live, whole, part, then] = &stores;
    let c = |i: u64| Some(code(1_400_000_000 + i));
    let part1: Vec<_> = (0..10)
        .map(|i| {
            valid(&RawChange {
                address: format!("中野'{i}' \\ 一丁目{i}番"),
                ..raw(ChangeKind::MoveIn, &format!("S{i}"), c(i))
            })
        })
        .collect();
    let part2 = [
        raw(ChangeKind::Death, "S-d1", c(3)),
        RawChange {
            given_name: "陽奈".into(),
            ..raw(ChangeKind::ClericalCorrection, "S-k1", c(2))
        },
    ]
    .map(|r| valid(&r));
    let part3 = [
        raw(ChangeKind::MoveIn, "S10", c(10)),
        RawChange {
            address: "中野三丁目1番1号".into(),
            address_since: "2026-05-01".into(),
            effective_date: "2026-05-01".into(),
            ..raw(ChangeKind::MoveWithin, "S-w1", c(1))
        },
    ]
    .map(|r| valid(&r));
    for s in &stores {
        s.apply(node(), 1_000, &part1).unwrap();
    }
    let after = live.stats().unwrap().journal_head;
    for s in [live, then] {
        s.apply(node(), 2_000, &part2).unwrap();
    }
    let mid = live.stats().unwrap().journal_head;
    live.apply(node(), 3_000, &part3).unwrap();

    let mut sql = Vec::new();
    let summary = live.export_segment(after, &mut sql).unwrap();
    let sql = String::from_utf8(sql).unwrap();
    assert_eq!(juki_store::segment_summary(&sql).unwrap(), summary);
    assert_eq!(
        (summary.after, summary.to),
        (after, live.stats().unwrap().journal_head)
    );
    assert_eq!(summary.last_recorded_at_ms, Some(3_000));

    let applied = whole.apply_segment(&sql, None).unwrap();
    assert_eq!(applied, summary);
    let strip = |rows: Vec<String>| rows;
    assert_eq!(
        strip(rows_of(&db.url(), "node_whole")),
        rows_of(&db.url(), "node_live")
    );

    let applied = part.apply_segment(&sql, Some(mid)).unwrap();
    assert_eq!((applied.after, applied.to), (after, mid));
    assert_eq!(applied.last_recorded_at_ms, Some(2_000));
    assert_eq!(
        rows_of(&db.url(), "node_part"),
        rows_of(&db.url(), "node_then")
    );

    // A segment applies only to a store at its start, and a SQLite store's is not this one's.
    let err = whole.apply_segment(&sql, None).unwrap_err();
    assert!(err.to_string().contains("follows sequence"), "{err}");
    let sqlite_like = sql.replace("ON CONFLICT", "INSERT OR REPLACE");
    assert!(part.apply_segment(&sqlite_like, None).is_err());
}

/// A load into a new store large enough that the journal's rows go to the server in several
/// chunks per batch, with changes that make it read back mid-batch (a resident changed again
/// in the same batch and in a later one, a code assigned from the pool, a repeated record id),
/// ends as the same changes applied one call at a time; so does a large batch loaded into it
/// then, when it is no longer new.
#[test]
fn a_large_bulk_load_equals_apply() {
    use juki_domain::ChangeKind;
    use juki_store::CodePool;
    use juki_store::conformance::{birth_row, code, node, raw, valid};
    let (s, _g1) = fresh();
    let (twin, _g2) = fresh();
    let pool = CodePool {
        start: 131_150_000,
        end: 131_160_000,
    };
    let mut rows = Vec::new();
    for i in 0..12_000u64 {
        let row = match i {
            // Changes of residents recorded earlier in the batch and in an earlier batch.
            9_000 => raw(
                ChangeKind::Death,
                "L-death-a",
                Some(code(1_400_000_000 + 6_000)),
            ),
            9_001 => raw(
                ChangeKind::Death,
                "L-death-b",
                Some(code(1_400_000_000 + 1)),
            ),
            9_002 => raw(ChangeKind::MoveIn, "L5", Some(code(1_400_000_000 + 5))),
            _ if i % 1_000 == 500 => birth_row(&format!("L-birth-{i}")),
            _ => raw(
                ChangeKind::MoveIn,
                &format!("L{i}"),
                Some(code(1_400_000_000 + i)),
            ),
        };
        rows.push(valid(&row));
    }
    for store in [&s, &twin] {
        store.add_code_pool(pool).unwrap();
    }
    for chunk in rows.chunks(500) {
        s.apply(node(), 1_775_000_000_000, chunk).unwrap();
    }
    let mut batches = rows.chunks(5_000).map(|c| c.to_vec());
    let mut seen = 0;
    let summary = twin
        .bulk_load(node(), 1_775_000_000_000, &mut batches, &mut |o| {
            seen += o.len()
        })
        .unwrap();
    assert_eq!(seen, rows.len());
    assert_eq!(summary.duplicates, 1);
    let journal = |store: &dyn Store| {
        let mut all = Vec::new();
        loop {
            let page = store.journal_after(all.len() as u64, 1_000).unwrap();
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    };
    assert_eq!(journal(&*s), journal(&*twin));
    assert_eq!(s.stats().unwrap(), twin.stats().unwrap());
    for i in [0, 1, 5, 6_000, 11_999] {
        let c = code(1_400_000_000 + i);
        assert_eq!(s.record(c).unwrap(), twin.record(c).unwrap());
    }
    // Into a store that holds data: one batch of several MiB, checked change by change.
    let more: Vec<_> = (12_000..18_000u64)
        .map(|i| match i {
            17_000 => raw(
                ChangeKind::Death,
                "L-death-c",
                Some(code(1_400_000_000 + 2)),
            ),
            _ => raw(
                ChangeKind::MoveIn,
                &format!("L{i}"),
                Some(code(1_400_000_000 + i)),
            ),
        })
        .map(|r| valid(&r))
        .collect();
    for chunk in more.chunks(500) {
        s.apply(node(), 1_775_000_000_000, chunk).unwrap();
    }
    twin.bulk_load(
        node(),
        1_775_000_000_000,
        &mut std::iter::once(more.clone()),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(journal(&*s), journal(&*twin));
    assert_eq!(s.stats().unwrap(), twin.stats().unwrap());
}

/// A write between two batches of a load into a new store stops the load with `Busy` (what the
/// load holds in memory no longer describes the store); the batch committed before it is kept
/// and reported, and the deferred indexes are back.
#[test]
fn a_write_between_batches_of_a_new_load_stops_it() {
    use juki_domain::ChangeKind;
    use juki_store::conformance::{code, node, raw, valid};
    use juki_store::{Outcome, StoreError};
    let (s, _g) = fresh();
    let now = 1_775_000_000_000;
    let change = |i: u64| {
        valid(&raw(
            ChangeKind::MoveIn,
            &format!("W{i}"),
            Some(code(1_500_000_000 + i)),
        ))
    };
    let rows: Vec<_> = (0..20).map(change).collect();
    let mut taken = 0;
    let mut batches = rows.chunks(10).map(|c| c.to_vec()).inspect(|_| {
        taken += 1;
        if taken == 2 {
            s.apply(node(), now, &[change(100)]).unwrap();
        }
    });
    let mut reported = 0;
    let loaded = s.bulk_load(node(), now, &mut batches, &mut |o| reported += o.len());
    assert!(matches!(loaded, Err(StoreError::Busy)), "{loaded:?}");
    assert_eq!(reported, 10);
    assert_eq!(s.stats().unwrap().journal_head, 11);
    let again = s.apply(node(), now, &rows[..1]).unwrap();
    assert!(
        matches!(again[..], [Outcome::Duplicate { seq: 1, .. }]),
        "{again:?}"
    );
}

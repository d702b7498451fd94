//! Foundation benchmarks (not timed tests): synthesis, validation, bulk load into SQLite
//! beside plain SQLite and beside SQLite alone writing the same journal rows, the whole
//! `juki load` pipeline, and lookup latency in the store.
//!
//! `cargo bench -p juki --bench foundation` (JUKI_BENCH_RESIDENTS sets the size, default
//! 1,000,000). Figures go to docs/BENCHMARKS.md; each is the median of several runs where
//! the run is short enough to repeat.

use juki_domain::change::{ValidationContext, validate};
use juki_domain::{LocalGovernmentCode, ResidentCode};
use juki_gateway::{ChangeReader, LoadOptions};
use juki_store::{SqliteOptions, SqliteStore, Store};
use juki_synth::SynthOptions;
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let n: u64 = std::env::var("JUKI_BENCH_RESIDENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let node = LocalGovernmentCode::parse("131148").expect("valid");
    let effective = jiff::civil::date(2026, 4, 1);
    let today = jiff::civil::date(2026, 11, 1);
    let tmp =
        tempfile::tempdir_in(std::env::var_os("JUKI_BENCH_DIR").unwrap_or_else(|| ".".into()))
            .expect("temp dir");
    println!(
        "# juki foundation benchmark: {n} residents, node 131148 (中野区), dir {}",
        tmp.path().display()
    );
    println!("# command: cargo bench -p juki --bench foundation");

    // Synthesis into memory.
    let opts = SynthOptions {
        residents: n,
        seed: 1,
        municipalities: vec![node],
        effective_date: effective,
    };
    let mut rates = Vec::new();
    let mut csv = Vec::new();
    for _ in 0..3 {
        csv = Vec::with_capacity(n as usize * 200);
        let t = Instant::now();
        juki_synth::write_csv(&opts, &mut csv, &mut |_| {}).expect("synth");
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    println!(
        "synth (to memory, {} threads): median {:.0} residents/s, {:.1} MB",
        juki_synth::default_threads(),
        median(rates),
        csv.len() as f64 / 1e6
    );

    // Parse + validate (one thread).
    let ctx = ValidationContext { node, today };
    let t = Instant::now();
    let changes: Vec<_> = ChangeReader::new(csv.as_slice())
        .expect("header")
        .map(|r| validate(&r.expect("row").1, &ctx).expect("synthetic rows are valid"))
        .collect();
    let secs = t.elapsed().as_secs_f64();
    println!("parse + validate (1 thread): {:.0} rows/s", n as f64 / secs);

    // Bulk load of validated changes into an empty store.
    let batches = |size: usize| changes.chunks(size).map(|c| c.to_vec()).collect::<Vec<_>>();
    let mut load_rates = Vec::new();
    let mut index_ms = 0;
    for run in 0..3 {
        let path = tmp.path().join(format!("bulk-{run}.db"));
        let store = SqliteStore::open(&path, SqliteOptions::default()).expect("open");
        let mut it = batches(100_000).into_iter();
        let t = Instant::now();
        let s = store
            .bulk_load(node, 0, &mut it, &mut |_| {})
            .expect("bulk load");
        load_rates.push(n as f64 / t.elapsed().as_secs_f64());
        index_ms = s.index_build_ms;
        assert_eq!(s.applied, n);
    }
    println!(
        "juki bulk load into SQLite (journal + records + indexes, durable at end): median {:.0} residents/s (index build {index_ms} ms)",
        median(load_rates)
    );

    sqlite_floor(&tmp.path().join("bulk-0.db"), n);

    if std::env::var("JUKI_BENCH_ONLY").as_deref() == Ok("bulk") {
        return;
    }
    // The alternative: plain SQLite, the same rows into one table with the same indexes.
    let mut plain_rates = Vec::new();
    for run in 0..3 {
        let path = tmp.path().join(format!("plain-{run}.db"));
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;
             CREATE TABLE residents (resident_code INTEGER PRIMARY KEY, record_id TEXT, kind TEXT, effective_date TEXT,
               family_name TEXT, given_name TEXT, family_name_kana TEXT, given_name_kana TEXT, birth_date TEXT, sex TEXT,
               lgc INTEGER, address TEXT);",
        )
        .expect("schema");
        let rows: Vec<_> = ChangeReader::new(csv.as_slice())
            .expect("header")
            .map(|r| r.expect("row").1)
            .collect();
        let t = Instant::now();
        let tx = conn.unchecked_transaction().expect("tx");
        {
            let mut st = tx
                .prepare("INSERT INTO residents VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)")
                .expect("prepare");
            for r in &rows {
                st.execute(rusqlite::params![
                    r.resident_code.parse::<i64>().expect("code"),
                    r.record_id,
                    r.change_kind,
                    r.effective_date,
                    r.family_name,
                    r.given_name,
                    r.family_name_kana,
                    r.given_name_kana,
                    r.birth_date,
                    r.sex,
                    r.local_government_code.parse::<i64>().expect("lgc"),
                    r.address
                ])
                .expect("insert");
            }
        }
        tx.execute_batch("CREATE INDEX four ON residents (family_name_kana, given_name_kana, birth_date, sex); CREATE UNIQUE INDEX idem ON residents (record_id);").expect("index");
        tx.commit().expect("commit");
        conn.query_row("PRAGMA wal_checkpoint(FULL)", [], |_| Ok(()))
            .expect("checkpoint");
        plain_rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    println!(
        "plain SQLite (one table, no validation, no journal, no history): median {:.0} residents/s",
        median(plain_rates)
    );

    // The whole `juki load` pipeline from CSV bytes: parse + validate + store, pipelined.
    let path = tmp.path().join("pipeline.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).expect("open");
    let t = Instant::now();
    let report = juki_gateway::load(
        csv.as_slice(),
        &store,
        &LoadOptions {
            node,
            today,
            now_ms: 0,
            batch_size: 100_000,
        },
        &mut |_| {},
        &mut |_, _| {},
    )
    .expect("load");
    assert_eq!(report.applied, n);
    println!(
        "juki load pipeline (CSV -> validate -> SQLite): {:.0} rows/s",
        n as f64 / t.elapsed().as_secs_f64()
    );

    // Lookups by resident code (record with history), random codes of the population.
    let codes: Vec<ResidentCode> = changes
        .iter()
        .map(|c| c.resident_code.expect("synthetic codes are given"))
        .collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let c = codes[(next() % codes.len() as u64) as usize];
        store.record(c).expect("lookup").expect("present");
    }
    let mut lat = Vec::with_capacity(200_000);
    for _ in 0..200_000 {
        let c = codes[(next() % codes.len() as u64) as usize];
        let t = Instant::now();
        let r = store.record(c).expect("lookup");
        lat.push(t.elapsed());
        assert!(r.is_some());
    }
    lat.sort();
    println!(
        "lookup by resident code in the store (record + history, 200,000 random): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        percentile(&lat, 0.5).as_secs_f64() * 1e6,
        percentile(&lat, 0.99).as_secs_f64() * 1e6,
        lat.last().expect("nonempty").as_secs_f64() * 1e6
    );
}

/// What SQLite alone takes for the rows juki's bulk load writes: the journal rows of a loaded
/// store read back into memory, then appended by one prepared statement into a new store of
/// the same schema (juki's migrations; page size, WAL, `synchronous = NORMAL` and cache as the
/// load's writer; the two indexes the load defers dropped), 100,000 rows per transaction, then
/// those two indexes built as the load builds them and the WAL checkpointed; no engine, no
/// validation, no residents table.
fn sqlite_floor(loaded: &std::path::Path, n: u64) {
    use rusqlite::types::Value;
    let src = rusqlite::Connection::open(loaded).expect("open loaded");
    let columns = "recorded_by, record_id, kind, effective_date, notified_date, planned_date, \
         destination_code, destination_address, recorded_at_ms, resident_code, previous_code, \
         prev_seq, status, search_key, birth_date, sex, snapshot, origin_epoch, origin_seq";
    let mut st = src
        .prepare(&format!("SELECT {columns} FROM journal ORDER BY seq"))
        .expect("select");
    let rows: Vec<Vec<Value>> = st
        .query_map([], |r| (0..19).map(|i| r.get::<_, Value>(i)).collect())
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    drop(st);
    let bytes: usize = rows
        .iter()
        .flatten()
        .map(|v| match v {
            Value::Text(t) => t.len(),
            Value::Blob(b) => b.len(),
            Value::Null => 0,
            _ => 8,
        })
        .sum();
    let mut rates = Vec::new();
    let (mut insert_s, mut index_s) = (Vec::new(), Vec::new());
    for run in 0..3 {
        let path = loaded.with_file_name(format!("floor-{run}.db"));
        // juki's own schema (its migrations), then the load's settings.
        drop(SqliteStore::open(&path, SqliteOptions::default()).expect("schema"));
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144; PRAGMA wal_autocheckpoint=16384;
             DROP INDEX journal_idempotency; DROP INDEX journal_four_facts;",
        )
        .expect("settings");
        let t = Instant::now();
        for chunk in rows.chunks(100_000) {
            let tx = conn.transaction().expect("tx");
            {
                let mut ins = tx
                    .prepare_cached(&format!(
                        "INSERT INTO journal ({columns}) VALUES ({})",
                        vec!["?"; 19].join(", ")
                    ))
                    .expect("prepare");
                for r in chunk {
                    ins.execute(rusqlite::params_from_iter(r)).expect("insert");
                }
            }
            tx.commit().expect("commit");
        }
        let inserted = t.elapsed();
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA temp_store=FILE; PRAGMA cache_size=-4096; PRAGMA threads=1;
             BEGIN IMMEDIATE;
             CREATE UNIQUE INDEX journal_idempotency ON journal (recorded_by, record_id);
             CREATE INDEX journal_four_facts ON journal (search_key, birth_date, sex);
             COMMIT;",
        )
        .expect("indexes");
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
        let all = t.elapsed();
        insert_s.push(inserted.as_secs_f64());
        index_s.push((all - inserted).as_secs_f64());
        rates.push(n as f64 / all.as_secs_f64());
    }
    println!(
        "SQLite alone, the same {} journal rows ({:.0} MB of values) already made: appended in median {:.2} s, \
         indexes + checkpoint {:.2} s; median {:.0} rows/s in all",
        rows.len(),
        bytes as f64 / 1e6,
        median(insert_s),
        median(index_s),
        median(rates)
    );
}

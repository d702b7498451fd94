//! Both stores side by side in one run (not a timed test): bulk load of a synthetic
//! population, lookup by resident code, and the 4-fact search, on SQLite (a temporary
//! directory) and on PostgreSQL (a database of its own on the server at
//! `JUKI_BENCH_PG`, default postgres://postgres@127.0.0.1:5432, dropped at the end); then
//! PostgreSQL alone writing the rows juki's load wrote, by `COPY`, and building the same
//! indexes.
//!
//! `cargo bench -p juki-store-pg --bench stores` (JUKI_BENCH_RESIDENTS sets the size, default
//! 1,000,000). Figures go to docs/BENCHMARKS.md; each load figure is the median of 3 runs.

use juki_domain::change::{ValidatedChange, ValidationContext, validate};
use juki_domain::{LocalGovernmentCode, ResidentCode};
use juki_gateway::ChangeReader;
use juki_store::{SearchQuery, SqliteOptions, SqliteStore, Store};
use juki_store_pg::{PgOptions, PgStore};
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A database of the benchmark's own, dropped at the end.
struct Database {
    server: String,
    name: String,
}

impl Database {
    fn new(server: &str, run: usize) -> Database {
        let name = format!("juki_bench_{}_{run}", std::process::id());
        let db = Database {
            server: server.to_string(),
            name,
        };
        juki_store_pg::create_database(&db.url()).expect("create database");
        db
    }
    fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut c) =
            postgres::Client::connect(&format!("{}/postgres", self.server), postgres::NoTls)
        {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A xorshift generator: the same sample in every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Loads `changes` 3 times into a store `open` makes; returns the median rate and the last
/// store.
fn load(
    name: &str,
    changes: &[ValidatedChange],
    node: LocalGovernmentCode,
    mut open: impl FnMut(usize) -> Box<dyn Store>,
) -> Box<dyn Store> {
    let mut rates = Vec::new();
    let mut last = None;
    for run in 0..3 {
        let store = open(run);
        let mut batches = changes.chunks(100_000).map(|c| c.to_vec());
        let t = Instant::now();
        let s = store
            .bulk_load(node, 0, &mut batches, &mut |_| {})
            .expect("bulk load");
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(s.applied, changes.len() as u64);
        rates.push(changes.len() as f64 / secs);
        println!(
            "  {name} run {run}: {:.0} residents/s (index build {} ms)",
            changes.len() as f64 / secs,
            s.index_build_ms
        );
        last = Some(store);
    }
    println!(
        "{name}: bulk load of {} residents: median {:.0} residents/s",
        changes.len(),
        median(rates)
    );
    last.expect("three runs")
}

/// Lookups by code and 4-fact searches of a random sample, timed one by one.
fn reads(name: &str, store: &dyn Store, changes: &[ValidatedChange]) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let codes: Vec<ResidentCode> = changes
        .iter()
        .map(|c| c.resident_code.expect("synthetic codes are given"))
        .collect();
    for _ in 0..5_000 {
        store.record(codes[rng.below(codes.len())]).expect("lookup");
    }
    let mut lat = Vec::with_capacity(50_000);
    for _ in 0..50_000 {
        let c = codes[rng.below(codes.len())];
        let t = Instant::now();
        let r = store.record(c).expect("lookup");
        lat.push(t.elapsed());
        assert!(r.is_some());
    }
    lat.sort();
    println!(
        "{name}: lookup by resident code (record + history, 50,000 random): p50 {:.1} µs, p99 {:.1} µs",
        micros(percentile(&lat, 0.5)),
        micros(percentile(&lat, 0.99))
    );
    let mut lat = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let f = &changes[rng.below(changes.len())].facts;
        let q = SearchQuery {
            search_key: juki_domain::name::search_key(&f.name),
            birth_date: f.birth_date,
            sex: f.sex,
            address_code: None,
            address_prefix: None,
            include_closed: false,
            after: None,
            limit: 20,
        };
        let t = Instant::now();
        let hits = store.search(&q).expect("search");
        lat.push(t.elapsed());
        assert!(!hits.is_empty());
    }
    lat.sort();
    println!(
        "{name}: 4-fact search (20,000 random, up to 20 hits): p50 {:.1} µs, p99 {:.1} µs",
        micros(percentile(&lat, 0.5)),
        micros(percentile(&lat, 0.99))
    );
}

fn main() {
    let n: u64 = std::env::var("JUKI_BENCH_RESIDENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let server = std::env::var("JUKI_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let node = LocalGovernmentCode::parse("131148").expect("valid");
    println!(
        "# juki stores benchmark: {n} residents of 中野区 (seed 1), SQLite and PostgreSQL ({server})"
    );
    println!("# command: cargo bench -p juki-store-pg --bench stores");
    let mut csv = Vec::new();
    juki_synth::write_csv(
        &juki_synth::SynthOptions {
            residents: n,
            seed: 1,
            municipalities: vec![node],
            effective_date: jiff::civil::date(2026, 4, 1),
        },
        &mut csv,
        &mut |_| {},
    )
    .expect("synth");
    let ctx = ValidationContext {
        node,
        today: jiff::civil::date(2026, 11, 1),
    };
    let changes: Vec<ValidatedChange> = ChangeReader::new(csv.as_slice())
        .expect("header")
        .map(|r| validate(&r.expect("row").1, &ctx).expect("synthetic rows are valid"))
        .collect();
    drop(csv);

    let tmp =
        tempfile::tempdir_in(std::env::var_os("JUKI_BENCH_DIR").unwrap_or_else(|| ".".into()))
            .expect("temp dir");
    let sqlite = load("SQLite", &changes, node, |run| {
        let path = tmp.path().join(format!("bulk-{run}.db"));
        Box::new(SqliteStore::open(&path, SqliteOptions::default()).expect("open"))
    });
    let mut databases = Vec::new();
    let pg = load("PostgreSQL", &changes, node, |run| {
        let db = Database::new(&server, run);
        let store = PgStore::open(&db.url(), "node_131148", PgOptions::default()).expect("open");
        databases.push(db);
        Box::new(store)
    });
    reads("SQLite", &*sqlite, &changes);
    reads("PostgreSQL", &*pg, &changes);
    drop(pg);
    let loaded = databases.last().expect("three runs").url();
    postgres_alone(&server, &loaded, n);
}

/// What PostgreSQL alone takes for the rows juki's bulk load writes: the journal and residents
/// of a loaded store read out (binary `COPY … TO`) into memory, then written by one `COPY`
/// each into a new database with the same schema and its deferrable indexes dropped, then
/// those indexes built one after the other on the same connection (256 MB of
/// `maintenance_work_mem`, as juki's build); no engine, no batches. 3 runs, medians.
fn postgres_alone(server: &str, loaded: &str, n: u64) {
    use std::io::{Read, Write};
    let schema = "node_131148";
    let mut src = postgres::Client::connect(loaded, postgres::NoTls).expect("connect");
    let mut read_out = |table: &str| {
        let mut bytes = Vec::new();
        src.copy_out(&format!("COPY {schema}.{table} TO STDOUT (FORMAT binary)"))
            .expect("copy out")
            .read_to_end(&mut bytes)
            .expect("read");
        bytes
    };
    let (journal, residents) = (read_out("journal"), read_out("residents"));
    let (mut copy_s, mut index_s, mut rates) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..3 {
        let db = Database::new(server, 10 + run);
        drop(PgStore::open(&db.url(), schema, PgOptions::default()).expect("schema"));
        let mut c = postgres::Client::connect(&db.url(), postgres::NoTls).expect("connect");
        c.batch_execute(&format!(
            "SET search_path = {schema}; SET maintenance_work_mem = '256MB'; \
             DROP INDEX journal_idempotency; DROP INDEX journal_four_facts"
        ))
        .expect("prepare");
        let t = Instant::now();
        for (table, bytes) in [("journal", &journal), ("residents", &residents)] {
            let mut w = c
                .copy_in(&format!("COPY {table} FROM STDIN (FORMAT binary)"))
                .expect("copy in");
            w.write_all(bytes).expect("write");
            w.finish().expect("finish");
        }
        let copied = t.elapsed();
        c.batch_execute(
            "CREATE UNIQUE INDEX journal_idempotency ON journal (recorded_by, record_id); \
             CREATE INDEX journal_four_facts ON journal (search_key, birth_date, sex)",
        )
        .expect("indexes");
        let all = t.elapsed();
        copy_s.push(copied.as_secs_f64());
        index_s.push((all - copied).as_secs_f64());
        rates.push(n as f64 / all.as_secs_f64());
    }
    println!(
        "PostgreSQL alone, the same journal and residents rows ({:.0} MB in COPY's binary format) already made: \
         COPY in median {:.2} s, the two indexes {:.2} s; median {:.0} residents/s in all",
        (journal.len() + residents.len()) as f64 / 1e6,
        median(copy_s),
        median(index_s),
        median(rates)
    );
}

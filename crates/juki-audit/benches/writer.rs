//! Benchmark of the audit writer (not a timed test): records per second from one and from
//! four threads until durable, the latency of `try_record` (p50, p99, p99.9, max), verify's
//! speed, and the same entries written as plain JSON lines with a sync per batch (no chain,
//! no seals) for comparison.
//!
//! `cargo bench -p juki-audit --bench writer` (JUKI_BENCH_ENTRIES sets the count, default
//! 1,000,000; JUKI_BENCH_DIR where the files go). Figures go to docs/BENCHMARKS.md.

use juki_audit::{Action, AuditEntry, AuditLog, AuditOptions, RecordError, Signer, Trust};
use juki_domain::LocalGovernmentCode;
use juki_pki::{Ca, Identity, Jurisdiction, Role};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const T0: i64 = 1_767_225_600_000;
const NODE: &str = "urn:juki:municipal:131148:municipal";

fn entry(i: u64) -> AuditEntry {
    AuditEntry::new(
        T0 + i as i64,
        "urn:juki:clerk:131148:tanaka",
        "clerk",
        NODE,
        Action::Read,
    )
    .targets(vec![format!("9{:010}", i % 10_000_000_000)])
    .purpose("窓口交付")
    .request_id(format!("r-{i:016x}"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Run {
    secs_durable: f64,
    calls: Vec<Duration>,
    full: u64,
}

/// `n` entries from `threads` threads into a fresh log in `dir`; every call timed.
fn run(dir: &Path, signer: Signer, n: u64, threads: u64) -> Run {
    let clock: Arc<dyn Fn() -> i64 + Send + Sync> = Arc::new(|| T0);
    let log = AuditLog::open(dir, signer, AuditOptions::new(NODE, clock)).expect("open");
    let started = Instant::now();
    let each = n / threads;
    let results: Vec<(Vec<Duration>, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let log = &log;
                s.spawn(move || {
                    let mut calls = Vec::with_capacity(each as usize);
                    let mut full = 0;
                    for i in 0..each {
                        loop {
                            let e = entry(t * each + i);
                            let at = Instant::now();
                            let r = log.try_record(e);
                            calls.push(at.elapsed());
                            match r {
                                Ok(()) => break,
                                Err(RecordError::Full) => {
                                    full += 1;
                                    std::thread::sleep(Duration::from_micros(100));
                                }
                                Err(err) => panic!("{err}"),
                            }
                        }
                    }
                    (calls, full)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("producer"))
            .collect()
    });
    let stats = log.close().expect("close");
    let secs_durable = started.elapsed().as_secs_f64();
    assert_eq!(stats.written, each * threads);
    let mut calls: Vec<Duration> = results.iter().flat_map(|r| r.0.clone()).collect();
    calls.sort_unstable();
    Run {
        secs_durable,
        calls,
        full: results.iter().map(|r| r.1).sum(),
    }
}

fn main() {
    let n: u64 = std::env::var("JUKI_BENCH_ENTRIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let tmp =
        tempfile::tempdir_in(std::env::var_os("JUKI_BENCH_DIR").unwrap_or_else(|| ".".into()))
            .expect("temp dir");
    println!(
        "# juki audit writer benchmark: {n} entries, dir {}",
        tmp.path().display()
    );
    println!("# command: cargo bench -p juki-audit --bench writer");
    let mut ca = Ca::init(&tmp.path().join("ca"), 3650).expect("CA");
    let identity = Identity::new(
        Role::Municipal,
        Jurisdiction::Local(LocalGovernmentCode::parse("131148").expect("code")),
        "municipal",
    )
    .expect("identity");
    let (cert, key) = (tmp.path().join("node.pem"), tmp.path().join("node.key"));
    ca.issue(&identity, &["127.0.0.1".into()], 365, &cert, &key)
        .expect("issue");
    let signer = || Signer::from_files(&key, &cert).expect("signer");

    for threads in [1, 4] {
        let dir = tmp.path().join(format!("audit-{threads}"));
        let r = run(&dir, signer(), n, threads);
        let c = &r.calls;
        println!(
            "writer, {threads} producer thread(s): {:.0} records/s durable ({n} in {:.2} s); try_record p50 {:.2?} p99 {:.2?} p99.9 {:.2?} max {:.2?}; {} refused while full (retried)",
            n as f64 / r.secs_durable,
            r.secs_durable,
            percentile(c, 0.50),
            percentile(c, 0.99),
            percentile(c, 0.999),
            c[c.len() - 1],
            r.full
        );
        if threads == 1 {
            let trust = Trust::for_node(&cert, Some(&ca.cert_path()), &dir).expect("trust");
            let at = Instant::now();
            let report = juki_audit::verify(&dir, &trust).expect("verify");
            let secs = at.elapsed().as_secs_f64();
            assert!(report.intact());
            let bytes: u64 = std::fs::read_dir(&dir)
                .expect("dir")
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum();
            println!(
                "verify: {:.0} entries/s ({} entries, {} seals, {:.1} MB, {:.0} bytes/entry, in {secs:.2} s)",
                report.entries as f64 / secs,
                report.entries,
                report.seals,
                bytes as f64 / 1e6,
                bytes as f64 / report.entries as f64
            );
        }
    }

    // The baseline: the same entries as plain JSON lines (serde_json), one thread, a sync
    // every 4,096 — what a node would do with an ordinary append-only log file.
    let path = tmp.path().join("plain.jsonl");
    let at = Instant::now();
    let mut f =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).expect("file"));
    for i in 0..n {
        let e = entry(i);
        serde_json::to_writer(
            &mut f,
            &serde_json::json!({
                "seq": i + 1, "time_ms": e.time_ms, "actor": e.actor, "role": e.role,
                "node": e.node, "action": e.action.to_string(), "targets": e.targets,
                "purpose": e.purpose, "result": "ok", "request_id": e.request_id,
            }),
        )
        .expect("write");
        f.write_all(b"\n").expect("write");
        if (i + 1) % 4_096 == 0 {
            f.flush().expect("flush");
            f.get_ref().sync_data().expect("sync");
        }
    }
    f.flush().expect("flush");
    f.get_ref().sync_data().expect("sync");
    let secs = at.elapsed().as_secs_f64();
    println!(
        "plain JSON lines (no chain, no seals, no queue), 1 thread, sync every 4,096: {:.0} records/s",
        n as f64 / secs
    );
}

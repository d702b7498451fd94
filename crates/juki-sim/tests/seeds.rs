//! The simulation over many seeds (`JUKI_SIM_SEEDS`, default 300), a replay of one seed
//! (`JUKI_SIM_SEED`), and the same seed giving the same run twice.

use juki_sim::{Failure, FaultCounts, Faults, Report, SimConfig, run};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const SEEDS_DEFAULT: u64 = 300;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}")),
    )
}

/// Runs `seeds` on every core; the failures found, lowest seed first, and the reports.
fn run_all(seeds: u64, config: &SimConfig) -> (Vec<Failure>, Vec<Report>) {
    let next = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    let reports = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= seeds {
                        break;
                    }
                    match run(seed, config) {
                        Ok(r) => reports.lock().expect("no run panics").push(r),
                        Err(f) => failures.lock().expect("no run panics").push(f),
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("no run panics");
    failures.sort_by_key(|f| f.seed);
    let mut reports = reports.into_inner().expect("no run panics");
    reports.sort_by_key(|r| r.seed);
    (failures, reports)
}

#[test]
fn seeds() {
    let seeds = env_u64("JUKI_SIM_SEEDS").unwrap_or(SEEDS_DEFAULT);
    let started = Instant::now();
    let (failures, reports) = run_all(seeds, &SimConfig::default());
    if let Some(f) = failures.first() {
        let failed: Vec<u64> = failures.iter().map(|f| f.seed).collect();
        panic!(
            "seed {seed} failed: {}: {} — replay with JUKI_SIM_SEED={seed} cargo nextest run -p juki-sim replay\n\
             ({} of {seeds} seeds failed: {failed:?})\nlast events:\n  {}\n{:?}",
            f.invariant,
            f.detail,
            failures.len(),
            f.trace_tail.join("\n  "),
            f.report,
            seed = f.seed,
        );
    }
    let sum = |f: fn(&Report) -> u64| reports.iter().map(f).sum::<u64>();
    eprintln!(
        "{seeds} seeds in {:.1?}: {} events, {} faults, {} changes accepted ({} births), {} refused",
        started.elapsed(),
        sum(|r| r.events),
        sum(|r| r.faults.total()),
        sum(|r| r.accepted),
        sum(|r| r.births),
        sum(|r| r.refused),
    );
    // The runs do exercise what they claim to.
    for (what, n) in [
        ("accepted changes", sum(|r| r.accepted)),
        ("births", sum(|r| r.births)),
        ("dropped messages", sum(|r| r.faults.dropped)),
        ("crashes", sum(|r| r.faults.crashes)),
        ("partitions", sum(|r| r.faults.partitions)),
        (
            "storage faults after commit",
            sum(|r| r.faults.storage_after),
        ),
    ] {
        assert!(seeds < 20 || n > 0, "no {what} in {seeds} seeds");
    }
}

#[test]
fn replay() {
    let Some(seed) = env_u64("JUKI_SIM_SEED") else {
        eprintln!("JUKI_SIM_SEED is not set: nothing to replay");
        return;
    };
    // The trace's length does not change the run: only how much of it a failure shows.
    let config = SimConfig {
        trace_tail: env_u64("JUKI_SIM_TRACE").map_or(200, |n| n as usize),
        ..SimConfig::default()
    };
    match run(seed, &config) {
        Ok(report) => eprintln!("seed {seed} passed: {report:#?}"),
        Err(f) => panic!("{f}"),
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let config = SimConfig::default();
    for seed in [0, 1, 2] {
        let a = run(seed, &config);
        let b = run(seed, &config);
        assert_eq!(a, b, "seed {seed} ran differently twice");
        let report = a.unwrap_or_else(|f| panic!("{f}"));
        assert!(report.events > 0 && report.accepted > 0, "{report:?}");
    }
}

#[test]
fn without_faults_nothing_strikes() {
    let config = SimConfig {
        faults: Faults::NONE,
        ..SimConfig::default()
    };
    for seed in 0..3 {
        let report = run(seed, &config).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(report.faults, FaultCounts::default(), "seed {seed}");
        assert_eq!(report.retried, 0, "seed {seed}");
        assert!(report.accepted > 0, "seed {seed}");
    }
}

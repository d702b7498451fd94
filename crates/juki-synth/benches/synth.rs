//! Benchmark: synthetic residents per second written to a file (`cargo bench -p juki-synth --bench synth`).
//!
//! Generates `JUKI_SYNTH_BENCH_RESIDENTS` (default 2,000,000) residents of the whole nation into
//! a file in the temp directory five times and prints the median rate. Not criterion: one
//! figure, printed with the command that made it (STYLE.md, habit 10).

use std::time::Instant;

const RUNS: usize = 5;

fn main() {
    let residents: u64 = std::env::var("JUKI_SYNTH_BENCH_RESIDENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    let threads = std::env::var("JUKI_SYNTH_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(juki_synth::default_threads);
    let opts = juki_synth::SynthOptions {
        residents,
        seed: 1,
        municipalities: Vec::new(),
        effective_date: jiff::civil::date(2026, 4, 1),
    };
    let path = std::env::temp_dir().join(format!("juki-synth-bench-{}.csv", std::process::id()));
    let mut seconds = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for _ in 0..RUNS {
        let file = std::fs::File::create(&path).expect("create the output file in the temp dir");
        let started = Instant::now();
        let stats = juki_synth::write_csv_with_threads(&opts, threads, file, &mut |_| {})
            .expect("synth writes");
        seconds.push(started.elapsed().as_secs_f64());
        bytes = stats.bytes;
    }
    let _ = std::fs::remove_file(&path);
    seconds.sort_by(f64::total_cmp);
    let median = seconds[RUNS / 2];
    println!("command: cargo bench -p juki-synth --bench synth");
    println!(
        "juki synth: {residents} residents, {threads} threads, to a file in {}",
        std::env::temp_dir().display()
    );
    println!(
        "  runs (s): {}",
        seconds
            .iter()
            .map(|s| format!("{s:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  median {:.3} s: {:.0} residents/s, {:.1} MB/s ({} bytes, {:.0} bytes/resident)",
        median,
        residents as f64 / median,
        bytes as f64 / median / 1e6,
        bytes,
        bytes as f64 / residents as f64
    );
}

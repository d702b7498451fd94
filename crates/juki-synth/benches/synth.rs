//! Benchmark: synthetic residents per second written to a file (`cargo bench -p juki-synth --bench synth`).
//!
//! Generates `JUKI_SYNTH_BENCH_RESIDENTS` (default 2,000,000) residents of the whole nation
//! five times into a new file in the temp directory, and five times into `io::sink()` (the
//! generator alone, without the file system), and prints the median rates. Not criterion: the
//! figures are printed with the command that made them (STYLE.md, habit 10).
//! `JUKI_SYNTH_BENCH_THREADS` overrides the number of worker threads.

use std::time::Instant;

const RUNS: usize = 5;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Median seconds of `RUNS` runs of `run`, and the bytes the last one wrote.
fn median(mut run: impl FnMut() -> u64) -> (f64, u64) {
    let mut seconds = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        bytes = run();
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    (seconds[RUNS / 2], bytes)
}

fn main() {
    let residents: u64 = env_or("JUKI_SYNTH_BENCH_RESIDENTS", 2_000_000);
    let threads: usize = env_or("JUKI_SYNTH_BENCH_THREADS", juki_synth::default_threads());
    let opts = juki_synth::SynthOptions {
        residents,
        seed: 1,
        municipalities: Vec::new(),
        effective_date: jiff::civil::date(2026, 4, 1),
    };
    // Build the model (a one-off calibration of a few tens of milliseconds) outside the timing.
    let tiny = juki_synth::SynthOptions {
        residents: 1,
        ..opts.clone()
    };
    juki_synth::write_csv(&tiny, std::io::sink(), &mut |_| {}).expect("synth writes");

    let dir = std::env::temp_dir();
    let mut run_number = 0;
    let (file_s, bytes) = median(|| {
        run_number += 1;
        let path = dir.join(format!(
            "juki-synth-bench-{}-{run_number}.csv",
            std::process::id()
        ));
        let file = std::fs::File::create(&path).expect("create the output file in the temp dir");
        let stats = juki_synth::write_csv_with_threads(&opts, threads, file, &mut |_| {})
            .expect("synth writes");
        std::fs::remove_file(&path).expect("remove the output file");
        stats.bytes
    });
    let (sink_s, _) = median(|| {
        juki_synth::write_csv_with_threads(&opts, threads, std::io::sink(), &mut |_| {})
            .expect("synth writes")
            .bytes
    });

    println!("command: cargo bench -p juki-synth --bench synth");
    println!(
        "juki synth: {residents} residents of every municipality, {threads} worker threads, {} bytes ({:.0} bytes/resident), median of {RUNS}",
        bytes,
        bytes as f64 / residents as f64
    );
    for (what, s) in [
        (format!("to a file in {}", dir.display()), file_s),
        ("generation only (io::sink)".to_string(), sink_s),
    ] {
        println!(
            "  {what}: {s:.3} s, {:.0} residents/s, {:.0} MB/s",
            residents as f64 / s,
            bytes as f64 / s / 1e6
        );
    }
}

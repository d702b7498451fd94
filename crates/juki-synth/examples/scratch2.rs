//! scratch
use std::time::Instant;
fn main() {
    let n: u64 = 2_000_000;
    let opts = juki_synth::SynthOptions {
        residents: n,
        seed: 1,
        municipalities: vec![],
        effective_date: jiff::civil::date(2026, 4, 1),
    };
    for threads in [1, 2, 3] {
        for _ in 0..3 {
            let t = Instant::now();
            juki_synth::write_csv_with_threads(&opts, threads, std::io::sink(), &mut |_| {})
                .expect("ok");
            println!(
                "sink threads={threads}: {:.0}/s",
                n as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
    let path = std::env::temp_dir().join("scratch2.csv");
    for _ in 0..4 {
        let _ = std::fs::remove_file(&path);
        let t = Instant::now();
        let f = std::fs::File::create(&path).unwrap();
        juki_synth::write_csv_with_threads(&opts, 2, f, &mut |_| {}).expect("ok");
        println!(
            "file (removed first): {:.0}/s",
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_file(&path);
}

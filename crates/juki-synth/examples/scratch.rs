//! scratch
fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let opts = juki_synth::SynthOptions {
        residents: n,
        seed: 42,
        municipalities: vec![],
        effective_date: jiff::civil::date(2026, 4, 1),
    };
    let stats = juki_synth::write_csv(&opts, std::io::stdout().lock(), &mut |_| {}).expect("ok");
    eprintln!("{stats:?}");
}

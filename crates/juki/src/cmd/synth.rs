//! `juki synth`: write a synthetic population (FORMATS §1) deterministically from a seed.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use juki_domain::LocalGovernmentCode;
use juki_synth::SynthOptions;
use std::io::BufWriter;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many residents.
    #[arg(long)]
    residents: u64,
    /// The seed: the same seed and options always give the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Municipal node codes to place residents in (repeat the flag); default: the whole nation.
    #[arg(long = "municipality", value_name = "CODE")]
    municipalities: Vec<String>,
    /// The date of the move-in changes (default 2026-04-01).
    #[arg(long, default_value = "2026-04-01")]
    effective_date: String,
    /// Where to write the CSV ("-" for stdout).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args) -> Result<u8> {
    let municipalities = a
        .municipalities
        .iter()
        .map(|c| {
            LocalGovernmentCode::parse(c).map_err(|p| {
                crate::exit::exit(crate::exit::USAGE, format!("--municipality {c}: {p}"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let effective_date = juki_domain::date::parse_date(&a.effective_date)
        .map_err(|p| crate::exit::exit(crate::exit::USAGE, format!("--effective-date: {p}")))?;
    let opts = SynthOptions {
        residents: a.residents,
        seed: a.seed,
        municipalities,
        effective_date,
    };
    let bar = ProgressBar::new(a.residents).with_style(
        ProgressStyle::with_template(
            "{spinner} synth {wide_bar} {pos}/{len} residents {per_sec} eta {eta}",
        )
        .expect("valid template"),
    );
    let started = std::time::Instant::now();
    let stats = if a.out.as_os_str() == "-" {
        juki_synth::write_csv(
            &opts,
            BufWriter::with_capacity(1 << 20, std::io::stdout().lock()),
            &mut |n| bar.set_position(n),
        )
    } else {
        let file = std::fs::File::create(&a.out)
            .with_context(|| format!("creating {}", a.out.display()))?;
        juki_synth::write_csv(&opts, BufWriter::with_capacity(1 << 20, file), &mut |n| {
            bar.set_position(n)
        })
    }
    .map_err(|e| {
        let code = if matches!(e, juki_synth::SynthError::Write(_)) {
            crate::exit::SERVER
        } else {
            crate::exit::USAGE
        };
        crate::exit::exit(code, format!("{}: {e}", e.def()))
    })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "synth: {} residents in {} households ({} foreign, {} partial birth dates) over {} municipalities, {:.1} MB in {:.2} s ({:.0} residents/s)",
        stats.residents,
        stats.households,
        stats.foreign_residents,
        stats.partial_birth_dates,
        stats.municipalities,
        stats.bytes as f64 / 1e6,
        secs,
        stats.residents as f64 / secs.max(1e-9)
    );
    Ok(crate::exit::DONE)
}

//! `juki load`: record a change file at a stopped node through the bulk path (journal and
//! outbox included), with a progress bar.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use juki_api::ProblemJson;
use juki_gateway::{LoadOptions, RefusedRecord};
use juki_node::{Clock, NodeConfig, Role, SystemClock};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node's data directory (the node must be stopped).
    #[arg(long)]
    data: PathBuf,
    /// The change file (FORMATS §1 CSV, UTF-8).
    file: PathBuf,
    /// Changes per transaction.
    #[arg(long, default_value_t = 100_000)]
    batch: usize,
    /// Print the result as JSON (FORMATS §5 shape) on stdout.
    #[arg(long)]
    json: bool,
}

/// Refused records printed to stderr at most (all are in --json).
const REFUSALS_SHOWN_MAX: usize = 50;

pub fn run(a: Args) -> Result<u8> {
    let config = NodeConfig::load(&a.data)?;
    let (Role::Municipal, Some(node)) = (config.role, config.code) else {
        return Err(crate::exit::exit(
            crate::exit::REFUSED,
            format!(
                "{}: juki load records changes at a municipal node",
                juki_domain::catalogue::CFG_ROLE
            ),
        ));
    };
    let _lock = super::lock_data_dir(&a.data)?;
    let store = config.open_store()?;
    let file = std::fs::File::open(&a.file).map_err(|e| {
        crate::exit::exit(
            crate::exit::USAGE,
            format!(
                "{}: {}: {e}",
                juki_domain::catalogue::IN_UNREADABLE,
                a.file.display()
            ),
        )
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let clock = SystemClock;
    let opts = LoadOptions {
        node,
        today: clock.today_tokyo(),
        now_ms: clock.now_ms(),
        batch_size: a.batch.clamp(1, 1_000_000),
    };
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "{spinner} load {wide_bar} {bytes}/{total_bytes} {msg} eta {eta}",
        )
        .expect("valid template"),
    );
    let started = std::time::Instant::now();
    let mut refusals: Vec<RefusedRecord> = Vec::new();
    let mut shown = 0usize;
    let report = juki_gateway::load(
        std::io::BufReader::with_capacity(1 << 20, file),
        &store,
        &opts,
        &mut |r| {
            if !a.json && shown < REFUSALS_SHOWN_MAX {
                shown += 1;
                bar.suspend(|| print_refusal(r));
            }
            if a.json {
                refusals.push(r.clone());
            }
        },
        &mut |bytes, rows| {
            bar.set_position(bytes);
            bar.set_message(format!("{rows} rows"));
        },
    )
    .map_err(|e| match e {
        juki_gateway::load::LoadError::File(f) => anyhow::Error::new(f),
        other => anyhow::anyhow!("{other}"),
    })
    .context(format!("loading {}", a.file.display()))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    if a.json {
        let out = serde_json::json!({
            "accepted": report.applied + report.duplicates,
            "applied": report.applied,
            "duplicates": report.duplicates,
            "refused": refusals.iter().map(|r| serde_json::json!({
                "record_id": r.record_id, "line": r.line, "resident_code": r.resident_code,
                "errors": r.problems.iter().map(ProblemJson::from).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "warnings": report.warnings.iter().map(ProblemJson::from).collect::<Vec<_>>(),
        });
        println!("{out}");
    } else {
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
        if report.refused as usize > shown {
            eprintln!(
                "… {} more refused records (use --json for all)",
                report.refused as usize - shown
            );
        }
        println!(
            "loaded {} rows: {} applied, {} duplicates (already recorded), {} refused, in {:.2} s ({:.0} rows/s; index build {} ms)",
            report.rows,
            report.applied,
            report.duplicates,
            report.refused,
            secs,
            report.rows as f64 / secs.max(1e-9),
            report.index_build_ms
        );
    }
    Ok(if report.refused > 0 {
        crate::exit::REFUSED
    } else {
        crate::exit::DONE
    })
}

fn print_refusal(r: &RefusedRecord) {
    eprintln!(
        "refused line {} record {}:",
        r.line,
        r.record_id.as_deref().unwrap_or("?"),
    );
    for p in &r.problems {
        eprintln!("  {p}");
    }
}

//! `juki identity verify CODE --purpose P` and `juki identity search --kana K --birth-date D
//! --sex S …`: identity verification for an agency (本人確認情報の提供) at a prefecture or the
//! national node, by resident code or by the four facts.

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;
use juki_api::RecordFields;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print a resident's current identity record; the lookup is recorded with its purpose.
    Verify {
        /// The resident code (11 digits).
        code: String,
        /// Why: a purpose code the node accepts (e.g. pension, passport).
        #[arg(long)]
        purpose: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Find the residents a person may be by the four facts, best first; every candidate
    /// answered is recorded with the purpose.
    Search(SearchArgs),
    /// Verify up to 1,000,000 residents at once: FILE holds one query per line (a resident code,
    /// or `{"id", "resident_code"}`); the answers (JSON lines, in order) go to --out.
    Batch {
        file: std::path::PathBuf,
        /// Why: a purpose code the node accepts (e.g. pension).
        #[arg(long)]
        purpose: String,
        /// Where the answers are written (JSON lines).
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, clap::Args)]
struct SearchArgs {
    /// The reading (katakana, hiragana or half-width; spaces ignored).
    #[arg(long)]
    kana: String,
    /// The birth date (ISO, era form, YYYY-MM, YYYY or 不詳).
    #[arg(long)]
    birth_date: String,
    /// 男 or 女.
    #[arg(long)]
    sex: String,
    /// The name in kanji as the agency holds it (variant forms are matched).
    #[arg(long)]
    name: Option<String>,
    /// The local government code of the address.
    #[arg(long)]
    address_code: Option<String>,
    /// The address after the municipality name, in any notation (二丁目3番4号, 2-3-4).
    #[arg(long)]
    address: Option<String>,
    /// At most this many candidates (1–100; default 10).
    #[arg(long)]
    limit: Option<usize>,
    /// Why: a purpose code the node accepts (e.g. pension, passport).
    #[arg(long)]
    purpose: Option<String>,
    #[command(flatten)]
    common: Common,
}

pub fn run(a: Args) -> Result<u8> {
    match a.command {
        Command::Verify {
            code,
            purpose,
            common,
        } => verify(&code, purpose.as_deref(), &common),
        Command::Search(s) => search(&s),
        Command::Batch {
            file,
            purpose,
            out,
            common,
        } => batch(&file, &purpose, &out, &common),
    }
}

fn verify(code: &str, purpose: Option<&str>, common: &Common) -> Result<u8> {
    let client = common.client()?;
    let r = block_on(async {
        client
            .identity(code, purpose)
            .await
            .map_err(|e| failed(e, common.json))
    })?;
    if common.json {
        print_json(&r)?;
        return Ok(crate::exit::DONE);
    }
    println!(
        "住民票コード {}  ({})  purpose {} ({})",
        r.resident_code, r.status, r.purpose, r.purpose_name
    );
    if let Some(f) = &r.current {
        print_fields(f);
    }
    Ok(crate::exit::DONE)
}

fn print_fields(f: &RecordFields) {
    println!(
        "  {} {}  ({} {})  {}  {}",
        f.family_name, f.given_name, f.family_name_kana, f.given_name_kana, f.birth_date, f.sex
    );
    println!("  {} {}", f.local_government_code, f.address);
}

fn search(s: &SearchArgs) -> Result<u8> {
    let client = s.common.client()?;
    let limit = s.limit.map(|l| l.to_string());
    let mut params: Vec<(&str, &str)> = vec![
        ("kana", s.kana.as_str()),
        ("birth_date", s.birth_date.as_str()),
        ("sex", s.sex.as_str()),
    ];
    for (key, value) in [
        ("purpose", &s.purpose),
        ("name", &s.name),
        ("address_code", &s.address_code),
        ("address", &s.address),
        ("limit", &limit),
    ] {
        if let Some(v) = value {
            params.push((key, v.as_str()));
        }
    }
    let r = block_on(async {
        client
            .identity_search(&params)
            .await
            .map_err(|e| failed(e, s.common.json))
    })?;
    if s.common.json {
        print_json(&r)?;
        return Ok(crate::exit::DONE);
    }
    println!(
        "{} candidate(s)  purpose {} ({})",
        r.candidates.len(),
        r.purpose,
        r.purpose_name
    );
    for c in &r.candidates {
        println!(
            "住民票コード {}  ({})  {} {}",
            c.resident_code, c.status, c.quality, c.score
        );
        if let Some(f) = &c.current {
            print_fields(f);
        }
    }
    Ok(crate::exit::DONE)
}

/// The largest query file `identity batch` reads (1,000,000 lines of at most 4 KiB would be
/// more; real query files are a few dozen bytes a line).
const BATCH_FILE_BYTES_MAX: u64 = 512 << 20;

/// `identity batch`: sends the file, streams the answers to `out` with a progress bar, and
/// counts them by status.
fn batch(
    file: &std::path::Path,
    purpose: &str,
    out: &std::path::Path,
    common: &Common,
) -> Result<u8> {
    use crate::exit::{REFUSED, USAGE, exit};
    use std::io::Write;
    let size = std::fs::metadata(file)
        .map_err(|e| exit(USAGE, format!("{}: {e}", file.display())))?
        .len();
    if size > BATCH_FILE_BYTES_MAX {
        return Err(exit(
            USAGE,
            format!(
                "{}: larger than {} MiB",
                file.display(),
                BATCH_FILE_BYTES_MAX >> 20
            ),
        ));
    }
    let body = std::fs::read(file).map_err(|e| exit(USAGE, format!("{}: {e}", file.display())))?;
    let queries = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    if queries as u64 > juki_api::BATCH_QUERIES_MAX {
        return Err(exit(
            USAGE,
            format!(
                "{} queries: at most {} per batch",
                queries,
                juki_api::BATCH_QUERIES_MAX
            ),
        ));
    }
    let client = common.client()?;
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(out).map_err(|e| exit(USAGE, format!("{}: {e}", out.display())))?,
    );
    let bar = indicatif::ProgressBar::new(queries).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} queries answered ({per_sec}, {eta} left) {wide_bar}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    let mut stopped: Option<juki_api::BatchStopped> = None;
    block_on(async {
        let mut resp = client
            .identity_batch(purpose, body)
            .await
            .map_err(|e| failed(e, common.json))?;
        let mut pending: Vec<u8> = Vec::new();
        while let Some(bytes) = resp
            .chunk()
            .await
            .map_err(|e| exit(crate::exit::SERVER, format!("the answer broke off: {e}")))?
        {
            w.write_all(&bytes)?;
            pending.extend_from_slice(&bytes);
            let mut n = 0;
            while let Some(at) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=at).collect();
                #[derive(serde::Deserialize)]
                struct Status {
                    status: Option<String>,
                }
                if let Ok(s) = serde_json::from_slice::<juki_api::BatchStopped>(&line) {
                    stopped = Some(s);
                    continue;
                }
                if let Ok(Status { status: Some(s) }) = serde_json::from_slice(&line) {
                    *counts.entry(s).or_default() += 1;
                    n += 1;
                }
            }
            bar.inc(n);
        }
        anyhow::Ok(())
    })?;
    w.flush()?;
    bar.finish_and_clear();
    let answered: u64 = counts.values().sum();
    let secs = started.elapsed().as_secs_f64();
    let summary = serde_json::json!({
        "queries": queries, "answered": answered, "by_status": counts,
        "seconds": secs, "queries_per_second": answered as f64 / secs.max(1e-9),
        "out": out.display().to_string(),
        "stopped": stopped.as_ref().map(|s| &s.stopped),
    });
    if common.json {
        print_json(&summary)?;
    } else {
        eprintln!(
            "{answered} of {queries} queries answered in {secs:.1} s ({:.0}/s): {}; answers in {}",
            answered as f64 / secs.max(1e-9),
            counts
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            out.display()
        );
    }
    if let Some(s) = stopped {
        eprintln!(
            "stopped early: {} {} / {}",
            s.stopped.code, s.stopped.message_ja, s.stopped.message_en
        );
        return Ok(REFUSED);
    }
    Ok(crate::exit::DONE)
}

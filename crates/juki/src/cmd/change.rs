//! `juki change submit FILE`: submits changes as JSON lines (FORMATS §2) to the profile's
//! municipal node, in requests of at most [`BATCH`] changes.

use super::remote::{Common, block_on, failed, print_json};
use crate::exit::{self, exit};
use anyhow::Result;
use juki_api::{ChangeInput, ChangeStatus, SubmitRequest, SubmitResponse};
use std::io::BufRead;
use std::path::PathBuf;

/// Changes per request.
const BATCH: usize = 1000;
/// The longest line read (a change is far smaller).
const LINE_BYTES_MAX: usize = 64 * 1024;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Submit a file of changes, one JSON object per line (`-` reads stdin).
    Submit {
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

/// Reads the JSON lines; a line that is not a change is a usage error naming the line.
fn read(file: &PathBuf) -> Result<Vec<ChangeInput>> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(file)
            .map_err(|e| exit(exit::USAGE, format!("{}: {e}", file.display())))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| exit(exit::USAGE, format!("line {}: {e}", i + 1)))?;
        if line.len() > LINE_BYTES_MAX {
            return Err(exit(
                exit::USAGE,
                format!("line {}: longer than {LINE_BYTES_MAX} bytes", i + 1),
            ));
        }
        if line.trim().is_empty() {
            continue;
        }
        let c: ChangeInput = serde_json::from_str(&line)
            .map_err(|e| exit(exit::USAGE, format!("line {}: {e}", i + 1)))?;
        out.push(c);
    }
    Ok(out)
}

pub fn run(a: Args) -> Result<u8> {
    let Command::Submit { file, common } = a.command;
    let changes = read(&file)?;
    let client = common.client()?;
    let json = common.json;
    let total = block_on(async {
        let mut total = SubmitResponse::default();
        for chunk in changes.chunks(BATCH) {
            let req = SubmitRequest {
                changes: chunk.to_vec(),
            };
            let r = client.submit(&req).await.map_err(|e| failed(e, json))?;
            total.applied += r.applied;
            total.duplicates += r.duplicates;
            total.refused += r.refused;
            total.results.extend(r.results);
            eprintln!("submitted {} of {}", total.results.len(), changes.len());
        }
        Ok(total)
    })?;
    if json {
        print_json(&total)?;
    } else {
        for r in &total.results {
            match r.status {
                ChangeStatus::Refused => {
                    for e in &r.errors {
                        println!("{}: refused {} {}", r.record_id, e.code, e.message_en);
                    }
                }
                ChangeStatus::Applied | ChangeStatus::Duplicate => {
                    if let Some(code) = &r.resident_code {
                        println!(
                            "{}: {} {code}",
                            r.record_id,
                            if r.status == ChangeStatus::Applied {
                                "applied"
                            } else {
                                "duplicate"
                            }
                        );
                    }
                }
            }
        }
        println!(
            "applied {}, duplicates {}, refused {}",
            total.applied, total.duplicates, total.refused
        );
    }
    Ok(if total.refused > 0 {
        exit::REFUSED
    } else {
        exit::DONE
    })
}

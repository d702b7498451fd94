//! `juki record get CODE`: a resident's record and history at the profile's node.

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print a resident's current record and history (newest first).
    Get {
        /// The resident code (11 digits).
        code: String,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(a: Args) -> Result<u8> {
    let Command::Get { code, common } = a.command;
    let client = common.client()?;
    let record = block_on(async {
        client
            .record(&code)
            .await
            .map_err(|e| failed(e, common.json))
    })?;
    if common.json {
        print_json(&record)?;
        return Ok(crate::exit::DONE);
    }
    println!("住民票コード {}  ({})", record.resident_code, record.status);
    if let Some(f) = &record.current {
        println!(
            "  {} {}  ({} {})  {}  {}",
            f.family_name, f.given_name, f.family_name_kana, f.given_name_kana, f.birth_date, f.sex
        );
        println!("  {} {}", f.local_government_code, f.address);
    }
    println!("history ({}):", record.history.len());
    for h in &record.history {
        println!(
            "  #{:<8} {} {}  recorded by {}  {} {}",
            h.sequence,
            h.effective_date,
            h.kind,
            h.recorded_by,
            h.fields.local_government_code,
            h.fields.address
        );
    }
    Ok(crate::exit::DONE)
}

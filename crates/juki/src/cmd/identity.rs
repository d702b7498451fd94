//! `juki identity verify CODE --purpose P`: identity verification for an agency (本人確認情報の
//! 提供) at a prefecture or the national node.

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;

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
}

pub fn run(a: Args) -> Result<u8> {
    let Command::Verify {
        code,
        purpose,
        common,
    } = a.command;
    let client = common.client()?;
    let r = block_on(async {
        client
            .identity(&code, purpose.as_deref())
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
        println!(
            "  {} {}  ({} {})  {}  {}",
            f.family_name, f.given_name, f.family_name_kana, f.given_name_kana, f.birth_date, f.sex
        );
        println!("  {} {}", f.local_government_code, f.address);
    }
    Ok(crate::exit::DONE)
}

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

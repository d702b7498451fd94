//! `juki status`: how the profile's node stands (FORMATS §4).

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
}

pub fn run(a: Args) -> Result<u8> {
    let client = a.common.client()?;
    let json = a.common.json;
    let s = block_on(async { client.status().await.map_err(|e| failed(e, json)) })?;
    if json {
        print_json(&s)?;
        return Ok(crate::exit::DONE);
    }
    println!(
        "{} {} ({})",
        s.role,
        s.code.as_deref().unwrap_or("-"),
        s.name
    );
    println!(
        "  parent        {}",
        s.parent.as_deref().unwrap_or("(none)")
    );
    println!("  residents     {}", s.residents);
    println!("  journal head  {} (epoch {})", s.journal_head, s.epoch);
    println!("  lag           {} changes, {} ms", s.lag_changes, s.lag_ms);
    println!("  in flight     {}", s.queue_depth);
    println!("  codes left    {}", s.codes_available);
    for w in &s.warnings {
        println!("  warning {} {} / {}", w.code, w.message_ja, w.message_en);
        if let Some(detail) = &w.detail {
            println!("    {detail}");
        }
    }
    Ok(crate::exit::DONE)
}

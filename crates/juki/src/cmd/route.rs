//! `juki route ping CODE`: asks the profile's node to ping node CODE (a local government code,
//! or `national`) through the network, and prints the path the request took and the round trip.

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Ping node CODE (a local government code, or `national`) from the profile's node.
    Ping {
        /// The destination: a local government code, or `national`.
        code: String,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(a: Args) -> Result<u8> {
    let Sub::Ping { code, common } = a.command;
    let client = common.client()?;
    let json = common.json;
    let report = block_on(async { client.route_ping(&code).await.map_err(|e| failed(e, json)) })?;
    if json {
        print_json(&report)?;
        return Ok(crate::exit::DONE);
    }
    println!("{} answered in {} ms", report.answer.name, report.rtt_ms);
    for (i, hop) in report.path.iter().enumerate() {
        let arrow = if i == 0 { " " } else { "→" };
        println!("  {arrow} {hop}");
    }
    println!("  node  {}", report.answer.node);
    Ok(crate::exit::DONE)
}

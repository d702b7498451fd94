//! `juki move out|in|status`: the special move-out/move-in (転入転出の特例, docs/moves.md) at
//! the window of the profile's municipality.

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;
use juki_api::{MoveIn, MoveInRequest, MoveOut, MoveOutRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Notify a move-out with its planned date, at the old municipality; the move-out
    /// certificate data stays there for the new municipality to fetch.
    Out {
        /// The resident code (11 digits).
        code: String,
        /// The planned day of the move (YYYY-MM-DD): at most 14 days ago, at most 30 ahead.
        #[arg(long)]
        planned: String,
        /// The new municipality's local government code.
        #[arg(long)]
        to: String,
        /// The new address within it.
        #[arg(long)]
        to_address: String,
        #[command(flatten)]
        common: Common,
    },
    /// Record the move-in at the new municipality: fetches the old municipality's data,
    /// records the move-in and notifies the old municipality. Repeating it is harmless.
    In {
        /// The resident code (11 digits).
        code: String,
        /// The old municipality's local government code.
        #[arg(long)]
        from: String,
        /// The day of the move (YYYY-MM-DD): within the last 14 days.
        #[arg(long)]
        moved_on: String,
        /// The new address within this municipality.
        #[arg(long)]
        address: String,
        /// The household head here, when it differs from the old municipality's.
        #[arg(long)]
        household_head: Option<String>,
        /// The relationship to the household head here.
        #[arg(long)]
        relationship: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// The special move procedures about a resident at this municipality.
    Status {
        /// The resident code (11 digits).
        code: String,
        #[command(flatten)]
        common: Common,
    },
}

fn out_line(o: &MoveOut) -> String {
    format!(
        "転出 {} ({}): resident {}, planned {}, to {} {}; move-in by {}{}{}",
        o.move_id,
        o.state,
        o.resident_code,
        o.planned_date,
        o.destination,
        o.destination_address,
        o.move_in_by,
        o.fetched_by
            .as_ref()
            .map(|f| format!("; fetched by {f}"))
            .unwrap_or_default(),
        o.moved_on
            .as_ref()
            .map(|d| format!("; moved on {d}"))
            .unwrap_or_default(),
    )
}

fn in_line(i: &MoveIn) -> String {
    format!(
        "転入 {} ({}): resident {} from {}, moved on {}, {}{}{}",
        i.move_id,
        i.state,
        i.resident_code,
        i.from,
        i.moved_on,
        i.address,
        i.sequence
            .map(|s| format!("; recorded as sequence {s}"))
            .unwrap_or_default(),
        i.last_error
            .as_ref()
            .map(|e| format!("; notice attempts {}, last: {e}", i.notice_attempts))
            .unwrap_or_default(),
    )
}

pub fn run(a: Args) -> Result<u8> {
    match a.command {
        Command::Out {
            code,
            planned,
            to,
            to_address,
            common,
        } => {
            let client = common.client()?;
            let req = MoveOutRequest {
                resident_code: code,
                planned_date: planned,
                destination: to,
                destination_address: to_address,
            };
            let out = block_on(async {
                client
                    .move_out(&req)
                    .await
                    .map_err(|e| failed(e, common.json))
            })?;
            if common.json {
                print_json(&out)?;
            } else {
                println!("{}", out_line(&out));
            }
        }
        Command::In {
            code,
            from,
            moved_on,
            address,
            household_head,
            relationship,
            common,
        } => {
            let client = common.client()?;
            let req = MoveInRequest {
                resident_code: code,
                from,
                moved_on,
                address,
                household_head,
                relationship,
            };
            let done = block_on(async {
                client
                    .move_in(&req)
                    .await
                    .map_err(|e| failed(e, common.json))
            })?;
            if common.json {
                print_json(&done)?;
            } else {
                println!("{}", in_line(&done));
                for w in &done.warnings {
                    eprintln!("warning: {} {} / {}", w.code, w.message_ja, w.message_en);
                }
            }
        }
        Command::Status { code, common } => {
            let client = common.client()?;
            let status = block_on(async {
                client
                    .move_status(&code)
                    .await
                    .map_err(|e| failed(e, common.json))
            })?;
            if common.json {
                print_json(&status)?;
            } else if status.outgoing.is_empty() && status.incoming.is_empty() {
                println!("no special move procedures about {code} here");
            } else {
                for o in &status.outgoing {
                    println!("{}", out_line(o));
                }
                for i in &status.incoming {
                    println!("{}", in_line(i));
                }
            }
        }
    }
    Ok(crate::exit::DONE)
}

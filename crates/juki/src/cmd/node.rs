//! `juki node stop`: stop the profile's node — at once outside its operating hours, else once a
//! second person approves (docs/approvals.md).

use super::approve::{OperationArgs, Waited, outcome, print_answer, until_gone, wait};
use super::remote::{block_on, failed, print_json};
use crate::exit::DONE;
use anyhow::Result;
use juki_api::OperationAnswer;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Stop the node: at once outside its operating hours; within them, as a request that a
    /// second person approves (exit 1 until then, unless --wait).
    Stop(OperationArgs),
}

pub fn run(a: Args) -> Result<u8> {
    let Command::Stop(a) = a.command;
    let client = a.common.client()?;
    let json = a.common.json;
    let deadline = a.deadline();
    let body = a.body();
    block_on(async {
        let answer = client.stop_node(&body).await.map_err(|e| failed(e, json))?;
        let Some(approval) = answer.approval.clone() else {
            if a.wait {
                until_gone(&client, deadline).await?;
            }
            let state = if a.wait { "stopped" } else { "stopping" };
            if json {
                print_json(&OperationAnswer {
                    state: state.into(),
                    approval: None,
                })?;
            } else {
                println!("the node is {state} (outside its operating hours: no approval needed)");
            }
            return Ok(DONE);
        };
        if !json {
            print_answer(&answer, &a.common);
        }
        if !a.wait {
            if json {
                print_json(&answer)?;
            }
            return outcome(&approval);
        }
        if !json {
            eprintln!(
                "waiting for {} to be decided (at most {} s)",
                approval.id, a.timeout
            );
        }
        let (state, last) = match wait(&client, approval, deadline, true).await? {
            Waited::Gone(last) => ("stopped".to_string(), last),
            Waited::Request(last) if last.state == "executed" => {
                until_gone(&client, deadline).await?;
                ("stopped".to_string(), last)
            }
            Waited::Request(last) => (last.state.clone(), last),
        };
        if json {
            print_json(&OperationAnswer {
                state: state.clone(),
                approval: Some(last.clone()),
            })?;
        } else if state == "stopped" {
            let by = last.decided_by.as_deref().unwrap_or("a second person");
            println!("{} approved by {by}: the node stopped", last.id);
        }
        match state.as_str() {
            "stopped" => Ok(DONE),
            _ => outcome(&last),
        }
    })
}

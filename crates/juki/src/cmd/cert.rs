//! `juki cert revoke SERIAL`: ask the national node to revoke a certificate of the network CA;
//! a second national operator approves, and nodes refuse it from its next connection
//! (docs/approvals.md). `juki ca revoke` does the same directly on the CA's directory.

use super::approve::{OperationArgs, Waited, outcome, print_answer, wait};
use super::remote::{block_on, failed, print_json};
use anyhow::Result;
use juki_api::OperationAnswer;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Request the revocation of a certificate (exit 1 until a second operator approves it,
    /// unless --wait).
    Revoke(RevokeArgs),
}

#[derive(Debug, clap::Args)]
struct RevokeArgs {
    /// The certificate's serial, in hex (as juki ca list prints it).
    serial: String,
    #[command(flatten)]
    operation: OperationArgs,
}

pub fn run(a: Args) -> Result<u8> {
    let Command::Revoke(RevokeArgs {
        serial,
        operation: a,
    }) = a.command;
    let client = a.common.client()?;
    let json = a.common.json;
    let deadline = a.deadline();
    let body = a.body();
    block_on(async {
        let answer = client
            .revoke_certificate(&serial, &body)
            .await
            .map_err(|e| failed(e, json))?;
        let Some(approval) = answer.approval.clone() else {
            return Err(crate::exit::exit(
                crate::exit::SERVER,
                "the node answered without a request",
            ));
        };
        if !json {
            print_answer(&answer, &a.common);
        }
        let last = match a.wait {
            false => approval,
            true => match wait(&client, approval, deadline, false).await? {
                Waited::Request(last) | Waited::Gone(last) => last,
            },
        };
        if json {
            print_json(&OperationAnswer {
                state: last.state.clone(),
                approval: Some(last.clone()),
            })?;
        } else if a.wait && last.state == "executed" {
            println!(
                "{}: {}",
                last.id,
                last.result.as_deref().unwrap_or("revoked")
            );
        }
        outcome(&last)
    })
}

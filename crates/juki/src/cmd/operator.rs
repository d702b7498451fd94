//! `juki operator add | list | disable`: the operator accounts of the profile's node
//! (docs/operators.md). The profile's holder must be allowed `manage-operators` by the policy
//! for the account's jurisdiction.

use super::login::read_password_stdin;
use super::remote::{Common, block_on, failed, print_json};
use crate::exit;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Add an account; prints its one-time-code secret, this once.
    Add(AddArgs),
    /// List the accounts within your jurisdiction.
    List(ListArgs),
    /// Disable an account for good and end its sessions.
    Disable(DisableArgs),
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The account's name: 1–32 of a-z, 0-9 and -, unique at the node.
    name: String,
    /// A person's role: clerk, admin, operator, helpdesk, auditor, agency.
    #[arg(long)]
    role: String,
    /// A local government code, or `national` for the national roles.
    #[arg(long)]
    jurisdiction: String,
    /// Read the password (12–1,024 bytes) from the first line of standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct DisableArgs {
    /// The account's name.
    name: String,
    #[command(flatten)]
    common: Common,
}

pub fn run(a: Args) -> Result<u8> {
    match a.command {
        Command::Add(a) => add(a),
        Command::List(a) => list(a),
        Command::Disable(a) => disable(a),
    }
}

fn add(a: AddArgs) -> Result<u8> {
    let password = read_password_stdin()?;
    let client = a.common.client()?;
    let json = a.common.json;
    let req = juki_api::OperatorAddRequest {
        name: a.name,
        role: a.role,
        jurisdiction: a.jurisdiction,
        password,
    };
    let e = block_on(async { client.add_operator(&req).await.map_err(|e| failed(e, json)) })?;
    if json {
        print_json(&e)?;
        return Ok(exit::DONE);
    }
    println!("added {}", e.identity);
    println!("one-time-code secret (shown this once: enter it in an authenticator app now):");
    println!("  secret  {}", e.totp_secret);
    println!("  uri     {}", e.otpauth_uri);
    Ok(exit::DONE)
}

fn list(a: ListArgs) -> Result<u8> {
    let client = a.common.client()?;
    let json = a.common.json;
    let l = block_on(async { client.operators().await.map_err(|e| failed(e, json)) })?;
    if json {
        print_json(&l)?;
        return Ok(exit::DONE);
    }
    println!(
        "{:<32}  {:<8}  {:<12}  {:<34}  sessions",
        "name", "role", "jurisdiction", "state"
    );
    for o in &l.operators {
        let state = match (&o.disabled_at, &o.locked_until) {
            (Some(at), _) => format!("disabled {at}"),
            (None, Some(until)) => format!("locked until {until}"),
            (None, None) => "enabled".to_string(),
        };
        println!(
            "{:<32}  {:<8}  {:<12}  {:<34}  {}",
            o.name, o.role, o.jurisdiction, state, o.sessions
        );
    }
    println!("{} accounts", l.operators.len());
    Ok(exit::DONE)
}

fn disable(a: DisableArgs) -> Result<u8> {
    let client = a.common.client()?;
    let json = a.common.json;
    let d = block_on(async {
        client
            .disable_operator(&a.name)
            .await
            .map_err(|e| failed(e, json))
    })?;
    if json {
        print_json(&d)?;
        return Ok(exit::DONE);
    }
    println!(
        "disabled {}; sessions ended: {}",
        d.identity, d.sessions_ended
    );
    Ok(exit::DONE)
}

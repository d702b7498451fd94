//! `juki login`: log in to the profile's node with a password (read from standard input) and
//! the one-time code of an authenticator; prints the session token and when it expires
//! (docs/operators.md). The login itself presents no client certificate.

use super::remote::{Common, block_on, failed, print_json};
use crate::exit::{self, exit};
use anyhow::Result;
use std::io::BufRead;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The account's name.
    #[arg(long)]
    name: String,
    /// Read the password from the first line of standard input (it is never an argument, which
    /// other users of the machine could read).
    #[arg(long, required = true)]
    password_stdin: bool,
    /// The 6-digit code the authenticator shows now.
    #[arg(long)]
    totp: String,
    #[command(flatten)]
    common: Common,
}

/// The most read from standard input for a password: the longest password accepted and a
/// line end.
const PASSWORD_LINE_BYTES_MAX: u64 = juki_operators::PASSWORD_BYTES_MAX as u64 + 2;

/// Reads a password: the first line of standard input, without its line end.
pub fn read_password_stdin() -> Result<String> {
    use std::io::Read;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(PASSWORD_LINE_BYTES_MAX + 1)
        .read_line(&mut line)
        .map_err(|e| {
            exit(
                exit::USAGE,
                format!("reading the password from standard input: {e}"),
            )
        })?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line);
    if password.len() > juki_operators::PASSWORD_BYTES_MAX {
        let def = &juki_domain::catalogue::AUTH_WEAK_PASSWORD;
        return Err(exit(
            exit::class_code(def.class),
            format!("{def} (the password on standard input is longer)"),
        ));
    }
    Ok(password.to_string())
}

pub fn run(a: Args) -> Result<u8> {
    let password = read_password_stdin()?;
    let client = a.common.client_without_certificate()?;
    let json = a.common.json;
    let req = juki_api::LoginRequest {
        name: a.name,
        password,
        totp: a.totp,
    };
    let session = block_on(async { client.login(&req).await.map_err(|e| failed(e, json)) })?;
    if json {
        print_json(&session)?;
        return Ok(exit::DONE);
    }
    println!("logged in as {}", session.identity);
    println!("  token    {}", session.token);
    println!("  expires  {}", session.expires_at);
    println!("Send the token as `Authorization: Bearer <token>`; keep it secret.");
    Ok(exit::DONE)
}

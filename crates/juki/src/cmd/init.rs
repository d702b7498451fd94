//! `juki init`: create a node's data directory.

use anyhow::Result;
use juki_node::{InitOptions, Role};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// municipal, prefecture or national.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The node's local government code (none for the national node).
    #[arg(long)]
    code: Option<String>,
    /// The data directory to create.
    #[arg(long)]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7443")]
    listen: String,
    /// The parent node's URL; a municipal node without one runs standalone.
    #[arg(long)]
    parent: Option<String>,
    /// The network CA's directory (`juki ca init`) to issue the node's certificate from.
    /// Without it the node gets a CA of its own in DATA/ca and an operator profile in
    /// DATA/profiles (a standalone node).
    #[arg(long)]
    ca: Option<PathBuf>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    match s {
        "municipal" => Ok(Role::Municipal),
        "prefecture" => Ok(Role::Prefecture),
        "national" => Ok(Role::National),
        _ => Err("expected municipal, prefecture or national".into()),
    }
}

pub fn run(a: Args) -> Result<u8> {
    let config = juki_node::init(&InitOptions {
        role: a.role,
        code: a.code,
        data_dir: a.data.clone(),
        listen: a.listen,
        parent: a.parent,
        ca_dir: a.ca,
    })?;
    println!(
        "initialised {} node {} ({}) in {}; start it with: juki serve --data {}",
        config.role.as_str(),
        config.code.map_or("-".into(), |c| c.to_string()),
        config.name,
        a.data.display(),
        a.data.display()
    );
    Ok(crate::exit::DONE)
}

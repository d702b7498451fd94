//! What every command that talks to a node shares: `--profile`, `--json`, a runtime, and the
//! exit status of a client error (FORMATS §4).

use crate::exit::{self, exit};
use anyhow::Result;
use juki_client::{Client, ClientError, Endpoint, Profile};
use std::path::PathBuf;
use std::time::Duration;

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, clap::Args)]
pub struct Common {
    /// The client profile: which node, as whom (FORMATS §3).
    #[arg(long, env = "JUKI_PROFILE")]
    pub profile: PathBuf,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Talk to the node at this URL instead of the profile's, with the profile's certificate
    /// (every node accepts every certificate of the network CA; its policy decides).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

impl Common {
    pub fn client(&self) -> Result<Client> {
        let mut profile =
            Profile::load(&self.profile).map_err(|e| exit(exit::USAGE, e.to_string()))?;
        if let Some(url) = &self.url {
            profile.url = url.clone();
        }
        profile
            .client(TIMEOUT)
            .map_err(|e| exit(exit::USAGE, e.to_string()))
    }

    /// A client of the profile's node that presents no certificate (a login needs none).
    pub fn client_without_certificate(&self) -> Result<Client> {
        let usage = |e: ClientError| exit(exit::USAGE, e.to_string());
        let endpoint = Endpoint::load(&self.profile).map_err(usage)?;
        endpoint.client(TIMEOUT).map_err(usage)
    }
}

/// Runs `f` on a small runtime.
pub fn block_on<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

/// A client error as the command's error, with its exit status: a refusal by its class, an
/// unreachable node 3. With `json`, a refusal's body is printed on stdout.
pub fn failed(e: ClientError, json: bool) -> anyhow::Error {
    match e {
        ClientError::Refused { body, .. } => {
            let class = juki_domain::catalogue::lookup(&body.code).map(|d| d.class);
            if json && let Ok(text) = serde_json::to_string(&body) {
                println!("{text}");
            }
            let code = class.map_or(exit::SERVER, exit::class_code);
            exit(
                code,
                format!("{} {} / {}", body.code, body.message_ja, body.message_en),
            )
        }
        ClientError::Tls { def, detail } => {
            exit(exit::class_code(def.class), format!("{def} ({detail})"))
        }
        ClientError::Transport(m) => exit(exit::SERVER, format!("node unreachable: {m}")),
        ClientError::Config(m) => exit(exit::USAGE, m),
    }
}

/// Prints `v` as one JSON document.
pub fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

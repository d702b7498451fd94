//! Wire types: the JSON bodies of juki's HTTP API (docs/api.md) and the one error shape of
//! FORMATS §5. Domain and store values are converted here, at the edge; nothing else in juki
//! knows these shapes.

mod approval;
mod batch;
mod certificate;
mod change;
mod digest;
mod error;
mod gateway;
mod identity;
mod link;
mod moves;
mod operators;
mod record;
mod restore;
mod route;
mod security;

pub use approval::*;
pub use batch::*;
pub use certificate::*;
pub use change::*;
pub use digest::*;
pub use error::*;
pub use gateway::*;
pub use identity::*;
pub use link::*;
pub use moves::*;
pub use operators::*;
pub use record::*;
pub use restore::*;
pub use route::*;
pub use security::*;

/// The version of the wire protocol this build speaks (carried in `/healthz` and, between
/// nodes, in every message).
pub const PROTOCOL_VERSION: u32 = 1;

/// `GET /healthz`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Health {
    pub status: String,
    pub role: String,
    pub code: Option<String>,
    pub name: String,
    pub version: String,
    pub protocol: u32,
}

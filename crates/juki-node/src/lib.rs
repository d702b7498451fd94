//! The juki node: its configuration, its HTTPS server and routes, admission control and
//! metrics. This is the only crate that knows HTTP; it turns requests into calls on the
//! domain and the store, and their errors into the one error shape (FORMATS §5).

pub mod access_index;
pub mod approvals;
pub mod audit;
pub mod backup;
pub mod caller;
pub mod clock;
pub mod config;
pub mod digest;
mod error;
pub mod hours;
pub mod link;
mod metrics;
pub mod moves;
pub mod policy;
pub mod ratelimit;
mod routes;
pub mod routing;
mod server;
pub mod tls;

pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{InitOptions, NodeConfig, Role, init};
pub use error::ApiError;
pub use link::{LinkState, Parent};
pub use server::{Node, serve};

//! Two-person approval (docs/approvals.md): a dangerous operation is first recorded as a
//! [`Request`] that says exactly what it will affect, and runs only after a second person
//! approves it.
//!
//! This crate holds the rules of a request's life — pure functions of the request and the time
//! the caller gives ([`NewRequest::admit`], [`Request::approve`], [`Request::reject`],
//! [`Request::finish`]) — and their record in SQLite ([`ApprovalStore`], `DATA/approvals.db`).
//! It knows nothing of HTTP, certificates or the policy: which person may approve which
//! action is the node's policy, and what an operation does is the function the node registers
//! for its action. It reads no clock.

mod error;
mod request;
mod store;
#[cfg(test)]
mod testing;

pub use error::ApprovalError;
pub use request::*;
pub use store::{APPROVALS_FILE, ApprovalStore, TakeError};

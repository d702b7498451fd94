//! Operator accounts of a node (docs/operators.md): people who log in with a password
//! (argon2id) and a one-time code (TOTP, RFC 6238) and get a short-lived session token that
//! stands for the same [`juki_pki::Identity`] — role, jurisdiction, name — a client certificate
//! would, so the policy decides on both alike.
//!
//! Accounts and sessions live in a SQLite file (`DATA/operators.db`, mode 0600). Only the
//! SHA-256 of a session token is stored. Every call takes the time (`now_ms`); the crate never
//! reads a clock. Calls block (SQLite, argon2): a server runs them on blocking threads.

mod error;
pub mod password;
mod store;
pub mod totp;

pub use error::{Failure, LoginFailure, OperatorError};
pub use password::{PASSWORD_BYTES_MAX, PASSWORD_BYTES_MIN, PasswordCost};
pub use store::{Account, Disabled, Enrolment, OperatorStore, Session};

use juki_domain::catalogue::CFG_INVALID;

/// The operator database's file name inside a node's data directory.
pub const OPERATORS_FILE: &str = "operators.db";
/// The most accounts a node holds, disabled ones included.
pub const ACCOUNTS_MAX: u64 = 100_000;
/// The most live sessions of one account; a new login ends the oldest beyond it.
pub const SESSIONS_PER_ACCOUNT_MAX: u32 = 16;
/// The longest a session may be configured to last: 12 hours.
pub const SESSION_MS_MAX: i64 = 12 * 3_600_000;
/// The default session length: 15 minutes.
pub const SESSION_MS_DEFAULT: i64 = 15 * 60_000;

/// How accounts behave: the cost of password hashing, session length, lockout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub password_cost: PasswordCost,
    /// How long a session lasts from its login (not extended by use): 1 minute to 12 hours.
    pub session_ms: i64,
    /// Consecutive failed logins that lock an account: 1–1,000.
    pub lockout_failures: u32,
    /// How long a locked account refuses every login: 1 second to 1 day.
    pub lockout_ms: i64,
    /// Password hashes computed at once (each takes `password_cost.memory_kib`); a login or
    /// enrolment beyond it is refused as overloaded rather than queued: 1–64.
    pub hashing_max: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            password_cost: PasswordCost::default(),
            session_ms: SESSION_MS_DEFAULT,
            lockout_failures: 5,
            lockout_ms: 15 * 60_000,
            hashing_max: 4,
        }
    }
}

impl Options {
    /// Checks every setting against its bounds.
    pub fn check(&self) -> Result<(), OperatorError> {
        let bounded = |name: &str, value: i64, min: i64, max: i64| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(OperatorError::new(
                    &CFG_INVALID,
                    format!("operators.{name} = {value}: must be within {min}..={max}"),
                ))
            }
        };
        bounded("session_ms", self.session_ms, 60_000, SESSION_MS_MAX)?;
        bounded(
            "lockout_failures",
            i64::from(self.lockout_failures),
            1,
            1_000,
        )?;
        bounded("lockout_ms", self.lockout_ms, 1_000, 86_400_000)?;
        bounded("hashing_max", self.hashing_max as i64, 1, 64)?;
        self.password_cost
            .hasher()
            .map(|_| ())
            .map_err(|e| OperatorError::new(&CFG_INVALID, e))
    }
}

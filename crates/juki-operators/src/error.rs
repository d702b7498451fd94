//! What can go wrong: a failed login (with what happened, for the audit log) and every other
//! refusal or failure, each named by its catalogue entry.

use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    AUTH_BAD_CREDENTIALS, AUTH_DB, AUTH_DISABLED, AUTH_LOCKED, NODE_OVERLOADED,
};
use juki_pki::Identity;

/// A refusal or failure of an account operation; `detail` says what it was about (never a
/// password or a secret).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{def}: {detail}")]
pub struct OperatorError {
    pub def: &'static ErrorDef,
    pub detail: String,
}

impl OperatorError {
    pub fn new(def: &'static ErrorDef, detail: impl Into<String>) -> OperatorError {
        OperatorError {
            def,
            detail: detail.into(),
        }
    }
}

impl From<rusqlite::Error> for OperatorError {
    fn from(e: rusqlite::Error) -> OperatorError {
        OperatorError::new(&AUTH_DB, e.to_string())
    }
}

impl From<juki_pki::PkiError> for OperatorError {
    fn from(e: juki_pki::PkiError) -> OperatorError {
        OperatorError::new(e.def, e.detail)
    }
}

/// Why a login failed. The first four answer the same (`JK-AUTH-0101`) so that nobody learns
/// from the answer whether a name exists or which factor was wrong; the audit log records
/// which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No account has the name.
    UnknownAccount,
    WrongPassword,
    /// The password was right; the one-time code was not that of this or a neighbouring step.
    WrongCode,
    /// The password was right; the code was right but its step was used already.
    ReplayedCode,
    /// The account is locked until then; nothing was checked.
    Locked {
        until_ms: i64,
    },
    /// The password and code were right, but the account is disabled.
    Disabled,
    /// Too many password hashes are being computed; try again.
    Busy,
    /// The database failed.
    Store(String),
}

impl Failure {
    /// A short word for the audit log's detail.
    pub fn as_str(&self) -> &'static str {
        match self {
            Failure::UnknownAccount => "unknown account",
            Failure::WrongPassword => "wrong password",
            Failure::WrongCode => "wrong one-time code",
            Failure::ReplayedCode => "one-time code already used",
            Failure::Locked { .. } => "account locked",
            Failure::Disabled => "account disabled",
            Failure::Busy => "too many logins at once",
            Failure::Store(_) => "operator database failed",
        }
    }
}

/// A failed login: why, the account's identity when an account has the name, and whether this
/// failure locked the account (until when).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginFailure {
    pub reason: Failure,
    pub identity: Option<Identity>,
    pub locked_until_ms: Option<i64>,
}

impl LoginFailure {
    pub(crate) fn new(reason: Failure, identity: Option<Identity>) -> LoginFailure {
        LoginFailure {
            reason,
            identity,
            locked_until_ms: None,
        }
    }

    /// The catalogue entry to answer with.
    pub fn def(&self) -> &'static ErrorDef {
        match self.reason {
            Failure::UnknownAccount
            | Failure::WrongPassword
            | Failure::WrongCode
            | Failure::ReplayedCode => &AUTH_BAD_CREDENTIALS,
            Failure::Locked { .. } => &AUTH_LOCKED,
            Failure::Disabled => &AUTH_DISABLED,
            Failure::Busy => &NODE_OVERLOADED,
            Failure::Store(_) => &AUTH_DB,
        }
    }
}

impl From<OperatorError> for LoginFailure {
    fn from(e: OperatorError) -> LoginFailure {
        LoginFailure::new(Failure::Store(e.to_string()), None)
    }
}

impl std::fmt::Display for LoginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.def(), self.reason.as_str())
    }
}

impl std::error::Error for LoginFailure {}

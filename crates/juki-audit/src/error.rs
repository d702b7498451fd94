//! The errors of this crate: [`AuditError`] for opening, reading and purging the log, and
//! [`RecordError`] for the request path, where the caller must branch (refuse with 503) and
//! nothing may allocate.

use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    AUDIT_CLOSED, AUDIT_ENTRY_TOO_LARGE, AUDIT_FAILING, AUDIT_FULL, AUDIT_UNREADABLE, AUDIT_WRITE,
};
use std::path::Path;

/// A failure named by its catalogue entry (`JK-AUDIT-…`); `detail` says which file or setting.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{def}: {detail}")]
pub struct AuditError {
    pub def: &'static ErrorDef,
    pub detail: String,
}

impl AuditError {
    pub fn new(def: &'static ErrorDef, detail: impl Into<String>) -> AuditError {
        AuditError {
            def,
            detail: detail.into(),
        }
    }

    pub(crate) fn unreadable(path: &Path, why: impl std::fmt::Display) -> AuditError {
        AuditError::new(&AUDIT_UNREADABLE, format!("{}: {why}", path.display()))
    }

    pub(crate) fn write(path: &Path, why: impl std::fmt::Display) -> AuditError {
        AuditError::new(&AUDIT_WRITE, format!("{}: {why}", path.display()))
    }
}

/// Why [`crate::AuditLog::try_record`] refused an entry. The request it was about must then be
/// refused too: a read of personal data is never served unaudited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The writer's queue is full (load): answer 503 with Retry-After.
    #[error("{}", AUDIT_FULL)]
    Full,
    /// The writer cannot write (disk full, IO error) and retries; answer 503.
    #[error("{}", AUDIT_FAILING)]
    Failing,
    /// The writer has stopped.
    #[error("{}", AUDIT_CLOSED)]
    Closed,
    /// The entry breaks a limit; the field is named.
    #[error("{def}: {0}", def = AUDIT_ENTRY_TOO_LARGE)]
    TooLarge(&'static str),
}

impl RecordError {
    /// The catalogue entry; its class chooses the HTTP status.
    pub fn def(self) -> &'static ErrorDef {
        match self {
            RecordError::Full => &AUDIT_FULL,
            RecordError::Failing => &AUDIT_FAILING,
            RecordError::Closed => &AUDIT_CLOSED,
            RecordError::TooLarge(_) => &AUDIT_ENTRY_TOO_LARGE,
        }
    }
}

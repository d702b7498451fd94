//! Storage errors, each tied to its catalogue entry.

use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    STORE_BUSY, STORE_CORRUPT, STORE_DISK_FULL, STORE_IO, STORE_SCHEMA_NEWER, STORE_UNREACHABLE,
};

/// What can go wrong in a store. Refusals of individual changes are not errors: they are
/// [`crate::Outcome::Refused`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the disk is full")]
    DiskFull,
    #[error("the store is busy (locked by another connection)")]
    Busy,
    #[error("the store's schema version {found} is newer than this juki knows ({known})")]
    SchemaNewer { found: i64, known: i64 },
    #[error("stored value cannot be read back: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Io(String),
    /// The database server does not answer (a server-based store only): retry later.
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    #[error("a forwarded change from {recorded_by} reuses origin {origin:?} of another change")]
    OriginReused {
        recorded_by: juki_domain::LocalGovernmentCode,
        origin: crate::Origin,
    },
}

impl StoreError {
    /// The catalogue entry a user sees for this error.
    pub fn def(&self) -> &'static ErrorDef {
        match self {
            StoreError::DiskFull => &STORE_DISK_FULL,
            StoreError::Busy => &STORE_BUSY,
            StoreError::SchemaNewer { .. } => &STORE_SCHEMA_NEWER,
            StoreError::Corrupt(_) => &STORE_CORRUPT,
            StoreError::Io(_) => &STORE_IO,
            StoreError::Unreachable(_) => &STORE_UNREACHABLE,
            StoreError::OriginReused { .. } => &juki_domain::catalogue::NET_ORIGIN_REUSED,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => match e {
                rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..) => StoreError::Corrupt(e.to_string()),
                _ => StoreError::Io(e.to_string()),
            },
        }
    }
}

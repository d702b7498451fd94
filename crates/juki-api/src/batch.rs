//! Identity verification in bulk (`POST /v1/identity/batch`): JSON lines in, JSON lines out.

use crate::record::RecordFields;
use serde::{Deserialize, Serialize};

/// One query line: the caller's id for it, and the resident code to verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchQuery {
    pub id: String,
    pub resident_code: String,
}

/// One answer line, in the order of the queries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAnswer {
    pub id: String,
    pub resident_code: String,
    /// `current`, `closed`, `not-found`, or `refused` (the line is malformed or the policy
    /// refuses it: `error` says which).
    pub status: String,
    /// The identity record (identity facts only) when `current`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<RecordFields>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The last line of an answer cut short: why (e.g. the audit log refused, the limit of
/// queries was passed); the lines before it stand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchStopped {
    pub stopped: crate::ErrorBody,
    /// Queries answered before it.
    pub answered: u64,
}

/// Queries one batch request may carry.
pub const BATCH_QUERIES_MAX: u64 = 1_000_000;
/// Bytes of one query line.
pub const BATCH_LINE_BYTES_MAX: usize = 4_096;

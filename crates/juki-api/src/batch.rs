//! Identity verification in bulk (`POST /v1/identity/batch`): JSON lines in, JSON lines out.

use crate::identity::IdentityCandidate;
use crate::record::RecordFields;
use serde::{Deserialize, Serialize};

/// One query line: the caller's id for it (the line number when absent), and either the
/// resident code to verify or the four facts to search by (`kana`, `birth_date`, `sex`, and
/// optionally `name`, `address_code`, `address`), as `GET /v1/identity/search` takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resident_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kana: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Candidates to answer for a query by the four facts (default
    /// [`BATCH_CANDIDATES_DEFAULT`], at most `IDENTITY_CANDIDATES_MAX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// Candidates answered for a query by the four facts unless it says otherwise.
pub const BATCH_CANDIDATES_DEFAULT: usize = 3;

/// One answer line, in the order of the queries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAnswer {
    pub id: String,
    pub resident_code: String,
    /// By resident code: `current`, `closed` or `not-found`; by the four facts: `matched` (see
    /// `candidates`) or `not-found`; either: `refused` (the line is malformed or the policy
    /// refuses it: `error` says which).
    pub status: String,
    /// The identity record (identity facts only) when `current`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<RecordFields>,
    /// By the four facts: the residents who may be the person, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<IdentityCandidate>,
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

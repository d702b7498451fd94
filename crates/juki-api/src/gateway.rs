//! Change files submitted at a municipal node (`POST /v1/gateway/submit`, docs/api.md).

use crate::approval::Approval;
use serde::{Deserialize, Serialize};

/// What became of a file submitted at the node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatewaySubmitted {
    /// `applied`: every accepted record went to the store (refused ones are in the report);
    /// `pending`: the file closes more records than allowed without approval, and waits,
    /// nothing of it applied, for the request in `approval`.
    pub state: String,
    /// The file's SHA-256 (lowercase hex).
    pub sha256: String,
    /// Records that passed the gateway's checks.
    pub accepted: u64,
    /// Of those, applied now, and already recorded before (not applied again).
    pub applied: u64,
    pub duplicates: u64,
    /// Accepted records that close (消除) a record.
    pub closes: u64,
    /// The linkage report (FORMATS §5): refused records, by the gateway or by the node.
    pub report: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

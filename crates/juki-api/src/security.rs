//! Identity verification for agencies, disclosure to residents (開示) and audit verification
//! over the API (docs/api.md).

use crate::ErrorBody;
use crate::record::RecordFields;
use serde::{Deserialize, Serialize};

/// `GET /v1/identity/{code}?purpose=P`: the current identity record, for an agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityResponse {
    pub resident_code: String,
    /// `current` or `closed`.
    pub status: String,
    /// The identity record (null when closed here).
    pub current: Option<RecordFields>,
    /// The purpose code given, and its name at this node.
    pub purpose: String,
    pub purpose_name: String,
    /// The node that answered (its identity URI).
    pub node: String,
}

/// One access to a resident's data, as an audit log recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// When, RFC 3339 in UTC.
    pub time: String,
    /// The node that provided the data (identity URI).
    pub node: String,
    /// What was done: read, search, change, identity-lookup, disclosure…
    pub function: String,
    /// The purpose code given, if any.
    pub purpose: Option<String>,
    /// To whom: the identity of the person or system that asked.
    pub to: String,
    pub role: String,
    /// `ok`, `denied` or `failed`.
    pub result: String,
    /// The refusal's code when not ok.
    pub error: Option<String>,
}

/// The record a tier holds on the resident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRecord {
    pub status: String,
    pub fields: RecordFields,
}

/// What one node holds on a resident and who accessed it there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierPart {
    /// `municipal`, `prefecture` or `national`.
    pub tier: String,
    /// The node's identity URI and name.
    pub node: String,
    pub name: String,
    /// The record held there (null: none).
    pub record: Option<HeldRecord>,
    /// Oldest first.
    pub accesses: Vec<Access>,
    /// More accesses exist than the report lists ([`ACCESSES_MAX`]).
    pub accesses_truncated: bool,
    /// Why this tier could not answer (the report is then incomplete).
    pub error: Option<ErrorBody>,
}

/// Accesses one tier lists at most.
pub const ACCESSES_MAX: usize = 10_000;

/// `GET /v1/disclosure/{code}`: the disclosure report (開示) of a resident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisclosureReport {
    pub resident_code: String,
    /// When the report was produced (RFC 3339, UTC), by which node, at whose request.
    pub produced_at: String,
    pub produced_by: String,
    pub requested_by: String,
    /// Every tier answered.
    pub complete: bool,
    /// The municipal node first, then its prefecture, then the national node.
    pub tiers: Vec<TierPart>,
}

/// `POST /v1/link/disclosure`: a child node asks its parent for its part (and its parent's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureRequest {
    pub protocol: u32,
    pub resident_code: String,
    /// The person the report is produced for (the clerk at the window).
    pub requested_by: String,
    /// The request id at the node where it started.
    pub request_id: String,
}

/// The parent's answer: its part and those above it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisclosureParts {
    pub tiers: Vec<TierPart>,
}

/// `GET /v1/audit/verify`: a running node's audit log checked (juki_audit's report, as JSON).
pub type AuditVerifyResponse = serde_json::Value;

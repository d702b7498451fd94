//! Resident-record copies (住民票の写し), at the window and across municipalities (広域交付).

use crate::record::RecordFields;
use serde::{Deserialize, Serialize};

/// `POST /v1/certificates/resident-copy`: the resident, and the municipality they are
/// registered in (the applicant states it; the window's own when omitted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentCopyRequest {
    pub resident_code: String,
    #[serde(default)]
    pub home: Option<String>,
    /// Also render the copy as PDF (in `ResidentCopy::pdf`).
    #[serde(default)]
    pub pdf: bool,
}

/// What the home municipality's node answers a window (routed kind `resident-copy`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentCopyData {
    pub resident_code: String,
    /// The record as a copy shows it, local fields included.
    pub fields: RecordFields,
    /// The home node's identity URI and name.
    pub home_node: String,
    pub home_name: String,
}

/// A copy issued at a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentCopy {
    /// `<window code>-<request id>`.
    pub certificate_id: String,
    /// Twelve characters that tie the printed copy to what was issued (docs/api.md).
    pub verification_code: String,
    pub issued_at: String,
    /// The window's municipality (code and name) and the home municipality.
    pub issued_by: String,
    pub issued_by_name: String,
    pub home: String,
    pub home_name: String,
    /// Whether it crossed municipalities (広域交付).
    pub wide_area: bool,
    pub resident_code: String,
    pub fields: RecordFields,
    /// The copy for printing (HTML, A4).
    pub html: String,
    /// The copy as PDF (A4, base64), when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<String>,
}

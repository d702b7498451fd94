//! Two-person approval on the wire (docs/api.md, docs/approvals.md): the operations that may
//! need a second person, their answers, and approval requests.

use serde::{Deserialize, Serialize};

/// The body of `POST /v1/node/stop`, `POST /v1/certificates/{serial}/revoke` and
/// `POST /v1/approvals/{id}/approve|reject`: why (optional, at most 512 characters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer (202) to an operation that may need approval: `stopping` when it was done at
/// once, `pending` with the request a second person must approve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationAnswer {
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

/// What an operation is done to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalTarget {
    /// A local government code, or `national`.
    pub jurisdiction: String,
    /// One object within it, e.g. a certificate's serial.
    pub object: Option<String>,
}

/// An approval request, as `GET /v1/approvals/{id}` shows it. Times are ms since the Unix
/// epoch (UTC).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    /// `A-000017`, unique at the node that holds it.
    pub id: String,
    /// The node that holds the request and carries it out (its identity URI).
    pub node: String,
    /// The policy's name of the operation: `stop-node`, `revoke-certificate`.
    pub action: String,
    pub target: ApprovalTarget,
    /// What it will affect, in one sentence.
    pub effect: String,
    pub params: serde_json::Value,
    pub reason: Option<String>,
    pub requested_by: String,
    pub requested_at_ms: i64,
    pub expires_at_ms: i64,
    /// `pending`, `approved`, `executed`, `failed`, `rejected` or `expired`.
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub decision_reason: Option<String>,
    pub executed_at_ms: Option<i64>,
    pub result: Option<String>,
}

/// `GET /v1/approvals`: every pending request and the latest others, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalList {
    pub approvals: Vec<Approval>,
}

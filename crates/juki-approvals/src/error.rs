//! Why a request could not be created, decided or recorded, each with its catalogue entry.

use crate::request::{RequestId, State};
use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    APPR_EXPIRED, APPR_INVALID, APPR_NOT_FOUND, APPR_NOT_PENDING, APPR_STORAGE, APPR_TOO_MANY,
    POLICY_OWN_APPROVAL,
};

/// A refusal of the approval rules, or a failure of their record.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApprovalError {
    /// No request has this id here.
    #[error("no approval request {0} here")]
    NotFound(String),
    /// Only a pending request can be decided (and only an approved one carried out).
    #[error("request {id} is {}, not {}", .state.as_str(), .expected.as_str())]
    WrongState {
        id: RequestId,
        state: State,
        expected: State,
    },
    /// The request waited longer than it may.
    #[error("request {id} expired (it could be approved until {expires_at_ms} ms)")]
    Expired { id: RequestId, expires_at_ms: i64 },
    /// The requester tried to approve their own request.
    #[error("{by} made request {id} and cannot approve it; another person must")]
    OwnApproval { id: RequestId, by: String },
    /// As many requests as a node holds are waiting.
    #[error("{max} requests are already waiting for approval")]
    TooManyPending { max: usize },
    /// A field breaks its rule.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The database failed.
    #[error("approvals database: {0}")]
    Storage(String),
}

impl ApprovalError {
    /// The catalogue entry of this error.
    pub fn def(&self) -> &'static ErrorDef {
        match self {
            ApprovalError::NotFound(_) => &APPR_NOT_FOUND,
            ApprovalError::WrongState { .. } => &APPR_NOT_PENDING,
            ApprovalError::Expired { .. } => &APPR_EXPIRED,
            ApprovalError::OwnApproval { .. } => &POLICY_OWN_APPROVAL,
            ApprovalError::TooManyPending { .. } => &APPR_TOO_MANY,
            ApprovalError::Invalid { .. } => &APPR_INVALID,
            ApprovalError::Storage(_) => &APPR_STORAGE,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> ApprovalError {
        ApprovalError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl From<rusqlite::Error> for ApprovalError {
    fn from(e: rusqlite::Error) -> ApprovalError {
        ApprovalError::Storage(e.to_string())
    }
}

//! Identity verification by the four facts (本人確認情報の検索) for agencies (docs/api.md).

use crate::record::RecordFields;
use serde::{Deserialize, Serialize};

/// The most candidates one search answers, and how many it answers unless told.
pub const IDENTITY_CANDIDATES_MAX: usize = 100;
pub const IDENTITY_CANDIDATES_DEFAULT: usize = 10;

/// `GET /v1/identity/search?purpose=P&kana=…&birth_date=…&sex=…`: the residents who may be the
/// person described, best first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySearchResponse {
    /// The purpose code given, and its name at this node.
    pub purpose: String,
    pub purpose_name: String,
    /// The node that answered (its identity URI).
    pub node: String,
    pub candidates: Vec<IdentityCandidate>,
}

/// One resident who may be the person described, and how well the record fits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCandidate {
    pub resident_code: String,
    /// `current` or `closed`.
    pub status: String,
    /// `exact`, `strong` or `weak` (docs/domain.md, "Matching for identity verification").
    pub quality: String,
    /// 0–100.
    pub score: u32,
    /// The identity record (null when closed here); never local fields.
    pub current: Option<RecordFields>,
}

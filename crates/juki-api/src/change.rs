//! Submitting changes: `POST /v1/changes`.

use crate::ProblemJson;
use juki_domain::RawChange;
use serde::{Deserialize, Serialize};

/// One change with the column names of FORMATS §1; every value a string (codes keep their
/// leading zeros). Absent and empty mean the same.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChangeInput {
    pub record_id: String,
    pub change_kind: String,
    pub effective_date: String,
    pub resident_code: String,
    pub family_name: String,
    pub given_name: String,
    pub family_name_kana: String,
    pub given_name_kana: String,
    pub birth_date: String,
    pub sex: String,
    pub local_government_code: String,
    pub address: String,
    pub notified_date: String,
    pub planned_date: String,
    pub destination_code: String,
    pub destination_address: String,
    pub individual_number: String,
    pub former_family_name: String,
    pub alias_name: String,
    pub nationality: String,
    pub household_head: String,
    pub relationship: String,
    pub resident_since: String,
    pub address_since: String,
}

macro_rules! convert {
    ($from:ident => $to:ident { $($f:ident),* }) => {
        impl From<$from> for $to {
            fn from(x: $from) -> $to {
                $to { $($f: x.$f),* }
            }
        }
    };
}
convert!(ChangeInput => RawChange { record_id, change_kind, effective_date, resident_code, family_name, given_name,
    family_name_kana, given_name_kana, birth_date, sex, local_government_code, address, notified_date, planned_date,
    destination_code, destination_address, individual_number, former_family_name, alias_name, nationality,
    household_head, relationship, resident_since, address_since });
convert!(RawChange => ChangeInput { record_id, change_kind, effective_date, resident_code, family_name, given_name,
    family_name_kana, given_name_kana, birth_date, sex, local_government_code, address, notified_date, planned_date,
    destination_code, destination_address, individual_number, former_family_name, alias_name, nationality,
    household_head, relationship, resident_since, address_since });

/// `POST /v1/changes` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub changes: Vec<ChangeInput>,
}

/// What became of one submitted change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    /// Recorded now.
    Applied,
    /// Its record id was recorded before; nothing was applied again.
    Duplicate,
    /// Not recorded; `errors` says why.
    Refused,
}

/// The result of one change, in submission order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResult {
    pub record_id: String,
    pub status: ChangeStatus,
    /// Journal sequence of the entry that recorded it (applied or duplicate).
    pub sequence: Option<u64>,
    /// The resident code (assigned by the node when the change left it empty).
    pub resident_code: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemJson>,
}

/// `POST /v1/changes` answer: 200 even when some changes are refused; each says why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResponse {
    pub applied: u64,
    pub duplicates: u64,
    pub refused: u64,
    pub results: Vec<ChangeResult>,
}

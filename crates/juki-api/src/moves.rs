//! The special move-out/move-in (転入転出の特例, docs/moves.md): what a window sends, what the
//! old and the new municipality say to each other over routing, and what `juki move status`
//! shows.

use crate::link::Warning;
use crate::record::RecordFields;
use serde::{Deserialize, Serialize};

/// `POST /v1/moves/out` at the old municipality: the move-out, notified with a planned date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveOutRequest {
    pub resident_code: String,
    /// `YYYY-MM-DD`.
    pub planned_date: String,
    /// The new municipality's local government code.
    pub destination: String,
    /// The new address within it, as the resident states it.
    pub destination_address: String,
}

/// A move-out notified at the old municipality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveOut {
    /// `<old municipality>-<n>`: names the procedure at both ends.
    pub move_id: String,
    pub resident_code: String,
    pub planned_date: String,
    pub destination: String,
    pub destination_address: String,
    /// `notified`, `fetched` or `closed`.
    pub state: String,
    pub notified_at: String,
    /// The last day the move-in may use this move-out (planned date + 30 days).
    pub move_in_by: String,
    /// The municipality that fetched the certificate data, once one has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_by: Option<String>,
    /// Once closed: the day of the move and the new address, from the move-in notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_sequence: Option<u64>,
}

/// `POST /v1/moves/in` at the new municipality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveInRequest {
    pub resident_code: String,
    /// The old municipality's local government code.
    pub from: String,
    /// The day of the move, `YYYY-MM-DD`.
    pub moved_on: String,
    /// The new address within this municipality.
    pub address: String,
    /// Household head and relationship here, when they differ from the old municipality's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_head: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
}

/// The move-out certificate data (転出証明書情報) the old municipality answers the new one
/// (routed kind `move-out-fetch`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveCertificate {
    pub move_id: String,
    pub resident_code: String,
    pub planned_date: String,
    pub destination: String,
    pub destination_address: String,
    /// The record at the old municipality, local fields included.
    pub fields: RecordFields,
    /// `notified`, `fetched` or `closed`.
    pub state: String,
    /// For a closed move: the municipality whose notice closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
}

/// The move-in notice (転入通知) the new municipality sends the old one (routed kind
/// `move-in-notice`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveInNotice {
    pub move_id: String,
    pub resident_code: String,
    pub moved_on: String,
    /// The new municipality and the address there.
    pub to: String,
    pub address: String,
}

/// The old municipality's acknowledgement of a notice: the record is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveInNoticeAck {
    pub move_id: String,
    /// The journal sequence of the move-out at the old municipality.
    pub closed_sequence: u64,
}

/// A move-in at the new municipality, as `POST /v1/moves/in` and status answer it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveIn {
    pub move_id: String,
    pub resident_code: String,
    pub from: String,
    pub moved_on: String,
    pub address: String,
    /// `fetched`, `notice-pending` or `completed`.
    pub state: String,
    /// The move-in's journal sequence here, once recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// Notices sent without an acknowledgement so far, and the last failure.
    pub notice_attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Whether this request found the procedure already under way (a repeated request).
    pub resumed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// `GET /v1/moves/{code}`: the procedures about a resident at this node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveStatus {
    pub resident_code: String,
    /// Move-outs notified here.
    pub outgoing: Vec<MoveOut>,
    /// Move-ins recorded here.
    pub incoming: Vec<MoveIn>,
}

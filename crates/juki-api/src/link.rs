//! Messages between nodes: forwarding journal entries to the parent, code pools, and a node's
//! status (FORMATS §4 `status`). Every message between nodes carries the protocol version.

use juki_domain::change::Destination;
use juki_domain::date::BirthDate;
use juki_domain::name::{PersonName, Script};
use juki_domain::{
    Address, ChangeKind, Date, IdentityFacts, IndividualNumber, LocalFields, LocalGovernmentCode,
    RecordStatus, ResidentCode, Sex,
};
use juki_store::{JournalEntry, Origin};
use serde::{Deserialize, Serialize};

/// Whether a peer speaking `version` can be served: this build's version, one older or one
/// newer (BRIEF §7: the network is upgraded one node at a time).
pub fn protocol_compatible(version: u32) -> bool {
    version.abs_diff(crate::PROTOCOL_VERSION) <= 1
}

/// `POST /v1/link/forward`: a child node sends the entries of its journal after the position
/// the parent acknowledged last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardRequest {
    pub protocol: u32,
    /// The sending node's local government code.
    pub from: String,
    /// The sending node's epoch.
    pub epoch: u64,
    pub entries: Vec<WireEntry>,
}

/// The answer to [`ForwardRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardResponse {
    pub protocol: u32,
    /// The highest contiguous sequence of the sender the parent now holds.
    pub acked: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub held_back: u64,
}

/// `POST /v1/link/code-pools`: a child node asks for resident codes to assign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolRequest {
    pub protocol: u32,
    pub from: String,
    /// How many codes.
    pub size: u64,
}

/// A range of resident-code bodies (the first ten digits): `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolGrant {
    pub protocol: u32,
    pub start: u64,
    pub end: u64,
}

/// One journal entry on the wire: identity information only (local fields never leave the
/// municipality). Names follow FORMATS §1; codes and dates are strings as there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireEntry {
    /// The sender's journal sequence.
    pub seq: u64,
    pub recorded_by: String,
    pub origin_epoch: u64,
    pub origin_seq: u64,
    pub record_id: String,
    pub change_kind: String,
    pub effective_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_address: Option<String>,
    pub recorded_at_ms: i64,
    pub resident_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_code: Option<String>,
    /// `current` or `closed`.
    pub status: String,
    pub family_name: String,
    pub given_name: String,
    pub family_name_kana: String,
    pub given_name_kana: String,
    /// `ja` or `latin`.
    pub script: String,
    pub birth_date: String,
    pub sex: String,
    pub local_government_code: String,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
}

impl From<&JournalEntry> for WireEntry {
    fn from(e: &JournalEntry) -> WireEntry {
        let f = &e.facts;
        WireEntry {
            seq: e.seq,
            recorded_by: e.recorded_by.to_string(),
            origin_epoch: e.origin.epoch,
            origin_seq: e.origin.seq,
            record_id: e.record_id.clone(),
            change_kind: e.kind.ja().into(),
            effective_date: e.effective_date.to_string(),
            notified_date: e.notified_date.map(|d| d.to_string()),
            planned_date: e.planned_date.map(|d| d.to_string()),
            destination_code: e
                .destination
                .as_ref()
                .and_then(|d| d.code)
                .map(|c| c.to_string()),
            destination_address: e.destination.as_ref().map(|d| d.address.clone()),
            recorded_at_ms: e.recorded_at_ms,
            resident_code: e.resident_code.to_string(),
            previous_code: e.previous_code.map(|c| c.to_string()),
            status: e.status.as_str().into(),
            family_name: f.name.family.clone(),
            given_name: f.name.given.clone(),
            family_name_kana: f.name.family_kana.clone(),
            given_name_kana: f.name.given_kana.clone(),
            script: match f.name.script {
                Script::Japanese => "ja",
                Script::Latin => "latin",
            }
            .into(),
            birth_date: f.birth_date.to_string(),
            sex: f.sex.as_str().into(),
            local_government_code: f.address.code.to_string(),
            address: f.address.remainder.clone(),
            individual_number: f.individual_number.map(|n| n.to_string()),
            former_family_name: f.former_family_name.clone(),
            alias_name: f.alias_name.clone(),
            nationality: f.nationality.clone(),
        }
    }
}

/// Why a [`WireEntry`] cannot be read: the field at fault.
#[derive(Debug, PartialEq, Eq)]
pub struct BadField(pub &'static str);

impl std::fmt::Display for BadField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field {} cannot be read", self.0)
    }
}

fn date(s: &str, field: &'static str) -> Result<Date, BadField> {
    s.parse().map_err(|_| BadField(field))
}

fn opt_date(s: &Option<String>, field: &'static str) -> Result<Option<Date>, BadField> {
    s.as_deref().map(|s| date(s, field)).transpose()
}

fn lgc(s: &str, field: &'static str) -> Result<LocalGovernmentCode, BadField> {
    LocalGovernmentCode::parse(s).map_err(|_| BadField(field))
}

fn resident(s: &str, field: &'static str) -> Result<ResidentCode, BadField> {
    ResidentCode::parse(s).map_err(|_| BadField(field))
}

impl TryFrom<WireEntry> for JournalEntry {
    type Error = BadField;

    /// Reads an entry back. Codes and dates are checked; names are taken as the recording
    /// municipality validated them.
    fn try_from(w: WireEntry) -> Result<JournalEntry, BadField> {
        let destination = match w.destination_address {
            Some(address) => Some(Destination {
                code: w
                    .destination_code
                    .as_deref()
                    .map(|c| lgc(c, "destination_code"))
                    .transpose()?,
                address,
            }),
            None => None,
        };
        let facts = IdentityFacts {
            name: PersonName {
                family: w.family_name,
                given: w.given_name,
                family_kana: w.family_name_kana,
                given_kana: w.given_name_kana,
                script: match w.script.as_str() {
                    "ja" => Script::Japanese,
                    "latin" => Script::Latin,
                    _ => return Err(BadField("script")),
                },
            },
            birth_date: BirthDate::parse_stored(&w.birth_date)
                .map_err(|_| BadField("birth_date"))?,
            sex: Sex::parse(&w.sex).map_err(|_| BadField("sex"))?,
            address: Address {
                code: lgc(&w.local_government_code, "local_government_code")?,
                remainder: w.address,
            },
            individual_number: w
                .individual_number
                .as_deref()
                .map(|n| IndividualNumber::parse(n).map_err(|_| BadField("individual_number")))
                .transpose()?,
            former_family_name: w.former_family_name,
            alias_name: w.alias_name,
            nationality: w.nationality,
        };
        Ok(JournalEntry {
            seq: w.seq,
            recorded_by: lgc(&w.recorded_by, "recorded_by")?,
            origin: Origin {
                epoch: w.origin_epoch,
                seq: w.origin_seq,
            },
            record_id: w.record_id,
            kind: ChangeKind::parse(&w.change_kind).ok_or(BadField("change_kind"))?,
            effective_date: date(&w.effective_date, "effective_date")?,
            notified_date: opt_date(&w.notified_date, "notified_date")?,
            recorded_at_ms: w.recorded_at_ms,
            resident_code: resident(&w.resident_code, "resident_code")?,
            previous_code: w
                .previous_code
                .as_deref()
                .map(|c| resident(c, "previous_code"))
                .transpose()?,
            prev_seq: None,
            status: RecordStatus::parse(&w.status).ok_or(BadField("status"))?,
            facts,
            local: LocalFields::default(),
            planned_date: opt_date(&w.planned_date, "planned_date")?,
            destination,
        })
    }
}

/// A warning in a node's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub code: String,
    pub message_en: String,
    pub message_ja: String,
    /// What the warning is about, when it names things (e.g. the ranges a digest differs in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl From<&juki_domain::ErrorDef> for Warning {
    fn from(d: &juki_domain::ErrorDef) -> Warning {
        Warning {
            code: d.code.into(),
            message_en: d.message_en.into(),
            message_ja: d.message_ja.into(),
            detail: None,
        }
    }
}

/// `GET /v1/status` (FORMATS §4 `juki status --json`; the keys after `warnings` are juki's
/// additions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub role: String,
    /// Null for the national node.
    pub code: Option<String>,
    pub name: String,
    /// The parent's URL, or null.
    pub parent: Option<String>,
    /// Records in force at this node.
    pub residents: u64,
    /// Changes in this node's journal the parent has not acknowledged.
    pub lag_changes: u64,
    /// Age of the oldest of them, ms (0 when none).
    pub lag_ms: u64,
    /// Requests being served now.
    pub queue_depth: u64,
    pub warnings: Vec<Warning>,
    pub epoch: u64,
    pub journal_head: u64,
    /// Resident codes this node may still assign or hand out.
    pub codes_available: u64,
    pub protocol: u32,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn versions_one_apart_are_compatible() {
        let v = crate::PROTOCOL_VERSION;
        assert!(protocol_compatible(v));
        assert!(protocol_compatible(v + 1));
        assert!(protocol_compatible(v - 1));
        assert!(!protocol_compatible(v + 2));
    }
}

//! Records and history as `GET /v1/records/{code}` and `GET /v1/search` return them
//! (FORMATS §4 `record get`).

use juki_domain::{IdentityFacts, LocalFields, StoredResident};
use juki_store::{JournalEntry, ResidentView};
use serde::{Deserialize, Serialize};

/// The facts of a record under the column names of FORMATS §1. Local-only fields appear only
/// at the municipal node that holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFields {
    pub family_name: String,
    pub given_name: String,
    pub family_name_kana: String,
    pub given_name_kana: String,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_head: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_since: Option<String>,
}

impl RecordFields {
    pub fn new(f: &IdentityFacts, local: &LocalFields) -> RecordFields {
        RecordFields {
            family_name: f.name.family.clone(),
            given_name: f.name.given.clone(),
            family_name_kana: f.name.family_kana.clone(),
            given_name_kana: f.name.given_kana.clone(),
            birth_date: f.birth_date.to_string(),
            sex: f.sex.as_str().into(),
            local_government_code: f.address.code.to_string(),
            address: f.address.remainder.clone(),
            individual_number: f.individual_number.map(|n| n.to_string()),
            former_family_name: f.former_family_name.clone(),
            alias_name: f.alias_name.clone(),
            nationality: f.nationality.clone(),
            household_head: local.household_head.clone(),
            relationship: local.relationship.clone(),
            resident_since: local.resident_since.map(|d| d.to_string()),
            address_since: local.address_since.map(|d| d.to_string()),
        }
    }
}

/// One entry of a resident's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The change kind by its Japanese name.
    pub kind: String,
    pub effective_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_date: Option<String>,
    /// The municipality that recorded it.
    pub recorded_by: String,
    /// This node's journal sequence.
    pub sequence: u64,
    pub resident_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_code: Option<String>,
    /// `current` or `closed`: the record's state after the change.
    pub status: String,
    pub fields: RecordFields,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_address: Option<String>,
}

impl From<&JournalEntry> for HistoryEntry {
    fn from(e: &JournalEntry) -> HistoryEntry {
        HistoryEntry {
            kind: e.kind.ja().into(),
            effective_date: e.effective_date.to_string(),
            notified_date: e.notified_date.map(|d| d.to_string()),
            recorded_by: e.recorded_by.to_string(),
            sequence: e.seq,
            resident_code: e.resident_code.to_string(),
            previous_code: e.previous_code.map(|c| c.to_string()),
            status: e.status.as_str().into(),
            fields: RecordFields::new(&e.facts, &e.local),
            planned_date: e.planned_date.map(|d| d.to_string()),
            destination_code: e
                .destination
                .as_ref()
                .and_then(|d| d.code)
                .map(|c| c.to_string()),
            destination_address: e.destination.as_ref().map(|d| d.address.clone()),
        }
    }
}

/// `GET /v1/records/{code}`: `current` is null when the record here is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResponse {
    pub resident_code: String,
    pub status: String,
    pub current: Option<RecordFields>,
    /// Newest first.
    pub history: Vec<HistoryEntry>,
}

impl From<&ResidentView> for RecordResponse {
    fn from(v: &ResidentView) -> RecordResponse {
        let c = &v.current;
        RecordResponse {
            resident_code: c.record.resident_code.to_string(),
            status: c.status.as_str().into(),
            current: (c.status == juki_domain::RecordStatus::Current)
                .then(|| RecordFields::new(&c.record.facts, &c.local)),
            history: v.history.iter().map(HistoryEntry::from).collect(),
        }
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResult {
    pub resident_code: String,
    pub status: String,
    pub fields: RecordFields,
}

impl From<&StoredResident> for SearchResult {
    fn from(r: &StoredResident) -> SearchResult {
        SearchResult {
            resident_code: r.record.resident_code.to_string(),
            status: r.status.as_str().into(),
            fields: RecordFields::new(&r.record.facts, &r.local),
        }
    }
}

/// `GET /v1/search` answer; pass `next_page_token` as `page_token` for the next page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub results: Vec<SearchResult>,
    pub next_page_token: Option<String>,
}

//! Identity records (本人確認情報), the local-only fields a resident-record copy shows, and a
//! resident as a node stores it.

use crate::catalogue::{REC_ADDRESS_EMPTY, REC_ADDRESS_INVALID, REC_SEX};
use crate::code::{IndividualNumber, LocalGovernmentCode, ResidentCode};
use crate::date::{BirthDate, Date};
use crate::name::PersonName;
use crate::problem::Problem;
use unicode_normalization::UnicodeNormalization;

/// Sex as the register records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    pub fn parse(s: &str) -> Result<Sex, Problem> {
        match s {
            "男" => Ok(Sex::Male),
            "女" => Ok(Sex::Female),
            _ => Err(Problem::new(&REC_SEX)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// Longest address remainder accepted, in characters.
pub const ADDRESS_CHARS_MAX: usize = 200;

/// An address: the local government (municipality, or ward of a designated city) and the rest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    pub code: LocalGovernmentCode,
    /// What follows the municipality (and ward) name, e.g. `中野二丁目3番4号`, NFC.
    pub remainder: String,
}

impl Address {
    /// Checks the remainder: not empty, not too long, no control characters; returns it in NFC.
    pub fn check_remainder(field: &'static str, s: &str) -> Result<String, Problem> {
        if s.trim().is_empty() {
            return Err(Problem::new(&REC_ADDRESS_EMPTY).field(field));
        }
        for (i, c) in s.chars().enumerate() {
            if c.is_control() || i >= ADDRESS_CHARS_MAX {
                return Err(Problem::new(&REC_ADDRESS_INVALID).field(field).at(i + 1, c));
            }
        }
        Ok(s.nfc().collect())
    }
}

/// The identity information every tier holds (BRIEF §7): the four facts and the optional fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdentityFacts {
    pub name: PersonName,
    pub birth_date: BirthDate,
    pub sex: Sex,
    pub address: Address,
    pub individual_number: Option<IndividualNumber>,
    /// 旧氏
    pub former_family_name: Option<String>,
    /// 通称
    pub alias_name: Option<String>,
    /// ISO 3166-1 alpha-2, for residents who are not Japanese nationals.
    pub nationality: Option<String>,
}

/// An identity record: a resident code and the facts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdentityRecord {
    pub resident_code: ResidentCode,
    pub facts: IdentityFacts,
}

/// What only the municipal node holds (BRIEF §7): shown on a resident-record copy, never
/// forwarded to upper tiers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LocalFields {
    /// 世帯主
    pub household_head: Option<String>,
    /// 続柄
    pub relationship: Option<String>,
    /// The date the person became a resident of this municipality.
    pub resident_since: Option<Date>,
    /// The date the current address was set.
    pub address_since: Option<Date>,
}

impl LocalFields {
    /// This, with every field `newer` sets replaced.
    pub fn updated_by(&self, newer: &LocalFields) -> LocalFields {
        LocalFields {
            household_head: newer
                .household_head
                .clone()
                .or_else(|| self.household_head.clone()),
            relationship: newer
                .relationship
                .clone()
                .or_else(|| self.relationship.clone()),
            resident_since: newer.resident_since.or(self.resident_since),
            address_since: newer.address_since.or(self.address_since),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == LocalFields::default()
    }
}

/// Whether a record is in force at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordStatus {
    /// The person is registered here now.
    Current,
    /// Closed by a move-out, death, official deletion or code change; history says which.
    Closed,
}

impl RecordStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Current => "current",
            RecordStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<RecordStatus> {
        match s {
            "current" => Some(RecordStatus::Current),
            "closed" => Some(RecordStatus::Closed),
            _ => None,
        }
    }
}

/// A resident as a node stores it: the record, whether it is in force, and local fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoredResident {
    pub record: IdentityRecord,
    pub status: RecordStatus,
    pub local: LocalFields,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sex_round_trips() {
        for s in [Sex::Male, Sex::Female] {
            assert_eq!(Sex::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(Sex::parse("M").unwrap_err().code(), "JK-REC-0103");
    }

    #[test]
    fn address_remainders() {
        assert_eq!(
            Address::check_remainder("address", "中野二丁目3番4号").unwrap(),
            "中野二丁目3番4号"
        );
        assert_eq!(
            Address::check_remainder("address", " ").unwrap_err().code(),
            "JK-REC-0104"
        );
        let p = Address::check_remainder("address", "中野\t2").unwrap_err();
        assert_eq!((p.code(), p.position), ("JK-REC-0105", Some(3)));
        let long = "あ".repeat(ADDRESS_CHARS_MAX + 1);
        assert_eq!(
            Address::check_remainder("address", &long)
                .unwrap_err()
                .code(),
            "JK-REC-0105"
        );
    }

    #[test]
    fn local_fields_update_keeps_what_is_not_given() {
        let old = LocalFields {
            household_head: Some("中野太郎".into()),
            relationship: Some("子".into()),
            ..LocalFields::default()
        };
        let newer = LocalFields {
            relationship: Some("世帯主".into()),
            ..LocalFields::default()
        };
        let merged = old.updated_by(&newer);
        assert_eq!(merged.household_head.as_deref(), Some("中野太郎"));
        assert_eq!(merged.relationship.as_deref(), Some("世帯主"));
    }
}

//! Changes (異動): their kinds, validation of raw input, and how a change moves a resident's
//! record from one state to the next at a municipal node.

use crate::catalogue::*;
use crate::code::{IndividualNumber, LocalGovernmentCode, ResidentCode};
use crate::date::{self, BirthDate, Date};
use crate::lgc;
use crate::name::{self, Script};
use crate::problem::Problem;
use crate::record::{Address, IdentityFacts, LocalFields, RecordStatus, Sex, StoredResident};

/// What a change does to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKindClass {
    /// Makes a person registered here (move-in, birth, …).
    Opens,
    /// Ends the registration here (move-out, death, …).
    Closes,
    /// Changes the facts of a registered person.
    Amends,
}

/// The kinds of change (FORMATS §1), by their Japanese names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// 転入: move-in from another municipality.
    MoveIn,
    /// 国外転入: move-in from abroad.
    MoveInFromAbroad,
    /// 出生: birth.
    Birth,
    /// 職権記載: entry by the municipality's own authority.
    OfficialEntry,
    /// 転出: move-out to another municipality.
    MoveOut,
    /// 国外転出: move-out abroad.
    MoveOutAbroad,
    /// 死亡: death.
    Death,
    /// 職権消除: deletion by the municipality's own authority.
    OfficialDeletion,
    /// 転居: move within the municipality.
    MoveWithin,
    /// 職権修正: correction by the municipality's own authority.
    OfficialCorrection,
    /// 誤記修正: correction of a clerical error.
    ClericalCorrection,
    /// 住民票コード変更: the resident is given a new resident code.
    CodeChange,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 12] = [
        ChangeKind::MoveIn,
        ChangeKind::MoveInFromAbroad,
        ChangeKind::Birth,
        ChangeKind::OfficialEntry,
        ChangeKind::MoveOut,
        ChangeKind::MoveOutAbroad,
        ChangeKind::Death,
        ChangeKind::OfficialDeletion,
        ChangeKind::MoveWithin,
        ChangeKind::OfficialCorrection,
        ChangeKind::ClericalCorrection,
        ChangeKind::CodeChange,
    ];

    /// The Japanese name used in change files.
    pub fn ja(self) -> &'static str {
        match self {
            ChangeKind::MoveIn => "転入",
            ChangeKind::MoveInFromAbroad => "国外転入",
            ChangeKind::Birth => "出生",
            ChangeKind::OfficialEntry => "職権記載",
            ChangeKind::MoveOut => "転出",
            ChangeKind::MoveOutAbroad => "国外転出",
            ChangeKind::Death => "死亡",
            ChangeKind::OfficialDeletion => "職権消除",
            ChangeKind::MoveWithin => "転居",
            ChangeKind::OfficialCorrection => "職権修正",
            ChangeKind::ClericalCorrection => "誤記修正",
            ChangeKind::CodeChange => "住民票コード変更",
        }
    }

    /// An English name for logs and docs.
    pub fn en(self) -> &'static str {
        match self {
            ChangeKind::MoveIn => "move-in",
            ChangeKind::MoveInFromAbroad => "move-in from abroad",
            ChangeKind::Birth => "birth",
            ChangeKind::OfficialEntry => "official entry",
            ChangeKind::MoveOut => "move-out",
            ChangeKind::MoveOutAbroad => "move-out abroad",
            ChangeKind::Death => "death",
            ChangeKind::OfficialDeletion => "official deletion",
            ChangeKind::MoveWithin => "move within",
            ChangeKind::OfficialCorrection => "official correction",
            ChangeKind::ClericalCorrection => "clerical correction",
            ChangeKind::CodeChange => "resident code change",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.ja() == s)
    }

    pub fn class(self) -> ChangeKindClass {
        use ChangeKind::*;
        match self {
            MoveIn | MoveInFromAbroad | Birth | OfficialEntry => ChangeKindClass::Opens,
            MoveOut | MoveOutAbroad | Death | OfficialDeletion => ChangeKindClass::Closes,
            MoveWithin | OfficialCorrection | ClericalCorrection | CodeChange => {
                ChangeKindClass::Amends
            }
        }
    }

    /// Whether the row may leave the resident code empty for the node to assign one
    /// (a code change names the current code; the node assigns the new one).
    pub fn may_assign_code(self) -> bool {
        matches!(self, ChangeKind::Birth | ChangeKind::MoveInFromAbroad)
    }
}

/// A change as it arrives: every column of FORMATS §1 as text, empty when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawChange {
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

/// Where a resident who moves out is going.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Destination {
    /// None when moving abroad.
    pub code: Option<LocalGovernmentCode>,
    pub address: String,
}

/// A change that passed every field rule. Whether it fits the current record is decided by
/// [`transition`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValidatedChange {
    pub record_id: String,
    pub kind: ChangeKind,
    pub effective_date: Date,
    pub notified_date: Option<Date>,
    /// None when the node is to assign a code (birth, first registration from abroad).
    pub resident_code: Option<ResidentCode>,
    pub facts: IdentityFacts,
    pub planned_date: Option<Date>,
    pub destination: Option<Destination>,
    pub local: LocalFields,
}

/// What validation needs to know about where and when it runs.
#[derive(Clone, Copy, Debug)]
pub struct ValidationContext {
    /// The municipal node recording the change.
    pub node: LocalGovernmentCode,
    /// Today in Asia/Tokyo, from the injected clock.
    pub today: Date,
}

/// Longest record id (FORMATS §1).
pub const RECORD_ID_CHARS_MAX: usize = 32;
/// Longest 続柄 accepted, in characters.
pub const RELATIONSHIP_CHARS_MAX: usize = 20;

/// Checks a record id: 1–32 of `A–Z a–z 0–9 - _`.
pub fn check_record_id(s: &str) -> Result<(), Problem> {
    if s.is_empty() || s.len() > RECORD_ID_CHARS_MAX {
        return Err(Problem::new(&REC_RECORD_ID).field("record_id"));
    }
    match s
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some((i, c)) => Err(Problem::new(&REC_RECORD_ID).field("record_id").at(i + 1, c)),
        None => Ok(()),
    }
}

/// Collects problems while validating one record.
struct Collector(Vec<Problem>);

impl Collector {
    fn take<T>(&mut self, field: &'static str, r: Result<T, Problem>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(p) => {
                let p = if p.field.is_none() { p.field(field) } else { p };
                self.0.push(p);
                None
            }
        }
    }

    fn optional<T>(
        &mut self,
        field: &'static str,
        s: &str,
        parse: impl Fn(&str) -> Result<T, Problem>,
    ) -> Option<T> {
        if s.is_empty() {
            None
        } else {
            self.take(field, parse(s))
        }
    }

    fn not_future(&mut self, field: &'static str, d: Option<Date>, today: Date) {
        if let Some(d) = d.filter(|d| *d > today) {
            self.0.push(
                Problem::new(&DATE_FUTURE)
                    .field(field)
                    .note(format!("{d} > {today}")),
            );
        }
    }
}

/// Checks every field of a raw change and reports every problem found.
pub fn validate(raw: &RawChange, ctx: &ValidationContext) -> Result<ValidatedChange, Vec<Problem>> {
    let mut c = Collector(Vec::new());

    let record_id_ok = c
        .take("record_id", check_record_id(&raw.record_id))
        .is_some();
    let kind = c.take(
        "change_kind",
        ChangeKind::parse(&raw.change_kind).ok_or_else(|| Problem::new(&REC_CHANGE_KIND)),
    );
    let effective_date = c.take("effective_date", date::parse_date(&raw.effective_date));
    c.not_future("effective_date", effective_date, ctx.today);

    let resident_code = c.optional("resident_code", &raw.resident_code, ResidentCode::parse);
    if raw.resident_code.is_empty() && kind.is_some_and(|k| !k.may_assign_code()) {
        c.0.push(Problem::new(&CODE_RESIDENT_MISSING).field("resident_code"));
    }

    let name = match name::validate_person_name(
        &raw.family_name,
        &raw.given_name,
        &raw.family_name_kana,
        &raw.given_name_kana,
    ) {
        Ok(n) => Some(n),
        Err(ps) => {
            c.0.extend(ps);
            None
        }
    };

    let birth_date = c.take("birth_date", date::parse_birth_date(&raw.birth_date));
    if let (Some(b), Some(e)) = (birth_date, effective_date)
        && b.earliest().is_some_and(|first| first > e)
    {
        c.0.push(Problem::new(&DATE_BIRTH_AFTER_EFFECTIVE).field("birth_date"));
    }
    if kind == Some(ChangeKind::Birth)
        && let (Some(b), Some(e)) = (birth_date, effective_date)
        && b != BirthDate::Full(e)
    {
        c.0.push(Problem::new(&REC_BIRTH_DATE_MISMATCH).field("effective_date"));
    }

    let sex = c.take("sex", Sex::parse(&raw.sex));
    let address_code = c.take(
        "local_government_code",
        address_code(&raw.local_government_code, ctx.node),
    );
    let remainder = c.take("address", Address::check_remainder("address", &raw.address));

    let notified_date = c.optional("notified_date", &raw.notified_date, date::parse_date);
    c.not_future("notified_date", notified_date, ctx.today);

    let planned_date = c.optional("planned_date", &raw.planned_date, date::parse_date);
    let destination_code = c.optional("destination_code", &raw.destination_code, existing_code);
    let destination = match kind {
        Some(ChangeKind::MoveOut) => {
            if planned_date.is_none() && raw.planned_date.is_empty() {
                c.0.push(Problem::new(&REC_PLANNED_DATE_MISSING).field("planned_date"));
            }
            if raw.destination_code.is_empty() {
                c.0.push(Problem::new(&REC_DESTINATION_MISSING).field("destination_code"));
            }
            let addr = c.take(
                "destination_address",
                Address::check_remainder("destination_address", &raw.destination_address),
            );
            addr.map(|address| Destination {
                code: destination_code,
                address,
            })
        }
        _ if !raw.destination_address.is_empty() || destination_code.is_some() => {
            let addr = c.take(
                "destination_address",
                Address::check_remainder("destination_address", &raw.destination_address),
            );
            addr.map(|address| Destination {
                code: destination_code,
                address,
            })
        }
        _ => None,
    };

    let individual_number = c.optional(
        "individual_number",
        &raw.individual_number,
        IndividualNumber::parse,
    );
    let former_family_name = other_name(&mut c, "former_family_name", &raw.former_family_name);
    let alias_name = other_name(&mut c, "alias_name", &raw.alias_name);
    let nationality = c.optional("nationality", &raw.nationality, check_nationality);
    if name.as_ref().is_some_and(|n| n.script == Script::Latin)
        && nationality.as_deref().is_none_or(|n| n == "JP")
        && raw.nationality.is_empty()
    {
        c.0.push(Problem::new(&REC_NATIONALITY_FOR_LATIN).field("nationality"));
    }

    let household_head = other_name(&mut c, "household_head", &raw.household_head);
    let relationship = c.optional("relationship", &raw.relationship, check_relationship);
    let resident_since = c.optional("resident_since", &raw.resident_since, date::parse_date);
    let address_since = c.optional("address_since", &raw.address_since, date::parse_date);

    if !c.0.is_empty() {
        return Err(c.0);
    }
    // Every field parsed: the options below are all Some.
    let (
        Some(kind),
        Some(effective_date),
        Some(name),
        Some(birth_date),
        Some(sex),
        Some(code),
        Some(remainder),
    ) = (
        kind,
        effective_date,
        name,
        birth_date,
        sex,
        address_code,
        remainder,
    )
    else {
        unreachable!("a field that failed to parse left a problem behind");
    };
    debug_assert!(record_id_ok);
    Ok(ValidatedChange {
        record_id: raw.record_id.clone(),
        kind,
        effective_date,
        notified_date,
        resident_code,
        facts: IdentityFacts {
            name,
            birth_date,
            sex,
            address: Address { code, remainder },
            individual_number,
            former_family_name,
            alias_name,
            nationality,
        },
        planned_date,
        destination,
        local: LocalFields {
            household_head,
            relationship,
            resident_since,
            address_since,
        },
    })
}

fn other_name(c: &mut Collector, field: &'static str, value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    match name::validate_other_name(field, value) {
        Ok(v) => Some(v),
        Err(ps) => {
            c.0.extend(ps);
            None
        }
    }
}

fn existing_code(s: &str) -> Result<LocalGovernmentCode, Problem> {
    let code = LocalGovernmentCode::parse(s)?;
    match lgc::table().get(code) {
        Some(_) => Ok(code),
        None => Err(Problem::new(&CODE_LGC_UNKNOWN)),
    }
}

/// An address code must exist and be this node's (or one of its wards).
fn address_code(s: &str, node: LocalGovernmentCode) -> Result<LocalGovernmentCode, Problem> {
    let code = existing_code(s)?;
    if lgc::table().address_codes_of(node).contains(&code) {
        Ok(code)
    } else {
        Err(Problem::new(&CODE_LGC_NOT_THIS_NODE).note(format!("node {node}")))
    }
}

fn check_nationality(s: &str) -> Result<String, Problem> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(s.to_string())
    } else {
        Err(Problem::new(&REC_NATIONALITY))
    }
}

fn check_relationship(s: &str) -> Result<String, Problem> {
    for (i, ch) in s.chars().enumerate() {
        if ch.is_control() || ch.is_whitespace() || i >= RELATIONSHIP_CHARS_MAX {
            return Err(Problem::new(&REC_RELATIONSHIP).at(i + 1, ch));
        }
    }
    Ok(s.to_string())
}

/// How a change moves a resident's record at a municipal node.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // short-lived; boxing would only add an allocation
pub enum Transition {
    /// The record under the change's resident code becomes `next`.
    Set(StoredResident),
    /// 住民票コード変更: the old code is closed and the same person continues under `next`.
    Recode {
        old: StoredResident,
        next: StoredResident,
    },
}

/// Applies a validated change to the current state of its resident at this node.
///
/// `code` is the resident code the change is about (given, or assigned by the node);
/// for a code change, `new_code` is the code assigned. Refuses changes that do not fit:
/// a move-in of someone already registered here, a change to a closed or unknown record.
pub fn transition(
    prev: Option<&StoredResident>,
    change: &ValidatedChange,
    code: ResidentCode,
    new_code: Option<ResidentCode>,
) -> Result<Transition, Problem> {
    let record = |rc: ResidentCode| crate::record::IdentityRecord {
        resident_code: rc,
        facts: change.facts.clone(),
    };
    let local = |prev: Option<&StoredResident>| match prev {
        Some(p) => p.local.updated_by(&change.local),
        None => change.local.clone(),
    };
    let current = prev.filter(|p| p.status == RecordStatus::Current);
    match change.kind.class() {
        ChangeKindClass::Opens => {
            if current.is_some() {
                return Err(Problem::new(&REC_ALREADY_REGISTERED).field("resident_code"));
            }
            // A returning resident starts afresh; only what this change says is kept.
            Ok(Transition::Set(StoredResident {
                record: record(code),
                status: RecordStatus::Current,
                local: change.local.clone(),
            }))
        }
        ChangeKindClass::Closes | ChangeKindClass::Amends => {
            let Some(cur) = current else {
                let def = if prev.is_some() {
                    &REC_CLOSED
                } else {
                    &REC_NOT_REGISTERED
                };
                return Err(Problem::new(def).field("resident_code"));
            };
            if change.kind == ChangeKind::CodeChange {
                let new_code = new_code.expect("the node assigns a code before a code change");
                if new_code == code {
                    return Err(Problem::new(&REC_CODE_CHANGE_SAME).field("resident_code"));
                }
                return Ok(Transition::Recode {
                    old: StoredResident {
                        status: RecordStatus::Closed,
                        ..cur.clone()
                    },
                    next: StoredResident {
                        record: record(new_code),
                        status: RecordStatus::Current,
                        local: local(Some(cur)),
                    },
                });
            }
            let status = if change.kind.class() == ChangeKindClass::Closes {
                RecordStatus::Closed
            } else {
                RecordStatus::Current
            };
            Ok(Transition::Set(StoredResident {
                record: record(code),
                status,
                local: local(Some(cur)),
            }))
        }
    }
}

#[cfg(test)]
mod tests;

//! What can go wrong when making a synthetic population, with stable codes for the catalogue.

use juki_domain::catalogue::ErrorDef;
use juki_domain::code::LocalGovernmentCode;

pub use juki_domain::catalogue::{
    SYN_EFFECTIVE_DATE, SYN_NOT_A_NODE, SYN_TOO_MANY_RESIDENTS, SYN_UNKNOWN_MUNICIPALITY, SYN_WRITE,
};

/// Why [`crate::write_csv`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{code}: no local government has this code")]
    UnknownMunicipality { code: LocalGovernmentCode },
    /// A prefecture, or a ward of a designated city (`serving` is then the city to use).
    #[error("{code} does not run a municipal node{}", .serving.map(|s| format!(" (use {s}, the designated city it belongs to)")).unwrap_or_default())]
    NotANode {
        code: LocalGovernmentCode,
        serving: Option<LocalGovernmentCode>,
    },
    #[error("{requested} residents requested; at most {max} per run")]
    TooManyResidents { requested: u64, max: u64 },
    #[error("effective date {date} is outside {min}..={max}")]
    EffectiveDateOutOfRange {
        date: jiff::civil::Date,
        min: jiff::civil::Date,
        max: jiff::civil::Date,
    },
    #[error("writing the population: {0}")]
    Write(#[from] std::io::Error),
}

impl SynthError {
    /// The catalogue entry: stable code and messages for the user.
    pub fn def(&self) -> &'static ErrorDef {
        match self {
            SynthError::UnknownMunicipality { .. } => &SYN_UNKNOWN_MUNICIPALITY,
            SynthError::NotANode { .. } => &SYN_NOT_A_NODE,
            SynthError::TooManyResidents { .. } => &SYN_TOO_MANY_RESIDENTS,
            SynthError::EffectiveDateOutOfRange { .. } => &SYN_EFFECTIVE_DATE,
            SynthError::Write(_) => &SYN_WRITE,
        }
    }
}

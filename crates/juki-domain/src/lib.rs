//! juki's domain: codes, names, dates, addresses, identity records, changes, validation.
//!
//! Pure: nothing here reads a clock, a file, the network or a database. Callers pass in what
//! the rules need (today's date, the node's code). Wire shapes and SQL live in other crates.

pub mod catalogue;
pub mod change;
pub mod code;
pub mod date;
pub mod lgc;
pub mod matching;
pub mod name;
pub mod problem;
pub mod record;

pub use catalogue::{ErrorClass, ErrorDef};
pub use change::{
    ChangeKind, ChangeKindClass, RawChange, Transition, ValidatedChange, ValidationContext,
};
pub use code::{IndividualNumber, LocalGovernmentCode, ResidentCode};
pub use date::{BirthDate, Date};
pub use name::{PersonName, Script};
pub use problem::Problem;
pub use record::{
    Address, IdentityFacts, IdentityRecord, LocalFields, RecordStatus, Sex, StoredResident,
};

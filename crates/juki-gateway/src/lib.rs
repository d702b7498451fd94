//! The gateway between existing registry systems and a node: change files in (FORMATS §1 CSV,
//! §2 JSON lines), each record validated on its own, good records loaded, bad ones reported
//! with stable codes — a bad record never blocks the good ones.

pub mod csv_input;
pub mod load;

pub use load::LoadError;

pub use csv_input::{ChangeReader, Column, FileError, RowError};
pub use load::{LoadOptions, LoadReport, RefusedRecord, load};

//! The gateway between existing registry systems and a node: change files in (FORMATS §1 CSV,
//! fixed-width records, §2 JSON lines; UTF-8 or CP932), each record validated on its own —
//! fields, the configured character set, 外字 through the municipality's mapping table — good
//! records loaded or submitted, bad ones reported with stable codes in a linkage report. A bad
//! record never blocks the good ones.

pub mod charset;
pub mod codes;
pub mod csv_input;
pub mod encoding;
pub mod fixed;
pub mod gaiji;
pub mod input;
pub mod jsonl;
pub mod lines;
pub mod load;
pub mod report;
pub mod staged;
pub mod validate;

pub use load::LoadError;

pub use charset::CharSet;
pub use csv_input::{ChangeReader, Column, FileError, Row, RowError};
pub use encoding::Encoding;
pub use gaiji::GaijiTable;
pub use input::{Format, Records, open};
pub use load::{LoadOptions, LoadReport, RefusedRecord, load};
pub use report::{LinkageReport, Rendering, ReportWriter};
pub use validate::{Accepted, Rules, check, check_all, check_row};

//! Temporary stand-in for the store's segment API until it lands.
#![allow(dead_code)]
use juki_store::{SqliteStore, StoreError};
pub enum CodesAfterRestore {
    Abandon,
    SkipAhead(u64),
}
#[derive(Clone, Debug)]
pub struct SegmentSummary {
    pub after: u64,
    pub to: u64,
    pub entries: u64,
    pub last_recorded_at_ms: Option<i64>,
}
pub fn segment_summary(_sql: &str) -> Result<SegmentSummary, StoreError> {
    Err(StoreError::Corrupt("shim".into()))
}
pub trait Shim {
    fn export_segment(
        &self,
        after: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError>;
    fn apply_segment(&self, sql: &str, upto: Option<u64>) -> Result<SegmentSummary, StoreError>;
    fn begin_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError>;
}
impl Shim for SqliteStore {
    fn export_segment(
        &self,
        _after: u64,
        _out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError> {
        Err(StoreError::Corrupt("shim".into()))
    }
    fn apply_segment(&self, _sql: &str, _upto: Option<u64>) -> Result<SegmentSummary, StoreError> {
        Err(StoreError::Corrupt("shim".into()))
    }
    fn begin_epoch(&self, _codes: CodesAfterRestore) -> Result<u64, StoreError> {
        Err(StoreError::Corrupt("shim".into()))
    }
}

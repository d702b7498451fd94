//! The tamper-evident audit log of a node (docs/audit.md): every access to personal data and
//! every administrative act, kept apart from the registry store in `DATA/audit/`.
//!
//! - [`AuditLog`] writes: [`AuditLog::try_record`] never blocks the request path (a bounded
//!   queue to one writer thread that appends and syncs in batches); a full queue refuses the
//!   entry, and the node then refuses the request — nothing is served unaudited or dropped
//!   silently.
//! - Entries are JSON lines in segment files, each carrying the SHA-256 of the entry before
//!   it; the head is signed with the node's key (a seal) every N entries or T ms; a retention
//!   purge removes whole segments and leaves a signed [`Checkpoint`].
//! - [`verify`] reads it all back and reports every edited, removed, reordered or repeated
//!   entry, cut-off tail and bad seal or checkpoint, with its position.
//!
//! The clock is injected ([`AuditOptions::now_ms`]); signatures and hashes use ring.

mod entry;
mod error;
mod files;
mod hex;
mod key;
mod read;
mod seal;
mod segment;
mod verify;
mod writer;

pub use entry::{
    Action, AuditEntry, DETAIL_BYTES_MAX, Digest, LINE_BYTES_MAX, Outcome, StoredEntry,
    TARGET_BYTES_MAX, TARGETS_MAX, TEXT_BYTES_MAX,
};
pub use error::{AuditError, RecordError};
pub use key::{Signer, Trust, TrustedKey, key_id};
pub use read::{PAGE_ENTRIES_MAX, Page, ReadEntry, read_entries};
pub use seal::{Checkpoint, Seal};
pub use segment::{seals_name, segment_name};
pub use verify::{DAMAGE_LISTED_MAX, Damage, DamageKind, Report, verify};
pub use writer::{
    AuditLog, AuditOptions, AuditStats, BATCH_ENTRIES_MAX, Purged, QUEUE_CAPACITY_MAX,
    RETENTION_MS_DEFAULT, SEGMENT_BYTES_MAX, SEGMENT_BYTES_MIN, WriterHold,
};

/// The log's directory inside a node's data directory.
pub const AUDIT_DIR: &str = "audit";
/// The checkpoint of the last retention purge.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// The certificates of every key that sealed this log (`<key id>.pem`).
pub const CERTS_DIR: &str = "certs";
/// Held by the one process writing the log.
pub const LOCK_FILE: &str = "lock";

//! Cross-tier digests (docs/backup.md, "Cross-tier digests and reconcile"): a node's digest of
//! one municipality's entries, the entries of one code range, and what a reconcile did.

use crate::{Warning, WireEntry};
use serde::{Deserialize, Serialize};

/// `GET /v1/digest?scope=LGC[&cut=E:S][&after=N]`: the root of a scope's digest and a page of
/// its non-empty leaves (those after leaf index `after`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestResponse {
    pub protocol: u32,
    pub scope: String,
    /// `EPOCH:SEQ`: only entries whose origin is at or below it counted.
    pub cut: Option<String>,
    /// Entries counted.
    pub entries: u64,
    /// `EPOCH:SEQ`: the highest origin among them.
    pub last_origin: Option<String>,
    /// Non-empty leaves in all.
    pub leaf_count: u64,
    /// SHA-256, hex.
    pub root: String,
    pub leaves: Vec<DigestLeaf>,
    /// The `after` of the next page, while there is one.
    pub next_after: Option<u64>,
}

/// One non-empty leaf: the code bodies `start..end` (first ten digits of a resident code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestLeaf {
    pub index: u64,
    pub start: u64,
    pub end: u64,
    pub entries: u64,
    /// SHA-256, hex.
    pub hash: String,
}

/// `GET /v1/digest/entries?scope=LGC&start=A&end=B[&page_token=T]`: the scope's entries about
/// codes of one leaf range, in this node's journal order, a page at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestEntries {
    pub protocol: u32,
    pub entries: Vec<WireEntry>,
    pub next_page_token: Option<String>,
}

/// `POST /v1/digest/reconcile[?dry_run=true]` at a municipal node: what comparing with the
/// parent found, and what was done about it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub scope: String,
    pub dry_run: bool,
    /// The leaf ranges that differed, `START-END` in code bodies.
    pub differing_ranges: Vec<String>,
    /// Entries the parent holds that this node lacked (recorded again here unless a dry run).
    pub missing_here: u64,
    /// Of them, recorded again here.
    pub recovered: u64,
    /// Of them, whose local-only fields could not be recovered (the parent never holds them).
    pub local_fields_missing: u64,
    /// Entries this node holds that the parent lacks (sent again unless a dry run).
    pub missing_at_parent: u64,
    /// Whether the link to the parent was set to send everything again.
    pub resent: bool,
    /// Entries with one record id whose content differs between the two (never overwritten).
    pub conflicts: Vec<ReconcileConflict>,
    /// After the repair (not a dry run): whether the two digests then agree. Entries sent
    /// again reach the parent shortly after, so they may still differ for them.
    pub agree: Option<bool>,
    /// JK-DIG-0102 while there are conflicts.
    pub warnings: Vec<Warning>,
}

/// One record id whose content differs between this node and its parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileConflict {
    pub record_id: String,
    pub resident_code: String,
    /// The range it lies in.
    pub range: String,
    /// This node's journal sequence of it.
    pub seq: u64,
}

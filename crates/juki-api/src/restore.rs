//! Restore and rebuild of a municipal node on the wire (docs/backup.md "Rebuild from the
//! hierarchy"): the parent's export of what a municipality recorded, and the restore-node
//! approval that a restore or rebuild of a node in service uses once.

use crate::WireEntry;
use serde::{Deserialize, Serialize};

/// Entries `GET /v1/export` answers at most per page.
pub const EXPORT_LIMIT_MAX: usize = 1000;

/// `GET /v1/export?recorded_by=LGC&after=N&limit=M`: the journal entries this node holds that
/// municipality `recorded_by` recorded, in this node's journal order (identity information
/// only, as forwarded). `after` and `next` are positions in this node's journal: ask again
/// with `after = next` while `more` is true.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportPage {
    pub protocol: u32,
    pub recorded_by: String,
    /// The entries, each with `seq` = this node's sequence.
    pub entries: Vec<WireEntry>,
    /// Where the next page starts (this node's sequence read up to).
    pub next: u64,
    /// This node's journal head when the page was read.
    pub head: u64,
    /// Whether entries after `next` remain to be read.
    pub more: bool,
}

/// `POST /v1/nodes/{code}/restore` at the node's parent: ask for a second person's approval
/// of a restore or rebuild of child node `code` (always a request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequestBody {
    /// `rebuild` (juki rebuild --from-parent) or `restore` (juki backup restore).
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/approvals/{id}/use`: the restore or rebuild of `node` about to run uses the
/// approved request `id` (once; the parent records who used it and when).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseApprovalBody {
    /// The node's local government code.
    pub node: String,
    /// `rebuild` or `restore`.
    pub operation: String,
}

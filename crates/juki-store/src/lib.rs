//! Storage of identity records, their history and the change journal.
//!
//! [`Store`] is the interface every node uses; [`SqliteStore`] is the embedded default. The
//! rules of applying a change (idempotency by `(municipality, record_id)`, the record state
//! machine, code assignment, the journal) live once, in [`engine`], over the small
//! [`engine::Txn`] trait each implementation provides, so every implementation behaves alike;
//! the conformance suite ([`conformance`]) proves it.
//!
//! The interface is synchronous: node handlers call it on blocking threads, and the seeded
//! simulator calls it directly, deterministically (docs/decisions.md).

pub mod codec;
pub mod engine;
mod error;
mod sqlite;
mod types;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::StoreError;
pub use sqlite::{SqliteOptions, SqliteStore, segment_summary};
/// The segment format both stores write and read (docs/backup.md, "Journal segments").
pub mod segment {
    pub use crate::sqlite::{
        JOURNAL_LINE, WHOLE_TABLES, for_each_statement, line_seq, segment_summary, write_header,
    };
}
pub use types::*;

use juki_domain::{LocalGovernmentCode, ResidentCode, ValidatedChange};

/// The storage interface of a node.
pub trait Store: Send + Sync {
    /// Applies changes recorded at municipal node `node`, in order, in one transaction. Each
    /// change gets its own outcome; a refused change does not hold back the others. Nothing is
    /// visible until the whole call has committed durably.
    fn apply(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        changes: &[ValidatedChange],
    ) -> Result<Vec<Outcome>, StoreError>;

    /// Applies a large stream of changes with the same rules as [`Store::apply`], in large
    /// transactions, calling `on_batch` with the outcomes of each committed batch.
    fn bulk_load(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
        on_batch: &mut dyn FnMut(&[Outcome]),
    ) -> Result<BulkSummary, StoreError>;

    /// The record of a resident with its whole history at this node, newest first.
    fn record(&self, code: ResidentCode) -> Result<Option<ResidentView>, StoreError>;

    /// The current record of each resident in `codes`, in order (None: not held here), without
    /// history: what identity verification answers. Ask for [`RESIDENTS_PER_CALL`] at a time.
    fn residents(
        &self,
        codes: &[ResidentCode],
    ) -> Result<Vec<Option<juki_domain::StoredResident>>, StoreError>;

    /// Residents matching the four facts, ordered by resident code, one page at a time.
    fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, StoreError>;

    /// Journal entries with a sequence above `after`, in order, at most `limit`.
    fn journal_after(&self, after: u64, limit: usize) -> Result<Vec<JournalEntry>, StoreError>;

    /// Applies entries a child node forwarded, as an upper tier does: in the child's sequence
    /// order from the position this link acknowledged last, each at most once network-wide
    /// (by its [`Origin`], and by `(recorded_by, record_id)`), stopping at a gap. Each entry
    /// is appended to this node's journal (so it flows on to this node's parent) and the
    /// resident's current record is recomputed by the convergence rule of
    /// [`engine::converge`]. Entries and the link's new position commit in one transaction.
    fn receive(&self, from: &LinkFrom, entries: &[JournalEntry]) -> Result<Received, StoreError>;

    /// The position acknowledged on a link into this node (0 when nothing came yet).
    fn received(&self, from: &LinkFrom) -> Result<u64, StoreError>;

    /// The position a parent acknowledged on the outgoing link `link` (0 when none yet).
    fn link_acked(&self, link: &str) -> Result<u64, StoreError>;

    /// Records the position a parent acknowledged on `link` (durably: a restart resumes from
    /// it). A parent may answer a lower position than before (it was restored): the link
    /// then sends again from there.
    fn set_link_acked(&self, link: &str, seq: u64) -> Result<(), StoreError>;

    /// Adds a range of resident-code bodies this node may assign from.
    fn add_code_pool(&self, pool: CodePool) -> Result<(), StoreError>;

    /// Takes `size` unused codes from this node's pools to hand to a child node (durably: a
    /// range handed out is never handed out or assigned again). None when fewer are left.
    fn grant_code_pool(&self, size: u64) -> Result<Option<CodePool>, StoreError>;

    /// Counts and positions, for status and metrics.
    fn stats(&self) -> Result<StoreStats, StoreError>;

    /// Starts a new epoch after a restore or a rebuild (BRIEF §7): epoch max + 1, beginning at
    /// the journal head + 1. Every outgoing link's acknowledged position goes back to 0 (the
    /// parent answers where it stands; what it holds is skipped by origin), every incoming
    /// link's position is forgotten (children send again; duplicates are skipped), and the
    /// unused codes of the pools are treated as `codes` says. Returns the new epoch.
    fn begin_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError>;

    /// Recomputes the resident index and the counts for every resident touched by a journal
    /// entry after `after`, from the journal alone, and moves every code pool past the codes
    /// those entries use: what applying journal rows with plain SQL leaves undone. Returns how
    /// many residents it wrote.
    fn reindex_after(&self, after: u64) -> Result<u64, StoreError>;

    /// Writes the journal after `after` up to the head, in one read transaction, as a
    /// plain-SQL segment that brings a copy of this store at `after` to exactly this store at
    /// the segment's end (docs/backup.md, "Journal segments").
    fn export_segment(
        &self,
        after: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError>;

    /// At a municipal node: records again entries this node recorded and lost (as its parent
    /// holds them, identity only, or as a backup held them), in the order given, each under a
    /// new sequence but keeping its origin, so the parent skips those it holds when they are
    /// forwarded again. Entries held already (by record id) are skipped; code pools move past
    /// the codes the entries use.
    fn recover(&self, entries: &[JournalEntry]) -> Result<Recovered, StoreError>;
}

/// A boxed store is a store: a node holds whichever implementation its configuration chose.
impl<S: Store + ?Sized> Store for Box<S> {
    fn apply(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        changes: &[ValidatedChange],
    ) -> Result<Vec<Outcome>, StoreError> {
        (**self).apply(node, now_ms, changes)
    }
    fn bulk_load(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
        on_batch: &mut dyn FnMut(&[Outcome]),
    ) -> Result<BulkSummary, StoreError> {
        (**self).bulk_load(node, now_ms, batches, on_batch)
    }
    fn record(&self, code: ResidentCode) -> Result<Option<ResidentView>, StoreError> {
        (**self).record(code)
    }
    fn residents(
        &self,
        codes: &[ResidentCode],
    ) -> Result<Vec<Option<juki_domain::StoredResident>>, StoreError> {
        (**self).residents(codes)
    }
    fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        (**self).search(query)
    }
    fn journal_after(&self, after: u64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        (**self).journal_after(after, limit)
    }
    fn receive(&self, from: &LinkFrom, entries: &[JournalEntry]) -> Result<Received, StoreError> {
        (**self).receive(from, entries)
    }
    fn received(&self, from: &LinkFrom) -> Result<u64, StoreError> {
        (**self).received(from)
    }
    fn link_acked(&self, link: &str) -> Result<u64, StoreError> {
        (**self).link_acked(link)
    }
    fn set_link_acked(&self, link: &str, seq: u64) -> Result<(), StoreError> {
        (**self).set_link_acked(link, seq)
    }
    fn add_code_pool(&self, pool: CodePool) -> Result<(), StoreError> {
        (**self).add_code_pool(pool)
    }
    fn grant_code_pool(&self, size: u64) -> Result<Option<CodePool>, StoreError> {
        (**self).grant_code_pool(size)
    }
    fn stats(&self) -> Result<StoreStats, StoreError> {
        (**self).stats()
    }
    fn begin_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError> {
        (**self).begin_epoch(codes)
    }
    fn reindex_after(&self, after: u64) -> Result<u64, StoreError> {
        (**self).reindex_after(after)
    }
    fn export_segment(
        &self,
        after: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError> {
        (**self).export_segment(after, out)
    }
    fn recover(&self, entries: &[JournalEntry]) -> Result<Recovered, StoreError> {
        (**self).recover(entries)
    }
}

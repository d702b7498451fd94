//! The values that cross the storage interface.

use juki_domain::change::Destination;
use juki_domain::{
    BirthDate, ChangeKind, Date, IdentityFacts, LocalFields, LocalGovernmentCode, Problem,
    RecordStatus, ResidentCode, Sex, StoredResident,
};

/// What became of one change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded under journal sequence `seq`, about `resident_code` (assigned, if it was empty).
    Applied {
        seq: u64,
        resident_code: ResidentCode,
    },
    /// The record id was seen before: nothing was applied; `seq` is the earlier entry.
    Duplicate {
        seq: u64,
        resident_code: ResidentCode,
    },
    /// The change does not fit the current record (or no code could be assigned).
    Refused(Problem),
}

/// Where a change was first recorded: the recording municipal node's epoch and its sequence
/// there. With the municipality's code it identifies a change network-wide: every tier
/// deduplicates by it (BRIEF §7). A node restored from backup starts a new epoch, so a sequence
/// it reuses is never mistaken for one seen before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub epoch: u64,
    pub seq: u64,
}

/// One entry of the append-only change journal: what changed, and the record after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// This node's sequence: gapless, starting at 1.
    pub seq: u64,
    /// The municipal node that recorded the change.
    pub recorded_by: LocalGovernmentCode,
    /// The change's identity at the municipal node that recorded it (at that node itself:
    /// its epoch then, and `seq`).
    pub origin: Origin,
    pub record_id: String,
    pub kind: ChangeKind,
    pub effective_date: Date,
    pub notified_date: Option<Date>,
    /// When the recording municipal node committed it, ms since the Unix epoch (UTC, injected
    /// clock).
    pub recorded_at_ms: i64,
    /// The resident the change is about (after a code change: the new code).
    pub resident_code: ResidentCode,
    /// For a code change: the code before.
    pub previous_code: Option<ResidentCode>,
    /// The previous entry of the same person's history, if any (at the recording node; upper
    /// tiers find a person's history by code instead).
    pub prev_seq: Option<u64>,
    /// The record's state and facts after the change.
    pub status: RecordStatus,
    pub facts: IdentityFacts,
    /// Local-only fields after the change (municipal node only; never forwarded).
    pub local: LocalFields,
    pub planned_date: Option<Date>,
    pub destination: Option<Destination>,
}

impl JournalEntry {
    /// The codes the entry uses: its resident's, and the one it changed away from.
    pub fn codes(&self) -> impl Iterator<Item = ResidentCode> {
        std::iter::once(self.resident_code).chain(self.previous_code)
    }
}

impl JournalEntry {
    /// The entry as a node forwards it to its parent: identity information only (local
    /// fields stay at the municipality, BRIEF §7), without this node's history chain.
    pub fn forwardable(self) -> JournalEntry {
        JournalEntry {
            local: LocalFields::default(),
            prev_seq: None,
            ..self
        }
    }
}

/// A resident as a node holds it: the record now, and its history, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResidentView {
    pub current: StoredResident,
    pub history: Vec<JournalEntry>,
}

/// The four facts to search by (kana reading, birth date, sex; optionally the address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// The normalised reading, from [`juki_domain::name::kana_search_key`].
    pub search_key: String,
    pub birth_date: BirthDate,
    pub sex: Sex,
    /// Restrict to addresses in this local government.
    pub address_code: Option<LocalGovernmentCode>,
    /// Restrict to address remainders starting with this.
    pub address_prefix: Option<String>,
    /// Include closed records (default: current only).
    pub include_closed: bool,
    /// Page: only codes above this one.
    pub after: Option<ResidentCode>,
    /// Page size (the store caps it at [`SEARCH_LIMIT_MAX`]).
    pub limit: usize,
}

/// The largest page a search returns.
pub const SEARCH_LIMIT_MAX: usize = 1000;
/// Residents a caller should ask [`crate::Store::residents`] for at once (one read
/// transaction holds a reader connection for the whole call).
pub const RESIDENTS_PER_CALL: usize = 1_000;
/// The most journal entries one call returns.
pub const JOURNAL_LIMIT_MAX: usize = 10_000;

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub resident: StoredResident,
}

/// A range of resident-code bodies (first ten digits) a node may assign: `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodePool {
    pub start: u64,
    pub end: u64,
}

/// Counts and positions of a store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Records currently in force.
    pub residents_current: u64,
    /// All records, closed ones included.
    pub residents_total: u64,
    /// Highest journal sequence (0 when empty).
    pub journal_head: u64,
    /// Resident codes left to assign.
    pub codes_available: u64,
    pub schema_version: i64,
    /// This node's epoch: 1 for a new store, one more each time it is restored or rebuilt.
    pub epoch: u64,
}

/// A link into this node from a child node: the child's name (its local government code) and
/// epoch. Each (child, epoch) has its own acknowledged position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinkFrom {
    pub node: String,
    pub epoch: u64,
}

/// What became of a batch a child forwarded ([`crate::Store::receive`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// The highest contiguous sequence of the child now held: everything up to it is applied.
    pub acked: u64,
    /// Entries applied by this call.
    pub applied: u64,
    /// Entries already held (sent again, or recorded again under a new epoch).
    pub duplicates: u64,
    /// Entries beyond a gap, not applied (they are sent again after the gap is filled).
    pub held_back: u64,
}

/// Totals of a bulk load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkSummary {
    pub applied: u64,
    pub duplicates: u64,
    pub refused: u64,
    /// Seconds spent rebuilding deferred indexes at the end.
    pub index_build_ms: u64,
}

impl BulkSummary {
    pub fn count(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            match o {
                Outcome::Applied { .. } => self.applied += 1,
                Outcome::Duplicate { .. } => self.duplicates += 1,
                Outcome::Refused(_) => self.refused += 1,
            }
        }
    }
}

/// What a restored or rebuilt node does with the unused resident codes of its pools: the copy
/// may be older than codes it had already assigned or handed out, and a code is never assigned
/// twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodesAfterRestore {
    /// A node with a parent: give up every unused code of every pool (it asks for new pools).
    Abandon,
    /// The national node, which has no one to ask: advance each pool's next code by this many,
    /// bounded by the pool's end.
    SkipAhead(u64),
}

/// A journal segment written by [`crate::Store::export_segment`]: the entries after `after` up
/// to and including `to`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentSummary {
    pub after: u64,
    pub to: u64,
    pub entries: u64,
    /// When the segment's last entry was recorded, ms since the Unix epoch (None: empty).
    pub last_recorded_at_ms: Option<i64>,
}

/// What [`crate::Store::recover`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Entries recorded again, under new sequences, keeping their origin.
    pub applied: u64,
    /// Entries this node held already (by `(recorded_by, record_id)`).
    pub already_held: u64,
    /// Applied entries that came without local-only fields (a parent never holds them): the
    /// resident's previous ones here were kept, or none.
    pub local_fields_missing: u64,
}

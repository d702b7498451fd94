//! How a change is applied, once for every store implementation.
//!
//! An implementation provides [`Txn`]: point reads and writes inside one open transaction.
//! [`apply_one`] does the rest: the idempotency check, code assignment, the record state
//! machine of [`juki_domain::change::transition`], and the journal entry that records it.

use crate::{JournalEntry, Origin, Outcome, StoreError};
use juki_domain::catalogue::CODE_RESIDENT_POOL_EMPTY;
use juki_domain::change::{Transition, transition};
use juki_domain::{
    ChangeKind, LocalGovernmentCode, Problem, RecordStatus, ResidentCode, StoredResident,
    ValidatedChange,
};

/// The operations of one open transaction that [`apply_one`] needs.
pub trait Txn {
    /// The journal entry that recorded `(recorded_by, record_id)`, if any: its sequence and
    /// resident code.
    fn seen(
        &mut self,
        recorded_by: LocalGovernmentCode,
        record_id: &str,
    ) -> Result<Option<(u64, ResidentCode)>, StoreError>;
    /// The stored resident, if this node holds it.
    fn resident(&mut self, code: ResidentCode) -> Result<Option<Held>, StoreError>;
    /// The next code this node would assign, without taking it.
    fn peek_code(&mut self) -> Result<Option<ResidentCode>, StoreError>;
    /// Takes the code [`Txn::peek_code`] returned.
    fn consume_code(&mut self, code: ResidentCode) -> Result<(), StoreError>;
    /// Appends an entry and returns the sequence it was given (the next one), or None when the
    /// journal already holds an entry with the same `(recorded_by, record_id)`.
    fn append(&mut self, entry: &NewEntry<'_>) -> Result<Option<u64>, StoreError>;
    /// Writes a resident's state: its facts are those of journal entry `facts_seq`, its history
    /// starts at `last_seq`. `before` is its status before this change (None when the node never
    /// held it), so the store can keep its counts.
    fn put_resident(
        &mut self,
        code: ResidentCode,
        state: ResidentState,
        before: Option<RecordStatus>,
    ) -> Result<(), StoreError>;
    /// A resident's state without its facts, if this node holds it.
    fn state(&mut self, code: ResidentCode) -> Result<Option<ResidentState>, StoreError>;
    /// The forwarded entries this node holds about `code` (as the resident code, or as the
    /// previous code of a code change), the ones appended in this transaction included.
    fn about(&mut self, code: ResidentCode) -> Result<Vec<EntryMeta>, StoreError>;
}

/// A journal entry about to be appended, borrowing the change and the record it produced (no
/// copies of names or addresses on the hot path). [`NewEntry::to_entry`] gives the
/// [`JournalEntry`] it becomes.
#[derive(Clone, Copy, Debug)]
pub struct NewEntry<'a> {
    /// The municipal node that recorded the change.
    pub recorded_by: LocalGovernmentCode,
    /// When this node commits it, ms since the Unix epoch.
    pub recorded_at_ms: i64,
    /// The change: record id, kind, dates, destination.
    pub change: &'a ValidatedChange,
    /// The record after the change: its code (after a code change, the new one), status, facts
    /// and local fields.
    pub resident: &'a StoredResident,
    /// For a code change: the code before.
    pub previous_code: Option<ResidentCode>,
    /// The previous entry of the same person's history, if any.
    pub prev_seq: Option<u64>,
    /// For an entry a child node forwarded: its identity at the recording node (None: recorded
    /// here).
    pub origin: Option<Origin>,
}

impl NewEntry<'_> {
    /// The journal entry this becomes under sequence `seq` at a node in epoch `epoch`.
    pub fn to_entry(&self, seq: u64, epoch: u64) -> JournalEntry {
        let c = self.change;
        let r = self.resident;
        JournalEntry {
            seq,
            recorded_by: self.recorded_by,
            origin: self.origin.unwrap_or(Origin { epoch, seq }),
            record_id: c.record_id.clone(),
            kind: c.kind,
            effective_date: c.effective_date,
            notified_date: c.notified_date,
            recorded_at_ms: self.recorded_at_ms,
            resident_code: r.record.resident_code,
            previous_code: self.previous_code,
            prev_seq: self.prev_seq,
            status: r.status,
            facts: r.record.facts.clone(),
            local: r.local.clone(),
            planned_date: c.planned_date,
            destination: c.destination.clone(),
        }
    }
}

/// A resident as a store holds it: the record, and where its history and facts are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub resident: StoredResident,
    pub state: ResidentState,
}

/// Where a resident's history and facts are in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResidentState {
    pub status: RecordStatus,
    /// The newest journal entry of the person: the head of its history chain.
    pub last_seq: u64,
    /// The journal entry whose snapshot holds the record's facts (and local fields).
    pub facts_seq: u64,
}

/// Applies one validated change inside `txn`.
///
/// A record id seen before is a duplicate whatever the change says. To keep the common case
/// fast, the journal's unique index finds duplicates on insert; a refusal is checked against
/// the journal first, so a re-submitted change is reported as the duplicate it is.
pub fn apply_one(
    txn: &mut dyn Txn,
    node: LocalGovernmentCode,
    now_ms: i64,
    change: &ValidatedChange,
) -> Result<Outcome, StoreError> {
    let duplicate_or = |txn: &mut dyn Txn, refusal: Problem| -> Result<Outcome, StoreError> {
        Ok(match txn.seen(node, &change.record_id)? {
            Some((seq, resident_code)) => Outcome::Duplicate { seq, resident_code },
            None => Outcome::Refused(refusal),
        })
    };
    let pool_empty = || Problem::new(&CODE_RESIDENT_POOL_EMPTY).field("resident_code");

    // The code the change is about: given, or the next from this node's pool.
    let (code, assigned) = match change.resident_code {
        Some(code) => (code, false),
        None => match txn.peek_code()? {
            Some(code) => (code, true),
            None => return duplicate_or(txn, pool_empty()),
        },
    };
    let prev = txn.resident(code)?;
    let new_code = if change.kind == ChangeKind::CodeChange && !assigned {
        match txn.peek_code()? {
            Some(c) => Some(c),
            None if prev
                .as_ref()
                .is_some_and(|h| h.state.status == RecordStatus::Current) =>
            {
                return duplicate_or(txn, pool_empty());
            }
            None => None,
        }
    } else {
        None
    };
    let next = match transition(prev.as_ref().map(|h| &h.resident), change, code, new_code) {
        Ok(t) => t,
        Err(p) => return duplicate_or(txn, p),
    };
    let prev_seq = prev.as_ref().map(|h| h.state.last_seq);
    let before = prev.as_ref().map(|h| h.state.status);
    let entry = |resident, previous_code| NewEntry {
        recorded_by: node,
        recorded_at_ms: now_ms,
        change,
        resident,
        previous_code,
        prev_seq,
        origin: None,
    };
    let duplicate = |txn: &mut dyn Txn| -> Result<Outcome, StoreError> {
        let (seq, resident_code) = txn.seen(node, &change.record_id)?.ok_or_else(|| {
            StoreError::Corrupt("journal refused an entry it does not hold".into())
        })?;
        Ok(Outcome::Duplicate { seq, resident_code })
    };
    match next {
        Transition::Set(resident) => {
            let Some(seq) = txn.append(&entry(&resident, None))? else {
                return duplicate(txn);
            };
            if assigned {
                txn.consume_code(code)?;
            }
            let state = ResidentState {
                status: resident.status,
                last_seq: seq,
                facts_seq: seq,
            };
            txn.put_resident(code, state, before)?;
            Ok(Outcome::Applied {
                seq,
                resident_code: code,
            })
        }
        Transition::Recode { old, next } => {
            let new = next.record.resident_code;
            // One entry records both sides: the closed old code and the new one it continues as.
            let Some(seq) = txn.append(&entry(&next, Some(code)))? else {
                return duplicate(txn);
            };
            txn.consume_code(new)?;
            // The old code keeps its facts; its history now ends with the code change.
            let old_facts = prev.as_ref().map_or(seq, |h| h.state.facts_seq);
            let old_state = ResidentState {
                status: old.status,
                last_seq: seq,
                facts_seq: old_facts,
            };
            txn.put_resident(code, old_state, before)?;
            let next_state = ResidentState {
                status: next.status,
                last_seq: seq,
                facts_seq: seq,
            };
            txn.put_resident(new, next_state, None)?;
            Ok(Outcome::Applied {
                seq,
                resident_code: new,
            })
        }
    }
}

/// What the convergence rule needs to know of a forwarded journal entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryMeta {
    /// The entry's sequence at this node.
    pub seq: u64,
    pub recorded_by: LocalGovernmentCode,
    pub origin: Origin,
    pub resident_code: ResidentCode,
    pub previous_code: Option<ResidentCode>,
    /// The status of the record `resident_code` after the change.
    pub status: RecordStatus,
    pub effective_date: juki_domain::Date,
    pub recorded_at_ms: i64,
}

impl EntryMeta {
    /// The status this entry gives the record `code`: a code change closes the old code.
    pub fn status_for(&self, code: ResidentCode) -> RecordStatus {
        if self.resident_code == code {
            self.status
        } else {
            RecordStatus::Closed
        }
    }
}

/// The convergence rule: which entry gives a resident's current record at an upper tier.
///
/// Each municipality's latest word on the resident counts (its entries arrive in its own order,
/// so its latest is the one with the highest origin `(epoch, seq)`); among those, a record in
/// force beats a closed one, then the later effective date, then the later recording time,
/// then the municipality and origin (only to make the choice total). The result depends on the
/// set of entries held, never on the order they arrived in: every tier holding the same
/// entries shows the same record, and a resident who moved between prefectures ends in the
/// record of the municipality they live in now (ARCHITECTURE.md, "Convergence").
pub fn converge(code: ResidentCode, entries: &[EntryMeta]) -> Option<&EntryMeta> {
    let mut latest: Vec<&EntryMeta> = Vec::new();
    for e in entries {
        match latest.iter_mut().find(|l| l.recorded_by == e.recorded_by) {
            Some(l) if l.origin < e.origin => *l = e,
            Some(_) => {}
            None => latest.push(e),
        }
    }
    latest.into_iter().max_by_key(|e| {
        (
            e.status_for(code) == RecordStatus::Current,
            e.effective_date,
            e.recorded_at_ms,
            e.recorded_by.get(),
            e.origin,
        )
    })
}

/// A journal entry taken apart again: the change it recorded (about `code`, the code before the
/// change) and the record after it, with `local` as its local-only fields.
fn entry_parts(
    entry: &JournalEntry,
    code: ResidentCode,
    local: juki_domain::LocalFields,
) -> (ValidatedChange, StoredResident) {
    let change = ValidatedChange {
        record_id: entry.record_id.clone(),
        kind: entry.kind,
        effective_date: entry.effective_date,
        notified_date: entry.notified_date,
        resident_code: Some(code),
        facts: entry.facts.clone(),
        planned_date: entry.planned_date,
        destination: entry.destination.clone(),
        local: local.clone(),
    };
    let resident = StoredResident {
        record: juki_domain::IdentityRecord {
            resident_code: entry.resident_code,
            facts: entry.facts.clone(),
        },
        status: entry.status,
        local,
    };
    (change, resident)
}

/// Applies one entry a child node forwarded, inside `txn`, as an upper tier does: appends it
/// to this node's journal unless it is held already (by origin or by record id), and
/// recomputes the record of each code it touches by [`converge`].
///
/// An entry whose origin is held under another record id means a node reused sequences
/// without starting a new epoch: it is refused with [`StoreError::OriginReused`] rather than
/// guessed at.
pub fn apply_forwarded(txn: &mut dyn Txn, entry: &JournalEntry) -> Result<Outcome, StoreError> {
    let (change, resident) = entry_parts(
        entry,
        entry.resident_code,
        juki_domain::LocalFields::default(),
    );
    let new = NewEntry {
        recorded_by: entry.recorded_by,
        recorded_at_ms: entry.recorded_at_ms,
        change: &change,
        resident: &resident,
        previous_code: entry.previous_code,
        prev_seq: None,
        origin: Some(entry.origin),
    };
    let Some(seq) = txn.append(&new)? else {
        return match txn.seen(entry.recorded_by, &entry.record_id)? {
            Some((seq, resident_code)) => Ok(Outcome::Duplicate { seq, resident_code }),
            None => Err(StoreError::OriginReused {
                recorded_by: entry.recorded_by,
                origin: entry.origin,
            }),
        };
    };
    let codes = std::iter::once(entry.resident_code)
        .chain(entry.previous_code.filter(|p| *p != entry.resident_code));
    for code in codes {
        let about = txn.about(code)?;
        let winner = converge(code, &about)
            .ok_or_else(|| StoreError::Corrupt("an appended entry is not found by code".into()))?;
        let state = ResidentState {
            status: winner.status_for(code),
            last_seq: seq,
            facts_seq: winner.seq,
        };
        let before = txn.state(code)?.map(|s| s.status);
        txn.put_resident(code, state, before)?;
    }
    Ok(Outcome::Applied {
        seq,
        resident_code: entry.resident_code,
    })
}

/// The longest history a store follows for one resident; a longer chain means damage.
pub const HISTORY_ENTRIES_MAX: usize = 100_000;

fn too_long() -> StoreError {
    StoreError::Corrupt(format!(
        "history of a resident longer than {HISTORY_ENTRIES_MAX}"
    ))
}

/// Applies, inside `txn`, entries a child node forwarded on a link whose acknowledged position
/// is `acked`: in the child's sequence order, each next one at most once, stopping at a gap
/// (the body of [`crate::Store::receive`]; the store records the new position).
pub fn receive(
    txn: &mut dyn Txn,
    acked: u64,
    entries: &[JournalEntry],
) -> Result<crate::Received, StoreError> {
    let mut received = crate::Received {
        acked,
        ..crate::Received::default()
    };
    let mut sorted: Vec<&JournalEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    for e in sorted {
        if e.seq <= received.acked {
            received.duplicates += 1;
            continue;
        }
        if e.seq != received.acked + 1 {
            received.held_back += 1;
            continue;
        }
        match apply_forwarded(txn, e)? {
            Outcome::Applied { .. } => received.applied += 1,
            _ => received.duplicates += 1,
        }
        received.acked = e.seq;
    }
    Ok(received)
}

/// The sequences of the whole history of `code` at an upper tier: its forwarded entries
/// (`about` lists them, as [`Txn::about`] does) and, through code changes, those of the codes
/// it continues.
pub fn forwarded_seqs(
    code: ResidentCode,
    about: &mut dyn FnMut(ResidentCode) -> Result<Vec<EntryMeta>, StoreError>,
) -> Result<std::collections::BTreeSet<u64>, StoreError> {
    let mut codes = vec![code];
    let mut seqs = std::collections::BTreeSet::new();
    let mut i = 0;
    while let Some(&c) = codes.get(i) {
        i += 1;
        for m in about(c)? {
            seqs.insert(m.seq);
            if let Some(p) = m.previous_code
                && m.resident_code == c
                && !codes.contains(&p)
            {
                codes.push(p);
            }
        }
        if seqs.len() > HISTORY_ENTRIES_MAX {
            return Err(too_long());
        }
    }
    Ok(seqs)
}

/// A resident's record with its history, newest first, from its state: at an upper tier,
/// `forwarded` is its history already ([`forwarded_seqs`]); at the recording node, the history
/// is the chain from `last_seq` along `prev_seq`. `entry` reads a journal entry.
pub fn view(
    code: ResidentCode,
    state: ResidentState,
    forwarded: Option<Vec<JournalEntry>>,
    entry: &mut dyn FnMut(u64) -> Result<JournalEntry, StoreError>,
) -> Result<crate::ResidentView, StoreError> {
    let mut next = forwarded.is_none().then_some(state.last_seq);
    let mut history = forwarded.unwrap_or_default();
    while let Some(seq) = next {
        if history.len() >= HISTORY_ENTRIES_MAX {
            return Err(too_long());
        }
        let e = entry(seq)?;
        if e.prev_seq.is_some_and(|p| p >= seq) {
            return Err(StoreError::Corrupt(format!(
                "journal entry {seq} points forward"
            )));
        }
        next = e.prev_seq;
        history.push(e);
    }
    // The facts are usually those of the newest entry; a code changed away keeps older ones.
    let (facts, local) = match history.iter().find(|e| e.seq == state.facts_seq) {
        Some(e) => (e.facts.clone(), e.local.clone()),
        None => {
            let e = entry(state.facts_seq)?;
            (e.facts, e.local)
        }
    };
    let current = StoredResident {
        record: juki_domain::IdentityRecord {
            resident_code: code,
            facts,
        },
        status: state.status,
        local,
    };
    Ok(crate::ResidentView { current, history })
}

/// What [`recover_one`] did with one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveredOne {
    /// Recorded again under sequence `seq`; `local_missing`: the entry came without local-only
    /// fields (a parent never holds them), so the resident's previous ones here were kept.
    Applied { seq: u64, local_missing: bool },
    /// This node holds the change already (by its record id).
    Held,
}

/// Records again, inside `txn`, an entry this municipal node recorded and lost (as its parent
/// holds it, or as a backup held it): appended under the next sequence with its origin kept,
/// so the parent skips it when it is forwarded again, and the resident's history chain and state
/// advance as for a change applied here ([`apply_one`]'s bookkeeping, without its rules: the
/// change was accepted once already).
pub fn recover_one(txn: &mut dyn Txn, entry: &JournalEntry) -> Result<RecoveredOne, StoreError> {
    if txn.seen(entry.recorded_by, &entry.record_id)?.is_some() {
        return Ok(RecoveredOne::Held);
    }
    // The code the person had before this change: for a code change, the old one.
    let before_code = entry.previous_code.unwrap_or(entry.resident_code);
    let prev = txn.resident(before_code)?;
    let local_missing = entry.local.is_empty();
    let local = match (&prev, local_missing) {
        (Some(h), true) => h.resident.local.clone(),
        _ => entry.local.clone(),
    };
    let (change, resident) = entry_parts(entry, before_code, local);
    let new = NewEntry {
        recorded_by: entry.recorded_by,
        recorded_at_ms: entry.recorded_at_ms,
        change: &change,
        resident: &resident,
        previous_code: entry.previous_code,
        prev_seq: prev.as_ref().map(|h| h.state.last_seq),
        origin: Some(entry.origin),
    };
    let Some(seq) = txn.append(&new)? else {
        return Ok(RecoveredOne::Held);
    };
    let recoded = entry.previous_code.filter(|p| *p != entry.resident_code);
    if let Some(old) = recoded {
        let state = ResidentState {
            status: RecordStatus::Closed,
            last_seq: seq,
            facts_seq: prev.as_ref().map_or(seq, |h| h.state.facts_seq),
        };
        txn.put_resident(old, state, prev.as_ref().map(|h| h.state.status))?;
    }
    let before = match recoded {
        Some(_) => txn.state(entry.resident_code)?.map(|s| s.status),
        None => prev.as_ref().map(|h| h.state.status),
    };
    let state = ResidentState {
        status: entry.status,
        last_seq: seq,
        facts_seq: seq,
    };
    txn.put_resident(entry.resident_code, state, before)?;
    Ok(RecoveredOne::Applied { seq, local_missing })
}

/// [`recover_one`] for each entry, in order, counted.
pub fn recover_all(
    txn: &mut dyn Txn,
    entries: &[JournalEntry],
) -> Result<crate::Recovered, StoreError> {
    let mut r = crate::Recovered::default();
    for e in entries {
        match recover_one(txn, e)? {
            RecoveredOne::Applied { local_missing, .. } => {
                r.applied += 1;
                r.local_fields_missing += u64::from(local_missing);
            }
            RecoveredOne::Held => r.already_held += 1,
        }
    }
    Ok(r)
}

/// A journal row as [`reindex`] needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexRow {
    pub seq: u64,
    pub resident_code: ResidentCode,
    pub previous_code: Option<ResidentCode>,
    pub status: RecordStatus,
    /// A forwarded entry at an upper tier (kept origin, no history chain here): its record is
    /// chosen by [`converge`]. Otherwise the entry heads the person's chain, as at the
    /// municipal node that recorded it (recovered entries included).
    pub forwarded: bool,
}

impl IndexRow {
    /// The codes the entry uses: its resident's, and the one it changed away from.
    pub fn codes(&self) -> impl Iterator<Item = ResidentCode> {
        std::iter::once(self.resident_code).chain(self.previous_code)
    }
}

/// Brings the resident index up to date with journal rows already in the journal (applied as
/// plain SQL from a backup segment), in sequence order, by the same rules as when they were
/// first applied. Returns how many residents it wrote.
pub fn reindex(txn: &mut dyn Txn, rows: &[IndexRow]) -> Result<u64, StoreError> {
    let mut written = std::collections::BTreeSet::new();
    for r in rows {
        let codes = std::iter::once(r.resident_code)
            .chain(r.previous_code.filter(|p| *p != r.resident_code));
        for code in codes {
            let before = txn.state(code)?;
            let state = if r.forwarded {
                let about: Vec<EntryMeta> = txn
                    .about(code)?
                    .into_iter()
                    .filter(|m| m.seq <= r.seq)
                    .collect();
                let winner = converge(code, &about).ok_or_else(|| {
                    StoreError::Corrupt(format!("journal entry {} is not found by code", r.seq))
                })?;
                ResidentState {
                    status: winner.status_for(code),
                    last_seq: r.seq,
                    facts_seq: winner.seq,
                }
            } else if code == r.resident_code {
                ResidentState {
                    status: r.status,
                    last_seq: r.seq,
                    facts_seq: r.seq,
                }
            } else {
                // The old code of a code change keeps its facts; its history ends here.
                ResidentState {
                    status: RecordStatus::Closed,
                    last_seq: r.seq,
                    facts_seq: before.map_or(r.seq, |s| s.facts_seq),
                }
            };
            txn.put_resident(code, state, before.map(|s| s.status))?;
            written.insert(code);
        }
    }
    Ok(written.len() as u64)
}

//! How a change is applied, once for every store implementation.
//!
//! An implementation provides [`Txn`]: point reads and writes inside one open transaction.
//! [`apply_one`] does the rest: the idempotency check, code assignment, the record state
//! machine of [`juki_domain::change::transition`], and the journal entry that records it.

use crate::{JournalEntry, Outcome, StoreError};
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
    /// The stored resident and the sequence of its latest journal entry.
    fn resident(&mut self, code: ResidentCode)
    -> Result<Option<(StoredResident, u64)>, StoreError>;
    /// The next code this node would assign, without taking it.
    fn peek_code(&mut self) -> Result<Option<ResidentCode>, StoreError>;
    /// Takes the code [`Txn::peek_code`] returned.
    fn consume_code(&mut self, code: ResidentCode) -> Result<(), StoreError>;
    /// Appends an entry (its `seq` is ignored) and returns the sequence it was given.
    fn append(&mut self, entry: &JournalEntry) -> Result<u64, StoreError>;
    /// Writes a resident's current state; `before` is its status before this change (None
    /// when the node never held it), so the store can keep its counts.
    fn put_resident(
        &mut self,
        resident: &StoredResident,
        last_seq: u64,
        before: Option<RecordStatus>,
    ) -> Result<(), StoreError>;
}

/// Applies one validated change inside `txn`.
pub fn apply_one(
    txn: &mut dyn Txn,
    node: LocalGovernmentCode,
    now_ms: i64,
    change: &ValidatedChange,
) -> Result<Outcome, StoreError> {
    if let Some((seq, resident_code)) = txn.seen(node, &change.record_id)? {
        return Ok(Outcome::Duplicate { seq, resident_code });
    }
    let refused = |p: Problem| Ok(Outcome::Refused(p));

    // The code the change is about: given, or the next from this node's pool.
    let (code, assigned) = match change.resident_code {
        Some(code) => (code, false),
        None => match txn.peek_code()? {
            Some(code) => (code, true),
            None => return refused(Problem::new(&CODE_RESIDENT_POOL_EMPTY).field("resident_code")),
        },
    };
    let prev = txn.resident(code)?;
    let new_code = if change.kind == ChangeKind::CodeChange && !assigned {
        match txn.peek_code()? {
            Some(c) => Some(c),
            None if prev
                .as_ref()
                .is_some_and(|(p, _)| p.status == RecordStatus::Current) =>
            {
                return refused(Problem::new(&CODE_RESIDENT_POOL_EMPTY).field("resident_code"));
            }
            None => None,
        }
    } else {
        None
    };
    let next = match transition(prev.as_ref().map(|(r, _)| r), change, code, new_code) {
        Ok(t) => t,
        Err(p) => return refused(p),
    };
    let prev_seq = prev.as_ref().map(|(_, seq)| *seq);
    let before = prev.as_ref().map(|(r, _)| r.status);
    let entry = |resident: &StoredResident, previous_code: Option<ResidentCode>| JournalEntry {
        seq: 0,
        recorded_by: node,
        record_id: change.record_id.clone(),
        kind: change.kind,
        effective_date: change.effective_date,
        notified_date: change.notified_date,
        recorded_at_ms: now_ms,
        resident_code: resident.record.resident_code,
        previous_code,
        prev_seq,
        status: resident.status,
        facts: resident.record.facts.clone(),
        local: resident.local.clone(),
        planned_date: change.planned_date,
        destination: change.destination.clone(),
    };
    match next {
        Transition::Set(resident) => {
            if assigned {
                txn.consume_code(code)?;
            }
            let seq = txn.append(&entry(&resident, None))?;
            txn.put_resident(&resident, seq, before)?;
            Ok(Outcome::Applied {
                seq,
                resident_code: code,
            })
        }
        Transition::Recode { old, next } => {
            let new = next.record.resident_code;
            txn.consume_code(new)?;
            // One entry records both sides: the closed old code and the new one it continues as.
            let seq = txn.append(&entry(&next, Some(code)))?;
            txn.put_resident(&old, seq, before)?;
            txn.put_resident(&next, seq, None)?;
            Ok(Outcome::Applied {
                seq,
                resident_code: new,
            })
        }
    }
}

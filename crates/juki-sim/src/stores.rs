//! The stores a simulated node runs on: a SQLite store behind a wrapper that injects storage
//! faults, and, when a run asks for one, a wrapper that breaks the protocol on purpose (a
//! mutation) to show that the invariants notice.

use crate::Mutation;
use crate::rng::Rng;
use juki_domain::{LocalGovernmentCode, ResidentCode, ValidatedChange};
use juki_store::{
    BulkSummary, CodePool, CodesAfterRestore, JournalEntry, LinkFrom, Origin, Outcome, Received,
    Recovered, ResidentView, SearchHit, SearchQuery, SegmentSummary, Store, StoreError, StoreStats,
};
use std::sync::{Arc, Mutex, MutexGuard};

/// How an injected storage error reads: the simulator tells injected errors from real ones by it.
const INJECTED: &str = "injected storage fault";

/// Whether `e` is a fault the simulator injected (anything else is a real error: a failure).
pub fn is_injected(e: &StoreError) -> bool {
    matches!(e, StoreError::Io(s) if s.starts_with(INJECTED))
}

/// When an injected fault strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strike {
    /// The call fails before it runs: nothing happened.
    Before,
    /// The call ran and committed, then fails: the caller sees an error, the write happened.
    After,
}

/// The storage-fault settings of one node, shared by the simulator (which turns faults off
/// when it heals the network and counts them) and the node's store wrapper.
#[derive(Debug)]
pub struct Dial(Mutex<DialState>);

#[derive(Debug)]
struct DialState {
    rng: Rng,
    on: bool,
    /// Chance per call that a call fails before it runs, per mille.
    before_pm: u64,
    /// Chance per writing call that it fails after it committed, per mille.
    after_pm: u64,
    before: u64,
    after: u64,
}

impl Dial {
    pub fn new(rng: Rng, before_pm: u64, after_pm: u64) -> Arc<Dial> {
        Arc::new(Dial(Mutex::new(DialState {
            rng,
            on: before_pm + after_pm > 0,
            before_pm,
            after_pm,
            before: 0,
            after: 0,
        })))
    }

    fn state(&self) -> MutexGuard<'_, DialState> {
        // Nothing panics while holding it; a poisoned lock still holds consistent counts.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Turns faults off for good (the heal).
    pub fn heal(&self) {
        self.state().on = false;
    }

    /// Faults injected so far: (before, after).
    pub fn counts(&self) -> (u64, u64) {
        let s = self.state();
        (s.before, s.after)
    }

    /// Decides the fate of one call.
    fn draw(&self, writes: bool) -> Option<Strike> {
        let mut s = self.state();
        if !s.on {
            return None;
        }
        let (before_pm, after_pm) = (s.before_pm, s.after_pm);
        let roll = s.rng.below(1000);
        if roll < before_pm {
            s.before += 1;
            Some(Strike::Before)
        } else if writes && roll < before_pm + after_pm {
            s.after += 1;
            Some(Strike::After)
        } else {
            None
        }
    }
}

fn injected(call: &str, strike: Strike) -> StoreError {
    let when = match strike {
        Strike::Before => "before",
        Strike::After => "after committing",
    };
    StoreError::Io(format!("{INJECTED} {when} {call}"))
}

/// A store whose calls sometimes fail before they run, and whose writing calls sometimes fail
/// after they committed (the lost acknowledgement).
pub struct Faulty<S> {
    pub inner: S,
    pub dial: Arc<Dial>,
}

impl<S: Store> Faulty<S> {
    fn read<T>(
        &self,
        call: &str,
        f: impl FnOnce(&S) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match self.dial.draw(false) {
            Some(strike) => Err(injected(call, strike)),
            None => f(&self.inner),
        }
    }

    fn write<T>(
        &self,
        call: &str,
        f: impl FnOnce(&S) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match self.dial.draw(true) {
            Some(Strike::Before) => Err(injected(call, Strike::Before)),
            Some(Strike::After) => {
                f(&self.inner)?;
                Err(injected(call, Strike::After))
            }
            None => f(&self.inner),
        }
    }
}

impl<S: Store> Store for Faulty<S> {
    fn apply(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        changes: &[ValidatedChange],
    ) -> Result<Vec<Outcome>, StoreError> {
        self.write("apply", |s| s.apply(node, now_ms, changes))
    }

    fn bulk_load(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
        on_batch: &mut dyn FnMut(&[Outcome]),
    ) -> Result<BulkSummary, StoreError> {
        self.inner.bulk_load(node, now_ms, batches, on_batch)
    }

    fn record(&self, code: ResidentCode) -> Result<Option<ResidentView>, StoreError> {
        self.inner.record(code)
    }

    fn residents(
        &self,
        codes: &[ResidentCode],
    ) -> Result<Vec<Option<juki_domain::StoredResident>>, StoreError> {
        self.inner.residents(codes)
    }

    fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        self.inner.search(query)
    }

    fn journal_after(&self, after: u64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        self.read("journal_after", |s| s.journal_after(after, limit))
    }

    fn receive(&self, from: &LinkFrom, entries: &[JournalEntry]) -> Result<Received, StoreError> {
        self.write("receive", |s| s.receive(from, entries))
    }

    fn received(&self, from: &LinkFrom) -> Result<u64, StoreError> {
        self.inner.received(from)
    }

    fn link_acked(&self, link: &str) -> Result<u64, StoreError> {
        self.read("link_acked", |s| s.link_acked(link))
    }

    fn set_link_acked(&self, link: &str, seq: u64) -> Result<(), StoreError> {
        self.write("set_link_acked", |s| s.set_link_acked(link, seq))
    }

    fn add_code_pool(&self, pool: CodePool) -> Result<(), StoreError> {
        self.write("add_code_pool", |s| s.add_code_pool(pool))
    }

    fn grant_code_pool(&self, size: u64) -> Result<Option<CodePool>, StoreError> {
        self.write("grant_code_pool", |s| s.grant_code_pool(size))
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.read("stats", |s| s.stats())
    }

    fn begin_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError> {
        self.write("begin_epoch", |s| s.begin_epoch(codes))
    }

    fn reindex_after(&self, after: u64) -> Result<u64, StoreError> {
        self.write("reindex_after", |s| s.reindex_after(after))
    }

    fn export_segment(
        &self,
        after: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError> {
        self.read("export_segment", |s| s.export_segment(after, out))
    }

    fn recover(&self, entries: &[JournalEntry]) -> Result<Recovered, StoreError> {
        self.write("recover", |s| s.recover(entries))
    }
}

/// A store that breaks the protocol the way `mutation` says (only the upper-tier and granting
/// calls are touched; everything else passes through).
pub struct Mutant<S> {
    pub inner: S,
    pub mutation: Mutation,
    /// Makes the origins and record ids this node invents its own (the node's index).
    salt: u64,
    state: Mutex<MutantState>,
}

#[derive(Debug, Default)]
struct MutantState {
    /// How many times repeats were applied again (names the fresh side links and origins).
    replays: u64,
    /// Pool requests answered, and the last pool granted.
    grants: u64,
    last_grant: Option<CodePool>,
}

impl<S: Store> Mutant<S> {
    pub fn new(inner: S, mutation: Mutation, salt: u64) -> Mutant<S> {
        Mutant {
            inner,
            mutation,
            salt,
            state: Mutex::new(MutantState::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, MutantState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`Mutation::ReapplyRepeats`]: entries at or below the link's position are applied again,
    /// as if the origin check were missing: under a fresh origin and record id (fresh at this
    /// node: no other node invents the same), through a side link of their own.
    fn receive_reapplying(
        &self,
        from: &LinkFrom,
        entries: &[JournalEntry],
    ) -> Result<Received, StoreError> {
        let position = self.inner.received(from)?;
        let (repeats, rest): (Vec<&JournalEntry>, Vec<&JournalEntry>) =
            entries.iter().partition(|e| e.seq <= position);
        if !repeats.is_empty() {
            let n = {
                let mut st = self.state();
                st.replays += 1;
                st.replays
            };
            let side = LinkFrom {
                node: format!("{}-again", from.node),
                epoch: n,
            };
            let again: Vec<JournalEntry> = repeats
                .iter()
                .enumerate()
                .map(|(i, e)| JournalEntry {
                    seq: i as u64 + 1,
                    record_id: format!("{}r{}x{n}", e.record_id, self.salt),
                    // An epoch no municipality reaches, numbered by this node and replay.
                    origin: Origin {
                        epoch: ((self.salt + 1) << 40) | n,
                        seq: i as u64 + 1,
                    },
                    ..(*e).clone()
                })
                .collect();
            self.inner.receive(&side, &again)?;
        }
        let rest: Vec<JournalEntry> = rest.into_iter().cloned().collect();
        self.inner.receive(from, &rest)
    }

    /// [`Mutation::AckBeforeApply`]: the whole batch is acknowledged whatever applying it did.
    fn receive_acking_first(
        &self,
        from: &LinkFrom,
        entries: &[JournalEntry],
    ) -> Result<Received, StoreError> {
        let position = self.inner.received(from).unwrap_or(0);
        let claimed = entries.iter().map(|e| e.seq).fold(position, u64::max);
        let applied = self.inner.receive(from, entries);
        Ok(Received {
            acked: claimed,
            applied: applied.map_or(0, |r| r.applied),
            ..Received::default()
        })
    }

    /// [`Mutation::KeepFirstFacts`]: each entry is applied with the facts already held for its
    /// resident, if any.
    fn receive_keeping_facts(
        &self,
        from: &LinkFrom,
        entries: &[JournalEntry],
    ) -> Result<Received, StoreError> {
        let mut kept = Vec::with_capacity(entries.len());
        for e in entries {
            let mut e = e.clone();
            if let Some(held) = self.inner.record(e.resident_code)? {
                e.facts = held.current.record.facts;
            }
            kept.push(e);
        }
        self.inner.receive(from, &kept)
    }

    /// [`Mutation::RegrantPool`]: every second request is answered with the last pool again.
    fn grant_again(&self, size: u64) -> Result<Option<CodePool>, StoreError> {
        let mut st = self.state();
        st.grants += 1;
        if st.grants.is_multiple_of(2)
            && let Some(last) = st.last_grant
        {
            return Ok(Some(last));
        }
        let granted = self.inner.grant_code_pool(size)?;
        if granted.is_some() {
            st.last_grant = granted;
        }
        Ok(granted)
    }
}

impl<S: Store> Store for Mutant<S> {
    fn apply(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        changes: &[ValidatedChange],
    ) -> Result<Vec<Outcome>, StoreError> {
        self.inner.apply(node, now_ms, changes)
    }

    fn bulk_load(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
        on_batch: &mut dyn FnMut(&[Outcome]),
    ) -> Result<BulkSummary, StoreError> {
        self.inner.bulk_load(node, now_ms, batches, on_batch)
    }

    fn record(&self, code: ResidentCode) -> Result<Option<ResidentView>, StoreError> {
        self.inner.record(code)
    }

    fn residents(
        &self,
        codes: &[ResidentCode],
    ) -> Result<Vec<Option<juki_domain::StoredResident>>, StoreError> {
        self.inner.residents(codes)
    }

    fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        self.inner.search(query)
    }

    fn journal_after(&self, after: u64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        self.inner.journal_after(after, limit)
    }

    fn receive(&self, from: &LinkFrom, entries: &[JournalEntry]) -> Result<Received, StoreError> {
        match self.mutation {
            Mutation::ReapplyRepeats => self.receive_reapplying(from, entries),
            Mutation::AckBeforeApply => self.receive_acking_first(from, entries),
            Mutation::KeepFirstFacts => self.receive_keeping_facts(from, entries),
            _ => self.inner.receive(from, entries),
        }
    }

    fn received(&self, from: &LinkFrom) -> Result<u64, StoreError> {
        self.inner.received(from)
    }

    fn link_acked(&self, link: &str) -> Result<u64, StoreError> {
        self.inner.link_acked(link)
    }

    fn set_link_acked(&self, link: &str, seq: u64) -> Result<(), StoreError> {
        self.inner.set_link_acked(link, seq)
    }

    fn add_code_pool(&self, pool: CodePool) -> Result<(), StoreError> {
        self.inner.add_code_pool(pool)
    }

    fn grant_code_pool(&self, size: u64) -> Result<Option<CodePool>, StoreError> {
        match self.mutation {
            Mutation::RegrantPool => self.grant_again(size),
            _ => self.inner.grant_code_pool(size),
        }
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.inner.stats()
    }

    fn begin_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError> {
        self.inner.begin_epoch(codes)
    }

    fn reindex_after(&self, after: u64) -> Result<u64, StoreError> {
        self.inner.reindex_after(after)
    }

    fn export_segment(
        &self,
        after: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError> {
        self.inner.export_segment(after, out)
    }

    fn recover(&self, entries: &[JournalEntry]) -> Result<Recovered, StoreError> {
        self.inner.recover(entries)
    }
}

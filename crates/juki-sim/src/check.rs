//! The invariants checked after every run, once every link has drained:
//!
//! 1. every journal is gapless (sequences 1..=head);
//! 2. a municipal journal holds exactly the changes its clients were told were accepted;
//! 3. every accepted change is held exactly once at its prefecture and at the national node
//!    (by `(recorded_by, origin)`), and nothing else is held there;
//! 4. no resident code is assigned twice: granted pools are disjoint and nested in their
//!    granter's, and every code a municipal node assigned lies in a pool granted to it and was
//!    assigned once network-wide;
//! 5. the tiers converge: a resident is current at one municipality at most; where a
//!    municipality holds a record current, its prefecture and the national node hold it
//!    current with the same facts; where a prefecture holds a record current, the national
//!    node holds the same; the national node holds every code.

use crate::sim::{Broken, broken};
use crate::topology::{MUNICIPAL, NATIONAL, NODES, NodeId, PREFECTURES, label, parent};
use juki_domain::{ChangeKind, LocalGovernmentCode, RecordStatus, ResidentCode, StoredResident};
use juki_store::{CodePool, JOURNAL_LIMIT_MAX, JournalEntry, Origin, Store};
use std::collections::{BTreeMap, BTreeSet};

/// A change a municipal node accepted, as its client learned it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub record_id: String,
    pub kind: ChangeKind,
    pub resident_code: ResidentCode,
}

/// A pool a node granted to a child (the grant call returned it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub by: NodeId,
    pub to: NodeId,
    pub pool: CodePool,
}

/// What the checks look at: every node's store, indexed like [`NODES`], and what the simulator
/// saw happen.
pub struct World<'a> {
    pub stores: Vec<&'a dyn Store>,
    /// Each node's epoch.
    pub epochs: Vec<u64>,
    /// Accepted changes by (municipal node, origin).
    pub accepted: &'a BTreeMap<(NodeId, Origin), Accepted>,
    pub grants: &'a [Grant],
}

/// Runs every check; the first broken invariant is the answer.
pub fn all(w: &World) -> Result<(), Broken> {
    let journals = journals(w)?;
    municipal_journals(w, &journals)?;
    for tier in PREFECTURES.into_iter().chain([NATIONAL]) {
        held_once(w, tier, &journals[tier])?;
    }
    codes(w, &journals)?;
    converge(w, &journals)
}

fn read_failed(node: NodeId, e: juki_store::StoreError) -> Broken {
    broken(
        "stores answer reads after the heal",
        format!("{}: {e}", label(node)),
    )
}

/// Every node's whole journal, checked gapless.
fn journals(w: &World) -> Result<Vec<Vec<JournalEntry>>, Broken> {
    let mut out = Vec::new();
    for (node, store) in w.stores.iter().enumerate() {
        let mut all: Vec<JournalEntry> = Vec::new();
        loop {
            let after = all.last().map_or(0, |e| e.seq);
            let page = store
                .journal_after(after, JOURNAL_LIMIT_MAX)
                .map_err(|e| read_failed(node, e))?;
            if page.is_empty() {
                break;
            }
            all.extend(page);
        }
        if let Some((i, e)) = all.iter().enumerate().find(|(i, e)| e.seq != *i as u64 + 1) {
            return Err(broken(
                "every journal is gapless",
                format!("{}: entry {} has sequence {}", label(node), i + 1, e.seq),
            ));
        }
        let head = store
            .stats()
            .map_err(|e| read_failed(node, e))?
            .journal_head;
        if head != all.len() as u64 {
            return Err(broken(
                "every journal is gapless",
                format!("{}: head {head}, {} entries", label(node), all.len()),
            ));
        }
        out.push(all);
    }
    Ok(out)
}

fn lgc(node: NodeId) -> Option<LocalGovernmentCode> {
    LocalGovernmentCode::parse(NODES[node].code).ok()
}

/// The municipal node that recorded an entry.
fn recorder(e: &JournalEntry) -> Option<NodeId> {
    MUNICIPAL
        .into_iter()
        .find(|&m| lgc(m) == Some(e.recorded_by))
}

/// A municipal journal holds exactly the accepted changes of that node.
fn municipal_journals(w: &World, journals: &[Vec<JournalEntry>]) -> Result<(), Broken> {
    const INVARIANT: &str = "a municipal journal holds exactly the changes it accepted";
    for m in MUNICIPAL {
        for e in &journals[m] {
            let key = (m, e.origin);
            if recorder(e) != Some(m) {
                return Err(broken(
                    INVARIANT,
                    format!("{} seq {} recorded by {}", label(m), e.seq, e.recorded_by),
                ));
            }
            let expected_origin = Origin {
                epoch: w.epochs[m],
                seq: e.seq,
            };
            if e.origin != expected_origin {
                return Err(broken(
                    INVARIANT,
                    format!("{} seq {} has origin {:?}", label(m), e.seq, e.origin),
                ));
            }
            match w.accepted.get(&key) {
                Some(a) if a.record_id == e.record_id => {}
                Some(a) => {
                    return Err(broken(
                        INVARIANT,
                        format!(
                            "{} seq {} is {}, the client was told {}",
                            label(m),
                            e.seq,
                            e.record_id,
                            a.record_id
                        ),
                    ));
                }
                None => {
                    return Err(broken(
                        INVARIANT,
                        format!(
                            "{} seq {} ({}) was never reported accepted",
                            label(m),
                            e.seq,
                            e.record_id
                        ),
                    ));
                }
            }
        }
        let accepted = w.accepted.keys().filter(|(n, _)| *n == m).count();
        if accepted != journals[m].len() {
            return Err(broken(
                INVARIANT,
                format!(
                    "{} accepted {accepted} changes, its journal holds {}",
                    label(m),
                    journals[m].len()
                ),
            ));
        }
    }
    Ok(())
}

/// Whether `tier` is above municipal node `m`.
fn above(tier: NodeId, m: NodeId) -> bool {
    tier == NATIONAL || parent(m) == Some(tier)
}

/// Every accepted change below `tier` is in its journal exactly once; nothing else is.
fn held_once(w: &World, tier: NodeId, journal: &[JournalEntry]) -> Result<(), Broken> {
    let mut counts: BTreeMap<(NodeId, Origin), u32> = BTreeMap::new();
    for e in journal {
        let Some(m) = recorder(e).filter(|&m| above(tier, m)) else {
            return Err(broken(
                "nothing is held upstream that no municipality accepted",
                format!(
                    "{} seq {} was recorded by {}, not below it",
                    label(tier),
                    e.seq,
                    e.recorded_by
                ),
            ));
        };
        if !w.accepted.contains_key(&(m, e.origin)) {
            return Err(broken(
                "nothing is held upstream that no municipality accepted",
                format!(
                    "{} seq {} ({} from {} origin {}/{}) was never accepted",
                    label(tier),
                    e.seq,
                    e.record_id,
                    label(m),
                    e.origin.epoch,
                    e.origin.seq
                ),
            ));
        }
        *counts.entry((m, e.origin)).or_default() += 1;
    }
    for ((m, origin), a) in w.accepted.iter().filter(|((m, _), _)| above(tier, *m)) {
        let n = counts.get(&(*m, *origin)).copied().unwrap_or(0);
        if n != 1 {
            return Err(broken(
                "every accepted change is held exactly once at each tier above",
                format!(
                    "{} holds {} ({} {} from {} seq {}) {n} times",
                    label(tier),
                    a.record_id,
                    a.kind.en(),
                    a.resident_code,
                    label(*m),
                    origin.seq
                ),
            ));
        }
    }
    Ok(())
}

fn describe(r: &StoredResident) -> String {
    let n = &r.record.facts.name;
    format!(
        "{:?} {}{} {}",
        r.status, n.family, n.given, r.record.facts.address.remainder
    )
}

/// The tiers agree on every record the workload touched.
fn converge(w: &World, journals: &[Vec<JournalEntry>]) -> Result<(), Broken> {
    const INVARIANT: &str = "the tiers converge";
    let codes: BTreeSet<ResidentCode> = MUNICIPAL
        .into_iter()
        .flat_map(|m| &journals[m])
        .flat_map(JournalEntry::codes)
        .collect();
    let record = |node: NodeId, code: ResidentCode| -> Result<Option<StoredResident>, Broken> {
        Ok(w.stores[node]
            .record(code)
            .map_err(|e| read_failed(node, e))?
            .map(|v| v.current))
    };
    for code in codes {
        let mut current_at = Vec::new();
        for m in MUNICIPAL {
            if let Some(r) = record(m, code)?
                && r.status == RecordStatus::Current
            {
                current_at.push((m, r));
            }
        }
        if current_at.len() > 1 {
            let at: Vec<String> = current_at.iter().map(|(m, _)| label(*m)).collect();
            return Err(broken(
                "a resident is current at one municipality at most",
                format!("{code} is current at {}", at.join(" and ")),
            ));
        }
        let national = record(NATIONAL, code)?;
        let Some(national) = national else {
            return Err(broken(
                INVARIANT,
                format!("the national node does not hold {code}"),
            ));
        };
        if let Some((m, at_m)) = current_at.first() {
            let p = parent(*m).unwrap_or(NATIONAL);
            for (tier, r) in [(p, record(p, code)?), (NATIONAL, Some(national.clone()))] {
                let ok = r
                    .as_ref()
                    .is_some_and(|r| r.status == RecordStatus::Current && r.record == at_m.record);
                if !ok {
                    return Err(broken(
                        INVARIANT,
                        format!(
                            "{code}: {} holds {}, {} holds {}",
                            label(*m),
                            describe(at_m),
                            label(tier),
                            r.as_ref().map_or("nothing".into(), describe)
                        ),
                    ));
                }
            }
        }
        for p in PREFECTURES {
            if let Some(at_p) = record(p, code)?
                && at_p.status == RecordStatus::Current
                && (national.status != RecordStatus::Current || national.record != at_p.record)
            {
                return Err(broken(
                    INVARIANT,
                    format!(
                        "{code}: {} holds {}, the national node {}",
                        label(p),
                        describe(&at_p),
                        describe(&national)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn overlap(a: &CodePool, b: &CodePool) -> bool {
    a.start < b.end && b.start < a.end
}

fn within(inner: &CodePool, outer: &CodePool) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// No resident code is assigned twice.
fn codes(w: &World, journals: &[Vec<JournalEntry>]) -> Result<(), Broken> {
    const INVARIANT: &str = "no resident code is assigned twice";
    let national_pool = CodePool {
        start: 500_000_000,
        end: 1_000_000_000,
    };
    for (i, a) in w.grants.iter().enumerate() {
        for b in &w.grants[..i] {
            if overlap(&a.pool, &b.pool) && (a.by == NATIONAL) == (b.by == NATIONAL) {
                return Err(broken(
                    INVARIANT,
                    format!(
                        "{} granted {} {}..{}, {} granted {} {}..{}",
                        label(b.by),
                        label(b.to),
                        b.pool.start,
                        b.pool.end,
                        label(a.by),
                        label(a.to),
                        a.pool.start,
                        a.pool.end
                    ),
                ));
            }
        }
        let nested = if a.by == NATIONAL {
            within(&a.pool, &national_pool)
        } else {
            w.grants
                .iter()
                .any(|g| g.to == a.by && within(&a.pool, &g.pool))
        };
        if !nested {
            return Err(broken(
                INVARIANT,
                format!(
                    "{} granted {} {}..{}, which it was never given",
                    label(a.by),
                    label(a.to),
                    a.pool.start,
                    a.pool.end
                ),
            ));
        }
    }
    let mut assigned: BTreeMap<ResidentCode, (NodeId, u64)> = BTreeMap::new();
    for m in MUNICIPAL {
        for e in journals[m]
            .iter()
            .filter(|e| matches!(e.kind, ChangeKind::Birth | ChangeKind::CodeChange))
        {
            let code = e.resident_code;
            let body = code.body();
            let granted = w
                .grants
                .iter()
                .any(|g| g.to == m && g.pool.start <= body && body < g.pool.end);
            if !granted {
                return Err(broken(
                    INVARIANT,
                    format!(
                        "{} assigned {code} (seq {}), outside every pool granted to it",
                        label(m),
                        e.seq
                    ),
                ));
            }
            if let Some((other, seq)) = assigned.insert(code, (m, e.seq)) {
                return Err(broken(
                    INVARIANT,
                    format!(
                        "{code} assigned by {} (seq {seq}) and by {} (seq {})",
                        label(other),
                        label(m),
                        e.seq
                    ),
                ));
            }
        }
    }
    Ok(())
}

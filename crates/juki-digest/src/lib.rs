//! Cross-tier digests (docs/backup.md, "Cross-tier digests and reconcile"): a Merkle digest
//! over resident-code ranges of the journal entries one municipality recorded, computed the
//! same way at the municipal node, its prefecture and the national node, so that comparing two
//! tiers' digests names the code ranges where they hold different entries.
//!
//! - **An entry** hashes to SHA-256 of a canonical encoding of what every tier holds alike:
//!   `recorded_by`, `record_id`, kind, effective/notified/planned dates, destination, resident
//!   code, previous code, status and the identity facts. Not this node's sequence, history
//!   chain, origin, recording time or local-only fields: those differ between tiers or are
//!   never forwarded.
//! - **A leaf** is a fixed range of [`LEAF_BODIES`] code bodies (the first ten digits), the same
//!   at every tier whatever codes it holds. Its entries combine by 256-bit addition of their
//!   hashes with their count, so their order does not matter and one streaming pass over the
//!   journal computes it. Only non-empty leaves are kept.
//! - **Internal nodes** group 16 children into one, [`LEVELS`] times, up to the root.
//! - **A cut** keeps only the entries whose origin (epoch, sequence at the recording node) is at
//!   or below it, so a child and its parent compare the same set while changes are on their way.
//!
//! Pure: no IO, no clock.

use juki_domain::change::Destination;
use juki_domain::{LocalGovernmentCode, ResidentCode};
use juki_store::codec::{Short, script_str};
use juki_store::{JournalEntry, Origin};
use ring::digest::{Context, SHA256};
use std::collections::BTreeMap;

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// Bits of a code body a leaf spans: a leaf is 4096 consecutive bodies.
pub const LEAF_BITS: u32 = 12;
/// Code bodies per leaf.
pub const LEAF_BODIES: u64 = 1 << LEAF_BITS;
/// Children per internal node, as bits.
const FANOUT_BITS: u32 = 4;
/// Levels of internal nodes above the leaves: bodies are below 10¹⁰ < 2³⁴, so leaf indices
/// are below 2²², and six groupings of 16 reach a single root.
pub const LEVELS: u32 = 6;

/// One leaf range of the code space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeafRange {
    pub index: u64,
}

impl LeafRange {
    /// The range a resident code falls in.
    pub fn of(code: ResidentCode) -> LeafRange {
        LeafRange {
            index: code.body() >> LEAF_BITS,
        }
    }

    /// The first code body of the range.
    pub fn start(self) -> u64 {
        self.index << LEAF_BITS
    }

    /// The code body after the range (exclusive), at most the end of the code space.
    pub fn end(self) -> u64 {
        ((self.index + 1) << LEAF_BITS).min(ResidentCode::SPACE)
    }

    /// The range that is exactly `[start, end)` in code bodies, if there is one.
    pub fn from_bounds(start: u64, end: u64) -> Option<LeafRange> {
        let r = LeafRange {
            index: start >> LEAF_BITS,
        };
        (start < ResidentCode::SPACE && r.start() == start && r.end() == end).then_some(r)
    }

    pub fn contains(self, code: ResidentCode) -> bool {
        LeafRange::of(code) == self
    }
}

impl std::fmt::Display for LeafRange {
    /// `0000004096-0000008192`: the first body and the body after the range.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:010}-{:010}", self.start(), self.end())
    }
}

/// Consecutive leaf ranges: the code bodies `start..end`, both on leaf boundaries (what one
/// request for the entries of several differing ranges covers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
}

impl Span {
    /// The span `[start, end)` if both lie on leaf boundaries (or `end` at the end of the code
    /// space) and it is not empty.
    pub fn from_bounds(start: u64, end: u64) -> Option<Span> {
        let on_boundary = |b: u64| b.is_multiple_of(LEAF_BODIES) || b == ResidentCode::SPACE;
        (start < end
            && end <= ResidentCode::SPACE
            && start.is_multiple_of(LEAF_BODIES)
            && on_boundary(end))
        .then_some(Span { start, end })
    }

    /// From the first to the last of `ranges` (sorted), None when there are none.
    pub fn covering(ranges: &[LeafRange]) -> Option<Span> {
        Some(Span {
            start: ranges.first()?.start(),
            end: ranges.last()?.end(),
        })
    }

    pub fn contains(self, code: ResidentCode) -> bool {
        (self.start..self.end).contains(&code.body())
    }
}

/// A non-empty leaf: its range index, how many entries it holds and its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    pub index: u64,
    pub entries: u64,
    pub hash: Hash,
}

/// The digest of one scope (a municipality's entries) at one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub scope: LocalGovernmentCode,
    pub cut: Option<Origin>,
    /// Entries counted.
    pub entries: u64,
    /// The highest origin among them.
    pub last_origin: Option<Origin>,
    /// The non-empty leaves, by index.
    pub leaves: Vec<Leaf>,
    pub root: Hash,
}

/// Computes a scope's digest from its entries, given in any order, one at a time.
#[derive(Clone, Debug)]
pub struct Builder {
    scope: LocalGovernmentCode,
    cut: Option<Origin>,
    leaves: BTreeMap<u64, (u64, Hash)>,
    entries: u64,
    last_origin: Option<Origin>,
}

impl Builder {
    pub fn new(scope: LocalGovernmentCode, cut: Option<Origin>) -> Builder {
        Builder {
            scope,
            cut,
            leaves: BTreeMap::new(),
            entries: 0,
            last_origin: None,
        }
    }

    /// Whether `e` belongs in this digest: recorded by the scope, at or below the cut.
    pub fn includes(&self, e: &JournalEntry) -> bool {
        e.recorded_by == self.scope && self.cut.is_none_or(|c| e.origin <= c)
    }

    /// Counts `e` if it belongs; true when it did.
    pub fn add(&mut self, e: &JournalEntry) -> bool {
        if !self.includes(e) {
            return false;
        }
        let h = entry_hash(e);
        let slot = self
            .leaves
            .entry(LeafRange::of(e.resident_code).index)
            .or_insert((0, [0; 32]));
        slot.0 += 1;
        add_256(&mut slot.1, &h);
        self.entries += 1;
        self.last_origin = self.last_origin.max(Some(e.origin));
        true
    }

    pub fn finish(self) -> Digest {
        let leaves: Vec<Leaf> = self
            .leaves
            .into_iter()
            .map(|(index, (entries, sum))| Leaf {
                index,
                entries,
                hash: leaf_hash(index, entries, &sum),
            })
            .collect();
        Digest {
            scope: self.scope,
            cut: self.cut,
            entries: self.entries,
            last_origin: self.last_origin,
            root: root(&leaves),
            leaves,
        }
    }
}

/// The root over `leaves` (sorted by index, each index once).
pub fn root(leaves: &[Leaf]) -> Hash {
    let mut level: Vec<(u64, Hash)> = leaves.iter().map(|l| (l.index, l.hash)).collect();
    for depth in 1..=LEVELS {
        let mut up: Vec<(u64, Hash)> = Vec::new();
        let mut i = 0;
        while i < level.len() {
            let parent = level[i].0 >> FANOUT_BITS;
            let mut ctx = Context::new(&SHA256);
            ctx.update(b"juki-digest node 1\0");
            ctx.update(&[depth as u8]);
            ctx.update(&parent.to_be_bytes());
            while i < level.len() && level[i].0 >> FANOUT_BITS == parent {
                ctx.update(&[(level[i].0 & ((1 << FANOUT_BITS) - 1)) as u8]);
                ctx.update(&level[i].1);
                i += 1;
            }
            up.push((parent, finish(ctx)));
        }
        level = up;
    }
    match level.as_slice() {
        [(_, h)] => *h,
        _ => {
            let mut ctx = Context::new(&SHA256);
            ctx.update(b"juki-digest empty 1\0");
            finish(ctx)
        }
    }
}

/// The ranges whose leaves differ between two digests' leaves (each sorted by index): a leaf
/// on one side only, or with another hash.
pub fn differing(a: &[Leaf], b: &[Leaf]) -> Vec<LeafRange> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.index == y.index => {
                if x.hash != y.hash || x.entries != y.entries {
                    out.push(LeafRange { index: x.index });
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.index < y.index => {
                out.push(LeafRange { index: x.index });
                i += 1;
            }
            (Some(x), None) => {
                out.push(LeafRange { index: x.index });
                i += 1;
            }
            (_, Some(y)) => {
                out.push(LeafRange { index: y.index });
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// The hash of one entry: SHA-256 of its canonical encoding ([`encode`]).
pub fn entry_hash(e: &JournalEntry) -> Hash {
    let mut buf = Vec::with_capacity(256);
    encode(e, &mut buf);
    let mut ctx = Context::new(&SHA256);
    ctx.update(&buf);
    finish(ctx)
}

/// Appends the canonical encoding of what every tier holds of `e`: a version tag, then each
/// field as a 4-byte big-endian length and its UTF-8 text, an absent optional field as the
/// length 0xFFFFFFFF.
pub fn encode(e: &JournalEntry, out: &mut Vec<u8>) {
    out.extend_from_slice(b"juki-entry 1\0");
    let f = &e.facts;
    let mut field = |s: Option<&str>| match s {
        Some(s) => {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
    };
    let date = |d: Option<juki_domain::Date>| d.map(Short::date);
    let (dest_code, dest_address) = match &e.destination {
        Some(Destination { code, address }) => (
            Some(code.map_or_else(String::new, |c| c.to_string())),
            Some(address.as_str()),
        ),
        None => (None, None),
    };
    field(Some(&e.recorded_by.to_string()));
    field(Some(&e.record_id));
    field(Some(e.kind.ja()));
    field(Some(Short::date(e.effective_date).as_str()));
    field(date(e.notified_date).as_ref().map(Short::as_str));
    field(date(e.planned_date).as_ref().map(Short::as_str));
    field(dest_code.as_deref());
    field(dest_address);
    field(Some(&e.resident_code.to_string()));
    field(e.previous_code.map(|c| c.to_string()).as_deref());
    field(Some(e.status.as_str()));
    field(Some(&f.name.family));
    field(Some(&f.name.given));
    field(Some(&f.name.family_kana));
    field(Some(&f.name.given_kana));
    field(Some(script_str(f.name.script)));
    field(Some(Short::birth(f.birth_date).as_str()));
    field(Some(f.sex.as_str()));
    field(Some(&f.address.code.to_string()));
    field(Some(&f.address.remainder));
    field(f.individual_number.map(|n| n.get().to_string()).as_deref());
    field(f.former_family_name.as_deref());
    field(f.alias_name.as_deref());
    field(f.nationality.as_deref());
}

fn leaf_hash(index: u64, entries: u64, sum: &Hash) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(b"juki-digest leaf 1\0");
    ctx.update(&index.to_be_bytes());
    ctx.update(&entries.to_be_bytes());
    ctx.update(sum);
    finish(ctx)
}

fn finish(ctx: Context) -> Hash {
    let mut h = [0; 32];
    h.copy_from_slice(ctx.finish().as_ref());
    h
}

/// `acc += x` modulo 2²⁵⁶, both big-endian.
fn add_256(acc: &mut Hash, x: &Hash) {
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(acc[i]) + u16::from(x[i]) + carry;
        acc[i] = s as u8;
        carry = s >> 8;
    }
}

/// A hash as lowercase hex.
pub fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash from 64 hex digits.
pub fn parse_hex(s: &str) -> Option<Hash> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut h = [0; 32];
    for (i, b) in h.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(h)
}

/// A cut as written in requests: `EPOCH:SEQ`.
pub fn format_cut(c: Origin) -> String {
    format!("{}:{}", c.epoch, c.seq)
}

/// Reads `EPOCH:SEQ`.
pub fn parse_cut(s: &str) -> Option<Origin> {
    let (e, q) = s.split_once(':')?;
    Some(Origin {
        epoch: e.parse().ok()?,
        seq: q.parse().ok()?,
    })
}

#[cfg(test)]
mod tests;

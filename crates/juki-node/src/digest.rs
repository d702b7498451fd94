//! Cross-tier digests at a node (docs/backup.md, "Cross-tier digests and reconcile"): a
//! scope's digest computed in one streaming pass over the journal, the entries of one code
//! range, the daily comparison with the parent (metrics and a `status` warning naming the
//! ranges that differ), and reconcile at a municipal node, which repairs what it lost from the
//! tier above.

use crate::link::{LinkError, PARENT_LINK, Parent, blocking};
use crate::server::Node;
use juki_api::{DigestResponse, ReconcileConflict, ReconcileReport, Warning};
use juki_digest::{Builder, Digest, Hash, Leaf, LeafRange, Span};
use juki_domain::LocalGovernmentCode;
use juki_domain::catalogue::{DIG_CONFLICT, DIG_PARENT};
use juki_store::{JournalEntry, Origin, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Journal entries read at a time while computing.
const JOURNAL_PAGE: usize = 2000;
/// Leaves in one `GET /v1/digest` answer at most.
pub const LEAVES_PER_PAGE: usize = 4096;
/// Entries in one `GET /v1/digest/entries` answer at most.
pub const ENTRIES_PER_PAGE: usize = 500;
/// Journal entries one `GET /v1/digest/entries` request reads at most before it answers what
/// it found with a token to go on from.
const ENTRIES_SCAN_MAX: u64 = 200_000;
/// Pages of a parent's digest or of one range's entries fetched at most: more leaves than the
/// code space has, more entries than a range may sensibly hold.
const PAGES_MAX: usize = 10_000;

/// Reads the whole journal once, page by page, handing each entry to `f`.
fn scan(store: &dyn Store, mut f: impl FnMut(&JournalEntry)) -> Result<(), StoreError> {
    let mut after = 0;
    loop {
        let page = store.journal_after(after, JOURNAL_PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        page.iter().for_each(&mut f);
    }
}

/// The digest of `scope` at this node, at or below `cut` when given.
pub fn compute(
    store: &dyn Store,
    scope: LocalGovernmentCode,
    cut: Option<Origin>,
) -> Result<Digest, StoreError> {
    let mut b = Builder::new(scope, cut);
    scan(store, |e| {
        b.add(e);
    })?;
    Ok(b.finish())
}

/// The scopes this node holds entries of, each with its cut: the highest origin among its
/// entries at or below `acked`, the position the parent acknowledged (None: none yet).
pub fn cuts(
    store: &dyn Store,
    acked: u64,
) -> Result<BTreeMap<LocalGovernmentCode, Option<Origin>>, StoreError> {
    let mut cuts: BTreeMap<LocalGovernmentCode, Option<Origin>> = BTreeMap::new();
    scan(store, |e| {
        let cut = cuts.entry(e.recorded_by).or_default();
        if e.seq <= acked && cut.is_none_or(|c| e.origin > c) {
            *cut = Some(e.origin);
        }
    })?;
    Ok(cuts)
}

/// The digests of several scopes at their cuts, in one pass.
pub fn compute_all(
    store: &dyn Store,
    cuts: &BTreeMap<LocalGovernmentCode, Origin>,
) -> Result<BTreeMap<LocalGovernmentCode, Digest>, StoreError> {
    let mut builders: BTreeMap<LocalGovernmentCode, Builder> = cuts
        .iter()
        .map(|(s, c)| (*s, Builder::new(*s, Some(*c))))
        .collect();
    scan(store, |e| {
        if let Some(b) = builders.get_mut(&e.recorded_by) {
            b.add(e);
        }
    })?;
    Ok(builders.into_iter().map(|(s, b)| (s, b.finish())).collect())
}

/// `scope`'s entries about codes of `span`, from journal sequence `after` on: at most `limit`
/// of them, reading at most [`ENTRIES_SCAN_MAX`] entries; with the sequence to go on from when
/// there may be more.
pub fn entries_in(
    store: &dyn Store,
    scope: LocalGovernmentCode,
    span: Span,
    mut after: u64,
    limit: usize,
) -> Result<(Vec<JournalEntry>, Option<u64>), StoreError> {
    let mut out = Vec::new();
    let start = after;
    loop {
        let page = store.journal_after(after, JOURNAL_PAGE)?;
        if page.is_empty() {
            return Ok((out, None));
        }
        for e in page {
            after = e.seq;
            if e.recorded_by == scope && span.contains(e.resident_code) {
                out.push(e);
                if out.len() == limit {
                    return Ok((out, Some(after)));
                }
            }
        }
        if after - start >= ENTRIES_SCAN_MAX {
            return Ok((out, Some(after)));
        }
    }
}

/// A page of `d`'s leaves after index `after`, as the wire carries them.
pub fn response(d: &Digest, after: Option<u64>) -> DigestResponse {
    let from = d
        .leaves
        .partition_point(|l| after.is_some_and(|a| l.index <= a));
    let page: Vec<&Leaf> = d.leaves[from..].iter().take(LEAVES_PER_PAGE).collect();
    let more = from + page.len() < d.leaves.len();
    DigestResponse {
        protocol: juki_api::PROTOCOL_VERSION,
        scope: d.scope.to_string(),
        cut: d.cut.map(juki_digest::format_cut),
        entries: d.entries,
        last_origin: d.last_origin.map(juki_digest::format_cut),
        leaf_count: d.leaves.len() as u64,
        root: juki_digest::hex(&d.root),
        next_after: if more {
            page.last().map(|l| l.index)
        } else {
            None
        },
        leaves: page
            .into_iter()
            .map(|l| {
                let r = LeafRange { index: l.index };
                juki_api::DigestLeaf {
                    index: l.index,
                    start: r.start(),
                    end: r.end(),
                    entries: l.entries,
                    hash: juki_digest::hex(&l.hash),
                }
            })
            .collect(),
    }
}

impl LinkError {
    /// The catalogue entry to answer with.
    pub fn def(&self) -> &'static juki_domain::ErrorDef {
        match self {
            LinkError::Store { err } => err.def(),
            LinkError::Task => &juki_domain::catalogue::NODE_INTERNAL,
            _ => &DIG_PARENT,
        }
    }
}

/// The parent's digest of `scope`: its root and all its leaves (page by page).
pub async fn parent_digest(
    parent: &Parent,
    scope: LocalGovernmentCode,
    cut: Option<Origin>,
) -> Result<(Hash, Vec<Leaf>), LinkError> {
    let scope = scope.to_string();
    let cut = cut.map(juki_digest::format_cut);
    let mut after = None;
    let mut leaves = Vec::new();
    let mut root = None;
    for _ in 0..PAGES_MAX {
        let page = parent.client.digest(&scope, cut.as_deref(), after).await?;
        let r = juki_digest::parse_hex(&page.root)
            .ok_or_else(|| LinkError::BadAnswer("root".into()))?;
        if root.is_some_and(|x| x != r) {
            // The parent's journal grew between pages: start again.
            return Err(LinkError::BadAnswer("the digest changed while read".into()));
        }
        root = Some(r);
        for l in page.leaves {
            leaves.push(Leaf {
                index: l.index,
                entries: l.entries,
                hash: juki_digest::parse_hex(&l.hash)
                    .ok_or_else(|| LinkError::BadAnswer("leaf hash".into()))?,
            });
        }
        match page.next_after {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    let root = root.ok_or_else(|| LinkError::BadAnswer("no page".into()))?;
    if juki_digest::root(&leaves) != root {
        return Err(LinkError::BadAnswer(
            "the leaves do not make the root".into(),
        ));
    }
    Ok((root, leaves))
}

/// The parent's entries of `scope` about codes of `span`.
async fn parent_entries(
    parent: &Parent,
    scope: LocalGovernmentCode,
    span: Span,
) -> Result<Vec<JournalEntry>, LinkError> {
    let scope = scope.to_string();
    let mut token: Option<String> = None;
    let mut out = Vec::new();
    for _ in 0..PAGES_MAX {
        let page = parent
            .client
            .digest_entries(&scope, span.start, span.end, token.as_deref())
            .await?;
        for w in page.entries {
            out.push(JournalEntry::try_from(w).map_err(|b| LinkError::BadAnswer(b.to_string()))?);
        }
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
    Err(LinkError::BadAnswer("too many pages".into()))
}

/// The highest origin among the parent's entries of `scope` (None: it holds none).
async fn parent_last_origin(
    parent: &Parent,
    scope: LocalGovernmentCode,
) -> Result<Option<Origin>, LinkError> {
    // A page after every leaf: the root and the counts only.
    let page = parent
        .client
        .digest(&scope.to_string(), None, Some(u64::MAX))
        .await?;
    match page.last_origin {
        None => Ok(None),
        Some(o) => juki_digest::parse_cut(&o)
            .map(Some)
            .ok_or_else(|| LinkError::BadAnswer("last_origin".into())),
    }
}

/// Compares each scope this node holds with the parent: the ranges that differ, by scope.
///
/// Both sides count the entries up to one cut, so that changes on their way up do not show
/// as differences: the highest origin among this node's entries at or below the position the
/// parent acknowledged, or the highest origin the parent holds, whichever is later. Entries
/// above it at this node are on their way; the parent can hold none above it; so an entry
/// this node lost after the parent acknowledged it still shows.
pub async fn compare_with_parent(
    node: &Arc<Node>,
    parent: &Parent,
) -> Result<BTreeMap<LocalGovernmentCode, Vec<LeafRange>>, LinkError> {
    let mut acked_cuts = blocking(node, |s| cuts(s, s.link_acked(PARENT_LINK)?)).await?;
    // A municipal node compares its own entries even when it holds none (it lost them all).
    if let (crate::config::Role::Municipal, Some(me)) = (node.config.role, node.config.code) {
        acked_cuts.entry(me).or_default();
    }
    let mut at: BTreeMap<LocalGovernmentCode, Origin> = BTreeMap::new();
    for (scope, cut) in acked_cuts {
        if let Some(c) = cut.max(parent_last_origin(parent, scope).await?) {
            at.insert(scope, c);
        }
    }
    let digests = blocking(node, move |s| compute_all(s, &at)).await?;
    let mut out = BTreeMap::new();
    for (scope, mine) in digests {
        let (root, leaves) = parent_digest(parent, scope, mine.cut).await?;
        let differ = if root == mine.root {
            Vec::new()
        } else {
            juki_digest::differing(&mine.leaves, &leaves)
        };
        out.insert(scope, differ);
    }
    Ok(out)
}

/// Records the result of a comparison: metrics and what `status` warns about.
fn record(node: &Node, result: &BTreeMap<LocalGovernmentCode, Vec<LeafRange>>) {
    for (scope, ranges) in result {
        node.metrics
            .digest_differing_ranges
            .get_or_create(&crate::metrics::ScopeLabels {
                scope: scope.to_string(),
            })
            .set(ranges.len() as i64);
    }
    let mut differ = node
        .digest_differences
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    *differ = result
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(s, r)| (s.to_string(), r.iter().map(ToString::to_string).collect()))
        .collect();
    node.metrics
        .digest_last_run_seconds
        .set(node.clock.now_ms() / 1000);
}

/// The `status` warning while the last comparison found differing ranges (JK-DIG-0101),
/// naming them by scope.
pub fn warning(node: &Node) -> Option<Warning> {
    let differ = node
        .digest_differences
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if differ.is_empty() {
        return None;
    }
    let mut w = Warning::from(&juki_domain::catalogue::DIG_DIFFERS);
    w.detail = Some(serde_json::json!({ "ranges": *differ }));
    Some(w)
}

/// How long after the start the first comparison runs (at most; an interval if shorter): a
/// node restarted more often than its interval still compares.
const FIRST_COMPARISON: Duration = Duration::from_secs(300);

/// Every `[digest] interval_seconds`, compares this node's digests with its parent's, until
/// `stop`. A failed comparison is logged and tried again at the next interval.
pub(crate) async fn keep_comparing(
    node: Arc<Node>,
    parent: Arc<Parent>,
    stop: Arc<tokio::sync::Notify>,
) {
    if node.config.digest.interval_seconds == 0 {
        return;
    }
    let every = Duration::from_secs(node.config.digest.interval_seconds);
    let mut wait = every.min(FIRST_COMPARISON);
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => wait = every,
            () = stop.notified() => return,
        }
        match compare_with_parent(&node, &parent).await {
            Ok(result) => {
                let ranges: usize = result.values().map(Vec::len).sum();
                if ranges > 0 {
                    tracing::warn!(
                        ranges,
                        scopes = result.values().filter(|r| !r.is_empty()).count(),
                        "digest differs from the parent's (JK-DIG-0101)"
                    );
                } else {
                    tracing::info!(scopes = result.len(), "digests agree with the parent's");
                }
                record(&node, &result);
            }
            Err(e) => tracing::warn!(error = %e, "comparing digests with the parent failed"),
        }
    }
}

/// Compares this municipal node's entries (`scope`, all of them) with its parent's and, unless
/// `dry_run`, repairs them: entries the parent holds and this node lacks are recorded again
/// here ([`Store::recover`]); when the parent lacks some, the link sends everything again
/// (the parent skips what it holds). Entries of one record id whose content differs are
/// reported, never overwritten. Returns the report and the resident codes recorded again.
pub async fn reconcile(
    node: &Arc<Node>,
    parent: &Parent,
    scope: LocalGovernmentCode,
    dry_run: bool,
) -> Result<(ReconcileReport, Vec<String>), LinkError> {
    let mine = blocking(node, move |s| compute(s, scope, None)).await?;
    let (root, leaves) = parent_digest(parent, scope, None).await?;
    let mut report = ReconcileReport {
        scope: scope.to_string(),
        dry_run,
        ..ReconcileReport::default()
    };
    if root == mine.root {
        report.agree = (!dry_run).then_some(true);
        return Ok((report, Vec::new()));
    }
    let ranges = juki_digest::differing(&mine.leaves, &leaves);
    report.differing_ranges = ranges.iter().map(ToString::to_string).collect();
    let Some(span) = Span::covering(&ranges) else {
        return Err(LinkError::BadAnswer("roots differ but no leaf does".into()));
    };
    // One pass over each side's journal for every differing range, keeping only their entries.
    let differing: std::collections::BTreeSet<LeafRange> = ranges.iter().copied().collect();
    let within = |e: &JournalEntry| differing.contains(&LeafRange::of(e.resident_code));
    let mut theirs = parent_entries(parent, scope, span).await?;
    theirs.retain(within);
    let mut ours = blocking(node, move |s| {
        let mut all = Vec::new();
        let mut after = 0;
        for _ in 0..PAGES_MAX {
            let (page, next) = entries_in(s, scope, span, after, ENTRIES_PER_PAGE)?;
            all.extend(page);
            match next {
                Some(n) => after = n,
                None => break,
            }
        }
        Ok(all)
    })
    .await?;
    ours.retain(within);
    let ours_by_id: BTreeMap<&str, &JournalEntry> =
        ours.iter().map(|e| (e.record_id.as_str(), e)).collect();
    let theirs_by_id: BTreeMap<&str, &JournalEntry> =
        theirs.iter().map(|e| (e.record_id.as_str(), e)).collect();
    let mut missing: Vec<JournalEntry> = Vec::new();
    for (id, t) in &theirs_by_id {
        match ours_by_id.get(id) {
            None => missing.push((*t).clone()),
            Some(o) if juki_digest::entry_hash(o) != juki_digest::entry_hash(t) => {
                report.conflicts.push(ReconcileConflict {
                    record_id: (*id).to_string(),
                    resident_code: o.resident_code.to_string(),
                    range: LeafRange::of(o.resident_code).to_string(),
                    seq: o.seq,
                });
            }
            Some(_) => {}
        }
    }
    report.missing_at_parent = ours_by_id
        .keys()
        .filter(|id| !theirs_by_id.contains_key(*id))
        .count() as u64;
    // The order the recording node recorded them in.
    missing.sort_by_key(|e| e.origin);
    report.missing_here = missing.len() as u64;
    if !report.conflicts.is_empty() {
        report.warnings.push(Warning::from(&DIG_CONFLICT));
    }
    if dry_run {
        return Ok((report, Vec::new()));
    }
    let codes: Vec<String> = missing
        .iter()
        .map(|e| e.resident_code.to_string())
        .collect();
    if !missing.is_empty() {
        let recovered = blocking(node, move |s| s.recover(&missing)).await?;
        report.recovered = recovered.applied;
        report.local_fields_missing = recovered.local_fields_missing;
        node.journal_grew.notify_one();
    }
    if report.missing_at_parent > 0 {
        blocking(node, |s| s.set_link_acked(PARENT_LINK, 0)).await?;
        report.resent = true;
        node.journal_grew.notify_one();
    }
    let after = blocking(node, move |s| compute(s, scope, None)).await?;
    let (root, _) = parent_digest(parent, scope, None).await?;
    report.agree = Some(after.root == root);
    Ok((report, codes))
}

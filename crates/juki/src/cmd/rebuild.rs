//! `juki rebuild --from-parent`: a municipal node whose data directory was lost, rebuilt from
//! what survived elsewhere (docs/backup.md, "Rebuild from the hierarchy"): its configuration,
//! certificates and local files from its latest backup (or a configuration prepared with
//! `juki init`), the identity records it recorded from its parent's copy, and the local-only
//! fields and never-forwarded changes from the backup's store. The report says exactly what
//! could not be recovered.

use super::approval_gate::{GateArgs, Operation, require_approval};
use super::backup::{RepoArgs, refused};
use super::remote::block_on;
use crate::exit::{self, exit};
use anyhow::Result;
use juki_domain::LocalGovernmentCode;
use juki_domain::catalogue::{BAK_REBUILD_CONFIG, BAK_REBUILD_HAS_STORE, BAK_REBUILD_PARENT};
use juki_node::config::{NodeConfig, Role, STORE_FILE};
use juki_store::{
    CodesAfterRestore, JOURNAL_LIMIT_MAX, JournalEntry, Origin, SqliteOptions, SqliteStore, Store,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rebuild the identity records from the parent's copy (the parent named in juki.toml).
    #[arg(long, required = true)]
    from_parent: bool,
    /// The node's data directory: lost (empty or missing), or prepared with `juki init` and the
    /// node's certificates when there is no backup. A directory holding a store is refused.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The node's backup repository: configuration, certificates, local files and the
    /// local-only fields come from its snapshot (optional: without it, DIR holds them).
    #[command(flatten)]
    repo: RepoArgs,
    /// The snapshot: `latest`, or an id (or a unique prefix of one).
    #[arg(long, default_value = "latest")]
    snapshot: String,
    #[command(flatten)]
    gate: GateArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Where the backup is restored for reading, inside the data directory (same storage as the
/// rebuilt node, removed at the end).
const SCRATCH: &str = ".rebuild-scratch";
/// Files of a data directory that are not copied from the backup: the store (rebuilt), the
/// lock, and what a backup in progress leaves.
const NOT_COPIED: [&str; 6] = [
    STORE_FILE,
    "store.db-wal",
    "store.db-shm",
    "lock",
    ".backup-staging",
    ".backup.lock",
];
/// How long one export request to the parent may take.
const PARENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Entries asked for per export page.
const PAGE: usize = juki_api::EXPORT_LIMIT_MAX;
/// Entries recorded per call of `Store::recover`.
const RECOVER_CHUNK: usize = 10_000;
/// Record ids a report lists at most per kind (the counts are always complete).
const IDS_SHOWN_MAX: usize = 1_000;

/// What a rebuild did and what it could not recover.
#[derive(Debug, Serialize)]
pub struct Report {
    pub node: String,
    pub parent: String,
    /// The epoch the rebuilt node starts.
    pub epoch: u64,
    /// The backup used, if any.
    pub backup: Option<BackupUsed>,
    /// Entries the parent held that this municipality recorded.
    pub from_parent: u64,
    /// Entries only the backup held (recorded here, never forwarded), recorded again.
    pub from_backup_only: Ids,
    /// Entries recorded in the new store, and those it skipped as held already.
    pub recorded: u64,
    pub already_held: u64,
    /// Entries whose local-only fields (household, relationship, resident-since dates) were
    /// in no backup: changes made after the backup. Their identity is recovered, their local
    /// fields are carried over from the resident's earlier entry or left empty.
    pub local_fields_not_recovered: Ids,
    /// What neither the parent nor the backup held.
    pub lost: Lost,
}

/// A count and the record ids it counts (at most [`IDS_SHOWN_MAX`] of them listed).
#[derive(Debug, Default, Serialize)]
pub struct Ids {
    pub count: u64,
    pub record_ids: Vec<String>,
}

impl Ids {
    fn push(&mut self, id: &str) {
        self.count += 1;
        if self.record_ids.len() < IDS_SHOWN_MAX {
            self.record_ids.push(id.to_string());
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BackupUsed {
    pub snapshot: String,
    pub time: String,
    /// The backup store's journal head and epoch.
    pub journal_head_seq: u64,
    pub epoch: u64,
    /// The files of the data directory taken from it (as of its time), and those kept because
    /// the directory already held them (an audit log that survived is not rolled back).
    pub local_files: Vec<String>,
    pub kept_files: Vec<String>,
}

/// The changes no one could give back.
#[derive(Debug, Serialize)]
pub struct Lost {
    /// The latest change (origin) the parent held, and the latest the backup held.
    pub parent_latest: Option<OriginJson>,
    pub backup_latest: Option<OriginJson>,
    /// What the parent had acknowledged when the backup was taken.
    pub parent_acked_at_backup: Option<u64>,
    /// Changes recorded after this origin (the later of the two) were held by neither and are
    /// lost; how many there were cannot be known from what survived.
    pub after: Option<OriginJson>,
    /// The local files (moves.db, approvals.db, operators.db, …) are as of the backup: what
    /// changed in them later is lost.
    pub local_files_as_of: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OriginJson {
    pub epoch: u64,
    pub seq: u64,
}

impl From<Origin> for OriginJson {
    fn from(o: Origin) -> OriginJson {
        OriginJson {
            epoch: o.epoch,
            seq: o.seq,
        }
    }
}

fn refuse(def: &'static juki_domain::ErrorDef, detail: impl std::fmt::Display) -> anyhow::Error {
    exit(exit::class_code(def.class), format!("{def}: {detail}"))
}

fn store_err(e: juki_store::StoreError) -> anyhow::Error {
    anyhow::anyhow!("{}: {e}", e.def())
}

/// Removes the scratch copy of the backup however the rebuild ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.0.exists()
            && let Err(e) = std::fs::remove_dir_all(&self.0)
        {
            eprintln!("juki rebuild: could not remove {}: {e}", self.0.display());
        }
    }
}

pub fn run(a: Args) -> Result<u8> {
    std::fs::create_dir_all(&a.data)?;
    let _lock = super::lock_data_dir(&a.data)?;
    refuse_a_store(&a.data.join(STORE_FILE))?;
    let scratch = Scratch(a.data.join(SCRATCH));
    if scratch.0.exists() {
        std::fs::remove_dir_all(&scratch.0)?;
    }
    // The node's configuration: the backup's, or the one prepared in DIR.
    let restored = match (&a.repo.repo, &a.repo.password_file) {
        (Some(_), Some(_)) => {
            let spec = a.repo.spec()?;
            step(&format!("restoring backup {} to read it", a.snapshot));
            Some(
                juki_backup::restore(&spec, &a.snapshot, juki_backup::Point::Latest, &scratch.0)
                    .map_err(refused)?,
            )
        }
        (None, None) => None,
        _ => {
            return Err(exit(exit::USAGE, "--repo and --password-file go together"));
        }
    };
    if restored.as_ref().is_some_and(|r| r.postgres.is_some()) {
        return Err(refuse(
            &BAK_REBUILD_CONFIG,
            "the backup is of a node whose store is on PostgreSQL: restore it with `juki backup restore` (rebuild reads the backup's SQLite store), or rebuild without --repo into a directory prepared with the node's configuration",
        ));
    }
    let config_dir = restored
        .as_ref()
        .map_or(a.data.as_path(), |r| r.target.as_path());
    let config = NodeConfig::load(config_dir).map_err(|e| {
        refuse(
            &BAK_REBUILD_CONFIG,
            format!("{}: {e}", config_dir.display()),
        )
    })?;
    let (Role::Municipal, Some(code), Some(parent)) =
        (config.role, config.code, config.parent.clone())
    else {
        return Err(refuse(
            &BAK_REBUILD_CONFIG,
            "the node is not a municipal node with a parent in juki.toml",
        ));
    };
    // Without an approval, refused before anything is read (the message says how to ask).
    if a.gate.approval.is_none() || a.gate.profile.is_none() {
        require_approval(&config, Operation::Rebuild, &a.gate)?;
    }

    // What the backup's store holds.
    let mut backup = None;
    let mut backup_entries = Vec::new();
    let mut acked_at_backup = None;
    if let Some(r) = &restored {
        let store_file = r.target.join(STORE_FILE);
        let (head, epoch) = if store_file.exists() {
            let store =
                SqliteStore::open(&store_file, SqliteOptions::default()).map_err(store_err)?;
            backup_entries = whole_journal(&store)?;
            acked_at_backup = Some(
                store
                    .link_acked(juki_node::link::PARENT_LINK)
                    .map_err(store_err)?,
            );
            let stats = store.stats().map_err(store_err)?;
            (stats.journal_head, stats.epoch)
        } else {
            (0, 0)
        };
        // The newest snapshot applied: the full one, or the last journal segment after it.
        let newest = r.segments.last().unwrap_or(&r.full);
        backup = Some(BackupUsed {
            snapshot: newest.id.clone(),
            time: newest.time.clone(),
            journal_head_seq: head,
            epoch,
            local_files: vec![],
            kept_files: vec![],
        });
    }

    step(&format!(
        "fetching the entries {code} recorded from {parent}"
    ));
    let from_parent = fetch_from_parent(&config, code)?;
    // Everything is read: the approval is used now, just before the data directory changes.
    require_approval(&config, Operation::Rebuild, &a.gate)?;
    if let (Some(r), Some(b)) = (&restored, backup.as_mut()) {
        (b.local_files, b.kept_files) = copy_local_files(&r.target, &a.data)?;
    }
    drop(scratch);
    let config = NodeConfig::load(&a.data)
        .map_err(|e| refuse(&BAK_REBUILD_CONFIG, format!("{}: {e}", a.data.display())))?;

    let merged = merge(code, from_parent, backup_entries);
    let store = config.open_store()?;
    if store.stats().map_err(store_err)?.journal_head > 0 {
        return Err(refuse(
            &BAK_REBUILD_HAS_STORE,
            "the store opened is not empty",
        ));
    }
    step(&format!("recording {} entries", merged.entries.len()));
    let (mut recorded, mut already_held) = (0, 0);
    for chunk in merged.entries.chunks(RECOVER_CHUNK) {
        let r = store.recover(chunk).map_err(store_err)?;
        recorded += r.applied;
        already_held += r.already_held;
    }
    let latest_epoch = merged
        .entries
        .iter()
        .map(|e| e.origin.epoch)
        .max()
        .unwrap_or(0);
    let mut epoch = store
        .begin_epoch(CodesAfterRestore::Abandon)
        .map_err(store_err)?;
    // A new epoch must be later than any the lost node numbered its changes in.
    for _ in 0..=latest_epoch {
        if epoch > latest_epoch {
            break;
        }
        epoch = store
            .begin_epoch(CodesAfterRestore::Abandon)
            .map_err(store_err)?;
    }
    let parent_latest = merged.parent_latest.map(OriginJson::from);
    let backup_latest = merged.backup_latest.map(OriginJson::from);
    let report = Report {
        node: code.to_string(),
        parent,
        epoch,
        from_parent: merged.from_parent,
        from_backup_only: merged.from_backup_only,
        recorded,
        already_held,
        local_fields_not_recovered: merged.local_missing,
        lost: Lost {
            parent_latest,
            backup_latest,
            parent_acked_at_backup: acked_at_backup,
            after: parent_latest.max(backup_latest),
            local_files_as_of: backup.as_ref().map(|b| b.time.clone()),
        },
        backup,
    };
    print_report(&report, a.json)?;
    Ok(exit::DONE)
}

fn step(what: &str) {
    eprintln!("juki rebuild: {what}");
}

/// Refuses a store file that holds anything (an empty one, as `juki init` leaves, is fine).
fn refuse_a_store(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let head = SqliteStore::open(path, SqliteOptions::default())
        .and_then(|s| s.stats())
        .map(|s| s.journal_head);
    match head {
        Ok(0) => Ok(()),
        Ok(n) => Err(refuse(
            &BAK_REBUILD_HAS_STORE,
            format!("{} holds {n} journal entries", path.display()),
        )),
        Err(e) => Err(refuse(
            &BAK_REBUILD_HAS_STORE,
            format!("{} cannot be read: {e}", path.display()),
        )),
    }
}

/// Every entry of a store's journal, in order.
fn whole_journal(store: &dyn Store) -> Result<Vec<JournalEntry>> {
    let head = store.stats().map_err(store_err)?.journal_head;
    let mut out = Vec::new();
    let mut after = 0;
    while after < head {
        let page = store
            .journal_after(after, JOURNAL_LIMIT_MAX)
            .map_err(store_err)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page);
    }
    Ok(out)
}

/// Copies every file of the restored data directory `from` into `to` but the store and the
/// lock, keeping what `to` already holds. Returns the top-level names copied and kept.
fn copy_local_files(from: &Path, to: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let (mut copied, mut kept) = (Vec::new(), Vec::new());
    let mut names: Vec<_> = std::fs::read_dir(from)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for name in names {
        let label = name.to_string_lossy().to_string();
        if NOT_COPIED.contains(&label.as_str()) {
            continue;
        }
        let (src, dst) = (from.join(&name), to.join(&name));
        if dst.exists() {
            kept.push(label);
            continue;
        }
        copy_tree(&src, &dst)?;
        copied.push(label);
    }
    Ok((copied, kept))
}

/// Copies a file (readable by its owner only), or a directory with everything in it.
fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(src)?;
    if meta.is_dir() {
        std::fs::create_dir_all(dst)?;
        std::fs::set_permissions(dst, meta.permissions())?;
        for e in std::fs::read_dir(src)? {
            let e = e?;
            copy_tree(&e.path(), &dst.join(e.file_name()))?;
        }
    } else if meta.is_file() {
        std::fs::copy(src, dst)?;
        // Owner only, as juki writes them (a restored copy may carry the staging's mode).
        std::fs::set_permissions(dst, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Every entry the parent holds that `code` recorded, page by page, through the node's own
/// certificate (the parent must present its prefecture's).
fn fetch_from_parent(config: &NodeConfig, code: LocalGovernmentCode) -> Result<Vec<JournalEntry>> {
    let Some(url) = &config.parent else {
        return Err(refuse(&BAK_REBUILD_CONFIG, "no parent in juki.toml"));
    };
    let parent_err = |e: &dyn std::fmt::Display| refuse(&BAK_REBUILD_PARENT, format!("{url}: {e}"));
    let me = config.identity().map_err(|e| parent_err(&e))?;
    let tls = config.node_tls();
    let expect = juki_pki::Expect::parent_of(&me);
    let client_tls = juki_pki::client_config(&tls.ca, Some((&tls.cert, &tls.key)), expect)
        .map_err(|e| parent_err(&e))?;
    let client = juki_client::Client::with_tls(url, client_tls, PARENT_TIMEOUT)
        .map_err(|e| parent_err(&e))?;
    let code_s = code.to_string();
    block_on(async {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = client
                .export(&code_s, after, PAGE)
                .await
                .map_err(|e| parent_err(&e))?;
            for w in page.entries {
                let seq = w.seq;
                let e = JournalEntry::try_from(w)
                    .map_err(|b| parent_err(&format!("entry {seq}: {b}")))?;
                if e.recorded_by != code {
                    return Err(parent_err(&format!(
                        "entry {seq} was recorded by {}",
                        e.recorded_by
                    )));
                }
                out.push(e);
            }
            if !page.more {
                return Ok(out);
            }
            // Each page moves on, so the parent's journal is read once.
            if page.next <= after {
                return Err(parent_err(&format!("export did not move on from {after}")));
            }
            after = page.next;
        }
    })
}

/// The entries to record again, in origin order, and what the merge found.
struct Merged {
    entries: Vec<JournalEntry>,
    from_parent: u64,
    from_backup_only: Ids,
    local_missing: Ids,
    parent_latest: Option<Origin>,
    backup_latest: Option<Origin>,
}

/// Takes every entry the parent holds, with the local-only fields of the same record (by
/// record id) from the backup, and the backup's entries the parent lacks.
fn merge(
    code: LocalGovernmentCode,
    parent: Vec<JournalEntry>,
    backup: Vec<JournalEntry>,
) -> Merged {
    let backup: Vec<JournalEntry> = backup
        .into_iter()
        .filter(|e| e.recorded_by == code)
        .collect();
    let latest = |v: &[JournalEntry]| v.iter().map(|e| e.origin).max_by_key(|o| (o.epoch, o.seq));
    let (parent_latest, backup_latest) = (latest(&parent), latest(&backup));
    let held: HashSet<String> = parent.iter().map(|e| e.record_id.clone()).collect();
    let mut local: HashMap<&str, &JournalEntry> = HashMap::new();
    for e in &backup {
        local.insert(e.record_id.as_str(), e);
    }
    let mut local_missing = Ids::default();
    let mut entries = Vec::with_capacity(parent.len());
    let from_parent = parent.len() as u64;
    for mut e in parent {
        match local.get(e.record_id.as_str()) {
            Some(b) => e.local = b.local.clone(),
            None => local_missing.push(&e.record_id),
        }
        entries.push(e);
    }
    let mut from_backup_only = Ids::default();
    for e in backup {
        if !held.contains(&e.record_id) {
            from_backup_only.push(&e.record_id);
            entries.push(JournalEntry {
                prev_seq: None,
                ..e
            });
        }
    }
    entries.sort_by_key(|e| (e.origin.epoch, e.origin.seq));
    Merged {
        entries,
        from_parent,
        from_backup_only,
        local_missing,
        parent_latest,
        backup_latest,
    }
}

/// `: id id …` (with how many more were left out), or nothing for none.
fn listed(ids: &Ids) -> String {
    if ids.record_ids.is_empty() {
        return String::new();
    }
    let more = ids.count - ids.record_ids.len() as u64;
    let tail = match more {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!(": {}{tail}", ids.record_ids.join(" "))
}

fn print_report(r: &Report, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    let origin = |o: Option<OriginJson>| {
        o.map_or("none".to_string(), |o| {
            format!("epoch {} seq {}", o.epoch, o.seq)
        })
    };
    println!(
        "rebuilt node {} from {}: now in epoch {}",
        r.node, r.parent, r.epoch
    );
    println!(
        "  from the parent     {} entries; {} recorded, {} held already",
        r.from_parent, r.recorded, r.already_held
    );
    println!(
        "  from the backup only {} entries never forwarded{}",
        r.from_backup_only.count,
        listed(&r.from_backup_only)
    );
    match &r.backup {
        Some(b) => println!(
            "  backup              {} of {} (journal seq {}, epoch {}); local files: {}{}",
            &b.snapshot[..b.snapshot.len().min(8)],
            b.time,
            b.journal_head_seq,
            b.epoch,
            b.local_files.join(" "),
            match b.kept_files.is_empty() {
                true => String::new(),
                false => format!("; kept as found: {}", b.kept_files.join(" ")),
            }
        ),
        None => println!(
            "  backup              none: local-only fields and local files are not recovered"
        ),
    }
    println!("not recovered:");
    println!(
        "  local-only fields of {} entries the backup did not have{}",
        r.local_fields_not_recovered.count,
        listed(&r.local_fields_not_recovered)
    );
    println!(
        "  changes after {} (parent held up to {}, backup up to {}): held by neither, lost",
        origin(r.lost.after),
        origin(r.lost.parent_latest),
        origin(r.lost.backup_latest)
    );
    match &r.lost.local_files_as_of {
        Some(t) => println!("  local files as of {t}: later changes to them are lost"),
        None => println!("  local files: none recovered"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(record_id: &str, epoch: u64, seq: u64, household: Option<&str>) -> JournalEntry {
        let line = sample();
        JournalEntry {
            record_id: record_id.into(),
            origin: Origin { epoch, seq },
            seq,
            local: juki_domain::LocalFields {
                household_head: household.map(Into::into),
                ..Default::default()
            },
            ..line
        }
    }

    fn sample() -> JournalEntry {
        let w = juki_api::WireEntry {
            seq: 1,
            recorded_by: "131148".into(),
            origin_epoch: 1,
            origin_seq: 1,
            record_id: "R".into(),
            change_kind: "転入".into(),
            effective_date: "2026-04-01".into(),
            notified_date: None,
            planned_date: None,
            destination_code: None,
            destination_address: None,
            recorded_at_ms: 0,
            resident_code: "12345678903".into(),
            previous_code: None,
            status: "current".into(),
            family_name: "佐々木".into(),
            given_name: "陽菜".into(),
            family_name_kana: "ササキ".into(),
            given_name_kana: "ヒナ".into(),
            script: "ja".into(),
            birth_date: "1998-07-14".into(),
            sex: "女".into(),
            local_government_code: "131148".into(),
            address: "中野二丁目3番4号".into(),
            individual_number: None,
            former_family_name: None,
            alias_name: None,
            nationality: None,
        };
        JournalEntry::try_from(w).unwrap()
    }

    #[test]
    fn the_parent_gives_identity_the_backup_local_fields_and_what_never_went_up() {
        let code = LocalGovernmentCode::parse("131148").unwrap();
        let backup = vec![
            entry("A", 1, 1, Some("世帯主A")),
            entry("B", 1, 2, None),
            entry("C", 1, 3, Some("世帯主C")),
        ];
        // The parent got A and B before the loss, and D after the backup; never C.
        let parent = vec![
            entry("A", 1, 1, None),
            entry("B", 1, 2, None),
            entry("D", 1, 4, None),
        ];
        let m = merge(code, parent, backup);
        let ids: Vec<&str> = m.entries.iter().map(|e| e.record_id.as_str()).collect();
        assert_eq!(ids, ["A", "B", "C", "D"], "origin order");
        assert_eq!(
            m.entries[0].local.household_head.as_deref(),
            Some("世帯主A")
        );
        assert_eq!(
            m.entries[2].local.household_head.as_deref(),
            Some("世帯主C")
        );
        assert_eq!(m.from_parent, 3);
        assert_eq!(m.from_backup_only.record_ids, ["C"]);
        assert_eq!(m.local_missing.record_ids, ["D"]);
        assert_eq!(m.parent_latest, Some(Origin { epoch: 1, seq: 4 }));
        assert_eq!(m.backup_latest, Some(Origin { epoch: 1, seq: 3 }));
    }
}

//! Backups of a node's data directory into a restic-format repository: deduplicated,
//! compressed and encrypted, and readable by stock `restic` without juki (docs/backup.md).
//!
//! A full backup is one restic snapshot of a consistent copy of the data directory (every
//! SQLite database through `VACUUM INTO`, so a serving node is never copied mid-write), placed
//! in the snapshot under [`SNAPSHOT_ROOT`]. Between full backups, a journal backup is one
//! snapshot holding only the segment of the store's journal recorded since the chain's end
//! (under [`JOURNAL_ROOT`]); a restore to a point takes the newest full snapshot at or before
//! it and applies the segments after it in order ([`chain`]). Snapshots are tagged with the
//! node's code, the kind, the store's epoch and the sequences they hold. For a node on
//! PostgreSQL the full snapshot holds a `pg_dump` of its schema in place of `store.db` ([`pg`])
//! and the segments are the PostgreSQL store's. Only this crate knows the repository format;
//! the CLI parses flags and prints.

pub mod chain;
pub mod device;
pub mod journal;
pub mod pg;
pub mod stage;

pub use chain::{Kind, Point};
pub use juki_store::CodesAfterRestore;

use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    BAK_NO_REPO, BAK_PASSWORD, BAK_PASSWORD_FILE, BAK_REPO, BAK_REPO_EXISTS, BAK_REPO_UNREADABLE,
    BAK_RETENTION, BAK_SNAPSHOT_NOT_FOUND, BAK_TARGET_NOT_EMPTY, BAK_VERIFY_FAILED,
};
use juki_store::Store;
use rustic_backend::BackendOptions;
use rustic_core::{
    BackupOptions, CheckOptions, ConfigOptions, Credentials, KeepOptions, KeyOptions, LsOptions,
    OpenStatus, PathList, PruneOptions, Repository, RepositoryOptions, RestoreOptions,
    SnapshotOptions,
};
use std::path::{Path, PathBuf};

/// Where the data directory sits inside every snapshot: `restic restore` writes it to
/// `TARGET/juki-data/`.
pub const SNAPSHOT_ROOT: &str = "/juki-data";
/// The tag every juki snapshot carries.
pub const TAG: &str = "juki";
/// Where a journal snapshot's segment sits: `/juki-journal/<after+1>-<seq>.sql`.
pub const JOURNAL_ROOT: &str = "/juki-journal";
/// Tag prefixes: `node=CODE`, `seq=N` (the store's journal head when the copy was made, or a
/// segment's last sequence), `kind=full|journal`, `epoch=E` (the store's epoch), and for a
/// segment `after=A` (it holds the entries after A up to N).
pub const TAG_NODE: &str = "node=";
pub const TAG_SEQ: &str = "seq=";
pub const TAG_KIND: &str = "kind=";
pub const TAG_EPOCH: &str = "epoch=";
pub const TAG_AFTER: &str = "after=";
/// `store=postgres` on every snapshot of a node on PostgreSQL (a full one holds its store as
/// [`pg::DUMP_FILE`], a journal one the PostgreSQL store's segment).
pub const TAG_STORE: &str = "store=";
/// The value of [`TAG_STORE`] for a node on PostgreSQL.
pub const STORE_POSTGRES: &str = "postgres";
/// A full snapshot at least this often (30 days) unless `[backup] snapshot_interval_seconds`
/// says otherwise; journal snapshots in between.
pub const SNAPSHOT_INTERVAL_SECONDS_DEFAULT: u64 = 30 * 24 * 3600;
/// The longest password file read (a password is a line, not a document).
const PASSWORD_FILE_BYTES_MAX: u64 = 4096;

/// A refusal or failure, named by its catalogue entry; `detail` never holds the password.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{def}: {detail}")]
pub struct BackupError {
    pub def: &'static ErrorDef,
    pub detail: String,
}

impl BackupError {
    pub fn new(def: &'static ErrorDef, detail: impl Into<String>) -> BackupError {
        BackupError {
            def,
            detail: detail.into(),
        }
    }
}

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

fn repo_err(e: impl std::fmt::Display) -> BackupError {
    BackupError::new(&BAK_REPO, e.to_string())
}

/// A repository and the password that opens it.
#[derive(Clone)]
pub struct RepoSpec {
    /// A directory path, or `rest:https://…` for a restic REST server.
    pub location: String,
    password: String,
    /// Backend options: `cacert` for a REST server whose certificate a private CA issued.
    options: std::collections::BTreeMap<String, String>,
}

impl std::fmt::Debug for RepoSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoSpec")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl RepoSpec {
    /// Reads the password the way restic's `--password-file` does: the file's text without its
    /// trailing line break.
    pub fn new(location: &str, password_file: &Path) -> Result<RepoSpec> {
        use std::io::Read;
        let unreadable = |e: &dyn std::fmt::Display| {
            BackupError::new(
                &BAK_PASSWORD_FILE,
                format!("{}: {e}", password_file.display()),
            )
        };
        let mut text = String::new();
        std::fs::File::open(password_file)
            .map_err(|e| unreadable(&e))?
            .take(PASSWORD_FILE_BYTES_MAX)
            .read_to_string(&mut text)
            .map_err(|e| unreadable(&e))?;
        let password = text.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            return Err(unreadable(&"empty"));
        }
        Ok(RepoSpec {
            location: location.to_string(),
            password: password.to_string(),
            options: Default::default(),
        })
    }

    /// Trusts the CA certificate in `pem_file` for a REST server (restic's `--cacert`).
    pub fn with_cacert(mut self, pem_file: &Path) -> RepoSpec {
        self.options
            .insert("cacert".into(), pem_file.display().to_string());
        self
    }

    fn repository(&self) -> Result<Repository<()>> {
        let backends = BackendOptions::default()
            .repository(self.location.as_str())
            .options(self.options.clone())
            .to_backends()
            .map_err(|e| BackupError::new(&BAK_REPO_UNREADABLE, e.to_string()))?;
        // No cache in the operator's home: the index is small, and a node's machine should not
        // grow state outside its data directory.
        let opts = RepositoryOptions::default().no_cache(true);
        Repository::new(&opts, &backends)
            .map_err(|e| BackupError::new(&BAK_REPO_UNREADABLE, e.to_string()))
    }

    fn credentials(&self) -> Credentials {
        Credentials::password(&self.password)
    }

    /// Opens the repository, telling a missing repository and a wrong password apart.
    fn open(&self) -> Result<Repository<OpenStatus>> {
        let repo = self.repository()?;
        match repo.config_id() {
            Ok(Some(_)) => {}
            Ok(None) => return Err(BackupError::new(&BAK_NO_REPO, self.location.clone())),
            Err(e) => return Err(BackupError::new(&BAK_REPO_UNREADABLE, e.to_string())),
        }
        repo.open(&self.credentials()).map_err(|e| {
            if e.is_incorrect_password() {
                BackupError::new(&BAK_PASSWORD, self.location.clone())
            } else {
                BackupError::new(&BAK_REPO_UNREADABLE, e.to_string())
            }
        })
    }
}

/// Creates a repository at the location (restic format version 2: compressed).
pub fn init(spec: &RepoSpec) -> Result<()> {
    let repo = spec.repository()?;
    if let Ok(Some(_)) = repo.config_id() {
        return Err(BackupError::new(&BAK_REPO_EXISTS, spec.location.clone()));
    }
    repo.init(
        &spec.credentials(),
        &KeyOptions::default(),
        &ConfigOptions::default(),
    )
    .map_err(|e| BackupError::new(&BAK_REPO_UNREADABLE, e.to_string()))?;
    Ok(())
}

/// Where a node keeps its store, as its juki.toml says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreAt {
    /// `store.db` in the data directory.
    Sqlite,
    /// Schema `schema` of the PostgreSQL database at `url`.
    Postgres { url: String, schema: String },
}

/// One snapshot as juki reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub id: String,
    /// RFC 3339, with offset.
    pub time: String,
    /// The same, ms since the Unix epoch.
    pub time_ms: i64,
    pub node: Option<String>,
    pub kind: Kind,
    /// The store's epoch (1 for snapshots taken before epochs were tagged).
    pub epoch: u64,
    /// A snapshot of a node on PostgreSQL (a full one holds its store as [`pg::DUMP_FILE`]).
    pub postgres: bool,
    /// A journal snapshot holds the entries after this sequence.
    pub after: Option<u64>,
    /// The last sequence the snapshot holds.
    pub journal_head_seq: Option<u64>,
    pub files: u64,
    pub bytes: u64,
    /// Bytes this snapshot added to the repository (after deduplication and compression).
    pub added_bytes: u64,
}

impl Snapshot {
    fn of(s: &rustic_core::repofile::SnapshotFile) -> Snapshot {
        let tag = |prefix: &str| {
            s.tags
                .iter()
                .find_map(|t| t.strip_prefix(prefix).map(str::to_string))
        };
        let summary = s.summary.as_ref();
        let number = |prefix: &str| tag(prefix).and_then(|t| t.parse::<u64>().ok());
        Snapshot {
            id: s.id.to_string(),
            time: s.time.timestamp().to_string(),
            time_ms: s.time.timestamp().as_millisecond(),
            node: tag(TAG_NODE),
            kind: if tag(TAG_KIND).as_deref() == Some(Kind::Journal.as_str()) {
                Kind::Journal
            } else {
                Kind::Full
            },
            epoch: number(TAG_EPOCH).unwrap_or(1),
            postgres: tag(TAG_STORE).as_deref() == Some(STORE_POSTGRES),
            after: number(TAG_AFTER),
            journal_head_seq: number(TAG_SEQ),
            files: summary.map_or(0, |m| m.total_files_processed),
            bytes: summary.map_or(0, |m| m.total_bytes_processed),
            added_bytes: summary.map_or(0, |m| m.data_added_packed),
        }
    }
}

/// How `run` chooses between a full and a journal backup.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// A full backup whatever the repository holds.
    pub full: bool,
    /// A full backup when the newest of this node's epoch is older than this (0: always).
    pub snapshot_interval_seconds: u64,
    /// Now, ms since the Unix epoch.
    pub now_ms: i64,
}

/// What a backup run did.
#[derive(Clone, Debug)]
pub enum Ran {
    Full(Snapshot),
    Journal {
        snapshot: Snapshot,
        entries: u64,
    },
    /// Nothing was recorded since the chain's end at `seq`: no snapshot was taken.
    Nothing {
        seq: u64,
        epoch: u64,
    },
}

impl Ran {
    pub fn snapshot(&self) -> Option<&Snapshot> {
        match self {
            Ran::Full(s) | Ran::Journal { snapshot: s, .. } => Some(s),
            Ran::Nothing { .. } => None,
        }
    }

    /// The journal sequence the repository holds for the node after this run.
    pub fn seq(&self) -> u64 {
        match self {
            Ran::Full(s) | Ran::Journal { snapshot: s, .. } => s.journal_head_seq.unwrap_or(0),
            Ran::Nothing { seq, .. } => *seq,
        }
    }
}

/// Backs up the data directory. A full backup (a consistent copy staged in the data
/// directory, then one snapshot of it) when the repository holds none of this node in the
/// store's current epoch, when the newest is older than the snapshot interval, or when asked;
/// otherwise a journal backup (the segment after the chain's end, then one snapshot of that
/// file), or nothing when no entry was recorded since. The staging area is removed afterwards,
/// whether the backup worked or not. For a node on PostgreSQL the staged copy holds a
/// `pg_dump` of its schema ([`pg::dump`]) in place of `store.db`, and its segments are the
/// PostgreSQL store's.
pub fn run(
    spec: &RepoSpec,
    data_dir: &Path,
    node_code: &str,
    store: &StoreAt,
    opts: &RunOptions,
) -> Result<Ran> {
    let repo = spec.open()?;
    let live: Box<dyn Store> = match store {
        StoreAt::Sqlite => {
            stage::check_data_dir(data_dir)?;
            Box::new(journal::open_store(&data_dir.join(stage::STORE_FILE))?)
        }
        StoreAt::Postgres { url, schema } => {
            stage::check_config_dir(data_dir)?;
            Box::new(open_postgres(url, schema)?)
        }
    };
    let postgres = matches!(store, StoreAt::Postgres { .. });
    let store_tag = if postgres {
        format!(",{TAG_STORE}{STORE_POSTGRES}")
    } else {
        String::new()
    };
    let _lock = stage::lock(data_dir)?;
    let stats = live.stats().map_err(journal::segment_err)?;
    let snaps = snapshots_of(&repo)?;
    let line = chain::Line {
        node: Some(node_code),
        epoch: stats.epoch,
    };
    let interval_ms =
        i64::try_from(opts.snapshot_interval_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
    let journal_after = match chain::head(&snaps, line) {
        // A chain goes on from a full snapshot of the same kind of store only.
        Some((full, reach))
            if !opts.full
                && full.postgres == postgres
                && reach <= stats.journal_head
                && opts.now_ms.saturating_sub(full.time_ms) < interval_ms =>
        {
            Some(reach)
        }
        _ => None,
    };
    let result = match (journal_after, store) {
        (None, StoreAt::Sqlite) => {
            drop(live);
            stage::stage(data_dir).and_then(|staged| {
                let tags = format!(
                    "{TAG},{TAG_NODE}{node_code},{TAG_KIND}full,{TAG_EPOCH}{},{TAG_SEQ}{}",
                    stats.epoch, staged.journal_head_seq
                );
                snapshot_dir(repo, &staged.dir, SNAPSHOT_ROOT, node_code, &tags).map(Ran::Full)
            })
        }
        (None, StoreAt::Postgres { url, schema }) => {
            drop(live);
            stage::stage_files(data_dir).and_then(|staged| {
                let dumped = pg::dump(url, schema, &staged.dir.join(pg::DUMP_FILE))?;
                let tags = format!(
                    "{TAG},{TAG_NODE}{node_code},{TAG_KIND}full,{TAG_EPOCH}{},{TAG_SEQ}{}{store_tag}",
                    dumped.epoch, dumped.seq
                );
                snapshot_dir(repo, &staged.dir, SNAPSHOT_ROOT, node_code, &tags).map(Ran::Full)
            })
        }
        (Some(after), _) => stage::remove_staging(data_dir).and_then(|()| {
            let dir = data_dir.join(stage::STAGING_DIR).join("journal");
            let (summary, file) = journal::export(&*live, after, &dir)?;
            drop(live);
            if file.is_none() {
                return Ok(Ran::Nothing {
                    seq: after,
                    epoch: stats.epoch,
                });
            }
            let tags = format!(
                "{TAG},{TAG_NODE}{node_code},{TAG_KIND}journal,{TAG_EPOCH}{},{TAG_AFTER}{},{TAG_SEQ}{}{store_tag}",
                stats.epoch, summary.after, summary.to
            );
            let snapshot = snapshot_dir(repo, &dir, JOURNAL_ROOT, node_code, &tags)?;
            Ok(Ran::Journal {
                snapshot,
                entries: summary.entries,
            })
        }),
    };
    let cleaned = stage::remove_staging(data_dir);
    let ran = result?;
    cleaned?;
    Ok(ran)
}

/// One snapshot of the directory `dir`, placed at `root` in it.
fn snapshot_dir(
    repo: Repository<OpenStatus>,
    dir: &Path,
    root: &str,
    node_code: &str,
    tags: &str,
) -> Result<Snapshot> {
    let repo = repo.to_indexed_ids().map_err(repo_err)?;
    let snap = SnapshotOptions::default()
        .host(node_code.to_string())
        .add_tags(tags)
        .and_then(|o| o.to_snapshot())
        .map_err(repo_err)?;
    let dir = dir
        .to_str()
        .ok_or_else(|| repo_err("data directory path is not UTF-8"))?;
    let source = PathList::from_string(dir)
        .and_then(|p| p.sanitize().map_err(|e| repo_err_boxed(&e)))
        .map_err(repo_err)?;
    let opts = BackupOptions::default().as_path(PathBuf::from(root));
    let snap = repo.backup(&opts, &source, snap).map_err(repo_err)?;
    Ok(Snapshot::of(&snap))
}

fn repo_err_boxed(e: &dyn std::fmt::Display) -> Box<rustic_core::RusticError> {
    rustic_core::RusticError::new(rustic_core::ErrorKind::InvalidInput, e.to_string())
}

/// Every snapshot of the repository, oldest first.
pub fn list(spec: &RepoSpec) -> Result<Vec<Snapshot>> {
    snapshots_of(&spec.open()?)
}

fn snapshots_of(repo: &Repository<OpenStatus>) -> Result<Vec<Snapshot>> {
    let mut snaps = repo.get_all_snapshots().map_err(repo_err)?;
    snaps.sort();
    Ok(snaps.iter().map(Snapshot::of).collect())
}

/// What a verification found: each problem as restic's check words it (a damaged pack is
/// named by its id, the file name under `data/`).
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub read_data: bool,
}

/// Checks the repository's structure; with `read_data`, reads every pack back and checks each
/// blob's hash. Fails with `JK-BAK-0106` naming every error found.
pub fn verify(spec: &RepoSpec, read_data: bool) -> Result<VerifyReport> {
    let repo = spec.open()?;
    let results = repo
        .check(CheckOptions::default().read_data(read_data))
        .map_err(repo_err)?;
    let mut report = VerifyReport {
        read_data,
        ..VerifyReport::default()
    };
    for (level, finding) in results.0 {
        let text = finding_text(&finding.to_string(), &format!("{finding:?}"));
        // The level's type is not exported; its Debug name is its only public face.
        if format!("{level:?}") == "Warn" {
            report.warnings.push(text);
        } else {
            report.errors.push(text);
        }
    }
    if !report.errors.is_empty() {
        return Err(BackupError::new(
            &BAK_VERIFY_FAILED,
            report.errors.join("; "),
        ));
    }
    Ok(report)
}

/// A check finding as one line that names files in full: restic's wording shortens a pack id
/// to 8 digits, its Debug form holds the whole id, which is the pack's file name under `data/`.
fn finding_text(display: &str, debug: &str) -> String {
    let mut text = display
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("For more information") && !l.starts_with("Some additional"))
        .filter(|l| !l.is_empty() && *l != "Message:")
        .collect::<Vec<_>>()
        .join(" ");
    for id in debug
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|w| w.len() == 64)
    {
        if !text.contains(id) {
            text = text.replacen(&id[..8], id, 1);
        }
    }
    text
}

/// What a restore wrote: the full snapshot, the journal snapshots applied after it, and the
/// point reached.
#[derive(Clone, Debug)]
pub struct Restored {
    pub full: Snapshot,
    pub segments: Vec<Snapshot>,
    /// The restored store's journal head.
    pub seq: u64,
    /// When the entry at `seq` was recorded (ms since the Unix epoch; None for an empty
    /// journal).
    pub recorded_at_ms: Option<i64>,
    pub target: PathBuf,
    /// A node on PostgreSQL: what is left to do once the database to restore into is known
    /// ([`finish_postgres`]); `recorded_at_ms` is then None.
    pub postgres: Option<PendingPostgres>,
}

/// The store of a node on PostgreSQL, restored as files: its dump in the target, and the
/// segments to apply after loading it, each whole or up to the restore's point.
#[derive(Clone, Debug)]
pub struct PendingPostgres {
    /// `TARGET/store.postgres.sql`.
    pub dump: PathBuf,
    segments: Vec<(String, Option<u64>)>,
    /// The journal head the store has once they are applied.
    pub seq: u64,
}

/// Loads a restored node's dump into schema `schema` of the database at `url` (created when
/// missing; the schema must not exist, `JK-BAK-0135`) and applies its segments. Returns when
/// the last entry was recorded. A failure after the load drops the schema it created, so that
/// the restore can run again.
pub fn finish_postgres(pending: &PendingPostgres, url: &str, schema: &str) -> Result<Option<i64>> {
    pg::load(&pending.dump, url, schema)?;
    let applied = apply_pending(pending, url, schema);
    if applied.is_err() {
        let _ = pg::drop_schema(url, schema);
    }
    applied
}

fn apply_pending(pending: &PendingPostgres, url: &str, schema: &str) -> Result<Option<i64>> {
    let store = open_postgres(url, schema)?;
    for (text, upto) in &pending.segments {
        journal::apply_postgres(&store, text, *upto)?;
    }
    let head = store.stats().map_err(journal::segment_err)?.journal_head;
    if head != pending.seq {
        return Err(journal::segment_err(format!(
            "the restored journal ends at seq {head}, not {}",
            pending.seq
        )));
    }
    Ok(journal::entry(&store, head)?.map(|e| e.recorded_at_ms))
}

/// Restores a data directory at `target` (new or empty) to `point`: the newest full snapshot
/// at or before it, then the journal segments after it, in order. `snapshot` is `latest` (the
/// repository's newest snapshot says which node and epoch) or an id or its prefix: a full
/// snapshot to start from, or any snapshot whose own point is restored when no point is given.
pub fn restore(spec: &RepoSpec, snapshot: &str, point: Point, target: &Path) -> Result<Restored> {
    if let Ok(mut entries) = std::fs::read_dir(target)
        && entries.next().is_some()
    {
        return Err(BackupError::new(
            &BAK_TARGET_NOT_EMPTY,
            target.display().to_string(),
        ));
    }
    let repo = spec.open()?;
    let snaps = snapshots_of(&repo)?;
    let anchor = find_snapshot(&snaps, snapshot)?;
    let explicit = snapshot != "latest";
    let base = (explicit && anchor.kind == Kind::Full).then_some(&anchor);
    let point = match point {
        Point::Latest if explicit => Point::Seq(anchor.journal_head_seq.unwrap_or(0)),
        p => p,
    };
    let plan = chain::plan(&snaps, chain::Line::of(&anchor), base, point)?;
    let time = match point {
        Point::TimeMs(t) => Some(t),
        _ => None,
    };
    let repo = repo.to_indexed().map_err(repo_err)?;
    restore_plan(&repo, &plan, time, target)
}

type Indexed = Repository<rustic_core::IndexedFullStatus>;

/// Where segments are restored to, inside the target, before they are applied.
const SEGMENTS_DIR: &str = ".restore-journal";

fn restore_plan(
    repo: &Indexed,
    plan: &chain::Plan,
    time: Option<i64>,
    target: &Path,
) -> Result<Restored> {
    restore_tree(repo, &plan.full.id, SNAPSHOT_ROOT, target)?;
    let full_seq = plan.full.journal_head_seq.unwrap_or(0);
    let dir = target.join(SEGMENTS_DIR);
    let texts = plan
        .segments
        .iter()
        .enumerate()
        .map(|(i, seg)| read_segment(repo, seg, &dir.join(i.to_string())))
        .collect::<Result<Vec<_>>>();
    let removed = remove_dir(&dir);
    let texts = texts?;
    removed?;
    let to_seq = match (plan.to_seq, time) {
        (Some(n), _) => n,
        (None, Some(t)) => {
            let mut n = full_seq;
            for text in &texts {
                if let Some(m) = journal::last_at_or_before(text, t)? {
                    n = n.max(m);
                }
            }
            n
        }
        (None, None) => plan
            .segments
            .last()
            .map_or(full_seq, |s| s.journal_head_seq.unwrap_or(0)),
    };
    // The segments to apply, in order, each whole or cut at the point.
    let steps: Vec<(&Snapshot, String, Option<u64>)> = plan
        .segments
        .iter()
        .zip(texts)
        .take_while(|(seg, _)| seg.after.unwrap_or(0) < to_seq)
        .map(|(seg, text)| {
            let upto = seg.journal_head_seq.filter(|&s| s > to_seq).map(|_| to_seq);
            (seg, text, upto)
        })
        .collect();
    let applied: Vec<Snapshot> = steps.iter().map(|(seg, ..)| (*seg).clone()).collect();
    if plan.full.postgres {
        let dump = target.join(pg::DUMP_FILE);
        if !dump.is_file() {
            return Err(journal::segment_err(format!(
                "snapshot {} is tagged {TAG_STORE}{STORE_POSTGRES} but holds no {}",
                plan.full.id,
                pg::DUMP_FILE
            )));
        }
        return Ok(Restored {
            full: plan.full.clone(),
            segments: applied,
            seq: to_seq,
            recorded_at_ms: None,
            target: target.to_path_buf(),
            postgres: Some(PendingPostgres {
                dump,
                segments: steps.into_iter().map(|(_, t, u)| (t, u)).collect(),
                seq: to_seq,
            }),
        });
    }
    let store = journal::open_store(&target.join(stage::STORE_FILE))?;
    for (_, text, upto) in &steps {
        journal::apply(&store, text, *upto)?;
    }
    let head = store.stats().map_err(journal::segment_err)?.journal_head;
    if head != to_seq {
        return Err(journal::segment_err(format!(
            "the restored journal ends at seq {head}, not {to_seq}"
        )));
    }
    let recorded_at_ms = journal::entry(&store, head)?.map(|e| e.recorded_at_ms);
    Ok(Restored {
        full: plan.full.clone(),
        segments: applied,
        seq: head,
        recorded_at_ms,
        target: target.to_path_buf(),
        postgres: None,
    })
}

fn stage_err(path: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::new(
        &juki_domain::catalogue::BAK_STAGING,
        format!("{}: {e}", path.display()),
    )
}

/// The segment file of a journal snapshot, restored into `dir` and read.
fn read_segment(repo: &Indexed, seg: &Snapshot, dir: &Path) -> Result<String> {
    restore_tree(repo, &seg.id, JOURNAL_ROOT, dir)?;
    let files = std::fs::read_dir(dir)
        .map_err(|e| stage_err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect::<Vec<_>>();
    let [file] = files.as_slice() else {
        return Err(journal::segment_err(format!(
            "journal snapshot {} holds {} segment files, not one",
            seg.id,
            files.len()
        )));
    };
    std::fs::read_to_string(file).map_err(|e| stage_err(file, e))
}

/// Restores the tree at `root` of snapshot `id` into `dest`.
fn restore_tree(repo: &Indexed, id: &str, root: &str, dest: &Path) -> Result<()> {
    let node = repo
        .node_from_snapshot_path(&format!("{id}:{root}"), |_| true)
        .map_err(repo_err)?;
    let ls = repo.ls(&node, &LsOptions::default()).map_err(repo_err)?;
    std::fs::create_dir_all(dest)
        .map_err(|e| BackupError::new(&BAK_TARGET_NOT_EMPTY, format!("{}: {e}", dest.display())))?;
    let dest_str = format!(
        "{}/",
        dest.to_str()
            .ok_or_else(|| repo_err("target path is not UTF-8"))?
    );
    let dest = rustic_core::LocalDestination::new(&dest_str, true, false).map_err(repo_err)?;
    let opts = RestoreOptions::default();
    let plan = repo
        .prepare_restore(&opts, ls.clone(), &dest, false)
        .map_err(repo_err)?;
    repo.restore(plan, &opts, ls, &dest).map_err(repo_err)?;
    Ok(())
}

/// Starts a new epoch in the store of the restored data directory `data_dir` (BRIEF §7), so
/// that the sequences it numbers from here on are never taken for ones its parent already
/// holds. Returns the new epoch.
pub fn begin_epoch(data_dir: &Path, store: &StoreAt, codes: CodesAfterRestore) -> Result<u64> {
    match store {
        StoreAt::Sqlite => {
            let store = journal::open_store(&data_dir.join(stage::STORE_FILE))?;
            journal::begin_epoch(&store, codes)
        }
        StoreAt::Postgres { url, schema } => {
            let store = open_postgres(url, schema)?;
            store.begin_epoch(codes).map_err(journal::segment_err)
        }
    }
}

/// Opens the PostgreSQL store at `url`, schema `schema`.
pub fn open_postgres(url: &str, schema: &str) -> Result<juki_store_pg::PgStore> {
    juki_store_pg::PgStore::open(url, schema, juki_store_pg::PgOptions::default()).map_err(|e| {
        BackupError::new(
            &juki_domain::catalogue::BAK_PG_TOOL,
            format!("{}: {e}", pg::redacted(url)),
        )
    })
}

fn find_snapshot(snaps: &[Snapshot], wanted: &str) -> Result<Snapshot> {
    let found = if wanted == "latest" {
        snaps.iter().max_by_key(|s| s.time_ms)
    } else {
        let mut matching = snaps.iter().filter(|s| s.id.starts_with(wanted));
        match (matching.next(), matching.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    };
    found
        .cloned()
        .ok_or_else(|| BackupError::new(&BAK_SNAPSHOT_NOT_FOUND, wanted.to_string()))
}

/// What a restore drill found: the chain it restored and the digest both journals have up to
/// the restored head.
#[derive(Clone, Debug)]
pub struct Drill {
    pub full: Snapshot,
    pub segments: Vec<Snapshot>,
    pub seq: u64,
    /// SHA-256 of the journal up to `seq` ([`journal::digest`]), lower-case hex.
    pub digest: String,
}

/// Where a drill restores to, inside the data directory (emptied before and removed after;
/// never backed up).
pub const DRILL_DIR: &str = ".drill-scratch";

/// A restore drill: the latest chain of this node in the live store's epoch is restored into
/// a scratch directory inside the data directory, its store opened, and its journal's digest
/// up to its head H compared with the live store's up to H (`JK-BAK-0119` when they differ).
/// The scratch directory is removed, whatever the outcome; one drill runs at a time. A node on
/// PostgreSQL loads the dump into a scratch database of its own on the same server
/// (`juki_drill_CODE`, created and dropped; the store's role needs CREATEDB).
pub fn drill(
    spec: &RepoSpec,
    data_dir: &Path,
    node_code: &str,
    store: &StoreAt,
    live: &dyn Store,
) -> Result<Drill> {
    let stats = live.stats().map_err(journal::segment_err)?;
    let repo = spec.open()?;
    let snaps = snapshots_of(&repo)?;
    let line = chain::Line {
        node: Some(node_code),
        epoch: stats.epoch,
    };
    let plan = chain::plan(&snaps, line, None, Point::Latest)?;
    let repo = repo.to_indexed().map_err(repo_err)?;
    let _lock = stage::lock_named(data_dir, stage::DRILL_LOCK_FILE)?;
    let scratch = data_dir.join(DRILL_DIR);
    remove_dir(&scratch)?;
    let result = drill_into(&repo, &plan, &scratch, (node_code, store), live);
    let removed = remove_dir(&scratch);
    let drill = result?;
    removed?;
    Ok(drill)
}

/// Removes a directory and what it holds; one that is not there is fine.
fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(stage_err(dir, e)),
    }
}

fn drill_into(
    repo: &Indexed,
    plan: &chain::Plan,
    scratch: &Path,
    (node_code, store): (&str, &StoreAt),
    live: &dyn Store,
) -> Result<Drill> {
    let restored = restore_plan(repo, plan, None, scratch)?;
    let ours = match (&restored.postgres, store) {
        (None, _) => {
            let copy = journal::open_store(&scratch.join(stage::STORE_FILE))?;
            journal::digest(&copy, restored.seq)?
        }
        (Some(pending), StoreAt::Postgres { url, schema }) => {
            let db = pg::ScratchDatabase::create(url, &format!("juki_drill_{node_code}"))?;
            finish_postgres(pending, &db.url, schema)?;
            let copy = open_postgres(&db.url, schema)?;
            journal::digest(&copy, restored.seq)?
        }
        (Some(_), StoreAt::Sqlite) => {
            return Err(journal::segment_err(format!(
                "snapshot {} holds a PostgreSQL store; this node's store is SQLite",
                restored.full.id
            )));
        }
    };
    let theirs = journal::digest(live, restored.seq)?;
    if ours != theirs {
        return Err(BackupError::new(
            &juki_domain::catalogue::BAK_DRILL_MISMATCH,
            format!(
                "up to seq {}: restored {}, live {}",
                restored.seq,
                journal::hex(&ours),
                journal::hex(&theirs)
            ),
        ));
    }
    Ok(Drill {
        full: restored.full,
        segments: restored.segments,
        seq: restored.seq,
        digest: journal::hex(&ours),
    })
}

/// Retention: keep the newest `keep_last` full snapshots of each node and every full snapshot
/// younger than `keep_within`, each with the journal snapshots its chain needs; forget the
/// rest and remove the data only they used.
#[derive(Clone, Debug, Default)]
pub struct Retention {
    pub keep_last: Option<u32>,
    /// A span in jiff's friendly format: `30d`, `12h`, `2w`.
    pub keep_within: Option<String>,
}

/// What a prune did.
#[derive(Clone, Debug, Default)]
pub struct Pruned {
    pub kept: Vec<Snapshot>,
    pub forgotten: Vec<Snapshot>,
}

/// Applies retention per node (snapshots grouped by their host, the node's code), then
/// prunes the repository of data no kept snapshot uses.
pub fn prune(spec: &RepoSpec, retention: &Retention) -> Result<Pruned> {
    if retention.keep_last.is_none() && retention.keep_within.is_none() {
        return Err(BackupError::new(
            &BAK_RETENTION,
            "nothing to keep was given",
        ));
    }
    let mut keep = KeepOptions::default();
    if let Some(n) = retention.keep_last {
        keep = keep.keep_last(Some(i32::try_from(n).unwrap_or(i32::MAX)));
    }
    if let Some(text) = &retention.keep_within {
        let span: rustic_core::jiff::Span = text
            .parse()
            .map_err(|e| BackupError::new(&BAK_RETENTION, format!("keep-within {text}: {e}")))?;
        keep = keep.keep_within(Some(span));
    }
    let repo = spec.open()?;
    let snaps = repo.get_all_snapshots().map_err(repo_err)?;
    // Retention counts full snapshots only; a journal snapshot goes with the chains it serves.
    let mut by_host: std::collections::BTreeMap<String, Vec<_>> = Default::default();
    let mut journals = Vec::new();
    for s in snaps {
        if Snapshot::of(&s).kind == Kind::Journal {
            journals.push(s);
        } else {
            by_host.entry(s.hostname.clone()).or_default().push(s);
        }
    }
    let now = rustic_core::jiff::Zoned::now();
    let mut pruned = Pruned::default();
    let mut forget_ids = Vec::new();
    for (_, group) in by_host {
        for f in keep.apply(group, &now).map_err(repo_err)? {
            if f.keep {
                pruned.kept.push(Snapshot::of(&f.snapshot));
            } else {
                forget_ids.push(f.snapshot.id);
                pruned.forgotten.push(Snapshot::of(&f.snapshot));
            }
        }
    }
    let kept_fulls: Vec<Snapshot> = pruned.kept.clone();
    let kept_refs: Vec<&Snapshot> = kept_fulls.iter().collect();
    for j in journals {
        let snap = Snapshot::of(&j);
        if chain::journal_needed(&snap, &kept_refs) {
            pruned.kept.push(snap);
        } else {
            forget_ids.push(j.id);
            pruned.forgotten.push(snap);
        }
    }
    if !forget_ids.is_empty() {
        repo.delete_snapshots(&forget_ids).map_err(repo_err)?;
    }
    let opts = PruneOptions::default();
    let plan = repo.prune_plan(&opts).map_err(repo_err)?;
    repo.prune(&opts, plan).map_err(repo_err)?;
    pruned.kept.sort_by_key(|s| s.time_ms);
    pruned.forgotten.sort_by_key(|s| s.time_ms);
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_finding_names_the_pack_in_full() {
        let id = "3588de6b0d480e2033d5fb7d439ffe231d53a22880e759611a55e80e2cd190fa";
        let display = "error checking pack 3588de6b : crypto.\n\nMessage:\nMAC check failed.\n\nFor more information, see: x";
        let debug = format!("ErrorCheckingPack {{ id: PackId({id}), source: .. }}");
        assert_eq!(
            super::finding_text(display, &debug),
            format!("error checking pack {id} : crypto. MAC check failed.")
        );
    }

    use super::*;
    use juki_domain::ChangeKind;
    use juki_store::conformance::{code, node, raw, valid};
    use juki_store::{SqliteOptions, SqliteStore};

    /// When change 0 of the test stream is recorded: an hour from now, so that every snapshot
    /// of the test is taken before the times its entries carry.
    fn t0() -> i64 {
        static T0: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
        *T0.get_or_init(|| jiff_now_ms() + 3_600_000)
    }

    /// Applies changes `from..to` of a stream, one per sequence, change i recorded at t0 + i s.
    fn apply(store: &dyn Store, from: u64, to: u64) {
        for i in from..to {
            let c = valid(&raw(
                ChangeKind::MoveIn,
                &format!("R{i}"),
                Some(code(1_000_000_000 + i)),
            ));
            let t = t0() + i64::try_from(i).unwrap() * 1000;
            store.apply(node(), t, &[c]).unwrap();
        }
    }

    /// A new repository in `dir`, and options for hourly full snapshots taken now.
    fn repository(dir: &Path) -> (RepoSpec, RunOptions) {
        let password = dir.join("password");
        std::fs::write(&password, "pw\n").unwrap();
        let spec = RepoSpec::new(dir.join("repo").to_str().unwrap(), &password).unwrap();
        init(&spec).unwrap();
        let opts = RunOptions {
            full: false,
            snapshot_interval_seconds: 3600,
            now_ms: jiff_now_ms(),
        };
        (spec, opts)
    }

    /// Every row of the journal and the residents, in order.
    fn records(store: &Path) -> Vec<String> {
        let conn = rusqlite::Connection::open_with_flags(
            store,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut out = Vec::new();
        for sql in [
            "SELECT * FROM journal ORDER BY seq",
            "SELECT * FROM residents ORDER BY resident_code",
        ] {
            let mut stmt = conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            r.get::<_, rusqlite::types::Value>(i)
                                .map(|v| format!("{v:?}"))
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| v.join("|"))
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    /// The store of the same stream stopped at `n`: the original as it was at seq `n`.
    fn twin_at(dir: &Path, n: u64) -> PathBuf {
        let path = dir.join(format!("twin-{n}.db"));
        let twin = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        apply(&twin, 0, n);
        path
    }

    #[test]
    fn journal_backups_restore_to_any_sequence_or_time_and_a_drill_compares_them() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let live =
            SqliteStore::open(&data.join(stage::STORE_FILE), SqliteOptions::default()).unwrap();
        let (spec, opts) = repository(tmp.path());

        apply(&live, 0, 10);
        let Ran::Full(full) = run(&spec, &data, "131148", &StoreAt::Sqlite, &opts).unwrap() else {
            panic!("the first backup is full")
        };
        assert_eq!((full.epoch, full.journal_head_seq), (1, Some(10)));
        apply(&live, 10, 20);
        let Ran::Journal {
            snapshot: j1,
            entries,
        } = run(&spec, &data, "131148", &StoreAt::Sqlite, &opts).unwrap()
        else {
            panic!("then the journal")
        };
        assert_eq!(
            (j1.after, j1.journal_head_seq, entries),
            (Some(10), Some(20), 10)
        );
        assert!(matches!(
            run(&spec, &data, "131148", &StoreAt::Sqlite, &opts).unwrap(),
            Ran::Nothing { seq: 20, epoch: 1 }
        ));
        apply(&live, 20, 30);
        let Ran::Journal { snapshot: j2, .. } =
            run(&spec, &data, "131148", &StoreAt::Sqlite, &opts).unwrap()
        else {
            panic!("the journal again")
        };
        assert_eq!((j2.after, j2.journal_head_seq), (Some(20), Some(30)));
        assert!(!data.join(stage::STAGING_DIR).exists());

        // A sequence inside the second segment: the original's records at that sequence.
        let target = tmp.path().join("at-25");
        let r = restore(&spec, "latest", Point::Seq(25), &target).unwrap();
        assert_eq!((r.seq, r.segments.len()), (25, 2));
        assert_eq!(r.recorded_at_ms, Some(t0() + 24_000));
        assert!(!target.join(SEGMENTS_DIR).exists());
        assert_eq!(
            records(&target.join(stage::STORE_FILE)),
            records(&twin_at(tmp.path(), 25))
        );
        // A time: the last entry recorded at or before it (change 14 is seq 15).
        let target = tmp.path().join("at-time");
        let r = restore(&spec, "latest", Point::TimeMs(t0() + 14_500), &target).unwrap();
        assert_eq!(r.seq, 15);
        assert_eq!(
            records(&target.join(stage::STORE_FILE)),
            records(&twin_at(tmp.path(), 15))
        );
        // The latest point is the whole chain; the full snapshot alone is its own point.
        let target = tmp.path().join("latest");
        assert_eq!(
            restore(&spec, "latest", Point::Latest, &target)
                .unwrap()
                .seq,
            30
        );
        assert_eq!(
            records(&target.join(stage::STORE_FILE)),
            records(&data.join(stage::STORE_FILE))
        );
        let target = tmp.path().join("full-only");
        assert_eq!(
            restore(&spec, &full.id, Point::Latest, &target)
                .unwrap()
                .seq,
            10
        );
        let e = restore(&spec, "latest", Point::Seq(31), &tmp.path().join("past")).unwrap_err();
        assert_eq!(e.def.code, "JK-BAK-0117");

        // A drill: the latest chain against the live store, which has moved on meanwhile.
        apply(&live, 30, 33);
        let d = drill(&spec, &data, "131148", &StoreAt::Sqlite, &live).unwrap();
        assert_eq!((d.seq, d.segments.len()), (30, 2));
        assert_eq!(d.digest, journal::hex(&journal::digest(&live, 30).unwrap()));
        assert!(
            std::fs::read_dir(&data)
                .unwrap()
                .all(|e| e.unwrap().file_name() != DRILL_DIR),
            "the scratch copy is removed"
        );
        // Another store's journal differs from the backup's.
        let other =
            SqliteStore::open(&tmp.path().join("other.db"), SqliteOptions::default()).unwrap();
        apply(&other, 1, 40);
        let e = drill(&spec, &data, "131148", &StoreAt::Sqlite, &other).unwrap_err();
        assert_eq!(e.def.code, "JK-BAK-0119");

        // A new epoch: the next backup is a full one of epoch 2.
        let restored = tmp.path().join("latest");
        assert_eq!(
            begin_epoch(&restored, &StoreAt::Sqlite, CodesAfterRestore::Abandon).unwrap(),
            2
        );
        let Ran::Full(next) = run(&spec, &restored, "131148", &StoreAt::Sqlite, &opts).unwrap()
        else {
            panic!("a new epoch starts with a full snapshot")
        };
        assert_eq!((next.epoch, next.journal_head_seq), (2, Some(30)));
    }

    fn jiff_now_ms() -> i64 {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
    }

    /// A database of its own on the shared server (127.0.0.1:5432), dropped at the end.
    fn database(suffix: &str) -> pg::ScratchDatabase {
        let name = format!("juki_backup_{}_{suffix}", std::process::id());
        pg::ScratchDatabase::create("postgres://postgres@127.0.0.1:5432/postgres", &name).unwrap()
    }

    #[test]
    fn a_node_on_postgres_is_dumped_then_journaled_restored_to_any_sequence_and_drilled() {
        let db = database("live");
        let schema = "node_131148";
        let at = StoreAt::Postgres {
            url: db.url.clone(),
            schema: schema.into(),
        };
        let live = open_postgres(&db.url, schema).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join(stage::CONFIG_FILE), "# a node on PostgreSQL\n").unwrap();
        let (spec, opts) = repository(tmp.path());

        apply(&live, 0, 10);
        let Ran::Full(first) = run(&spec, &data, "131148", &at, &opts).unwrap() else {
            panic!("the first backup is full");
        };
        assert!(first.postgres);
        assert_eq!(first.journal_head_seq, Some(10));
        apply(&live, 10, 15);
        let Ran::Journal { snapshot: seg, .. } = run(&spec, &data, "131148", &at, &opts).unwrap()
        else {
            panic!("then the journal");
        };
        assert!(seg.postgres);
        assert_eq!((seg.after, seg.journal_head_seq), (Some(10), Some(15)));
        assert!(!data.join(stage::STAGING_DIR).exists());

        let d = drill(&spec, &data, "131148", &at, &live).unwrap();
        assert_eq!((d.seq, d.segments.len()), (15, 1));
        assert!(!data.join(DRILL_DIR).exists());

        // The dump alone, loaded into another database: the live store at 10.
        let target = tmp.path().join("restored");
        let r = restore(&spec, &first.id, Point::Latest, &target).unwrap();
        assert_eq!(r.seq, 10);
        let pending = r.postgres.clone().unwrap();
        assert!(target.join(stage::CONFIG_FILE).is_file());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&pending.dump)
                .unwrap()
                .permissions()
                .mode()
                & 0o077,
            0,
            "the dump is readable by its owner only"
        );
        let other = database("restored");
        finish_postgres(&pending, &other.url, schema).unwrap();
        let copy = open_postgres(&other.url, schema).unwrap();
        assert_eq!(copy.stats().unwrap().journal_head, 10);
        assert_eq!(
            journal::digest(&copy, 10).unwrap(),
            journal::digest(&live, 10).unwrap()
        );
        drop(copy);
        let again = finish_postgres(&pending, &other.url, schema).unwrap_err();
        assert_eq!(again.def.code, "JK-BAK-0135");
        let copy_at = StoreAt::Postgres {
            url: other.url.clone(),
            schema: schema.into(),
        };
        assert_eq!(
            begin_epoch(&target, &copy_at, CodesAfterRestore::Abandon).unwrap(),
            2
        );

        // The dump and the segment cut at 12: the live store as it was at 12.
        let cut = restore(&spec, "latest", Point::Seq(12), &tmp.path().join("cut")).unwrap();
        assert_eq!((cut.seq, cut.segments.len()), (12, 1));
        let third = database("cut");
        finish_postgres(cut.postgres.as_ref().unwrap(), &third.url, schema).unwrap();
        let copy = open_postgres(&third.url, schema).unwrap();
        assert_eq!(copy.stats().unwrap().journal_head, 12);
        assert_eq!(
            journal::digest(&copy, 12).unwrap(),
            journal::digest(&live, 12).unwrap()
        );
    }
}

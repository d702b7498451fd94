//! Backups of a node's data directory into a restic-format repository: deduplicated,
//! compressed and encrypted, and readable by stock `restic` without juki (docs/backup.md).
//!
//! A backup is one restic snapshot of a consistent copy of the data directory (every SQLite
//! database through `VACUUM INTO`, so a serving node is never copied mid-write), placed in the
//! snapshot under [`SNAPSHOT_ROOT`] and tagged with the node's code and the store's journal
//! head sequence. Only this crate knows the repository format; the CLI parses flags and prints.

pub mod device;
pub mod stage;

use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    BAK_NO_REPO, BAK_PASSWORD, BAK_PASSWORD_FILE, BAK_REPO, BAK_REPO_EXISTS, BAK_REPO_UNREADABLE,
    BAK_RETENTION, BAK_SNAPSHOT_NOT_FOUND, BAK_TARGET_NOT_EMPTY, BAK_VERIFY_FAILED,
};
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
/// Tag prefixes: `node=CODE` and `seq=N` (the store's journal head when the copy was made).
pub const TAG_NODE: &str = "node=";
pub const TAG_SEQ: &str = "seq=";
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

/// One snapshot as juki reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub id: String,
    /// RFC 3339, with offset.
    pub time: String,
    pub node: Option<String>,
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
        Snapshot {
            id: s.id.to_string(),
            time: s.time.timestamp().to_string(),
            node: tag(TAG_NODE),
            journal_head_seq: tag(TAG_SEQ).and_then(|t| t.parse().ok()),
            files: summary.map_or(0, |m| m.total_files_processed),
            bytes: summary.map_or(0, |m| m.total_bytes_processed),
            added_bytes: summary.map_or(0, |m| m.data_added_packed),
        }
    }
}

/// Backs up the data directory: a consistent copy staged in it, then one snapshot of the copy.
/// The staging copy is removed afterwards, whether the backup worked or not.
pub fn run(spec: &RepoSpec, data_dir: &Path, node_code: &str) -> Result<Snapshot> {
    let repo = spec.open()?;
    stage::check_data_dir(data_dir)?;
    let _lock = stage::lock(data_dir)?;
    let staged = stage::stage(data_dir)?;
    let result = snapshot_staged(repo, &staged, node_code);
    let cleaned = stage::remove_staging(data_dir);
    let snap = result?;
    cleaned?;
    Ok(snap)
}

fn snapshot_staged(
    repo: Repository<OpenStatus>,
    staged: &stage::Staged,
    node_code: &str,
) -> Result<Snapshot> {
    let repo = repo.to_indexed_ids().map_err(repo_err)?;
    let tags = format!(
        "{TAG},{TAG_NODE}{node_code},{TAG_SEQ}{}",
        staged.journal_head_seq
    );
    let snap = SnapshotOptions::default()
        .host(node_code.to_string())
        .add_tags(&tags)
        .and_then(|o| o.to_snapshot())
        .map_err(repo_err)?;
    let dir = staged
        .dir
        .to_str()
        .ok_or_else(|| repo_err("data directory path is not UTF-8"))?;
    let source = PathList::from_string(dir)
        .and_then(|p| p.sanitize().map_err(|e| repo_err_boxed(&e)))
        .map_err(repo_err)?;
    let opts = BackupOptions::default().as_path(PathBuf::from(SNAPSHOT_ROOT));
    let snap = repo.backup(&opts, &source, snap).map_err(repo_err)?;
    Ok(Snapshot::of(&snap))
}

fn repo_err_boxed(e: &dyn std::fmt::Display) -> Box<rustic_core::RusticError> {
    rustic_core::RusticError::new(rustic_core::ErrorKind::InvalidInput, e.to_string())
}

/// Every snapshot of the repository, oldest first.
pub fn list(spec: &RepoSpec) -> Result<Vec<Snapshot>> {
    let repo = spec.open()?;
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

/// What a restore wrote.
#[derive(Clone, Debug)]
pub struct Restored {
    pub snapshot: Snapshot,
    pub target: PathBuf,
}

/// Restores a snapshot (`latest`, or an id or its prefix) as a data directory at `target`,
/// which must be new or empty.
pub fn restore(spec: &RepoSpec, snapshot: &str, target: &Path) -> Result<Restored> {
    if let Ok(mut entries) = std::fs::read_dir(target)
        && entries.next().is_some()
    {
        return Err(BackupError::new(
            &BAK_TARGET_NOT_EMPTY,
            target.display().to_string(),
        ));
    }
    let repo = spec.open()?;
    let snap = find_snapshot(&repo, snapshot)?;
    let repo = repo.to_indexed().map_err(repo_err)?;
    let path = format!("{}:{SNAPSHOT_ROOT}", snap.id);
    let node = repo
        .node_from_snapshot_path(&path, |_| true)
        .map_err(repo_err)?;
    let ls = repo.ls(&node, &LsOptions::default()).map_err(repo_err)?;
    std::fs::create_dir_all(target).map_err(|e| {
        BackupError::new(&BAK_TARGET_NOT_EMPTY, format!("{}: {e}", target.display()))
    })?;
    let dest_str = format!(
        "{}/",
        target
            .to_str()
            .ok_or_else(|| repo_err("target path is not UTF-8"))?
    );
    let dest = rustic_core::LocalDestination::new(&dest_str, true, false).map_err(repo_err)?;
    let opts = RestoreOptions::default();
    let plan = repo
        .prepare_restore(&opts, ls.clone(), &dest, false)
        .map_err(repo_err)?;
    repo.restore(plan, &opts, ls, &dest).map_err(repo_err)?;
    Ok(Restored {
        snapshot: Snapshot::of(&snap),
        target: target.to_path_buf(),
    })
}

fn find_snapshot(
    repo: &Repository<OpenStatus>,
    wanted: &str,
) -> Result<rustic_core::repofile::SnapshotFile> {
    let mut snaps = repo.get_all_snapshots().map_err(repo_err)?;
    snaps.sort();
    let found = if wanted == "latest" {
        snaps.pop()
    } else {
        let mut matching = snaps
            .into_iter()
            .filter(|s| s.id.to_string().starts_with(wanted));
        match (matching.next(), matching.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    };
    found.ok_or_else(|| BackupError::new(&BAK_SNAPSHOT_NOT_FOUND, wanted.to_string()))
}

/// Retention: keep the newest `keep_last` snapshots of each node and every snapshot younger
/// than `keep_within`; forget the rest and remove the data only they used.
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
    let mut by_host: std::collections::BTreeMap<String, Vec<_>> = Default::default();
    for s in snaps {
        by_host.entry(s.hostname.clone()).or_default().push(s);
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
    if !forget_ids.is_empty() {
        repo.delete_snapshots(&forget_ids).map_err(repo_err)?;
    }
    let opts = PruneOptions::default();
    let plan = repo.prune_plan(&opts).map_err(repo_err)?;
    repo.prune(&opts, plan).map_err(repo_err)?;
    pruned.kept.sort_by(|a, b| a.time.cmp(&b.time));
    pruned.forgotten.sort_by(|a, b| a.time.cmp(&b.time));
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
}

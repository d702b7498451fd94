//! `juki backup init|run|list|verify|restore|prune|drill`: a node's data directory into a
//! restic-format repository on other storage (full snapshots, and the journal between them),
//! back to a point in time, and restore drills (docs/backup.md).

use crate::exit::{self, exit};
use anyhow::Result;
use juki_backup::{
    BackupError, CodesAfterRestore, Point, Ran, RepoSpec, Retention, Snapshot, StoreAt,
};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// Where the repository is and what opens it (also `juki rebuild`'s).
#[derive(Debug, clap::Args)]
pub(crate) struct RepoArgs {
    /// The repository: a directory on other storage, or `rest:https://HOST/PATH` for a restic
    /// REST server. `backup run` takes the node's `[backup] repo` when this is not given.
    #[arg(long, value_name = "LOCATION", env = "JUKI_BACKUP_REPO")]
    pub(crate) repo: Option<String>,
    /// A file whose first line is the repository password (restic's --password-file);
    /// `backup run` takes the node's `[backup] password_file` when this is not given.
    #[arg(long, value_name = "FILE", env = "JUKI_BACKUP_PASSWORD_FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// The CA certificate (PEM) a REST server's certificate was issued by, when not a public
    /// one (restic's --cacert); `backup run` takes the node's `[backup] cacert`.
    #[arg(long, value_name = "FILE", env = "JUKI_BACKUP_CACERT")]
    pub(crate) cacert: Option<PathBuf>,
}

impl RepoArgs {
    pub(crate) fn spec(&self) -> Result<RepoSpec> {
        let (Some(repo), Some(password_file)) = (&self.repo, &self.password_file) else {
            return Err(exit(
                exit::USAGE,
                "--repo and --password-file are needed (or, for `backup run`, [backup] repo and password_file in the node's juki.toml)",
            ));
        };
        let spec = RepoSpec::new(repo, password_file).map_err(refused)?;
        Ok(match &self.cacert {
            Some(pem) => spec.with_cacert(pem),
            None => spec,
        })
    }
}

/// The repository, and how to print.
#[derive(Debug, clap::Args)]
struct Repo {
    #[command(flatten)]
    at: RepoArgs,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl Repo {
    fn spec(&self) -> Result<RepoSpec> {
        self.at.spec()
    }

    fn location(&self) -> &str {
        self.at.repo.as_deref().unwrap_or("")
    }

    /// Fills what the command line left out from the node's `[backup]`; the node's
    /// `same_storage = true` stands for the flag.
    fn or_node(mut self, backup: &juki_node::config::BackupSettings) -> (Repo, bool) {
        let at = &mut self.at;
        at.repo = at.repo.take().or_else(|| backup.repo.clone());
        at.password_file = at
            .password_file
            .take()
            .or_else(|| backup.password_file.clone());
        at.cacert = at.cacert.take().or_else(|| backup.cacert.clone());
        (self, backup.same_storage)
    }
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create a repository (encrypted with the password; keep the password file elsewhere too).
    Init {
        #[command(flatten)]
        repo: Repo,
        /// The node whose backups it will hold: refused when on the same device unless
        /// --i-know-this-is-the-same-storage.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Accept a repository on the data directory's own device (tests, stopgaps).
        #[arg(long)]
        i_know_this_is_the_same_storage: bool,
    },
    /// Back up a node's data directory, running or stopped: a full snapshot when the
    /// repository holds none of the node's epoch or the newest is older than `[backup]
    /// snapshot_interval_seconds`, otherwise the journal recorded since the last backup.
    Run {
        #[command(flatten)]
        repo: Repo,
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// A full snapshot whatever the repository holds.
        #[arg(long)]
        full: bool,
        /// Accept a repository on the data directory's own device (tests, stopgaps).
        #[arg(long)]
        i_know_this_is_the_same_storage: bool,
    },
    /// Restore the latest backup into a scratch directory inside the data directory and compare
    /// its journal's digest with the live store's (the scratch copy is removed afterwards).
    Drill {
        #[command(flatten)]
        repo: Repo,
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// The repository's snapshots, oldest first.
    List {
        #[command(flatten)]
        repo: Repo,
    },
    /// Check the repository; with --read-data read every byte back and check it.
    Verify {
        #[command(flatten)]
        repo: Repo,
        #[arg(long)]
        read_data: bool,
    },
    /// Restore a node's data directory to a point in time: the newest full snapshot at or
    /// before it, then the journal after it; the restored node starts a new epoch (stop the
    /// node first; see docs/backup.md).
    Restore {
        #[command(flatten)]
        repo: Repo,
        /// `latest`, or a snapshot id (or a unique prefix of one): a full snapshot to start
        /// from, or, with no --to-seq or --to-time, the snapshot whose point is restored.
        #[arg(value_name = "SNAPSHOT", conflicts_with = "snapshot")]
        positional: Option<String>,
        /// The same as the positional SNAPSHOT.
        #[arg(long, value_name = "ID")]
        snapshot: Option<String>,
        /// Restore the journal up to exactly this sequence.
        #[arg(long, value_name = "N", conflicts_with = "to_time")]
        to_seq: Option<u64>,
        /// Restore the journal up to its last entry recorded at or before this time (RFC 3339,
        /// e.g. 2026-11-24T09:00:00+09:00).
        #[arg(long, value_name = "TIME")]
        to_time: Option<String>,
        /// The new data directory: must not exist or be empty.
        #[arg(long, value_name = "DIR")]
        target: PathBuf,
        /// A node on PostgreSQL: load its store into this database (a postgres:// URL; created
        /// when missing) instead of the one its juki.toml names, and name it there. The node's
        /// schema must not exist in it.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// Two-person approval of a restore of a node in service (docs/approvals.md).
        #[command(flatten)]
        approval: super::approval_gate::RestoreGate,
    },
    /// Start a new epoch in the store of a stopped node restored by other tools (restic with
    /// sqlite3 or psql): what `backup restore` does after its own restores (docs/backup.md).
    NewEpoch {
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Print machine-readable JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Forget snapshots beyond the retention and remove the data only they used. Retention
    /// counts full snapshots; each kept one keeps the journal snapshots its chain needs.
    Prune {
        #[command(flatten)]
        repo: Repo,
        /// Keep the newest N full snapshots of each node.
        #[arg(long, value_name = "N")]
        keep_last: Option<u32>,
        /// Keep every full snapshot younger than this span (e.g. 30d, 12h, 2w).
        #[arg(long, value_name = "SPAN")]
        keep_within: Option<String>,
    },
}

/// How far the national node's code pools move on after a restore: beyond any code it can
/// have assigned between the backup and the loss.
const NATIONAL_CODES_SKIPPED: u64 = 100_000_000;

fn node_config(data: &Path) -> Result<juki_node::config::NodeConfig> {
    juki_node::config::NodeConfig::load(data)
        .map_err(|e| exit(exit::class_code(e.def.class), e.to_string()))
}

/// A library error as the command's error, with its exit status by catalogue class.
pub(crate) fn refused(e: BackupError) -> anyhow::Error {
    exit(exit::class_code(e.def.class), e.to_string())
}

fn step(what: &str) {
    eprintln!("juki backup: {what}");
}

pub fn run(a: Args) -> Result<u8> {
    match a.command {
        Command::Init {
            repo,
            data,
            i_know_this_is_the_same_storage,
        } => {
            let spec = repo.spec()?;
            if let Some(data) = &data {
                same_storage_check(data, repo.location(), i_know_this_is_the_same_storage)?;
            }
            juki_backup::init(&spec).map_err(refused)?;
            if repo.json {
                print(&serde_json::json!({ "repository": repo.at.repo, "created": true }))?;
            } else {
                println!("created repository {}", repo.location());
            }
        }
        Command::Run {
            repo,
            data,
            full,
            i_know_this_is_the_same_storage,
        } => {
            let config = node_config(&data)?;
            let (repo, node_allows) = repo.or_node(&config.backup);
            let spec = repo.spec()?;
            let allow = i_know_this_is_the_same_storage || node_allows;
            same_storage_check(&data, repo.location(), allow)?;
            let code = juki_node::backup::snapshot_node(config.code);
            step(&format!("backing up {}", data.display()));
            let opts = juki_backup::RunOptions {
                full,
                snapshot_interval_seconds: config.backup.snapshot_interval(),
                now_ms: jiff::Timestamp::now().as_millisecond(),
            };
            let ran =
                juki_backup::run(&spec, &data, &code, &config.store, &opts).map_err(refused)?;
            if repo.json {
                print(&match &ran {
                    Ran::Nothing { seq, epoch } => serde_json::json!({
                        "kind": null, "node": code, "epoch": epoch, "journal_head_seq": seq,
                        "nothing_new": true,
                    }),
                    Ran::Full(s) | Ran::Journal { snapshot: s, .. } => snapshot_json(s),
                })?;
            } else {
                match &ran {
                    Ran::Nothing { seq, epoch } => println!(
                        "nothing recorded since seq {seq} (epoch {epoch}): no snapshot taken"
                    ),
                    Ran::Full(snap) => println!(
                        "full snapshot {} of node {code}, epoch {}, at journal seq {}: {} files, {} bytes, {} bytes added",
                        short(&snap.id),
                        snap.epoch,
                        snap.journal_head_seq.unwrap_or(0),
                        snap.files,
                        snap.bytes,
                        snap.added_bytes
                    ),
                    Ran::Journal { snapshot, entries } => println!(
                        "journal snapshot {} of node {code}, epoch {}, seq {}..{}: {entries} entries, {} bytes added",
                        short(&snapshot.id),
                        snapshot.epoch,
                        snapshot.after.unwrap_or(0) + 1,
                        snapshot.journal_head_seq.unwrap_or(0),
                        snapshot.added_bytes
                    ),
                }
            }
        }
        Command::Drill { repo, data } => {
            let config = node_config(&data)?;
            let (repo, _) = repo.or_node(&config.backup);
            let spec = repo.spec()?;
            let code = juki_node::backup::snapshot_node(config.code);
            step(&format!(
                "restoring the latest backup of node {code} into a scratch directory in {} and comparing",
                data.display()
            ));
            let live = config.open_store()?;
            let d =
                juki_backup::drill(&spec, &data, &code, &config.store, &*live).map_err(refused)?;
            if repo.json {
                print(&serde_json::json!({
                    "ok": true, "full": snapshot_json(&d.full),
                    "segments": d.segments.iter().map(snapshot_json).collect::<Vec<_>>(),
                    "seq": d.seq, "digest": d.digest,
                }))?;
            } else {
                println!(
                    "drill passed: snapshot {} and {} journal snapshots restore the journal to seq {}, digest {} as the live store's",
                    short(&d.full.id),
                    d.segments.len(),
                    d.seq,
                    d.digest
                );
            }
        }
        Command::List { repo } => {
            let snaps = juki_backup::list(&repo.spec()?).map_err(refused)?;
            if repo.json {
                let v: Vec<_> = snaps.iter().map(snapshot_json).collect();
                print(&serde_json::json!({ "snapshots": v }))?;
            } else {
                println!(
                    "id        time                       node     kind    epoch seqs              bytes"
                );
                for s in &snaps {
                    let seq = s.journal_head_seq.map_or("-".into(), |q| q.to_string());
                    let seqs = match s.after {
                        Some(a) => format!("{}..{seq}", a + 1),
                        None => format!("..{seq}"),
                    };
                    println!(
                        "{:<9} {:<26} {:<8} {:<7} {:<5} {:<17} {}",
                        short(&s.id),
                        s.time,
                        s.node.as_deref().unwrap_or("-"),
                        s.kind.as_str(),
                        s.epoch,
                        seqs,
                        s.bytes
                    );
                }
            }
        }
        Command::Verify { repo, read_data } => {
            step(if read_data {
                "checking the repository and reading every pack back"
            } else {
                "checking the repository's structure"
            });
            match juki_backup::verify(&repo.spec()?, read_data) {
                Ok(report) => {
                    if repo.json {
                        print(&serde_json::json!({
                            "ok": true, "read_data": read_data,
                            "errors": [], "warnings": report.warnings,
                        }))?;
                    } else {
                        for w in &report.warnings {
                            eprintln!("warning: {w}");
                        }
                        println!(
                            "repository verified{}",
                            if read_data {
                                ", every byte read back"
                            } else {
                                ""
                            }
                        );
                    }
                }
                Err(e) => {
                    if repo.json {
                        print(&serde_json::json!({
                            "ok": false, "read_data": read_data,
                            "code": e.def.code, "errors": e.detail.split("; ").collect::<Vec<_>>(),
                        }))?;
                    }
                    return Err(refused(e));
                }
            }
        }
        Command::Restore {
            repo,
            positional,
            snapshot,
            to_seq,
            to_time,
            target,
            store,
            approval,
        } => {
            let snapshot = snapshot.or(positional).unwrap_or_else(|| "latest".into());
            let point = match (to_seq, &to_time) {
                (Some(n), _) => Point::Seq(n),
                (None, Some(t)) => Point::TimeMs(
                    t.parse::<jiff::Timestamp>()
                        .map_err(|e| exit(exit::USAGE, format!("--to-time {t}: {e}")))?
                        .as_millisecond(),
                ),
                (None, None) => Point::Latest,
            };
            step(&format!("restoring {snapshot} into {}", target.display()));
            let r =
                juki_backup::restore(&repo.spec()?, &snapshot, point, &target).map_err(refused)?;
            // A node in service: approved at its parent, or the restored copy is removed.
            super::approval_gate::after_restore(&r.target, &approval)?;
            let (at, loaded_recorded_at) = match &r.postgres {
                None if store.is_some() => {
                    return Err(exit(
                        exit::USAGE,
                        "--store: the snapshot restored is of a node whose store is SQLite",
                    ));
                }
                None => (StoreAt::Sqlite, None),
                // A load that fails leaves nothing half-restored: the target is removed, so
                // that the same command can run again.
                Some(pending) => {
                    load_postgres(&target, pending, store.as_deref()).inspect_err(|_| {
                        if let Err(rm) = std::fs::remove_dir_all(&r.target) {
                            eprintln!("juki: could not remove {}: {rm}", r.target.display());
                        }
                    })?
                }
            };
            // An inspection copy (`--scratch`) starts no new epoch: it is never served.
            let scratch = approval.scratch;
            let epoch = if scratch {
                None
            } else {
                Some(new_epoch(&target, &at)?)
            };
            let time = r.recorded_at_ms.or(loaded_recorded_at).and_then(|ms| {
                jiff::Timestamp::from_millisecond(ms)
                    .ok()
                    .map(|t| t.to_string())
            });
            if repo.json {
                print(&serde_json::json!({
                    "snapshot": snapshot_json(&r.full),
                    "segments": r.segments.iter().map(snapshot_json).collect::<Vec<_>>(),
                    "seq": r.seq, "recorded_at": time, "new_epoch": epoch,
                    "scratch": scratch, "target": r.target,
                }))?;
            } else {
                println!(
                    "restored snapshot {} and {} journal snapshots into {}: journal seq {}{}",
                    short(&r.full.id),
                    r.segments.len(),
                    r.target.display(),
                    r.seq,
                    time.map(|t| format!(", last entry recorded {t}"))
                        .unwrap_or_default()
                );
                match epoch {
                    Some(e) => println!("the restored store begins epoch {e}"),
                    None => println!("scratch copy: no new epoch; do not serve it"),
                }
            }
        }
        Command::NewEpoch { data, json } => {
            let _lock = super::lock_data_dir(&data)?;
            let config = node_config(&data)?;
            let epoch = new_epoch(&data, &config.store)?;
            if json {
                print(&serde_json::json!({ "data": data, "new_epoch": epoch }))?;
            } else {
                println!("the store of {} begins epoch {epoch}", data.display());
            }
        }
        Command::Prune {
            repo,
            keep_last,
            keep_within,
        } => {
            let retention = Retention {
                keep_last,
                keep_within,
            };
            let p = juki_backup::prune(&repo.spec()?, &retention).map_err(refused)?;
            if repo.json {
                let ids = |v: &[Snapshot]| v.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
                print(&serde_json::json!({
                    "kept": ids(&p.kept), "forgotten": ids(&p.forgotten),
                }))?;
            } else {
                println!(
                    "kept {} snapshots, forgot {}",
                    p.kept.len(),
                    p.forgotten.len()
                );
            }
        }
    }
    Ok(exit::DONE)
}

/// Starts a new epoch in the restored node at `data` (BRIEF §7). A node with a parent asks it
/// for new pools; the national node, which has no one to ask, skips far past any code it may
/// have assigned after the copy.
fn new_epoch(data: &Path, at: &StoreAt) -> Result<u64> {
    let config = node_config(data)?;
    let codes = if config.parent.is_some() {
        CodesAfterRestore::Abandon
    } else {
        CodesAfterRestore::SkipAhead(NATIONAL_CODES_SKIPPED)
    };
    juki_backup::begin_epoch(data, at, codes).map_err(refused)
}

/// Loads the dump a restore of a node on PostgreSQL wrote into `target` into the database its
/// juki.toml names (or `store`, which juki.toml then names), applies the journal segments after
/// it, and removes the dump: the restored data directory then holds what a live node's does.
/// Returns where the store is and when its last entry was recorded.
fn load_postgres(
    target: &Path,
    pending: &juki_backup::PendingPostgres,
    store: Option<&str>,
) -> Result<(StoreAt, Option<i64>)> {
    let config = match store {
        Some(url) => juki_node::config::set_store_url(target, url)
            .map_err(|e| exit(exit::USAGE, format!("--store {url}: {e:#}")))?,
        None => node_config(target)?,
    };
    let at = config.store;
    let StoreAt::Postgres { url, schema } = &at else {
        return Err(exit(
            exit::USAGE,
            "the snapshot holds a PostgreSQL store, but the restored juki.toml names none; give --store URL",
        ));
    };
    step(&format!(
        "loading the store into schema {schema} of {}",
        juki_backup::pg::redacted(url)
    ));
    let recorded_at = juki_backup::finish_postgres(pending, url, schema).map_err(refused)?;
    std::fs::remove_file(&pending.dump)?;
    Ok((at, recorded_at))
}

/// Refuses a repository on the data's own device unless the operator says they know; when
/// they do, says so on stderr every time.
fn same_storage_check(data: &Path, location: &str, allow: bool) -> Result<()> {
    let same = juki_backup::device::check_separate(data, location, allow).map_err(refused)?;
    if same {
        eprintln!(
            "juki backup: warning: {} (allowed by --i-know-this-is-the-same-storage)",
            juki_domain::catalogue::BAK_SAME_STORAGE
        );
    }
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn snapshot_json(s: &Snapshot) -> serde_json::Value {
    serde_json::json!({
        "id": s.id, "time": s.time, "node": s.node, "kind": s.kind.as_str(), "epoch": s.epoch,
        "store": if s.postgres { "postgres" } else { "sqlite" },
        "after": s.after, "journal_head_seq": s.journal_head_seq,
        "files": s.files, "bytes": s.bytes, "added_bytes": s.added_bytes,
    })
}

fn print(v: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

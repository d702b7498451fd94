//! `juki backup init|run|list|verify|restore|prune`: a node's data directory into a
//! restic-format repository on other storage, and back (docs/backup.md).

use crate::exit::{self, exit};
use anyhow::Result;
use juki_backup::{BackupError, RepoSpec, Retention, Snapshot};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// Where the repository is and what opens it.
#[derive(Debug, clap::Args)]
struct Repo {
    /// The repository: a directory on other storage, or `rest:https://HOST/PATH` for a restic
    /// REST server. `backup run` takes the node's `[backup] repo` when this is not given.
    #[arg(long, value_name = "LOCATION", env = "JUKI_BACKUP_REPO")]
    repo: Option<String>,
    /// A file whose first line is the repository password (restic's --password-file);
    /// `backup run` takes the node's `[backup] password_file` when this is not given.
    #[arg(long, value_name = "FILE", env = "JUKI_BACKUP_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    /// The CA certificate (PEM) a REST server's certificate was issued by, when not a public
    /// one (restic's --cacert); `backup run` takes the node's `[backup] cacert`.
    #[arg(long, value_name = "FILE", env = "JUKI_BACKUP_CACERT")]
    cacert: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl Repo {
    fn spec(&self) -> Result<RepoSpec> {
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

    fn location(&self) -> &str {
        self.repo.as_deref().unwrap_or("")
    }

    /// Fills what the command line left out from the node's `[backup]`; the node's
    /// `same_storage = true` stands for the flag.
    fn or_node(mut self, backup: &juki_node::config::BackupSettings) -> (Repo, bool) {
        self.repo = self.repo.or_else(|| backup.repo.clone());
        self.password_file = self.password_file.or_else(|| backup.password_file.clone());
        self.cacert = self.cacert.or_else(|| backup.cacert.clone());
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
    /// Back up a node's data directory, running or stopped, as one snapshot.
    Run {
        #[command(flatten)]
        repo: Repo,
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Accept a repository on the data directory's own device (tests, stopgaps).
        #[arg(long)]
        i_know_this_is_the_same_storage: bool,
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
    /// Restore a snapshot as a new data directory (stop the node first; see docs/backup.md).
    Restore {
        #[command(flatten)]
        repo: Repo,
        /// `latest`, or a snapshot id (or a unique prefix of one).
        #[arg(default_value = "latest")]
        snapshot: String,
        /// The new data directory: must not exist or be empty.
        #[arg(long, value_name = "DIR")]
        target: PathBuf,
        /// Two-person approval of a restore of a node in service (docs/approvals.md).
        #[command(flatten)]
        approval: super::approval_gate::RestoreGate,
    },
    /// Forget snapshots beyond the retention and remove the data only they used.
    Prune {
        #[command(flatten)]
        repo: Repo,
        /// Keep the newest N snapshots of each node.
        #[arg(long, value_name = "N")]
        keep_last: Option<u32>,
        /// Keep every snapshot younger than this span (e.g. 30d, 12h, 2w).
        #[arg(long, value_name = "SPAN")]
        keep_within: Option<String>,
    },
}

/// A library error as the command's error, with its exit status by catalogue class.
fn refused(e: BackupError) -> anyhow::Error {
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
                print(&serde_json::json!({ "repository": repo.repo, "created": true }))?;
            } else {
                println!("created repository {}", repo.location());
            }
        }
        Command::Run {
            repo,
            data,
            i_know_this_is_the_same_storage,
        } => {
            let config = juki_node::config::NodeConfig::load(&data)
                .map_err(|e| exit(exit::class_code(e.def.class), e.to_string()))?;
            let (repo, node_allows) = repo.or_node(&config.backup);
            let spec = repo.spec()?;
            let allow = i_know_this_is_the_same_storage || node_allows;
            same_storage_check(&data, repo.location(), allow)?;
            let code = config
                .code
                .map_or_else(|| "national".to_string(), |c| c.to_string());
            step(&format!(
                "copying {} consistently, then writing the snapshot",
                data.display()
            ));
            let snap = juki_backup::run(&spec, &data, &code).map_err(refused)?;
            if repo.json {
                print(&snapshot_json(&snap))?;
            } else {
                println!(
                    "snapshot {} of node {code} at journal seq {}: {} files, {} bytes, {} bytes added",
                    short(&snap.id),
                    snap.journal_head_seq.unwrap_or(0),
                    snap.files,
                    snap.bytes,
                    snap.added_bytes
                );
            }
        }
        Command::List { repo } => {
            let snaps = juki_backup::list(&repo.spec()?).map_err(refused)?;
            if repo.json {
                let v: Vec<_> = snaps.iter().map(snapshot_json).collect();
                print(&serde_json::json!({ "snapshots": v }))?;
            } else {
                println!("id        time                       node    seq       bytes");
                for s in &snaps {
                    println!(
                        "{:<9} {:<26} {:<7} {:<9} {}",
                        short(&s.id),
                        s.time,
                        s.node.as_deref().unwrap_or("-"),
                        s.journal_head_seq.map_or("-".into(), |q| q.to_string()),
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
            snapshot,
            target,
            approval,
        } => {
            step(&format!("restoring {snapshot} into {}", target.display()));
            let r = juki_backup::restore(&repo.spec()?, &snapshot, &target).map_err(refused)?;
            // A node in service: approved at its parent, or the restored copy is removed.
            super::approval_gate::after_restore(&r.target, &approval)?;
            if repo.json {
                print(&serde_json::json!({
                    "snapshot": snapshot_json(&r.snapshot), "target": r.target,
                }))?;
            } else {
                println!(
                    "restored snapshot {} (journal seq {}) into {}",
                    short(&r.snapshot.id),
                    r.snapshot.journal_head_seq.unwrap_or(0),
                    r.target.display()
                );
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
        "id": s.id, "time": s.time, "node": s.node, "journal_head_seq": s.journal_head_seq,
        "files": s.files, "bytes": s.bytes, "added_bytes": s.added_bytes,
    })
}

fn print(v: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

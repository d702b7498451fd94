//! A consistent copy of a node's data directory, made while the node may be serving: every
//! SQLite database through `VACUUM INTO` (a read transaction, so writers go on and the copy is
//! one committed state), every other file copied as it stands.

use crate::{BackupError, Result};
use juki_domain::catalogue::{BAK_BUSY, BAK_DATA_DIR, BAK_STAGING};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// The store's file name in a data directory (the node's own constant is `STORE_FILE`).
pub const STORE_FILE: &str = "store.db";
/// Where the staging copy is made, inside the data directory (same filesystem: room for a copy
/// is checked by the write itself, and nothing leaves the node's storage unencrypted).
pub const STAGING_DIR: &str = ".backup-staging";
/// Held while a backup of the data directory runs: the node's schedule and an operator's
/// `juki backup run` share one staging area.
pub const LOCK_FILE: &str = ".backup.lock";

/// Held while a restore drill runs in the data directory: one scratch copy at a time.
pub const DRILL_LOCK_FILE: &str = ".drill.lock";

/// Takes the data directory's backup lock, or refuses at once when another backup holds it.
pub fn lock(data_dir: &Path) -> Result<std::fs::File> {
    lock_named(data_dir, LOCK_FILE)
}

/// Takes the lock file `name` in the data directory, or refuses at once (`JK-BAK-0114`).
pub fn lock_named(data_dir: &Path, name: &str) -> Result<std::fs::File> {
    let path = data_dir.join(name);
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| staging_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(BackupError::new(&BAK_BUSY, data_dir.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(staging_err(&path, e)),
    }
}

/// Names in a data directory that are never backed up: the process lock, SQLite's side files
/// (the staged copy of each database is complete without them), the staging area itself and
/// a restore drill's scratch copy.
fn skipped(name: &str) -> bool {
    name == "lock"
        || name == STAGING_DIR
        || name == crate::DRILL_DIR
        || name == LOCK_FILE
        || name == DRILL_LOCK_FILE
        || name.ends_with("-wal")
        || name.ends_with("-shm")
        || name.ends_with("-journal")
        || name.starts_with(".juki.toml.tmp")
}

/// What was staged.
#[derive(Clone, Debug)]
pub struct Staged {
    pub dir: PathBuf,
    /// The store's journal head (highest sequence) in the staged copy.
    pub journal_head_seq: u64,
    pub files: u64,
    pub bytes: u64,
}

/// Copies `data_dir` into `data_dir/.backup-staging` (emptied first).
pub fn stage(data_dir: &Path) -> Result<Staged> {
    check_data_dir(data_dir)?;
    let mut staged = stage_files(data_dir)?;
    staged.journal_head_seq = journal_head_seq(&staged.dir.join(STORE_FILE))?;
    Ok(staged)
}

/// Copies `data_dir` into `data_dir/.backup-staging` (emptied first), without reading a
/// store: for a node whose store is elsewhere (`journal_head_seq` is left 0).
pub fn stage_files(data_dir: &Path) -> Result<Staged> {
    let dir = data_dir.join(STAGING_DIR);
    remove_staging(data_dir)?;
    let mut staged = Staged {
        dir: dir.clone(),
        journal_head_seq: 0,
        files: 0,
        bytes: 0,
    };
    copy_tree(data_dir, &dir, &mut staged)?;
    Ok(staged)
}

/// Refuses a directory that holds no store.
pub fn check_data_dir(data_dir: &Path) -> Result<()> {
    check_holds(data_dir, STORE_FILE)
}

/// The node's configuration file, which every data directory holds.
pub const CONFIG_FILE: &str = "juki.toml";

/// Refuses a directory that holds no node configuration (a node whose store is on PostgreSQL
/// has no store file in it).
pub fn check_config_dir(data_dir: &Path) -> Result<()> {
    check_holds(data_dir, CONFIG_FILE)
}

fn check_holds(data_dir: &Path, file: &str) -> Result<()> {
    if data_dir.join(file).is_file() {
        Ok(())
    } else {
        Err(BackupError::new(
            &BAK_DATA_DIR,
            format!("{}: no {file}", data_dir.display()),
        ))
    }
}

/// Removes the staging area (after a backup, or one left by an interrupted backup).
pub fn remove_staging(data_dir: &Path) -> Result<()> {
    let dir = data_dir.join(STAGING_DIR);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(staging_err(&dir, e)),
    }
}

fn staging_err(path: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::new(&BAK_STAGING, format!("{}: {e}", path.display()))
}

fn copy_tree(from: &Path, to: &Path, staged: &mut Staged) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| staging_err(to, e))?;
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .map_err(|e| staging_err(from, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| staging_err(from, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name_str) = name.to_str() else {
            continue;
        };
        if skipped(name_str) {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let kind = entry.file_type().map_err(|e| staging_err(&src, e))?;
        if kind.is_dir() {
            copy_tree(&src, &dst, staged)?;
        } else if kind.is_file() {
            if is_sqlite(&src) {
                vacuum_into(&src, &dst)?;
            } else {
                std::fs::copy(&src, &dst).map_err(|e| staging_err(&src, e))?;
            }
            // Keys and databases of operator accounts stay readable by their owner only, in
            // the copy (and so in a restore) as in the original: `VACUUM INTO` creates its file
            // with the process's default mode.
            let perms = entry.metadata().map_err(|e| staging_err(&src, e))?;
            std::fs::set_permissions(&dst, perms.permissions())
                .map_err(|e| staging_err(&dst, e))?;
            staged.files += 1;
            staged.bytes += std::fs::metadata(&dst).map(|m| m.len()).unwrap_or(0);
        }
    }
    Ok(())
}

/// A SQLite database is recognised by its header, not its name.
fn is_sqlite(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|()| &head == b"SQLite format 3\0")
        .unwrap_or(false)
}

/// One committed state of the database at `src`, written to `dst` without blocking writers.
fn vacuum_into(src: &Path, dst: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| staging_err(src, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| staging_err(src, e))?;
    let dst_str = dst.to_str().ok_or_else(|| staging_err(dst, "not UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [dst_str])
        .map_err(|e| staging_err(src, e))?;
    Ok(())
}

/// The highest journal sequence of a store (0 when it is empty).
pub fn journal_head_seq(store: &Path) -> Result<u64> {
    let conn = Connection::open_with_flags(store, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| staging_err(store, e))?;
    let seq: i64 = conn
        .query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
            r.get(0)
        })
        .map_err(|e| staging_err(store, e))?;
    Ok(u64::try_from(seq).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_second_backup_of_one_data_directory_is_refused_while_the_first_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = super::lock(dir.path()).expect("first");
        let e = super::lock(dir.path()).expect_err("second");
        assert_eq!(e.def.code, "JK-BAK-0114");
        drop(first);
        assert!(super::lock(dir.path()).is_ok());
    }
}

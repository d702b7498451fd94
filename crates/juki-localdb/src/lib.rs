//! A node's small SQLite files beside its store — `approvals.db`, `moves.db`: created readable
//! by their owner only (they name residents and operators), every commit durable
//! (`synchronous = FULL`), their schema versions counted in `user_version` and brought up to
//! date when opened, a file from a newer juki refused rather than misread. One connection
//! behind a lock: these files see a few writes a minute, never the store's load.

use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How long to wait for the file's lock (another process reading it with sqlite3).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A small SQLite file of a node.
pub struct LocalDb {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for LocalDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalDb")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Why a file could not be opened: the path and what went wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenError {}

/// Creates `path` readable by its owner only, unless it exists.
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Applies the `migrations` not yet applied, each in its own transaction; refuses a file whose
/// version is past them.
fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), String> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found > migrations.len() {
        return Err(format!(
            "schema version {found} is newer than this juki knows ({})",
            migrations.len()
        ));
    }
    for (i, sql) in migrations.iter().enumerate().skip(found) {
        let apply = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()
        };
        apply(conn).map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl LocalDb {
    /// Opens (creating, 0600) the file at `path` and brings its schema up to date.
    pub fn open(path: &Path, migrations: &[&str]) -> Result<LocalDb, OpenError> {
        let failed = |e: &dyn std::fmt::Display| OpenError(format!("{}: {e}", path.display()));
        create_private(path).map_err(|e| failed(&e))?;
        let mut conn = Connection::open(path).map_err(|e| failed(&e))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| failed(&e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| failed(&e))?;
        migrate(&mut conn, migrations).map_err(|e| failed(&e))?;
        Ok(LocalDb {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for reads outside a write transaction.
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // rusqlite rolls back an unfinished transaction when it is dropped, so a poisoned lock
        // leaves nothing half-done behind.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in one immediate (write-locked) transaction and commits it.
    pub fn write<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const V: &[&str] = &[
        "CREATE TABLE t (x INTEGER);",
        "ALTER TABLE t ADD COLUMN y TEXT;",
    ];

    #[test]
    fn a_file_is_private_migrated_once_and_a_newer_one_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let db = LocalDb::open(&path, &V[..1]).unwrap();
        db.write(|tx| tx.execute("INSERT INTO t (x) VALUES (1)", []))
            .unwrap();
        drop(db);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A later version adds its step; the row stays.
        let db = LocalDb::open(&path, V).unwrap();
        let n: i64 = db
            .conn()
            .query_row("SELECT COUNT(*) FROM t WHERE y IS NULL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        drop(db);
        // An older juki refuses the newer file.
        let err = LocalDb::open(&path, &V[..1]).unwrap_err();
        assert!(err.0.contains("newer than this juki knows"), "{err}");
    }

    #[test]
    fn a_failing_write_commits_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = LocalDb::open(&dir.path().join("x.db"), V).unwrap();
        let r: Result<(), rusqlite::Error> = db.write(|tx| {
            tx.execute("INSERT INTO t (x) VALUES (1)", [])?;
            tx.execute("INSERT INTO nope VALUES (1)", [])?;
            Ok(())
        });
        assert!(r.is_err());
        let n: i64 = db
            .conn()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}

//! The access index: who accessed which resident, by resident code, so that a disclosure
//! report (開示) reads one resident's accesses instead of the whole audit log.
//!
//! It is derived from the audit log and only from it: a SQLite file beside the log
//! (`DATA/audit-index.db`) that a background task keeps up to date by reading the entries
//! written since the last one it indexed. Deleting the file rebuilds it from the log at the
//! next start. The log stays the evidence (`juki audit verify`); the index is a cache of it.

use anyhow::{Context, Result};
use juki_api::Access;
use juki_audit::Outcome;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;

/// The index's file name inside a data directory.
pub const INDEX_FILE: &str = "audit-index.db";
/// Entries read from the log per step.
const STEP_ENTRIES: usize = 10_000;

/// The index, open.
pub struct AccessIndex {
    conn: Mutex<Connection>,
}

impl AccessIndex {
    /// Opens (or creates) the index at `path`.
    pub fn open(path: &Path) -> Result<AccessIndex> {
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS accesses (
                 code INTEGER NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL,
                 node TEXT NOT NULL, action TEXT NOT NULL, purpose TEXT, actor TEXT NOT NULL,
                 role TEXT NOT NULL, result TEXT NOT NULL, error TEXT,
                 PRIMARY KEY (code, seq)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS indexed (id INTEGER PRIMARY KEY CHECK (id = 1),
                 through_seq INTEGER NOT NULL);
             INSERT OR IGNORE INTO indexed VALUES (1, 0);",
        )
        .with_context(|| format!("preparing {}", path.display()))?;
        Ok(AccessIndex {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last audit sequence number indexed.
    pub fn through(&self) -> Result<u64> {
        let seq: i64 = self
            .conn()
            .query_row("SELECT through_seq FROM indexed", [], |r| r.get(0))?;
        Ok(seq as u64)
    }

    /// Indexes what the log in `dir` holds after the last entry indexed; returns how many
    /// entries were read. Targets that are not resident codes are skipped.
    pub fn catch_up(&self, dir: &Path) -> Result<u64> {
        let mut read = 0;
        loop {
            let from = self.through()? + 1;
            let page = juki_audit::read_entries(dir, from, STEP_ENTRIES)?;
            let Some(last) = page.entries.last().map(|e| e.stored.seq) else {
                return Ok(read);
            };
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO accesses VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?;
                for e in &page.entries {
                    let s = &e.stored;
                    let (result, error) = outcome(&s.entry.result);
                    for t in &s.entry.targets {
                        let Ok(code) = juki_domain::ResidentCode::parse(t) else {
                            continue;
                        };
                        insert.execute(params![
                            code.get() as i64,
                            s.seq as i64,
                            s.entry.time_ms,
                            s.entry.node,
                            s.entry.action.to_string(),
                            s.entry.purpose,
                            s.entry.actor,
                            s.entry.role,
                            result,
                            error,
                        ])?;
                    }
                }
                tx.execute("UPDATE indexed SET through_seq = ?1", [last as i64])?;
            }
            tx.commit()?;
            read += page.entries.len() as u64;
            if page.next_seq.is_none() {
                return Ok(read);
            }
        }
    }

    /// Forgets accesses older than `before_ms` (entries a retention purge removed from the log).
    pub fn forget_before(&self, before_ms: i64) -> Result<u64> {
        let n = self
            .conn()
            .execute("DELETE FROM accesses WHERE time_ms < ?1", [before_ms])?;
        Ok(n as u64)
    }

    /// Up to `limit` accesses to `code`, oldest first, and whether there are more.
    pub fn accesses(
        &self,
        code: juki_domain::ResidentCode,
        limit: usize,
    ) -> Result<(Vec<Access>, bool)> {
        let conn = self.conn();
        let mut q = conn.prepare_cached(
            "SELECT time_ms, node, action, purpose, actor, role, result, error FROM accesses
             WHERE code = ?1 ORDER BY seq LIMIT ?2",
        )?;
        let mut rows = q.query(params![code.get() as i64, limit as i64 + 1])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push(Access {
                time: rfc3339(r.get(0)?),
                node: r.get(1)?,
                function: r.get(2)?,
                purpose: r.get(3)?,
                to: r.get(4)?,
                role: r.get(5)?,
                result: r.get(6)?,
                error: r.get(7)?,
            });
        }
        Ok((out, false))
    }

    /// Whether any access to `code` is indexed (for tests).
    pub fn knows(&self, code: juki_domain::ResidentCode) -> Result<bool> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM accesses WHERE code = ?1 LIMIT 1",
                [code.get() as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

fn outcome(o: &Outcome) -> (&'static str, Option<&str>) {
    match o {
        Outcome::Ok => ("ok", None),
        Outcome::Denied(c) => ("denied", Some(c)),
        Outcome::Failed(c) => ("failed", Some(c)),
    }
}

/// An instant in RFC 3339, UTC.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use juki_audit::{Action, AuditEntry, AuditLog, AuditOptions};
    use std::sync::Arc;

    fn signer(dir: &Path) -> juki_audit::Signer {
        let id = juki_pki::Identity::new(
            juki_pki::Role::Municipal,
            juki_pki::Jurisdiction::Local(
                juki_domain::LocalGovernmentCode::parse("131148").unwrap(),
            ),
            "municipal",
        )
        .unwrap();
        let mut ca = juki_pki::Ca::init(&dir.join("ca"), 3650).unwrap();
        let (cert, key) = (dir.join("node.pem"), dir.join("node.key"));
        ca.issue(&id, &["localhost".to_string()], 30, &cert, &key)
            .unwrap();
        juki_audit::Signer::from_files(&key, &cert).unwrap()
    }

    #[test]
    fn indexes_by_resident_and_catches_up_incrementally() {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit");
        let log = AuditLog::open(
            &audit,
            signer(dir.path()),
            AuditOptions::new(
                "urn:juki:municipal:131148:municipal",
                Arc::new(|| 1_700_000_000_000),
            ),
        )
        .unwrap();
        let a = juki_domain::ResidentCode::from_body(123_456_789);
        let b = juki_domain::ResidentCode::from_body(987_654_321);
        let entry = |targets: Vec<String>, action| {
            AuditEntry::new(
                1_700_000_000_000,
                "urn:juki:agency:national:agency",
                "agency",
                "urn:n",
                action,
            )
            .targets(targets)
        };
        log.try_record(entry(vec![a.to_string()], Action::IdentityLookup).purpose("pension"))
            .unwrap();
        log.try_record(entry(vec![a.to_string(), b.to_string()], Action::Search))
            .unwrap();
        log.try_record(entry(vec!["not-a-code".into()], Action::Read))
            .unwrap();
        log.flush().unwrap();
        let index = AccessIndex::open(&dir.path().join(INDEX_FILE)).unwrap();
        assert_eq!(index.catch_up(&audit).unwrap(), 3);
        let (got, more) = index.accesses(a, 10).unwrap();
        assert!(!more);
        let functions: Vec<_> = got.iter().map(|x| x.function.as_str()).collect();
        assert_eq!(functions, ["identity-lookup", "search"]);
        assert_eq!(got[0].purpose.as_deref(), Some("pension"));
        assert_eq!(index.accesses(b, 10).unwrap().0.len(), 1);
        let (one, more) = index.accesses(a, 1).unwrap();
        assert_eq!((one.len(), more), (1, true));
        // Nothing new: nothing read; a new entry: only it.
        assert_eq!(index.catch_up(&audit).unwrap(), 0);
        log.try_record(entry(vec![b.to_string()], Action::Read))
            .unwrap();
        log.flush().unwrap();
        assert_eq!(index.catch_up(&audit).unwrap(), 1);
        assert_eq!(index.accesses(b, 10).unwrap().0.len(), 2);
        // Reopened, it goes on from where it was.
        drop(index);
        let index = AccessIndex::open(&dir.path().join(INDEX_FILE)).unwrap();
        assert_eq!(index.catch_up(&audit).unwrap(), 0);
        assert!(index.knows(a).unwrap());
        assert_eq!(index.forget_before(1_700_000_000_001).unwrap(), 4);
        assert!(!index.knows(a).unwrap());
    }
}

//! Journal segments: the journal after a sequence as plain SQL that the `sqlite3` tool applies
//! to a copy of the store at that sequence (docs/backup.md, "Journal segments"), and the store's
//! side of a restore: applying a segment, whole or up to a sequence, and starting a new epoch.
//!
//! A segment is rendered by SQLite itself (`quote()`), so every value reads back exactly as it
//! was stored. Its layout:
//!
//! ```text
//! -- juki journal segment after=500 to=950 entries=450 last_recorded_at_ms=1700000000000
//! BEGIN;
//! INSERT INTO journal (seq, …) VALUES (501, …);        one line per entry, in sequence order
//! INSERT OR REPLACE INTO residents (…) VALUES (…);     each resident touched, as at `to`
//! DELETE FROM code_pools; INSERT INTO code_pools …;     the small tables, whole, as at `to`
//! INSERT OR REPLACE INTO meta …;                        the counts
//! COMMIT;
//! ```

use super::bulk::{self, META_CURRENT, META_TOTAL};
use super::{SqliteStore, SqliteTxn};
use crate::engine::{self, IndexRow};
use crate::{CodesAfterRestore, SegmentSummary, StoreError};
use juki_domain::ResidentCode;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::io::Write;

/// A segment's first line begins so, followed by `after=A to=T entries=N
/// last_recorded_at_ms=M|none`.
const HEADER: &str = "-- juki journal segment ";
/// Each journal entry of a segment is one statement beginning so, its sequence the first value.
pub const JOURNAL_LINE: &str = "INSERT INTO journal ";
/// Tables written whole at the end of a segment: small, and changed in place.
pub const WHOLE_TABLES: [&str; 4] = ["code_pools", "links", "links_in", "epochs"];

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io(format!("writing a journal segment: {e}"))
}

/// Writes a segment's first line, which [`segment_summary`] reads.
pub fn write_header(out: &mut dyn Write, s: &SegmentSummary) -> Result<(), StoreError> {
    let last = s
        .last_recorded_at_ms
        .map_or("none".to_string(), |m| m.to_string());
    writeln!(
        out,
        "{HEADER}after={} to={} entries={} last_recorded_at_ms={last}",
        s.after, s.to, s.entries
    )
    .map_err(io)
}

/// Reads a segment's first line.
pub fn segment_summary(sql: &str) -> Result<SegmentSummary, StoreError> {
    let bad = |why: &str| StoreError::Corrupt(format!("not a juki journal segment: {why}"));
    let line = sql.lines().next().unwrap_or_default();
    let fields = line.strip_prefix(HEADER).ok_or_else(|| bad("no header"))?;
    let mut s = SegmentSummary::default();
    for field in fields.split_whitespace() {
        let (key, value) = field.split_once('=').ok_or_else(|| bad(field))?;
        let number = || value.parse::<u64>().map_err(|_| bad(field));
        match key {
            "after" => s.after = number()?,
            "to" => s.to = number()?,
            "entries" => s.entries = number()?,
            "last_recorded_at_ms" if value == "none" => s.last_recorded_at_ms = None,
            "last_recorded_at_ms" => {
                s.last_recorded_at_ms = Some(value.parse().map_err(|_| bad(field))?)
            }
            _ => {}
        }
    }
    if s.to < s.after || s.to - s.after != s.entries {
        return Err(bad("its header does not add up"));
    }
    Ok(s)
}

/// The column names of `table`, in their order.
fn columns(conn: &Connection, table: &str) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = st
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

/// Writes `verb (cols) VALUES (…);` for each row of `table` the `filter` selects, rendered by
/// SQLite's `quote()`; `first` leads the column list when given.
fn write_rows(
    conn: &Connection,
    out: &mut dyn Write,
    verb: &str,
    table: &str,
    first: Option<&str>,
    filter: &str,
    param: i64,
) -> Result<(), StoreError> {
    let mut cols = columns(conn, table)?;
    if let Some(f) = first {
        cols.retain(|c| c != f);
        cols.insert(0, f.to_string());
    }
    let values = cols
        .iter()
        .map(|c| format!("quote(\"{c}\")"))
        .collect::<Vec<_>>()
        .join(" || ',' || ");
    let query = format!(
        "SELECT '{verb} {table} ({}) VALUES (' || {values} || ');' FROM {table} {filter}",
        cols.join(", ")
    );
    let mut st = conn.prepare(&query)?;
    let mut rows = if filter.contains("?1") {
        st.query([param])?
    } else {
        st.query([])?
    };
    while let Some(row) = rows.next()? {
        let line: String = row.get(0)?;
        writeln!(out, "{line}").map_err(io)?;
    }
    Ok(())
}

impl SqliteStore {
    pub(super) fn export(
        &self,
        after: u64,
        out: &mut dyn Write,
    ) -> Result<SegmentSummary, StoreError> {
        self.with_reader(|conn| {
            // One read transaction: every part of the segment is the same committed state.
            let tx = conn.unchecked_transaction()?;
            let (entries, to): (i64, i64) = tx.query_row(
                "SELECT count(*), coalesce(max(seq), ?1) FROM journal WHERE seq > ?1",
                [after as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let last_ms: Option<i64> = tx
                .query_row(
                    "SELECT recorded_at_ms FROM journal WHERE seq = ?1 AND seq > ?2",
                    [to, after as i64],
                    |r| r.get(0),
                )
                .optional()?;
            let summary = SegmentSummary {
                after,
                to: to as u64,
                entries: entries as u64,
                last_recorded_at_ms: last_ms,
            };
            write_header(out, &summary)?;
            writeln!(out, "BEGIN;").map_err(io)?;
            let a = after as i64;
            write_rows(&tx, out, "INSERT INTO", "journal", Some("seq"), "WHERE seq > ?1 ORDER BY seq", a)?;
            write_rows(
                &tx,
                out,
                "INSERT OR REPLACE INTO",
                "residents",
                None,
                "WHERE resident_code IN (SELECT resident_code FROM journal WHERE seq > ?1 \
                 UNION SELECT previous_code FROM journal WHERE seq > ?1 AND previous_code IS NOT NULL) \
                 ORDER BY resident_code",
                a,
            )?;
            for table in WHOLE_TABLES {
                writeln!(out, "DELETE FROM {table};").map_err(io)?;
                write_rows(&tx, out, "INSERT INTO", table, None, "", 0)?;
            }
            let meta = format!("WHERE key IN ('{META_CURRENT}', '{META_TOTAL}') ORDER BY key");
            write_rows(&tx, out, "INSERT OR REPLACE INTO", "meta", None, &meta, 0)?;
            writeln!(out, "COMMIT;").map_err(io)?;
            out.flush().map_err(io)?;
            Ok(summary)
        })
    }

    /// Applies a segment written by [`crate::Store::export_segment`] to this store, which must
    /// be at the segment's `after`: the whole segment, or with `upto = Some(n)` (n inside the
    /// segment) only its entries up to `n`, after which the resident index is brought up to
    /// date ([`crate::Store::reindex_after`]). Returns what was applied (`to` is where the store
    /// now stands).
    pub fn apply_segment(
        &self,
        sql: &str,
        upto: Option<u64>,
    ) -> Result<SegmentSummary, StoreError> {
        let mut summary = segment_summary(sql)?;
        let mut conn = self.writer();
        bulk::catch_up(&mut conn)?;
        let head: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
            r.get(0)
        })?;
        if head as u64 != summary.after {
            return Err(StoreError::Io(format!(
                "the segment follows sequence {}, and this store ends at {head}",
                summary.after
            )));
        }
        let n = match upto {
            Some(n) if n < summary.to => n.max(summary.after),
            _ => {
                if let Err(e) = execute_statements(&conn, sql) {
                    if !conn.is_autocommit() {
                        conn.execute_batch("ROLLBACK")?;
                    }
                    return Err(e);
                }
                return Ok(summary);
            }
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut last = None;
        for_each_statement(sql, |statement| {
            if !statement.starts_with(JOURNAL_LINE) {
                return Ok(true);
            }
            let seq = line_seq(statement)?;
            if seq > n {
                return Ok(false);
            }
            tx.execute_batch(statement)?;
            last = Some(seq);
            Ok(true)
        })?;
        reindex(&tx, summary.after)?;
        tx.commit()?;
        summary.last_recorded_at_ms = match last {
            Some(seq) => conn
                .query_row(
                    "SELECT recorded_at_ms FROM journal WHERE seq = ?1",
                    [seq as i64],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        summary.entries = n - summary.after;
        summary.to = n;
        Ok(summary)
    }

    pub(super) fn new_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError> {
        let mut conn = self.writer();
        bulk::catch_up(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
            r.get(0)
        })?;
        let epoch: i64 =
            tx.query_row("SELECT coalesce(max(epoch), 1) + 1 FROM epochs", [], |r| {
                r.get(0)
            })?;
        tx.execute(
            "INSERT INTO epochs (epoch, first_seq) VALUES (?1, ?2)",
            params![epoch, head + 1],
        )?;
        tx.execute("UPDATE links SET acked_seq = 0", [])?;
        tx.execute("DELETE FROM links_in", [])?;
        match codes {
            CodesAfterRestore::Abandon => {
                tx.execute("UPDATE code_pools SET next_body = end_body", [])?;
            }
            CodesAfterRestore::SkipAhead(n) => {
                tx.execute(
                    "UPDATE code_pools SET next_body = min(end_body, next_body + ?1)",
                    [i64::try_from(n).unwrap_or(i64::MAX)],
                )?;
            }
        }
        tx.commit()?;
        Ok(epoch as u64)
    }

    pub(super) fn reindex_journal_after(&self, after: u64) -> Result<u64, StoreError> {
        let mut conn = self.writer();
        bulk::catch_up(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let written = reindex(&tx, after)?;
        tx.commit()?;
        Ok(written)
    }
}

/// Executes a segment's statements one at a time. A segment writes one statement per line; a
/// value holding a line break continues it on the next (a statement ends at a `;` that ends a
/// line outside a quoted value: values are quoted by SQLite's `quote()`, which doubles a quote
/// inside one, so a complete statement holds an even number of them). Handing the whole text to
/// SQLite at once would cost time quadratic in its length: SQLite copies the rest of the text
/// for every statement it prepares from it.
fn execute_statements(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    for_each_statement(sql, |statement| {
        conn.execute_batch(statement)?;
        Ok(true)
    })
}

/// Calls `f` with each statement of a segment, in order, while it answers true.
pub fn for_each_statement(
    sql: &str,
    mut f: impl FnMut(&str) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let mut statement = String::new();
    let mut quotes = 0usize;
    for line in sql.lines() {
        if statement.is_empty() && (line.starts_with("--") || line.trim().is_empty()) {
            continue;
        }
        if !statement.is_empty() {
            statement.push('\n');
        }
        statement.push_str(line);
        quotes += line.matches('\'').count();
        if !line.ends_with(';') || quotes % 2 == 1 {
            continue;
        }
        if !f(&statement)? {
            return Ok(());
        }
        statement.clear();
        quotes = 0;
    }
    if statement.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Corrupt(
            "a journal segment ends inside a statement".into(),
        ))
    }
}

/// The sequence of a segment's journal line: the first value.
pub fn line_seq(line: &str) -> Result<u64, StoreError> {
    line.split_once(" VALUES (")
        .and_then(|(_, rest)| rest.split(',').next())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| StoreError::Corrupt("a journal line of a segment has no sequence".into()))
}

/// Brings the resident index, its counts and the code pools up to date with the journal rows
/// after `after`, inside `tx`.
fn reindex(tx: &rusqlite::Transaction<'_>, after: u64) -> Result<u64, StoreError> {
    let mut st = tx.prepare(
        "SELECT seq, resident_code, previous_code, status, \
                origin_seq IS NOT NULL AND prev_seq IS NULL \
         FROM journal WHERE seq > ?1 ORDER BY seq",
    )?;
    let rows = st
        .query_map([after as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(st);
    let mut index = Vec::with_capacity(rows.len());
    for (seq, code, previous, status, forwarded) in rows {
        index.push(IndexRow {
            seq: seq as u64,
            resident_code: super::rows::resident_code(code)?,
            previous_code: previous.map(super::rows::resident_code).transpose()?,
            status: crate::codec::status(&status)?,
            forwarded,
        });
    }
    let mut txn = SqliteTxn::new(tx, None);
    let written = engine::reindex(&mut txn, &index)?;
    txn.finish()?;
    advance_pools(tx, index.iter().flat_map(IndexRow::codes))?;
    Ok(written)
}

/// Moves each code pool past any of `codes` it holds unassigned (a restored or recovered
/// entry may use a code the pool would otherwise hand out again).
pub(super) fn advance_pools(
    tx: &rusqlite::Transaction<'_>,
    codes: impl Iterator<Item = ResidentCode>,
) -> Result<(), StoreError> {
    let mut st = tx.prepare_cached(
        "UPDATE code_pools SET next_body = ?1 + 1 \
         WHERE start_body <= ?1 AND ?1 < end_body AND next_body <= ?1",
    )?;
    for code in codes {
        st.execute([code.body() as i64])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::execute_statements;

    #[test]
    fn statements_run_one_by_one_and_a_value_may_hold_a_line_break() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let sql = "-- a comment\nBEGIN;\nCREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('a;\nb;');\n\
                   INSERT INTO t VALUES ('c');\nCOMMIT;\n";
        execute_statements(&conn, sql).unwrap();
        let xs: Vec<String> = conn
            .prepare("SELECT x FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(xs, ["a;\nb;", "c"]);
        let cut = "BEGIN;\nINSERT INTO t VALUES ('d');\nINSERT INTO t VALUES ('e";
        assert!(execute_statements(&conn, cut).is_err());
    }
}

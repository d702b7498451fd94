//! Journal segments of a PostgreSQL store: the journal after a sequence as plain SQL in the
//! layout the SQLite store writes (docs/backup.md, "Journal segments"), which `psql` applies to
//! a copy of the store at that sequence, and the store's side of a restore: applying a
//! segment, whole or up to a sequence.
//!
//! Values are rendered by PostgreSQL in the one form both engines read alike: integers bare,
//! every other value a standard SQL string literal (`'…'`, a quote doubled inside). Rows of the
//! resident index and the counts are written as upserts (`ON CONFLICT … DO UPDATE`), and the
//! first statement after `BEGIN` sets the schema, so that the segment applies in the node's
//! schema whatever the session's search path.

use crate::rows::{self, get};
use crate::txn::{self, PgTxn};
use crate::{Conn, Db, PgStore, Statements, advance_pools};
use juki_store::segment::{
    JOURNAL_LINE, WHOLE_TABLES, for_each_statement, line_seq, segment_summary, write_header,
};
use juki_store::{SegmentSummary, StoreError, engine};
use postgres::Transaction;
use std::io::Write;

/// Statements sent to the server at once while a segment is applied (one round trip each).
const BATCH_BYTES: usize = 1 << 20;

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io(format!("writing a journal segment: {e}"))
}

/// The SQL expression that renders column `c` of type `data_type` as a literal.
fn literal(c: &str, data_type: &str) -> String {
    match data_type {
        "bigint" | "integer" | "smallint" => format!("coalesce(\"{c}\"::text, 'NULL')"),
        _ => format!(
            "CASE WHEN \"{c}\" IS NULL THEN 'NULL' \
             ELSE '''' || replace(\"{c}\"::text, '''', '''''') || '''' END"
        ),
    }
}

/// Writes one statement per row of `table` the `filter` selects: `INSERT INTO table (cols)
/// VALUES (…)`, followed by `tail` (an upsert's conflict clause) when given.
fn write_rows(
    tx: &mut Transaction<'_>,
    out: &mut dyn Write,
    table: &str,
    filter: &str,
    after: i64,
    upsert_on: Option<&str>,
) -> Result<(), StoreError> {
    let columns = tx
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .db()?;
    let cols: Vec<(String, String)> = columns
        .iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
        .collect::<Result<_, StoreError>>()?;
    let names = cols
        .iter()
        .map(|(c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let values = cols
        .iter()
        .map(|(c, t)| literal(c, t))
        .collect::<Vec<_>>()
        .join(" || ',' || ");
    let tail = match upsert_on {
        Some(key) => {
            let sets = cols
                .iter()
                .filter(|(c, _)| c != key)
                .map(|(c, _)| format!("{c} = EXCLUDED.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(" ON CONFLICT ({key}) DO UPDATE SET {sets}")
        }
        None => String::new(),
    };
    let query = format!(
        "SELECT 'INSERT INTO {table} ({names}) VALUES (' || {values} || '){tail};' FROM {table} {filter}"
    );
    let rows = if filter.contains("$1") {
        tx.query(&query, &[&after]).db()?
    } else {
        tx.query(&query, &[]).db()?
    };
    for row in &rows {
        let line: String = get(row, 0)?;
        writeln!(out, "{line}").map_err(io)?;
    }
    Ok(())
}

impl PgStore {
    /// [`juki_store::Store::export_segment`]: one read transaction that sees one snapshot, so
    /// every part of the segment is the same committed state.
    pub(crate) fn export(
        &self,
        after: u64,
        out: &mut dyn Write,
    ) -> Result<SegmentSummary, StoreError> {
        self.read(|tx, _| {
            let a = after as i64;
            let row = tx
                .query_one(
                    "SELECT count(*), coalesce(max(seq), $1) FROM journal WHERE seq > $1",
                    &[&a],
                )
                .db()?;
            let (entries, to): (i64, i64) = (get(&row, 0)?, get(&row, 1)?);
            let last_ms: Option<i64> = tx
                .query_opt(
                    "SELECT recorded_at_ms FROM journal WHERE seq = $1 AND seq > $2",
                    &[&to, &a],
                )
                .db()?
                .map(|r| get(&r, 0))
                .transpose()?;
            let summary = SegmentSummary {
                after,
                to: to as u64,
                entries: entries as u64,
                last_recorded_at_ms: last_ms,
            };
            write_header(out, &summary)?;
            writeln!(out, "BEGIN;").map_err(io)?;
            writeln!(out, "SET LOCAL search_path TO {};", self.schema).map_err(io)?;
            write_rows(tx, out, "journal", "WHERE seq > $1 ORDER BY seq", a, None)?;
            write_rows(
                tx,
                out,
                "residents",
                "WHERE resident_code IN (SELECT resident_code FROM journal WHERE seq > $1 \
                 UNION SELECT previous_code FROM journal WHERE seq > $1 AND previous_code IS NOT NULL) \
                 ORDER BY resident_code",
                a,
                Some("resident_code"),
            )?;
            for table in WHOLE_TABLES {
                writeln!(out, "DELETE FROM {table};").map_err(io)?;
                write_rows(tx, out, table, "", 0, None)?;
            }
            write_rows(
                tx,
                out,
                "meta",
                "WHERE key IN ('residents_current', 'residents_total') ORDER BY key",
                0,
                Some("key"),
            )?;
            writeln!(out, "COMMIT;").map_err(io)?;
            out.flush().map_err(io)?;
            Ok(summary)
        })
    }

    /// Applies a segment written by [`juki_store::Store::export_segment`] (by either store) to
    /// this store, which must be at the segment's `after`: the whole segment, or with `upto =
    /// Some(n)` (n inside the segment) only its entries up to `n`, after which the resident
    /// index is brought up to date from the journal. One transaction, holding the journal's
    /// lock. Returns what was applied (`to` is where the store now stands).
    pub fn apply_segment(
        &self,
        sql: &str,
        upto: Option<u64>,
    ) -> Result<SegmentSummary, StoreError> {
        let mut summary = segment_summary(sql)?;
        if sql.contains("INSERT OR REPLACE") {
            return Err(StoreError::Corrupt(
                "this segment was written by a SQLite store; a PostgreSQL store applies its own"
                    .into(),
            ));
        }
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let (mut tx, head) = txn::begin(client)?;
        if head != summary.after {
            return Err(StoreError::Io(format!(
                "the segment follows sequence {}, and this store ends at {head}",
                summary.after
            )));
        }
        let cut = upto
            .filter(|&n| n < summary.to)
            .map(|n| n.max(summary.after));
        let mut batch = String::new();
        let mut last = None;
        for_each_statement(sql, |statement| {
            // The segment's own transaction and schema are this one's.
            if statement == "BEGIN;"
                || statement == "COMMIT;"
                || statement.starts_with("SET LOCAL search_path")
            {
                return Ok(true);
            }
            if let Some(n) = cut {
                if !statement.starts_with(JOURNAL_LINE) {
                    return Ok(true);
                }
                let seq = line_seq(statement)?;
                if seq > n {
                    return Ok(false);
                }
                last = Some(seq);
            }
            batch.push_str(statement);
            batch.push('\n');
            if batch.len() >= BATCH_BYTES {
                tx.batch_execute(&batch).db()?;
                batch.clear();
            }
            Ok(true)
        })?;
        if !batch.is_empty() {
            tx.batch_execute(&batch).db()?;
        }
        let Some(n) = cut else {
            tx.commit().db()?;
            return Ok(summary);
        };
        reindex(&mut tx, statements, n, summary.after)?;
        summary.last_recorded_at_ms = match last {
            Some(seq) => tx
                .query_opt(
                    "SELECT recorded_at_ms FROM journal WHERE seq = $1",
                    &[&(seq as i64)],
                )
                .db()?
                .map(|r| get(&r, 0))
                .transpose()?,
            None => None,
        };
        tx.commit().db()?;
        summary.entries = n - summary.after;
        summary.to = n;
        Ok(summary)
    }
}

/// Recomputes the resident index and the counts for every resident touched by a journal entry
/// after `after`, from the journal alone, and moves the code pools past the codes those entries
/// use, inside `tx`, whose journal ends at `head`. Returns how many residents it wrote.
pub(crate) fn reindex(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    head: u64,
    after: u64,
) -> Result<u64, StoreError> {
    let rows = tx
        .query(
            "SELECT seq, resident_code, previous_code, status, \
                    origin_seq IS NOT NULL AND prev_seq IS NULL \
             FROM journal WHERE seq > $1 ORDER BY seq",
            &[&(after as i64)],
        )
        .db()?;
    let index = rows
        .iter()
        .map(rows::index_row)
        .collect::<Result<Vec<_>, _>>()?;
    let mut txn = PgTxn::new(tx, statements, head, None);
    let written = engine::reindex(&mut txn, &index)?;
    txn.finish()?;
    advance_pools(tx, index.iter().flat_map(engine::IndexRow::codes))?;
    Ok(written)
}

//! The store's side of journal backups: a segment of the journal written to a file, a segment
//! applied to a restored store (up to a sequence), the sequence a time maps to, a new epoch,
//! and the digest a restore drill compares.

use crate::{BackupError, Result};
use juki_domain::catalogue::BAK_SEGMENT;
use juki_store::{
    CodesAfterRestore, JOURNAL_LIMIT_MAX, JournalEntry, SegmentSummary, SqliteOptions, SqliteStore,
    Store,
};
use std::path::{Path, PathBuf};

pub(crate) fn segment_err(what: impl std::fmt::Display) -> BackupError {
    BackupError::new(&BAK_SEGMENT, what.to_string())
}

/// Opens the store of a data directory (a serving node's too: the store is in WAL mode and
/// the export is one read transaction).
pub fn open_store(store_db: &Path) -> Result<SqliteStore> {
    SqliteStore::open(store_db, SqliteOptions::default())
        .map_err(|e| segment_err(format!("{}: {e}", store_db.display())))
}

/// The file name of a segment in a journal snapshot: `<after+1>-<to>.sql`.
pub fn segment_file_name(after: u64, to: u64) -> String {
    format!("{}-{to}.sql", after + 1)
}

/// Writes the journal after `after` into `dir` as `<after+1>-<to>.sql`. Returns the summary
/// and the file, or no file when nothing was recorded after `after`.
pub fn export(
    store: &dyn Store,
    after: u64,
    dir: &Path,
) -> Result<(SegmentSummary, Option<PathBuf>)> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(|e| segment_err(format!("{}: {e}", dir.display())))?;
    let partial = dir.join("segment.sql.partial");
    let io = |e: std::io::Error| segment_err(format!("{}: {e}", partial.display()));
    let file = std::fs::File::create(&partial).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let summary = store
        .export_segment(after, &mut out)
        .map_err(|e| segment_err(format!("export after seq {after}: {e}")))?;
    out.flush().map_err(io)?;
    drop(out);
    if summary.entries == 0 {
        std::fs::remove_file(&partial).map_err(io)?;
        return Ok((summary, None));
    }
    let path = dir.join(segment_file_name(summary.after, summary.to));
    std::fs::rename(&partial, &path).map_err(io)?;
    Ok((summary, Some(path)))
}

/// Applies a segment to the restored store, the whole of it or its entries up to `upto`.
pub fn apply(store: &SqliteStore, sql: &str, upto: Option<u64>) -> Result<SegmentSummary> {
    named(sql, store.apply_segment(sql, upto))
}

/// Applies a segment to a restored store on PostgreSQL, as [`apply`] does.
pub fn apply_postgres(
    store: &juki_store_pg::PgStore,
    sql: &str,
    upto: Option<u64>,
) -> Result<SegmentSummary> {
    named(sql, store.apply_segment(sql, upto))
}

/// A failed application, named by the segment's sequences.
fn named(
    sql: &str,
    applied: std::result::Result<SegmentSummary, juki_store::StoreError>,
) -> Result<SegmentSummary> {
    applied.map_err(|e| {
        let head = juki_store::segment_summary(sql)
            .map(|s| format!("segment after seq {} to {}", s.after, s.to))
            .unwrap_or_else(|_| "segment".into());
        segment_err(format!("{head}: {e}"))
    })
}

/// The highest sequence among a segment's entries recorded at or before `t_ms` (None: none
/// was). The journal rows are read by SQLite itself from the segment's `INSERT INTO journal`
/// lines, into a table of the columns they name.
pub fn last_at_or_before(sql: &str, t_ms: i64) -> Result<Option<u64>> {
    let conn = rusqlite::Connection::open_in_memory().map_err(segment_err)?;
    let mut created = false;
    for line in sql.lines() {
        let Some(rest) = line.strip_prefix("INSERT INTO journal (") else {
            continue;
        };
        if !created {
            let columns = rest
                .split_once(") VALUES")
                .map(|(c, _)| c)
                .ok_or_else(|| segment_err("a journal line names no columns"))?;
            conn.execute_batch(&format!("CREATE TABLE journal ({columns});"))
                .map_err(segment_err)?;
            created = true;
        }
        conn.execute_batch(line).map_err(segment_err)?;
    }
    if !created {
        return Ok(None);
    }
    max_seq_at_or_before(&conn, t_ms)
}

fn max_seq_at_or_before(conn: &rusqlite::Connection, t_ms: i64) -> Result<Option<u64>> {
    let seq: Option<i64> = conn
        .query_row(
            "SELECT max(seq) FROM journal WHERE recorded_at_ms <= ?1",
            [t_ms],
            |r| r.get(0),
        )
        .map_err(segment_err)?;
    Ok(seq.and_then(|s| u64::try_from(s).ok()))
}

/// The restored store begins a new epoch (its unused codes given up or skipped).
pub fn begin_epoch(store: &SqliteStore, codes: CodesAfterRestore) -> Result<u64> {
    store
        .begin_epoch(codes)
        .map_err(|e| segment_err(format!("a new epoch: {e}")))
}

/// The entry at `seq`, if the store holds it.
pub fn entry(store: &dyn Store, seq: u64) -> Result<Option<JournalEntry>> {
    let found = store
        .journal_after(seq.saturating_sub(1), 1)
        .map_err(segment_err)?;
    Ok(found.into_iter().find(|e| e.seq == seq))
}

/// SHA-256 over the journal's entries 1..=`upto`, in sequence order, each in the encoding of
/// [`encode`]. Fails when the store does not hold every entry up to `upto`.
pub fn digest(store: &dyn Store, upto: u64) -> Result<[u8; 32]> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut at = 0u64;
    let mut buf = Vec::new();
    while at < upto {
        let limit = usize::try_from(upto - at)
            .unwrap_or(usize::MAX)
            .min(JOURNAL_LIMIT_MAX);
        let page = store.journal_after(at, limit).map_err(segment_err)?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            if e.seq != at + 1 {
                return Err(segment_err(format!("the journal has no seq {}", at + 1)));
            }
            buf.clear();
            encode(e, &mut buf)?;
            ctx.update(&buf);
            at = e.seq;
        }
    }
    if at < upto {
        return Err(segment_err(format!(
            "the journal ends at seq {at}, before {upto}"
        )));
    }
    let d = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    Ok(out)
}

/// One entry as the digest reads it: every field, each as its stored text preceded by its
/// length (8 bytes, little-endian), an absent field as length `u64::MAX`; the record's
/// identity and local fields as the store's snapshot JSON (juki_store::codec).
pub fn encode(e: &JournalEntry, out: &mut Vec<u8>) -> Result<()> {
    fn field(out: &mut Vec<u8>, v: Option<&str>) {
        match v {
            Some(s) => {
                out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            None => out.extend_from_slice(&u64::MAX.to_le_bytes()),
        }
    }
    let text = |v: &dyn std::fmt::Display| v.to_string();
    field(out, Some(&text(&e.seq)));
    field(out, Some(&text(&e.recorded_by)));
    field(out, Some(&text(&e.origin.epoch)));
    field(out, Some(&text(&e.origin.seq)));
    field(out, Some(&e.record_id));
    field(out, Some(e.kind.ja()));
    field(out, Some(&text(&e.effective_date)));
    field(out, e.notified_date.map(|d| d.to_string()).as_deref());
    field(out, e.planned_date.map(|d| d.to_string()).as_deref());
    field(out, Some(&text(&e.recorded_at_ms)));
    field(out, Some(&text(&e.resident_code)));
    field(out, e.previous_code.map(|c| c.to_string()).as_deref());
    field(out, e.prev_seq.map(|s| s.to_string()).as_deref());
    field(out, Some(e.status.as_str()));
    field(out, Some(&text(&e.facts.birth_date)));
    field(out, Some(e.facts.sex.as_str()));
    let destination = e.destination.as_ref();
    field(
        out,
        destination
            .and_then(|d| d.code)
            .map(|c| c.to_string())
            .as_deref(),
    );
    field(out, destination.map(|d| d.address.as_str()));
    let mut snapshot = Vec::new();
    juki_store::codec::write_snapshot(&mut snapshot, &e.facts, &e.local).map_err(segment_err)?;
    field(out, Some(&String::from_utf8_lossy(&snapshot)));
    Ok(())
}

/// Lower-case hex of a digest.
pub fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

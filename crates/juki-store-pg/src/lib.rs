//! The PostgreSQL store: what a prefecture or the national centre runs in production.
//!
//! It implements [`Store`] by providing [`juki_store::engine::Txn`] over a PostgreSQL
//! transaction, so the rules of applying a change are the engine's, as for the SQLite store;
//! the conformance suite runs against both. The tables mirror the SQLite store's, in one
//! schema per node (the connections' `search_path`), created with the schema's migrations on
//! first open.
//!
//! Connections come from a bounded pool ([`PgOptions::pool_max`]) with a short acquire
//! timeout: while the server is down, a call fails within that time with
//! [`StoreError::Unreachable`] (JK-STORE-0106) instead of hanging, and the pool reconnects
//! once the server is back (each connection is checked as it is taken). Statements are
//! prepared once per connection. A bulk load into a new store sends each batch with binary
//! `COPY` from a thread of its own while the engine works out the next ([`pipe`]), and builds
//! the journal's secondary indexes once at the end.

mod pipe;
mod rows;
mod schema;
mod segment;
mod txn;

use juki_domain::{LocalGovernmentCode, ResidentCode, ValidatedChange};
use juki_store::engine::{self, EntryMeta, HISTORY_ENTRIES_MAX};
use juki_store::{
    BulkSummary, CodePool, CodesAfterRestore, JOURNAL_LIMIT_MAX, JournalEntry, LinkFrom, Outcome,
    Received, Recovered, ResidentView, SEARCH_LIMIT_MAX, SearchHit, SearchQuery, SegmentSummary,
    Store, StoreError, StoreStats,
};
use postgres::error::SqlState;
use postgres::{Client, NoTls, Statement, Transaction};
use rows::get;
use std::collections::HashMap;
use std::time::Duration;
use txn::{Bulk, PgTxn};

/// Tuning of a PostgreSQL store.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Connections open at most.
    pub pool_max: u32,
    /// How long a call waits for a connection (a free one, or a new one to a server that
    /// answers) before failing with [`StoreError::Unreachable`].
    pub acquire_timeout_ms: u64,
    /// How long opening one connection may take.
    pub connect_timeout_ms: u64,
}

impl Default for PgOptions {
    fn default() -> PgOptions {
        PgOptions {
            pool_max: 16,
            // Long enough for a server on a busy machine to accept a connection, short enough
            // that a request fails well before a client's own timeout while it is down.
            acquire_timeout_ms: 5_000,
            connect_timeout_ms: 3_000,
        }
    }
}

/// Converts the client's errors: a server that does not answer is [`StoreError::Unreachable`].
pub(crate) trait Db<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> Db<T> for Result<T, postgres::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(error)
    }
}

fn error(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let message = format!("{}: {}", db.code().code(), db.message());
        let code = db.code();
        return if *code == SqlState::DISK_FULL {
            StoreError::DiskFull
        } else if [
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ]
        .contains(code)
        {
            StoreError::Busy
        } else if [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::READ_ONLY_SQL_TRANSACTION,
        ]
        .contains(code)
            || code.code().starts_with("08")
        {
            // Read-only: a standby answered (a failover is under way).
            StoreError::Unreachable(message)
        } else {
            StoreError::Io(message)
        };
    }
    let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || io {
        StoreError::Unreachable(e.to_string())
    } else {
        StoreError::Io(e.to_string())
    }
}

/// Statements prepared on one connection, by their text.
#[derive(Default)]
pub(crate) struct Statements(HashMap<String, Statement>);

impl Statements {
    /// The statement `sql`, prepared on this connection the first time.
    pub(crate) fn get(
        &mut self,
        client: &mut impl postgres::GenericClient,
        sql: &str,
    ) -> Result<Statement, StoreError> {
        if let Some(st) = self.0.get(sql) {
            return Ok(st.clone());
        }
        let st = client.prepare(sql).db()?;
        self.0.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

/// A pooled connection with its prepared statements.
pub(crate) struct Conn {
    client: Client,
    statements: Statements,
}

impl Conn {
    fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let st = self.statements.get(&mut self.client, sql)?;
        self.client.query(&st, params).db()
    }
}

struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.config.connect(NoTls)?,
            statements: Statements::default(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

/// The pool's errors go to the caller (as [`StoreError::Unreachable`]), not to a log.
#[derive(Debug)]
struct Quiet;

impl r2d2::HandleError<postgres::Error> for Quiet {
    fn handle_error(&self, _: postgres::Error) {}
}

/// Whether `name` may name a node's schema: lower-case ASCII letters, digits and `_`, not
/// starting with a digit, at most 63 bytes (PostgreSQL's limit), so that it needs no quoting.
pub fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

fn config_of(url: &str, options: &PgOptions) -> Result<postgres::Config, StoreError> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Io(format!("the store URL {url}: {e}")))?;
    config.connect_timeout(Duration::from_millis(options.connect_timeout_ms));
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    config.application_name("juki");
    Ok(config)
}

/// Creates the database `url` names unless it exists, connecting to the server's `postgres`
/// database to do so. Returns whether it created it.
pub fn create_database(url: &str) -> Result<bool, StoreError> {
    let options = PgOptions::default();
    let config = config_of(url, &options)?;
    let name = config
        .get_dbname()
        .ok_or_else(|| StoreError::Io(format!("the store URL {url} names no database")))?
        .to_string();
    let mut admin = config.clone();
    admin.dbname("postgres");
    let mut client = admin.connect(NoTls).db()?;
    let exists = !client
        .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .db()?
        .is_empty();
    if exists {
        return Ok(false);
    }
    let quoted = name.replace('"', "\"\"");
    match client.batch_execute(&format!("CREATE DATABASE \"{quoted}\"")) {
        Ok(()) => Ok(true),
        // Another process created it meanwhile.
        Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => Ok(false),
        Err(e) => Err(error(e)),
    }
}

/// The PostgreSQL implementation of [`Store`].
pub struct PgStore {
    /// None only while being dropped.
    pool: Option<r2d2::Pool<Manager>>,
    schema: String,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing a connection blocks on the client's own runtime, which panics on a thread
        // that drives an async runtime (a node drops its store there when it stops): close
        // them on a thread of their own.
        if let Some(pool) = self.pool.take()
            && let Ok(closer) = std::thread::Builder::new()
                .name("juki-pg-close".into())
                .spawn(move || drop(pool))
        {
            let _ = closer.join();
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Opens the store in schema `schema` of the database `url` names (a
    /// `postgres://user@host:port/db` URL or a `key=value` string), creating the schema if
    /// absent and bringing it up to date.
    pub fn open(url: &str, schema: &str, options: PgOptions) -> Result<PgStore, StoreError> {
        if !valid_schema_name(schema) {
            return Err(StoreError::Io(format!(
                "invalid schema name {schema:?}: use a-z, 0-9 and _"
            )));
        }
        let mut config = config_of(url, &options)?;
        config.options(&format!("-c search_path={schema}"));
        let mut client = config.connect(NoTls).db()?;
        migrate(&mut client, schema)?;
        drop(client);
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_max.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_millis(options.acquire_timeout_ms.max(1)))
            .error_handler(Box::new(Quiet))
            .build(Manager { config })
            .map_err(|e| StoreError::Unreachable(e.to_string()))?;
        Ok(PgStore {
            pool: Some(pool),
            schema: schema.to_string(),
        })
    }

    /// The schema this store lives in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.pool
            .as_ref()
            .ok_or_else(|| StoreError::Unreachable("the store is closing".into()))?
            .get()
            .map_err(|e| StoreError::Unreachable(e.to_string()))
    }

    /// Runs `f` in a writing transaction (holding the journal's lock) and commits.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut PgTxn<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let (mut tx, head) = txn::begin(client)?;
        let mut txn = PgTxn::new(&mut tx, statements, head, None);
        let out = f(&mut txn)?;
        txn.finish()?;
        tx.commit().db()?;
        Ok(out)
    }

    /// Runs `f` in a read-only transaction that sees one snapshot.
    fn read<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>, &mut Statements) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .db()?;
        let out = f(&mut tx, statements)?;
        tx.commit().db()?;
        Ok(out)
    }
}

/// A bulk load into a new store, its connection on a thread of its own ([`pipe`]).
struct Piped<'a> {
    node: LocalGovernmentCode,
    now_ms: i64,
    summary: &'a mut BulkSummary,
    on_batch: &'a mut dyn FnMut(&[Outcome]),
}

impl Piped<'_> {
    /// Loads `batches` into the store on `client`, whose journal's head is `head`.
    fn run(
        &mut self,
        client: &mut Client,
        statements: &mut Statements,
        mut head: u64,
        batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
    ) -> Result<(), StoreError> {
        let (link, cmds, replies) = pipe::channels();
        std::thread::scope(|s| {
            let server = std::thread::Builder::new()
                .name("juki-pg-load".into())
                .spawn_scoped(s, move || pipe::serve(client, statements, cmds, replies))
                .map_err(|e| StoreError::Io(format!("a thread for the load: {e}")))?;
            // Outcomes of the batches sent and not yet seen committed, oldest first.
            let mut waiting = std::collections::VecDeque::new();
            let loaded = || -> Result<(), StoreError> {
                let mut bulk = Bulk::new(true);
                for batch in batches {
                    // At most two batches uncommitted: the server takes one while the engine
                    // works out the next.
                    if waiting.len() == 2 {
                        self.committed(&link, &mut waiting)?;
                    }
                    link.begin(head)?;
                    let mut txn = PgTxn::piped(&link, head, &mut bulk);
                    let outcomes = batch
                        .iter()
                        .map(|c| engine::apply_one(&mut txn, self.node, self.now_ms, c))
                        .collect::<Result<Vec<_>, _>>()?;
                    head = txn.head();
                    txn.finish()?;
                    link.commit()?;
                    waiting.push_back(outcomes);
                }
                while !waiting.is_empty() {
                    self.committed(&link, &mut waiting)?;
                }
                Ok(())
            };
            let loaded = loaded();
            // Closes the channel: the connection's thread ends (rolling back what it holds
            // uncommitted, after an error here).
            let closed = link.close();
            let served = server.join().unwrap_or_else(|_| {
                Err(StoreError::Io("the bulk load's connection panicked".into()))
            });
            // After an error, the batches committed before it are reported all the same.
            for _ in 0..closed.committed() {
                if let Some(outcomes) = waiting.pop_front() {
                    self.summary.count(&outcomes);
                    (self.on_batch)(&outcomes);
                }
            }
            // Its error first: the one here is then only that it stopped.
            served.and(loaded)
        })
    }

    /// Waits for the oldest batch waiting to commit, and reports it.
    fn committed(
        &mut self,
        link: &pipe::Link,
        waiting: &mut std::collections::VecDeque<Vec<Outcome>>,
    ) -> Result<(), StoreError> {
        link.committed()?;
        if let Some(outcomes) = waiting.pop_front() {
            self.summary.count(&outcomes);
            (self.on_batch)(&outcomes);
        }
        Ok(())
    }
}

impl PgStore {
    /// Builds the indexes a bulk load deferred and updates the planner's statistics, on
    /// `client` and at the same time on a second connection of the pool: the search index
    /// (the longest sort, its keys of three text columns) on one, with one worker of the
    /// server's to help once the other is done; the idempotency index and the statistics on
    /// the other. When the pool has no second connection to give, all on `client`.
    fn build_deferred(&self, client: &mut Client) -> Result<(), StoreError> {
        let [(_, idempotency), (_, search)] = schema::DEFERRABLE_INDEXES;
        let stats = ["ANALYZE journal", "ANALYZE residents"];
        // Sorting a million keys fits in this.
        let build = |client: &mut Client, workers: &str, sqls: &[&str]| {
            let mut tx = client.transaction().db()?;
            tx.batch_execute(&format!(
                "SET LOCAL maintenance_work_mem = '256MB'; {workers}"
            ))
            .db()?;
            for sql in sqls {
                tx.batch_execute(sql).db()?;
            }
            tx.commit().db()
        };
        let Ok(mut other) = self.conn() else {
            return build(client, "", &[idempotency, search, stats[0], stats[1]]);
        };
        std::thread::scope(|s| {
            let beside = s.spawn(|| {
                build(
                    &mut other.client,
                    "SET LOCAL max_parallel_maintenance_workers = 0",
                    &[idempotency, stats[0], stats[1]],
                )
            });
            let here = build(
                client,
                "SET LOCAL max_parallel_maintenance_workers = 1",
                &[search],
            );
            let beside = beside
                .join()
                .unwrap_or_else(|_| Err(StoreError::Io("an index build panicked".into())));
            here.and(beside)
        })
    }
}

fn migrate(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    let known = schema::MIGRATIONS.len() as i64;
    let mut tx = client.transaction().db()?;
    // Nodes opening the same schema at once migrate it one after the other.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('juki schema ' || $1))",
        &[&schema],
    )
    .db()?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path = {schema}; \
         CREATE TABLE IF NOT EXISTS schema_migrations (\
             version integer PRIMARY KEY, \
             applied_at timestamptz NOT NULL DEFAULT now())"
    ))
    .db()?;
    let found: i64 = get(
        &tx.query_one(
            "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations",
            &[],
        )
        .db()?,
        0,
    )?;
    if found > known {
        return Err(StoreError::SchemaNewer { found, known });
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).db()?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )
        .db()?;
    }
    // An interrupted bulk load may have left them out.
    for (_, sql) in schema::DEFERRABLE_INDEXES {
        tx.batch_execute(sql).db()?;
    }
    tx.commit().db()
}

/// The position acknowledged on a link into this node.
fn link_position<C: postgres::GenericClient>(
    tx: &mut C,
    statements: &mut Statements,
    from: &LinkFrom,
) -> Result<u64, StoreError> {
    let st = statements.get(
        tx,
        "SELECT acked_seq FROM links_in WHERE node = $1 AND epoch = $2",
    )?;
    let rows = tx.query(&st, &[&from.node, &(from.epoch as i64)]).db()?;
    Ok(rows
        .first()
        .map(|r| get::<i64>(r, 0))
        .transpose()?
        .unwrap_or(0) as u64)
}

/// This node's epochs, ascending.
fn read_epochs<C: postgres::GenericClient>(
    tx: &mut C,
    statements: &mut Statements,
) -> Result<Vec<(u64, u64)>, StoreError> {
    let st = statements.get(tx, "SELECT epoch, first_seq FROM epochs ORDER BY epoch")?;
    tx.query(&st, &[])
        .db()?
        .iter()
        .map(|r| Ok((get::<i64>(r, 0)? as u64, get::<i64>(r, 1)? as u64)))
        .collect()
}

/// Reads journal entry `seq`.
fn read_entry<C: postgres::GenericClient>(
    tx: &mut C,
    statements: &mut Statements,
    seq: u64,
    epochs: &[(u64, u64)],
) -> Result<JournalEntry, StoreError> {
    let st = statements.get(tx, &format!("{} WHERE j.seq = $1", rows::journal_select()))?;
    let rows = tx.query(&st, &[&(seq as i64)]).db()?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Corrupt(format!("journal entry {seq} missing")))?;
    rows::read_journal(row, epochs)
}

/// The forwarded entries about `code`.
fn forwarded_about<C: postgres::GenericClient>(
    tx: &mut C,
    statements: &mut Statements,
    code: ResidentCode,
) -> Result<Vec<EntryMeta>, StoreError> {
    let st = statements.get(tx, rows::ABOUT)?;
    let rows = tx.query(&st, &[&(code.get() as i64)]).db()?;
    if rows.len() > HISTORY_ENTRIES_MAX {
        return Err(StoreError::Corrupt(format!(
            "history of a resident longer than {HISTORY_ENTRIES_MAX}"
        )));
    }
    rows.iter().map(rows::read_meta).collect()
}

/// The whole history of `code` at an upper tier, newest first.
fn forwarded_history<C: postgres::GenericClient>(
    tx: &mut C,
    statements: &mut Statements,
    code: ResidentCode,
    epochs: &[(u64, u64)],
) -> Result<Vec<JournalEntry>, StoreError> {
    let seqs = engine::forwarded_seqs(code, &mut |c| forwarded_about(tx, statements, c))?;
    seqs.into_iter()
        .rev()
        .map(|seq| read_entry(tx, statements, seq, epochs))
        .collect()
}

impl Store for PgStore {
    fn apply(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        changes: &[ValidatedChange],
    ) -> Result<Vec<Outcome>, StoreError> {
        self.write(|txn| {
            changes
                .iter()
                .map(|c| engine::apply_one(txn, node, now_ms, c))
                .collect()
        })
    }

    fn bulk_load(
        &self,
        node: LocalGovernmentCode,
        now_ms: i64,
        batches: &mut dyn Iterator<Item = Vec<ValidatedChange>>,
        on_batch: &mut dyn FnMut(&[Outcome]),
    ) -> Result<BulkSummary, StoreError> {
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let mut summary = BulkSummary::default();
        let mut batches = batches.peekable();
        if batches.peek().is_none() {
            return Ok(summary);
        }
        // Into a new store (no journal, no residents), the deferred indexes go until the end.
        let (head, fresh) = {
            let (mut tx, head) = txn::begin(client)?;
            let residents: i64 = get(
                &tx.query_one(
                    "SELECT count(*) FROM (SELECT 1 FROM residents LIMIT 1) r",
                    &[],
                )
                .db()?,
                0,
            )?;
            let fresh = head == 0 && residents == 0;
            if fresh {
                for (name, _) in schema::DEFERRABLE_INDEXES {
                    tx.batch_execute(&format!("DROP INDEX IF EXISTS {name}"))
                        .db()?;
                }
                tx.commit().db()?;
            }
            (head, fresh)
        };
        if !fresh {
            let mut bulk = Bulk::new(false);
            for batch in batches {
                let (mut tx, head) = txn::begin(client)?;
                let mut txn = PgTxn::new(&mut tx, statements, head, Some(&mut bulk));
                let outcomes = batch
                    .iter()
                    .map(|c| engine::apply_one(&mut txn, node, now_ms, c))
                    .collect::<Result<Vec<_>, _>>()?;
                txn.finish()?;
                tx.commit().db()?;
                summary.count(&outcomes);
                on_batch(&outcomes);
            }
            return Ok(summary);
        }
        let mut load = Piped {
            node,
            now_ms,
            summary: &mut summary,
            on_batch,
        };
        let loaded = load.run(client, statements, head, &mut batches);
        // The deferred indexes are built whether or not the load went through: without the
        // idempotency index, later changes could not be checked for repeats.
        let started = std::time::Instant::now();
        self.build_deferred(client)?;
        summary.index_build_ms = started.elapsed().as_millis() as u64;
        loaded.map(|()| summary)
    }

    fn record(&self, code: ResidentCode) -> Result<Option<ResidentView>, StoreError> {
        // Without a transaction, as in the SQLite store: each statement sees what is
        // committed, and the journal entries read never change. One query brings the newest
        // entry, the resident's state and the node's epochs: a resident with one entry costs
        // one round trip after the pool's check.
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let tx = client;
        let st = statements.get(
            tx,
            &format!(
                "SELECT {}, r.status, r.last_seq, r.facts_seq, \
                 j.origin_seq IS NOT NULL AND j.prev_seq IS NULL, \
                 ARRAY(SELECT epoch FROM epochs ORDER BY epoch), \
                 ARRAY(SELECT first_seq FROM epochs ORDER BY epoch) \
                 FROM residents r JOIN journal j ON j.seq = r.last_seq WHERE r.resident_code = $1",
                rows::journal_columns()
            ),
        )?;
        let rows = tx.query(&st, &[&(code.get() as i64)]).db()?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let at = row.len() - 6;
        let state = rows::read_state(row, at)?;
        let forwarded: bool = get(row, at + 3)?;
        let (numbers, firsts): (Vec<i64>, Vec<i64>) = (get(row, at + 4)?, get(row, at + 5)?);
        let epochs: Vec<(u64, u64)> = numbers
            .into_iter()
            .zip(firsts)
            .map(|(e, f)| (e as u64, f as u64))
            .collect();
        let history = match forwarded {
            true => Some(forwarded_history(tx, statements, code, &epochs)?),
            false => None,
        };
        let mut newest = match forwarded {
            true => None,
            false => Some(rows::read_journal(row, &epochs)?),
        };
        engine::view(
            code,
            state,
            history,
            &mut |seq| match newest.take_if(|e| e.seq == seq) {
                Some(e) => Ok(e),
                None => read_entry(tx, statements, seq, &epochs),
            },
        )
        .map(Some)
    }

    fn residents(
        &self,
        codes: &[ResidentCode],
    ) -> Result<Vec<Option<juki_domain::StoredResident>>, StoreError> {
        let wanted: Vec<i64> = codes.iter().map(|c| c.get() as i64).collect();
        let mut conn = self.conn()?;
        // One round trip for the whole list.
        let rows = conn.query(
            &format!(
                "{} WHERE r.resident_code = ANY($1)",
                rows::resident_select()
            ),
            &[&wanted],
        )?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let r = rows::read_resident(row)?;
            found.insert(r.record.resident_code, r);
        }
        Ok(codes.iter().map(|c| found.get(c).cloned()).collect())
    }

    fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        let limit = q.limit.clamp(1, SEARCH_LIMIT_MAX) as i64;
        let mut conn = self.conn()?;
        let rows = conn.query(
            &format!(
                "{} WHERE j.search_key = $1 AND j.birth_date = $2 AND j.sex = $3 \
                 AND r.resident_code = j.resident_code \
                 AND ($4::bigint IS NULL OR (j.snapshot::jsonb ->> 5)::bigint = $4) \
                 AND ($5::text IS NULL OR starts_with(j.snapshot::jsonb ->> 6, $5)) \
                 AND ($6 OR r.status = 'current') AND r.resident_code > $7 \
                 ORDER BY r.resident_code LIMIT $8",
                rows::resident_select()
            ),
            &[
                &q.search_key,
                &q.birth_date.to_string(),
                &q.sex.as_str(),
                &q.address_code.map(|c| i64::from(c.get())),
                &q.address_prefix,
                &q.include_closed,
                &q.after.map_or(-1, |c| c.get() as i64),
                &limit,
            ],
        )?;
        rows.iter()
            .map(|r| {
                Ok(SearchHit {
                    resident: rows::read_resident(r)?,
                })
            })
            .collect()
    }

    fn journal_after(&self, after: u64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        let limit = limit.clamp(1, JOURNAL_LIMIT_MAX) as i64;
        self.read(|tx, statements| {
            let epochs = read_epochs(tx, statements)?;
            let st = statements.get(
                tx,
                &format!(
                    "{} WHERE j.seq > $1 ORDER BY j.seq LIMIT $2",
                    rows::journal_select()
                ),
            )?;
            tx.query(&st, &[&(after as i64), &limit])
                .db()?
                .iter()
                .map(|r| rows::read_journal(r, &epochs))
                .collect()
        })
    }

    fn receive(&self, from: &LinkFrom, entries: &[JournalEntry]) -> Result<Received, StoreError> {
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let (mut tx, head) = txn::begin(client)?;
        let acked = link_position(&mut tx, statements, from)?;
        let mut txn = PgTxn::new(&mut tx, statements, head, None);
        let received = engine::receive(&mut txn, acked, entries)?;
        txn.finish()?;
        let st = statements.get(
            &mut tx,
            "INSERT INTO links_in (node, epoch, acked_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (node, epoch) DO UPDATE SET acked_seq = excluded.acked_seq",
        )?;
        tx.execute(
            &st,
            &[&from.node, &(from.epoch as i64), &(received.acked as i64)],
        )
        .db()?;
        tx.commit().db()?;
        Ok(received)
    }

    fn received(&self, from: &LinkFrom) -> Result<u64, StoreError> {
        self.read(|tx, statements| link_position(tx, statements, from))
    }

    fn link_acked(&self, link: &str) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let rows = conn.query("SELECT acked_seq FROM links WHERE name = $1", &[&link])?;
        Ok(rows
            .first()
            .map(|r| get::<i64>(r, 0))
            .transpose()?
            .unwrap_or(0) as u64)
    }

    fn set_link_acked(&self, link: &str, seq: u64) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        conn.query(
            "INSERT INTO links (name, acked_seq) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET acked_seq = excluded.acked_seq",
            &[&link, &(seq as i64)],
        )?;
        Ok(())
    }

    fn add_code_pool(&self, pool: CodePool) -> Result<(), StoreError> {
        if pool.start >= pool.end || pool.end > ResidentCode::SPACE {
            return Err(StoreError::Io(format!(
                "invalid code pool {}..{}",
                pool.start, pool.end
            )));
        }
        let (start, end) = (pool.start as i64, pool.end as i64);
        let mut conn = self.conn()?;
        let Conn { client, .. } = &mut *conn;
        let (mut tx, _) = txn::begin(client)?;
        let overlaps: bool = get(
            &tx.query_one(
                "SELECT EXISTS (SELECT 1 FROM code_pools WHERE start_body < $2 AND end_body > $1)",
                &[&start, &end],
            )
            .db()?,
            0,
        )?;
        if overlaps {
            return Err(StoreError::Io(format!(
                "code pool {}..{} overlaps one already held",
                pool.start, pool.end
            )));
        }
        tx.execute(
            "INSERT INTO code_pools (start_body, end_body, next_body) VALUES ($1, $2, $1)",
            &[&start, &end],
        )
        .db()?;
        tx.commit().db()
    }

    fn grant_code_pool(&self, size: u64) -> Result<Option<CodePool>, StoreError> {
        if size == 0 || size > ResidentCode::SPACE {
            return Err(StoreError::Io(format!("invalid code pool size {size}")));
        }
        let mut conn = self.conn()?;
        let Conn { client, .. } = &mut *conn;
        let (mut tx, _) = txn::begin(client)?;
        let rows = tx
            .query(
                "UPDATE code_pools SET next_body = next_body + $1 WHERE start_body = \
                 (SELECT start_body FROM code_pools WHERE end_body - next_body >= $1 \
                  ORDER BY start_body LIMIT 1) RETURNING next_body - $1",
                &[&(size as i64)],
            )
            .db()?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let start = get::<i64>(row, 0)? as u64;
        tx.commit().db()?;
        Ok(Some(CodePool {
            start,
            end: start + size,
        }))
    }

    fn begin_epoch(&self, codes: CodesAfterRestore) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let Conn { client, .. } = &mut *conn;
        let (mut tx, head) = txn::begin(client)?;
        let epoch: i64 = get(
            &tx.query_one("SELECT coalesce(max(epoch), 1) + 1 FROM epochs", &[])
                .db()?,
            0,
        )?;
        tx.execute(
            "INSERT INTO epochs (epoch, first_seq) VALUES ($1, $2)",
            &[&epoch, &(head as i64 + 1)],
        )
        .db()?;
        tx.batch_execute("UPDATE links SET acked_seq = 0; DELETE FROM links_in")
            .db()?;
        match codes {
            CodesAfterRestore::Abandon => {
                tx.batch_execute("UPDATE code_pools SET next_body = end_body")
                    .db()?;
            }
            CodesAfterRestore::SkipAhead(n) => {
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                tx.execute(
                    "UPDATE code_pools SET next_body = least(end_body, next_body + $1)",
                    &[&n],
                )
                .db()?;
            }
        }
        tx.commit().db()?;
        Ok(epoch as u64)
    }

    fn reindex_after(&self, after: u64) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let (mut tx, head) = txn::begin(client)?;
        let written = segment::reindex(&mut tx, statements, head, after)?;
        tx.commit().db()?;
        Ok(written)
    }

    fn export_segment(
        &self,
        after: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<SegmentSummary, StoreError> {
        self.export(after, out)
    }

    fn recover(&self, entries: &[JournalEntry]) -> Result<Recovered, StoreError> {
        let mut conn = self.conn()?;
        let Conn { client, statements } = &mut *conn;
        let (mut tx, head) = txn::begin(client)?;
        let mut txn = PgTxn::new(&mut tx, statements, head, None);
        let recovered = engine::recover_all(&mut txn, entries)?;
        txn.finish()?;
        advance_pools(&mut tx, entries.iter().flat_map(JournalEntry::codes))?;
        tx.commit().db()?;
        Ok(recovered)
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.read(|tx, _| {
            let row = tx
                .query_one(
                    "SELECT (SELECT coalesce(max(seq), 0) FROM journal), \
                     (SELECT coalesce(sum(end_body - next_body), 0)::bigint FROM code_pools), \
                     (SELECT coalesce(max(version), 0)::bigint FROM schema_migrations), \
                     (SELECT coalesce(max(epoch), 1) FROM epochs), \
                     (SELECT value FROM meta WHERE key = 'residents_current'), \
                     (SELECT value FROM meta WHERE key = 'residents_total')",
                    &[],
                )
                .db()?;
            let n = |i| get::<i64>(&row, i).map(|v| v as u64);
            Ok(StoreStats {
                journal_head: n(0)?,
                codes_available: n(1)?,
                schema_version: get(&row, 2)?,
                epoch: n(3)?,
                residents_current: n(4)?,
                residents_total: n(5)?,
            })
        })
    }
}

/// Moves each code pool past any of `codes` it holds unassigned (a recovered or re-indexed
/// entry may use a code the pool would otherwise hand out again).
fn advance_pools(
    tx: &mut Transaction<'_>,
    codes: impl Iterator<Item = ResidentCode>,
) -> Result<(), StoreError> {
    let st = tx
        .prepare(
            "UPDATE code_pools SET next_body = $1 + 1 \
             WHERE start_body <= $1 AND $1 < end_body AND next_body <= $1",
        )
        .db()?;
    for code in codes {
        tx.execute(&st, &[&(code.body() as i64)]).db()?;
    }
    Ok(())
}

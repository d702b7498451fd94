//! A node whose store is on PostgreSQL: its store is backed up as a plain-SQL `pg_dump` of the
//! node's schema, taken in the very snapshot that reads the journal's head and epoch (an
//! exported snapshot), and restored with `psql` into a schema that does not exist yet
//! (docs/backup.md, "A node on PostgreSQL"). Both are PostgreSQL's own client programs, so the
//! manual restore needs nothing of juki's.

use crate::{BackupError, Result};
use juki_domain::ErrorDef;
use juki_domain::catalogue::{BAK_PG_SCHEMA_EXISTS, BAK_PG_TOOL};
use postgres::{Client, IsolationLevel, NoTls};
use std::path::Path;
use std::process::Command;

/// The dump's file name, at the top of a full snapshot of a node on PostgreSQL (beside
/// juki.toml): `restic restore` writes it to `TARGET/juki-data/store.postgres.sql`.
pub const DUMP_FILE: &str = "store.postgres.sql";

/// What a dump holds: the journal's head and the store's epoch in the dump's snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dumped {
    pub seq: u64,
    pub epoch: u64,
}

fn tool_err(detail: impl std::fmt::Display) -> BackupError {
    BackupError::new(&BAK_PG_TOOL, detail.to_string())
}

fn checked(schema: &str) -> Result<&str> {
    if juki_store_pg::valid_schema_name(schema) {
        Ok(schema)
    } else {
        Err(tool_err(format!("invalid schema name {schema:?}")))
    }
}

fn connect(url: &str) -> Result<Client> {
    Client::connect(url, NoTls).map_err(|e| tool_err(format!("{}: {e}", redacted(url))))
}

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    with_password_as(url, Some("***"))
}

/// `url` with its password replaced by `stand_in`, or removed (None).
fn with_password_as(url: &str, stand_in: Option<&str>) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) if user.contains(':') => {
                let name = user.split(':').next().unwrap_or_default();
                match stand_in {
                    Some(s) => format!("{scheme}://{name}:{s}@{host}"),
                    None => format!("{scheme}://{name}@{host}"),
                }
            }
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Writes a plain-SQL dump of schema `schema` of the database at `url` to `out` (created
/// readable by its owner only: it holds every record), with `pg_dump`, in the snapshot of a
/// repeatable-read transaction that also reads the journal's head: the dump holds exactly the
/// journal up to the returned sequence, however many changes the node records meanwhile.
pub fn dump(url: &str, schema: &str, out: &Path) -> Result<Dumped> {
    let schema = checked(schema)?;
    let mut client = connect(url)?;
    let sql = |e: postgres::Error| tool_err(format!("{schema}: {e}"));
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(sql)?;
    let snapshot: String = tx
        .query_one("SELECT pg_export_snapshot()", &[])
        .and_then(|r| r.try_get(0))
        .map_err(sql)?;
    let row = tx
        .query_one(
            &format!(
                "SELECT (SELECT coalesce(max(seq), 0) FROM {schema}.journal), \
                        (SELECT coalesce(max(epoch), 1) FROM {schema}.epochs)"
            ),
            &[],
        )
        .map_err(sql)?;
    let seq: i64 = row.try_get(0).map_err(sql)?;
    let epoch: i64 = row.try_get(1).map_err(sql)?;
    owner_only_file(out)?;
    let mut cmd = Command::new("pg_dump");
    cmd.arg("--snapshot")
        .arg(&snapshot)
        .arg("--schema")
        .arg(schema)
        .args(["--no-owner", "--no-privileges", "--file"])
        .arg(out);
    run(&mut cmd, "pg_dump", url)?;
    // The snapshot lives as long as the transaction that exported it.
    tx.commit().map_err(sql)?;
    Ok(Dumped {
        seq: u64::try_from(seq).unwrap_or(0),
        epoch: u64::try_from(epoch).unwrap_or(1),
    })
}

/// Creates `path` empty with mode 0600, so that what `pg_dump` writes into it is never
/// readable by others, in the staging area or in a restore.
fn owner_only_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| tool_err(format!("{}: {e}", path.display())))
}

/// Runs one of PostgreSQL's client programs on the database at `url`; its last lines of
/// stderr name what failed. The URL's password goes to the program in its environment
/// (`PGPASSWORD`), never on its command line, which other users of the host can read.
fn run(cmd: &mut Command, program: &str, url: &str) -> Result<()> {
    cmd.arg("--dbname").arg(with_password_as(url, None));
    if let Some(password) = url
        .parse::<postgres::Config>()
        .ok()
        .and_then(|c| c.get_password().map(<[u8]>::to_vec))
    {
        use std::os::unix::ffi::OsStrExt;
        cmd.env("PGPASSWORD", std::ffi::OsStr::from_bytes(&password));
    }
    let out = cmd.output().map_err(|e| {
        tool_err(format!(
            "{program}: {e} (install PostgreSQL's client programs, e.g. Debian's postgresql-client)"
        ))
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(tool_err(format!(
        "{program} ({}) exited with {}: {}",
        redacted(url),
        out.status,
        tail.join(" ").replace(url, &redacted(url))
    )))
}

/// Whether schema `schema` exists in the database at `url`.
fn schema_exists(client: &mut Client, schema: &str) -> Result<bool> {
    client
        .query("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .map(|rows| !rows.is_empty())
        .map_err(|e| tool_err(format!("{schema}: {e}")))
}

/// Loads the dump at `dump` into the database at `url` (created when missing) with `psql`,
/// in one transaction that stops at the first error: the schema is then either whole or
/// absent. Refuses (`JK-BAK-0135`) when the schema is there already.
pub fn load(dump: &Path, url: &str, schema: &str) -> Result<()> {
    let schema = checked(schema)?;
    juki_store_pg::create_database(url).map_err(|e| tool_err(format!("{}: {e}", redacted(url))))?;
    let mut client = connect(url)?;
    if schema_exists(&mut client, schema)? {
        return Err(refusal(&BAK_PG_SCHEMA_EXISTS, schema, url));
    }
    drop(client);
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"])
        .arg("--file")
        .arg(dump);
    run(&mut cmd, "psql", url)
}

/// Drops schema `schema` of the database at `url` with all it holds: a restore's own, when
/// what it loaded could not be completed.
pub fn drop_schema(url: &str, schema: &str) -> Result<()> {
    let schema = checked(schema)?;
    connect(url)?
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .map_err(|e| tool_err(format!("dropping {schema}: {e}")))
}

fn refusal(def: &'static ErrorDef, schema: &str, url: &str) -> BackupError {
    BackupError::new(def, format!("schema {schema} in {}", redacted(url)))
}

/// `url` naming the database `name` instead of its own (a `postgres://` URL; its query, if
/// any, is kept).
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| *s == "postgres" || *s == "postgresql")
        .ok_or_else(|| tool_err(format!("{}: not a postgres:// URL", redacted(url))))?;
    let (base, query) = match rest.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = base.split('/').next().unwrap_or_default();
    Ok(format!("{scheme}://{authority}/{name}{query}"))
}

/// A database of its own for a restore drill: `url` with database `name`, created empty
/// (dropped first if an interrupted drill left it), and dropped again when this is dropped.
pub struct ScratchDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub fn create(url: &str, name: &str) -> Result<ScratchDatabase> {
        let scratch = ScratchDatabase {
            admin: url.to_string(),
            name: name.to_string(),
            url: with_database(url, name)?,
        };
        scratch.drop_database()?;
        let mut client = connect(url)?;
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| tool_err(format!("creating the drill's database {name}: {e}")))?;
        Ok(scratch)
    }

    fn drop_database(&self) -> Result<()> {
        let mut client = connect(&self.admin)?;
        client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .map_err(|e| tool_err(format!("dropping the drill's database {}: {e}", self.name)))
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let _ = self.drop_database();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_database_keeps_the_server_user_and_options() {
        assert_eq!(
            with_database("postgres://juki@db:5433/registry", "drill").unwrap(),
            "postgres://juki@db:5433/drill"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/x?sslmode=disable", "d").unwrap(),
            "postgresql://u:p@h/d?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h", "d").unwrap(),
            "postgres://h/d"
        );
        assert!(with_database("host=h dbname=x", "d").is_err());
    }

    #[test]
    fn the_password_never_reaches_a_command_line() {
        let mut cmd = Command::new("true");
        run(&mut cmd, "true", "postgres://juki:s%3Acret@db/registry").unwrap();
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args, ["--dbname", "postgres://juki@db/registry"]);
        let env: Vec<_> = cmd.get_envs().collect();
        assert_eq!(
            env,
            [(
                std::ffi::OsStr::new("PGPASSWORD"),
                Some(std::ffi::OsStr::new("s:cret"))
            )]
        );
    }

    #[test]
    fn messages_never_hold_the_password() {
        assert_eq!(
            redacted("postgres://juki:secret@db/registry"),
            "postgres://juki:***@db/registry"
        );
        assert_eq!(redacted("postgres://juki@db/r"), "postgres://juki@db/r");
    }
}

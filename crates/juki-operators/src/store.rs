//! The operator database: accounts and sessions in one SQLite file, and the login decision
//! (lockout, one-time-code replay, session limit) made in one transaction against the
//! account as it stands, so concurrent logins cannot overtake a lockout or reuse a code.

use crate::error::{Failure, LoginFailure, OperatorError};
use crate::password::{self, PASSWORD_BYTES_MAX, PASSWORD_BYTES_MIN, SALT_BYTES};
use crate::{ACCOUNTS_MAX, Options, SESSIONS_PER_ACCOUNT_MAX, totp};
use argon2::Argon2;
use juki_domain::catalogue::{
    AUTH_ACCOUNTS_FULL, AUTH_DB, AUTH_DB_EXPOSED, AUTH_DUPLICATE, AUTH_NOT_A_PERSON,
    AUTH_UNKNOWN_OPERATOR, AUTH_WEAK_PASSWORD, NODE_OVERLOADED, TLS_KEY_EXPOSED,
};
use juki_pki::{Identity, Jurisdiction, Role};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE operators (
    name            TEXT PRIMARY KEY NOT NULL,
    role            TEXT NOT NULL,
    jurisdiction    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    totp_secret     BLOB NOT NULL,
    totp_last_step  INTEGER NOT NULL DEFAULT -1,
    failures        INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER NOT NULL DEFAULT 0,
    disabled_ms     INTEGER,
    created_ms      INTEGER NOT NULL,
    last_login_ms   INTEGER
) STRICT;
CREATE TABLE sessions (
    token_sha256 BLOB PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL REFERENCES operators(name),
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_operator ON sessions(name, created_ms);
CREATE INDEX sessions_by_expiry ON sessions(expires_ms);
";

/// Bytes of randomness in a session token.
pub const TOKEN_BYTES: usize = 32;

/// A new account's one-time-code secret, shown once: to be entered in an authenticator app.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub identity: Identity,
    /// The secret in base32, for typing in.
    pub totp_secret_base32: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// A login session: the bearer token (shown once; only its SHA-256 is kept), when it expires,
/// and whom it stands for.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub expires_ms: i64,
    pub identity: Identity,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("expires_ms", &self.expires_ms)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// An account as listed: never its password hash or secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub identity: Identity,
    pub created_ms: i64,
    /// When it was disabled (None: it is enabled).
    pub disabled_ms: Option<i64>,
    /// Failed logins since the last success or lock.
    pub failures: u32,
    /// Until when it is locked, if it is now.
    pub locked_until_ms: Option<i64>,
    pub last_login_ms: Option<i64>,
    /// Live sessions.
    pub sessions: u32,
}

/// What disabling an account did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disabled {
    pub identity: Identity,
    pub sessions_ended: u64,
    /// False when it was disabled already.
    pub newly: bool,
}

/// The operator database of one node.
pub struct OperatorStore {
    conn: Mutex<Connection>,
    options: Options,
    hasher: Argon2<'static>,
    rng: SystemRandom,
    /// Password hashes being computed now.
    hashing: AtomicUsize,
    /// A hash no password matches (made at open, under the current cost), verified against
    /// for unknown names so that they take as long as known ones.
    decoy: String,
    path: PathBuf,
}

impl std::fmt::Debug for OperatorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A slot among `hashing_max`, given back when dropped.
struct Permit<'a>(&'a AtomicUsize);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The SHA-256 of a token as handed out (base64url of 32 bytes), or None when it is not one.
fn token_digest(token: &str) -> Option<[u8; 32]> {
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(token.as_bytes())
        .ok()?;
    if bytes.len() != TOKEN_BYTES {
        return None;
    }
    digest(&SHA256, &bytes).as_ref().try_into().ok()
}

/// Creates the file 0600 when it is missing; refuses one that group or others may read.
fn prepare_file(path: &Path) -> Result<(), OperatorError> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(OperatorError::new(
                &AUTH_DB,
                format!("{}: {e}", path.display()),
            ));
        }
    }
    // The check keys get: no bits for group or others.
    juki_pki::check_private(path).map_err(|e| {
        let exposed = std::ptr::eq(e.def, &TLS_KEY_EXPOSED);
        OperatorError::new(if exposed { &AUTH_DB_EXPOSED } else { &AUTH_DB }, e.detail)
    })
}

/// The columns [`AccountRow::read`] reads, `?1` being the time.
const ACCOUNT_COLUMNS: &str = "o.role, o.jurisdiction, o.name, o.created_ms, o.disabled_ms, \
     o.failures, o.locked_until_ms, o.last_login_ms, \
     (SELECT count(*) FROM sessions s WHERE s.name = o.name AND s.expires_ms > ?1)";

/// An identity as stored (role, jurisdiction, name), checked again as a certificate's is.
fn identity_of(role: &str, jurisdiction: &str, name: &str) -> Result<Identity, OperatorError> {
    let role: Role = role.parse()?;
    let jurisdiction: Jurisdiction = jurisdiction.parse()?;
    Ok(Identity::new(role, jurisdiction, name)?)
}

/// An account's row, before its identity is checked.
struct AccountRow {
    role: String,
    jurisdiction: String,
    name: String,
    created_ms: i64,
    disabled_ms: Option<i64>,
    failures: u32,
    locked_until_ms: i64,
    last_login_ms: Option<i64>,
    sessions: u32,
}

impl AccountRow {
    /// Reads the columns of [`ACCOUNT_COLUMNS`].
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
        Ok(AccountRow {
            role: r.get(0)?,
            jurisdiction: r.get(1)?,
            name: r.get(2)?,
            created_ms: r.get(3)?,
            disabled_ms: r.get(4)?,
            failures: r.get(5)?,
            locked_until_ms: r.get(6)?,
            last_login_ms: r.get(7)?,
            sessions: r.get(8)?,
        })
    }

    fn account(self, now_ms: i64) -> Result<Account, OperatorError> {
        Ok(Account {
            identity: identity_of(&self.role, &self.jurisdiction, &self.name)?,
            created_ms: self.created_ms,
            disabled_ms: self.disabled_ms,
            failures: self.failures,
            locked_until_ms: (self.locked_until_ms > now_ms).then_some(self.locked_until_ms),
            last_login_ms: self.last_login_ms,
            sessions: self.sessions,
        })
    }
}

/// What a login reads of an account before checking the password.
struct LoginRow {
    identity: Identity,
    password_hash: String,
    totp_secret: Vec<u8>,
    locked_until_ms: i64,
}

impl OperatorStore {
    /// Opens (creating it, 0600, when missing) the operator database at `path`.
    pub fn open(path: &Path, options: Options) -> Result<OperatorStore, OperatorError> {
        options.check()?;
        prepare_file(path)?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        match version {
            0 => {
                conn.execute_batch(&format!(
                    "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))?;
            }
            SCHEMA_VERSION => {}
            v => {
                return Err(OperatorError::new(
                    &AUTH_DB,
                    format!(
                        "{}: schema version {v} is newer than this juki's ({SCHEMA_VERSION})",
                        path.display()
                    ),
                ));
            }
        }
        let hasher = options
            .password_cost
            .hasher()
            .map_err(|e| OperatorError::new(&AUTH_DB, e))?;
        let mut store = OperatorStore {
            conn: Mutex::new(conn),
            options,
            hasher,
            rng: SystemRandom::new(),
            hashing: AtomicUsize::new(0),
            decoy: String::new(),
            path: path.to_path_buf(),
        };
        store.decoy = store.hash_password(&store.random::<SALT_BYTES>()?)?;
        Ok(store)
    }

    /// The file this store keeps.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the connection leaves no half-done transaction behind
        // (rusqlite rolls back on drop), so the connection is still good.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn permit(&self) -> Option<Permit<'_>> {
        let before = self.hashing.fetch_add(1, Ordering::AcqRel);
        let permit = Permit(&self.hashing);
        (before < self.options.hashing_max).then_some(permit)
    }

    fn random<const N: usize>(&self) -> Result<[u8; N], OperatorError> {
        let mut bytes = [0u8; N];
        self.rng
            .fill(&mut bytes)
            .map_err(|_| OperatorError::new(&AUTH_DB, "the system's random generator failed"))?;
        Ok(bytes)
    }

    fn hash_password(&self, password: &[u8]) -> Result<String, OperatorError> {
        let salt: [u8; SALT_BYTES] = self.random()?;
        password::hash(&self.hasher, password, &salt).map_err(|e| OperatorError::new(&AUTH_DB, e))
    }

    /// Adds an account and returns its one-time-code secret (shown once). The role must be a
    /// person's and fit the jurisdiction, and the name be an identity's name, as for a
    /// certificate; the password 12–1,024 bytes.
    pub fn add(
        &self,
        name: &str,
        role: Role,
        jurisdiction: Jurisdiction,
        password: &str,
        now_ms: i64,
    ) -> Result<Enrolment, OperatorError> {
        if role.is_node() {
            return Err(OperatorError::new(
                &AUTH_NOT_A_PERSON,
                format!("{role} is a node's role"),
            ));
        }
        let identity = Identity::new(role, jurisdiction, name)?;
        if !(PASSWORD_BYTES_MIN..=PASSWORD_BYTES_MAX).contains(&password.len()) {
            return Err(OperatorError::new(
                &AUTH_WEAK_PASSWORD,
                format!("the password has {} bytes", password.len()),
            ));
        }
        // Refuse a taken name before spending a password hash on it.
        self.check_room(&self.conn(), name)?;
        let phc = {
            let _permit = self.permit().ok_or_else(busy)?;
            self.hash_password(password.as_bytes())?
        };
        let secret: [u8; totp::SECRET_BYTES] = self.random()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        self.check_room(&tx, name)?;
        tx.execute(
            "INSERT INTO operators (name, role, jurisdiction, password_hash, totp_secret, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                name,
                role.as_str(),
                jurisdiction.to_string(),
                phc,
                &secret[..],
                now_ms
            ],
        )?;
        tx.commit()?;
        let secret_base32 = totp::encode_secret(&secret);
        let otpauth_uri = format!(
            "otpauth://totp/juki:{name}@{jurisdiction}?secret={secret_base32}&issuer=juki&algorithm=SHA1&digits={}&period={}",
            totp::DIGITS,
            totp::STEP_SECONDS
        );
        Ok(Enrolment {
            identity,
            totp_secret_base32: secret_base32,
            otpauth_uri,
        })
    }

    /// Refuses a name in use, or a full database.
    fn check_room(&self, conn: &Connection, name: &str) -> Result<(), OperatorError> {
        let (count, taken): (i64, bool) = conn.query_row(
            "SELECT count(*), coalesce(max(name = ?1), 0) FROM operators",
            params![name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if taken {
            return Err(OperatorError::new(&AUTH_DUPLICATE, name.to_string()));
        }
        if count >= ACCOUNTS_MAX as i64 {
            return Err(OperatorError::new(
                &AUTH_ACCOUNTS_FULL,
                format!("{count} accounts"),
            ));
        }
        Ok(())
    }

    /// Every account, by name.
    pub fn list(&self, now_ms: i64) -> Result<Vec<Account>, OperatorError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM operators o ORDER BY o.name"
        ))?;
        let rows = stmt.query_map(params![now_ms], AccountRow::read)?;
        let mut accounts = Vec::new();
        for row in rows {
            accounts.push(row?.account(now_ms)?);
        }
        Ok(accounts)
    }

    /// One account.
    pub fn get(&self, name: &str, now_ms: i64) -> Result<Option<Account>, OperatorError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM operators o WHERE o.name = ?2"),
                params![now_ms, name],
                AccountRow::read,
            )
            .optional()?;
        row.map(|r| r.account(now_ms)).transpose()
    }

    /// Disables an account for good and ends its sessions.
    pub fn disable(&self, name: &str, now_ms: i64) -> Result<Disabled, OperatorError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String, Option<i64>)> = tx
            .query_row(
                "SELECT role, jurisdiction, disabled_ms FROM operators WHERE name = ?1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((role, jurisdiction, disabled_ms)) = row else {
            return Err(OperatorError::new(&AUTH_UNKNOWN_OPERATOR, name.to_string()));
        };
        let identity = identity_of(&role, &jurisdiction, name)?;
        if disabled_ms.is_none() {
            tx.execute(
                "UPDATE operators SET disabled_ms = ?2 WHERE name = ?1",
                params![name, now_ms],
            )?;
        }
        let ended = tx.execute("DELETE FROM sessions WHERE name = ?1", params![name])?;
        tx.commit()?;
        Ok(Disabled {
            identity,
            sessions_ended: ended as u64,
            newly: disabled_ms.is_none(),
        })
    }

    fn login_row(&self, name: &str) -> Result<Option<LoginRow>, OperatorError> {
        let row: Option<(String, String, String, Vec<u8>, i64)> = self
            .conn()
            .query_row(
                "SELECT role, jurisdiction, password_hash, totp_secret, locked_until_ms
                 FROM operators WHERE name = ?1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        row.map(|(role, jurisdiction, password_hash, totp_secret, locked)| {
            Ok(LoginRow {
                identity: identity_of(&role, &jurisdiction, name)?,
                password_hash,
                totp_secret,
                locked_until_ms: locked,
            })
        })
        .transpose()
    }

    /// Logs in with a password and the one-time code of now (or one step either side). On
    /// success the account's failures are reset, the code's step is used up and a session
    /// begins; a failure is counted, and the last allowed one locks the account. The failure
    /// says what happened, for the audit log; its answer to the person is [`LoginFailure::def`].
    pub fn login(
        &self,
        name: &str,
        password: &str,
        code: &str,
        now_ms: i64,
    ) -> Result<Session, LoginFailure> {
        let Some(row) = self.login_row(name)? else {
            let _permit = self
                .permit()
                .ok_or_else(|| LoginFailure::new(Failure::Busy, None))?;
            password::verify(&self.hasher, password.as_bytes(), &self.decoy);
            return Err(LoginFailure::new(Failure::UnknownAccount, None));
        };
        let who = Some(row.identity.clone());
        let fail = |reason| LoginFailure::new(reason, who.clone());
        if row.locked_until_ms > now_ms {
            return Err(fail(Failure::Locked {
                until_ms: row.locked_until_ms,
            }));
        }
        let (password_ok, step) = {
            let _permit = self.permit().ok_or_else(|| fail(Failure::Busy))?;
            let ok = password.len() <= PASSWORD_BYTES_MAX
                && password::verify(&self.hasher, password.as_bytes(), &row.password_hash);
            (ok, totp::matching_step(&row.totp_secret, code, now_ms))
        };
        let store = |e: rusqlite::Error| fail(Failure::Store(e.to_string()));
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(store)?;
        let (failures, locked_until, last_step, disabled): (u32, i64, i64, Option<i64>) = tx
            .query_row(
                "SELECT failures, locked_until_ms, totp_last_step, disabled_ms
                 FROM operators WHERE name = ?1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(store)?;
        // Locked meanwhile by a concurrent failure: this attempt tells nothing either.
        if locked_until > now_ms {
            return Err(fail(Failure::Locked {
                until_ms: locked_until,
            }));
        }
        let wrong = match (password_ok, step) {
            (false, _) => Some(Failure::WrongPassword),
            (true, None) => Some(Failure::WrongCode),
            (true, Some(s)) if s <= last_step => Some(Failure::ReplayedCode),
            (true, Some(_)) => None,
        };
        if let Some(reason) = wrong {
            let failures = failures + 1;
            let lock = failures >= self.options.lockout_failures;
            let until = now_ms.saturating_add(self.options.lockout_ms);
            if lock {
                tx.execute(
                    "UPDATE operators SET failures = 0, locked_until_ms = ?2 WHERE name = ?1",
                    params![name, until],
                )
            } else {
                tx.execute(
                    "UPDATE operators SET failures = ?2 WHERE name = ?1",
                    params![name, failures],
                )
            }
            .map_err(store)?;
            tx.commit().map_err(store)?;
            let mut failure = fail(reason);
            failure.locked_until_ms = lock.then_some(until);
            return Err(failure);
        }
        if disabled.is_some() {
            return Err(fail(Failure::Disabled));
        }
        let step = step.unwrap_or_default();
        let token: [u8; TOKEN_BYTES] = self
            .random()
            .map_err(|e| fail(Failure::Store(e.to_string())))?;
        let token_hash = digest(&SHA256, &token);
        let expires_ms = now_ms.saturating_add(self.options.session_ms);
        tx.execute(
            "UPDATE operators SET failures = 0, locked_until_ms = 0, totp_last_step = ?2,
                                  last_login_ms = ?3
             WHERE name = ?1",
            params![name, step, now_ms],
        )
        .and_then(|_| {
            tx.execute(
                "DELETE FROM sessions WHERE expires_ms <= ?1",
                params![now_ms],
            )
        })
        .and_then(|_| {
            tx.execute(
                "INSERT INTO sessions (token_sha256, name, created_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash.as_ref(), name, now_ms, expires_ms],
            )
        })
        .and_then(|_| {
            tx.execute(
                "DELETE FROM sessions WHERE name = ?1 AND rowid NOT IN
                   (SELECT rowid FROM sessions WHERE name = ?1
                    ORDER BY created_ms DESC, rowid DESC LIMIT ?2)",
                params![name, SESSIONS_PER_ACCOUNT_MAX],
            )
        })
        .map_err(store)?;
        tx.commit().map_err(store)?;
        Ok(Session {
            token: data_encoding::BASE64URL_NOPAD.encode(&token),
            expires_ms,
            identity: row.identity,
        })
    }

    /// Whom a live session token stands for; None for a token that is unknown, expired,
    /// ended, or of a disabled account.
    pub fn session(&self, token: &str, now_ms: i64) -> Result<Option<Identity>, OperatorError> {
        let Some(wanted) = token_digest(token) else {
            return Ok(None);
        };
        let row: Option<(Vec<u8>, String, String, String)> = self
            .conn()
            .query_row(
                "SELECT s.token_sha256, o.role, o.jurisdiction, o.name
                 FROM sessions s JOIN operators o ON o.name = s.name
                 WHERE s.token_sha256 = ?1 AND s.expires_ms > ?2 AND o.disabled_ms IS NULL",
                params![&wanted[..], now_ms],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((stored, role, jurisdiction, name)) = row else {
            return Ok(None);
        };
        let same: bool = stored.ct_eq(&wanted[..]).into();
        if !same {
            return Ok(None);
        }
        identity_of(&role, &jurisdiction, &name).map(Some)
    }

    /// Ends a session; false when the token was not a live one.
    pub fn logout(&self, token: &str) -> Result<bool, OperatorError> {
        let Some(wanted) = token_digest(token) else {
            return Ok(false);
        };
        let ended = self.conn().execute(
            "DELETE FROM sessions WHERE token_sha256 = ?1",
            params![&wanted[..]],
        )?;
        Ok(ended > 0)
    }
}

fn busy() -> OperatorError {
    OperatorError::new(&NODE_OVERLOADED, "too many password hashes at once")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::PasswordCost;

    #[test]
    fn hashing_beyond_its_slots_is_refused_not_queued() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            password_cost: PasswordCost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            hashing_max: 1,
            ..Options::default()
        };
        let store = OperatorStore::open(&dir.path().join("operators.db"), options).unwrap();
        let nakano: Jurisdiction = "131148".parse().unwrap();
        store
            .add("sato", Role::Clerk, nakano, "password1234", 0)
            .unwrap();
        let held = store.permit().unwrap();
        assert!(store.permit().is_none());
        let e = store
            .login("sato", "password1234", "000000", 0)
            .unwrap_err();
        assert_eq!((&e.reason, e.def().code), (&Failure::Busy, "JK-NODE-0101"));
        let e = store
            .login("nobody", "password1234", "000000", 0)
            .unwrap_err();
        assert_eq!(e.reason, Failure::Busy);
        let e = store
            .add("ito", Role::Clerk, nakano, "password1234", 0)
            .unwrap_err();
        assert_eq!(e.def.code, "JK-NODE-0101");
        assert_eq!(store.list(0).unwrap()[0].failures, 0, "not counted");
        drop(held);
        let e = store
            .login("sato", "password1234", "000000", 0)
            .unwrap_err();
        assert!(matches!(
            e.reason,
            Failure::WrongCode | Failure::ReplayedCode
        ));
    }
}

//! Operator accounts end to end on a real SQLite file: enrolment, login with password and
//! one-time code, replay, lockout, disabling, sessions and their limits, what is stored.

#![allow(clippy::unwrap_used)]

use juki_operators::{
    Failure, OperatorStore, Options, PasswordCost, SESSIONS_PER_ACCOUNT_MAX, totp,
};
use juki_pki::{Jurisdiction, Role};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// 2026-04-01T00:00:00Z, at the start of a 30-second step.
const T0: i64 = 1_775_001_600_000;
const STEP_MS: i64 = 30_000;
const PASSWORD: &str = "correct horse battery staple";

fn options() -> Options {
    Options {
        password_cost: PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..Options::default()
    }
}

fn nakano() -> Jurisdiction {
    "131148".parse().unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: OperatorStore,
    secret: String,
}

/// A store with one account, `sato`, an admin of 中野区, enrolled at T0.
fn fixture_with(options: Options) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(juki_operators::OPERATORS_FILE);
    let store = OperatorStore::open(&path, options).unwrap();
    let e = store
        .add("sato", Role::Admin, nakano(), PASSWORD, T0)
        .unwrap();
    assert_eq!(e.identity.uri(), "urn:juki:admin:131148:sato");
    assert!(
        e.otpauth_uri
            .starts_with("otpauth://totp/juki:sato@131148?secret="),
        "{}",
        e.otpauth_uri
    );
    assert!(e.otpauth_uri.contains(&e.totp_secret_base32));
    assert_eq!(
        totp::decode_secret(&e.totp_secret_base32).unwrap().len(),
        20
    );
    Fixture {
        _dir: dir,
        path,
        store,
        secret: e.totp_secret_base32,
    }
}

fn fixture() -> Fixture {
    fixture_with(options())
}

impl Fixture {
    fn code(&self, at_ms: i64) -> String {
        totp::current_code(&self.secret, at_ms).unwrap()
    }

    /// A code that is none of the three accepted at `at_ms`.
    fn wrong_code(&self, at_ms: i64) -> String {
        let accepted: Vec<String> = [-STEP_MS, 0, STEP_MS]
            .iter()
            .map(|d| self.code(at_ms + d))
            .collect();
        (0..4u32)
            .map(|i| format!("{:06}", i * 111_111))
            .find(|c| !accepted.contains(c))
            .unwrap()
    }

    fn login_ok(&self, at_ms: i64) -> juki_operators::Session {
        self.store
            .login("sato", PASSWORD, &self.code(at_ms), at_ms)
            .unwrap()
    }

    fn reason(&self, password: &str, code: &str, at_ms: i64) -> Failure {
        self.store
            .login("sato", password, code, at_ms)
            .unwrap_err()
            .reason
    }
}

#[test]
fn a_login_gives_a_session_that_stands_for_the_account_until_logout() {
    let f = fixture();
    let now = T0 + 5 * STEP_MS;
    let s = f.login_ok(now);
    assert_eq!(s.identity.uri(), "urn:juki:admin:131148:sato");
    assert_eq!(s.expires_ms, now + 15 * 60_000);
    assert_eq!(s.token.len(), 43, "32 bytes in base64url");
    let who = f.store.session(&s.token, now + 1).unwrap().unwrap();
    assert_eq!(who, s.identity);
    for bad in ["", "x", &s.token[1..], &format!("{}A", s.token)] {
        assert_eq!(f.store.session(bad, now).unwrap(), None, "{bad:?}");
    }
    let listed = f.store.list(now).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].sessions, listed[0].last_login_ms),
        (1, Some(now))
    );
    assert!(f.store.logout(&s.token).unwrap());
    assert!(!f.store.logout(&s.token).unwrap());
    assert_eq!(f.store.session(&s.token, now + 1).unwrap(), None);
}

#[test]
fn wrong_password_wrong_code_and_unknown_name_answer_alike() {
    let f = fixture();
    let now = T0 + 10 * STEP_MS;
    let unknown = f
        .store
        .login("nobody", PASSWORD, &f.code(now), now)
        .unwrap_err();
    assert_eq!(unknown.reason, Failure::UnknownAccount);
    assert_eq!(unknown.identity, None);
    let wrong_password = f
        .store
        .login("sato", "not the password", &f.code(now), now)
        .unwrap_err();
    assert_eq!(wrong_password.reason, Failure::WrongPassword);
    assert_eq!(
        wrong_password.identity.as_ref().unwrap().uri(),
        "urn:juki:admin:131148:sato"
    );
    let wrong_code = f
        .store
        .login("sato", PASSWORD, &f.wrong_code(now), now)
        .unwrap_err();
    assert_eq!(wrong_code.reason, Failure::WrongCode);
    assert_eq!(f.reason(PASSWORD, "12345", now), Failure::WrongCode);
    assert_eq!(
        f.reason(&"p".repeat(2_000), &f.code(now), now),
        Failure::WrongPassword
    );
    for def in [unknown.def(), wrong_password.def(), wrong_code.def()] {
        assert_eq!(def.code, "JK-AUTH-0101");
    }
}

#[test]
fn a_code_is_accepted_once_one_step_either_side() {
    let f = fixture();
    let now = T0 + 100 * STEP_MS;
    // The code of the step before now is still accepted.
    let before = f.code(now - STEP_MS);
    f.store.login("sato", PASSWORD, &before, now).unwrap();
    // …once: the same code again is a replay, and so is that of an earlier step.
    assert_eq!(f.reason(PASSWORD, &before, now), Failure::ReplayedCode);
    assert_eq!(
        f.reason(PASSWORD, &f.code(now - STEP_MS), now + 1_000),
        Failure::ReplayedCode
    );
    // Now's code is of a later step: accepted, once.
    f.store.login("sato", PASSWORD, &f.code(now), now).unwrap();
    assert_eq!(f.reason(PASSWORD, &f.code(now), now), Failure::ReplayedCode);
    // The next step's code is accepted early; two steps ahead is not.
    let after = f.code(now + STEP_MS);
    let two_ahead = f.code(now + 2 * STEP_MS);
    if two_ahead != after && two_ahead != f.code(now) {
        assert_eq!(f.reason(PASSWORD, &two_ahead, now), Failure::WrongCode);
    }
    f.store.login("sato", PASSWORD, &after, now).unwrap();
    assert_eq!(
        f.reason(PASSWORD, &after, now + STEP_MS),
        Failure::ReplayedCode
    );
    // A replay is a failure like any other: it counts towards the lockout.
    assert_eq!(f.store.list(now).unwrap()[0].failures, 1);
}

#[test]
fn five_failures_in_a_row_lock_the_account_for_fifteen_minutes() {
    let f = fixture();
    let mut now = T0 + 200 * STEP_MS;
    // Four failures, then a success: the count starts again.
    for _ in 0..4 {
        assert_eq!(
            f.reason(PASSWORD, &f.wrong_code(now), now),
            Failure::WrongCode
        );
    }
    f.login_ok(now);
    assert_eq!(f.store.list(now).unwrap()[0].failures, 0);
    now += 2 * STEP_MS;
    for i in 1..=5 {
        let e = f
            .store
            .login("sato", "wrong password!", &f.code(now), now)
            .unwrap_err();
        assert_eq!(e.reason, Failure::WrongPassword, "attempt {i}");
        assert_eq!(e.locked_until_ms.is_some(), i == 5, "attempt {i}");
    }
    let until = now + 15 * 60_000;
    assert_eq!(f.store.list(now).unwrap()[0].locked_until_ms, Some(until));
    // Locked: even the right password and code are refused, with their own code.
    let e = f
        .store
        .login("sato", PASSWORD, &f.code(now), now + 60_000)
        .unwrap_err();
    assert_eq!(e.reason, Failure::Locked { until_ms: until });
    assert_eq!(e.def().code, "JK-AUTH-0103");
    assert_eq!(
        f.reason(PASSWORD, &f.code(until - 1), until - 1),
        Failure::Locked { until_ms: until }
    );
    // When the lock ends, the right password and code log in again.
    let s = f.login_ok(until);
    assert_eq!(s.identity.name, "sato");
    assert_eq!(f.store.list(until).unwrap()[0].locked_until_ms, None);
}

#[test]
fn lockout_settings_are_honoured() {
    let f = fixture_with(Options {
        lockout_failures: 2,
        lockout_ms: 1_000,
        ..options()
    });
    let now = T0 + 300 * STEP_MS;
    assert_eq!(
        f.reason("wrong password!", "000000", now),
        Failure::WrongPassword
    );
    let e = f
        .store
        .login("sato", "wrong password!", "000000", now)
        .unwrap_err();
    assert_eq!(e.locked_until_ms, Some(now + 1_000));
    f.login_ok(now + 1_000);
}

#[test]
fn a_disabled_account_cannot_log_in_and_its_sessions_end() {
    let f = fixture();
    let now = T0 + 400 * STEP_MS;
    let s = f.login_ok(now);
    let d = f.store.disable("sato", now + 1).unwrap();
    assert_eq!((d.sessions_ended, d.newly), (1, true));
    assert_eq!(f.store.session(&s.token, now + 2).unwrap(), None);
    let e = f
        .store
        .login("sato", PASSWORD, &f.code(now + STEP_MS), now + STEP_MS)
        .unwrap_err();
    assert_eq!(e.reason, Failure::Disabled);
    assert_eq!(e.def().code, "JK-AUTH-0104");
    // A wrong password does not learn that the account is disabled.
    assert_eq!(
        f.reason("wrong password!", &f.code(now + STEP_MS), now + STEP_MS),
        Failure::WrongPassword
    );
    assert_eq!(f.store.list(now).unwrap()[0].disabled_ms, Some(now + 1));
    let again = f.store.disable("sato", now + 5).unwrap();
    assert!(!again.newly);
    let e = f.store.disable("nobody", now).unwrap_err();
    assert_eq!(e.def.code, "JK-AUTH-0107");
}

#[test]
fn sessions_expire() {
    let f = fixture_with(Options {
        session_ms: 60_000,
        ..options()
    });
    let now = T0 + 500 * STEP_MS;
    let s = f.login_ok(now);
    assert_eq!(s.expires_ms, now + 60_000);
    assert!(f.store.session(&s.token, now + 59_999).unwrap().is_some());
    assert_eq!(f.store.session(&s.token, now + 60_000).unwrap(), None);
    assert_eq!(f.store.list(now + 60_000).unwrap()[0].sessions, 0);
}

#[test]
fn an_account_has_at_most_sixteen_sessions_the_oldest_end_first() {
    let f = fixture();
    let start = T0 + 600 * STEP_MS;
    let logins = SESSIONS_PER_ACCOUNT_MAX as i64 + 2;
    let sessions: Vec<_> = (0..logins)
        .map(|i| f.login_ok(start + i * STEP_MS))
        .collect();
    let now = start + logins * STEP_MS;
    let alive: Vec<bool> = sessions
        .iter()
        .map(|s| f.store.session(&s.token, now).unwrap().is_some())
        .collect();
    assert_eq!(&alive[..2], &[false, false]);
    assert!(alive[2..].iter().all(|a| *a), "{alive:?}");
    assert_eq!(
        f.store.list(now).unwrap()[0].sessions,
        SESSIONS_PER_ACCOUNT_MAX
    );
}

/// Every byte of the database files, and every value in its tables.
fn stored(path: &Path) -> (Vec<u8>, String) {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let p = format!("{}{suffix}", path.display());
        bytes.extend(std::fs::read(p).unwrap_or_default());
    }
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut text = String::new();
    for table in ["operators", "sessions"] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let v: rusqlite::types::Value = row.get(i).unwrap();
                text.push_str(&format!("{v:?}\n"));
            }
        }
    }
    (bytes, text)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn only_the_hash_of_a_token_and_of_a_password_are_stored() {
    let f = fixture();
    let now = T0 + 700 * STEP_MS;
    let s = f.login_ok(now);
    let raw = data_encoding::BASE64URL_NOPAD
        .decode(s.token.as_bytes())
        .unwrap();
    let hash = ring::digest::digest(&ring::digest::SHA256, &raw);
    let (bytes, text) = stored(&f.path);
    assert!(!contains(&bytes, s.token.as_bytes()), "the token is stored");
    assert!(!contains(&bytes, &raw), "the token's bytes are stored");
    assert!(!text.contains(&s.token));
    assert!(
        contains(&bytes, hash.as_ref()),
        "its SHA-256 is what is kept"
    );
    assert!(
        !contains(&bytes, PASSWORD.as_bytes()),
        "the password is stored"
    );
    assert!(text.contains("$argon2id$v=19$m=64,t=1,p=1$"), "{text}");
}

#[test]
fn passwords_are_twelve_to_1024_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = OperatorStore::open(&dir.path().join("operators.db"), options()).unwrap();
    let add = |name: &str, password: &str| {
        store
            .add(name, Role::Clerk, nakano(), password, T0)
            .map(|_| ())
            .map_err(|e| e.def.code)
    };
    assert_eq!(add("a", &"x".repeat(11)), Err("JK-AUTH-0105"));
    assert_eq!(add("b", &"x".repeat(12)), Ok(()));
    assert_eq!(add("c", &"x".repeat(1_024)), Ok(()));
    assert_eq!(add("d", &"x".repeat(1_025)), Err("JK-AUTH-0105"));
    // Twelve bytes, fewer characters.
    assert_eq!(add("e", "パスワード1234"), Ok(()));
}

#[test]
fn accounts_are_identities_of_persons_with_unique_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = OperatorStore::open(&dir.path().join("operators.db"), options()).unwrap();
    let add = |name: &str, role: Role, j: Jurisdiction| {
        store
            .add(name, role, j, PASSWORD, T0)
            .map(|e| e.identity.uri())
            .map_err(|e| e.def.code)
    };
    assert_eq!(
        add("ito", Role::Operator, Jurisdiction::National),
        Ok("urn:juki:operator:national:ito".into())
    );
    assert_eq!(add("ito", Role::Clerk, nakano()), Err("JK-AUTH-0106"));
    assert_eq!(
        add("municipal", Role::Municipal, nakano()),
        Err("JK-AUTH-0108")
    );
    assert_eq!(add("Sato", Role::Clerk, nakano()), Err("JK-TLS-0208"));
    assert_eq!(
        add(&"a".repeat(33), Role::Clerk, nakano()),
        Err("JK-TLS-0208")
    );
    // A clerk of the nation, an operator of a municipality: not identities juki issues.
    assert_eq!(
        add("kato", Role::Clerk, Jurisdiction::National),
        Err("JK-TLS-0207")
    );
    assert_eq!(add("kato", Role::Operator, nakano()), Err("JK-TLS-0207"));
    assert_eq!(store.list(T0).unwrap().len(), 1);
}

#[test]
fn the_file_is_the_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("operators.db");
    drop(OperatorStore::open(&path, options()).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = OperatorStore::open(&path, options()).unwrap_err();
    assert_eq!(e.def.code, "JK-AUTH-0110");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    OperatorStore::open(&path, options()).unwrap();
}

#[test]
fn settings_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("operators.db");
    for bad in [
        Options {
            session_ms: 12 * 3_600_000 + 1,
            ..options()
        },
        Options {
            lockout_failures: 0,
            ..options()
        },
        Options {
            password_cost: PasswordCost {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1,
            },
            ..options()
        },
    ] {
        let e = OperatorStore::open(&path, bad).unwrap_err();
        assert_eq!(e.def.code, "JK-CFG-0102");
    }
    assert!(!path.exists(), "nothing is created for refused settings");
}

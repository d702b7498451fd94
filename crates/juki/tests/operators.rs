//! Operator accounts on a real node process: an admin certificate adds accounts, people log in
//! with a password and a one-time code and use the session token, lockout, disabling, and the
//! audit log's record of every attempt; the `juki operator` and `juki login` commands.

#![allow(clippy::unwrap_used)]

mod util;

use juki_api::{LoginRequest, OperatorAddRequest};
use juki_client::{Client, ClientError, Profile};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use util::*;

const SATO_PASSWORD: &str = "sato's long passphrase";
const ITO_PASSWORD: &str = "ito's long passphrase";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn code(secret: &str, at_ms: i64) -> String {
    juki_operators::totp::current_code(secret, at_ms).unwrap()
}

/// A code that none of the steps around now accepts.
fn wrong_code(secret: &str) -> String {
    let now = now_ms();
    let near: Vec<String> = (-2..=2).map(|d| code(secret, now + d * 30_000)).collect();
    (0..6u32)
        .map(|i| format!("{:06}", i * 111_111))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// Runs `juki` with `args` and `input` on standard input.
fn run_with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = juki()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Issues a person's certificate from the standalone node's CA and writes a profile for it
/// pointing at `url`.
fn profile(data: &Path, url: &str, role: &str, name: &str) -> PathBuf {
    let dir = data.join("profiles");
    let stem = format!("{name}-live");
    if !dir.join(format!("{stem}.crt")).exists() {
        ok(&run(&[
            "ca",
            "issue",
            "--dir",
            data.join("ca").to_str().unwrap(),
            "--role",
            role,
            "--code",
            "131148",
            "--name",
            name,
            "--out",
            dir.join(&stem).to_str().unwrap(),
        ]));
    }
    let path = dir.join(format!("{stem}.toml"));
    juki_client::write_profile(
        &path,
        &Profile {
            url: url.into(),
            role: role.into(),
            jurisdiction: "131148".into(),
            ca: "../tls/ca.pem".into(),
            cert: format!("{stem}.crt").into(),
            key: format!("{stem}.key").into(),
        },
    )
    .unwrap();
    path
}

fn client_of(profile: &Path) -> Client {
    Profile::load(profile)
        .unwrap()
        .client(Duration::from_secs(30))
        .unwrap()
}

/// The status and code of a refusal.
fn refusal<T: std::fmt::Debug>(r: Result<T, ClientError>) -> (u16, String) {
    match r {
        Err(ClientError::Refused { status, body, .. }) => (status, body.code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn add_req(name: &str, role: &str, jurisdiction: &str, password: &str) -> OperatorAddRequest {
    OperatorAddRequest {
        name: name.into(),
        role: role.into(),
        jurisdiction: jurisdiction.into(),
        password: password.into(),
    }
}

/// `juki operator add NAME --role clerk --jurisdiction 131148 --password-stdin --json`.
fn add_clerk_with_the_command(name: &str, profile: &Path, password: &str) -> Output {
    let args = [
        "operator",
        "add",
        name,
        "--role",
        "clerk",
        "--jurisdiction",
        "131148",
        "--password-stdin",
        "--profile",
        profile.to_str().unwrap(),
        "--json",
    ];
    run_with_stdin(&args, &format!("{password}\n"))
}

/// Logs in as `name`, presenting no certificate.
async fn log_in(
    client: &Client,
    name: &str,
    password: &str,
    totp: String,
) -> Result<juki_api::LoginResponse, ClientError> {
    let req = LoginRequest {
        name: name.into(),
        password: password.into(),
        totp,
    };
    client.login(&req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_log_in_use_sessions_lock_out_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init_municipal(data, "131148");
    let mut node = ServeProcess::start(data);
    let db = data.join("operators.db");
    assert!(db.exists(), "created on first start");
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let admin_profile = profile(data, &node.url, "admin", "admin");
    let clerk_profile = profile(data, &node.url, "clerk", "clerk");
    let admin = client_of(&admin_profile);
    let anonymous = node.anonymous();

    // An admin of 中野区 adds an admin account through the API…
    let sato = admin
        .add_operator(&add_req("sato", "admin", "131148", SATO_PASSWORD))
        .await
        .unwrap();
    assert_eq!(sato.identity, "urn:juki:admin:131148:sato");
    assert!(
        sato.otpauth_uri
            .starts_with("otpauth://totp/juki:sato@131148?secret="),
        "{}",
        sato.otpauth_uri
    );
    // …and a clerk account with the command, the password on standard input.
    let admin_arg = admin_profile.to_str().unwrap();
    let out = ok(&add_clerk_with_the_command(
        "ito",
        &admin_profile,
        ITO_PASSWORD,
    ));
    let ito: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ito["identity"], "urn:juki:clerk:131148:ito");
    let ito_secret = ito["totp_secret"].as_str().unwrap().to_string();
    // A taken name, a short password.
    let again = admin
        .add_operator(&add_req("ito", "clerk", "131148", ITO_PASSWORD))
        .await;
    assert_eq!(refusal(again), (409, "JK-AUTH-0106".into()));
    let short = add_clerk_with_the_command("kato", &admin_profile, "short");
    assert_refused(&short, 1, "JK-AUTH-0105");

    // A clerk may not manage accounts (an admin of another municipality neither).
    let clerk = client_of(&clerk_profile);
    let by_clerk = clerk
        .add_operator(&add_req("mori", "clerk", "131148", ITO_PASSWORD))
        .await;
    assert_eq!(refusal(by_clerk), (403, "JK-POL-0101".into()));
    let elsewhere = admin
        .add_operator(&add_req("mori", "clerk", "131202", ITO_PASSWORD))
        .await;
    assert_eq!(refusal(elsewhere), (403, "JK-POL-0102".into()));

    // sato logs in without a certificate and uses the token.
    let session = log_in(
        &anonymous,
        "sato",
        SATO_PASSWORD,
        code(&sato.totp_secret, now_ms()),
    )
    .await
    .unwrap();
    assert_eq!(session.identity, "urn:juki:admin:131148:sato");
    assert!(session.expires_at.ends_with('Z'), "{}", session.expires_at);
    let as_sato = anonymous.with_bearer(&session.token);
    let status = as_sato.status().await.unwrap();
    assert_eq!(status.code.as_deref(), Some("131148"));
    // The session is sato's identity, which the policy lets manage accounts.
    let listed = as_sato.operators().await.unwrap();
    let names: Vec<&str> = listed.operators.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["ito", "sato"]);
    assert_eq!(listed.operators[1].sessions, 1);
    // No token, or a token the node never gave: refused.
    assert_eq!(
        refusal(anonymous.status().await),
        (401, "JK-TLS-0101".into())
    );
    let forged = anonymous.with_bearer("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(refusal(forged.status().await), (401, "JK-AUTH-0102".into()));

    // ito logs in with the command (the profile names the node; no certificate is sent).
    let out = ok(&run_with_stdin(
        &[
            "login",
            "--profile",
            clerk_profile.to_str().unwrap(),
            "--name",
            "ito",
            "--password-stdin",
            "--totp",
            &code(&ito_secret, now_ms()),
            "--json",
        ],
        &format!("{ITO_PASSWORD}\n"),
    ));
    let ito_session: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ito_session["identity"], "urn:juki:clerk:131148:ito");
    let as_ito = anonymous.with_bearer(ito_session["token"].as_str().unwrap());
    as_ito.status().await.unwrap();
    // A clerk's session may not manage accounts either.
    assert_eq!(
        refusal(as_ito.operators().await),
        (403, "JK-POL-0101".into())
    );

    // A name no account has answers like a wrong password.
    let unknown = log_in(&anonymous, "nobody", SATO_PASSWORD, "123456".into()).await;
    assert_eq!(refusal(unknown), (401, "JK-AUTH-0101".into()));

    // Five wrong codes lock sato; then even the right code is refused, with its own code.
    let wrong = wrong_code(&sato.totp_secret);
    for _ in 0..5 {
        let r = log_in(&anonymous, "sato", SATO_PASSWORD, wrong.clone()).await;
        assert_eq!(refusal(r), (401, "JK-AUTH-0101".into()));
    }
    let locked = log_in(
        &anonymous,
        "sato",
        SATO_PASSWORD,
        code(&sato.totp_secret, now_ms() + 30_000),
    )
    .await;
    match locked {
        Err(ClientError::Refused { status, body, .. }) => {
            assert_eq!((status, body.code.as_str()), (403, "JK-AUTH-0103"));
            assert!(body.detail["locked_until"].as_str().is_some(), "{body:?}");
        }
        other => panic!("{other:?}"),
    }

    // Disabling ito ends its session and its logins.
    let out = ok(&run(&[
        "operator",
        "disable",
        "ito",
        "--profile",
        admin_arg,
    ]));
    assert!(out.contains("sessions ended: 1"), "{out}");
    assert_eq!(refusal(as_ito.status().await), (401, "JK-AUTH-0102".into()));
    let disabled = log_in(
        &anonymous,
        "ito",
        ITO_PASSWORD,
        code(&ito_secret, now_ms() + 30_000),
    )
    .await;
    assert_eq!(refusal(disabled), (403, "JK-AUTH-0104".into()));
    assert_refused(
        &run(&["operator", "disable", "nobody", "--profile", admin_arg]),
        1,
        "JK-AUTH-0107",
    );
    let out = ok(&run(&["operator", "list", "--profile", admin_arg]));
    assert!(out.contains("ito") && out.contains("disabled"), "{out}");
    assert!(out.contains("locked until"), "{out}");

    // sato's session outlives the lock, until logged out.
    as_sato.status().await.unwrap();
    assert!(as_sato.logout().await.unwrap().logged_out);
    assert_eq!(
        refusal(as_sato.status().await),
        (401, "JK-AUTH-0102".into())
    );

    assert!(node.terminate().success());

    // The audit log holds every attempt and every act, and no password or secret.
    let out = ok(&run(&[
        "audit",
        "show",
        "--data",
        data.to_str().unwrap(),
        "--limit",
        "1000",
        "--json",
    ]));
    for secret in [
        SATO_PASSWORD,
        ITO_PASSWORD,
        &sato.totp_secret,
        &ito_secret,
        &session.token,
    ] {
        assert!(!out.contains(secret), "the audit log holds a secret");
    }
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    let entries = shown["entries"].as_array().unwrap();
    let count = |action: &str, actor: &str, error: Option<&str>| {
        entries
            .iter()
            .filter(|e| {
                e["action"] == action && e["actor"] == actor && e["error"].as_str() == error
            })
            .count()
    };
    let sato_uri = "urn:juki:admin:131148:sato";
    let ito_uri = "urn:juki:clerk:131148:ito";
    let admin_uri = "urn:juki:admin:131148:admin";
    let clerk_uri = "urn:juki:clerk:131148:clerk";
    let expected = [
        ("login", sato_uri, None, 1),
        ("login", ito_uri, None, 1),
        ("login-failed", sato_uri, Some("JK-AUTH-0101"), 5),
        ("login-failed", sato_uri, Some("JK-AUTH-0103"), 1),
        ("login-failed", ito_uri, Some("JK-AUTH-0104"), 1),
        (
            "login-failed",
            "urn:juki:unknown:nobody",
            Some("JK-AUTH-0101"),
            1,
        ),
        ("admin:operator-add", admin_uri, None, 2),
        ("admin:operator-add", admin_uri, Some("JK-AUTH-0105"), 1),
        ("admin:operator-add", admin_uri, Some("JK-AUTH-0106"), 1),
        ("admin:operator-add", admin_uri, Some("JK-POL-0102"), 1),
        ("admin:operator-add", clerk_uri, Some("JK-POL-0101"), 1),
        ("admin:operator-list", sato_uri, None, 1),
        ("admin:operator-list", ito_uri, Some("JK-POL-0101"), 1),
        ("admin:operator-disable", admin_uri, None, 1),
        ("admin:operator-disable", admin_uri, Some("JK-AUTH-0107"), 1),
        ("admin:logout", sato_uri, None, 1),
    ];
    for (action, actor, error, n) in expected {
        assert_eq!(
            count(action, actor, error),
            n,
            "{action} by {actor}, {error:?}"
        );
    }
    let lock = entries
        .iter()
        .filter(|e| e["action"] == "login-failed" && e["actor"] == sato_uri)
        .nth(4)
        .unwrap();
    let detail = lock["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("wrong one-time code; 5 failures in a row: locked until"),
        "{detail}"
    );
}

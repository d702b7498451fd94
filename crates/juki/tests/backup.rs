//! Backups through the real binary: a repository on another device (/dev/shm), a backup of a
//! node with residents, a restore by juki and one by stock restic and sqlite3 alone, a damaged
//! pack named by `verify --read-data`, and the same-storage refusal.

// Test code: a failed unwrap fails the test.
#![allow(clippy::unwrap_used)]

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;
use util::backup::{Repo, load_synthetic};
use util::*;

/// A node with `n` synthetic residents, stopped; returns its data directory.
fn node_with_residents(dir: &Path, code: &str, n: u32, seed: &str) -> PathBuf {
    let data = dir.join("node");
    init_municipal(&data, code);
    load_synthetic(&data, dir, code, n, seed);
    data
}

/// Every row of the store's journal and residents, in order: two stores hold the same records
/// when these are equal.
fn records(store: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut out = Vec::new();
    for sql in [
        "SELECT * FROM journal ORDER BY seq",
        "SELECT * FROM residents ORDER BY resident_code",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.join("|"))
            })
            .unwrap();
        for row in rows {
            out.push(row.unwrap());
        }
    }
    out
}

#[test]
fn backup_then_restore_gives_the_same_records_and_a_node_that_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 400, "1");
    let repo = Repo::new();
    ok(&repo.run("init", &["--data", p(&data)]));

    let snap = json(&repo.run("run", &["--data", p(&data), "--json"]));
    assert_eq!(snap["node"], "131016", "{snap}");
    assert_eq!(snap["journal_head_seq"], 400, "{snap}");
    assert!(
        !data.join(juki_backup_staging()).exists(),
        "staging copy left behind"
    );

    let list = json(&repo.run("list", &["--json"]));
    let snaps = list["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 1, "{list}");
    assert_eq!(snaps[0]["id"], snap["id"]);

    let target = dir.path().join("restored");
    let restored = json(&repo.run("restore", &["latest", "--target", p(&target), "--json"]));
    assert_eq!(restored["snapshot"]["id"], snap["id"]);
    let before = records(&data.join("store.db"));
    assert_eq!(before.len(), 800);
    assert_eq!(records(&target.join("store.db")), before);
    assert!(target.join("juki.toml").is_file());
    assert!(!target.join(".backup.lock").exists());
    assert!(juki_pki_private(&target.join("tls/node.key")));

    // A restore never mixes with existing files.
    assert_refused(
        &repo.run("restore", &["latest", "--target", p(&target)]),
        1,
        "JK-BAK-0108",
    );
    // The restored directory is a node that starts, and a serving node is backed up as it
    // runs (its store in WAL mode, its lock held).
    let mut node = ServeProcess::start(&target);
    let again = json(&repo.run("run", &["--data", p(&target), "--json"]));
    assert_eq!(again["journal_head_seq"], 400, "{again}");
    assert!(node.terminate().success());
}

#[test]
fn prune_keeps_the_newest_and_the_repository_still_checks() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 100, "5");
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    ok(&repo.run("run", &["--data", p(&data)]));
    load_synthetic(&data, dir.path(), "131016", 100, "6");
    let newest = json(&repo.run("run", &["--data", p(&data), "--full", "--json"]));
    assert_eq!(newest["kind"], "full", "{newest}");
    assert_refused(&repo.run("prune", &[]), 2, "JK-BAK-0113");
    let pruned = json(&repo.run("prune", &["--keep-last", "1", "--json"]));
    assert_eq!(
        pruned["kept"],
        serde_json::json!([newest["id"]]),
        "{pruned}"
    );
    assert_eq!(pruned["forgotten"].as_array().unwrap().len(), 1, "{pruned}");
    let list = json(&repo.run("list", &["--json"]));
    assert_eq!(list["snapshots"].as_array().unwrap().len(), 1, "{list}");
    ok(&repo.run("verify", &["--read-data"]));
    let out = Command::new("restic")
        .args([
            "-r",
            p(&repo.path),
            "--password-file",
            p(&repo.password),
            "check",
        ])
        .output()
        .unwrap();
    ok(&out);
}

#[test]
fn a_wrong_password_and_a_missing_repository_are_refused_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    assert_refused(&repo.run("init", &[]), 1, "JK-BAK-0105");
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the password\n").unwrap();
    let r = p(&repo.path);
    let out = run(&["backup", "list", "--repo", r, "--password-file", p(&wrong)]);
    assert_refused(&out, 1, "JK-BAK-0103");
    let nowhere = dir.path().join("nowhere");
    let out = run(&[
        "backup",
        "list",
        "--repo",
        p(&nowhere),
        "--password-file",
        p(&wrong),
    ]);
    assert_refused(&out, 1, "JK-BAK-0112");
    let missing = dir.path().join("missing-password");
    let out = run(&[
        "backup",
        "list",
        "--repo",
        r,
        "--password-file",
        p(&missing),
    ]);
    assert_refused(&out, 2, "JK-BAK-0104");
}

fn juki_backup_staging() -> &'static str {
    ".backup-staging"
}

fn juki_pki_private(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o077 == 0
}

/// A tag's value among a restic snapshot's tags (`prefix=value`).
fn tag<'a>(snap: &'a serde_json::Value, prefix: &str) -> Option<&'a str> {
    snap["tags"]
        .as_array()?
        .iter()
        .find_map(|t| t.as_str()?.strip_prefix(prefix))
}

#[test]
fn stock_restic_and_sqlite3_alone_restore_a_juki_backup() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 300, "2");
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    ok(&repo.run("run", &["--data", p(&data)]));
    // Two journal snapshots after the full one.
    load_synthetic(&data, dir.path(), "131016", 50, "11");
    let j = json(&repo.run("run", &["--data", p(&data), "--json"]));
    assert_eq!(j["kind"], "journal", "{j}");
    load_synthetic(&data, dir.path(), "131016", 50, "12");
    ok(&repo.run("run", &["--data", p(&data)]));
    let by_juki = dir.path().join("by-juki");
    ok(&repo.run("restore", &["--target", p(&by_juki), "--scratch"]));

    // The manual restore of docs/backup.md, step by step.
    let restic = |args: &[&str]| {
        let out = Command::new("restic")
            .args(["-r", p(&repo.path), "--password-file", p(&repo.password)])
            .args(args)
            .output()
            .expect("restic is installed (scripts/test installs it)");
        ok(&out)
    };
    let snaps: serde_json::Value = serde_json::from_str(&restic(&["snapshots", "--json"])).unwrap();
    let snaps = snaps.as_array().unwrap();
    let full = snaps
        .iter()
        .find(|s| tag(s, "kind=") == Some("full"))
        .unwrap();
    let mut journals: Vec<_> = snaps
        .iter()
        .filter(|s| tag(s, "kind=") == Some("journal"))
        .collect();
    journals.sort_by_key(|s| tag(s, "after=").unwrap().parse::<u64>().unwrap());
    assert_eq!(journals.len(), 2);
    let target = dir.path().join("by-restic");
    restic(&[
        "restore",
        full["id"].as_str().unwrap(),
        "--target",
        p(&target),
    ]);
    let store = target.join("juki-data/store.db");
    let count = |db: &Path, sql: &str| {
        let out = Command::new("sqlite3")
            .args([p(db), sql])
            .output()
            .expect("sqlite3 is installed (scripts/test installs it)");
        ok(&out).trim().to_string()
    };
    let mut head = tag(full, "seq=").unwrap().to_string();
    for (i, journal) in journals.iter().enumerate() {
        assert_eq!(
            tag(journal, "after="),
            Some(head.as_str()),
            "the chain links"
        );
        assert_eq!(count(&store, "SELECT max(seq) FROM journal"), head);
        let seg_dir = dir.path().join(format!("j{i}"));
        restic(&[
            "restore",
            journal["id"].as_str().unwrap(),
            "--target",
            p(&seg_dir),
        ]);
        let segment = std::fs::read_dir(seg_dir.join("juki-journal"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let out = Command::new("sqlite3")
            .args(["-bail", p(&store)])
            .stdin(std::fs::File::open(&segment).unwrap())
            .output()
            .unwrap();
        ok(&out);
        head = tag(journal, "seq=").unwrap().to_string();
    }
    let sql = "SELECT count(*) FROM residents WHERE status = 'current'";
    assert_eq!(count(&store, sql), "400");
    assert_eq!(count(&store, sql), count(&data.join("store.db"), sql));
    assert_eq!(records(&store), records(&data.join("store.db")));
    assert_eq!(records(&store), records(&by_juki.join("store.db")));
    assert_eq!(count(&store, "PRAGMA integrity_check"), "ok");
}

/// The pack files of a repository: `data/XX/ID`.
fn packs(repo: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for sub in std::fs::read_dir(repo.join("data")).unwrap() {
        for f in std::fs::read_dir(sub.unwrap().path()).unwrap() {
            v.push(f.unwrap().path());
        }
    }
    v.sort();
    v
}

#[test]
fn verify_read_data_names_a_damaged_pack_and_an_unaffected_snapshot_still_restores() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 300, "3");
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    let first = json(&repo.run("run", &["--data", p(&data), "--json"]));
    let packs_first = packs(&repo.path);
    let records_first = records(&data.join("store.db"));
    load_synthetic(&data, dir.path(), "131016", 300, "4");
    ok(&repo.run("run", &["--data", p(&data)]));
    ok(&repo.run("verify", &["--read-data"]));

    // Damage the largest pack only the second snapshot uses, keeping its size.
    let damaged = packs(&repo.path)
        .into_iter()
        .filter(|p| !packs_first.contains(p))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&damaged).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0xff;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let name = damaged.file_name().unwrap().to_str().unwrap();

    let out = repo.run("verify", &["--read-data"]);
    assert_refused(&out, 1, "JK-BAK-0106");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(name),
        "the damaged pack {name} is not named: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let target = dir.path().join("restored");
    let id = first["id"].as_str().unwrap();
    ok(&repo.run("restore", &[id, "--target", p(&target)]));
    assert_eq!(records(&target.join("store.db")), records_first);
}

#[test]
fn a_repository_on_the_data_device_is_refused_unless_the_operator_knows() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    init_municipal(&data, "131016");
    let password = dir.path().join("password");
    std::fs::write(&password, "pw\n").unwrap();
    let beside = dir.path().join("repo");
    let args = |cmd: &'static str, extra: &[&'static str]| {
        let mut v: Vec<String> = ["backup", cmd, "--repo", p(&beside)]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(["--password-file", p(&password), "--data", p(&data)].map(String::from));
        v.extend(extra.iter().map(|s| s.to_string()));
        juki().args(v).output().unwrap()
    };
    assert_refused(&args("init", &[]), 1, "JK-BAK-0101");
    assert!(!beside.exists(), "nothing is created when refused");
    let same = ["--i-know-this-is-the-same-storage"];
    ok(&args("init", &same));
    assert_refused(&args("run", &[]), 1, "JK-BAK-0101");
    let out = args("run", &same);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("JK-BAK-0101"));
}

/// Appends a `[backup]` section to a node's juki.toml.
fn configure_backup(data: &Path, repo: &Path, password: &Path, extra: &str) {
    let mut text = std::fs::read_to_string(data.join("juki.toml")).unwrap();
    text.push_str(&format!(
        "\n[backup]\nrepo = {:?}\npassword_file = {:?}\n{extra}\n",
        p(repo),
        p(password)
    ));
    std::fs::write(data.join("juki.toml"), text).unwrap();
}

/// The value of one metric in a Prometheus text exposition (not its HELP line).
fn metric<'a>(metrics: &'a str, name: &str) -> Option<&'a str> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_node_backs_itself_up_on_its_interval_and_reports_it_in_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 50, "7");
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    configure_backup(&data, &repo.path, &repo.password, "interval_seconds = 1");
    let mut node = ServeProcess::start(&data);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let snaps = loop {
        let list = json(&repo.run("list", &["--json"]));
        let snaps = list["snapshots"].as_array().unwrap().clone();
        if !snaps.is_empty() {
            break snaps;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no backup within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(snaps[0]["journal_head_seq"], 50);
    let metrics = block_on(node.anonymous().metrics()).unwrap();
    assert!(
        metric(&metrics, "juki_backup_failures_total") == Some("0"),
        "{metrics}"
    );
    assert!(
        metric(&metrics, "juki_backup_same_storage") == Some("0"),
        "{metrics}"
    );
    let status = block_on(node.client().status()).unwrap();
    assert!(
        !status.warnings.iter().any(|w| w.code == "JK-BAK-0101"),
        "{:?}",
        status.warnings
    );
    assert!(node.terminate().success());
    // `backup run` of a configured node needs no repository flags (a timer's command line).
    let snap = json(&run(&["backup", "run", "--data", p(&data), "--json"]));
    assert_eq!(snap["node"], "131016", "{snap}");
}

#[test]
fn status_and_metrics_warn_while_the_repository_is_on_the_data_device() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    init_municipal(&data, "131016");
    let password = dir.path().join("password");
    std::fs::write(&password, "pw\n").unwrap();
    configure_backup(
        &data,
        &dir.path().join("repo"),
        &password,
        "same_storage = true",
    );
    let mut node = ServeProcess::start(&data);
    let status = block_on(node.client().status()).unwrap();
    assert!(
        status.warnings.iter().any(|w| w.code == "JK-BAK-0101"),
        "{:?}",
        status.warnings
    );
    let metrics = block_on(node.anonymous().metrics()).unwrap();
    assert!(
        metric(&metrics, "juki_backup_same_storage") == Some("1"),
        "{metrics}"
    );
    assert!(node.terminate().success());
}

/// A restic REST server (the protocol of rest-server and `rclone serve restic`) over plain HTTP
/// on a loopback port, storing files in `root`: enough of the protocol for a test, nothing more.
mod rest_server {
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use std::path::PathBuf;
    use std::sync::Arc;

    /// Starts the server over HTTPS with a certificate for 127.0.0.1 from a CA of its own;
    /// returns its base URL and the CA's certificate (PEM).
    pub fn start_tls(root: PathBuf) -> (String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let addr = serve(root, Some(acceptor));
        (format!("https://{addr}/"), ca_cert.pem())
    }

    /// Starts the server over plain HTTP; returns its base URL (`http://127.0.0.1:PORT/`).
    pub fn start(root: PathBuf) -> String {
        format!("http://{}/", serve(root, None))
    }

    /// Serves `root` on a loopback port from a thread of its own, over TLS when given.
    fn serve(root: PathBuf, tls: Option<tokio_rustls::TlsAcceptor>) -> std::net::SocketAddr {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new()
                    .fallback(handle)
                    .with_state(Arc::new(root));
                loop {
                    let (tcp, _) = listener.accept().await.unwrap();
                    let (tls, app) = (tls.clone(), app.clone());
                    tokio::spawn(async move {
                        match tls {
                            Some(acceptor) => {
                                if let Ok(stream) = acceptor.accept(tcp).await {
                                    connection(stream, app).await;
                                }
                            }
                            None => connection(tcp, app).await,
                        }
                    });
                }
            });
        });
        rx.recv().unwrap()
    }

    async fn connection<S>(stream: S, app: axum::Router)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let svc = hyper_util::service::TowerToHyperService::new(app);
        let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
            .await;
    }

    async fn handle(
        State(root): State<Arc<PathBuf>>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = uri.path().trim_start_matches('/');
        if path.split('/').any(|part| part == "..") {
            return StatusCode::BAD_REQUEST.into_response();
        }
        if path.is_empty() && method == Method::POST {
            for t in ["data", "keys", "locks", "snapshots", "index"] {
                std::fs::create_dir_all(root.join(t)).unwrap();
            }
            return StatusCode::OK.into_response();
        }
        let file = root.join(path);
        if path.ends_with('/') {
            let mut names = Vec::new();
            if let Ok(dir) = std::fs::read_dir(&file) {
                for e in dir.flatten() {
                    let size = e.metadata().unwrap().len();
                    names.push((e.file_name().into_string().unwrap(), size));
                }
            }
            let v2 = headers
                .get("accept")
                .is_some_and(|a| a.as_bytes().ends_with(b"rest.v2"));
            let body = if v2 {
                serde_json::json!(
                    names
                        .iter()
                        .map(|(n, s)| serde_json::json!({"name": n, "size": s}))
                        .collect::<Vec<_>>()
                )
            } else {
                serde_json::json!(names.iter().map(|(n, _)| n).collect::<Vec<_>>())
            };
            let ct = if v2 {
                "application/vnd.x.restic.rest.v2"
            } else {
                "application/vnd.x.restic.rest.v1"
            };
            return ([("content-type", ct)], body.to_string()).into_response();
        }
        match method {
            Method::POST => {
                std::fs::write(&file, &body).unwrap();
                StatusCode::OK.into_response()
            }
            Method::DELETE => {
                let _ = std::fs::remove_file(&file);
                StatusCode::OK.into_response()
            }
            Method::HEAD | Method::GET => {
                let Ok(bytes) = std::fs::read(&file) else {
                    return StatusCode::NOT_FOUND.into_response();
                };
                let len = bytes.len();
                let range = headers
                    .get("range")
                    .and_then(|r| r.to_str().ok())
                    .and_then(|r| r.strip_prefix("bytes="))
                    .and_then(|r| r.split_once('-'))
                    .map(|(a, b)| {
                        let a: usize = a.parse().unwrap();
                        let b = b.parse::<usize>().map_or(len - 1, |b| b.min(len - 1));
                        (a, b)
                    });
                if method == Method::HEAD {
                    return ([("content-length", len.to_string())], ()).into_response();
                }
                match range {
                    Some((a, b)) => {
                        (StatusCode::PARTIAL_CONTENT, bytes[a..=b].to_vec()).into_response()
                    }
                    None => bytes.into_response(),
                }
            }
            _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        }
    }
}

/// `juki backup CMD --repo URL --password-file F EXTRA…`.
fn backup_at(url: &str, password: &Path, cmd: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["backup", cmd, "--repo", url, "--password-file", p(password)];
    args.extend_from_slice(extra);
    run(&args)
}

/// A node with residents, a directory for a REST server to serve, and a password file.
fn rest_fixture(seed: &str) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 100, seed);
    let served = dir.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "pw\n").unwrap();
    (dir, data, served, password)
}

#[test]
fn a_rest_server_holds_a_backup_that_juki_and_stock_restic_restore() {
    let (dir, data, served, password) = rest_fixture("8");
    let url = format!("rest:{}", rest_server::start(served));
    let juki_backup = |cmd: &str, extra: &[&str]| backup_at(&url, &password, cmd, extra);
    // A remote repository is not on the data's device: no refusal, no flag.
    ok(&juki_backup("init", &["--data", p(&data)]));
    ok(&juki_backup("run", &["--data", p(&data)]));
    ok(&juki_backup("verify", &["--read-data"]));
    let target = dir.path().join("restored");
    ok(&juki_backup("restore", &["latest", "--target", p(&target)]));
    assert_eq!(
        records(&target.join("store.db")),
        records(&data.join("store.db"))
    );
    let by_restic = dir.path().join("by-restic");
    let out = Command::new("restic")
        .args(["-r", &url, "--password-file", p(&password)])
        .args(["restore", "latest", "--target", p(&by_restic)])
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(
        records(&by_restic.join("juki-data/store.db")),
        records(&data.join("store.db"))
    );
}

#[test]
fn a_rest_server_over_https_with_a_private_ca_is_trusted_through_cacert() {
    let (dir, data, served, password) = rest_fixture("9");
    let (base, ca_pem) = rest_server::start_tls(served);
    let url = format!("rest:{base}");
    let cacert = dir.path().join("rest-ca.pem");
    std::fs::write(&cacert, ca_pem).unwrap();
    // (Without --cacert the certificate is refused, after the REST backend's retries: a minute,
    // too long for this test.)
    let with_ca = |cmd: &str, extra: &[&str]| {
        let mut a = vec!["--cacert", p(&cacert)];
        a.extend_from_slice(extra);
        backup_at(&url, &password, cmd, &a)
    };
    ok(&with_ca("init", &[]));
    ok(&with_ca("run", &["--data", p(&data)]));
    let target = dir.path().join("restored");
    ok(&with_ca("restore", &["latest", "--target", p(&target)]));
    assert_eq!(
        records(&target.join("store.db")),
        records(&data.join("store.db"))
    );
    let out = Command::new("restic")
        .args([
            "-r",
            &url,
            "--password-file",
            p(&password),
            "--cacert",
            p(&cacert),
        ])
        .args(["snapshots", "--json"])
        .output()
        .unwrap();
    assert!(ok(&out).contains("node=131016"));
}

#[test]
fn failing_scheduled_backups_are_counted_and_become_overdue_in_status_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 10, "10");
    // A repository nobody created: every scheduled backup fails (JK-BAK-0112).
    let repo = Repo::new();
    configure_backup(&data, &repo.path, &repo.password, "interval_seconds = 1");
    let mut node = ServeProcess::start(&data);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let metrics = loop {
        let metrics = block_on(node.anonymous().metrics()).unwrap();
        if metric(&metrics, "juki_backup_overdue") == Some("1") {
            break metrics;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not overdue within 60 s: {metrics}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        metric(&metrics, "juki_backup_failures_total").and_then(|v| v.parse::<u64>().ok())
            > Some(0),
        "{metrics}"
    );
    let status = block_on(node.client().status()).unwrap();
    assert!(
        status.warnings.iter().any(|w| w.code == "JK-BAK-0115"),
        "{:?}",
        status.warnings
    );
    assert!(node.terminate().success());
}

#[test]
fn a_chain_restores_to_a_sequence_refuses_a_gap_by_name_and_passes_drills() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 40, "13");
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    let full = json(&repo.run("run", &["--data", p(&data), "--json"]));
    load_synthetic(&data, dir.path(), "131016", 20, "14");
    let j1 = json(&repo.run("run", &["--data", p(&data), "--json"]));
    load_synthetic(&data, dir.path(), "131016", 20, "15");
    let j2 = json(&repo.run("run", &["--data", p(&data), "--json"]));
    assert_eq!(
        (
            &j1["after"],
            &j1["journal_head_seq"],
            &j2["after"],
            &j2["journal_head_seq"]
        ),
        (&40.into(), &60.into(), &60.into(), &80.into()),
        "{j1} {j2}"
    );
    let list = ok(&repo.run("list", &[]));
    assert!(
        list.contains("journal") && list.contains("61..80"),
        "{list}"
    );

    // By hand, a drill restores the chain beside the data and finds the live journal in it.
    let drill = json(&repo.run("drill", &["--data", p(&data), "--json"]));
    assert_eq!(
        (&drill["ok"], &drill["seq"]),
        (&true.into(), &80.into()),
        "{drill}"
    );

    // A sequence inside the first segment, as an inspection copy.
    let target = dir.path().join("at-50");
    let r = json(&repo.run(
        "restore",
        &[
            "--target",
            p(&target),
            "--to-seq",
            "50",
            "--scratch",
            "--json",
        ],
    ));
    assert_eq!(
        (&r["seq"], &r["new_epoch"]),
        (&50.into(), &serde_json::Value::Null),
        "{r}"
    );
    let conn = rusqlite::Connection::open(target.join("store.db")).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT max(seq) FROM journal"), 50);
    assert_eq!(count("SELECT count(*) FROM residents"), 50);
    drop(conn);

    // A time: after every backup, the whole chain; before the first, nothing covers it.
    let r = json(&repo.run(
        "restore",
        &[
            "--target",
            p(&dir.path().join("by-time")),
            "--to-time",
            "2100-01-01T00:00:00+09:00",
            "--scratch",
            "--json",
        ],
    ));
    assert_eq!(r["seq"], 80, "{r}");
    let too_early = dir.path().join("too-early");
    let before = ["--target", p(&too_early), "--to-time"];
    let out = repo.run(
        "restore",
        &[&before[..], &["2000-01-01T00:00:00Z"]].concat(),
    );
    assert_refused(&out, 1, "JK-BAK-0117");
    let out = repo.run("restore", &[&before[..], &["yesterday"]].concat());
    assert_eq!(out.status.code(), Some(2));

    // The first journal snapshot forgotten: past it the chain is refused, naming the gap.
    let out = Command::new("restic")
        .args(["-r", p(&repo.path), "--password-file", p(&repo.password)])
        .args(["forget", j1["id"].as_str().unwrap()])
        .output()
        .unwrap();
    ok(&out);
    let out = repo.run("restore", &["--target", p(&dir.path().join("gap"))]);
    assert_refused(&out, 1, "JK-BAK-0116");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("41..=60"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = repo.run(
        "restore",
        &[
            "--target",
            p(&dir.path().join("early")),
            "--to-seq",
            "40",
            "--json",
        ],
    );
    assert_eq!(json(&out)["snapshot"]["id"], full["id"]);
    // A drill of the broken chain fails with the same code.
    assert_refused(&repo.run("drill", &["--data", p(&data)]), 1, "JK-BAK-0116");
}

#[test]
fn a_node_drills_its_backups_on_its_interval_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = node_with_residents(dir.path(), "131016", 30, "16");
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    configure_backup(
        &data,
        &repo.path,
        &repo.password,
        "interval_seconds = 1\ndrill_interval_seconds = 1",
    );
    let mut node = ServeProcess::start(&data);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let metrics = loop {
        let metrics = block_on(node.anonymous().metrics()).unwrap();
        if metric(&metrics, "juki_backup_drill_last_success_seconds").is_some_and(|v| v != "0") {
            break metrics;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no drill passed within 60 s: {metrics}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(
        metric(&metrics, "juki_backup_drill_failed"),
        Some("0"),
        "{metrics}"
    );
    let status = block_on(node.client().status()).unwrap();
    assert!(
        !status
            .warnings
            .iter()
            .any(|w| w.code.starts_with("JK-BAK-012")),
        "{:?}",
        status.warnings
    );
    assert!(node.terminate().success());
}

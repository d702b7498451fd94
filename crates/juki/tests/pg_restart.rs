//! A PostgreSQL restart under a running network, as real processes: the demo nation with its
//! prefecture and national nodes on a private PostgreSQL instance this test starts itself
//! (`initdb` and `pg_ctl` on its own port and directory, never the shared server). While the
//! server is down, requests to those nodes fail fast with JK-STORE-0106, a municipality goes
//! on accepting changes and its forwarder retries; once the server is back, every change
//! accepted reaches the national node.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use util::changes::{move_in_nakano, submit_ok};
use util::demo::{Demo, free_base};
use util::run;

/// A PostgreSQL instance of this test's own, stopped when dropped.
struct Instance {
    dir: PathBuf,
    port: u16,
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs a PostgreSQL program as the user it accepts: the `postgres` user when this test runs
/// as root (PostgreSQL refuses to run as root), else this user.
fn pg_command(program: &str) -> Command {
    if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

fn ok(what: &str, out: std::io::Result<Output>) {
    let out = out.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Instance {
    fn init(parent: &Path) -> Instance {
        let dir = parent.join("pg");
        std::fs::create_dir_all(&dir).unwrap();
        // The postgres user must reach and own its directory.
        ok(
            "chmod",
            Command::new("chmod").arg("755").arg(parent).output(),
        );
        if as_root() {
            ok(
                "chown",
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir)
                    .output(),
            );
        }
        ok(
            "initdb",
            pg_command("initdb")
                .args(["-D", dir.join("data").to_str().unwrap()])
                .args(["-U", "postgres", "--auth=trust", "--no-sync"])
                .output(),
        );
        // A port the system hands out (not one from the range the demo's ports come from).
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let instance = Instance { dir, port };
        instance.start();
        instance
    }

    fn pg_ctl(&self, args: &[&str]) -> std::io::Result<Output> {
        pg_command("pg_ctl")
            .args(["-D", self.dir.join("data").to_str().unwrap(), "-w"])
            .args(args)
            .output()
    }

    fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        ok(
            "pg_ctl start",
            self.pg_ctl(&["-o", &options, "-l", log.to_str().unwrap(), "start"]),
        );
    }

    fn stop(&self) {
        ok("pg_ctl stop", self.pg_ctl(&["-m", "fast", "stop"]));
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-m", "immediate", "stop"]);
    }
}

fn record(profile: &Path, code: &str) -> Output {
    run(&[
        "record",
        "get",
        code,
        "--profile",
        profile.to_str().unwrap(),
        "--json",
    ])
}

fn status_residents(profile: &Path) -> Option<u64> {
    let out = run(&["status", "--json", "--profile", profile.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["residents"].as_u64()
}

#[test]
fn a_postgres_restart_loses_nothing_and_fails_fast_meanwhile() {
    let tmp = tempfile::tempdir().unwrap();
    let pg = Instance::init(tmp.path());
    let dir = tmp.path().join("demo");
    let base = free_base();
    let url = pg.url("juki");
    let demo = Demo::start_with(&dir, base, 120, "warn", &["--store", &url]);
    let national = demo.profile("national-operator");
    assert_eq!(status_residents(&national), Some(120));

    pg.stop();
    // A request that needs the store fails within the pool's acquire timeout, with the code.
    let started = Instant::now();
    let out = record(&national, "12345678903");
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("JK-STORE-0106"), "{said}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    // The municipality (SQLite) goes on accepting changes; its forwarder cannot deliver them.
    let codes: Vec<String> = (0..3)
        .map(|i| juki_domain::ResidentCode::from_body(1_234_567_890 + i).to_string())
        .collect();
    let lines: Vec<String> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| move_in_nakano(&format!("PGR-{i}"), c))
        .collect();
    let answer = submit_ok(
        &demo.profile("131148-clerk"),
        &dir.join("pgr.jsonl"),
        &lines,
    );
    assert_eq!(answer["applied"], 3);

    // Back up: the forwarders resume by themselves and every accepted change arrives, once.
    pg.start();
    let deadline = Instant::now() + Duration::from_secs(120);
    while status_residents(&national) != Some(123) {
        assert!(
            Instant::now() < deadline,
            "national holds {:?} residents after the restart, not 123",
            status_residents(&national)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for code in &codes {
        let out = record(&national, code);
        assert!(
            out.status.success(),
            "{code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(demo);
}

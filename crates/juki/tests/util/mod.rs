//! Helpers for tests that run the real `juki` binary in a temporary directory.

#![allow(dead_code)]
// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

pub mod backup;
pub mod changes;
pub mod demo;
pub mod pg;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `juki` binary under test.
pub fn juki() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_juki"));
    c.env("JUKI_LOG", "warn");
    c
}

/// Runs `juki` with `args`, returning its output (never panics on a non-zero exit).
pub fn run(args: &[&str]) -> Output {
    juki().args(args).output().expect("running juki")
}

/// A `juki serve` process, stopped (SIGTERM, then kill) when dropped.
pub struct ServeProcess {
    pub child: Child,
    pub url: String,
    pub data: PathBuf,
}

impl ServeProcess {
    /// Starts `juki serve --data DIR --listen 127.0.0.1:0` and waits for its ready line.
    pub fn start(data: &Path) -> ServeProcess {
        Self::start_with(data, &["--listen", "127.0.0.1:0"])
    }

    /// Starts `juki serve --data DIR` on its configured address.
    pub fn start_configured(data: &Path) -> ServeProcess {
        Self::start_with(data, &[])
    }

    fn start_with(data: &Path, extra: &[&str]) -> ServeProcess {
        let mut child = juki()
            .args(["serve", "--data", data.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting juki serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("juki serve did not report ready within 60 s");
        let url = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        ServeProcess {
            child,
            url,
            data: data.to_path_buf(),
        }
    }

    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.data.join("tls/ca.pem")).unwrap()
    }

    /// A client presenting the standalone node's operator certificate (the clerk of a
    /// municipal node), at the address the node listens on.
    pub fn client(&self) -> juki_client::Client {
        let dir = self.data.join("profiles");
        let stem = ["clerk", "admin", "operator"]
            .into_iter()
            .find(|s| dir.join(format!("{s}.toml")).exists())
            .expect("a standalone node has an operator profile");
        let mut p = juki_client::Profile::load(&dir.join(format!("{stem}.toml"))).unwrap();
        p.url = self.url.clone();
        p.client(Duration::from_secs(30)).unwrap()
    }

    /// A client without a client certificate.
    pub fn anonymous(&self) -> juki_client::Client {
        juki_client::Client::new(&self.url, &self.ca_pem(), Duration::from_secs(30)).unwrap()
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        exit_status(&mut self.child)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `f` every 200 ms until it is true, for at most `secs` seconds.
pub fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits (at most 30 s) for `child` to exit, and returns how it did.
pub fn exit_status(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "juki did not stop within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `juki init --role municipal --code CODE --data DIR`.
pub fn init_municipal(dir: &Path, code: &str) {
    let out = run(&[
        "init",
        "--role",
        "municipal",
        "--code",
        code,
        "--data",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts that a command exited with `status` and named the error `code` on stderr.
pub fn assert_refused(out: &Output, status: i32, code: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "{stderr}");
    assert!(stderr.contains(code), "expected {code} in: {stderr}");
}

/// Asserts that a command succeeded; returns its standard output.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A command's standard output as JSON (the output and its errors in the panic otherwise).
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A path as the `&str` a command line takes.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The identity lookups that succeeded among the accesses of a disclosure report's tier.
pub fn identity_lookups(tier: &serde_json::Value) -> Vec<&serde_json::Value> {
    tier["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["function"] == "identity-lookup" && a["result"] == "ok")
        .collect()
}

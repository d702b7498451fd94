//! Backup repositories and populated nodes for the backup, restore and reconcile tests.

use super::{ok, p, run};
use std::path::{Path, PathBuf};

/// A repository location on another device than the data (`/dev/shm`), with a password file
/// beside it; `backup init` is the test's to run.
pub struct Repo {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub password: PathBuf,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir_in("/dev/shm").unwrap();
        let path = dir.path().join("repo");
        let password = dir.path().join("password");
        std::fs::write(&password, "correct horse battery staple\n").unwrap();
        Repo {
            _dir: dir,
            path,
            password,
        }
    }

    /// `backup CMD --repo R --password-file F`.
    pub fn args<'a>(&'a self, cmd: &'a str) -> Vec<&'a str> {
        vec![
            "backup",
            cmd,
            "--repo",
            p(&self.path),
            "--password-file",
            p(&self.password),
        ]
    }

    /// `juki backup CMD --repo R --password-file F MORE…`.
    pub fn run(&self, cmd: &str, more: &[&str]) -> std::process::Output {
        let mut args = self.args(cmd);
        args.extend_from_slice(more);
        run(&args)
    }
}

/// `n` synthetic residents of municipality `code` (seed `seed`) loaded into the stopped node
/// at `data`; the CSV is written in `dir`.
pub fn load_synthetic(data: &Path, dir: &Path, code: &str, n: u32, seed: &str) {
    let csv = dir.join(format!("pop-{seed}.csv"));
    let n = n.to_string();
    ok(&run(&[
        "synth",
        "--residents",
        &n,
        "--seed",
        seed,
        "--municipality",
        code,
        "--out",
        p(&csv),
    ]));
    ok(&run(&["load", "--data", p(data), p(&csv)]));
}

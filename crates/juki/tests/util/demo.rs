//! The demo nation as one `juki demo` process, for tests that need the whole network.

use super::juki;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `juki demo` process serving until dropped (SIGTERM, which stops its nodes in order).
pub struct Demo {
    pub child: Child,
    pub dir: PathBuf,
}

impl Demo {
    pub fn start(dir: &Path, base: u16, residents: u64) -> Demo {
        Demo::start_logging(dir, base, residents, "warn")
    }

    /// As [`Demo::start`], with the nodes logging at `level` (into DIR/nodes/*/node.log).
    pub fn start_logging(dir: &Path, base: u16, residents: u64, level: &str) -> Demo {
        Demo::start_with(dir, base, residents, level, &[])
    }

    /// As [`Demo::start_logging`], with more arguments to `juki demo`.
    pub fn start_with(dir: &Path, base: u16, residents: u64, level: &str, extra: &[&str]) -> Demo {
        Demo::start_with_env(dir, base, residents, level, extra, &[])
    }

    /// As [`Demo::start_with`], with environment variables for `juki demo` and its nodes.
    pub fn start_with_env(
        dir: &Path,
        base: u16,
        residents: u64,
        level: &str,
        extra: &[&str],
        env: &[(&str, &Path)],
    ) -> Demo {
        let child = juki()
            .env("JUKI_LOG", level)
            .envs(env.iter().copied())
            .args(["demo", "--dir", dir.to_str().unwrap(), "--port"])
            .arg(base.to_string())
            .args(["--residents", &residents.to_string(), "--seed", "7"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let demo = Demo {
            child,
            dir: dir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(300);
        while !dir.join("demo.json").exists() {
            assert!(Instant::now() < deadline, "demo.json not written in 300 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        demo
    }

    pub fn profile(&self, name: &str) -> PathBuf {
        self.dir.join("profiles").join(format!("{name}.toml"))
    }

    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "demo did not stop in 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}

/// A base port with ten free ports after it, in 20000–31999: below the range the system hands
/// out for outgoing connections and `:0` listeners (32768–60999 on Linux), so that a port found
/// free is not taken by another test's connection before the demo binds it.
pub fn free_base() -> u16 {
    let slot = |n: u32| 20_000 + (n % 1200) as u16 * 10;
    (0..200)
        .map(|i| slot(std::process::id() + i * 7))
        .find(|&b| (b..b + 10).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()))
        .expect("ten free ports")
}

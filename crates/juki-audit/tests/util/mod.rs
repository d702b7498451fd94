//! Helpers for the audit log's tests: a node with a certificate from a real juki CA, a clock
//! the test moves, entries, and line surgery on the log's files.

#![allow(dead_code)]
// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

use juki_audit::{Action, AuditEntry, AuditLog, AuditOptions, Report, Signer, Trust};
use juki_domain::LocalGovernmentCode;
use juki_pki::{Ca, Identity, Jurisdiction, Role};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600_000;
pub const DAY_MS: i64 = 86_400_000;
pub const NODE: &str = "urn:juki:municipal:131148:municipal";

/// A node's files: a CA, the node's certificate and key, its audit directory.
pub struct Node {
    pub tmp: tempfile::TempDir,
    pub ca: Ca,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub audit: PathBuf,
    pub clock: Clock,
}

impl Node {
    /// A municipal node of 中野区 (131148) with a certificate from a new CA.
    pub fn new() -> Node {
        let tmp = tempfile::tempdir().unwrap();
        let mut ca = Ca::init(&tmp.path().join("ca"), 3650).unwrap();
        std::fs::create_dir_all(tmp.path().join("tls")).unwrap();
        let cert = tmp.path().join("tls/node.pem");
        let key = tmp.path().join("tls/node.key");
        ca.issue(
            &identity("131148"),
            &["127.0.0.1".to_string()],
            365,
            &cert,
            &key,
        )
        .unwrap();
        let audit = tmp.path().join("audit");
        Node {
            tmp,
            ca,
            cert,
            key,
            audit,
            clock: Clock::new(T0),
        }
    }

    pub fn signer(&self) -> Signer {
        Signer::from_files(&self.key, &self.cert).unwrap()
    }

    pub fn trust(&self) -> Trust {
        Trust::for_node(&self.cert, Some(&self.ca.cert_path()), &self.audit).unwrap()
    }

    pub fn options(&self) -> AuditOptions {
        AuditOptions::new(NODE, self.clock.source())
    }

    pub fn open(&self, options: AuditOptions) -> AuditLog {
        AuditLog::open(&self.audit, self.signer(), options).unwrap()
    }

    pub fn verify(&self) -> Report {
        juki_audit::verify(&self.audit, &self.trust()).unwrap()
    }

    pub fn segment(&self, n: u64) -> PathBuf {
        self.audit.join(juki_audit::segment_name(n))
    }

    pub fn seals(&self, n: u64) -> PathBuf {
        self.audit.join(juki_audit::seals_name(n))
    }

    /// Writes `n` entries (one a second from the clock's time) with a seal every
    /// `seal_every` entries, and closes the log.
    pub fn write(&self, n: u64, seal_every: u64) {
        let mut o = self.options();
        o.seal_every_entries = seal_every;
        let log = self.open(o);
        let t = self.clock.now();
        for i in 0..n {
            log.try_record(entry(t + i as i64 * 1000, i)).unwrap();
        }
        log.close().unwrap();
    }
}

pub fn identity(code: &str) -> Identity {
    Identity::new(
        Role::Municipal,
        Jurisdiction::Local(LocalGovernmentCode::parse(code).unwrap()),
        "municipal",
    )
    .unwrap()
}

/// A clock the test sets.
#[derive(Clone)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    pub fn new(ms: i64) -> Clock {
        Clock(Arc::new(AtomicI64::new(ms)))
    }

    pub fn now(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::Relaxed);
    }

    pub fn source(&self) -> Arc<dyn Fn() -> i64 + Send + Sync> {
        let c = self.0.clone();
        Arc::new(move || c.load(Ordering::Relaxed))
    }
}

/// A read by a clerk of one synthetic resident, request id `r-<i>`.
pub fn entry(time_ms: i64, i: u64) -> AuditEntry {
    AuditEntry::new(
        time_ms,
        "urn:juki:clerk:131148:tanaka",
        "clerk",
        NODE,
        Action::Read,
    )
    .targets(vec![format!("9{:010}", i % 10_000_000_000)])
    .purpose("窓口交付")
    .request_id(format!("r-{i}"))
}

/// The lines of a file, each with its newline.
pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap();
    data.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

pub fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    std::fs::write(path, lines.concat()).unwrap();
}

/// The damages of a report as (kind, file, line, seq), for assertions.
pub fn damages(r: &Report) -> Vec<(&'static str, String, u64, Option<u64>)> {
    r.damage
        .iter()
        .map(|d| (d.kind.as_str(), d.file.clone(), d.line, d.seq))
        .collect()
}

/// Recomputes a line's hash after the test changed it, as a forger would.
pub fn rehash(line: &[u8]) -> Vec<u8> {
    let body = line.strip_suffix(b"\n").unwrap();
    let cut = body.len() - (9 + 64 + 2);
    let mut content = body[..cut].to_vec();
    content.push(b'}');
    let h = juki_audit::Digest::of(&content).hex();
    let mut out = body[..cut].to_vec();
    out.extend_from_slice(format!(",\"hash\":\"{h}\"}}\n").as_bytes());
    out
}

/// Replaces the first occurrence of `from` in `line`.
pub fn replace(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = String::from_utf8(line.to_vec()).unwrap();
    assert!(s.contains(from), "{from:?} not in {s}");
    s.replacen(from, to, 1).into_bytes()
}

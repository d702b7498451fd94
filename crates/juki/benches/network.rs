//! Network benchmarks (not timed tests), with real `juki serve` processes over loopback:
//!
//! 1. sustained changes/s through a chain CS → prefecture → national;
//! 2. propagation latency from the CS to the national node at a paced 2,000 changes/s;
//! 3. lookup latency over mutual TLS at a node holding 1,000,000 residents, beside the same
//!    lookup in the same process (the store's `record`, and a plain SQL point query);
//! 4. overload of the chain's municipal node: lookups offered at 10x its sustainable rate by
//!    another process while a probe measures admitted latency and changes keep arriving (the
//!    probe also runs beforehand with the cores kept busy and no request more);
//!    every change accepted meanwhile is then checked at the national node;
//! 5. lookup latency with the audit log on and off;
//! 6. the same node on SQLite and on PostgreSQL side by side: `juki load` of the same
//!    residents into each, then lookups by code and searches by the four facts over mutual TLS,
//!    asked of both in alternating rounds (the PostgreSQL server at JUKI_BENCH_PG, default
//!    postgres://postgres@127.0.0.1:5432, in a database of its own, dropped at the end).
//!
//! `cargo bench -p juki --bench network`. Environment: JUKI_BENCH_ONLY = propagation (1 and
//! 2), lookup (3), overload (4, after 1 to fill the chain), audit (5) or stores (6); JUKI_BENCH_CHANGES (default
//! 50,000), JUKI_BENCH_PACED_S (20), JUKI_BENCH_RESIDENTS (1,000,000), JUKI_BENCH_OVERLOAD_S
//! (30), JUKI_BENCH_OVERLOAD_IN_FLIGHT (4,096: lookups the overload client keeps in flight
//! at most), JUKI_BENCH_DIR (where the temporary directories go; default the system's),
//! JUKI_BENCH_SERVE_LOG (the nodes' JUKI_LOG, default warn), JUKI_BENCH_BUSY (threads that
//! spin during benchmark 3's lookups, default 0: other work on the cores). Figures go to
//! docs/BENCHMARKS.md.

// A failed unwrap ends the benchmark with the reason.
#![allow(clippy::unwrap_used)]

use juki_api::{ChangeInput, ChangeStatus, SubmitRequest};
use juki_client::{Client, ClientError};
use juki_domain::{LocalGovernmentCode, ResidentCode};
use juki_gateway::ChangeReader;
use juki_store::{SqliteOptions, SqliteStore, Store};
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::time::MissedTickBehavior;

/// Changes per request and concurrent requests of the sustained submitters (benchmark 1).
const BATCH: usize = 250;
const SUBMITTERS: usize = 4;
/// The paced submitter (benchmark 2): changes per request, one request every PACE.
const PACED_RATE: u64 = 2_000;
const PACED_PER_REQUEST: usize = 20;
const PACE: Duration = Duration::from_millis(10);
/// Requests of the paced submitter in flight at most (more would be a sign of a CS that
/// does not keep up; the run then reports how late it fell).
const PACED_IN_FLIGHT_MAX: usize = 48;
/// How often the national node's journal head is read.
const POLL: Duration = Duration::from_millis(2);
/// Benchmark 3: lookups per path after warming up, in interleaved rounds.
const LOOKUPS: usize = 20_000;
const LOOKUP_WARMUP: usize = 5_000;
const LOOKUP_ROUNDS: usize = 20;
/// Benchmark 4.
const SATURATION_CLIENTS: usize = 8;
const SATURATION: Duration = Duration::from_secs(5);
const UNLOADED: Duration = Duration::from_secs(5);
const OVERLOAD_CONNECTIONS: usize = 64;
const OVERLOAD_FACTOR: f64 = 10.0;
/// Lookups the overload client keeps in flight at most by default (bounds its memory;
/// JUKI_BENCH_OVERLOAD_IN_FLIGHT sets it); offered lookups beyond are counted as not sent.
const OVERLOAD_IN_FLIGHT: u64 = 4_096;
/// Changes submitted to the CS during the overload: TRICKLE_BATCH every TRICKLE_EVERY.
const TRICKLE_BATCH: usize = 10;
const TRICKLE_EVERY: Duration = Duration::from_millis(100);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait for the national node to catch up.
const CONVERGE_MAX: Duration = Duration::from_secs(600);

const CS: &str = "131148"; // 中野区
const PREFECTURE: &str = "130001"; // 東京都

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(s) => s
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={s}: not a number")),
        Err(_) => default,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// "p50 x, p99 y, max z" in the unit `unit` gives.
fn summary(lat: &mut [Duration], unit: fn(Duration) -> f64, name: &str) -> String {
    lat.sort();
    format!(
        "p50 {:.2} {name}, p99 {:.2} {name}, max {:.2} {name} (n = {})",
        unit(percentile(lat, 0.5)),
        unit(percentile(lat, 0.99)),
        unit(lat.last().copied().unwrap_or_default()),
        lat.len()
    )
}

/// A small fast generator of indexes (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn juki() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_juki"));
    c.env(
        "JUKI_LOG",
        std::env::var("JUKI_BENCH_SERVE_LOG").unwrap_or_else(|_| "warn".into()),
    );
    c
}

fn juki_ok(args: &[&str]) -> Output {
    let out = juki().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "juki {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `n` loopback ports free right now.
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Lifts a node's per-client rate limit (500 requests/s by default) as far as it goes: the
/// benchmarks measure what the node serves, from one certificate per kind of person.
fn without_client_rate_limit(data: &Path) {
    let path = data.join("juki.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let lifted = text
        .replace(
            "client_requests_per_second = 500\n",
            "client_requests_per_second = 1000000\n",
        )
        .replace("client_burst = 1000\n", "client_burst = 10000000\n");
    assert_ne!(text, lifted, "juki.toml has no default client limits");
    std::fs::write(&path, lifted).unwrap();
}

/// A `juki serve` process, stopped (SIGTERM, then kill) when dropped. Its log goes to a file.
struct Serve {
    name: &'static str,
    child: Child,
    url: String,
    log: PathBuf,
}

impl Serve {
    fn start(name: &'static str, data: &Path, listen: Option<&str>) -> Serve {
        let log = data.with_extension("log");
        let mut cmd = juki();
        cmd.args(["serve", "--data", p(data)]);
        if let Some(l) = listen {
            cmd.args(["--listen", l]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(stdout);
            let mut line = String::new();
            let _ = out.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("{name}: not ready in 120 s; see {}", log.display()));
        let url = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("{name}: unexpected first line {line:?}"))
            .to_string();
        Serve {
            name,
            child,
            url,
            log,
        }
    }

    /// (VmRSS, VmHWM) of the process, KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// SIGTERM, then waits (30 s at most) before killing it.
    fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{}: did not stop in 30 s of SIGTERM; killed", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The lines of its log at warn or above, for the report.
    fn warnings(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .map(without_colours)
            .collect()
    }
}

/// `line` without its ANSI colour sequences.
fn without_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for Serve {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A certificate and key `juki ca issue` made.
struct Person {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Person {
    /// A client of `url` presenting this certificate: its own connection.
    fn client(&self, url: &str) -> Client {
        let tls = juki_pki::client_config(&self.ca, Some((&self.cert, &self.key)), None).unwrap();
        Client::with_tls(url, tls, CLIENT_TIMEOUT).unwrap()
    }
}

/// national ← prefecture 130001 ← municipal 131148, one process each, from one CA.
struct Chain {
    national: Serve,
    prefecture: Serve,
    cs: Serve,
    clerk: Person,
    operator: Person,
}

impl Chain {
    fn start(dir: &Path) -> Chain {
        let ca = dir.join("ca");
        juki_ok(&["ca", "init", "--dir", p(&ca)]);
        let ports = free_ports(3);
        let init = |role: &str, code: Option<&str>, port: u16, parent: Option<u16>| {
            let data = dir.join(code.unwrap_or("national"));
            let listen = format!("127.0.0.1:{port}");
            let mut args = vec![
                "init",
                "--role",
                role,
                "--data",
                p(&data),
                "--listen",
                &listen,
                "--ca",
                p(&ca),
            ];
            if let Some(c) = code {
                args.extend(["--code", c]);
            }
            let parent = parent.map(|p| format!("https://127.0.0.1:{p}"));
            if let Some(u) = &parent {
                args.extend(["--parent", u]);
            }
            juki_ok(&args);
            without_client_rate_limit(&data);
            data
        };
        let national = init("national", None, ports[0], None);
        let prefecture = init("prefecture", Some(PREFECTURE), ports[1], Some(ports[0]));
        let cs = init("municipal", Some(CS), ports[2], Some(ports[1]));
        let person = |role: &str, code: Option<&str>| {
            let prefix = dir.join(format!("person-{role}"));
            let mut args = vec!["ca", "issue", "--dir", p(&ca), "--role", role];
            args.extend(["--out", p(&prefix)]);
            if let Some(c) = code {
                args.extend(["--code", c]);
            }
            juki_ok(&args);
            Person {
                ca: ca.join("ca.pem"),
                cert: prefix.with_extension("crt"),
                key: prefix.with_extension("key"),
            }
        };
        Chain {
            national: Serve::start("national", &national, None),
            prefecture: Serve::start("prefecture 130001", &prefecture, None),
            cs: Serve::start("municipal 131148", &cs, None),
            clerk: person("clerk", Some(CS)),
            operator: person("operator", None),
        }
    }

    /// Stops the nodes from the bottom up, so that no forwarder finds its parent gone.
    fn stop(&mut self) {
        self.cs.stop();
        self.prefecture.stop();
        self.national.stop();
    }
}

/// `n` synthetic residents of 中野区 as move-in changes (each with its resident code).
fn population(n: u64, seed: u64) -> Vec<ChangeInput> {
    let opts = juki_synth::SynthOptions {
        residents: n,
        seed,
        municipalities: vec![LocalGovernmentCode::parse(CS).unwrap()],
        effective_date: jiff::civil::date(2026, 4, 1),
    };
    let mut csv = Vec::new();
    juki_synth::write_csv(&opts, &mut csv, &mut |_| {}).unwrap();
    ChangeReader::new(csv.as_slice())
        .unwrap()
        .map(|r| ChangeInput::from(r.unwrap().1))
        .collect()
}

/// Waits until the national node's journal head reaches `target`; returns when it was seen.
async fn national_reaches(operator: &Client, target: u64, every: Duration) -> Instant {
    let deadline = Instant::now() + CONVERGE_MAX;
    loop {
        let head = operator.status().await.unwrap().journal_head;
        if head >= target {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "the national node holds {head} of {target} changes after {} s",
            CONVERGE_MAX.as_secs()
        );
        tokio::time::sleep(every).await;
    }
}

/// Benchmark 1: submits `range` as fast as the CS accepts it; prints accepted/s at the CS and
/// the end-to-end rate (until the national node holds every change).
async fn sustained(chain: &Chain, changes: Arc<Vec<ChangeInput>>, range: Range<usize>) {
    let clerk = chain.clerk.client(&chain.cs.url);
    let operator = chain.operator.client(&chain.national.url);
    let n = range.len();
    let national_before = operator.status().await.unwrap().journal_head;
    let batches = n.div_ceil(BATCH);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut submitters = tokio::task::JoinSet::new();
    for _ in 0..SUBMITTERS {
        let (clerk, changes, next, range) =
            (clerk.clone(), changes.clone(), next.clone(), range.clone());
        submitters.spawn(async move {
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    return Instant::now();
                }
                let start = range.start + b * BATCH;
                let batch = changes[start..(start + BATCH).min(range.end)].to_vec();
                let len = batch.len() as u64;
                let r = clerk
                    .submit(&SubmitRequest { changes: batch })
                    .await
                    .unwrap_or_else(|e| panic!("submitting batch {b}: {e}"));
                assert_eq!(
                    r.applied,
                    len,
                    "batch {b}: {:?}",
                    r.results.iter().find(|c| c.status != ChangeStatus::Applied)
                );
            }
        });
    }
    let cs_done = tokio::spawn(async move {
        let mut last = t0;
        while let Some(done) = submitters.join_next().await {
            last = last.max(done.unwrap());
        }
        last
    });
    let at_national = national_reaches(
        &operator,
        national_before + n as u64,
        Duration::from_millis(5),
    )
    .await;
    let cs_done = cs_done.await.unwrap();
    let cs_secs = (cs_done - t0).as_secs_f64();
    let e2e_secs = (at_national - t0).as_secs_f64();
    println!(
        "1. sustained, {n} changes ({SUBMITTERS} concurrent submitters x {BATCH} per request, one HTTP/2 client): \
         accepted at the CS {:.0} changes/s ({cs_secs:.2} s); end to end (national holds all) {:.0} changes/s \
         ({e2e_secs:.2} s; the national node finished {:.0} ms after the CS)",
        n as f64 / cs_secs,
        n as f64 / e2e_secs,
        (e2e_secs - cs_secs) * 1e3
    );
}

/// Benchmark 2: an open-loop submitter at PACED_RATE until `range` is submitted; the latency
/// of each change from its acceptance at the CS (its answer received) to the first read of a
/// national journal head that covers it.
async fn propagation(chain: &Chain, changes: Arc<Vec<ChangeInput>>, range: Range<usize>) {
    let clerk = chain.clerk.client(&chain.cs.url);
    let operator = chain.operator.client(&chain.national.url);
    let cs_head = clerk.status().await.unwrap().journal_head;
    let national_head = operator.status().await.unwrap().journal_head;
    // The national journal holds this CS's changes in its order, and nothing else.
    assert_eq!(cs_head, national_head, "the chain has not converged");
    let requests = range.len() / PACED_PER_REQUEST;

    // The poller: (when first seen, head), for every head value seen, until the head reaches
    // `target` (set once every change was accepted).
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let poller = {
        let (target, operator) = (target.clone(), operator.clone());
        tokio::spawn(async move {
            let mut seen = vec![(Instant::now(), national_head)];
            let mut polls = 0u64;
            let t0 = Instant::now();
            loop {
                let head = operator.status().await.unwrap().journal_head;
                polls += 1;
                if head > seen.last().unwrap().1 {
                    seen.push((Instant::now(), head));
                }
                let target = target.load(Ordering::Relaxed);
                if head >= target {
                    break;
                }
                assert!(
                    target == u64::MAX || t0.elapsed() < CONVERGE_MAX,
                    "the national node holds {head} of {target} changes"
                );
                tokio::time::sleep(POLL).await;
            }
            (seen, t0.elapsed() / polls as u32)
        })
    };

    let in_flight = Arc::new(Semaphore::new(PACED_IN_FLIGHT_MAX));
    let mut tick = tokio::time::interval(PACE);
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sent = tokio::task::JoinSet::new();
    let t0 = Instant::now();
    let mut late = Duration::ZERO;
    for k in 0..requests {
        let due = tick.tick().await;
        let permit = in_flight.clone().acquire_owned().await.unwrap();
        late = late.max(due.into_std().elapsed());
        let start = range.start + k * PACED_PER_REQUEST;
        let batch = changes[start..start + PACED_PER_REQUEST].to_vec();
        let clerk = clerk.clone();
        sent.spawn(async move {
            let r = clerk
                .submit(&SubmitRequest { changes: batch })
                .await
                .unwrap_or_else(|e| panic!("paced request {k}: {e}"));
            let accepted = Instant::now();
            drop(permit);
            assert_eq!(r.applied as usize, PACED_PER_REQUEST, "paced request {k}");
            let seqs: Vec<u64> = r.results.iter().map(|c| c.sequence.unwrap()).collect();
            (accepted, seqs)
        });
    }
    let mut accepted = Vec::with_capacity(requests);
    while let Some(r) = sent.join_next().await {
        accepted.push(r.unwrap());
    }
    let submit_secs = t0.elapsed().as_secs_f64();
    let last = accepted.iter().flat_map(|(_, s)| s).copied().max().unwrap();
    target.store(last, Ordering::Relaxed);
    let (seen, poll_period) = poller.await.unwrap();
    let mut latencies = Vec::with_capacity(range.len());
    let mut before_acceptance = 0usize;
    for (at, seqs) in &accepted {
        for &seq in seqs {
            let i = seen.partition_point(|&(_, head)| head < seq);
            let (visible, _) = seen[i];
            if visible < *at {
                before_acceptance += 1;
            }
            latencies.push(visible.saturating_duration_since(*at));
        }
    }
    let n = latencies.len();
    println!(
        "2. propagation at {PACED_RATE} changes/s ({PACED_PER_REQUEST} per request every {} ms, open loop, \
         {n} changes in {submit_secs:.1} s = {:.0}/s offered and accepted; submitter at most {:.1} ms late): \
         CS acceptance -> visible at national {}; national head read every {:.2} ms on average \
         ({before_acceptance} changes were visible before their answer reached the client: counted as 0)",
        PACE.as_millis(),
        n as f64 / submit_secs,
        ms(late),
        summary(&mut latencies, ms, "ms"),
        ms(poll_period),
    );
}

/// `juki init` of a standalone 中野区 node at `data`, without the per-client rate limit.
fn standalone_node(data: &Path) {
    juki_ok(&[
        "init",
        "--role",
        "municipal",
        "--code",
        CS,
        "--data",
        p(data),
    ]);
    without_client_rate_limit(data);
}

/// A standalone 中野区 node of `residents` synthetic residents, loaded and stopped: its data
/// directory and the residents' codes.
fn lookup_node(dir: &Path, residents: u64) -> (PathBuf, Vec<String>) {
    lookup_node_keeping(dir, residents, |r| r.resident_code)
}

/// [`lookup_node`], keeping of each resident what `keep` takes from their row of the
/// population file.
fn lookup_node_keeping<T>(
    dir: &Path,
    residents: u64,
    keep: impl Fn(juki_domain::RawChange) -> T,
) -> (PathBuf, Vec<T>) {
    std::fs::create_dir_all(dir).unwrap();
    let csv = dir.join("population.csv");
    let data = dir.join(CS);
    let t = Instant::now();
    juki_ok(&[
        "synth",
        "--residents",
        &residents.to_string(),
        "--municipality",
        CS,
        "--seed",
        "1",
        "--out",
        p(&csv),
    ]);
    let synth_s = t.elapsed().as_secs_f64();
    standalone_node(&data);
    let t = Instant::now();
    juki_ok(&["load", "--data", p(&data), p(&csv)]);
    let load_s = t.elapsed().as_secs_f64();
    let kept: Vec<T> = ChangeReader::new(std::fs::File::open(&csv).unwrap())
        .unwrap()
        .map(|r| keep(r.unwrap().1))
        .collect();
    assert_eq!(kept.len() as u64, residents);
    println!(
        "3. lookup: {residents} residents of 中野区 (juki synth {synth_s:.1} s, juki load {load_s:.1} s), store {:.0} MB",
        std::fs::metadata(data.join("store.db")).unwrap().len() as f64 / 1e6
    );
    (data, kept)
}

/// A client of the node at `url` with the clerk's profile `juki init` wrote in `data`.
fn clerk_client(data: &Path, url: &str) -> Client {
    let mut profile = juki_client::Profile::load(&data.join("profiles/clerk.toml")).unwrap();
    profile.url = url.to_string();
    profile.client(CLIENT_TIMEOUT).unwrap()
}

/// Benchmark 3: lookups by code over mutual TLS (HTTP/2, one connection, closed loop) at a
/// standalone node of `residents` residents, beside the same lookup in this process: the
/// store's `record` (record + history) and a plain SQL point query on the same file.
fn lookup(dir: &Path, residents: u64) {
    let (data, codes) = lookup_node(dir, residents);
    let mut node = Serve::start("lookup node", &data, Some("127.0.0.1:0"));
    let client = clerk_client(&data, &node.url);
    // The client runs on this thread alone (its connection too): one thread beside the node.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_, version) = rt.block_on(client.health_and_protocol()).unwrap();

    // In this process, on the same file while the node serves it (it only reads).
    let store = SqliteStore::open(&data.join("store.db"), SqliteOptions::default()).unwrap();
    let sql = rusqlite::Connection::open_with_flags(
        data.join("store.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    // The same page cache as a juki reader connection.
    sql.pragma_update(None, "cache_size", -(32 * 1024)).unwrap();
    let mut point = sql
        .prepare(
            "SELECT r.status, j.seq, j.record_id, j.kind, j.effective_date, j.recorded_at_ms, \
             j.search_key, j.birth_date, j.sex, j.snapshot \
             FROM residents r JOIN journal j ON j.seq = r.facts_seq WHERE r.resident_code = ?1",
        )
        .unwrap();

    let over_tls = |code: &str| {
        let r = rt.block_on(client.record(code)).unwrap();
        assert_eq!(r.resident_code, code);
    };
    let in_store = |code: &str| {
        let c = ResidentCode::parse(code).unwrap();
        assert!(store.record(c).unwrap().is_some());
    };
    let mut plain_sql = |code: &str| {
        let c: i64 = code.parse().unwrap();
        let row = point
            .query_row([c], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                ))
            })
            .unwrap();
        assert!(!row.9.is_empty());
    };

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..LOOKUP_WARMUP {
        let code = &codes[rng.below(codes.len())];
        over_tls(code);
        in_store(code);
        plain_sql(code);
    }
    let route = "/v1/records/{code}";
    let before = rt.block_on(client.metrics()).unwrap();
    let busy = Busy::start(env_u64("JUKI_BENCH_BUSY", 0) as usize);
    let (mut tls_lat, mut store_lat, mut sql_lat) = (Vec::new(), Vec::new(), Vec::new());
    let per_round = LOOKUPS / LOOKUP_ROUNDS;
    for _ in 0..LOOKUP_ROUNDS {
        let round: Vec<&String> = (0..per_round)
            .map(|_| &codes[rng.below(codes.len())])
            .collect();
        for code in &round {
            let t = Instant::now();
            over_tls(code);
            tls_lat.push(t.elapsed());
        }
        for code in &round {
            let t = Instant::now();
            in_store(code);
            store_lat.push(t.elapsed());
        }
        for code in &round {
            let t = Instant::now();
            plain_sql(code);
            sql_lat.push(t.elapsed());
        }
    }
    let busy = busy.stop();
    let after = rt.block_on(client.metrics()).unwrap();
    let (before, after) = (
        route_histogram(&before, route),
        route_histogram(&after, route),
    );
    let (rss, hwm) = node.memory_kib();
    node.stop();
    if busy > 0 {
        println!(
            "3. meanwhile {busy} threads of this process spun without pause (JUKI_BENCH_BUSY): \
             no request more, only the two cores kept busy"
        );
    }
    for v in [&mut tls_lat, &mut store_lat, &mut sql_lat] {
        v.sort();
    }
    let ratio = |a: &[Duration], b: &[Duration], q: f64| {
        percentile(a, q).as_secs_f64() / percentile(b, q).as_secs_f64()
    };
    println!(
        "3. GET /v1/records/{{code}} over mutual TLS ({version}, one connection, closed loop, client on one thread, random codes): {}",
        summary(&mut tls_lat, us, "µs")
    );
    println!(
        "3. the node's own histogram of {route} meanwhile (from routing to answer): p50 ≤ {:.2} ms, p99 ≤ {:.2} ms",
        histogram_quantile(&before, &after, 0.5) * 1e3,
        histogram_quantile(&before, &after, 0.99) * 1e3,
    );
    println!(
        "3. the same lookup in this process, juki store record (record + history): {}",
        summary(&mut store_lat, us, "µs")
    );
    println!(
        "3. the same lookup as a plain SQL point query (residents JOIN journal by code, rusqlite): {}",
        summary(&mut sql_lat, us, "µs")
    );
    println!(
        "3. over mTLS vs plain SQL: p50 {:.1}x, p99 {:.1}x; vs the store in process: p50 {:.1}x, p99 {:.1}x; \
         node memory VmRSS {:.0} MB, VmHWM {:.0} MB",
        ratio(&tls_lat, &sql_lat, 0.5),
        ratio(&tls_lat, &sql_lat, 0.99),
        ratio(&tls_lat, &store_lat, 0.5),
        ratio(&tls_lat, &store_lat, 0.99),
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}

/// Threads that spin until stopped: other work keeping the cores busy, without a request.
struct Busy {
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Busy {
    fn start(n: usize) -> Busy {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    // Bounded: a lookup run takes seconds.
                    let until = Instant::now() + Duration::from_secs(600);
                    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Busy { stop, threads }
    }

    /// Stops the threads; how many there were.
    fn stop(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let n = self.threads.len();
        for t in self.threads {
            t.join().unwrap();
        }
        n
    }
}

/// Benchmark 5: lookup latency with the audit log on and off, side by side: two copies of the
/// same loaded node, one with `[audit] enabled = false`, served at once and asked the same
/// codes in alternating rounds (which goes first alternates too), each lookup over mutual TLS
/// on its own connection per node.
fn audit_overhead(dir: &Path, residents: u64) {
    let (on_data, codes) = lookup_node(dir, residents);
    let off_data = dir.join("audit-off");
    let status = Command::new("cp")
        .args(["-a", p(&on_data), p(&off_data)])
        .status()
        .unwrap();
    assert!(status.success());
    let cfg = off_data.join("juki.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("[audit]\nenabled = true"), "{text}");
    std::fs::write(
        &cfg,
        text.replace("[audit]\nenabled = true", "[audit]\nenabled = false"),
    )
    .unwrap();
    let mut on = Serve::start("audit on", &on_data, Some("127.0.0.1:0"));
    let mut off = Serve::start("audit off", &off_data, Some("127.0.0.1:0"));
    let (c_on, c_off) = (
        clerk_client(&on_data, &on.url),
        clerk_client(&off_data, &off.url),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let get = |c: &Client, code: &str| {
        let t = Instant::now();
        let r = rt.block_on(c.record(code)).unwrap();
        assert_eq!(r.resident_code, code);
        t.elapsed()
    };
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..LOOKUP_WARMUP {
        let code = &codes[rng.below(codes.len())];
        get(&c_on, code);
        get(&c_off, code);
    }
    let (mut lat_on, mut lat_off) = (Vec::new(), Vec::new());
    let per_round = LOOKUPS / LOOKUP_ROUNDS;
    for round in 0..LOOKUP_ROUNDS {
        let codes: Vec<&String> = (0..per_round)
            .map(|_| &codes[rng.below(codes.len())])
            .collect();
        let run = |c: &Client, out: &mut Vec<Duration>| {
            for code in &codes {
                out.push(get(c, code));
            }
        };
        if round % 2 == 0 {
            run(&c_on, &mut lat_on);
            run(&c_off, &mut lat_off);
        } else {
            run(&c_off, &mut lat_off);
            run(&c_on, &mut lat_on);
        }
    }
    let metrics = rt.block_on(c_on.metrics()).unwrap();
    drop((c_on, c_off));
    on.stop();
    off.stop();
    lat_on.sort();
    lat_off.sort();
    let written: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("juki_audit_written "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    println!(
        "5. GET /v1/records/{{code}} over mutual TLS at {residents} residents, audit log OFF: {}",
        summary(&mut lat_off, us, "µs")
    );
    println!(
        "5. the same lookups, audit log ON (one entry per lookup, {written} written): {}",
        summary(&mut lat_on, us, "µs")
    );
    let added = |q: f64| {
        (percentile(&lat_on, q).as_secs_f64() / percentile(&lat_off, q).as_secs_f64() - 1.0) * 100.0
    };
    println!(
        "5. added by auditing: p50 {:+.1}%, p99 {:+.1}% (target: p99 under +20%)",
        added(0.5),
        added(0.99)
    );
}

/// Benchmark 6: one node on SQLite and one on PostgreSQL, loaded with the same residents by
/// `juki load` and served at once; lookups by code and searches by the four facts over mutual
/// TLS (one connection per node, closed loop), the same requests asked of both in alternating
/// rounds (which goes first alternates too).
fn stores_side_by_side(dir: &Path, residents: u64) {
    // Of each resident: the code, and the four facts a search gives (kana, birth date, sex).
    let (sqlite_data, people) = lookup_node_keeping(dir, residents, |r| {
        let kana = format!("{}{}", r.family_name_kana, r.given_name_kana);
        (r.resident_code, kana, r.birth_date, r.sex)
    });
    let server = std::env::var("JUKI_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let db = juki_backup::pg::ScratchDatabase::create(
        &format!("{server}/postgres"),
        &format!("juki_bench_stores_{}", std::process::id()),
    )
    .unwrap();
    let pg_data = dir.join("pg");
    standalone_node(&pg_data);
    let cfg = pg_data.join("juki.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("store = \"{}\"\n{text}", db.url)).unwrap();
    let t = Instant::now();
    juki_ok(&[
        "load",
        "--data",
        p(&pg_data),
        p(&dir.join("population.csv")),
    ]);
    println!(
        "6. juki load of the same {residents} residents into the node on PostgreSQL: {:.1} s ({:.0} residents/s)",
        t.elapsed().as_secs_f64(),
        residents as f64 / t.elapsed().as_secs_f64()
    );

    let mut sqlite = Serve::start("SQLite node", &sqlite_data, Some("127.0.0.1:0"));
    let mut pg = Serve::start("PostgreSQL node", &pg_data, Some("127.0.0.1:0"));
    let clients = [
        clerk_client(&sqlite_data, &sqlite.url),
        clerk_client(&pg_data, &pg.url),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let get = |c: &Client, i: usize| {
        let code = &people[i].0;
        let t = Instant::now();
        let r = rt.block_on(c.record(code)).unwrap();
        assert_eq!(&r.resident_code, code);
        t.elapsed()
    };
    // Residents without a kana reading (some foreign residents) cannot be searched for by it.
    let searchable: Vec<_> = people.iter().filter(|p| !p.1.is_empty()).collect();
    let search = |c: &Client, i: usize| {
        let (_, kana, birth_date, sex) = searchable[i % searchable.len()];
        let params = [
            ("kana", kana.as_str()),
            ("birth_date", birth_date.as_str()),
            ("sex", sex.as_str()),
        ];
        let t = Instant::now();
        let r = rt.block_on(c.search(&params)).unwrap();
        let took = t.elapsed();
        assert!(!r.results.is_empty(), "{kana} not found");
        took
    };
    let mut rng = Rng(0x6A09_E667_F3BC_C908);
    for _ in 0..LOOKUP_WARMUP {
        let i = rng.below(people.len());
        for c in &clients {
            get(c, i);
            search(c, i);
        }
    }
    let mut lat = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
    let per_round = LOOKUPS / LOOKUP_ROUNDS;
    for round in 0..LOOKUP_ROUNDS {
        let picks: Vec<usize> = (0..per_round).map(|_| rng.below(people.len())).collect();
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for s in order {
            for &i in &picks {
                lat[s][0].push(get(&clients[s], i));
            }
            for &i in picks.iter().take(per_round / 2) {
                lat[s][1].push(search(&clients[s], i));
            }
        }
    }
    drop(clients);
    sqlite.stop();
    pg.stop();
    for (s, name) in [(0, "SQLite"), (1, "PostgreSQL")] {
        println!(
            "6. GET /v1/records/{{code}} over mutual TLS, node on {name}: {}",
            summary(&mut lat[s][0], us, "µs")
        );
        println!(
            "6. GET /v1/search by the four facts over mutual TLS, node on {name}: {}",
            summary(&mut lat[s][1], us, "µs")
        );
    }
    let ratio = |k: usize, q: f64| {
        percentile(&lat[1][k], q).as_secs_f64() / percentile(&lat[0][k], q).as_secs_f64()
    };
    println!(
        "6. PostgreSQL vs SQLite through the node: lookup p50 {:.2}x, p99 {:.2}x; search p50 {:.2}x, p99 {:.2}x",
        ratio(0, 0.5),
        ratio(0, 0.99),
        ratio(1, 0.5),
        ratio(1, 0.99)
    );
}

/// What an open-loop run of lookups got.
#[derive(Default)]
struct Load {
    sent: u64,
    /// Offered but not sent: the client had `in_flight_max` lookups in flight.
    not_sent: u64,
    ok: Vec<Duration>,
    /// 503 with Retry-After and JK-NODE-0101.
    shed: u64,
    /// 503 lacking either.
    shed_malformed: u64,
    other: u64,
    other_example: Option<String>,
    secs: f64,
}

/// Lookups of random `codes` at `rate`/s for `duration` over `clients` (round robin), each
/// sent when due whatever became of the earlier ones (open loop).
async fn open_loop(
    clients: &[Client],
    codes: Arc<Vec<String>>,
    rate: f64,
    duration: Duration,
    in_flight_max: usize,
    seed: u64,
) -> Load {
    let agg = Arc::new(Mutex::new(Load::default()));
    let in_flight = Arc::new(Semaphore::new(in_flight_max));
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut rng = Rng(seed);
    let (mut sent, mut not_sent) = (0u64, 0u64);
    let t0 = Instant::now();
    loop {
        tick.tick().await;
        let elapsed = t0.elapsed();
        if elapsed >= duration {
            break;
        }
        let due = (rate * elapsed.as_secs_f64()) as u64;
        while sent + not_sent < due {
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                not_sent = due - sent;
                break;
            };
            let client = clients[sent as usize % clients.len()].clone();
            let code = codes[rng.below(codes.len())].clone();
            sent += 1;
            let agg = agg.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let r = client.record(&code).await;
                let latency = t.elapsed();
                let mut a = agg.lock().unwrap();
                match r {
                    Ok(_) => a.ok.push(latency),
                    Err(ClientError::Refused {
                        status: 503,
                        retry_after,
                        body,
                    }) => {
                        if retry_after.is_some() && body.code == "JK-NODE-0101" {
                            a.shed += 1;
                        } else {
                            a.shed_malformed += 1;
                            a.other_example
                                .get_or_insert(format!("503 {retry_after:?} {}", body.code));
                        }
                    }
                    Err(e) => {
                        a.other += 1;
                        a.other_example.get_or_insert(e.to_string());
                    }
                }
                drop(a);
                drop(permit);
            });
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    // Every lookup sent has its answer (or its client timeout) before this returns.
    let _all = tokio::time::timeout(
        CLIENT_TIMEOUT * 2,
        in_flight.acquire_many(in_flight_max as u32),
    )
    .await
    .expect("lookups still in flight after twice the client timeout");
    let mut load = std::mem::take(&mut *agg.lock().unwrap());
    load.sent = sent;
    load.not_sent = not_sent;
    load.secs = secs;
    load.ok.sort();
    load
}

/// Closed loop: each client sends its next lookup when the last one answered.
async fn closed_loop(
    clients: &[Client],
    codes: Arc<Vec<String>>,
    duration: Duration,
) -> (u64, Vec<Duration>) {
    let mut set = tokio::task::JoinSet::new();
    for (i, client) in clients.iter().enumerate() {
        let (client, codes) = (client.clone(), codes.clone());
        set.spawn(async move {
            let mut rng = Rng(0x5EED + i as u64);
            let mut lat = Vec::new();
            let t0 = Instant::now();
            while t0.elapsed() < duration {
                let code = &codes[rng.below(codes.len())];
                let t = Instant::now();
                client.record(code).await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        });
    }
    let mut all = Vec::new();
    while let Some(l) = set.join_next().await {
        all.extend(l.unwrap());
    }
    all.sort();
    (all.len() as u64, all)
}

/// What became of the changes submitted during the overload.
#[derive(Default)]
struct Trickle {
    applied: Vec<String>,
    shed: u64,
    other: u64,
    other_example: Option<String>,
}

async fn trickle(
    clerk: Client,
    changes: Arc<Vec<ChangeInput>>,
    range: Range<usize>,
    duration: Duration,
) -> Trickle {
    let mut out = Trickle::default();
    let mut tick = tokio::time::interval(TRICKLE_EVERY);
    let t0 = Instant::now();
    let mut next = range.start;
    while t0.elapsed() < duration && next + TRICKLE_BATCH <= range.end {
        tick.tick().await;
        let batch = changes[next..next + TRICKLE_BATCH].to_vec();
        next += TRICKLE_BATCH;
        match clerk.submit(&SubmitRequest { changes: batch }).await {
            Ok(r) => out.applied.extend(
                r.results
                    .into_iter()
                    .filter(|c| c.status == ChangeStatus::Applied)
                    .map(|c| c.resident_code.unwrap()),
            ),
            Err(ClientError::Refused {
                status: 503,
                retry_after: Some(_),
                body,
            }) if body.code == "JK-NODE-0101" => out.shed += 1,
            Err(e) => {
                out.other += 1;
                out.other_example.get_or_insert(e.to_string());
            }
        }
    }
    out
}

fn shed_total(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("juki_http_requests_shed_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) of process `pid` ("self": this one) so far, seconds.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) as f64 / 100.0 // USER_HZ
}

/// The node's histogram of request durations on `route` (what its router measured, from
/// routing to answer): (bucket upper bound in seconds, cumulative count).
fn route_histogram(metrics: &str, route: &str) -> Vec<(f64, u64)> {
    let label = format!("route=\"{route}\"");
    metrics
        .lines()
        .filter(|l| l.starts_with("juki_http_request_seconds_bucket{") && l.contains(&label))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, l.rsplit(' ').next()?.parse().ok()?))
        })
        .collect()
}

/// The bound of the first bucket holding a share `q` of what was counted between two
/// readings of a histogram.
fn histogram_quantile(before: &[(f64, u64)], after: &[(f64, u64)], q: f64) -> f64 {
    let count = |h: &[(f64, u64)], i: usize| h.get(i).map_or(0, |b| b.1);
    let total = count(after, after.len().saturating_sub(1))
        .saturating_sub(count(before, before.len().saturating_sub(1)));
    after
        .iter()
        .enumerate()
        .find(|&(i, &(_, c))| c.saturating_sub(count(before, i)) as f64 >= q * total as f64)
        .map_or(f64::NAN, |(_, &(le, _))| le)
}

/// The overload generator, run as a child process of this benchmark (the same binary with
/// JUKI_BENCH_LOADGEN set) so that its queues and its CPU are apart from the probe's:
/// lookups at JUKI_BENCH_LOADGEN_RATE for JUKI_BENCH_LOADGEN_S over
/// JUKI_BENCH_LOADGEN_CONNECTIONS connections, codes from the file JUKI_BENCH_LOADGEN_CODES.
/// Prints one line: sent, not sent, 200s, 503s, malformed 503s, other, admitted p50, p99 and
/// max (µs), seconds, CPU seconds.
fn loadgen() {
    let var = |k: &str| std::env::var(format!("JUKI_BENCH_LOADGEN_{k}")).unwrap();
    let num = |k: &str| var(k).parse::<f64>().unwrap();
    let person = Person {
        ca: var("CA").into(),
        cert: var("CERT").into(),
        key: var("KEY").into(),
    };
    let url = var("URL");
    let codes: Vec<String> = std::fs::read_to_string(var("CODES"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let clients: Vec<Client> = (0..num("CONNECTIONS") as usize)
        .map(|_| person.client(&url))
        .collect();
    let cpu = cpu_secs("self");
    let load = rt.block_on(open_loop(
        &clients,
        Arc::new(codes),
        num("RATE"),
        Duration::from_secs_f64(num("S")),
        num("IN_FLIGHT") as usize,
        3,
    ));
    if let Some(e) = &load.other_example {
        eprintln!("loadgen: e.g. {e}");
    }
    println!(
        "{} {} {} {} {} {} {:.0} {:.0} {:.0} {:.3} {:.3}",
        load.sent,
        load.not_sent,
        load.ok.len(),
        load.shed,
        load.shed_malformed,
        load.other,
        us(percentile(&load.ok, 0.5)),
        us(percentile(&load.ok, 0.99)),
        us(load.ok.last().copied().unwrap_or_default()),
        load.secs,
        cpu_secs("self") - cpu
    );
}

/// Benchmark 4, against the chain's municipal node: its sustainable lookup rate R (closed
/// loop), the latency of a probe (R/10 open loop on one connection) unloaded, and again while
/// two threads spin on the cores (no request more: the shared cores' own share); then 10 R
/// offered for `duration` by another process over many connections while the probe runs
/// again and changes are submitted; afterwards every change the node answered `applied` is
/// looked up at the national node.
async fn overload(
    chain: &Chain,
    dir: &Path,
    codes: Arc<Vec<String>>,
    changes: Arc<Vec<ChangeInput>>,
    trickle_range: Range<usize>,
    duration: Duration,
    in_flight_max: usize,
) {
    let cs = &chain.cs;
    let clients: Vec<Client> = (0..SATURATION_CLIENTS)
        .map(|_| chain.clerk.client(&cs.url))
        .collect();
    let (count, mut lat) = closed_loop(&clients, codes.clone(), SATURATION).await;
    let r = count as f64 / SATURATION.as_secs_f64();
    println!(
        "4. overload of the chain's municipal node 131148 ({} residents): sustainable lookup rate R = {r:.0}/s \
         ({SATURATION_CLIENTS} clients, closed loop, {} s; latency there {})",
        codes.len(),
        SATURATION.as_secs(),
        summary(&mut lat, ms, "ms")
    );
    let probe = chain.clerk.client(&cs.url);
    let probe_rate = r / 10.0;
    // The probe: R/10 open loop on its one connection, for `d`, codes drawn from `seed`.
    let run_probe = |d: Duration, seed: u64| {
        open_loop(
            std::slice::from_ref(&probe),
            codes.clone(),
            probe_rate,
            d,
            in_flight_max,
            seed,
        )
    };
    let mut unloaded = run_probe(UNLOADED, 1).await;
    println!(
        "4. probe unloaded (R/10 = {probe_rate:.0}/s open loop, one connection, {} s): {}",
        UNLOADED.as_secs(),
        summary(&mut unloaded.ok, ms, "ms")
    );
    // The same probe while two threads keep the cores busy and send nothing: what sharing the
    // cores costs the probe before any request queues in the node.
    let busy = Busy::start(2);
    let mut spun = run_probe(UNLOADED, 1).await;
    busy.stop();
    println!(
        "4. the same probe while 2 threads spin on the cores, no request more ({} s): {}; p99 is {:.1}x the unloaded p99",
        UNLOADED.as_secs(),
        summary(&mut spun.ok, ms, "ms"),
        percentile(&spun.ok, 0.99).as_secs_f64() / percentile(&unloaded.ok, 0.99).as_secs_f64()
    );

    let codes_file = dir.join("codes.txt");
    std::fs::write(&codes_file, codes.join("\n")).unwrap();
    let metrics = chain.clerk.client(&cs.url);
    let route = "/v1/records/{code}";
    let before = metrics.metrics().await.unwrap();
    let (rss_before, _) = cs.memory_kib();
    let pid = cs.child.id().to_string();
    let (node_cpu, t0) = (cpu_secs(&pid), Instant::now());
    let offered = OVERLOAD_FACTOR * r;
    // The generator runs a second longer on each side of the probe.
    let generator = std::process::Command::new(std::env::current_exe().unwrap())
        .env("JUKI_BENCH_LOADGEN", "1")
        .env("JUKI_BENCH_LOADGEN_URL", &cs.url)
        .env("JUKI_BENCH_LOADGEN_CA", &chain.clerk.ca)
        .env("JUKI_BENCH_LOADGEN_CERT", &chain.clerk.cert)
        .env("JUKI_BENCH_LOADGEN_KEY", &chain.clerk.key)
        .env("JUKI_BENCH_LOADGEN_CODES", &codes_file)
        .env("JUKI_BENCH_LOADGEN_RATE", offered.to_string())
        .env("JUKI_BENCH_LOADGEN_S", (duration.as_secs() + 2).to_string())
        .env("JUKI_BENCH_LOADGEN_IN_FLIGHT", in_flight_max.to_string())
        .env(
            "JUKI_BENCH_LOADGEN_CONNECTIONS",
            OVERLOAD_CONNECTIONS.to_string(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let generator_pid = generator.id().to_string();
    let generated = tokio::task::spawn_blocking(move || generator.wait_with_output());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let generator_cpu = cpu_secs(&generator_pid);
    let submitter = tokio::spawn(trickle(
        chain.clerk.client(&cs.url),
        changes,
        trickle_range,
        duration,
    ));
    let mut loaded = run_probe(duration, 2).await;
    let trickled = submitter.await.unwrap();
    let probe_wall = t0.elapsed().as_secs_f64();
    let generator_cpu = cpu_secs(&generator_pid) - generator_cpu;
    let node_cpu = cpu_secs(&pid) - node_cpu;
    let out = generated.await.unwrap().unwrap();
    assert!(out.status.success(), "the load generator failed");
    let wall = t0.elapsed().as_secs_f64();
    let g: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let (_, hwm_after) = cs.memory_kib();
    let after = metrics.metrics().await.unwrap();
    let (hist_before, hist_after) = (
        route_histogram(&before, route),
        route_histogram(&after, route),
    );
    let loaded_p99 = percentile(&loaded.ok, 0.99);
    let unloaded_p99 = percentile(&unloaded.ok, 0.99);
    let secs = g[9];
    println!(
        "4. overload: offered {offered:.0}/s (10 R) open loop by another process over {OVERLOAD_CONNECTIONS} connections \
         for {secs:.0} s; it sent {:.0} ({:.0}/s) and could not send {:.0} (it had {in_flight_max} in flight); \
         CPU: the node {:.2} cores, the generator {:.2} (of 2, shared; over the probe's {probe_wall:.0} s)",
        g[0],
        g[0] / secs,
        g[1],
        node_cpu / probe_wall,
        generator_cpu / probe_wall,
    );
    println!(
        "4. the generator's answers: {:.0} × 200 ({:.0}/s admitted), {:.0} × 503 with Retry-After and JK-NODE-0101, \
         {:.0} × 503 lacking either, {:.0} other; admitted latency it saw p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        g[2],
        g[2] / secs,
        g[3],
        g[4],
        g[5],
        g[6] / 1e3,
        g[7] / 1e3,
        g[8] / 1e3,
    );
    println!(
        "4. the probe meanwhile (same rate and connection as unloaded): {} × 200, {} × 503 with Retry-After and \
         JK-NODE-0101, {} × 503 lacking either, {} other; admitted {}; p99 is {:.1}x the unloaded p99 (target ≤ 2x)",
        loaded.ok.len(),
        loaded.shed,
        loaded.shed_malformed,
        loaded.other,
        summary(&mut loaded.ok, ms, "ms"),
        loaded_p99.as_secs_f64() / unloaded_p99.as_secs_f64()
    );
    println!(
        "4. the node counted {} shed in {wall:.0} s; its own histogram of {route} (200 and 503 together, from routing \
         to answer): p50 ≤ {:.1} ms, p99 ≤ {:.1} ms; memory: VmRSS {:.0} MB before, peak VmHWM {:.0} MB after",
        shed_total(&after) - shed_total(&before),
        histogram_quantile(&hist_before, &hist_after, 0.5) * 1e3,
        histogram_quantile(&hist_before, &hist_after, 0.99) * 1e3,
        rss_before as f64 / 1024.0,
        hwm_after as f64 / 1024.0
    );

    // No accepted change is lost: each one answered `applied` is at the national node.
    let clerk = chain.clerk.client(&cs.url);
    let operator = chain.operator.client(&chain.national.url);
    let cs_head = clerk.status().await.unwrap().journal_head;
    national_reaches(&operator, cs_head, Duration::from_millis(50)).await;
    let mut missing = 0usize;
    for code in &trickled.applied {
        if operator.record(code).await.is_err() {
            missing += 1;
        }
    }
    println!(
        "4. changes submitted to the CS during the overload ({TRICKLE_BATCH} every {} ms): {} applied, {} requests shed \
         (503 + Retry-After), {} other failures{}; of the applied, {} at the national node, {missing} missing",
        TRICKLE_EVERY.as_millis(),
        trickled.applied.len(),
        trickled.shed,
        trickled.other,
        trickled
            .other_example
            .as_deref()
            .map_or(String::new(), |e| format!(" (e.g. {e})")),
        trickled.applied.len() - missing
    );
}

/// The machine's load averages (1, 5, 15 minutes): the machine is shared.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    if std::env::var_os("JUKI_BENCH_LOADGEN").is_some() {
        return loadgen();
    }
    let only = std::env::var("JUKI_BENCH_ONLY").ok();
    let part = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if let Some(o) = &only {
        assert!(
            ["propagation", "lookup", "overload", "audit", "stores"].contains(&o.as_str()),
            "JUKI_BENCH_ONLY={o}: expected propagation, lookup, overload, audit or stores"
        );
    }
    let changes_n = env_u64("JUKI_BENCH_CHANGES", 50_000) as usize;
    let paced_s = env_u64("JUKI_BENCH_PACED_S", 20);
    let residents = env_u64("JUKI_BENCH_RESIDENTS", 1_000_000);
    let overload_s = env_u64("JUKI_BENCH_OVERLOAD_S", 30);
    let base = std::env::var_os("JUKI_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let tmp = tempfile::tempdir_in(base).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "# juki network benchmark: {} cores (load average {}), loopback, nodes at JUKI_LOG={}, dir {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average(),
        std::env::var("JUKI_BENCH_SERVE_LOG").unwrap_or_else(|_| "warn".into()),
        tmp.path().display()
    );
    println!(
        "# command: cargo bench -p juki --bench network (JUKI_BENCH_ONLY={})",
        only.as_deref().unwrap_or("all")
    );

    if part("propagation") || part("overload") {
        let paced_n = if part("propagation") {
            (PACED_RATE * paced_s) as usize
        } else {
            0
        };
        let trickle_n = if part("overload") {
            (overload_s as usize + 1) * TRICKLE_BATCH * (1000 / TRICKLE_EVERY.as_millis() as usize)
        } else {
            0
        };
        let total = changes_n + paced_n + trickle_n;
        let changes = Arc::new(population(total as u64, 2));
        let mut chain = Chain::start(&tmp.path().join("chain"));
        println!(
            "# chain: national {} <- prefecture 130001 {} <- municipal 131148 {}",
            chain.national.url, chain.prefecture.url, chain.cs.url
        );
        rt.block_on(sustained(&chain, changes.clone(), 0..changes_n));
        if paced_n > 0 {
            rt.block_on(propagation(
                &chain,
                changes.clone(),
                changes_n..changes_n + paced_n,
            ));
        }
        if trickle_n > 0 {
            let known = changes_n + paced_n;
            let codes = Arc::new(
                changes[..known]
                    .iter()
                    .map(|c| c.resident_code.clone())
                    .collect::<Vec<_>>(),
            );
            rt.block_on(overload(
                &chain,
                tmp.path(),
                codes,
                changes.clone(),
                known..known + trickle_n,
                Duration::from_secs(overload_s),
                env_u64("JUKI_BENCH_OVERLOAD_IN_FLIGHT", OVERLOAD_IN_FLIGHT) as usize,
            ));
        }
        chain.stop();
        for node in [&chain.cs, &chain.prefecture, &chain.national] {
            let warnings = node.warnings();
            if !warnings.is_empty() {
                println!("# {}: {} warning lines, e.g.:", node.name, warnings.len());
                for w in warnings.iter().take(3) {
                    println!("#   {w}");
                }
            }
        }
    }
    if part("lookup") {
        lookup(&tmp.path().join("lookup"), residents);
    }
    if part("audit") {
        audit_overhead(&tmp.path().join("audit"), residents);
    }
    if part("stores") {
        stores_side_by_side(&tmp.path().join("stores"), residents);
    }
    println!("# load average at the end {}", load_average());
}

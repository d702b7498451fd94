//! Backup benchmark: a municipal node of N synthetic residents (default 1,000,000) through 30
//! days of changes (1% of its residents move house each day, 転居), backed up after each day by
//! `juki backup run`, by stock `restic backup` and by `borg create` (Debian's), the last two of a
//! consistent copy of store.db (`sqlite3 … VACUUM INTO`). Prints, measured side by side in one
//! run: each repository's stored bytes after the 30 days as a share of 30 full copies, backup
//! time per day, and the time of a full restore of the latest state by each tool; then, where
//! the command exists, the time of `juki rebuild --from-parent` in a demo nation.
//!
//! `cargo bench -p juki --bench backup [-- --residents N]`. Environment: JUKI_BENCH_RESIDENTS
//! (the same as --residents), JUKI_BENCH_DAYS (30), JUKI_BENCH_DIR (where the node and the
//! copies live; default the temp dir), JUKI_BENCH_REPO_DIR (where the three repositories live;
//! default beside the node, on the same disk), JUKI_BENCH_REBUILD_RESIDENTS (the demo nation of
//! the rebuild, 300,000; 0 leaves the rebuild out), JUKI_BENCH_ONLY=rebuild (the rebuild alone).

// A benchmark: a failed unwrap ends it with the reason.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const CS: &str = "131148";
const PASSWORD: &str = "juki-backup-benchmark-password";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `--residents N` (or `--residents=N`) on the command line, else the environment; cargo's own
/// `--bench` flag is passed through and ignored.
fn residents_arg() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    for (i, a) in args.iter().enumerate() {
        if let Some(v) = a.strip_prefix("--residents=") {
            return v.parse().unwrap();
        }
        if a == "--residents" {
            return args[i + 1].parse().unwrap();
        }
    }
    env_u64("JUKI_BENCH_RESIDENTS", 1_000_000)
}

fn juki() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_juki"));
    c.env("JUKI_LOG", "warn");
    c
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs a command to success and returns its output and its wall-clock seconds.
fn timed(what: &str, c: &mut Command) -> (Output, f64) {
    let t = Instant::now();
    let out = c.stdin(Stdio::null()).output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, secs)
}

/// Bytes of every file under `dir` (apparent sizes), the way each repository is compared.
fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    total
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Median and p90 of a set of seconds (nearest rank).
fn median_p90(v: &[f64]) -> (f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| s[((s.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.9))
}

/// SplitMix64, for a reproducible choice of who moves.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The population file, kept to write each day's changes from.
struct Population {
    header: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
}

impl Population {
    fn read(path: &Path) -> Population {
        let mut r = csv::Reader::from_path(path).unwrap();
        let header = r.headers().unwrap().clone();
        let rows = r.records().map(|r| r.unwrap()).collect();
        Population { header, rows }
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Day `day`'s change file (FORMATS §1): `count` residents, taken from `order`, move house
    /// within the ward (転居) to the address of another resident chosen at random.
    fn write_day(&self, path: &Path, day: u64, order: &[usize], rng: &mut Rng) {
        let id = self.column("record_id").unwrap();
        let kind = self.column("change_kind").unwrap();
        let date = self.column("effective_date").unwrap();
        let address = self.column("address").unwrap();
        let since = self.column("address_since");
        let effective = format!("2026-05-{day:02}");
        let mut w = csv::Writer::from_path(path).unwrap();
        w.write_record(&self.header).unwrap();
        for (i, &who) in order.iter().enumerate() {
            let row = &self.rows[who];
            let to = &self.rows[(rng.next() % self.rows.len() as u64) as usize][address];
            let record_id = format!("B{day:02}-{i:08}");
            let fields: Vec<&str> = (0..row.len())
                .map(|c| match c {
                    c if c == id => record_id.as_str(),
                    c if c == kind => "転居",
                    c if c == date => effective.as_str(),
                    c if c == address => to,
                    c if Some(c) == since => effective.as_str(),
                    c => &row[c],
                })
                .collect();
            w.write_record(&fields).unwrap();
        }
        w.flush().unwrap();
    }
}

fn main() {
    if std::env::var("JUKI_BENCH_ONLY").as_deref() == Ok("rebuild") {
        let base_dir =
            std::env::var_os("JUKI_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
        rebuild_from_parent(&base_dir);
        return;
    }
    let residents = residents_arg();
    let days = env_u64("JUKI_BENCH_DAYS", 30);
    let base_dir =
        std::env::var_os("JUKI_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let tmp = tempfile::tempdir_in(&base_dir).unwrap();
    let repo_tmp =
        std::env::var_os("JUKI_BENCH_REPO_DIR").map(|d| tempfile::tempdir_in(d).unwrap());
    let repos = repo_tmp.as_ref().map_or(tmp.path(), |t| t.path());
    let data = tmp.path().join(CS);
    let copy_dir = tmp.path().join("copy");
    let copy = copy_dir.join("store.db");
    let password = tmp.path().join("password");
    let juki_repo = repos.join("juki-repo");
    let restic_repo = repos.join("restic-repo");
    let borg_repo = repos.join("borg-repo");
    // restic's cache and borg's cache, keys and security notes stay inside the run.
    let restic_cache = tmp.path().join("restic-cache");
    let borg_base = tmp.path().join("borg-base");
    std::fs::create_dir_all(&copy_dir).unwrap();
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();

    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let version = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_else(|_| format!("{tool} not found"))
    };
    println!(
        "# juki backup benchmark: {residents} residents of {CS} (中野区), {days} days of 1% 転居 each, {} cores, commit {commit}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    println!("# command: cargo bench -p juki --bench backup -- --residents {residents}");
    println!(
        "# {}; {}; sqlite3 {}",
        version("restic", "version"),
        version("borg", "--version"),
        version("sqlite3", "--version")
            .split_whitespace()
            .next()
            .unwrap_or("")
    );
    let same_device =
        std::fs::metadata(tmp.path()).unwrap().dev() == std::fs::metadata(repos).unwrap().dev();
    println!(
        "# node and copies in {}, repositories in {}{}",
        tmp.path().display(),
        repos.display(),
        if same_device {
            " (the same device: juki is told --i-know-this-is-the-same-storage)"
        } else {
            " (another device)"
        }
    );
    let same_flag: &[&str] = if same_device {
        &["--i-know-this-is-the-same-storage"]
    } else {
        &[]
    };

    // The node: synthesised, initialised and loaded with the real commands, then stopped.
    let population = tmp.path().join("population.csv");
    let (_, synth_s) = timed(
        "juki synth",
        juki().args([
            "synth",
            "--residents",
            &residents.to_string(),
            "--municipality",
            CS,
            "--seed",
            "1",
            "--out",
            p(&population),
        ]),
    );
    timed(
        "juki init",
        juki().args([
            "init",
            "--role",
            "municipal",
            "--code",
            CS,
            "--data",
            p(&data),
        ]),
    );
    let (_, load_s) = timed(
        "juki load",
        juki().args(["load", "--data", p(&data), p(&population)]),
    );
    println!(
        "# synth {synth_s:.1} s, load {load_s:.1} s, load average {}",
        load_average()
    );
    let pop = Population::read(&population);
    assert_eq!(pop.rows.len() as u64, residents);
    std::fs::remove_file(&population).unwrap();

    // The three repositories.
    let backup = |cmd: &str| {
        let mut c = juki();
        c.args(["backup", cmd, "--repo", p(&juki_repo), "--password-file"])
            .arg(&password);
        c
    };
    timed(
        "juki backup init",
        backup("init").args(["--data", p(&data)]).args(same_flag),
    );
    let restic = |cmd: &str| {
        let mut c = Command::new("restic");
        c.args([cmd, "--repo", p(&restic_repo), "--password-file"])
            .arg(&password)
            .arg("--cache-dir")
            .arg(&restic_cache)
            .arg("--quiet");
        c
    };
    timed("restic init", &mut restic("init"));
    let borg = || {
        let mut c = Command::new("borg");
        c.env("BORG_PASSPHRASE", PASSWORD)
            .env("BORG_BASE_DIR", &borg_base)
            .env("BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes");
        c
    };
    timed(
        "borg init",
        borg().args(["init", "--encryption=repokey", p(&borg_repo)]),
    );

    // Who moves on which day: a shuffled order of the residents, 1% a day, nobody twice.
    let mut rng = Rng(8);
    let mut order: Vec<usize> = (0..pop.rows.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    let per_day = (pop.rows.len() / 100).max(1);

    let (mut t_juki, mut t_copy, mut t_restic, mut t_borg) = (vec![], vec![], vec![], vec![]);
    let mut full_copies = 0u64;
    let mut first_juki_line = String::new();
    println!(
        "# day  changes  load_s  store_MB  copy_MB | juki_s  copy_s restic_s  borg_s | juki_MB restic_MB  borg_MB"
    );
    for day in 1..=days {
        let changes = tmp.path().join(format!("day-{day:02}.csv"));
        let start = ((day - 1) as usize * per_day) % order.len();
        let who: Vec<usize> = (0..per_day)
            .map(|k| order[(start + k) % order.len()])
            .collect();
        pop.write_day(&changes, day, &who, &mut rng);
        let (out, load_s) = timed(
            "juki load (day)",
            juki().args(["load", "--data", p(&data), p(&changes)]),
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains(&format!(": {per_day} applied,")), "{said}");
        std::fs::remove_file(&changes).unwrap();

        // (a) juki, on the stopped node, as a timer would run it.
        let (out, s) = timed(
            "juki backup run",
            backup("run")
                .args(["--data", p(&data), "--json"])
                .args(same_flag),
        );
        t_juki.push(s);
        if day <= 2 {
            first_juki_line.push_str(&format!(
                "# juki backup run --json, day {day}: {}\n",
                serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
            ));
        }
        // The consistent copy restic and borg back up, as an operator would make it.
        let _ = std::fs::remove_file(&copy);
        let (_, s) = timed(
            "sqlite3 VACUUM INTO",
            Command::new("sqlite3")
                .arg(data.join("store.db"))
                .arg(format!("VACUUM INTO '{}'", p(&copy))),
        );
        t_copy.push(s);
        let copy_bytes = std::fs::metadata(&copy).unwrap().len();
        full_copies += copy_bytes;
        // (b) restic, (c) borg, of the same copy (the same path every day).
        let (_, s) = timed(
            "restic backup",
            restic("backup")
                .args(["--host", "bench"])
                .arg(&copy)
                .current_dir(&copy_dir),
        );
        t_restic.push(s);
        let (_, s) = timed(
            "borg create",
            borg()
                .args([
                    "create",
                    &format!("{}::day-{day:02}", p(&borg_repo)),
                    "store.db",
                ])
                .current_dir(&copy_dir),
        );
        t_borg.push(s);
        println!(
            "# {day:3} {per_day:8} {load_s:7.1} {:9.1} {:8.1} | {:6.1} {:7.1} {:8.1} {:7.1} | {:7.1} {:9.1} {:8.1}",
            mb(std::fs::metadata(data.join("store.db")).unwrap().len()),
            mb(copy_bytes),
            t_juki.last().unwrap(),
            t_copy.last().unwrap(),
            t_restic.last().unwrap(),
            t_borg.last().unwrap(),
            mb(dir_bytes(&juki_repo)),
            mb(dir_bytes(&restic_repo)),
            mb(dir_bytes(&borg_repo)),
        );
    }
    print!("{first_juki_line}");
    println!("# load average after the days: {}", load_average());

    // Stored bytes after the days, as a share of the days' full copies.
    println!(
        "{days} full copies of store.db (its VACUUM INTO copy each day, summed): {:.1} MB",
        mb(full_copies)
    );
    for (tool, repo) in [
        ("juki", &juki_repo),
        ("restic", &restic_repo),
        ("borg", &borg_repo),
    ] {
        let b = dir_bytes(repo);
        println!(
            "stored after {days} days, {tool}: {:.1} MB = {:.2} % of {days} full copies",
            mb(b),
            100.0 * b as f64 / full_copies as f64
        );
    }
    // Backup time per day; restic's and borg's include the copy juki makes for itself.
    let with_copy = |t: &[f64]| {
        t.iter()
            .zip(&t_copy)
            .map(|(a, b)| a + b)
            .collect::<Vec<_>>()
    };
    for (tool, t) in [
        ("juki backup run", t_juki.clone()),
        ("sqlite3 VACUUM INTO + restic backup", with_copy(&t_restic)),
        ("sqlite3 VACUUM INTO + borg create", with_copy(&t_borg)),
        ("(the VACUUM INTO copy alone)", t_copy.clone()),
    ] {
        let (m, p90) = median_p90(&t);
        let (m_later, p90_later) = median_p90(&t[1.min(t.len() - 1)..]);
        println!(
            "backup time per day, {tool}: median {m:.2} s, p90 {p90:.2} s (day 1 {:.2} s; days 2–{days}: median {m_later:.2} s, p90 {p90_later:.2} s)",
            t[0]
        );
    }

    // Full restore of the latest state by each tool (the repositories were just written, so
    // they are read from the page cache as much as the machine's memory allows).
    let juki_target = tmp.path().join("restore-juki");
    let (_, r_juki) = timed(
        "juki backup restore",
        backup("restore").args(["latest", "--target", p(&juki_target)]),
    );
    let restic_target = tmp.path().join("restore-restic");
    let (_, r_restic) = timed(
        "restic restore",
        restic("restore").args(["latest", "--target", p(&restic_target)]),
    );
    let borg_target = tmp.path().join("restore-borg");
    std::fs::create_dir_all(&borg_target).unwrap();
    let (_, r_borg) = timed(
        "borg extract",
        borg()
            .args(["extract", &format!("{}::day-{days:02}", p(&borg_repo))])
            .current_dir(&borg_target),
    );
    // Each restored store holds the node's residents, at their last addresses.
    let count = |db: &Path| {
        let (out, _) = timed(
            "sqlite3 count",
            Command::new("sqlite3")
                .arg(db)
                .arg("SELECT count(*) FROM residents"),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let restic_db = restic_target.join(copy.strip_prefix("/").unwrap());
    let counts = [
        count(&juki_target.join("store.db")),
        count(&restic_db),
        count(&borg_target.join("store.db")),
    ];
    assert!(
        counts.iter().all(|c| c == &residents.to_string()),
        "restored residents: {counts:?}"
    );
    println!(
        "full restore of the latest state ({residents} residents each, counted): juki backup restore {r_juki:.2} s; restic restore {r_restic:.2} s; borg extract {r_borg:.2} s"
    );
    println!(
        "juki backup restore extrapolated to 10,000,000 residents (linear in residents): {:.1} s",
        r_juki * 10_000_000.0 / residents as f64
    );
    rebuild_from_parent(&base_dir);
}

/// A demo nation's processes, stopped when dropped.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// A base port with ten free ports after it.
fn free_base() -> u16 {
    (0..500)
        .map(|i| 40_000 + (std::process::id() % 500) as u16 * 10 + i * 10)
        .find(|&b| (b..b + 10).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()))
        .unwrap()
}

/// `juki ARGS --profile DEMO/profiles/WHO.toml --json`: its JSON answer, which must have
/// exited 0 unless `waits` (a request left for a second person exits 1 with its id).
fn as_profile(demo: &Path, who: &str, args: &[&str], waits: bool) -> serde_json::Value {
    let profile = demo.join("profiles").join(format!("{who}.toml"));
    let out = juki()
        .args(args)
        .arg("--profile")
        .arg(&profile)
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success() || (waits && out.status.code() == Some(1)),
        "juki {args:?} as {who}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A demo node's URL, from demo.json (FORMATS §3).
fn node_url(demo: &Path, code: &str) -> String {
    let d: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo.join("demo.json")).unwrap()).unwrap();
    d["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == code)
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `juki rebuild --from-parent` of 中野区 in a demo nation of JUKI_BENCH_REBUILD_RESIDENTS
/// (default 300,000) residents, as an operator would run it after losing the node's disk:
/// a backup while it serves, the node stopped (a second person approves) and its data
/// directory deleted, a restore-node request asked at 東京都 by a national operator and
/// approved by 東京都's admin, then the rebuild timed. Measured only where the command exists.
fn rebuild_from_parent(base_dir: &Path) {
    let exists = juki()
        .args(["rebuild", "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !exists {
        println!("juki rebuild --from-parent: not measured (no such command at this commit)");
        return;
    }
    let residents = env_u64("JUKI_BENCH_REBUILD_RESIDENTS", 300_000);
    if residents == 0 {
        println!(
            "juki rebuild --from-parent: not measured in this run (JUKI_BENCH_REBUILD_RESIDENTS=0)"
        );
        return;
    }
    let tmp = tempfile::tempdir_in(base_dir).unwrap();
    let dir = tmp.path().join("demo");
    let t = Instant::now();
    let base = free_base();
    let child = juki()
        .args(["demo", "--dir", p(&dir), "--port", &base.to_string()])
        .args(["--residents", &residents.to_string(), "--seed", "3"])
        .arg("--always-open")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _demo = Demo(child);
    let deadline = Instant::now() + std::time::Duration::from_secs(1800);
    while !dir.join("demo.json").exists() {
        assert!(Instant::now() < deadline, "demo.json not written in 1800 s");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let nakano = dir.join("nodes").join(CS);
    let count = |db: &Path| {
        let (out, _) = timed(
            "sqlite3 count",
            Command::new("sqlite3")
                .arg(db)
                .arg("SELECT count(*) FROM residents"),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let held = count(&nakano.join("store.db"));
    println!(
        "# rebuild: demo nation of {residents} residents (seed 3) on ports {base}…, serving after {:.0} s; 中野区 holds {held} residents",
        t.elapsed().as_secs_f64()
    );

    // Its backup, taken while it serves.
    let password = tmp.path().join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let repo = tmp.path().join("repo");
    for cmd in ["init", "run"] {
        timed(
            &format!("juki backup {cmd}"),
            juki()
                .args([
                    "backup",
                    cmd,
                    "--repo",
                    p(&repo),
                    "--password-file",
                    p(&password),
                ])
                .args(["--data", p(&nakano), "--i-know-this-is-the-same-storage"]),
        );
    }
    // The node stopped, a second person approving, and its disk lost.
    let stop = as_profile(&dir, "131148-admin", &["node", "stop"], true);
    let stop_id = stop["approval"]["id"].as_str().unwrap().to_string();
    let cs_url = node_url(&dir, CS);
    as_profile(
        &dir,
        "130001-admin",
        &["approve", "approve", &stop_id, "--url", &cs_url],
        false,
    );
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    while std::fs::File::open(nakano.join("lock"))
        .unwrap()
        .try_lock()
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "中野区's node still running after 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::fs::remove_dir_all(&nakano).unwrap();

    // Two people at 東京都 approve the rebuild; then it runs.
    let tokyo_url = node_url(&dir, "130001");
    let asked = as_profile(
        &dir,
        "national-operator",
        &[
            "approve",
            "request-restore",
            CS,
            "--operation",
            "rebuild",
            "--url",
            &tokyo_url,
            "--reason",
            "disk lost",
        ],
        true,
    );
    let id = asked["approval"]["id"].as_str().unwrap().to_string();
    as_profile(&dir, "130001-admin", &["approve", "approve", &id], false);
    let admin = dir.join("profiles").join("130001-admin.toml");
    let (out, secs) = timed(
        "juki rebuild --from-parent",
        juki()
            .args(["rebuild", "--from-parent", "--data", p(&nakano), "--json"])
            .args(["--repo", p(&repo), "--password-file", p(&password)])
            .args(["--approval", &id, "--profile", p(&admin)]),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rebuilt = count(&nakano.join("store.db"));
    assert_eq!(rebuilt, held, "{report}");
    let n: f64 = held.parse().unwrap();
    println!(
        "# rebuild report: recorded {}, from the parent {}, local fields not recovered {}, epoch {}",
        report["recorded"],
        report["from_parent"],
        report["local_fields_not_recovered"]["count"],
        report["epoch"]
    );
    println!(
        "juki rebuild --from-parent of 中野区 ({held} residents, from 東京都 over mutual TLS and the backup): {secs:.2} s; linear in residents: {:.1} s for 1,000,000, {:.0} s for 10,000,000",
        secs * 1e6 / n,
        secs * 1e7 / n
    );
}

//! Services benchmark: identity verification in bulk at the national node of a demo nation of
//! JUKI_BENCH_RESIDENTS residents (default 1,000,000): `juki identity batch` of every resident
//! (in a shuffled order) as the national agency, beside the same lookups one request at a time
//! (`GET /v1/identity/{code}`, what an agency would do without the batch), measured in the
//! same run.
//!
//! `cargo bench -p juki --bench services`. Environment: JUKI_BENCH_RESIDENTS, JUKI_BENCH_SINGLE
//! (single lookups timed, default 5,000), JUKI_BENCH_FACTS (queries by the four facts, default
//! 100,000), JUKI_BENCH_DIR (where the demo is made).

// A benchmark: a failed unwrap ends it with the reason.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn juki() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_juki"));
    c.env("JUKI_LOG", "warn");
    c
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A base port with ten free ports after it.
fn free_base() -> u16 {
    (0..500)
        .map(|i| 30_000 + (std::process::id() % 500) as u16 * 10 + i * 10)
        .find(|&b| (b..b + 10).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()))
        .unwrap()
}

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// SplitMix64, for a reproducible shuffle.
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        v.swap(i, (z % (i as u64 + 1)) as usize);
    }
}

fn main() {
    let residents = env_u64("JUKI_BENCH_RESIDENTS", 1_000_000);
    let single_n = env_u64("JUKI_BENCH_SINGLE", 5_000) as usize;
    let base_dir =
        std::env::var_os("JUKI_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let tmp = tempfile::tempdir_in(base_dir).unwrap();
    let dir = tmp.path().join("demo");
    let base = free_base();
    println!(
        "# juki services benchmark: {} cores, demo nation of {residents} residents on ports {base}…, dir {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        dir.display()
    );
    println!("# command: cargo bench -p juki --bench services");
    // Made and stopped once; then the national node lets one client send as fast as it can
    // (the per-client limit would otherwise measure itself), and the nation serves.
    let t = Instant::now();
    let made = juki()
        .args(["demo", "--dir", p(&dir), "--port", &base.to_string()])
        .args([
            "--residents",
            &residents.to_string(),
            "--seed",
            "3",
            "--no-wait",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "juki demo --no-wait failed");
    println!(
        "# demo made, every resident at the national node, after {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let config = dir.join("nodes/national/juki.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("client_requests_per_second = 500"), "{text}");
    let text = text
        .replace(
            "client_requests_per_second = 500",
            "client_requests_per_second = 1000000",
        )
        .replace("client_burst = 1000", "client_burst = 10000000");
    std::fs::write(&config, text).unwrap();
    let _demo = Demo(
        juki()
            .args(["demo", "--dir", p(&dir), "--port", &base.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let operator = juki_client::Profile::load(&dir.join("profiles/national-operator.toml"))
        .unwrap()
        .client(Duration::from_secs(5))
        .unwrap();
    let t = Instant::now();
    while rt.block_on(operator.status()).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the national node did not come back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut r = csv::Reader::from_path(dir.join("population.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let cols = [
        col("resident_code"),
        col("family_name_kana"),
        col("given_name_kana"),
        col("birth_date"),
        col("sex"),
    ];
    let mut people: Vec<[String; 5]> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            cols.map(|c| x[c].to_string())
        })
        .collect();
    shuffle(&mut people, 42);
    let codes: Vec<String> = people.iter().map(|p| p[0].clone()).collect();
    let queries = tmp.path().join("queries.txt");
    std::fs::write(&queries, codes.join("\n") + "\n").unwrap();
    let profile = dir.join("profiles/national-agency.toml");

    // One request at a time, as an agency would without the batch.
    let client = juki_client::Profile::load(&profile)
        .unwrap()
        .client(Duration::from_secs(30))
        .unwrap();
    let t = Instant::now();
    for code in codes.iter().take(single_n) {
        let r = rt.block_on(client.identity(code, Some("pension"))).unwrap();
        assert_eq!(&r.resident_code, code);
    }
    let single_rate = single_n as f64 / t.elapsed().as_secs_f64();
    drop(client);

    let out = tmp.path().join("answers.jsonl");
    // `juki identity batch FILE` as the agency: seconds, and the summary it prints.
    let batch = |file: &Path| {
        let t = Instant::now();
        let done = juki()
            .args(["identity", "batch", p(file), "--purpose", "pension"])
            .args(["--out", p(&out), "--profile", p(&profile), "--json"])
            .stderr(Stdio::null())
            .output()
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert!(done.status.success());
        let summary: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
        (secs, summary)
    };
    let (secs, summary) = batch(&queries);
    assert_eq!(
        summary["by_status"]["current"],
        codes.len() as u64,
        "{summary}"
    );
    let batch_rate = codes.len() as f64 / secs;
    println!(
        "6. juki identity batch of {} queries at the national node (national-agency, purpose pension, shuffled codes, whole command incl. reading the file and writing the answers): {secs:.1} s, {batch_rate:.0} queries/s (target ≥ 50,000/s)",
        codes.len()
    );
    println!(
        "6. the same lookups one request at a time (GET /v1/identity/{{code}} over mutual TLS, one HTTP/2 connection, {single_n} of them): {single_rate:.0} queries/s; the batch is {:.1}x",
        batch_rate / single_rate
    );

    // 7. The batch by the four facts (reading, birth date, sex), as agencies without the code ask.
    let facts_n = (env_u64("JUKI_BENCH_FACTS", 100_000) as usize).min(people.len());
    let mut lines = String::new();
    for p in people.iter().take(facts_n) {
        let q = serde_json::json!({
            "id": p[0], "kana": format!("{} {}", p[1], p[2]), "birth_date": p[3], "sex": p[4],
        });
        lines.push_str(&q.to_string());
        lines.push('\n');
    }
    let facts_file = tmp.path().join("facts.jsonl");
    std::fs::write(&facts_file, lines).unwrap();
    let (secs, _) = batch(&facts_file);
    let top = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter(|l| {
            let a: serde_json::Value = serde_json::from_str(l).unwrap();
            a["candidates"][0]["resident_code"] == a["id"]
        })
        .count();
    println!(
        "7. juki identity batch of {facts_n} queries by the four facts at the national node (3 candidates each, whole command): {secs:.1} s, {:.0} queries/s; the resident was the top candidate for {top} ({:.2} %)",
        facts_n as f64 / secs,
        100.0 * top as f64 / facts_n as f64
    );
}

//! The special move-out/move-in (転入転出の特例) on a demo nation of real processes: a 中野区
//! resident's move-out is notified at 中野区, the move-in at 練馬区 fetches its data, and 中野区's
//! node is killed between the fetch and the notice. The move-in is recorded and its notice
//! waits; when 中野区 returns, the notice is delivered, 中野区 closes the record, and the national
//! node ends with one move-in and one move-out — the procedure completed exactly once, however
//! often the clerk repeats the request.

#![allow(clippy::unwrap_used)]

mod util;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use util::demo::{Demo, free_base};
use util::*;

/// Today in Tokyo, as the nodes reckon it.
fn today() -> String {
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(9));
    tz.to_datetime(jiff::Timestamp::now()).date().to_string()
}

fn status(demo: &Demo, profile: &str, code: &str) -> serde_json::Value {
    json(&run(&[
        "move",
        "status",
        code,
        "--profile",
        p(&demo.profile(profile)),
        "--json",
    ]))
}

/// Polls `f` every 200 ms until it is true, for at most `secs` seconds.
fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn move_in_args<'a>(demo: &'a Demo, code: &'a str, today: &'a str) -> Vec<String> {
    [
        "move",
        "in",
        code,
        "--from",
        "131148",
        "--moved-on",
        today,
        "--address",
        "豊玉北六丁目12番1号",
        "--profile",
        p(&demo.profile("131202-clerk")),
        "--json",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn a_move_in_completes_exactly_once_with_the_old_municipality_killed_between_fetch_and_notice() {
    let dir = tempfile::tempdir().unwrap();
    let failpoints = tempfile::tempdir().unwrap();
    let base = free_base();
    let demo = Demo::start_with_env(
        dir.path(),
        base,
        50,
        "warn",
        &["--always-open"],
        &[("JUKI_FAILPOINT_DIR", failpoints.path())],
    );
    let code = population_of(dir.path(), "131148");
    let today = today();

    // At 中野区's window: the move-out, with today as the planned date.
    let out = json(&run(&[
        "move",
        "out",
        &code,
        "--planned",
        &today,
        "--to",
        "131202",
        "--to-address",
        "豊玉北六丁目12番1号",
        "--profile",
        p(&demo.profile("131148-clerk")),
        "--json",
    ]));
    assert_eq!(out["state"], "notified", "{out}");
    let move_id = out["move_id"].as_str().unwrap().to_string();

    // At 練馬区's window: the move-in, held after the fetch until the marker goes.
    let marker = failpoints.path().join("move-in-after-fetch");
    std::fs::write(&marker, b"").unwrap();
    let move_in = juki()
        .args(move_in_args(&demo, &code, &today))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("中野区 gave the move-out data", 60, || {
        status(&demo, "131148-clerk", &code)["outgoing"][0]["state"] == "fetched"
    });

    // Kill 中野区 between the fetch and the notice.
    let nakano = dir.path().join("nodes/131148");
    let killed = std::process::Command::new("pkill")
        .args([
            "-KILL",
            "-f",
            &format!("serve --data {}$", nakano.display()),
        ])
        .status()
        .unwrap();
    assert!(killed.success(), "中野区's node was running");
    wait_for("中野区's node is gone", 30, || {
        std::fs::File::open(nakano.join("lock"))
            .unwrap()
            .try_lock()
            .is_ok()
    });
    std::fs::remove_file(&marker).unwrap();
    let done = move_in.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let first = json(&done);
    assert_eq!(first["move_id"], move_id.as_str());
    assert_eq!(first["state"], "notice-pending", "{first}");
    assert_eq!(first["warnings"][0]["code"], "JK-SVC-0108");
    let sequence = first["sequence"].as_u64().expect("the move-in is recorded");

    // The clerk repeats the move-in while 中野区 is down: resumed, nothing recorded again.
    let again = json(&run(&move_in_args(&demo, &code, &today)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    assert_eq!(
        (&again["resumed"], &again["sequence"], &again["state"]),
        (&true.into(), &sequence.into(), &"notice-pending".into()),
        "{again}"
    );

    // 練馬区's status warns of the waiting notice until it is delivered.
    let warnings = |demo: &Demo| {
        let s = json(&run(&[
            "status",
            "--profile",
            p(&demo.profile("131202-admin")),
            "--json",
        ]));
        s["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(warnings(&demo).contains(&"JK-SVC-0108".to_string()));

    // 中野区 returns: the notice is resent and acknowledged, the record there closed.
    let _nakano = ServeProcess::start_configured(&nakano);
    wait_for("練馬区 completed the move-in", 90, || {
        status(&demo, "131202-clerk", &code)["incoming"][0]["state"] == "completed"
    });
    assert!(!warnings(&demo).contains(&"JK-SVC-0108".to_string()));
    let old = status(&demo, "131148-clerk", &code);
    let closed = &old["outgoing"][0];
    assert_eq!(closed["state"], "closed", "{old}");
    assert_eq!(closed["moved_on"], today.as_str());
    assert_eq!(closed["fetched_by"], "131202");
    let repeated = json(&run(&move_in_args(&demo, &code, &today)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    assert_eq!(
        (
            &repeated["state"],
            &repeated["sequence"],
            &repeated["resumed"]
        ),
        (&"completed".into(), &sequence.into(), &true.into()),
        "{repeated}"
    );

    // The national node: the resident lives in 練馬区, after exactly one move-in there and one
    // move-out from 中野区.
    let operator = demo.profile("national-operator");
    let mut record = serde_json::Value::Null;
    wait_for("the national node has both changes", 60, || {
        record = json(&run(&[
            "record",
            "get",
            &code,
            "--profile",
            p(&operator),
            "--json",
        ]));
        let history = record["history"].as_array().cloned().unwrap_or_default();
        history
            .iter()
            .any(|h| h["kind"] == "転入" && h["recorded_by"] == "131202")
            && history
                .iter()
                .any(|h| h["kind"] == "転出" && h["recorded_by"] == "131148")
    });
    let history = record["history"].as_array().unwrap();
    let count = |kind: &str, by: &str| {
        history
            .iter()
            .filter(|h| h["kind"] == kind && h["recorded_by"] == by)
            .count()
    };
    assert_eq!(count("転入", "131202"), 1, "{record:#}");
    assert_eq!(count("転出", "131148"), 1, "{record:#}");
    assert_eq!(record["status"], "current", "{record:#}");
    assert_eq!(
        record["current"]["local_government_code"], "131202",
        "{record:#}"
    );

    // The same move-out data cannot serve a second move-in elsewhere.
    let out = run(&[
        "move",
        "in",
        &code,
        "--from",
        "131148",
        "--moved-on",
        &today,
        "--address",
        "本町一丁目1番1号",
        "--profile",
        p(&demo.profile("122190-clerk")),
    ]);
    assert_refused(&out, 1, "JK-SVC-0107");
}

/// A resident of municipality `lgc` in the demo population.
fn population_of(dir: &Path, lgc: &str) -> String {
    let mut r = csv::Reader::from_path(dir.join("population.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (code, at) = (col("resident_code"), col("local_government_code"));
    r.records()
        .map(Result::unwrap)
        .find(|rec| &rec[at] == lgc)
        .map(|rec| rec[code].to_string())
        .unwrap()
}

//! The demo nation with its prefecture and national nodes on PostgreSQL (the shared server at
//! 127.0.0.1:5432): `juki demo --store postgres://…/DB` creates the database, a change reaches
//! the national node through the PostgreSQL stores, and the demo resumes on them.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use std::path::Path;
use std::time::{Duration, Instant};
use util::changes::{move_in_nakano, submit_ok};
use util::demo::{Demo, free_base};
use util::pg::{Database, SERVER};
use util::run;

/// `juki record get CODE` as `profile` sees it, polled until `done` holds (or 60 s pass).
fn record_until(profile: &Path, code: &str, done: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = run(&[
            "record",
            "get",
            code,
            "--profile",
            profile.to_str().unwrap(),
            "--json",
        ]);
        if out.status.success()
            && serde_json::from_slice(&out.stdout).is_ok_and(|v: serde_json::Value| done(&v))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "record {code} never reached the expected state at {}: {}",
            profile.display(),
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_demo_runs_its_upper_tiers_on_postgres_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let db = Database(format!("juki_demo_{}_{}", std::process::id(), free_base()));
    let url = format!("{SERVER}/{}", db.0);
    let base = free_base();
    let mut demo = Demo::start_with(&dir, base, 300, "warn", &["--store", &url]);

    // The upper tiers' stores are schemas of the one database; the municipalities' are SQLite.
    let mut pg = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let count = |pg: &mut postgres::Client, schema: &str| -> i64 {
        pg.query_one(&format!("SELECT count(*) FROM {schema}.residents"), &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(count(&mut pg, "node_national"), 300);
    let prefectures: i64 = ["node_130001", "node_120006", "node_270008"]
        .iter()
        .map(|s| count(&mut pg, s))
        .sum();
    assert_eq!(prefectures, 300);
    assert!(dir.join("nodes/131148/store.db").exists());
    assert!(!dir.join("nodes/national/store.db").exists());

    // A change at 中野区 reaches the national node.
    let code = "12345678903";
    let answer = submit_ok(
        &demo.profile("131148-clerk"),
        &dir.join("pg-1.jsonl"),
        &[move_in_nakano("PG-1", code)],
    );
    assert_eq!(answer["applied"], 1);
    let national = demo.profile("national-operator");
    record_until(&national, code, |v| {
        v["current"]["local_government_code"] == "131148"
    });
    assert_eq!(count(&mut pg, "node_national"), 301);

    // Stopped and resumed on the same database: the record is still there.
    assert!(demo.stop().success());
    drop(demo);
    let demo = Demo::start_with(&dir, base, 300, "warn", &["--store", &url]);
    record_until(&national, code, |v| {
        v["current"]["local_government_code"] == "131148"
    });
    // Stopped only once every node is up (the last one started answers): a demo stopped while
    // it starts its nodes would leave those started behind.
    let last = demo.profile("272108-clerk");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !run(&["status", "--json", "--profile", last.to_str().unwrap()])
        .status
        .success()
    {
        assert!(Instant::now() < deadline, "the resumed demo did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(demo);

    // Resuming with another database is refused rather than starting empty stores.
    let out = run(&[
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--port",
        &base.to_string(),
        "--store",
        &format!("{SERVER}/another"),
        "--no-wait",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("resume it without --store"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

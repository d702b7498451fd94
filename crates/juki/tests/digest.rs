//! Cross-tier digests and reconcile through the real binary, in the demo nation: a municipal
//! node restored from an older backup lacks changes its prefecture and the national node hold;
//! its daily comparison names the ranges, `juki reconcile` records them again from the
//! prefecture, and the three tiers' digests agree afterwards.

// Test code: a failed unwrap fails the test.
#![allow(clippy::unwrap_used)]

mod util;

use std::path::Path;
use std::time::{Duration, Instant};
use util::backup::Repo;
use util::demo::{Demo, free_base};
use util::*;

/// The root of `scope`'s digest at the profile's node.
fn root(profile: &Path, scope: &str) -> String {
    let d = json(&run(&[
        "digest",
        "--profile",
        p(profile),
        "--scope",
        scope,
        "--json",
    ]));
    d["root"].as_str().unwrap().to_string()
}

/// The roots of 中野区's digest at 中野区, 東京都 and the national node.
fn three_roots(demo: &Demo) -> [String; 3] {
    ["131148-admin", "130001-admin", "national-operator"].map(|n| root(&demo.profile(n), "131148"))
}

/// Calls `f` every 250 ms until it answers Some (or `secs` pass: then fails saying what the
/// last answer was, `f`'s second value).
fn until<T>(secs: u64, mut f: impl FnMut() -> (Option<T>, String)) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (done, last) = f();
        if let Some(v) = done {
            return v;
        }
        assert!(Instant::now() < deadline, "never reached: {last}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits until the three tiers' digests of 中野区 agree; returns the root.
fn until_agree(demo: &Demo) -> String {
    until(60, || {
        let roots = three_roots(demo);
        let agree = roots[0] == roots[1] && roots[1] == roots[2];
        (agree.then(|| roots[0].clone()), format!("{roots:?}"))
    })
}

/// 中野区's status, once its node answers and `done` holds for it.
fn status_until(demo: &Demo, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let profile = demo.profile("131148-admin");
    until(120, || {
        let out = run(&["status", "--profile", p(&profile), "--json"]);
        let v = out.status.success().then(|| json(&out)).filter(&done);
        (v, String::from_utf8_lossy(&out.stdout).into_owned())
    })
}

/// Waits until the metrics of the profile's node hold the line `line`.
fn metric_until(profile: &Path, line: &str) {
    let client = juki_client::Profile::load(profile)
        .unwrap()
        .client(Duration::from_secs(30))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    until(60, || {
        let metrics = rt.block_on(client.metrics()).unwrap();
        (
            metrics.lines().any(|l| l == line).then_some(()),
            format!("`{line}` in {metrics}"),
        )
    })
}

fn digest_warning(status: &serde_json::Value) -> Option<&serde_json::Value> {
    status["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "JK-DIG-0101")
}

#[test]
fn a_node_restored_from_an_older_backup_is_reconciled_from_its_prefecture() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    let base = free_base();
    let mut demo = Demo::start(dir.path(), base, 120);
    let nakano = dir.path().join("nodes/131148");
    let before = until_agree(&demo);

    // A backup of 中野区, then three move-ins it records after it, which reach every tier.
    let backup = |cmd: &str, more: &[&str]| ok(&repo.run(cmd, more));
    backup("init", &["--data", p(&nakano)]);
    backup("run", &["--data", p(&nakano)]);
    // Bodies in three leaf ranges: three ranges differ.
    let codes = [1_000_000, 2_000_000, 3_000_000]
        .map(|body| juki_domain::ResidentCode::from_body(body).to_string());
    let lines: Vec<String> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| changes::move_in_nakano(&format!("DIG-{i}"), c))
        .collect();
    let answer = changes::submit_ok(
        &demo.profile("131148-clerk"),
        &dir.path().join("changes.jsonl"),
        &lines,
    );
    assert_eq!(answer["applied"], 3, "{answer}");
    let after = until_agree(&demo);
    assert_ne!(after, before);

    // The storage of 中野区 is lost; its store is put back from the backup, which predates
    // them: an inspection copy (--scratch: no approval, no new epoch) whose store the test puts
    // in place, so that the node holds exactly what it held at the backup. (The approved
    // restore in a new epoch is tests/pitr.rs's.)
    demo.stop();
    let restored = dir.path().join("restored");
    backup(
        "restore",
        &["latest", "--target", p(&restored), "--scratch"],
    );
    for f in ["store.db-wal", "store.db-shm"] {
        let _ = std::fs::remove_file(nakano.join(f));
    }
    std::fs::copy(restored.join("store.db"), nakano.join("store.db")).unwrap();
    std::fs::remove_dir_all(&restored).unwrap();
    // Compare every second rather than daily.
    for node in ["131148", "130001"] {
        let toml = dir.path().join("nodes").join(node).join("juki.toml");
        let mut text = std::fs::read_to_string(&toml).unwrap();
        text.push_str("\n[digest]\ninterval_seconds = 1\n");
        std::fs::write(&toml, text).unwrap();
    }
    let demo = Demo::start(dir.path(), base, 120);

    // The daily comparison names the three ranges in status.
    let status = status_until(&demo, |s| digest_warning(s).is_some());
    let ranges = &digest_warning(&status).unwrap()["detail"]["ranges"]["131148"];
    assert_eq!(ranges.as_array().unwrap().len(), 3, "{status}");
    let text = ok(&run(&[
        "status",
        "--profile",
        p(&demo.profile("131148-admin")),
    ]));
    assert!(
        text.contains("JK-DIG-0101") && text.contains(ranges[0].as_str().unwrap()),
        "{text}"
    );
    let differing = |n: u32| format!("juki_digest_differing_ranges{{scope=\"131148\"}} {n}");
    metric_until(&demo.profile("131148-admin"), &differing(3));
    // 東京都 compares 中野区's entries with the national node's: they agree.
    metric_until(&demo.profile("130001-admin"), &differing(0));
    let roots = three_roots(&demo);
    assert_eq!(
        roots[0], before,
        "the restored node holds what it held at the backup"
    );
    assert_eq!((&roots[1], &roots[2]), (&after, &after));

    // A clerk may not reconcile; a dry run changes nothing.
    let admin = demo.profile("131148-admin");
    assert_refused(
        &run(&["reconcile", "--profile", p(&demo.profile("131148-clerk"))]),
        1,
        "JK-POL-0101",
    );
    let dry = json(&run(&[
        "reconcile",
        "--profile",
        p(&admin),
        "--dry-run",
        "--json",
    ]));
    assert_eq!(dry["missing_here"], 3, "{dry}");
    assert_eq!(dry["recovered"], 0, "{dry}");
    assert_eq!(dry["missing_at_parent"], 0, "{dry}");
    assert_eq!(
        dry["differing_ranges"].as_array().unwrap().len(),
        3,
        "{dry}"
    );
    assert_eq!(root(&admin, "131148"), before);

    let done = json(&run(&["reconcile", "--profile", p(&admin), "--json"]));
    assert_eq!(done["recovered"], 3, "{done}");
    assert_eq!(done["agree"], true, "{done}");
    assert_eq!(done["conflicts"], serde_json::json!([]), "{done}");
    assert_eq!(until_agree(&demo), after);
    for code in &codes {
        let rec = json(&run(&[
            "record",
            "get",
            code,
            "--profile",
            p(&demo.profile("131148-clerk")),
            "--json",
        ]));
        assert_eq!(rec["current"]["local_government_code"], "131148", "{rec}");
    }
    // The next comparison finds nothing; a second reconcile has nothing to do.
    status_until(&demo, |s| digest_warning(s).is_none());
    metric_until(&demo.profile("131148-admin"), &differing(0));
    let again = json(&run(&["reconcile", "--profile", p(&admin), "--json"]));
    assert_eq!(again["differing_ranges"], serde_json::json!([]), "{again}");
    assert_eq!(again["agree"], true, "{again}");
}

#[test]
fn an_entry_altered_at_the_municipal_node_is_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base();
    let mut demo = Demo::start(dir.path(), base, 60);
    let before = until_agree(&demo);
    demo.stop();

    // Storage that altered one row: the reading of 中野区's first entry.
    let conn = rusqlite::Connection::open(dir.path().join("nodes/131148/store.db")).unwrap();
    let record_id: String = conn
        .query_row("SELECT record_id FROM journal WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let changed = conn
        .execute(
            "UPDATE journal SET snapshot = json_set(snapshot, '$[2]', 'ヤマダ') WHERE seq = 1",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);

    let demo = Demo::start(dir.path(), base, 60);
    status_until(&demo, |_| true);
    let admin = demo.profile("131148-admin");
    let altered = root(&admin, "131148");
    assert_ne!(altered, before);
    let roots = three_roots(&demo);
    assert_eq!((&roots[1], &roots[2]), (&before, &before));

    let out = run(&["reconcile", "--profile", p(&admin), "--json"]);
    assert_eq!(out.status.code(), Some(1), "conflicts exit 1");
    let report = json(&out);
    assert_eq!(
        report["conflicts"][0]["record_id"],
        record_id.as_str(),
        "{report}"
    );
    assert_eq!(report["conflicts"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["warnings"][0]["code"], "JK-DIG-0102", "{report}");
    assert_eq!(
        (&report["missing_here"], &report["missing_at_parent"]),
        (&serde_json::json!(0), &serde_json::json!(0)),
        "{report}"
    );
    assert_eq!(report["agree"], false, "{report}");
    assert_refused(
        &run(&["reconcile", "--profile", p(&admin)]),
        1,
        "JK-DIG-0102",
    );
    // Neither copy was overwritten.
    assert_eq!(root(&admin, "131148"), altered);
    assert_eq!(three_roots(&demo)[1..], [before.clone(), before]);
}

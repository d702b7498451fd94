//! Rebuild from the hierarchy on a demo nation of real processes: 中野区 (131148) records
//! changes — one with local-only fields, and a move-out kept in moves.db — and is backed up;
//! more changes reach 東京都; then its node is stopped and its data directory deleted. A
//! rebuild without approval is refused; an operator asks at 東京都, a second person approves,
//! and the node is rebuilt from 東京都's copy and the backup. Restarted, every record of the
//! municipality equals 東京都's copy, the report names the local fields it could not recover,
//! the node is in epoch 2, and a new change reaches the national node exactly once.

#![allow(clippy::unwrap_used)]

mod util;

use juki_domain::ResidentCode;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use util::changes::{move_in_nakano, submit_ok};
use util::demo::{Demo, free_base};
use util::*;

/// Polls `f` every 200 ms until it is true, for at most `secs` seconds.
fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Today in Tokyo, as the nodes reckon it.
fn today() -> String {
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(9));
    tz.to_datetime(jiff::Timestamp::now()).date().to_string()
}

fn code(body: u64) -> String {
    ResidentCode::from_body(body).to_string()
}

/// A move-in to 中野区 with the local-only fields a window records.
fn move_in_with_household(record_id: &str, code: &str, head: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&move_in_nakano(record_id, code)).unwrap();
    v["household_head"] = head.into();
    v["relationship"] = "本人".into();
    v["resident_since"] = "2026-04-01".into();
    v.to_string()
}

fn profile_json(demo: &Demo, profile: &str, args: &[&str]) -> std::process::Output {
    let p = demo.profile(profile);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--profile", p.to_str().unwrap(), "--json"]);
    run(&all)
}

/// The URL of a profile's node.
fn url_of(demo: &Demo, profile: &str) -> String {
    juki_client::Profile::load(&demo.profile(profile))
        .unwrap()
        .url
}

fn record(demo: &Demo, profile: &str, code: &str) -> serde_json::Value {
    json(&profile_json(demo, profile, &["record", "get", code]))
}

/// A record as an upper tier can hold it: without local-only fields and this node's
/// sequences, and only the entries `lgc` recorded.
fn identity_view(r: &serde_json::Value, lgc: &str) -> serde_json::Value {
    let strip = |f: &serde_json::Value| {
        let mut f = f.clone();
        if let Some(o) = f.as_object_mut() {
            for k in [
                "household_head",
                "relationship",
                "resident_since",
                "address_since",
            ] {
                o.remove(k);
            }
        }
        f
    };
    let history: Vec<serde_json::Value> = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["recorded_by"] == lgc)
        .map(|h| {
            let mut h = h.clone();
            h.as_object_mut().unwrap().remove("sequence");
            h["fields"] = strip(&h["fields"]);
            h
        })
        .collect();
    serde_json::json!({
        "resident_code": r["resident_code"], "status": r["status"],
        "current": strip(&r["current"]), "history": history,
    })
}

/// The resident codes 中野区's store holds.
fn codes_in(store: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT resident_code FROM residents ORDER BY resident_code")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|c| {
            ResidentCode::from_u64(u64::try_from(c.unwrap()).unwrap())
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Waits until 中野区's parent has acknowledged every change it recorded.
fn forwarded(demo: &Demo) {
    wait_for("中野区's changes reach 東京都", 60, || {
        let s = json(&profile_json(demo, "131148-admin", &["status"]));
        s["lag_changes"] == 0
    });
}

struct Repo {
    _dir: tempfile::TempDir,
    path: PathBuf,
    password: PathBuf,
}

impl Repo {
    fn args<'a>(&'a self, more: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec![
            "--repo",
            p(&self.path),
            "--password-file",
            p(&self.password),
        ];
        v.extend(more);
        v
    }
}

/// `requester` asks at 東京都 for a rebuild of node `code`; returns the request's id.
fn request_rebuild(demo: &Demo, requester: &str, code: &str) -> String {
    let asked = json(&profile_json(
        demo,
        requester,
        &[
            "approve",
            "request-restore",
            code,
            "--operation",
            "rebuild",
            "--url",
            &url_of(demo, "130001-admin"),
            "--reason",
            "storage lost",
        ],
    ));
    assert_eq!(asked["state"], "pending", "{asked}");
    asked["approval"]["id"].as_str().unwrap().to_string()
}

/// A repository with its password file on another device (/dev/shm), initialised.
fn new_repo() -> Repo {
    let shm = tempfile::tempdir_in("/dev/shm").unwrap();
    let repo = Repo {
        path: shm.path().join("repo"),
        password: shm.path().join("password"),
        _dir: shm,
    };
    std::fs::write(&repo.password, "correct horse battery staple\n").unwrap();
    ok(&run(&[&["backup", "init"][..], &repo.args(&[])].concat()));
    repo
}

#[test]
fn a_lost_municipal_node_is_rebuilt_from_its_prefecture_and_backup_with_two_people() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let demo = Demo::start_with(&dir, free_base(), 40, "warn", &["--always-open"]);
    let nakano = dir.join("nodes/131148");
    let tokyo_url = url_of(&demo, "130001-admin");

    // Before the backup: a move-in with local-only fields, and a move-out kept in moves.db.
    let (a, b, c) = (
        code(9_000_000_001),
        code(9_000_000_002),
        code(9_000_000_003),
    );
    let clerk = demo.profile("131148-clerk");
    submit_ok(
        &clerk,
        &tmp.path().join("1.jsonl"),
        &[move_in_with_household("RB-1", &a, "佐々木陽菜")],
    );
    let leaving = &codes_in(&nakano.join("store.db"))[0].clone();
    let out = json(&profile_json(
        &demo,
        "131148-clerk",
        &[
            "move",
            "out",
            leaving,
            "--planned",
            &today(),
            "--to",
            "131202",
            "--to-address",
            "豊玉北六丁目12番1号",
        ],
    ));
    assert_eq!(out["state"], "notified", "{out}");
    forwarded(&demo);

    let repo = new_repo();
    ok(&run(&[
        &["backup", "run", "--data", p(&nakano)][..],
        &repo.args(&[]),
    ]
    .concat()));

    // After it: a move-in with local fields and a correction, both reaching 東京都.
    submit_ok(
        &clerk,
        &tmp.path().join("2.jsonl"),
        &[
            move_in_with_household("RB-2", &b, "鈴木一郎"),
            move_in_nakano("RB-3", &c),
        ],
    );
    forwarded(&demo);
    let before: Vec<String> = codes_in(&nakano.join("store.db"));
    assert!(before.contains(&a) && before.contains(&b) && before.contains(&c));

    // 中野区's node is stopped and its data directory lost.
    let before_loss = json(&profile_json(&demo, "131148-admin", &["status"]));
    assert_eq!(before_loss["epoch"], 1);
    stop_node(&demo, "131148-admin", "130001-admin", &nakano);
    std::fs::remove_dir_all(&nakano).unwrap();

    let rebuild = |more: &[&str]| {
        run(&[
            &["rebuild", "--from-parent", "--data", p(&nakano), "--json"][..],
            &repo.args(more),
        ]
        .concat())
    };
    // Without approval: refused, saying how to ask; nothing rebuilt.
    let refused = rebuild(&[]);
    assert_refused(&refused, 1, "JK-APPR-0111");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("request-restore 131148"));
    assert!(!nakano.join("store.db").exists());

    // A national operator asks at 東京都; the requester cannot approve; 東京都's admin does.
    let id = request_rebuild(&demo, "national-operator", "131148");
    assert_refused(
        &profile_json(
            &demo,
            "national-operator",
            &["approve", "approve", &id, "--url", &tokyo_url],
        ),
        1,
        "JK-POL-0106",
    );
    // Not yet approved: not usable.
    let admin = demo.profile("130001-admin");
    assert_refused(
        &rebuild(&["--approval", &id, "--profile", p(&admin)]),
        1,
        "JK-APPR-0112",
    );
    let approved = json(&profile_json(
        &demo,
        "130001-admin",
        &["approve", "approve", &id],
    ));
    assert_eq!(approved["state"], "executed", "{approved}");

    let out = rebuild(&["--approval", &id, "--profile", p(&admin)]);
    let report = json(&out);
    assert!(out.status.success(), "{report}");
    assert_eq!(report["epoch"], 2, "{report}");
    assert_eq!(report["node"], "131148");
    // RB-2 (and RB-3) came after the backup: their local fields are not recovered, RB-1's are.
    let missing = &report["local_fields_not_recovered"];
    let names: Vec<&str> = missing["record_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(missing["count"], 2, "{report}");
    assert!(
        names.contains(&"RB-2") && names.contains(&"RB-3"),
        "{report}"
    );
    assert_eq!(report["from_backup_only"]["count"], 0, "{report}");
    assert_eq!(
        report["from_parent"].as_u64().unwrap(),
        report["recorded"].as_u64().unwrap()
    );
    assert!(report["lost"]["after"]["seq"].as_u64().unwrap() > 0);
    assert!(report["lost"]["local_files_as_of"].is_string());
    let files = report["backup"]["local_files"].to_string();
    assert!(
        files.contains("moves.db") && files.contains("juki.toml"),
        "{files}"
    );

    // A directory that holds a store now is refused, before any approval is asked for.
    assert_refused(&rebuild(&[]), 1, "JK-BAK-0131");

    // The approval is spent: a second use (here by a restore) is refused, and what that
    // restore wrote is removed.
    let target = tmp.path().join("again");
    let again = run(&[
        &["backup", "restore", "--target", p(&target)][..],
        &repo.args(&["--approval", &id, "--profile", p(&admin)]),
    ]
    .concat());
    assert_refused(&again, 1, "JK-APPR-0112");
    assert!(!target.exists());
    // A restore for inspection needs none.
    ok(&run(&[
        &["backup", "restore", "--target", p(&target), "--scratch"][..],
        &repo.args(&[]),
    ]
    .concat()));

    // Restarted: every record equals 東京都's copy; the rebuilt node is in epoch 2; RB-1's
    // local fields came back from the backup, and so did the move-out.
    let after = codes_in(&nakano.join("store.db"));
    assert_eq!(after, before);
    let _cs = ServeProcess::start_configured(&nakano);
    // A running node is refused.
    assert_refused(&rebuild(&[]), 1, "JK-NODE-0111");
    for code in &after {
        let here = record(&demo, "131148-clerk", code);
        let there = record(&demo, "130001-admin", code);
        assert_eq!(
            identity_view(&here, "131148"),
            identity_view(&there, "131148"),
            "{code}"
        );
    }
    assert_eq!(
        record(&demo, "131148-clerk", &a)["current"]["household_head"],
        "佐々木陽菜"
    );
    assert_eq!(
        record(&demo, "131148-clerk", &b)["current"]["household_head"],
        serde_json::Value::Null
    );
    let moves = json(&profile_json(
        &demo,
        "131148-clerk",
        &["move", "status", leaving],
    ));
    assert_eq!(moves["outgoing"][0]["state"], "notified", "{moves}");
    let status = json(&profile_json(&demo, "131148-admin", &["status"]));
    assert_eq!(status["epoch"], 2, "{status}");

    // A new change flows up and reaches the national node exactly once; nothing recorded
    // before the loss is held twice there.
    let d = code(9_000_000_004);
    let answer = submit_ok(
        &clerk,
        &tmp.path().join("3.jsonl"),
        &[move_in_nakano("RB-4", &d)],
    );
    assert_eq!(answer["applied"], 1, "{answer}");
    wait_for("RB-4 reaches the national node", 60, || {
        record(&demo, "national-operator", &d)["current"]["local_government_code"] == "131148"
    });
    forwarded(&demo);
    for code in [&a, &b, &c, &d] {
        let national = record(&demo, "national-operator", code);
        let ours = record(&demo, "131148-clerk", code);
        assert_eq!(
            national["history"].as_array().unwrap().len(),
            ours["history"].as_array().unwrap().len(),
            "{code}: {national}"
        );
    }
}

/// Stops `profile`'s node (the windows are always open: `approver` approves) and waits until
/// its data directory is free.
fn stop_node(demo: &Demo, profile: &str, approver: &str, data: &Path) {
    let stop = json(&profile_json(demo, profile, &["node", "stop"]));
    let id = stop["approval"]["id"].as_str().unwrap().to_string();
    let url = url_of(demo, profile);
    ok(&profile_json(
        demo,
        approver,
        &["approve", "approve", &id, "--url", &url],
    ));
    wait_for("the node is gone", 60, || {
        std::fs::File::open(data.join("lock"))
            .unwrap()
            .try_lock()
            .is_ok()
    });
}

#[test]
fn without_a_backup_a_node_prepared_with_its_configuration_is_rebuilt_from_its_parent_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let demo = Demo::start_with(&dir, free_base(), 40, "warn", &["--always-open"]);
    let nerima = dir.join("nodes/131202");
    let codes = codes_in(&nerima.join("store.db"));
    assert!(!codes.is_empty());
    stop_node(&demo, "131202-admin", "130001-admin", &nerima);
    // Only the configuration and certificates are left (as `juki init` and the CA would give).
    for e in std::fs::read_dir(&nerima).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !(name == "juki.toml" || name == "tls") {
            match path.is_dir() {
                true => std::fs::remove_dir_all(&path).unwrap(),
                false => std::fs::remove_file(&path).unwrap(),
            }
        }
    }
    let id = request_rebuild(&demo, "130001-admin", "131202");
    ok(&profile_json(
        &demo,
        "national-operator",
        &[
            "approve",
            "approve",
            &id,
            "--url",
            &url_of(&demo, "130001-admin"),
        ],
    ));
    let admin = demo.profile("130001-admin");
    let out = run(&[
        "rebuild",
        "--from-parent",
        "--data",
        p(&nerima),
        "--approval",
        &id,
        "--profile",
        p(&admin),
    ]);
    let text = ok(&out);
    assert!(text.contains("now in epoch 2"), "{text}");
    assert!(text.contains("backup              none"), "{text}");
    assert!(
        text.contains(&format!("local-only fields of {} entries", codes.len())),
        "{text}"
    );
    assert_eq!(codes_in(&nerima.join("store.db")), codes);
    let _node = ServeProcess::start_configured(&nerima);
    for code in &codes {
        assert_eq!(
            identity_view(&record(&demo, "131202-clerk", code), "131202"),
            identity_view(&record(&demo, "130001-admin", code), "131202"),
            "{code}"
        );
    }
}

#[test]
fn a_change_that_never_left_the_node_comes_back_from_the_backup_and_goes_up_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let demo = Demo::start_with(&dir, free_base(), 40, "warn", &["--always-open"]);
    let (nakano, tokyo) = (dir.join("nodes/131148"), dir.join("nodes/130001"));
    let repo = new_repo();

    // 東京都 is down: a move-in at 中野区 stays in its journal, and is backed up there.
    stop_node(&demo, "130001-admin", "national-operator", &tokyo);
    let e = code(9_000_000_005);
    submit_ok(
        &demo.profile("131148-clerk"),
        &tmp.path().join("1.jsonl"),
        &[move_in_with_household("RB-5", &e, "高橋湊")],
    );
    ok(&run(&[
        &["backup", "run", "--data", p(&nakano)][..],
        &repo.args(&[]),
    ]
    .concat()));
    stop_node(&demo, "131148-admin", "130001-admin", &nakano);
    std::fs::remove_dir_all(&nakano).unwrap();
    let _tokyo = ServeProcess::start_configured(&tokyo);

    let id = request_rebuild(&demo, "national-operator", "131148");
    ok(&profile_json(
        &demo,
        "130001-admin",
        &["approve", "approve", &id],
    ));
    let admin = demo.profile("130001-admin");
    let report = json(&run(&[
        &["rebuild", "--from-parent", "--data", p(&nakano), "--json"][..],
        &repo.args(&["--approval", &id, "--profile", p(&admin)]),
    ]
    .concat()));
    assert_eq!(
        report["from_backup_only"]["record_ids"],
        serde_json::json!(["RB-5"]),
        "{report}"
    );
    assert_eq!(report["local_fields_not_recovered"]["count"], 0, "{report}");
    assert_eq!(
        report["lost"]["after"], report["lost"]["backup_latest"],
        "{report}"
    );

    // Restarted, the node forwards it: the national node holds it once, local fields stay here.
    let _cs = ServeProcess::start_configured(&nakano);
    wait_for("RB-5 reaches the national node", 60, || {
        record(&demo, "national-operator", &e)["current"]["local_government_code"] == "131148"
    });
    forwarded(&demo);
    let national = record(&demo, "national-operator", &e);
    assert_eq!(
        national["history"].as_array().unwrap().len(),
        1,
        "{national}"
    );
    assert_eq!(
        national["current"]["household_head"],
        serde_json::Value::Null
    );
    assert_eq!(
        record(&demo, "131148-clerk", &e)["current"]["household_head"],
        "高橋湊"
    );
}

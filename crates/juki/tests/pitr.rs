//! Point-in-time restore of a municipal node in a demo nation of real processes, under a
//! stream of changes: 中野区 is backed up (a full snapshot, then its journal), goes on taking
//! changes, loses its storage, and is restored from the chain. It serves at once in a new
//! epoch, takes more changes, and the national node ends with every change that reached it
//! exactly once and every change made after the restore.

#![allow(clippy::unwrap_used)]

mod util;

use std::path::Path;
use std::time::Duration;
use util::backup::Repo;
use util::changes::{move_in_nakano, submit_ok};
use util::demo::{Demo, free_base};
use util::*;

/// The resident code of change number `i` of the stream.
fn code(i: u64) -> String {
    juki_domain::ResidentCode::from_body(1_234_500_000 + i).to_string()
}

/// Changes `from..to` of the stream at 中野区, as its clerk submits them.
fn submit_range(demo: &Demo, dir: &Path, from: u64, to: u64) {
    let lines: Vec<String> = (from..to)
        .map(|i| move_in_nakano(&format!("PITR-{i}"), &code(i)))
        .collect();
    let answer = submit_ok(
        &demo.profile("131148-clerk"),
        &dir.join(format!("changes-{from}.jsonl")),
        &lines,
    );
    assert_eq!(answer["applied"], to - from, "{answer}");
}

fn status(profile: &Path) -> Option<serde_json::Value> {
    let out = run(&["status", "--profile", p(profile), "--json"]);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

/// The national node's history of change `i`'s resident: how many times it holds the move-in.
fn move_ins_at_national(demo: &Demo, i: u64) -> usize {
    let out = run(&[
        "record",
        "get",
        &code(i),
        "--profile",
        p(&demo.profile("national-operator")),
        "--json",
    ]);
    if !out.status.success() {
        return 0;
    }
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    record["history"]
        .as_array()
        .map_or(0, |h| h.iter().filter(|e| e["kind"] == "転入").count())
}

/// The process id of `juki serve --data DIR` (the demo runs each node as its own process).
fn serving_pid(data: &Path) -> u32 {
    let want = ["serve", "--data", p(data)].map(String::from);
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let args: Vec<String> = cmd
                .split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            args.windows(3).any(|w| w == want)
        })
        .expect("the node's process")
}

#[test]
fn a_municipal_node_restored_to_its_latest_backup_resumes_in_a_new_epoch_and_nothing_is_lost_or_doubled()
 {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base();
    let demo = Demo::start_with(dir.path(), base, 30, "warn", &["--always-open"]);
    let nakano = dir.path().join("nodes/131148");
    let national = demo.profile("national-operator");
    let residents_at_national = || status(&national).and_then(|s| s["residents"].as_u64());
    let start = residents_at_national().unwrap();

    // A repository on another device.
    let repo = Repo::new();
    let backup = |cmd: &str, more: &[&str]| repo.run(cmd, more);
    ok(&backup("init", &["--data", p(&nakano)]));

    // Changes, a full backup, more changes and journal backups, while the node serves.
    submit_range(&demo, dir.path(), 0, 6);
    let full = json(&backup("run", &["--data", p(&nakano), "--json"]));
    assert_eq!(
        (&full["kind"], &full["epoch"]),
        (&"full".into(), &1.into()),
        "{full}"
    );
    submit_range(&demo, dir.path(), 6, 10);
    let j1 = json(&backup("run", &["--data", p(&nakano), "--json"]));
    assert_eq!(j1["kind"], "journal", "{j1}");
    assert_eq!(j1["after"], full["journal_head_seq"], "{j1}");
    submit_range(&demo, dir.path(), 10, 15);
    let j2 = json(&backup("run", &["--data", p(&nakano), "--json"]));
    assert_eq!(j2["after"], j1["journal_head_seq"], "{j2}");
    let nothing = json(&backup("run", &["--data", p(&nakano), "--json"]));
    assert_eq!(nothing["nothing_new"], true, "{nothing}");
    let backed_up = j2["journal_head_seq"].as_u64().unwrap();

    // Changes after the last backup reach the national node, then 中野区 loses its storage.
    submit_range(&demo, dir.path(), 15, 18);
    wait_for("the national node holds changes 0..18", 120, || {
        residents_at_national() == Some(start + 18)
    });
    let pid = serving_pid(&nakano);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // Stopped once its data directory's lock is free (the demo reaps the process later).
    wait_for("中野区's node stopped", 60, || {
        std::fs::File::open(nakano.join("lock"))
            .unwrap()
            .try_lock()
            .is_ok()
    });
    std::fs::remove_dir_all(&nakano).unwrap();

    // A restore of a node in service is approved at its parent by two people.
    let as_json = |profile: &str, args: &[&str]| {
        let pf = demo.profile(profile);
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--profile", p(&pf), "--json"]);
        json(&run(&all))
    };
    let tokyo_url = juki_client::Profile::load(&demo.profile("130001-admin"))
        .unwrap()
        .url;
    let asked = as_json(
        "national-operator",
        &[
            "approve",
            "request-restore",
            "131148",
            "--operation",
            "restore",
            "--url",
            &tokyo_url,
            "--reason",
            "storage lost",
        ],
    );
    let id = asked["approval"]["id"].as_str().unwrap().to_string();
    as_json("130001-admin", &["approve", "approve", &id]);
    let admin = demo.profile("130001-admin");

    // Restored to the latest point the backups hold, in a new epoch.
    let restored = json(&backup(
        "restore",
        &[
            "--target",
            p(&nakano),
            "--json",
            "--approval",
            &id,
            "--profile",
            p(&admin),
        ],
    ));
    assert_eq!(restored["seq"], backed_up, "{restored}");
    assert_eq!(restored["snapshot"]["id"], full["id"], "{restored}");
    assert_eq!(
        restored["segments"].as_array().map(Vec::len),
        Some(2),
        "{restored}"
    );
    assert_eq!(restored["new_epoch"], 2, "{restored}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(nakano.join("operators.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "operator accounts stay private: {mode:o}");
    }
    let _node = ServeProcess::start_configured(&nakano);
    let clerk = demo.profile("131148-clerk");
    let at_nakano = status(&clerk).expect("中野区 serves at once");
    assert_eq!(at_nakano["epoch"], 2, "{at_nakano}");
    assert_eq!(at_nakano["journal_head"], backed_up, "{at_nakano}");

    // More changes after the restore; they reach the national node, and nothing twice.
    submit_range(&demo, dir.path(), 18, 22);
    wait_for("the national node holds changes 0..22", 120, || {
        residents_at_national() == Some(start + 22)
    });
    for i in 0..22 {
        assert_eq!(move_ins_at_national(&demo, i), 1, "change {i}");
    }
    // Settled: nothing arrives twice later either.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(residents_at_national(), Some(start + 22));

    // The restored node's next backup starts its epoch with a full snapshot.
    let next = json(&backup("run", &["--data", p(&nakano), "--json"]));
    assert_eq!(
        (&next["kind"], &next["epoch"]),
        (&"full".into(), &2.into()),
        "{next}"
    );
}

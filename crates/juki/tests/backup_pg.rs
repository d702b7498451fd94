//! A node whose store is on PostgreSQL (the shared server at 127.0.0.1:5432), backed up by
//! juki: a full backup is a `pg_dump` of its schema beside its data directory, a journal backup
//! the PostgreSQL store's segment; drilled in a scratch database, restored to a sequence into
//! another database where the node serves in a new epoch, and restored by hand with stock
//! `restic` and `psql` alone (docs/backup.md, "A node on PostgreSQL").

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;
use util::backup::{Repo, load_synthetic};
use util::pg::Database;
use util::{ServeProcess, assert_refused, init_municipal, json, ok, p, run};

const SCHEMA: &str = "node_131016";

/// A stopped municipal node (中野区) whose store is in the database `url`, with `n` synthetic
/// residents; returns its data directory.
fn node_on_postgres(dir: &Path, url: &str, n: u32) -> PathBuf {
    let data = dir.join("node");
    init_municipal(&data, "131016");
    // A top-level key, before juki.toml's tables.
    let config = data.join("juki.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("store = \"{url}\"\n{text}")).unwrap();
    load_synthetic(&data, dir, "131016", n, "1");
    data
}

/// The node's journal up to `seq` in the database `url`, one JSON text per entry.
fn journal(url: &str, seq: u64) -> Vec<String> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query(
        &format!(
            "SELECT row_to_json(j)::text FROM {SCHEMA}.journal j WHERE seq <= $1 ORDER BY seq"
        ),
        &[&i64::try_from(seq).unwrap()],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

fn seq_of(snap: &serde_json::Value) -> u64 {
    snap["journal_head_seq"].as_u64().unwrap()
}

#[test]
fn a_node_on_postgres_is_dumped_drilled_and_restored_into_another_database_where_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let live = Database::named("bakpg").created();
    let data = node_on_postgres(dir.path(), &live.url(), 300);
    let repo = Repo::new();
    ok(&repo.run("init", &[]));

    let first = json(&repo.run("run", &["--data", p(&data), "--json"]));
    assert_eq!(first["store"], "postgres", "{first}");
    assert_eq!(first["kind"], "full", "{first}");
    assert_eq!(seq_of(&first), 300, "{first}");
    assert!(!data.join(".backup-staging").exists());
    load_synthetic(&data, dir.path(), "131016", 100, "2");
    let second = json(&repo.run("run", &["--data", p(&data), "--json"]));
    assert_eq!(
        (&second["kind"], &second["store"], &second["after"]),
        (&"journal".into(), &"postgres".into(), &300.into()),
        "{second}"
    );
    assert_eq!(seq_of(&second), 400, "{second}");

    let drill = json(&repo.run("drill", &["--data", p(&data), "--json"]));
    assert_eq!(drill["ok"], true, "{drill}");
    assert_eq!(drill["seq"], 400, "{drill}");

    // The first backup, into another database: the live journal as it was then.
    let other = Database::named("bakpg_restored");
    let target = dir.path().join("restored");
    let first_id = first["id"].as_str().unwrap();
    let restored = json(&repo.run(
        "restore",
        &[
            first_id,
            "--target",
            p(&target),
            "--store",
            &other.url(),
            "--json",
        ],
    ));
    assert_eq!(restored["seq"], 300, "{restored}");
    assert_eq!(restored["new_epoch"], 2, "{restored}");
    assert!(restored["recorded_at"].is_string(), "{restored}");
    assert!(!target.join("store.postgres.sql").exists());
    assert!(
        std::fs::read_to_string(target.join("juki.toml"))
            .unwrap()
            .contains(&other.0)
    );
    assert_eq!(journal(&other.url(), 300), journal(&live.url(), 300));

    // The schema is there now: a second restore into it is refused, leaves it whole and
    // removes its own target.
    assert_refused(
        &repo.run(
            "restore",
            &[
                first_id,
                "--target",
                p(&dir.path().join("again")),
                "--store",
                &other.url(),
            ],
        ),
        1,
        "JK-BAK-0135",
    );
    assert!(
        !dir.path().join("again").exists(),
        "a restore whose load failed leaves no half-restored directory"
    );
    // The dump and the segment cut at 350: the live store as it was then.
    let cut = Database::named("bakpg_cut");
    let at_350 = json(&repo.run(
        "restore",
        &[
            "--to-seq",
            "350",
            "--target",
            p(&dir.path().join("cut")),
            "--store",
            &cut.url(),
            "--json",
        ],
    ));
    assert_eq!(at_350["seq"], 350, "{at_350}");
    assert_eq!(at_350["segments"].as_array().map(Vec::len), Some(1));
    assert_eq!(journal(&cut.url(), 400), journal(&live.url(), 350));

    // The restored node serves, and its first backup is of its new epoch.
    let mut node = ServeProcess::start(&target);
    let next = json(&repo.run("run", &["--data", p(&target), "--json"]));
    assert_eq!(next["epoch"], 2, "{next}");
    assert_eq!(seq_of(&next), 300, "{next}");
    assert!(node.terminate().success());
}

#[test]
fn stock_restic_and_psql_alone_restore_a_node_on_postgres_and_juki_starts_its_new_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let live = Database::named("bakpg_manual").created();
    let data = node_on_postgres(dir.path(), &live.url(), 200);
    let repo = Repo::new();
    ok(&repo.run("init", &[]));
    let full = json(&repo.run("run", &["--data", p(&data), "--json"]));
    assert_eq!(seq_of(&full), 200, "{full}");
    load_synthetic(&data, dir.path(), "131016", 50, "3");
    let segment = json(&repo.run("run", &["--data", p(&data), "--json"]));
    assert_eq!(segment["kind"], "journal", "{segment}");
    assert_eq!(seq_of(&segment), 250, "{segment}");

    // docs/backup.md, "A node on PostgreSQL", step by step.
    let restic = |args: &[&str]| {
        let out = Command::new("restic")
            .arg("-r")
            .arg(&repo.path)
            .arg("--password-file")
            .arg(&repo.password)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "restic {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let r = dir.path().join("r");
    restic(&["restore", full["id"].as_str().unwrap(), "--target", p(&r)]);
    let restored = r.join("juki-data");
    let dump = restored.join("store.postgres.sql");
    assert!(dump.is_file());

    let manual = Database::named("bakpg_psql").created();
    let psql = |file: &Path| {
        let out = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
            ])
            .arg(file)
            .arg(manual.url())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    psql(&dump);
    assert_eq!(journal(&manual.url(), 250), journal(&live.url(), 200));
    // The journal snapshot's segment, applied by psql as it stands.
    let j = dir.path().join("j");
    restic(&[
        "restore",
        segment["id"].as_str().unwrap(),
        "--target",
        p(&j),
    ]);
    psql(&j.join("juki-journal/201-250.sql"));
    assert_eq!(journal(&manual.url(), 250), journal(&live.url(), 250));

    // Point the restored node at its database, and give its store a new epoch.
    std::fs::remove_file(&dump).unwrap();
    let config = restored.join("juki.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace(&live.0, &manual.0)).unwrap();
    let epoch = json(&run(&[
        "backup",
        "new-epoch",
        "--data",
        p(&restored),
        "--json",
    ]));
    assert_eq!(epoch["new_epoch"], 2, "{epoch}");
}

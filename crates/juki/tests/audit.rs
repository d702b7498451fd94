//! `juki audit verify` and `juki audit show` as real processes, on the data directory of a
//! standalone node made by `juki init`, with a log written through the library and then
//! tampered with: exit statuses and the positions reported.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use juki_audit::{Action, AuditEntry, AuditLog, AuditOptions, Signer};
use std::path::Path;
use std::sync::Arc;
use util::*;

const NODE: &str = "urn:juki:municipal:131148:municipal";

/// `juki init` a standalone 中野区 node in `d`, and write 1,000 reads (sealed every 100) to
/// its audit log with its own key.
fn node_with_log(d: &Path) {
    init_municipal(d, "131148");
    let signer = Signer::from_files(&d.join("tls/node.key"), &d.join("tls/node.pem")).unwrap();
    let mut o = AuditOptions::new(NODE, Arc::new(|| 1_767_225_600_000));
    o.seal_every_entries = 100;
    let log = AuditLog::open(&d.join("audit"), signer, o).unwrap();
    for i in 0..1_000u64 {
        let e = AuditEntry::new(
            1_767_225_600_000 + i as i64 * 1_000,
            "urn:juki:clerk:131148:clerk",
            "clerk",
            NODE,
            Action::Read,
        )
        .targets(vec![format!("9{i:010}")])
        .purpose("窓口交付")
        .request_id(format!("r-{i}"));
        log.try_record(e).unwrap();
    }
    log.close().unwrap();
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn segment_lines(d: &Path) -> Vec<String> {
    std::fs::read_to_string(d.join("audit/segment-000001.log"))
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn verify_says_intact_then_names_every_damaged_position() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("nakano");
    node_with_log(&d);
    let data = d.to_str().unwrap();

    let out = run(&["audit", "verify", "--data", data]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("entries 1–1000"), "{text}");
    assert!(text.contains("10 seals, sealed through 1000"), "{text}");
    assert!(text.trim_end().ends_with("intact"), "{text}");

    let out = run(&["audit", "verify", "--data", data, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["entries"], 1_000);
    assert_eq!(r["damage_total"], 0);
    assert_eq!(r["keys"].as_array().unwrap().len(), 1);

    // Edit entry 250 (another resident), remove entry 700, cut the tail after entry 950.
    let mut l = segment_lines(&d);
    l[249] = l[249].replacen("90000000249", "90000000248", 1);
    l.remove(699);
    l.truncate(949);
    std::fs::write(d.join("audit/segment-000001.log"), l.concat()).unwrap();

    let out = run(&["audit", "verify", "--data", data]);
    let text = stdout(&out);
    println!("{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("damage found: 3"), "{text}");
    for want in [
        "JK-AUDIT-0101 edited at segment-000001.log line 250 (entry 250)",
        "JK-AUDIT-0102 removed at segment-000001.log line 700 (entry 700)",
        "JK-AUDIT-0105 truncated at segment-000001.log line 950 (entries 951–1000)",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }

    let out = run(&["audit", "verify", "--data", data, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<(String, u64, u64)> = r["damage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("edited".into(), 250, 250),
            ("removed".into(), 700, 700),
            ("truncated".into(), 950, 951),
        ]
    );
    assert_eq!(r["damage"][0]["code"], "JK-AUDIT-0101");
    assert_eq!(r["damage"][0]["file"], "segment-000001.log");
}

#[test]
fn show_prints_a_page_of_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("nakano");
    node_with_log(&d);
    let data = d.to_str().unwrap();

    let out = run(&[
        "audit", "show", "--data", data, "--from", "500", "--limit", "2", "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let e = &v["entries"];
    assert_eq!(e.as_array().unwrap().len(), 2);
    assert_eq!(e[0]["seq"], 500);
    assert_eq!(e[0]["action"], "read");
    assert_eq!(e[0]["actor"], "urn:juki:clerk:131148:clerk");
    assert_eq!(e[0]["targets"][0], "90000000499");
    assert_eq!(e[0]["purpose"], "窓口交付");
    assert_eq!(e[0]["request_id"], "r-499");
    assert_eq!(e[0]["time"], "2026-01-01T09:08:19.000+09:00");
    assert_eq!(e[1]["seq"], 501);
    assert_eq!(v["next_seq"], 502);

    let out = run(&["audit", "show", "--data", data, "--from", "999"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("read  urn:juki:clerk:131148:clerk (clerk)  ok"),
        "{text}"
    );
    assert!(text.contains("request r-999"), "{text}");
}

#[test]
fn a_node_without_an_audit_log_and_bad_usage_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("nakano");
    init_municipal(&d, "131148");
    let out = run(&["audit", "verify", "--data", d.to_str().unwrap()]);
    assert_refused(&out, 2, "JK-AUDIT-0205");
    let out = run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "audit",
        "show",
        "--data",
        d.to_str().unwrap(),
        "--limit",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_log_sealed_by_another_node_is_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("nakano"), tmp.path().join("nerima"));
    node_with_log(&a);
    init_municipal(&b, "131202");
    // Node b's audit log replaced by node a's: b's certificate did not seal it (and a's is
    // from another CA), so every seal is refused.
    std::fs::rename(a.join("audit"), b.join("audit")).unwrap();
    let out = run(&["audit", "verify", "--data", b.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("damage found: 10"), "{text}");
    assert!(text.contains("JK-AUDIT-0106 bad-seal"), "{text}");
    assert!(text.contains("note: not trusted"), "{text}");
}

//! Two-person approval with real processes: `juki node stop` outside and within operating
//! hours, approvals refused to the requester and to roles the policy refuses, a rejection that
//! leaves the node running, and a certificate revoked through the national node once a second
//! operator approves — each act in the node's audit log.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use util::*;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "juki {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A network CA in `dir/ca`.
fn ca(dir: &Path) -> PathBuf {
    let ca = dir.join("ca");
    ok(&["ca", "init", "--dir", p(&ca)]);
    ca
}

/// `juki init` of a node with its certificate from `ca`, its `[hours]` replaced by `hours`.
fn init_node(dir: &Path, ca: &Path, role: &str, code: Option<&str>, hours: &str) -> PathBuf {
    let data = dir.join(code.unwrap_or("national"));
    let mut args = vec!["init", "--role", role, "--data", p(&data), "--ca", p(ca)];
    if let Some(c) = code {
        args.extend(["--code", c]);
    }
    ok(&args);
    let path = data.join("juki.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("[hours]").expect("juki init writes [hours]");
    let end = text[start + 1..]
        .find("\n[")
        .map_or(text.len(), |i| start + 2 + i);
    let text = format!("{}[hours]\n{hours}\n{}", &text[..start], &text[end..]);
    std::fs::write(&path, text).unwrap();
    data
}

/// Operating hours that hold now, whatever the day and time.
const ALWAYS: &str = "start = \"00:00\"\nend = \"24:00\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]";
/// Operating hours that never hold.
const NEVER: &str = "days = []";

/// A person's certificate from `ca` and a profile for the node at `url`: `dir/STEM.toml`.
fn profile(
    dir: &Path,
    ca: &Path,
    role: &str,
    code: Option<&str>,
    name: &str,
    url: &str,
) -> PathBuf {
    let jurisdiction = code.unwrap_or("national");
    let stem = format!("{role}-{jurisdiction}-{name}");
    let (cert, key) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    let identity =
        juki_pki::Identity::new(role.parse().unwrap(), jurisdiction.parse().unwrap(), name)
            .unwrap();
    juki_pki::Ca::open(ca)
        .unwrap()
        .issue(&identity, &[], 30, &cert, &key)
        .unwrap();
    let path = dir.join(format!("{stem}.toml"));
    let ca = ca.join("ca.pem");
    let profile = juki_client::Profile {
        url: url.into(),
        role: role.into(),
        jurisdiction: jurisdiction.into(),
        ca,
        cert,
        key,
    };
    juki_client::write_profile(&path, &profile).unwrap();
    path
}

/// The stopped node's audit log: (action, actor, result, error, detail) of every entry.
fn audit(data: &Path) -> Vec<(String, String, String, String, String)> {
    let out = ok(&["audit", "show", "--data", p(data), "--json"]);
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    json(&out)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                s(&e["action"]),
                s(&e["actor"]),
                s(&e["result"]),
                s(&e["error"]),
                s(&e["detail"]),
            )
        })
        .collect()
}

/// Asserts that `log` holds an entry of `action` by `actor` with `result` (`ok`, or the error
/// code) whose detail contains `detail`.
fn logged(
    log: &[(String, String, String, String, String)],
    [action, actor, result, detail]: [&str; 4],
) {
    let found = log.iter().any(|(a, who, r, e, d)| {
        a == action && who == actor && (r == result || e == result) && d.contains(detail)
    });
    assert!(
        found,
        "no {action} by {actor} ({result}) with {detail:?} in {log:#?}"
    );
}

const NAKANO_ADMIN: &str = "urn:juki:admin:131148:admin";
const OPERATOR2: &str = "urn:juki:operator:national:operator2";

#[test]
fn outside_operating_hours_a_municipal_admin_stops_the_node_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = ca(tmp.path());
    let data = init_node(tmp.path(), &ca, "municipal", Some("131148"), NEVER);
    let mut node = ServeProcess::start(&data);
    let clerk = profile(tmp.path(), &ca, "clerk", Some("131148"), "clerk", &node.url);
    let admin = profile(tmp.path(), &ca, "admin", Some("131148"), "admin", &node.url);

    assert_refused(
        &run(&["node", "stop", "--profile", p(&clerk)]),
        1,
        "JK-POL-0101",
    );
    let out = ok(&[
        "node",
        "stop",
        "--profile",
        p(&admin),
        "--reason",
        "disk swap",
        "--json",
    ]);
    assert_eq!(json(&out), serde_json::json!({"state": "stopping"}));
    assert!(
        exit_status(&mut node.child).success(),
        "a requested stop is a normal end"
    );

    let log = audit(&data);
    logged(
        &log,
        [
            "admin:node-stop",
            NAKANO_ADMIN,
            "ok",
            "outside operating hours",
        ],
    );
    logged(
        &log,
        [
            "admin:node-stop",
            "urn:juki:clerk:131148:clerk",
            "JK-POL-0101",
            "",
        ],
    );
    assert!(
        !std::fs::read_to_string(data.join("audit/segment-000001.log"))
            .unwrap()
            .contains("disk swap")
    );
}

#[test]
fn within_operating_hours_a_stop_waits_for_a_second_person() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = ca(tmp.path());
    let data = init_node(tmp.path(), &ca, "municipal", Some("131148"), ALWAYS);
    let mut node = ServeProcess::start(&data);
    let url = node.url.clone();
    let admin = profile(tmp.path(), &ca, "admin", Some("131148"), "admin", &url);
    let clerk = profile(tmp.path(), &ca, "clerk", Some("131148"), "clerk", &url);
    // National operators' profiles name the national node; --url sends them here.
    let elsewhere = "https://127.0.0.1:9";
    let operator2 = profile(tmp.path(), &ca, "operator", None, "operator2", elsewhere);

    // The request waits: exit 1, with the id and what it would affect.
    let out = run(&[
        "node",
        "stop",
        "--profile",
        p(&admin),
        "--reason",
        "maintenance",
    ]);
    assert_refused(&out, 1, "JK-APPR-0107");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("approval needed: A-000001"), "{text}");
    assert!(
        text.contains(
            "stops CS 中野区 (131148): window services of 1 municipality unavailable until restart"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("juki approve approve A-000001 --url {url}")),
        "{text}"
    );

    // Not by the requester, not by a clerk; the node keeps running.
    assert_refused(
        &run(&["approve", "approve", "A-000001", "--profile", p(&admin)]),
        1,
        "JK-POL-0106",
    );
    assert_refused(
        &run(&["approve", "approve", "A-000001", "--profile", p(&clerk)]),
        1,
        "JK-POL-0101",
    );
    assert!(node.child.try_wait().unwrap().is_none());

    // The requester waits this time; a second operator approves it at this node.
    let waiting = juki()
        .args([
            "node",
            "stop",
            "--profile",
            p(&admin),
            "--wait",
            "--timeout",
            "60",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = json(&ok(&[
            "approve",
            "list",
            "--profile",
            p(&operator2),
            "--url",
            &url,
            "--json",
        ]));
        let ids: Vec<&str> = list["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        if ids.contains(&"A-000002") {
            assert_eq!(list["approvals"][0]["state"], "pending");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the waiting request never appeared: {list}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = ok(&[
        "approve",
        "approve",
        "A-000002",
        "--profile",
        p(&operator2),
        "--url",
        &url,
        "--reason",
        "agreed",
        "--json",
    ]);
    let done = json(&out);
    assert_eq!(done["state"], "executed", "{done}");
    assert_eq!(done["decided_by"], OPERATOR2);
    assert!(
        exit_status(&mut node.child).success(),
        "the node stopped on approval"
    );
    let waited = waiting.wait_with_output().unwrap();
    assert!(
        waited.status.success(),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );
    let answer = json(&waited);
    assert_eq!(answer["state"], "stopped", "{answer}");
    assert_eq!(answer["approval"]["id"], "A-000002");

    let log = audit(&data);
    for (action, actor, result, detail) in [
        (
            "approval",
            NAKANO_ADMIN,
            "ok",
            "requested A-000001: stop-node on 131148",
        ),
        ("approval", NAKANO_ADMIN, "JK-POL-0106", "A-000001"),
        ("approval", "urn:juki:clerk:131148:clerk", "JK-POL-0101", ""),
        ("approval", NAKANO_ADMIN, "ok", "requested A-000002"),
        ("approval", OPERATOR2, "ok", "approved A-000002"),
        ("admin:node-stop", OPERATOR2, "ok", "A-000002"),
    ] {
        logged(&log, [action, actor, result, detail]);
    }
}

#[test]
fn a_rejected_stop_leaves_the_node_running() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = ca(tmp.path());
    let data = init_node(tmp.path(), &ca, "municipal", Some("131148"), ALWAYS);
    let mut node = ServeProcess::start(&data);
    let admin = profile(tmp.path(), &ca, "admin", Some("131148"), "admin", &node.url);
    let operator = profile(tmp.path(), &ca, "operator", None, "operator", &node.url);

    let out = run(&["node", "stop", "--profile", p(&admin), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let id = json(&out)["approval"]["id"].as_str().unwrap().to_string();
    let out = ok(&[
        "approve",
        "reject",
        &id,
        "--profile",
        p(&operator),
        "--reason",
        "not during the move season",
        "--json",
    ]);
    let rejected = json(&out);
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["decision_reason"], "not during the move season");
    // Decided once: neither approved nor rejected again.
    assert_refused(
        &run(&["approve", "approve", &id, "--profile", p(&operator)]),
        1,
        "JK-APPR-0102",
    );
    let shown = json(&ok(&[
        "approve",
        "show",
        &id,
        "--profile",
        p(&admin),
        "--json",
    ]));
    assert_eq!(shown["state"], "rejected");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        node.child.try_wait().unwrap().is_none(),
        "a rejected stop stops nothing"
    );
    ok(&["status", "--profile", p(&admin)]);

    assert!(node.terminate().success());
    let log = audit(&data);
    let operator = "urn:juki:operator:national:operator";
    logged(
        &log,
        ["approval", operator, "ok", &format!("rejected {id}")],
    );
    assert!(!log.iter().any(|e| e.0 == "admin:node-stop"), "{log:#?}");
}

#[test]
fn a_certificate_is_revoked_once_a_second_operator_approves() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = ca(tmp.path());
    let data = init_node(tmp.path(), &ca, "national", None, NEVER);
    let config = std::fs::read_to_string(data.join("juki.toml")).unwrap();
    assert!(
        config.contains("[ca]"),
        "juki init --ca at the national node names the CA: {config}"
    );
    let mut node = ServeProcess::start(&data);
    let url = node.url.clone();
    let operator = profile(tmp.path(), &ca, "operator", None, "operator", &url);
    let operator2 = profile(tmp.path(), &ca, "operator", None, "operator2", &url);
    let suzuki = profile(tmp.path(), &ca, "clerk", Some("131148"), "suzuki", &url);
    ok(&["status", "--profile", p(&suzuki)]);
    let list = json(&ok(&["ca", "list", "--dir", p(&ca), "--json"]));
    let serial = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["identity"] == "urn:juki:clerk:131148:suzuki")
        .unwrap()["serial"]
        .as_str()
        .unwrap()
        .to_string();

    // Always a request, even outside operating hours.
    let out = run(&[
        "cert",
        "revoke",
        &serial,
        "--profile",
        p(&operator),
        "--reason",
        "laptop lost",
        "--json",
    ]);
    assert_refused(&out, 1, "JK-APPR-0107");
    let answer = json(&out);
    assert_eq!(answer["state"], "pending");
    let a = &answer["approval"];
    assert_eq!(a["action"], "revoke-certificate");
    assert_eq!(a["target"]["object"], serial.as_str());
    assert!(
        a["effect"]
            .as_str()
            .unwrap()
            .contains("urn:juki:clerk:131148:suzuki"),
        "{a}"
    );
    let id = a["id"].as_str().unwrap().to_string();
    assert_refused(
        &run(&["cert", "revoke", "40ab", "--profile", p(&operator)]),
        1,
        "JK-TLS-0206",
    );
    assert_refused(
        &run(&["cert", "revoke", &serial, "--profile", p(&suzuki)]),
        1,
        "JK-POL-0101",
    );
    assert_refused(
        &run(&["approve", "approve", &id, "--profile", p(&operator)]),
        1,
        "JK-POL-0106",
    );
    ok(&["status", "--profile", p(&suzuki)]);

    let done = json(&ok(&[
        "approve",
        "approve",
        &id,
        "--profile",
        p(&operator2),
        "--json",
    ]));
    assert_eq!(done["state"], "executed", "{done}");
    // Refused from its next connection, by every node reading the CA's list.
    assert_refused(&run(&["status", "--profile", p(&suzuki)]), 1, "JK-TLS-0103");
    let list = json(&ok(&["ca", "list", "--dir", p(&ca), "--json"]));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|c| c["serial"] == serial.as_str() && c["status"] == "revoked")
    );
    // The operators still connect, and the node is still running.
    ok(&["approve", "show", &id, "--profile", p(&operator)]);

    assert!(node.terminate().success());
    let log = audit(&data);
    let requested = format!("requested {id}: revoke-certificate");
    logged(
        &log,
        [
            "approval",
            "urn:juki:operator:national:operator",
            "ok",
            &requested,
        ],
    );
    logged(
        &log,
        ["approval", OPERATOR2, "ok", &format!("approved {id}")],
    );
    logged(&log, ["certificate-revoked", OPERATOR2, "ok", &serial]);
}

/// A port free now on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn in_a_process_of_several_nodes_only_the_stopped_one_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = ca(tmp.path());
    let mut urls = Vec::new();
    let mut datas = Vec::new();
    for code in ["131148", "131105"] {
        let data = init_node(tmp.path(), &ca, "municipal", Some(code), NEVER);
        let port = free_port();
        let path = data.join("juki.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace("127.0.0.1:7443", &format!("127.0.0.1:{port}")),
        )
        .unwrap();
        urls.push(format!("https://127.0.0.1:{port}"));
        datas.push(data);
    }
    let mut child = juki()
        .args(["serve", "--data", p(&datas[0]), "--data", p(&datas[1])])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .take(2)
        .map(|l| l.unwrap())
        .collect();
    assert_eq!(ready.len(), 2, "one ready line per node");
    let nakano = profile(tmp.path(), &ca, "admin", Some("131148"), "admin", &urls[0]);
    let meguro = profile(tmp.path(), &ca, "admin", Some("131105"), "admin", &urls[1]);

    ok(&[
        "node",
        "stop",
        "--profile",
        p(&nakano),
        "--wait",
        "--timeout",
        "30",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the other node goes on"
    );
    ok(&["status", "--profile", p(&meguro)]);
    assert_refused(&run(&["status", "--profile", p(&nakano)]), 3, "unreachable");
    // Its audit log was closed cleanly, and its data directory is free again: a load is
    // refused for want of a file, not because the node runs (JK-NODE-0111).
    ok(&["audit", "verify", "--data", p(&datas[0])]);
    let missing = tmp.path().join("missing.csv");
    let out = run(&["load", "--data", p(&datas[0]), p(&missing)]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("JK-NODE-0111"),
        "the lock was kept"
    );
    assert!(!out.status.success());
    assert_refused(
        &run(&["load", "--data", p(&datas[1]), p(&missing)]),
        1,
        "JK-NODE-0111",
    );

    ok(&["node", "stop", "--profile", p(&meguro)]);
    // The process ends when its last node has stopped.
    let status = exit_status(&mut child);

    assert!(
        status.success(),
        "every node stopped on request: a normal end"
    );
}

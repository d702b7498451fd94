//! The network as real processes: the demo nation, propagation through the tiers, moves
//! between prefectures, and certificates that do not fit refused with clear errors.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use juki_api::{ForwardRequest, PROTOCOL_VERSION};
use juki_client::{Client, ClientError, Profile};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use util::demo::{Demo, free_base};
use util::*;

fn juki_ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "juki {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Polls `record get` until `done` holds for its JSON (or 30 s pass).
fn record_until(
    profile: &Path,
    code: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = run(&["record", "get", code, "--profile", p(profile), "--json"]);
        if out.status.success() {
            let v = json(&out);
            if done(&v) {
                return v;
            }
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

fn change_line(kind: &str, id: &str, code: &str, lgc: &str, address: &str, date: &str) -> String {
    let mut v = serde_json::json!({
        "record_id": id, "change_kind": kind, "effective_date": date, "resident_code": code,
        "family_name": "佐々木", "given_name": "陽菜", "family_name_kana": "ササキ",
        "given_name_kana": "ヒナ", "birth_date": "1998-07-14", "sex": "女",
        "local_government_code": lgc, "address": address,
    });
    if kind == "転出" {
        v["planned_date"] = date.into();
        v["destination_code"] = "272191".into();
        v["destination_address"] = "府中町一丁目1番1号".into();
    }
    v.to_string()
}

fn submit(demo: &Demo, who: &str, lines: &[String]) -> Output {
    let file = demo.dir.join(format!("{who}-{}.jsonl", lines.len()));
    std::fs::write(&file, lines.join("\n")).unwrap();
    run(&[
        "change",
        "submit",
        p(&file),
        "--profile",
        p(&demo.profile(who)),
        "--json",
    ])
}

#[test]
fn the_demo_nation_propagates_and_converges() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let base = free_base();
    let mut demo = Demo::start(&dir, base, 600);

    // The directory of FORMATS §3.
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo.json")).unwrap()).unwrap();
    assert_eq!(d["residents"], 600);
    assert_eq!(d["nodes"].as_array().unwrap().len(), 10);
    assert_eq!(d["nodes"][0]["url"], format!("https://127.0.0.1:{base}"));
    assert_eq!(d["nodes"][4]["code"], "131148");
    assert_eq!(d["nodes"][4]["parent"], "130001");
    for name in [
        "131148-clerk",
        "131148-admin",
        "272108-clerk",
        "130001-admin",
        "270008-admin",
        "national-operator",
        "national-operator2",
        "national-agency",
        "national-auditor",
        "national-helpdesk",
    ] {
        assert!(demo.profile(name).exists(), "{name}");
        assert_eq!(d["profiles"][name], format!("profiles/{name}.toml"));
    }
    assert!(dir.join("population.csv").exists());
    let national = json(&juki_ok(&[
        "status",
        "--json",
        "--profile",
        p(&demo.profile("national-operator")),
    ]));
    assert_eq!(national["residents"], 600);
    assert_eq!(national["code"], serde_json::Value::Null);
    let nakano = json(&juki_ok(&[
        "status",
        "--json",
        "--profile",
        p(&demo.profile("131148-clerk")),
    ]));
    for key in [
        "role",
        "code",
        "name",
        "parent",
        "residents",
        "lag_changes",
        "lag_ms",
        "queue_depth",
        "warnings",
    ] {
        assert!(nakano.get(key).is_some(), "status lacks {key}");
    }
    assert_eq!(nakano["parent"], format!("https://127.0.0.1:{}", base + 1));

    // A change at 中野区 is readable at 東京都 and at the national node.
    let code = "12345678903";
    let out = submit(
        &demo,
        "131148-clerk",
        &[change_line(
            "転入",
            "NET-1",
            code,
            "131148",
            "中野二丁目3番4号",
            "2026-04-01",
        )],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["applied"], 1);
    let current_at =
        |v: &serde_json::Value, lgc: &str| v["current"]["local_government_code"] == lgc;
    record_until(&demo.profile("130001-admin"), code, |v| {
        current_at(v, "131148")
    });
    record_until(&demo.profile("national-operator"), code, |v| {
        current_at(v, "131148")
    });

    // Moved to 和泉市 (大阪府): the same current record at 大阪府 and national, the whole
    // history at national, the part recorded under it at 東京都. The move-in is recorded first.
    let out = submit(
        &demo,
        "272191-clerk",
        &[change_line(
            "転入",
            "NET-2",
            code,
            "272191",
            "府中町一丁目1番1号",
            "2026-05-02",
        )],
    );
    assert_eq!(json(&out)["applied"], 1);
    let out = submit(
        &demo,
        "131148-clerk",
        &[change_line(
            "転出",
            "NET-3",
            code,
            "131148",
            "中野二丁目3番4号",
            "2026-05-01",
        )],
    );
    assert_eq!(json(&out)["applied"], 1);
    let at_national = record_until(&demo.profile("national-operator"), code, |v| {
        v["history"].as_array().is_some_and(|h| h.len() == 3)
    });
    let at_osaka = record_until(&demo.profile("270008-admin"), code, |v| {
        current_at(v, "272191")
    });
    assert_eq!(at_national["current"], at_osaka["current"]);
    assert_eq!(at_national["current"]["address"], "府中町一丁目1番1号");
    let at_tokyo = record_until(&demo.profile("130001-admin"), code, |v| {
        v["status"] == "closed"
    });
    assert_eq!(at_tokyo["history"].as_array().unwrap().len(), 2);
    let kinds: Vec<_> = at_national["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "転入").count(),
        2,
        "{kinds:?}"
    );
    // Local-only fields never leave the municipality.
    assert!(at_national["current"].get("household_head").is_none());

    // A code the node does not hold: exit 1 with a JK- error.
    let out = run(&[
        "record",
        "get",
        "99999999990",
        "--profile",
        p(&demo.profile("national-operator")),
    ]);
    assert_refused(&out, 1, "JK-");

    // A clerk of another municipality may not record here.
    let out = submit(&demo, "272191-clerk", &[]);
    assert!(out.status.success(), "an empty file submits nothing");
    let mut osaka_at_nakano = Profile::load(&demo.profile("272191-clerk")).unwrap();
    osaka_at_nakano.url = format!("https://127.0.0.1:{}", base + 4);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = osaka_at_nakano.client(Duration::from_secs(10)).unwrap();
    let err = rt
        .block_on(c.submit(&juki_api::SubmitRequest { changes: vec![] }))
        .unwrap_err();
    assert_eq!(refusal(&err), "JK-POL-0102");

    certificates_that_do_not_fit_are_refused(&demo, base, &rt);
    // Open connections would hold each node's graceful shutdown for its grace period.
    drop(c);
    drop(rt);

    assert!(demo.stop().success());
    // Run again: the same nation resumes.
    let out = juki_ok(&[
        "demo",
        "--dir",
        p(&dir),
        "--port",
        &base.to_string(),
        "--no-wait",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("中野区"));
}

fn refusal(e: &ClientError) -> String {
    match e {
        ClientError::Refused { body, .. } => body.code.clone(),
        ClientError::Tls { def, .. } => def.code.to_string(),
        other => panic!("expected a refusal, got {other}"),
    }
}

/// Issues a certificate from the demo's CA with `juki ca issue`; returns (cert, key, serial).
fn issue(demo: &Demo, role: &str, code: Option<&str>, name: &str) -> (PathBuf, PathBuf, String) {
    let prefix = demo.dir.join(format!("extra-{name}"));
    let ca = demo.dir.join("ca");
    let mut args = vec![
        "ca",
        "issue",
        "--dir",
        p(&ca),
        "--role",
        role,
        "--out",
        p(&prefix),
        "--json",
    ];
    if let Some(c) = code {
        args.extend(["--code", c]);
    }
    if matches!(role, "municipal" | "prefecture" | "national") {
        args.extend(["--host", "127.0.0.1"]);
    } else {
        args.extend(["--name", name]);
    }
    let v = json(&juki_ok(&args));
    let serial = v["serial"].as_str().unwrap().to_string();
    (
        prefix.with_extension("crt"),
        prefix.with_extension("key"),
        serial,
    )
}

fn client_as(demo: &Demo, url: String, cert: &Path, key: &Path) -> Client {
    let tls =
        juki_pki::client_config(&demo.dir.join("ca/ca.pem"), Some((cert, key)), None).unwrap();
    Client::with_tls(&url, tls, Duration::from_secs(10)).unwrap()
}

fn certificates_that_do_not_fit_are_refused(demo: &Demo, base: u16, rt: &tokio::runtime::Runtime) {
    let forward = |from: &str| ForwardRequest {
        protocol: PROTOCOL_VERSION,
        from: from.into(),
        epoch: 1,
        entries: vec![],
    };
    // A node of prefecture 27 cannot push into 東京都.
    let (cert, key, _) = issue(demo, "municipal", Some("272108"), "municipal");
    let c = client_as(demo, format!("https://127.0.0.1:{}", base + 1), &cert, &key);
    let err = rt.block_on(c.forward(&forward("272108"))).unwrap_err();
    assert_eq!(refusal(&err), "JK-NET-0106", "{err}"); // not a child of 東京都 by code
    let err = rt.block_on(c.forward(&forward("131202"))).unwrap_err();
    assert_eq!(refusal(&err), "JK-TLS-0106", "{err}"); // wrong prefecture, by certificate
    // A municipal certificate cannot push as a prefecture into the national node.
    let c = client_as(demo, format!("https://127.0.0.1:{base}"), &cert, &key);
    let err = rt.block_on(c.forward(&forward("270008"))).unwrap_err();
    assert_eq!(refusal(&err), "JK-TLS-0105", "{err}");
    // A person's certificate is never a link.
    let (cert, key, _) = issue(demo, "clerk", Some("131148"), "tanaka");
    let c = client_as(demo, format!("https://127.0.0.1:{}", base + 1), &cert, &key);
    let err = rt.block_on(c.forward(&forward("131148"))).unwrap_err();
    assert_eq!(refusal(&err), "JK-TLS-0107", "{err}");
    // Without a client certificate: only /healthz and /metrics answer.
    let anonymous = Client::new(
        &format!("https://127.0.0.1:{}", base + 4),
        &std::fs::read(demo.dir.join("ca/ca.pem")).unwrap(),
        Duration::from_secs(10),
    )
    .unwrap();
    rt.block_on(anonymous.health()).unwrap();
    rt.block_on(anonymous.metrics()).unwrap();
    let err = rt.block_on(anonymous.status()).unwrap_err();
    assert_eq!(refusal(&err), "JK-TLS-0101", "{err}");
    // A revoked certificate is refused at its next connection.
    let (cert, key, serial) = issue(demo, "clerk", Some("131148"), "suzuki");
    let c = client_as(demo, format!("https://127.0.0.1:{}", base + 4), &cert, &key);
    rt.block_on(c.status()).unwrap();
    juki_ok(&[
        "ca",
        "revoke",
        "--dir",
        p(&demo.dir.join("ca")),
        "--serial",
        &serial,
    ]);
    let c = client_as(demo, format!("https://127.0.0.1:{}", base + 4), &cert, &key);
    let err = rt.block_on(c.status()).unwrap_err();
    assert_eq!(refusal(&err), "JK-TLS-0103", "{err}");
}

/// `juki init` of one node of a small chain, its certificate from the CA in `ca`.
fn init_node(
    dir: &Path,
    ca: &Path,
    role: &str,
    code: Option<&str>,
    port: u16,
    parent: Option<u16>,
) -> PathBuf {
    let data = dir.join(code.unwrap_or("national"));
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec![
        "init",
        "--role",
        role,
        "--data",
        p(&data),
        "--listen",
        &listen,
        "--ca",
        p(ca),
    ];
    if let Some(c) = code {
        args.extend(["--code", c]);
    }
    let parent_url = parent.map(|p| format!("https://127.0.0.1:{p}"));
    if let Some(u) = &parent_url {
        args.extend(["--parent", u]);
    }
    juki_ok(&args);
    data
}

/// A client of the node at `url` as a person of `role` whose certificate `juki ca issue`
/// makes from the CA in `ca`.
fn person(ca: &Path, role: &str, code: Option<&str>, url: &str) -> Client {
    let prefix = ca.with_file_name(format!("person-{role}"));
    let mut args = vec![
        "ca",
        "issue",
        "--dir",
        p(ca),
        "--role",
        role,
        "--out",
        p(&prefix),
    ];
    if let Some(c) = code {
        args.extend(["--code", c]);
    }
    juki_ok(&args);
    let (cert, key) = (prefix.with_extension("crt"), prefix.with_extension("key"));
    let tls = juki_pki::client_config(&ca.join("ca.pem"), Some((&cert, &key)), None).unwrap();
    Client::with_tls(url, tls, Duration::from_secs(30)).unwrap()
}

/// Journal entries of a stopped node's store: (count, distinct origins, gapless).
fn journal_facts(data: &Path) -> (usize, usize, bool) {
    use juki_store::Store;
    let store = juki_store::SqliteStore::open(&data.join("store.db"), Default::default()).unwrap();
    let mut all = Vec::new();
    loop {
        let page = store.journal_after(all.len() as u64, 10_000).unwrap();
        if page.is_empty() {
            break;
        }
        all.extend(page);
    }
    let origins: std::collections::HashSet<_> =
        all.iter().map(|e| (e.recorded_by, e.origin)).collect();
    let gapless = all.iter().enumerate().all(|(i, e)| e.seq == i as u64 + 1);
    (all.len(), origins.len(), gapless)
}

#[test]
fn a_prefecture_killed_mid_stream_loses_nothing_and_applies_nothing_twice() {
    const CHANGES: u64 = 10_000;
    const BATCH: u64 = 100;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = dir.join("ca");
    juki_ok(&["ca", "init", "--dir", p(&ca)]);
    let base = free_base();
    let national = init_node(dir, &ca, "national", None, base, None);
    let tokyo = init_node(dir, &ca, "prefecture", Some("130001"), base + 1, Some(base));
    let nakano = init_node(
        dir,
        &ca,
        "municipal",
        Some("131148"),
        base + 2,
        Some(base + 1),
    );
    let mut n = ServeProcess::start_configured(&national);
    let mut t = ServeProcess::start_configured(&tokyo);
    let mut m = ServeProcess::start_configured(&nakano);
    let clerk = person(&ca, "clerk", Some("131148"), &m.url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for b in 0..CHANGES / BATCH {
        if b == 30 {
            t.kill9(); // in the middle of the stream, while it forwards
        }
        if b == 60 {
            t = ServeProcess::start_configured(&tokyo);
        }
        let changes = (b * BATCH..(b + 1) * BATCH)
            .map(|i| {
                let code = juki_domain::ResidentCode::from_body(1_800_000_000 + i).to_string();
                let line = change_line(
                    "転入",
                    &format!("K-{i}"),
                    &code,
                    "131148",
                    "中野二丁目3番4号",
                    "2026-04-01",
                );
                serde_json::from_str(&line).unwrap()
            })
            .collect();
        let r = rt
            .block_on(clerk.submit(&juki_api::SubmitRequest { changes }))
            .unwrap();
        assert_eq!(r.applied, BATCH, "batch {b}");
    }
    drop(clerk);
    // The national node ends with all of them.
    let operator = person(&ca, "operator", None, &n.url);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let s = rt.block_on(operator.status()).unwrap();
        if s.journal_head >= CHANGES {
            assert_eq!(s.residents, CHANGES);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "national holds {} of {CHANGES}",
            s.journal_head
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(operator);
    drop(rt);
    m.terminate();
    t.terminate();
    n.terminate();
    for data in [&national, &tokyo, &nakano] {
        let (count, origins, gapless) = journal_facts(data);
        assert_eq!(
            (count, origins, gapless),
            (CHANGES as usize, CHANGES as usize, true),
            "{}",
            data.display()
        );
    }
}

#[test]
fn one_process_hosts_several_nodes_and_codes_flow_down_in_pools() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = dir.join("ca");
    juki_ok(&["ca", "init", "--dir", p(&ca)]);
    let base = free_base();
    let national = init_node(dir, &ca, "national", None, base, None);
    let osaka = init_node(dir, &ca, "prefecture", Some("270008"), base + 1, Some(base));
    let izumi = init_node(
        dir,
        &ca,
        "municipal",
        Some("272191"),
        base + 2,
        Some(base + 1),
    );
    let mut child = juki()
        .args([
            "serve",
            "--data",
            p(&national),
            "--data",
            p(&osaka),
            "--data",
            p(&izumi),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .take(3)
        .map(|l| l.unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "one ready line per node");
    let clerk = person(
        &ca,
        "clerk",
        Some("272191"),
        &format!("https://127.0.0.1:{}", base + 2),
    );
    let operator = person(&ca, "operator", None, &format!("https://127.0.0.1:{base}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A birth needs a code from the municipality's pool, which comes from 大阪府's, which
    // comes from the national node's: wait for it to arrive.
    let birth: juki_api::ChangeInput = serde_json::from_value(serde_json::json!({
        "record_id": "B-1", "change_kind": "出生", "effective_date": "2026-04-02",
        "family_name": "髙橋", "given_name": "湊", "family_name_kana": "タカハシ",
        "given_name_kana": "ミナト", "birth_date": "2026-04-02", "sex": "男",
        "local_government_code": "272191", "address": "府中町一丁目1番1号",
    }))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let code = loop {
        let r = rt
            .block_on(clerk.submit(&juki_api::SubmitRequest {
                changes: vec![birth.clone()],
            }))
            .unwrap();
        if let Some(code) = r.results[0].resident_code.clone() {
            break code;
        }
        assert_eq!(r.results[0].errors[0].code, "JK-CODE-0204", "{r:?}");
        assert!(
            Instant::now() < deadline,
            "no code pool reached the municipality"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let body: u64 = code.parse::<u64>().unwrap() / 10;
    assert!(
        (500_000_000..1_000_000_000).contains(&body),
        "{code} is from the network's pools"
    );
    // It reaches the national node.
    let deadline = Instant::now() + Duration::from_secs(30);
    while rt.block_on(operator.record(&code)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the birth never reached the national node"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = rt.block_on(operator.status()).unwrap();
    assert_eq!(status.codes_available, 500_000_000 - 1_000_000);
    drop((clerk, operator, rt));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}

/// The `juki serve` processes whose data directory lies under `dir`.
fn nodes_serving_under(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(" serve ") && c.contains(&needle))
        .collect()
}

/// SIGTERM (as Ctrl-C) while a resumed demo is still starting its nodes stops those it started:
/// none is left serving without the command that started it.
#[test]
fn a_demo_interrupted_while_starting_leaves_no_node_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let base = free_base();
    let mut demo = Demo::start(&dir, base, 30);
    assert!(demo.stop().success());
    assert!(nodes_serving_under(&dir).is_empty());

    let national_log = dir.join("nodes/national/node.log");
    std::fs::remove_file(&national_log).unwrap();
    let mut resumed = util::juki()
        .args(["demo", "--dir", p(&dir), "--port", &base.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The national node is the first started: its log appears as it starts.
    wait_for("the national node to start", 60, || national_log.exists());
    let _ = Command::new("kill")
        .args(["-TERM", &resumed.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    while resumed.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "juki demo did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = nodes_serving_under(&dir);
    assert!(left.is_empty(), "left serving: {left:?}");
}

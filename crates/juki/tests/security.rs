//! Security on the demo nation, as real processes: an agency's identity lookup with a purpose
//! shows in the resident's disclosure report; clerks are refused what the policy refuses, with
//! the documented codes; refusals are audited; audit logs verify over the API; and no log or
//! metric of the run carries a resident's name or code.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use juki_client::{ClientError, Profile};
use std::path::Path;
use std::process::Output;
use std::time::Duration;
use util::demo::{Demo, free_base};
use util::*;

/// Residents of the demo population: (resident code, family name, given name, municipality).
fn population(dir: &Path) -> Vec<(String, String, String, String)> {
    let mut r = csv::Reader::from_path(dir.join("population.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (code, family, given, lgc) = (
        col("resident_code"),
        col("family_name"),
        col("given_name"),
        col("local_government_code"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[code].to_string(),
                rec[family].to_string(),
                rec[given].to_string(),
                rec[lgc].to_string(),
            )
        })
        .collect()
}

/// The four facts of the demo population: (resident code, kana reading, birth date, sex).
fn four_facts(dir: &Path) -> Vec<(String, String, String, String)> {
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
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let v = cols.map(|c| rec[c].to_string());
            (
                v[0].clone(),
                format!("{} {}", v[1], v[2]),
                v[3].clone(),
                v[4].clone(),
            )
        })
        .collect()
}

/// `juki identity verify CODE [--purpose P] --profile PROFILE [extra…]`.
fn identity_verify(code: &str, purpose: Option<&str>, profile: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["identity", "verify", code, "--profile", p(profile)];
    if let Some(purpose) = purpose {
        args.extend(["--purpose", purpose]);
    }
    args.extend(extra);
    run(&args)
}

fn refusal(e: &ClientError) -> String {
    match e {
        ClientError::Refused { body, .. } => body.code.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn agency_lookup_shows_in_disclosure_and_refusals_are_documented() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base();
    let demo = Demo::start_logging(dir.path(), base, 300, "info");
    let people = population(dir.path());
    let (code, family, given, _) = people
        .iter()
        .find(|(_, _, _, lgc)| lgc == "131148")
        .cloned()
        .expect("a resident of 中野区");

    // The national agency verifies the resident's identity at the national node, for pensions.
    let agency = demo.profile("national-agency");
    let out = identity_verify(&code, Some("pension"), &agency, &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["resident_code"], code.as_str());
    assert_eq!(v["purpose_name"], "年金給付");
    assert_eq!(v["current"]["family_name"], family.as_str());
    assert!(v["current"].get("household_head").is_none());

    // Without a purpose, or with one the node does not list: refused, exit 1.
    let out = identity_verify(&code, None, &agency, &[]);
    assert_refused(&out, 1, "JK-POL-0104");
    let out = identity_verify(&code, Some("curiosity"), &agency, &[]);
    assert_refused(&out, 1, "JK-POL-0105");
    // A clerk may not use the agencies' service; an agency may not read records.
    let clerk = demo.profile("131148-clerk");
    let out = identity_verify(&code, Some("pension"), &clerk, &[]);
    assert_refused(&out, 1, "JK-POL-0101");
    let out = run(&["record", "get", &code, "--profile", p(&agency)]);
    assert_refused(&out, 1, "JK-POL-0101");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The agency's service is not served at municipal nodes.
    let mut agency_at_nakano = Profile::load(&agency).unwrap();
    agency_at_nakano.url = format!("https://127.0.0.1:{}", base + 4);
    let c = agency_at_nakano.client(Duration::from_secs(10)).unwrap();
    let err = rt.block_on(c.identity(&code, Some("pension"))).unwrap_err();
    assert_eq!(refusal(&err), "JK-POL-0103");
    drop(c);

    // A clerk of 練馬区 may not record a change for a resident of 中野区 (at 中野区's node).
    let mut meguro_at_nakano = Profile::load(&demo.profile("131202-clerk")).unwrap();
    meguro_at_nakano.url = format!("https://127.0.0.1:{}", base + 4);
    let c = meguro_at_nakano.client(Duration::from_secs(10)).unwrap();
    let change = juki_api::SubmitRequest {
        changes: vec![
            serde_json::from_value(serde_json::json!({
                "record_id": "SEC-1", "change_kind": "転居", "effective_date": "2026-04-01",
                "resident_code": code, "family_name": family, "given_name": given,
                "local_government_code": "131148", "address": "中野一丁目1番1号"
            }))
            .unwrap(),
        ],
    };
    let err = rt.block_on(c.submit(&change)).unwrap_err();
    assert_eq!(refusal(&err), "JK-POL-0102");
    let err = rt.block_on(c.record(&code)).unwrap_err();
    assert_eq!(refusal(&err), "JK-POL-0102");
    drop(c);

    // The resident asks 中野区 what the network holds and who accessed it.
    let out = run(&["disclose", &code, "--profile", p(&clerk), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["complete"], true, "{report:#}");
    let tiers = report["tiers"].as_array().unwrap();
    let names: Vec<_> = tiers.iter().map(|t| t["tier"].as_str().unwrap()).collect();
    assert_eq!(names, ["municipal", "prefecture", "national"]);
    for t in tiers {
        assert_eq!(
            t["record"]["fields"]["family_name"],
            family.as_str(),
            "{t:#}"
        );
    }
    let national = &tiers[2];
    let lookups = identity_lookups(national);
    assert_eq!(lookups.len(), 1, "{national:#}");
    assert_eq!(lookups[0]["purpose"], "pension");
    assert_eq!(lookups[0]["to"], "urn:juki:agency:national:agency");
    assert!(
        lookups[0]["node"]
            .as_str()
            .unwrap()
            .starts_with("urn:juki:national:")
    );
    // The refused attempts show too, with their codes; the 練馬区 clerk's at 中野区.
    let at_nakano = tiers[0]["accesses"].as_array().unwrap();
    assert!(
        at_nakano
            .iter()
            .any(|a| a["to"] == "urn:juki:clerk:131202:clerk" && a["error"] == "JK-POL-0102"),
        "{at_nakano:#?}"
    );
    // The printable report says the same.
    let out = run(&["disclose", &code, "--profile", p(&clerk)]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("本人確認情報の提供 (identity lookup)"),
        "{text}"
    );
    assert!(text.contains("urn:juki:agency:national:agency"), "{text}");
    // Another municipality's clerk may not produce it.
    let out = run(&[
        "disclose",
        &code,
        "--profile",
        p(&demo.profile("131202-clerk")),
    ]);
    assert_eq!(out.status.code(), Some(1));

    // Each node's audit log verifies while it runs, for those the policy allows.
    for who in ["national-auditor", "national-operator", "131148-admin"] {
        let out = run(&["audit", "verify", "--profile", p(&demo.profile(who))]);
        assert!(
            out.status.success(),
            "{who}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let out = run(&["audit", "verify", "--profile", p(&clerk)]);
    assert_refused(&out, 1, "JK-POL-0101");

    // No log line or metric of the run names a resident: neither codes nor names.
    let mut texts = Vec::new();
    for node in std::fs::read_dir(dir.path().join("nodes")).unwrap() {
        let log = node.unwrap().path().join("node.log");
        texts.push((
            log.display().to_string(),
            std::fs::read_to_string(&log).unwrap(),
        ));
    }
    for port in base..base + 10 {
        let profile = Profile::load(&demo.profile("national-operator")).unwrap();
        let ca = std::fs::read(&profile.ca).unwrap();
        let c = juki_client::Client::new(
            &format!("https://127.0.0.1:{port}"),
            &ca,
            Duration::from_secs(10),
        )
        .unwrap();
        texts.push((
            format!("metrics :{port}"),
            rt.block_on(c.metrics()).unwrap(),
        ));
    }
    assert!(
        texts.iter().any(|(_, t)| t.contains("request")),
        "logs are at info level"
    );
    for (what, text) in &texts {
        for (code, family, given, _) in &people {
            assert!(
                !text.contains(code.as_str()),
                "{what} names resident code {code}"
            );
            let full = format!("{family}{given}");
            assert!(!text.contains(&full), "{what} names {full}");
        }
    }
    drop(rt);

    node_stop_within_hours_waits_for_a_second_operator(&demo, base);
    drop(demo);
}

/// `juki node stop` of 中野区 during operating hours is a request that waits for
/// national-operator2's approval; the requester cannot approve it. The demo's 中野区 node is
/// restarted alone (FORMATS §3) with hours that cover every moment, so the test does not
/// depend on when it runs.
fn node_stop_within_hours_waits_for_a_second_operator(demo: &Demo, base: u16) {
    let data = demo.dir.join("nodes/131148");
    let status = std::process::Command::new("pkill")
        .args(["-TERM", "-f", &format!("serve --data {}$", data.display())])
        .status()
        .unwrap();
    assert!(status.success(), "the demo's 中野区 node was running");
    let config = data.join("juki.toml");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::File::open(data.join("lock"))
        .unwrap()
        .try_lock()
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the node did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(&config).unwrap();
    let at = text.find("[hours]").expect("juki init writes [hours]");
    let end = text[at + 1..]
        .find("\n[")
        .map_or(text.len(), |e| at + 1 + e);
    let text = format!(
        "{}[hours]\nstart = \"00:00\"\nend = \"24:00\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n{}",
        &text[..at],
        &text[end..]
    );
    std::fs::write(&config, text).unwrap();
    let mut node = ServeProcess::start_configured(&data);
    let url = format!("https://127.0.0.1:{}", base + 4);

    let operator = demo.profile("national-operator");
    let out = run(&[
        "node",
        "stop",
        "--profile",
        p(&operator),
        "--url",
        &url,
        "--json",
        "--reason",
        "rehearsal",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pending = json(&out);
    assert_eq!(pending["state"], "pending", "{pending}");
    let id = pending["approval"]["id"].as_str().unwrap().to_string();
    assert!(
        pending["approval"]["effect"]
            .as_str()
            .unwrap()
            .contains("中野区"),
        "{pending}"
    );
    // Still serving while it waits; the requester may not approve their own request.
    let clerk = demo.profile("131148-clerk");
    assert!(run(&["status", "--profile", p(&clerk)]).status.success());
    let out = run(&[
        "approve",
        "approve",
        &id,
        "--profile",
        p(&operator),
        "--url",
        &url,
    ]);
    assert_refused(&out, 1, "JK-POL-0106");
    let out = run(&["approve", "approve", &id, "--profile", p(&clerk)]);
    assert_refused(&out, 1, "JK-POL-0101");
    let operator2 = demo.profile("national-operator2");
    let out = run(&[
        "approve",
        "approve",
        &id,
        "--profile",
        p(&operator2),
        "--url",
        &url,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = json(&out);
    assert_eq!(done["state"], "executed", "{done}");
    assert_eq!(done["decided_by"], "urn:juki:operator:national:operator2");
    assert!(
        exit_status(&mut node.child).success(),
        "中野区 stopped on approval"
    );
}

/// `juki demo --always-open`: no node enforces operating hours (a stop always waits for a
/// second person, whatever the hour), and every node's status says so.
#[test]
fn an_always_open_demo_warns_and_stops_only_with_approval() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base();
    let demo = Demo::start_with(dir.path(), base, 50, "warn", &["--always-open"]);
    for who in ["national-operator", "131148-clerk", "130001-admin"] {
        let out = run(&["status", "--profile", p(&demo.profile(who)), "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let codes: Vec<String> = json(&out)["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_string())
            .collect();
        assert!(
            codes.contains(&"JK-POL-0108".to_string()),
            "{who}: {codes:?}"
        );
    }
    wide_area_copy(&demo, dir.path());
    let out = run(&[
        "node",
        "stop",
        "--profile",
        p(&demo.profile("131148-admin")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["state"], "pending");
    drop(demo);
}

/// 練馬区's window issues the resident-record copy of a 中野区 resident (広域交付): 中野区's node
/// answers through the network and records it; the copy names both municipalities and carries
/// a verification code; 中野区's own window issues it locally.
fn wide_area_copy(demo: &Demo, dir: &Path) {
    let (code, family, given, _) = population(dir)
        .into_iter()
        .find(|r| r.3 == "131148")
        .unwrap();
    let html = dir.join("copy.html");
    let pdf = dir.join("copy.pdf");
    let out = run(&[
        "certificate",
        "issue",
        &code,
        "--home",
        "131148",
        "--out",
        p(&html),
        "--pdf",
        p(&pdf),
        "--profile",
        p(&demo.profile("131202-clerk")),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = json(&out);
    assert_eq!(copy["wide_area"], true);
    assert_eq!(copy["issued_by"], "131202");
    assert_eq!(copy["home"], "131148");
    assert_eq!(copy["fields"]["family_name"], family.as_str());
    let code_printed = copy["verification_code"].as_str().unwrap();
    assert_eq!(code_printed.len(), 14, "{code_printed}");
    // The PDF, as a reader extracts its text (poppler's pdftotext; scripts/test installs it).
    let extracted = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", p(&pdf), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(extracted.status.success());
    let pdf_text = String::from_utf8(extracted.stdout).unwrap();
    let text = std::fs::read_to_string(&html).unwrap();
    for expected in [
        "住民票の写し",
        "広域交付",
        family.as_str(),
        given.as_str(),
        "東京都中野区",
        "東京都練馬区",
        code_printed,
    ] {
        assert!(text.contains(expected), "{expected} missing from the copy");
        assert!(
            pdf_text.contains(expected),
            "{expected} missing from the PDF's text:\n{pdf_text}"
        );
    }
    // 中野区 recorded the issuance, in the name of 練馬区's clerk.
    let clerk = demo.profile("131148-clerk");
    let report = json(&run(&["disclose", &code, "--profile", p(&clerk), "--json"]));
    assert!(
        report["tiers"][0]["accesses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["function"] == "certificate-issued"
                && a["to"] == "urn:juki:clerk:131202:clerk"),
        "{report:#}"
    );
    // At its own window, locally; a wrong home is not found there.
    let local = json(&run(&[
        "certificate",
        "issue",
        &code,
        "--profile",
        p(&clerk),
        "--json",
    ]));
    assert_eq!(local["wide_area"], false);
    let out = run(&[
        "certificate",
        "issue",
        &code,
        "--home",
        "272191",
        "--profile",
        p(&demo.profile("131202-clerk")),
    ]);
    assert_refused(&out, 1, "JK-NODE-0106");
}

/// `juki identity batch` at the national node: every resident of the population answered in
/// order, malformed and unknown lines answered as such, the lookups audited with their purpose
/// (the resident's disclosure shows them), and a clerk refused.
#[test]
fn batch_verification_answers_every_line_in_order_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base();
    let demo = Demo::start(dir.path(), base, 2_500);
    let people = population(dir.path());
    let mut queries = String::new();
    for (i, (code, ..)) in people.iter().enumerate() {
        if i % 2 == 0 {
            queries.push_str(&format!(
                "{{\"id\": \"q{i}\", \"resident_code\": \"{code}\"}}\n"
            ));
        } else {
            queries.push_str(&format!("{code}\n"));
        }
    }
    let unknown = juki_domain::ResidentCode::from_body(123_456).to_string();
    queries.push_str(&format!("12345\n{{\"id\": \"bad\"\n{unknown}\n"));
    // By the four facts: the first 50 residents, one nobody, one malformed.
    let facts = four_facts(dir.path());
    for (code, kana, birth, sex) in facts.iter().take(50) {
        queries.push_str(&format!(
            "{{\"id\": \"f{code}\", \"kana\": \"{kana}\", \"birth_date\": \"{birth}\", \"sex\": \"{sex}\"}}\n"
        ));
    }
    queries.push_str("{\"kana\": \"ンンン\", \"birth_date\": \"1900-01-01\", \"sex\": \"男\"}\n");
    queries.push_str("{\"kana\": \"ヤマダ\", \"birth_date\": \"1980-01-01\", \"sex\": \"X\"}\n");
    let file = dir.path().join("queries.jsonl");
    std::fs::write(&file, &queries).unwrap();
    let out = dir.path().join("answers.jsonl");
    let agency = demo.profile("national-agency");
    let run_batch = |profile: &Path| {
        run(&[
            "identity",
            "batch",
            p(&file),
            "--purpose",
            "pension",
            "--out",
            p(&out),
            "--profile",
            p(profile),
            "--json",
        ])
    };
    let done = run_batch(&agency);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let summary = json(&done);
    let n = people.len() as u64;
    assert_eq!(summary["queries"], n + 3 + 52);
    assert_eq!(summary["answered"], n + 3 + 52);
    assert_eq!(summary["by_status"]["current"], n, "{summary}");
    assert_eq!(summary["by_status"]["matched"], 50, "{summary}");
    assert_eq!(summary["by_status"]["refused"], 3);
    assert_eq!(summary["by_status"]["not-found"], 2);
    let answers: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len() as u64, n + 3 + 52);
    for (k, (code, ..)) in facts.iter().take(50).enumerate() {
        let a = &answers[n as usize + 3 + k];
        assert_eq!(a["id"], format!("f{code}"));
        assert_eq!(a["status"], "matched", "{a}");
        let best = &a["candidates"][0];
        assert_eq!(best["resident_code"], code.as_str(), "{a}");
        assert_eq!(best["quality"], "exact", "{a}");
        assert!(best["current"]["family_name"].is_string());
    }
    let last = n as usize + 3 + 50;
    assert_eq!(answers[last]["status"], "not-found");
    assert_eq!(answers[last]["id"], (last + 1).to_string());
    assert_eq!(answers[last + 1]["error"], "JK-NODE-0110");
    for (i, (code, family, ..)) in people.iter().enumerate() {
        let a = &answers[i];
        assert_eq!(a["resident_code"], code.as_str());
        assert_eq!(a["current"]["family_name"], family.as_str());
        let id = if i % 2 == 0 {
            format!("q{i}")
        } else {
            (i + 1).to_string()
        };
        assert_eq!(a["id"], id);
    }
    assert_eq!(answers[n as usize]["error"], "JK-NODE-0110");
    assert_eq!(answers[n as usize + 1]["error"], "JK-NODE-0103");
    assert_eq!(answers[n as usize + 2]["status"], "not-found");

    // The home clerk's disclosure of one of them shows the batch lookup and its purpose.
    let (code, _, _, lgc) = people.iter().find(|r| r.3 == "131148").unwrap();
    let clerk = demo.profile(&format!("{lgc}-clerk"));
    let report = json(&run(&["disclose", code, "--profile", p(&clerk), "--json"]));
    let national = &report["tiers"][2]["accesses"];
    assert!(
        national
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["function"] == "identity-lookup"
                && a["purpose"] == "pension"
                && a["to"] == "urn:juki:agency:national:agency"),
        "{report:#}"
    );
    // A clerk is refused the whole batch.
    assert_refused(&run_batch(&clerk), 1, "JK-POL-0101");
    drop(demo);
}

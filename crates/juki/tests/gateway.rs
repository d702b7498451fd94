//! `juki gw submit` against a running demo nation: good records reach the national node, bad
//! ones are reported with their codes and lines, and submitting the file again changes nothing.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use std::time::{Duration, Instant};
use util::demo::{Demo, free_base};
use util::*;

/// The tests of this file each run a demo nation; one at a time, so that two never pick the
/// same free ports.
static ONE_DEMO_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

const HEADER: &str = "record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,given_name_kana,birth_date,sex,local_government_code,address";

/// A resident code with its check digit (docs/domain.md).
fn resident_code(body: u64) -> String {
    let digits: Vec<u64> = format!("{body:010}")
        .bytes()
        .map(|b| u64::from(b - b'0'))
        .collect();
    let sum: u64 = (1..=10u64)
        .map(|n| digits[10 - n as usize] * if n <= 6 { n + 1 } else { n - 5 })
        .sum();
    let check = match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    };
    format!("{body:010}{check}")
}

/// `juki gw submit FILE --profile P [--json] [EXTRA…]`, which must exit with `status`.
fn submit(
    file: &std::path::Path,
    profile: &std::path::Path,
    json: bool,
    status: i32,
) -> std::process::Output {
    submit_with(file, profile, json, status, &[])
}

fn submit_with(
    file: &std::path::Path,
    profile: &std::path::Path,
    json: bool,
    status: i32,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["gw", "submit", p(file), "--profile", p(profile)];
    if json {
        args.push("--json");
    }
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(status),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn good_records_reach_the_national_node_bad_ones_are_reported_and_a_resubmission_changes_nothing() {
    let _one = ONE_DEMO_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(&tmp.path().join("demo"), free_base(), 100);
    let codes: Vec<String> = (0..20)
        .map(|i| resident_code(1_234_500_000 + i * 13))
        .collect();
    let mut lines = vec![HEADER.to_string()];
    for (i, code) in codes.iter().enumerate() {
        lines.push(format!(
            "GW-{i:04},転入,2026-04-01,{code},山田,太郎,ヤマダ,タロウ,1990-05-05,男,131148,中野一丁目1番{i}号"
        ));
        if i == 5 {
            lines.push("GW-BAD-1,転入,2026-04-01,12345678903,山田1,花子,ﾔﾏﾀﾞ,ハナコ,1991-06-06,女,131148,中野一丁目1番1号".into());
        }
    }
    lines.push("GW-BAD-2,転入,2026-04-01,\"broken".into());
    let file = tmp.path().join("changes.csv");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let clerk = demo.profile("131148-clerk");
    let quarantine = tmp.path().join("quarantine.csv");
    let report = json(&submit_with(
        &file,
        &clerk,
        true,
        1,
        &["--quarantine", p(&quarantine)],
    ));
    assert_eq!(report["accepted"], 20);
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2);
    assert_eq!(refused[0]["record_id"], "GW-BAD-1");
    assert_eq!(refused[0]["line"], 8);
    let codes_of = |r: &serde_json::Value| -> Vec<String> {
        r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes_of(&refused[0]), ["JK-NAME-0101", "JK-NAME-0103"]);
    assert_eq!(refused[0]["errors"][1]["suggestion"], "ヤマダ");
    assert_eq!(refused[1]["line"], 23);
    assert_eq!(codes_of(&refused[1]), ["JK-IN-0104"]);

    // Every good record reaches the national node.
    let national = demo.profile("national-operator");
    let deadline = Instant::now() + Duration::from_secs(60);
    for code in &codes {
        loop {
            let out = run(&["record", "get", code, "--json", "--profile", p(&national)]);
            if out.status.success() && json(&out)["current"]["local_government_code"] == "131148" {
                assert_eq!(json(&out)["history"].as_array().unwrap().len(), 1);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{code} never reached the national node"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    // Again: the same report, every good record a duplicate, nothing applied twice.
    let again = submit(&file, &clerk, false, 1);
    let text = String::from_utf8(again.stdout).unwrap();
    assert!(
        text.contains(
            "applied 0, 既に記録済み duplicates (already recorded, not applied again) 20"
        ),
        "{text}"
    );
    let out = run(&["record", "get", &codes[0], "--json", "--profile", p(&clerk)]);
    assert_eq!(json(&out)["history"].as_array().unwrap().len(), 1);

    // The quarantine holds the refused records as they stood: corrected, they go through.
    let held = std::fs::read_to_string(&quarantine).unwrap();
    assert_eq!(held.lines().count(), 3, "{held}");
    assert!(held.starts_with(HEADER));
    let corrected = held
        .replace("山田1", "山田")
        .replace("ﾔﾏﾀﾞ", "ヤマダ")
        .replace(
            "GW-BAD-2,転入,2026-04-01,\"broken",
            &format!("GW-BAD-2,転入,2026-04-01,{},山田,次郎,ヤマダ,ジロウ,1992-02-02,男,131148,中野一丁目2番1号", resident_code(1_234_599_999)),
        );
    std::fs::write(&quarantine, corrected).unwrap();
    let report = json(&submit(&quarantine, &clerk, true, 0));
    assert_eq!(report["accepted"], 2, "{report}");
    assert_eq!(report["refused"].as_array().unwrap().len(), 0);
    demo.stop();
}

/// The defect of record `i` (every hundredth has one) and the code it must be reported with.
fn defect(i: u64) -> Option<(&'static str, &'static str)> {
    if i % 100 != 37 {
        return None;
    }
    Some(match i / 100 % 5 {
        0 => ("digit", "JK-NAME-0101"),
        1 => ("halfwidth", "JK-NAME-0103"),
        2 => ("check-digit", "JK-CODE-0202"),
        3 => ("other-node", "JK-CODE-0104"),
        // Passes the gateway's checks; the node refuses it: nobody with that code lives here.
        _ => ("not-registered", "JK-REC-0202"),
    })
}

fn status_residents(profile: &std::path::Path) -> u64 {
    let out = run(&["status", "--json", "--profile", p(profile)]);
    json(&out)["residents"].as_u64().unwrap()
}

#[test]
fn a_file_of_100000_records_with_1_percent_defects() {
    const RECORDS: u64 = 100_000;
    let _one = ONE_DEMO_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(&tmp.path().join("demo"), free_base(), 100);
    let national = demo.profile("national-operator");
    let clerk = demo.profile("131148-clerk");
    let before = status_residents(&national);

    let mut text = String::with_capacity(16 << 20);
    text.push_str(HEADER);
    text.push('\n');
    for i in 0..RECORDS {
        let mut code = resident_code(2_000_000_000 + i);
        let (mut kind, mut family, mut kana, mut lgc) =
            ("転入", "山田".to_string(), "ヤマダ", "131148");
        match defect(i).map(|d| d.0) {
            Some("digit") => family.push('2'),
            Some("halfwidth") => kana = "ﾔﾏﾀﾞ",
            Some("check-digit") => {
                let last = if code.ends_with('0') { "1" } else { "0" };
                code.replace_range(10..11, last);
            }
            Some("other-node") => lgc = "131202",
            Some(_) => kind = "転居",
            None => {}
        }
        text.push_str(&format!(
            "GW{i:06},{kind},2026-04-01,{code},{family},太郎,{kana},タロウ,1990-05-05,男,{lgc},中野一丁目{}番{}号\n",
            1 + i % 30,
            1 + i % 20
        ));
    }
    let file = tmp.path().join("big.csv");
    std::fs::write(&file, text).unwrap();
    let report = json(&submit(&file, &clerk, true, 1));
    let bad = RECORDS / 100;
    assert_eq!(report["accepted"], RECORDS - bad);
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len() as u64, bad);
    for r in refused {
        let id = r["record_id"].as_str().unwrap();
        let i: u64 = id[2..].parse().unwrap();
        let (what, code) = defect(i).unwrap_or_else(|| panic!("{id} was refused: {r}"));
        assert_eq!(r["line"], i + 2, "{id}");
        assert_eq!(r["errors"][0]["code"], code, "{id} ({what}): {r}");
    }

    // Every good record reaches the national node.
    let deadline = Instant::now() + Duration::from_secs(300);
    while status_residents(&national) < before + RECORDS - bad {
        assert!(
            Instant::now() < deadline,
            "the good records never all reached the national node"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(status_residents(&national), before + RECORDS - bad);

    // Submitting the file again changes nothing.
    let again = submit(&file, &clerk, false, 1);
    let text = String::from_utf8(again.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "applied 0, 既に記録済み duplicates (already recorded, not applied again) {}",
            RECORDS - bad
        )),
        "{}",
        text.lines().last().unwrap_or("")
    );
    for i in [0, 50_000, RECORDS - 1] {
        let out = run(&[
            "record",
            "get",
            &resident_code(2_000_000_000 + i),
            "--json",
            "--profile",
            p(&national),
        ]);
        assert_eq!(
            json(&out)["history"].as_array().unwrap().len(),
            1,
            "record {i}"
        );
    }
    assert_eq!(status_residents(&national), before + RECORDS - bad);
    demo.stop();
}

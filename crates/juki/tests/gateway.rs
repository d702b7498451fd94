//! `juki gw submit` against a running demo nation: good records reach the national node, bad
//! ones are reported with their codes and lines, and submitting the file again changes nothing.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use std::time::{Duration, Instant};
use util::demo::{Demo, free_base};
use util::*;

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

#[test]
fn good_records_reach_the_national_node_bad_ones_are_reported_and_a_resubmission_changes_nothing() {
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
    let submit = |json: bool| {
        let mut args = vec!["gw", "submit", p(&file), "--profile", p(&clerk)];
        if json {
            args.push("--json");
        }
        run(&args)
    };

    let out = submit(true);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
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
    let again = submit(false);
    assert_eq!(again.status.code(), Some(1));
    let text = String::from_utf8(again.stdout).unwrap();
    assert!(
        text.contains(
            "applied 0, 既に記録済み duplicates (already recorded, not applied again) 20"
        ),
        "{text}"
    );
    let out = run(&["record", "get", &codes[0], "--json", "--profile", p(&clerk)]);
    assert_eq!(json(&out)["history"].as_array().unwrap().len(), 1);
    demo.stop();
}

//! A municipal node as a real process: submit, read back, refuse, deduplicate, search, stop.

mod util;

use juki_api::{ChangeInput, ChangeStatus, SubmitRequest};
use juki_client::ClientError;
use util::*;

fn row(
    record_id: &str,
    kind: &str,
    code: &str,
    family: &str,
    kana: &str,
    birth: &str,
) -> ChangeInput {
    ChangeInput {
        record_id: record_id.into(),
        change_kind: kind.into(),
        effective_date: if kind == "出生" {
            birth.into()
        } else {
            "2026-04-01".into()
        },
        resident_code: code.into(),
        family_name: family.into(),
        given_name: "陽菜".into(),
        family_name_kana: kana.into(),
        given_name_kana: "ヒナ".into(),
        birth_date: birth.into(),
        sex: "女".into(),
        local_government_code: "131148".into(),
        address: "中野二丁目3番4号".into(),
        ..ChangeInput::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_municipal_node_records_refuses_and_deduplicates() {
    let dir = tempfile::tempdir().unwrap();
    init_municipal(dir.path(), "131148");
    let mut node = ServeProcess::start(dir.path());
    let client = node.client();

    let (health, protocol) = client.health_and_protocol().await.unwrap();
    assert_eq!(
        protocol, "HTTP/2.0",
        "the node speaks HTTP/2 over TLS (ALPN)"
    );
    assert_eq!(
        (
            health.status.as_str(),
            health.role.as_str(),
            health.name.as_str()
        ),
        ("ok", "municipal", "中野区")
    );

    let batch = SubmitRequest {
        changes: vec![
            row(
                "N2026-000001",
                "転入",
                "12345678903",
                "佐々木",
                "ササキ",
                "1998-07-14",
            ),
            row(
                "N2026-000002",
                "出生",
                "23456789013",
                "髙橋",
                "タカハシ",
                "2026-04-02",
            ),
            row(
                "N2026-000003",
                "転入",
                "34567890122",
                "山田1郎",
                "ヤマダ",
                "1980-01-01",
            ),
            row("N2026-000004", "出生", "", "中野", "ナカノ", "2026-04-03"),
        ],
    };
    let first = client.submit(&batch).await.unwrap();
    assert_eq!(
        (first.applied, first.duplicates, first.refused),
        (3, 0, 1),
        "{first:?}"
    );
    let refused = &first.results[2];
    assert_eq!(refused.status, ChangeStatus::Refused);
    let e = &refused.errors[0];
    assert_eq!(
        (
            e.code.as_str(),
            e.field.as_deref(),
            e.char.as_deref(),
            e.codepoint.as_deref()
        ),
        (
            "JK-NAME-0101",
            Some("family_name"),
            Some("1"),
            Some("U+0031")
        )
    );
    assert!(!e.message_ja.is_empty() && !e.message_en.is_empty());
    // The birth with no code got one from the node's pool.
    let assigned = first.results[3].resident_code.clone().unwrap();
    assert!(assigned.starts_with("013114"), "{assigned}"); // the standalone pool of 13114

    // The same file again: nothing is applied twice.
    let again = client.submit(&batch).await.unwrap();
    assert_eq!(
        (again.applied, again.duplicates, again.refused),
        (0, 3, 1),
        "{again:?}"
    );
    assert_eq!(again.results[0].sequence, first.results[0].sequence);

    let rec = client.record("12345678903").await.unwrap();
    let current = rec.current.unwrap();
    assert_eq!(
        (
            current.family_name.as_str(),
            current.local_government_code.as_str()
        ),
        ("佐々木", "131148")
    );
    assert_eq!(rec.history.len(), 1);
    assert_eq!(
        (
            rec.history[0].kind.as_str(),
            rec.history[0].recorded_by.as_str()
        ),
        ("転入", "131148")
    );
    assert_eq!(
        client
            .record("23456789013")
            .await
            .unwrap()
            .current
            .unwrap()
            .family_name,
        "髙橋"
    );

    let found = client
        .search(&[
            ("kana", "ささき ひな"),
            ("birth_date", "1998-07-14"),
            ("sex", "女"),
        ])
        .await
        .unwrap();
    assert_eq!(found.results.len(), 1);
    assert_eq!(found.results[0].resident_code, "12345678903");

    match client.record("12345678911").await {
        Err(ClientError::Refused {
            status: 404, body, ..
        }) => assert_eq!(body.code, "JK-NODE-0106"),
        other => panic!("{other:?}"),
    }
    match client.record("12345678904").await {
        Err(ClientError::Refused {
            status: 422, body, ..
        }) => assert_eq!(body.code, "JK-NODE-0110"),
        other => panic!("{other:?}"),
    }

    let metrics = client.metrics().await.unwrap();
    assert!(
        metrics.contains("juki_changes_total{outcome=\"applied\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("juki_residents_current 3"), "{metrics}");
    for personal in ["12345678903", "佐々木", "ササキ", "中野二丁目"] {
        assert!(!metrics.contains(personal), "metrics leak {personal}");
    }

    let status = node.terminate();
    assert!(status.success(), "juki serve exited with {status}");
}

#[test]
fn synth_then_load_then_serve() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let csv = dir.path().join("pop.csv");
    init_municipal(&data, "131148");
    let out = run(&[
        "synth",
        "--residents",
        "3000",
        "--seed",
        "7",
        "--municipality",
        "131148",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let load_json = || {
        let out = run(&[
            "load",
            "--data",
            data.to_str().unwrap(),
            csv.to_str().unwrap(),
            "--json",
        ]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out, report)
    };
    let (out, report) = load_json();
    assert_eq!(report["accepted"], 3000, "{report}");
    assert_eq!(report["refused"].as_array().unwrap().len(), 0, "{report}");
    assert!(out.status.success());

    // Loading the same file again is harmless.
    let (_, report) = load_json();
    assert_eq!(
        (report["applied"].as_u64(), report["duplicates"].as_u64()),
        (Some(0), Some(3000)),
        "{report}"
    );

    // While the node runs, the bulk path is refused: the data directory is locked.
    let node = ServeProcess::start(&data);
    let out = run(&[
        "load",
        "--data",
        data.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert_refused(&out, 1, "JK-NODE-0111");

    let first_code = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(3)
        .unwrap()
        .to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rec = rt.block_on(node.client().record(&first_code)).unwrap();
    assert_eq!(rec.status, "current");
    assert_eq!(rec.history[0].kind, "転入");
}

#[test]
fn bad_input_gets_the_documented_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    init_municipal(&data, "131148");
    // Usage error.
    assert_eq!(
        run(&["init", "--role", "mayor", "--data", "x"])
            .status
            .code(),
        Some(2)
    );
    // A code that is not a municipality.
    let out = run(&[
        "init",
        "--role",
        "municipal",
        "--code",
        "130000",
        "--data",
        dir.path().join("y").to_str().unwrap(),
    ]);
    assert_refused(&out, 1, "JK-CFG-0104");
    // A file without the required columns.
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "record_id,change_kind\nA,転入\n").unwrap();
    let out = run(&[
        "load",
        "--data",
        data.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert_refused(&out, 2, "JK-IN-0102");
}

//! Golden tests: the committed sample files in every format, read, checked and reported; the
//! three renderings of each report are snapshots (`UPDATE_EXPECT=1 cargo test -p juki-gateway
//! --test report` rewrites them after a deliberate change).

use expect_test::{ExpectFile, expect_file};
use juki_domain::{Date, LocalGovernmentCode, ValidationContext};
use juki_gateway::{CharSet, Encoding, Format, GaijiTable, LinkageReport, Rules, check_all, open};
use std::path::Path;

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .expect("a committed sample file")
}

fn ctx() -> ValidationContext {
    ValidationContext {
        node: LocalGovernmentCode::parse("131148").expect("valid"),
        today: Date::constant(2026, 4, 10),
    }
}

fn jis_with_gaiji() -> Rules {
    Rules {
        charset: CharSet::Jis0208,
        gaiji: GaijiTable::parse(&String::from_utf8(data("gaiji.tsv")).expect("UTF-8"))
            .expect("a valid table"),
    }
}

/// Checks a sample and returns the report and the ids of the accepted records.
fn run(
    name: &str,
    format: Format,
    encoding: Option<Encoding>,
    rules: &Rules,
) -> (LinkageReport, Vec<String>) {
    let bytes = data(name);
    let mut records = open(bytes.as_slice(), format, encoding).expect("the file opens");
    let mut ids = Vec::new();
    let report = check_all(&mut records, &ctx(), rules, &mut |a| {
        ids.push(a.raw.record_id)
    });
    (report, ids)
}

fn snapshot(report: &LinkageReport, text: ExpectFile, json: ExpectFile, csv: ExpectFile) {
    text.assert_eq(&report.to_text());
    let doc: serde_json::Value = serde_json::from_str(&report.to_json()).expect("valid JSON");
    assert_eq!(doc["accepted"], report.accepted);
    assert_eq!(
        doc["refused"].as_array().map(Vec::len),
        Some(report.refused.len())
    );
    json.assert_eq(&report.to_json());
    csv.assert_eq(&report.to_csv());
}

#[test]
fn cp932_fixed_width_with_era_dates() {
    let (report, ids) = run("legacy_cp932.dat", Format::Fixed, None, &jis_with_gaiji());
    assert_eq!(ids, ["F-0001", "F-0002", "F-0003", "F-0004"]);
    let refused: Vec<_> = report
        .refused
        .iter()
        .map(|r| (r.line, r.record_id.as_deref()))
        .collect();
    assert_eq!(
        refused,
        [
            (5, Some("F-0005")),
            (6, Some("F-0006")),
            (7, Some("F-0007")),
            (8, Some("F-0008"))
        ]
    );
    snapshot(
        &report,
        expect_file!["data/legacy_cp932.report.txt"],
        expect_file!["data/legacy_cp932.report.json"],
        expect_file!["data/legacy_cp932.report.csv"],
    );
}

#[test]
fn csv_with_a_bom() {
    let (report, ids) = run("bom.csv", Format::Csv, None, &Rules::default());
    assert_eq!(ids, ["B-0001", "B-0002", "B-0003"]);
    assert!(report.refused.is_empty());
    snapshot(
        &report,
        expect_file!["data/bom.report.txt"],
        expect_file!["data/bom.report.json"],
        expect_file!["data/bom.report.csv"],
    );
    // Declared CP932, the BOM contradicts: the file is refused as a whole.
    let e = open(
        data("bom.csv").as_slice(),
        Format::Csv,
        Some(Encoding::Cp932),
    )
    .err()
    .expect("refused");
    assert_eq!(e.def.code, "JK-GW-0101");
}

#[test]
fn a_mix_of_good_and_bad_records() {
    let (report, ids) = run("mixed.csv", Format::Csv, None, &jis_with_gaiji());
    assert_eq!(ids, ["M-0001", "M-0005", "M-0009"]);
    assert_eq!(report.refused.len(), 7);
    snapshot(
        &report,
        expect_file!["data/mixed.report.txt"],
        expect_file!["data/mixed.report.json"],
        expect_file!["data/mixed.report.csv"],
    );
}

#[test]
fn json_lines() {
    let (report, ids) = run("changes.jsonl", Format::Jsonl, None, &Rules::default());
    assert_eq!(ids, ["J-0001", "J-0004"]);
    snapshot(
        &report,
        expect_file!["data/changes.report.txt"],
        expect_file!["data/changes.report.json"],
        expect_file!["data/changes.report.csv"],
    );
}

#[test]
fn a_report_lists_a_bounded_number_of_refusals_and_says_so() {
    use juki_gateway::RefusedRecord;
    use juki_gateway::report::REFUSED_LISTED_MAX;
    let mut report = LinkageReport::default();
    let extra = 3;
    for line in 0..(REFUSED_LISTED_MAX as u64 + extra) {
        report.refuse(RefusedRecord {
            line,
            record_id: None,
            resident_code: None,
            problems: Vec::new(),
        });
    }
    report.close(Vec::new());
    assert_eq!(report.refused.len(), REFUSED_LISTED_MAX);
    assert_eq!(report.refused_count(), REFUSED_LISTED_MAX as u64 + extra);
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].code(), "JK-GW-0104");
    let text = report.to_text();
    assert!(text.ends_with(&format!(
        "エラー refused {}, 警告 warnings 1\n",
        REFUSED_LISTED_MAX as u64 + extra
    )));
}

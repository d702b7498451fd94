//! Loading a file that mixes good and bad records: the good ones are recorded, each bad one is
//! reported with its line and codes, and loading the file again changes nothing.

use juki_domain::{Date, LocalGovernmentCode};
use juki_gateway::{LoadOptions, RefusedRecord, load};
use juki_store::{SqliteOptions, SqliteStore, Store};

const FILE: &str = "\u{feff}record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,given_name_kana,birth_date,sex,local_government_code,address,nickname
G1,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,中野二丁目3番4号,x
B1,転入,2026-04-01,34567890122,山田1郎,,ヤマダ,,1980-01-01,男,131148,中野一丁目1番1号,x
G2,出生,R8.4.2,23456789013,髙橋,湊,タカハシ,ミナト,令和8年4月2日,男,131148,本町一丁目1番1号,x
B2,転入,2026-04-01,12345678904,ﾔﾏﾀﾞ,花子,ヤマダ,ハナコ,1990-02-30,女,131202,中野,x
B3,転入,2026-04-01,12345678903,佐々木,陽菜,ササキ,ヒナ,1998-07-14,女,131148,中野二丁目3番4号,x
G3,転入,2026-04-01,12345678911,SMITH,JOHN,,,1985-05-05,男,131148,中野五丁目5番5号,x
";

fn opts() -> LoadOptions {
    LoadOptions {
        node: LocalGovernmentCode::parse("131148").expect("valid code"),
        today: Date::constant(2026, 11, 1),
        now_ms: 0,
        batch_size: 2,
    }
}

#[test]
fn good_records_go_through_and_bad_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.db"), SqliteOptions::default()).unwrap();
    let mut refused: Vec<RefusedRecord> = Vec::new();
    let report = load(
        FILE.as_bytes(),
        &store,
        &opts(),
        &mut |r| refused.push(r.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    // G3 is a Latin name without nationality: refused too.
    assert_eq!(
        (report.rows, report.applied, report.refused),
        (6, 2, 4),
        "{refused:#?}"
    );
    assert_eq!(report.warnings.len(), 1, "the unknown column is a warning");
    assert_eq!(report.warnings[0].code(), "JK-IN-0103");
    refused.sort_by_key(|r| r.line);
    let summary: Vec<(u64, Option<&str>, Vec<&str>)> = refused
        .iter()
        .map(|r| {
            (
                r.line,
                r.record_id.as_deref(),
                r.problems.iter().map(|p| p.code()).collect(),
            )
        })
        .collect();
    assert_eq!(summary[0], (3, Some("B1"), vec!["JK-NAME-0101"]));
    assert_eq!(summary[1].0, 5);
    for code in [
        "JK-CODE-0202",
        "JK-NAME-0103",
        "JK-DATE-0102",
        "JK-CODE-0104",
    ] {
        assert!(
            summary[1].2.contains(&code),
            "{code} not in {:?}",
            summary[1]
        );
    }
    assert_eq!(
        summary[2],
        (6, Some("B3"), vec!["JK-REC-0201"]),
        "a second move-in of the same person"
    );
    assert_eq!(summary[3], (7, Some("G3"), vec!["JK-REC-0109"]));
    let g2 = store
        .record(juki_domain::ResidentCode::parse("23456789013").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        g2.current.record.facts.birth_date.to_string(),
        "2026-04-02",
        "era dates are read"
    );

    // The same file again: nothing applied twice; the refusals are the same.
    let again = load(
        FILE.as_bytes(),
        &store,
        &opts(),
        &mut |_| {},
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!((again.applied, again.duplicates, again.refused), (0, 2, 4));
    assert_eq!(store.stats().unwrap().journal_head, 2);
}

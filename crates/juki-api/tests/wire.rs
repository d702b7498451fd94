//! Journal entries survive the wire unchanged.

use juki_api::WireEntry;
use juki_domain::ChangeKind;
use juki_domain::change::RawChange;
use juki_store::conformance::{code, node, raw, valid};
use juki_store::{JournalEntry, SqliteOptions, SqliteStore, Store};

#[test]
fn every_field_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("s.db"), SqliteOptions::default()).unwrap();
    let c = code(1_700_000_001);
    let rows = [
        RawChange {
            individual_number: "123456789018".into(),
            former_family_name: "山田".into(),
            alias_name: "".into(),
            notified_date: "2026-04-02".into(),
            household_head: "佐々木健".into(),
            ..raw(ChangeKind::MoveIn, "W1", Some(c))
        },
        RawChange {
            effective_date: "2026-05-01".into(),
            planned_date: "2026-05-10".into(),
            destination_code: "272191".into(),
            destination_address: "府中町一丁目1番1号".into(),
            ..raw(ChangeKind::MoveOut, "W2", Some(c))
        },
        RawChange {
            family_name: "SMITH".into(),
            given_name: "JOHN".into(),
            family_name_kana: "".into(),
            given_name_kana: "".into(),
            nationality: "US".into(),
            birth_date: "1980".into(),
            ..raw(ChangeKind::MoveIn, "W3", Some(code(1_700_000_002)))
        },
    ];
    let changes: Vec<_> = rows.iter().map(valid).collect();
    s.apply(node(), 1, &changes).unwrap();
    for e in s.journal_after(0, 10).unwrap() {
        let sent = e.forwardable();
        let json = serde_json::to_string(&WireEntry::from(&sent)).unwrap();
        let back: WireEntry = serde_json::from_str(&json).unwrap();
        assert_eq!(JournalEntry::try_from(back).unwrap(), sent);
    }
}

//! Tests of change validation and transitions.

use super::*;
use crate::date::Date;

fn ctx() -> ValidationContext {
    ValidationContext {
        node: LocalGovernmentCode::parse("131148").unwrap(),
        today: Date::constant(2026, 4, 10),
    }
}

/// The first example row of FORMATS §1.
pub(crate) fn sample() -> RawChange {
    RawChange {
        record_id: "N2026-000001".into(),
        change_kind: "転入".into(),
        effective_date: "2026-04-01".into(),
        resident_code: "12345678903".into(),
        family_name: "佐々木".into(),
        given_name: "陽菜".into(),
        family_name_kana: "ササキ".into(),
        given_name_kana: "ヒナ".into(),
        birth_date: "1998-07-14".into(),
        sex: "女".into(),
        local_government_code: "131148".into(),
        address: "中野二丁目3番4号".into(),
        ..RawChange::default()
    }
}

fn codes(r: Result<ValidatedChange, Vec<Problem>>) -> Vec<(&'static str, Option<&'static str>)> {
    r.expect_err("should be refused")
        .iter()
        .map(|p| (p.code(), p.field))
        .collect()
}

#[test]
fn the_formats_example_is_valid() {
    let v = validate(&sample(), &ctx()).unwrap();
    assert_eq!(v.kind, ChangeKind::MoveIn);
    assert_eq!(v.resident_code.unwrap().to_string(), "12345678903");
    assert_eq!(v.facts.name.family, "佐々木");
    assert_eq!(v.facts.address.code.to_string(), "131148");

    let birth = RawChange {
        record_id: "N2026-000002".into(),
        change_kind: "出生".into(),
        effective_date: "2026-04-02".into(),
        resident_code: "23456789013".into(),
        family_name: "髙橋".into(),
        given_name: "湊".into(),
        family_name_kana: "タカハシ".into(),
        given_name_kana: "ミナト".into(),
        birth_date: "2026-04-02".into(),
        sex: "男".into(),
        ..sample()
    };
    let v = validate(&birth, &ctx()).unwrap();
    assert_eq!(
        v.facts.name.family, "髙橋",
        "variant kanji is kept as registered"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let raw = RawChange {
        record_id: "bad id!".into(),
        family_name: "山田1郎".into(),
        sex: "M".into(),
        local_government_code: "130000".into(),
        effective_date: "2026-04-31".into(),
        ..sample()
    };
    let got = codes(validate(&raw, &ctx()));
    for expected in [
        ("JK-REC-0101", Some("record_id")),
        ("JK-REC-0103", Some("sex")),
        ("JK-CODE-0102", Some("local_government_code")),
        ("JK-NAME-0101", Some("family_name")),
    ] {
        assert!(got.contains(&expected), "{expected:?} not in {got:?}");
    }
    assert!(
        got.iter()
            .any(|(c, f)| c.starts_with("JK-DATE-") && *f == Some("effective_date")),
        "{got:?}"
    );
}

#[test]
fn codes_of_other_municipalities_and_future_dates_are_refused() {
    let raw = RawChange {
        local_government_code: "131202".into(),
        ..sample()
    };
    assert_eq!(
        codes(validate(&raw, &ctx())),
        vec![("JK-CODE-0104", Some("local_government_code"))]
    );
    let raw = RawChange {
        effective_date: "2026-04-11".into(),
        ..sample()
    };
    assert_eq!(
        codes(validate(&raw, &ctx())),
        vec![("JK-DATE-0110", Some("effective_date"))]
    );
    let raw = RawChange {
        birth_date: "2026-04-02".into(),
        ..sample()
    };
    assert_eq!(
        codes(validate(&raw, &ctx())),
        vec![("JK-DATE-0111", Some("birth_date"))]
    );
}

#[test]
fn a_designated_city_accepts_its_wards() {
    let ctx = ValidationContext {
        node: LocalGovernmentCode::parse("011002").unwrap(),
        ..ctx()
    };
    let raw = RawChange {
        local_government_code: "011011".into(),
        ..sample()
    };
    assert!(validate(&raw, &ctx).is_ok());
    let raw = RawChange {
        local_government_code: "011002".into(),
        ..sample()
    };
    assert_eq!(
        codes(validate(&raw, &ctx)),
        vec![("JK-CODE-0104", Some("local_government_code"))]
    );
}

#[test]
fn move_out_needs_plan_and_destination() {
    let raw = RawChange {
        change_kind: "転出".into(),
        ..sample()
    };
    let got = codes(validate(&raw, &ctx()));
    assert!(
        got.contains(&("JK-REC-0106", Some("planned_date"))),
        "{got:?}"
    );
    assert!(
        got.contains(&("JK-REC-0107", Some("destination_code"))),
        "{got:?}"
    );
    let raw = RawChange {
        change_kind: "転出".into(),
        planned_date: "2026-05-01".into(),
        destination_code: "272191".into(),
        destination_address: "府中町1番地".into(),
        ..sample()
    };
    let v = validate(&raw, &ctx()).unwrap();
    assert_eq!(v.destination.unwrap().code.unwrap().to_string(), "272191");
}

#[test]
fn resident_code_is_required_except_where_the_node_assigns_it() {
    let raw = RawChange {
        resident_code: String::new(),
        ..sample()
    };
    assert_eq!(
        codes(validate(&raw, &ctx())),
        vec![("JK-CODE-0203", Some("resident_code"))]
    );
    let raw = RawChange {
        change_kind: "出生".into(),
        resident_code: String::new(),
        birth_date: "2026-04-02".into(),
        effective_date: "2026-04-02".into(),
        ..sample()
    };
    assert_eq!(validate(&raw, &ctx()).unwrap().resident_code, None);
}

#[test]
fn latin_names_need_a_foreign_nationality() {
    let raw = RawChange {
        family_name: "SMITH".into(),
        given_name: "JOHN".into(),
        family_name_kana: String::new(),
        given_name_kana: String::new(),
        ..sample()
    };
    assert_eq!(
        codes(validate(&raw, &ctx())),
        vec![("JK-REC-0109", Some("nationality"))]
    );
    let raw = RawChange {
        nationality: "US".into(),
        ..raw
    };
    assert_eq!(
        validate(&raw, &ctx()).unwrap().facts.nationality.as_deref(),
        Some("US")
    );
}

fn stored(v: &ValidatedChange, status: RecordStatus) -> StoredResident {
    StoredResident {
        record: crate::record::IdentityRecord {
            resident_code: v.resident_code.unwrap(),
            facts: v.facts.clone(),
        },
        status,
        local: v.local.clone(),
    }
}

#[test]
fn transitions_follow_the_record_state() {
    let movein = validate(&sample(), &ctx()).unwrap();
    let code = movein.resident_code.unwrap();
    let Transition::Set(cur) = transition(None, &movein, code, None).unwrap() else {
        panic!()
    };
    assert_eq!(cur.status, RecordStatus::Current);
    assert_eq!(
        transition(Some(&cur), &movein, code, None)
            .unwrap_err()
            .code(),
        "JK-REC-0201"
    );

    let death = validate(
        &RawChange {
            change_kind: "死亡".into(),
            ..sample()
        },
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        transition(None, &death, code, None).unwrap_err().code(),
        "JK-REC-0202"
    );
    let Transition::Set(closed) = transition(Some(&cur), &death, code, None).unwrap() else {
        panic!()
    };
    assert_eq!(closed.status, RecordStatus::Closed);
    assert_eq!(
        transition(Some(&closed), &death, code, None)
            .unwrap_err()
            .code(),
        "JK-REC-0203"
    );
    // A resident who left may come back.
    assert!(
        transition(
            Some(&stored(&movein, RecordStatus::Closed)),
            &movein,
            code,
            None
        )
        .is_ok()
    );
}

#[test]
fn a_code_change_closes_the_old_code_and_continues_under_the_new() {
    let movein = validate(&sample(), &ctx()).unwrap();
    let code = movein.resident_code.unwrap();
    let cur = stored(&movein, RecordStatus::Current);
    let change = validate(
        &RawChange {
            change_kind: "住民票コード変更".into(),
            ..sample()
        },
        &ctx(),
    )
    .unwrap();
    let new_code = ResidentCode::from_body(1_000_000_001);
    let Transition::Recode { old, next } =
        transition(Some(&cur), &change, code, Some(new_code)).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (old.status, old.record.resident_code),
        (RecordStatus::Closed, code)
    );
    assert_eq!(
        (next.status, next.record.resident_code),
        (RecordStatus::Current, new_code)
    );
    assert_eq!(
        transition(Some(&cur), &change, code, Some(code))
            .unwrap_err()
            .code(),
        "JK-REC-0204"
    );
}

#[test]
fn kinds_round_trip_by_japanese_name() {
    for k in ChangeKind::ALL {
        assert_eq!(ChangeKind::parse(k.ja()), Some(k));
    }
    assert_eq!(ChangeKind::parse("転校"), None);
}

//! The gateway's checks of one record: 外字 through the mapping table first, then every field
//! rule of the domain (codes, dates, names, readings, the change kind's needs), then the
//! character set. Every problem is reported, each with its field, position and character.
//!
//! Whether a change fits the current record (no move-in of someone living here, no change to a
//! closed record) is decided where the record is, by the node's apply engine; the node's answer
//! joins the report with its own code.

use crate::charset::CharSet;
use crate::csv_input::Row;
use crate::gaiji::{GaijiTable, is_private_use};
use crate::input::Records;
use crate::load::RefusedRecord;
use crate::report::LinkageReport;
use juki_domain::catalogue::{GW_NOT_IN_CHARSET, NAME_PRIVATE_USE};
use juki_domain::change::validate;
use juki_domain::matching::fold_variant;
use juki_domain::{Problem, RawChange, ValidatedChange, ValidationContext};
use std::io::Read;

/// What a municipality configures for its gateway.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub charset: CharSet,
    pub gaiji: GaijiTable,
}

/// A record that passed every check.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub line: u64,
    /// The record as read, with 外字 translated: what goes on to the node.
    pub raw: RawChange,
    pub change: ValidatedChange,
}

/// Checks one record as a reader gave it.
pub fn check_row(
    row: Row,
    ctx: &ValidationContext,
    rules: &Rules,
) -> Result<Accepted, RefusedRecord> {
    match row {
        Err(e) => Err(RefusedRecord {
            line: e.line,
            record_id: e.record_id,
            resident_code: None,
            problems: vec![e.problem],
        }),
        Ok((line, mut raw)) => match check(&mut raw, ctx, rules) {
            Ok(change) => Ok(Accepted { line, raw, change }),
            Err(problems) => Err(RefusedRecord {
                line,
                record_id: Some(raw.record_id).filter(|r| !r.is_empty()),
                resident_code: Some(raw.resident_code).filter(|c| !c.is_empty()),
                problems,
            }),
        },
    }
}

/// Checks every record of a file: accepted ones are handed to `on_accepted` as they come (so
/// memory stays bounded by what the caller keeps); the report lists the refused ones.
pub fn check_all<R: Read>(
    records: &mut Records<R>,
    ctx: &ValidationContext,
    rules: &Rules,
    on_accepted: &mut dyn FnMut(Accepted),
) -> LinkageReport {
    let mut report = LinkageReport::default();
    while let Some(row) = records.next() {
        match check_row(row, ctx, rules) {
            Ok(a) => {
                report.accepted += 1;
                on_accepted(a);
            }
            Err(mut r) => {
                records.in_source_form(&mut r);
                report.refuse(r);
            }
        }
    }
    report.close(records.warnings().to_vec());
    report
}

/// The fields whose characters the character set governs, and whether the domain's name rules
/// already refuse private-use characters in them.
fn text_fields(raw: &mut RawChange) -> [(&'static str, &mut String, bool); 10] {
    [
        ("family_name", &mut raw.family_name, true),
        ("given_name", &mut raw.given_name, true),
        ("family_name_kana", &mut raw.family_name_kana, true),
        ("given_name_kana", &mut raw.given_name_kana, true),
        ("former_family_name", &mut raw.former_family_name, true),
        ("alias_name", &mut raw.alias_name, true),
        ("household_head", &mut raw.household_head, true),
        ("address", &mut raw.address, false),
        ("destination_address", &mut raw.destination_address, false),
        ("relationship", &mut raw.relationship, false),
    ]
}

/// Checks one record as the gateway does. `raw` is translated through the 外字 table in place,
/// so a report shows the values the rules saw.
pub fn check(
    raw: &mut RawChange,
    ctx: &ValidationContext,
    rules: &Rules,
) -> Result<ValidatedChange, Vec<Problem>> {
    let mut extra = Vec::new();
    for (field, value, name_rules) in text_fields(raw) {
        if let Some(t) = rules.gaiji.translate(value) {
            *value = t;
        }
        if !name_rules {
            unmapped_gaiji(field, value, &mut extra);
        }
    }
    let result = validate(raw, ctx);
    let problems_before = match &result {
        Ok(_) => &[][..],
        Err(ps) => ps.as_slice(),
    };
    if !matches!(rules.charset, CharSet::Unicode) {
        for (field, value, _) in text_fields(raw) {
            outside_charset(field, value, &rules.charset, problems_before, &mut extra);
        }
    }
    match result {
        Ok(v) if extra.is_empty() => Ok(v),
        Ok(_) => Err(extra),
        Err(mut ps) => {
            ps.extend(extra);
            Err(ps)
        }
    }
}

/// Private-use characters left after translation, in fields the name rules do not look at.
fn unmapped_gaiji(field: &'static str, value: &str, out: &mut Vec<Problem>) {
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| is_private_use(*c)) {
        out.push(Problem::new(&NAME_PRIVATE_USE).field(field).at(i + 1, c));
    }
}

/// Characters outside the character set, one problem per character (at most one per run);
/// characters another rule already refused, and private-use ones, are not repeated.
fn outside_charset(
    field: &'static str,
    value: &str,
    charset: &CharSet,
    before: &[Problem],
    out: &mut Vec<Problem>,
) {
    if value.is_ascii() {
        return;
    }
    let start = out.len();
    let mut previous_out = false;
    for (i, c) in value.chars().enumerate() {
        let outside = !charset.contains(c) && !is_private_use(c);
        let reported = || {
            before
                .iter()
                .any(|p| p.field == Some(field) && p.position == Some(i + 1))
        };
        if outside && !previous_out && !reported() {
            out.push(
                Problem::new(&GW_NOT_IN_CHARSET)
                    .field(field)
                    .at(i + 1, c)
                    .note(charset.name()),
            );
        }
        previous_out = outside;
    }
    if out.len() > start
        && let Some(s) = standard_form(value, charset)
    {
        for p in &mut out[start..] {
            p.suggestion = Some(s.clone());
        }
    }
}

/// `value` with each character outside the set replaced by its standard form (髙 → 高) when
/// every one has a standard form inside the set.
fn standard_form(value: &str, charset: &CharSet) -> Option<String> {
    value
        .chars()
        .map(|c| {
            if charset.contains(c) {
                Some(c)
            } else {
                Some(fold_variant(c)).filter(|f| *f != c && charset.contains(*f))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use juki_domain::{Date, LocalGovernmentCode};

    fn ctx() -> ValidationContext {
        ValidationContext {
            node: LocalGovernmentCode::parse("131148").unwrap(),
            today: Date::constant(2026, 4, 10),
        }
    }

    fn raw() -> RawChange {
        RawChange {
            record_id: "A1".into(),
            change_kind: "転入".into(),
            effective_date: "2026-04-01".into(),
            resident_code: "12345678903".into(),
            family_name: "高橋".into(),
            given_name: "湊".into(),
            family_name_kana: "タカハシ".into(),
            given_name_kana: "ミナト".into(),
            birth_date: "1998-07-14".into(),
            sex: "男".into(),
            local_government_code: "131148".into(),
            address: "中野二丁目3番4号".into(),
            ..RawChange::default()
        }
    }

    fn jis() -> Rules {
        Rules {
            charset: CharSet::Jis0208,
            ..Rules::default()
        }
    }

    fn codes(r: &Result<ValidatedChange, Vec<Problem>>) -> Vec<(&'static str, Option<&str>)> {
        match r {
            Ok(_) => vec![],
            Err(ps) => ps.iter().map(|p| (p.code(), p.field)).collect(),
        }
    }

    #[test]
    fn a_clean_record_passes_every_character_set() {
        for charset in [CharSet::Jis0208, CharSet::Unicode] {
            let rules = Rules {
                charset,
                ..Rules::default()
            };
            assert!(check(&mut raw(), &ctx(), &rules).is_ok());
        }
    }

    #[test]
    fn an_ibm_extension_kanji_is_refused_under_jis_x_0208_with_its_standard_form() {
        let mut r = raw();
        r.family_name = "髙橋".into();
        let result = check(&mut r, &ctx(), &jis());
        let Err(ps) = &result else { panic!() };
        assert_eq!(codes(&result), [("JK-GW-0201", Some("family_name"))]);
        assert_eq!(ps[0].codepoint().as_deref(), Some("U+9AD9"));
        assert_eq!(ps[0].suggestion.as_deref(), Some("高橋"));
        let unicode = Rules {
            charset: CharSet::Unicode,
            ..Rules::default()
        };
        assert!(check(&mut r, &ctx(), &unicode).is_ok());
    }

    #[test]
    fn gaiji_are_mapped_first_and_unmapped_ones_refused_in_every_field() {
        let rules = Rules {
            charset: CharSet::Unicode,
            gaiji: GaijiTable::parse("U+E000\tU+9AD9\n").unwrap(),
        };
        let mut r = raw();
        r.family_name = "\u{E000}橋".into();
        assert!(check(&mut r, &ctx(), &rules).is_ok());
        assert_eq!(r.family_name, "髙橋");
        let mut r = raw();
        r.family_name = "\u{E001}橋".into();
        r.address = "中野\u{E002}丁目".into();
        let result = check(&mut r, &ctx(), &rules);
        assert_eq!(
            codes(&result),
            [
                ("JK-NAME-0104", Some("family_name")),
                ("JK-NAME-0104", Some("address"))
            ]
        );
        let Err(ps) = result else { panic!() };
        assert_eq!(ps[1].codepoint().as_deref(), Some("U+E002"));
        assert_eq!(ps[1].position, Some(3));
    }

    #[test]
    fn a_character_refused_by_a_name_rule_is_not_reported_twice() {
        let mut r = raw();
        r.family_name = "①橋".into();
        let result = check(&mut r, &ctx(), &jis());
        assert_eq!(codes(&result), [("JK-NAME-0101", Some("family_name"))]);
        // Half-width kana: the name rule speaks, with the full-width suggestion.
        let mut r = raw();
        r.family_name_kana = "ﾀｶﾊｼ".into();
        let result = check(&mut r, &ctx(), &jis());
        assert_eq!(codes(&result), [("JK-NAME-0103", Some("family_name_kana"))]);
        let Err(ps) = result else { panic!() };
        assert_eq!(ps[0].suggestion.as_deref(), Some("タカハシ"));
    }
}

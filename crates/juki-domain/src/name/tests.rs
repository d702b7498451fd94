//! Tests of the name rules: snapshots of the error output, accepted names, properties.

use super::*;
use crate::catalogue;
use expect_test::{Expect, expect};
use proptest::prelude::*;

/// One problem per line, as a clerk reads them; `ok` and the stored value when valid.
fn render<T: std::fmt::Debug>(r: Result<T, Vec<Problem>>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}\n"),
        Err(problems) => problems.iter().map(|p| format!("{p}\n")).collect(),
    }
}

fn check_person(family: &str, given: &str, fk: &str, gk: &str, expect: Expect) {
    expect.assert_eq(&render(validate_person_name(family, given, fk, gk)));
}

fn check_alias(value: &str, expect: Expect) {
    expect.assert_eq(&render(validate_other_name(ALIAS_NAME, value)));
}

fn codes(r: Result<impl std::fmt::Debug, Vec<Problem>>) -> Vec<&'static str> {
    match r {
        Ok(_) => vec![],
        Err(problems) => problems.iter().map(Problem::code).collect(),
    }
}

fn person(family: &str, given: &str, fk: &str, gk: &str) -> PersonName {
    match validate_person_name(family, given, fk, gk) {
        Ok(p) => p,
        Err(problems) => panic!("{family} {given} refused: {problems:?}"),
    }
}

// Snapshots of the error output.

#[test]
fn digit_in_a_name() {
    check_person(
        "山田1郎",
        "",
        "ヤマダイチロウ",
        "",
        expect![[r#"
            JK-NAME-0101 family_name 3文字目 '1' (U+0031): 氏名に数字は使えません / Digits are not allowed in a name
        "#]],
    );
}

#[test]
fn halfwidth_kana_in_name_and_reading() {
    check_person(
        "ﾔﾏﾀﾞ",
        "太郎",
        "ﾔﾏﾀﾞ",
        "タロウ",
        expect![[r#"
            JK-NAME-0103 family_name 1文字目 'ﾔ' (U+FF94): 半角カタカナは使えません。全角カタカナで入力してください / Half-width katakana is not allowed; use full-width katakana [4 characters from here] → ヤマダ
            JK-NAME-0103 family_name_kana 1文字目 'ﾔ' (U+FF94): 半角カタカナは使えません。全角カタカナで入力してください / Half-width katakana is not allowed; use full-width katakana [4 characters from here] → ヤマダ
        "#]],
    );
}

#[test]
fn symbol_in_a_name() {
    check_person(
        "山田★",
        "花子",
        "ヤマダ",
        "ハナコ",
        expect![[r#"
            JK-NAME-0102 family_name 3文字目 '★' (U+2605): 氏名に記号は使えません / Symbols and punctuation are not allowed in a name
        "#]],
    );
}

#[test]
fn every_problem_of_a_record_at_once() {
    check_person(
        "山田★１",
        "ﾀﾛｳ",
        "やまだ",
        "",
        expect![[r#"
            JK-NAME-0102 family_name 3文字目 '★' (U+2605): 氏名に記号は使えません / Symbols and punctuation are not allowed in a name
            JK-NAME-0101 family_name 4文字目 '１' (U+FF11): 氏名に数字は使えません / Digits are not allowed in a name
            JK-NAME-0103 given_name 1文字目 'ﾀ' (U+FF80): 半角カタカナは使えません。全角カタカナで入力してください / Half-width katakana is not allowed; use full-width katakana [3 characters from here] → タロウ
            JK-NAME-0301 family_name_kana 1文字目 'や' (U+3084): 読み仮名はひらがなではなくカタカナで入力してください / A reading must be in katakana, not hiragana [3 characters from here] → ヤマダ
        "#]],
    );
    check_person(
        "Smith",
        "Ｊｏｈｎ  ",
        "すみす",
        "ジョン2",
        expect![[r#"
            JK-NAME-0201 family_name 2文字目 'm' (U+006D): 英字の氏名は大文字で入力してください / A Latin name must be in capital letters [4 characters from here] → SMITH
            JK-NAME-0202 given_name 1文字目 'Ｊ' (U+FF2A): 全角の英字や記号は使えません。半角で入力してください / Full-width Latin letters and signs are not allowed; use half-width [4 characters from here] → JOHN
            JK-NAME-0204 given_name 5文字目 ' ' (U+0020): 空白・ハイフン・アポストロフィは文字と文字の間に1つだけ置けます / A space, hyphen or apostrophe may only stand alone between two letters [2 characters from here] → JOHN
            JK-NAME-0301 family_name_kana 1文字目 'す' (U+3059): 読み仮名はひらがなではなくカタカナで入力してください / A reading must be in katakana, not hiragana [3 characters from here] → スミス
            JK-NAME-0101 given_name_kana 4文字目 '2' (U+0032): 氏名に数字は使えません / Digits are not allowed in a name
        "#]],
    );
    check_person(
        "",
        "ＳＭＩＴＨ",
        "",
        "",
        expect![[r#"
            JK-NAME-0112 family_name: 必須の項目が入力されていません / A required field is empty
            JK-NAME-0202 given_name 1文字目 'Ｓ' (U+FF33): 全角の英字や記号は使えません。半角で入力してください / Full-width Latin letters and signs are not allowed; use half-width [5 characters from here] → SMITH
        "#]],
    );
}

#[test]
fn wrong_scripts() {
    check_person(
        "SMITH",
        "太郎",
        "",
        "",
        expect![[r#"
            JK-NAME-0205 given_name: 氏と名の文字の種類（日本の文字・英字）が一致しません / The family name and the given name are in different scripts
        "#]],
    );
    check_person(
        "山田TARO",
        "",
        "ヤマダタロウ",
        "",
        expect![[r#"
            JK-NAME-0107 family_name 3文字目 'T' (U+0054): 英字と日本の文字を1つの氏名に混ぜることはできません / Latin letters and Japanese script cannot be mixed in one name [4 characters from here]
        "#]],
    );
    check_person(
        "김",
        "민준",
        "キム",
        "ミンジュン",
        expect![[r#"
            JK-NAME-0110 family_name 1文字目 '김' (U+AE40): 氏名に使えない文字です / This character cannot be used in a name
            JK-NAME-0110 given_name 1文字目 '민' (U+BBFC): 氏名に使えない文字です / This character cannot be used in a name [2 characters from here]
        "#]],
    );
}

#[test]
fn characters_no_other_system_can_read() {
    // 外字 in the BMP private use area and in plane 15, an unassigned code point, a noncharacter.
    check_alias(
        "山\u{E001}\u{E002}田\u{F0001}",
        expect![[r#"
            JK-NAME-0104 alias_name 2文字目 '' (U+E001): 外字（私用領域の文字）は文字対応表に登録されていないため使えません / A private-use character (外字) cannot be used without an entry in the character mapping table [2 characters from here]
            JK-NAME-0104 alias_name 5文字目 '󰀁' (U+F0001): 外字（私用領域の文字）は文字対応表に登録されていないため使えません / A private-use character (外字) cannot be used without an entry in the character mapping table
        "#]],
    );
    check_alias(
        "山\u{0378}\u{FDD0}\u{FFFF}",
        expect![[r#"
            JK-NAME-0105 alias_name 2文字目 '͸' (U+0378): Unicodeに存在しない文字（未割り当て、または非文字）です / The character is unassigned in Unicode or a noncharacter [3 characters from here]
        "#]],
    );
}

#[test]
fn spaces_and_controls() {
    check_alias(
        "山田 太郎",
        expect![[r#"
            JK-NAME-0106 alias_name 3文字目 ' ' (U+0020): 空白や制御文字は使えません / Spaces and control characters are not allowed here
        "#]],
    );
    check_alias(
        "　山田\t",
        expect![[r#"
            JK-NAME-0106 alias_name 1文字目 '　' (U+3000): 空白や制御文字は使えません / Spaces and control characters are not allowed here → 山田
            JK-NAME-0106 alias_name 4文字目 ' ' (U+0009): 空白や制御文字は使えません / Spaces and control characters are not allowed here → 山田
        "#]],
    );
    // An invisible zero-width space (the snapshot would hide it): dropped by the suggestion.
    let problems = validate_other_name(ALIAS_NAME, "山\u{200B}田").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        (problems[0].code(), problems[0].position),
        ("JK-NAME-0106", Some(2))
    );
    assert_eq!(problems[0].suggestion.as_deref(), Some("山田"));
}

#[test]
fn compatibility_ideographs_are_refused_not_folded() {
    // U+F91D is a compatibility form of 欄 (U+6B04); NFC would fold it.
    check_alias(
        "\u{F91D}木",
        expect![[r#"
            JK-NAME-0108 alias_name 1文字目 '欄' (U+F91D): CJK互換漢字は使えません。統合漢字と異体字セレクタで登録してください / A CJK compatibility ideograph is not allowed; register the unified kanji with a variation selector → 欄︀木
        "#]],
    );
    // The suggestion, a standardized variation sequence, is itself accepted and kept.
    check_alias(
        "\u{6B04}\u{FE00}木",
        expect![[r#"
            ok "欄\u{fe00}木"
        "#]],
    );
}

#[test]
fn variation_selectors_belong_after_a_kanji() {
    check_alias(
        "\u{E0100}山",
        expect![[r#"
            JK-NAME-0109 alias_name 1文字目 '󠄀' (U+E0100): 異体字セレクタは漢字の直後にしか置けません / A variation selector may only follow a kanji
        "#]],
    );
    check_alias(
        "やま\u{E0100}",
        expect![[r#"
            JK-NAME-0109 alias_name 3文字目 '󠄀' (U+E0100): 異体字セレクタは漢字の直後にしか置けません / A variation selector may only follow a kanji
        "#]],
    );
    check_alias(
        "山\u{E0100}\u{E0101}",
        expect![[r#"
            JK-NAME-0109 alias_name 3文字目 '󠄁' (U+E0101): 異体字セレクタは漢字の直後にしか置けません / A variation selector may only follow a kanji
        "#]],
    );
    // U+FE00 after 山 is no standardized variation sequence.
    check_alias(
        "山\u{FE00}",
        expect![[r#"
            JK-NAME-0109 alias_name 2文字目 '︀' (U+FE00): 異体字セレクタは漢字の直後にしか置けません / A variation selector may only follow a kanji
        "#]],
    );
}

#[test]
fn radicals_copied_from_a_pdf() {
    check_alias(
        "\u{2F2D}田",
        expect![[r#"
            JK-NAME-0111 alias_name 1文字目 '⼭' (U+2F2D): 部首の文字は漢字として使えません / A radical character is not a kanji → 山田
        "#]],
    );
}

#[test]
fn spacing_sound_marks_and_stray_marks() {
    check_alias(
        "カ゛ワ",
        expect![[r#"
            JK-NAME-0102 alias_name 2文字目 '゛' (U+309B): 氏名に記号は使えません / Symbols and punctuation are not allowed in a name → ガワ
        "#]],
    );
    check_alias(
        "山\u{3099}",
        expect![[r#"
            JK-NAME-0102 alias_name 2文字目 '゙' (U+3099): 氏名に記号は使えません / Symbols and punctuation are not allowed in a name
        "#]],
    );
}

#[test]
fn too_long() {
    let name = "山".repeat(JAPANESE_NAME_CHARS_MAX + 3);
    check_alias(
        &name,
        expect![[r#"
            JK-NAME-0113 alias_name 51文字目 '山' (U+5C71): 文字数が上限を超えています / The value is longer than allowed [at most 50 characters; 53 given]
        "#]],
    );
    let ok = "山".repeat(JAPANESE_NAME_CHARS_MAX);
    assert_eq!(validate_other_name(ALIAS_NAME, &ok), Ok(ok.clone()));
}

#[test]
fn problems_per_field_are_bounded() {
    let value = "山1".repeat(40);
    let problems = validate_other_name(ALIAS_NAME, &value).unwrap_err();
    // 16 digit runs, plus the over-length problem.
    assert_eq!(problems.len(), FIELD_PROBLEMS_MAX + 1);
    assert!(problems.iter().any(|p| p.code() == "JK-NAME-0113"));
}

#[test]
fn required_fields() {
    check_person(
        "",
        "",
        "",
        "",
        expect![[r#"
            JK-NAME-0112 family_name: 必須の項目が入力されていません / A required field is empty
            JK-NAME-0112 family_name_kana: 必須の項目が入力されていません / A required field is empty
        "#]],
    );
    // A Latin name needs no reading; a given name may be empty.
    assert!(validate_person_name("SMITH", "", "", "").is_ok());
    assert!(validate_person_name("山田", "", "ヤマダ", "").is_ok());
}

// Latin names.

#[test]
fn latin_names() {
    check_person(
        "smith",
        "john",
        "",
        "",
        expect![[r#"
            JK-NAME-0201 family_name 1文字目 's' (U+0073): 英字の氏名は大文字で入力してください / A Latin name must be in capital letters [5 characters from here] → SMITH
            JK-NAME-0201 given_name 1文字目 'j' (U+006A): 英字の氏名は大文字で入力してください / A Latin name must be in capital letters [4 characters from here] → JOHN
        "#]],
    );
    check_person(
        "GARCÍA",
        "JOSE\u{0301}",
        "",
        "",
        expect![[r#"
            JK-NAME-0203 family_name 5文字目 'Í' (U+00CD): 英字の氏名にアクセント記号付きの文字は使えません / Letters with diacritics are not allowed in a Latin name → GARCIA
            JK-NAME-0203 given_name 5文字目 '́' (U+0301): 英字の氏名にアクセント記号付きの文字は使えません / Letters with diacritics are not allowed in a Latin name → JOSE
        "#]],
    );
    check_person(
        "O’BRIEN",
        "MARY  ANN-",
        "",
        "",
        expect![[r#"
            JK-NAME-0102 family_name 2文字目 '’' (U+2019): 氏名に記号は使えません / Symbols and punctuation are not allowed in a name → O'BRIEN
            JK-NAME-0204 given_name 5文字目 ' ' (U+0020): 空白・ハイフン・アポストロフィは文字と文字の間に1つだけ置けます / A space, hyphen or apostrophe may only stand alone between two letters [2 characters from here] → MARY ANN
            JK-NAME-0204 given_name 10文字目 '-' (U+002D): 空白・ハイフン・アポストロフィは文字と文字の間に1つだけ置けます / A space, hyphen or apostrophe may only stand alone between two letters → MARY ANN
        "#]],
    );
    check_person(
        "SMITH, JOHN",
        "",
        "",
        "",
        expect![[r#"
            JK-NAME-0102 family_name 6文字目 ',' (U+002C): 氏名に記号は使えません / Symbols and punctuation are not allowed in a name → SMITH JOHN
        "#]],
    );
    check_person(
        "STRAßE",
        "ØSTERGÅRD",
        "",
        "",
        expect![[r#"
            JK-NAME-0203 family_name 5文字目 'ß' (U+00DF): 英字の氏名にアクセント記号付きの文字は使えません / Letters with diacritics are not allowed in a Latin name → STRASSE
            JK-NAME-0203 given_name 1文字目 'Ø' (U+00D8): 英字の氏名にアクセント記号付きの文字は使えません / Letters with diacritics are not allowed in a Latin name → OSTERGARD
            JK-NAME-0203 given_name 7文字目 'Å' (U+00C5): 英字の氏名にアクセント記号付きの文字は使えません / Letters with diacritics are not allowed in a Latin name → OSTERGARD
        "#]],
    );
}

#[test]
fn accepted_latin_names() {
    for (family, given) in [
        ("SMITH", "JOHN"),
        ("O'BRIEN", "SEAN"),
        ("GARCIA-LOPEZ", "MARIA JOSE"),
        ("NGUYEN", ""),
    ] {
        let p = person(family, given, "", "");
        assert_eq!((p.family.as_str(), p.given.as_str()), (family, given));
        assert_eq!(p.script, Script::Latin);
    }
    let p = person("SMITH", "JOHN", "スミス", "ジョン");
    assert_eq!(p.family_kana, "スミス");
}

// Readings.

#[test]
fn readings() {
    check_person(
        "佐藤",
        "花子",
        "サトウ",
        "はなこ",
        expect![[r#"
            JK-NAME-0301 given_name_kana 1文字目 'は' (U+306F): 読み仮名はひらがなではなくカタカナで入力してください / A reading must be in katakana, not hiragana [3 characters from here] → ハナコ
        "#]],
    );
    check_person(
        "佐藤",
        "花子",
        "佐藤",
        "ハナコ ",
        expect![[r#"
            JK-NAME-0302 family_name_kana 1文字目 '佐' (U+4F50): 読み仮名に使える文字は全角カタカナと「ー」「・」だけです / A reading may contain only full-width katakana, ー and ・ [2 characters from here]
            JK-NAME-0106 given_name_kana 4文字目 ' ' (U+0020): 空白や制御文字は使えません / Spaces and control characters are not allowed here → ハナコ
        "#]],
    );
    check_person(
        "佐々木",
        "",
        "サヽキ",
        "",
        expect![[r#"
            JK-NAME-0302 family_name_kana 2文字目 'ヽ' (U+30FD): 読み仮名に使える文字は全角カタカナと「ー」「・」だけです / A reading may contain only full-width katakana, ー and ・
        "#]],
    );
}

#[test]
fn readings_with_middle_dot_and_long_vowel_mark() {
    let p = person("SMITH", "JOHN", "スミス・ジョーンズ", "ジョン");
    assert_eq!(p.family_kana, "スミス・ジョーンズ");
    let p = person("大野", "ゆうこ", "オオノ", "ユーコ");
    assert_eq!(p.given_kana, "ユーコ");
    // Small kana, ヴ, ヵ, ヶ, the small katakana extension.
    let p = person("山田", "", "ヴァッヵヶㇰ", "");
    assert_eq!(p.family_kana, "ヴァッヵヶㇰ");
}

// Accepted Japanese-script names.

#[test]
fn accepted_japanese_names() {
    for (family, fk) in [
        ("佐々木", "ササキ"),
        ("髙橋", "タカハシ"),
        ("山﨑", "ヤマサキ"),
        ("〆木", "シメキ"),
        ("一ノ瀬", "イチノセ"),
        ("佐藤ヶ", "サトウガ"),
        ("やまだ", "ヤマダ"),
        ("ヤマダ", "ヤマダ"),
        ("𠮷田", "ヨシダ"),
        ("みすゞ", "ミスズ"),
        ("葛\u{E0100}西", "カサイ"),
        ("﨑\u{E0101}", "サキ"),
    ] {
        let p = person(family, "", fk, "");
        assert_eq!(p.family, family, "stored as given");
        assert_eq!(p.script, Script::Japanese);
    }
}

#[test]
fn variant_kanji_are_never_folded() {
    for name in ["髙", "﨑", "邉", "齋", "澤", "國", "廣", "\u{FA11}"] {
        assert_eq!(validate_other_name(ALIAS_NAME, name), Ok(name.to_owned()));
    }
}

#[test]
fn decomposed_kana_are_stored_composed() {
    let p = person("カ\u{3099}ワ", "", "カ\u{3099}ワ", "");
    assert_eq!(p.family, "ガワ");
    assert_eq!(p.family_kana, "ガワ");
}

#[test]
fn other_names() {
    assert_eq!(
        validate_other_name(FORMER_FAMILY_NAME, ""),
        Ok(String::new())
    );
    assert_eq!(
        validate_other_name(ALIAS_NAME, "山田"),
        Ok("山田".to_owned())
    );
    assert_eq!(
        validate_other_name(ALIAS_NAME, "SMITH"),
        Ok("SMITH".to_owned())
    );
    assert_eq!(
        codes(validate_other_name(FORMER_FAMILY_NAME, "田中2")),
        ["JK-NAME-0101"]
    );
}

#[test]
fn script_is_that_of_the_first_letter() {
    assert_eq!(script_of("SMITH"), Some(Script::Latin));
    assert_eq!(script_of("ｓｍｉｔｈ"), Some(Script::Latin));
    assert_eq!(script_of("1SMITH"), Some(Script::Latin));
    assert_eq!(script_of("山田"), Some(Script::Japanese));
    assert_eq!(script_of("ﾔﾏﾀﾞ"), Some(Script::Japanese));
    assert_eq!(script_of("123"), None);
}

// Matching.

#[test]
fn search_keys() {
    let taro = person("山田", "太郎", "ヤマダ", "タロウ");
    assert_eq!(search_key(&taro), "ヤマダタロウ");
    assert_eq!(kana_search_key("やまだ たろう"), search_key(&taro));
    assert_eq!(kana_search_key("ﾔﾏﾀﾞ　ﾀﾛｳ"), search_key(&taro));
    assert_eq!(kana_search_key("ヤマダ・タロウ"), search_key(&taro));
    assert_eq!(kana_search_key("キョウコ"), kana_search_key("キヨウコ"));
    assert_eq!(kana_search_key("ハットリ"), "ハツトリ");
    assert_eq!(kana_search_key("ヵヶ"), "カケ");
    assert_eq!(kana_search_key("ちぢみ"), kana_search_key("チジミ"));
    assert_eq!(kana_search_key("ツヅキ"), kana_search_key("つずき"));
    assert_eq!(kana_search_key("サトー"), "サト");
    assert_eq!(kana_search_key("カ\u{3099}カ゛ｶﾞ"), "ガガガ");
    assert_eq!(kana_search_key("みすゞ"), "ミスズ");
    assert_eq!(kana_search_key("佐々木"), "佐々木");

    let smith = person("SMITH", "JOHN", "", "");
    assert_eq!(search_key(&smith), "SMITHJOHN");
    assert_eq!(kana_search_key("Smith John"), "SMITHJOHN");
    assert_eq!(kana_search_key("O'BRIEN"), "OBRIEN");
    assert_eq!(kana_search_key("García-López"), "GARCIALOPEZ");
    assert_eq!(latin_search_key(&smith).as_deref(), Some("SMITHJOHN"));
    let with_reading = person("SMITH", "JOHN", "スミス", "ジョン");
    assert_eq!(search_key(&with_reading), "スミスジヨン");
    assert_eq!(
        latin_search_key(&with_reading).as_deref(),
        Some("SMITHJOHN")
    );
    assert_eq!(latin_search_key(&taro), None);
}

// Properties.

fn from(range: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = char> {
    range.prop_map(|u| char::from_u32(u).expect("test ranges hold no surrogates"))
}

fn kanji() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => from(0x4E00..=0x9FFF),
        1 => from(0x3400..=0x4DBF),
        1 => from(0x20000..=0x2A6DF),
        1 => prop::sample::select(vec!['\u{FA0E}', '\u{FA11}', '\u{FA1F}', '\u{FA29}']),
    ]
}

/// A piece of a valid Japanese-script name: a kanji (maybe with an IVS), a kana or a mark.
fn japanese_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        (kanji(), prop::option::of(from(0xE0100..=0xE01EF))).prop_map(|(k, vs)| {
            let mut s = String::from(k);
            s.extend(vs);
            s
        }),
        from(0x3041..=0x3096).prop_map(String::from),
        from(0x30A1..=0x30FA).prop_map(String::from),
        prop::sample::select(vec!['ー', 'ゝ', 'ゞ', 'ヽ', 'ヾ', '々', '〆', 'ヶ', 'ノ'])
            .prop_map(String::from),
    ]
}

fn reading_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => from(0x30A1..=0x30FA),
        1 => from(0x31F0..=0x31FF),
        1 => prop::sample::select(vec!['ー', '・']),
    ]
}

fn latin_name() -> impl Strategy<Value = String> {
    (
        "[A-Z]{1,10}",
        prop::collection::vec(
            (prop::sample::select(vec![' ', '-', '\'']), "[A-Z]{1,10}"),
            0..4,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut s = first;
            for (sep, word) in rest {
                s.push(sep);
                s.push_str(&word);
            }
            s
        })
}

/// Characters that exercise every rule, and now and then any character at all.
fn messy_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(
            "山田髙﨑佐々木〆ノヶやまだヤマダァッャヂヅヰヲゝヽヾーﾔﾏﾀﾞﾟｰ･・ 　-'’゛゜AZaz1１★＠ＳｓÉéß\t\u{3099}\u{309A}\u{0301}\u{E0100}\u{FE00}\u{F91D}\u{E000}\u{2F2D}\u{200B}"
                .chars()
                .collect::<Vec<_>>()
        ),
        1 => any::<char>(),
    ]
}

proptest! {
    #[test]
    fn valid_japanese_names_are_kept_unchanged(
        family in prop::collection::vec(japanese_piece(), 1..=25).prop_map(|v| v.concat()),
        given in prop::collection::vec(japanese_piece(), 0..=25).prop_map(|v| v.concat()),
        reading in prop::collection::vec(reading_char(), 1..=100).prop_map(String::from_iter),
    ) {
        prop_assert_eq!(is_nfc_quick(family.chars()), IsNormalized::Yes);
        let p = validate_person_name(&family, &given, &reading, &reading);
        prop_assert!(p.is_ok(), "{:?}", p);
        let p = p.expect("checked above");
        prop_assert_eq!(&p.family, &family);
        prop_assert_eq!(&p.given, &given);
        prop_assert_eq!(&p.family_kana, &reading);
        prop_assert_eq!(p.script, Script::Japanese);
    }

    #[test]
    fn valid_latin_names_are_kept_unchanged(family in latin_name(), given in latin_name()) {
        let p = validate_person_name(&family, &given, "", "");
        prop_assert!(p.is_ok(), "{:?}", p);
        let p = p.expect("checked above");
        prop_assert_eq!((&p.family, &p.given), (&family, &given));
        prop_assert_eq!(p.script, Script::Latin);
    }

    #[test]
    fn a_suggestion_always_passes(value in prop::collection::vec(messy_char(), 1..12).prop_map(String::from_iter)) {
        if let Err(problems) = validate_other_name(ALIAS_NAME, &value) {
            for s in problems.iter().filter_map(|p| p.suggestion.as_deref()) {
                prop_assert!(validate_other_name(ALIAS_NAME, s).is_ok(), "{:?} → {:?}", value, s);
            }
        }
        if let Err(problems) = validate_person_name("山田", "", &value, "") {
            for s in problems.iter().filter_map(|p| p.suggestion.as_deref()) {
                prop_assert!(validate_person_name("山田", "", s, "").is_ok(), "{:?} → {:?}", value, s);
            }
        }
    }

    #[test]
    fn validation_never_panics_and_positions_are_in_range(value in any::<String>()) {
        let len = value.chars().count();
        for r in [validate_other_name(ALIAS_NAME, &value).err(), validate_person_name("山田", "", &value, "").err()] {
            for p in r.unwrap_or_default() {
                prop_assert!(p.position.is_none_or(|pos| (1..=len).contains(&pos)));
            }
        }
    }

    #[test]
    fn search_key_is_idempotent(value in prop::collection::vec(messy_char(), 0..16).prop_map(String::from_iter)) {
        let key = kana_search_key(&value);
        prop_assert_eq!(kana_search_key(&key), key.clone());
        let name = PersonName {
            family: value.clone(),
            given: String::new(),
            family_kana: value.clone(),
            given_kana: value,
            script: Script::Japanese,
        };
        let key = search_key(&name);
        prop_assert_eq!(kana_search_key(&key), key);
    }

    #[test]
    fn hiragana_and_katakana_readings_have_one_key(
        reading in prop::collection::vec(from(0x30A1..=0x30F6), 1..20).prop_map(String::from_iter)
    ) {
        let hiragana: String = reading
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x60).expect("katakana - 0x60 is hiragana"))
            .collect();
        prop_assert_eq!(kana_search_key(&hiragana), kana_search_key(&reading));
        let name = person("山田", "", &reading, "");
        prop_assert_eq!(search_key(&name), kana_search_key(&hiragana));
    }

    #[test]
    fn a_space_between_family_and_given_changes_nothing(
        family in prop::collection::vec(messy_char(), 0..8).prop_map(String::from_iter),
        given in prop::collection::vec(messy_char(), 0..8).prop_map(String::from_iter),
    ) {
        let name = PersonName {
            family: String::new(),
            given: String::new(),
            family_kana: family.clone(),
            given_kana: given.clone(),
            script: Script::Japanese,
        };
        prop_assume!(!family.is_empty() || !given.is_empty());
        prop_assert_eq!(search_key(&name), kana_search_key(&format!("{family} {given}")));
    }
}

#[test]
fn documented_classes() {
    let alias = |v: &str| codes(validate_other_name(ALIAS_NAME, v));
    assert_eq!(alias("山〇"), ["JK-NAME-0101"]);
    assert_eq!(alias("山①"), ["JK-NAME-0101"]);
    assert_eq!(alias("山Ⅲ"), ["JK-NAME-0101"]);
    assert_eq!(alias("山・田"), ["JK-NAME-0102"]);
    assert_eq!(alias("山＠"), ["JK-NAME-0102"]);
    assert_eq!(alias("山〻"), ["JK-NAME-0110"]);
    assert_eq!(alias("ゟ"), ["JK-NAME-0110"]);
    assert_eq!(alias("SMITH山"), ["JK-NAME-0107"]);
    assert_eq!(alias("SMITHﾔ"), ["JK-NAME-0107"]);
    assert_eq!(alias("山\u{2FA1E}"), ["JK-NAME-0105"]);
    assert_eq!(alias("\u{2F800}"), ["JK-NAME-0108"]);
    assert_eq!(alias("ヷヸヹヺ"), Vec::<&str>::new());

    let fullwidth_space = validate_other_name(ALIAS_NAME, "SMITH　JOHN").unwrap_err();
    assert_eq!(fullwidth_space[0].code(), "JK-NAME-0202");
    assert_eq!(fullwidth_space[0].suggestion.as_deref(), Some("SMITH JOHN"));

    let dot = validate_person_name("SMITH", "", "ｽﾐｽ･ｼﾞｮﾝ", "").unwrap_err();
    assert_eq!(dot[0].suggestion.as_deref(), Some("スミス・ジョン"));
}

/// Every code a name can produce is defined in this area, and every definition is reachable.
#[test]
fn every_name_code_is_used() {
    let samples = [
        ("1", "JK-NAME-0101"),
        ("山★", "JK-NAME-0102"),
        ("ﾔ", "JK-NAME-0103"),
        ("\u{E000}", "JK-NAME-0104"),
        ("山\u{FFFF}", "JK-NAME-0105"),
        ("山 田", "JK-NAME-0106"),
        ("山A", "JK-NAME-0107"),
        ("\u{F91D}", "JK-NAME-0108"),
        ("\u{E0100}", "JK-NAME-0109"),
        ("Ωメガ", "JK-NAME-0110"),
        ("\u{2F2D}", "JK-NAME-0111"),
        ("Smith", "JK-NAME-0201"),
        ("ＳＭＩＴＨ", "JK-NAME-0202"),
        ("É", "JK-NAME-0203"),
        ("A  B", "JK-NAME-0204"),
    ];
    let mut seen: Vec<&str> = vec!["JK-NAME-0112", "JK-NAME-0113", "JK-NAME-0205"];
    for (value, code) in samples {
        assert_eq!(
            codes(validate_other_name(ALIAS_NAME, value)),
            [code],
            "{value}"
        );
        seen.push(code);
    }
    for (reading, code) in [("やま", "JK-NAME-0301"), ("山", "JK-NAME-0302")] {
        assert_eq!(
            codes(validate_person_name("山", "", reading, "")),
            [code],
            "{reading}"
        );
        seen.push(code);
    }
    let mut defined: Vec<&str> = catalogue::all()
        .into_iter()
        .map(|d| d.code)
        .filter(|c| c.starts_with("JK-NAME-"))
        .collect();
    defined.sort_unstable();
    seen.sort_unstable();
    assert_eq!(defined, seen);
}

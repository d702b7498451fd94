//! Tests of the matching layer: the variant table, name and address keys, scores, properties.

use super::*;
use crate::record::Address;
use crate::{BirthDate, Script};
use proptest::prelude::*;

#[test]
fn the_variant_table_folds_to_forms_it_never_folds_again() {
    for &(from, to) in VARIANTS {
        assert_ne!(from, to);
        assert_eq!(fold_variant(to), to, "{to} is folded again");
        assert_eq!(
            VARIANTS.iter().filter(|(f, _)| *f == from).count(),
            1,
            "{from} is listed twice"
        );
        // Every entry is a unified ideograph that NFC keeps, so the table is what folds it.
        assert_eq!(from.to_string().nfc().collect::<String>(), from.to_string());
    }
}

#[test]
fn names_in_variant_forms_fold_equal() {
    for (a, b) in [
        ("髙橋", "高橋"),
        ("山﨑", "山崎"),
        ("山嵜", "山崎"),
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("齋藤", "斎藤"),
        ("齊藤", "斉藤"),
        ("澤田", "沢田"),
        ("國廣", "国広"),
        ("濱田", "浜田"),
        ("櫻井", "桜井"),
        ("惠子", "恵子"),
        ("德永", "徳永"),
        ("眞理", "真理"),
        ("龍也", "竜也"),
        ("冨田", "富田"),
        ("中嶋", "中島"),
        ("小峯", "小峰"),
        ("瀨川", "瀬川"),
        ("籠谷", "篭谷"),
        ("藪内", "薮内"),
        ("槇原", "槙原"),
        ("曾根", "曽根"),
        ("與田", "与田"),
        ("實", "実"),
        ("藏本", "蔵本"),
        ("兒玉", "児玉"),
        ("淺野", "浅野"),
        ("小埜", "小野"),
        ("增田", "増田"),
        ("北條", "北条"),
        ("𠮷田", "吉田"),
        // Compatibility ideographs reach their unified kanji through NFC.
        ("\u{FA10}本", "塚本"),
        ("\u{F9DC}", "隆"),
        ("\u{FA4F}介", "祐介"),
        // A variation selector does not make another name.
        ("葛\u{E0100}西", "葛西"),
        ("髙橋 一郎", "高橋一郎"),
    ] {
        assert_eq!(name_key(a), name_key(b), "{a} / {b}");
    }
    assert_ne!(name_key("高橋"), name_key("高端"));
    assert_ne!(name_key("伊藤"), name_key("伊東"));
    assert_eq!(name_key("やまだ たろう"), "ヤマダタロウ");
}

#[test]
fn addresses_in_other_notations_fold_equal() {
    for forms in [
        &[
            "中野二丁目3番4号",
            "中野2丁目3番4号",
            "中野２丁目３番４号",
            "中野2-3-4",
            "中野２－３－４",
            "中野 2 - 3 - 4",
            "中野二丁目三番四号",
            "中野2ー3ー4",
            "中野2‐3‐4",
        ][..],
        &["大字上野123番地4", "上野123-4", "大字上野百二十三番地四"],
        &["大字上野123番地", "上野123"],
        &[
            "中央1-3-4 ひかりハイツ201",
            "中央一丁目3番4号ひかりハイツ201号室",
            "中央１－３－４　ひかりハイツ２０１",
        ],
        &["本町十二丁目1番1号", "本町12-1-1"],
        &["本町二〇丁目1番1号", "本町20丁目1-1"],
    ] {
        let key = address_key(forms[0]);
        for f in forms {
            assert_eq!(address_key(f), key, "{f} / {}", forms[0]);
        }
    }
    assert_eq!(address_key("中野二丁目3番4号"), "中野2-3-4");
    // A dash dropped between 丁 and 目 joins them: the key settles in one call all the same.
    assert_eq!(address_key("０丁-目"), "0");
    assert_eq!(address_key("大字上野123番地4"), "上野123-4");
    assert_ne!(address_key("中野2-3-4"), address_key("中野2-3-5"));
    assert_ne!(address_key("中野2-3-4"), address_key("中野2-34"));
}

fn facts(family: &str, given: &str, fk: &str, gk: &str, address: &str) -> IdentityFacts {
    IdentityFacts {
        name: PersonName {
            family: family.into(),
            given: given.into(),
            family_kana: fk.into(),
            given_kana: gk.into(),
            script: Script::Japanese,
        },
        birth_date: BirthDate::parse_stored("1980-05-06").unwrap(),
        sex: Sex::Male,
        address: Address {
            code: LocalGovernmentCode::parse("131148").unwrap(),
            remainder: address.into(),
        },
        individual_number: None,
        former_family_name: None,
        alias_name: None,
        nationality: None,
    }
}

fn query(name: Option<&str>, address: Option<&str>) -> MatchQuery {
    MatchQuery {
        kana: "たかはし いちろう".into(),
        birth_date: BirthDate::parse_stored("1980-05-06").unwrap(),
        sex: Sex::Male,
        name: name.map(Into::into),
        address_code: Some(LocalGovernmentCode::parse("131148").unwrap()),
        address: address.map(Into::into),
    }
}

#[test]
fn scores_say_how_the_record_fits() {
    let r = facts("髙橋", "一郎", "タカハシ", "イチロウ", "中野二丁目3番4号");
    let exact = score(&query(Some("髙橋 一郎"), Some("中野二丁目3番4号")), &r);
    assert_eq!(
        exact,
        MatchScore {
            quality: Quality::Exact,
            score: 100
        }
    );
    let strong = score(&query(Some("高橋一郎"), Some("中野2-3-4")), &r);
    assert_eq!(strong.quality, Quality::Strong);
    assert!(strong.score < 100 && strong.score >= 95, "{strong:?}");
    let no_name = score(&query(None, None), &r);
    assert_eq!((no_name.quality, no_name.score), (Quality::Exact, 100));
    let other_name = score(&query(Some("高端一郎"), Some("中野2-3-4")), &r);
    assert_eq!(other_name.quality, Quality::Weak);
    let moved = score(&query(Some("高橋一郎"), Some("中野5-1-1")), &r);
    assert_eq!(moved.quality, Quality::Weak);
    assert!(
        moved.score > other_name.score,
        "a name weighs more than an address"
    );
    let mut other_day = query(Some("高橋一郎"), None);
    other_day.birth_date = BirthDate::parse_stored("1980-05-07").unwrap();
    assert_eq!(score(&other_day, &r).quality, Quality::Weak);
    // The municipality's name in front of the address is taken off.
    for written in ["東京都中野区中野2-3-4", "中野区中野二丁目3番4号"] {
        let s = score(&query(Some("高橋一郎"), Some(written)), &r);
        assert_eq!(
            (s.quality, s.score),
            (Quality::Strong, strong.score),
            "{written}"
        );
    }
    // A building left out of the query still counts.
    let flat = facts(
        "高橋",
        "一郎",
        "タカハシ",
        "イチロウ",
        "中央1-3-4 ひかりハイツ201",
    );
    let s = score(&query(Some("高橋一郎"), Some("中央一丁目3番4号")), &flat);
    assert_eq!(s.quality, Quality::Strong);
}

#[test]
fn ranking_puts_the_folded_name_and_address_first() {
    let records = [
        facts("高端", "一郎", "タカハシ", "イチロウ", "中野2-3-4"),
        facts("髙橋", "一郎", "タカハシ", "イチロウ", "弥生町1-1-1"),
        facts("髙橋", "一郎", "タカハシ", "イチロウ", "中野二丁目3番4号"),
    ];
    let ranked = rank(&query(Some("高橋一郎"), Some("中野2-3-4")), &records);
    let order: Vec<usize> = ranked.iter().map(|(i, _)| *i).collect();
    assert_eq!(order, [2, 1, 0]);
    assert_eq!(ranked[0].1.quality, Quality::Strong);
}

/// Names from the table's characters and ordinary kanji and kana.
fn name_strategy() -> impl Strategy<Value = String> {
    let chars: Vec<char> = VARIANTS
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .chain("山田中野佐藤あいうカキクー 々ノ".chars())
        .collect();
    proptest::collection::vec(proptest::sample::select(chars), 0..12)
        .prop_map(|v| v.into_iter().collect())
}

fn address_strategy() -> impl Strategy<Value = (String, String)> {
    (
        proptest::sample::select(vec!["中野", "本町", "上野", "弥生町", "中央"]),
        1u32..100,
        1u32..60,
        0u32..40,
    )
        .prop_map(|(town, chome, ban, go)| {
            let kanji = kanji_numerals(chome);
            let written = if go == 0 {
                format!("{town}{kanji}丁目{ban}番")
            } else {
                format!("{town}{kanji}丁目{ban}番{go}号")
            };
            let hyphens = if go == 0 {
                format!("{town}{}－{}", full_width(chome), full_width(ban))
            } else {
                format!(
                    "{town}{}－{}－{}",
                    full_width(chome),
                    full_width(ban),
                    full_width(go)
                )
            };
            (written, hyphens)
        })
}

fn kanji_numerals(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let (tens, ones) = ((n / 10) as usize, (n % 10) as usize);
    match tens {
        0 => D[ones].to_string(),
        1 => format!("十{}", D[ones]),
        _ => format!("{}十{}", D[tens], D[ones]),
    }
}

fn full_width(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
        .collect()
}

proptest! {
    #[test]
    fn name_keys_are_idempotent(name in name_strategy()) {
        let k = name_key(&name);
        prop_assert_eq!(name_key(&k), k);
    }

    #[test]
    fn a_name_and_its_variant_form_fold_equal(name in name_strategy()) {
        // Replace every folded form by its first variant: the old-form spelling of the name.
        let old: String = name
            .chars()
            .map(|c| VARIANTS.iter().find(|(_, to)| *to == c).map_or(c, |(from, _)| *from))
            .collect();
        prop_assert_eq!(name_key(&old), name_key(&name));
    }

    #[test]
    fn address_keys_are_idempotent(a in "[一二三十0-9０-９中野本町丁目番地号の－\\- ]{0,16}") {
        let k = address_key(&a);
        prop_assert_eq!(address_key(&k), k);
    }

    #[test]
    fn address_forms_fold_equal((written, hyphens) in address_strategy()) {
        prop_assert_eq!(address_key(&written), address_key(&hyphens));
    }
}

//! Identity verification by the four facts: the match rate of the matching rules on a
//! synthetic variant set, and the search on the demo nation as real processes — an agency finds
//! a resident from a query in variant kanji and another address notation, the resident's
//! disclosure report shows the lookup with its purpose, and a clerk is refused.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use juki_domain::matching::{MatchQuery, VARIANTS, rank};
use juki_domain::name::{PersonName, script_of, search_key};
use juki_domain::record::Address;
use juki_domain::{BirthDate, IdentityFacts, LocalGovernmentCode, Script, Sex};
use std::collections::HashMap;
use std::path::Path;
use util::demo::{Demo, free_base};
use util::*;

/// The name as an agency might hold it: old forms written new (髙橋 → 高橋) and, for a name in
/// new forms only, its first character that has an old form written old (高橋 → 髙橋).
fn variant_of(name: &str) -> String {
    let folded: String = name
        .chars()
        .map(|c| {
            VARIANTS
                .iter()
                .find(|(f, _)| *f == c)
                .map_or(c, |(_, t)| *t)
        })
        .collect();
    if folded != name {
        return folded;
    }
    let mut done = false;
    name.chars()
        .map(|c| match (done, VARIANTS.iter().find(|(_, t)| *t == c)) {
            (false, Some((f, _))) => {
                done = true;
                *f
            }
            _ => c,
        })
        .collect()
}

fn has_variant(name: &str) -> bool {
    variant_of(name) != name
}

const KANJI: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

fn kanji_number(n: u32) -> String {
    match (n / 10, n % 10) {
        (0, o) => KANJI[o as usize].to_string(),
        (1, o) => format!("十{}", KANJI[o as usize]),
        (t, o) => format!("{}十{}", KANJI[t as usize], KANJI[o as usize]),
    }
}

fn kanji_value(s: &str) -> Option<u32> {
    (1..100).find(|&n| kanji_number(n) == s)
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
            '-' => '－',
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// The address in another notation than the register's, written independently of the
/// matching code: `本町二丁目3番4号` as `本町２－３－４`, `本町2丁目3番4号` and `中央1-3-4` with
/// the 丁目 in kanji numerals, `大字上野123番地4` as `上野123-4`; a building after a full-width
/// space.
fn other_notation(address: &str) -> String {
    let (main, building) = match address.split_once(' ') {
        Some((m, b)) => (m, format!("\u{3000}{b}")),
        None => (address, String::new()),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty();
    let out = if let Some(rural) = main.strip_prefix("大字") {
        rural
            .replacen("番地", "-", 1)
            .trim_end_matches('-')
            .to_string()
    } else if let Some((head, tail)) = main.split_once("丁目") {
        // The 丁目 number ends the head: the longest run of digits or kanji numerals there.
        let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十".contains(c);
        let at = head
            .char_indices()
            .rev()
            .take_while(|(_, c)| numeral(*c))
            .last()
            .map_or(head.len(), |(i, _)| i);
        let (town, chome) = head.split_at(at);
        let (ban, go) = tail.trim_end_matches('号').split_once('番').unwrap();
        if digits(chome) {
            format!(
                "{town}{}丁目{ban}番{go}号",
                kanji_number(chome.parse().unwrap())
            )
        } else {
            let chome = kanji_value(chome).unwrap().to_string();
            full_width(&format!("{town}{chome}-{ban}-{go}"))
        }
    } else {
        let at = main
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit())
            .map_or(main.len(), |(i, _)| i);
        let (town, nums) = main.split_at(at);
        let n: Vec<&str> = nums.split('-').collect();
        format!(
            "{town}{}丁目{}番{}号",
            kanji_number(n[0].parse().unwrap()),
            n[1],
            n[2]
        )
    };
    format!("{out}{building}")
}

/// A resident of a synthetic population.
struct Resident {
    code: String,
    facts: IdentityFacts,
}

fn residents(csv_bytes: &[u8]) -> Vec<Resident> {
    let mut r = csv::Reader::from_reader(csv_bytes);
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let cols = [
        "resident_code",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "birth_date",
        "sex",
        "local_government_code",
        "address",
    ]
    .map(col);
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |i: usize| rec[cols[i]].to_string();
            Resident {
                code: f(0),
                facts: IdentityFacts {
                    name: PersonName {
                        script: script_of(&f(1)).unwrap_or(Script::Japanese),
                        family: f(1),
                        given: f(2),
                        family_kana: f(3),
                        given_kana: f(4),
                    },
                    birth_date: BirthDate::parse_stored(&f(5)).unwrap(),
                    sex: Sex::parse(&f(6)).unwrap(),
                    address: Address {
                        code: LocalGovernmentCode::parse(&f(7)).unwrap(),
                        remainder: f(8),
                    },
                    individual_number: None,
                    former_family_name: None,
                    alias_name: None,
                    nationality: None,
                },
            }
        })
        .collect()
}

/// The synthetic variant set: for each Japanese-script resident, a query with the name in a
/// variant form (where one exists) and the address in another notation (every third with the
/// prefecture and municipality name in front); candidates chosen as
/// the node's search chooses them (reading key, birth date, sex), among the population plus two
/// decoys per resident that share the reading, birth date and sex — one with the same name as
/// written at another address (同姓同名), one with another family name of the same reading
/// where the name list has one (伊藤 / 伊東) at the same address. Found means the resident is
/// the top candidate.
#[test]
fn variant_queries_find_the_resident_as_top_candidate() {
    let opts = juki_synth::SynthOptions {
        residents: 20_000,
        seed: 11,
        municipalities: vec![],
        effective_date: jiff::civil::date(2026, 4, 1),
    };
    let mut csv_bytes = Vec::new();
    juki_synth::write_csv_with_threads(&opts, 1, &mut csv_bytes, &mut |_| {}).unwrap();
    let people: Vec<Resident> = residents(&csv_bytes)
        .into_iter()
        .filter(|r| r.facts.name.script == Script::Japanese)
        .collect();
    // Family names by reading, for homophone decoys.
    let mut by_reading: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &people {
        let names = by_reading.entry(&r.facts.name.family_kana).or_default();
        if !names.contains(&r.facts.name.family.as_str()) {
            names.push(&r.facts.name.family);
        }
    }
    // Decoys come first, so that a tie goes to a decoy and is counted as a miss.
    let mut records: Vec<(usize, IdentityFacts)> = Vec::new();
    let decoy = usize::MAX;
    for (i, r) in people.iter().enumerate() {
        let mut twin = r.facts.clone();
        twin.address = people[(i + 7919) % people.len()].facts.address.clone();
        records.push((decoy, twin));
        let family = &r.facts.name.family;
        if let Some(other) = by_reading[r.facts.name.family_kana.as_str()]
            .iter()
            .find(|f| juki_domain::matching::name_key(f) != juki_domain::matching::name_key(family))
        {
            let mut homophone = r.facts.clone();
            homophone.name.family = other.to_string();
            records.push((decoy, homophone));
        }
    }
    let decoys = records.len();
    records.extend(people.iter().enumerate().map(|(i, r)| (i, r.facts.clone())));
    let mut index: HashMap<(String, String, Sex), Vec<usize>> = HashMap::new();
    for (at, (_, f)) in records.iter().enumerate() {
        index
            .entry((search_key(&f.name), f.birth_date.to_string(), f.sex))
            .or_default()
            .push(at);
    }
    let (mut found, mut variant_names, mut variant_found, mut as_written) = (0, 0, 0, 0);
    let mut names_as_written = 0;
    for (i, r) in people.iter().enumerate() {
        let f = &r.facts;
        let name = variant_of(&format!("{}{}", f.name.family, f.name.given));
        let mut address = other_notation(&f.address.remainder);
        if i % 3 == 0 {
            // Every third agency holds the address with the prefecture and municipality.
            let body = juki_domain::lgc::table().get(f.address.code).unwrap();
            address = format!("{}{address}", body.full_name());
        }
        let query = MatchQuery {
            kana: format!("{} {}", f.name.family_kana, f.name.given_kana),
            birth_date: f.birth_date,
            sex: f.sex,
            name: Some(name.clone()),
            address_code: Some(f.address.code),
            address: Some(address.clone()),
        };
        let candidates = &index[&(search_key(&f.name), f.birth_date.to_string(), f.sex)];
        let ranked = rank(&query, candidates.iter().map(|&at| &records[at].1));
        let top = records[candidates[ranked[0].0]].0 == i;
        found += usize::from(top);
        if has_variant(&format!("{}{}", f.name.family, f.name.given)) {
            variant_names += 1;
            variant_found += usize::from(top);
        }
        // What comparing the name and address as written would find.
        let same_name = name == format!("{}{}", f.name.family, f.name.given);
        names_as_written += usize::from(same_name);
        as_written += usize::from(same_name && address == f.address.remainder);
    }
    let n = people.len();
    let pct = |a: usize, b: usize| a as f64 * 100.0 / b.max(1) as f64;
    println!(
        "match rate: {found} of {n} variant queries ({:.2}%) found as the top candidate; \
         names in a variant form {variant_found} of {variant_names} ({:.2}%); \
         {decoys} decoys; compared as written, names agree for {names_as_written} of {n} \
         ({:.2}%), names and addresses for {as_written} ({:.2}%)",
        pct(found, n),
        pct(variant_found, variant_names),
        pct(names_as_written, n),
        pct(as_written, n),
    );
    assert!(variant_names * 5 > n, "a fifth of the names have a variant");
    assert!(pct(found, n) >= 99.0, "match rate {:.2}%", pct(found, n));
    assert!(pct(variant_found, variant_names) >= 99.0);
}

#[test]
fn other_notations_are_other_strings() {
    for (a, b) in [
        ("本町二丁目3番4号", "本町２－３－４"),
        ("本町2丁目3番4号", "本町二丁目3番4号"),
        (
            "中央1-3-4 ひかりハイツ201",
            "中央一丁目3番4号\u{3000}ひかりハイツ201",
        ),
        ("大字上野123番地4", "上野123-4"),
        ("大字上野123番地", "上野123"),
    ] {
        assert_eq!(other_notation(a), b);
    }
    assert_eq!(variant_of("髙橋一郎"), "高橋一郎");
    assert_eq!(variant_of("高橋一郎"), "髙橋一郎");
    assert_eq!(variant_of("佐藤"), "佐藤");
}

/// On the demo nation: the national agency finds a resident of 中野区 by the four facts from a
/// query in variant kanji and another address notation; 中野区's clerk produces the resident's
/// disclosure report, which shows the lookup with its purpose; a clerk may not search.
#[test]
fn agency_finds_a_resident_by_four_facts_in_variant_forms() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base();
    let demo = Demo::start(dir.path(), base, 300);
    let people = residents(&std::fs::read(dir.path().join("population.csv")).unwrap());
    let r = people
        .iter()
        .filter(|r| r.facts.address.code.to_string() == "131148")
        .find(|r| has_variant(&format!("{}{}", r.facts.name.family, r.facts.name.given)))
        .expect("a resident of 中野区 whose name has a variant form");
    let f = &r.facts;
    let name = variant_of(&format!("{} {}", f.name.family, f.name.given));
    let address = other_notation(&f.address.remainder);
    let kana = format!("{}{}", f.name.family_kana, f.name.given_kana);
    let birth_date = f.birth_date.to_string();
    // `juki identity search` by the four facts; `full` adds the name and the address.
    let search = |profile: &Path, purpose: &str, full: bool| {
        let mut args = vec![
            "identity",
            "search",
            "--kana",
            &kana,
            "--birth-date",
            &birth_date,
            "--sex",
            f.sex.as_str(),
            "--purpose",
            purpose,
            "--profile",
            p(profile),
        ];
        if full {
            args.extend([
                "--name",
                &name,
                "--address-code",
                "131148",
                "--address",
                &address,
                "--json",
            ]);
        }
        run(&args)
    };

    let agency = demo.profile("national-agency");
    let out = search(&agency, "pension", true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["purpose_name"], "年金給付");
    let top = &v["candidates"][0];
    assert_eq!(top["resident_code"], r.code.as_str(), "{v:#}");
    assert_eq!(top["quality"], "strong", "{v:#}");
    assert_eq!(top["current"]["family_name"], f.name.family.as_str());
    assert!(top["current"].get("household_head").is_none());
    // The text form names the candidate too.
    let out = search(&agency, "passport", false);
    assert!(ok(&out).contains(&r.code));

    // A clerk may not use the agencies' service; a purpose the node does not list is refused.
    let clerk = demo.profile("131148-clerk");
    assert_refused(&search(&clerk, "pension", true), 1, "JK-POL-0101");
    assert_refused(&search(&agency, "curiosity", true), 1, "JK-POL-0105");

    // The agencies' service is not served at municipal nodes.
    let mut at_nakano = juki_client::Profile::load(&agency).unwrap();
    at_nakano.url = format!("https://127.0.0.1:{}", base + 4);
    let c = at_nakano
        .client(std::time::Duration::from_secs(10))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let params = [
        ("purpose", "pension"),
        ("kana", kana.as_str()),
        ("birth_date", birth_date.as_str()),
        ("sex", f.sex.as_str()),
    ];
    match rt.block_on(c.identity_search(&params)) {
        Err(juki_client::ClientError::Refused { body, .. }) => assert_eq!(body.code, "JK-POL-0103"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    drop(c);
    // At the national node: at most 100 candidates; an empty reading is no query.
    let c = juki_client::Profile::load(&agency)
        .unwrap()
        .client(std::time::Duration::from_secs(10))
        .unwrap();
    for (key, value, code) in [
        ("limit", "101", "JK-NODE-0107"),
        ("kana", "ー", "JK-NODE-0110"),
    ] {
        let mut params = params.to_vec();
        params.retain(|(k, _)| *k != key);
        params.push((key, value));
        match rt.block_on(c.identity_search(&params)) {
            Err(juki_client::ClientError::Refused { body, .. }) => assert_eq!(body.code, code),
            other => panic!("expected {code}, got {other:?}"),
        }
    }
    drop(c);
    drop(rt);

    // The resident's disclosure report shows the national node's lookups with their purposes.
    let out = run(&["disclose", &r.code, "--profile", p(&clerk), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let national = report["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tier"] == "national")
        .unwrap();
    let lookups = identity_lookups(national);
    let purposes: Vec<_> = lookups.iter().map(|a| a["purpose"].clone()).collect();
    assert_eq!(purposes, ["pension", "passport"], "{national:#}");
    assert_eq!(lookups[0]["to"], "urn:juki:agency:national:agency");
    drop(demo);
}

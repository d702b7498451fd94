//! Integration tests of the synthetic population: the file as `juki load` would read it.

use jiff::civil::{Date, date};
use juki_domain::code::{IndividualNumber, LocalGovernmentCode, ResidentCode};
use juki_domain::lgc::table;
use juki_synth::{HEADER, SynthError, SynthOptions, write_csv, write_csv_with_threads};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const EFFECTIVE: Date = date(2026, 4, 1);

fn options(residents: u64, seed: u64, municipalities: &[&str]) -> SynthOptions {
    SynthOptions {
        residents,
        seed,
        municipalities: municipalities
            .iter()
            .map(|c| c.parse().expect("test codes are valid"))
            .collect(),
        effective_date: EFFECTIVE,
    }
}

fn generate(opts: &SynthOptions, threads: usize) -> Vec<u8> {
    let mut out = Vec::new();
    write_csv_with_threads(opts, threads, &mut out, &mut |_| {}).expect("synth writes to memory");
    out
}

/// One parsed row, by column name.
struct Row(HashMap<String, String>);

impl Row {
    fn get(&self, column: &str) -> &str {
        self.0
            .get(column)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no column {column}"))
    }
}

fn parse(bytes: &[u8]) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            Row(headers
                .iter()
                .cloned()
                .zip(r.expect("a well-formed record").iter().map(str::to_string))
                .collect())
        })
        .collect()
}

/// 200,000 residents of a designated city (札幌市, ten wards), a special ward (中野区), a town
/// (北海道 ニセコ町) and a village (長野県 南相木村), shared by the tests below.
const PLACES: [&str; 4] = ["011002", "131148", "013951", "203068"];
static POPULATION: LazyLock<Vec<u8>> =
    LazyLock::new(|| generate(&options(200_000, 42, &PLACES), 2));
static ROWS: LazyLock<Vec<Row>> = LazyLock::new(|| parse(&POPULATION));

fn day(s: &str) -> Date {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn is_katakana(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー'))
}

fn is_latin_name(s: &str) -> bool {
    s.split(' ').all(|w| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'\'')
    })
}

#[test]
fn the_same_options_give_the_same_bytes_on_any_number_of_threads() {
    let opts = options(150_000, 7, &[]);
    let one = generate(&opts, 1);
    assert_eq!(one, generate(&opts, 2));
    assert_eq!(one, generate(&opts, 3));
    assert_ne!(
        one,
        generate(&options(150_000, 8, &[]), 2),
        "another seed, another population"
    );
}

#[test]
fn the_header_is_the_formats_header_and_every_row_has_every_column() {
    let text = std::str::from_utf8(&POPULATION).unwrap();
    assert!(!text.starts_with('\u{FEFF}'), "no BOM");
    let header = text.lines().next().unwrap();
    assert_eq!(header, HEADER);
    assert_eq!(
        header,
        "record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,\
         given_name_kana,birth_date,sex,local_government_code,address,notified_date,individual_number,\
         nationality,alias_name,household_head,relationship,resident_since,address_since"
    );
    let mut reader = csv::Reader::from_reader(&POPULATION[..]);
    let mut count = 0;
    for record in reader.records() {
        assert_eq!(record.unwrap().len(), 20);
        count += 1;
    }
    assert_eq!(count, 200_000);
}

#[test]
fn record_ids_and_codes_are_valid_and_unique() {
    let mut ids = HashSet::new();
    let mut codes = HashSet::new();
    let mut numbers = HashSet::new();
    for (i, row) in ROWS.iter().enumerate() {
        let id = row.get("record_id");
        assert_eq!(id, format!("S42-{i}"));
        assert!(
            id.len() <= 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert!(ids.insert(id.to_string()));
        assert_eq!(row.get("change_kind"), "転入");
        let code = ResidentCode::parse(row.get("resident_code")).unwrap();
        assert!(
            !row.get("resident_code").starts_with('0'),
            "the leading-0 range is the pools'"
        );
        assert_eq!(code, juki_synth::resident_code(42, i as u64));
        assert!(codes.insert(code));
        let number = row.get("individual_number");
        if !number.is_empty() {
            assert!(numbers.insert(IndividualNumber::parse(number).unwrap()));
        }
    }
    let without = ROWS.len() - numbers.len();
    assert!(
        without > 0 && without < ROWS.len() / 20,
        "{without} residents without an individual number"
    );
}

#[test]
fn every_address_belongs_to_a_chosen_municipality() {
    let allowed: HashSet<LocalGovernmentCode> = PLACES
        .iter()
        .flat_map(|c| table().address_codes_of(c.parse().unwrap()))
        .collect();
    let mut seen = HashSet::new();
    for row in ROWS.iter() {
        let code: LocalGovernmentCode = row.get("local_government_code").parse().unwrap();
        assert!(allowed.contains(&code), "{code}");
        seen.insert(code);
        let address = row.get("address");
        assert!(
            !address.is_empty() && !address.chars().any(char::is_control),
            "{address:?}"
        );
    }
    assert_eq!(
        seen.len(),
        allowed.len(),
        "every ward and municipality gets residents"
    );
}

#[test]
fn dates_are_consistent() {
    let (mut partial, mut unknown) = (0, 0);
    for row in ROWS.iter() {
        assert_eq!(day(row.get("effective_date")), EFFECTIVE);
        assert_eq!(day(row.get("notified_date")), EFFECTIVE);
        let resident_since = day(row.get("resident_since"));
        let address_since = day(row.get("address_since"));
        assert!(resident_since <= address_since && address_since <= EFFECTIVE);
        let birth = row.get("birth_date");
        match birth.len() {
            10 => {
                let born = day(birth);
                assert!(born < EFFECTIVE && born >= date(1900, 1, 1), "{birth}");
                assert!(born <= resident_since, "{birth} after {resident_since}");
            }
            7 | 4 => {
                partial += 1;
                let year: i16 = birth[..4].parse().unwrap();
                assert!(year < EFFECTIVE.year() - 1);
                if birth.len() == 7 {
                    let month: i8 = birth[5..].parse().unwrap();
                    assert!((1..=12).contains(&month));
                }
                // The day the register does not know must not show through the other dates.
                assert!(resident_since >= date(year, 1, 1));
            }
            _ => {
                assert_eq!(birth, "不詳");
                unknown += 1;
            }
        }
    }
    // About 0.05% partial (mostly foreign residents), 不詳 very rarely.
    assert!(
        (30..300).contains(&partial),
        "{partial} partial birth dates"
    );
    assert!(unknown < 10, "{unknown}");
}

#[test]
fn names_readings_and_nationalities_follow_their_rules() {
    let mut foreign = 0;
    let mut aliases = 0;
    let mut nationalities: HashMap<&str, usize> = HashMap::new();
    for row in ROWS.iter() {
        let nationality = row.get("nationality");
        assert!(matches!(row.get("sex"), "男" | "女"));
        if nationality.is_empty() {
            for field in ["family_name", "given_name"] {
                let name = row.get(field);
                assert!(
                    !name.is_empty() && !name.chars().any(|c| c.is_ascii() || c.is_whitespace()),
                    "{name}"
                );
            }
            assert!(
                is_katakana(row.get("family_name_kana")),
                "{}",
                row.get("family_name_kana")
            );
            assert!(
                is_katakana(row.get("given_name_kana")),
                "{}",
                row.get("given_name_kana")
            );
            assert!(row.get("alias_name").is_empty());
        } else {
            foreign += 1;
            assert!(nationality.len() == 2 && nationality.bytes().all(|b| b.is_ascii_uppercase()));
            *nationalities.entry(nationality).or_default() += 1;
            assert!(
                is_latin_name(row.get("family_name")),
                "{}",
                row.get("family_name")
            );
            let given = row.get("given_name");
            assert!(given.is_empty() || is_latin_name(given), "{given}");
            assert!(
                row.get("family_name_kana").is_empty() && row.get("given_name_kana").is_empty()
            );
            let alias = row.get("alias_name");
            if !alias.is_empty() {
                aliases += 1;
                assert!(
                    !alias.chars().any(|c| c.is_ascii() || c.is_whitespace()),
                    "{alias}"
                );
            }
        }
    }
    // 2.7% of residents, within sampling noise.
    let share = foreign as f64 / ROWS.len() as f64;
    assert!((0.0235..0.0305).contains(&share), "foreign share {share}");
    assert!(aliases > 0, "some foreign residents have a 通称");
    let top = nationalities.iter().max_by_key(|(_, n)| **n).unwrap();
    assert_eq!(*top.0, "CN", "{nationalities:?}");
    for code in ["VN", "KR", "PH", "BR", "NP", "ID", "US", "TW", "TH"] {
        assert!(
            nationalities.contains_key(code),
            "{code} missing: {nationalities:?}"
        );
    }
}

/// A household: the rows from a 世帯主 up to the next.
fn households(rows: &[Row]) -> Vec<&[Row]> {
    let mut starts: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.get("relationship") == "世帯主")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(starts.first(), Some(&0), "the file starts with a head");
    starts.push(rows.len());
    starts.windows(2).map(|w| &rows[w[0]..w[1]]).collect()
}

fn birth_year(row: &Row) -> Option<i32> {
    let b = row.get("birth_date");
    (b.len() >= 4 && b.is_char_boundary(4))
        .then(|| b[..4].parse().ok())
        .flatten()
}

#[test]
fn households_are_consistent() {
    let hhs = households(&ROWS);
    let mean = ROWS.len() as f64 / hhs.len() as f64;
    assert!((2.0..2.45).contains(&mean), "mean household size {mean}");
    for hh in &hhs {
        let head = &hh[0];
        let latin = !head.get("nationality").is_empty();
        let head_name = if latin {
            [head.get("family_name"), head.get("given_name")]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            format!("{}{}", head.get("family_name"), head.get("given_name"))
        };
        let head_year = birth_year(head);
        let spouse_year = hh
            .iter()
            .find(|r| matches!(r.get("relationship"), "妻" | "夫"))
            .and_then(birth_year);
        let son_years: Vec<i32> = hh
            .iter()
            .filter(|r| {
                r.get("relationship") == "子の妻"
                    || (r.get("relationship") == "子"
                        && hh.iter().any(|x| x.get("relationship") == "孫"))
            })
            .filter_map(birth_year)
            .collect();
        for member in hh.iter() {
            assert_eq!(member.get("household_head"), head_name);
            assert_eq!(member.get("address"), head.get("address"));
            assert_eq!(
                member.get("local_government_code"),
                head.get("local_government_code")
            );
            assert_eq!(member.get("nationality"), head.get("nationality"));
            if !latin {
                assert_eq!(
                    member.get("family_name"),
                    head.get("family_name"),
                    "one family name per Japanese household"
                );
            }
            let year = birth_year(member);
            let older = |parent: Option<i32>, gap: i32| {
                if let (Some(p), Some(c)) = (parent, year) {
                    assert!(
                        c - p >= gap,
                        "{} born {c}, parent {p}",
                        member.get("relationship")
                    );
                }
            };
            match member.get("relationship") {
                "世帯主" => {}
                "妻" | "夫" => assert_ne!(member.get("sex"), head.get("sex")),
                "子" => {
                    older(head_year, 15);
                    older(spouse_year, 15);
                }
                "父" | "母" => {
                    if let (Some(p), Some(h)) = (year, head_year) {
                        assert!(h - p >= 19, "parent born {p}, head {h}");
                    }
                }
                "子の妻" => older(head_year, 15),
                "孫" => {
                    for &p in &son_years {
                        older(Some(p), 15);
                    }
                }
                other => panic!("unexpected relationship {other}"),
            }
        }
    }
}

#[test]
fn ages_and_sexes_follow_the_pyramid() {
    let (mut full, mut under_15, mut over_65, mut male) = (0u32, 0u32, 0u32, 0u32);
    let (mut old_men, mut old_women) = (0, 0);
    for row in ROWS.iter() {
        let is_male = row.get("sex") == "男";
        male += u32::from(is_male);
        let birth = row.get("birth_date");
        if birth.len() != 10 {
            continue;
        }
        full += 1;
        let b = day(birth);
        let mut age = EFFECTIVE.year() - b.year();
        if (EFFECTIVE.month(), EFFECTIVE.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        under_15 += u32::from(age < 15);
        over_65 += u32::from(age >= 65);
        if age >= 75 {
            if is_male {
                old_men += 1
            } else {
                old_women += 1
            }
        }
    }
    let share = |n: u32, of: u32| n as f64 / of as f64;
    // 2020 census: 11.9% under 15, 28.6% aged 65 and over, 48.6% male.
    assert!(
        (0.10..0.14).contains(&share(under_15, full)),
        "under 15: {}",
        share(under_15, full)
    );
    assert!(
        (0.265..0.305).contains(&share(over_65, full)),
        "65+: {}",
        share(over_65, full)
    );
    assert!(
        (0.477..0.495).contains(&share(male, ROWS.len() as u32)),
        "male: {}",
        share(male, ROWS.len() as u32)
    );
    assert!(
        old_women > old_men * 5 / 4,
        "75+: {old_men} men, {old_women} women"
    );
}

#[test]
fn options_are_checked() {
    let check = |opts: SynthOptions| write_csv(&opts, std::io::sink(), &mut |_| {}).unwrap_err();
    // 札幌市中央区: a ward of a designated city; the error names the city.
    match check(options(10, 1, &["011011"])) {
        SynthError::NotANode { code, serving } => {
            assert_eq!(code.to_string(), "011011");
            assert_eq!(serving.map(|c| c.to_string()).as_deref(), Some("011002"));
        }
        other => panic!("{other:?}"),
    }
    // 東京都: a prefecture.
    assert!(matches!(
        check(options(10, 1, &["130001"])),
        SynthError::NotANode { serving: None, .. }
    ));
    // A valid check digit, but no such body.
    let unknown = LocalGovernmentCode::from_five(99_999).unwrap();
    let err = check(SynthOptions {
        municipalities: vec![unknown],
        ..options(10, 1, &[])
    });
    assert!(
        matches!(err, SynthError::UnknownMunicipality { .. }),
        "{err:?}"
    );
    assert_eq!(err.def().code, "JK-SYN-0101");
    let err = check(options(juki_synth::RESIDENTS_MAX + 1, 1, &[]));
    assert!(matches!(err, SynthError::TooManyResidents { .. }));
    assert_eq!(err.def().code, "JK-SYN-0103");
    let err = check(SynthOptions {
        effective_date: date(1900, 1, 1),
        ..options(10, 1, &[])
    });
    assert_eq!(err.def().code, "JK-SYN-0104");
    // Every code the crate reports is in the catalogue.
    for def in [&juki_synth::SYN_NOT_A_NODE, &juki_synth::SYN_WRITE] {
        assert_eq!(juki_domain::catalogue::lookup(def.code), Some(def));
    }
}

#[test]
fn order_and_repeats_of_municipalities_do_not_matter() {
    let a = generate(&options(5_000, 3, &["131148", "011002"]), 1);
    let b = generate(&options(5_000, 3, &["011002", "131148", "011002"]), 1);
    assert_eq!(a, b);
}

#[test]
fn zero_residents_is_a_header() {
    let mut out = Vec::new();
    let stats = write_csv(&options(0, 1, &[]), &mut out, &mut |_| {
        panic!("no progress")
    })
    .unwrap();
    assert_eq!(out, format!("{HEADER}\n").into_bytes());
    assert_eq!(stats.residents, 0);
    assert_eq!(stats.bytes, out.len() as u64);
}

#[test]
fn progress_counts_up_to_the_total_and_stats_add_up() {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let stats = write_csv_with_threads(&options(140_000, 5, &["131148"]), 2, &mut out, &mut |n| {
        seen.push(n)
    })
    .unwrap();
    assert_eq!(seen, vec![65_536, 131_072, 140_000]);
    assert_eq!(stats.residents, 140_000);
    assert_eq!(stats.bytes, out.len() as u64);
    assert_eq!(stats.municipalities, 1);
    let rows = parse(&out);
    assert_eq!(stats.households as usize, households(&rows).len());
    assert_eq!(
        stats.foreign_residents as usize,
        rows.iter()
            .filter(|r| !r.get("nationality").is_empty())
            .count()
    );
}

#[test]
fn a_larger_run_extends_a_smaller_one_chunk_by_chunk() {
    let small = generate(&options(65_536, 11, &[]), 2);
    let large = generate(&options(100_000, 11, &[]), 2);
    assert!(large.starts_with(&small));
}

/// A writer that fails after a few bytes, like a full disk.
struct Failing(usize);

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.0);
        self.0 -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_error_stops_the_run_and_is_reported() {
    for threads in [1, 2, 4] {
        let err = write_csv_with_threads(
            &options(300_000, 1, &[]),
            threads,
            Failing(20_000_000),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(err, SynthError::Write(_)), "{err:?}");
        assert_eq!(err.def().code, "JK-SYN-0201");
    }
}

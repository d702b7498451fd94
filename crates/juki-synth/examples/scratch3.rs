//! scratch: distributions
use std::collections::HashMap;
fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let opts = juki_synth::SynthOptions {
        residents: n,
        seed: 7,
        municipalities: vec![],
        effective_date: jiff::civil::date(2020, 10, 1),
    };
    let mut buf = Vec::new();
    let stats = juki_synth::write_csv(&opts, &mut buf, &mut |_| {}).expect("ok");
    println!("{stats:?}");
    let mut rdr = csv::Reader::from_reader(&buf[..]);
    let mut groups = [0u64; 21];
    let mut male_groups = [0u64; 21];
    let mut total = 0u64;
    let mut male = 0u64;
    let mut foreign = 0u64;
    let mut nat: HashMap<String, u64> = HashMap::new();
    let mut rel: HashMap<String, u64> = HashMap::new();
    let mut heads = 0u64;
    let mut fam: HashMap<String, u64> = HashMap::new();
    let mut alias = 0u64;
    let mut noind = 0u64;
    let mut lgc: HashMap<String, u64> = HashMap::new();
    let mut fage = [0u64; 21];
    for r in rdr.records() {
        let r = r.unwrap();
        total += 1;
        let b = &r[8];
        if r[9] == *"男" {
            male += 1;
        }
        if !r[14].is_empty() {
            foreign += 1;
            *nat.entry(r[14].to_string()).or_default() += 1;
            if !r[15].is_empty() {
                alias += 1;
            }
        }
        *rel.entry(r[17].to_string()).or_default() += 1;
        if &r[17] == "世帯主" {
            heads += 1;
        }
        *fam.entry(r[4].to_string()).or_default() += 1;
        if r[13].is_empty() {
            noind += 1;
        }
        *lgc.entry(r[10][..2].to_string()).or_default() += 1;
        if b.len() == 10 {
            let y: i32 = b[..4].parse().unwrap();
            let m: i32 = b[5..7].parse().unwrap();
            let d: i32 = b[8..].parse().unwrap();
            let mut age = 2020 - y;
            if (m, d) > (10, 1) {
                age -= 1;
            }
            let g = ((age / 5) as usize).min(20);
            groups[g] += 1;
            if r[9] == *"男" {
                male_groups[g] += 1;
            }
            if !r[14].is_empty() {
                fage[g] += 1;
            }
        }
    }
    let census = [
        4_541, 5_114, 5_376, 5_706, 6_320, 6_384, 6_714, 7_498, 8_476, 9_868, 8_738, 7_940, 7_442,
        8_236, 9_189, 7_065, 5_404, 3_742, 1_853, 490, 80,
    ];
    let ct: u64 = census.iter().sum();
    let gt: u64 = groups.iter().sum();
    for g in 0..21 {
        println!(
            "{:>3}-: synth {:5.2}%  census {:5.2}%  male {:5.1}%  foreign-age {:5.2}%",
            g * 5,
            groups[g] as f64 * 100.0 / gt as f64,
            census[g] as f64 * 100.0 / ct as f64,
            male_groups[g] as f64 * 100.0 / groups[g].max(1) as f64,
            fage[g] as f64 * 100.0 / foreign as f64
        );
    }
    println!(
        "male {:.2}% foreign {:.2}% mean hh {:.3} alias/foreign {:.1}% no-indiv {:.2}%",
        male as f64 * 100.0 / total as f64,
        foreign as f64 * 100.0 / total as f64,
        total as f64 / heads as f64,
        alias as f64 * 100.0 / foreign as f64,
        noind as f64 * 100.0 / total as f64
    );
    let mut v: Vec<_> = nat.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1));
    println!("{:?}", v);
    let mut v: Vec<_> = rel.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1));
    println!("{:?}", v);
    let mut v: Vec<_> = fam.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1));
    println!("{:?}", &v[..10]);
    let mut v: Vec<_> = lgc.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1));
    println!("{:?}", &v[..12]);
    let u15: u64 = groups[..3].iter().sum();
    let o65: u64 = groups[13..].iter().sum();
    println!(
        "under15 {:.1}% 65+ {:.1}%",
        u15 as f64 * 100.0 / gt as f64,
        o65 as f64 * 100.0 / gt as f64
    );
}

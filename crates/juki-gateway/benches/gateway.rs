//! Benchmark: the gateway's checks in records per second, and its peak memory on a file of
//! millions of records (`cargo bench -p juki-gateway --bench gateway`).
//!
//! 1. Memory: `JUKI_GW_BENCH_STREAM` (default 5,000,000) FORMATS §1 CSV records, 1% defective,
//!    generated as the reader asks for them (no file, nothing held), read and checked record by
//!    record as `juki gw submit --check-only` does; peak resident memory (VmHWM) is printed.
//!    It runs first, so nothing else has raised the high-water mark yet.
//! 2. Validation alone: `JUKI_GW_BENCH_RECORDS` (default 200,000) records already read, checked
//!    with the domain's rules plus the JIS X 0208 character set, median of five runs.
//! 3. Reading and checking the same records from CSV bytes in memory, beside the `csv` crate
//!    reading the same bytes into string records without any check (what a user would write
//!    first), median of five runs each.
//!
//! Not criterion: the figures are printed with the command that made them (STYLE.md, habit 10).

use juki_domain::{Date, LocalGovernmentCode, RawChange, ResidentCode, ValidationContext};
use juki_gateway::{CharSet, Format, Rules, check, check_all, open};
use std::io::Read;
use std::time::Instant;

const RUNS: usize = 5;
const HEADER: &str = "record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,given_name_kana,birth_date,sex,local_government_code,address\n";
const FAMILY: [(&str, &str); 8] = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("渡辺", "ワタナベ"),
    ("佐々木", "ササキ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
];
const GIVEN: [(&str, &str); 6] = [
    ("陽菜", "ヒナ"),
    ("湊", "ミナト"),
    ("結衣", "ユイ"),
    ("蓮", "レン"),
    ("一郎", "イチロウ"),
    ("さくら", "サクラ"),
];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Record `i` as a CSV line; every hundredth has a defect (a digit in the name, half-width
/// kana, a wrong check digit or an impossible date, in turn).
fn line(i: u64, out: &mut String) {
    use std::fmt::Write as _;
    let (family, family_kana) = FAMILY[(i % 8) as usize];
    let (given, given_kana) = GIVEN[(i / 8 % 6) as usize];
    let code = ResidentCode::from_body(3_000_000_000 + i).to_string();
    let (mut family, mut kana, mut code, mut birth) = (
        family.to_string(),
        family_kana.to_string(),
        code,
        format!("19{:02}-{:02}-{:02}", 30 + i % 70, 1 + i % 12, 1 + i % 28),
    );
    if i % 100 == 99 {
        match i / 100 % 4 {
            0 => family.push('1'),
            1 => kana = "ﾀﾅｶ".to_string(),
            2 => code.replace_range(10..11, if code.ends_with('0') { "1" } else { "0" }),
            _ => birth = "1990-02-30".to_string(),
        }
    }
    let _ = writeln!(
        out,
        "B{i},転入,2026-04-01,{code},{family},{given},{kana},{given_kana},{birth},{},131148,中野{}丁目{}番{}号",
        if i.is_multiple_of(2) { "男" } else { "女" },
        1 + i % 6,
        1 + i % 30,
        1 + i % 20
    );
}

/// A CSV file of `records` records, generated as it is read.
struct Generated {
    next: u64,
    records: u64,
    buf: Vec<u8>,
    at: usize,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
            let mut text = String::new();
            if self.next == 0 && self.records > 0 {
                text.push_str(HEADER);
            }
            while self.next < self.records && text.len() < 64 * 1024 {
                line(self.next, &mut text);
                self.next += 1;
            }
            self.buf = text.into_bytes();
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut run: impl FnMut()) -> f64 {
    let mut seconds: Vec<f64> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed().as_secs_f64()
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    seconds[RUNS / 2]
}

fn main() {
    let stream: u64 = env_or("JUKI_GW_BENCH_STREAM", 5_000_000);
    let records: u64 = env_or("JUKI_GW_BENCH_RECORDS", 200_000);
    let ctx = ValidationContext {
        node: LocalGovernmentCode::parse("131148").expect("a valid code"),
        today: Date::constant(2026, 4, 10),
    };
    let rules = Rules {
        charset: CharSet::Jis0208,
        ..Rules::default()
    };
    println!(
        "cargo bench -p juki-gateway --bench gateway  (JUKI_GW_BENCH_STREAM={stream}, JUKI_GW_BENCH_RECORDS={records})"
    );

    // 1. Peak memory over a streamed file.
    let before = vm_hwm_kib();
    let started = Instant::now();
    let input = Generated {
        next: 0,
        records: stream,
        buf: Vec::new(),
        at: 0,
    };
    let mut records_in = open(std::io::BufReader::new(input), Format::Csv, None).expect("header");
    let mut accepted = 0u64;
    let report = check_all(&mut records_in, &ctx, &rules, &mut |_| accepted += 1);
    let secs = started.elapsed().as_secs_f64();
    let after = vm_hwm_kib();
    println!(
        "streamed {stream} records (generated, read, checked): {} accepted, {} refused in {secs:.1} s = {:.0} records/s; peak memory (VmHWM) {} MiB (before the run {} MiB)",
        report.accepted,
        report.refused.len(),
        stream as f64 / secs,
        after.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        before.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
    );
    drop(report);

    // 2. Validation alone.
    let mut text = String::from(HEADER);
    for i in 0..records {
        line(i, &mut text);
    }
    let mut raws: Vec<RawChange> = open(text.as_bytes(), Format::Csv, None)
        .expect("header")
        .filter_map(|r| r.ok().map(|(_, raw)| raw))
        .collect();
    let secs = median(|| {
        let mut ok = 0u64;
        for raw in &mut raws {
            ok += u64::from(check(raw, &ctx, &rules).is_ok());
        }
        assert!(ok >= records * 98 / 100);
    });
    println!(
        "validation alone (domain rules + JIS X 0208), {records} records: {:.0} records/s (median of {RUNS})",
        records as f64 / secs
    );

    // 3. Read + check from bytes, beside the csv crate reading without checks.
    let bytes = text.as_bytes();
    let secs = median(|| {
        let mut r = open(bytes, Format::Csv, None).expect("header");
        let report = check_all(&mut r, &ctx, &rules, &mut |_| {});
        assert_eq!(report.accepted + report.refused.len() as u64, records);
    });
    println!(
        "read + check CSV from memory, {records} records ({:.1} MB): {:.0} records/s",
        bytes.len() as f64 / 1e6,
        records as f64 / secs
    );
    let secs = median(|| {
        let mut r = csv::Reader::from_reader(bytes);
        let mut rec = csv::StringRecord::new();
        let mut n = 0u64;
        while r.read_record(&mut rec).expect("valid CSV") {
            n += 1;
        }
        assert_eq!(n, records);
    });
    println!(
        "the csv crate reading the same bytes into string records, no checks: {:.0} records/s",
        records as f64 / secs
    );
}

//! Synthetic residents: a realistic population of Japan, deterministic per seed, written as a
//! change file (FORMATS §1) in which every resident arrives by 転入 with a code of its own.
//!
//! Names come from a vendored name list with readings (gimei, MIT), ages from the 2020 census
//! pyramid, households from the census family types, addresses from the MIC table of local
//! governments; docs/synth.md states every distribution and its source.
//!
//! The population is cut into chunks of [`CHUNK_RESIDENTS`] residents. A chunk depends only on
//! the options and its index (its own random stream; codes from the resident's index), so chunks
//! are made on several threads and written in order, and the bytes never depend on the number
//! of threads. Households never straddle chunks.

mod address;
mod days;
mod error;
mod household;
mod names;
mod pyramid;
mod rng;
mod row;

pub use error::{
    SYN_EFFECTIVE_DATE, SYN_NOT_A_NODE, SYN_TOO_MANY_RESIDENTS, SYN_UNKNOWN_MUNICIPALITY,
    SYN_WRITE, SynthError,
};
pub use row::HEADER;

use address::{Places, Remainder};
use household::{Household, MEMBERS_MAX, Model};
use juki_domain::code::{IndividualNumber, LocalGovernmentCode, ResidentCode};
use juki_domain::lgc::{LgcKind, table};
use rng::Rng;
use std::io::Write;
use std::sync::LazyLock;
use std::sync::mpsc;

/// The most residents one run makes (Japan has about 125 million).
pub const RESIDENTS_MAX: u64 = 200_000_000;
/// Residents per chunk: the unit of parallel work and of the random streams.
pub const CHUNK_RESIDENTS: u64 = 65_536;
/// The most worker threads [`write_csv`] starts. Each holds at most two chunk buffers of about
/// 15 MB (and the writer one), so memory stays under ~(2·threads + 1)·15 MB.
pub const THREADS_MAX: usize = 8;
/// Share of residents who are not Japanese nationals, per million (2.7%, as in 2024).
pub const FOREIGN_SHARE_PPM: u64 = 27_000;
/// The range of effective dates accepted: every birth date then has a four-digit year.
pub const EFFECTIVE_DATE_MIN: jiff::civil::Date = jiff::civil::date(1950, 1, 1);
pub const EFFECTIVE_DATE_MAX: jiff::civil::Date = jiff::civil::date(2999, 12, 31);

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthOptions {
    /// How many residents, at most [`RESIDENTS_MAX`].
    pub residents: u64,
    pub seed: u64,
    /// The municipal nodes whose residents to make (municipalities, Tokyo special wards,
    /// designated cities); empty means every node of the nation. Order and repeats do not
    /// matter.
    pub municipalities: Vec<LocalGovernmentCode>,
    /// The date of the 転入 changes (also their notified date); every birth lies before it.
    pub effective_date: jiff::civil::Date,
}

/// What a run made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    pub residents: u64,
    pub households: u64,
    /// Residents who are not Japanese nationals.
    pub foreign_residents: u64,
    /// Residents whose birth date is only partly known (`YYYY-MM`, `YYYY` or `不詳`).
    pub partial_birth_dates: u64,
    /// Municipal nodes the residents were spread over.
    pub municipalities: usize,
    /// Bytes written, header included.
    pub bytes: u64,
}

impl SynthStats {
    fn add(&mut self, chunk: &SynthStats) {
        self.residents += chunk.residents;
        self.households += chunk.households;
        self.foreign_residents += chunk.foreign_residents;
        self.partial_birth_dates += chunk.partial_birth_dates;
        self.bytes += chunk.bytes;
    }
}

/// Resident codes: body = 1,000,000,000 + ((A·i + B) mod 9,000,000,000) for the resident with
/// index `i`. A is coprime to 9·10⁹, so i ↦ body is a bijection on 0..9·10⁹: codes are unique
/// within a run and never start with 0 (that range is the network's allocation pools').
const CODE_BASE: u64 = 1_000_000_000;
const CODE_SPACE: u64 = 9_000_000_000;
/// ⌊9·10⁹ / φ⌋ adjusted to be odd, not a multiple of 5 and not of 3: coprime to 2⁹·3²·5⁹.
const CODE_STEP: u64 = 5_562_305_899;
/// Individual numbers the same way over eleven-digit bodies 10¹⁰..10¹¹.
const NUMBER_BASE: u64 = 10_000_000_000;
const NUMBER_SPACE: u64 = 90_000_000_000;
const NUMBER_STEP: u64 = 55_623_058_987;

fn code_offset(seed: u64) -> u64 {
    rng::mix64(seed ^ 0xC0DE_C0DE_C0DE_C0DE) % CODE_SPACE
}

fn number_offset(seed: u64) -> u64 {
    rng::mix64(seed ^ 0x1D1D_1D1D_1D1D_1D1D) % NUMBER_SPACE
}

/// (step·i + offset) mod space, without overflow.
fn affine(step: u64, i: u64, offset: u64, space: u64) -> u64 {
    ((u128::from(step) * u128::from(i % space) + u128::from(offset)) % u128::from(space)) as u64
}

/// The resident code of the resident with 0-based `index` in a run with `seed`.
pub fn resident_code(seed: u64, index: u64) -> ResidentCode {
    ResidentCode::from_body(CODE_BASE + affine(CODE_STEP, index, code_offset(seed), CODE_SPACE))
}

/// The individual number the resident with `index` gets when it has one.
pub fn individual_number(seed: u64, index: u64) -> IndividualNumber {
    IndividualNumber::from_body(
        NUMBER_BASE + affine(NUMBER_STEP, index, number_offset(seed), NUMBER_SPACE),
    )
}

/// The fixed model, and how likely a household is to be foreign so that
/// [`FOREIGN_SHARE_PPM`] of residents are: p = t·m_j / (t·m_j + (1−t)·m_f) with t the share
/// and m_j, m_f the mean household sizes, measured once on a fixed sample.
struct Calibrated {
    model: Model,
    foreign_household_ppm: u32,
}

static MODEL: LazyLock<Calibrated> = LazyLock::new(|| {
    let model = Model::new();
    let (jm, jh) = model.mean_size(false);
    let (fm, fh) = model.mean_size(true);
    // With m = members/households: p = t·jm/jh / (t·jm/jh + (1−t)·fm/fh).
    let t = u128::from(FOREIGN_SHARE_PPM);
    let num = t * u128::from(jm) * u128::from(fh);
    let den = num + (1_000_000 - t) * u128::from(fm) * u128::from(jh);
    let foreign_household_ppm = (num * 1_000_000 / den) as u32;
    Calibrated {
        model,
        foreign_household_ppm,
    }
});

/// Options checked and turned into what the generator needs.
struct Plan {
    seed: u64,
    residents: u64,
    today: days::Day,
    text: row::RunText,
    places: Places,
    nodes: usize,
    code_offset: u64,
    number_offset: u64,
}

/// Days back from the effective date that any written date can lie: the oldest birth
/// (AGE_MAX years and 365 days) with room to spare.
const DATES_BACK_DAYS: days::Day = 366 * (pyramid::AGE_MAX as days::Day + 2);

impl Plan {
    fn new(opts: &SynthOptions) -> Result<Plan, SynthError> {
        if opts.residents > RESIDENTS_MAX {
            return Err(SynthError::TooManyResidents {
                requested: opts.residents,
                max: RESIDENTS_MAX,
            });
        }
        if !(EFFECTIVE_DATE_MIN..=EFFECTIVE_DATE_MAX).contains(&opts.effective_date) {
            return Err(SynthError::EffectiveDateOutOfRange {
                date: opts.effective_date,
                min: EFFECTIVE_DATE_MIN,
                max: EFFECTIVE_DATE_MAX,
            });
        }
        let t = table();
        let mut nodes: Vec<LocalGovernmentCode> = if opts.municipalities.is_empty() {
            t.nodes().map(|n| n.code).collect()
        } else {
            for &code in &opts.municipalities {
                let Some(body) = t.get(code) else {
                    return Err(SynthError::UnknownMunicipality { code });
                };
                if !body.kind.has_node() {
                    let serving = (body.kind == LgcKind::DesignatedCityWard)
                        .then_some(body.city)
                        .flatten();
                    return Err(SynthError::NotANode { code, serving });
                }
            }
            opts.municipalities.clone()
        };
        nodes.sort();
        nodes.dedup();
        let today = days::from_jiff(opts.effective_date);
        let mut effective = Vec::with_capacity(10);
        days::push_date(&mut effective, today);
        let mut kind_and_date = ",転入,".as_bytes().to_vec();
        kind_and_date.extend_from_slice(&effective);
        kind_and_date.push(b',');
        Ok(Plan {
            seed: opts.seed,
            residents: opts.residents,
            today,
            text: row::RunText {
                record_prefix: format!("S{}-", opts.seed).into_bytes(),
                kind_and_date,
                dates: row::Dates::new(today - DATES_BACK_DAYS, today),
                effective: effective.try_into().expect("YYYY-MM-DD is ten bytes"),
            },
            places: Places::new(&nodes),
            nodes: nodes.len(),
            code_offset: code_offset(opts.seed),
            number_offset: number_offset(opts.seed),
        })
    }

    fn chunks(&self) -> u64 {
        self.residents.div_ceil(CHUNK_RESIDENTS)
    }

    /// Appends the rows of chunk `chunk` to `out`.
    fn chunk(&self, chunk: u64, out: &mut Vec<u8>) -> SynthStats {
        let Calibrated {
            model,
            foreign_household_ppm,
        } = &*MODEL;
        let start = chunk * CHUNK_RESIDENTS;
        let end = (start + CHUNK_RESIDENTS).min(self.residents);
        let bytes_before = out.len();
        out.reserve((end - start) as usize * ROW_BYTES_TYPICAL);
        let mut stats = SynthStats::default();
        let mut rng = Rng::new(self.seed, chunk);
        let mut hh = Household::new();
        let mut address = Vec::with_capacity(128);
        let mut shared = row::HouseholdText::new();
        let mut code = affine(CODE_STEP, start, self.code_offset, CODE_SPACE);
        let mut number = affine(NUMBER_STEP, start, self.number_offset, NUMBER_SPACE);
        let mut index = start;
        while index < end {
            let cap = (end - index).min(MEMBERS_MAX as u64) as usize;
            let foreign = rng.chance(*foreign_household_ppm);
            household::generate(model, &mut rng, self.today, foreign, cap, &mut hh);
            let place = self.places.sample(&mut rng);
            address.clear();
            Remainder::sample(&mut rng, place.settlement).write(&mut address);
            let nationality = hh.nationality.map_or("", |n| n.code);
            shared.set(
                &self.text,
                &place.text,
                &address,
                nationality,
                &hh.members[0],
                foreign,
            );
            for m in &hh.members {
                let resident = ResidentCode::from_body(CODE_BASE + code).get();
                let individual = m
                    .has_individual_number
                    .then(|| IndividualNumber::from_body(NUMBER_BASE + number).get());
                row::push_row(out, &self.text, &shared, index, m, resident, individual);
                if m.precision != household::Precision::Full {
                    stats.partial_birth_dates += 1;
                }
                index += 1;
                code += CODE_STEP;
                if code >= CODE_SPACE {
                    code -= CODE_SPACE;
                }
                number += NUMBER_STEP;
                if number >= NUMBER_SPACE {
                    number -= NUMBER_SPACE;
                }
            }
            stats.households += 1;
            if foreign {
                stats.foreign_residents += hh.members.len() as u64;
            }
        }
        stats.residents = end - start;
        stats.bytes = (out.len() - bytes_before) as u64;
        stats
    }
}

/// Bytes a row takes, about (for reserving buffer space; rows average ~196 bytes).
const ROW_BYTES_TYPICAL: usize = 224;

/// The number of worker threads [`write_csv`] uses: the machine's parallelism, at most
/// [`THREADS_MAX`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(THREADS_MAX)
}

/// Writes the population as CSV (UTF-8 without BOM, header row, RFC 4180 quoting, LF line
/// ends) to `out`, calling `progress` with the number of residents written after each chunk.
/// The same options always give the same bytes.
pub fn write_csv<W: Write>(
    opts: &SynthOptions,
    out: W,
    progress: &mut dyn FnMut(u64),
) -> Result<SynthStats, SynthError> {
    write_csv_with_threads(opts, default_threads(), out, progress)
}

/// [`write_csv`] on `threads` worker threads (1 generates on the calling thread). The output
/// does not depend on `threads`.
pub fn write_csv_with_threads<W: Write>(
    opts: &SynthOptions,
    threads: usize,
    mut out: W,
    progress: &mut dyn FnMut(u64),
) -> Result<SynthStats, SynthError> {
    let plan = Plan::new(opts)?;
    LazyLock::force(&MODEL);
    out.write_all(HEADER.as_bytes())?;
    out.write_all(b"\n")?;
    let mut stats = SynthStats {
        municipalities: plan.nodes,
        bytes: HEADER.len() as u64 + 1,
        ..SynthStats::default()
    };
    let chunks = plan.chunks();
    let threads = threads.clamp(1, THREADS_MAX).min(chunks.max(1) as usize);
    if threads == 1 {
        let mut buf = Vec::new();
        for c in 0..chunks {
            buf.clear();
            stats.add(&plan.chunk(c, &mut buf));
            out.write_all(&buf)?;
            progress(stats.residents);
        }
    } else {
        write_parallel(&plan, threads, &mut out, &mut stats, progress)?;
    }
    out.flush()?;
    Ok(stats)
}

/// Worker `w` makes chunks w, w+T, w+2T, … and hands each over through its own rendezvous
/// channel; the calling thread takes them round-robin, so they are written in order, and
/// sends the emptied buffer back for reuse. A worker is at most one chunk ahead of the writer.
fn write_parallel<W: Write>(
    plan: &Plan,
    threads: usize,
    out: &mut W,
    stats: &mut SynthStats,
    progress: &mut dyn FnMut(u64),
) -> Result<(), SynthError> {
    let chunks = plan.chunks();
    std::thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(threads);
        for worker in 0..threads {
            let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, SynthStats)>(0);
            let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
            scope.spawn(move || {
                let mut c = worker as u64;
                while c < chunks {
                    let mut buf = empty_rx.try_recv().unwrap_or_default();
                    buf.clear();
                    let chunk_stats = plan.chunk(c, &mut buf);
                    if full_tx.send((buf, chunk_stats)).is_err() {
                        return; // the writer stopped (write error): nothing more is wanted
                    }
                    c += threads as u64;
                }
            });
            lanes.push((full_rx, empty_tx));
        }
        for c in 0..chunks {
            let (full_rx, empty_tx) = &lanes[(c % threads as u64) as usize];
            // A worker only hangs up early by panicking; the scope then re-raises its panic.
            let Ok((buf, chunk_stats)) = full_rx.recv() else {
                break;
            };
            out.write_all(&buf)?;
            stats.add(&chunk_stats);
            progress(stats.residents);
            let _ = empty_tx.send(buf);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_steps_are_coprime_to_their_spaces() {
        fn gcd(a: u64, b: u64) -> u64 {
            if b == 0 { a } else { gcd(b, a % b) }
        }
        assert_eq!(gcd(CODE_STEP, CODE_SPACE), 1);
        assert_eq!(gcd(NUMBER_STEP, NUMBER_SPACE), 1);
    }

    #[test]
    fn the_incremental_codes_match_the_formula() {
        let opts = SynthOptions {
            residents: 1_000,
            seed: 9,
            municipalities: vec![],
            effective_date: jiff::civil::date(2026, 4, 1),
        };
        let plan = Plan::new(&opts).unwrap();
        let mut buf = Vec::new();
        plan.chunk(0, &mut buf);
        let text = String::from_utf8(buf).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split(',').nth(3).unwrap();
            assert_eq!(code, resident_code(9, i as u64).to_string());
            let number = line.split(',').nth(13).unwrap();
            assert!(number.is_empty() || number == individual_number(9, i as u64).to_string());
        }
    }

    #[test]
    fn foreign_household_probability_is_calibrated() {
        let ppm = MODEL.foreign_household_ppm;
        // Foreign households are smaller, so more than 2.7% of households are foreign.
        assert!((27_000..60_000).contains(&ppm), "{ppm}");
    }
}

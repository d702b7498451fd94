//! Dates: ISO 8601 and Japanese era forms (明治…令和), partial birth dates.
//!
//! The rules are stated in docs/domain.md ("Dates"); this file is their only implementation.
//! Every date is proleptic Gregorian and an era date converts arithmetically (see
//! [`Era::Meiji`] for what that means for 明治1–5年). On the day an era began both the old and
//! the new era's form are read (FORMATS §1); juki writes the new era's form.

use crate::catalogue::{
    DATE_BEFORE_MEIJI, DATE_BIRTH_FORMAT, DATE_ERA_UNKNOWN, DATE_FORMAT, DATE_NOT_REAL,
    DATE_OUTSIDE_ERA, ErrorDef,
};
use crate::problem::Problem;
use std::fmt;

pub use jiff::civil::Date;

/// The first day of 明治 in juki; no earlier day has an era form.
pub const MEIJI_START: Date = Date::constant(1868, 10, 23);

/// The longest input the parsers look at, in characters (the longest valid form has 12).
const INPUT_CHARS_MAX: usize = 32;

/// A Japanese era (元号) since 明治.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// 明治, from 1868-10-23 (慶応4年9月8日, the day of the proclamation).
    ///
    /// Japan counted 明治1–5年 in the lunisolar calendar: 明治5年12月2日 was followed by
    /// 明治6年1月1日 (1873-01-01), and 明治元年 was applied back to the start of that lunisolar
    /// year. juki converts no lunisolar dates: an era date is always the Gregorian month and day
    /// of Gregorian year (first year of the era + era year − 1), so 明治5年12月3日 reads as
    /// 1872-12-03. A date recorded in the old calendar must be converted before it is entered.
    Meiji,
    /// 大正, from 1912-07-30.
    Taisho,
    /// 昭和, from 1926-12-25.
    Showa,
    /// 平成, from 1989-01-08.
    Heisei,
    /// 令和, from 2019-05-01.
    Reiwa,
}

impl Era {
    /// Every era, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era's name in kanji, e.g. `令和`.
    pub fn kanji(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The era's letter in the short form (`R5.4.1`), upper case.
    pub fn letter(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The first day of the era (元年), proleptic Gregorian.
    pub fn start(self) -> Date {
        match self {
            Era::Meiji => MEIJI_START,
            Era::Taisho => Date::constant(1912, 7, 30),
            Era::Showa => Date::constant(1926, 12, 25),
            Era::Heisei => Date::constant(1989, 1, 8),
            Era::Reiwa => Date::constant(2019, 5, 1),
        }
    }

    /// The era that followed this one.
    pub fn next(self) -> Option<Era> {
        Era::ALL.into_iter().find(|e| *e > self)
    }

    /// The last day written in this era: the day the next era began, on which both forms are
    /// read (FORMATS §1). `None` for the current era.
    pub fn last_day(self) -> Option<Date> {
        self.next().map(Era::start)
    }

    /// The era that runs on `d` (on the first day of an era, the new one); `None` before 明治.
    pub fn on(d: Date) -> Option<Era> {
        Era::ALL.into_iter().rev().find(|e| e.start() <= d)
    }

    /// The era named in kanji (`令和`) or by its one-character sign (`㋿`, U+32FF).
    pub fn from_name(name: &str) -> Option<Era> {
        match name {
            "明治" | "\u{337E}" => Some(Era::Meiji),
            "大正" | "\u{337D}" => Some(Era::Taisho),
            "昭和" | "\u{337C}" => Some(Era::Showa),
            "平成" | "\u{337B}" => Some(Era::Heisei),
            "令和" | "\u{32FF}" => Some(Era::Reiwa),
            _ => None,
        }
    }

    /// The era of a letter, upper or lower case (`R`, `r`).
    pub fn from_letter(c: char) -> Option<Era> {
        Era::ALL
            .into_iter()
            .find(|e| e.letter() == c.to_ascii_uppercase())
    }
}

impl fmt::Display for Era {
    /// The kanji name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kanji())
    }
}

/// A date in era form: 令和5年4月1日 is `{ era: Reiwa, year: 5, month: 4, day: 1 }`.
/// Year 1 is 元年.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EraDate {
    pub era: Era,
    pub year: i16,
    pub month: i8,
    pub day: i8,
}

impl EraDate {
    /// The Gregorian date, checking the calendar and the era's span (the day the next era began
    /// still counts as this era's).
    pub fn to_date(self) -> Result<Date, Problem> {
        resolve(self.parts(Style::Kanji)).map(|(first, _)| first)
    }

    /// The short form with the era's letter, e.g. `R5.4.1` (no padding).
    pub fn letter_form(self) -> String {
        let mut out = String::new();
        self.parts(Style::Letter)
            .write(&mut out)
            .expect("writing to a String cannot fail");
        out
    }

    fn parts(self, style: Style) -> Parts {
        Parts {
            era: self.era,
            year: self.year,
            month: Some(self.month),
            day: Some(self.day),
            style,
        }
    }
}

impl fmt::Display for EraDate {
    /// `令和5年4月1日`, `令和元年5月1日`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts(Style::Kanji).write(f)
    }
}

/// The era form of `d`, in the new era on the day an era began; `None` before 1868-10-23.
pub fn to_era(d: Date) -> Option<EraDate> {
    let era = Era::on(d)?;
    Some(EraDate {
        era,
        year: d.year() - era.start().year() + 1,
        month: d.month(),
        day: d.day(),
    })
}

/// Parses a full date: `YYYY-MM-DD` (ASCII, exactly that shape) or an era form of FORMATS §1:
/// `令和5年4月1日`, `令和元年5月1日`, `R5.4.1`, `R05.04.01`, for every era since 明治. Era forms
/// may use full-width characters (`令和５年４月１日`, `Ｒ５．４．１`) and lower-case letters.
pub fn parse_date(s: &str) -> Result<Date, Problem> {
    if s.chars().count() > INPUT_CHARS_MAX {
        return Err(Problem::new(&DATE_FORMAT));
    }
    if let Some(r) = read_iso(s) {
        return r;
    }
    match read_era(s) {
        Some(Ok(p)) if p.day.is_some() => resolve(p).map(|(first, _)| first),
        Some(Ok(_)) => {
            Err(Problem::new(&DATE_FORMAT).note("a full date with month and day is needed"))
        }
        Some(Err(problem)) => Err(problem),
        None => Err(unrecognised(&DATE_FORMAT, s, parse_date)),
    }
}

/// A birth date, which may be partly unknown (BRIEF §7): never invent a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BirthDate {
    Full(Date),
    YearMonth {
        year: i16,
        month: i8,
    },
    Year(i16),
    /// 不詳
    Unknown,
}

/// Parses a birth date: any full date form of [`parse_date`], `YYYY-MM`, `YYYY`, an era year
/// or month (`昭和50年`, `昭和50年3月`, `S50`, `S50.3`), or `不詳`.
pub fn parse_birth_date(s: &str) -> Result<BirthDate, Problem> {
    if s.chars().count() > INPUT_CHARS_MAX {
        return Err(Problem::new(&DATE_BIRTH_FORMAT));
    }
    if let Some(r) = read_stored(s) {
        return r;
    }
    match read_era(s) {
        Some(Ok(p)) => {
            let (first, _) = resolve(p)?;
            Ok(match (p.month, p.day) {
                (Some(_), Some(_)) => BirthDate::Full(first),
                (Some(_), None) => BirthDate::YearMonth {
                    year: first.year(),
                    month: first.month(),
                },
                (None, _) => BirthDate::Year(first.year()),
            })
        }
        Some(Err(problem)) => Err(problem),
        None => Err(unrecognised(&DATE_BIRTH_FORMAT, s, parse_birth_date)),
    }
}

impl BirthDate {
    /// Reads back what [`Display`](fmt::Display) writes: `1998-07-14`, `1998-07`, `1998`, `不詳`.
    pub fn parse_stored(s: &str) -> Result<BirthDate, Problem> {
        read_stored(s).unwrap_or_else(|| Err(Problem::new(&DATE_BIRTH_FORMAT)))
    }

    /// The year, when known.
    pub fn year(self) -> Option<i16> {
        match self {
            BirthDate::Full(d) => Some(d.year()),
            BirthDate::YearMonth { year, .. } | BirthDate::Year(year) => Some(year),
            BirthDate::Unknown => None,
        }
    }

    /// The first day the birth date can be; `None` for 不詳.
    pub fn earliest(self) -> Option<Date> {
        match self {
            BirthDate::Full(d) => Some(d),
            BirthDate::YearMonth { year, month } => Date::new(year, month, 1).ok(),
            BirthDate::Year(year) => Date::new(year, 1, 1).ok(),
            BirthDate::Unknown => None,
        }
    }

    /// The last day the birth date can be; `None` for 不詳.
    pub fn latest(self) -> Option<Date> {
        match self {
            BirthDate::Full(d) => Some(d),
            BirthDate::YearMonth { .. } => self.earliest().map(Date::last_of_month),
            BirthDate::Year(_) => self.earliest().map(Date::last_of_year),
            BirthDate::Unknown => None,
        }
    }

    /// Whether the birth date is certainly after `d` (every day it can be is later), e.g. after
    /// a change's effective date ([`DATE_BIRTH_AFTER_EFFECTIVE`](crate::catalogue::DATE_BIRTH_AFTER_EFFECTIVE)).
    pub fn is_after(self, d: Date) -> bool {
        self.earliest().is_some_and(|first| first > d)
    }
}

impl fmt::Display for BirthDate {
    /// `1998-07-14`, `1998-07`, `1998` or `不詳`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Full(d) => write!(f, "{d}"),
            BirthDate::YearMonth { year, month } => write!(f, "{year:04}-{month:02}"),
            BirthDate::Year(y) => write!(f, "{y:04}"),
            BirthDate::Unknown => f.write_str("不詳"),
        }
    }
}

/// How an era date was written, so that a suggestion is written the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Kanji,
    Letter,
}

/// An era date as read, possibly without day or month.
#[derive(Clone, Copy, Debug)]
struct Parts {
    era: Era,
    year: i16,
    month: Option<i8>,
    day: Option<i8>,
    style: Style,
}

impl Parts {
    fn write(self, out: &mut impl fmt::Write) -> fmt::Result {
        match self.style {
            Style::Kanji => {
                out.write_str(self.era.kanji())?;
                match self.year {
                    1 => out.write_str("元年")?,
                    y => write!(out, "{y}年")?,
                }
                if let Some(m) = self.month {
                    write!(out, "{m}月")?;
                }
                if let Some(d) = self.day {
                    write!(out, "{d}日")?;
                }
            }
            Style::Letter => {
                write!(out, "{}{}", self.era.letter(), self.year)?;
                for n in [self.month, self.day].into_iter().flatten() {
                    write!(out, ".{n}")?;
                }
            }
        }
        Ok(())
    }
}

/// Checks an era date against the calendar and the era's span; returns its first and last
/// possible day (the same day for a full date).
fn resolve(p: Parts) -> Result<(Date, Date), Problem> {
    if p.year < 1 {
        return Err(Problem::new(&DATE_OUTSIDE_ERA).note("era years start at 1 (元年)"));
    }
    let year =
        i16::try_from(i32::from(p.era.start().year()) + i32::from(p.year) - 1).map_err(not_real)?;
    let (first, last) = match (p.month, p.day) {
        (Some(m), Some(d)) => {
            let day = Date::new(year, m, d).map_err(not_real)?;
            (day, day)
        }
        (Some(m), None) => {
            let first = Date::new(year, m, 1).map_err(not_real)?;
            (first, first.last_of_month())
        }
        (None, _) => {
            let first = Date::new(year, 1, 1).map_err(not_real)?;
            (first, first.last_of_year())
        }
    };
    if last < p.era.start() && p.era == Era::Meiji {
        return Err(Problem::new(&DATE_BEFORE_MEIJI));
    }
    if last < p.era.start() || p.era.last_day().is_some_and(|end| first > end) {
        return Err(outside_era(p, first));
    }
    Ok((first, last))
}

/// The problem for an era date outside its era, naming the era that runs then and giving the
/// same date in that era.
fn outside_era(p: Parts, first: Date) -> Problem {
    let span = match p.era.last_day() {
        Some(end) => format!("{} ran from {} to {end}", p.era, p.era.start()),
        None => format!("{} began on {}", p.era, p.era.start()),
    };
    let problem = Problem::new(&DATE_OUTSIDE_ERA);
    let Some(then) = to_era(first) else {
        return problem.note(span);
    };
    let mut suggestion = String::new();
    Parts {
        era: then.era,
        year: then.year,
        ..p
    }
    .write(&mut suggestion)
    .expect("writing to a String cannot fail");
    problem
        .note(format!("{span}; the date falls in {}", then.era))
        .suggest(suggestion)
}

/// `YYYY-MM-DD` in ASCII; `None` when `s` does not have that shape.
fn read_iso(s: &str) -> Option<Result<Date, Problem>> {
    let [y, m, d] = ascii_fields(s, [4, 2, 2])?;
    Some(Date::new(y, m as i8, d as i8).map_err(not_real))
}

/// The stored forms of a birth date (its Display); `None` when `s` has none of their shapes.
fn read_stored(s: &str) -> Option<Result<BirthDate, Problem>> {
    if s == "不詳" {
        return Some(Ok(BirthDate::Unknown));
    }
    if let Some(r) = read_iso(s) {
        return Some(r.map(BirthDate::Full));
    }
    if let Some([year, month]) = ascii_fields(s, [4, 2]) {
        return Some(match month {
            1..=12 => Ok(BirthDate::YearMonth {
                year,
                month: month as i8,
            }),
            _ => Err(Problem::new(&DATE_NOT_REAL)),
        });
    }
    let [year] = ascii_fields(s, [4])?;
    Some(Ok(BirthDate::Year(year)))
}

/// Splits `s` at `-` into `N` fields of exactly the given numbers of ASCII digits.
fn ascii_fields<const N: usize>(s: &str, widths: [usize; N]) -> Option<[i16; N]> {
    let mut out = [0; N];
    let mut fields = s.split('-');
    for (o, w) in out.iter_mut().zip(widths) {
        let field = fields.next()?;
        if field.len() != w {
            return None;
        }
        *o = number(field, w)?;
    }
    fields.next().is_none().then_some(out)
}

fn not_real<E>(_: E) -> Problem {
    Problem::new(&DATE_NOT_REAL)
}

/// 1 to `digits_max` ASCII digits.
fn number(s: &str, digits_max: usize) -> Option<i16> {
    if s.is_empty() || s.len() > digits_max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Full-width ASCII (U+FF01–U+FF5E: `０`, `Ｒ`, `．`) to ASCII.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(c as u32 - 0xFEE0).expect("U+0021–U+007E are characters")
        }
        _ => c,
    }
}

/// Reads an era form: `令和5年4月1日` (or a prefix ending in 年 or 月) or `R5.4.1` (or fewer
/// fields). `None` when `s` is not shaped like one; an error when it is but names no known era.
fn read_era(s: &str) -> Option<Result<Parts, Problem>> {
    let t: String = s.chars().map(fold_width).collect();
    let first = t.chars().next()?;
    if first.is_ascii_alphabetic() {
        let mut fields = t[1..].split('.');
        let year = number(fields.next()?, 3)?;
        // Month and day: absent, or 1-2 digits (an empty or longer field is no era form).
        let mut small = || match fields.next() {
            None => Some(None),
            Some(n) => number(n, 2).map(|n| Some(n as i8)),
        };
        let (month, day) = (small()?, small()?);
        if fields.next().is_some() {
            return None;
        }
        let Some(era) = Era::from_letter(first) else {
            let shown = s.chars().next().expect("t is not empty, so neither is s");
            return Some(Err(Problem::new(&DATE_ERA_UNKNOWN).at(1, shown)));
        };
        return Some(Ok(Parts {
            era,
            year,
            month,
            day,
            style: Style::Letter,
        }));
    }
    let (head, tail) = t.split_once('年')?;
    let name = head.trim_end_matches(|c: char| c.is_ascii_digit());
    let (name, year) = match &head[name.len()..] {
        "" => (head.strip_suffix('元')?, 1),
        digits => (name, number(digits, 3)?),
    };
    let (month, day) = match tail.split_once('月') {
        None if tail.is_empty() => (None, None),
        None => return None,
        Some((m, "")) => (Some(number(m, 2)?), None),
        Some((m, d)) => (Some(number(m, 2)?), Some(number(d.strip_suffix('日')?, 2)?)),
    };
    if name.is_empty() || name.chars().any(|c| c.is_ascii() || c.is_whitespace()) {
        return None;
    }
    let month = month.map(|m| m as i8);
    let day = day.map(|d| d as i8);
    Some(match Era::from_name(name) {
        Some(era) => Ok(Parts {
            era,
            year,
            month,
            day,
            style: Style::Kanji,
        }),
        None => Err(Problem::new(&DATE_ERA_UNKNOWN)),
    })
}

/// The problem for text in no known form, with a suggestion when one can be derived: the
/// value without surrounding spaces, or a Western date written another way (`2023/4/1`,
/// `2023年4月1日`, full-width digits) in the standard form.
fn unrecognised<T>(
    def: &'static ErrorDef,
    s: &str,
    parse: fn(&str) -> Result<T, Problem>,
) -> Problem {
    let problem = Problem::new(def);
    let trimmed = s.trim();
    if trimmed != s && parse(trimmed).is_ok() {
        return problem.suggest(trimmed);
    }
    let t: String = s.chars().map(fold_width).collect();
    let fields: Vec<&str> = t
        .trim_end_matches(['年', '月', '日'])
        .split(['-', '/', '.', '年', '月'])
        .collect();
    // Only a candidate: `parse` checks it (and, seeing its own output, stops recursing).
    let guess = match fields[..] {
        [y, m, d] => format!("{y}-{m:0>2}-{d:0>2}"),
        [y, m] => format!("{y}-{m:0>2}"),
        [y] => y.to_string(),
        _ => return problem,
    };
    if guess != s && parse(&guess).is_ok() {
        problem.suggest(guess)
    } else {
        problem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn code(r: Result<impl fmt::Debug, Problem>) -> &'static str {
        r.expect_err("should be refused").code()
    }

    fn suggestion(r: Result<impl fmt::Debug, Problem>) -> Option<String> {
        r.expect_err("should be refused").suggestion
    }

    #[test]
    fn every_era_boundary_reads_both_forms_on_the_first_day_only() {
        for era in Era::ALL {
            let start = era.start();
            let before = start.yesterday().expect("in range");
            let after = start.tomorrow().expect("in range");
            let first = to_era(start).expect("an era runs");
            assert_eq!((first.era, first.year), (era, 1), "{era}");
            assert!(
                first.to_string().starts_with(&format!("{era}元年")),
                "{first}"
            );
            assert_eq!(to_era(after).map(|e| (e.era, e.year)), Some((era, 1)));
            let new = |d: Date| EraDate {
                era,
                year: 1,
                month: d.month(),
                day: d.day(),
            };
            assert_eq!(parse_date(&new(start).to_string()), Ok(start));
            assert_eq!(parse_date(&new(start).letter_form()), Ok(start));
            assert_eq!(parse_date(&new(after).to_string()), Ok(after));
            let expected = if era == Era::Meiji {
                "JK-DATE-0105"
            } else {
                "JK-DATE-0104"
            };
            assert_eq!(
                code(parse_date(&new(before).to_string())),
                expected,
                "{era}"
            );
            assert_eq!(
                code(parse_date(&new(before).letter_form())),
                expected,
                "{era}"
            );
            let Some(prev) = Era::ALL.into_iter().rev().find(|e| *e < era) else {
                assert_eq!(to_era(before), None);
                continue;
            };
            assert_eq!(to_era(before).map(|e| e.era), Some(prev));
            let old = |d: Date| EraDate {
                era: prev,
                year: d.year() - prev.start().year() + 1,
                month: d.month(),
                day: d.day(),
            };
            assert_eq!(parse_date(&old(before).to_string()), Ok(before));
            assert_eq!(
                parse_date(&old(start).to_string()),
                Ok(start),
                "{}",
                old(start)
            );
            assert_eq!(
                parse_date(&old(start).letter_form()),
                Ok(start),
                "{}",
                old(start).letter_form()
            );
            let refused = parse_date(&old(after).to_string());
            assert_eq!(suggestion(refused.clone()), Some(new(after).to_string()));
            assert_eq!(code(refused), "JK-DATE-0104");
            assert_eq!(
                suggestion(parse_date(&old(after).letter_form())),
                Some(new(after).letter_form())
            );
        }
    }

    #[test]
    fn boundaries_of_formats_section_1() {
        let ok = |s: &str, d: Date| assert_eq!(parse_date(s), Ok(d), "{s}");
        ok("明治45年7月30日", date(1912, 7, 30));
        ok("大正元年7月30日", date(1912, 7, 30));
        ok("平成31年5月1日", date(2019, 5, 1));
        ok("令和元年5月1日", date(2019, 5, 1));
        ok("令和1年5月1日", date(2019, 5, 1));
        ok("昭和64年1月8日", date(1989, 1, 8));
        ok("平成元年1月8日", date(1989, 1, 8));
        ok("大正15年12月25日", date(1926, 12, 25));
        ok("昭和元年12月25日", date(1926, 12, 25));
        assert_eq!(
            suggestion(parse_date("明治45年7月31日")).as_deref(),
            Some("大正元年7月31日")
        );
        assert_eq!(
            suggestion(parse_date("平成31年5月2日")).as_deref(),
            Some("令和元年5月2日")
        );
        assert_eq!(
            suggestion(parse_date("昭和64年1月9日")).as_deref(),
            Some("平成元年1月9日")
        );
        assert_eq!(
            suggestion(parse_date("令和1年4月30日")).as_deref(),
            Some("平成31年4月30日")
        );
        assert_eq!(
            suggestion(parse_date("平成32年1月1日")).as_deref(),
            Some("令和2年1月1日")
        );
        assert_eq!(suggestion(parse_date("H31.5.2")).as_deref(), Some("R1.5.2"));
        assert_eq!(code(parse_date("令和0年5月1日")), "JK-DATE-0104");
        assert_eq!(code(parse_date("R0.5.1")), "JK-DATE-0104");
        assert_eq!(code(parse_date("明治元年10月22日")), "JK-DATE-0105");
        assert_eq!(to_era(date(1868, 10, 22)), None);
    }

    #[test]
    fn display_and_letter_forms() {
        let e = to_era(date(2023, 4, 1)).expect("令和");
        assert_eq!(
            (e.to_string(), e.letter_form()),
            ("令和5年4月1日".into(), "R5.4.1".into())
        );
        let e = to_era(date(2019, 5, 1)).expect("令和");
        assert_eq!(
            (e.to_string(), e.letter_form()),
            ("令和元年5月1日".into(), "R1.5.1".into())
        );
        let e = to_era(date(1975, 3, 9)).expect("昭和");
        assert_eq!(
            (e.to_string(), e.letter_form()),
            ("昭和50年3月9日".into(), "S50.3.9".into())
        );
    }

    #[test]
    fn every_written_form_of_one_date() {
        for s in [
            "2023-04-01",
            "令和5年4月1日",
            "令和05年04月01日",
            "令和５年４月１日",
            "\u{32FF}5年4月1日",
            "R5.4.1",
            "R05.04.01",
            "r5.4.1",
            "Ｒ５．４．１",
            "R５.４.１",
        ] {
            assert_eq!(parse_date(s), Ok(date(2023, 4, 1)), "{s}");
        }
        for (s, d) in [
            ("M6.1.1", date(1873, 1, 1)),
            ("T15.12.24", date(1926, 12, 24)),
            ("s64.1.7", date(1989, 1, 7)),
            ("H1.1.8", date(1989, 1, 8)),
        ] {
            assert_eq!(parse_date(s), Ok(d), "{s}");
        }
    }

    #[test]
    fn invalid_and_unrecognised_dates() {
        for s in [
            "2023-02-29",
            "2024-02-30",
            "2023-13-01",
            "2023-00-10",
            "令和5年2月29日",
            "R5.2.29",
            "R5.13.1",
        ] {
            assert_eq!(code(parse_date(s)), "JK-DATE-0102", "{s}");
        }
        assert_eq!(parse_date("2024-02-29"), Ok(date(2024, 2, 29)));
        for s in [
            "",
            "2023-4-1",
            "2023/04/01",
            "20230401",
            "２０２３－０４－０１",
            "令和5年4月1",
            "令和5年4月",
            "令和五年四月一日",
            "R5.4",
            "R5..1",
            "R5.4.1.",
            "R1234.1.1",
            "5.4.1",
            "令和 5年4月1日",
            " 2023-04-01",
            "R5年4月1日",
        ] {
            assert_eq!(code(parse_date(s)), "JK-DATE-0101", "{s:?}");
        }
        assert_eq!(code(parse_date(&"9".repeat(100))), "JK-DATE-0101");
        assert_eq!(
            suggestion(parse_date("2023/4/1")).as_deref(),
            Some("2023-04-01")
        );
        assert_eq!(
            suggestion(parse_date("２０２３－０４－０１")).as_deref(),
            Some("2023-04-01")
        );
        assert_eq!(
            suggestion(parse_date("2023年4月1日")).as_deref(),
            Some("2023-04-01")
        );
        assert_eq!(
            suggestion(parse_date(" R5.4.1 ")).as_deref(),
            Some("R5.4.1")
        );
        assert_eq!(suggestion(parse_date("2023/02/30")), None);
        assert_eq!(suggestion(parse_date("令和五年四月一日")), None);
        for s in ["X5.4.1", "慶応3年1月1日", "元治元年1月1日", "天平5年1月1日"] {
            assert_eq!(code(parse_date(s)), "JK-DATE-0103", "{s}");
        }
        let unknown = parse_date("x5.4.1").expect_err("no era x");
        assert_eq!((unknown.position, unknown.ch), (Some(1), Some('x')));
    }

    #[test]
    fn birth_dates_full_and_partial() {
        let ok = |s: &str, b: BirthDate| assert_eq!(parse_birth_date(s), Ok(b), "{s}");
        ok("不詳", BirthDate::Unknown);
        ok("1998-07-14", BirthDate::Full(date(1998, 7, 14)));
        ok("平成10年7月14日", BirthDate::Full(date(1998, 7, 14)));
        ok("H10.07.14", BirthDate::Full(date(1998, 7, 14)));
        ok(
            "1998-07",
            BirthDate::YearMonth {
                year: 1998,
                month: 7,
            },
        );
        ok("1998", BirthDate::Year(1998));
        ok("昭和50年", BirthDate::Year(1975));
        ok(
            "昭和50年3月",
            BirthDate::YearMonth {
                year: 1975,
                month: 3,
            },
        );
        ok("S50", BirthDate::Year(1975));
        ok(
            "s50.3",
            BirthDate::YearMonth {
                year: 1975,
                month: 3,
            },
        );
        ok("昭和元年", BirthDate::Year(1926));
        ok("大正15年", BirthDate::Year(1926));
        ok(
            "平成31年5月",
            BirthDate::YearMonth {
                year: 2019,
                month: 5,
            },
        );
        ok("明治元年", BirthDate::Year(1868));
        ok(
            "明治元年10月",
            BirthDate::YearMonth {
                year: 1868,
                month: 10,
            },
        );
        assert_eq!(code(parse_birth_date("1998-13")), "JK-DATE-0102");
        assert_eq!(code(parse_birth_date("S50.13")), "JK-DATE-0102");
        assert_eq!(code(parse_birth_date("明治元年9月")), "JK-DATE-0105");
        assert_eq!(code(parse_birth_date("Q50")), "JK-DATE-0103");
        for s in [
            "",
            "19980",
            "98",
            "1998-7",
            "1998年",
            "不明",
            "昭和50",
            "S50.3.",
            "1998-07-14 ",
        ] {
            assert_eq!(code(parse_birth_date(s)), "JK-DATE-0106", "{s:?}");
        }
        assert_eq!(
            suggestion(parse_birth_date("1998-7")).as_deref(),
            Some("1998-07")
        );
        assert_eq!(
            suggestion(parse_birth_date("1998年")).as_deref(),
            Some("1998")
        );
        assert_eq!(
            suggestion(parse_birth_date("1998/7/14")).as_deref(),
            Some("1998-07-14")
        );
        assert_eq!(
            suggestion(parse_birth_date("平成32年")).as_deref(),
            Some("令和2年")
        );
        assert_eq!(
            suggestion(parse_birth_date("令和元年4月")).as_deref(),
            Some("平成31年4月")
        );
        assert_eq!(
            suggestion(parse_birth_date("H31.6")).as_deref(),
            Some("R1.6")
        );
        assert_eq!(
            suggestion(parse_birth_date("大正元年1月")).as_deref(),
            Some("明治45年1月")
        );
    }

    #[test]
    fn stored_birth_dates_read_back() {
        for b in [
            BirthDate::Full(date(1998, 7, 14)),
            BirthDate::YearMonth {
                year: 1998,
                month: 7,
            },
            BirthDate::Year(1998),
            BirthDate::Unknown,
        ] {
            assert_eq!(BirthDate::parse_stored(&b.to_string()), Ok(b));
        }
        for s in ["昭和50年", "S50", "1998-7", "", "1998-00"] {
            assert!(BirthDate::parse_stored(s).is_err(), "{s}");
        }
    }

    #[test]
    fn birth_date_bounds() {
        let ym = BirthDate::YearMonth {
            year: 2024,
            month: 2,
        };
        assert_eq!(
            (ym.earliest(), ym.latest()),
            (Some(date(2024, 2, 1)), Some(date(2024, 2, 29)))
        );
        assert_eq!(BirthDate::Year(2023).latest(), Some(date(2023, 12, 31)));
        assert_eq!(BirthDate::Unknown.earliest(), None);
        assert_eq!(ym.year(), Some(2024));
        assert_eq!(BirthDate::Unknown.year(), None);
        assert!(ym.is_after(date(2024, 1, 31)));
        assert!(!ym.is_after(date(2024, 2, 1)));
        assert!(!BirthDate::Year(2024).is_after(date(2024, 6, 1)));
        assert!(!BirthDate::Unknown.is_after(date(1900, 1, 1)));
    }

    #[test]
    fn every_day_since_meiji_round_trips() {
        let end = date(2100, 12, 31);
        let mut d = MEIJI_START;
        while d <= end {
            let e = to_era(d).expect("since 明治");
            assert_eq!(parse_date(&e.to_string()), Ok(d), "{e}");
            assert_eq!(parse_date(&e.letter_form()), Ok(d), "{}", e.letter_form());
            assert_eq!(e.to_date(), Ok(d));
            d = d.tomorrow().expect("in range");
        }
    }

    #[test]
    fn problems_as_a_clerk_reads_them() {
        let shown: Vec<String> = [
            "平成31年5月2日",
            "令和0年5月1日",
            "R1.4.30",
            "X5.4.1",
            "2023/4/1",
            "2023-02-29",
            "明治元年10月22日",
            "昭和50年",
        ]
        .into_iter()
        .map(|s| {
            parse_date(s)
                .expect_err("refused")
                .field("effective_date")
                .to_string()
        })
        .collect();
        expect![[r#"
            JK-DATE-0104 effective_date: 元号の期間外の日付です / The date lies outside the era [平成 ran from 1989-01-08 to 2019-05-01; the date falls in 令和] → 令和元年5月2日
            JK-DATE-0104 effective_date: 元号の期間外の日付です / The date lies outside the era [era years start at 1 (元年)]
            JK-DATE-0104 effective_date: 元号の期間外の日付です / The date lies outside the era [令和 began on 2019-05-01; the date falls in 平成] → H31.4.30
            JK-DATE-0103 effective_date 1文字目 'X' (U+0058): 元号が正しくありません（明治・大正・昭和・平成・令和、またはM・T・S・H・R） / Unknown era (use 明治, 大正, 昭和, 平成, 令和 or M, T, S, H, R)
            JK-DATE-0101 effective_date: 日付の形式が正しくありません（例: 2023-04-01、令和5年4月1日、R5.4.1） / The date is not in a recognised form (e.g. 2023-04-01, 令和5年4月1日, R5.4.1) → 2023-04-01
            JK-DATE-0102 effective_date: 存在しない日付です / No such day exists in the calendar
            JK-DATE-0105 effective_date: 明治より前の日付は和暦で表せません / A date before 明治 (1868-10-23) has no era form
            JK-DATE-0101 effective_date: 日付の形式が正しくありません（例: 2023-04-01、令和5年4月1日、R5.4.1） / The date is not in a recognised form (e.g. 2023-04-01, 令和5年4月1日, R5.4.1) [a full date with month and day is needed]"#]].assert_eq(&shown.join("\n"));
    }

    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    char::from_u32(c as u32 + 0xFEE0).expect("０-９")
                } else {
                    c
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn era_forms_round_trip(offset in 0i32..=84_805, pad: bool, wide: bool, lower: bool) {
            let d = MEIJI_START.checked_add(jiff::Span::new().days(offset)).expect("in range");
            let e = to_era(d).expect("since 明治");
            let (y, m, dd) = if pad {
                (format!("{:02}", e.year), format!("{:02}", e.month), format!("{:02}", e.day))
            } else {
                (e.year.to_string(), e.month.to_string(), e.day.to_string())
            };
            let letter = if lower { e.era.letter().to_ascii_lowercase() } else { e.era.letter() };
            let mut kanji = format!("{}{y}年{m}月{dd}日", e.era);
            let mut short = format!("{letter}{y}.{m}.{dd}");
            if wide {
                kanji = full_width(&kanji);
                short = full_width(&short);
            }
            prop_assert_eq!(parse_date(&kanji), Ok(d), "{}", kanji);
            prop_assert_eq!(parse_date(&short), Ok(d), "{}", short);
            prop_assert_eq!(parse_date(&e.to_string()), Ok(d));
            prop_assert_eq!(parse_date(&e.letter_form()), Ok(d));
            prop_assert_eq!(parse_date(&d.to_string()), Ok(d));
        }

        #[test]
        fn parsers_never_panic_and_agree(s in "[0-9０-９RrSHMTX令和平成昭大正明治元年月日./ -]{0,14}") {
            let full = parse_date(&s);
            let birth = parse_birth_date(&s);
            if let Ok(d) = full {
                prop_assert_eq!(birth, Ok(BirthDate::Full(d)));
                let e = to_era(d);
                prop_assert!(e.is_none() || parse_date(&e.expect("some").to_string()) == Ok(d));
            }
        }
    }
}

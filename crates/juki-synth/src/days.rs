//! Calendar dates as day numbers (days since 1970-01-01), converted and formatted by hand so the
//! hot loop neither allocates nor goes through a general date library.
//!
//! The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days` for the proleptic
//! Gregorian calendar.

/// A day number: days since 1970-01-01 (negative before).
pub type Day = i32;

/// Day number of a (year, month, day).
pub fn from_civil(y: i32, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// (year, month, day) of a day number.
pub fn to_civil(day: Day) -> (i32, u32, u32) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i32 + era * 400 + i32::from(m <= 2);
    (y, m, d)
}

/// Day number of a `jiff` date.
pub fn from_jiff(date: jiff::civil::Date) -> Day {
    from_civil(
        i32::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    )
}

#[inline]
fn push2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// Appends a four-digit year (years 1000–9999; the options keep dates in that range).
#[inline]
pub fn push_year(out: &mut Vec<u8>, y: i32) {
    debug_assert!((1000..=9999).contains(&y));
    let y = y as u32;
    push2(out, y / 100);
    push2(out, y % 100);
}

/// Appends `YYYY-MM-DD`.
#[inline]
pub fn push_date(out: &mut Vec<u8>, day: Day) {
    let (y, m, d) = to_civil(day);
    push_year(out, y);
    out.push(b'-');
    push2(out, m);
    out.push(b'-');
    push2(out, d);
}

/// Appends `YYYY-MM`.
#[inline]
pub fn push_year_month(out: &mut Vec<u8>, day: Day) {
    let (y, m, _) = to_civil(day);
    push_year(out, y);
    out.push(b'-');
    push2(out, m);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_against_jiff() {
        let mut date = jiff::civil::date(1850, 1, 1);
        let end = jiff::civil::date(2250, 12, 31);
        let mut expected = from_jiff(date);
        while date <= end {
            let day = from_jiff(date);
            assert_eq!(day, expected, "{date}");
            let (y, m, d) = to_civil(day);
            assert_eq!(
                (y, m, d),
                (
                    i32::from(date.year()),
                    date.month() as u32,
                    date.day() as u32
                )
            );
            let mut text = Vec::new();
            push_date(&mut text, day);
            assert_eq!(String::from_utf8(text).unwrap(), date.to_string());
            date = date.tomorrow().unwrap();
            expected += 1;
        }
        assert_eq!(from_civil(1970, 1, 1), 0);
    }
}

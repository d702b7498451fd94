//! Codes and their check digits: local government code, resident code, individual number.
//!
//! Each rule is stated in docs/domain.md; the functions here are its only implementation.

use crate::catalogue::{
    CODE_INDIVIDUAL_CHECK_DIGIT, CODE_INDIVIDUAL_FORMAT, CODE_LGC_CHECK_DIGIT, CODE_LGC_FORMAT,
    CODE_RESIDENT_CHECK_DIGIT, CODE_RESIDENT_FORMAT,
};
use crate::problem::Problem;
use std::fmt;

/// Parses exactly `N` ASCII digits.
fn digits<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, &c) in out.iter_mut().zip(b) {
        if !c.is_ascii_digit() {
            return None;
        }
        *o = c - b'0';
    }
    Some(out)
}

fn to_number(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |acc, &x| acc * 10 + u64::from(x))
}

/// 地方公共団体コード: five digits and a check digit.
///
/// Check digit = (11 − (Σ wᵢ·dᵢ mod 11)) mod 10 with weights 6,5,4,3,2 over the first five digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalGovernmentCode(u32);

impl LocalGovernmentCode {
    /// The check digit for the five leading digits `d`.
    pub fn check_digit(d: [u8; 5]) -> u8 {
        let sum: u32 = d
            .iter()
            .zip([6u32, 5, 4, 3, 2])
            .map(|(&x, w)| u32::from(x) * w)
            .sum();
        ((11 - sum % 11) % 10) as u8
    }

    /// Builds a code from its five leading digits (e.g. `13114`), adding the check digit.
    pub fn from_five(five: u32) -> Option<LocalGovernmentCode> {
        if five > 99_999 {
            return None;
        }
        let mut d = [0u8; 5];
        let mut n = five;
        for slot in d.iter_mut().rev() {
            *slot = (n % 10) as u8;
            n /= 10;
        }
        Some(LocalGovernmentCode(
            five * 10 + u32::from(Self::check_digit(d)),
        ))
    }

    /// Parses and checks a 6-digit code.
    pub fn parse(s: &str) -> Result<LocalGovernmentCode, Problem> {
        let d = digits::<6>(s).ok_or_else(|| Problem::new(&CODE_LGC_FORMAT))?;
        let expected = Self::check_digit([d[0], d[1], d[2], d[3], d[4]]);
        if d[5] != expected {
            return Err(Problem::new(&CODE_LGC_CHECK_DIGIT)
                .note(format!("expected check digit {expected}")));
        }
        Ok(LocalGovernmentCode(to_number(&d) as u32))
    }

    /// The code as a number, e.g. `131148`.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The two-digit prefecture number, 1–47.
    pub fn prefecture(self) -> u8 {
        (self.0 / 10_000) as u8
    }

    /// The prefecture's own code (`PP000` + check digit), e.g. 130001 for any code of 東京都.
    pub fn prefecture_code(self) -> LocalGovernmentCode {
        Self::from_five(u32::from(self.prefecture()) * 1000).expect("two digits and zeros fit five")
    }

    /// The first five digits, without the check digit.
    pub fn five(self) -> u32 {
        self.0 / 10
    }
}

impl fmt::Display for LocalGovernmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl std::str::FromStr for LocalGovernmentCode {
    type Err = Problem;
    fn from_str(s: &str) -> Result<Self, Problem> {
        Self::parse(s)
    }
}

/// The weighted-sum-mod-11 rule shared by the resident code and the individual number:
/// check = 11 − (sum mod 11), and 0 when the remainder is 0 or 1.
fn mod11_check(sum: u32) -> u8 {
    let r = sum % 11;
    if r <= 1 { 0 } else { (11 - r) as u8 }
}

/// 住民票コード: ten digits and a check digit.
///
/// Check digit = 11 − (Σ Pₙ·Qₙ mod 11) over the first ten digits, Pₙ the n-th digit counted
/// from the least significant (n = 1…10), Qₙ = n+1 for n ≤ 6 and n−5 for n ≥ 7; 0 when the
/// remainder is 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResidentCode(u64);

impl ResidentCode {
    /// Number of possible resident codes (one per ten-digit body).
    pub const SPACE: u64 = 10_000_000_000;

    /// The check digit for a ten-digit body (0 ≤ body < 10¹⁰).
    pub fn check_digit(body: u64) -> u8 {
        debug_assert!(body < Self::SPACE);
        let mut sum = 0u32;
        let mut rest = body;
        for n in 1..=10u32 {
            let p = (rest % 10) as u32;
            rest /= 10;
            let q = if n <= 6 { n + 1 } else { n - 5 };
            sum += p * q;
        }
        mod11_check(sum)
    }

    /// The code whose first ten digits are `body`. Panics if `body` ≥ 10¹⁰ (a programming error).
    pub fn from_body(body: u64) -> ResidentCode {
        assert!(body < Self::SPACE, "a resident code body has ten digits");
        ResidentCode(body * 10 + u64::from(Self::check_digit(body)))
    }

    /// Parses and checks an 11-digit code.
    pub fn parse(s: &str) -> Result<ResidentCode, Problem> {
        let d = digits::<11>(s).ok_or_else(|| Problem::new(&CODE_RESIDENT_FORMAT))?;
        let value = to_number(&d);
        let expected = Self::check_digit(value / 10);
        if d[10] != expected {
            return Err(Problem::new(&CODE_RESIDENT_CHECK_DIGIT));
        }
        Ok(ResidentCode(value))
    }

    /// Rebuilds a code stored as a number; `None` when the number is not a valid code.
    pub fn from_u64(value: u64) -> Option<ResidentCode> {
        (value < Self::SPACE * 10 && Self::check_digit(value / 10) as u64 == value % 10)
            .then_some(ResidentCode(value))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The first ten digits.
    pub fn body(self) -> u64 {
        self.0 / 10
    }
}

impl fmt::Display for ResidentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:011}", self.0)
    }
}

impl std::str::FromStr for ResidentCode {
    type Err = Problem;
    fn from_str(s: &str) -> Result<Self, Problem> {
        Self::parse(s)
    }
}

/// 個人番号 (individual number): eleven digits and a check digit (MIC ordinance No. 85 art. 5):
/// weights 6,5,4,3,2,7,6,5,4,3,2 over the first eleven digits from the left;
/// check = 11 − (sum mod 11), and 0 when the remainder is 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndividualNumber(u64);

impl IndividualNumber {
    const WEIGHTS: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

    /// The check digit for the first eleven digits.
    pub fn check_digit(d: &[u8; 11]) -> u8 {
        let sum: u32 = d
            .iter()
            .zip(Self::WEIGHTS)
            .map(|(&x, w)| u32::from(x) * w)
            .sum();
        mod11_check(sum)
    }

    /// The number whose first eleven digits are `body` (< 10¹¹).
    pub fn from_body(body: u64) -> IndividualNumber {
        assert!(
            body < 100_000_000_000,
            "an individual number body has eleven digits"
        );
        let mut d = [0u8; 11];
        let mut n = body;
        for slot in d.iter_mut().rev() {
            *slot = (n % 10) as u8;
            n /= 10;
        }
        IndividualNumber(body * 10 + u64::from(Self::check_digit(&d)))
    }

    pub fn parse(s: &str) -> Result<IndividualNumber, Problem> {
        let d = digits::<12>(s).ok_or_else(|| Problem::new(&CODE_INDIVIDUAL_FORMAT))?;
        let mut body = [0u8; 11];
        body.copy_from_slice(&d[..11]);
        if d[11] != Self::check_digit(&body) {
            return Err(Problem::new(&CODE_INDIVIDUAL_CHECK_DIGIT));
        }
        Ok(IndividualNumber(to_number(&d)))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for IndividualNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_government_code_check_digits() {
        for ok in ["011011", "131016", "130001", "131148", "122190", "272108"] {
            assert!(
                LocalGovernmentCode::parse(ok).is_ok(),
                "{ok} should be valid"
            );
        }
        for bad in ["130000", "011003"] {
            assert_eq!(
                LocalGovernmentCode::parse(bad).unwrap_err().code(),
                "JK-CODE-0102",
                "{bad}"
            );
        }
        for malformed in ["", "13114", "1311480", "13114a", "１３１１４８", " 131148"] {
            assert_eq!(
                LocalGovernmentCode::parse(malformed).unwrap_err().code(),
                "JK-CODE-0101",
                "{malformed:?}"
            );
        }
        let c = LocalGovernmentCode::parse("131148").unwrap();
        assert_eq!(c.prefecture(), 13);
        assert_eq!(c.prefecture_code().to_string(), "130001");
        assert_eq!(
            LocalGovernmentCode::from_five(1101).unwrap().to_string(),
            "011011"
        );
    }

    #[test]
    fn resident_code_examples_from_formats() {
        for ok in ["12345678903", "23456789013"] {
            assert!(ResidentCode::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            ResidentCode::parse("12345678904").unwrap_err().code(),
            "JK-CODE-0202"
        );
        assert_eq!(
            ResidentCode::parse("1234567890").unwrap_err().code(),
            "JK-CODE-0201"
        );
        assert_eq!(
            ResidentCode::parse("1234567890a").unwrap_err().code(),
            "JK-CODE-0201"
        );
    }

    #[test]
    fn individual_number_example_from_ordinance() {
        assert!(IndividualNumber::parse("983205673214").is_ok());
        assert_eq!(
            IndividualNumber::parse("983205673215").unwrap_err().code(),
            "JK-CODE-0302"
        );
        assert_eq!(
            IndividualNumber::parse("98320567321").unwrap_err().code(),
            "JK-CODE-0301"
        );
        assert_eq!(
            IndividualNumber::from_body(98320567321).to_string(),
            "983205673214"
        );
    }

    proptest! {
        #[test]
        fn resident_codes_round_trip(body in 0u64..ResidentCode::SPACE) {
            let code = ResidentCode::from_body(body);
            let text = code.to_string();
            prop_assert_eq!(text.len(), 11);
            prop_assert_eq!(ResidentCode::parse(&text).unwrap(), code);
            prop_assert_eq!(ResidentCode::from_u64(code.get()), Some(code));
            prop_assert_eq!(code.body(), body);
        }

        #[test]
        fn a_changed_digit_is_caught_unless_the_check_is_zero_collapsed(body in 0u64..ResidentCode::SPACE, wrong in 0u8..10) {
            let code = ResidentCode::from_body(body);
            let mut text = code.to_string().into_bytes();
            let last = text[10] - b'0';
            prop_assume!(wrong != last);
            text[10] = b'0' + wrong;
            let text = String::from_utf8(text).unwrap();
            prop_assert!(ResidentCode::parse(&text).is_err());
        }

        #[test]
        fn individual_numbers_round_trip(body in 0u64..100_000_000_000) {
            let n = IndividualNumber::from_body(body);
            prop_assert_eq!(IndividualNumber::parse(&n.to_string()).unwrap(), n);
        }

        #[test]
        fn local_government_codes_round_trip(five in 0u32..100_000) {
            let c = LocalGovernmentCode::from_five(five).unwrap();
            prop_assert_eq!(LocalGovernmentCode::parse(&c.to_string()).unwrap(), c);
        }
    }
}

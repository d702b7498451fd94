//! Time-based one-time codes (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1 of the 30-second step
//! since the Unix epoch, truncated to 6 digits — what every authenticator app computes from the
//! secret in an `otpauth://` URI. The clock is the caller's (`now_ms`).

use ring::hmac;
use subtle::ConstantTimeEq;

/// The length of one step, in seconds.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Steps either side of the current one whose codes are accepted (a clock a little off, a code
/// typed as it changed).
pub const SKEW_STEPS: i64 = 1;
/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// The step a time falls in.
pub fn step_at(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000).div_euclid(STEP_SECONDS)
}

/// The HOTP value of `counter` (RFC 4226 §5.3), `digits` long with leading zeros.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    let value = u64::from(binary) % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// The code of `step` (6 digits). Steps before the epoch have none.
pub fn code_at_step(secret: &[u8], step: i64) -> Option<String> {
    u64::try_from(step).ok().map(|s| hotp(secret, s, DIGITS))
}

/// The code an authenticator shows at `now_ms` for a base32 secret (as enrolment hands it
/// out), or None when the secret is not base32.
pub fn current_code(secret_base32: &str, now_ms: i64) -> Option<String> {
    let secret = decode_secret(secret_base32)?;
    code_at_step(&secret, step_at(now_ms))
}

/// A secret as written in `otpauth://` URIs: base32 (RFC 4648) without padding.
pub fn encode_secret(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// Reads a base32 secret (upper case, padding optional).
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    data_encoding::BASE32_NOPAD.decode(trimmed.as_bytes()).ok()
}

/// The step among `now`'s ±[`SKEW_STEPS`] whose code `code` is, if any. Every candidate is
/// compared, in constant time, so the time taken does not say which one matched or how much of
/// a code was right.
pub fn matching_step(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let now = step_at(now_ms);
    let mut found = None;
    for step in now - SKEW_STEPS..=now + SKEW_STEPS {
        let Some(expected) = code_at_step(secret, step) else {
            continue;
        };
        let same: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_4226_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                *want,
                "counter {counter}"
            );
        }
    }

    /// RFC 6238 Appendix B, the SHA-1 rows (8 digits).
    #[test]
    fn rfc_6238_totp_vectors() {
        let rows: [(i64, &str); 6] = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (t, want) in rows {
            let step = step_at(t * 1000) as u64;
            assert_eq!(hotp(RFC_SECRET, step, 8), want, "T = {t}");
            // The 6-digit code is the same value's last six digits.
            assert_eq!(
                code_at_step(RFC_SECRET, step as i64).unwrap(),
                want[2..],
                "T = {t}"
            );
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_and_no_further() {
        let now = 1_111_111_111_000;
        let step = step_at(now);
        for (delta, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at_step(RFC_SECRET, step + delta).unwrap();
            let got = matching_step(RFC_SECRET, &code, now);
            if accepted {
                assert_eq!(got, Some(step + delta), "step {delta:+}");
            } else {
                assert_ne!(got, Some(step + delta), "step {delta:+}");
            }
        }
        assert_eq!(matching_step(RFC_SECRET, "", now), None);
        assert_eq!(matching_step(RFC_SECRET, "1234567", now), None);
    }

    #[test]
    fn secrets_round_trip_through_base32() {
        assert_eq!(
            encode_secret(RFC_SECRET),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(
            decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
            RFC_SECRET
        );
        assert_eq!(decode_secret("not base32!"), None);
        assert_eq!(
            current_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59_000).unwrap(),
            "287082"
        );
    }
}

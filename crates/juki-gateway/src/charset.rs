//! The character set the municipality's systems share (docs/gateway-formats.md, "Character
//! set"): JIS X 0208 through CP932 with a filter on top, a list of allowed characters, or any
//! Unicode the name rules accept.
//!
//! `encoding_rs`'s Shift_JIS is CP932: it encodes NEC row 13 (①, Ⅰ), the NEC-selected IBM
//! extensions (rows 89–92) and the IBM extensions (rows 115–119, e.g. 髙), none of which are
//! JIS X 0208. A character is in JIS X 0208 when CP932 writes it in one byte (JIS X 0201) or in
//! two whose row (区) is 1–8 or 16–84. The verdict for every BMP character is computed once
//! into a bitmap, so checking costs a lookup per character.

use juki_domain::catalogue::GW_ALLOW_LIST;
use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::csv_input::FileError;

/// What characters the gateway accepts beyond the name rules.
#[derive(Clone, Debug, Default)]
pub enum CharSet {
    /// JIS X 0208 (with ASCII), as the existing systems' CP932 holds it.
    Jis0208,
    /// Anything the name rules accept: the default, since the network stores Unicode and
    /// names such as 髙橋 (FORMATS §1's own example) lie outside JIS X 0208.
    #[default]
    Unicode,
    /// ASCII and the characters listed.
    Allow(BTreeSet<char>),
}

impl CharSet {
    /// Whether `c` is in the set. Variation selectors are judged with the character before
    /// them (they select a glyph of it), so they are always in.
    pub fn contains(&self, c: char) -> bool {
        if c.is_ascii() || is_variation_selector(c) {
            return true;
        }
        match self {
            CharSet::Jis0208 => in_jis0208(c),
            CharSet::Unicode => true,
            CharSet::Allow(set) => set.contains(&c),
        }
    }

    /// A short name for notes: `JIS X 0208`, `Unicode`, `allow-list`.
    pub fn name(&self) -> &'static str {
        match self {
            CharSet::Jis0208 => "JIS X 0208",
            CharSet::Unicode => "Unicode",
            CharSet::Allow(_) => "allow-list",
        }
    }

    /// `unicode`, `jis0208`, or the allow-list read by `read_file` for `allow:FILE`.
    pub fn from_flag(
        flag: &str,
        read_file: impl FnOnce(&str) -> Result<String, FileError>,
    ) -> Result<Option<CharSet>, FileError> {
        Ok(match flag {
            "unicode" => Some(CharSet::Unicode),
            "jis0208" => Some(CharSet::Jis0208),
            _ => match flag.strip_prefix("allow:") {
                Some(path) => Some(CharSet::parse_allow_list(&read_file(path)?)?),
                None => None,
            },
        })
    }

    /// Reads an allow-list: per line a character, `U+XXXX`, or `U+XXXX..U+YYYY`; `#` starts a
    /// comment. Private-use characters cannot be allowed (they go through the 外字 table).
    pub fn parse_allow_list(text: &str) -> Result<CharSet, FileError> {
        let mut set = BTreeSet::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |why: &str| FileError {
                def: &GW_ALLOW_LIST,
                detail: format!("line {}: {why}", i + 1),
            };
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            let (first, last) = match entry.split_once("..") {
                Some((a, b)) => (parse_char(a), parse_char(b)),
                None => {
                    let c = parse_char(entry);
                    (c, c)
                }
            };
            let (Some(first), Some(last)) = (first, last) else {
                return Err(bad("not a character, U+XXXX or U+XXXX..U+YYYY"));
            };
            if last < first || (last as u32 - first as u32) > 0x10000 {
                return Err(bad("the range is reversed or larger than 65,536"));
            }
            for c in first..=last {
                if crate::gaiji::is_private_use(c) {
                    return Err(bad("private-use characters go in the 外字 mapping table"));
                }
                set.insert(c);
            }
        }
        Ok(CharSet::Allow(set))
    }
}

/// `U+XXXX` or a single character.
pub(crate) fn parse_char(s: &str) -> Option<char> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("U+").or_else(|| s.strip_prefix("u+")) {
        if hex.is_empty() || hex.len() > 6 {
            return None;
        }
        return u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
    }
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

pub(crate) fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether `c` is in JIS X 0208 (or JIS X 0201, one byte in CP932).
pub fn in_jis0208(c: char) -> bool {
    let cp = c as u32;
    if cp > 0xFFFF {
        return false; // CP932 has no character outside the BMP
    }
    let bits = jis0208_bitmap();
    bits[(cp / 64) as usize] & (1u64 << (cp % 64)) != 0
}

fn jis0208_bitmap() -> &'static [u64; 1024] {
    static BITS: OnceLock<Box<[u64; 1024]>> = OnceLock::new();
    BITS.get_or_init(|| {
        let mut bits = Box::new([0u64; 1024]);
        let mut buf = [0u8; 4];
        for cp in 0..=0xFFFFu32 {
            if let Some(c) = char::from_u32(cp)
                && encodes_in_jis0208(c.encode_utf8(&mut buf))
            {
                bits[(cp / 64) as usize] |= 1u64 << (cp % 64);
            }
        }
        bits
    })
}

/// CP932 encodes `s` (one character) in one byte, or in two of JIS X 0208's rows.
fn encodes_in_jis0208(s: &str) -> bool {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
    if unmappable {
        return false;
    }
    match *bytes {
        [_] => true,
        [lead, trail] => matches!(jis_row(lead, trail), 1..=8 | 16..=84),
        _ => false,
    }
}

/// The JIS X 0208 row (区, 1-based) of a Shift_JIS double-byte pair; rows past 94 are the
/// user-defined area and the IBM extensions.
pub fn jis_row(lead: u8, trail: u8) -> u8 {
    let pair = match lead {
        0x81..=0x9F => lead - 0x81,
        _ => lead.wrapping_sub(0xC1),
    };
    pair * 2 + 1 + u8::from(trail >= 0x9F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jis_x_0208_without_the_cp932_extensions() {
        // Rows 1-8 and 16-84: symbols, kana, both kanji levels.
        for c in [
            '亜', '佐', '々', 'ヶ', '〆', 'ー', '・', '熙', '凜', '高', '崎', 'Ａ', '〒',
        ] {
            assert!(in_jis0208(c), "{c}");
        }
        // NEC row 13, IBM extensions, JIS X 0213 / Unicode only.
        for c in ['①', 'Ⅰ', '㈱', '髙', '﨑', '𠮷', '俱', '剝', '鿰'] {
            assert!(!in_jis0208(c), "{c} U+{:04X}", c as u32);
        }
        assert_eq!(jis_row(0x88, 0x9F), 16); // 亜
        assert_eq!(jis_row(0x87, 0x40), 13); // ①
        assert_eq!(jis_row(0xED, 0x40), 89);
        assert_eq!(jis_row(0xFA, 0x40), 115);
        assert!(CharSet::Jis0208.contains('\u{E0100}'));
        assert!(CharSet::Unicode.contains('髙'));
    }

    #[test]
    fn allow_lists() {
        let set =
            CharSet::parse_allow_list("# names\n髙\nU+5D0E\nU+3041..U+3043 # small a to small i\n")
                .unwrap();
        for c in ['髙', '崎', 'ぁ', 'あ', 'ぃ', 'a'] {
            assert!(set.contains(c), "{c}");
        }
        assert!(!set.contains('高'));
        for bad in ["ab", "U+E000", "U+3043..U+3041", "U+ZZZZ"] {
            let e = CharSet::parse_allow_list(bad).err().unwrap();
            assert_eq!(e.def.code, "JK-GW-0203", "{bad}");
        }
    }
}

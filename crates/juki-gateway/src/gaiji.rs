//! The municipality's 外字 mapping table (docs/gateway-formats.md): private-use code points to
//! standard characters (a character, optionally with a variation selector). Every field is
//! translated through it before validation; what stays private-use is refused by the rules.

use crate::charset::{is_variation_selector, parse_char};
use crate::csv_input::FileError;
use juki_domain::catalogue::GW_MAPPING_TABLE;
use std::collections::HashMap;

/// Entries a table may hold (the 2011–12 survey found a few thousand 外字 per municipality).
pub const ENTRIES_MAX: usize = 100_000;

/// Whether `c` is a private-use character (外字): U+E000–F8FF and planes 15 and 16.
pub fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// A mapping table; empty when the municipality has none.
#[derive(Clone, Debug, Default)]
pub struct GaijiTable {
    map: HashMap<char, String>,
}

impl GaijiTable {
    /// Reads the table: per line `U+XXXX<TAB>U+YYYY[ U+ZZZZ]`; blank lines and `#` lines are
    /// skipped. Any malformed line refuses the whole table.
    pub fn parse(text: &str) -> Result<GaijiTable, FileError> {
        let mut map = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |why: &str| FileError {
                def: &GW_MAPPING_TABLE,
                detail: format!("line {}: {why}", i + 1),
            };
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((from, to)) = line.split_once('\t') else {
                return Err(bad("expected two columns separated by a TAB"));
            };
            let from = parse_code_point(from).ok_or_else(|| bad("left side is not U+XXXX"))?;
            if !is_private_use(from) {
                return Err(bad("left side is not a private-use code point"));
            }
            let mut value = String::new();
            for (k, part) in to.split(' ').filter(|p| !p.is_empty()).enumerate() {
                let c = parse_code_point(part).ok_or_else(|| bad("right side is not U+XXXX"))?;
                if is_private_use(c) || c.is_control() {
                    return Err(bad("right side must be standard characters"));
                }
                if (k == 0) == is_variation_selector(c) {
                    return Err(bad(
                        "right side is one character, optionally followed by variation selectors",
                    ));
                }
                value.push(c);
            }
            if value.is_empty() {
                return Err(bad("right side is empty"));
            }
            if map.insert(from, value).is_some() {
                return Err(bad("this code point is mapped twice"));
            }
            if map.len() > ENTRIES_MAX {
                return Err(bad("more entries than the table may hold"));
            }
        }
        Ok(GaijiTable { map })
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// `value` with every mapped private-use character replaced; `None` when it has none to
    /// replace (the common case: no allocation). Unmapped ones are left for the rules to refuse.
    pub fn translate(&self, value: &str) -> Option<String> {
        if self.map.is_empty() || !value.chars().any(|c| self.map.contains_key(&c)) {
            return None;
        }
        let mut out = String::with_capacity(value.len());
        for c in value.chars() {
            match self.map.get(&c) {
                Some(to) => out.push_str(to),
                None => out.push(c),
            }
        }
        Some(out)
    }
}

/// `U+XXXX` only: a table names code points, never raw characters, so that it reads the same
/// in any font.
fn parse_code_point(s: &str) -> Option<char> {
    let s = s.trim();
    if !(s.starts_with("U+") || s.starts_with("u+")) {
        return None;
    }
    parse_char(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_maps_to_characters_and_variation_sequences() {
        let t = GaijiTable::parse(
            "# 外字 mapping table\nU+E000\tU+9AD9\n\nU+E001\tU+845B U+E0100\r\nU+F0000\tU+5D0E\n",
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.translate("\u{E000}橋").as_deref(), Some("髙橋"));
        assert_eq!(t.translate("\u{E001}飾").as_deref(), Some("葛\u{E0100}飾"));
        assert_eq!(t.translate("田中"), None);
        // Unmapped private-use characters stay, for the rules to refuse.
        assert_eq!(
            t.translate("\u{E000}\u{E0FF}").as_deref(),
            Some("髙\u{E0FF}")
        );
    }

    #[test]
    fn a_malformed_line_refuses_the_table() {
        for bad in [
            "U+E000 U+9AD9",
            "U+9AD9\tU+9AD9",
            "U+E000\tU+E001",
            "U+E000\t",
            "U+E000\tU+E0100",
            "U+E000\tU+9AD9 U+9AD9",
            "U+E000\t髙",
            "U+E000\tU+9AD9\nU+E000\tU+9AD9",
        ] {
            let e = GaijiTable::parse(bad).err().unwrap();
            assert_eq!(e.def.code, "JK-GW-0202", "{bad:?}");
        }
    }
}

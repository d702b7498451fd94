//! Declared encodings (UTF-8 or CP932), the byte-order mark, and decoding one field.
//!
//! The encoding of a file is declared, never guessed: by the `--encoding` flag, by the format's
//! default (UTF-8 for CSV and JSON lines, CP932 for fixed-width records), or by a UTF-8 BOM. A
//! BOM that contradicts the declaration — a UTF-8 BOM on a file declared CP932, or any UTF-16
//! BOM — refuses the whole file (`JK-GW-0101`): reading it either way would be a guess.

use crate::csv_input::FileError;
use juki_domain::catalogue::{GW_BOM_MISMATCH, IN_UNREADABLE};
use std::io::{Chain, Cursor, Read};

/// An encoding the gateway reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    /// Microsoft's Shift_JIS (Windows-31J), as `encoding_rs::SHIFT_JIS` decodes it. Which of
    /// its characters are acceptable is the character set's business (`charset.rs`).
    Cp932,
}

impl Encoding {
    /// `utf-8` or `cp932` (also `utf8`, `shift_jis`, `sjis`, `windows-31j`), any case.
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "cp932" | "shift_jis" | "shift-jis" | "sjis" | "windows-31j" | "ms932" => {
                Some(Encoding::Cp932)
            }
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Cp932 => "cp932",
        }
    }

    /// The text of `bytes`, or `None` when they are not valid in this encoding. Never replaces
    /// a byte: a record with one bad byte is refused, not stored with U+FFFD in it.
    pub fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            Encoding::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_owned),
            Encoding::Cp932 => {
                if bytes.is_ascii() {
                    // ASCII is the same in CP932 but for 0x5C and 0x7E, which encoding_rs
                    // (like Windows) also reads as \ and ~.
                    return std::str::from_utf8(bytes).ok().map(str::to_owned);
                }
                encoding_rs::SHIFT_JIS
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .map(|c| c.into_owned())
            }
        }
    }
}

/// A stream with the bytes looked at for a BOM put back in front (without the BOM).
pub type Prefixed<R> = Chain<Cursor<Vec<u8>>, R>;

const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Reads the first bytes of `input` for a byte-order mark and settles the encoding: the
/// declared one, else `default`. A UTF-8 BOM is dropped (and confirms UTF-8); a contradicting
/// BOM is a file error.
pub fn settle<R: Read>(
    mut input: R,
    declared: Option<Encoding>,
    default: Encoding,
) -> Result<(Encoding, Prefixed<R>), FileError> {
    let mut head = [0u8; 3];
    let mut n = 0;
    while n < head.len() {
        match input.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(FileError {
                    def: &IN_UNREADABLE,
                    detail: e.to_string(),
                });
            }
        }
    }
    let head = &head[..n];
    let mismatch = |detail: &str| FileError {
        def: &GW_BOM_MISMATCH,
        detail: detail.to_string(),
    };
    let (encoding, skip) = if head == UTF8_BOM {
        match declared {
            Some(Encoding::Cp932) => {
                return Err(mismatch("UTF-8 byte-order mark, but cp932 was declared"));
            }
            Some(Encoding::Utf8) | None => (Encoding::Utf8, 3),
        }
    } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(mismatch(
            "UTF-16 byte-order mark; juki reads UTF-8 and CP932",
        ));
    } else {
        (declared.unwrap_or(default), 0)
    };
    Ok((encoding, Cursor::new(head[skip..].to_vec()).chain(input)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest<R: Read>(mut r: Prefixed<R>) -> Vec<u8> {
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        v
    }

    #[test]
    fn a_utf8_bom_is_honoured_and_dropped() {
        let (e, r) = settle(&b"\xEF\xBB\xBFab"[..], None, Encoding::Cp932).unwrap();
        assert_eq!((e, rest(r)), (Encoding::Utf8, b"ab".to_vec()));
        let (e, _) = settle(&b"\xEF\xBB\xBFab"[..], Some(Encoding::Utf8), Encoding::Utf8).unwrap();
        assert_eq!(e, Encoding::Utf8);
    }

    #[test]
    fn a_bom_that_contradicts_the_declaration_refuses_the_file() {
        let e = settle(
            &b"\xEF\xBB\xBFab"[..],
            Some(Encoding::Cp932),
            Encoding::Utf8,
        )
        .err()
        .unwrap();
        assert_eq!(e.def.code, "JK-GW-0101");
        let e = settle(&b"\xFF\xFEa\0"[..], None, Encoding::Utf8)
            .err()
            .unwrap();
        assert_eq!(e.def.code, "JK-GW-0101");
    }

    #[test]
    fn short_files_and_no_bom_keep_every_byte() {
        let (e, r) = settle(&b"a"[..], None, Encoding::Cp932).unwrap();
        assert_eq!((e, rest(r)), (Encoding::Cp932, b"a".to_vec()));
        let (_, r) = settle(&b""[..], None, Encoding::Utf8).unwrap();
        assert!(rest(r).is_empty());
    }

    #[test]
    fn cp932_decodes_without_replacement() {
        assert_eq!(
            Encoding::Cp932.decode(b"\x8d\xb2\x93\xa1").as_deref(),
            Some("佐藤")
        );
        // A lead byte without its trail byte is refused, not replaced.
        assert_eq!(Encoding::Cp932.decode(b"\x8d"), None);
        assert_eq!(Encoding::Utf8.decode(b"\xff"), None);
        assert_eq!(Encoding::parse("CP932"), Some(Encoding::Cp932));
        assert_eq!(Encoding::parse("latin1"), None);
    }
}

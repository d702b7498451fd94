//! Character classes of the name rules, and the verdict on one character of a field.
//!
//! Everything here is a `match` on code point ranges: the validator calls [`verdict`] once per
//! character, so it must stay cheap. The ranges follow the Unicode version of
//! `unicode-normalization`, which also answers "is this code point assigned?".

use crate::catalogue::{
    ErrorDef, NAME_COMPAT_IDEOGRAPH, NAME_DIGIT, NAME_HALFWIDTH_KANA, NAME_KANA_HIRAGANA,
    NAME_KANA_NOT_KATAKANA, NAME_LATIN_DIACRITIC, NAME_LATIN_FULLWIDTH, NAME_LATIN_LOWERCASE,
    NAME_LATIN_SEPARATOR, NAME_MIXED_SCRIPT, NAME_OTHER_SCRIPT, NAME_PRIVATE_USE, NAME_RADICAL,
    NAME_SPACE_CONTROL, NAME_SYMBOL, NAME_UNASSIGNED, NAME_VARIATION_SELECTOR,
};
use std::sync::OnceLock;
use unicode_normalization::char::{
    compose, decompose_canonical, decompose_cjk_compat_variants, is_public_assigned,
};

/// The rule set a field is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// A name in kanji and kana.
    Japanese,
    /// A name in Latin letters (residents who are not Japanese nationals).
    Latin,
    /// A reading (フリガナ) in full-width katakana.
    Kana,
}

/// The combining (non-spacing) voiced and semi-voiced sound marks.
pub(super) const VOICED_MARK: char = '\u{3099}';
pub(super) const SEMI_VOICED_MARK: char = '\u{309A}';

/// A kanji juki stores: a CJK unified ideograph (URO, Extension A, Extensions B–J), including the
/// twelve unified ideographs that live in the compatibility block (﨑 U+FA11 …).
pub(super) fn is_kanji(c: char) -> bool {
    match c {
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' => true,
        '\u{FA0E}'
        | '\u{FA0F}'
        | '\u{FA11}'
        | '\u{FA13}'
        | '\u{FA14}'
        | '\u{FA1F}'
        | '\u{FA21}'
        | '\u{FA23}'
        | '\u{FA24}'
        | '\u{FA27}'..='\u{FA29}' => true,
        // Extensions B–F and I, then G, H and J; blocks have unassigned tails.
        '\u{20000}'..='\u{2A6DF}' | '\u{2A700}'..='\u{2EE5F}' | '\u{30000}'..='\u{3347F}' => {
            is_public_assigned(c)
        }
        _ => false,
    }
}

/// A code point in one of the two CJK compatibility ideograph blocks (assigned or not).
fn in_compat_block(c: char) -> bool {
    matches!(c, '\u{F900}'..='\u{FAFF}' | '\u{2F800}'..='\u{2FA1F}')
}

/// A CJK compatibility ideograph that NFC folds into a unified ideograph (e.g. U+F91D 欄).
pub(super) fn is_compat_ideograph(c: char) -> bool {
    if !in_compat_block(c) || is_kanji(c) || !is_public_assigned(c) {
        return false;
    }
    let mut folds = false;
    decompose_canonical(c, |d| folds |= d != c);
    folds
}

/// A kanji, or a compatibility ideograph that looks like one.
fn is_kanji_like(c: char) -> bool {
    is_kanji(c) || is_compat_ideograph(c)
}

/// Kangxi radicals and the CJK radicals supplement: symbols that look like kanji.
fn is_radical(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{2EFF}' | '\u{2F00}'..='\u{2FDF}')
}

/// Hiragana, including ゔ ゕ ゖ and the iteration marks ゝ ゞ.
pub(super) fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | 'ゝ' | 'ゞ')
}

/// Full-width katakana letters ァ–ヺ (small kana, ヴ, ヵ, ヶ, ヷ–ヺ) and the small katakana
/// extension ㇰ–ㇿ (used for Ainu).
pub(super) fn is_katakana_letter(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | '\u{31F0}'..='\u{31FF}')
}

/// What a Japanese-script name may hold besides kanji: kana, ー, the iteration marks and the
/// marks names use (々 as in 佐々木, 〆; ヶ and ノ are katakana).
fn is_japanese_name_char(c: char) -> bool {
    is_hiragana(c) || is_katakana_letter(c) || matches!(c, 'ー' | 'ヽ' | 'ヾ' | '々' | '〆')
}

/// What a reading may hold.
fn is_reading_char(c: char) -> bool {
    is_katakana_letter(c) || matches!(c, 'ー' | '・')
}

/// Half-width katakana and the half-width punctuation of the same block (｡｢｣､･).
pub(super) fn is_halfwidth_kana(c: char) -> bool {
    matches!(c, '\u{FF61}'..='\u{FF9F}')
}

/// Any character that makes a name Japanese-script when it is the first letter.
pub(super) fn is_japanese_script(c: char) -> bool {
    is_kanji_like(c)
        || is_japanese_name_char(c)
        || matches!(c, '\u{FF66}'..='\u{FF9D}')
        || (is_radical(c) && is_public_assigned(c))
}

/// The form a Latin letter is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LatinForm {
    /// `A`–`Z`: what a Latin name is written in.
    Capital,
    /// `a`–`z`.
    Small,
    /// `Ａ`–`Ｚ`, `ａ`–`ｚ`.
    FullWidth,
    /// A letter of the Latin-1 supplement or the Latin extensions (É, ñ, ß, Ø …).
    Extended,
}

/// The form of `c` when it is a Latin letter.
pub(super) fn latin_form(c: char) -> Option<LatinForm> {
    match c {
        'A'..='Z' => Some(LatinForm::Capital),
        'a'..='z' => Some(LatinForm::Small),
        '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => Some(LatinForm::FullWidth),
        '\u{00D7}' | '\u{00F7}' => None,
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' if c.is_alphabetic() => {
            Some(LatinForm::Extended)
        }
        _ => None,
    }
}

/// A character a Latin name uses, or that is meant as, a word separator.
pub(super) fn is_separator_like(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '\'' | '\u{3000}' | '\u{00A0}' | '\u{FF0D}' | '\u{FF07}' | '\u{2010}'
            ..='\u{2013}' | '\u{2212}' | '\u{2018}' | '\u{2019}' | '\u{02BC}'
    )
}

/// Variation selectors: standardized (VS1–16), ideographic (VS17–256), Mongolian.
fn is_variation_selector(c: char) -> bool {
    matches!(
        c,
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{180B}'..='\u{180D}' | '\u{180F}'
    )
}

/// Invisible format characters that arrive by copy and paste: soft hyphen, zero-width
/// characters, directional marks, word joiner, BOM, tags.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Private use (外字): the BMP area and planes 15 and 16 (bar their noncharacters).
fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// The 66 noncharacters.
fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{FDD0}'..='\u{FDEF}') || (c as u32 & 0xFFFE) == 0xFFFE
}

/// The pairs (unified kanji, VS1–VS16) that Unicode defines as standardized variation
/// sequences: one for each CJK compatibility ideograph. Built once, on first use.
fn standardized_variants() -> &'static [(char, char)] {
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Vec::with_capacity(1024);
        for c in ('\u{F900}'..='\u{FAFF}').chain('\u{2F800}'..='\u{2FA1F}') {
            let mut seq = ['\0'; 2];
            let mut n = 0;
            decompose_cjk_compat_variants(c, |d| {
                if n < 2 {
                    seq[n] = d;
                }
                n += 1;
            });
            if n == 2 && is_variation_selector(seq[1]) {
                table.push((seq[0], seq[1]));
            }
        }
        table.sort_unstable();
        table.dedup();
        table
    })
}

/// Whether a variation selector `vs` after `prev` is in place. A selector after a refused
/// compatibility ideograph is not reported again: that character's problem covers it.
fn variation_selector_ok(prev: Option<char>, vs: char) -> bool {
    let Some(p) = prev else { return false };
    if is_compat_ideograph(p) {
        return true;
    }
    if !is_kanji(p) {
        return false;
    }
    match vs {
        '\u{E0100}'..='\u{E01EF}' => true,
        '\u{FE00}'..='\u{FE0F}' => standardized_variants().binary_search(&(p, vs)).is_ok(),
        _ => false,
    }
}

/// The verdict on character `c` of a field in `mode`, with its neighbours in the value as given:
/// `None` when the character is allowed there, else the rule it breaks.
pub(super) fn verdict(
    mode: Mode,
    prev: Option<char>,
    c: char,
    next: Option<char>,
) -> Option<&'static ErrorDef> {
    // The common case first: allowed characters return after one or two range tests.
    match mode {
        Mode::Japanese if is_kanji(c) || is_japanese_name_char(c) => return None,
        Mode::Kana if is_reading_char(c) => return None,
        Mode::Latin if c.is_ascii_uppercase() => return None,
        _ => {}
    }
    match c {
        VOICED_MARK | SEMI_VOICED_MARK if mode != Mode::Latin => {
            // Decomposed kana (カ + U+3099): NFC composes it, so it is accepted.
            return match prev.and_then(|p| compose(p, c)) {
                Some(_) => None,
                None => Some(&NAME_SYMBOL),
            };
        }
        _ if is_variation_selector(c) => {
            return (!variation_selector_ok(prev, c)).then_some(&NAME_VARIATION_SELECTOR);
        }
        _ => {}
    }
    if mode == Mode::Latin
        && let Some(def) = latin_verdict(prev, c, next)
    {
        return def;
    }
    Some(refusal(mode, c))
}

/// The Latin-only verdicts; `None` when the general refusal applies.
fn latin_verdict(
    prev: Option<char>,
    c: char,
    next: Option<char>,
) -> Option<Option<&'static ErrorDef>> {
    let def: &'static ErrorDef = match c {
        ' ' | '-' | '\'' => {
            let alone = prev.is_some_and(|p| !is_separator_like(p))
                && next.is_some_and(|n| !is_separator_like(n));
            return Some((!alone).then_some(&NAME_LATIN_SEPARATOR));
        }
        '\u{0300}'..='\u{036F}' => &NAME_LATIN_DIACRITIC,
        '\u{3000}' | '\u{FF0D}' | '\u{FF07}' => &NAME_LATIN_FULLWIDTH,
        '\u{2010}'..='\u{2013}' | '\u{2212}' | '\u{2018}' | '\u{2019}' | '\u{02BC}' => &NAME_SYMBOL,
        _ => match latin_form(c)? {
            LatinForm::Capital => return Some(None),
            LatinForm::Small => &NAME_LATIN_LOWERCASE,
            LatinForm::FullWidth => &NAME_LATIN_FULLWIDTH,
            LatinForm::Extended => &NAME_LATIN_DIACRITIC,
        },
    };
    Some(Some(def))
}

/// Why a character that is not allowed in `mode` is refused. Order matters: the most
/// specific reason a clerk can act on comes first.
fn refusal(mode: Mode, c: char) -> &'static ErrorDef {
    if c.is_whitespace() || c.is_control() || is_invisible(c) {
        return &NAME_SPACE_CONTROL;
    }
    if is_private_use(c) {
        return &NAME_PRIVATE_USE;
    }
    if is_noncharacter(c) || !is_public_assigned(c) {
        return &NAME_UNASSIGNED;
    }
    if c.is_numeric() {
        return &NAME_DIGIT;
    }
    match mode {
        Mode::Japanese => {
            if is_halfwidth_kana(c) {
                &NAME_HALFWIDTH_KANA
            } else if is_compat_ideograph(c) {
                &NAME_COMPAT_IDEOGRAPH
            } else if is_radical(c) {
                &NAME_RADICAL
            } else if latin_form(c).is_some() {
                &NAME_MIXED_SCRIPT
            } else if c.is_alphabetic() {
                &NAME_OTHER_SCRIPT
            } else {
                &NAME_SYMBOL
            }
        }
        Mode::Latin => {
            if is_japanese_script(c) || is_halfwidth_kana(c) {
                &NAME_MIXED_SCRIPT
            } else if c.is_alphabetic() {
                &NAME_OTHER_SCRIPT
            } else {
                &NAME_SYMBOL
            }
        }
        Mode::Kana => {
            if is_halfwidth_kana(c) {
                &NAME_HALFWIDTH_KANA
            } else if is_hiragana(c) {
                &NAME_KANA_HIRAGANA
            } else if c.is_alphabetic() || is_kanji_like(c) || is_radical(c) {
                &NAME_KANA_NOT_KATAKANA
            } else {
                &NAME_SYMBOL
            }
        }
    }
}

/// Writes the corrected form of `c` (for a suggestion): the character itself when no
/// correction is known. Separators, spaces at the ends and NFC are the caller's business.
pub(super) fn correct(mode: Mode, c: char, out: &mut String) {
    if is_invisible(c) {
        return;
    }
    match mode {
        Mode::Japanese | Mode::Kana => match c {
            _ if is_halfwidth_kana(c) => halfwidth_to_fullwidth(c, out),
            '\u{309B}' => out.push(VOICED_MARK),
            '\u{309C}' => out.push(SEMI_VOICED_MARK),
            _ if mode == Mode::Kana && is_hiragana(c) => out.push(hiragana_to_katakana(c)),
            _ if mode == Mode::Japanese && is_compat_ideograph(c) => {
                decompose_cjk_compat_variants(c, |d| out.push(d));
            }
            _ if mode == Mode::Japanese && is_radical(c) => out.push(radical_to_kanji(c)),
            _ => out.push(c),
        },
        Mode::Latin => match c {
            _ if c.is_whitespace() => out.push(' '),
            '\u{FF0D}' | '\u{2010}'..='\u{2013}' | '\u{2212}' => out.push('-'),
            '\u{FF07}' | '\u{2018}' | '\u{2019}' | '\u{02BC}' => out.push('\''),
            // A comma or full stop between names ("SMITH, JOHN"): the card has a space.
            ',' | '.' | '・' => out.push(' '),
            '\u{0300}'..='\u{036F}' => {}
            _ => match latin_form(c) {
                Some(LatinForm::Small) => out.push(c.to_ascii_uppercase()),
                Some(LatinForm::FullWidth) => out.push(fullwidth_to_ascii(c).to_ascii_uppercase()),
                Some(LatinForm::Extended) => latin_base(c, out),
                Some(LatinForm::Capital) | None => out.push(c),
            },
        },
    }
}

/// `ﾔ` → `ヤ`, `ﾞ` → U+3099 (NFC then joins it to the kana before it).
pub(super) fn halfwidth_to_fullwidth(c: char, out: &mut String) {
    unicode_normalization::char::decompose_compatible(c, |d| out.push(d));
}

/// `や` → `ヤ`, `ゝ` → `ヽ`.
pub(super) fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | 'ゝ' | 'ゞ' => {
            char::from_u32(c as u32 + 0x60).expect("hiragana + 0x60 is katakana")
        }
        _ => c,
    }
}

/// `Ａ` → `A`, `１` → `1` (the full-width ASCII block).
pub(super) fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(c as u32 - 0xFF01 + 0x21).expect("full-width ASCII maps into ASCII")
        }
        _ => c,
    }
}

/// The capital base letter(s) of a Latin letter with a diacritic: É → E, ß → SS, Ø → O.
/// Letters with no base among A–Z are written unchanged.
pub(super) fn latin_base(c: char, out: &mut String) {
    let special = match c {
        'ß' | 'ẞ' => "SS",
        'Æ' | 'æ' => "AE",
        'Œ' | 'œ' => "OE",
        'Þ' | 'þ' => "TH",
        'Ø' | 'ø' => "O",
        'Đ' | 'đ' | 'Ð' | 'ð' => "D",
        'Ł' | 'ł' => "L",
        'ı' => "I",
        _ => "",
    };
    if !special.is_empty() {
        out.push_str(special);
        return;
    }
    let mut base = None;
    decompose_canonical(c, |d| {
        if base.is_none() {
            base = Some(d);
        }
    });
    match base {
        Some(b) if b.is_ascii_alphabetic() => out.push(b.to_ascii_uppercase()),
        _ => out.push(c),
    }
}

/// The kanji a radical stands for (⼭ → 山), or the radical itself when it has none.
fn radical_to_kanji(c: char) -> char {
    let mut kanji = None;
    let mut n = 0;
    unicode_normalization::char::decompose_compatible(c, |d| {
        kanji = Some(d);
        n += 1;
    });
    match kanji {
        Some(k) if n == 1 && is_kanji(k) => k,
        _ => c,
    }
}

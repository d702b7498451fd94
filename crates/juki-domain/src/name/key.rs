//! The matching layer: the key the 4-fact search compares names on (docs/domain.md, "Names").
//!
//! Separate from validation on purpose: validation keeps a name exactly as registered; the key
//! forgets the differences that searchers and registers write inconsistently (hiragana or
//! katakana, small kana, ー, ・, spaces, half-width kana, ヂ/ジ and ヅ/ズ, letter case).

use super::chars::{
    SEMI_VOICED_MARK, VOICED_MARK, fullwidth_to_ascii, hiragana_to_katakana, latin_base,
};
use unicode_normalization::char::compose;

/// Characters the key drops: spaces of every kind, the middle dot, the long vowel mark and the
/// hyphens and apostrophes that Latin names and hand-typed readings use.
fn is_dropped(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '・' | '･' | '\u{00B7}' | 'ー' | 'ｰ' | '-' | '－' | '\u{2010}'
                ..='\u{2015}' | '\u{2212}' | '\'' | '＇' | '\u{2018}' | '\u{2019}' | '\u{02BC}'
        )
}

/// The mark that voices (`Some(U+3099)`) or semi-voices (`Some(U+309A)`) the kana before it,
/// in any of its forms: combining, spacing (゛゜) or half-width (ﾞﾟ).
fn sound_mark(c: char) -> Option<char> {
    match c {
        '\u{3099}' | '\u{309B}' | '\u{FF9E}' => Some(VOICED_MARK),
        '\u{309A}' | '\u{309C}' | '\u{FF9F}' => Some(SEMI_VOICED_MARK),
        _ => None,
    }
}

/// The full-width katakana a kana character stands for, before folding: hiragana and
/// half-width kana become katakana; katakana stays.
fn as_katakana(c: char) -> Option<char> {
    match c {
        '\u{3041}'..='\u{3096}' => Some(hiragana_to_katakana(c)),
        '\u{30A1}'..='\u{30FA}' | '\u{31F0}'..='\u{31FF}' => Some(c),
        // Half-width kana letters; ｰ (U+FF70) maps to ー, which is dropped, not kept.
        '\u{FF66}'..='\u{FF9D}' => {
            let mut full = None;
            unicode_normalization::char::decompose_compatible(c, |d| full = Some(d));
            full.filter(|k| matches!(k, '\u{30A1}'..='\u{30FA}'))
        }
        _ => None,
    }
}

/// Folds a katakana to the form the key keeps: small kana large, ヂ → ジ, ヅ → ズ, and the
/// historical kana ヰ ヱ ヲ to the modern kana of the same sound.
fn fold_katakana(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ヂ' => 'ジ',
        'ヅ' => 'ズ',
        'ヰ' => 'イ',
        'ヱ' => 'エ',
        'ヲ' => 'オ',
        'ㇰ' => 'ク',
        'ㇱ' => 'シ',
        'ㇲ' => 'ス',
        'ㇳ' => 'ト',
        'ㇴ' => 'ヌ',
        'ㇵ' => 'ハ',
        'ㇶ' => 'ヒ',
        'ㇷ' => 'フ',
        'ㇸ' => 'ヘ',
        'ㇹ' => 'ホ',
        'ㇺ' => 'ム',
        'ㇻ' => 'ラ',
        'ㇼ' => 'リ',
        'ㇽ' => 'ル',
        'ㇾ' => 'レ',
        'ㇿ' => 'ロ',
        _ => c,
    }
}

/// Builds a key: kana are held back one character so that a sound mark after them can join.
struct KeyWriter {
    out: String,
    /// The last kana read, as full-width katakana not yet folded.
    pending: Option<char>,
    /// The last kana written, folded: what an iteration mark repeats.
    last: Option<char>,
}

impl KeyWriter {
    fn new(capacity: usize) -> KeyWriter {
        KeyWriter {
            out: String::with_capacity(capacity),
            pending: None,
            last: None,
        }
    }

    fn flush(&mut self) {
        if let Some(k) = self.pending.take() {
            let folded = fold_katakana(k);
            self.out.push(folded);
            self.last = Some(folded);
        }
    }

    fn push(&mut self, c: char) {
        if let Some(mark) = sound_mark(c) {
            // A mark with no kana before it, or one that cannot take it, is dropped.
            if let Some(k) = self.pending {
                self.pending = Some(compose(k, mark).unwrap_or(k));
            }
            return;
        }
        if let Some(k) = as_katakana(c) {
            self.flush();
            self.pending = Some(k);
            return;
        }
        self.flush();
        match c {
            'ヽ' | 'ゝ' => self.pending = self.last,
            'ヾ' | 'ゞ' => self.pending = self.last.map(|k| compose(k, VOICED_MARK).unwrap_or(k)),
            // A space ends a word: an iteration mark after it has nothing to repeat, exactly
            // as when the words are keyed as separate parts.
            _ if c.is_whitespace() => self.last = None,
            _ if is_dropped(c) => {}
            // Combining accents: "É" and "E" + U+0301 give the same key.
            '\u{0300}'..='\u{036F}' => {}
            '\u{FF01}'..='\u{FF5E}' => self.out.push(fullwidth_to_ascii(c).to_ascii_uppercase()),
            _ if c.is_ascii() => self.out.push(c.to_ascii_uppercase()),
            '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' if c.is_alphabetic() => {
                latin_base(c, &mut self.out);
            }
            _ => self.out.push(c),
        }
    }

    fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

/// Appends the key of `text` to `w`. An iteration mark never reaches back into an earlier
/// part, so `key(a) + key(b)` is the key of `a` and `b` joined by a space.
fn write_key(w: &mut KeyWriter, text: &str) {
    for c in text.chars() {
        w.push(c);
    }
    w.flush();
    w.last = None;
}

/// The search key of any text: a reading as typed, or a name. See [`super::search_key`].
pub(super) fn key_of(parts: &[&str]) -> String {
    let mut w = KeyWriter::new(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        write_key(&mut w, part);
    }
    w.finish()
}

//! Matching for identity verification (本人確認): how a stored record is compared with what an
//! agency knows of a person — the reading, the name in kanji, the birth date, the sex and the
//! address — when the two were written by different people in different notations.
//!
//! The rules are stated in docs/domain.md ("Matching for identity verification"). Like the
//! search key, this layer never changes what is stored: it computes keys for comparison only.
//!
//! - [`name_key`]: a name with its variant kanji (異体字) folded by [`fold_variant`] (juki's own
//!   table, [`VARIANTS`]), compatibility ideographs and variation selectors dropped to the base
//!   kanji, and its kana and spaces normalised as [`crate::name::kana_search_key`] does.
//! - [`address_key`]: an address remainder with numerals (一丁目 / 1丁目 / １丁目), hyphens
//!   (１－２－３ / 1-2-3 / 1丁目2番3号), 大字 and spaces written one way.
//! - [`score`]: how well a record fits a [`MatchQuery`], as a [`Quality`] and a score 0–100.

use crate::code::LocalGovernmentCode;
use crate::date::BirthDate;
use crate::name::{PersonName, kana_search_key, latin_search_key, search_key};
use crate::record::{IdentityFacts, Sex};
use unicode_normalization::UnicodeNormalization;

/// juki's variant-kanji table: each variant (left) and the form it is compared as (right). The
/// right-hand form is the one in common use today (常用漢字 or 人名用漢字 form); no right-hand
/// form appears on the left, so folding twice is folding once. Compatibility ideographs
/// (塚 U+FA10, 隆 U+F9DC, 祐 U+FA4F …) are not listed: Unicode's canonical decomposition (NFC)
/// already maps each of them to its unified kanji, and [`name_key`] applies it first.
pub const VARIANTS: &[(char, char)] = &[
    ('髙', '高'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('碕', '崎'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('齋', '斎'),
    ('齊', '斎'),
    ('斉', '斎'),
    ('澤', '沢'),
    ('國', '国'),
    ('廣', '広'),
    ('濱', '浜'),
    ('濵', '浜'),
    ('櫻', '桜'),
    ('惠', '恵'),
    ('德', '徳'),
    ('眞', '真'),
    ('龍', '竜'),
    ('冨', '富'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('峯', '峰'),
    ('瀨', '瀬'),
    ('籠', '篭'),
    ('藪', '薮'),
    ('槇', '槙'),
    ('曾', '曽'),
    ('與', '与'),
    ('實', '実'),
    ('藏', '蔵'),
    ('兒', '児'),
    ('淺', '浅'),
    ('埜', '野'),
    ('增', '増'),
    ('條', '条'),
    ('𠮷', '吉'),
    ('學', '学'),
    ('會', '会'),
    ('榮', '栄'),
    ('壽', '寿'),
    ('黑', '黒'),
    ('靑', '青'),
    ('淸', '清'),
    ('圓', '円'),
    ('萬', '万'),
    ('彌', '弥'),
    ('豐', '豊'),
    ('關', '関'),
    ('瀧', '滝'),
    ('嶽', '岳'),
    ('戶', '戸'),
    ('澁', '渋'),
    ('禮', '礼'),
    ('驒', '騨'),
    ('舘', '館'),
    ('桒', '桑'),
    ('檜', '桧'),
    ('繪', '絵'),
    ('螢', '蛍'),
    ('縣', '県'),
    ('團', '団'),
    ('傳', '伝'),
    ('來', '来'),
    ('亞', '亜'),
    ('惡', '悪'),
    ('辯', '弁'),
    ('邨', '村'),
    ('冩', '写'),
];

/// The form a kanji is compared as: its entry in [`VARIANTS`], or itself.
pub fn fold_variant(c: char) -> char {
    VARIANTS
        .iter()
        .find_map(|&(from, to)| (from == c).then_some(to))
        .unwrap_or(c)
}

/// Variation selectors: the standardized ones (U+FE00–FE0F) and the ideographic ones (IVS).
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// The key a name in kanji (or kana, or Latin letters) is compared on: NFC (which maps the
/// compatibility ideographs to their unified kanji), variation selectors dropped, variant kanji
/// folded by [`fold_variant`], then kana, spaces, ー and ・ as [`kana_search_key`] treats them.
/// Idempotent. Family and given name may be given as one text, with or without a space.
pub fn name_key(name: &str) -> String {
    let folded: String = name
        .nfc()
        .filter(|&c| !is_variation_selector(c))
        .map(fold_variant)
        .collect();
    kana_search_key(&folded)
}

/// The [`name_key`] of a stored name, family then given.
pub fn person_name_key(name: &PersonName) -> String {
    let mut s = String::with_capacity(name.family.len() + name.given.len());
    s.push_str(&name.family);
    s.push_str(&name.given);
    name_key(&s)
}

/// Kanji numerals and their values (〇 and the ten digits; 十 百 千 are multipliers).
fn kanji_digit(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn kanji_multiplier(c: char) -> Option<u64> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

/// The value of a run of kanji numerals: positional (`二〇` = 20) or with multipliers
/// (`二十三` = 23, `百五` = 105, `十` = 10).
fn kanji_number(run: &[char]) -> u64 {
    if run.iter().all(|&c| kanji_digit(c).is_some()) {
        return run
            .iter()
            .filter_map(|&c| kanji_digit(c))
            .fold(0, |n, d| n.saturating_mul(10).saturating_add(d));
    }
    let (mut total, mut pending) = (0u64, 0u64);
    for &c in run {
        if let Some(d) = kanji_digit(c) {
            pending = pending.saturating_mul(10).saturating_add(d);
        } else if let Some(m) = kanji_multiplier(c) {
            total = total.saturating_add(pending.max(1).saturating_mul(m));
            pending = 0;
        }
    }
    total.saturating_add(pending)
}

fn is_kanji_numeral(c: char) -> bool {
    kanji_digit(c).is_some() || kanji_multiplier(c).is_some()
}

/// Dash-like characters written between the numbers of an address (after NFKC).
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | 'ー' | '\u{FF70}' | '〜' | '~'
    )
}

/// The key an address remainder is compared on. Every form of the same block number gives the
/// same key: `中野二丁目3番4号`, `中野2丁目3番4号`, `中野２－３－４`, `中野 2-3-4` all give
/// `中野2-3-4`; `大字上野123番地4` and `上野123-4` give `上野123-4`. Steps, in order: NFKC
/// (full-width digits, letters and hyphens to ASCII, half-width kana to full-width); runs of
/// kanji numerals to arabic digits; spaces dropped; `大字` dropped; after a number, 丁目, 番地,
/// 番 and の become `-`, and 号 and 号室 end the number; any dash after a digit is `-`; a `-`
/// at the end or before something other than a digit is dropped; the steps are repeated until
/// the key no longer changes. Idempotent.
pub fn address_key(address: &str) -> String {
    // Dropping a dash can bring a number next to a marker (`2丁-目`), so the steps run again
    // until nothing changes; each run after the first only shortens the key.
    let mut key = address_key_once(address);
    for _ in 0..ADDRESS_KEY_PASSES_MAX {
        let again = address_key_once(&key);
        if again == key {
            break;
        }
        key = again;
    }
    key
}

/// Runs of [`address_key_once`] after the first, at most (each shortens the key; real
/// addresses settle in one).
const ADDRESS_KEY_PASSES_MAX: usize = 8;

fn address_key_once(address: &str) -> String {
    let chars: Vec<char> = address
        .nfkc()
        .filter(|c| !c.is_whitespace() && !is_variation_selector(*c))
        .collect();
    // Kanji numerals to digits.
    let mut digits: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if is_kanji_numeral(chars[i]) {
            let start = i;
            while i < chars.len() && is_kanji_numeral(chars[i]) {
                i += 1;
            }
            digits.extend(kanji_number(&chars[start..i]).to_string().chars());
        } else {
            digits.push(chars[i]);
            i += 1;
        }
    }
    let mut text: String = digits.into_iter().collect();
    while text.contains("大字") {
        text = text.replace("大字", "");
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(c) = rest.chars().next() {
        // After a number a marker separates (or ends) it; after a separator it adds nothing.
        let after_digit = out.ends_with(|p: char| p.is_ascii_digit());
        let after_dash = out.ends_with('-');
        if after_digit || after_dash {
            let separator = ["丁目", "番地", "番", "の", "ノ"]
                .iter()
                .find_map(|m| rest.strip_prefix(m))
                .or_else(|| is_dash(c).then(|| &rest[c.len_utf8()..]));
            if let Some(r) = separator {
                if after_digit {
                    out.push('-');
                }
                rest = r;
                continue;
            }
            if let Some(r) = ["号室", "号"].iter().find_map(|m| rest.strip_prefix(m)) {
                rest = r;
                continue;
            }
        }
        out.push(c.to_ascii_uppercase());
        rest = &rest[c.len_utf8()..];
    }
    // A dash that ends the key or stands before a non-digit carries nothing.
    let mut key = String::with_capacity(out.len());
    let mut it = out.chars().peekable();
    while let Some(c) = it.next() {
        if c == '-' && !it.peek().is_some_and(|n| n.is_ascii_digit()) {
            continue;
        }
        key.push(c);
    }
    key
}

/// What an agency knows of the person it looks for. The reading, birth date and sex are
/// required (they choose the candidates); the name in kanji and the address are optional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchQuery {
    /// The reading as typed (any kana, spaces): compared by [`kana_search_key`].
    pub kana: String,
    pub birth_date: BirthDate,
    pub sex: Sex,
    /// The name as written (family and given, a space between or not).
    pub name: Option<String>,
    pub address_code: Option<LocalGovernmentCode>,
    /// The address after the municipality (and ward) name, in any notation.
    pub address: Option<String>,
}

/// How well a record fits a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quality {
    /// Some given fact differs even after folding: the reading, the birth date or the sex, the
    /// name in kanji, the address code, or an address that neither equals nor begins the other.
    Weak,
    /// Every given fact agrees once notation is forgotten (variant kanji, kana forms, numerals,
    /// hyphens, spaces), or one address begins the other (a building name left out).
    Strong,
    /// Every given fact agrees as written (names and addresses equal after NFC and without
    /// spaces).
    Exact,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Exact => "exact",
            Quality::Strong => "strong",
            Quality::Weak => "weak",
        }
    }
}

/// The result of [`score`]: the quality and a score from 0 to 100 (the share of the points of
/// the given facts that the record earns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchScore {
    pub quality: Quality,
    pub score: u32,
}

/// Points per fact. The reading and birth date weigh most: they are what every query has and
/// what rarely differs by notation once keyed.
const KANA_POINTS: u32 = 30;
const BIRTH_POINTS: u32 = 25;
const SEX_POINTS: u32 = 10;
const NAME_POINTS: u32 = 20;
/// The name agrees once variants are folded, not as written.
const NAME_FOLDED_POINTS: u32 = 18;
const ADDRESS_CODE_POINTS: u32 = 5;
const ADDRESS_POINTS: u32 = 10;
const ADDRESS_FOLDED_POINTS: u32 = 9;
/// One address key begins the other (a building or room left out).
const ADDRESS_PREFIX_POINTS: u32 = 6;

/// How a compared fact came out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fit {
    AsWritten,
    Folded,
    Differs,
}

fn without_spaces(s: &str) -> String {
    s.nfc().filter(|c| !c.is_whitespace()).collect()
}

fn name_fit(query: &str, name: &PersonName) -> Fit {
    let q = without_spaces(query);
    let mut written = String::with_capacity(name.family.len() + name.given.len());
    written.push_str(&name.family);
    written.push_str(&name.given);
    if q == without_spaces(&written) {
        Fit::AsWritten
    } else if name_key(&q) == name_key(&written) {
        Fit::Folded
    } else {
        Fit::Differs
    }
}

/// The [`address_key`] of an address as an agency may hold it, with the name of the record's
/// local government in front (`東京都中野区中野2-3-4`, `中野区中野2-3-4`) taken off.
fn query_address_key(query: &str, at: LocalGovernmentCode) -> String {
    let key = address_key(query);
    let Some(body) = crate::lgc::table().get(at) else {
        return key;
    };
    [address_key(&body.full_name()), address_key(body.name)]
        .iter()
        .find_map(|prefix| key.strip_prefix(prefix.as_str()).filter(|r| !r.is_empty()))
        .map_or_else(|| key.clone(), str::to_string)
}

fn address_fit(query: &str, address: &crate::record::Address) -> (Fit, u32) {
    let remainder = &address.remainder;
    if without_spaces(query) == without_spaces(remainder) {
        return (Fit::AsWritten, ADDRESS_POINTS);
    }
    let (q, r) = (
        query_address_key(query, address.code),
        address_key(remainder),
    );
    if q == r {
        (Fit::Folded, ADDRESS_FOLDED_POINTS)
    } else if !q.is_empty() && !r.is_empty() && (r.starts_with(&q) || q.starts_with(&r)) {
        (Fit::Folded, ADDRESS_PREFIX_POINTS)
    } else {
        (Fit::Differs, 0)
    }
}

/// Scores a record's facts against a query. The reading counts as equal when its
/// [`kana_search_key`] equals the record's [`search_key`] (or, for a Latin name, its
/// [`latin_search_key`]).
pub fn score(query: &MatchQuery, facts: &IdentityFacts) -> MatchScore {
    let mut fits = Vec::with_capacity(5);
    let (mut earned, mut possible) = (0, KANA_POINTS + BIRTH_POINTS + SEX_POINTS);
    let kana = kana_search_key(&query.kana);
    let kana_ok =
        kana == search_key(&facts.name) || latin_search_key(&facts.name).is_some_and(|k| k == kana);
    for (ok, points) in [
        (kana_ok, KANA_POINTS),
        (query.birth_date == facts.birth_date, BIRTH_POINTS),
        (query.sex == facts.sex, SEX_POINTS),
    ] {
        if ok {
            earned += points;
        }
        fits.push(if ok { Fit::AsWritten } else { Fit::Differs });
    }
    if let Some(name) = query.name.as_deref().filter(|n| !n.trim().is_empty()) {
        possible += NAME_POINTS;
        let fit = name_fit(name, &facts.name);
        earned += match fit {
            Fit::AsWritten => NAME_POINTS,
            Fit::Folded => NAME_FOLDED_POINTS,
            Fit::Differs => 0,
        };
        fits.push(fit);
    }
    if let Some(code) = query.address_code {
        possible += ADDRESS_CODE_POINTS;
        let ok = code == facts.address.code;
        if ok {
            earned += ADDRESS_CODE_POINTS;
        }
        fits.push(if ok { Fit::AsWritten } else { Fit::Differs });
    }
    if let Some(address) = query.address.as_deref().filter(|a| !a.trim().is_empty()) {
        possible += ADDRESS_POINTS;
        let (fit, points) = address_fit(address, &facts.address);
        earned += points;
        fits.push(fit);
    }
    let quality = if fits.contains(&Fit::Differs) {
        Quality::Weak
    } else if fits.contains(&Fit::Folded) {
        Quality::Strong
    } else {
        Quality::Exact
    };
    MatchScore {
        quality,
        score: earned * 100 / possible,
    }
}

/// The order of candidates, best first: by score, then quality; equal ones keep their order
/// (the store's, by resident code). Returns the indices of `candidates` with their scores.
pub fn rank<'a>(
    query: &MatchQuery,
    candidates: impl IntoIterator<Item = &'a IdentityFacts>,
) -> Vec<(usize, MatchScore)> {
    let mut scored: Vec<(usize, MatchScore)> = candidates
        .into_iter()
        .map(|f| score(query, f))
        .enumerate()
        .collect();
    scored.sort_by(|a, b| {
        (b.1.score, b.1.quality)
            .cmp(&(a.1.score, a.1.quality))
            .then(a.0.cmp(&b.0))
    });
    scored
}

#[cfg(test)]
mod tests;

//! Names and kana readings: validation rules per field, and the matching key for search.
//!
//! The rules are stated in docs/domain.md ("Names"); this module is their only implementation.
//! Validation keeps a name exactly as registered (NFC, no folding of variant kanji) and reports
//! every problem, each with the 1-based character position in the value as given. Matching
//! ([`search_key`], [`kana_search_key`]) is a separate layer that forgets notation differences.
//!
//! Speed matters (the gateway validates hundreds of thousands of records a second): a field is
//! checked in one pass over its characters, and a valid field already in NFC is copied once into
//! the result and nothing else is allocated. Suggestions are only computed when a field fails.

mod chars;
mod key;
#[cfg(test)]
mod tests;

use crate::catalogue::{ErrorDef, NAME_REQUIRED, NAME_SCRIPT_MISMATCH, NAME_TOO_LONG};
use crate::problem::Problem;
use chars::{Mode, SEMI_VOICED_MARK, VOICED_MARK};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The longest Japanese-script name, in characters (code points; a variation selector counts).
pub const JAPANESE_NAME_CHARS_MAX: usize = 50;
/// The longest Latin name, in characters.
pub const LATIN_NAME_CHARS_MAX: usize = 100;
/// The longest reading, in characters.
pub const READING_CHARS_MAX: usize = 100;
/// At most this many character problems are reported per field (runs count once); the
/// over-length problem is reported in addition.
pub const FIELD_PROBLEMS_MAX: usize = 16;

/// The input columns (FORMATS §1) the validators name in their problems.
pub const FAMILY_NAME: &str = "family_name";
pub const GIVEN_NAME: &str = "given_name";
pub const FAMILY_NAME_KANA: &str = "family_name_kana";
pub const GIVEN_NAME_KANA: &str = "given_name_kana";
pub const FORMER_FAMILY_NAME: &str = "former_family_name";
pub const ALIAS_NAME: &str = "alias_name";

/// The script a name is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Script {
    /// Kanji, hiragana, katakana and the marks names use.
    Japanese,
    /// Latin letters as on a residence card (residents who are not Japanese nationals).
    Latin,
}

/// A validated name with its readings, stored exactly as registered (NFC).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PersonName {
    pub family: String,
    pub given: String,
    pub family_kana: String,
    pub given_kana: String,
    pub script: Script,
}

/// The script of a name: that of its first letter (Latin in any form, or Japanese script),
/// skipping anything that is neither; `None` when it has no letter at all.
pub fn script_of(value: &str) -> Option<Script> {
    value.chars().find_map(|c| {
        if chars::latin_form(c).is_some() {
            Some(Script::Latin)
        } else if chars::is_japanese_script(c) {
            Some(Script::Japanese)
        } else {
            None
        }
    })
}

/// Validates family/given names and readings (input columns `family_name`, `given_name`,
/// `family_name_kana`, `given_name_kana`), reporting every problem.
///
/// The family name is required; the given name may be empty. Both must be in the same script.
/// A Japanese-script name needs a family reading; a Latin name's readings are optional and
/// checked when given.
pub fn validate_person_name(
    family: &str,
    given: &str,
    family_kana: &str,
    given_kana: &str,
) -> Result<PersonName, Vec<Problem>> {
    let mut problems = Vec::new();
    let family_script = script_of(family);
    let given_script = script_of(given);
    let script = family_script.or(given_script).unwrap_or(Script::Japanese);

    let family = check_name(FAMILY_NAME, family, true, &mut problems);
    let given = check_name(GIVEN_NAME, given, false, &mut problems);
    if let (Some(f), Some(g)) = (family_script, given_script)
        && f != g
    {
        problems.push(Problem::new(&NAME_SCRIPT_MISMATCH).field(GIVEN_NAME));
    }
    let reading_required = script == Script::Japanese;
    let family_kana = check_reading(
        FAMILY_NAME_KANA,
        family_kana,
        reading_required,
        &mut problems,
    );
    let given_kana = check_reading(GIVEN_NAME_KANA, given_kana, false, &mut problems);

    match (family, given, family_kana, given_kana) {
        (Some(family), Some(given), Some(family_kana), Some(given_kana)) if problems.is_empty() => {
            Ok(PersonName {
                family,
                given,
                family_kana,
                given_kana,
                script,
            })
        }
        _ => Err(problems),
    }
}

/// Validates an optional single name field (`former_family_name`, `alias_name`): empty is
/// fine; otherwise the rules of a family name in its script apply.
pub fn validate_other_name(field: &'static str, value: &str) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    match check_name(field, value, false, &mut problems) {
        Some(v) if problems.is_empty() => Ok(v),
        _ => Err(problems),
    }
}

/// The key the 4-fact search matches on: the readings (or, when a name has none, the name
/// itself) normalised as [`kana_search_key`] does, family then given, with nothing between, so
/// that (ヤマダ, タロウ) and the query "やまだ たろう" have the same key. For a Latin name without
/// readings that is its capital letters without spaces, hyphens and apostrophes.
pub fn search_key(name: &PersonName) -> String {
    if name.family_kana.is_empty() && name.given_kana.is_empty() {
        key::key_of(&[&name.family, &name.given])
    } else {
        key::key_of(&[&name.family_kana, &name.given_kana])
    }
}

/// The search key of a reading typed by a searcher: hiragana and half-width kana become
/// katakana, small kana large, ヂ ジ and ヅ ズ, ヰ ヱ ヲ イ エ オ; ー, ・, spaces, hyphens and
/// apostrophes are dropped; iteration marks (ヽ ゞ) are spelled out; Latin letters become
/// half-width capitals without diacritics. Other characters (kanji) are kept as they are.
/// Idempotent: the key of a key is itself.
pub fn kana_search_key(reading: &str) -> String {
    key::key_of(&[reading])
}

/// The key of a Latin name's letters (`SMITH JOHN` → `SMITHJOHN`), so that a search in
/// Latin letters finds the resident even when the record also has readings; `None` for a
/// Japanese-script name.
pub fn latin_search_key(name: &PersonName) -> Option<String> {
    (name.script == Script::Latin).then(|| key::key_of(&[&name.family, &name.given]))
}

/// Checks a name field in the script of its first letter; `None` when it has problems.
fn check_name(
    field: &'static str,
    value: &str,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let mode = match script_of(value) {
        Some(Script::Latin) => Mode::Latin,
        Some(Script::Japanese) | None => Mode::Japanese,
    };
    check_field(field, value, mode, required, problems)
}

/// Checks a reading; `None` when it has problems.
fn check_reading(
    field: &'static str,
    value: &str,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    check_field(field, value, Mode::Kana, required, problems)
}

fn check_field(
    field: &'static str,
    value: &str,
    mode: Mode,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if value.is_empty() {
        if required {
            problems.push(Problem::new(&NAME_REQUIRED).field(field));
            return None;
        }
        return Some(String::new());
    }
    let start = problems.len();
    match scan(field, value, mode, problems) {
        Scan::Clean { needs_nfc: false } => {
            debug_assert_eq!(is_nfc_quick(value.chars()), IsNormalized::Yes);
            Some(value.to_owned())
        }
        Scan::Clean { needs_nfc: true } => Some(value.nfc().collect()),
        Scan::Problems => {
            if let Some(s) = suggestion(value, mode) {
                for p in &mut problems[start..] {
                    p.suggestion = Some(s.clone());
                }
            }
            None
        }
    }
}

/// The outcome of checking one field's characters.
enum Scan {
    /// Every character is allowed. `needs_nfc`: the value holds a combining sound mark that NFC
    /// joins to its kana (カ + U+3099 → ガ); every other allowed character is NFC-stable, so
    /// without one the value is already NFC (as `is_nfc_quick` would answer).
    Clean {
        needs_nfc: bool,
    },
    Problems,
}

/// An open run of neighbouring characters with the same problem: reported once, at its first.
struct Run {
    index: usize,
    def: &'static ErrorDef,
    chars: usize,
}

fn chars_max(mode: Mode) -> usize {
    match mode {
        Mode::Japanese => JAPANESE_NAME_CHARS_MAX,
        Mode::Latin => LATIN_NAME_CHARS_MAX,
        Mode::Kana => READING_CHARS_MAX,
    }
}

/// One pass over the characters of `value`: pushes a problem per run of characters breaking
/// the same rule (at most [`FIELD_PROBLEMS_MAX`]), and one if the value is too long.
fn scan(field: &'static str, value: &str, mode: Mode, problems: &mut Vec<Problem>) -> Scan {
    let chars_max = chars_max(mode);
    let start = problems.len();
    let mut opened = 0usize;
    let mut run: Option<Run> = None;
    let mut too_long: Option<usize> = None;
    let mut needs_nfc = false;
    let mut prev = None;
    let mut position = 0usize;
    let mut it = value.chars().peekable();
    while let Some(c) = it.next() {
        position += 1;
        if position == chars_max + 1 {
            too_long = Some(problems.len());
            problems.push(Problem::new(&NAME_TOO_LONG).field(field).at(position, c));
        }
        match chars::verdict(mode, prev, c, it.peek().copied()) {
            None => {
                close(problems, run.take());
                needs_nfc |= c == VOICED_MARK || c == SEMI_VOICED_MARK;
            }
            Some(def) => match &mut run {
                Some(r) if r.def.code == def.code => r.chars += 1,
                _ => {
                    close(problems, run.take());
                    if opened < FIELD_PROBLEMS_MAX {
                        opened += 1;
                        run = Some(Run {
                            index: problems.len(),
                            def,
                            chars: 1,
                        });
                        problems.push(Problem::new(def).field(field).at(position, c));
                    }
                }
            },
        }
        prev = Some(c);
    }
    close(problems, run);
    if let Some(i) = too_long {
        problems[i].note = Some(format!("at most {chars_max} characters; {position} given"));
    }
    if problems.len() == start {
        Scan::Clean { needs_nfc }
    } else {
        Scan::Problems
    }
}

fn close(problems: &mut [Problem], run: Option<Run>) {
    if let Some(r) = run
        && r.chars > 1
    {
        problems[r.index].note = Some(format!("{} characters from here", r.chars));
    }
}

/// The corrected value of a field that failed, when every problem in it has a known
/// correction: half-width to full-width, hiragana to katakana in readings, lower to upper
/// case, compatibility ideographs to their standardized variation sequences, and so on. A
/// suggestion is only offered when it passes the same check, so a clerk can take it as it is.
fn suggestion(value: &str, mode: Mode) -> Option<String> {
    let mut fixed = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        chars::correct(mode, c, &mut fixed);
    }
    let fixed: String = match mode {
        Mode::Latin => tidy_separators(&fixed),
        Mode::Japanese | Mode::Kana => fixed.trim_matches(char::is_whitespace).nfc().collect(),
    };
    if fixed.is_empty() || fixed == value {
        return None;
    }
    let mut scratch = Vec::new();
    match scan("", &fixed, mode, &mut scratch) {
        Scan::Clean { needs_nfc: false } => Some(fixed),
        Scan::Clean { needs_nfc: true } | Scan::Problems => None,
    }
}

/// Keeps the first of neighbouring separators and drops those at either end.
fn tidy_separators(s: &str) -> String {
    const SEPARATORS: [char; 3] = [' ', '-', '\''];
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if SEPARATORS.contains(&c) && (out.is_empty() || out.ends_with(SEPARATORS)) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with(SEPARATORS) {
        out.pop();
    }
    out
}

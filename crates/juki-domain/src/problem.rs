//! A problem found while validating input: which rule, which field, where, which character.
//!
//! Validators return every problem they find, not just the first, so a clerk can correct a
//! record in one pass. The wire shape of a problem is FORMATS §5 (`code`, `field`, `char`,
//! `codepoint`, `message_ja`, `message_en`, `suggestion`); `juki-api` converts.

use crate::catalogue::ErrorDef;
use std::fmt;

/// One violated rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub def: &'static ErrorDef,
    /// The input field (column name of FORMATS §1), when the problem is in one field.
    pub field: Option<&'static str>,
    /// 1-based position of the offending character within the field, counted in characters.
    pub position: Option<usize>,
    /// The offending character.
    pub ch: Option<char>,
    /// A corrected value, when one can be derived (e.g. half-width ﾔﾏﾀﾞ -> ヤマダ).
    pub suggestion: Option<String>,
    /// Extra facts for the reader (e.g. the expected check digit). Never personal data.
    pub note: Option<String>,
}

impl Problem {
    pub fn new(def: &'static ErrorDef) -> Problem {
        Problem {
            def,
            field: None,
            position: None,
            ch: None,
            suggestion: None,
            note: None,
        }
    }

    pub fn field(mut self, field: &'static str) -> Problem {
        self.field = Some(field);
        self
    }

    /// Names the offending character and its 1-based position.
    pub fn at(mut self, position: usize, ch: char) -> Problem {
        self.position = Some(position);
        self.ch = Some(ch);
        self
    }

    pub fn suggest(mut self, suggestion: impl Into<String>) -> Problem {
        self.suggestion = Some(suggestion.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Problem {
        self.note = Some(note.into());
        self
    }

    pub fn code(&self) -> &'static str {
        self.def.code
    }

    /// The offending character as `U+XXXX`.
    pub fn codepoint(&self) -> Option<String> {
        self.ch.map(codepoint)
    }
}

/// Formats a character as `U+XXXX` (at least four hex digits, upper case).
pub fn codepoint(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

impl fmt::Display for Problem {
    /// One line a clerk can act on, e.g.
    /// `JK-NAME-0101 family_name 3文字目 '1' (U+0031): 氏名に数字は使えません / Digits are not allowed in a name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.def.code)?;
        if let Some(field) = self.field {
            write!(f, " {field}")?;
        }
        if let Some(pos) = self.position {
            write!(f, " {pos}文字目")?;
        }
        if let Some(c) = self.ch {
            let shown = if c.is_control() { ' ' } else { c };
            write!(f, " '{}' ({})", shown, codepoint(c))?;
        }
        write!(f, ": {} / {}", self.def.message_ja, self.def.message_en)?;
        if let Some(note) = &self.note {
            write!(f, " [{note}]")?;
        }
        if let Some(s) = &self.suggestion {
            write!(f, " → {s}")?;
        }
        Ok(())
    }
}

//! The error catalogue: every error a user can meet, with its stable code, messages and remedy.
//!
//! Codes are `JK-<AREA>-<NNNN>` (FORMATS §5). Each area lists its errors in a file of its own;
//! [`all`] gathers them, `docs/error-codes.md` is generated from it (`juki errors --markdown`)
//! and a test keeps the two equal. A code, once published, never changes meaning.

mod approval;
mod audit;
mod auth;
mod backup;
mod code;
mod date;
mod digest;
mod gateway;
mod input;
mod name;
mod net;
mod node;
mod policy;
mod record;
mod service;
mod store;
mod synth;
mod tls;

pub use approval::*;
pub use audit::*;
pub use auth::*;
pub use backup::*;
pub use code::*;
pub use date::*;
pub use digest::*;
pub use gateway::*;
pub use input::*;
pub use name::*;
pub use net::*;
pub use node::*;
pub use policy::*;
pub use record::*;
pub use service::*;
pub use store::*;
pub use synth::*;
pub use tls::*;

/// What kind of failure an error is. The node maps each class to one HTTP status in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The request or a field in it is malformed or breaks a rule (HTTP 422).
    Invalid,
    /// The request cannot be parsed at all (HTTP 400).
    BadRequest,
    /// The caller presented no (valid) client certificate (HTTP 401).
    Unauthenticated,
    /// The caller's certificate does not allow this here (HTTP 403).
    Forbidden,
    /// The thing asked for does not exist here (HTTP 404).
    NotFound,
    /// The request conflicts with the current state (HTTP 409).
    Conflict,
    /// The request is larger than a limit allows (HTTP 413).
    TooLarge,
    /// The node is at capacity; retry later (HTTP 503 with Retry-After).
    Overloaded,
    /// This caller sent more requests than its share allows; retry later (HTTP 429 with
    /// Retry-After).
    RateLimited,
    /// The node cannot serve this now, e.g. storage full or shutting down (HTTP 503).
    Unavailable,
    /// The request did not finish before its deadline (HTTP 504).
    Timeout,
    /// A fault inside the node (HTTP 500).
    Internal,
}

impl ErrorClass {
    /// The class as a lowercase word, as the catalogue prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Invalid => "invalid",
            ErrorClass::BadRequest => "bad-request",
            ErrorClass::Unauthenticated => "unauthenticated",
            ErrorClass::Forbidden => "forbidden",
            ErrorClass::NotFound => "not-found",
            ErrorClass::Conflict => "conflict",
            ErrorClass::TooLarge => "too-large",
            ErrorClass::Overloaded => "overloaded",
            ErrorClass::RateLimited => "rate-limited",
            ErrorClass::Unavailable => "unavailable",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Internal => "internal",
        }
    }
}

/// One entry of the catalogue.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ErrorDef {
    /// The stable code, `JK-<AREA>-<NNNN>`.
    pub code: &'static str,
    pub class: ErrorClass,
    /// What a clerk reads, in Japanese.
    pub message_ja: &'static str,
    /// What a clerk reads, in English.
    pub message_en: &'static str,
    /// Why it happens (catalogue only).
    pub cause: &'static str,
    /// What to do about it (catalogue only).
    pub remedy: &'static str,
}

impl std::fmt::Display for ErrorDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} / {}", self.code, self.message_ja, self.message_en)
    }
}

/// Every error juki can report, in code order.
pub fn all() -> Vec<&'static ErrorDef> {
    let mut v: Vec<&'static ErrorDef> = [
        approval::DEFS,
        audit::DEFS,
        auth::DEFS,
        backup::DEFS,
        code::DEFS,
        date::DEFS,
        digest::DEFS,
        gateway::DEFS,
        input::DEFS,
        name::DEFS,
        net::DEFS,
        node::DEFS,
        policy::DEFS,
        record::DEFS,
        service::DEFS,
        store::DEFS,
        synth::DEFS,
        tls::DEFS,
    ]
    .concat();
    v.sort_by_key(|d| d.code);
    v
}

/// Looks an error up by its code.
pub fn lookup(code: &str) -> Option<&'static ErrorDef> {
    all().into_iter().find(|d| d.code == code)
}

/// The catalogue as Markdown: the text of `docs/error-codes.md`.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("# Error codes\n\n");
    out.push_str(
        "Every error juki reports carries a stable code `JK-<AREA>-<NNNN>`, a Japanese and an \
         English message, and (on the wire) the JSON shape `{\"code\", \"message_ja\", \
         \"message_en\", \"detail\"}`. This file is generated from the catalogue in \
         `crates/juki-domain/src/catalogue/` by `juki errors --markdown > docs/error-codes.md`; \
         a test fails when the two differ.\n\n",
    );
    out.push_str("HTTP status by class: invalid 422, bad-request 400, unauthenticated 401, forbidden 403, not-found 404, conflict 409, too-large 413, overloaded 503 (with Retry-After), rate-limited 429 (with Retry-After), unavailable 503, timeout 504, internal 500.\n");
    let mut area = "";
    for d in all() {
        let this_area = d.code.split('-').nth(1).unwrap_or("");
        if this_area != area {
            area = this_area;
            out.push_str(&format!("\n## {area}\n\n"));
            out.push_str("| code | class | message (ja) | message (en) | cause | remedy |\n");
            out.push_str("|---|---|---|---|---|---|\n");
        }
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            d.code,
            d.class.as_str(),
            d.message_ja,
            d.message_en,
            d.cause,
            d.remedy
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for d in all() {
            assert!(seen.insert(d.code), "duplicate code {}", d.code);
            let parts: Vec<&str> = d.code.split('-').collect();
            assert_eq!(parts.len(), 3, "{}", d.code);
            assert_eq!(parts[0], "JK", "{}", d.code);
            assert!(
                !parts[1].is_empty() && parts[1].chars().all(|c| c.is_ascii_uppercase()),
                "{}",
                d.code
            );
            assert!(
                parts[2].len() == 4 && parts[2].chars().all(|c| c.is_ascii_digit()),
                "{}",
                d.code
            );
            for text in [d.message_ja, d.message_en, d.cause, d.remedy] {
                assert!(!text.is_empty(), "{} has an empty text", d.code);
                assert!(
                    !text.contains('|'),
                    "{} text breaks the Markdown table",
                    d.code
                );
                assert!(!text.contains('\n'), "{} text spans lines", d.code);
            }
        }
    }

    #[test]
    fn lookup_finds_every_code() {
        for d in all() {
            assert_eq!(lookup(d.code), Some(d));
        }
        assert_eq!(lookup("JK-NOPE-0000"), None);
    }
}

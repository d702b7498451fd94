//! The one error type of this crate: a catalogue entry and what it was about.

use juki_domain::ErrorDef;

/// A refusal or failure, named by its catalogue entry (`JK-TLS-…`); `detail` says which file,
/// serial or identity it was about.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{def}: {detail}")]
pub struct PkiError {
    pub def: &'static ErrorDef,
    pub detail: String,
}

impl PkiError {
    pub fn new(def: &'static ErrorDef, detail: impl Into<String>) -> PkiError {
        PkiError {
            def,
            detail: detail.into(),
        }
    }
}

//! The error body of every refusal (FORMATS §5) and the per-field problem of a refused record.

use juki_domain::{ErrorDef, Problem};
use serde::{Deserialize, Serialize};

/// `{"code": "JK-…", "message_ja", "message_en", "detail": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
    #[serde(default)]
    pub detail: serde_json::Value,
}

impl ErrorBody {
    pub fn new(def: &ErrorDef, detail: serde_json::Value) -> ErrorBody {
        ErrorBody {
            code: def.code.into(),
            message_ja: def.message_ja.into(),
            message_en: def.message_en.into(),
            detail: if detail.is_null() {
                serde_json::json!({})
            } else {
                detail
            },
        }
    }
}

/// One problem of a refused record (FORMATS §5 `errors[]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemJson {
    pub code: String,
    pub field: Option<String>,
    /// 1-based character position in the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    pub char: Option<String>,
    /// `U+XXXX`.
    pub codepoint: Option<String>,
    pub message_ja: String,
    pub message_en: String,
    pub suggestion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl From<&Problem> for ProblemJson {
    fn from(p: &Problem) -> ProblemJson {
        ProblemJson {
            code: p.def.code.into(),
            field: p.field.map(Into::into),
            position: p.position,
            char: p.ch.map(|c| c.to_string()),
            codepoint: p.codepoint(),
            message_ja: p.def.message_ja.into(),
            message_en: p.def.message_en.into(),
            suggestion: p.suggestion.clone(),
            note: p.note.clone(),
        }
    }
}

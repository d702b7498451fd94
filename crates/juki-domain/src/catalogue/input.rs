//! Errors of input files as a whole: encoding, header, rows that cannot be read at all.

use super::{ErrorClass::*, ErrorDef};

pub static IN_ENCODING: ErrorDef = ErrorDef {
    code: "JK-IN-0101",
    class: BadRequest,
    message_ja: "文字コードが宣言と一致しません",
    message_en: "The bytes are not valid in the declared encoding",
    cause: "A line is not valid UTF-8 (or CP932 when declared); the detail names the line.",
    remedy: "Save the file as UTF-8, or declare its encoding (e.g. --encoding cp932).",
};
pub static IN_MISSING_COLUMN: ErrorDef = ErrorDef {
    code: "JK-IN-0102",
    class: BadRequest,
    message_ja: "必須の列がヘッダにありません",
    message_en: "A required column is missing from the header",
    cause: "The header row lacks a column FORMATS §1 requires; the detail names it.",
    remedy: "Add the column to the header row, spelled exactly as documented, without spaces.",
};
pub static IN_UNKNOWN_COLUMN: ErrorDef = ErrorDef {
    code: "JK-IN-0103",
    class: Invalid,
    message_ja: "不明な列は無視しました",
    message_en: "An unknown column was ignored",
    cause: "The header names a column juki does not know (a warning, not a refusal).",
    remedy: "Remove the column or correct its spelling if it was meant to be read.",
};
pub static IN_MALFORMED_ROW: ErrorDef = ErrorDef {
    code: "JK-IN-0104",
    class: Invalid,
    message_ja: "行の形式が正しくありません",
    message_en: "The row cannot be read",
    cause: "The row has a different number of fields than the header, or broken quoting.",
    remedy: "Check the quoting and the commas of the reported line.",
};
pub static IN_MALFORMED_JSON: ErrorDef = ErrorDef {
    code: "JK-IN-0105",
    class: Invalid,
    message_ja: "JSONの形式が正しくありません",
    message_en: "The JSON is malformed",
    cause: "A line or body is not a JSON object with the documented field names and string values.",
    remedy: "Check the reported line; each line must be one JSON object (FORMATS §2).",
};
pub static IN_DUPLICATE_COLUMN: ErrorDef = ErrorDef {
    code: "JK-IN-0106",
    class: BadRequest,
    message_ja: "同じ列名がヘッダに2回以上あります",
    message_en: "A column appears twice in the header",
    cause: "The header names the same column more than once, so its value would be ambiguous.",
    remedy: "Remove the duplicate column.",
};
pub static IN_ROW_TOO_LONG: ErrorDef = ErrorDef {
    code: "JK-IN-0107",
    class: Invalid,
    message_ja: "行が長すぎます",
    message_en: "The row is longer than the limit",
    cause: "One row is longer than 64 KiB, which no valid change record needs.",
    remedy: "Check the file for a missing line break or an unterminated quote.",
};
pub static IN_UNREADABLE: ErrorDef = ErrorDef {
    code: "JK-IN-0108",
    class: BadRequest,
    message_ja: "ファイルを読み込めません",
    message_en: "The file cannot be read",
    cause: "The file does not exist, is not readable, or reading failed part way.",
    remedy: "Check the path and permissions; the detail gives the operating system's reason.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &IN_ENCODING,
    &IN_MISSING_COLUMN,
    &IN_UNKNOWN_COLUMN,
    &IN_MALFORMED_ROW,
    &IN_MALFORMED_JSON,
    &IN_DUPLICATE_COLUMN,
    &IN_ROW_TOO_LONG,
    &IN_UNREADABLE,
];

//! Errors of the gateway between existing registry systems and a node (docs/gateway-formats.md):
//! declared encodings, the fixed-width layout, the character set and the 外字 mapping table.

use super::{ErrorClass::*, ErrorDef};

pub static GW_BOM_MISMATCH: ErrorDef = ErrorDef {
    code: "JK-GW-0101",
    class: BadRequest,
    message_ja: "ファイル先頭のBOMが宣言された文字コードと一致しません",
    message_en: "The file's byte-order mark contradicts the declared encoding",
    cause: "The file starts with a UTF-8 byte-order mark but was declared CP932, or starts with a UTF-16 byte-order mark, which juki does not read; juki never guesses which of the two is right.",
    remedy: "Declare the encoding the file is really in (--encoding utf-8 for a UTF-8 file with a BOM), or save the file again as UTF-8 or CP932.",
};
pub static GW_RECORD_LENGTH: ErrorDef = ErrorDef {
    code: "JK-GW-0102",
    class: Invalid,
    message_ja: "固定長レコードの長さが正しくありません",
    message_en: "The fixed-width record has the wrong length",
    cause: "A line of a fixed-width file is not exactly as many bytes as the layout in docs/gateway-formats.md defines; the note gives the expected and the found length.",
    remedy: "Check that the existing system writes every field at its full width in bytes (padded with spaces) and that no line break was lost or added inside the record.",
};
pub static GW_FIELD_TYPE: ErrorDef = ErrorDef {
    code: "JK-GW-0103",
    class: Invalid,
    message_ja: "項目の値が文字列ではありません",
    message_en: "A field's value is not a string",
    cause: "In a JSON line every value must be a JSON string (or null for an absent value); a number would lose the leading zeros of a code.",
    remedy: "Write the value in double quotes, e.g. \"resident_code\": \"01234567890\".",
};
pub static GW_REPORT_TRUNCATED: ErrorDef = ErrorDef {
    code: "JK-GW-0104",
    class: Invalid,
    message_ja: "エラーの件数が多いため、一部のレコードは一覧に載せていません",
    message_en: "Too many records were refused to list them all here",
    cause: "More records were refused than the report lists (100,000); the rest are counted, and listed in the CSV report, which is written record by record (a warning, not a refusal).",
    remedy: "Use --report-csv FILE for the complete list; so many refusals usually mean a wrong --encoding or --format, or a systematic fault in the existing system's export.",
};
pub static GW_NOT_IN_CHARSET: ErrorDef = ErrorDef {
    code: "JK-GW-0201",
    class: Invalid,
    message_ja: "設定された文字集合（JIS X 0208 等）で表せない文字です",
    message_en: "The character is not in the configured character set (e.g. JIS X 0208)",
    cause: "The gateway is configured for a character set the existing systems share (JIS X 0208, or a list of allowed characters) and this character is outside it: e.g. an NEC or IBM extension of CP932 (①, Ⅰ, 髙 in the IBM area) or a kanji of JIS X 0213 only.",
    remedy: "Enter the standard character of the character set, or register the glyph as 外字 in the municipality's mapping table with the standard character it corresponds to; the suggestion gives the standard form where one is known.",
};
pub static GW_MAPPING_TABLE: ErrorDef = ErrorDef {
    code: "JK-GW-0202",
    class: BadRequest,
    message_ja: "外字対応表の形式が正しくありません",
    message_en: "The 外字 mapping table is malformed",
    cause: "A line of the mapping table is not `U+XXXX<TAB>U+YYYY[ U+ZZZZ…]` with a private-use code point on the left and standard characters (a character, optionally with a variation selector) on the right, or a private-use code point appears twice; the detail names the line.",
    remedy: "Correct the named line of the table (format in docs/gateway-formats.md) and submit again; nothing was submitted.",
};
pub static GW_ALLOW_LIST: ErrorDef = ErrorDef {
    code: "JK-GW-0203",
    class: BadRequest,
    message_ja: "許可文字リストを読み込めません",
    message_en: "The list of allowed characters cannot be read",
    cause: "The allow-list file configured as the character set is missing, not UTF-8, or names a private-use character or a malformed code point; the detail names the line.",
    remedy: "Correct the file (one character or U+XXXX range per line, docs/gateway-formats.md) and submit again; nothing was submitted.",
};

pub static GW_MASS_CLOSE: ErrorDef = ErrorDef {
    code: "JK-GW-0301",
    class: Forbidden,
    message_ja: "消除の件数が上限を超えるため、二人目の承認が必要です",
    message_en: "The file closes more records than allowed without a second person's approval",
    cause: "A file submitted at the node would close (消除: move-out, death, official deletion) more records than `[gateway] closes_without_approval` allows (default 100): a wrong export could otherwise remove residents by the thousand. The node keeps the file and records an approval request naming the count and the file's SHA-256; nothing of it is applied yet.",
    remedy: "Have another clerk or the administrator of the municipality check the request and approve it (`juki approve approve ID`): the node then applies the file it kept. Reject it if the file is wrong.",
};
pub static GW_STAGED_CHANGED: ErrorDef = ErrorDef {
    code: "JK-GW-0302",
    class: Conflict,
    message_ja: "承認された連携ファイルが見つからないか、内容が変わっています",
    message_en: "The file an approval names is missing or no longer the same",
    cause: "An approved file is applied from the copy the node kept when it was submitted; that copy is gone or its SHA-256 differs from the one the request names (the data directory was restored or tampered with).",
    remedy: "Submit the file again: a new request is made for the file as it is now.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &GW_BOM_MISMATCH,
    &GW_RECORD_LENGTH,
    &GW_FIELD_TYPE,
    &GW_REPORT_TRUNCATED,
    &GW_NOT_IN_CHARSET,
    &GW_MAPPING_TABLE,
    &GW_ALLOW_LIST,
    &GW_MASS_CLOSE,
    &GW_STAGED_CHANGED,
];

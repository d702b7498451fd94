//! Errors of records and changes: fields other than codes, names and dates, and whether a
//! change fits the current record.

use super::{ErrorClass::*, ErrorDef};

pub static REC_RECORD_ID: ErrorDef = ErrorDef {
    code: "JK-REC-0101",
    class: Invalid,
    message_ja: "レコードIDは英数字・ハイフン・下線の1〜32文字で指定してください",
    message_en: "A record id must be 1-32 characters of A-Z a-z 0-9 - _",
    cause: "The record id is empty, longer than 32 characters, or contains another character.",
    remedy: "Use the existing system's unique id for the change, within the allowed characters.",
};
pub static REC_CHANGE_KIND: ErrorDef = ErrorDef {
    code: "JK-REC-0102",
    class: Invalid,
    message_ja: "異動事由が正しくありません",
    message_en: "Unknown change kind",
    cause: "change_kind is not one of 転入, 国外転入, 出生, 職権記載, 転出, 国外転出, 死亡, 職権消除, 転居, 職権修正, 誤記修正, 住民票コード変更.",
    remedy: "Write the change kind by its Japanese name exactly as listed in docs/domain.md.",
};
pub static REC_SEX: ErrorDef = ErrorDef {
    code: "JK-REC-0103",
    class: Invalid,
    message_ja: "性別は「男」または「女」で入力してください",
    message_en: "Sex must be 男 or 女",
    cause: "The sex field holds another value (e.g. M, F, 1, 2 or a space).",
    remedy: "Enter 男 or 女.",
};
pub static REC_ADDRESS_EMPTY: ErrorDef = ErrorDef {
    code: "JK-REC-0104",
    class: Invalid,
    message_ja: "住所が入力されていません",
    message_en: "The address is empty",
    cause: "The address after the municipality name is empty or only spaces.",
    remedy: "Enter the address after the municipality (and ward) name, e.g. 中野二丁目3番4号.",
};
pub static REC_ADDRESS_INVALID: ErrorDef = ErrorDef {
    code: "JK-REC-0105",
    class: Invalid,
    message_ja: "住所に使えない文字があるか、長すぎます",
    message_en: "The address contains a control character or is too long",
    cause: "The address contains a tab, newline or other control character, or is longer than 200 characters.",
    remedy: "Remove the character at the reported position, or shorten the address.",
};
pub static REC_PLANNED_DATE_MISSING: ErrorDef = ErrorDef {
    code: "JK-REC-0106",
    class: Invalid,
    message_ja: "転出には転出予定日が必要です",
    message_en: "A move-out needs a planned move-out date",
    cause: "planned_date is empty in a 転出 row.",
    remedy: "Enter the planned move-out date (it may lie ahead).",
};
pub static REC_DESTINATION_MISSING: ErrorDef = ErrorDef {
    code: "JK-REC-0107",
    class: Invalid,
    message_ja: "転出には転出先の地方公共団体コードと住所が必要です",
    message_en: "A move-out needs the destination code and address",
    cause: "destination_code or destination_address is empty in a 転出 row.",
    remedy: "Enter the destination municipality's code and the address there.",
};
pub static REC_NATIONALITY: ErrorDef = ErrorDef {
    code: "JK-REC-0108",
    class: Invalid,
    message_ja: "国籍はISO 3166-1の英大文字2文字で入力してください",
    message_en: "Nationality must be an ISO 3166-1 alpha-2 code",
    cause: "nationality is not two upper-case letters (e.g. VN, CN, US).",
    remedy: "Enter the two-letter country code from the residence card.",
};
pub static REC_NATIONALITY_FOR_LATIN: ErrorDef = ErrorDef {
    code: "JK-REC-0109",
    class: Invalid,
    message_ja: "ローマ字氏名には日本以外の国籍が必要です",
    message_en: "A name in Latin letters needs a nationality other than JP",
    cause: "Names in Latin letters are recorded for residents who are not Japanese nationals; the nationality is empty or JP.",
    remedy: "Enter the nationality from the residence card, or write a Japanese national's name in Japanese script.",
};
pub static REC_BIRTH_DATE_MISMATCH: ErrorDef = ErrorDef {
    code: "JK-REC-0110",
    class: Invalid,
    message_ja: "出生の異動日は生年月日と同じ日にしてください",
    message_en: "A birth takes effect on the birth date",
    cause: "In a 出生 row the effective date differs from the birth date, or the birth date is not a full date.",
    remedy: "Set effective_date to the date of birth.",
};
pub static REC_RELATIONSHIP: ErrorDef = ErrorDef {
    code: "JK-REC-0111",
    class: Invalid,
    message_ja: "続柄に使えない文字があるか、長すぎます",
    message_en: "The relationship contains a space or control character, or is too long",
    cause: "relationship holds whitespace or a control character, or is longer than 20 characters.",
    remedy: "Enter the relationship to the household head as on the record, e.g. 世帯主, 妻, 子.",
};
pub static REC_ALREADY_REGISTERED: ErrorDef = ErrorDef {
    code: "JK-REC-0201",
    class: Conflict,
    message_ja: "この住民は既にこの市町村に住民登録されています",
    message_en: "This resident is already registered here",
    cause: "A move-in, birth or official entry names a resident whose record here is current.",
    remedy: "Check the resident code; to change facts of a registered resident use 転居 or 職権修正.",
};
pub static REC_NOT_REGISTERED: ErrorDef = ErrorDef {
    code: "JK-REC-0202",
    class: Conflict,
    message_ja: "この住民票コードの住民はこの市町村に登録されていません",
    message_en: "No resident with this code is registered here",
    cause: "A move-out, death, move within or correction names a resident code this node has never held.",
    remedy: "Check the resident code, or record the move-in first.",
};
pub static REC_CLOSED: ErrorDef = ErrorDef {
    code: "JK-REC-0203",
    class: Conflict,
    message_ja: "この住民の記録は既に消除されています",
    message_en: "This resident's record here is already closed",
    cause: "The record was closed by a move-out, death, deletion or code change; it cannot be changed further.",
    remedy: "Check the resident code; a resident who returns is registered again by 転入.",
};
pub static REC_CODE_CHANGE_SAME: ErrorDef = ErrorDef {
    code: "JK-REC-0204",
    class: Conflict,
    message_ja: "新しい住民票コードが現在のコードと同じです",
    message_en: "The new resident code equals the current one",
    cause: "A resident code change was asked to assign the code the resident already has.",
    remedy: "Leave the new code to the node, which assigns it from its pool.",
};
pub static REC_REFUSED: ErrorDef = ErrorDef {
    code: "JK-REC-0001",
    class: Invalid,
    message_ja: "異動レコードを受け付けられません",
    message_en: "The change record was refused",
    cause: "One or more fields break a rule; detail.errors lists each with its own code.",
    remedy: "Correct each listed field and submit the record again with the same record id.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &REC_REFUSED,
    &REC_RECORD_ID,
    &REC_CHANGE_KIND,
    &REC_SEX,
    &REC_ADDRESS_EMPTY,
    &REC_ADDRESS_INVALID,
    &REC_PLANNED_DATE_MISSING,
    &REC_DESTINATION_MISSING,
    &REC_NATIONALITY,
    &REC_NATIONALITY_FOR_LATIN,
    &REC_BIRTH_DATE_MISMATCH,
    &REC_RELATIONSHIP,
    &REC_ALREADY_REGISTERED,
    &REC_NOT_REGISTERED,
    &REC_CLOSED,
    &REC_CODE_CHANGE_SAME,
];

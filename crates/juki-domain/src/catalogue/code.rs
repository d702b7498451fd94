//! Errors of codes: local government codes, resident codes, individual numbers.

use super::{ErrorClass::*, ErrorDef};

pub static CODE_LGC_FORMAT: ErrorDef = ErrorDef {
    code: "JK-CODE-0101",
    class: Invalid,
    message_ja: "地方公共団体コードは6桁の数字で入力してください",
    message_en: "A local government code must be 6 digits",
    cause: "The value is empty, has a length other than 6, or contains a character other than 0-9.",
    remedy: "Enter the 6-digit code including its check digit, e.g. 131148 for 中野区.",
};
pub static CODE_LGC_CHECK_DIGIT: ErrorDef = ErrorDef {
    code: "JK-CODE-0102",
    class: Invalid,
    message_ja: "地方公共団体コードの検査数字が一致しません",
    message_en: "The check digit of the local government code is wrong",
    cause: "The sixth digit does not equal (11 - (6,5,4,3,2-weighted sum of the first five mod 11)) mod 10.",
    remedy: "Check the code against the MIC table; the detail gives the expected check digit.",
};
pub static CODE_LGC_UNKNOWN: ErrorDef = ErrorDef {
    code: "JK-CODE-0103",
    class: Invalid,
    message_ja: "存在しない地方公共団体コードです",
    message_en: "No local government has this code",
    cause: "The code passes its check digit but is not in the table of prefectures, municipalities and wards.",
    remedy: "Use the code of an existing municipality or ward (`juki lgc NAME`).",
};
pub static CODE_LGC_NOT_THIS_NODE: ErrorDef = ErrorDef {
    code: "JK-CODE-0104",
    class: Invalid,
    message_ja: "この市町村で扱えない地方公共団体コードです",
    message_en: "This local government code does not belong to this municipality",
    cause: "A change recorded at a municipal node must address that municipality or, for a designated city, one of its wards.",
    remedy: "Submit the change at the municipality it belongs to, or correct the code.",
};
pub static CODE_RESIDENT_FORMAT: ErrorDef = ErrorDef {
    code: "JK-CODE-0201",
    class: Invalid,
    message_ja: "住民票コードは11桁の数字で入力してください",
    message_en: "A resident code must be 11 digits",
    cause: "The value has a length other than 11 or contains a character other than 0-9.",
    remedy: "Enter all 11 digits including the check digit, without spaces or hyphens.",
};
pub static CODE_RESIDENT_CHECK_DIGIT: ErrorDef = ErrorDef {
    code: "JK-CODE-0202",
    class: Invalid,
    message_ja: "住民票コードの検査数字が一致しません",
    message_en: "The check digit of the resident code is wrong",
    cause: "The last digit does not match the check digit computed from the first ten (docs/domain.md).",
    remedy: "Re-enter the code from the resident's record; a typing error is the usual cause.",
};
pub static CODE_RESIDENT_MISSING: ErrorDef = ErrorDef {
    code: "JK-CODE-0203",
    class: Invalid,
    message_ja: "この異動には住民票コードが必要です",
    message_en: "This change needs a resident code",
    cause: "Only 出生 and 国外転入 of a person new to the register may leave the resident code empty.",
    remedy: "Enter the resident code of the person the change is about.",
};
pub static CODE_RESIDENT_POOL_EMPTY: ErrorDef = ErrorDef {
    code: "JK-CODE-0204",
    class: Unavailable,
    message_ja: "割り当てられる住民票コードがありません",
    message_en: "No resident code is left to assign",
    cause: "The node's pool of unused resident codes is exhausted.",
    remedy: "Wait for the parent node to hand out a new pool, or ask the prefecture operator.",
};
pub static CODE_INDIVIDUAL_FORMAT: ErrorDef = ErrorDef {
    code: "JK-CODE-0301",
    class: Invalid,
    message_ja: "個人番号は12桁の数字で入力してください",
    message_en: "An individual number must be 12 digits",
    cause: "The value has a length other than 12 or contains a character other than 0-9.",
    remedy: "Enter all 12 digits of the individual number (マイナンバー), or leave the field empty.",
};
pub static CODE_INDIVIDUAL_CHECK_DIGIT: ErrorDef = ErrorDef {
    code: "JK-CODE-0302",
    class: Invalid,
    message_ja: "個人番号の検査数字が一致しません",
    message_en: "The check digit of the individual number is wrong",
    cause: "The last digit does not match MIC ordinance No. 85 art. 5.",
    remedy: "Re-enter the individual number from the notification card or My Number card.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &CODE_LGC_FORMAT,
    &CODE_LGC_CHECK_DIGIT,
    &CODE_LGC_UNKNOWN,
    &CODE_LGC_NOT_THIS_NODE,
    &CODE_RESIDENT_FORMAT,
    &CODE_RESIDENT_CHECK_DIGIT,
    &CODE_RESIDENT_MISSING,
    &CODE_RESIDENT_POOL_EMPTY,
    &CODE_INDIVIDUAL_FORMAT,
    &CODE_INDIVIDUAL_CHECK_DIGIT,
];

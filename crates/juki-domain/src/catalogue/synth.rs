//! Errors of `juki synth` (synthetic populations).

use super::{ErrorClass, ErrorDef};

pub static SYN_UNKNOWN_MUNICIPALITY: ErrorDef = ErrorDef {
    code: "JK-SYN-0101",
    class: ErrorClass::Invalid,
    message_ja: "存在しない地方公共団体コードが指定されました",
    message_en: "No local government has this code",
    cause: "A municipality given to `juki synth` passes its check digit but is not in the MIC table.",
    remedy: "Use the code of a municipality or Tokyo special ward (`juki lgc NAME`).",
};
pub static SYN_NOT_A_NODE: ErrorDef = ErrorDef {
    code: "JK-SYN-0102",
    class: ErrorClass::Invalid,
    message_ja: "市町村ノードを持たない団体のコードです(都道府県または政令指定都市の区)",
    message_en: "This body does not run a municipal node (a prefecture or a ward of a designated city)",
    cause: "Residents are generated per municipal node: a municipality, a Tokyo special ward or a designated city. A designated city's wards appear in its residents' addresses but share the city's node.",
    remedy: "Give the designated city's code instead of its ward's (the detail names it), or a municipality's code instead of a prefecture's.",
};
pub static SYN_TOO_MANY_RESIDENTS: ErrorDef = ErrorDef {
    code: "JK-SYN-0103",
    class: ErrorClass::TooLarge,
    message_ja: "生成する住民の数が上限を超えています",
    message_en: "Too many residents requested",
    cause: "`juki synth` makes at most 200,000,000 residents in one run (Japan has about 125 million).",
    remedy: "Ask for fewer residents.",
};
pub static SYN_EFFECTIVE_DATE: ErrorDef = ErrorDef {
    code: "JK-SYN-0104",
    class: ErrorClass::Invalid,
    message_ja: "異動日が生成できる範囲外です",
    message_en: "The effective date is outside the range synthetic populations support",
    cause: "The effective date must lie between 1950-01-01 and 2999-12-31, so every birth date has four digits.",
    remedy: "Choose an effective date in that range.",
};
pub static SYN_WRITE: ErrorDef = ErrorDef {
    code: "JK-SYN-0201",
    class: ErrorClass::Unavailable,
    message_ja: "出力の書き込みに失敗しました",
    message_en: "Writing the output failed",
    cause: "The file or pipe the population is written to refused a write (disk full, closed pipe, permissions).",
    remedy: "Check free space and permissions of the output, then run again: the same options make the same file.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &SYN_UNKNOWN_MUNICIPALITY,
    &SYN_NOT_A_NODE,
    &SYN_TOO_MANY_RESIDENTS,
    &SYN_EFFECTIVE_DATE,
    &SYN_WRITE,
];

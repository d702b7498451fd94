//! Errors of names and kana readings: characters, scripts, lengths (rules in docs/domain.md, "Names").

use super::{ErrorClass::*, ErrorDef};

pub static NAME_DIGIT: ErrorDef = ErrorDef {
    code: "JK-NAME-0101",
    class: Invalid,
    message_ja: "氏名に数字は使えません",
    message_en: "Digits are not allowed in a name",
    cause: "The name or reading contains a digit: ASCII 0-9, full-width ０-９, or another numeric character such as ① or 〇.",
    remedy: "Enter the name as registered, in kanji and kana (一郎, not 1郎); a digit often stands for a character the terminal could not enter, which must be registered instead (外字 through the character mapping table).",
};
pub static NAME_SYMBOL: ErrorDef = ErrorDef {
    code: "JK-NAME-0102",
    class: Invalid,
    message_ja: "氏名に記号は使えません",
    message_en: "Symbols and punctuation are not allowed in a name",
    cause: "The value contains an ASCII or full-width symbol or punctuation mark (e.g. ★, ＠, 、, ・ in a name), or a sound mark (゛ ゜) that does not belong to the kana before it.",
    remedy: "Remove the symbol, or register the character it stands for. ・ is allowed in readings only; in a Latin name use the ASCII apostrophe ' and hyphen -. When a suggestion is shown it is the corrected value.",
};
pub static NAME_HALFWIDTH_KANA: ErrorDef = ErrorDef {
    code: "JK-NAME-0103",
    class: Invalid,
    message_ja: "半角カタカナは使えません。全角カタカナで入力してください",
    message_en: "Half-width katakana is not allowed; use full-width katakana",
    cause: "The value contains half-width katakana (U+FF61-FF9F), as legacy host systems write it; the network stores full-width katakana only.",
    remedy: "Convert to full-width katakana, joining ﾞ and ﾟ to the kana before them (ﾔﾏﾀﾞ becomes ヤマダ); the suggestion gives the converted value.",
};
pub static NAME_PRIVATE_USE: ErrorDef = ErrorDef {
    code: "JK-NAME-0104",
    class: Invalid,
    message_ja: "外字（私用領域の文字）は文字対応表に登録されていないため使えません",
    message_en: "A private-use character (外字) cannot be used without an entry in the character mapping table",
    cause: "The character is in a Unicode private use area (U+E000-F8FF, planes 15 and 16): only the system that created it knows what it means, so no other node could show or match it.",
    remedy: "Add the 外字 to the gateway's character mapping table with the standard character it corresponds to (with a variation selector where the glyph matters) and submit again; ask the help desk when no standard character fits.",
};
pub static NAME_UNASSIGNED: ErrorDef = ErrorDef {
    code: "JK-NAME-0105",
    class: Invalid,
    message_ja: "Unicodeに存在しない文字（未割り当て、または非文字）です",
    message_en: "The character is unassigned in Unicode or a noncharacter",
    cause: "The code point has no character in the Unicode version juki uses, or is a noncharacter (U+FDD0-FDEF, U+xxFFFE, U+xxFFFF); usually the result of a faulty conversion from another character set.",
    remedy: "Check how the existing system converts its character set (e.g. CP932) and enter the character again.",
};
pub static NAME_SPACE_CONTROL: ErrorDef = ErrorDef {
    code: "JK-NAME-0106",
    class: Invalid,
    message_ja: "空白や制御文字は使えません",
    message_en: "Spaces and control characters are not allowed here",
    cause: "A Japanese-script name or a reading contains a space (half- or full-width), a tab, a line break or an invisible format character; a Latin name may contain single ASCII spaces between words only.",
    remedy: "Put the family name and the given name in their own fields and remove the spaces; the suggestion, when shown, drops spaces at either end and invisible characters.",
};
pub static NAME_MIXED_SCRIPT: ErrorDef = ErrorDef {
    code: "JK-NAME-0107",
    class: Invalid,
    message_ja: "英字と日本の文字を1つの氏名に混ぜることはできません",
    message_en: "Latin letters and Japanese script cannot be mixed in one name",
    cause: "A name is written either in Japanese script or in Latin letters; its script is that of its first letter, and a letter of the other script follows.",
    remedy: "Enter a Japanese name in kanji and kana only; enter the name of a resident who is not a Japanese national in Latin letters as on the residence card, and a Japanese alias (通称) in alias_name.",
};
pub static NAME_COMPAT_IDEOGRAPH: ErrorDef = ErrorDef {
    code: "JK-NAME-0108",
    class: Invalid,
    message_ja: "CJK互換漢字は使えません。統合漢字と異体字セレクタで登録してください",
    message_en: "A CJK compatibility ideograph is not allowed; register the unified kanji with a variation selector",
    cause: "Unicode normalisation (NFC) replaces this compatibility ideograph with its unified kanji, which would lose the registered glyph; juki refuses it rather than fold it silently.",
    remedy: "Register the unified kanji followed by a variation selector; the suggestion gives the standardized variation sequence Unicode defines for this character.",
};
pub static NAME_VARIATION_SELECTOR: ErrorDef = ErrorDef {
    code: "JK-NAME-0109",
    class: Invalid,
    message_ja: "異体字セレクタは漢字の直後にしか置けません",
    message_en: "A variation selector may only follow a kanji",
    cause: "A variation selector (U+FE00-FE0F, U+E0100-E01EF) stands at the start, after a character that is not a kanji or after another selector, or U+FE00-FE0F forms a sequence Unicode does not define.",
    remedy: "Remove the selector or put it right after the kanji whose glyph it selects; use an ideographic variation sequence (U+E0100-E01EF) for a glyph that has no standardized sequence.",
};
pub static NAME_OTHER_SCRIPT: ErrorDef = ErrorDef {
    code: "JK-NAME-0110",
    class: Invalid,
    message_ja: "氏名に使えない文字です",
    message_en: "This character cannot be used in a name",
    cause: "Letters of scripts other than Japanese and the Latin alphabet (e.g. Hangul, Greek, Cyrillic) and rare kana forms such as ゟ or ヿ are not name characters.",
    remedy: "Enter the name of a resident who is not a Japanese national in Latin letters as on the residence card, with a kanji or kana alias in alias_name if one is registered.",
};
pub static NAME_RADICAL: ErrorDef = ErrorDef {
    code: "JK-NAME-0111",
    class: Invalid,
    message_ja: "部首の文字は漢字として使えません",
    message_en: "A radical character is not a kanji",
    cause: "Kangxi radicals and CJK radical supplement characters (U+2E80-2FDF) look like kanji but are separate symbols; they often come from text copied out of a PDF.",
    remedy: "Enter the kanji itself; the suggestion gives it when there is one.",
};
pub static NAME_REQUIRED: ErrorDef = ErrorDef {
    code: "JK-NAME-0112",
    class: Invalid,
    message_ja: "必須の項目が入力されていません",
    message_en: "A required field is empty",
    cause: "family_name is always required; family_name_kana is required when the name is in Japanese script.",
    remedy: "Enter the value. given_name may be empty for a person without a given name; readings may be empty for a Latin name.",
};
pub static NAME_TOO_LONG: ErrorDef = ErrorDef {
    code: "JK-NAME-0113",
    class: Invalid,
    message_ja: "文字数が上限を超えています",
    message_en: "The value is longer than allowed",
    cause: "A Japanese-script name may have at most 50 characters, a Latin name and a reading at most 100; variation selectors count as characters. The problem points at the first character beyond the limit.",
    remedy: "Check that fields are not shifted or joined together; the note gives the limit and the length found.",
};
pub static NAME_LATIN_LOWERCASE: ErrorDef = ErrorDef {
    code: "JK-NAME-0201",
    class: Invalid,
    message_ja: "英字の氏名は大文字で入力してください",
    message_en: "A Latin name must be in capital letters",
    cause: "Names of residents who are not Japanese nationals are recorded in the capital letters A-Z, as on the residence card.",
    remedy: "Enter the name in capitals; the suggestion gives the upper-case form.",
};
pub static NAME_LATIN_FULLWIDTH: ErrorDef = ErrorDef {
    code: "JK-NAME-0202",
    class: Invalid,
    message_ja: "全角の英字や記号は使えません。半角で入力してください",
    message_en: "Full-width Latin letters and signs are not allowed; use half-width",
    cause: "The Latin name contains full-width letters, spaces, hyphens or apostrophes (e.g. ＳＭＩＴＨ or a full-width space).",
    remedy: "Enter half-width capitals A-Z with ASCII space, hyphen and apostrophe; the suggestion gives the half-width form.",
};
pub static NAME_LATIN_DIACRITIC: ErrorDef = ErrorDef {
    code: "JK-NAME-0203",
    class: Invalid,
    message_ja: "英字の氏名にアクセント記号付きの文字は使えません",
    message_en: "Letters with diacritics are not allowed in a Latin name",
    cause: "The residence card records names in the 26 letters A-Z; letters such as É, Ñ, Ü, Ø or ß and combining accents are not among them.",
    remedy: "Enter the name exactly as on the residence card. The suggestion gives the base letter (É becomes E, ß becomes SS); the card may differ where the passport transliterates (Ü as UE).",
};
pub static NAME_LATIN_SEPARATOR: ErrorDef = ErrorDef {
    code: "JK-NAME-0204",
    class: Invalid,
    message_ja: "空白・ハイフン・アポストロフィは文字と文字の間に1つだけ置けます",
    message_en: "A space, hyphen or apostrophe may only stand alone between two letters",
    cause: "The Latin name starts or ends with a space, hyphen or apostrophe, or has two of them in a row (e.g. two spaces).",
    remedy: "Remove the extra separator; the suggestion gives the corrected name.",
};
pub static NAME_SCRIPT_MISMATCH: ErrorDef = ErrorDef {
    code: "JK-NAME-0205",
    class: Invalid,
    message_ja: "氏と名の文字の種類（日本の文字・英字）が一致しません",
    message_en: "The family name and the given name are in different scripts",
    cause: "Both must be in Japanese script or both in Latin letters; one of each usually means a Latin name in one field and an alias in the other.",
    remedy: "Enter the Latin name in both fields as on the residence card and the Japanese alias (通称) in alias_name, or the Japanese name in both.",
};
pub static NAME_KANA_HIRAGANA: ErrorDef = ErrorDef {
    code: "JK-NAME-0301",
    class: Invalid,
    message_ja: "読み仮名はひらがなではなくカタカナで入力してください",
    message_en: "A reading must be in katakana, not hiragana",
    cause: "Readings (family_name_kana, given_name_kana) are recorded in full-width katakana.",
    remedy: "Convert the reading to katakana; the suggestion gives the katakana form.",
};
pub static NAME_KANA_NOT_KATAKANA: ErrorDef = ErrorDef {
    code: "JK-NAME-0302",
    class: Invalid,
    message_ja: "読み仮名に使える文字は全角カタカナと「ー」「・」だけです",
    message_en: "A reading may contain only full-width katakana, ー and ・",
    cause: "The reading contains kanji, Latin letters, an iteration mark or another character that is not katakana.",
    remedy: "Spell the reading out in full-width katakana (ササキ, not 佐々木 or サヽキ); the readings of a Latin name may be left empty.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &NAME_DIGIT,
    &NAME_SYMBOL,
    &NAME_HALFWIDTH_KANA,
    &NAME_PRIVATE_USE,
    &NAME_UNASSIGNED,
    &NAME_SPACE_CONTROL,
    &NAME_MIXED_SCRIPT,
    &NAME_COMPAT_IDEOGRAPH,
    &NAME_VARIATION_SELECTOR,
    &NAME_OTHER_SCRIPT,
    &NAME_RADICAL,
    &NAME_REQUIRED,
    &NAME_TOO_LONG,
    &NAME_LATIN_LOWERCASE,
    &NAME_LATIN_FULLWIDTH,
    &NAME_LATIN_DIACRITIC,
    &NAME_LATIN_SEPARATOR,
    &NAME_SCRIPT_MISMATCH,
    &NAME_KANA_HIRAGANA,
    &NAME_KANA_NOT_KATAKANA,
];

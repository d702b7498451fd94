//! Errors of dates: ISO and era forms, era spans, partial birth dates, date order.

use super::{ErrorClass::*, ErrorDef};

pub static DATE_FORMAT: ErrorDef = ErrorDef {
    code: "JK-DATE-0101",
    class: Invalid,
    message_ja: "日付の形式が正しくありません（例: 2023-04-01、令和5年4月1日、R5.4.1）",
    message_en: "The date is not in a recognised form (e.g. 2023-04-01, 令和5年4月1日, R5.4.1)",
    cause: "The value is neither YYYY-MM-DD (ASCII digits, month and day with two digits) nor an era form such as 令和5年4月1日, 令和元年5月1日, R5.4.1 or R05.04.01.",
    remedy: "Enter the date as YYYY-MM-DD or in an era form; when a suggestion is shown it is the same date written correctly.",
};
pub static DATE_NOT_REAL: ErrorDef = ErrorDef {
    code: "JK-DATE-0102",
    class: Invalid,
    message_ja: "存在しない日付です",
    message_en: "No such day exists in the calendar",
    cause: "The month is not 1 to 12, or the day is beyond the end of the month (e.g. 2月30日, or 2月29日 in a year that is not a leap year).",
    remedy: "Check the date against the notification or source document and enter it again.",
};
pub static DATE_ERA_UNKNOWN: ErrorDef = ErrorDef {
    code: "JK-DATE-0103",
    class: Invalid,
    message_ja: "元号が正しくありません（明治・大正・昭和・平成・令和、またはM・T・S・H・R）",
    message_en: "Unknown era (use 明治, 大正, 昭和, 平成, 令和 or M, T, S, H, R)",
    cause: "The era name or letter before the year is not one of the five eras juki knows; dates before 明治 have no era form.",
    remedy: "Write the era as 明治, 大正, 昭和, 平成 or 令和 (or its letter M, T, S, H, R), or enter the date as YYYY-MM-DD.",
};
pub static DATE_OUTSIDE_ERA: ErrorDef = ErrorDef {
    code: "JK-DATE-0104",
    class: Invalid,
    message_ja: "元号の期間外の日付です",
    message_en: "The date lies outside the era",
    cause: "Era years start at 1 (元年), and a date must lie between the era's first day and the day the next era began: 平成31年5月2日 is after 平成, 令和元年4月30日 is before 令和.",
    remedy: "Write the date in the era that runs on that day (the note names it and the suggestion gives the date in that era), or enter it as YYYY-MM-DD.",
};
pub static DATE_BEFORE_MEIJI: ErrorDef = ErrorDef {
    code: "JK-DATE-0105",
    class: Invalid,
    message_ja: "明治より前の日付は和暦で表せません",
    message_en: "A date before 明治 (1868-10-23) has no era form",
    cause: "juki knows the eras from 明治 on, and 明治 begins on 1868-10-23 (Gregorian calendar); an era form for an earlier day, e.g. 明治元年9月1日, is refused.",
    remedy: "Enter the date as YYYY-MM-DD in the Gregorian calendar, converting a lunisolar (旧暦) date first.",
};
pub static DATE_BIRTH_FORMAT: ErrorDef = ErrorDef {
    code: "JK-DATE-0106",
    class: Invalid,
    message_ja: "生年月日の形式が正しくありません（例: 1998-07-14、1998-07、1998、昭和50年3月、不詳）",
    message_en: "The birth date is not in a recognised form (e.g. 1998-07-14, 1998-07, 1998, 昭和50年3月, 不詳)",
    cause: "A birth date is a full date, a year and month (YYYY-MM, 昭和50年3月, S50.3), a year (YYYY, 昭和50年, S50), or 不詳 when it is not known at all.",
    remedy: "Enter as much of the birth date as is known in one of these forms; never invent a month or a day.",
};
pub static DATE_FUTURE: ErrorDef = ErrorDef {
    code: "JK-DATE-0110",
    class: Invalid,
    message_ja: "未来の日付は入力できません",
    message_en: "The date is in the future",
    cause: "This date must not lie after today in Asia/Tokyo (a birth date, or the date of a change that has already happened).",
    remedy: "Check the date; a planned move-out date belongs in planned_date, which may lie ahead.",
};
pub static DATE_BIRTH_AFTER_EFFECTIVE: ErrorDef = ErrorDef {
    code: "JK-DATE-0111",
    class: Invalid,
    message_ja: "生年月日が異動日より後になっています",
    message_en: "The birth date is after the effective date of the change",
    cause: "A person cannot be born after a change about them takes effect; for 出生 the two dates are normally the same day.",
    remedy: "Check the birth date and the effective date against the notification (届出) and correct the wrong one.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &DATE_FORMAT,
    &DATE_NOT_REAL,
    &DATE_ERA_UNKNOWN,
    &DATE_OUTSIDE_ERA,
    &DATE_BEFORE_MEIJI,
    &DATE_BIRTH_FORMAT,
    &DATE_FUTURE,
    &DATE_BIRTH_AFTER_EFFECTIVE,
];

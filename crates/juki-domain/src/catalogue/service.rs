//! Services across municipalities: the special move-out/move-in (転入転出の特例, docs/moves.md)
//! and printed certificates (docs/certificates.md).

use super::{ErrorClass::*, ErrorDef};

pub static SVC_MOVE_NOT_NOTIFIED: ErrorDef = ErrorDef {
    code: "JK-SVC-0101",
    class: NotFound,
    message_ja: "転出元の市区町村に特例転出の届出がありません",
    message_en: "No special move-out of this resident is notified at the old municipality",
    cause: "A special move-in fetches the move-out certificate data that the old municipality recorded when the move-out was notified (`juki move out`). None is open there for this resident: it was never notified, it was notified at another municipality, or it was already completed.",
    remedy: "Check the old municipality (--from) and the resident code with the resident; if the move-out was not notified under the special provision, the ordinary move-in with a paper move-out certificate applies.",
};
pub static SVC_MOVE_ALREADY_NOTIFIED: ErrorDef = ErrorDef {
    code: "JK-SVC-0102",
    class: Conflict,
    message_ja: "この住民には別の転出の届出が既にあります",
    message_en: "Another move-out of this resident is already notified",
    cause: "A resident has at most one open special move-out. One with a different planned date or destination is open (the detail shows it); notifying the same one again is harmless and answers it.",
    remedy: "Use `juki move status CODE` to see the open move-out; it completes when the new municipality records the move-in.",
};
pub static SVC_MOVE_IN_LATE: ErrorDef = ErrorDef {
    code: "JK-SVC-0103",
    class: Invalid,
    message_ja: "転入した日から14日を過ぎています",
    message_en: "More than 14 days have passed since the move",
    cause: "A move-in is notified within 14 days of moving (住民基本台帳法第22条); the day of the move (--moved-on) is earlier than that. The detail gives the day and the limit.",
    remedy: "Check the day of the move; a late notification is handled by the municipality's procedure for late notifications, outside the special provision.",
};
pub static SVC_MOVE_EXPIRED: ErrorDef = ErrorDef {
    code: "JK-SVC-0104",
    class: Invalid,
    message_ja: "転出予定日から30日を過ぎています",
    message_en: "More than 30 days have passed since the planned move-out date",
    cause: "Under the special provision the move-in must follow within 30 days of the planned move-out date notified at the old municipality (住民基本台帳法第24条の2); the detail gives the planned date and the limit.",
    remedy: "The move-out certificate data can no longer be used: the resident asks the old municipality for a paper move-out certificate and moves in with it.",
};
pub static SVC_MOVE_PLANNED_DATE: ErrorDef = ErrorDef {
    code: "JK-SVC-0105",
    class: Invalid,
    message_ja: "転出予定日が届出できる範囲にありません",
    message_en: "The planned move-out date is outside the range that may be notified",
    cause: "A move-out is notified before moving or within 14 days after it, so the planned date lies at most 14 days in the past and at most 30 days ahead (docs/moves.md); the detail gives the range.",
    remedy: "Check the planned date with the resident.",
};
pub static SVC_MOVE_SAME_MUNICIPALITY: ErrorDef = ErrorDef {
    code: "JK-SVC-0106",
    class: Invalid,
    message_ja: "転出先と転出元が同じ市区町村です",
    message_en: "The destination is the same municipality",
    cause: "A move within the same municipality is a 転居 (change of address), not a move-out.",
    remedy: "Record the change of address (転居) instead.",
};
pub static SVC_MOVE_ELSEWHERE: ErrorDef = ErrorDef {
    code: "JK-SVC-0107",
    class: Conflict,
    message_ja: "この転出は別の市区町村への転入で完了しています",
    message_en: "This move-out was already completed by a move-in elsewhere",
    cause: "The old municipality received the move-in notice of this move-out from another municipality; a move-out certificate is used once.",
    remedy: "Check with the resident where they live; `juki move status CODE` at the old municipality names the municipality that recorded the move-in.",
};
pub static SVC_MOVE_NOTICE_PENDING: ErrorDef = ErrorDef {
    code: "JK-SVC-0108",
    class: Unavailable,
    message_ja: "転入は記録しました。転出元への転入通知は未達で、自動的に再送します",
    message_en: "The move-in is recorded; the notice to the old municipality is not yet delivered and will be resent",
    cause: "The old municipality's node did not acknowledge the move-in notice (it is down or unreachable; the detail gives the last error). The move-in is durable here; the node resends the notice with back-off until it is acknowledged, and the old municipality then closes the record, once.",
    remedy: "Nothing to do at the window. If it lasts, check the old municipality's node; `juki move status CODE` shows the attempts.",
};
pub static SVC_PDF_FONT: ErrorDef = ErrorDef {
    code: "JK-SVC-0201",
    class: Unavailable,
    message_ja: "証明書のPDFに使う日本語フォントがありません",
    message_en: "The Japanese font for certificate PDFs is missing",
    cause: "PDF copies are set in the TrueType/OpenType font named by `[certificates] font` in juki.toml (default: IPAex Mincho from Debian's fonts-ipaexfont); the file is missing or not a font. The detail names the path.",
    remedy: "Install fonts-ipaexfont (`apt-get install fonts-ipaexfont`) or point `[certificates] font` at a Japanese font; the HTML copy is unaffected.",
};
pub static SVC_PDF_GLYPH: ErrorDef = ErrorDef {
    code: "JK-SVC-0202",
    class: Invalid,
    message_ja: "証明書のフォントにない文字があります",
    message_en: "A character is not in the certificate font",
    cause: "A character of the record (the detail gives it as U+XXXX) has no glyph in the certificate font, so the PDF would print a blank in its place; a copy is never printed with a character missing.",
    remedy: "Issue the HTML copy, or configure a font that has the character (`[certificates] font`).",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &SVC_MOVE_NOT_NOTIFIED,
    &SVC_MOVE_ALREADY_NOTIFIED,
    &SVC_MOVE_IN_LATE,
    &SVC_MOVE_EXPIRED,
    &SVC_MOVE_PLANNED_DATE,
    &SVC_MOVE_SAME_MUNICIPALITY,
    &SVC_MOVE_ELSEWHERE,
    &SVC_MOVE_NOTICE_PENDING,
    &SVC_PDF_FONT,
    &SVC_PDF_GLYPH,
];

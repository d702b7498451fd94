//! Errors of the node server, its requests, and its configuration.

use super::{ErrorClass::*, ErrorDef};

pub static NODE_OVERLOADED: ErrorDef = ErrorDef {
    code: "JK-NODE-0101",
    class: Overloaded,
    message_ja: "ただいま混雑しています。しばらくしてから再度お試しください",
    message_en: "The node is at capacity; retry after the time given",
    cause: "Every request slot is in use; the node sheds load rather than slow down the requests it has admitted.",
    remedy: "Retry after the Retry-After header's seconds; nothing of the refused request was applied.",
};
pub static NODE_BODY_TOO_LARGE: ErrorDef = ErrorDef {
    code: "JK-NODE-0102",
    class: TooLarge,
    message_ja: "リクエストが大きすぎます",
    message_en: "The request body is larger than the limit",
    cause: "The body exceeds the node's request size limit (body_bytes_max in the node config).",
    remedy: "Split the changes into smaller requests.",
};
pub static NODE_BAD_BODY: ErrorDef = ErrorDef {
    code: "JK-NODE-0103",
    class: BadRequest,
    message_ja: "リクエストの形式が正しくありません",
    message_en: "The request body cannot be read",
    cause: "The body is not the JSON the endpoint expects (see docs/api.md).",
    remedy: "Check the body against the API documentation.",
};
pub static NODE_NO_ROUTE: ErrorDef = ErrorDef {
    code: "JK-NODE-0104",
    class: NotFound,
    message_ja: "そのURLはありません",
    message_en: "No such endpoint",
    cause: "The path or method is not one the node serves.",
    remedy: "Check the URL against docs/api.md.",
};
pub static NODE_DEADLINE: ErrorDef = ErrorDef {
    code: "JK-NODE-0105",
    class: Timeout,
    message_ja: "処理が制限時間内に終わりませんでした",
    message_en: "The request did not finish within its deadline",
    cause: "The request took longer than request_timeout_ms; a change submission that timed out may or may not have been applied.",
    remedy: "Retry with the same record ids: a change already applied is not applied again.",
};
pub static NODE_RECORD_NOT_FOUND: ErrorDef = ErrorDef {
    code: "JK-NODE-0106",
    class: NotFound,
    message_ja: "この住民票コードの記録はこのノードにありません",
    message_en: "This node holds no record with this resident code",
    cause: "No change about this resident code was ever recorded at or reported to this node.",
    remedy: "Check the resident code, or ask the node that serves the resident's municipality.",
};
pub static NODE_TOO_MANY: ErrorDef = ErrorDef {
    code: "JK-NODE-0107",
    class: TooLarge,
    message_ja: "1回に送れる件数を超えています",
    message_en: "Too many items in one request",
    cause: "A request carries more changes than changes_per_request_max, or asks for a page larger than the limit.",
    remedy: "Split the request; list endpoints page with page_token.",
};
pub static NODE_SHUTTING_DOWN: ErrorDef = ErrorDef {
    code: "JK-NODE-0108",
    class: Unavailable,
    message_ja: "ノードは停止処理中です",
    message_en: "The node is shutting down",
    cause: "The node received a stop signal and finishes the requests it has, accepting no new ones.",
    remedy: "Retry once the node is back.",
};
pub static NODE_INTERNAL: ErrorDef = ErrorDef {
    code: "JK-NODE-0109",
    class: Internal,
    message_ja: "ノード内部でエラーが発生しました",
    message_en: "An internal error occurred in the node",
    cause: "An unexpected fault; the node log has the request id with details.",
    remedy: "Report the request id to the help desk.",
};
pub static NODE_BAD_QUERY: ErrorDef = ErrorDef {
    code: "JK-NODE-0110",
    class: Invalid,
    message_ja: "検索条件が正しくありません",
    message_en: "The query parameters are invalid",
    cause: "A search lacks one of kana, birth date and sex, or a parameter has an invalid value.",
    remedy: "Give the reading (kana), the birth date and the sex; the address is optional.",
};
pub static NODE_RUNNING: ErrorDef = ErrorDef {
    code: "JK-NODE-0111",
    class: Conflict,
    message_ja: "ノードが稼働中のため、この操作はできません",
    message_en: "The node is running; this needs it stopped",
    cause: "Another process (juki serve) holds the data directory's lock.",
    remedy: "Stop the node first, or submit through the running node (juki change submit).",
};
pub static NODE_FORBIDDEN: ErrorDef = ErrorDef {
    code: "JK-NODE-0112",
    class: Forbidden,
    message_ja: "この操作を行う権限がありません",
    message_en: "Your certificate does not allow this at this node",
    cause: "The client certificate's role or jurisdiction does not cover the request: changes are submitted by a clerk or admin of the node's own municipality.",
    remedy: "Use the profile of a person with that role here (docs/pki.md lists the roles).",
};
pub static NODE_RATE_LIMITED: ErrorDef = ErrorDef {
    code: "JK-NODE-0113",
    class: RateLimited,
    message_ja: "短時間に送られたリクエストが多すぎます。しばらくしてから再度お試しください",
    message_en: "Too many requests from this client; retry after the time given",
    cause: "This client (its certificate, or its address without one) sent requests faster than client_requests_per_second allows beyond its burst of client_burst.",
    remedy: "Retry after the Retry-After header's seconds and send requests more slowly; nothing of the refused request was applied.",
};
pub static CFG_UNREADABLE: ErrorDef = ErrorDef {
    code: "JK-CFG-0101",
    class: BadRequest,
    message_ja: "設定ファイルを読み込めません",
    message_en: "The node configuration cannot be read",
    cause: "juki.toml is missing, unreadable, or not valid TOML; the detail names the line.",
    remedy: "Create the data directory with juki init, or correct the file at the reported line.",
};
pub static CFG_INVALID: ErrorDef = ErrorDef {
    code: "JK-CFG-0102",
    class: Invalid,
    message_ja: "設定値が正しくありません",
    message_en: "A configuration value is invalid",
    cause: "A setting is out of range, unknown, or inconsistent with the role; the detail names it.",
    remedy: "Correct the named setting (docs/operations.md lists every setting).",
};
pub static CFG_ALREADY_INITIALISED: ErrorDef = ErrorDef {
    code: "JK-CFG-0103",
    class: Conflict,
    message_ja: "データディレクトリは既に初期化されています",
    message_en: "The data directory is already initialised",
    cause: "juki init found a juki.toml in the directory and will not overwrite a node.",
    remedy: "Use another directory, or remove the old node deliberately first.",
};
pub static CFG_ROLE: ErrorDef = ErrorDef {
    code: "JK-CFG-0104",
    class: Invalid,
    message_ja: "このロールとコードの組合せは使えません",
    message_en: "This role and code do not fit together",
    cause: "A municipal node needs the code of a municipality, special ward or designated city; a prefecture node a prefecture code; a national node no code.",
    remedy: "Check --role and --code (juki lgc NAME gives codes).",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &NODE_OVERLOADED,
    &NODE_BODY_TOO_LARGE,
    &NODE_BAD_BODY,
    &NODE_NO_ROUTE,
    &NODE_DEADLINE,
    &NODE_RECORD_NOT_FOUND,
    &NODE_TOO_MANY,
    &NODE_SHUTTING_DOWN,
    &NODE_INTERNAL,
    &NODE_BAD_QUERY,
    &NODE_RUNNING,
    &NODE_FORBIDDEN,
    &NODE_RATE_LIMITED,
    &CFG_UNREADABLE,
    &CFG_INVALID,
    &CFG_ALREADY_INITIALISED,
    &CFG_ROLE,
];

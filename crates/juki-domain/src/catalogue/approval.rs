//! Errors of two-person approval (docs/approvals.md): requests that do not exist, are no
//! longer pending or have expired, limits, and operations a node cannot carry out. A requester
//! approving their own request is the policy's `JK-POL-0106`.

use super::{ErrorClass::*, ErrorDef};

pub static APPR_NOT_FOUND: ErrorDef = ErrorDef {
    code: "JK-APPR-0101",
    class: NotFound,
    message_ja: "この承認申請はこのノードにありません",
    message_en: "There is no approval request with this id at this node",
    cause: "Approval requests are held by the node that will carry them out (a node stop by that node, a certificate revocation by the national node); the id is unknown there.",
    remedy: "Check the id with `juki approve list`, and talk to the node that holds the request (--url).",
};
pub static APPR_NOT_PENDING: ErrorDef = ErrorDef {
    code: "JK-APPR-0102",
    class: Conflict,
    message_ja: "この承認申請は既に処理されています",
    message_en: "The request has already been decided",
    cause: "Only a pending request can be approved or rejected; this one was approved, rejected, carried out or has failed.",
    remedy: "See its state with `juki approve show ID`; make a new request if the operation is still needed.",
};
pub static APPR_EXPIRED: ErrorDef = ErrorDef {
    code: "JK-APPR-0103",
    class: Conflict,
    message_ja: "この承認申請は有効期限が切れています",
    message_en: "The request has expired",
    cause: "A request waits for approval at most 24 hours; after that it can no longer be approved.",
    remedy: "Make the request again if the operation is still needed.",
};
pub static APPR_TOO_MANY: ErrorDef = ErrorDef {
    code: "JK-APPR-0104",
    class: Conflict,
    message_ja: "承認待ちの申請が多すぎます",
    message_en: "Too many requests are waiting for approval",
    cause: "A node holds at most 1,000 pending requests, so that a runaway script cannot bury the ones that matter.",
    remedy: "Decide or withdraw pending requests (`juki approve list`, `juki approve reject ID`), or wait for them to expire.",
};
pub static APPR_INVALID: ErrorDef = ErrorDef {
    code: "JK-APPR-0105",
    class: Invalid,
    message_ja: "申請の内容が正しくありません",
    message_en: "A field of the request breaks its rules",
    cause: "A reason is longer than 512 characters, an id is not of the form A-000017, or another field is outside its limits; the detail names the field.",
    remedy: "Correct the named field and send the request again.",
};
pub static APPR_CANNOT: ErrorDef = ErrorDef {
    code: "JK-APPR-0106",
    class: Conflict,
    message_ja: "このノードではこの操作を実行できません",
    message_en: "This node cannot carry out this operation",
    cause: "The operation needs something this node lacks: certificate revocation needs the network CA's directory ([ca] dir in the national node's juki.toml), and a request of a kind this version does not know cannot be run.",
    remedy: "Configure what the detail names (e.g. initialise the national node with --ca), or send the request to the node that serves the operation.",
};
pub static APPR_PENDING: ErrorDef = ErrorDef {
    code: "JK-APPR-0107",
    class: Conflict,
    message_ja: "この操作は承認待ちです",
    message_en: "The operation waits for a second person's approval",
    cause: "The operation needs two people: it was recorded as a request and runs only when another person whom the policy allows the same operation approves it.",
    remedy: "Ask that person to run `juki approve approve ID` (the id is printed); `--wait` waits for the outcome.",
};
pub static APPR_REJECTED: ErrorDef = ErrorDef {
    code: "JK-APPR-0108",
    class: Conflict,
    message_ja: "この申請は却下されました",
    message_en: "The request was rejected",
    cause: "A second person (or the requester, withdrawing it) rejected the request; the operation was not carried out.",
    remedy: "See the reason with `juki approve show ID`.",
};
pub static APPR_FAILED: ErrorDef = ErrorDef {
    code: "JK-APPR-0109",
    class: Internal,
    message_ja: "承認された操作の実行に失敗しました",
    message_en: "The approved operation failed",
    cause: "The request was approved but carrying it out failed, or the node stopped between approval and execution; the request's result says why.",
    remedy: "Read the result with `juki approve show ID`, correct the cause and make a new request.",
};
pub static APPR_STORAGE: ErrorDef = ErrorDef {
    code: "JK-APPR-0110",
    class: Unavailable,
    message_ja: "承認申請の記録を読み書きできません",
    message_en: "The approvals database cannot be used",
    cause: "DATA/approvals.db cannot be opened, read or written (disk full, permissions, damage), or the node was started without it.",
    remedy: "Check free space and the file's permissions, then restart the node; the node's log names the error.",
};
pub static APPR_NEEDED: ErrorDef = ErrorDef {
    code: "JK-APPR-0111",
    class: Forbidden,
    message_ja: "稼働中のノードの復元・再構築には二人目の承認が必要です",
    message_en: "Restoring or rebuilding a node in service needs an approved request",
    cause: "The node's juki.toml names a parent, so the node is in service: `juki rebuild` and `juki backup restore` (without --scratch) of it need a restore-node request approved at its parent by a second person.",
    remedy: "At the parent: `juki approve request-restore CODE --operation rebuild (or restore) --profile PARENT-PROFILE`; a second person runs `juki approve approve ID`; then run the command again with `--approval ID --profile PARENT-PROFILE`.",
};
pub static APPR_NOT_USABLE: ErrorDef = ErrorDef {
    code: "JK-APPR-0112",
    class: Conflict,
    message_ja: "この承認はこの操作に使えません",
    message_en: "The approval does not allow this operation",
    cause: "An approval allows one restore or rebuild, once: this one is of another kind, for another node or operation, not approved (yet), or already used.",
    remedy: "See it with `juki approve show ID --profile PARENT-PROFILE`; request a new one for this node and operation if needed.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &APPR_NOT_FOUND,
    &APPR_NOT_PENDING,
    &APPR_EXPIRED,
    &APPR_TOO_MANY,
    &APPR_INVALID,
    &APPR_CANNOT,
    &APPR_PENDING,
    &APPR_REJECTED,
    &APPR_FAILED,
    &APPR_STORAGE,
    &APPR_NEEDED,
    &APPR_NOT_USABLE,
];

//! Errors of the audit log: damage `juki audit verify` finds (01xx), and failures of writing,
//! reading and sealing the log (02xx).

use super::{ErrorClass::*, ErrorDef};

pub static AUDIT_EDITED: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0101",
    class: Conflict,
    message_ja: "監査ログの記録が書き換えられています",
    message_en: "An audit log entry was changed after it was written",
    cause: "The entry's bytes no longer match its hash, it does not chain to the entry before it, or it differs from what a seal signed (the chain after it was rewritten).",
    remedy: "Treat the node as compromised: keep the data directory as evidence, compare with a backup of DATA/audit, and report the position printed.",
};
pub static AUDIT_REMOVED: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0102",
    class: Conflict,
    message_ja: "監査ログの記録が削除されています",
    message_en: "Audit log entries are missing",
    cause: "Sequence numbers are gapless; entries between two present ones, a whole segment file, or the head of the log without a checkpoint accounting for it, are gone.",
    remedy: "Keep the data directory as evidence and restore DATA/audit from a backup to recover the missing entries; report the positions printed.",
};
pub static AUDIT_REORDERED: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0103",
    class: Conflict,
    message_ja: "監査ログの記録の順序が入れ替えられています",
    message_en: "Audit log entries are out of order",
    cause: "An intact entry stands after an entry with a higher sequence number: lines were moved.",
    remedy: "Keep the data directory as evidence and report the positions printed; the entries themselves are intact.",
};
pub static AUDIT_INSERTED: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0104",
    class: Conflict,
    message_ja: "監査ログに重複した記録があります",
    message_en: "An audit log entry appears a second time",
    cause: "A line carries a sequence number that an earlier line already holds: it was copied or inserted.",
    remedy: "Keep the data directory as evidence and report the positions printed.",
};
pub static AUDIT_TRUNCATED: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0105",
    class: Conflict,
    message_ja: "監査ログの末尾が切り取られています",
    message_en: "The end of the audit log was cut off",
    cause: "A seal signed an entry that is no longer in the log, or a segment closed by its seal has no successor: entries at the end were removed.",
    remedy: "Keep the data directory as evidence and restore DATA/audit from a backup; report the positions printed.",
};
pub static AUDIT_BAD_SEAL: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0106",
    class: Conflict,
    message_ja: "監査ログの封印が正しくありません",
    message_en: "An audit log seal is not valid",
    cause: "A seal's signature does not verify, it was made with a key that is not this node's, it is unreadable or out of order, or a segment's seals file or closing seal is missing.",
    remedy: "Check that DATA/tls/node.pem is this node's certificate (earlier ones are kept in DATA/audit/certs); otherwise keep the data directory as evidence and report the positions printed.",
};
pub static AUDIT_BAD_CHECKPOINT: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0107",
    class: Conflict,
    message_ja: "監査ログのチェックポイントが正しくありません",
    message_en: "The audit log's checkpoint is not valid",
    cause: "The checkpoint a retention purge wrote does not verify against the node's key, cannot be read, or does not match the first entry kept.",
    remedy: "Keep the data directory as evidence and restore DATA/audit from a backup; report the positions printed.",
};
pub static AUDIT_FULL: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0201",
    class: Overloaded,
    message_ja: "監査ログの書込みが混雑しています。しばらくしてから再度お試しください",
    message_en: "The audit log's queue is full; retry after the time given",
    cause: "Entries arrive faster than the disk takes them and the writer's queue (audit queue capacity) is full; a request that cannot be audited is refused, never served unaudited.",
    remedy: "Retry after the Retry-After header's seconds; if it persists, check the disk holding DATA/audit.",
};
pub static AUDIT_FAILING: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0202",
    class: Unavailable,
    message_ja: "監査ログに書き込めないため処理を受け付けられません",
    message_en: "The audit log cannot be written, so requests are refused",
    cause: "Writing or syncing DATA/audit failed (a full disk, an IO error); the writer keeps what it holds and retries, and refuses new entries meanwhile.",
    remedy: "Free space or repair the volume holding DATA/audit; the node takes requests again once the writer succeeds.",
};
pub static AUDIT_CLOSED: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0203",
    class: Unavailable,
    message_ja: "監査ログは閉じられています",
    message_en: "The audit log is closed",
    cause: "The node is shutting down, or its audit writer stopped after a fault (the node log has it).",
    remedy: "Retry against the node once it is running again.",
};
pub static AUDIT_ENTRY_TOO_LARGE: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0204",
    class: Internal,
    message_ja: "監査記録が上限を超えています",
    message_en: "An audit entry exceeds its limits",
    cause: "An entry names more residents, or carries a longer text, than the audit log's limits allow (docs/audit.md).",
    remedy: "Report the request id to the help desk: a request that reads this much must be paged.",
};
pub static AUDIT_UNREADABLE: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0205",
    class: Internal,
    message_ja: "監査ログを読み取れません",
    message_en: "The audit log cannot be read",
    cause: "DATA/audit is missing or a file in it cannot be opened or read.",
    remedy: "Check the data directory given and the permissions of DATA/audit and the files in it.",
};
pub static AUDIT_KEY_MISMATCH: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0206",
    class: Internal,
    message_ja: "ノードの秘密鍵と証明書が一致しません",
    message_en: "The node's private key does not match its certificate",
    cause: "The key given to seal the audit log is not the key of the certificate beside it, so nobody could verify its seals.",
    remedy: "Restore the matching pair (DATA/tls/node.key and node.pem), or renew the certificate with juki ca renew.",
};
pub static AUDIT_IN_USE: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0207",
    class: Conflict,
    message_ja: "監査ログは別のプロセスが書込み中です",
    message_en: "Another process is writing this audit log",
    cause: "DATA/audit/lock is held: one writer at a time keeps the chain gapless.",
    remedy: "Stop the other process (another juki serve on the same data directory) first.",
};
pub static AUDIT_KEY_UNUSABLE: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0208",
    class: Internal,
    message_ja: "監査ログの封印に使う鍵または証明書を使用できません",
    message_en: "The key or certificate for the audit log's seals cannot be used",
    cause: "The node's key or certificate cannot be read, is not ECDSA P-256, or signing failed.",
    remedy: "Check DATA/tls/node.key (0600, PKCS#8 PEM) and DATA/tls/node.pem, as juki init or juki ca issue wrote them.",
};
pub static AUDIT_BAD_OPTION: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0209",
    class: Invalid,
    message_ja: "監査ログの設定値が範囲外です",
    message_en: "An audit log setting is out of range",
    cause: "A queue capacity, batch size, segment size, seal interval or retention period is zero or beyond its limit (docs/audit.md).",
    remedy: "Correct the setting.",
};
pub static AUDIT_WRITE: ErrorDef = ErrorDef {
    code: "JK-AUDIT-0210",
    class: Unavailable,
    message_ja: "監査ログのファイルを書き込めません",
    message_en: "Writing an audit log file failed",
    cause: "Creating or writing a file in DATA/audit (a segment, seals, the checkpoint) failed, e.g. the disk is full.",
    remedy: "Free space or repair the volume holding DATA/audit, then retry.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &AUDIT_EDITED,
    &AUDIT_REMOVED,
    &AUDIT_REORDERED,
    &AUDIT_INSERTED,
    &AUDIT_TRUNCATED,
    &AUDIT_BAD_SEAL,
    &AUDIT_BAD_CHECKPOINT,
    &AUDIT_FULL,
    &AUDIT_FAILING,
    &AUDIT_CLOSED,
    &AUDIT_ENTRY_TOO_LARGE,
    &AUDIT_UNREADABLE,
    &AUDIT_KEY_MISMATCH,
    &AUDIT_IN_USE,
    &AUDIT_KEY_UNUSABLE,
    &AUDIT_BAD_OPTION,
    &AUDIT_WRITE,
];

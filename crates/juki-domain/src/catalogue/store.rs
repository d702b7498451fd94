//! Errors of storage.

use super::{ErrorClass::*, ErrorDef};

pub static STORE_DISK_FULL: ErrorDef = ErrorDef {
    code: "JK-STORE-0101",
    class: Unavailable,
    message_ja: "ディスクの空きがないため書込みを受け付けられません(照会は可能です)",
    message_en: "The disk is full: writes are refused, reads still work",
    cause: "The file system holding the store has no space left; nothing of the refused write was applied.",
    remedy: "Free space or grow the volume; the node accepts writes again at once.",
};
pub static STORE_BUSY: ErrorDef = ErrorDef {
    code: "JK-STORE-0102",
    class: Unavailable,
    message_ja: "記録装置が混雑しています",
    message_en: "The store is busy",
    cause: "The database stayed locked by another process longer than the busy timeout.",
    remedy: "Retry; if it persists, check for another process using the same data directory.",
};
pub static STORE_SCHEMA_NEWER: ErrorDef = ErrorDef {
    code: "JK-STORE-0103",
    class: Internal,
    message_ja: "記録装置がこのjukiより新しい版で作成されています",
    message_en: "The store was written by a newer juki",
    cause: "The store's schema version is higher than this binary knows.",
    remedy: "Run the newer juki, or restore a backup taken with this version.",
};
pub static STORE_IO: ErrorDef = ErrorDef {
    code: "JK-STORE-0104",
    class: Internal,
    message_ja: "記録装置でエラーが発生しました",
    message_en: "A storage error occurred",
    cause: "The database reported an error other than a full disk or a lock; the node log has it.",
    remedy: "Check the node log and the storage; report the request id to the help desk.",
};
pub static STORE_CORRUPT: ErrorDef = ErrorDef {
    code: "JK-STORE-0105",
    class: Internal,
    message_ja: "記録装置の内容が壊れています",
    message_en: "The store holds a value juki cannot read back",
    cause: "A stored value fails its own rules (e.g. a resident code with a wrong check digit), so the store was changed outside juki or damaged.",
    remedy: "Stop the node and restore it from backup or rebuild it from its parent.",
};
pub static STORE_UNREACHABLE: ErrorDef = ErrorDef {
    code: "JK-STORE-0106",
    class: Unavailable,
    message_ja: "データベースに接続できません",
    message_en: "The database cannot be reached",
    cause: "The node's PostgreSQL server does not answer (stopped, restarting, failing over, or the network to it is down); nothing of the refused request was applied.",
    remedy: "Retry once the database is back; check the PostgreSQL server and the `store` setting of juki.toml. Forwarders resume by themselves.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &STORE_DISK_FULL,
    &STORE_BUSY,
    &STORE_SCHEMA_NEWER,
    &STORE_IO,
    &STORE_CORRUPT,
    &STORE_UNREACHABLE,
];

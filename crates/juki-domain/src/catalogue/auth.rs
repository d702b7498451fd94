//! Errors of operator accounts (docs/operators.md): logging in with a password and a one-time
//! code, session tokens, lockout, and managing the accounts.

use super::{ErrorClass::*, ErrorDef};

pub static AUTH_BAD_CREDENTIALS: ErrorDef = ErrorDef {
    code: "JK-AUTH-0101",
    class: Unauthenticated,
    message_ja: "名前、パスワードまたはワンタイムコードが正しくありません",
    message_en: "The name, password or one-time code is wrong",
    cause: "No account has that name, the password is wrong, or the one-time code is wrong, expired or was used before; the answer does not say which, so that account names cannot be guessed from it.",
    remedy: "Check the name and password and enter the code the authenticator shows now (each code is accepted once). After 5 failures in a row the account is locked for 15 minutes.",
};
pub static AUTH_SESSION: ErrorDef = ErrorDef {
    code: "JK-AUTH-0102",
    class: Unauthenticated,
    message_ja: "ログインの有効期限が切れているか、無効です",
    message_en: "The session token is unknown or has expired",
    cause: "The bearer token was never issued by this node, has expired (sessions last 15 minutes by default), was ended by logging out, or its account was disabled.",
    remedy: "Log in again (`juki login`) and use the new token.",
};
pub static AUTH_LOCKED: ErrorDef = ErrorDef {
    code: "JK-AUTH-0103",
    class: Forbidden,
    message_ja: "ログインの失敗が続いたため、アカウントが一時的にロックされています",
    message_en: "The account is locked after repeated failed logins",
    cause: "5 logins in a row failed (by default), so the account refuses every login for 15 minutes, whatever is entered; each attempt is in the audit log.",
    remedy: "Wait until the time in the detail and log in again; if you did not make the failed attempts, tell the node's administrator, who can read them in the audit log.",
};
pub static AUTH_DISABLED: ErrorDef = ErrorDef {
    code: "JK-AUTH-0104",
    class: Forbidden,
    message_ja: "このアカウントは無効化されています",
    message_en: "The account is disabled",
    cause: "An administrator disabled the account (`juki operator disable`); it cannot log in and its sessions were ended.",
    remedy: "Ask the node's administrator; a disabled account is not enabled again, a new account is added instead.",
};
pub static AUTH_WEAK_PASSWORD: ErrorDef = ErrorDef {
    code: "JK-AUTH-0105",
    class: Invalid,
    message_ja: "パスワードは12バイト以上1,024バイト以下にしてください",
    message_en: "A password must be 12 to 1,024 bytes long",
    cause: "The new account's password is shorter than 12 bytes (too easy to guess) or longer than 1,024 bytes.",
    remedy: "Choose a longer password, such as a phrase of several words, and give it again.",
};
pub static AUTH_DUPLICATE: ErrorDef = ErrorDef {
    code: "JK-AUTH-0106",
    class: Conflict,
    message_ja: "同じ名前のアカウントが既にあります",
    message_en: "An account with this name already exists",
    cause: "Account names are unique at a node (a person logs in by name alone), and this one is taken, perhaps by a disabled account.",
    remedy: "Choose another name (`juki operator list` shows the names in use).",
};
pub static AUTH_UNKNOWN_OPERATOR: ErrorDef = ErrorDef {
    code: "JK-AUTH-0107",
    class: NotFound,
    message_ja: "その名前のアカウントはありません",
    message_en: "No account has this name",
    cause: "The account named in an administrative request (e.g. disable) does not exist at this node.",
    remedy: "Check the name with `juki operator list`.",
};
pub static AUTH_NOT_A_PERSON: ErrorDef = ErrorDef {
    code: "JK-AUTH-0108",
    class: Invalid,
    message_ja: "アカウントには人の役割（clerk、admin など）を指定してください",
    message_en: "An account's role must be a person's role",
    cause: "Accounts are for people (clerk, admin, operator, helpdesk, auditor, agency); nodes authenticate with their certificates only.",
    remedy: "Give a person's role with a jurisdiction it fits (docs/pki.md lists them).",
};
pub static AUTH_ACCOUNTS_FULL: ErrorDef = ErrorDef {
    code: "JK-AUTH-0109",
    class: Conflict,
    message_ja: "アカウント数が上限（100,000）に達しています",
    message_en: "The node holds the maximum number of accounts (100,000)",
    cause: "A node holds at most 100,000 operator accounts, disabled ones included.",
    remedy: "Use client certificates for the surplus, or spread the people over the nodes of their jurisdictions.",
};
pub static AUTH_DB_EXPOSED: ErrorDef = ErrorDef {
    code: "JK-AUTH-0110",
    class: Invalid,
    message_ja: "オペレータのデータベースが他のユーザから読める状態です",
    message_en: "The operator database is readable by others",
    cause: "DATA/operators.db holds password hashes and one-time-code secrets and must be readable by its owner only (mode 0600); the node refuses to open it otherwise.",
    remedy: "Run chmod 600 on the file; if others may have read it, disable every account and enrol the people again with new secrets.",
};
pub static AUTH_DB: ErrorDef = ErrorDef {
    code: "JK-AUTH-0111",
    class: Unavailable,
    message_ja: "オペレータのデータベースを読み書きできません",
    message_en: "The operator database cannot be read or written",
    cause: "DATA/operators.db could not be opened, read or written (disk full, IO error, damaged file, or a schema newer than this juki).",
    remedy: "Check the node's log for the cause and the disk; restore the file from a backup if it is damaged.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &AUTH_BAD_CREDENTIALS,
    &AUTH_SESSION,
    &AUTH_LOCKED,
    &AUTH_DISABLED,
    &AUTH_WEAK_PASSWORD,
    &AUTH_DUPLICATE,
    &AUTH_UNKNOWN_OPERATOR,
    &AUTH_NOT_A_PERSON,
    &AUTH_ACCOUNTS_FULL,
    &AUTH_DB_EXPOSED,
    &AUTH_DB,
];

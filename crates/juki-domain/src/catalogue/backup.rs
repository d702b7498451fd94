//! Errors of backups: the repository, its password, verification and restore (docs/backup.md).

use super::{ErrorClass::*, ErrorDef};

pub static BAK_SAME_STORAGE: ErrorDef = ErrorDef {
    code: "JK-BAK-0101",
    class: Conflict,
    message_ja: "バックアップ先が業務データと同じ記憶装置にあるため拒否しました",
    message_en: "The backup repository is on the same storage as the node's data",
    cause: "The repository directory (or its nearest existing parent) is on the same device as the data directory, so one storage failure would lose both.",
    remedy: "Place the repository on other storage, ideally another machine or a REST server; give --i-know-this-is-the-same-storage only for a test or a stopgap.",
};
pub static BAK_REPO_UNREADABLE: ErrorDef = ErrorDef {
    code: "JK-BAK-0102",
    class: Unavailable,
    message_ja: "バックアップ先に接続できません",
    message_en: "The backup repository cannot be reached",
    cause: "The repository's directory or server could not be read or written (missing mount, network, permissions).",
    remedy: "Check the --repo location, the mount or the REST server, and retry.",
};
pub static BAK_PASSWORD: ErrorDef = ErrorDef {
    code: "JK-BAK-0103",
    class: Unauthenticated,
    message_ja: "バックアップ先のパスワードが違います",
    message_en: "The repository password is wrong",
    cause: "No key of the repository opens with the password in the password file.",
    remedy: "Use the password file the repository was created with; without it the repository cannot be read by anyone.",
};
pub static BAK_PASSWORD_FILE: ErrorDef = ErrorDef {
    code: "JK-BAK-0104",
    class: BadRequest,
    message_ja: "パスワードファイルを読めません",
    message_en: "The password file cannot be read or is empty",
    cause: "The --password-file is missing, unreadable, or holds no password.",
    remedy: "Give a readable file whose first line is the repository password; keep it readable by the operator only.",
};
pub static BAK_REPO_EXISTS: ErrorDef = ErrorDef {
    code: "JK-BAK-0105",
    class: Conflict,
    message_ja: "バックアップ先は既に初期化されています",
    message_en: "A repository already exists there",
    cause: "backup init found a repository configuration at the location; nothing was changed.",
    remedy: "Use the existing repository with its password, or choose another location.",
};
pub static BAK_VERIFY_FAILED: ErrorDef = ErrorDef {
    code: "JK-BAK-0106",
    class: Conflict,
    message_ja: "バックアップの検証で異常が見つかりました",
    message_en: "The repository failed verification",
    cause: "A check of the repository found missing or damaged files; the message names each (a pack file by its id under data/).",
    remedy: "Take a new backup at once, restore only snapshots that verify, and find out what damaged the storage.",
};
pub static BAK_SNAPSHOT_NOT_FOUND: ErrorDef = ErrorDef {
    code: "JK-BAK-0107",
    class: NotFound,
    message_ja: "指定のバックアップがありません",
    message_en: "No such snapshot in the repository",
    cause: "The snapshot id (or `latest`) matches no snapshot of the repository.",
    remedy: "List the snapshots with `juki backup list` and give one of their ids.",
};
pub static BAK_TARGET_NOT_EMPTY: ErrorDef = ErrorDef {
    code: "JK-BAK-0108",
    class: Conflict,
    message_ja: "復元先が空ではありません",
    message_en: "The restore target is not an empty directory",
    cause: "A restore writes a whole data directory and never mixes it with existing files.",
    remedy: "Give a new or empty directory as the target.",
};
pub static BAK_DATA_DIR: ErrorDef = ErrorDef {
    code: "JK-BAK-0109",
    class: Invalid,
    message_ja: "ノードのデータディレクトリではありません",
    message_en: "Not a node's data directory",
    cause: "The --data directory holds no store.db.",
    remedy: "Give the data directory the node was created with (`juki init --data DIR`).",
};
pub static BAK_STAGING: ErrorDef = ErrorDef {
    code: "JK-BAK-0110",
    class: Unavailable,
    message_ja: "バックアップ用の複製を作成できません",
    message_en: "The consistent copy for the backup could not be made",
    cause: "Copying the data directory into its .backup-staging area failed, e.g. for lack of space or a database kept locked.",
    remedy: "Free space for one copy of the store in the data directory's filesystem and retry.",
};
pub static BAK_REPO: ErrorDef = ErrorDef {
    code: "JK-BAK-0111",
    class: Internal,
    message_ja: "バックアップ先の処理でエラーが発生しました",
    message_en: "A repository operation failed",
    cause: "Reading or writing the repository failed in a way other than access or password; the detail says how.",
    remedy: "Run `juki backup verify` on the repository; if it fails, take a new backup into a new repository.",
};
pub static BAK_NO_REPO: ErrorDef = ErrorDef {
    code: "JK-BAK-0112",
    class: NotFound,
    message_ja: "バックアップ先が初期化されていません",
    message_en: "No repository at that location",
    cause: "The location holds no repository configuration.",
    remedy: "Create one with `juki backup init --repo LOCATION --password-file F`, or correct --repo.",
};
pub static BAK_RETENTION: ErrorDef = ErrorDef {
    code: "JK-BAK-0113",
    class: BadRequest,
    message_ja: "保存期間の指定が正しくありません",
    message_en: "The retention is not valid",
    cause: "prune needs --keep-last N or --keep-within SPAN (a span such as 30d, 12h or 2w), and the span given could not be read.",
    remedy: "Give --keep-last, --keep-within or both, with a span like 30d.",
};
pub static BAK_BUSY: ErrorDef = ErrorDef {
    code: "JK-BAK-0114",
    class: Conflict,
    message_ja: "このノードのバックアップは既に実行中です",
    message_en: "A backup of this data directory is already running",
    cause: "Another backup (the node's schedule or another `juki backup run`) holds DATA/.backup.lock; two would share one staging copy.",
    remedy: "Wait for it to finish; `juki backup list` shows its snapshot when it has.",
};
pub static BAK_OVERDUE: ErrorDef = ErrorDef {
    code: "JK-BAK-0115",
    class: Unavailable,
    message_ja: "定期バックアップが滞っています",
    message_en: "The node's scheduled backup is overdue",
    cause: "No scheduled backup has succeeded for more than two intervals: they fail (the node log says why) or take too long.",
    remedy: "Read the node log for the backup's error, fix the repository or its access, and run `juki backup run --data DIR` to catch up.",
};
pub static BAK_CHAIN_BROKEN: ErrorDef = ErrorDef {
    code: "JK-BAK-0116",
    class: Conflict,
    message_ja: "ジャーナルのバックアップが途切れているため、その時点まで復元できません",
    message_en: "The journal backups have a gap: the point cannot be reached",
    cause: "Between the full snapshot and the point asked for, no journal snapshot starts where the previous one ended (one was forgotten, or never taken); the gap is named.",
    remedy: "Restore to a point before the gap (--to-seq), or from a later full snapshot; take `juki backup run --full` now so that the node's next restore does not need the gap.",
};
pub static BAK_POINT_NOT_COVERED: ErrorDef = ErrorDef {
    code: "JK-BAK-0117",
    class: NotFound,
    message_ja: "指定された時点を含むバックアップがありません",
    message_en: "No backup covers the point asked for",
    cause: "No full snapshot of the node was taken at or before the sequence or time given, or the journal backups end before it.",
    remedy: "`juki backup list` shows each snapshot's kind, epoch and sequences; ask for a point they cover.",
};
pub static BAK_SEGMENT: ErrorDef = ErrorDef {
    code: "JK-BAK-0118",
    class: Internal,
    message_ja: "ジャーナルの差分を書き出し、または適用できませんでした",
    message_en: "A journal segment could not be written or applied",
    cause: "The store refused to export its journal or to apply a segment (it does not start at the restored store's head, or the store could not be opened); the detail names which.",
    remedy: "Run `juki backup verify --read-data`; restore to a point before the segment named, or from another full snapshot.",
};
pub static BAK_DRILL_MISMATCH: ErrorDef = ErrorDef {
    code: "JK-BAK-0119",
    class: Conflict,
    message_ja: "復元訓練で、復元したジャーナルが稼働中のものと一致しません",
    message_en: "The restore drill's journal differs from the live store's",
    cause: "The latest backup, restored into a scratch directory, holds a journal whose digest up to its head is not the live store's digest up to the same sequence: the backup does not hold what the node held.",
    remedy: "Take a full backup now (`juki backup run --full`), run `juki backup verify --read-data`, and keep the drill's scratch copy for investigation by running the drill by hand.",
};
pub static BAK_DRILL_FAILED: ErrorDef = ErrorDef {
    code: "JK-BAK-0120",
    class: Unavailable,
    message_ja: "直近の復元訓練が失敗しました",
    message_en: "The node's last restore drill failed",
    cause: "The scheduled drill could not restore the latest backup, or what it restored differed from the live store (the node log says which).",
    remedy: "Read the node log, run `juki backup drill --data DIR` by hand, and take a full backup if the chain is damaged.",
};
pub static BAK_DRILL_OVERDUE: ErrorDef = ErrorDef {
    code: "JK-BAK-0121",
    class: Unavailable,
    message_ja: "復元訓練が滞っています",
    message_en: "The node's scheduled restore drill is overdue",
    cause: "No scheduled restore drill has succeeded for more than two drill intervals.",
    remedy: "Read the node log for the drill's error; `juki backup drill --data DIR` runs one by hand.",
};
pub static BAK_REBUILD_HAS_STORE: ErrorDef = ErrorDef {
    code: "JK-BAK-0131",
    class: Conflict,
    message_ja: "データディレクトリに台帳データが残っているため再構築できません",
    message_en: "The data directory still holds a store; rebuild needs one without",
    cause: "`juki rebuild --from-parent` creates a new store and records what the parent and the backup hold; a store.db (or a postgres store setting with tables) in DIR would be overwritten or merged with.",
    remedy: "Rebuild into the directory of a node whose store was lost; move a damaged store.db aside first if it is to be kept for inspection.",
};
pub static BAK_REBUILD_CONFIG: ErrorDef = ErrorDef {
    code: "JK-BAK-0132",
    class: Invalid,
    message_ja: "再構築に必要な設定がありません",
    message_en: "The node to rebuild has no configuration that allows it",
    cause: "Rebuild from the parent needs a municipal node's juki.toml and certificates with a parent URL: from the latest backup (--repo, --password-file) or prepared in DIR with `juki init`; neither was found, or the node is not a municipal one.",
    remedy: "Give the backup repository, or prepare DIR with `juki init --role municipal --code CODE --parent URL` and the node's certificates, and run again.",
};
pub static BAK_REBUILD_PARENT: ErrorDef = ErrorDef {
    code: "JK-BAK-0133",
    class: Unavailable,
    message_ja: "親ノードから記録を取得できません",
    message_en: "The parent's copy of the records could not be fetched",
    cause: "The parent did not answer the export (unreachable, refused the node's certificate, or sent an entry that cannot be read); nothing was recorded in the new store.",
    remedy: "Check that the parent serves and that the node's certificate is valid, then run the rebuild again (the data directory is left without a store).",
};

pub static BAK_PG_TOOL: ErrorDef = ErrorDef {
    code: "JK-BAK-0134",
    class: Unavailable,
    message_ja: "PostgreSQL のダンプまたは読込みに失敗しました",
    message_en: "The PostgreSQL store could not be dumped or loaded",
    cause: "A node on PostgreSQL is backed up with `pg_dump` and restored with `psql`: the program is not installed, could not reach the database, or stopped with an error (the detail holds its last lines).",
    remedy: "Install the PostgreSQL client programs of the server's major version or newer (Debian: postgresql-client), check that the store URL reaches the server, and run again.",
};
pub static BAK_PG_SCHEMA_EXISTS: ErrorDef = ErrorDef {
    code: "JK-BAK-0135",
    class: Conflict,
    message_ja: "復元先のデータベースに同じスキーマが既にあります",
    message_en: "The database to restore into already holds the node's schema",
    cause: "A restore of a node on PostgreSQL loads its dump into the node's schema, which must not exist yet: the schema in the database the store URL (or --store) names is there already, perhaps the live node's own.",
    remedy: "Restore with --store naming another database, or, when the schema is the lost node's and is to be replaced, drop it first (DROP SCHEMA name CASCADE) and run again.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &BAK_SAME_STORAGE,
    &BAK_REPO_UNREADABLE,
    &BAK_PASSWORD,
    &BAK_PASSWORD_FILE,
    &BAK_REPO_EXISTS,
    &BAK_VERIFY_FAILED,
    &BAK_SNAPSHOT_NOT_FOUND,
    &BAK_TARGET_NOT_EMPTY,
    &BAK_DATA_DIR,
    &BAK_STAGING,
    &BAK_REPO,
    &BAK_NO_REPO,
    &BAK_RETENTION,
    &BAK_BUSY,
    &BAK_REBUILD_HAS_STORE,
    &BAK_REBUILD_CONFIG,
    &BAK_REBUILD_PARENT,
    &BAK_PG_TOOL,
    &BAK_PG_SCHEMA_EXISTS,
    &BAK_OVERDUE,
    &BAK_CHAIN_BROKEN,
    &BAK_POINT_NOT_COVERED,
    &BAK_SEGMENT,
    &BAK_DRILL_MISMATCH,
    &BAK_DRILL_FAILED,
    &BAK_DRILL_OVERDUE,
];

//! The SQLite schema and its migrations, applied in order; `PRAGMA user_version` records the
//! last one applied. A migration, once released, is never edited: add a new one.
//!
//! Values are stored so that the `sqlite3` tool alone can read them: dates as ISO text,
//! change kinds and sex by their Japanese names, codes as integers.

/// Migrations, in order. Migration `i` brings the schema to version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Each resident this node holds, as it stands now: its state and the columns the 4-fact
-- search needs. The facts themselves are the snapshot in the journal entry `facts_seq`.
CREATE TABLE residents (
    resident_code INTEGER PRIMARY KEY,
    status        TEXT    NOT NULL,   -- 'current' | 'closed'
    last_seq      INTEGER NOT NULL,   -- newest journal entry of this person (head of the history)
    facts_seq     INTEGER NOT NULL,   -- journal entry holding the record's facts
    search_key    TEXT    NOT NULL,   -- normalised reading for the 4-fact search
    birth_date    TEXT    NOT NULL,   -- YYYY-MM-DD, YYYY-MM, YYYY or 不詳
    sex           TEXT    NOT NULL,   -- 男 | 女
    lgc           INTEGER NOT NULL
);
CREATE INDEX residents_four_facts ON residents (search_key, birth_date, sex);

-- The append-only change journal: one row per applied change, with the record after it
-- (a full snapshot, so history and restores need nothing else).
-- It is also the outbox: a link forwards the rows after its acknowledged sequence.
CREATE TABLE journal (
    seq                 INTEGER PRIMARY KEY,
    recorded_by         INTEGER NOT NULL,
    record_id           TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    effective_date      TEXT    NOT NULL,
    notified_date       TEXT,
    recorded_at_ms      INTEGER NOT NULL,
    resident_code       INTEGER NOT NULL,
    previous_code       INTEGER,
    prev_seq            INTEGER,             -- previous entry of the same person
    status              TEXT    NOT NULL,
    family_name         TEXT    NOT NULL,
    given_name          TEXT    NOT NULL,
    family_name_kana    TEXT    NOT NULL,
    given_name_kana     TEXT    NOT NULL,
    script              TEXT    NOT NULL,
    search_key          TEXT    NOT NULL,
    birth_date          TEXT    NOT NULL,
    sex                 TEXT    NOT NULL,
    lgc                 INTEGER NOT NULL,
    address             TEXT    NOT NULL,
    individual_number   INTEGER,
    former_family_name  TEXT,
    alias_name          TEXT,
    nationality         TEXT,
    household_head      TEXT,
    relationship        TEXT,
    resident_since      TEXT,
    address_since       TEXT,
    planned_date        TEXT,
    destination_code    INTEGER,
    destination_address TEXT
);
CREATE UNIQUE INDEX journal_idempotency ON journal (recorded_by, record_id);

-- Ranges of resident-code bodies this node may assign: [start_body, end_body).
CREATE TABLE code_pools (
    start_body INTEGER PRIMARY KEY,
    end_body   INTEGER NOT NULL,
    next_body  INTEGER NOT NULL
);

-- Outbox cursors: per link, the highest sequence the peer acknowledged.
CREATE TABLE links (
    name      TEXT PRIMARY KEY,
    acked_seq INTEGER NOT NULL
) WITHOUT ROWID;
"#];

/// Indexes a bulk load into an empty store drops and rebuilds at the end (faster than
/// inserting into them row by row).
pub(crate) const DEFERRABLE_INDEXES: &[(&str, &str)] = &[(
    "residents_four_facts",
    "CREATE INDEX residents_four_facts ON residents (search_key, birth_date, sex)",
)];

//! The SQLite schema and its migrations, applied in order; `PRAGMA user_version` records the
//! last one applied. A migration, once released, is never edited: add a new one.
//!
//! Values are stored so that the `sqlite3` tool alone can read them: dates as ISO text,
//! change kinds and sex by their Japanese names, codes as integers.

/// Page size of a new store, set before its first table (SQLite cannot change it later without
/// a VACUUM). Larger pages than the default 4 KiB mean shallower trees and fewer page writes for
/// the long append-only journal: a bulk load is ~15% faster than with 4 KiB pages. Larger still
/// loads a little faster but reads slower: a lookup by code reads whole pages, and 64 KiB
/// pages doubled its latency.
pub(crate) const PAGE_SIZE: u32 = 16_384;

/// Migrations, in order. Migration `i` brings the schema to version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Each resident this node holds, as it stands now: a narrow index into the journal. The
-- record's facts are those of journal entry `facts_seq`; its history is the chain of entries
-- that starts at `last_seq` and follows `prev_seq`.
CREATE TABLE residents (
    resident_code INTEGER PRIMARY KEY,
    status        TEXT    NOT NULL,   -- 'current' | 'closed'
    last_seq      INTEGER NOT NULL,   -- newest journal entry of this person (head of the history)
    facts_seq     INTEGER NOT NULL    -- journal entry holding the record's facts
);

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
    planned_date        TEXT,
    destination_code    INTEGER,
    destination_address TEXT,
    recorded_at_ms      INTEGER NOT NULL,
    resident_code       INTEGER NOT NULL,    -- after a code change: the new code
    previous_code       INTEGER,             -- for a code change: the code before
    prev_seq            INTEGER,             -- previous entry of the same person
    status              TEXT    NOT NULL,    -- the record after the change: 'current' | 'closed'
    search_key          TEXT    NOT NULL,    -- normalised reading for the 4-fact search
    birth_date          TEXT    NOT NULL,    -- YYYY-MM-DD, YYYY-MM, YYYY or 不詳
    sex                 TEXT    NOT NULL,    -- 男 | 女
    snapshot            TEXT    NOT NULL     -- the rest of the record: a JSON array (journal_entries names it)
);
CREATE UNIQUE INDEX journal_idempotency ON journal (recorded_by, record_id);
-- The 4-fact search: entries with these facts; a resident matches when such an entry is the
-- one holding its facts (residents.facts_seq).
CREATE INDEX journal_four_facts ON journal (search_key, birth_date, sex);

-- The journal with the snapshot's fields named (sqlite/rows.rs documents the positions).
CREATE VIEW journal_entries AS
SELECT seq, recorded_by, record_id, kind, effective_date, notified_date, planned_date,
       destination_code, destination_address, recorded_at_ms, resident_code, previous_code,
       prev_seq, status, search_key, birth_date, sex,
       snapshot ->> '$[0]'  AS family_name,
       snapshot ->> '$[1]'  AS given_name,
       snapshot ->> '$[2]'  AS family_name_kana,
       snapshot ->> '$[3]'  AS given_name_kana,
       snapshot ->> '$[4]'  AS script,
       snapshot ->> '$[5]'  AS lgc,
       snapshot ->> '$[6]'  AS address,
       snapshot ->> '$[7]'  AS individual_number,
       snapshot ->> '$[8]'  AS former_family_name,
       snapshot ->> '$[9]'  AS alias_name,
       snapshot ->> '$[10]' AS nationality,
       snapshot ->> '$[11]' AS household_head,
       snapshot ->> '$[12]' AS relationship,
       snapshot ->> '$[13]' AS resident_since,
       snapshot ->> '$[14]' AS address_since
FROM journal;

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
"#,
    r#"
-- The network stage. A forwarded entry (one a child node sent) keeps its identity at the
-- municipal node that recorded it: origin_epoch and origin_seq (NULL for entries recorded
-- here, whose origin is this node's epoch at the time and their own seq).
ALTER TABLE journal ADD COLUMN origin_epoch INTEGER;
ALTER TABLE journal ADD COLUMN origin_seq INTEGER;
-- Every tier applies a change at most once: by its origin...
CREATE UNIQUE INDEX journal_origin ON journal (recorded_by, origin_epoch, origin_seq)
    WHERE origin_seq IS NOT NULL;
-- ...and an upper tier finds a person's forwarded entries by code (these partial indexes stay
-- empty at a municipal node, so they cost its bulk loads nothing).
CREATE INDEX journal_forwarded_code ON journal (resident_code) WHERE origin_seq IS NOT NULL;
CREATE INDEX journal_forwarded_previous ON journal (previous_code)
    WHERE origin_seq IS NOT NULL AND previous_code IS NOT NULL;

-- This node's epochs: epoch `epoch` began with journal sequence `first_seq`. A node restored
-- from backup or rebuilt starts a new one.
CREATE TABLE epochs (
    epoch     INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL
);
INSERT INTO epochs (epoch, first_seq) VALUES (1, 1);

-- Links into this node: per child node and epoch, the highest contiguous sequence applied.
CREATE TABLE links_in (
    node          TEXT    NOT NULL,
    epoch         INTEGER NOT NULL,
    acked_seq     INTEGER NOT NULL,
    PRIMARY KEY (node, epoch)
) WITHOUT ROWID;

DROP VIEW journal_entries;
CREATE VIEW journal_entries AS
SELECT seq, recorded_by, origin_epoch, origin_seq, record_id, kind, effective_date,
       notified_date, planned_date, destination_code, destination_address, recorded_at_ms,
       resident_code, previous_code, prev_seq, status, search_key, birth_date, sex,
       snapshot ->> '$[0]'  AS family_name,
       snapshot ->> '$[1]'  AS given_name,
       snapshot ->> '$[2]'  AS family_name_kana,
       snapshot ->> '$[3]'  AS given_name_kana,
       snapshot ->> '$[4]'  AS script,
       snapshot ->> '$[5]'  AS lgc,
       snapshot ->> '$[6]'  AS address,
       snapshot ->> '$[7]'  AS individual_number,
       snapshot ->> '$[8]'  AS former_family_name,
       snapshot ->> '$[9]'  AS alias_name,
       snapshot ->> '$[10]' AS nationality,
       snapshot ->> '$[11]' AS household_head,
       snapshot ->> '$[12]' AS relationship,
       snapshot ->> '$[13]' AS resident_since,
       snapshot ->> '$[14]' AS address_since
FROM journal;
"#,
];

/// The journal's unique index on `(recorded_by, record_id)`, as (re)built after a bulk load.
pub(crate) const IDEMPOTENCY_INDEX: (&str, &str) = (
    "journal_idempotency",
    "CREATE UNIQUE INDEX IF NOT EXISTS journal_idempotency ON journal (recorded_by, record_id)",
);

/// Indexes a bulk load into an empty journal drops and builds at the end (one sort is much
/// faster than inserting every row into them). A store whose meta table holds
/// [`BULK_RESIDENTS_AFTER`] may lack them until it is caught up.
pub(crate) const DEFERRABLE_INDEXES: &[(&str, &str)] = &[
    IDEMPOTENCY_INDEX,
    (
        "journal_four_facts",
        "CREATE INDEX IF NOT EXISTS journal_four_facts ON journal (search_key, birth_date, sex)",
    ),
];

/// Meta key present only while a bulk load runs (or after one was interrupted): `residents`
/// reflects the journal up to this sequence; later entries are not in it yet, and the
/// [`DEFERRABLE_INDEXES`] may be missing. Opening the store catches up.
pub(crate) const BULK_RESIDENTS_AFTER: &str = "bulk_residents_after";

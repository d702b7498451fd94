//! The PostgreSQL schema and its migrations, applied in order; the table `schema_migrations`
//! records each one applied. A migration, once released, is never edited: add a new one.
//!
//! The tables mirror the SQLite store's (juki-store's `sqlite/schema.rs`) column for column,
//! with the same text forms ([`juki_store::codec`]): dates as ISO text, change kinds and sex
//! by their Japanese names, the rest of a record as the snapshot, a JSON array. `psql` reads
//! every field through the view `journal_entries`. The indexed text columns compare bytewise
//! (`COLLATE "C"`), as SQLite's do, whatever the database's locale: equality is all juki asks of
//! them, and bytewise comparison sorts faster when their indexes are built.

/// Migrations, in order. Migration `i` brings the schema to version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE meta (
    key   text   PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO meta (key, value) VALUES ('residents_current', 0), ('residents_total', 0);

-- Each resident this node holds, as it stands now: a narrow index into the journal.
CREATE TABLE residents (
    resident_code bigint PRIMARY KEY,
    status        text   NOT NULL,   -- 'current' | 'closed'
    last_seq      bigint NOT NULL,   -- newest journal entry of this person (head of the history)
    facts_seq     bigint NOT NULL    -- journal entry holding the record's facts
);

-- The append-only change journal, which is also the outbox (see the SQLite schema).
CREATE TABLE journal (
    seq                 bigint PRIMARY KEY,
    recorded_by         bigint NOT NULL,
    origin_epoch        bigint,
    origin_seq          bigint,
    record_id           text   COLLATE "C" NOT NULL,
    kind                text   NOT NULL,
    effective_date      text   NOT NULL,
    notified_date       text,
    planned_date        text,
    destination_code    bigint,
    destination_address text,
    recorded_at_ms      bigint NOT NULL,
    resident_code       bigint NOT NULL,
    previous_code       bigint,
    prev_seq            bigint,
    status              text   NOT NULL,
    search_key          text   COLLATE "C" NOT NULL,
    birth_date          text   COLLATE "C" NOT NULL,
    sex                 text   COLLATE "C" NOT NULL,
    snapshot            text   NOT NULL
);
CREATE UNIQUE INDEX journal_idempotency ON journal (recorded_by, record_id);
CREATE INDEX journal_four_facts ON journal (search_key, birth_date, sex);
CREATE UNIQUE INDEX journal_origin ON journal (recorded_by, origin_epoch, origin_seq)
    WHERE origin_seq IS NOT NULL;
CREATE INDEX journal_forwarded_code ON journal (resident_code) WHERE origin_seq IS NOT NULL;
CREATE INDEX journal_forwarded_previous ON journal (previous_code)
    WHERE origin_seq IS NOT NULL AND previous_code IS NOT NULL;

CREATE VIEW journal_entries AS
SELECT seq, recorded_by, origin_epoch, origin_seq, record_id, kind, effective_date,
       notified_date, planned_date, destination_code, destination_address, recorded_at_ms,
       resident_code, previous_code, prev_seq, status, search_key, birth_date, sex,
       snapshot::jsonb ->> 0  AS family_name,
       snapshot::jsonb ->> 1  AS given_name,
       snapshot::jsonb ->> 2  AS family_name_kana,
       snapshot::jsonb ->> 3  AS given_name_kana,
       snapshot::jsonb ->> 4  AS script,
       snapshot::jsonb ->> 5  AS lgc,
       snapshot::jsonb ->> 6  AS address,
       snapshot::jsonb ->> 7  AS individual_number,
       snapshot::jsonb ->> 8  AS former_family_name,
       snapshot::jsonb ->> 9  AS alias_name,
       snapshot::jsonb ->> 10 AS nationality,
       snapshot::jsonb ->> 11 AS household_head,
       snapshot::jsonb ->> 12 AS relationship,
       snapshot::jsonb ->> 13 AS resident_since,
       snapshot::jsonb ->> 14 AS address_since
FROM journal;

-- Ranges of resident-code bodies this node may assign: [start_body, end_body).
CREATE TABLE code_pools (
    start_body bigint PRIMARY KEY,
    end_body   bigint NOT NULL,
    next_body  bigint NOT NULL
);

-- Outbox cursors: per link, the highest sequence the peer acknowledged.
CREATE TABLE links (
    name      text   PRIMARY KEY,
    acked_seq bigint NOT NULL
);

-- This node's epochs: epoch `epoch` began with journal sequence `first_seq`.
CREATE TABLE epochs (
    epoch     bigint PRIMARY KEY,
    first_seq bigint NOT NULL
);
INSERT INTO epochs (epoch, first_seq) VALUES (1, 1);

-- Links into this node: per child node and epoch, the highest contiguous sequence applied.
CREATE TABLE links_in (
    node      text   NOT NULL,
    epoch     bigint NOT NULL,
    acked_seq bigint NOT NULL,
    PRIMARY KEY (node, epoch)
);
"#];

/// Indexes a bulk load into an empty journal drops and builds at the end (one sort is much
/// faster than inserting every row into them). Opening a store builds any that are missing
/// (a load was interrupted).
pub(crate) const DEFERRABLE_INDEXES: &[(&str, &str); 2] = &[
    (
        "journal_idempotency",
        "CREATE UNIQUE INDEX IF NOT EXISTS journal_idempotency ON journal (recorded_by, record_id)",
    ),
    (
        "journal_four_facts",
        "CREATE INDEX IF NOT EXISTS journal_four_facts ON journal (search_key, birth_date, sex)",
    ),
];

/// The journal's columns in the order a bulk load copies them.
pub(crate) const JOURNAL_COLUMNS: &str = "seq, recorded_by, origin_epoch, origin_seq, record_id, \
     kind, effective_date, notified_date, planned_date, destination_code, destination_address, \
     recorded_at_ms, resident_code, previous_code, prev_seq, status, search_key, birth_date, sex, \
     snapshot";

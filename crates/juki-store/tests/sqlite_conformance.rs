//! The conformance suite against the SQLite store, plus what is SQLite's own.

use juki_store::{SqliteOptions, SqliteStore, Store};
use std::any::Any;

fn fresh() -> (Box<dyn Store>, Box<dyn Any>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        SqliteStore::open(&dir.path().join("store.db"), SqliteOptions::default()).expect("open");
    (Box::new(store), Box::new(dir))
}

juki_store::conformance_tests!(fresh);

#[test]
fn data_survives_reopening() {
    use juki_store::conformance::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let s = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        let c = valid(&raw(
            juki_domain::ChangeKind::MoveIn,
            "R1",
            Some(code(1_234_567_890)),
        ));
        s.apply(node(), 0, &[c]).unwrap();
    }
    let s = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert!(s.record(code(1_234_567_890)).unwrap().is_some());
    assert_eq!(s.stats().unwrap().residents_current, 1);
}

#[test]
fn a_store_from_a_newer_juki_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    assert_eq!(err.def().code, "JK-STORE-0103");
}

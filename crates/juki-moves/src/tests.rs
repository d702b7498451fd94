//! The rules of the record of move procedures: one open move-out per resident, steps that only go forward, and what survives reopening.

#![allow(clippy::unwrap_used)]
use super::*;

fn store() -> (MoveStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = MoveStore::open(&dir.path().join(MOVES_FILE)).unwrap();
    (s, dir)
}

fn out(code: &str, planned: &str) -> NewOutgoing {
    NewOutgoing {
        resident_code: code.into(),
        planned_date: planned.into(),
        destination: "131202".into(),
        destination_address: "練馬一丁目1番1号".into(),
        notified_by: "urn:clerk".into(),
    }
}

fn incoming(move_id: &str) -> NewIncoming {
    NewIncoming {
        move_id: move_id.into(),
        from_code: "131148".into(),
        resident_code: "12345678901".into(),
        moved_on: "2026-04-10".into(),
        address: "練馬一丁目1番1号".into(),
        certificate: "{}".into(),
        request: "{}".into(),
        requested_by: "urn:clerk".into(),
    }
}

#[test]
fn a_move_out_is_notified_once_and_a_different_one_conflicts() {
    let (s, _d) = store();
    let Notified::Created(first) = s
        .notify_out("131148", &out("12345678901", "2026-04-10"), 1)
        .unwrap()
    else {
        panic!("not created")
    };
    assert_eq!(first.move_id, "131148-1");
    assert_eq!(first.state, OutState::Notified);
    assert_eq!(
        s.notify_out("131148", &out("12345678901", "2026-04-10"), 2)
            .unwrap(),
        Notified::Again(first.clone())
    );
    assert_eq!(
        s.notify_out("131148", &out("12345678901", "2026-04-11"), 3)
            .unwrap(),
        Notified::Conflict(first.clone())
    );
    // Another resident gets the next id.
    let Notified::Created(second) = s
        .notify_out("131148", &out("10987654321", "2026-04-10"), 4)
        .unwrap()
    else {
        panic!("not created")
    };
    assert_eq!(second.move_id, "131148-2");
    // Once closed, the resident may notify a new move-out.
    s.mark_fetched(&first.move_id, "131202", 5).unwrap();
    s.close_out(&first.move_id, "131202", "2026-04-10", "練馬", 77, 6)
        .unwrap();
    s.close_out(&first.move_id, "131211", "2026-04-12", "other", 99, 7)
        .unwrap();
    let closed = s.outgoing(&first.move_id).unwrap().unwrap();
    assert_eq!(
        (closed.state, closed.closed_seq, closed.moved_on.as_deref()),
        (OutState::Closed, Some(77), Some("2026-04-10")),
        "a second notice changes nothing"
    );
    assert_eq!(closed.fetched_by.as_deref(), Some("131202"));
    assert_eq!(closed.closed_by.as_deref(), Some("131202"));
    assert!(matches!(
        s.notify_out("131148", &out("12345678901", "2026-05-01"), 8).unwrap(),
        Notified::Created(o) if o.move_id == "131148-3"
    ));
}

#[test]
fn a_move_in_steps_forward_only_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(MOVES_FILE);
    {
        let s = MoveStore::open(&path).unwrap();
        let (i, created) = s.begin_in(&incoming("131148-1"), 10).unwrap();
        assert!(created);
        assert_eq!(i.state, InState::Fetched);
        let (again, created) = s.begin_in(&incoming("131148-1"), 11).unwrap();
        assert!(!created);
        assert_eq!(again, i);
        assert_eq!(
            s.due(0, 10).unwrap().len(),
            1,
            "a fetched move-in is due at once"
        );
        s.mark_recorded("131148-1", 42).unwrap();
        s.step_failed("131148-1", "JK-NET-0122", 1_000).unwrap();
    }
    let s = MoveStore::open(&path).unwrap();
    let i = s.incoming("131148-1").unwrap().unwrap();
    assert_eq!(
        (i.state, i.recorded_seq, i.attempts, i.last_error.as_deref()),
        (InState::Recorded, Some(42), 1, Some("JK-NET-0122"))
    );
    assert!(s.due(999, 10).unwrap().is_empty(), "not before its time");
    assert_eq!(s.due(1_000, 10).unwrap().len(), 1);
    assert_eq!(
        s.open_in("12345678901", "131148").unwrap().unwrap().move_id,
        "131148-1"
    );
    assert_eq!(s.pending_notices().unwrap(), 1);
    s.complete_in("131148-1", 2_000).unwrap();
    // Steps never go back.
    s.mark_recorded("131148-1", 43).unwrap();
    s.step_failed("131148-1", "late", 3_000).unwrap();
    let i = s.incoming("131148-1").unwrap().unwrap();
    assert_eq!(
        (i.state, i.recorded_seq, i.attempts, i.last_error),
        (InState::Completed, Some(42), 1, None)
    );
    assert!(s.due(i64::MAX, 10).unwrap().is_empty());
    assert!(s.open_in("12345678901", "131148").unwrap().is_none());
    assert_eq!(s.pending_notices().unwrap(), 0);
    let (outs, ins) = s.about("12345678901").unwrap();
    assert_eq!((outs.len(), ins.len()), (0, 1));
}

#[test]
fn the_file_is_private_and_a_newer_schema_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(MOVES_FILE);
    drop(MoveStore::open(&path).unwrap());
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(MoveStore::open(&path), Err(MoveError::Storage(_))));
}

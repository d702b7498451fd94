//! Retention: a purge with the clock years ahead removes whole old segments, records itself,
//! leaves a signed checkpoint, and the log still verifies; a tampered, missing or replaced
//! checkpoint, or a segment removed beyond it, is found.

// Tests: a failed unwrap fails the test.
#![allow(clippy::unwrap_used)]

mod util;

use juki_audit::{Action, AuditEntry, Purged, read_entries};
use util::*;

const YEAR_MS: i64 = 365 * DAY_MS;

/// One read a day for 1,000 days from T0 (segments of 31 days), then a purge dated seven
/// years after day 500: what was recorded before day 500 goes.
fn purged() -> (Node, Purged) {
    let node = Node::new();
    let log = node.open(node.options());
    for day in 0..1_000 {
        log.try_record(entry(T0 + day * DAY_MS, day as u64))
            .unwrap();
    }
    let now = T0 + 500 * DAY_MS + juki_audit::RETENTION_MS_DEFAULT;
    node.clock.set(now);
    let by = AuditEntry::new(
        now,
        "urn:juki:admin:131148:admin",
        "admin",
        NODE,
        Action::AuditPurge,
    )
    .request_id("purge-1");
    let p = log.purge(by).unwrap();
    log.close().unwrap();
    (node, p)
}

#[test]
fn a_purge_past_retention_leaves_a_checkpoint_and_still_verifies() {
    let (node, p) = purged();
    let cp = p.checkpoint.clone().unwrap();
    // Segments hold 31 days each: 16 segments (days 0–495) are wholly before day 500.
    assert_eq!(p.segments, 16);
    assert_eq!(p.entries, 496);
    assert_eq!((cp.first_segment, cp.first_seq, cp.purged), (17, 497, 496));
    assert_eq!(p.seq, 1_001, "the purge is recorded after the 1,000 reads");
    assert!(!node.segment(16).exists() && !node.seals(16).exists());
    assert!(node.segment(17).exists());

    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!(r.checkpoint.as_ref(), Some(&cp));
    assert_eq!((r.first_seq, r.last_seq), (Some(497), Some(1_001)));
    assert_eq!(r.entries, 1_001 - 496);
    assert_eq!(r.unsealed, 0);

    // The purge is itself in the log, with who, when and what.
    let page = read_entries(&node.audit, 1_001, 1).unwrap();
    let e = &page.entries[0].stored.entry;
    assert_eq!(e.action, Action::AuditPurge);
    assert_eq!(e.actor, "urn:juki:admin:131148:admin");
    assert_eq!(e.request_id, "purge-1");
    let detail = e.detail.as_deref().unwrap();
    assert!(detail.contains("removed entries 1–496"), "{detail}");
    assert!(detail.contains("16 segment files"), "{detail}");
    assert!(detail.contains("2027-05-16"), "{detail}"); // T0 + 500 days
}

#[test]
fn a_second_purge_adds_to_the_checkpoint_and_one_with_nothing_to_do_is_still_recorded() {
    let (node, first) = purged();
    let log = node.open(node.options());
    let now = node.clock.now();
    let by = || {
        AuditEntry::new(
            now,
            "urn:juki:admin:131148:admin",
            "admin",
            NODE,
            Action::AuditPurge,
        )
    };
    let again = log.purge(by()).unwrap();
    assert_eq!((again.entries, again.segments), (0, 0));
    assert!(again.checkpoint.is_none());
    let later = log
        .purge(AuditEntry {
            time_ms: now + 200 * DAY_MS,
            ..by()
        })
        .unwrap();
    let cp = later.checkpoint.unwrap();
    assert_eq!(cp.purged_total, first.entries + later.entries);
    assert_eq!(cp.first_seq, first.entries + later.entries + 1);
    log.close().unwrap();
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    let page = read_entries(&node.audit, again.seq, 1).unwrap();
    let detail = page.entries[0].stored.entry.detail.clone().unwrap();
    assert!(detail.starts_with("nothing recorded before"), "{detail}");
}

#[test]
fn a_tampered_checkpoint_is_found() {
    let (node, p) = purged();
    let path = node.audit.join(juki_audit::CHECKPOINT_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    // Claim fewer entries were purged than were: the signature fails.
    std::fs::write(&path, text.replace("\"purged\":496", "\"purged\":400")).unwrap();
    let r = node.verify();
    let d = damages(&r);
    assert_eq!(
        d[0],
        ("bad-checkpoint", "checkpoint.json".into(), 1, None),
        "{d:#?}"
    );
    assert_eq!(r.damage[0].code, "JK-AUDIT-0107");
    // Without a checkpoint it can trust, the log's head is unaccounted for.
    assert_eq!(
        d[1],
        ("removed", "segment-000017.log".into(), 1, Some(1)),
        "{d:#?}"
    );
    assert_eq!(r.damage[1].seq_last, Some(p.entries));
    assert_eq!(d.len(), 2);
}

#[test]
fn a_missing_checkpoint_leaves_the_head_unaccounted_for() {
    let (node, _) = purged();
    std::fs::remove_file(node.audit.join(juki_audit::CHECKPOINT_FILE)).unwrap();
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![("removed", "segment-000017.log".into(), 1, Some(1))]
    );
    assert!(
        r.damage[0].detail.contains("no checkpoint"),
        "{}",
        r.damage[0].detail
    );
}

#[test]
fn removing_more_than_the_checkpoint_says_is_found() {
    let (node, _) = purged();
    // The first segment kept (days 496–526) goes too.
    let held = lines(&node.segment(17)).len() as u64;
    std::fs::remove_file(node.segment(17)).unwrap();
    std::fs::remove_file(node.seals(17)).unwrap();
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![("removed", "segment-000018.log".into(), 1, Some(497))]
    );
    assert_eq!(r.damage[0].seq_last, Some(496 + held));
    assert!(r.damage[0].detail.contains("segment-000017.log missing"));
}

#[test]
fn an_older_checkpoint_put_back_is_found() {
    let (node, _) = purged();
    let path = node.audit.join(juki_audit::CHECKPOINT_FILE);
    let first = std::fs::read(&path).unwrap();
    let log = node.open(node.options());
    let now = node.clock.now() + 100 * DAY_MS;
    log.purge(AuditEntry::new(
        now,
        "urn:juki:admin:131148:admin",
        "admin",
        NODE,
        Action::AuditPurge,
    ))
    .unwrap();
    log.close().unwrap();
    assert!(node.verify().intact());
    // The earlier checkpoint is validly signed, but the segments it names are gone.
    std::fs::write(&path, first).unwrap();
    let r = node.verify();
    let d = damages(&r);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].0, "removed");
    assert_eq!(d[0].3, Some(497));
}

#[test]
fn a_purge_keeps_everything_within_retention() {
    let node = Node::new();
    let log = node.open(node.options());
    for day in 0..100 {
        log.try_record(entry(T0 + day * DAY_MS, day as u64))
            .unwrap();
    }
    let now = T0 + 6 * YEAR_MS;
    let p = log
        .purge(AuditEntry::new(now, NODE, "node", NODE, Action::AuditPurge))
        .unwrap();
    assert_eq!((p.entries, p.segments), (0, 0));
    log.close().unwrap();
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!(r.entries, 101);
}

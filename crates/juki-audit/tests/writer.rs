//! The writer: never blocks the caller, refuses rather than drops when full, keeps every
//! accepted entry through close and reopen, recovers a torn write, seals on time, and refuses
//! a second writer or a key that does not match its certificate.

// Tests: a failed unwrap fails the test.
#![allow(clippy::unwrap_used)]

mod util;

use juki_audit::{Action, AuditLog, RecordError, Signer, read_entries};
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};
use util::*;

#[test]
fn a_hundred_thousand_records_from_four_threads_all_arrive() {
    let node = Node::new();
    let log = node.open(node.options());
    const THREADS: u64 = 4;
    const EACH: u64 = 25_000;
    let started = Instant::now();
    let full = std::sync::atomic::AtomicU64::new(0);
    let slowest = std::sync::Mutex::new(Duration::ZERO);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (log, full, slowest) = (&log, &full, &slowest);
            s.spawn(move || {
                let mut worst = Duration::ZERO;
                for i in 0..EACH {
                    let n = t * EACH + i;
                    loop {
                        let e = entry(T0 + n as i64, n);
                        let at = Instant::now();
                        let r = log.try_record(e);
                        worst = worst.max(at.elapsed());
                        match r {
                            Ok(()) => break,
                            // Refused, never dropped: the caller would answer 503; here it
                            // tries again.
                            Err(RecordError::Full) => {
                                full.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                std::thread::sleep(Duration::from_micros(200));
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                let mut s = slowest.lock().unwrap();
                *s = (*s).max(worst);
            });
        }
    });
    let queued = started.elapsed();
    let stats = log.close().unwrap();
    let total = started.elapsed();
    let n = THREADS * EACH;
    println!(
        "{n} try_record calls from {THREADS} threads: queued in {queued:.2?} ({:.0} calls/s), written and synced in {total:.2?} ({:.0} entries/s); {} refused while full and retried; slowest call {:.2?}",
        n as f64 / queued.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        full.into_inner(),
        slowest.into_inner().unwrap()
    );
    assert_eq!(stats.written, n);
    assert_eq!(stats.depth, 0);
    assert!(!stats.failing);
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!(r.entries, n);
    assert_eq!(r.last_seq, Some(n));
    assert_eq!(r.unsealed, 0);
    let page = read_entries(&node.audit, 1, 100_000).unwrap();
    let ids: HashSet<String> = page
        .entries
        .iter()
        .map(|e| e.stored.entry.request_id.clone())
        .collect();
    assert_eq!(ids.len() as u64, n, "every request id, once");
    // A generous bound, far above what the writer needs: the point is that nothing stalls.
    assert!(total < Duration::from_secs(120), "{total:?}");
}

#[test]
fn a_full_queue_refuses_and_counts_and_loses_nothing() {
    let node = Node::new();
    let mut o = node.options();
    o.queue_capacity = 8;
    let log = node.open(o);
    let hold = log.hold_writer().unwrap();
    for i in 0..8 {
        log.try_record(entry(T0, i)).unwrap();
    }
    assert_eq!(log.depth(), 8);
    let at = Instant::now();
    assert_eq!(log.try_record(entry(T0, 8)), Err(RecordError::Full));
    assert!(
        at.elapsed() < Duration::from_secs(1),
        "refusing does not wait"
    );
    assert_eq!(RecordError::Full.def().code, "JK-AUDIT-0201");
    assert_eq!(
        RecordError::Full.def().class,
        juki_domain::ErrorClass::Overloaded
    );
    assert_eq!(log.refused(), 1);
    assert_eq!(log.written(), 0);
    drop(hold);
    assert_eq!(log.flush().unwrap(), 8);
    assert_eq!((log.depth(), log.written()), (0, 8));
    log.try_record(entry(T0, 9)).unwrap();
    let stats = log.close().unwrap();
    assert_eq!((stats.written, stats.refused), (9, 1));
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!(r.entries, 9);
}

#[test]
fn an_entry_over_the_limits_is_refused() {
    let node = Node::new();
    let log = node.open(node.options());
    let many = vec!["12345678903".to_string(); juki_audit::TARGETS_MAX + 1];
    assert_eq!(
        log.try_record(entry(T0, 0).targets(many)),
        Err(RecordError::TooLarge("targets"))
    );
    assert_eq!(log.close().unwrap().written, 0);
}

#[test]
fn closing_and_reopening_continues_the_chain() {
    let node = Node::new();
    node.write(10, 1_000);
    node.write(10, 1_000);
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!((r.entries, r.last_seq, r.seals), (20, Some(20), 2));
    let page = read_entries(&node.audit, 11, 5).unwrap();
    let seqs: Vec<u64> = page.entries.iter().map(|e| e.stored.seq).collect();
    assert_eq!(seqs, vec![11, 12, 13, 14, 15]);
    assert_eq!(page.next_seq, Some(16));
}

#[test]
fn a_torn_last_line_is_cut_off_and_the_cut_recorded() {
    let node = Node::new();
    node.write(5, 1_000);
    // A crash in the middle of a write leaves half a line.
    let path = node.segment(1);
    let mut data = std::fs::read(&path).unwrap();
    data.extend_from_slice(b"{\"seq\":6,\"time_ms\":17");
    std::fs::write(&path, &data).unwrap();
    let r = node.verify();
    assert!(r.intact(), "a torn tail is not damage: {:#?}", r.damage);
    assert_eq!(r.torn_tail_bytes, 21);
    let log = node.open(node.options());
    log.try_record(entry(T0, 6)).unwrap();
    log.close().unwrap();
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!((r.entries, r.torn_tail_bytes), (7, 0));
    let page = read_entries(&node.audit, 6, 10).unwrap();
    let e = &page.entries[0].stored.entry;
    assert_eq!(e.action, Action::AuditRecovered);
    assert_eq!(e.actor, NODE);
    assert!(e.detail.as_deref().unwrap().contains("21 bytes"), "{e:?}");
    assert_eq!(page.entries[1].stored.entry.request_id, "r-6");
}

#[test]
fn the_head_is_sealed_when_time_passes() {
    let node = Node::new();
    let mut o = node.options();
    o.seal_every_ms = 1_000;
    let log = node.open(o);
    for i in 0..5 {
        log.try_record(entry(T0, i)).unwrap();
    }
    assert_eq!(log.flush().unwrap(), 5);
    assert_eq!(
        log.stats().seals,
        0,
        "no time has passed on the injected clock"
    );
    node.clock.set(T0 + 1_500);
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.stats().seals == 0 {
        assert!(Instant::now() < deadline, "no seal within 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The seal is on disk: cut the entries and verify finds it.
    let path = node.segment(1);
    let l = lines(&path);
    std::mem::forget(log); // as if the process died: no closing seal
    write_lines(&path, &l[..3]);
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![("truncated", "segment-000001.log".into(), 4, Some(4))]
    );
}

#[test]
fn a_second_writer_is_refused() {
    let node = Node::new();
    let log = node.open(node.options());
    let err = AuditLog::open(&node.audit, node.signer(), node.options()).unwrap_err();
    assert_eq!(err.def.code, "JK-AUDIT-0207");
    drop(log);
    node.open(node.options()).close().unwrap();
}

#[test]
fn the_key_must_match_the_certificate_and_be_private() {
    let mut node = Node::new();
    let other_cert = node.tmp.path().join("other.pem");
    let other_key = node.tmp.path().join("other.key");
    node.ca
        .issue(
            &identity("131202"),
            &["127.0.0.1".into()],
            365,
            &other_cert,
            &other_key,
        )
        .unwrap();
    let err = Signer::from_files(&other_key, &node.cert).unwrap_err();
    assert_eq!(err.def.code, "JK-AUDIT-0206");
    std::fs::set_permissions(&node.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Signer::from_files(&node.key, &node.cert).unwrap_err();
    assert_eq!(err.def.code, "JK-TLS-0203");
    let err = Signer::from_pem(b"not a key", b"not a cert").unwrap_err();
    assert_eq!(err.def.code, "JK-AUDIT-0208");
}

#[test]
fn options_out_of_range_are_refused() {
    let node = Node::new();
    let mut o = node.options();
    o.queue_capacity = 0;
    let err = AuditLog::open(&node.audit, node.signer(), o).unwrap_err();
    assert_eq!(err.def.code, "JK-AUDIT-0209");
    let mut o = node.options();
    o.retention_ms = 1_000;
    assert_eq!(o.check().unwrap_err().def.code, "JK-AUDIT-0209");
}

#[test]
fn files_are_private_to_the_node() {
    let node = Node::new();
    node.write(3, 1_000);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&node.audit), 0o700);
    assert_eq!(mode(&node.segment(1)), 0o600);
    assert_eq!(mode(&node.seals(1)), 0o600);
}

#[test]
fn segments_roll_by_age_on_a_quiet_node() {
    let node = Node::new();
    let log = node.open(node.options());
    for day in 0..100 {
        log.try_record(entry(T0 + day * DAY_MS, day as u64))
            .unwrap();
    }
    log.close().unwrap();
    // 31-day segments: days 0–30, 31–61, 62–92, 93–99.
    assert!(node.segment(4).exists() && !node.segment(5).exists());
    assert!(node.verify().intact());
}

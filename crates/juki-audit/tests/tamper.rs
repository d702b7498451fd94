//! A log of 1,000 sealed entries verifies clean; each kind of tampering — an edited byte, a
//! removed entry, two swapped entries, a cut-off tail, a rewritten chain, a forged seal, a
//! missing segment — is found at its exact position, and only there.

// Tests: a failed unwrap fails the test.
#![allow(clippy::unwrap_used)]

mod util;

use util::*;

const SEG: &str = "segment-000001.log";

/// 1,000 entries sealed every 100.
fn written() -> Node {
    let node = Node::new();
    node.write(1_000, 100);
    node
}

#[test]
fn a_sealed_log_verifies_clean() {
    let node = written();
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!(r.entries, 1_000);
    assert_eq!((r.first_seq, r.last_seq), (Some(1), Some(1_000)));
    assert_eq!(r.seals, 10);
    assert_eq!(r.sealed_through, Some(1_000));
    assert_eq!(r.unsealed, 0);
    assert_eq!(r.segments, 1);
    assert_eq!(r.keys.len(), 1);
    // The stored lines are plain JSON, one entry each, readable by standard tools.
    let first: serde_json::Value = serde_json::from_slice(&lines(&node.segment(1))[0]).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["action"], "read");
    assert_eq!(first["prev"], "0".repeat(64));
}

#[test]
fn an_edited_byte_is_found_at_its_entry() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    // Entry 500 read resident 90000000499; make it another resident, one digit changed.
    l[499] = replace(&l[499], "90000000499", "90000000498");
    write_lines(&path, &l);
    let r = node.verify();
    assert_eq!(damages(&r), vec![("edited", SEG.into(), 500, Some(500))]);
    assert_eq!(r.damage[0].code, "JK-AUDIT-0101");
    assert_eq!(
        r.damage[0].offset,
        l[..499].iter().map(|x| x.len() as u64).sum::<u64>()
    );
}

#[test]
fn an_edited_sequence_number_is_reported_at_the_place_it_should_hold() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    l[299] = replace(&l[299], "{\"seq\":300,", "{\"seq\":309,");
    write_lines(&path, &l);
    let r = node.verify();
    assert_eq!(damages(&r), vec![("edited", SEG.into(), 300, Some(300))]);
    assert!(
        r.damage[0].detail.contains("claims seq 309"),
        "{}",
        r.damage[0].detail
    );
}

#[test]
fn an_entry_rewritten_with_a_new_hash_is_caught_by_its_link_and_its_seal() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    // Entry 500 is sealed (every 100): change it and recompute its hash, as a forger would.
    l[499] = rehash(&replace(
        &l[499],
        "\"action\":\"read\"",
        "\"action\":\"login\"",
    ));
    write_lines(&path, &l);
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![
            ("edited", SEG.into(), 500, Some(500)), // not what the seal signed
            ("edited", SEG.into(), 501, Some(501)), // 501 links to the old hash
        ]
    );
    assert!(
        r.damage[0].detail.contains("401–500"),
        "{}",
        r.damage[0].detail
    );
}

#[test]
fn a_whole_chain_rewritten_after_an_edit_is_caught_by_the_seals() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    // Change entry 450 and rewrite every link and hash after it: the chain is consistent
    // again, only the signed heads (500, 600 … 1000) disagree.
    l[449] = replace(&l[449], "\"action\":\"read\"", "\"action\":\"login\"");
    let mut prev_hash = String::new();
    for (i, line) in l.iter_mut().enumerate().skip(449) {
        if i > 449 {
            let s = String::from_utf8(line.clone()).unwrap();
            let at = s.find("\"prev\":\"").unwrap() + 8;
            let mut t = s.clone();
            t.replace_range(at..at + 64, &prev_hash);
            *line = t.into_bytes();
        }
        *line = rehash(line);
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        prev_hash = v["hash"].as_str().unwrap().to_string();
    }
    write_lines(&path, &l);
    let r = node.verify();
    let expected: Vec<_> = (5..=10)
        .map(|k| ("edited", SEG.to_string(), k * 100, Some(k * 100)))
        .collect();
    assert_eq!(damages(&r), expected);
    assert!(
        r.damage[0].detail.contains("401–500"),
        "{}",
        r.damage[0].detail
    );
}

#[test]
fn a_removed_entry_is_found_where_it_was() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    l.remove(499);
    write_lines(&path, &l);
    let r = node.verify();
    assert_eq!(damages(&r), vec![("removed", SEG.into(), 500, Some(500))]);
    assert_eq!(r.damage[0].code, "JK-AUDIT-0102");
    assert_eq!(r.damage[0].seq_last, Some(500));
}

#[test]
fn removed_entries_at_the_head_are_found_without_a_checkpoint() {
    let node = written();
    let path = node.segment(1);
    let l = lines(&path);
    write_lines(&path, &l[3..]);
    let r = node.verify();
    assert_eq!(damages(&r), vec![("removed", SEG.into(), 1, Some(1))]);
    assert_eq!(r.damage[0].seq_last, Some(3));
    assert!(
        r.damage[0].detail.contains("no checkpoint"),
        "{}",
        r.damage[0].detail
    );
}

#[test]
fn two_swapped_entries_are_found_where_the_order_breaks() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    l.swap(499, 500);
    write_lines(&path, &l);
    let r = node.verify();
    // Line 500 now holds entry 501, line 501 entry 500: 501 stands ahead of its place.
    assert_eq!(damages(&r), vec![("reordered", SEG.into(), 500, Some(501))]);
    assert_eq!(r.damage[0].code, "JK-AUDIT-0103");
}

#[test]
fn an_entry_moved_far_forward_is_reported_once() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    let moved = l.remove(899);
    l.insert(99, moved);
    write_lines(&path, &l);
    let r = node.verify();
    // Entry 900 now stands at line 100, before entries 100–899, which are not each reported.
    assert_eq!(damages(&r), vec![("reordered", SEG.into(), 100, Some(900))]);
}

#[test]
fn a_block_moved_back_is_reported_as_one_range() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    let block: Vec<_> = l.drain(99..199).collect();
    l.splice(799..799, block);
    write_lines(&path, &l);
    let r = node.verify();
    // Entries 100–199 now stand at lines 800–899, after entry 899.
    assert_eq!(damages(&r), vec![("reordered", SEG.into(), 800, Some(100))]);
    assert_eq!(r.damage[0].seq_last, Some(199));
    assert_eq!(r.damage_total, 1);
}

#[test]
fn a_duplicated_entry_is_reported_as_inserted() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    let copy = l[9].clone();
    l.insert(20, copy);
    write_lines(&path, &l);
    let r = node.verify();
    assert_eq!(damages(&r), vec![("inserted", SEG.into(), 21, Some(10))]);
}

#[test]
fn a_tail_cut_after_a_seal_is_found() {
    let node = written();
    let path = node.segment(1);
    let l = lines(&path);
    // The seal of entry 1,000 stays; entries 951–1,000 go.
    write_lines(&path, &l[..950]);
    let r = node.verify();
    assert_eq!(damages(&r), vec![("truncated", SEG.into(), 951, Some(951))]);
    assert_eq!(r.damage[0].code, "JK-AUDIT-0105");
    assert_eq!(r.damage[0].seq_last, Some(1_000));
    assert!(
        r.damage[0].detail.contains("signed entry 1000"),
        "{}",
        r.damage[0].detail
    );
}

#[test]
fn a_tail_cut_mid_line_is_found_too() {
    let node = written();
    let path = node.segment(1);
    let data = std::fs::read(&path).unwrap();
    std::fs::write(&path, &data[..data.len() - 40]).unwrap();
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![("truncated", SEG.into(), 1_000, Some(1_000))]
    );
    assert!(r.torn_tail_bytes > 0);
}

#[test]
fn a_forged_or_removed_seal_is_found() {
    let node = written();
    let seals = node.seals(1);
    let mut l = lines(&seals);
    assert_eq!(l.len(), 10);
    // Claim a different head in seal 3 (the signature no longer matches).
    l[2] = replace(&l[2], "\"seq\":300", "\"seq\":301");
    write_lines(&seals, &l);
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![("bad-seal", "segment-000001.seals".into(), 3, None)]
    );
    assert!(
        r.damage[0].detail.contains("signature"),
        "{}",
        r.damage[0].detail
    );
    // Seals out of order (the forged line put back first).
    let mut l = lines(&seals);
    l[2] = replace(&l[2], "\"seq\":301", "\"seq\":300");
    l.swap(5, 6);
    write_lines(&seals, &l);
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![("bad-seal", "segment-000001.seals".into(), 7, None)],
        "{:#?}",
        r.damage
    );
    assert!(
        r.damage[0].detail.contains("after a seal of entry 700"),
        "{}",
        r.damage[0].detail
    );
}

#[test]
fn a_seal_made_with_another_key_is_not_trusted() {
    let node = written();
    // Another node's log, signed with its key, copied over this one's.
    let other = Node::new();
    other.write(1_000, 100);
    std::fs::copy(other.seals(1), node.seals(1)).unwrap();
    let r = node.verify();
    assert_eq!(r.damage.len(), 10, "{:#?}", r.damage);
    assert!(r.damage.iter().all(|d| d.kind.as_str() == "bad-seal"));
    assert!(
        r.damage[0].detail.contains("not trusted"),
        "{}",
        r.damage[0].detail
    );
    // Its certificate in certs/ is refused too: another CA.
    for f in std::fs::read_dir(other.audit.join("certs")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), node.audit.join("certs").join(f.file_name())).unwrap();
    }
    let r = node.verify();
    assert_eq!(r.refused_certs.len(), 1, "{:?}", r.refused_certs);
    assert!(r.refused_certs[0].contains("not signed by the network CA"));
    assert_eq!(r.damage.len(), 10);
}

#[test]
fn seals_stay_valid_across_a_certificate_renewal() {
    let mut node = Node::new();
    node.write(300, 100);
    node.ca.renew(&node.cert, &node.key, 365).unwrap();
    node.write(300, 100);
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert_eq!(r.keys.len(), 2);
    assert_eq!(r.entries, 600);
    // Without the kept certificate, the first key's seals cannot be checked.
    for f in std::fs::read_dir(node.audit.join("certs")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let r = node.verify();
    assert_eq!(r.damage.len(), 3, "{:#?}", r.damage);
    assert!(r.damage.iter().all(|d| d.kind.as_str() == "bad-seal"));
}

#[test]
fn a_certificate_of_another_node_from_the_same_ca_is_not_trusted() {
    let mut node = Node::new();
    node.write(100, 100);
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
    let signer = juki_audit::Signer::from_files(&other_key, &other_cert).unwrap();
    let log = juki_audit::AuditLog::open(&node.audit, signer, node.options()).unwrap();
    log.try_record(entry(T0, 100)).unwrap();
    log.close().unwrap();
    let r = node.verify();
    assert_eq!(r.refused_certs.len(), 1, "{:?}", r.refused_certs);
    assert!(
        r.refused_certs[0].contains("not this node"),
        "{:?}",
        r.refused_certs
    );
    assert_eq!(
        damages(&r),
        vec![("bad-seal", "segment-000001.seals".into(), 2, None)]
    );
}

/// Segments of about 20 entries each.
fn segmented() -> Node {
    let node = Node::new();
    let mut o = node.options();
    o.segment_bytes_max = 8 * 1024;
    o.seal_every_entries = 10;
    let log = node.open(o);
    for i in 0..200 {
        log.try_record(entry(T0 + i as i64, i)).unwrap();
    }
    log.close().unwrap();
    node
}

fn segment_count(node: &Node) -> u64 {
    (1..).take_while(|&n| node.segment(n).exists()).count() as u64
}

#[test]
fn many_segments_verify_clean() {
    let node = segmented();
    let r = node.verify();
    assert!(r.intact(), "{:#?}", r.damage);
    assert!(r.segments >= 5, "{}", r.segments);
    assert_eq!(r.segments, segment_count(&node));
    assert_eq!(r.entries, 200);
    for n in 1..r.segments {
        assert!(std::fs::metadata(node.segment(n)).unwrap().len() <= 8 * 1024);
        let last = lines(&node.seals(n)).pop().unwrap();
        assert!(String::from_utf8(last).unwrap().contains("\"closed\":true"));
    }
}

#[test]
fn a_missing_middle_segment_is_found() {
    let node = segmented();
    let first_of_3 = lines(&node.segment(3)).len() as u64;
    let before: u64 = (1..3).map(|n| lines(&node.segment(n)).len() as u64).sum();
    std::fs::remove_file(node.segment(3)).unwrap();
    std::fs::remove_file(node.seals(3)).unwrap();
    let r = node.verify();
    let d = damages(&r);
    assert_eq!(
        d,
        vec![("removed", "segment-000004.log".into(), 1, Some(before + 1))],
        "{:#?}",
        r.damage
    );
    assert_eq!(r.damage[0].seq_last, Some(before + first_of_3));
    assert!(r.damage[0].detail.contains("segment-000003.log missing"));
}

#[test]
fn a_missing_last_segment_is_found_by_the_closing_seal() {
    let node = segmented();
    let last = segment_count(&node);
    let held: u64 = (1..last)
        .map(|n| lines(&node.segment(n)).len() as u64)
        .sum();
    std::fs::remove_file(node.segment(last)).unwrap();
    std::fs::remove_file(node.seals(last)).unwrap();
    let r = node.verify();
    let d = damages(&r);
    assert_eq!(
        d,
        vec![(
            "truncated",
            juki_audit::segment_name(last),
            0,
            Some(held + 1)
        )],
        "{:#?}",
        r.damage
    );
}

#[test]
fn a_closing_seal_removed_is_found() {
    let node = segmented();
    let seals = node.seals(2);
    let mut l = lines(&seals);
    l.pop();
    write_lines(&seals, &l);
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![(
            "bad-seal",
            "segment-000002.seals".into(),
            l.len() as u64 + 1,
            None
        )],
        "{:#?}",
        r.damage
    );
    assert!(r.damage[0].detail.contains("closing seal"));
}

#[test]
fn every_damage_is_reported_not_just_the_first() {
    let node = written();
    let path = node.segment(1);
    let mut l = lines(&path);
    l[99] = replace(&l[99], "90000000099", "90000000098");
    l.swap(599, 600);
    l.remove(799);
    write_lines(&path, &l);
    let r = node.verify();
    assert_eq!(
        damages(&r),
        vec![
            ("edited", SEG.into(), 100, Some(100)),
            ("reordered", SEG.into(), 600, Some(601)),
            ("removed", SEG.into(), 800, Some(800)),
        ]
    );
    assert_eq!(r.damage_total, 3);
}

//! The checks bite: each deliberate protocol bug of [`juki_sim::Mutation`] makes some seed
//! fail, with the invariant it breaks, and the failure replays exactly.

use juki_sim::{Mutation, SimConfig, run};

/// Seeds tried per mutation before giving up.
const SEEDS_MAX: u64 = 40;

/// The invariants a mutation may be caught by.
fn expected(m: Mutation) -> &'static [&'static str] {
    match m {
        Mutation::ReapplyRepeats => &[
            "nothing is held upstream that no municipality accepted",
            "every accepted change is held exactly once at each tier above",
        ],
        Mutation::AckBeforeApply | Mutation::AdvanceOnSend => {
            &["every accepted change is held exactly once at each tier above"]
        }
        Mutation::RegrantPool => &[
            "no resident code is assigned twice",
            "granted pools are disjoint",
        ],
        Mutation::KeepFirstFacts => &["the tiers converge"],
    }
}

fn caught(m: Mutation) {
    let config = SimConfig {
        mutation: Some(m),
        ..SimConfig::default()
    };
    let mut passed = Vec::new();
    for seed in 0..SEEDS_MAX {
        match run(seed, &config) {
            Ok(_) => passed.push(seed),
            Err(f) => {
                eprintln!(
                    "{m:?} caught at seed {seed} (seeds {passed:?} passed): {}: {}",
                    f.invariant, f.detail
                );
                assert!(
                    expected(m).contains(&f.invariant.as_str()),
                    "{m:?} broke an unexpected invariant: {f}"
                );
                assert_eq!(run(seed, &config), Err(f), "the failure replays exactly");
                return;
            }
        }
    }
    panic!("{m:?} went unnoticed in seeds 0..{SEEDS_MAX}");
}

#[test]
fn reapplying_repeats_is_caught() {
    caught(Mutation::ReapplyRepeats);
}

#[test]
fn acknowledging_before_applying_is_caught() {
    caught(Mutation::AckBeforeApply);
}

#[test]
fn advancing_on_send_is_caught() {
    caught(Mutation::AdvanceOnSend);
}

#[test]
fn regranting_a_pool_is_caught() {
    caught(Mutation::RegrantPool);
}

#[test]
fn keeping_the_first_facts_is_caught() {
    caught(Mutation::KeepFirstFacts);
}

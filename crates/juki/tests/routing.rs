//! Routing on the demo nation as real processes: a ping from 中野区 to 和泉市 goes up through
//! 東京都 and the national node and down through 大阪府; with 大阪府's node killed it answers
//! promptly with an error naming 270008; people cannot use the relay.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use juki_api::{PROTOCOL_VERSION, RouteEnvelope};
use juki_client::{ClientError, Profile};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use util::demo::{Demo, free_base};
use util::*;

fn ping(demo: &Demo, profile: &str, code: &str) -> Output {
    run(&[
        "route",
        "ping",
        code,
        "--profile",
        demo.profile(profile).to_str().unwrap(),
        "--json",
    ])
}

/// Pings until it succeeds (children announce their URLs as their links start) or 60 s pass.
fn ping_until_answered(demo: &Demo, profile: &str, code: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = ping(demo, profile, code);
        if out.status.success() {
            return serde_json::from_str(&ok(&out)).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "ping {code} never answered: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_ping_crosses_the_nation_and_a_dead_node_is_named_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let demo = Demo::start(&dir, free_base(), 50);

    // 中野区 → 東京都 → national → 大阪府 → 和泉市, and back.
    let v = ping_until_answered(&demo, "131148-clerk", "272191");
    let path: Vec<&str> = v["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        [
            "131148 中野区",
            "130001 東京都",
            "national 全国",
            "270008 大阪府",
            "272191 和泉市"
        ],
        "{v}"
    );
    assert_eq!(v["answer"]["name"], "和泉市");
    assert!(
        v["answer"]["node"].as_str().unwrap().contains("272191"),
        "{v}"
    );
    assert!(v["rtt_ms"].as_u64().unwrap() < 10_000, "{v}");

    // Every tier answers for itself, national included; the plain output names the path.
    let v = ping_until_answered(&demo, "272108-clerk", "national");
    assert_eq!(v["path"].as_array().unwrap().len(), 3, "{v}");
    let out = run(&[
        "route",
        "ping",
        "131202",
        "--profile",
        demo.profile("131148-admin").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("130001 東京都") && text.contains("131202"),
        "{text}"
    );

    // A code of no body is refused before anything is sent.
    let out = ping(&demo, "131148-clerk", "999999");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("JK-NET-0121")
            || String::from_utf8_lossy(&out.stderr).contains("JK-NET-0121"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A person's certificate calling the relay directly is refused.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clerk = Profile::load(&demo.profile("131148-clerk"))
        .unwrap()
        .client(Duration::from_secs(10))
        .unwrap();
    let env = RouteEnvelope {
        protocol: PROTOCOL_VERSION,
        request_id: "person-1".into(),
        deadline_ms: i64::MAX / 2,
        hops: 0,
        from: "131148".into(),
        to: "131148".into(),
        kind: "ping".into(),
        payload: serde_json::json!({}),
    };
    match rt.block_on(clerk.route(&env, Duration::from_secs(10))) {
        Err(ClientError::Refused { status, body, .. }) => {
            assert_eq!(
                (status, body.code.as_str()),
                (403, "JK-NET-0126"),
                "{body:?}"
            );
        }
        other => panic!("a person used the relay: {other:?}"),
    }

    // Kill 大阪府's node: the ping answers promptly, naming 270008 and its URL.
    let pattern = format!("serve --data {}", dir.join("nodes/270008").display());
    let killed = Command::new("pkill")
        .args(["-KILL", "-f", &pattern])
        .status()
        .unwrap();
    assert!(killed.success(), "no process matched {pattern}");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let out = ping(&demo, "131148-clerk", "272191");
    let took = started.elapsed();
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("JK-NET-0122"), "{said}");
    assert!(said.contains("270008"), "{said}");
    assert!(said.contains("https://127.0.0.1:"), "{said}");
    assert!(
        took < Duration::from_secs(5),
        "took {took:?}, the deadline is 10 s"
    );
}

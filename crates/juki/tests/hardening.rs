//! A node as a real process under abuse: a client over its rate is refused with 429 while
//! another is served, oversized request heads are refused without harming the node, and keys
//! that others can read are refused at start and by client commands.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use juki_client::{Client, ClientError, Profile};
use juki_pki::{Ca, Identity, Jurisdiction, Role};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
use util::*;

/// Replaces `from` with `to` in the node's juki.toml (after `juki init`).
fn edit_config(data: &Path, from: &str, to: &str) {
    let path = data.join("juki.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {text}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

/// A second person at a standalone node: a clerk certificate from the node's own CA and a
/// client of `url` presenting it.
fn second_clerk(data: &Path, name: &str, url: &str) -> Client {
    let code = juki_domain::LocalGovernmentCode::parse("131148").unwrap();
    let id = Identity::new(Role::Clerk, Jurisdiction::Local(code), name).unwrap();
    let (cert, key) = (
        data.join(format!("{name}.crt")),
        data.join(format!("{name}.key")),
    );
    let mut ca = Ca::open(&data.join("ca")).unwrap();
    ca.issue(&id, &[], 30, &cert, &key).unwrap();
    let profile = Profile {
        url: url.to_string(),
        role: "clerk".into(),
        jurisdiction: "131148".into(),
        ca: data.join("tls/ca.pem"),
        cert,
        key,
    };
    profile.client(Duration::from_secs(30)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_is_refused_while_another_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init_municipal(data, "131148");
    // One request a second, three at once.
    edit_config(
        data,
        "client_requests_per_second = 500",
        "client_requests_per_second = 1",
    );
    edit_config(data, "client_burst = 1000", "client_burst = 3");
    let node = ServeProcess::start(data);
    let tanaka = node.client();
    let suzuki = second_clerk(data, "suzuki", &node.url);

    // The burst is served, then the client is refused (a token may come back meanwhile, so
    // allow a few more tries).
    let mut served = 0;
    let refusal = loop {
        match tanaka.status().await {
            Ok(_) => served += 1,
            Err(e) => break e,
        }
        assert!(served < 10, "never refused");
    };
    assert!(served >= 3, "the burst of 3 was not served: {served}");
    match refusal {
        ClientError::Refused {
            status,
            retry_after,
            body,
        } => {
            assert_eq!(status, 429);
            assert_eq!(retry_after, Some(1));
            assert_eq!(body.code, "JK-NODE-0113");
            assert!(!body.message_ja.is_empty() && !body.message_en.is_empty());
        }
        other => panic!("expected 429 JK-NODE-0113, got {other:?}"),
    }

    // Another certificate has a bucket of its own; so has a caller without one (by address).
    suzuki.status().await.unwrap();
    let anonymous = node.anonymous();
    anonymous.health().await.unwrap();
    let metrics = anonymous.metrics().await.unwrap();
    assert!(
        metrics.contains("juki_http_requests_rate_limited_total{route=\"/v1/status\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("juki_http_requests_total{route=\"/v1/status\",status=\"429\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains("tanaka"), "metrics name the client");

    // A second later the refused client has a token again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    tanaka.status().await.unwrap();
}

/// A client speaking HTTP/1.1 only, or HTTP/2 only, trusting the node's CA.
fn raw_client(node: &ServeProcess, http2: bool) -> reqwest::Client {
    let mut tls = Client::trusting(&node.ca_pem()).unwrap();
    tls.alpn_protocols = vec![if http2 {
        b"h2".to_vec()
    } else {
        b"http/1.1".to_vec()
    }];
    let b = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(30));
    let b = if http2 {
        b.http2_prior_knowledge()
    } else {
        b.http1_only()
    };
    b.build().unwrap()
}

/// Refused: 431, or, over HTTP/1.1, the connection closed (the server closes it after the
/// 431 with the rest of the head unread, and the client may see the reset first).
fn refused_head(r: Result<reqwest::Response, reqwest::Error>, http2: bool, what: &str) {
    match r {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 431, "{what}"),
        Err(e) => assert!(!http2, "{what}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_request_heads_are_refused_and_the_node_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    init_municipal(dir.path(), "131148");
    let node = ServeProcess::start(dir.path());
    let url = format!("{}/healthz", node.url);
    let big = "x".repeat(20_000); // beyond header_bytes_max (16 KiB)
    for http2 in [false, true] {
        let what = if http2 { "HTTP/2" } else { "HTTP/1.1" };
        let c = raw_client(&node, http2);
        // Within the limits: served.
        let ok = c.get(&url).header("x-note", "y".repeat(1000)).send().await;
        assert_eq!(ok.unwrap().status().as_u16(), 200, "{what}");
        // HTTP/2 refuses the stream and keeps the connection; HTTP/1.1 closes it.
        let c = if http2 { c } else { raw_client(&node, false) };
        refused_head(c.get(&url).header("x-big", &big).send().await, http2, what);
        if !http2 {
            // More header fields than headers_max (64).
            let mut req = raw_client(&node, false).get(&url);
            for i in 0..80 {
                req = req.header(format!("x-h{i}"), "1");
            }
            refused_head(req.send().await, false, "HTTP/1.1, 80 headers");
        }
        // The node goes on serving (over HTTP/2 on the same connection).
        let c = if http2 { c } else { raw_client(&node, false) };
        let again = c.get(&url).send().await.unwrap();
        assert_eq!(again.status().as_u16(), 200, "{what}");
    }
    node.client().status().await.unwrap();
}

#[test]
fn keys_others_can_read_are_refused_at_start_and_by_client_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init_municipal(data, "131148");
    let chmod = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    // Everything juki init wrote that is a key is 0600.
    for key in ["tls/node.key", "ca/ca.key", "profiles/clerk.key"] {
        let mode = std::fs::metadata(data.join(key))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{key}");
    }
    chmod(&data.join("tls/node.key"), 0o640);
    let out = run(&[
        "serve",
        "--data",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_refused(&out, 1, "JK-TLS-0203");
    assert!(String::from_utf8_lossy(&out.stderr).contains("node.key"));
    chmod(&data.join("tls/node.key"), 0o600);

    chmod(&data.join("profiles/clerk.key"), 0o644);
    let profile = data.join("profiles/clerk.toml");
    let out = run(&["status", "--profile", profile.to_str().unwrap()]);
    assert_refused(&out, 2, "JK-TLS-0203");
}

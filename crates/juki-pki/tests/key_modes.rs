//! Every loader of a private key refuses a key file whose mode grants anything to group or
//! others (JK-TLS-0203, naming the file), and every key juki writes is 0600.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

use juki_domain::LocalGovernmentCode;
use juki_pki::{Ca, Identity, Jurisdiction, NodeTls, PkiError, Role, client_config, server_config};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs `load` with the key at each mode: refused with JK-TLS-0203 naming the file when group
/// or others get anything, accepted at 0600 and 0400.
fn refused_unless_private<T>(key: &Path, load: impl Fn() -> Result<T, PkiError>) {
    for bad in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601] {
        chmod(key, bad);
        let Err(e) = load() else {
            panic!("a key at {bad:o} was accepted")
        };
        assert_eq!(e.def.code, "JK-TLS-0203", "{bad:o}: {e}");
        assert!(e.detail.contains(&key.display().to_string()), "{e}");
    }
    for good in [0o600, 0o400] {
        chmod(key, good);
        if let Err(e) = load() {
            panic!("a key at {good:o} was refused: {e}");
        }
    }
}

#[test]
fn every_key_loader_refuses_a_key_others_can_reach() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca_dir = d.join("ca");
    let mut ca = Ca::init(&ca_dir, 3650).unwrap();
    let code = LocalGovernmentCode::parse("131148").unwrap();
    let node = Identity::new(Role::Municipal, Jurisdiction::Local(code), "municipal").unwrap();
    let clerk = Identity::new(Role::Clerk, Jurisdiction::Local(code), "tanaka").unwrap();
    let (node_crt, node_key) = (d.join("node.crt"), d.join("node.key"));
    let (clerk_crt, clerk_key) = (d.join("clerk.crt"), d.join("clerk.key"));
    ca.issue(&node, &["127.0.0.1".into()], 30, &node_crt, &node_key)
        .unwrap();
    ca.issue(&clerk, &[], 30, &clerk_crt, &clerk_key).unwrap();
    // Written 0600 (from the start: the file is created with that mode), renewed likewise.
    assert_eq!(mode(&node_key), 0o600);
    assert_eq!(mode(&clerk_key), 0o600);
    assert_eq!(mode(&ca_dir.join("ca.key")), 0o600);
    ca.renew(&node_crt, &node_key, 30).unwrap();
    assert_eq!(mode(&node_key), 0o600);
    drop(ca);

    let tls = NodeTls {
        ca: ca_dir.join("ca.pem"),
        cert: node_crt.clone(),
        key: node_key.clone(),
        crl: Some(ca_dir.join("crl.pem")),
    };
    refused_unless_private(&node_key, || server_config(&tls));
    refused_unless_private(&clerk_key, || {
        client_config(&tls.ca, Some((&clerk_crt, &clerk_key)), None)
    });
    refused_unless_private(&ca_dir.join("ca.key"), || Ca::open(&ca_dir));
}

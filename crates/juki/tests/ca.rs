//! `juki ca` as a real process: init, issue, list, revoke and renew; key modes, refusals and
//! their exit statuses.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use util::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn list(ca: &str) -> Vec<serde_json::Value> {
    let out = ok(&run(&["ca", "list", "--dir", ca, "--json"]));
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn init_issue_list_revoke_renew() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let ca_dir = d.join("ca");
    let ca = ca_dir.to_str().unwrap();

    ok(&run(&["ca", "init", "--dir", ca]));
    assert_eq!(mode(&ca_dir.join("ca.key")), 0o600);
    assert_eq!(mode(&ca_dir), 0o700);
    for f in ["ca.pem", "crl.pem", "issued.json"] {
        assert!(ca_dir.join(f).exists(), "{f}");
    }
    // A second CA in the same directory is refused.
    assert_refused(&run(&["ca", "init", "--dir", ca]), 1, "JK-TLS-0201");

    // A prefecture node, with JSON output.
    let tokyo = d.join("tokyo");
    let out = ok(&run(&[
        "ca",
        "issue",
        "--dir",
        ca,
        "--role",
        "prefecture",
        "--code",
        "130001",
        "--host",
        "127.0.0.1",
        "--host",
        "pref13.example",
        "--out",
        tokyo.to_str().unwrap(),
        "--json",
    ]));
    let issued: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(issued["identity"], "urn:juki:prefecture:130001:prefecture");
    let tokyo_serial = issued["serial"].as_str().unwrap().to_string();
    assert_eq!(tokyo_serial.len(), 32);
    assert_eq!(issued["cert"], format!("{}.crt", tokyo.display()));
    assert!(issued["not_after"].as_str().unwrap().ends_with('Z'));
    assert_eq!(mode(&d.join("tokyo.key")), 0o600);
    assert!(d.join("tokyo.crt").exists());

    // A clerk, with text output naming the serial.
    let out = ok(&run(&[
        "ca",
        "issue",
        "--dir",
        ca,
        "--role",
        "clerk",
        "--code",
        "131148",
        "--name",
        "tanaka",
        "--out",
        d.join("tanaka").to_str().unwrap(),
    ]));
    assert!(out.contains("urn:juki:clerk:131148:tanaka"), "{out}");
    assert_eq!(mode(&d.join("tanaka.key")), 0o600);

    // Refusals: a designated city's ward runs no node (1); an unknown role and a malformed
    // code are usage errors (2); existing files are never overwritten (1).
    let ward = run(&[
        "ca",
        "issue",
        "--dir",
        ca,
        "--role",
        "municipal",
        "--code",
        "011011",
        "--host",
        "127.0.0.1",
        "--out",
        d.join("ward").to_str().unwrap(),
    ]);
    assert_refused(&ward, 1, "JK-TLS-0207");
    assert!(String::from_utf8_lossy(&ward.stderr).contains("011002"));
    let mayor = run(&[
        "ca",
        "issue",
        "--dir",
        ca,
        "--role",
        "mayor",
        "--out",
        d.join("m").to_str().unwrap(),
    ]);
    assert_eq!(mayor.status.code(), Some(2));
    let short = run(&[
        "ca",
        "issue",
        "--dir",
        ca,
        "--role",
        "clerk",
        "--code",
        "13114",
        "--out",
        d.join("m").to_str().unwrap(),
    ]);
    assert_eq!(short.status.code(), Some(2));
    assert_refused(
        &run(&[
            "ca",
            "issue",
            "--dir",
            ca,
            "--role",
            "prefecture",
            "--code",
            "130001",
            "--host",
            "127.0.0.1",
            "--out",
            tokyo.to_str().unwrap(),
        ]),
        1,
        "JK-TLS-0205",
    );
    assert!(!d.join("ward.key").exists() && !d.join("m.key").exists());

    // List, then revoke the clerk.
    let certs = list(ca);
    assert_eq!(certs.len(), 2);
    assert!(certs.iter().all(|c| c["status"] == "valid"));
    let clerk_serial = certs[1]["serial"].as_str().unwrap().to_string();
    let out = ok(&run(&[
        "ca",
        "revoke",
        "--dir",
        ca,
        "--serial",
        &clerk_serial,
    ]));
    assert!(out.contains("revoked serial"), "{out}");
    let certs = list(ca);
    assert_eq!(certs[1]["status"], "revoked");
    assert!(certs[1]["revoked_at"].is_string());
    assert_eq!(certs[0]["status"], "valid");
    let crl = std::fs::read_to_string(ca_dir.join("crl.pem")).unwrap();
    assert!(crl.starts_with("-----BEGIN X509 CRL-----"), "{crl}");
    assert_refused(
        &run(&["ca", "revoke", "--dir", ca, "--serial", "4000"]),
        1,
        "JK-TLS-0206",
    );
    assert_eq!(
        run(&["ca", "revoke", "--dir", ca, "--serial", "not-hex"])
            .status
            .code(),
        Some(2)
    );

    // Renew the prefecture node in place: new serial, key still 0600.
    let out = ok(&run(&[
        "ca",
        "renew",
        "--dir",
        ca,
        "--cert",
        d.join("tokyo.crt").to_str().unwrap(),
        "--key",
        d.join("tokyo.key").to_str().unwrap(),
        "--days",
        "90",
        "--json",
    ]));
    let renewed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(renewed["identity"], "urn:juki:prefecture:130001:prefecture");
    assert_ne!(renewed["serial"].as_str().unwrap(), tokyo_serial);
    assert_eq!(mode(&d.join("tokyo.key")), 0o600);
    let certs = list(ca);
    assert_eq!(certs.len(), 3);
    assert_eq!(
        certs[2]["hosts"],
        serde_json::json!(["127.0.0.1", "pref13.example"])
    );

    // A CA key others can read is refused; a directory without a CA is unreadable input.
    std::fs::set_permissions(
        ca_dir.join("ca.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    assert_refused(&run(&["ca", "list", "--dir", ca]), 1, "JK-TLS-0203");
    assert_refused(
        &run(&["ca", "list", "--dir", d.join("none").to_str().unwrap()]),
        2,
        "JK-TLS-0202",
    );
}

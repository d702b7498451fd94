//! TLS material of a node. Until nodes take their certificates from the network CA (juki-pki,
//! `juki ca`; the network stage), `juki init` makes a node-local CA and a server certificate
//! it signs for the node's address; clients trust the node-local CA. Keys are written 0600 and
//! refused when readable by others (juki-pki's `write_secret` and `check_private`).

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::path::Path;
use std::sync::Arc;

// Keys are written and checked by the network PKI's helpers, so there is one rule for both.
pub use juki_pki::{check_private, write_secret};

/// Makes a node-local CA and a server certificate for `hosts` (IP addresses or names), valid
/// for `days`; writes `ca.pem`, `ca.key`, `node.pem`, `node.key` into `dir`.
pub fn make_self_signed(dir: &Path, common_name: &str, hosts: &[String], days: i64) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let now = time::OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, format!("juki node CA {common_name}"));
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - time::Duration::hours(1);
    ca.not_after = now + time::Duration::days(days);
    let ca_cert = ca.self_signed(&ca_key)?;

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(hosts.to_vec())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(days);
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let cert = params.signed_by(&key, &issuer)?;

    std::fs::write(dir.join("ca.pem"), ca_cert.pem())?;
    write_secret(&dir.join("ca.key"), ca_key_pem.as_bytes())?;
    std::fs::write(dir.join("node.pem"), cert.pem())?;
    write_secret(&dir.join("node.key"), key.serialize_pem().as_bytes())?;
    Ok(())
}

/// The rustls server configuration for a certificate chain and key (PEM files).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    check_private(key)?;
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(std::fs::File::open(cert)?))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", cert.display()))?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(std::fs::File::open(key)?))?
        .with_context(|| format!("no private key in {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

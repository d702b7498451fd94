//! Keys of seals and checkpoints: the node's own ECDSA P-256 key signs ([`Signer`]); verifiers
//! trust public keys taken from certificates ([`Trust`]): the node's current certificate and,
//! across renewals, its earlier certificates from the same CA that the log keeps in
//! `audit/certs/`.

use crate::error::AuditError;
use juki_domain::catalogue::{AUDIT_KEY_MISMATCH, AUDIT_KEY_UNUSABLE};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use std::path::Path;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY};
use x509_parser::pem::Pem;

/// What a seal's signature covers: this prefix, then the seal line without its `sig` member.
/// The node key also signs TLS handshakes; TLS 1.3 prefixes what it signs with 64 spaces and
/// TLS 1.2 signs random-prefixed parameters, so neither can be taken for a seal or the
/// reverse.
pub(crate) const SEAL_CONTEXT: &[u8] = b"juki audit seal v1\n";
/// The same for the checkpoint a retention purge writes.
pub(crate) const CHECKPOINT_CONTEXT: &[u8] = b"juki audit checkpoint v1\n";

/// A public key's short name in seals: the first 8 bytes of the SHA-256 of the key (an
/// uncompressed P-256 point), in hex.
pub fn key_id(public_key: &[u8]) -> String {
    crate::hex::encode(&crate::Digest::of(public_key).0[..8])
}

fn unusable(what: impl std::fmt::Display) -> AuditError {
    AuditError::new(&AUDIT_KEY_UNUSABLE, what.to_string())
}

/// The first PEM block with `label` in `pem`.
fn pem_block(pem: &[u8], labels: &[&str]) -> Option<Vec<u8>> {
    Pem::iter_from_buffer(pem)
        .filter_map(Result::ok)
        .find(|p| labels.contains(&p.label.as_str()))
        .map(|p| p.contents)
}

fn parse_cert(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c)
        .map_err(|e| e.to_string())
}

/// The certificate's public key, if it is ECDSA P-256 (uncompressed point).
fn p256_key(cert: &X509Certificate<'_>) -> Result<Vec<u8>, String> {
    let spki = cert.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    if spki.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY || curve != Some(OID_EC_P256) {
        return Err("the certificate's key is not ECDSA P-256".into());
    }
    Ok(spki.subject_public_key.data.to_vec())
}

/// The certificate's `urn:juki:` identities (a juki certificate has exactly one).
fn juki_uris(cert: &X509Certificate<'_>) -> Vec<String> {
    match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                GeneralName::URI(u) if u.starts_with("urn:juki:") => Some(u.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The node's signing key and the certificate that names its public key.
pub struct Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    key_id: String,
    cert_pem: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Reads the node's key (PKCS#8 PEM, refused when others can read it) and certificate
    /// (`tls/node.key`, `tls/node.pem`) and checks that they belong together.
    pub fn from_files(key_path: &Path, cert_path: &Path) -> Result<Signer, AuditError> {
        // The one rule for every key juki reads (JK-TLS-0203).
        juki_pki::check_private(key_path).map_err(|e| AuditError::new(e.def, e.detail))?;
        let key = std::fs::read(key_path)
            .map_err(|e| unusable(format!("{}: {e}", key_path.display())))?;
        let cert = std::fs::read(cert_path)
            .map_err(|e| unusable(format!("{}: {e}", cert_path.display())))?;
        Signer::from_pem(&key, &cert).map_err(|e| {
            AuditError::new(
                e.def,
                format!(
                    "{} and {}: {}",
                    key_path.display(),
                    cert_path.display(),
                    e.detail
                ),
            )
        })
    }

    /// The same from PEM text already read.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Signer, AuditError> {
        let pkcs8 = pem_block(key_pem, &["PRIVATE KEY"])
            .ok_or_else(|| unusable("no PKCS#8 PRIVATE KEY block in the key file"))?;
        let rng = SystemRandom::new();
        let key =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng)
                .map_err(|e| unusable(format!("not an ECDSA P-256 key: {e}")))?;
        let der = pem_block(cert_pem, &["CERTIFICATE"])
            .ok_or_else(|| unusable("no CERTIFICATE block in the certificate file"))?;
        let cert = parse_cert(&der).map_err(unusable)?;
        let cert_key = p256_key(&cert).map_err(unusable)?;
        if cert_key != key.public_key().as_ref() {
            return Err(AuditError::new(
                &AUDIT_KEY_MISMATCH,
                format!(
                    "the key is {}, the certificate names {}",
                    key_id(key.public_key().as_ref()),
                    key_id(&cert_key)
                ),
            ));
        }
        let key_id = key_id(&cert_key);
        let start = "-----BEGIN CERTIFICATE-----";
        let text = String::from_utf8_lossy(cert_pem);
        // Keep the node's certificate only (a chain file's other blocks are not ours).
        let cert_pem = match text.find(start) {
            Some(i) => {
                let end = "-----END CERTIFICATE-----";
                let j = text[i..]
                    .find(end)
                    .map_or(text.len(), |j| i + j + end.len());
                format!("{}\n", &text[i..j]).into_bytes()
            }
            None => cert_pem.to_vec(),
        };
        Ok(Signer {
            key,
            rng,
            key_id,
            cert_pem,
        })
    }

    /// The key's short name, as seals carry it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key (an uncompressed P-256 point).
    pub fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    /// The certificate, as PEM.
    pub fn cert_pem(&self) -> &[u8] {
        &self.cert_pem
    }

    pub(crate) fn sign(&self, context: &[u8], msg: &[u8]) -> Result<Vec<u8>, AuditError> {
        let mut m = Vec::with_capacity(context.len() + msg.len());
        m.extend_from_slice(context);
        m.extend_from_slice(msg);
        self.key
            .sign(&self.rng, &m)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| unusable("signing failed"))
    }
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigFault {
    UnknownKey,
    Bad,
}

/// A trusted public key and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrustedKey {
    pub key_id: String,
    /// The file or description it was taken from.
    pub source: String,
    #[serde(skip)]
    public_key: Vec<u8>,
}

/// The public keys whose seals and checkpoints a verifier accepts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    keys: Vec<TrustedKey>,
    /// Certificates offered in `audit/certs/` and not trusted, with the reason.
    pub refused: Vec<String>,
}

impl Trust {
    /// No key yet.
    pub fn new() -> Trust {
        Trust::default()
    }

    /// Trusts a raw public key (an uncompressed P-256 point).
    pub fn add_public_key(&mut self, public_key: &[u8], source: impl Into<String>) -> String {
        let id = key_id(public_key);
        if !self.keys.iter().any(|k| k.key_id == id) {
            self.keys.push(TrustedKey {
                key_id: id.clone(),
                source: source.into(),
                public_key: public_key.to_vec(),
            });
        }
        id
    }

    /// Trusts the key of the (first) certificate in `pem`.
    pub fn add_cert_pem(
        &mut self,
        pem: &[u8],
        source: impl Into<String>,
    ) -> Result<String, AuditError> {
        let der = pem_block(pem, &["CERTIFICATE"]).ok_or_else(|| unusable("no CERTIFICATE"))?;
        let cert = parse_cert(&der).map_err(unusable)?;
        let key = p256_key(&cert).map_err(unusable)?;
        Ok(self.add_public_key(&key, source))
    }

    /// The trust of a node's audit log: the key of its current certificate (`node_cert`,
    /// `tls/node.pem`), and each certificate in `audit_dir/certs/` that the network CA
    /// (`ca_cert`, `tls/ca.pem`) signed for the same identity — the node's certificates before
    /// renewals. Anything else there is listed in [`Trust::refused`] and not trusted.
    pub fn for_node(
        node_cert: &Path,
        ca_cert: Option<&Path>,
        audit_dir: &Path,
    ) -> Result<Trust, AuditError> {
        let mut trust = Trust::new();
        let node_pem = std::fs::read(node_cert).map_err(|e| {
            AuditError::new(&AUDIT_KEY_UNUSABLE, format!("{}: {e}", node_cert.display()))
        })?;
        trust
            .add_cert_pem(&node_pem, node_cert.display().to_string())
            .map_err(|e| {
                AuditError::new(e.def, format!("{}: {}", node_cert.display(), e.detail))
            })?;
        let node_der = pem_block(&node_pem, &["CERTIFICATE"]).unwrap_or_default();
        let node_uris = parse_cert(&node_der)
            .map(|c| juki_uris(&c))
            .unwrap_or_default();
        let ca_der = match ca_cert {
            Some(p) => std::fs::read(p)
                .ok()
                .and_then(|pem| pem_block(&pem, &["CERTIFICATE"])),
            None => None,
        };
        let ca = ca_der.as_deref().and_then(|d| parse_cert(d).ok());
        let certs_dir = audit_dir.join(crate::CERTS_DIR);
        let mut files: Vec<_> = match std::fs::read_dir(&certs_dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        for path in files {
            if path.extension().is_none_or(|e| e != "pem") {
                continue;
            }
            let name = path.display().to_string();
            let verdict = (|| -> Result<Vec<u8>, String> {
                let pem = std::fs::read(&path).map_err(|e| e.to_string())?;
                let der = pem_block(&pem, &["CERTIFICATE"]).ok_or("no CERTIFICATE block")?;
                let cert = parse_cert(&der)?;
                let Some(ca) = &ca else {
                    return Err("no CA certificate to check it against".into());
                };
                cert.verify_signature(Some(ca.public_key()))
                    .map_err(|_| "not signed by the network CA".to_string())?;
                if node_uris.is_empty() || juki_uris(&cert) != node_uris {
                    return Err(format!(
                        "issued for {:?}, not this node ({:?})",
                        juki_uris(&cert),
                        node_uris
                    ));
                }
                p256_key(&cert)
            })();
            match verdict {
                Ok(key) => {
                    trust.add_public_key(&key, name);
                }
                Err(why) => trust.refused.push(format!("{name}: {why}")),
            }
        }
        Ok(trust)
    }

    /// The keys trusted, in the order added.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn verify(
        &self,
        key_id: &str,
        context: &[u8],
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), SigFault> {
        let key = self
            .keys
            .iter()
            .find(|k| k.key_id == key_id)
            .ok_or(SigFault::UnknownKey)?;
        let mut m = Vec::with_capacity(context.len() + msg.len());
        m.extend_from_slice(context);
        m.extend_from_slice(msg);
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &key.public_key)
            .verify(&m, sig)
            .map_err(|_| SigFault::Bad)
    }
}

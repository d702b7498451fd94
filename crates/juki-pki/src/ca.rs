//! The network's private CA: a directory holding the CA certificate and key, the revocation
//! list and the list of issued certificates (docs/pki.md).
//!
//! ```text
//! DIR/ca.pem        the CA certificate (every node trusts it)
//! DIR/ca.key        its private key (0600; stays in this directory, never on a node)
//! DIR/crl.pem       the signed revocation list, rewritten atomically on every revocation
//! DIR/issued.json   every certificate issued: serial, identity, hosts, expiry, revocation
//! DIR/lock          held while a command uses the CA, so two never interleave
//! ```

use crate::cert::{CertInfo, Serial};
use crate::files::{self, Mode, check_private, unreadable};
use crate::{Identity, PkiError};
use juki_domain::catalogue::{
    TLS_BAD_NAME, TLS_CA_EXISTS, TLS_CA_UNREADABLE, TLS_CRYPTO, TLS_DAYS, TLS_REVOKED,
    TLS_SERIAL_UNKNOWN, TLS_UNKNOWN_CA, TLS_WRITE,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    PublicKeyData, RevokedCertParams, SanType, SerialNumber,
};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const CA_CERT_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca.key";
pub const CRL_FILE: &str = "crl.pem";
pub const STATE_FILE: &str = "issued.json";
const LOCK_FILE: &str = "lock";

/// The longest a CA may be valid, in days (100 years).
pub const CA_DAYS_MAX: i64 = 36_500;
/// The most hosts one node certificate may name.
pub const HOSTS_MAX: usize = 16;
/// Serials are this many random bytes.
const SERIAL_BYTES: usize = 16;
/// Certificates start this long before they are made, so a peer whose clock is a little
/// behind does not refuse a fresh certificate.
const BACKDATE: time::Duration = time::Duration::hours(1);

/// A certificate the CA issued, as `ca.list()` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCert {
    pub serial: Serial,
    pub identity: Identity,
    pub hosts: Vec<String>,
    pub not_after: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// What `issue` and `renew` made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub serial: Serial,
    pub identity: Identity,
    pub not_after: OffsetDateTime,
}

/// `issued.json` as written on disk.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    /// The number of the current CRL; each rewrite takes the next.
    crl_number: u64,
    certificates: Vec<CertRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CertRecord {
    serial: String,
    identity: String,
    hosts: Vec<String>,
    /// RFC 3339, UTC.
    not_after: String,
    revoked_at: Option<String>,
}

/// An open CA directory. Holds the directory's lock until dropped.
pub struct Ca {
    dir: PathBuf,
    cert_pem: String,
    key: KeyPair,
    not_after: OffsetDateTime,
    crl_number: u64,
    issued: Vec<IssuedCert>,
    _lock: File,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("dir", &self.dir)
            .field("not_after", &self.not_after)
            .field("issued", &self.issued.len())
            .finish_non_exhaustive()
    }
}

fn crypto(e: impl std::fmt::Display) -> PkiError {
    PkiError::new(&TLS_CRYPTO, e.to_string())
}

fn damaged(path: &Path, why: impl std::fmt::Display) -> PkiError {
    PkiError::new(&TLS_CA_UNREADABLE, format!("{}: {why}", path.display()))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .expect("an OffsetDateTime within certificate years formats as RFC 3339")
}

/// Now, to the second: certificates hold whole seconds, and what is recorded should equal
/// what the certificate says.
fn now_s() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

fn lock(dir: &Path) -> Result<File, PkiError> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| PkiError::new(&TLS_WRITE, format!("{}: {e}", path.display())))?;
    // Another `juki ca` command on this directory finishes first.
    file.lock()
        .map_err(|e| PkiError::new(&TLS_WRITE, format!("locking {}: {e}", path.display())))?;
    Ok(file)
}

fn random_serial(taken: &[IssuedCert]) -> Result<Serial, PkiError> {
    let provider = rustls::crypto::ring::default_provider();
    loop {
        let mut b = [0u8; SERIAL_BYTES];
        provider
            .secure_random
            .fill(&mut b)
            .map_err(|_| crypto("no random bytes for a serial"))?;
        // Positive and exactly 16 bytes in DER: the top bit clear, the next one set.
        b[0] = (b[0] & 0x7f) | 0x40;
        let s = Serial::from_bytes(&b);
        if !taken.iter().any(|c| c.serial == s) {
            return Ok(s);
        }
    }
}

impl Ca {
    /// Creates a CA in `dir` (made if missing, 0700), valid for `days`: `ca.pem`, `ca.key`
    /// (0600), an empty signed `crl.pem` and an empty `issued.json`. Refuses a directory that
    /// already holds a CA.
    pub fn init(dir: &Path, days: i64) -> Result<Ca, PkiError> {
        if !(1..=CA_DAYS_MAX).contains(&days) {
            return Err(PkiError::new(
                &TLS_DAYS,
                format!("a CA is valid for 1 to {CA_DAYS_MAX} days, not {days}"),
            ));
        }
        if !dir.exists() {
            use std::os::unix::fs::DirBuilderExt;
            let failed =
                |e: std::io::Error| PkiError::new(&TLS_WRITE, format!("{}: {e}", dir.display()));
            // Parents as usual; the CA directory itself for its owner only.
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(failed)?;
            }
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(dir)
                .map_err(failed)?;
        }
        let lock = lock(dir)?;
        for name in [CA_CERT_FILE, CA_KEY_FILE, STATE_FILE] {
            if dir.join(name).exists() {
                return Err(PkiError::new(
                    &TLS_CA_EXISTS,
                    dir.join(name).display().to_string(),
                ));
            }
        }
        let now = now_s();
        let key = KeyPair::generate().map_err(crypto)?;
        let mut params = CertificateParams::default();
        let serial = random_serial(&[])?;
        params.distinguished_name = ca_name(&serial);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - BACKDATE;
        params.not_after = now + time::Duration::days(days);
        params.serial_number = Some(SerialNumber::from_slice(random_serial(&[])?.as_bytes()));
        let cert = params.self_signed(&key).map_err(crypto)?;
        files::write_secret(&dir.join(CA_KEY_FILE), key.serialize_pem().as_bytes())?;
        files::create(&dir.join(CA_CERT_FILE), cert.pem().as_bytes(), Mode::Public)?;
        let ca = Ca {
            dir: dir.to_path_buf(),
            cert_pem: cert.pem(),
            key,
            not_after: params.not_after,
            crl_number: 1,
            issued: Vec::new(),
            _lock: lock,
        };
        ca.save_state()?;
        ca.write_crl()?;
        Ok(ca)
    }

    /// Opens the CA in `dir`, refusing a `ca.key` that others can read.
    pub fn open(dir: &Path) -> Result<Ca, PkiError> {
        if !dir.join(CA_CERT_FILE).exists() {
            return Err(damaged(dir, "no CA here (juki ca init makes one)"));
        }
        let lock = lock(dir)?;
        let key_path = dir.join(CA_KEY_FILE);
        check_private(&key_path)?;
        let key_pem = std::fs::read_to_string(&key_path).map_err(|e| damaged(&key_path, e))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| damaged(&key_path, e))?;
        let cert_path = dir.join(CA_CERT_FILE);
        let cert_pem = std::fs::read_to_string(&cert_path).map_err(|e| damaged(&cert_path, e))?;
        let ca_der = rustls_pemfile::certs(&mut cert_pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| damaged(&cert_path, "no PEM certificate in the file"))?;
        let (_, x509) =
            x509_parser::parse_x509_certificate(&ca_der).map_err(|e| damaged(&cert_path, e))?;
        // The key must be the certificate's: whatever another key signed would not verify.
        if x509.public_key().raw != key.subject_public_key_info().as_slice() {
            return Err(damaged(
                &key_path,
                "the key is not the CA certificate's key",
            ));
        }
        // And rcgen must be able to issue from the certificate (every issue re-reads it).
        Issuer::from_ca_cert_pem(&cert_pem, &key).map_err(|e| damaged(&cert_path, e))?;
        let not_after = x509.validity().not_after.to_datetime();
        let state_path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&state_path).map_err(|e| damaged(&state_path, e))?;
        let state: StateFile = serde_json::from_str(&text).map_err(|e| damaged(&state_path, e))?;
        let issued = state
            .certificates
            .into_iter()
            .map(|r| {
                let time = |s: &str| {
                    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| damaged(&state_path, e))
                };
                Ok(IssuedCert {
                    serial: r.serial.parse().map_err(|e| damaged(&state_path, e))?,
                    identity: Identity::from_uri(&r.identity)
                        .map_err(|e| damaged(&state_path, e))?,
                    hosts: r.hosts,
                    not_after: time(&r.not_after)?,
                    revoked_at: r.revoked_at.as_deref().map(time).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, PkiError>>()?;
        Ok(Ca {
            dir: dir.to_path_buf(),
            cert_pem,
            key,
            not_after,
            crl_number: state.crl_number,
            issued,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate every node and client trusts.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join(CA_CERT_FILE)
    }

    /// The current revocation list.
    pub fn crl_path(&self) -> PathBuf {
        self.dir.join(CRL_FILE)
    }

    /// When the CA itself expires; no certificate it issues outlives it.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Every certificate issued, oldest first.
    pub fn list(&self) -> &[IssuedCert] {
        &self.issued
    }

    /// Issues a certificate for `identity`, valid for `days`, and writes it to `cert_out` and
    /// its new key to `key_out` (0600); refuses to overwrite either. A node's certificate names
    /// `hosts` (IP addresses or DNS names, at least one) and serves and connects (ServerAuth +
    /// ClientAuth); a person's names no host and only connects (ClientAuth).
    pub fn issue(
        &mut self,
        identity: &Identity,
        hosts: &[String],
        days: i64,
        cert_out: &Path,
        key_out: &Path,
    ) -> Result<Issued, PkiError> {
        for out in [cert_out, key_out] {
            if out.exists() {
                return Err(PkiError::new(
                    &juki_domain::catalogue::TLS_OUT_EXISTS,
                    out.display().to_string(),
                ));
            }
        }
        let made = self.sign(identity, hosts, days)?;
        self.record(identity, hosts, &made)?;
        files::create(key_out, made.key_pem.as_bytes(), Mode::Secret)?;
        files::create(cert_out, made.cert_pem.as_bytes(), Mode::Public)?;
        Ok(made.issued)
    }

    /// Re-issues the certificate in `cert_path` for the same identity and hosts, with a new
    /// key and serial, valid for `days`, and replaces `cert_path` and `key_path` atomically
    /// (key first: a node reloads when its certificate file changes, and by then the new key
    /// is in place). The old certificate stays valid until it expires unless revoked.
    /// Refuses a certificate this CA did not issue, or one it revoked.
    pub fn renew(
        &mut self,
        cert_path: &Path,
        key_path: &Path,
        days: i64,
    ) -> Result<Issued, PkiError> {
        let der = files::read_certs(cert_path)?.swap_remove(0);
        let info = CertInfo::from_der(&der)?;
        self.check_signed_here(&der, cert_path)?;
        let Some(old) = self.issued.iter().find(|c| c.serial == info.serial) else {
            return Err(PkiError::new(
                &TLS_UNKNOWN_CA,
                format!(
                    "{}: serial {} is not in this CA's issued.json",
                    cert_path.display(),
                    info.serial
                ),
            ));
        };
        if old.revoked_at.is_some() {
            return Err(PkiError::new(
                &TLS_REVOKED,
                format!(
                    "{}: serial {} was revoked; issue a new certificate deliberately",
                    cert_path.display(),
                    info.serial
                ),
            ));
        }
        let identity = info.identity()?;
        let made = self.sign(&identity, &info.hosts, days)?;
        self.record(&identity, &info.hosts, &made)?;
        files::replace(key_path, made.key_pem.as_bytes(), Mode::Secret)?;
        files::replace(cert_path, made.cert_pem.as_bytes(), Mode::Public)?;
        Ok(made.issued)
    }

    /// Revokes the certificate with `serial` and rewrites `crl.pem` atomically with every
    /// revoked serial; nodes refuse it from their next connection. Returns whether it was
    /// newly revoked (revoking again rewrites the list and is otherwise harmless).
    pub fn revoke(&mut self, serial: &Serial) -> Result<bool, PkiError> {
        let cert = self
            .issued
            .iter_mut()
            .find(|c| &c.serial == serial)
            .ok_or_else(|| PkiError::new(&TLS_SERIAL_UNKNOWN, serial.to_string()))?;
        let newly = cert.revoked_at.is_none();
        if newly {
            cert.revoked_at = Some(now_s());
        }
        self.crl_number += 1;
        self.save_state()?;
        self.write_crl()?;
        Ok(newly)
    }

    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, PkiError> {
        Issuer::from_ca_cert_pem(&self.cert_pem, &self.key)
            .map_err(|e| damaged(&self.cert_path(), e))
    }

    /// Refuses a certificate whose signature is not this CA's.
    fn check_signed_here(&self, der: &[u8], path: &Path) -> Result<(), PkiError> {
        let ca_der = rustls_pemfile::certs(&mut self.cert_pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| damaged(&self.cert_path(), "no certificate"))?;
        let (_, ca) = x509_parser::parse_x509_certificate(&ca_der)
            .map_err(|e| damaged(&self.cert_path(), e))?;
        let (_, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|e| unreadable(path, e))?;
        cert.verify_signature(Some(ca.public_key())).map_err(|_| {
            PkiError::new(
                &TLS_UNKNOWN_CA,
                format!("{} was not signed by this CA", path.display()),
            )
        })
    }

    fn sign(&self, identity: &Identity, hosts: &[String], days: i64) -> Result<Made, PkiError> {
        let sans = host_sans(identity, hosts)?;
        let now = now_s();
        let not_after = now + time::Duration::days(days);
        if days < 1 || not_after > self.not_after {
            return Err(PkiError::new(
                &TLS_DAYS,
                format!(
                    "{days} days; the CA is valid until {}, so at most {} days",
                    rfc3339(self.not_after),
                    (self.not_after - now).whole_days()
                ),
            ));
        }
        let serial = random_serial(&self.issued)?;
        let key = KeyPair::generate().map_err(crypto)?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, identity.common_name());
        params
            .distinguished_name
            .push(DnType::OrganizationName, "juki");
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = if identity.role.is_node() {
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        } else {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        };
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - BACKDATE;
        params.not_after = not_after;
        params.serial_number = Some(SerialNumber::from_slice(serial.as_bytes()));
        let cert = params.signed_by(&key, &self.issuer()?).map_err(crypto)?;
        Ok(Made {
            issued: Issued {
                serial,
                identity: identity.clone(),
                not_after,
            },
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Adds a certificate to `issued.json` before its files are written: a serial on the list
    /// whose files were never written is harmless; a certificate in use that the list lacks
    /// could not be revoked by serial.
    fn record(
        &mut self,
        identity: &Identity,
        hosts: &[String],
        made: &Made,
    ) -> Result<(), PkiError> {
        self.issued.push(IssuedCert {
            serial: made.issued.serial.clone(),
            identity: identity.clone(),
            hosts: hosts.to_vec(),
            not_after: made.issued.not_after,
            revoked_at: None,
        });
        self.save_state()
    }

    fn save_state(&self) -> Result<(), PkiError> {
        let state = StateFile {
            crl_number: self.crl_number,
            certificates: self
                .issued
                .iter()
                .map(|c| CertRecord {
                    serial: c.serial.to_string(),
                    identity: c.identity.uri(),
                    hosts: c.hosts.clone(),
                    not_after: rfc3339(c.not_after),
                    revoked_at: c.revoked_at.map(rfc3339),
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&state)
            .expect("the state file is plain strings and numbers");
        text.push('\n');
        files::replace(&self.dir.join(STATE_FILE), text.as_bytes(), Mode::Secret)
    }

    /// Writes `crl.pem` with every revoked serial, under the next CRL number.
    fn write_crl(&self) -> Result<(), PkiError> {
        let now = now_s();
        let params = CertificateRevocationListParams {
            this_update: now,
            // Nodes do not enforce nextUpdate (a new list arrives with each revocation, not on
            // a schedule); the CA's expiry is the honest upper bound.
            next_update: self.not_after.max(now + time::Duration::days(1)),
            crl_number: SerialNumber::from(self.crl_number),
            issuing_distribution_point: None,
            revoked_certs: self
                .issued
                .iter()
                .filter_map(|c| {
                    c.revoked_at.map(|at| RevokedCertParams {
                        serial_number: SerialNumber::from_slice(c.serial.as_bytes()),
                        revocation_time: at,
                        reason_code: None,
                        invalidity_date: None,
                    })
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&self.issuer()?).map_err(crypto)?;
        let pem = crl.pem().map_err(crypto)?;
        files::replace(&self.crl_path(), pem.as_bytes(), Mode::Public)
    }
}

struct Made {
    issued: Issued,
    cert_pem: String,
    key_pem: String,
}

/// The CA's name carries the start of its serial: two juki CAs (a test network's, a
/// rebuilt one) never share a name, so a certificate of the other is reported as from an
/// unknown CA rather than as a bad signature.
fn ca_name(serial: &Serial) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    let tag: String = serial.to_string().chars().take(8).collect();
    dn.push(DnType::CommonName, format!("juki network CA {tag}"));
    dn.push(DnType::OrganizationName, "juki");
    dn
}

/// The SAN entries of a certificate: the identity URI, and for a node its hosts.
fn host_sans(identity: &Identity, hosts: &[String]) -> Result<Vec<SanType>, PkiError> {
    let bad = |why: String| PkiError::new(&TLS_BAD_NAME, why);
    if identity.role.is_node() && hosts.is_empty() {
        return Err(bad(format!(
            "a {} node's certificate needs at least one host (--host)",
            identity.role
        )));
    }
    if !identity.role.is_node() && !hosts.is_empty() {
        return Err(bad(format!(
            "a {}'s certificate names no host; hosts are for node certificates",
            identity.role
        )));
    }
    if hosts.len() > HOSTS_MAX {
        return Err(bad(format!("{} hosts; at most {HOSTS_MAX}", hosts.len())));
    }
    let ia5 = |s: &str| {
        rcgen::string::Ia5String::try_from(s).map_err(|_| bad(format!("{s:?} is not ASCII")))
    };
    let mut sans = vec![SanType::URI(ia5(&identity.uri())?)];
    for h in hosts {
        if let Ok(ip) = h.parse::<IpAddr>() {
            sans.push(SanType::IpAddress(ip));
        } else if rustls::pki_types::DnsName::try_from(h.as_str()).is_ok() {
            sans.push(SanType::DnsName(ia5(h)?));
        } else {
            return Err(bad(format!(
                "host {h:?} is neither an IP address nor a DNS name"
            )));
        }
    }
    Ok(sans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::read_cert_info;
    use crate::{Jurisdiction, Role};
    use juki_domain::LocalGovernmentCode;
    use std::os::unix::fs::PermissionsExt;

    fn pref(code: &str) -> Identity {
        Identity::new(
            Role::Prefecture,
            Jurisdiction::Local(LocalGovernmentCode::parse(code).unwrap()),
            "prefecture",
        )
        .unwrap()
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn crl_serials(path: &Path) -> Vec<String> {
        let pem = std::fs::read(path).unwrap();
        let der = rustls_pemfile::crls(&mut &pem[..]).next().unwrap().unwrap();
        let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();
        crl.iter_revoked_certificates()
            .map(|r| Serial::from_bytes(r.raw_serial()).to_string())
            .collect()
    }

    #[test]
    fn init_writes_the_files_and_refuses_a_second_ca() {
        let dir = tempfile::tempdir().unwrap();
        let ca_dir = dir.path().join("network").join("ca");
        let ca = Ca::init(&ca_dir, 3650).unwrap();
        assert_eq!(mode(&ca_dir), 0o700);
        assert_ne!(mode(&dir.path().join("network")), 0o700);
        assert_eq!(mode(&ca_dir.join(CA_KEY_FILE)), 0o600);
        assert!(ca.cert_path().exists());
        assert!(crl_serials(&ca.crl_path()).is_empty());
        assert!(ca.list().is_empty());
        drop(ca);
        assert_eq!(Ca::init(&ca_dir, 3650).unwrap_err().def.code, "JK-TLS-0201");
        assert_eq!(
            Ca::init(&dir.path().join("x"), 0).unwrap_err().def.code,
            "JK-TLS-0209"
        );
        Ca::open(&ca_dir).unwrap();
    }

    #[test]
    fn open_refuses_a_key_others_can_read_and_a_missing_ca() {
        let dir = tempfile::tempdir().unwrap();
        drop(Ca::init(dir.path(), 30).unwrap());
        let key = dir.path().join(CA_KEY_FILE);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(Ca::open(dir.path()).unwrap_err().def.code, "JK-TLS-0203");
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(Ca::open(empty.path()).unwrap_err().def.code, "JK-TLS-0202");
        // Another CA's key beside this certificate.
        let other = tempfile::tempdir().unwrap();
        drop(Ca::init(other.path(), 30).unwrap());
        std::fs::remove_file(&key).unwrap();
        std::fs::copy(other.path().join(CA_KEY_FILE), &key).unwrap();
        let e = Ca::open(dir.path()).unwrap_err();
        assert_eq!(e.def.code, "JK-TLS-0202");
        assert!(e.detail.contains("not the CA certificate's key"), "{e}");
    }

    #[test]
    fn issue_revoke_and_renew() {
        let dir = tempfile::tempdir().unwrap();
        let mut ca = Ca::init(&dir.path().join("ca"), 3650).unwrap();
        let (crt, key) = (dir.path().join("p.crt"), dir.path().join("p.key"));
        let hosts = vec!["127.0.0.1".to_string(), "pref13.example".to_string()];
        let issued = ca.issue(&pref("130001"), &hosts, 365, &crt, &key).unwrap();
        assert_eq!(issued.serial.as_bytes().len(), 16);
        assert_eq!(mode(&key), 0o600);
        let info = read_cert_info(&crt).unwrap();
        assert_eq!(info.serial, issued.serial);
        assert_eq!(info.identity().unwrap(), pref("130001"));
        assert_eq!(info.hosts, hosts);
        assert_eq!(info.not_after, issued.not_after);
        assert!(!crate::expires_within(&crt, 30, OffsetDateTime::now_utc()).unwrap());
        assert!(crate::expires_within(&crt, 366, OffsetDateTime::now_utc()).unwrap());
        // Never overwrites.
        assert_eq!(
            ca.issue(
                &pref("130001"),
                &hosts,
                365,
                &crt,
                &dir.path().join("q.key")
            )
            .unwrap_err()
            .def
            .code,
            "JK-TLS-0205"
        );
        // Not beyond the CA.
        let e = ca
            .issue(
                &pref("130001"),
                &hosts,
                4000,
                &dir.path().join("a"),
                &dir.path().join("b"),
            )
            .unwrap_err();
        assert_eq!(e.def.code, "JK-TLS-0209");
        // Renew: same identity and hosts, new serial and key, files replaced.
        let old_key = std::fs::read(&key).unwrap();
        let renewed = ca.renew(&crt, &key, 30).unwrap();
        assert_ne!(renewed.serial, issued.serial);
        assert_ne!(std::fs::read(&key).unwrap(), old_key);
        assert_eq!(mode(&key), 0o600);
        let info = read_cert_info(&crt).unwrap();
        assert_eq!((info.serial, info.hosts), (renewed.serial.clone(), hosts));
        assert!(crate::expires_within(&crt, 30, OffsetDateTime::now_utc()).unwrap());
        // Revoke: the CRL names every revoked serial, the state survives reopening.
        assert!(ca.revoke(&issued.serial).unwrap());
        assert!(!ca.revoke(&issued.serial).unwrap());
        assert!(ca.revoke(&renewed.serial).unwrap());
        let mut want = vec![issued.serial.to_string(), renewed.serial.to_string()];
        want.sort();
        let mut got = crl_serials(&ca.crl_path());
        got.sort();
        assert_eq!(got, want);
        assert_eq!(
            ca.revoke(&"4000".parse().unwrap()).unwrap_err().def.code,
            "JK-TLS-0206"
        );
        // A revoked certificate is not renewed.
        assert_eq!(
            ca.renew(&crt, &key, 30).unwrap_err().def.code,
            "JK-TLS-0103"
        );
        let dir_path = ca.dir().to_path_buf();
        drop(ca);
        let ca = Ca::open(&dir_path).unwrap();
        assert_eq!(ca.list().len(), 2);
        assert!(ca.list().iter().all(|c| c.revoked_at.is_some()));
    }

    #[test]
    fn renew_refuses_a_certificate_of_another_ca() {
        let dir = tempfile::tempdir().unwrap();
        let mut ours = Ca::init(&dir.path().join("ours"), 3650).unwrap();
        let mut theirs = Ca::init(&dir.path().join("theirs"), 3650).unwrap();
        let (crt, key) = (dir.path().join("t.crt"), dir.path().join("t.key"));
        theirs
            .issue(&pref("130001"), &["127.0.0.1".into()], 10, &crt, &key)
            .unwrap();
        assert_eq!(
            ours.renew(&crt, &key, 10).unwrap_err().def.code,
            "JK-TLS-0102"
        );
    }

    #[test]
    fn hosts_are_for_nodes_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut ca = Ca::init(dir.path(), 3650).unwrap();
        let out = |n: &str| dir.path().join(n);
        let op = Identity::new(Role::Operator, Jurisdiction::National, "operator").unwrap();
        let code = |r: Result<Issued, PkiError>| r.unwrap_err().def.code;
        assert_eq!(
            code(ca.issue(&op, &["127.0.0.1".into()], 10, &out("a"), &out("b"))),
            "JK-TLS-0208"
        );
        assert_eq!(
            code(ca.issue(&pref("130001"), &[], 10, &out("a"), &out("b"))),
            "JK-TLS-0208"
        );
        assert_eq!(
            code(ca.issue(
                &pref("130001"),
                &["bad host!".into()],
                10,
                &out("a"),
                &out("b")
            )),
            "JK-TLS-0208"
        );
        // A person's certificate: client use only, no hosts.
        ca.issue(&op, &[], 10, &out("op.crt"), &out("op.key"))
            .unwrap();
        assert_eq!(
            Identity::from_cert_der(&files::read_certs(&out("op.crt")).unwrap()[0]).unwrap(),
            op
        );
    }
}

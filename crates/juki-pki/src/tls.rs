//! rustls configurations for nodes and their clients (ring provider only).
//!
//! The server asks every client for a certificate, verifies it against the network CA and its
//! revocation list when one is presented, and lets the HTTP layer decide per endpoint whether
//! one is needed (`/healthz` works without). Two things change under a running server without
//! a restart: the revocation list (checked at every handshake by a stat of `crl.pem`, so a
//! revocation takes effect at the next connection) and the server's own certificate (after
//! `juki ca renew`). TLS session resumption is off on the server, since a resumed session would
//! skip the client-certificate check and let a revoked certificate back in.

use crate::files::{Stamp, read_certs, read_key, unreadable};
use crate::{Identity, Jurisdiction, PkiError, Role};
use juki_domain::ErrorDef;
use juki_domain::catalogue::{
    TLS_EXPIRED, TLS_FILE_UNREADABLE, TLS_NO_CLIENT_CERT, TLS_REVOKED, TLS_UNEXPECTED_PEER,
    TLS_UNKNOWN_CA,
};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, DistinguishedName, OtherError,
    RootCertStore, SignatureScheme,
};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The TLS files of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeTls {
    /// The network CA's certificate: what client certificates must chain to.
    pub ca: PathBuf,
    /// The node's certificate and key; reloaded when either file changes.
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The CA's revocation list; re-read when it changes. Without one, nothing is revoked.
    pub crl: Option<PathBuf>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca: &Path) -> Result<(Arc<RootCertStore>, CertificateDer<'static>), PkiError> {
    let certs = read_certs(ca)?;
    let mut roots = RootCertStore::empty();
    for c in &certs {
        roots.add(c.clone()).map_err(|e| unreadable(ca, e))?;
    }
    Ok((Arc::new(roots), certs[0].clone()))
}

fn rustls_config_error(e: rustls::Error) -> PkiError {
    PkiError::new(&TLS_FILE_UNREADABLE, e.to_string())
}

/// The server configuration of a node: ALPN h2 and http/1.1; client certificates optional but
/// verified (CA and revocation list) when presented; the node's certificate and the list
/// reloaded when their files change.
pub fn server_config(tls: &NodeTls) -> Result<Arc<rustls::ServerConfig>, PkiError> {
    let provider = provider();
    let verifier = ReloadingClientVerifier::new(&tls.ca, tls.crl.as_deref(), provider.clone())?;
    let resolver = ReloadingCertResolver::new(&tls.cert, &tls.key, provider.clone())?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(rustls_config_error)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // No resumption: every connection presents and checks its client certificate afresh.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// Which server a client expects at the other end, beyond a valid certificate for the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A node of this role and jurisdiction, e.g. the prefecture node of 130001.
    Node {
        role: Role,
        jurisdiction: Jurisdiction,
    },
}

impl Expect {
    /// What a node expects of its parent: a municipal node its own prefecture's node, a
    /// prefecture node the national node. `None` for the national node and for people.
    pub fn parent_of(me: &Identity) -> Option<Expect> {
        match (me.role, me.jurisdiction) {
            (Role::Municipal, Jurisdiction::Local(c)) => Some(Expect::Node {
                role: Role::Prefecture,
                jurisdiction: Jurisdiction::Local(c.prefecture_code()),
            }),
            (Role::Prefecture, _) => Some(Expect::Node {
                role: Role::National,
                jurisdiction: Jurisdiction::National,
            }),
            _ => None,
        }
    }

    pub fn matches(&self, id: &Identity) -> bool {
        match self {
            Expect::Node { role, jurisdiction } => {
                id.role == *role && id.jurisdiction == *jurisdiction
            }
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Node { role, jurisdiction } => {
                write!(f, "the {role} node of {}", jurisdiction.label())
            }
        }
    }
}

/// A client configuration trusting the network CA, presenting `client` (certificate and key
/// files) when given, and, with `expect`, refusing a server whose certificate names another
/// identity (`JK-TLS-0109`). ALPN h2 and http/1.1.
pub fn client_config(
    ca: &Path,
    client: Option<(&Path, &Path)>,
    expect: Option<Expect>,
) -> Result<rustls::ClientConfig, PkiError> {
    let provider = provider();
    let (roots, _) = roots(ca)?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(rustls_config_error)?;
    let builder = match expect {
        None => builder.with_root_certificates(roots),
        Some(expect) => {
            let inner = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| unreadable(ca, e))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ExpectingServerVerifier {
                    inner,
                    expect,
                }))
        }
    };
    let mut config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let certs = read_certs(cert)?;
            let key_der = read_key(key)?;
            builder.with_client_auth_cert(certs, key_der).map_err(|e| {
                PkiError::new(
                    &TLS_FILE_UNREADABLE,
                    format!("{} with {}: {e}", cert.display(), key.display()),
                )
            })?
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The identity of a connection's peer, from the chain rustls verified
/// (`tokio_rustls::server::TlsStream::get_ref().1.peer_certificates()`); `None` when the
/// peer presented no certificate or one without a juki identity.
pub fn peer_identity(certs: &[CertificateDer<'_>]) -> Option<Identity> {
    Identity::from_cert_der(certs.first()?).ok()
}

/// The catalogue entry for a failed handshake, seen from either side: the verifier's own
/// error on the side that refused, the alert on the other.
pub fn handshake_error_def(e: &rustls::Error) -> Option<&'static ErrorDef> {
    match e {
        rustls::Error::NoCertificatesPresented => Some(&TLS_NO_CLIENT_CERT),
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Revoked => Some(&TLS_REVOKED),
            CertificateError::UnknownIssuer | CertificateError::UnknownRevocationStatus => {
                Some(&TLS_UNKNOWN_CA)
            }
            // A CA of the same name but another key signed it.
            #[allow(deprecated)]
            CertificateError::BadSignature => Some(&TLS_UNKNOWN_CA),
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => Some(&TLS_EXPIRED),
            CertificateError::Other(OtherError(inner)) => {
                inner.downcast_ref::<PkiError>().map(|p| p.def)
            }
            _ => None,
        },
        rustls::Error::AlertReceived(a) => match a {
            AlertDescription::CertificateRevoked => Some(&TLS_REVOKED),
            AlertDescription::UnknownCA => Some(&TLS_UNKNOWN_CA),
            AlertDescription::CertificateExpired => Some(&TLS_EXPIRED),
            AlertDescription::CertificateRequired => Some(&TLS_NO_CLIENT_CERT),
            _ => None,
        },
        _ => None,
    }
}

/// [`handshake_error_def`] for the `io::Error` tokio-rustls wraps a handshake failure in.
///
/// An alert the peer sent after the handshake seemed complete (TLS 1.3: a server refusing the
/// client's certificate) reaches the client as an `io::Error` carrying only rustls's text,
/// `received fatal alert: <AlertDescription>`; it is read back from that text.
pub fn io_error_def(e: &std::io::Error) -> Option<&'static ErrorDef> {
    let inner = e.get_ref()?;
    if let Some(r) = inner.downcast_ref::<rustls::Error>() {
        return handshake_error_def(r);
    }
    let alert = inner.to_string();
    let alert = alert.strip_prefix("received fatal alert: ")?;
    let description = [
        AlertDescription::CertificateRevoked,
        AlertDescription::UnknownCA,
        AlertDescription::CertificateExpired,
        AlertDescription::CertificateRequired,
    ]
    .into_iter()
    .find(|a| format!("{a:?}") == alert)?;
    handshake_error_def(&rustls::Error::AlertReceived(description))
}

fn pki_refusal(e: PkiError) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(e))))
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The client-certificate verifier in force, and which version of the CRL file it was built
/// from (`None`: the file could not be read when last looked at).
struct CrlState {
    inner: Arc<dyn ClientCertVerifier>,
    seen: Option<Stamp>,
}

/// webpki's client verifier, rebuilt when the CRL file changes. A list that cannot be read,
/// does not parse or is not signed by the CA leaves the previous one in force, with a warning.
struct ReloadingClientVerifier {
    roots: Arc<RootCertStore>,
    ca: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
    crl: Option<PathBuf>,
    hints: Vec<DistinguishedName>,
    state: RwLock<CrlState>,
}

impl fmt::Debug for ReloadingClientVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingClientVerifier")
            .field("crl", &self.crl)
            .finish_non_exhaustive()
    }
}

impl ReloadingClientVerifier {
    fn new(
        ca: &Path,
        crl: Option<&Path>,
        provider: Arc<CryptoProvider>,
    ) -> Result<ReloadingClientVerifier, PkiError> {
        let (roots, ca_der) = roots(ca)?;
        let mut v = ReloadingClientVerifier {
            hints: roots.subjects(),
            roots,
            ca: ca_der,
            provider,
            crl: crl.map(Path::to_path_buf),
            state: RwLock::new(CrlState {
                inner: WebPkiClientVerifier::no_client_auth(),
                seen: None,
            }),
        };
        // At start, a missing or bad list is an error, not a warning.
        let (inner, seen) = match crl {
            None => (v.build(Vec::new())?, None),
            Some(path) => {
                let stamp = Stamp::of(path).map_err(|e| unreadable(path, e))?;
                (v.build(v.load_crl(path)?)?, Some(stamp))
            }
        };
        v.state = RwLock::new(CrlState { inner, seen });
        Ok(v)
    }

    fn build(
        &self,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<Arc<dyn ClientCertVerifier>, PkiError> {
        WebPkiClientVerifier::builder_with_provider(self.roots.clone(), self.provider.clone())
            .with_crls(crls)
            .allow_unauthenticated()
            .build()
            .map_err(|e| PkiError::new(&TLS_FILE_UNREADABLE, format!("revocation list: {e}")))
    }

    /// Reads the CRLs in `path`, each checked to be signed by the CA: a list from elsewhere
    /// would make every client's revocation status unknown, and so refuse them all.
    fn load_crl(
        &self,
        path: &Path,
    ) -> Result<Vec<CertificateRevocationListDer<'static>>, PkiError> {
        let pem = std::fs::read(path).map_err(|e| unreadable(path, e))?;
        let crls = rustls_pemfile::crls(&mut &pem[..])
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable(path, e))?;
        if crls.is_empty() {
            return Err(unreadable(path, "no PEM revocation list in the file"));
        }
        let (_, ca) = x509_parser::parse_x509_certificate(&self.ca)
            .map_err(|e| unreadable(path, format!("the CA certificate: {e}")))?;
        for crl in &crls {
            let (_, parsed) = x509_parser::parse_x509_crl(crl).map_err(|e| unreadable(path, e))?;
            parsed
                .verify_signature(ca.public_key())
                .map_err(|_| unreadable(path, "the revocation list is not signed by the CA"))?;
        }
        Ok(crls)
    }

    /// Picks up a rewritten CRL file. A stat per handshake; the list is read only when the
    /// file changed.
    fn refresh(&self) {
        let Some(path) = &self.crl else { return };
        let now = Stamp::of(path).ok();
        if read(&self.state).seen == now {
            return;
        }
        let mut state = write(&self.state);
        if state.seen == now {
            return;
        }
        state.seen = now;
        let Some(_) = now else {
            tracing::warn!(path = %path.display(), "revocation list unreadable; keeping the previous one");
            return;
        };
        match self.load_crl(path).and_then(|crls| self.build(crls)) {
            Ok(inner) => {
                state.inner = inner;
                tracing::info!(path = %path.display(), "revocation list reloaded");
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "revocation list not loaded; keeping the previous one");
            }
        }
    }
}

impl ClientCertVerifier for ReloadingClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.refresh();
        let inner = read(&self.state).inner.clone();
        inner.verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The certificate and key in force, and which versions of their files they came from.
struct CertState {
    key: Arc<CertifiedKey>,
    seen: (Option<Stamp>, Option<Stamp>),
}

/// Serves the node's certificate, reloading it and its key when either file changes. A pair
/// that does not load (unreadable, key readable by others, key not the certificate's — e.g.
/// caught between the two renames of a renewal) leaves the previous pair in force.
struct ReloadingCertResolver {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    state: RwLock<CertState>,
}

impl fmt::Debug for ReloadingCertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCertResolver")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl ReloadingCertResolver {
    fn new(
        cert: &Path,
        key: &Path,
        provider: Arc<CryptoProvider>,
    ) -> Result<ReloadingCertResolver, PkiError> {
        let seen = (Stamp::of(cert).ok(), Stamp::of(key).ok());
        let loaded = load_certified_key(cert, key, &provider)?;
        Ok(ReloadingCertResolver {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider,
            state: RwLock::new(CertState {
                key: Arc::new(loaded),
                seen,
            }),
        })
    }

    fn refresh(&self) {
        let now = (Stamp::of(&self.cert).ok(), Stamp::of(&self.key).ok());
        if read(&self.state).seen == now {
            return;
        }
        let mut state = write(&self.state);
        if state.seen == now {
            return;
        }
        state.seen = now;
        match load_certified_key(&self.cert, &self.key, &self.provider) {
            Ok(k) => {
                state.key = Arc::new(k);
                tracing::info!(cert = %self.cert.display(), "server certificate reloaded");
            }
            Err(e) => {
                tracing::warn!(cert = %self.cert.display(), error = %e, "server certificate not reloaded; keeping the previous one");
            }
        }
    }
}

fn load_certified_key(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, PkiError> {
    let certs = read_certs(cert)?;
    let key_der = read_key(key)?;
    CertifiedKey::from_der(certs, key_der, provider).map_err(|e| {
        PkiError::new(
            &TLS_FILE_UNREADABLE,
            format!("{} with {}: {e}", cert.display(), key.display()),
        )
    })
}

impl ResolvesServerCert for ReloadingCertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.refresh();
        Some(read(&self.state).key.clone())
    }
}

/// webpki's server verification (chain, validity, host name), then the identity check.
#[derive(Debug)]
struct ExpectingServerVerifier {
    inner: Arc<WebPkiServerVerifier>,
    expect: Expect,
}

impl ServerCertVerifier for ExpectingServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let id = Identity::from_cert_der(end_entity).map_err(pki_refusal)?;
        if !self.expect.matches(&id) {
            return Err(pki_refusal(PkiError::new(
                &TLS_UNEXPECTED_PEER,
                format!("expected {}, the server's certificate is {id}", self.expect),
            )));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use juki_domain::LocalGovernmentCode;

    fn local(s: &str) -> Jurisdiction {
        Jurisdiction::Local(LocalGovernmentCode::parse(s).unwrap())
    }

    #[test]
    fn a_node_expects_its_parent() {
        let nakano = Identity::new(Role::Municipal, local("131148"), "municipal").unwrap();
        let tokyo = Identity::new(Role::Prefecture, local("130001"), "prefecture").unwrap();
        let osaka = Identity::new(Role::Prefecture, local("270008"), "prefecture").unwrap();
        let national = Identity::new(Role::National, Jurisdiction::National, "national").unwrap();
        let e = Expect::parent_of(&nakano).unwrap();
        assert!(e.matches(&tokyo));
        assert!(!e.matches(&osaka));
        assert!(!e.matches(&national));
        assert_eq!(e.to_string(), "the prefecture node of 130001 東京都");
        assert!(Expect::parent_of(&tokyo).unwrap().matches(&national));
        assert_eq!(Expect::parent_of(&national), None);
    }

    #[test]
    fn handshake_errors_map_to_catalogue_entries() {
        let code = |e: rustls::Error| handshake_error_def(&e).map(|d| d.code);
        assert_eq!(
            code(rustls::Error::InvalidCertificate(CertificateError::Revoked)),
            Some("JK-TLS-0103")
        );
        assert_eq!(
            code(rustls::Error::AlertReceived(AlertDescription::UnknownCA)),
            Some("JK-TLS-0102")
        );
        assert_eq!(
            code(pki_refusal(PkiError::new(&TLS_UNEXPECTED_PEER, "x"))),
            Some("JK-TLS-0109")
        );
        assert_eq!(code(rustls::Error::HandshakeNotComplete), None);
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::Expired),
        );
        assert_eq!(io_error_def(&io).map(|d| d.code), Some("JK-TLS-0104"));
    }
}

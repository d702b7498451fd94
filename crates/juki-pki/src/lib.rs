//! The network's private CA and everything TLS about identities (docs/pki.md): who a
//! certificate speaks for ([`Identity`]), the CA that issues and revokes certificates
//! ([`Ca`]), the rustls configurations of nodes and their clients ([`server_config`],
//! [`client_config`]), and which node may link to which ([`may_push`]).
//!
//! rustls runs with the ring provider only. Every refusal is a [`PkiError`] naming its
//! catalogue entry (`JK-TLS-…`).

mod ca;
mod cert;
mod error;
mod files;
mod identity;
mod link;
mod tls;

pub use ca::{
    CA_CERT_FILE, CA_DAYS_MAX, CA_KEY_FILE, CRL_FILE, Ca, HOSTS_MAX, Issued, IssuedCert, STATE_FILE,
};
pub use cert::{EXPIRY_WARNING_DAYS, Serial, expires_within, not_after};
pub use error::PkiError;
pub use files::{check_private, write_secret};
pub use identity::{Identity, Jurisdiction, NAME_CHARS_MAX, Role, URI_PREFIX};
pub use link::{LinkRefusal, may_push, may_request_pool, may_route};
pub use tls::{
    Expect, NodeTls, client_config, handshake_error_def, io_error_def, peer_identity, server_config,
};

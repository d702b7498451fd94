//! Reading what juki needs from a certificate (x509-parser): the identity URI, the hosts, the
//! serial and the validity.

use crate::{Identity, PkiError, URI_PREFIX};
use juki_domain::catalogue::{TLS_FILE_UNREADABLE, TLS_IDENTITY};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;

/// A certificate serial number. juki's are 16 random bytes (docs/pki.md), written as 32
/// lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Vec<u8>);

impl Serial {
    pub fn from_bytes(bytes: &[u8]) -> Serial {
        Serial(bytes.to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The serial of a certificate (DER).
    pub fn of_cert_der(der: &[u8]) -> Result<Serial, PkiError> {
        Ok(CertInfo::from_der(der)?.serial)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Serial {
    type Err = String;
    /// Hex digits, upper or lower case, with or without `:` between bytes (as openssl prints).
    fn from_str(s: &str) -> Result<Serial, String> {
        let hex: String = s.chars().filter(|&c| c != ':').collect();
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("serial {s:?}: not hex"));
        }
        if hex.is_empty() || !hex.len().is_multiple_of(2) || hex.len() > 40 {
            return Err(format!(
                "serial {s:?}: an even number of hex digits, at most 40"
            ));
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map(Serial)
            .map_err(|_| format!("serial {s:?}: not hex"))
    }
}

/// What juki reads from a certificate.
#[derive(Clone, Debug)]
pub(crate) struct CertInfo {
    pub serial: Serial,
    pub not_after: OffsetDateTime,
    /// Every `urn:juki:` SAN URI (a juki certificate has exactly one).
    pub juki_uris: Vec<String>,
    /// DNS names and IP addresses of the SAN, as given at issue.
    pub hosts: Vec<String>,
}

impl CertInfo {
    pub(crate) fn from_der(der: &[u8]) -> Result<CertInfo, PkiError> {
        let (_, x509) = x509_parser::parse_x509_certificate(der).map_err(|e| {
            PkiError::new(
                &TLS_IDENTITY,
                format!("the certificate cannot be parsed: {e}"),
            )
        })?;
        let mut juki_uris = Vec::new();
        let mut hosts = Vec::new();
        let san = x509.subject_alternative_name().map_err(|e| {
            PkiError::new(
                &TLS_IDENTITY,
                format!("the certificate's alternative names cannot be read: {e}"),
            )
        })?;
        for name in san.iter().flat_map(|s| s.value.general_names.iter()) {
            match name {
                GeneralName::URI(u) if u.starts_with(URI_PREFIX) => juki_uris.push(u.to_string()),
                GeneralName::DNSName(d) => hosts.push(d.to_string()),
                GeneralName::IPAddress(b) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                        hosts.push(IpAddr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                        hosts.push(IpAddr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
        Ok(CertInfo {
            serial: Serial::from_bytes(x509.raw_serial()),
            not_after: x509.validity().not_after.to_datetime(),
            juki_uris,
            hosts,
        })
    }

    /// The one identity the certificate carries.
    pub(crate) fn identity(&self) -> Result<Identity, PkiError> {
        match &self.juki_uris[..] {
            [one] => Identity::from_uri(one),
            [] => Err(PkiError::new(
                &TLS_IDENTITY,
                "the certificate carries no urn:juki: identity",
            )),
            many => Err(PkiError::new(
                &TLS_IDENTITY,
                format!(
                    "the certificate carries {} urn:juki: identities: {}",
                    many.len(),
                    many.join(", ")
                ),
            )),
        }
    }
}

/// The first certificate of a PEM file, parsed.
pub(crate) fn read_cert_info(path: &Path) -> Result<CertInfo, PkiError> {
    let certs = crate::files::read_certs(path)?;
    CertInfo::from_der(&certs[0]).map_err(|e| {
        PkiError::new(
            &TLS_FILE_UNREADABLE,
            format!("{}: {}", path.display(), e.detail),
        )
    })
}

/// When the (first) certificate in a PEM file expires.
pub fn not_after(cert_pem: &Path) -> Result<OffsetDateTime, PkiError> {
    Ok(read_cert_info(cert_pem)?.not_after)
}

/// Whether the certificate in a PEM file expires within `days` of `now` (or has expired):
/// `juki status` warns 30 days ahead (`JK-TLS-0110`).
pub fn expires_within(cert_pem: &Path, days: i64, now: OffsetDateTime) -> Result<bool, PkiError> {
    Ok(not_after(cert_pem)? <= now + time::Duration::days(days))
}

/// The number of days of warning before a certificate expires.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_print_and_parse_as_hex() {
        let s = Serial::from_bytes(&[0x4a, 0x00, 0xff]);
        assert_eq!(s.to_string(), "4a00ff");
        assert_eq!("4a00ff".parse::<Serial>().unwrap(), s);
        assert_eq!("4A:00:FF".parse::<Serial>().unwrap(), s);
        assert!("4a0".parse::<Serial>().is_err());
        assert!("zz".parse::<Serial>().is_err());
        assert!("".parse::<Serial>().is_err());
        assert!("é1".parse::<Serial>().is_err());
    }
}

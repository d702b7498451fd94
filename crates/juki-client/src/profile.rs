//! Client profiles (FORMATS §3): which node to talk to, as whom. A profile is a TOML file;
//! its paths are relative to the file.

use crate::{Client, ClientError};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A client profile.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The node this profile talks to.
    pub url: String,
    /// The holder's role (`clerk`, `admin`, `operator`, …).
    pub role: String,
    /// A local government code, or `national`.
    pub jurisdiction: String,
    /// The network CA's certificate.
    pub ca: PathBuf,
    /// The holder's certificate and key (0600).
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Profile {
    /// Reads a profile; its paths become absolute (relative to the file's directory).
    pub fn load(path: &Path) -> Result<Profile, ClientError> {
        let mut p: Profile = read_toml(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for f in [&mut p.ca, &mut p.cert, &mut p.key] {
            if f.is_relative() {
                *f = base.join(&*f);
            }
        }
        Ok(p)
    }

    /// A client of the profile's node, presenting the profile's certificate.
    pub fn client(&self, timeout: Duration) -> Result<Client, ClientError> {
        let tls = juki_pki::client_config(&self.ca, Some((&self.cert, &self.key)), None)
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Client::with_tls(&self.url, tls, timeout)
    }
}

/// The node a profile names and the CA to trust it by: all a login needs, which presents no
/// client certificate (a profile for logging in may leave `cert` and `key` out).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Endpoint {
    pub url: String,
    pub ca: PathBuf,
}

impl Endpoint {
    /// Reads the `url` and `ca` of a profile file; `ca` becomes absolute (relative to the file).
    pub fn load(path: &Path) -> Result<Endpoint, ClientError> {
        let mut e: Endpoint = read_toml(path)?;
        if e.ca.is_relative() {
            e.ca = path.parent().unwrap_or(Path::new(".")).join(&e.ca);
        }
        Ok(e)
    }

    /// A client of the node presenting no certificate, trusting the profile's CA.
    pub fn client(&self, timeout: Duration) -> Result<Client, ClientError> {
        let ca = std::fs::read(&self.ca)
            .map_err(|e| ClientError::Config(format!("CA file {}: {e}", self.ca.display())))?;
        Client::new(&self.url, &ca, timeout)
    }
}

/// Reads a profile file as `T`.
fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ClientError> {
    let config =
        |e: &dyn std::fmt::Display| ClientError::Config(format!("profile {}: {e}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| config(&e))?;
    toml::from_str(&text).map_err(|e| config(&e))
}

/// Writes a profile file (paths as given: make them relative to where it is written).
pub fn write_profile(path: &Path, p: &Profile) -> std::io::Result<()> {
    let q = |s: &str| toml_string(s);
    let text = format!(
        "url  = {}\nrole = {}\njurisdiction = {}\nca   = {}\ncert = {}\nkey  = {}\n",
        q(&p.url),
        q(&p.role),
        q(&p.jurisdiction),
        q(&p.ca.to_string_lossy()),
        q(&p.cert.to_string_lossy()),
        q(&p.key.to_string_lossy()),
    );
    std::fs::write(path, text)
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_profile_whose_key_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A day longer than the certificate: issued a second later, it must still end first.
        let mut ca = juki_pki::Ca::init(&d.join("ca"), 31).unwrap();
        let code = juki_domain::LocalGovernmentCode::parse("131148").unwrap();
        let clerk = juki_pki::Identity::new(
            juki_pki::Role::Clerk,
            juki_pki::Jurisdiction::Local(code),
            "tanaka",
        )
        .unwrap();
        ca.issue(
            &clerk,
            &[],
            30,
            &d.join("tanaka.crt"),
            &d.join("tanaka.key"),
        )
        .unwrap();
        let path = d.join("tanaka.toml");
        write_profile(
            &path,
            &Profile {
                url: "https://127.0.0.1:7443".into(),
                role: "clerk".into(),
                jurisdiction: "131148".into(),
                ca: "ca/ca.pem".into(),
                cert: "tanaka.crt".into(),
                key: "tanaka.key".into(),
            },
        )
        .unwrap();
        let profile = Profile::load(&path).unwrap();
        let key = d.join("tanaka.key");
        profile.client(Duration::from_secs(1)).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        match profile.client(Duration::from_secs(1)) {
            Err(ClientError::Config(m)) => {
                assert!(m.contains("JK-TLS-0203"), "{m}");
                assert!(m.contains(&key.display().to_string()), "{m}");
            }
            other => panic!("expected JK-TLS-0203, got {other:?}"),
        }
    }
}

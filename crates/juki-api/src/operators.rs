//! Operator accounts on the wire: logging in and out, and managing accounts (docs/api.md,
//! docs/operators.md). Passwords, one-time-code secrets and tokens are never shown by `Debug`.

use serde::{Deserialize, Serialize};

/// Writes a struct's name and its fields that are not secrets.
macro_rules! debug_without_secrets {
    ($t:ty, $($field:ident),*) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}

/// `POST /v1/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
    /// The one-time code the authenticator shows now (6 digits).
    pub totp: String,
}
debug_without_secrets!(LoginRequest, name);

/// The answer to a login: a bearer token for `Authorization: Bearer …`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub expires_ms: i64,
    /// The account's identity URI (`urn:juki:admin:131148:sato`).
    pub identity: String,
}
debug_without_secrets!(LoginResponse, expires_at, identity);

/// The answer to `POST /v1/logout`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutResponse {
    pub logged_out: bool,
}

/// `POST /v1/operators`: a new account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorAddRequest {
    pub name: String,
    pub role: String,
    /// A local government code, or `national`.
    pub jurisdiction: String,
    pub password: String,
}
debug_without_secrets!(OperatorAddRequest, name, role, jurisdiction);

/// The new account's one-time-code secret, shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorEnrolment {
    pub identity: String,
    /// Base32, for typing into an authenticator.
    pub totp_secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}
debug_without_secrets!(OperatorEnrolment, identity);

/// One account, as `GET /v1/operators` lists it (times RFC 3339, UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub name: String,
    pub role: String,
    pub jurisdiction: String,
    pub identity: String,
    pub created_at: String,
    pub disabled_at: Option<String>,
    /// Set while the account is locked after failed logins.
    pub locked_until: Option<String>,
    /// Failed logins since the last success or lock.
    pub failures: u32,
    pub last_login_at: Option<String>,
    /// Live sessions.
    pub sessions: u32,
}

/// `GET /v1/operators`: the accounts within the caller's jurisdiction, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorList {
    pub operators: Vec<OperatorInfo>,
}

/// The answer to `POST /v1/operators/{name}/disable`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorDisabled {
    pub identity: String,
    pub sessions_ended: u64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let login = LoginRequest {
            name: "sato".into(),
            password: "hunter2hunter2".into(),
            totp: "123456".into(),
        };
        let add = OperatorAddRequest {
            name: "sato".into(),
            role: "admin".into(),
            jurisdiction: "131148".into(),
            password: "hunter2hunter2".into(),
        };
        let enrolment = OperatorEnrolment {
            identity: "urn:juki:admin:131148:sato".into(),
            totp_secret: "JBSWY3DPEHPK3PXP".into(),
            otpauth_uri: "otpauth://totp/juki:sato?secret=JBSWY3DPEHPK3PXP".into(),
        };
        let session = LoginResponse {
            token: "tok-secret".into(),
            expires_at: "2026-04-10T01:15:00Z".into(),
            expires_ms: 0,
            identity: "urn:juki:admin:131148:sato".into(),
        };
        let printed = format!("{login:?} {add:?} {enrolment:?} {session:?}");
        for secret in ["hunter2", "123456", "JBSWY3DPEHPK3PXP", "tok-secret"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("sato"), "{printed}");
        let parsed: Result<LoginRequest, _> =
            serde_json::from_str(r#"{"name":"a","password":"b","totp":"c","extra":1}"#);
        assert!(parsed.is_err(), "unknown fields are refused");
    }
}

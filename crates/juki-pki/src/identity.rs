//! Who a certificate speaks for: a role, a jurisdiction and a name, written into the
//! certificate as one SAN URI `urn:juki:<role>:<jurisdiction>:<name>` (docs/pki.md).

use crate::PkiError;
use juki_domain::LocalGovernmentCode;
use juki_domain::catalogue::{TLS_BAD_NAME, TLS_IDENTITY, TLS_ROLE_JURISDICTION};
use juki_domain::lgc::{LgcKind, table};
use std::fmt;

/// The scheme and namespace every juki identity URI starts with.
pub const URI_PREFIX: &str = "urn:juki:";
/// The longest name an identity may carry, in characters.
pub const NAME_CHARS_MAX: usize = 32;

/// What a certificate holder is: a node of one tier, or a person (or client system) with a
/// job in the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The national node.
    National,
    /// A prefecture node.
    Prefecture,
    /// A municipal node (CS).
    Municipal,
    /// A municipal clerk (窓口職員).
    Clerk,
    /// A municipal or prefectural administrator.
    Admin,
    /// A national operator.
    Operator,
    /// A client system of a national agency (e.g. pensions).
    Agency,
    /// An auditor.
    Auditor,
    /// A help-desk agent.
    Helpdesk,
}

impl Role {
    /// Every role, nodes first.
    pub const ALL: [Role; 9] = [
        Role::National,
        Role::Prefecture,
        Role::Municipal,
        Role::Clerk,
        Role::Admin,
        Role::Operator,
        Role::Agency,
        Role::Auditor,
        Role::Helpdesk,
    ];

    /// The role as written in identity URIs and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::National => "national",
            Role::Prefecture => "prefecture",
            Role::Municipal => "municipal",
            Role::Clerk => "clerk",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Agency => "agency",
            Role::Auditor => "auditor",
            Role::Helpdesk => "helpdesk",
        }
    }

    /// Whether the role is a node (which serves, and links to other nodes) rather than a person.
    pub fn is_node(self) -> bool {
        matches!(self, Role::National | Role::Prefecture | Role::Municipal)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = PkiError;
    fn from_str(s: &str) -> Result<Role, PkiError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                PkiError::new(
                    &TLS_IDENTITY,
                    format!(
                        "unknown role {s:?}; one of {}",
                        Role::ALL.map(Role::as_str).join(", ")
                    ),
                )
            })
    }
}

/// Where an identity's authority lies: the whole nation, or one local government.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Jurisdiction {
    National,
    Local(LocalGovernmentCode),
}

impl Jurisdiction {
    /// The two-digit prefecture number of a local jurisdiction.
    pub fn prefecture(self) -> Option<u8> {
        match self {
            Jurisdiction::National => None,
            Jurisdiction::Local(c) => Some(c.prefecture()),
        }
    }

    /// A readable form: `national`, or the code and the body's full name (`130001 東京都`).
    pub fn label(self) -> String {
        match self {
            Jurisdiction::National => "national".into(),
            Jurisdiction::Local(c) => match table().get(c) {
                Some(g) => format!("{c} {}", g.full_name()),
                None => c.to_string(),
            },
        }
    }
}

impl fmt::Display for Jurisdiction {
    /// As written in identity URIs: `national` or the 6-digit code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Jurisdiction::National => f.write_str("national"),
            Jurisdiction::Local(c) => write!(f, "{c}"),
        }
    }
}

impl std::str::FromStr for Jurisdiction {
    type Err = PkiError;
    fn from_str(s: &str) -> Result<Jurisdiction, PkiError> {
        if s == "national" {
            return Ok(Jurisdiction::National);
        }
        LocalGovernmentCode::parse(s)
            .map(Jurisdiction::Local)
            .map_err(|p| PkiError::new(&TLS_IDENTITY, format!("jurisdiction {s:?}: {p}")))
    }
}

/// A certificate holder. Build it with [`Identity::new`], which enforces which role goes with
/// which jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    /// Tells apart two people of the same role and jurisdiction (`operator`, `operator2`); a
    /// node's name is its role.
    pub name: String,
}

impl Identity {
    /// An identity, checked: national roles (the national node, operators, agencies, auditors,
    /// help-desk agents) have the national jurisdiction; a prefecture node a prefecture; a
    /// municipal node and a clerk a body that runs a municipal node (a municipality, special
    /// ward or designated city, never a designated city's ward); an admin such a body or a
    /// prefecture. Names are 1–32 of `a-z`, `0-9`, `-`, starting with a letter or digit; a
    /// node's name is its role.
    pub fn new(
        role: Role,
        jurisdiction: Jurisdiction,
        name: impl Into<String>,
    ) -> Result<Identity, PkiError> {
        let name = name.into();
        check_name(&name)?;
        if role.is_node() && name != role.as_str() {
            return Err(PkiError::new(
                &TLS_BAD_NAME,
                format!("a {role} node's name is {role:?}, not {name:?}"),
            ));
        }
        let kind = match jurisdiction {
            Jurisdiction::National => None,
            Jurisdiction::Local(c) => Some(
                table()
                    .get(c)
                    .ok_or_else(|| {
                        PkiError::new(
                            &TLS_ROLE_JURISDICTION,
                            format!("no local government has the code {c}"),
                        )
                    })?
                    .kind,
            ),
        };
        let fits = match role {
            Role::National | Role::Operator | Role::Agency | Role::Auditor | Role::Helpdesk => {
                kind.is_none()
            }
            Role::Prefecture => kind == Some(LgcKind::Prefecture),
            Role::Municipal | Role::Clerk => kind.is_some_and(LgcKind::has_node),
            Role::Admin => kind.is_some_and(|k| k.has_node() || k == LgcKind::Prefecture),
        };
        if !fits {
            let mut detail = format!("{role} with {}", jurisdiction.label());
            if let (Jurisdiction::Local(c), Some(LgcKind::DesignatedCityWard)) =
                (jurisdiction, kind)
                && let Some(city) = table().serving_node(c)
            {
                detail.push_str(&format!(
                    "; a designated city's ward has no node of its own, use the city {} {}",
                    city.code, city.name
                ));
            }
            return Err(PkiError::new(&TLS_ROLE_JURISDICTION, detail));
        }
        Ok(Identity {
            role,
            jurisdiction,
            name,
        })
    }

    /// The identity URI, `urn:juki:<role>:<jurisdiction>:<name>`.
    pub fn uri(&self) -> String {
        format!(
            "{URI_PREFIX}{}:{}:{}",
            self.role, self.jurisdiction, self.name
        )
    }

    /// Reads an identity URI back, checking it as [`Identity::new`] does.
    pub fn from_uri(uri: &str) -> Result<Identity, PkiError> {
        let malformed = |why: &str| PkiError::new(&TLS_IDENTITY, format!("{uri:?}: {why}"));
        let rest = uri
            .strip_prefix(URI_PREFIX)
            .ok_or_else(|| malformed("not a urn:juki: URI"))?;
        let parts: Vec<&str> = rest.split(':').collect();
        let [role, jurisdiction, name] = parts[..] else {
            return Err(malformed("expected urn:juki:ROLE:JURISDICTION:NAME"));
        };
        let role: Role = role.parse()?;
        let jurisdiction: Jurisdiction = jurisdiction.parse()?;
        Identity::new(role, jurisdiction, name).map_err(|e| malformed(&e.to_string()))
    }

    /// The certificate's common name: a readable form for people who look at certificates
    /// (`prefecture node 130001 東京都`, `clerk tanaka 131148 東京都中野区`).
    pub fn common_name(&self) -> String {
        if self.role.is_node() {
            format!("{} node {}", self.role, self.jurisdiction.label())
        } else {
            format!("{} {} {}", self.role, self.name, self.jurisdiction.label())
        }
    }

    /// Reads the identity a certificate (DER) carries: its one `urn:juki:` SAN URI. Refuses a
    /// certificate with none or several.
    pub fn from_cert_der(der: &[u8]) -> Result<Identity, PkiError> {
        crate::cert::CertInfo::from_der(der)?.identity()
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri())
    }
}

fn check_name(name: &str) -> Result<(), PkiError> {
    let ok = !name.is_empty()
        && name.chars().count() <= NAME_CHARS_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(PkiError::new(
            &TLS_BAD_NAME,
            format!(
                "name {name:?}: 1 to {NAME_CHARS_MAX} of a-z, 0-9 and '-', not starting with '-'"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Jurisdiction {
        Jurisdiction::Local(LocalGovernmentCode::parse(s).unwrap())
    }

    fn refusal(role: Role, j: Jurisdiction, name: &str) -> &'static str {
        Identity::new(role, j, name).unwrap_err().def.code
    }

    #[test]
    fn identity_uris_round_trip() {
        let cases = [
            Identity::new(Role::National, Jurisdiction::National, "national").unwrap(),
            Identity::new(Role::Prefecture, code("130001"), "prefecture").unwrap(),
            Identity::new(Role::Municipal, code("131148"), "municipal").unwrap(),
            Identity::new(Role::Municipal, code("011002"), "municipal").unwrap(),
            Identity::new(Role::Clerk, code("131148"), "tanaka-2").unwrap(),
            Identity::new(Role::Admin, code("270008"), "admin").unwrap(),
            Identity::new(Role::Admin, code("131148"), "admin").unwrap(),
            Identity::new(Role::Operator, Jurisdiction::National, "operator2").unwrap(),
            Identity::new(Role::Agency, Jurisdiction::National, "nenkin").unwrap(),
            Identity::new(Role::Auditor, Jurisdiction::National, "auditor").unwrap(),
            Identity::new(Role::Helpdesk, Jurisdiction::National, "desk1").unwrap(),
        ];
        for id in cases {
            let uri = id.uri();
            assert_eq!(Identity::from_uri(&uri).unwrap(), id, "{uri}");
        }
        assert_eq!(
            Identity::new(Role::Prefecture, code("130001"), "prefecture")
                .unwrap()
                .uri(),
            "urn:juki:prefecture:130001:prefecture"
        );
        assert_eq!(
            Identity::new(Role::Operator, Jurisdiction::National, "operator2")
                .unwrap()
                .to_string(),
            "urn:juki:operator:national:operator2"
        );
    }

    #[test]
    fn roles_and_jurisdictions_that_do_not_fit_are_refused() {
        const RJ: &str = "JK-TLS-0207";
        // National roles take no code.
        assert_eq!(refusal(Role::National, code("130001"), "national"), RJ);
        assert_eq!(refusal(Role::Operator, code("131148"), "operator"), RJ);
        assert_eq!(refusal(Role::Auditor, code("130001"), "auditor"), RJ);
        // A prefecture node needs a prefecture.
        assert_eq!(
            refusal(Role::Prefecture, Jurisdiction::National, "prefecture"),
            RJ
        );
        assert_eq!(refusal(Role::Prefecture, code("131148"), "prefecture"), RJ);
        // A municipal node: not a prefecture, not a designated city's ward.
        assert_eq!(refusal(Role::Municipal, code("130001"), "municipal"), RJ);
        let ward = Identity::new(Role::Municipal, code("011011"), "municipal").unwrap_err();
        assert_eq!(ward.def.code, RJ);
        assert!(ward.detail.contains("011002"), "{ward}");
        // A clerk works at a municipality; an admin may also be a prefecture's.
        assert_eq!(refusal(Role::Clerk, code("130001"), "clerk"), RJ);
        assert_eq!(refusal(Role::Clerk, Jurisdiction::National, "clerk"), RJ);
        assert_eq!(refusal(Role::Admin, Jurisdiction::National, "admin"), RJ);
        // A code with a valid check digit that names no body.
        assert_eq!(refusal(Role::Clerk, code("139998"), "clerk"), RJ);
    }

    #[test]
    fn names_are_checked() {
        const BAD: &str = "JK-TLS-0208";
        assert_eq!(
            refusal(Role::Operator, Jurisdiction::National, "Operator"),
            BAD
        );
        assert_eq!(refusal(Role::Operator, Jurisdiction::National, ""), BAD);
        assert_eq!(refusal(Role::Operator, Jurisdiction::National, "-op"), BAD);
        assert_eq!(refusal(Role::Operator, Jurisdiction::National, "a:b"), BAD);
        assert_eq!(
            refusal(Role::Operator, Jurisdiction::National, &"a".repeat(33)),
            BAD
        );
        // A node's name is its role.
        assert_eq!(refusal(Role::Prefecture, code("130001"), "tokyo"), BAD);
    }

    #[test]
    fn malformed_uris_are_refused() {
        for uri in [
            "urn:juki:prefecture:130001",
            "urn:juki:prefecture:130001:prefecture:x",
            "urn:other:prefecture:130001:prefecture",
            "urn:juki:mayor:130001:mayor",
            "urn:juki:prefecture:130000:prefecture", // wrong check digit
            "urn:juki:clerk:national:clerk",
            "",
        ] {
            assert_eq!(
                Identity::from_uri(uri).unwrap_err().def.code,
                "JK-TLS-0108",
                "{uri}"
            );
        }
    }

    #[test]
    fn common_names_are_readable() {
        assert_eq!(
            Identity::new(Role::Prefecture, code("130001"), "prefecture")
                .unwrap()
                .common_name(),
            "prefecture node 130001 東京都"
        );
        assert_eq!(
            Identity::new(Role::Clerk, code("131148"), "tanaka")
                .unwrap()
                .common_name(),
            "clerk tanaka 131148 東京都中野区"
        );
    }
}

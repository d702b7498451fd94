//! The authorisation policy: one function, [`decide`], answers every request of a person
//! (clerk, administrator, operator, help-desk agent, auditor, agency client) from who asks
//! (role and jurisdiction, from the client certificate or a login session), what they want to
//! do, to which resident or node, and at which kind of node. docs/policy.md is generated from
//! it (`juki policy --markdown`), and a test checks every cell.
//!
//! Links between nodes are not persons' requests: they are checked by `juki_pki::may_push`.
//! The policy has no state and reads no clock; operating hours and two-person approval are
//! decided by the approval mechanism on top of it.

use juki_domain::catalogue::{POLICY_JURISDICTION, POLICY_ROLE, POLICY_TIER};
use juki_domain::lgc::{LgcKind, table};
use juki_domain::{ErrorDef, LocalGovernmentCode};
use juki_pki::{Jurisdiction, Role};

/// Who asks: the role and jurisdiction of a verified certificate or a login session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Subject {
    pub role: Role,
    pub jurisdiction: Jurisdiction,
}

impl Subject {
    pub fn of(identity: &juki_pki::Identity) -> Subject {
        Subject {
            role: identity.role,
            jurisdiction: identity.jurisdiction,
        }
    }
}

/// The kinds of person the policy tells apart: a certificate role, with administrators split
/// by the tier of their jurisdiction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    MunicipalClerk,
    MunicipalAdmin,
    PrefecturalAdmin,
    NationalOperator,
    Helpdesk,
    Auditor,
    Agency,
}

impl Actor {
    pub const ALL: [Actor; 7] = [
        Actor::MunicipalClerk,
        Actor::MunicipalAdmin,
        Actor::PrefecturalAdmin,
        Actor::NationalOperator,
        Actor::Helpdesk,
        Actor::Auditor,
        Actor::Agency,
    ];

    /// The actor a subject is, or None for a node's identity (nodes are not persons).
    pub fn of(s: Subject) -> Option<Actor> {
        Some(match s.role {
            Role::Clerk => Actor::MunicipalClerk,
            Role::Admin => match s.jurisdiction {
                Jurisdiction::Local(c) if is_prefecture(c) => Actor::PrefecturalAdmin,
                _ => Actor::MunicipalAdmin,
            },
            Role::Operator => Actor::NationalOperator,
            Role::Helpdesk => Actor::Helpdesk,
            Role::Auditor => Actor::Auditor,
            Role::Agency => Actor::Agency,
            Role::National | Role::Prefecture | Role::Municipal => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Actor::MunicipalClerk => "municipal clerk (clerk)",
            Actor::MunicipalAdmin => "municipal admin (admin)",
            Actor::PrefecturalAdmin => "prefectural admin (admin)",
            Actor::NationalOperator => "national operator (operator)",
            Actor::Helpdesk => "help-desk agent (helpdesk)",
            Actor::Auditor => "auditor (auditor)",
            Actor::Agency => "agency client (agency)",
        }
    }

    /// Whether this actor's jurisdiction is the whole nation (so nothing is "other" to it).
    pub fn is_national(self) -> bool {
        matches!(
            self,
            Actor::NationalOperator | Actor::Helpdesk | Actor::Auditor | Actor::Agency
        )
    }
}

/// What a person asks to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read one resident's record and history.
    ReadRecord,
    /// Search residents by the four facts.
    Search,
    /// Record a change (birth, move, correction…).
    Change,
    /// Identity verification for an agency (本人確認情報の提供), by resident code with a purpose.
    IdentityLookup,
    /// Produce a resident's disclosure report (開示) at the resident's request.
    Disclose,
    /// Read a node's status (no personal data).
    ReadStatus,
    /// Verify a node's audit log (reports positions, no personal data).
    VerifyAudit,
    /// Read audit entries (who accessed whom).
    ReadAudit,
    /// Add, list and disable operator accounts.
    ManageOperators,
    /// Stop a node (two-person approval during operating hours).
    StopNode,
    /// Revoke a certificate of the network CA (always two-person approval).
    RevokeCertificate,
    /// Issue a resident-record copy (住民票の写し) at the window: of a resident of this
    /// municipality, or of another one's (広域交付, within operating hours).
    IssueCertificate,
    /// Apply a change file that closes (消除) more records than a file may without a second
    /// person's approval (the gateway at the node, docs/gateway-formats.md).
    CloseRecords,
    /// Restore a municipal node from its backup, or rebuild it from its parent, while it is in
    /// service: requested and approved at the node's parent (the node may be gone), used once
    /// by `juki rebuild` or `juki backup restore`.
    RestoreNode,
    /// Read the journal entries a municipality recorded, as this upper tier holds them
    /// (`GET /v1/export`): what a rebuild of its node starts from.
    ExportRecords,
    /// Compare a municipal node's entries with its prefecture's and repair them from it
    /// (`juki reconcile`, docs/backup.md).
    Reconcile,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::ReadRecord,
        Action::Search,
        Action::Change,
        Action::IdentityLookup,
        Action::Disclose,
        Action::ReadStatus,
        Action::VerifyAudit,
        Action::ReadAudit,
        Action::ManageOperators,
        Action::StopNode,
        Action::RevokeCertificate,
        Action::IssueCertificate,
        Action::CloseRecords,
        Action::RestoreNode,
        Action::ExportRecords,
        Action::Reconcile,
    ];

    /// The action as written in requests, approvals and the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadRecord => "read-record",
            Action::Search => "search",
            Action::Change => "change",
            Action::IdentityLookup => "identity-lookup",
            Action::Disclose => "disclose",
            Action::ReadStatus => "read-status",
            Action::VerifyAudit => "verify-audit",
            Action::ReadAudit => "read-audit",
            Action::ManageOperators => "manage-operators",
            Action::StopNode => "stop-node",
            Action::RevokeCertificate => "revoke-certificate",
            Action::IssueCertificate => "issue-certificate",
            Action::CloseRecords => "close-records",
            Action::RestoreNode => "restore-node",
            Action::ExportRecords => "export-records",
            Action::Reconcile => "reconcile",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The tiers of node that serve this action.
    pub fn tiers(self) -> &'static [Tier] {
        match self {
            Action::Change
            | Action::IssueCertificate
            | Action::CloseRecords
            | Action::Reconcile => &[Tier::Municipal],
            Action::IdentityLookup | Action::RestoreNode | Action::ExportRecords => {
                &[Tier::Prefecture, Tier::National]
            }
            Action::RevokeCertificate => &[Tier::National],
            _ => &[Tier::Municipal, Tier::Prefecture, Tier::National],
        }
    }
}

/// The tier of the node that serves a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    Municipal,
    Prefecture,
    National,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Municipal => "municipal",
            Tier::Prefecture => "prefecture",
            Tier::National => "national",
        }
    }
}

/// What an action is done to, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Whose it is: the municipality a resident is registered in (the body that runs its
    /// node), a node's own jurisdiction, or National for the national node and the network CA.
    pub jurisdiction: Jurisdiction,
    /// The kind of node serving the request.
    pub tier: Tier,
}

/// How far an actor may do an action: nowhere, within its own jurisdiction, or anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    No,
    Own,
    Any,
}

/// The policy table: the scope of each action for each actor.
pub fn scope(actor: Actor, action: Action) -> Scope {
    use Action as A;
    use Actor::*;
    use Scope::*;
    match (actor, action) {
        // Residents' records: the people of the municipality, and the prefecture's admins
        // for their prefecture. A national operator reads one record by its code to resolve
        // a fault between tiers (audited, and shown to the resident); agencies only verify.
        (MunicipalClerk | MunicipalAdmin | PrefecturalAdmin, A::ReadRecord | A::Search) => Own,
        (NationalOperator, A::ReadRecord) => Any,
        (MunicipalClerk | MunicipalAdmin, A::Change | A::Disclose) => Own,
        // A copy is issued at the window of the clerk's own municipality, for any resident.
        (MunicipalClerk | MunicipalAdmin, A::IssueCertificate) => Own,
        // A file closing many records: asked by one of them, approved by another.
        (MunicipalClerk | MunicipalAdmin, A::CloseRecords) => Own,
        (Agency, A::IdentityLookup) => Any,
        // Status carries no personal data: every operating person may see how any node
        // stands (a clerk whose prefecture is unreachable asks it directly).
        (
            MunicipalClerk | MunicipalAdmin | PrefecturalAdmin | NationalOperator | Helpdesk
            | Auditor,
            A::ReadStatus,
        ) => Any,
        (MunicipalAdmin | PrefecturalAdmin, A::VerifyAudit) => Own,
        (NationalOperator | Auditor, A::VerifyAudit) => Any,
        (Auditor, A::ReadAudit) => Any,
        (MunicipalAdmin | PrefecturalAdmin, A::ManageOperators | A::StopNode) => Own,
        (NationalOperator, A::ManageOperators | A::StopNode | A::RevokeCertificate) => Any,
        // A node in service restored or rebuilt: asked and approved at its parent by two of
        // those who could stop it; the parent's copy read by the prefecture's and the
        // nation's operators (the node itself reads it with its node certificate).
        (MunicipalAdmin | PrefecturalAdmin, A::RestoreNode) => Own,
        (NationalOperator, A::RestoreNode | A::ExportRecords) => Any,
        (PrefecturalAdmin, A::ExportRecords) => Own,
        // Repairing a node from the tier above: its administrators, and national operators.
        (MunicipalAdmin | PrefecturalAdmin, A::Reconcile) => Own,
        (NationalOperator, A::Reconcile) => Any,
        _ => No,
    }
}

/// Whether `target` lies within `within`: the same body, a municipality (or ward) in a
/// prefecture, or anything within the nation.
pub fn contains(within: Jurisdiction, target: Jurisdiction) -> bool {
    match (within, target) {
        (Jurisdiction::National, _) => true,
        (Jurisdiction::Local(_), Jurisdiction::National) => false,
        (Jurisdiction::Local(w), Jurisdiction::Local(t)) => {
            if w == t {
                return true;
            }
            if is_prefecture(w) {
                return w.prefecture() == t.prefecture();
            }
            // A designated city contains its wards.
            table().serving_node(t).is_some_and(|n| n.code == w)
        }
    }
}

fn is_prefecture(c: LocalGovernmentCode) -> bool {
    table()
        .get(c)
        .is_some_and(|g| g.kind == LgcKind::Prefecture)
}

/// A refusal: which rule, as its catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The role may not do this anywhere (JK-POL-0101).
    Role,
    /// Only within its jurisdiction, and the target is outside it (JK-POL-0102).
    Jurisdiction,
    /// Not served by this tier of node (JK-POL-0103).
    Tier,
}

impl Denial {
    pub fn def(self) -> &'static ErrorDef {
        match self {
            Denial::Role => &POLICY_ROLE,
            Denial::Jurisdiction => &POLICY_JURISDICTION,
            Denial::Tier => &POLICY_TIER,
        }
    }
}

/// Decides one request. A national role with a local jurisdiction, or a local one with the
/// national jurisdiction (certificates juki never issues), is refused everything.
pub fn decide(subject: Subject, action: Action, target: Target) -> Result<(), Denial> {
    let Some(actor) = Actor::of(subject) else {
        return Err(Denial::Role);
    };
    if actor.is_national() != (subject.jurisdiction == Jurisdiction::National) {
        return Err(Denial::Role);
    }
    let allowed = scope(actor, action);
    if allowed == Scope::No {
        return Err(Denial::Role);
    }
    if !action.tiers().contains(&target.tier) {
        return Err(Denial::Tier);
    }
    if allowed == Scope::Own && !contains(subject.jurisdiction, target.jurisdiction) {
        return Err(Denial::Jurisdiction);
    }
    Ok(())
}

/// The policy as Markdown: the text of docs/policy.md.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Authorisation policy\n\n\
         Generated by `juki policy --markdown` from `crates/juki-node/src/policy.rs`; a test \
         keeps the two equal. Every request of a person is decided by this table from the \
         role and jurisdiction of their client certificate (or login session), the action, \
         the resident or node concerned and the kind of node serving it. A refusal answers \
         403 with the code shown and is written to the node's audit log.\n\n\
         - **own**: only residents registered in, and nodes of, the actor's own jurisdiction \
         (a municipal actor: its municipality, and a designated city's wards; a prefectural \
         admin: every municipality of its prefecture). Otherwise `JK-POL-0102`.\n\
         - **any**: anywhere in the nation. National roles (operator, help desk, auditor, \
         agency) hold the national jurisdiction, so nothing is \"other\" to them.\n\
         - **—**: never (`JK-POL-0101`).\n\
         - The last column names the tiers that serve the action; elsewhere `JK-POL-0103`.\n\n",
    );
    s.push_str("| action |");
    for a in Actor::ALL {
        s.push_str(&format!(" {} |", a.label()));
    }
    s.push_str(" served at |\n|---|");
    for _ in Actor::ALL {
        s.push_str("---|");
    }
    s.push_str("---|\n");
    for action in Action::ALL {
        s.push_str(&format!("| `{}` |", action.as_str()));
        for actor in Actor::ALL {
            s.push_str(match scope(actor, action) {
                Scope::No => " — |",
                Scope::Own => " own |",
                Scope::Any => " any |",
            });
        }
        let tiers: Vec<&str> = action.tiers().iter().map(|t| t.as_str()).collect();
        s.push_str(&format!(" {} |\n", tiers.join(", ")));
    }
    s.push_str(
        "\nTwo-person approval (docs/approvals.md): `stop-node` during operating hours \
         (`[hours]` in juki.toml; by default weekdays 9:00–17:00 Asia/Tokyo) and \
         `revoke-certificate` and `restore-node` always are created as requests; a second person whom this table \
         allows the same action on the same target approves them, never the requester \
         (`JK-POL-0106`).\n\n\
         Identity lookups need a purpose code from the node's configured list (`JK-POL-0104` \
         when missing, `JK-POL-0105` when not listed).\n",
    );
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The table as the docs state it, written out independently of [`scope`]: per action, the
    /// scope of each actor in [`Actor::ALL`] order, and the tiers that serve it.
    const EXPECTED: [(&str, [&str; 7], &[&str]); 16] = [
        // clerk, m-admin, p-admin, operator, helpdesk, auditor, agency
        (
            "read-record",
            ["own", "own", "own", "any", "-", "-", "-"],
            &["m", "p", "n"],
        ),
        (
            "search",
            ["own", "own", "own", "-", "-", "-", "-"],
            &["m", "p", "n"],
        ),
        ("change", ["own", "own", "-", "-", "-", "-", "-"], &["m"]),
        (
            "identity-lookup",
            ["-", "-", "-", "-", "-", "-", "any"],
            &["p", "n"],
        ),
        (
            "disclose",
            ["own", "own", "-", "-", "-", "-", "-"],
            &["m", "p", "n"],
        ),
        (
            "read-status",
            ["any", "any", "any", "any", "any", "any", "-"],
            &["m", "p", "n"],
        ),
        (
            "verify-audit",
            ["-", "own", "own", "any", "-", "any", "-"],
            &["m", "p", "n"],
        ),
        (
            "read-audit",
            ["-", "-", "-", "-", "-", "any", "-"],
            &["m", "p", "n"],
        ),
        (
            "manage-operators",
            ["-", "own", "own", "any", "-", "-", "-"],
            &["m", "p", "n"],
        ),
        (
            "stop-node",
            ["-", "own", "own", "any", "-", "-", "-"],
            &["m", "p", "n"],
        ),
        (
            "revoke-certificate",
            ["-", "-", "-", "any", "-", "-", "-"],
            &["n"],
        ),
        (
            "issue-certificate",
            ["own", "own", "-", "-", "-", "-", "-"],
            &["m"],
        ),
        (
            "close-records",
            ["own", "own", "-", "-", "-", "-", "-"],
            &["m"],
        ),
        (
            "restore-node",
            ["-", "own", "own", "any", "-", "-", "-"],
            &["p", "n"],
        ),
        (
            "export-records",
            ["-", "-", "own", "any", "-", "-", "-"],
            &["p", "n"],
        ),
        (
            "reconcile",
            ["-", "own", "own", "any", "-", "-", "-"],
            &["m"],
        ),
    ];

    fn local(code: &str) -> Jurisdiction {
        Jurisdiction::Local(LocalGovernmentCode::parse(code).unwrap())
    }

    /// A subject of each actor, and a target inside and one outside its jurisdiction (None
    /// for national actors: nothing is outside the nation).
    fn cases(actor: Actor) -> (Subject, Vec<Jurisdiction>, Vec<Jurisdiction>) {
        let subject = |role, jurisdiction| Subject { role, jurisdiction };
        match actor {
            // 中野区; 練馬区 and a municipality of another prefecture are outside.
            Actor::MunicipalClerk => (
                subject(Role::Clerk, local("131148")),
                vec![local("131148")],
                vec![local("131202"), local("272108"), Jurisdiction::National],
            ),
            // 横浜市 holds its wards (鶴見区).
            Actor::MunicipalAdmin => (
                subject(Role::Admin, local("141003")),
                vec![local("141003"), local("141011")],
                vec![local("131148"), local("140007"), Jurisdiction::National],
            ),
            Actor::PrefecturalAdmin => (
                subject(Role::Admin, local("130001")),
                vec![local("130001"), local("131148"), local("131202")],
                vec![local("272108"), local("270008"), Jurisdiction::National],
            ),
            _ => {
                let role = match actor {
                    Actor::NationalOperator => Role::Operator,
                    Actor::Helpdesk => Role::Helpdesk,
                    Actor::Auditor => Role::Auditor,
                    _ => Role::Agency,
                };
                (
                    subject(role, Jurisdiction::National),
                    vec![Jurisdiction::National, local("131148"), local("272108")],
                    vec![],
                )
            }
        }
    }

    const TIERS: [(Tier, &str); 3] = [
        (Tier::Municipal, "m"),
        (Tier::Prefecture, "p"),
        (Tier::National, "n"),
    ];

    #[test]
    fn every_role_action_and_jurisdiction() {
        let mut cells = 0;
        for (a, (name, row, tiers)) in Action::ALL.iter().zip(EXPECTED) {
            assert_eq!(a.as_str(), name);
            for (actor, want) in Actor::ALL.into_iter().zip(row) {
                let (subject, own, other) = cases(actor);
                assert_eq!(Actor::of(subject), Some(actor));
                for (tier, t) in TIERS {
                    let check = |target_j: Jurisdiction, inside: bool| {
                        let got = decide(
                            subject,
                            *a,
                            Target {
                                jurisdiction: target_j,
                                tier,
                            },
                        );
                        let expected = if want == "-" {
                            Err(Denial::Role)
                        } else if !tiers.contains(&t) {
                            Err(Denial::Tier)
                        } else if !inside && want == "own" {
                            Err(Denial::Jurisdiction)
                        } else {
                            Ok(())
                        };
                        assert_eq!(
                            got, expected,
                            "{actor:?} {name} on {target_j:?} at {tier:?}"
                        );
                    };
                    for j in &own {
                        check(*j, true);
                        cells += 1;
                    }
                    for j in &other {
                        check(*j, false);
                        cells += 1;
                    }
                }
            }
        }
        assert!(cells > 7 * 11 * 3 * 2, "{cells}");
    }

    #[test]
    fn identities_juki_never_issues_are_refused_everything() {
        let odd = [
            Subject {
                role: Role::Operator,
                jurisdiction: local("131148"),
            },
            Subject {
                role: Role::Agency,
                jurisdiction: local("130001"),
            },
            Subject {
                role: Role::Clerk,
                jurisdiction: Jurisdiction::National,
            },
            Subject {
                role: Role::Admin,
                jurisdiction: Jurisdiction::National,
            },
            Subject {
                role: Role::Municipal,
                jurisdiction: local("131148"),
            },
            Subject {
                role: Role::National,
                jurisdiction: Jurisdiction::National,
            },
        ];
        for s in odd {
            for a in Action::ALL {
                for (tier, _) in TIERS {
                    let t = Target {
                        jurisdiction: local("131148"),
                        tier,
                    };
                    assert_eq!(decide(s, a, t), Err(Denial::Role), "{s:?} {a:?}");
                }
            }
        }
    }

    #[test]
    fn actions_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("drop-table"), None);
    }

    #[test]
    fn docs_policy_md_is_generated() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/policy.md");
        let documented = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            documented == markdown(),
            "docs/policy.md is out of date: run `cargo run -p juki -- policy --markdown > docs/policy.md`"
        );
    }
}

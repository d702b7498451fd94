//! Which node may push changes into (or request a code pool from) which: pure functions of the
//! two identities, checked by the server on every link request.
//!
//! Changes flow one level up the tree: a municipal node into the prefecture node of its own
//! prefecture, a prefecture node into the national node. People never use links.

use crate::{Identity, Jurisdiction, PkiError, Role};
use juki_domain::ErrorDef;
use juki_domain::catalogue::{TLS_PERSON_ON_LINK, TLS_WRONG_PREFECTURE, TLS_WRONG_ROLE};
use std::fmt;

/// Why a link between two identities is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// The peer is a person, not a node.
    PersonOnLink { peer: Identity },
    /// The peer's tier does not link into this node's tier (e.g. a municipal node into the
    /// national node, or anything into a municipal node).
    WrongRole { peer: Identity, me: Identity },
    /// A municipal node of one prefecture into another prefecture's node.
    WrongPrefecture { peer: Identity, me: Identity },
}

impl LinkRefusal {
    /// The catalogue entry of this refusal.
    pub fn def(&self) -> &'static ErrorDef {
        match self {
            LinkRefusal::PersonOnLink { .. } => &TLS_PERSON_ON_LINK,
            LinkRefusal::WrongRole { .. } => &TLS_WRONG_ROLE,
            LinkRefusal::WrongPrefecture { .. } => &TLS_WRONG_PREFECTURE,
        }
    }

    fn detail(&self) -> String {
        match self {
            LinkRefusal::PersonOnLink { peer } => format!("{peer} is not a node"),
            LinkRefusal::WrongRole { peer, me } => {
                format!("{peer} may not link into {me}")
            }
            LinkRefusal::WrongPrefecture { peer, me } => format!(
                "{peer} belongs to prefecture {:02}, this node is {me}",
                peer.jurisdiction.prefecture().unwrap_or(0)
            ),
        }
    }
}

impl fmt::Display for LinkRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.def(), self.detail())
    }
}

impl std::error::Error for LinkRefusal {}

impl From<LinkRefusal> for PkiError {
    fn from(r: LinkRefusal) -> PkiError {
        PkiError::new(r.def(), r.detail())
    }
}

/// Whether `peer` (the client of this connection) may push changes into `me` (this node):
/// a municipal node only into its own prefecture's node, a prefecture node only into the
/// national node, people never.
pub fn may_push(peer: &Identity, me: &Identity) -> Result<(), LinkRefusal> {
    child_of(peer, me)
}

/// Whether `peer` may request a resident-code pool from `me`: the same rule as
/// [`may_push`], since a node's pool comes from its parent.
pub fn may_request_pool(peer: &Identity, me: &Identity) -> Result<(), LinkRefusal> {
    child_of(peer, me)
}

/// Whether `peer` may relay a routed request (`POST /v1/route`) into `me`: a node linked to
/// `me` either way, its child or, new with routing, its parent (a parent calling down
/// presents its own node certificate). People never. Routes configured between two nodes
/// outside the tree are checked by the node against its own configuration.
pub fn may_route(peer: &Identity, me: &Identity) -> Result<(), LinkRefusal> {
    child_of(peer, me).or_else(|up| match child_of(me, peer) {
        Ok(()) => Ok(()),
        // Name the refusal of the upward direction: it is the one people run into.
        Err(_) => Err(up),
    })
}

/// `peer` is a node whose parent is `me`.
fn child_of(peer: &Identity, me: &Identity) -> Result<(), LinkRefusal> {
    if !peer.role.is_node() {
        return Err(LinkRefusal::PersonOnLink { peer: peer.clone() });
    }
    let wrong_role = || LinkRefusal::WrongRole {
        peer: peer.clone(),
        me: me.clone(),
    };
    match (peer.role, me.role) {
        (Role::Municipal, Role::Prefecture) => match (peer.jurisdiction, me.jurisdiction) {
            (Jurisdiction::Local(p), Jurisdiction::Local(m))
                if p.prefecture() == m.prefecture() =>
            {
                Ok(())
            }
            (Jurisdiction::Local(_), Jurisdiction::Local(_)) => Err(LinkRefusal::WrongPrefecture {
                peer: peer.clone(),
                me: me.clone(),
            }),
            // Identity::new never makes a node without its jurisdiction; refuse if one
            // was built by hand.
            _ => Err(wrong_role()),
        },
        (Role::Prefecture, Role::National) => Ok(()),
        _ => Err(wrong_role()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use juki_domain::LocalGovernmentCode;

    fn id(role: Role, code: Option<&str>, name: &str) -> Identity {
        let j = code.map_or(Jurisdiction::National, |c| {
            Jurisdiction::Local(LocalGovernmentCode::parse(c).unwrap())
        });
        Identity::new(role, j, name).unwrap()
    }
    fn national() -> Identity {
        id(Role::National, None, "national")
    }
    fn pref(code: &str) -> Identity {
        id(Role::Prefecture, Some(code), "prefecture")
    }
    fn muni(code: &str) -> Identity {
        id(Role::Municipal, Some(code), "municipal")
    }
    fn code_of(r: Result<(), LinkRefusal>) -> &'static str {
        r.map_or_else(|e| e.def().code, |()| "ok")
    }

    #[test]
    fn a_municipal_node_pushes_into_its_own_prefecture() {
        // 中野区 (13) into 東京都 (13).
        assert_eq!(code_of(may_push(&muni("131148"), &pref("130001"))), "ok");
        // A designated city (札幌市, 01) into 北海道 (01).
        assert_eq!(code_of(may_push(&muni("011002"), &pref("010006"))), "ok");
    }

    #[test]
    fn a_municipal_node_of_another_prefecture_is_refused() {
        // 中野区 (13) into 大阪府 (27).
        let r = may_push(&muni("131148"), &pref("270008")).unwrap_err();
        assert_eq!(r.def().code, "JK-TLS-0106");
        assert!(r.to_string().contains("prefecture 13"), "{r}");
    }

    #[test]
    fn a_municipal_certificate_cannot_push_as_a_prefecture() {
        // Into the national node, skipping its prefecture.
        assert_eq!(
            code_of(may_push(&muni("131148"), &national())),
            "JK-TLS-0105"
        );
        // Into another municipal node.
        assert_eq!(
            code_of(may_push(&muni("131148"), &muni("131016"))),
            "JK-TLS-0105"
        );
    }

    #[test]
    fn a_prefecture_node_pushes_into_the_national_node_only() {
        assert_eq!(code_of(may_push(&pref("130001"), &national())), "ok");
        assert_eq!(
            code_of(may_push(&pref("130001"), &pref("270008"))),
            "JK-TLS-0105"
        );
        assert_eq!(
            code_of(may_push(&pref("130001"), &pref("130001"))),
            "JK-TLS-0105"
        );
        assert_eq!(
            code_of(may_push(&pref("130001"), &muni("131148"))),
            "JK-TLS-0105"
        );
        // The national node pushes nowhere.
        assert_eq!(code_of(may_push(&national(), &national())), "JK-TLS-0105");
        assert_eq!(
            code_of(may_push(&national(), &pref("130001"))),
            "JK-TLS-0105"
        );
    }

    #[test]
    fn people_never_push() {
        let people = [
            id(Role::Clerk, Some("131148"), "clerk"),
            id(Role::Admin, Some("130001"), "admin"),
            id(Role::Operator, None, "operator"),
            id(Role::Agency, None, "agency"),
            id(Role::Auditor, None, "auditor"),
            id(Role::Helpdesk, None, "helpdesk"),
        ];
        for p in &people {
            for me in [pref("130001"), national(), muni("131148")] {
                assert_eq!(code_of(may_push(p, &me)), "JK-TLS-0107", "{p} into {me}");
                assert_eq!(
                    code_of(may_request_pool(p, &me)),
                    "JK-TLS-0107",
                    "{p} into {me}"
                );
            }
        }
    }

    #[test]
    fn pools_follow_the_same_rule() {
        assert_eq!(
            code_of(may_request_pool(&muni("131148"), &pref("130001"))),
            "ok"
        );
        assert_eq!(
            code_of(may_request_pool(&muni("131148"), &pref("270008"))),
            "JK-TLS-0106"
        );
        assert_eq!(
            code_of(may_request_pool(&muni("131148"), &national())),
            "JK-TLS-0105"
        );
        assert_eq!(
            code_of(may_request_pool(&pref("270008"), &national())),
            "ok"
        );
    }

    #[test]
    fn routed_requests_travel_both_ways_along_the_tree_only() {
        // Up, as a push.
        assert_eq!(code_of(may_route(&muni("131148"), &pref("130001"))), "ok");
        assert_eq!(code_of(may_route(&pref("130001"), &national())), "ok");
        // Down: the parent calls its child.
        assert_eq!(code_of(may_route(&pref("130001"), &muni("131148"))), "ok");
        assert_eq!(code_of(may_route(&national(), &pref("270008"))), "ok");
        // Not across, and not skipping a tier.
        assert_eq!(
            code_of(may_route(&pref("270008"), &muni("131148"))),
            "JK-TLS-0105"
        );
        assert_eq!(
            code_of(may_route(&muni("272191"), &muni("131148"))),
            "JK-TLS-0105"
        );
        assert_eq!(
            code_of(may_route(&national(), &muni("131148"))),
            "JK-TLS-0105"
        );
        assert_eq!(
            code_of(may_route(&pref("130001"), &pref("270008"))),
            "JK-TLS-0105"
        );
        // People never.
        let clerk = id(Role::Clerk, Some("131148"), "clerk");
        assert_eq!(code_of(may_route(&clerk, &muni("131148"))), "JK-TLS-0107");
    }
}

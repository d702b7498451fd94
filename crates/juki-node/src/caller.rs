//! Who is calling: the identity of the verified client certificate (or, for people who log in,
//! of their session), with the request's id; and the node's two duties towards every caller —
//! decide by the policy, and write what was done to the audit log before answering.

use crate::error::ApiError;
use crate::policy::{self, Subject, Target, Tier};
use crate::server::{Node, Peer};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use juki_audit::{Action as AuditAction, AuditEntry, Outcome};
use juki_pki::{Identity, Jurisdiction};
use std::sync::Arc;

/// The id `observe` gives each request (also in the `x-request-id` header and the request log).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub identity: Identity,
    pub request_id: String,
}

impl Caller {
    pub fn subject(&self) -> Subject {
        Subject::of(&self.identity)
    }
}

impl FromRequestParts<Arc<Node>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Caller, ApiError> {
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        // A client certificate wins; without one, a login session's bearer token.
        let identity = match parts.extensions.get::<Peer>().and_then(|p| p.0.clone()) {
            Some(certificate) => certificate,
            None => crate::routes::operators::session_identity(node, &parts.headers).await?,
        };
        Ok(Caller {
            identity,
            request_id,
        })
    }
}

impl Node {
    /// The tier this node serves at.
    pub fn tier(&self) -> Tier {
        match self.config.role {
            crate::config::Role::Municipal => Tier::Municipal,
            crate::config::Role::Prefecture => Tier::Prefecture,
            crate::config::Role::National => Tier::National,
        }
    }

    /// This node's own jurisdiction (what its node-wide actions, like stopping it, concern).
    pub fn jurisdiction(&self) -> Jurisdiction {
        match self.config.code {
            Some(c) => Jurisdiction::Local(c),
            None => Jurisdiction::National,
        }
    }

    /// Whose a resident held here is, for the policy: at a municipal node, the node's own
    /// jurisdiction (it holds its residents, and the closed records of those who left); at
    /// upper tiers, the municipality (the body running its node) of the record's address.
    pub fn holder_of(&self, r: &juki_domain::StoredResident) -> Jurisdiction {
        if self.tier() == Tier::Municipal {
            return self.jurisdiction();
        }
        let at = r.record.facts.address.code;
        let node = juki_domain::lgc::table()
            .serving_node(at)
            .map_or(at, |g| g.code);
        Jurisdiction::Local(node)
    }

    /// Whose a resident's record is ([`Node::holder_of`]), or this node's own jurisdiction
    /// when it holds no record of them.
    pub fn whose(&self, r: Option<&juki_domain::StoredResident>) -> Jurisdiction {
        r.map_or(self.jurisdiction(), |r| self.holder_of(r))
    }

    /// An audit entry of `caller` doing `action` here, now, result Ok.
    pub(crate) fn audit_entry(&self, caller: &Caller, action: AuditAction) -> AuditEntry {
        AuditEntry::new(
            self.clock.now_ms(),
            caller.identity.uri(),
            caller.identity.role.as_str(),
            self.node_uri.as_str(),
            action,
        )
        .request_id(caller.request_id.as_str())
    }

    /// Writes an entry to the audit log without waiting for the disk. When the log cannot take
    /// it (its queue is full, its disk failing), the request is refused (503): nothing is
    /// served unaudited.
    pub(crate) fn audit(&self, entry: AuditEntry) -> Result<(), ApiError> {
        let Some(log) = &self.audit else {
            return Ok(());
        };
        log.try_record(entry).map_err(|e| {
            self.metrics.audit_refused.inc();
            ApiError::new(e.def())
        })
    }

    /// Decides `action` on `target` (a resident's or node's jurisdiction) here, by the policy.
    /// A refusal is audited as `audit_as` on `targets` with its code, and answers 403.
    pub(crate) fn authorize(
        &self,
        caller: &Caller,
        action: policy::Action,
        target: Jurisdiction,
        audit_as: AuditAction,
        targets: &[String],
    ) -> Result<(), ApiError> {
        let t = Target {
            jurisdiction: target,
            tier: self.tier(),
        };
        match policy::decide(caller.subject(), action, t) {
            Ok(()) => Ok(()),
            Err(denial) => Err(self.deny(caller, audit_as, targets, denial.def(), action)),
        }
    }

    /// Audits a refusal and returns the error to answer with.
    pub(crate) fn deny(
        &self,
        caller: &Caller,
        audit_as: AuditAction,
        targets: &[String],
        def: &'static juki_domain::ErrorDef,
        action: policy::Action,
    ) -> ApiError {
        let entry = self
            .audit_entry(caller, audit_as)
            .targets(targets.to_vec())
            .result(Outcome::Denied(def.code.to_string()));
        if let Err(e) = self.audit(entry) {
            return e;
        }
        self.metrics.denied.inc();
        ApiError::with(
            def,
            serde_json::json!({
                "action": action.as_str(),
                "role": caller.identity.role.as_str(),
                "jurisdiction": caller.identity.jurisdiction.to_string(),
                "node": self.node_uri,
            }),
        )
    }
}

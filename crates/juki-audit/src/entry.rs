//! An audit entry: who did what to whom, when, why and with what result; its line in a
//! segment file (one JSON object, hash-chained to the line before), and the limits on it.

use crate::error::RecordError;
use ring::digest;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Resident codes one entry may name (a request that reads more must be paged).
pub const TARGETS_MAX: usize = 1_000;
/// Bytes of one target (a resident code is 11 digits).
pub const TARGET_BYTES_MAX: usize = 32;
/// Bytes of each short text: actor, role, node, action, purpose, request id, error code.
pub const TEXT_BYTES_MAX: usize = 256;
/// Bytes of the free-text detail of an administrative act.
pub const DETAIL_BYTES_MAX: usize = 1_024;
/// Bytes of one stored line; a longer line is damage (no entry within the limits above is
/// this long, even with every character escaped).
pub const LINE_BYTES_MAX: usize = 256 * 1024;

/// A SHA-256 digest: an entry's hash, the link to the entry before it, a sealed head.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// What the first entry of a log chains to.
    pub const ZERO: Digest = Digest([0; 32]);

    pub fn of(bytes: &[u8]) -> Digest {
        let d = digest::digest(&digest::SHA256, bytes);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Digest(out)
    }

    /// Reads 64 lowercase hex digits.
    pub fn parse(hex: &str) -> Option<Digest> {
        let bytes = crate::hex::decode(hex)?;
        Some(Digest(bytes.try_into().ok()?))
    }

    pub fn hex(&self) -> String {
        crate::hex::encode(&self.0)
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({})", self.hex())
    }
}

/// What was done. Stored as a stable lowercase string; a string this version does not know
/// (written by a newer juki) reads back as [`Action::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// A resident's record was read.
    Read,
    /// A search (e.g. by the four facts); `targets` are the residents it returned.
    Search,
    /// A change was recorded.
    Change,
    /// Identity verification for an agency (本人確認情報の提供).
    IdentityLookup,
    /// A disclosure to a resident (開示).
    Disclosure,
    /// A certificate (e.g. a resident-record copy) was issued.
    CertificateIssued,
    /// A certificate was revoked.
    CertificateRevoked,
    Login,
    LoginFailed,
    /// One person's half of a two-person approval.
    Approval,
    /// Entries past retention were removed (written by the log itself).
    AuditPurge,
    /// The writer found a torn last line when it opened the log and cut it off (written by
    /// the log itself).
    AuditRecovered,
    /// Any other administrative act, by name: `admin:<name>`.
    Admin(String),
    /// An action this version does not know.
    Other(String),
}

impl Action {
    pub fn as_str(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            Action::Read => "read",
            Action::Search => "search",
            Action::Change => "change",
            Action::IdentityLookup => "identity-lookup",
            Action::Disclosure => "disclosure",
            Action::CertificateIssued => "certificate-issued",
            Action::CertificateRevoked => "certificate-revoked",
            Action::Login => "login",
            Action::LoginFailed => "login-failed",
            Action::Approval => "approval",
            Action::AuditPurge => "audit-purge",
            Action::AuditRecovered => "audit-recovered",
            Action::Admin(name) => return Cow::Owned(format!("admin:{name}")),
            Action::Other(s) => s,
        })
    }

    pub fn parse(s: &str) -> Action {
        match s {
            "read" => Action::Read,
            "search" => Action::Search,
            "change" => Action::Change,
            "identity-lookup" => Action::IdentityLookup,
            "disclosure" => Action::Disclosure,
            "certificate-issued" => Action::CertificateIssued,
            "certificate-revoked" => Action::CertificateRevoked,
            "login" => Action::Login,
            "login-failed" => Action::LoginFailed,
            "approval" => Action::Approval,
            "audit-purge" => Action::AuditPurge,
            "audit-recovered" => Action::AuditRecovered,
            _ => match s.strip_prefix("admin:") {
                Some(name) => Action::Admin(name.to_string()),
                None => Action::Other(s.to_string()),
            },
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// How the act ended. Stored as `"result": "ok" | "denied" | "failed"` with the error code in
/// `"error"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    /// Refused (policy, validation, authorisation), with its `JK-` code.
    Denied(String),
    /// Failed inside the node, with its `JK-` code.
    Failed(String),
}

impl Outcome {
    fn parts(&self) -> (&'static str, Option<&str>) {
        match self {
            Outcome::Ok => ("ok", None),
            Outcome::Denied(c) => ("denied", Some(c)),
            Outcome::Failed(c) => ("failed", Some(c)),
        }
    }
}

/// One act, as the caller reports it; the log adds its sequence number and chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When, in milliseconds since the Unix epoch, from the caller's (injected) clock.
    pub time_ms: i64,
    /// Who: an identity URI (`urn:juki:clerk:131148:tanaka`).
    pub actor: String,
    /// The role the actor acted in (`clerk`, `agency`…).
    pub role: String,
    /// The node that served the act (its identity URI).
    pub node: String,
    pub action: Action,
    /// The resident codes concerned.
    pub targets: Vec<String>,
    /// Why: the purpose code given with the request (identity verification needs one).
    pub purpose: Option<String>,
    pub result: Outcome,
    /// The request id, which ties the entry to the node's request log.
    pub request_id: String,
    /// What an administrative act did, in words (no personal data).
    pub detail: Option<String>,
}

impl AuditEntry {
    /// An entry with no targets, purpose, request id or detail, and result `Ok`.
    pub fn new(
        time_ms: i64,
        actor: impl Into<String>,
        role: impl Into<String>,
        node: impl Into<String>,
        action: Action,
    ) -> AuditEntry {
        AuditEntry {
            time_ms,
            actor: actor.into(),
            role: role.into(),
            node: node.into(),
            action,
            targets: Vec::new(),
            purpose: None,
            result: Outcome::Ok,
            request_id: String::new(),
            detail: None,
        }
    }

    pub fn targets(mut self, targets: Vec<String>) -> AuditEntry {
        self.targets = targets;
        self
    }

    pub fn purpose(mut self, purpose: impl Into<String>) -> AuditEntry {
        self.purpose = Some(purpose.into());
        self
    }

    pub fn result(mut self, result: Outcome) -> AuditEntry {
        self.result = result;
        self
    }

    pub fn request_id(mut self, id: impl Into<String>) -> AuditEntry {
        self.request_id = id.into();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> AuditEntry {
        self.detail = Some(detail.into());
        self
    }

    /// Checks the limits (cheap: lengths only).
    pub fn check(&self) -> Result<(), RecordError> {
        let short = |s: &str, what: &'static str| {
            if s.len() > TEXT_BYTES_MAX {
                Err(RecordError::TooLarge(what))
            } else {
                Ok(())
            }
        };
        short(&self.actor, "actor")?;
        short(&self.role, "role")?;
        short(&self.node, "node")?;
        short(&self.request_id, "request_id")?;
        short(self.purpose.as_deref().unwrap_or(""), "purpose")?;
        match &self.action {
            Action::Admin(s) | Action::Other(s) => short(s, "action")?,
            _ => {}
        }
        match &self.result {
            Outcome::Ok => {}
            Outcome::Denied(c) | Outcome::Failed(c) => short(c, "result")?,
        }
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.len() > DETAIL_BYTES_MAX)
        {
            return Err(RecordError::TooLarge("detail"));
        }
        if self.targets.len() > TARGETS_MAX {
            return Err(RecordError::TooLarge("targets"));
        }
        if self.targets.iter().any(|t| t.len() > TARGET_BYTES_MAX) {
            return Err(RecordError::TooLarge("target"));
        }
        Ok(())
    }
}

/// An entry as stored: its place in the chain and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// Gapless from 1.
    pub seq: u64,
    pub entry: AuditEntry,
    /// The hash of the entry before (zero for seq 1).
    pub prev: Digest,
    /// The hash of this entry's line without its `hash` member.
    pub hash: Digest,
}

#[derive(Serialize)]
struct LineOut<'a> {
    seq: u64,
    time_ms: i64,
    actor: &'a str,
    role: &'a str,
    node: &'a str,
    action: &'a str,
    targets: &'a [String],
    purpose: Option<&'a str>,
    result: &'a str,
    error: Option<&'a str>,
    request_id: &'a str,
    detail: Option<&'a str>,
    prev: &'a str,
}

#[derive(Deserialize)]
struct LineIn {
    seq: u64,
    time_ms: i64,
    actor: String,
    role: String,
    node: String,
    action: String,
    targets: Vec<String>,
    purpose: Option<String>,
    result: String,
    error: Option<String>,
    request_id: String,
    detail: Option<String>,
    prev: String,
    hash: String,
}

/// `,"hash":"` + 64 hex digits + `"}`: how every entry line ends.
const HASH_PREFIX: &[u8] = b",\"hash\":\"";
const HASH_SUFFIX_BYTES: usize = HASH_PREFIX.len() + 64 + 2;

/// Appends `entry`'s line (with its newline) to `out` and returns its hash. The hash covers
/// the exact bytes stored, minus the `hash` member: canonical by construction, since the
/// verifier hashes what is on disk rather than a re-encoding.
pub(crate) fn encode(seq: u64, entry: &AuditEntry, prev: &Digest, out: &mut Vec<u8>) -> Digest {
    let action = entry.action.as_str();
    let (result, error) = entry.result.parts();
    let prev_buf = crate::hex::encode32(&prev.0);
    let prev_hex = std::str::from_utf8(&prev_buf).expect("hex digits are ASCII");
    let line = LineOut {
        seq,
        time_ms: entry.time_ms,
        actor: &entry.actor,
        role: &entry.role,
        node: &entry.node,
        action: &action,
        targets: &entry.targets,
        purpose: entry.purpose.as_deref(),
        result,
        error,
        request_id: &entry.request_id,
        detail: entry.detail.as_deref(),
        prev: prev_hex,
    };
    let start = out.len();
    serde_json::to_writer(&mut *out, &line).expect("serialising to a Vec cannot fail");
    let hash = Digest::of(&out[start..]);
    out.pop(); // the closing brace; the hash member goes before it
    out.extend_from_slice(HASH_PREFIX);
    out.extend_from_slice(&crate::hex::encode32(&hash.0));
    out.extend_from_slice(b"\"}\n");
    hash
}

/// The hash a line's content gives (`None` when the line does not end with a hash member).
pub(crate) fn content_hash(line: &[u8]) -> Option<Digest> {
    if line.len() < HASH_SUFFIX_BYTES + 2 || !line.ends_with(b"\"}") {
        return None;
    }
    let cut = line.len() - HASH_SUFFIX_BYTES;
    if &line[cut..cut + HASH_PREFIX.len()] != HASH_PREFIX {
        return None;
    }
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&line[..cut]);
    ctx.update(b"}");
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Some(Digest(out))
}

/// A line read back: the entry, and whether its content still gives its stored hash.
pub(crate) struct Decoded {
    pub stored: StoredEntry,
    pub intact: bool,
}

/// Reads one line (without its newline).
pub(crate) fn decode(line: &[u8]) -> Result<Decoded, String> {
    let l: LineIn = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let prev = Digest::parse(&l.prev).ok_or("prev is not a SHA-256 in hex")?;
    let hash = Digest::parse(&l.hash).ok_or("hash is not a SHA-256 in hex")?;
    let result = match (l.result.as_str(), l.error) {
        ("ok", None) => Outcome::Ok,
        ("denied", Some(c)) => Outcome::Denied(c),
        ("failed", Some(c)) => Outcome::Failed(c),
        (r, e) => return Err(format!("result {r:?} with error {e:?}")),
    };
    let intact = content_hash(line) == Some(hash);
    Ok(Decoded {
        stored: StoredEntry {
            seq: l.seq,
            entry: AuditEntry {
                time_ms: l.time_ms,
                actor: l.actor,
                role: l.role,
                node: l.node,
                action: Action::parse(&l.action),
                targets: l.targets,
                purpose: l.purpose,
                result,
                request_id: l.request_id,
                detail: l.detail,
            },
            prev,
            hash,
        },
        intact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AuditEntry {
        AuditEntry::new(
            1_767_225_600_000,
            "urn:juki:clerk:131148:tanaka",
            "clerk",
            "urn:juki:municipal:131148:municipal",
            Action::Read,
        )
        .targets(vec!["12345678903".into()])
        .purpose("窓口交付")
        .request_id("r-1")
    }

    #[test]
    fn a_line_reads_back_and_its_hash_covers_every_byte() {
        let mut out = Vec::new();
        let h = encode(7, &sample(), &Digest::ZERO, &mut out);
        assert_eq!(out.last(), Some(&b'\n'));
        let line = &out[..out.len() - 1];
        let d = decode(line).unwrap();
        assert!(d.intact);
        assert_eq!(d.stored.seq, 7);
        assert_eq!(d.stored.hash, h);
        assert_eq!(d.stored.entry, sample());
        // Any byte changed before the hash member breaks the hash.
        for i in 0..line.len() - HASH_SUFFIX_BYTES {
            let mut bad = line.to_vec();
            bad[i] ^= 0x01;
            assert_ne!(content_hash(&bad), Some(h), "byte {i}");
        }
        // The stored text is readable JSON with stable names.
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(v["action"], "read");
        assert_eq!(v["result"], "ok");
        assert_eq!(v["targets"][0], "12345678903");
        assert_eq!(v["hash"], h.hex());
    }

    #[test]
    fn actions_and_outcomes_keep_their_names() {
        for a in [
            Action::Read,
            Action::Search,
            Action::Change,
            Action::IdentityLookup,
            Action::Disclosure,
            Action::CertificateIssued,
            Action::CertificateRevoked,
            Action::Login,
            Action::LoginFailed,
            Action::Approval,
            Action::AuditPurge,
            Action::AuditRecovered,
            Action::Admin("calendar-change".into()),
            Action::Other("from-the-future".into()),
        ] {
            assert_eq!(Action::parse(&a.as_str()), a);
        }
        assert_eq!(Action::IdentityLookup.as_str(), "identity-lookup");
        let mut out = Vec::new();
        let e = sample().result(Outcome::Denied("JK-NODE-0101".into()));
        encode(1, &e, &Digest::ZERO, &mut out);
        let d = decode(&out[..out.len() - 1]).unwrap();
        assert_eq!(
            d.stored.entry.result,
            Outcome::Denied("JK-NODE-0101".into())
        );
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(sample().check(), Ok(()));
        let many = vec!["12345678903".to_string(); TARGETS_MAX + 1];
        assert_eq!(
            sample().targets(many).check(),
            Err(RecordError::TooLarge("targets"))
        );
        assert_eq!(
            sample().purpose("x".repeat(TEXT_BYTES_MAX + 1)).check(),
            Err(RecordError::TooLarge("purpose"))
        );
        // The longest entry the limits allow still fits in a line, escapes and all.
        let worst = "\u{1}".repeat(TEXT_BYTES_MAX);
        let mut e = AuditEntry::new(
            i64::MIN,
            &worst,
            &worst,
            &worst,
            Action::Admin(worst.clone()),
        )
        .targets(vec!["\u{1}".repeat(TARGET_BYTES_MAX); TARGETS_MAX])
        .purpose(&worst)
        .request_id(&worst)
        .detail("\u{1}".repeat(DETAIL_BYTES_MAX))
        .result(Outcome::Failed(worst.clone()));
        e.action = Action::Admin("\u{1}".repeat(TEXT_BYTES_MAX - 6));
        assert_eq!(e.check(), Ok(()));
        let mut out = Vec::new();
        encode(u64::MAX, &e, &Digest::ZERO, &mut out);
        assert!(out.len() <= LINE_BYTES_MAX, "{}", out.len());
    }
}

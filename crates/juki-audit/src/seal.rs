//! Signed records: a seal (the head of the chain at a moment, signed with the node's key) and
//! the checkpoint a retention purge leaves. Both are one JSON line whose last member, `sig`,
//! is an ECDSA P-256 signature over the line without it.

use crate::entry::Digest;
use crate::error::AuditError;
use crate::key::{CHECKPOINT_CONTEXT, SEAL_CONTEXT, SigFault, Signer, Trust};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The head of the chain when it was sealed: entry `seq` of segment `segment` had `hash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub segment: u64,
    pub seq: u64,
    pub hash: Digest,
    pub time_ms: i64,
    /// The last seal of its segment, written before the next segment is created: a closed
    /// segment without a successor means the log's tail was removed.
    pub closed: bool,
    /// The signing key's id ([`crate::key_id`]).
    pub key: String,
}

/// What a retention purge proves: the log now starts at `first_seq` (the first entry of
/// segment `first_segment`), which chains to `prev`; `purged` entries before it were removed
/// by this purge (`purged_total` by every purge so far), all recorded before `cutoff_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub first_segment: u64,
    pub first_seq: u64,
    pub prev: Digest,
    pub purged: u64,
    pub purged_total: u64,
    pub cutoff_ms: i64,
    pub time_ms: i64,
    pub key: String,
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Digest::parse(&s).ok_or_else(|| serde::de::Error::custom("not a SHA-256 in hex"))
    }
}

const SIG_PREFIX: &[u8] = b",\"sig\":\"";

/// The line (with its newline) for `body`, signed.
fn sign_line<T: Serialize>(
    body: &T,
    signer: &Signer,
    context: &[u8],
) -> Result<Vec<u8>, AuditError> {
    let mut line = serde_json::to_vec(body).expect("serialising to a Vec cannot fail");
    let sig = signer.sign(context, &line)?;
    line.pop();
    line.extend_from_slice(SIG_PREFIX);
    line.extend_from_slice(crate::hex::encode(&sig).as_bytes());
    line.extend_from_slice(b"\"}\n");
    Ok(line)
}

/// Why a signed line was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineFault {
    Unreadable(String),
    UnknownKey(String),
    BadSignature,
}

impl std::fmt::Display for LineFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineFault::Unreadable(why) => write!(f, "unreadable ({why})"),
            LineFault::UnknownKey(id) => write!(
                f,
                "signed with key {id}, which is not trusted (neither the node's certificate nor an earlier certificate of this node from the same CA)"
            ),
            LineFault::BadSignature => f.write_str("its signature does not verify"),
        }
    }
}

/// Reads a signed line (without its newline) and checks its signature.
fn open_line<T: DeserializeOwned>(
    line: &[u8],
    trust: &Trust,
    context: &[u8],
    key_of: impl Fn(&T) -> &str,
) -> Result<T, LineFault> {
    let body: T = serde_json::from_slice(line).map_err(|e| LineFault::Unreadable(e.to_string()))?;
    let at = line
        .windows(SIG_PREFIX.len())
        .rposition(|w| w == SIG_PREFIX)
        .filter(|_| line.ends_with(b"\"}"))
        .ok_or_else(|| LineFault::Unreadable("no signature at the end".into()))?;
    let sig_hex = std::str::from_utf8(&line[at + SIG_PREFIX.len()..line.len() - 2])
        .map_err(|_| LineFault::Unreadable("signature is not hex".into()))?;
    let sig = crate::hex::decode(sig_hex)
        .ok_or_else(|| LineFault::Unreadable("signature is not hex".into()))?;
    let mut signed = line[..at].to_vec();
    signed.push(b'}');
    match trust.verify(key_of(&body), context, &signed, &sig) {
        Ok(()) => Ok(body),
        Err(SigFault::UnknownKey) => Err(LineFault::UnknownKey(key_of(&body).to_string())),
        Err(SigFault::Bad) => Err(LineFault::BadSignature),
    }
}

impl Seal {
    pub(crate) fn to_line(&self, signer: &Signer) -> Result<Vec<u8>, AuditError> {
        sign_line(self, signer, SEAL_CONTEXT)
    }

    pub(crate) fn from_line(line: &[u8], trust: &Trust) -> Result<Seal, LineFault> {
        open_line(line, trust, SEAL_CONTEXT, |s: &Seal| &s.key)
    }
}

impl Checkpoint {
    pub(crate) fn to_line(&self, signer: &Signer) -> Result<Vec<u8>, AuditError> {
        sign_line(self, signer, CHECKPOINT_CONTEXT)
    }

    pub(crate) fn from_line(line: &[u8], trust: &Trust) -> Result<Checkpoint, LineFault> {
        open_line(line, trust, CHECKPOINT_CONTEXT, |c: &Checkpoint| &c.key)
    }

    /// Reads the fields without checking the signature (the writer trusts its own file).
    pub(crate) fn read_unchecked(line: &[u8]) -> Result<Checkpoint, String> {
        serde_json::from_slice(line).map_err(|e| e.to_string())
    }
}

//! A request and the rules of its life, as pure functions of the request and the time given:
//!
//! ```text
//! pending ──approve (another person)──▶ approved ──finish──▶ executed | failed
//!    │ ──reject (anyone allowed, the requester too: a withdrawal)──▶ rejected
//!    └ ──its time passes──▶ expired
//! ```

use crate::error::ApprovalError;
use std::fmt;

/// Requests that may wait for approval at one node at once.
pub const PENDING_MAX: usize = 1_000;
/// How long a request waits for approval unless it says otherwise: 24 hours.
pub const TTL_DEFAULT_MS: i64 = 24 * HOUR_MS;
/// The shortest and longest a request may wait.
pub const TTL_MIN_MS: i64 = 60_000;
pub const TTL_MAX_MS: i64 = 7 * 24 * HOUR_MS;
const HOUR_MS: i64 = 3_600_000;

/// Characters of a reason (the requester's, or the decider's).
pub const REASON_CHARS_MAX: usize = 512;
/// Characters of the effect sentence.
pub const EFFECT_CHARS_MAX: usize = 512;
/// Characters of an execution's result (longer results are cut).
pub const RESULT_CHARS_MAX: usize = 1_024;
/// Bytes of an action (`stop-node`): 1–64 of a-z, 0-9 and `-`.
pub const ACTION_BYTES_MAX: usize = 64;
/// Bytes of a target's jurisdiction (`131148`, `national`).
pub const JURISDICTION_BYTES_MAX: usize = 32;
/// Bytes of a target's object (a certificate serial).
pub const OBJECT_BYTES_MAX: usize = 128;
/// Bytes of an identity URI (requester, decider).
pub const IDENTITY_BYTES_MAX: usize = 256;
/// Bytes of the parameters, as JSON.
pub const PARAMS_BYTES_MAX: usize = 16 * 1024;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for a second person.
    Pending,
    /// Approved; being carried out.
    Approved,
    /// Approved and carried out.
    Executed,
    /// Approved, but carrying it out failed (or was interrupted).
    Failed,
    /// Rejected, or withdrawn by the requester.
    Rejected,
    /// Not decided in time.
    Expired,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Pending,
        State::Approved,
        State::Executed,
        State::Failed,
        State::Rejected,
        State::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Executed => "executed",
            State::Failed => "failed",
            State::Rejected => "rejected",
            State::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person decides about a pending request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    /// The past tense, as answers and the audit log say it.
    pub fn done(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }
}

/// A request's id: `A-000017`, unique at the node that holds it, in the order made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "A-{:06}", self.0)
    }
}

impl std::str::FromStr for RequestId {
    type Err = ApprovalError;

    /// `A-` and 1–12 digits, not all zero (`a-17` and `A-17` read as `A-000017`).
    fn from_str(s: &str) -> Result<RequestId, ApprovalError> {
        let bad = || ApprovalError::invalid("id", format!("{s:?} is not an id like A-000017"));
        let digits = s
            .strip_prefix("A-")
            .or_else(|| s.strip_prefix("a-"))
            .ok_or_else(bad)?;
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match digits.parse::<u64>() {
            Ok(n) if n > 0 => Ok(RequestId(n)),
            _ => Err(bad()),
        }
    }
}

/// What an operation is done to: a jurisdiction (the policy decides on it) and, for some
/// operations, one object within it (a certificate's serial).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub jurisdiction: String,
    pub object: Option<String>,
}

/// A request as its requester makes it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRequest {
    /// The policy's name of the operation (`stop-node`, `revoke-certificate`).
    pub action: String,
    pub target: Target,
    /// What it will affect, in one sentence a second person can judge.
    pub effect: String,
    /// What the operation needs beyond its target, for the function that carries it out.
    pub params: serde_json::Value,
    /// Why the requester asks.
    pub reason: Option<String>,
    /// The requester's identity URI.
    pub requested_by: String,
    /// How long it waits for approval.
    pub ttl_ms: i64,
}

impl NewRequest {
    /// A request without parameters or reason that waits the default 24 hours.
    pub fn new(
        action: impl Into<String>,
        target: Target,
        effect: impl Into<String>,
        requested_by: impl Into<String>,
    ) -> NewRequest {
        NewRequest {
            action: action.into(),
            target,
            effect: effect.into(),
            params: serde_json::Value::Object(Default::default()),
            reason: None,
            requested_by: requested_by.into(),
            ttl_ms: TTL_DEFAULT_MS,
        }
    }

    pub fn params(mut self, params: serde_json::Value) -> NewRequest {
        self.params = params;
        self
    }

    pub fn reason(mut self, reason: Option<String>) -> NewRequest {
        self.reason = reason;
        self
    }

    pub fn ttl_ms(mut self, ttl_ms: i64) -> NewRequest {
        self.ttl_ms = ttl_ms;
        self
    }

    /// The request as recorded: id `id`, pending from `now_ms`. Refused when a field breaks
    /// its limits, or when `pending` requests already wait (at most [`PENDING_MAX`]).
    pub fn admit(
        self,
        id: RequestId,
        now_ms: i64,
        pending: usize,
    ) -> Result<Request, ApprovalError> {
        check_token("action", &self.action, ACTION_BYTES_MAX)?;
        let jurisdiction = &self.target.jurisdiction;
        check_text(
            "target.jurisdiction",
            jurisdiction,
            Count::Bytes,
            1,
            JURISDICTION_BYTES_MAX,
        )?;
        if let Some(o) = &self.target.object {
            check_text("target.object", o, Count::Bytes, 1, OBJECT_BYTES_MAX)?;
        }
        check_text("effect", &self.effect, Count::Chars, 1, EFFECT_CHARS_MAX)?;
        check_reason(self.reason.as_deref())?;
        check_identity("requested_by", &self.requested_by)?;
        if !self.params.is_object() {
            return Err(ApprovalError::invalid("params", "must be a JSON object"));
        }
        if self.params.to_string().len() > PARAMS_BYTES_MAX {
            return Err(ApprovalError::invalid(
                "params",
                format!("at most {PARAMS_BYTES_MAX} bytes of JSON"),
            ));
        }
        if !(TTL_MIN_MS..=TTL_MAX_MS).contains(&self.ttl_ms) {
            return Err(ApprovalError::invalid(
                "ttl_ms",
                format!("{} is not within {TTL_MIN_MS}..={TTL_MAX_MS}", self.ttl_ms),
            ));
        }
        if pending >= PENDING_MAX {
            return Err(ApprovalError::TooManyPending { max: PENDING_MAX });
        }
        Ok(Request {
            id,
            action: self.action,
            target: self.target,
            effect: self.effect,
            params: self.params,
            reason: self.reason,
            requested_by: self.requested_by,
            requested_at_ms: now_ms,
            expires_at_ms: now_ms.saturating_add(self.ttl_ms),
            state: State::Pending,
            decided_by: None,
            decided_at_ms: None,
            decision_reason: None,
            executed_at_ms: None,
            result: None,
        })
    }
}

/// A request as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub action: String,
    pub target: Target,
    pub effect: String,
    pub params: serde_json::Value,
    pub reason: Option<String>,
    pub requested_by: String,
    pub requested_at_ms: i64,
    /// Until when it may be approved (exclusive).
    pub expires_at_ms: i64,
    pub state: State,
    /// Who approved or rejected it (None while pending, and for an expired request).
    pub decided_by: Option<String>,
    /// When it was decided, or expired.
    pub decided_at_ms: Option<i64>,
    pub decision_reason: Option<String>,
    /// When carrying it out ended, and what came of it.
    pub executed_at_ms: Option<i64>,
    pub result: Option<String>,
}

/// What was said when an interrupted execution is found (see [`Request::interrupted`]).
pub const INTERRUPTED: &str = "interrupted: the node stopped between approval and the end of execution; check whether the operation took effect";

impl Request {
    /// Whether the request is pending and its time has passed.
    pub fn is_due(&self, now_ms: i64) -> bool {
        self.state == State::Pending && now_ms >= self.expires_at_ms
    }

    /// Marks a pending request whose time has passed as expired; returns whether it did.
    pub fn expire_if_due(&mut self, now_ms: i64) -> bool {
        if !self.is_due(now_ms) {
            return false;
        }
        self.state = State::Expired;
        self.decided_at_ms = Some(self.expires_at_ms);
        true
    }

    /// Pending and within its time; a request found past its time is marked expired.
    fn check_pending(&mut self, now_ms: i64) -> Result<(), ApprovalError> {
        self.expire_if_due(now_ms);
        if self.state == State::Expired {
            return Err(ApprovalError::Expired {
                id: self.id,
                expires_at_ms: self.expires_at_ms,
            });
        }
        self.check_state(State::Pending)
    }

    fn check_state(&self, expected: State) -> Result<(), ApprovalError> {
        if self.state == expected {
            return Ok(());
        }
        Err(ApprovalError::WrongState {
            id: self.id,
            state: self.state,
            expected,
        })
    }

    /// `by` approves the request: it must be pending and within its time (one found past it is
    /// marked expired, and refused), and `by` must not be its requester. The caller has checked that the policy
    /// allows `by` the request's action on its target.
    pub fn approve(
        &mut self,
        by: &str,
        now_ms: i64,
        reason: Option<String>,
    ) -> Result<(), ApprovalError> {
        check_identity("decided_by", by)?;
        check_reason(reason.as_deref())?;
        self.check_pending(now_ms)?;
        if by == self.requested_by {
            return Err(ApprovalError::OwnApproval {
                id: self.id,
                by: by.to_string(),
            });
        }
        self.record(State::Approved, by, now_ms, reason);
        Ok(())
    }

    /// `by` rejects the request: it must be pending and within its time. The requester may
    /// reject their own request (a withdrawal).
    pub fn reject(
        &mut self,
        by: &str,
        now_ms: i64,
        reason: Option<String>,
    ) -> Result<(), ApprovalError> {
        check_identity("decided_by", by)?;
        check_reason(reason.as_deref())?;
        self.check_pending(now_ms)?;
        self.record(State::Rejected, by, now_ms, reason);
        Ok(())
    }

    /// `by` decides: [`Request::approve`] or [`Request::reject`].
    pub fn decide(
        &mut self,
        decision: Decision,
        by: &str,
        now_ms: i64,
        reason: Option<String>,
    ) -> Result<(), ApprovalError> {
        match decision {
            Decision::Approve => self.approve(by, now_ms, reason),
            Decision::Reject => self.reject(by, now_ms, reason),
        }
    }

    fn record(&mut self, state: State, by: &str, now_ms: i64, reason: Option<String>) {
        self.state = state;
        self.decided_by = Some(by.to_string());
        self.decided_at_ms = Some(now_ms);
        self.decision_reason = reason;
    }

    /// Records how carrying out an approved request ended: `Ok(result)` executed, `Err(why)`
    /// failed. The text is cut to [`RESULT_CHARS_MAX`] characters.
    pub fn finish(
        &mut self,
        now_ms: i64,
        outcome: Result<String, String>,
    ) -> Result<(), ApprovalError> {
        self.check_state(State::Approved)?;
        let (state, text) = match outcome {
            Ok(t) => (State::Executed, t),
            Err(t) => (State::Failed, t),
        };
        self.state = state;
        self.executed_at_ms = Some(now_ms);
        self.result = Some(text.chars().take(RESULT_CHARS_MAX).collect());
        Ok(())
    }

    /// An approved request found when the record is opened: the node stopped before its
    /// execution was recorded, so whether it took effect is unknown. It fails with
    /// [`INTERRUPTED`] (never runs again by itself); returns whether it was such a request.
    pub fn interrupted(&mut self, now_ms: i64) -> bool {
        self.state == State::Approved && self.finish(now_ms, Err(INTERRUPTED.into())).is_ok()
    }
}

/// How a text's length is counted: bytes for identifiers (what storage and the audit log
/// bound), characters for what people write.
#[derive(Clone, Copy)]
enum Count {
    Bytes,
    Chars,
}

/// `s` is `min..=max` long, not blank when required, and holds no control characters.
fn check_text(
    field: &'static str,
    s: &str,
    count: Count,
    min: usize,
    max: usize,
) -> Result<(), ApprovalError> {
    let (n, unit) = match count {
        Count::Bytes => (s.len(), "bytes"),
        Count::Chars => (s.chars().count(), "characters"),
    };
    if !(min..=max).contains(&n) || (min > 0 && s.trim().is_empty()) {
        return Err(ApprovalError::invalid(
            field,
            format!("{min} to {max} {unit}, not {n}"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ApprovalError::invalid(
            field,
            "control characters (line breaks, tabs) are not allowed",
        ));
    }
    Ok(())
}

/// A reason (the requester's or a decider's): at most [`REASON_CHARS_MAX`] characters, on one
/// line.
pub fn check_reason(reason: Option<&str>) -> Result<(), ApprovalError> {
    reason.map_or(Ok(()), |r| {
        check_text("reason", r, Count::Chars, 0, REASON_CHARS_MAX)
    })
}

pub(crate) fn check_identity(field: &'static str, s: &str) -> Result<(), ApprovalError> {
    check_text(field, s, Count::Bytes, 1, IDENTITY_BYTES_MAX)
}

fn check_token(field: &'static str, s: &str, max: usize) -> Result<(), ApprovalError> {
    let ok = (1..=max).contains(&s.len())
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(ApprovalError::invalid(
            field,
            format!("{s:?}: 1 to {max} of a-z, 0-9 and -"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use crate::testing::{ADMIN, OPERATOR, T0, stop as new};

    fn pending() -> Request {
        new().admit(RequestId(17), T0, 0).unwrap()
    }

    /// A request in each state, as the rules make it.
    fn in_state(state: State) -> Request {
        let mut r = pending();
        match state {
            State::Pending => {}
            State::Approved => r.approve(OPERATOR, T0 + 1, None).unwrap(),
            State::Executed | State::Failed => {
                r.approve(OPERATOR, T0 + 1, None).unwrap();
                let outcome = if state == State::Executed {
                    Ok("done".into())
                } else {
                    Err("no".into())
                };
                r.finish(T0 + 2, outcome).unwrap();
            }
            State::Rejected => r.reject(OPERATOR, T0 + 1, None).unwrap(),
            State::Expired => assert!(r.expire_if_due(T0 + TTL_DEFAULT_MS)),
        }
        assert_eq!(r.state, state);
        r
    }

    #[test]
    fn ids_read_and_print_as_a_000017() {
        assert_eq!(RequestId(17).to_string(), "A-000017");
        assert_eq!(RequestId(1_234_567).to_string(), "A-1234567");
        assert_eq!("A-000017".parse::<RequestId>().unwrap(), RequestId(17));
        assert_eq!("a-17".parse::<RequestId>().unwrap(), RequestId(17));
        for bad in [
            "",
            "A-",
            "A-0",
            "A-000000",
            "B-000017",
            "A-+17",
            "A-1x",
            "17",
            "A-1234567890123",
        ] {
            let e = bad.parse::<RequestId>().unwrap_err();
            assert_eq!(e.def().code, "JK-APPR-0105", "{bad:?}");
        }
    }

    #[test]
    fn a_new_request_is_pending_for_24_hours() {
        let r = pending();
        assert_eq!(r.state, State::Pending);
        assert_eq!(r.requested_at_ms, T0);
        assert_eq!(r.expires_at_ms, T0 + 24 * 3_600_000);
        assert_eq!(r.params, serde_json::json!({}));
        assert!(r.decided_by.is_none() && r.result.is_none());
        let r = new().ttl_ms(TTL_MIN_MS).admit(RequestId(1), T0, 0).unwrap();
        assert_eq!(r.expires_at_ms, T0 + 60_000);
    }

    #[test]
    fn at_most_pending_max_wait() {
        assert!(new().admit(RequestId(1), T0, PENDING_MAX - 1).is_ok());
        let e = new().admit(RequestId(1), T0, PENDING_MAX).unwrap_err();
        assert_eq!(e, ApprovalError::TooManyPending { max: PENDING_MAX });
        assert_eq!(e.def().code, "JK-APPR-0104");
    }

    #[test]
    fn fields_are_bounded() {
        let long = |n: usize| "あ".repeat(n);
        let cases: Vec<(NewRequest, &str)> = vec![
            (
                NewRequest {
                    action: "".into(),
                    ..new()
                },
                "action",
            ),
            (
                NewRequest {
                    action: "Stop-Node".into(),
                    ..new()
                },
                "action",
            ),
            (
                NewRequest {
                    action: "-stop".into(),
                    ..new()
                },
                "action",
            ),
            (
                NewRequest {
                    action: "a".repeat(65),
                    ..new()
                },
                "action",
            ),
            (new().reason(Some(long(513))), "reason"),
            (new().reason(Some("two\nlines".into())), "reason"),
            (
                NewRequest {
                    effect: "".into(),
                    ..new()
                },
                "effect",
            ),
            (
                NewRequest {
                    effect: "  ".into(),
                    ..new()
                },
                "effect",
            ),
            (
                NewRequest {
                    effect: long(513),
                    ..new()
                },
                "effect",
            ),
            (
                NewRequest {
                    requested_by: "".into(),
                    ..new()
                },
                "requested_by",
            ),
            (
                NewRequest {
                    requested_by: "u".repeat(257),
                    ..new()
                },
                "requested_by",
            ),
            (
                NewRequest {
                    target: Target {
                        jurisdiction: "".into(),
                        object: None,
                    },
                    ..new()
                },
                "target.jurisdiction",
            ),
            (
                NewRequest {
                    target: Target {
                        jurisdiction: "national".into(),
                        object: Some("f".repeat(129)),
                    },
                    ..new()
                },
                "target.object",
            ),
            (new().params(serde_json::json!([1])), "params"),
            (
                new().params(serde_json::json!({"x": "y".repeat(PARAMS_BYTES_MAX)})),
                "params",
            ),
            (new().ttl_ms(TTL_MIN_MS - 1), "ttl_ms"),
            (new().ttl_ms(TTL_MAX_MS + 1), "ttl_ms"),
        ];
        for (req, field) in cases {
            match req.admit(RequestId(1), T0, 0) {
                Err(ApprovalError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // At the limits: accepted.
        let r = new()
            .reason(Some(long(512)))
            .params(serde_json::json!({"serial": "40ab"}))
            .ttl_ms(TTL_MAX_MS);
        assert!(
            NewRequest {
                effect: long(512),
                ..r
            }
            .admit(RequestId(1), T0, 0)
            .is_ok()
        );
    }

    #[test]
    fn another_person_approves_then_the_execution_is_recorded() {
        let mut r = pending();
        r.approve(OPERATOR, T0 + 5, Some("checked with 中野区".into()))
            .unwrap();
        assert_eq!(r.state, State::Approved);
        assert_eq!(r.decided_by.as_deref(), Some(OPERATOR));
        assert_eq!(r.decided_at_ms, Some(T0 + 5));
        assert_eq!(r.decision_reason.as_deref(), Some("checked with 中野区"));
        r.finish(T0 + 6, Ok("stopping".into())).unwrap();
        assert_eq!(r.state, State::Executed);
        assert_eq!(
            (r.executed_at_ms, r.result.as_deref()),
            (Some(T0 + 6), Some("stopping"))
        );

        let mut r = pending();
        r.approve(OPERATOR, T0 + 5, None).unwrap();
        r.finish(T0 + 6, Err("JK-TLS-0210 disk full".into()))
            .unwrap();
        assert_eq!(r.state, State::Failed);
        assert_eq!(r.result.as_deref(), Some("JK-TLS-0210 disk full"));
    }

    #[test]
    fn the_requester_cannot_approve_but_may_withdraw() {
        let mut r = pending();
        let e = r.approve(ADMIN, T0 + 1, None).unwrap_err();
        assert_eq!(e.def().code, "JK-POL-0106");
        assert_eq!(r, pending(), "a refused approval changes nothing");
        r.reject(ADMIN, T0 + 2, Some("wrong node".into())).unwrap();
        assert_eq!(r.state, State::Rejected);
        assert_eq!(r.decided_by.as_deref(), Some(ADMIN));
        assert_eq!(r.decision_reason.as_deref(), Some("wrong node"));
    }

    #[test]
    fn only_pending_requests_are_decided() {
        let decided = [
            State::Approved,
            State::Executed,
            State::Failed,
            State::Rejected,
        ];
        for state in decided {
            for decide in [Request::approve, Request::reject] {
                let mut r = in_state(state);
                let before = r.clone();
                let e = decide(
                    &mut r,
                    "urn:juki:operator:national:operator3",
                    T0 + 10,
                    None,
                )
                .unwrap_err();
                assert_eq!(
                    e,
                    ApprovalError::WrongState {
                        id: r.id,
                        state,
                        expected: State::Pending
                    },
                    "{state}"
                );
                assert_eq!(e.def().code, "JK-APPR-0102");
                assert_eq!(r, before);
            }
        }
    }

    #[test]
    fn only_approved_requests_are_finished() {
        for state in State::ALL.into_iter().filter(|s| *s != State::Approved) {
            let mut r = in_state(state);
            let e = r.finish(T0 + 10, Ok("x".into())).unwrap_err();
            assert!(
                matches!(
                    e,
                    ApprovalError::WrongState {
                        expected: State::Approved,
                        ..
                    }
                ),
                "{state}"
            );
        }
    }

    #[test]
    fn an_expired_request_cannot_be_decided_and_is_marked_expired() {
        let end = T0 + TTL_DEFAULT_MS;
        let mut r = pending();
        assert!(!r.is_due(end - 1));
        r.approve(OPERATOR, end - 1, None).unwrap();
        for decide in [Request::approve, Request::reject] {
            let mut r = pending();
            let e = decide(&mut r, OPERATOR, end, None).unwrap_err();
            assert_eq!(
                e,
                ApprovalError::Expired {
                    id: r.id,
                    expires_at_ms: end
                }
            );
            assert_eq!(e.def().code, "JK-APPR-0103");
            assert_eq!(r.state, State::Expired);
            assert_eq!(r.decided_at_ms, Some(end));
            assert!(r.decided_by.is_none());
            // And stays expired, however it is asked again.
            let before = r.clone();
            let e = decide(&mut r, OPERATOR, end - 1, None).unwrap_err();
            assert_eq!(e.def().code, "JK-APPR-0103");
            assert_eq!(r, before);
        }
        // Expiry touches pending requests only.
        let mut r = in_state(State::Approved);
        assert!(!r.expire_if_due(end + 1));
        assert_eq!(r.state, State::Approved);
    }

    #[test]
    fn decisions_check_their_own_fields() {
        let mut r = pending();
        let e = r.approve("", T0, None).unwrap_err();
        assert!(matches!(
            e,
            ApprovalError::Invalid {
                field: "decided_by",
                ..
            }
        ));
        let e = r.reject(OPERATOR, T0, Some("x".repeat(513))).unwrap_err();
        assert!(matches!(
            e,
            ApprovalError::Invalid {
                field: "reason",
                ..
            }
        ));
        assert_eq!(r, pending());
    }

    #[test]
    fn results_are_cut_and_interruptions_fail() {
        let mut r = in_state(State::Approved);
        r.finish(T0 + 3, Ok("é".repeat(2_000))).unwrap();
        assert_eq!(r.result.unwrap().chars().count(), RESULT_CHARS_MAX);
        let mut r = in_state(State::Approved);
        assert!(r.interrupted(T0 + 4));
        assert_eq!(
            (r.state, r.result.as_deref()),
            (State::Failed, Some(INTERRUPTED))
        );
        for state in State::ALL.into_iter().filter(|s| *s != State::Approved) {
            let mut r = in_state(state);
            assert!(!r.interrupted(T0 + 4), "{state}");
            assert_eq!(r.state, state);
        }
    }

    #[test]
    fn states_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("done"), None);
    }
}

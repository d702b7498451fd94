//! Operator accounts over HTTP (docs/operators.md): `POST /v1/login` and `/v1/logout`, and
//! managing accounts (`/v1/operators`), decided by the policy's `manage-operators`. Every login
//! attempt, and every act on an account, is written to the audit log before the answer;
//! passwords, one-time codes, secrets and tokens never are.

use super::json_body;
use crate::caller::{Caller, RequestId};
use crate::error::ApiError;
use crate::policy::{self, Action};
use crate::server::Node;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use juki_api::{
    LoginRequest, LoginResponse, LogoutResponse, OperatorAddRequest, OperatorDisabled,
    OperatorEnrolment, OperatorInfo, OperatorList,
};
use juki_audit::{Action as AuditAction, AuditEntry, Outcome};
use juki_domain::ErrorClass;
use juki_domain::catalogue::{
    AUTH_DB, AUTH_SESSION, AUTH_UNKNOWN_OPERATOR, NODE_INTERNAL, TLS_NO_CLIENT_CERT,
};
use juki_operators::{Failure, LoginFailure, OperatorError, OperatorStore};
use juki_pki::{Identity, Jurisdiction, Role};
use std::sync::Arc;

type AppState = Arc<Node>;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/login", post(login))
        .route("/v1/logout", post(logout))
        .route("/v1/operators", get(list).post(add))
        .route("/v1/operators/{name}/disable", post(disable))
}

/// Runs `f` on the node's operator store, on a blocking thread (SQLite, argon2).
async fn with_store<T: Send + 'static>(
    node: &Node,
    f: impl FnOnce(&OperatorStore) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let Some(store) = node.operators.clone() else {
        return Err(ApiError::with(
            &AUTH_DB,
            serde_json::json!({ "reason": "this node keeps no operator accounts" }),
        ));
    };
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "operator store task failed");
            ApiError::new(&NODE_INTERNAL)
        })
}

/// An account refusal or failure as an answer; a failure of the database is logged, not told.
fn answer(e: OperatorError) -> ApiError {
    match e.def.class {
        ErrorClass::Unavailable | ErrorClass::Internal => {
            tracing::error!(error = %e, "operator store");
            ApiError::new(e.def)
        }
        _ => ApiError::with(e.def, serde_json::json!({ "reason": e.detail })),
    }
}

/// How an act ended, as the audit log records it.
fn outcome_of(def: &juki_domain::ErrorDef) -> Outcome {
    match def.class {
        ErrorClass::Unavailable | ErrorClass::Internal | ErrorClass::Overloaded => {
            Outcome::Failed(def.code.to_string())
        }
        _ => Outcome::Denied(def.code.to_string()),
    }
}

/// A time as RFC 3339, UTC.
fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// The token of an `Authorization: Bearer …` header: None without the header, Err when it is
/// something else.
fn bearer(headers: &HeaderMap) -> Option<Result<String, ApiError>> {
    let value = headers.get(AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    Some(token.ok_or_else(|| ApiError::new(&AUTH_SESSION)))
}

/// The identity of a request without a client certificate: its login session's, from the
/// bearer token. Without a token, 401 `JK-TLS-0101`; an unknown or expired one, `JK-AUTH-0102`.
pub(crate) async fn session_identity(
    node: &Node,
    headers: &HeaderMap,
) -> Result<Identity, ApiError> {
    let token = bearer(headers).ok_or_else(|| ApiError::new(&TLS_NO_CLIENT_CERT))??;
    if node.operators.is_none() {
        return Err(ApiError::new(&AUTH_SESSION));
    }
    let now = node.clock.now_ms();
    with_store(node, move |s| s.session(&token, now))
        .await?
        .map_err(answer)?
        .ok_or_else(|| ApiError::new(&AUTH_SESSION))
}

/// The actor of a login attempt on a name no account has: `urn:juki:unknown:` and the name,
/// percent-encoded outside `A-Z a-z 0-9 - . _ ~`, cut to the audit log's 256 bytes.
fn unknown_actor(name: &str) -> String {
    let mut actor = String::from("urn:juki:unknown:");
    for b in name.bytes() {
        let piece = if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            char::from(b).to_string()
        } else {
            format!("%{b:02X}")
        };
        if actor.len() + piece.len() > juki_audit::TEXT_BYTES_MAX {
            break;
        }
        actor.push_str(&piece);
    }
    actor
}

/// An audit entry of a login attempt (there is no caller yet: the actor is the account).
fn login_entry(
    node: &Node,
    request_id: &str,
    actor: String,
    role: &str,
    action: AuditAction,
) -> AuditEntry {
    AuditEntry::new(
        node.clock.now_ms(),
        actor,
        role,
        node.node_uri.as_str(),
        action,
    )
    .request_id(request_id)
}

async fn login(
    State(node): State<AppState>,
    request_id: Option<Extension<RequestId>>,
    body: Body,
) -> Result<Json<LoginResponse>, ApiError> {
    let request_id = request_id.map(|r| r.0.0).unwrap_or_default();
    let req: LoginRequest = json_body(&node, body).await?;
    let now = node.clock.now_ms();
    let name = req.name.clone();
    let result = with_store(&node, move |s| {
        s.login(&req.name, &req.password, &req.totp, now)
    })
    .await?;
    match result {
        Ok(session) => {
            let entry = login_entry(
                &node,
                &request_id,
                session.identity.uri(),
                session.identity.role.as_str(),
                AuditAction::Login,
            )
            .detail(format!(
                "password and one-time code; session until {}",
                rfc3339(session.expires_ms)
            ));
            if let Err(e) = node.audit(entry) {
                // Not audited, not served: the session ends unused.
                let token = session.token;
                let _ = with_store(&node, move |s| s.logout(&token)).await;
                return Err(e);
            }
            Ok(Json(LoginResponse {
                token: session.token,
                expires_at: rfc3339(session.expires_ms),
                expires_ms: session.expires_ms,
                identity: session.identity.uri(),
            }))
        }
        Err(failure) => Err(login_failed(&node, &request_id, &name, failure)),
    }
}

/// Audits a failed login and returns its answer: the same for a wrong name, password or code.
fn login_failed(node: &Node, request_id: &str, name: &str, failure: LoginFailure) -> ApiError {
    let def = failure.def();
    let (actor, role) = match &failure.identity {
        Some(i) => (i.uri(), i.role.as_str()),
        None => (unknown_actor(name), "unknown"),
    };
    let mut detail = failure.reason.as_str().to_string();
    if let Some(until) = failure.locked_until_ms {
        detail.push_str(&format!(
            "; {} failures in a row: locked until {}",
            node.operators
                .as_ref()
                .map_or(0, |s| s.options().lockout_failures),
            rfc3339(until)
        ));
    }
    if let Failure::Store(e) = &failure.reason {
        tracing::error!(error = %e, "operator store during a login");
    }
    let entry = login_entry(node, request_id, actor, role, AuditAction::LoginFailed)
        .result(outcome_of(def))
        .detail(detail);
    if let Err(e) = node.audit(entry) {
        return e;
    }
    match failure.reason {
        Failure::Locked { until_ms } => ApiError::with(
            def,
            serde_json::json!({ "locked_until": rfc3339(until_ms) }),
        ),
        _ => ApiError::new(def),
    }
}

async fn logout(
    State(node): State<AppState>,
    request_id: Option<Extension<RequestId>>,
    headers: HeaderMap,
) -> Result<Json<LogoutResponse>, ApiError> {
    let token = bearer(&headers).unwrap_or_else(|| Err(ApiError::new(&AUTH_SESSION)))?;
    let identity = session_identity(&node, &headers).await?;
    let ended = with_store(&node, move |s| s.logout(&token))
        .await?
        .map_err(answer)?;
    if !ended {
        return Err(ApiError::new(&AUTH_SESSION));
    }
    let caller = Caller {
        identity,
        request_id: request_id.map(|r| r.0.0).unwrap_or_default(),
    };
    node.audit(node.audit_entry(&caller, AuditAction::Admin("logout".into())))?;
    Ok(Json(LogoutResponse { logged_out: true }))
}

fn info(a: juki_operators::Account) -> OperatorInfo {
    OperatorInfo {
        name: a.identity.name.clone(),
        role: a.identity.role.as_str().into(),
        jurisdiction: a.identity.jurisdiction.to_string(),
        identity: a.identity.uri(),
        created_at: rfc3339(a.created_ms),
        disabled_at: a.disabled_ms.map(rfc3339),
        locked_until: a.locked_until_ms.map(rfc3339),
        failures: a.failures,
        last_login_at: a.last_login_ms.map(rfc3339),
        sessions: a.sessions,
    }
}

/// Audits an act on accounts (ok, or refused with its code) and, when it was refused, returns
/// the answer to give.
fn audit_act(
    node: &Node,
    caller: &Caller,
    name: &str,
    result: Result<String, &OperatorError>,
) -> Result<(), ApiError> {
    let action = AuditAction::Admin(format!("operator-{name}"));
    let entry = match result {
        Ok(detail) => node.audit_entry(caller, action).detail(detail),
        Err(e) => node
            .audit_entry(caller, action)
            .result(outcome_of(e.def))
            .detail(format!("refused: {}", e.def.code)),
    };
    node.audit(entry)
}

async fn list(
    State(node): State<AppState>,
    caller: Caller,
) -> Result<Json<OperatorList>, ApiError> {
    let act = || AuditAction::Admin("operator-list".into());
    node.authorize(
        &caller,
        Action::ManageOperators,
        node.jurisdiction(),
        act(),
        &[],
    )?;
    let now = node.clock.now_ms();
    let accounts = with_store(&node, move |s| s.list(now)).await?;
    if let Err(e) = &accounts {
        audit_act(&node, &caller, "list", Err(e))?;
    }
    // Only the accounts within the caller's own jurisdiction.
    let mine = caller.identity.jurisdiction;
    let operators: Vec<OperatorInfo> = accounts
        .map_err(answer)?
        .into_iter()
        .filter(|a| policy::contains(mine, a.identity.jurisdiction))
        .map(info)
        .collect();
    audit_act(
        &node,
        &caller,
        "list",
        Ok(format!("listed {} accounts", operators.len())),
    )?;
    Ok(Json(OperatorList { operators }))
}

/// A role or jurisdiction of a request body, or the answer refusing it.
fn parse<T: std::str::FromStr<Err = juki_pki::PkiError>>(text: &str) -> Result<T, ApiError> {
    text.parse().map_err(|e: juki_pki::PkiError| {
        ApiError::with(e.def, serde_json::json!({ "reason": e.detail }))
    })
}

async fn add(
    State(node): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<OperatorEnrolment>, ApiError> {
    let req: OperatorAddRequest = json_body(&node, body).await?;
    let role: Role = parse(&req.role)?;
    let jurisdiction: Jurisdiction = parse(&req.jurisdiction)?;
    let act = AuditAction::Admin("operator-add".into());
    node.authorize(&caller, Action::ManageOperators, jurisdiction, act, &[])?;
    let now = node.clock.now_ms();
    let added = with_store(&node, move |s| {
        s.add(&req.name, role, jurisdiction, &req.password, now)
    })
    .await?;
    match added {
        Ok(e) => {
            audit_act(
                &node,
                &caller,
                "add",
                Ok(format!("added {}", e.identity.uri())),
            )?;
            Ok(Json(OperatorEnrolment {
                identity: e.identity.uri(),
                totp_secret: e.totp_secret_base32,
                otpauth_uri: e.otpauth_uri,
            }))
        }
        Err(e) => {
            audit_act(&node, &caller, "add", Err(&e))?;
            Err(answer(e))
        }
    }
}

async fn disable(
    State(node): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<OperatorDisabled>, ApiError> {
    let now = node.clock.now_ms();
    let lookup = name.clone();
    let account = with_store(&node, move |s| s.get(&lookup, now))
        .await?
        .map_err(answer)?;
    // Whose account it is decides; a name no account has, this node's own jurisdiction.
    let target = account
        .as_ref()
        .map_or(node.jurisdiction(), |a| a.identity.jurisdiction);
    let act = AuditAction::Admin("operator-disable".into());
    node.authorize(&caller, Action::ManageOperators, target, act, &[])?;
    let disabled = match account {
        Some(_) => with_store(&node, move |s| s.disable(&name, now)).await?,
        None => Err(OperatorError::new(&AUTH_UNKNOWN_OPERATOR, name)),
    };
    match disabled {
        Ok(d) => {
            let detail = match d.newly {
                true => format!(
                    "disabled {}; sessions ended: {}",
                    d.identity.uri(),
                    d.sessions_ended
                ),
                false => format!("{} was disabled already", d.identity.uri()),
            };
            audit_act(&node, &caller, "disable", Ok(detail))?;
            Ok(Json(OperatorDisabled {
                identity: d.identity.uri(),
                sessions_ended: d.sessions_ended,
            }))
        }
        Err(e) => {
            audit_act(&node, &caller, "disable", Err(&e))?;
            Err(answer(e))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unknown_names_are_encoded_and_cut_to_the_audit_limit() {
        assert_eq!(unknown_actor("nobody"), "urn:juki:unknown:nobody");
        assert_eq!(
            unknown_actor("佐藤 x\n\"}"),
            "urn:juki:unknown:%E4%BD%90%E8%97%A4%20x%0A%22%7D"
        );
        let long = unknown_actor(&"あ".repeat(1_000));
        assert!(long.len() <= juki_audit::TEXT_BYTES_MAX, "{}", long.len());
        assert!(long.len() > juki_audit::TEXT_BYTES_MAX - 3);
        assert!(
            long.ends_with(|c: char| c.is_ascii_hexdigit()),
            "no piece is cut"
        );
    }

    #[test]
    fn only_bearer_authorisation_is_a_token() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, v.parse().unwrap());
            bearer(&h).map(|r| r.map_err(|e| e.def.code))
        };
        assert!(bearer(&HeaderMap::new()).is_none());
        assert_eq!(with("Bearer abc"), Some(Ok("abc".into())));
        assert_eq!(with("Basic abc"), Some(Err("JK-AUTH-0102")));
        assert_eq!(with("Bearer "), Some(Err("JK-AUTH-0102")));
    }
}

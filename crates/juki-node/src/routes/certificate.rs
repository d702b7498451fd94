//! Resident-record copies (住民票の写し): at the window of the clerk's own municipality, for a
//! resident of it, or — wide-area issuance (広域交付) — of a resident of another municipality,
//! whose node answers the routed kind `resident-copy` with the record as a copy shows it and
//! records the issuance in its own audit log. The window renders the copy (HTML for print, and
//! PDF on request; crates/juki-print),
//! with the issuing and home municipality, the date and a verification code.

use super::{AppState, json_body, read_inline};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::policy;
use crate::routing;
use crate::server::Node;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::post;
use juki_api::{RecordFields, ResidentCopy, ResidentCopyData, ResidentCopyRequest, RouteEnvelope};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::{
    NET_WRONG_ROLE, NODE_BAD_QUERY, NODE_RECORD_NOT_FOUND, SVC_PDF_GLYPH,
};
use juki_domain::{LocalGovernmentCode, RecordStatus, ResidentCode};
use std::sync::Arc;
use std::time::Duration;

/// The routed kind a home municipality answers.
pub const KIND: &str = "resident-copy";
/// How long a window waits for the home municipality.
const WIDE_AREA_TIMEOUT: Duration = Duration::from_secs(20);

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/v1/certificates/resident-copy", post(issue))
}

/// Registers the home side of wide-area issuance with the node's routing.
pub fn register(routing: &routing::Routing) {
    routing.register(
        KIND,
        Arc::new(|node, env| Box::pin(async move { answer_window(node, env).await })),
    );
}

fn bad(field: &'static str, p: juki_domain::Problem) -> ApiError {
    super::bad_query(field, p)
}

/// `POST /v1/certificates/resident-copy`.
async fn issue(
    State(node): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<axum::Json<ResidentCopy>, ApiError> {
    let req: ResidentCopyRequest = json_body(&node, body).await?;
    let code = ResidentCode::parse(&req.resident_code).map_err(|p| bad("resident_code", p))?;
    let targets = [code.to_string()];
    node.authorize(
        &caller,
        policy::Action::IssueCertificate,
        node.jurisdiction(),
        AuditAction::CertificateIssued,
        &targets,
    )?;
    let Some(window) = node.config.code else {
        return Err(ApiError::new(&NET_WRONG_ROLE));
    };
    let home = match &req.home {
        Some(h) => LocalGovernmentCode::parse(h).map_err(|p| bad("home", p))?,
        None => window,
    };
    let home = juki_domain::lgc::table()
        .serving_node(home)
        .map_or(home, |g| g.code);
    let wide_area = home != window;
    let data = if wide_area {
        node.require_service_hours()?;
        fetch(&node, &caller, code, home).await?
    } else {
        let view = read_inline(&node, move |s| s.record(code)).await?;
        match view {
            Some(v) if v.current.status == RecordStatus::Current => ResidentCopyData {
                resident_code: targets[0].clone(),
                fields: RecordFields::new(&v.current.record.facts, &v.current.local),
                home_node: node.node_uri.clone(),
                home_name: node.config.name.clone(),
            },
            _ => {
                return Err(node.deny(
                    &caller,
                    AuditAction::CertificateIssued,
                    &targets,
                    &NODE_RECORD_NOT_FOUND,
                    policy::Action::IssueCertificate,
                ));
            }
        }
    };
    let issued_ms = node.clock.now_ms();
    let certificate_id = format!("{window}-{}", caller.request_id);
    let issued_by_name = full_name(window);
    let home_name = full_name(home);
    let mut copy = ResidentCopy {
        certificate_id,
        verification_code: String::new(),
        issued_at: crate::access_index::rfc3339(issued_ms),
        issued_by: window.to_string(),
        issued_by_name,
        home: home.to_string(),
        home_name,
        wide_area,
        resident_code: data.resident_code,
        fields: data.fields,
        html: String::new(),
        pdf: None,
    };
    copy.verification_code = verification_code(&copy);
    let date = issue_date(issued_ms);
    copy.html = juki_print::html(&copy, &date);
    if req.pdf {
        copy.pdf = Some(render_pdf(&node, &copy, date).await?);
    }
    node.audit(
        node.audit_entry(&caller, AuditAction::CertificateIssued)
            .targets(targets.to_vec())
            .detail(format!(
                "resident-record copy {} (home {home}{})",
                copy.certificate_id,
                if wide_area { ", wide-area" } else { "" }
            )),
    )?;
    Ok(axum::Json(copy))
}

fn full_name(code: LocalGovernmentCode) -> String {
    juki_domain::lgc::table()
        .get(code)
        .map_or_else(|| code.to_string(), |g| g.full_name())
}

/// Asks the home municipality's node for the record, through the network.
async fn fetch(
    node: &Arc<Node>,
    caller: &Caller,
    code: ResidentCode,
    home: LocalGovernmentCode,
) -> Result<ResidentCopyData, ApiError> {
    let payload = serde_json::json!({
        "resident_code": code.to_string(),
        "requested_by": caller.identity.uri(),
    });
    let answer = routing::ask(
        node,
        &caller.request_id,
        home,
        KIND,
        payload,
        WIDE_AREA_TIMEOUT,
    )
    .await?;
    routing::answer_as(KIND, answer)
}

/// At the home municipality: the record as a copy shows it, for another municipality's window;
/// the issuance is recorded here too, in the name of the clerk at that window.
async fn answer_window(node: Arc<Node>, env: RouteEnvelope) -> Result<serde_json::Value, ApiError> {
    if node.tier() != policy::Tier::Municipal {
        return Err(ApiError::new(&NET_WRONG_ROLE));
    }
    node.require_service_hours()?;
    let code = env.payload["resident_code"]
        .as_str()
        .ok_or_else(|| {
            ApiError::with(
                &NODE_BAD_QUERY,
                serde_json::json!({ "field": "resident_code" }),
            )
        })
        .and_then(|c| ResidentCode::parse(c).map_err(|p| bad("resident_code", p)))?;
    let requested_by = env.payload["requested_by"].as_str().unwrap_or("");
    let view = read_inline(&node, move |s| s.record(code)).await?;
    let entry = super::routed_entry(
        &node,
        &env,
        requested_by,
        AuditAction::CertificateIssued,
        code,
    )
    .detail(format!(
        "wide-area resident-record copy for the window of {}",
        env.from.chars().take(16).collect::<String>()
    ));
    let Some(v) = view.filter(|v| v.current.status == RecordStatus::Current) else {
        node.audit(entry.result(juki_audit::Outcome::Denied(
            NODE_RECORD_NOT_FOUND.code.into(),
        )))?;
        return Err(ApiError::new(&NODE_RECORD_NOT_FOUND));
    };
    node.audit(entry)?;
    let data = ResidentCopyData {
        resident_code: code.to_string(),
        fields: RecordFields::new(&v.current.record.facts, &v.current.local),
        home_node: node.node_uri.clone(),
        home_name: node.config.name.clone(),
    };
    serde_json::to_value(data).map_err(|_| ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))
}

/// Twelve characters (Crockford-style base32 of a SHA-256) over what the copy states: anyone
/// holding the printed copy and the issuing municipality's records can check it.
fn verification_code(c: &ResidentCopy) -> String {
    let text = serde_json::json!([
        c.certificate_id,
        c.issued_at,
        c.issued_by,
        c.home,
        c.resident_code,
        c.fields
    ])
    .to_string();
    let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits: u64 = 0;
    for b in &d.as_ref()[..8] {
        bits = (bits << 8) | u64::from(*b);
    }
    (0..12)
        .map(|i| ALPHABET[((bits >> (64 - 5 * (i + 1))) & 31) as usize] as char)
        .collect::<String>()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The issue date as the copy prints it (Tokyo).
fn issue_date(issued_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(issued_ms)
        .map(|t| {
            crate::clock::tokyo()
                .to_datetime(t)
                .strftime("%Y年%m月%d日")
                .to_string()
        })
        .unwrap_or_default()
}

/// The copy as PDF, base64, in the node's certificate font (loaded once, on first use).
async fn render_pdf(
    node: &Arc<Node>,
    copy: &ResidentCopy,
    date: String,
) -> Result<String, ApiError> {
    let font = node.certificate_font()?;
    let copy = copy.clone();
    let rendered = tokio::task::spawn_blocking(move || juki_print::pdf(&copy, &date, &font))
        .await
        .map_err(|_| ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))?;
    match rendered {
        Ok(bytes) => Ok(data_encoding::BASE64.encode(&bytes)),
        Err(juki_print::PrintError::Glyph { ch }) => Err(ApiError::with(
            &SVC_PDF_GLYPH,
            serde_json::json!({ "char": format!("U+{:04X}", ch as u32) }),
        )),
        Err(e) => {
            tracing::error!(error = %e, "rendering a certificate PDF failed");
            Err(ApiError::new(&juki_domain::catalogue::NODE_INTERNAL))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::server::Peer;
    use axum::http::StatusCode;

    async fn post_as(
        node: &Arc<Node>,
        peer: Peer,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let path = "/v1/certificates/resident-copy";
        crate::routes::tests::post_as(node, path, peer, body.to_string().into_bytes()).await
    }

    fn person(role: juki_pki::Role, code: &str) -> Peer {
        let c = LocalGovernmentCode::parse(code).unwrap();
        Peer(Some(
            juki_pki::Identity::new(role, juki_pki::Jurisdiction::Local(c), role.as_str()).unwrap(),
        ))
    }

    /// Out of operating hours a wide-area copy is refused with JK-POL-0107 naming the rule,
    /// while the window's own residents are still served; other municipalities' clerks and
    /// upper-tier roles may not issue here.
    #[tokio::test]
    async fn wide_area_copies_keep_operating_hours_and_the_window_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let node = crate::routes::tests::node(dir.path(), |c| {
            c.hours = crate::hours::OperatingHours::from_settings(&crate::hours::HoursSettings {
                days: vec![],
                ..Default::default()
            })
            .unwrap();
        });
        let clerk = || person(juki_pki::Role::Clerk, "131148");
        let code = juki_domain::ResidentCode::from_body(1_000_000_001).to_string();
        let (status, body) = post_as(
            &node,
            clerk(),
            serde_json::json!({ "resident_code": code, "home": "131202" }),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "JK-POL-0107");
        assert!(
            body["detail"]["hours"]
                .as_str()
                .unwrap()
                .starts_with("never"),
            "{body}"
        );
        // The window's own resident: not refused for the hour (this one is not held here).
        let (status, body) =
            post_as(&node, clerk(), serde_json::json!({ "resident_code": code })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["code"], "JK-NODE-0106");
        let (status, body) = post_as(
            &node,
            person(juki_pki::Role::Clerk, "131202"),
            serde_json::json!({ "resident_code": code }),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("JK-POL-0102"))
        );
        let (status, body) = post_as(
            &node,
            person(juki_pki::Role::Admin, "130001"),
            serde_json::json!({ "resident_code": code }),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("JK-POL-0101"))
        );
    }
}

//! Resident-record copies (住民票の写し): at the window of the clerk's own municipality, for a
//! resident of it, or — wide-area issuance (広域交付) — of a resident of another municipality,
//! whose node answers the routed kind `resident-copy` with the record as a copy shows it and
//! records the issuance in its own audit log. The window renders the copy (HTML for print),
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
use juki_domain::catalogue::{NET_WRONG_ROLE, NODE_BAD_QUERY, NODE_RECORD_NOT_FOUND};
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
    };
    copy.verification_code = verification_code(&copy);
    copy.html = render(&copy, issued_ms);
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

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The copy for printing: A4, the fields a copy shows, issuing and home municipality, the
/// date in Tokyo and the verification code.
fn render(c: &ResidentCopy, issued_ms: i64) -> String {
    let f = &c.fields;
    let date = jiff::Timestamp::from_millisecond(issued_ms)
        .map(|t| {
            crate::clock::tokyo()
                .to_datetime(t)
                .strftime("%Y年%m月%d日")
                .to_string()
        })
        .unwrap_or_default();
    let row = |k: &str, v: &str| format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v));
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut rows = String::new();
    rows.push_str(&row("氏名", &format!("{} {}", f.family_name, f.given_name)));
    rows.push_str(&row(
        "ふりがな",
        &format!("{} {}", f.family_name_kana, f.given_name_kana),
    ));
    rows.push_str(&row("生年月日", &f.birth_date));
    rows.push_str(&row("性別", &f.sex));
    rows.push_str(&row("住所", &format!("{}{}", c.home_name, f.address)));
    rows.push_str(&row("住民票コード", &c.resident_code));
    rows.push_str(&row("世帯主", &opt(&f.household_head)));
    rows.push_str(&row("続柄", &opt(&f.relationship)));
    rows.push_str(&row("住民となった年月日", &opt(&f.resident_since)));
    rows.push_str(&row("住所を定めた年月日", &opt(&f.address_since)));
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>住民票の写し {id}</title>\n\
         <style>@page {{ size: A4; margin: 20mm }} body {{ font-family: 'IPAexMincho', serif }} \
         table {{ border-collapse: collapse; width: 100% }} th, td {{ border: 1px solid #000; padding: 4px 8px; text-align: left }} \
         th {{ width: 30% }}</style></head>\n<body>\n<h1>住民票の写し</h1>\n\
         <p>{kind}</p>\n<table>\n{rows}</table>\n\
         <p>この写しは、住民票の原本と相違ないことを証明する。</p>\n\
         <p>{date}　{issuer}長（交付地 {issued_by}）</p>\n<p>住所地: {home} ({home_code})</p>\n\
         <p>証明書番号 {id}　検証コード <strong>{code}</strong></p>\n</body></html>\n",
        id = esc(&c.certificate_id),
        kind = if c.wide_area {
            "広域交付（住民基本台帳法第12条の4）"
        } else {
            "交付"
        },
        rows = rows,
        date = esc(&date),
        issuer = esc(&c.issued_by_name),
        issued_by = esc(&c.issued_by),
        home = esc(&c.home_name),
        home_code = esc(&c.home),
        code = esc(&c.verification_code),
    )
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

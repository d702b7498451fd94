//! Routed requests (crate::routing): the relay between nodes, a child's announcement of its
//! URL, and the ping a person asks their own node for.

use super::{AppState, json_body};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::policy;
use crate::routing::{self, Destination};
use crate::server::Peer;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::routing::post;
use juki_api::{
    HelloRequest, HelloResponse, PROTOCOL_VERSION, PingReport, RouteAnswer, RouteEnvelope,
};
use juki_audit::Action as AuditAction;
use juki_domain::LocalGovernmentCode;
use juki_domain::catalogue::{
    NET_ROUTE_BAD_ENVELOPE, NET_ROUTE_REFUSED, NET_WRONG_ROLE, NODE_INTERNAL, TLS_NO_CLIENT_CERT,
};
use juki_pki::Jurisdiction;
use std::time::Instant;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/route", post(route))
        .route("/v1/route/ping/{code}", post(ping))
        .route("/v1/link/hello", post(hello))
}

/// `POST /v1/route`: a routed request from a neighbouring node — its parent, a child, or a
/// node this node's `[routes]` names — with that node's certificate; people never.
async fn route(
    State(node): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    body: Body,
) -> Result<axum::Json<RouteAnswer>, ApiError> {
    let peer = peer
        .and_then(|p| p.0.0)
        .ok_or_else(|| ApiError::new(&TLS_NO_CLIENT_CERT))?;
    let me = node.own_identity()?;
    if let Err(refusal) = juki_pki::may_route(&peer, &me) {
        let configured = peer.role.is_node()
            && matches!(peer.jurisdiction, Jurisdiction::Local(c) if node.config.routes.contains_key(&c));
        if !configured {
            return Err(ApiError::with(
                &NET_ROUTE_REFUSED,
                serde_json::json!({ "certificate": peer.uri(), "reason": refusal.to_string() }),
            ));
        }
    }
    let env: RouteEnvelope = json_body(&node, body).await?;
    Ok(axum::Json(routing::relay(&node, env).await?))
}

/// `POST /v1/link/hello`: a child tells this node the URL it serves at.
async fn hello(
    State(node): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    body: Body,
) -> Result<axum::Json<HelloResponse>, ApiError> {
    let req: HelloRequest = json_body(&node, body).await?;
    routing::check_protocol(req.protocol)?;
    let from = LocalGovernmentCode::parse(&req.from).map_err(|_| {
        ApiError::with(
            &NET_WRONG_ROLE,
            serde_json::json!({ "reason": "from: not a local government code" }),
        )
    })?;
    node.authorize_child(peer.map(|p| p.0), from)?;
    routing::check_url(&req.url).map_err(|reason| {
        ApiError::with(
            &NET_ROUTE_BAD_ENVELOPE,
            serde_json::json!({ "field": "url", "reason": reason }),
        )
    })?;
    let (n, url) = (node.clone(), req.url.clone());
    let saved =
        tokio::task::spawn_blocking(move || n.routing.set_child(&n.config.data_dir, from, &url))
            .await;
    match saved {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, child = %from, "keeping a child's URL on disk"),
        Err(e) => tracing::warn!(error = %e, child = %from, "keeping a child's URL on disk"),
    }
    tracing::debug!(child = %from, url = %req.url, "a child announced its URL");
    Ok(axum::Json(HelloResponse {
        protocol: PROTOCOL_VERSION,
    }))
}

/// `POST /v1/route/ping/{code}`: a person asks this node to ping node `code` (or `national`)
/// through the network; the answer names the path taken and the round-trip time.
async fn ping(
    State(node): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<axum::Json<PingReport>, ApiError> {
    let target: String = code.chars().take(16).collect();
    node.authorize(
        &caller,
        policy::Action::ReadStatus,
        node.jurisdiction(),
        AuditAction::Admin("route-ping".into()),
        std::slice::from_ref(&target),
    )?;
    let to = Destination::parse(&code)?;
    let from = node
        .config
        .code
        .map_or_else(|| "national".to_string(), |c| c.to_string());
    let request_id = if caller.request_id.is_empty() {
        format!("ping-{}", node.clock.now_ms())
    } else {
        caller.request_id.clone()
    };
    let env = RouteEnvelope {
        protocol: PROTOCOL_VERSION,
        request_id,
        deadline_ms: node.clock.now_ms() + routing::PING_TIMEOUT.as_millis() as i64,
        hops: 0,
        from,
        to: to.to_string(),
        kind: "ping".into(),
        payload: serde_json::json!({}),
    };
    let started = Instant::now();
    let answer = routing::relay(&node, env).await?;
    let rtt_ms = started.elapsed().as_millis() as u64;
    let ping = serde_json::from_value(answer.payload).map_err(|e| {
        tracing::warn!(error = %e, "a ping answered something else");
        ApiError::new(&NODE_INTERNAL)
    })?;
    Ok(axum::Json(PingReport {
        to: to.to_string(),
        path: answer.path,
        rtt_ms,
        answer: ping,
    }))
}

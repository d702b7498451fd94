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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::StatusCode;
    use juki_pki::Identity;
    use std::sync::Arc;

    /// 中野区's node, standalone (no parent), its clock at a fixed instant.
    fn nakano(dir: &std::path::Path) -> Arc<crate::Node> {
        crate::routes::tests::node(dir, |_| {})
    }

    fn who(role: juki_pki::Role, code: &str) -> Peer {
        let c = LocalGovernmentCode::parse(code).unwrap();
        Peer(Some(
            Identity::new(role, Jurisdiction::Local(c), role.as_str()).unwrap(),
        ))
    }

    fn envelope(node: &crate::Node) -> RouteEnvelope {
        RouteEnvelope {
            protocol: PROTOCOL_VERSION,
            request_id: "t-1".into(),
            deadline_ms: node.clock.now_ms() + 5_000,
            hops: 1,
            from: "272191".into(),
            to: "131148".into(),
            kind: "ping".into(),
            payload: serde_json::json!({}),
        }
    }

    async fn relay_as(
        node: &Arc<crate::Node>,
        peer: Peer,
        env: &RouteEnvelope,
    ) -> (StatusCode, serde_json::Value) {
        let body = serde_json::to_vec(env).unwrap();
        crate::routes::tests::post_as(node, "/v1/route", peer, body).await
    }

    #[tokio::test]
    async fn the_destination_answers_and_every_refusal_names_its_cause() {
        let dir = tempfile::tempdir().unwrap();
        let node = nakano(dir.path());
        let parent = who(juki_pki::Role::Prefecture, "130001");
        let env = envelope(&node);

        let (status, body) = relay_as(&node, parent.clone(), &env).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["path"], serde_json::json!(["131148 中野区"]));
        assert_eq!(body["payload"]["name"], "中野区");

        let cases = [
            (
                RouteEnvelope {
                    kind: "nothing".into(),
                    ..env.clone()
                },
                "JK-NET-0125",
            ),
            (
                RouteEnvelope {
                    hops: crate::routing::HOPS_MAX + 1,
                    ..env.clone()
                },
                "JK-NET-0124",
            ),
            (
                RouteEnvelope {
                    deadline_ms: node.clock.now_ms() - 1,
                    ..env.clone()
                },
                "JK-NET-0123",
            ),
            (
                RouteEnvelope {
                    to: "999999".into(),
                    ..env.clone()
                },
                "JK-NET-0121",
            ),
            // Up to a parent this standalone node does not have.
            (
                RouteEnvelope {
                    to: "272191".into(),
                    ..env.clone()
                },
                "JK-NET-0122",
            ),
        ];
        for (e, code) in cases {
            let (_, body) = relay_as(&node, parent.clone(), &e).await;
            assert_eq!(body["code"], code, "{body}");
        }

        // People, and nodes that are not linked to this one, are refused.
        for peer in [
            who(juki_pki::Role::Clerk, "131148"),
            who(juki_pki::Role::Prefecture, "270008"),
            who(juki_pki::Role::Municipal, "131202"),
        ] {
            let (status, body) = relay_as(&node, peer, &env).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("JK-NET-0126")),
                "{body}"
            );
        }
        let (status, _) = relay_as(&node, Peer(None), &env).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

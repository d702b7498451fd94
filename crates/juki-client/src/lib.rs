//! A typed client of a juki node (docs/api.md): HTTPS with HTTP/2, trusting the CA the caller
//! names; every error answer is decoded into its FORMATS §5 body.

use juki_api::{
    ErrorBody, ForwardRequest, ForwardResponse, Health, LoginRequest, LoginResponse,
    LogoutResponse, OperatorAddRequest, OperatorDisabled, OperatorEnrolment, OperatorList,
    PoolGrant, PoolRequest, RecordResponse, SearchResponse, Status, SubmitRequest, SubmitResponse,
};
mod profile;

pub use profile::{Endpoint, Profile, write_profile};

use std::sync::Arc;
use std::time::Duration;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node answered with an error body.
    #[error("{status} {}: {} / {}", .body.code, .body.message_ja, .body.message_en)]
    Refused {
        status: u16,
        retry_after: Option<u64>,
        body: ErrorBody,
    },
    /// The TLS handshake was refused for a reason the catalogue names (a revoked or unknown
    /// certificate, the wrong node at the other end, …).
    #[error("{def}: {detail}")]
    Tls {
        def: &'static juki_domain::ErrorDef,
        detail: String,
    },
    /// The node could not be reached, or answered something that is not juki's.
    #[error("node unreachable or answered unexpectedly: {0}")]
    Transport(String),
    #[error("client configuration: {0}")]
    Config(String),
}

/// A connection to one node.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    /// A login session's token, sent as `Authorization: Bearer …` with every request.
    bearer: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("session", &self.bearer.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the node at `base` (e.g. `https://127.0.0.1:7443`) trusting the CA
    /// certificates in `ca_pem`.
    pub fn new(base: &str, ca_pem: &[u8], timeout: Duration) -> Result<Client, ClientError> {
        Client::with_tls(base, Client::trusting(ca_pem)?, timeout)
    }

    /// A TLS configuration trusting the CA certificates in `ca_pem`, presenting no client
    /// certificate.
    pub fn trusting(ca_pem: &[u8]) -> Result<rustls::ClientConfig, ClientError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut &*ca_pem) {
            let cert = cert.map_err(|e| ClientError::Config(format!("CA file: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| ClientError::Config(format!("CA certificate: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Config(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(tls)
    }

    /// A client of the node at `base` over `tls` (which names the CA, the client certificate
    /// and what the server must be; see juki-pki). HTTP/2 is offered by ALPN.
    pub fn with_tls(
        base: &str,
        mut tls: rustls::ClientConfig,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        if tls.alpn_protocols.is_empty() {
            tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .build()
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            http,
            bearer: None,
        })
    }

    /// The same client, sending a login session's token with every request (for a connection
    /// that presents no client certificate; a certificate, when presented, wins).
    pub fn with_bearer(&self, token: &str) -> Client {
        Client {
            bearer: Some(token.to_string()),
            ..self.clone()
        }
    }

    async fn decode<T: serde::de::DeserializeOwned>(
        resp: reqwest::Response,
    ) -> Result<T, ClientError> {
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| ClientError::Transport(format!("bad body: {e}")));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(ClientError::Refused {
                status: status.as_u16(),
                retry_after,
                body,
            }),
            Err(_) => Err(ClientError::Transport(format!(
                "HTTP {status} without a juki error body"
            ))),
        }
    }

    /// A failed request: a TLS refusal the catalogue names, or a transport failure.
    fn transport(e: reqwest::Error) -> ClientError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = source {
            let def = err
                .downcast_ref::<std::io::Error>()
                .and_then(juki_pki::io_error_def)
                .or_else(|| {
                    err.downcast_ref::<rustls::Error>()
                        .and_then(juki_pki::handshake_error_def)
                });
            if let Some(def) = def {
                return ClientError::Tls {
                    def,
                    detail: err.to_string(),
                };
            }
            source = err.source();
        }
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(err) = source {
            message.push_str(&format!(": {err}"));
            source = err.source();
        }
        ClientError::Transport(message)
    }

    /// Sends a request built on `path` of this node.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        build(req).send().await.map_err(Self::transport)
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        Ok(self.health_and_protocol().await?.0)
    }

    /// The health answer and the HTTP version the connection negotiated (e.g. `HTTP/2.0`).
    pub async fn health_and_protocol(&self) -> Result<(Health, String), ClientError> {
        let resp = self.send(reqwest::Method::GET, "/healthz", |r| r).await?;
        let version = format!("{:?}", resp.version());
        Ok((Self::decode(resp).await?, version))
    }

    pub async fn submit(&self, req: &SubmitRequest) -> Result<SubmitResponse, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/changes", |r| r.json(req))
            .await?;
        Self::decode(resp).await
    }

    pub async fn record(&self, resident_code: &str) -> Result<RecordResponse, ClientError> {
        let resp = self
            .send(
                reqwest::Method::GET,
                &format!("/v1/records/{resident_code}"),
                |r| r,
            )
            .await?;
        Self::decode(resp).await
    }

    /// `params`: `kana`, `birth_date`, `sex`, and optionally `address_code`, `address_prefix`,
    /// `include_closed`, `limit`, `page_token`.
    pub async fn search(&self, params: &[(&str, &str)]) -> Result<SearchResponse, ClientError> {
        let resp = self
            .send(reqwest::Method::GET, "/v1/search", |r| r.query(params))
            .await?;
        Self::decode(resp).await
    }

    /// The node's status (FORMATS §4 `status`).
    pub async fn status(&self) -> Result<Status, ClientError> {
        let resp = self.send(reqwest::Method::GET, "/v1/status", |r| r).await?;
        Self::decode(resp).await
    }

    /// Forwards journal entries to this node as its child.
    pub async fn forward(&self, req: &ForwardRequest) -> Result<ForwardResponse, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/link/forward", |r| r.json(req))
            .await?;
        Self::decode(resp).await
    }

    /// A page of this node's digest of `scope`'s entries (docs/backup.md): at or below `cut`
    /// (`EPOCH:SEQ`) when given, the leaves after index `after`.
    pub async fn digest(
        &self,
        scope: &str,
        cut: Option<&str>,
        after: Option<u64>,
    ) -> Result<juki_api::DigestResponse, ClientError> {
        let mut q: Vec<(&str, String)> = vec![("scope", scope.to_string())];
        if let Some(c) = cut {
            q.push(("cut", c.to_string()));
        }
        if let Some(a) = after {
            q.push(("after", a.to_string()));
        }
        let resp = self
            .send(reqwest::Method::GET, "/v1/digest", |r| r.query(&q))
            .await?;
        Self::decode(resp).await
    }

    /// A page of `scope`'s entries about the code bodies `start..end` (one leaf range).
    pub async fn digest_entries(
        &self,
        scope: &str,
        start: u64,
        end: u64,
        page_token: Option<&str>,
    ) -> Result<juki_api::DigestEntries, ClientError> {
        let mut q: Vec<(&str, String)> = vec![
            ("scope", scope.to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
        ];
        if let Some(t) = page_token {
            q.push(("page_token", t.to_string()));
        }
        let resp = self
            .send(reqwest::Method::GET, "/v1/digest/entries", |r| r.query(&q))
            .await?;
        Self::decode(resp).await
    }

    /// Asks a municipal node to compare its entries with its parent's and repair them.
    pub async fn reconcile(&self, dry_run: bool) -> Result<juki_api::ReconcileReport, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/digest/reconcile", |r| {
                r.query(&[("dry_run", dry_run)])
            })
            .await?;
        Self::decode(resp).await
    }

    /// Asks this node, as its child, for a pool of resident codes.
    pub async fn request_pool(&self, req: &PoolRequest) -> Result<PoolGrant, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/link/code-pools", |r| {
                r.json(req)
            })
            .await?;
        Self::decode(resp).await
    }

    /// Identity verification for an agency (`juki identity verify`).
    pub async fn identity(
        &self,
        resident_code: &str,
        purpose: Option<&str>,
    ) -> Result<juki_api::IdentityResponse, ClientError> {
        let resp = self
            .send(
                reqwest::Method::GET,
                &format!("/v1/identity/{resident_code}"),
                |r| match purpose {
                    Some(p) => r.query(&[("purpose", p)]),
                    None => r,
                },
            )
            .await?;
        Self::decode(resp).await
    }

    /// Identity verification in bulk: `body` is JSON lines of queries; the answer streams
    /// back as JSON lines (read it with `chunk()`), the last a `stopped` line if it ended early.
    pub async fn identity_batch(
        &self,
        purpose: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/identity/batch", |r| {
                r.query(&[("purpose", purpose)])
                    .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
                    .body(body)
            })
            .await?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(Self::decode::<serde_json::Value>(resp)
            .await
            .err()
            .unwrap_or_else(|| ClientError::Transport("refused without an error body".into())))
    }

    /// Streams a change file to this node's gateway (`POST /v1/gateway/submit`, `juki gw
    /// submit`); `sent` is told how many bytes have gone so far. A large file may take long:
    /// the request may take an hour.
    pub async fn gateway_submit(
        &self,
        file: tokio::fs::File,
        format: &str,
        encoding: Option<&str>,
        sent: std::sync::Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<juki_api::GatewaySubmitted, ClientError> {
        use futures_util::StreamExt;
        let mut total = 0u64;
        let stream =
            tokio_util::io::ReaderStream::with_capacity(file, 1 << 16).inspect(move |chunk| {
                if let Ok(c) = chunk {
                    total += c.len() as u64;
                    sent(total);
                }
            });
        let mut query = vec![("format", format)];
        if let Some(e) = encoding {
            query.push(("encoding", e));
        }
        let resp = self
            .send(reqwest::Method::POST, "/v1/gateway/submit", |r| {
                r.query(&query)
                    .timeout(std::time::Duration::from_secs(3_600))
                    .body(reqwest::Body::wrap_stream(stream))
            })
            .await?;
        Self::decode(resp).await
    }

    /// Identity verification by the four facts for an agency (`juki identity search`).
    /// `params`: `purpose`, `kana`, `birth_date`, `sex`, and optionally `name`, `address_code`,
    /// `address`, `limit`.
    pub async fn identity_search(
        &self,
        params: &[(&str, &str)],
    ) -> Result<juki_api::IdentitySearchResponse, ClientError> {
        let resp = self
            .send(reqwest::Method::GET, "/v1/identity/search", |r| {
                r.query(params)
            })
            .await?;
        Self::decode(resp).await
    }

    /// Issues a resident-record copy at this node's window (`juki certificate issue`).
    pub async fn resident_copy(
        &self,
        req: &juki_api::ResidentCopyRequest,
    ) -> Result<juki_api::ResidentCopy, ClientError> {
        self.post_json("/v1/certificates/resident-copy", req).await
    }

    /// Notifies a special move-out at this node's municipality (`juki move out`).
    pub async fn move_out(
        &self,
        req: &juki_api::MoveOutRequest,
    ) -> Result<juki_api::MoveOut, ClientError> {
        self.post_json("/v1/moves/out", req).await
    }

    /// Records a special move-in at this node's municipality (`juki move in`).
    pub async fn move_in(
        &self,
        req: &juki_api::MoveInRequest,
    ) -> Result<juki_api::MoveIn, ClientError> {
        self.post_json("/v1/moves/in", req).await
    }

    /// The special move procedures about a resident at this node (`juki move status`).
    pub async fn move_status(
        &self,
        resident_code: &str,
    ) -> Result<juki_api::MoveStatus, ClientError> {
        let resp = self
            .send(
                reqwest::Method::GET,
                &format!("/v1/moves/{resident_code}"),
                |r| r,
            )
            .await?;
        Self::decode(resp).await
    }

    /// A resident's disclosure report (開示), produced at this node and the tiers above it.
    pub async fn disclosure(
        &self,
        resident_code: &str,
    ) -> Result<juki_api::DisclosureReport, ClientError> {
        let resp = self
            .send(
                reqwest::Method::GET,
                &format!("/v1/disclosure/{resident_code}"),
                |r| r,
            )
            .await?;
        Self::decode(resp).await
    }

    /// Asks this node, as its child, for its part of a disclosure report.
    pub async fn disclosure_parts(
        &self,
        req: &juki_api::DisclosureRequest,
    ) -> Result<juki_api::DisclosureParts, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/link/disclosure", |r| {
                r.json(req)
            })
            .await?;
        Self::decode(resp).await
    }

    /// Relays a routed request to this node (its parent, child or configured route), waiting
    /// at most `timeout` (the time left before the envelope's deadline).
    pub async fn route(
        &self,
        env: &juki_api::RouteEnvelope,
        timeout: Duration,
    ) -> Result<juki_api::RouteAnswer, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/route", |r| {
                r.json(env).timeout(timeout)
            })
            .await?;
        Self::decode(resp).await
    }

    /// Tells this node, as its child, the URL this child serves at.
    pub async fn hello(
        &self,
        req: &juki_api::HelloRequest,
    ) -> Result<juki_api::HelloResponse, ClientError> {
        self.post_json("/v1/link/hello", req).await
    }

    /// Asks this node to ping node `code` (a local government code, or `national`) through
    /// the network (`juki route ping`).
    pub async fn route_ping(&self, code: &str) -> Result<juki_api::PingReport, ClientError> {
        let resp = self
            .send(
                reqwest::Method::POST,
                &format!("/v1/route/ping/{code}"),
                |r| r,
            )
            .await?;
        Self::decode(resp).await
    }

    /// Verifies this node's audit log (`juki audit verify --profile`).
    pub async fn audit_verify(&self) -> Result<serde_json::Value, ClientError> {
        let resp = self
            .send(reqwest::Method::GET, "/v1/audit/verify", |r| r)
            .await?;
        Self::decode(resp).await
    }

    /// Logs in with a password and one-time code; needs no client certificate.
    pub async fn login(&self, req: &LoginRequest) -> Result<LoginResponse, ClientError> {
        self.post_json("/v1/login", req).await
    }

    /// Ends the session of this client's bearer token ([`Client::with_bearer`]).
    pub async fn logout(&self) -> Result<LogoutResponse, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, "/v1/logout", |r| r)
            .await?;
        Self::decode(resp).await
    }

    /// The operator accounts within the caller's jurisdiction.
    pub async fn operators(&self) -> Result<OperatorList, ClientError> {
        let resp = self
            .send(reqwest::Method::GET, "/v1/operators", |r| r)
            .await?;
        Self::decode(resp).await
    }

    /// Adds an operator account; the answer holds its one-time-code secret, shown once.
    pub async fn add_operator(
        &self,
        req: &OperatorAddRequest,
    ) -> Result<OperatorEnrolment, ClientError> {
        self.post_json("/v1/operators", req).await
    }

    /// Disables an operator account and ends its sessions.
    pub async fn disable_operator(&self, name: &str) -> Result<OperatorDisabled, ClientError> {
        let path = format!("/v1/operators/{}/disable", path_segment(name));
        let resp = self.send(reqwest::Method::POST, &path, |r| r).await?;
        Self::decode(resp).await
    }

    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, ClientError> {
        let resp = self
            .send(reqwest::Method::POST, path, |r| r.json(body))
            .await?;
        Self::decode(resp).await
    }

    /// The raw Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let resp = self.send(reqwest::Method::GET, "/metrics", |r| r).await?;
        resp.text().await.map_err(Self::transport)
    }

    /// Asks this node to stop: at once outside its operating hours, else as a request for
    /// approval (docs/approvals.md).
    pub async fn stop_node(
        &self,
        body: &juki_api::ReasonBody,
    ) -> Result<juki_api::OperationAnswer, ClientError> {
        self.post_json("/v1/node/stop", body).await
    }

    /// Asks the national node to revoke the certificate `serial` (a request for approval).
    pub async fn revoke_certificate(
        &self,
        serial: &str,
        body: &juki_api::ReasonBody,
    ) -> Result<juki_api::OperationAnswer, ClientError> {
        self.post_json(&format!("/v1/certificates/{serial}/revoke"), body)
            .await
    }

    /// Pending and recent approval requests held by this node.
    pub async fn approvals(&self) -> Result<juki_api::ApprovalList, ClientError> {
        let resp = self
            .send(reqwest::Method::GET, "/v1/approvals", |r| r)
            .await?;
        Self::decode(resp).await
    }

    /// One approval request.
    pub async fn approval(&self, id: &str) -> Result<juki_api::Approval, ClientError> {
        let resp = self
            .send(reqwest::Method::GET, &format!("/v1/approvals/{id}"), |r| r)
            .await?;
        Self::decode(resp).await
    }

    /// Approves request `id`; the answer is the request once carried out.
    pub async fn approve(
        &self,
        id: &str,
        body: &juki_api::ReasonBody,
    ) -> Result<juki_api::Approval, ClientError> {
        self.post_json(&format!("/v1/approvals/{id}/approve"), body)
            .await
    }

    /// One page of the entries municipality `recorded_by` recorded that this upper-tier node
    /// holds, after position `after` of its journal (`GET /v1/export`).
    pub async fn export(
        &self,
        recorded_by: &str,
        after: u64,
        limit: usize,
    ) -> Result<juki_api::ExportPage, ClientError> {
        let (after, limit) = (after.to_string(), limit.to_string());
        let q = [
            ("recorded_by", recorded_by),
            ("after", after.as_str()),
            ("limit", limit.as_str()),
        ];
        let resp = self
            .send(reqwest::Method::GET, "/v1/export", |r| r.query(&q))
            .await?;
        Self::decode(resp).await
    }

    /// Asks this node (the parent of node `code`) for approval of a restore or rebuild of it.
    pub async fn request_restore(
        &self,
        code: &str,
        body: &juki_api::RestoreRequestBody,
    ) -> Result<juki_api::OperationAnswer, ClientError> {
        self.post_json(&format!("/v1/nodes/{}/restore", path_segment(code)), body)
            .await
    }

    /// Uses the approved restore-node request `id` for the operation `body` names (once).
    pub async fn use_approval(
        &self,
        id: &str,
        body: &juki_api::UseApprovalBody,
    ) -> Result<juki_api::Approval, ClientError> {
        self.post_json(&format!("/v1/approvals/{}/use", path_segment(id)), body)
            .await
    }

    /// Rejects (or, as its requester, withdraws) request `id`.
    pub async fn reject(
        &self,
        id: &str,
        body: &juki_api::ReasonBody,
    ) -> Result<juki_api::Approval, ClientError> {
        self.post_json(&format!("/v1/approvals/{id}/reject"), body)
            .await
    }
}

/// `text` as one path segment: every byte outside `A-Z a-z 0-9 - . _ ~` percent-encoded.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_stay_one_path_segment() {
        assert_eq!(path_segment("sato-2"), "sato-2");
        assert_eq!(path_segment("../a b/佐"), "..%2Fa%20b%2F%E4%BD%90");
    }
}

//! Routing: any node addresses any other by local government code (or `national`). A routed
//! request travels in an envelope (`juki_api::RouteEnvelope`) hop by hop along the tree —
//! municipal node → prefecture → national → prefecture → municipal node — or straight to a
//! node named in `[routes]`; each hop gives the next only the time left before the envelope's
//! deadline, and counts hops so that a misconfigured table cannot loop. At the destination a
//! handler registered for the envelope's `kind` answers; the answer returns along the same
//! path, which it records.
//!
//! Parents learn where their children are from the children themselves: a child announces its
//! URL (`POST /v1/link/hello`) when its link starts and every few minutes after; the parent
//! keeps the URLs in memory and in `DATA/children.json`, so that a restarted parent routes at
//! once.

use crate::error::ApiError;
use crate::server::Node;
use juki_api::{PROTOCOL_VERSION, PingAnswer, RouteAnswer, RouteEnvelope};
use juki_client::{Client, ClientError};
use juki_domain::catalogue::{
    NET_PROTOCOL_VERSION, NET_ROUTE_BAD_ENVELOPE, NET_ROUTE_DEADLINE, NET_ROUTE_NO_HANDLER,
    NET_ROUTE_TOO_MANY_HOPS, NET_ROUTE_UNKNOWN_DESTINATION, NET_ROUTE_UNREACHABLE, NODE_INTERNAL,
};
use juki_domain::lgc::{self, LgcKind};
use juki_domain::{ErrorDef, LocalGovernmentCode};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Nodes a routed request may pass through before it is refused. The longest route along the
/// tree takes four hops (CS → prefecture → national → prefecture → CS).
pub const HOPS_MAX: u32 = 6;
/// The largest payload a routed request may carry, bytes of JSON.
pub const PAYLOAD_BYTES_MAX: usize = 256 * 1024;
/// The longest URL a node may announce or be configured with.
pub const URL_BYTES_MAX: usize = 512;
/// The longest request id and kind.
const REQUEST_ID_MAX: usize = 128;
const KIND_MAX: usize = 64;
/// Where a parent keeps its children's URLs.
pub const CHILDREN_FILE: &str = "children.json";
/// The deadline of a ping a person asks for.
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a child announces its URL again after the parent took it.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(300);
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// The client timeout of a hop's connection (each request sets its own, shorter one).
const HOP_CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a routed request is going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    National,
    Local(LocalGovernmentCode),
}

impl Destination {
    /// `national` or a local government code.
    pub fn parse(s: &str) -> Result<Destination, ApiError> {
        if s == "national" {
            return Ok(Destination::National);
        }
        LocalGovernmentCode::parse(s)
            .map(Destination::Local)
            .map_err(|_| {
                ApiError::with(
                    &NET_ROUTE_UNKNOWN_DESTINATION,
                    serde_json::json!({ "to": bounded(s) }),
                )
            })
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::National => f.write_str("national"),
            Destination::Local(c) => write!(f, "{c}"),
        }
    }
}

/// The next hop of a routed request at one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hop {
    /// This node is the destination.
    Here,
    /// Up to this node's parent.
    Parent,
    /// Down to this node's child with this code.
    Child(LocalGovernmentCode),
    /// Straight to the node with this code, at this URL (`[routes]`).
    Direct(LocalGovernmentCode, String),
}

/// The node that serves `to`: the national node (None), a prefecture's node, or a
/// municipality's (a designated city's ward is served by the city).
pub fn serving_node(to: Destination) -> Result<Option<LocalGovernmentCode>, &'static ErrorDef> {
    let Destination::Local(code) = to else {
        return Ok(None);
    };
    let table = lgc::table();
    let row = table.get(code).ok_or(&NET_ROUTE_UNKNOWN_DESTINATION)?;
    if row.kind == LgcKind::Prefecture {
        return Ok(Some(row.code));
    }
    table
        .serving_node(code)
        .filter(|r| r.kind.has_node())
        .map(|r| Some(r.code))
        .ok_or(&NET_ROUTE_UNKNOWN_DESTINATION)
}

/// Where a node of `role` and code `me` sends a request for `to`: pure, for every tier.
pub fn next_hop(
    role: crate::config::Role,
    me: Option<LocalGovernmentCode>,
    to: Destination,
    routes: &BTreeMap<LocalGovernmentCode, String>,
) -> Result<Hop, &'static ErrorDef> {
    use crate::config::Role;
    let target = serving_node(to)?;
    let here = match role {
        Role::National => target.is_none(),
        _ => target.is_some() && target == me,
    };
    if here {
        return Ok(Hop::Here);
    }
    if let Some(t) = target
        && let Some(url) = routes.get(&t)
    {
        return Ok(Hop::Direct(t, url.clone()));
    }
    Ok(match (role, target, me) {
        (Role::National, Some(t), _) => Hop::Child(t.prefecture_code()),
        (Role::Prefecture, Some(t), Some(me)) if t.prefecture() == me.prefecture() => Hop::Child(t),
        _ => Hop::Parent,
    })
}

/// Checks a URL a node is reached at: `https://`, a host, printable ASCII, bounded.
pub fn check_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(format!("{:?}: must be an https:// URL", bounded(url)));
    };
    if url.len() > URL_BYTES_MAX {
        return Err(format!(
            "a URL of {} bytes: at most {URL_BYTES_MAX}",
            url.len()
        ));
    }
    if rest.is_empty() || rest.starts_with('/') || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{url:?}: not a URL with a host"));
    }
    Ok(())
}

/// Validates `[routes]`: codes of bodies with a node (or prefectures), https URLs, and not
/// this node's own URL.
pub fn check_routes(
    own_url: &str,
    raw: BTreeMap<String, String>,
) -> Result<BTreeMap<LocalGovernmentCode, String>, String> {
    check_url(own_url).map_err(|e| format!("url = {e}"))?;
    let mut out = BTreeMap::new();
    for (code, url) in raw {
        let c = LocalGovernmentCode::parse(&code)
            .map_err(|p| format!("routes.{code}: not a local government code: {p}"))?;
        match serving_node(Destination::Local(c)) {
            Ok(Some(n)) if n == c => {}
            _ => {
                return Err(format!(
                    "routes.{code}: not the code of a node (a prefecture or a municipality; a designated city's wards go to the city)"
                ));
            }
        }
        check_url(&url).map_err(|e| format!("routes.{code} = {e}"))?;
        if url == own_url {
            return Err(format!("routes.{code} = {url:?}: that is this node"));
        }
        out.insert(c, url);
    }
    Ok(out)
}

/// What a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<serde_json::Value, ApiError>> + Send>>;
/// A service answering routed requests of one kind at their destination.
pub type Handler = Arc<dyn Fn(Arc<Node>, RouteEnvelope) -> HandlerFuture + Send + Sync>;

/// A node's routing state: its children's URLs, the clients of its hops, and the handlers of
/// each kind.
pub struct Routing {
    children: Mutex<BTreeMap<LocalGovernmentCode, String>>,
    clients: Mutex<HashMap<LocalGovernmentCode, (String, Client)>>,
    handlers: RwLock<HashMap<String, Handler>>,
}

impl std::fmt::Debug for Routing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routing").finish_non_exhaustive()
    }
}

impl Routing {
    /// The routing state of the node in `data_dir`, with the children it knew and the
    /// built-in `ping`.
    pub fn open(data_dir: &Path) -> Routing {
        let routing = Routing {
            children: Mutex::new(load_children(data_dir)),
            clients: Mutex::new(HashMap::new()),
            handlers: RwLock::new(HashMap::new()),
        };
        routing.register("ping", Arc::new(|node, _| Box::pin(ping(node))));
        crate::routes::certificate::register(&routing);
        crate::routes::moves::register(&routing);
        routing
    }

    /// Registers the service answering `kind` at this node (replacing any before it).
    pub fn register(&self, kind: &str, handler: Handler) {
        self.handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(kind.to_string(), handler);
    }

    fn handler(&self, kind: &str) -> Option<Handler> {
        self.handlers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(kind)
            .cloned()
    }

    /// The URL child `code` announced last.
    pub fn child_url(&self, code: LocalGovernmentCode) -> Option<String> {
        self.children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&code)
            .cloned()
    }

    /// Records child `code`'s URL, in memory and in `DATA/children.json` when it changed.
    pub(crate) fn set_child(
        &self,
        data_dir: &Path,
        code: LocalGovernmentCode,
        url: &str,
    ) -> std::io::Result<()> {
        let mut children = self.children.lock().unwrap_or_else(|e| e.into_inner());
        if children.get(&code).map(String::as_str) == Some(url) {
            return Ok(());
        }
        children.insert(code, url.to_string());
        let text: BTreeMap<String, &String> =
            children.iter().map(|(c, u)| (c.to_string(), u)).collect();
        let json = serde_json::to_vec_pretty(&text).map_err(std::io::Error::other)?;
        let tmp = data_dir.join(format!("{CHILDREN_FILE}.tmp"));
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, data_dir.join(CHILDREN_FILE))
    }
}

/// The children a node knew before it restarted; a missing or unreadable file is an empty
/// table (children announce themselves again).
fn load_children(data_dir: &Path) -> BTreeMap<LocalGovernmentCode, String> {
    let path = data_dir.join(CHILDREN_FILE);
    let Ok(text) = std::fs::read(&path) else {
        return BTreeMap::new();
    };
    let raw: BTreeMap<String, String> = match serde_json::from_slice(&text) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, path = %path.display(), "ignoring an unreadable table of children");
            return BTreeMap::new();
        }
    };
    raw.into_iter()
        .filter_map(|(c, u)| {
            let c = LocalGovernmentCode::parse(&c).ok()?;
            check_url(&u).ok()?;
            Some((c, u))
        })
        .collect()
}

/// The built-in `ping`: who answers, and its clock.
async fn ping(node: Arc<Node>) -> Result<serde_json::Value, ApiError> {
    let answer = PingAnswer {
        node: node.node_uri.clone(),
        name: node.config.name.clone(),
        at_ms: node.clock.now_ms(),
    };
    serde_json::to_value(answer).map_err(|_| ApiError::new(&NODE_INTERNAL))
}

/// At most 64 characters of a string taken from a request, for error details.
fn bounded(s: &str) -> String {
    s.chars().take(64).collect()
}

fn bad(field: &str, reason: &str) -> ApiError {
    ApiError::with(
        &NET_ROUTE_BAD_ENVELOPE,
        serde_json::json!({ "field": field, "reason": reason }),
    )
}

/// Checks that a peer speaks a protocol version this node does.
pub fn check_protocol(version: u32) -> Result<(), ApiError> {
    if juki_api::protocol_compatible(version) {
        return Ok(());
    }
    Err(ApiError::with(
        &NET_PROTOCOL_VERSION,
        serde_json::json!({ "theirs": version, "ours": PROTOCOL_VERSION }),
    ))
}

/// Checks an envelope's form (not where it goes).
pub fn check_envelope(env: &RouteEnvelope) -> Result<(), ApiError> {
    check_protocol(env.protocol)?;
    let token = |s: &str, max: usize| {
        (1..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    if !token(&env.request_id, REQUEST_ID_MAX) {
        return Err(bad("request_id", "1–128 of A-Z, a-z, 0-9 and - _ . :"));
    }
    if !token(&env.kind, KIND_MAX) {
        return Err(bad("kind", "1–64 of A-Z, a-z, 0-9 and - _ . :"));
    }
    Destination::parse(&env.from)
        .map_err(|_| bad("from", "national or a local government code"))?;
    let size = serde_json::to_vec(&env.payload).map_or(usize::MAX, |v| v.len());
    if size > PAYLOAD_BYTES_MAX {
        return Err(bad("payload", "larger than 256 KiB of JSON"));
    }
    Ok(())
}

impl Node {
    /// How this node names itself in a route's path: `CODE name`, or `national 全国`.
    pub fn route_label(&self) -> String {
        let code = self
            .config
            .code
            .map_or_else(|| "national".to_string(), |c| c.to_string());
        format!("{code} {}", self.config.name)
    }

    /// The time left before `deadline_ms`, or the deadline error naming this node.
    fn time_left(&self, env: &RouteEnvelope) -> Result<Duration, ApiError> {
        let left = env.deadline_ms - self.clock.now_ms();
        if left <= 0 {
            return Err(ApiError::with(
                &NET_ROUTE_DEADLINE,
                serde_json::json!({ "at": self.route_label(), "request_id": env.request_id }),
            ));
        }
        Ok(Duration::from_millis(left as u64))
    }

    /// The client of the node with `code` at `url`, presenting this node's certificate and
    /// expecting that node's (a prefecture's or a municipality's) at the other end.
    fn hop_client(&self, code: LocalGovernmentCode, url: &str) -> Result<Client, ApiError> {
        let mut clients = self
            .routing
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((u, c)) = clients.get(&code)
            && u == url
        {
            return Ok(c.clone());
        }
        let is_prefecture = lgc::table().get(code).map(|r| r.kind) == Some(LgcKind::Prefecture);
        let expect = juki_pki::Expect::Node {
            role: if is_prefecture {
                juki_pki::Role::Prefecture
            } else {
                juki_pki::Role::Municipal
            },
            jurisdiction: juki_pki::Jurisdiction::Local(code),
        };
        let tls = self.config.node_tls();
        let client = juki_pki::client_config(&tls.ca, Some((&tls.cert, &tls.key)), Some(expect))
            .map_err(|e| {
                tracing::error!(error = %e, "this node's TLS files for routing");
                ApiError::new(&NODE_INTERNAL)
            })
            .and_then(|cfg| {
                Client::with_tls(url, cfg, HOP_CLIENT_TIMEOUT).map_err(|e| {
                    tracing::error!(error = %e, "a routing client");
                    ApiError::new(&NODE_INTERNAL)
                })
            })?;
        clients.insert(code, (url.to_string(), client.clone()));
        Ok(client)
    }
}

fn unreachable(node: &str, url: &str, reason: &str) -> ApiError {
    ApiError::with(
        &NET_ROUTE_UNREACHABLE,
        serde_json::json!({ "node": node, "url": url, "reason": bounded_reason(reason) }),
    )
}

fn bounded_reason(s: &str) -> String {
    s.chars().take(300).collect()
}

/// Sends a request of `kind` from this node to the node serving municipality `to`, through
/// the network, and returns what its handler answered (or its refusal, as it said it).
pub async fn ask(
    node: &Arc<Node>,
    request_id: &str,
    to: LocalGovernmentCode,
    kind: &str,
    payload: serde_json::Value,
    timeout: Duration,
) -> Result<serde_json::Value, ApiError> {
    let env = RouteEnvelope {
        protocol: PROTOCOL_VERSION,
        request_id: request_id.to_string(),
        deadline_ms: node.clock.now_ms() + timeout.as_millis() as i64,
        hops: 0,
        from: node.config.code.map_or_else(String::new, |c| c.to_string()),
        to: Destination::Local(to).to_string(),
        kind: kind.into(),
        payload,
    };
    Ok(relay(node, env).await?.payload)
}

/// Reads what a node answered `kind` as `T`; anything else is a fault of that node.
pub fn answer_as<T: serde::de::DeserializeOwned>(
    kind: &str,
    payload: serde_json::Value,
) -> Result<T, ApiError> {
    serde_json::from_value(payload).map_err(|e| {
        tracing::warn!(kind, error = %e, "a node answered something else");
        ApiError::new(&NODE_INTERNAL)
    })
}

/// Handles a routed request at this node: answers it here, or relays it one hop on.
pub async fn relay(node: &Arc<Node>, mut env: RouteEnvelope) -> Result<RouteAnswer, ApiError> {
    check_envelope(&env)?;
    if env.hops > HOPS_MAX {
        return Err(ApiError::with(
            &NET_ROUTE_TOO_MANY_HOPS,
            serde_json::json!({ "hops": env.hops, "hops_max": HOPS_MAX, "at": node.route_label() }),
        ));
    }
    let left = node.time_left(&env)?;
    let to = Destination::parse(&env.to)?;
    let hop = next_hop(node.config.role, node.config.code, to, &node.config.routes)
        .map_err(|def| ApiError::with(def, serde_json::json!({ "to": bounded(&env.to) })))?;
    let me = node.route_label();
    let (label, url, client) = match hop {
        Hop::Here => {
            let Some(handler) = node.routing.handler(&env.kind) else {
                return Err(ApiError::with(
                    &NET_ROUTE_NO_HANDLER,
                    serde_json::json!({ "kind": env.kind, "node": me }),
                ));
            };
            let request_id = env.request_id.clone();
            let payload = tokio::time::timeout(left, handler(node.clone(), env))
                .await
                .map_err(|_| {
                    ApiError::with(
                        &NET_ROUTE_DEADLINE,
                        serde_json::json!({ "at": me, "request_id": request_id }),
                    )
                })??;
            return Ok(RouteAnswer {
                protocol: PROTOCOL_VERSION,
                request_id,
                path: vec![me],
                payload,
            });
        }
        Hop::Parent => {
            let Some(parent) = &node.parent else {
                return Err(unreachable("parent", "", "this node has no parent"));
            };
            let label = match node.config.role {
                crate::config::Role::Prefecture => "national".to_string(),
                _ => node
                    .config
                    .code
                    .map_or_else(String::new, |c| c.prefecture_code().to_string()),
            };
            (label, parent.url.clone(), parent.client.clone())
        }
        Hop::Child(code) => {
            let Some(url) = node.routing.child_url(code) else {
                return Err(unreachable(
                    &code.to_string(),
                    "",
                    "the node has not announced its URL to this node",
                ));
            };
            let client = node.hop_client(code, &url)?;
            (code.to_string(), url, client)
        }
        Hop::Direct(code, url) => {
            let client = node.hop_client(code, &url)?;
            (code.to_string(), url, client)
        }
    };
    env.hops += 1;
    let request_id = env.request_id.clone();
    match client.route(&env, left).await {
        Ok(mut answer) => {
            answer.path.insert(0, me);
            Ok(answer)
        }
        // The error of a node further on, passed back as it is.
        Err(ClientError::Refused { body, .. }) => {
            match juki_domain::catalogue::lookup(&body.code) {
                Some(def) => Err(ApiError::with(def, body.detail)),
                None => Err(unreachable(
                    &label,
                    &url,
                    &format!("answered {}", body.code),
                )),
            }
        }
        Err(e) => {
            if node.clock.now_ms() >= env.deadline_ms {
                return Err(ApiError::with(
                    &NET_ROUTE_DEADLINE,
                    serde_json::json!({ "at": me, "waiting_for": label, "request_id": request_id }),
                ));
            }
            tracing::warn!(node = %label, %url, error = %e, "a routed request's next hop did not answer");
            Err(unreachable(&label, &url, &e.to_string()))
        }
    }
}

/// Tells the parent this node's URL when the link starts and every few minutes after, until
/// `stop` fires; retries with backoff while the parent does not answer.
pub async fn announce(
    node: Arc<Node>,
    parent: Arc<crate::link::Parent>,
    stop: Arc<tokio::sync::Notify>,
) {
    let Some(me) = node.config.code else {
        return;
    };
    let req = juki_api::HelloRequest {
        protocol: PROTOCOL_VERSION,
        from: me.to_string(),
        url: node.config.url.clone(),
    };
    let mut backoff = BACKOFF_MIN;
    loop {
        let wait = match parent.client.hello(&req).await {
            Ok(_) => {
                backoff = BACKOFF_MIN;
                ANNOUNCE_EVERY
            }
            Err(e) => {
                tracing::info!(error = %e, "telling the parent this node's URL failed; retrying");
                let wait = backoff;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                wait
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.notified() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Role;

    fn c(s: &str) -> LocalGovernmentCode {
        LocalGovernmentCode::parse(s).unwrap()
    }
    fn to(s: &str) -> Destination {
        Destination::parse(s).unwrap()
    }
    fn hop(role: Role, me: Option<&str>, dest: &str) -> Result<Hop, &'static str> {
        next_hop(role, me.map(c), to(dest), &BTreeMap::new()).map_err(|d| d.code)
    }

    #[test]
    fn a_municipal_node_answers_itself_and_sends_everything_else_up() {
        let me = Some("131148");
        assert_eq!(hop(Role::Municipal, me, "131148"), Ok(Hop::Here));
        assert_eq!(hop(Role::Municipal, me, "272191"), Ok(Hop::Parent));
        assert_eq!(hop(Role::Municipal, me, "131202"), Ok(Hop::Parent));
        assert_eq!(hop(Role::Municipal, me, "130001"), Ok(Hop::Parent));
        assert_eq!(hop(Role::Municipal, me, "national"), Ok(Hop::Parent));
    }

    #[test]
    fn a_prefecture_sends_down_within_its_prefecture_and_up_otherwise() {
        let me = Some("130001");
        assert_eq!(hop(Role::Prefecture, me, "130001"), Ok(Hop::Here));
        assert_eq!(
            hop(Role::Prefecture, me, "131148"),
            Ok(Hop::Child(c("131148")))
        );
        assert_eq!(hop(Role::Prefecture, me, "272191"), Ok(Hop::Parent));
        assert_eq!(hop(Role::Prefecture, me, "270008"), Ok(Hop::Parent));
        assert_eq!(hop(Role::Prefecture, me, "national"), Ok(Hop::Parent));
    }

    #[test]
    fn a_designated_city_ward_goes_to_the_city() {
        // 大阪市北区 (271276) is served by 大阪市 (271004).
        let ward = serving_node(to("271276")).unwrap();
        assert_eq!(ward, Some(c("271004")));
        assert_eq!(
            hop(Role::Prefecture, Some("270008"), "271276"),
            Ok(Hop::Child(c("271004")))
        );
        assert_eq!(
            hop(Role::Municipal, Some("271004"), "271276"),
            Ok(Hop::Here)
        );
        assert_eq!(
            hop(Role::National, None, "271276"),
            Ok(Hop::Child(c("270008")))
        );
    }

    #[test]
    fn the_national_node_sends_to_the_prefecture_of_the_destination() {
        assert_eq!(hop(Role::National, None, "national"), Ok(Hop::Here));
        assert_eq!(
            hop(Role::National, None, "272191"),
            Ok(Hop::Child(c("270008")))
        );
        assert_eq!(
            hop(Role::National, None, "130001"),
            Ok(Hop::Child(c("130001")))
        );
        assert_eq!(
            hop(Role::National, None, "131148"),
            Ok(Hop::Child(c("130001")))
        );
    }

    #[test]
    fn unknown_codes_are_refused() {
        // A well-formed code (check digit right) of no body: 139998? Use codes known absent.
        let absent = (0..100_000u32)
            .map(|n| format!("{:05}", 10_000 + n))
            .filter_map(|five| {
                (0..10).find_map(|d| LocalGovernmentCode::parse(&format!("{five}{d}")).ok())
            })
            .find(|code| lgc::table().get(*code).is_none())
            .unwrap();
        assert_eq!(
            next_hop(
                Role::Municipal,
                Some(c("131148")),
                Destination::Local(absent),
                &BTreeMap::new()
            )
            .map_err(|d| d.code),
            Err("JK-NET-0121")
        );
        assert!(Destination::parse("12345").is_err());
        assert!(Destination::parse("nation").is_err());
    }

    #[test]
    fn configured_routes_go_direct_and_are_validated() {
        let routes = check_routes(
            "https://127.0.0.1:7443",
            [("272191".to_string(), "https://10.0.0.9:7443".to_string())].into(),
        )
        .unwrap();
        assert_eq!(
            next_hop(Role::Municipal, Some(c("131148")), to("272191"), &routes),
            Ok(Hop::Direct(c("272191"), "https://10.0.0.9:7443".into()))
        );
        // Not for its own destination.
        assert_eq!(
            next_hop(Role::Municipal, Some(c("272191")), to("272191"), &routes),
            Ok(Hop::Here)
        );
        for (code, url) in [
            ("272191", "http://10.0.0.9:7443"),
            ("272191", "https://"),
            ("272191", "https://127.0.0.1:7443"),
            ("271276", "https://10.0.0.9:7443"),
            ("2721", "https://10.0.0.9:7443"),
        ] {
            assert!(
                check_routes(
                    "https://127.0.0.1:7443",
                    [(code.to_string(), url.to_string())].into()
                )
                .is_err(),
                "{code} = {url}"
            );
        }
        let long = format!("https://{}", "a".repeat(URL_BYTES_MAX));
        assert!(check_url(&long).is_err());
        assert!(check_url("https://host name").is_err());
    }

    #[test]
    fn children_persist_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let r = Routing::open(dir.path());
        r.set_child(dir.path(), c("131148"), "https://127.0.0.1:7004")
            .unwrap();
        let again = Routing::open(dir.path());
        assert_eq!(
            again.child_url(c("131148")).as_deref(),
            Some("https://127.0.0.1:7004")
        );
        assert!(again.handler("ping").is_some());
        assert!(again.handler("nothing").is_none());
    }

    #[test]
    fn envelopes_are_checked() {
        let env = RouteEnvelope {
            protocol: PROTOCOL_VERSION,
            request_id: "r-1".into(),
            deadline_ms: 0,
            hops: 0,
            from: "131148".into(),
            to: "272191".into(),
            kind: "ping".into(),
            payload: serde_json::json!({}),
        };
        assert!(check_envelope(&env).is_ok());
        let code = |e: RouteEnvelope| check_envelope(&e).unwrap_err().def.code;
        assert_eq!(
            code(RouteEnvelope {
                kind: "pi ng".into(),
                ..env.clone()
            }),
            "JK-NET-0127"
        );
        assert_eq!(
            code(RouteEnvelope {
                payload: serde_json::json!("x".repeat(PAYLOAD_BYTES_MAX)),
                ..env.clone()
            }),
            "JK-NET-0127"
        );
        assert_eq!(
            code(RouteEnvelope {
                protocol: PROTOCOL_VERSION + 5,
                ..env
            }),
            "JK-NET-0103"
        );
    }
}

//! Per-client rate limits: a token bucket for each client, so that one caller (a runaway
//! script, a stolen certificate) cannot take the node's capacity from everyone else.
//!
//! A client is the identity of its verified certificate (`urn:juki:…`), or its IP address
//! when it presented none. Each may send `client_requests_per_second` on average and
//! `client_burst` at once after a quiet spell; beyond that it is answered 429 with Retry-After
//! (`JK-NODE-0113`) at once, before admission control, so a flood from one client never takes
//! a request slot. Links from child nodes (`/v1/link/…` with a node certificate) are not
//! counted: each child sends one batch at a time and admission control bounds them.
//!
//! Each bucket is one number, the instant at which it is full again (the generic cell rate
//! algorithm): taking a token moves that instant one interval later, and a request is refused
//! when it would lie more than the burst ahead of now. A bucket that is full again holds no
//! information — a new client starts the same way — so idle clients are forgotten freely, and
//! at most [`CLIENTS_MAX`] are tracked: when the table is full, idle ones are dropped, and if
//! every one is busy, the eighth of them nearest to full are (they get a full bucket back).
//!
//! Time is monotonic (`Instant`), passed in by the caller so tests can move it.

use crate::error::ApiError;
use crate::metrics::RouteOnly;
use crate::server::{Node, Peer};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use juki_domain::catalogue::NODE_RATE_LIMITED;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most clients tracked at once (about 100 bytes each).
pub const CLIENTS_MAX: usize = 100_000;

/// Routes of the links between nodes, exempt when called with a node certificate.
const LINK_PREFIX: &str = "/v1/link/";

/// Who a request counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// The identity of the verified client certificate.
    Identity(juki_pki::Identity),
    /// The peer's address, for a connection without a certificate.
    Address(IpAddr),
    /// Neither is known (a request made inside the process): one shared bucket.
    Unknown,
}

impl ClientKey {
    /// The key of a request: its certificate's identity, else its address.
    pub fn of(peer: Option<&Peer>, addr: Option<SocketAddr>) -> ClientKey {
        match (peer.and_then(|p| p.0.as_ref()), addr) {
            (Some(id), _) => ClientKey::Identity(id.clone()),
            (None, Some(a)) => ClientKey::Address(a.ip()),
            (None, None) => ClientKey::Unknown,
        }
    }
}

/// Whether a request is not counted: a node's call on a link route.
pub fn exempt(path: &str, peer: Option<&Peer>) -> bool {
    path.starts_with(LINK_PREFIX)
        && peer
            .and_then(|p| p.0.as_ref())
            .is_some_and(|id| id.role.is_node())
}

/// Token buckets for every client, bounded in number.
#[derive(Debug)]
pub struct RateLimiter {
    /// Time between two tokens, ns.
    interval_ns: u64,
    /// How far a bucket's full-again instant may lie ahead of now: burst × interval, ns.
    tolerance_ns: u64,
    clients_max: usize,
    /// Times are kept as ns since this instant.
    epoch: Instant,
    /// Each tracked client's full-again instant, ns since `epoch`.
    clients: Mutex<HashMap<ClientKey, u64>>,
}

impl RateLimiter {
    /// Buckets refilling `per_second` tokens a second and holding `burst` (both at least 1),
    /// for at most `clients_max` clients.
    pub fn new(per_second: u32, burst: u32, clients_max: usize) -> RateLimiter {
        let interval_ns = 1_000_000_000 / u64::from(per_second.max(1));
        RateLimiter {
            interval_ns,
            tolerance_ns: interval_ns.saturating_mul(u64::from(burst.max(1))),
            clients_max: clients_max.max(1),
            epoch: Instant::now(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The limiter of a node's `[limits]`.
    pub fn for_limits(limits: &crate::config::Limits) -> RateLimiter {
        RateLimiter::new(
            limits.client_requests_per_second,
            limits.client_burst,
            CLIENTS_MAX,
        )
    }

    fn ns(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Takes a token from `key`'s bucket at `now`; when it is empty, says how long until
    /// the next token.
    pub fn check(&self, key: &ClientKey, now: Instant) -> Result<(), Duration> {
        let now = self.ns(now);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let full_at = clients.get(key).copied().unwrap_or(now).max(now);
        let next = full_at.saturating_add(self.interval_ns);
        let ahead = next - now;
        if ahead > self.tolerance_ns {
            return Err(Duration::from_nanos(ahead - self.tolerance_ns));
        }
        match clients.get_mut(key) {
            Some(f) => *f = next,
            None => {
                if clients.len() >= self.clients_max {
                    self.make_room(&mut clients, now);
                }
                clients.insert(key.clone(), next);
            }
        }
        Ok(())
    }

    /// Forgets clients whose bucket is full again; if none is, the eighth of them nearest to
    /// full (at least one), so the cost of a full sweep is spread over many new clients.
    fn make_room(&self, clients: &mut HashMap<ClientKey, u64>, now: u64) {
        clients.retain(|_, full_at| *full_at > now);
        if clients.len() < self.clients_max {
            return;
        }
        let mut times: Vec<u64> = clients.values().copied().collect();
        let k = (times.len() / 8).max(1);
        let (_, &mut threshold, _) = times.select_nth_unstable(k - 1);
        clients.retain(|_, full_at| *full_at > threshold);
    }

    /// How many clients are tracked.
    pub fn tracked(&self) -> usize {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The rate limit as a layer of the node's router (outside admission control), with a
/// limiter of the node's `[limits]`.
pub(crate) fn layer(
    node: &Arc<Node>,
) -> impl tower::Layer<
    Route,
    Service: tower::Service<
        Request,
        Response = Response,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
                 + Send
                 + Sync
                 + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    let limiter = Arc::new(RateLimiter::for_limits(&node.config.limits));
    axum::middleware::from_fn_with_state((node.clone(), limiter), limit)
}

/// The middleware: counts each request against its client, answers 429 beyond the limit.
async fn limit(
    State((node, limiter)): State<(Arc<Node>, Arc<RateLimiter>)>,
    req: Request,
    next: Next,
) -> Response {
    let peer = req.extensions().get::<Peer>();
    if exempt(req.uri().path(), peer) {
        return next.run(req).await;
    }
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let key = ClientKey::of(peer, addr);
    let Err(wait) = limiter.check(&key, Instant::now()) else {
        return next.run(req).await;
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    node.metrics
        .rate_limited
        .get_or_create(&RouteOnly { route })
        .inc();
    // Retry-After: 1 (error.rs): at one request a second or more, a token is back by then.
    let limits = &node.config.limits;
    ApiError::with(
        &NODE_RATE_LIMITED,
        serde_json::json!({
            "client_requests_per_second": limits.client_requests_per_second,
            "client_burst": limits.client_burst,
            "retry_after_ms": wait.as_millis().max(1),
        }),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use juki_domain::LocalGovernmentCode;
    use juki_pki::{Identity, Jurisdiction, Role};

    fn person(name: &str) -> ClientKey {
        let code = LocalGovernmentCode::parse("131148").unwrap();
        ClientKey::Identity(Identity::new(Role::Clerk, Jurisdiction::Local(code), name).unwrap())
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_burst_then_one_request_per_interval() {
        // 10 a second (one per 100 ms), 5 at once.
        let l = RateLimiter::new(10, 5, 100);
        let t0 = Instant::now();
        let a = person("a");
        for _ in 0..5 {
            assert_eq!(l.check(&a, t0), Ok(()));
        }
        assert_eq!(l.check(&a, t0), Err(ms(100)), "the burst is spent");
        assert_eq!(l.check(&a, t0 + ms(40)), Err(ms(60)), "the wait shrinks");
        // One token every 100 ms, never more.
        assert_eq!(l.check(&a, t0 + ms(100)), Ok(()));
        assert!(l.check(&a, t0 + ms(150)).is_err());
        assert_eq!(l.check(&a, t0 + ms(200)), Ok(()));
        // Refused requests take nothing: the next token still comes at 300 ms.
        assert!(l.check(&a, t0 + ms(299)).is_err());
        assert_eq!(l.check(&a, t0 + ms(300)), Ok(()));
        // Another client has its own bucket.
        for _ in 0..5 {
            assert_eq!(l.check(&person("b"), t0 + ms(300)), Ok(()));
        }
    }

    #[test]
    fn a_quiet_client_refills_up_to_the_burst_only() {
        let l = RateLimiter::new(10, 3, 100);
        let t0 = Instant::now();
        let a = person("a");
        assert_eq!(l.check(&a, t0), Ok(()));
        // An hour later the bucket holds the burst, not an hour of tokens.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(l.check(&a, later), Ok(()));
        }
        assert!(l.check(&a, later).is_err());
    }

    #[test]
    fn the_table_is_bounded_and_forgets_idle_clients_first() {
        let l = RateLimiter::new(1, 2, 4);
        let t0 = Instant::now();
        let busy = person("busy");
        // `busy` empties its bucket; three others take one token each.
        assert!(l.check(&busy, t0).is_ok() && l.check(&busy, t0).is_ok());
        for n in ["b", "c", "d"] {
            l.check(&person(n), t0).unwrap();
        }
        assert_eq!(l.tracked(), 4);
        // 1.5 s later b, c and d are full again (idle); busy is not. A newcomer drops the
        // idle ones and keeps busy's debt.
        let t1 = t0 + ms(1500);
        l.check(&person("e"), t1).unwrap();
        assert_eq!(l.tracked(), 2);
        assert!(l.check(&busy, t1).is_ok());
        assert!(l.check(&busy, t1).is_err(), "busy's bucket was kept");
        // Never more than the bound, even when every tracked client is busy.
        for i in 0..100 {
            l.check(&ClientKey::Address(IpAddr::from([10, 0, 0, i])), t1)
                .unwrap();
            assert!(l.tracked() <= 4);
        }
    }

    #[test]
    fn when_every_client_is_busy_the_nearest_to_full_are_dropped() {
        let l = RateLimiter::new(1, 20, 16);
        let t0 = Instant::now();
        // Client i has spent i + 1 tokens: client 0 is nearest to full.
        for i in 0..16u8 {
            for _ in 0..=i {
                l.check(&ClientKey::Address(IpAddr::from([10, 0, 0, i])), t0)
                    .unwrap();
            }
        }
        l.check(&person("new"), t0).unwrap();
        // Two (16 / 8) were dropped: clients 0 and 1.
        assert_eq!(l.tracked(), 15);
        let left = |i: u8| {
            let key = ClientKey::Address(IpAddr::from([10, 0, 0, i]));
            (0..30).take_while(|_| l.check(&key, t0).is_ok()).count()
        };
        assert_eq!(left(0), 20, "client 0 starts over with a full bucket");
        assert_eq!(left(15), 4, "client 15 keeps its debt of 16");
    }

    #[test]
    fn clients_are_their_certificate_else_their_address() {
        let addr: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let ClientKey::Identity(id) = person("a") else {
            unreachable!()
        };
        let peer = Peer(Some(id.clone()));
        assert_eq!(
            ClientKey::of(Some(&peer), Some(addr)),
            ClientKey::Identity(id)
        );
        assert_eq!(
            ClientKey::of(Some(&Peer(None)), Some(addr)),
            ClientKey::Address(addr.ip())
        );
        assert_eq!(ClientKey::of(None, None), ClientKey::Unknown);
    }

    #[test]
    fn only_nodes_on_link_routes_are_exempt() {
        let code = LocalGovernmentCode::parse("131148").unwrap();
        let node = Peer(Some(
            Identity::new(Role::Municipal, Jurisdiction::Local(code), "municipal").unwrap(),
        ));
        let ClientKey::Identity(clerk) = person("a") else {
            unreachable!()
        };
        let clerk = Peer(Some(clerk));
        assert!(exempt("/v1/link/forward", Some(&node)));
        assert!(exempt("/v1/link/code-pools", Some(&node)));
        assert!(!exempt("/v1/status", Some(&node)));
        assert!(!exempt("/v1/link/forward", Some(&clerk)));
        assert!(!exempt("/v1/link/forward", Some(&Peer(None))));
        assert!(!exempt("/v1/link/forward", None));
    }
}

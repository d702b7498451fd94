//! Routed requests between nodes (`POST /v1/route`): an envelope any node can address to any
//! other by local government code, relayed hop by hop through the hierarchy, and the answer
//! carried back along the same path. Also the announcement a child makes of its own URL
//! (`POST /v1/link/hello`), which is how a parent knows where to reach its children.

use serde::{Deserialize, Serialize};

/// `POST /v1/route`: one routed request, as each hop receives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteEnvelope {
    pub protocol: u32,
    /// Chosen by the originating node; the same on every hop.
    pub request_id: String,
    /// Absolute deadline, ms since the Unix epoch.
    pub deadline_ms: i64,
    /// Nodes the request passed through so far (0 when the originating node sends it).
    pub hops: u32,
    /// The originating node: its local government code, or `national`.
    pub from: String,
    /// The destination: a local government code, or `national`.
    pub to: String,
    /// The service the payload is for, e.g. `ping`.
    pub kind: String,
    pub payload: serde_json::Value,
}

/// The answer to a [`RouteEnvelope`]: the destination's answer, and the path it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteAnswer {
    pub protocol: u32,
    pub request_id: String,
    /// The nodes the request passed through, from the first to the destination, as
    /// `CODE name` (`national 全国` for the national node).
    pub path: Vec<String>,
    pub payload: serde_json::Value,
}

/// The answer of the built-in `ping` kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingAnswer {
    /// The answering node's identity URI.
    pub node: String,
    pub name: String,
    /// The answering node's clock, ms since the Unix epoch.
    pub at_ms: i64,
}

/// `POST /v1/route/ping/{code}`: what a person's node answers after pinging another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PingReport {
    pub to: String,
    pub path: Vec<String>,
    pub rtt_ms: u64,
    pub answer: PingAnswer,
}

/// `POST /v1/link/hello`: a child tells its parent the URL it serves at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelloRequest {
    pub protocol: u32,
    /// The child's local government code.
    pub from: String,
    /// The child's URL (`https://…`).
    pub url: String,
}

/// The answer to [`HelloRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloResponse {
    pub protocol: u32,
}

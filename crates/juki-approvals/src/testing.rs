//! What the tests of this crate share: people and a time, and a request to stop 中野区's node.

use crate::request::{NewRequest, Target};

pub const ADMIN: &str = "urn:juki:admin:131148:admin";
pub const OPERATOR: &str = "urn:juki:operator:national:operator2";
/// 2026-04-01 08:33:20 in Tokyo.
pub const T0: i64 = 1_775_000_000_000;

/// A request by [`ADMIN`] to stop 中野区's node.
pub fn stop() -> NewRequest {
    NewRequest::new(
        "stop-node",
        Target {
            jurisdiction: "131148".into(),
            object: None,
        },
        "stops CS 中野区 (131148): window services of 1 municipality unavailable until restart",
        ADMIN,
    )
}

//! Errors of the network: links between nodes, propagation, code pools.

use super::{ErrorClass::*, ErrorDef};

pub static NET_ORIGIN_REUSED: ErrorDef = ErrorDef {
    code: "JK-NET-0101",
    class: Conflict,
    message_ja: "同じ発生元番号で別の異動が届きました",
    message_en: "A forwarded change reuses the origin of another change",
    cause: "A municipal node sent a change under an (epoch, sequence) this node already holds for a different record id: the node was restored or rebuilt without starting a new epoch.",
    remedy: "Stop the sending node and start a new epoch there (restores do this); nothing was applied from this batch beyond the entries before it.",
};
pub static NET_OUTSIDE_JURISDICTION: ErrorDef = ErrorDef {
    code: "JK-NET-0102",
    class: Forbidden,
    message_ja: "送信元の管轄外の異動が含まれています",
    message_en: "A forwarded change was recorded outside the sender's jurisdiction",
    cause: "A node may forward only changes recorded by itself (a municipal node) or by the municipalities of its prefecture (a prefecture node).",
    remedy: "Check the sending node's configuration and certificate; the batch was refused whole.",
};
pub static NET_PROTOCOL_VERSION: ErrorDef = ErrorDef {
    code: "JK-NET-0103",
    class: BadRequest,
    message_ja: "通信プロトコルの版が対応範囲外です",
    message_en: "The protocol version is not one this node speaks",
    cause: "Nodes speak their own protocol version and the versions one older and one newer; the peer is further apart.",
    remedy: "Upgrade the nodes one step at a time (docs/operations.md).",
};
pub static NET_PARENT_UNREACHABLE: ErrorDef = ErrorDef {
    code: "JK-NET-0104",
    class: Unavailable,
    message_ja: "上位ノードに接続できません。異動は保存され、接続の回復後に送信されます",
    message_en: "The parent node cannot be reached; changes are kept and sent when it answers again",
    cause: "The link to the parent failed (network, certificate or the parent is down); the node keeps serving its own window and its journal holds every change durably.",
    remedy: "Check the parent's status and the network; the link resumes by itself from the last acknowledgement.",
};
pub static NET_POOL_EXHAUSTED: ErrorDef = ErrorDef {
    code: "JK-NET-0105",
    class: Unavailable,
    message_ja: "払い出せる住民票コードが残っていません",
    message_en: "No resident codes are left to hand out",
    cause: "The node's own pools are used up, so it cannot grant a pool to a child node.",
    remedy: "Ask the parent node for more codes (it does so by itself when its own parent answers); see docs/operations.md.",
};
pub static NET_WRONG_ROLE: ErrorDef = ErrorDef {
    code: "JK-NET-0106",
    class: Conflict,
    message_ja: "このノードの役割ではこの処理はできません",
    message_en: "A node of this role does not do this",
    cause: "Changes are recorded only at municipal nodes; links into a node come only from its children; the national node has no parent.",
    remedy: "Send the request to the node whose role does it (docs/api.md).",
};
pub static NET_LAGGING: ErrorDef = ErrorDef {
    code: "JK-NET-0107",
    class: Unavailable,
    message_ja: "上位ノードへの送信が遅れています",
    message_en: "Changes are waiting to be sent to the parent node",
    cause: "The link to the parent has more unacknowledged changes, or older ones, than its warning thresholds.",
    remedy: "Check the link's errors in the log and the parent's status; nothing is lost while it waits.",
};

pub static NET_ROUTE_UNKNOWN_DESTINATION: ErrorDef = ErrorDef {
    code: "JK-NET-0121",
    class: NotFound,
    message_ja: "宛先のノードがありません",
    message_en: "No node serves this destination",
    cause: "A routed request names a destination that is neither national nor a local government code of a body with a node (a prefecture, a municipality, a special ward, a designated city or one of its wards).",
    remedy: "Check the destination code (juki lgc show CODE); a designated city's ward is served by the city's node.",
};
pub static NET_ROUTE_UNREACHABLE: ErrorDef = ErrorDef {
    code: "JK-NET-0122",
    class: Unavailable,
    message_ja: "経路上のノードに接続できません",
    message_en: "A node on the route cannot be reached",
    cause: "The next node on the route did not answer (it is down, the network failed, its certificate was refused, or it never told this node its address); the detail names the node's code and URL.",
    remedy: "Check the named node's status and the network between the two nodes; retry when it answers again.",
};
pub static NET_ROUTE_DEADLINE: ErrorDef = ErrorDef {
    code: "JK-NET-0123",
    class: Timeout,
    message_ja: "経路上で期限を過ぎました",
    message_en: "The routed request's deadline passed on its way",
    cause: "The request's absolute deadline passed before the destination answered; each node gives the next only the time that is left.",
    remedy: "Retry later, or with a longer deadline if the network is slow; the detail names where it expired.",
};
pub static NET_ROUTE_TOO_MANY_HOPS: ErrorDef = ErrorDef {
    code: "JK-NET-0124",
    class: Conflict,
    message_ja: "経路の中継回数が上限を超えました",
    message_en: "The routed request passed through too many nodes",
    cause: "Every node counts the hops of a routed request and refuses it beyond the limit, so that a misconfigured [routes] table cannot make it loop.",
    remedy: "Check the [routes] tables of the nodes named in the detail (docs/operations.md).",
};
pub static NET_ROUTE_NO_HANDLER: ErrorDef = ErrorDef {
    code: "JK-NET-0125",
    class: NotFound,
    message_ja: "宛先のノードはこの種類の要求を扱いません",
    message_en: "The destination node does not handle this kind of request",
    cause: "A routed request reached its destination, but no service there is registered for its kind (an older version, or a misspelt kind).",
    remedy: "Check the kind against docs/api.md and the destination node's version.",
};
pub static NET_ROUTE_REFUSED: ErrorDef = ErrorDef {
    code: "JK-NET-0126",
    class: Forbidden,
    message_ja: "この接続からは中継要求を受け付けません",
    message_en: "Routed requests are not accepted over this connection",
    cause: "Only a node's parent, its children and the nodes its [routes] table names may send it routed requests, each with its node certificate; people never.",
    remedy: "People ask their own node (e.g. juki route ping); check the nodes' certificates and [routes] tables.",
};
pub static NET_ROUTE_BAD_ENVELOPE: ErrorDef = ErrorDef {
    code: "JK-NET-0127",
    class: BadRequest,
    message_ja: "中継要求の形式が正しくありません",
    message_en: "The routed request's envelope is malformed",
    cause: "A field of the envelope is missing, too long or not of its form (request id, kind, codes, payload size, the child's URL); the detail names it.",
    remedy: "Send the envelope docs/api.md describes.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &NET_ORIGIN_REUSED,
    &NET_OUTSIDE_JURISDICTION,
    &NET_PROTOCOL_VERSION,
    &NET_PARENT_UNREACHABLE,
    &NET_POOL_EXHAUSTED,
    &NET_WRONG_ROLE,
    &NET_LAGGING,
    &NET_ROUTE_UNKNOWN_DESTINATION,
    &NET_ROUTE_UNREACHABLE,
    &NET_ROUTE_DEADLINE,
    &NET_ROUTE_TOO_MANY_HOPS,
    &NET_ROUTE_NO_HANDLER,
    &NET_ROUTE_REFUSED,
    &NET_ROUTE_BAD_ENVELOPE,
];

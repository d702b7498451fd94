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

pub(super) static DEFS: &[&ErrorDef] = &[
    &NET_ORIGIN_REUSED,
    &NET_OUTSIDE_JURISDICTION,
    &NET_PROTOCOL_VERSION,
    &NET_PARENT_UNREACHABLE,
    &NET_POOL_EXHAUSTED,
    &NET_WRONG_ROLE,
    &NET_LAGGING,
];

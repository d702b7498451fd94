//! Errors of cross-tier digests and reconcile (docs/backup.md, "Cross-tier digests and
//! reconcile").

use super::{ErrorClass::*, ErrorDef};

pub static DIG_DIFFERS: ErrorDef = ErrorDef {
    code: "JK-DIG-0101",
    class: Conflict,
    message_ja: "上位ノードとの照合で記録の相違が見つかりました",
    message_en: "This node's digest differs from its parent's",
    cause: "The daily comparison of cross-tier digests found code ranges where this node and its parent hold different entries of a municipality (the warning's detail and juki_digest_differing_ranges name them): a node restored from an older backup, or storage that lost or altered rows.",
    remedy: "At the municipal node run `juki reconcile --profile P --dry-run` to see the entries, then `juki reconcile --profile P` to repair them from the tier above.",
};
pub static DIG_CONFLICT: ErrorDef = ErrorDef {
    code: "JK-DIG-0102",
    class: Conflict,
    message_ja: "同じ異動IDで内容の異なる記録が上位ノードにあります",
    message_en: "The parent holds an entry with the same record id but other content",
    cause: "Reconcile found entries recorded under one record id whose content differs between this node and its parent; neither copy is overwritten.",
    remedy: "Compare the two copies (`juki reconcile --dry-run --json` lists them), decide which is right, and record a correction (職権修正) at the municipal node.",
};
pub static DIG_NOT_HERE: ErrorDef = ErrorDef {
    code: "JK-DIG-0103",
    class: Invalid,
    message_ja: "このノードでは照合・修復を行えません",
    message_en: "Reconcile runs at a municipal node with a parent",
    cause: "Reconcile repairs a municipal node from its prefecture; this node is not a municipal node, or has no parent configured.",
    remedy: "Run it against the municipal node whose entries differ (its profile).",
};
pub static DIG_PARENT: ErrorDef = ErrorDef {
    code: "JK-DIG-0104",
    class: Unavailable,
    message_ja: "上位ノードの照合値を取得できません",
    message_en: "The parent's digest or entries could not be fetched",
    cause: "The parent did not answer, or refused the digest request (the detail says why).",
    remedy: "Check the link to the parent (`juki status`), then run reconcile again; nothing was changed.",
};

pub(super) static DEFS: &[&ErrorDef] = &[&DIG_DIFFERS, &DIG_CONFLICT, &DIG_NOT_HERE, &DIG_PARENT];

//! Refusals of the authorisation policy (docs/policy.md): every one answers 403 and is
//! written to the audit log.

use super::{ErrorClass::*, ErrorDef};

pub static POLICY_ROLE: ErrorDef = ErrorDef {
    code: "JK-POL-0101",
    class: Forbidden,
    message_ja: "この役割ではこの操作はできません",
    message_en: "This role may not do this",
    cause: "The role in the caller's certificate or session is not allowed this action anywhere (docs/policy.md), e.g. a help-desk agent reading a resident's record.",
    remedy: "Use a profile of a role the policy allows for this action, or ask an operator who holds one.",
};
pub static POLICY_JURISDICTION: ErrorDef = ErrorDef {
    code: "JK-POL-0102",
    class: Forbidden,
    message_ja: "管轄外の住民・ノードに対する操作はできません",
    message_en: "The target is outside the caller's jurisdiction",
    cause: "The role may do this action, but only within its own jurisdiction, and the resident or node concerned belongs to another local government (e.g. a clerk of 練馬区 changing a resident of 中野区).",
    remedy: "Ask the local government the resident or node belongs to, or use a profile of that jurisdiction.",
};
pub static POLICY_TIER: ErrorDef = ErrorDef {
    code: "JK-POL-0103",
    class: Forbidden,
    message_ja: "この種類のノードではこの操作はできません",
    message_en: "This action is not served by this kind of node",
    cause: "The action is served only at some tiers (docs/policy.md): identity lookups by agencies at prefecture and national nodes, changes at municipal nodes.",
    remedy: "Send the request to a node of the tier the policy names.",
};
pub static POLICY_PURPOSE_MISSING: ErrorDef = ErrorDef {
    code: "JK-POL-0104",
    class: Forbidden,
    message_ja: "利用目的が指定されていません",
    message_en: "No purpose was given",
    cause: "Identity lookups must say why they are made: every one carries a purpose code from the node's configured list.",
    remedy: "Repeat the request with --purpose (e.g. pension or passport); `juki status` of the node lists the purposes it accepts.",
};
pub static POLICY_PURPOSE_UNKNOWN: ErrorDef = ErrorDef {
    code: "JK-POL-0105",
    class: Forbidden,
    message_ja: "利用目的コードが認められていません",
    message_en: "The purpose code is not one this node accepts",
    cause: "The purpose code is not in the node's configured list of identity-verification purposes ([purposes] in node.toml).",
    remedy: "Use one of the purpose codes the node lists; a new purpose needs a legal basis and is added by the node's administrator.",
};
pub static POLICY_OWN_APPROVAL: ErrorDef = ErrorDef {
    code: "JK-POL-0106",
    class: Forbidden,
    message_ja: "自分が申請した操作を自分で承認することはできません",
    message_en: "The requester cannot approve their own request",
    cause: "Two-person approval needs a second operator: the identity that created the request may reject it but not approve it.",
    remedy: "Ask another operator whose role may do the operation to approve it (`juki approve approve ID`).",
};
pub static POLICY_OUTSIDE_HOURS: ErrorDef = ErrorDef {
    code: "JK-POL-0107",
    class: Forbidden,
    message_ja: "広域サービスの取扱時間外です",
    message_en: "Wide-area services are closed at this hour",
    cause: "Services across municipalities (wide-area certificates, the special move-in) are served within the common operating hours only: weekdays 9:00–17:00 Asia/Tokyo by default ([hours] in juki.toml; the detail names the rule and the time). Work within the clerk's own municipality is always allowed.",
    remedy: "Retry within the operating hours the detail names; for rehearsals out of hours, a nation started with `juki demo --always-open` does not enforce them.",
};
pub static POLICY_ALWAYS_OPEN: ErrorDef = ErrorDef {
    code: "JK-POL-0108",
    class: Conflict,
    message_ja: "取扱時間の制限が無効です（常時受付）",
    message_en: "Operating hours are not enforced at this node (always open)",
    cause: "`[hours] always_open = true` (as `juki demo --always-open` sets for rehearsals): wide-area services are served at any hour and every stop needs approval. A warning in `juki status`.",
    remedy: "Remove `always_open` from [hours] in juki.toml (or start the demo without --always-open) before serving real windows.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &POLICY_ROLE,
    &POLICY_JURISDICTION,
    &POLICY_TIER,
    &POLICY_PURPOSE_MISSING,
    &POLICY_PURPOSE_UNKNOWN,
    &POLICY_OWN_APPROVAL,
    &POLICY_OUTSIDE_HOURS,
    &POLICY_ALWAYS_OPEN,
];

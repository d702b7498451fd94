//! Errors of the network's private CA, certificates and mutual TLS between nodes (docs/pki.md).
//!
//! `01xx`: what a connection or a link refuses (a peer's certificate, its identity, the link
//! rules). `02xx`: administering the CA and certificate files (`juki ca`).

use super::{ErrorClass::*, ErrorDef};

pub static TLS_NO_CLIENT_CERT: ErrorDef = ErrorDef {
    code: "JK-TLS-0101",
    class: Unauthenticated,
    message_ja: "クライアント証明書が提示されていません",
    message_en: "No client certificate was presented",
    cause: "This endpoint or link needs the caller's certificate, and the connection carried none.",
    remedy: "Connect with the certificate and key juki ca issue made for this node or person.",
};
pub static TLS_UNKNOWN_CA: ErrorDef = ErrorDef {
    code: "JK-TLS-0102",
    class: Forbidden,
    message_ja: "このネットワークの認証局が発行した証明書ではありません",
    message_en: "The certificate was not issued by this network's CA",
    cause: "The certificate does not chain to the CA the node trusts (another network's CA, a node-local CA, or a damaged file).",
    remedy: "Issue a certificate from this network's CA (juki ca issue) and install it with its key.",
};
pub static TLS_REVOKED: ErrorDef = ErrorDef {
    code: "JK-TLS-0103",
    class: Forbidden,
    message_ja: "証明書は失効しています",
    message_en: "The certificate has been revoked",
    cause: "The certificate's serial is on the CA's revocation list (juki ca revoke); nodes refuse it from the next connection.",
    remedy: "Ask the CA administrator for a new certificate (juki ca issue); a revocation cannot be undone.",
};
pub static TLS_EXPIRED: ErrorDef = ErrorDef {
    code: "JK-TLS-0104",
    class: Forbidden,
    message_ja: "証明書の有効期間外です",
    message_en: "The certificate is expired or not yet valid",
    cause: "The current time is outside the certificate's validity, or one of the two clocks is wrong.",
    remedy: "Renew the certificate (juki ca renew) and check both machines' clocks.",
};
pub static TLS_WRONG_ROLE: ErrorDef = ErrorDef {
    code: "JK-TLS-0105",
    class: Forbidden,
    message_ja: "この接続にはこのロールの証明書は使えません",
    message_en: "A certificate of this role cannot use this link",
    cause: "Changes and code pools flow one level up only: a municipal node to its prefecture node, a prefecture node to the national node.",
    remedy: "Point the node at its parent (a municipal node at its prefecture, a prefecture node at the national node).",
};
pub static TLS_WRONG_PREFECTURE: ErrorDef = ErrorDef {
    code: "JK-TLS-0106",
    class: Forbidden,
    message_ja: "他の都道府県のノードとは接続できません",
    message_en: "A municipal node may only link to its own prefecture's node",
    cause: "The municipal node's code belongs to another prefecture (the first two digits differ).",
    remedy: "Point the municipal node at the prefecture node of its own prefecture.",
};
pub static TLS_PERSON_ON_LINK: ErrorDef = ErrorDef {
    code: "JK-TLS-0107",
    class: Forbidden,
    message_ja: "職員・利用者の証明書ではノード間の連携はできません",
    message_en: "A person's certificate cannot be used for a link between nodes",
    cause: "Only node certificates (national, prefecture, municipal) may push changes or request code pools.",
    remedy: "Use the node's own certificate for node links; people work through their node's API.",
};
pub static TLS_IDENTITY: ErrorDef = ErrorDef {
    code: "JK-TLS-0108",
    class: Forbidden,
    message_ja: "証明書に正しい識別情報がありません",
    message_en: "The certificate carries no valid juki identity",
    cause: "A juki certificate names exactly one identity as a URI urn:juki:ROLE:JURISDICTION:NAME; this one has none, several, or a malformed one.",
    remedy: "Use a certificate made by juki ca issue.",
};
pub static TLS_UNEXPECTED_PEER: ErrorDef = ErrorDef {
    code: "JK-TLS-0109",
    class: Forbidden,
    message_ja: "接続先が想定したノードではありません",
    message_en: "The server is not the node this link expects",
    cause: "The server's certificate is valid but names another identity than the configured parent (e.g. another prefecture's node).",
    remedy: "Check the parent URL in juki.toml: it must reach the node named in the detail.",
};
pub static TLS_EXPIRES_SOON: ErrorDef = ErrorDef {
    code: "JK-TLS-0110",
    class: Invalid,
    message_ja: "証明書の有効期限が30日以内に切れます",
    message_en: "The certificate expires within 30 days",
    cause: "The certificate's validity ends soon (a warning, not a refusal).",
    remedy: "Renew it now with juki ca renew; a running node picks up the new certificate without a restart.",
};
pub static TLS_CA_EXISTS: ErrorDef = ErrorDef {
    code: "JK-TLS-0201",
    class: Conflict,
    message_ja: "このディレクトリには既に認証局があります",
    message_en: "The directory already holds a CA",
    cause: "juki ca init found ca.pem or ca.key and will not overwrite a CA: every certificate it issued would stop working.",
    remedy: "Use another directory, or keep using the existing CA.",
};
pub static TLS_CA_UNREADABLE: ErrorDef = ErrorDef {
    code: "JK-TLS-0202",
    class: BadRequest,
    message_ja: "認証局のディレクトリを読み込めません",
    message_en: "The CA directory cannot be read",
    cause: "ca.pem, ca.key or issued.json is missing, unreadable or damaged; the detail names the file.",
    remedy: "Give the directory made by juki ca init, or restore it from its backup.",
};
pub static TLS_KEY_EXPOSED: ErrorDef = ErrorDef {
    code: "JK-TLS-0203",
    class: Invalid,
    message_ja: "秘密鍵のファイルの権限が広すぎます（所有者以外に権限があります）",
    message_en: "A private key file's permissions are too open",
    cause: "Keys must be accessible to their owner only (mode 0600): juki refuses a key file whose mode grants anything to group or others, whichever key it is (the CA's, a node's, a client profile's).",
    remedy: "Run chmod 600 FILE on the file named in the detail; if others may have read it, revoke and reissue the certificate.",
};
pub static TLS_FILE_UNREADABLE: ErrorDef = ErrorDef {
    code: "JK-TLS-0204",
    class: BadRequest,
    message_ja: "証明書または鍵のファイルを読み込めません",
    message_en: "A certificate or key file cannot be read",
    cause: "The file is missing, unreadable, or holds no PEM certificate or key; the detail names it.",
    remedy: "Check the path; certificate and key files are the PEM files juki ca issue wrote.",
};
pub static TLS_OUT_EXISTS: ErrorDef = ErrorDef {
    code: "JK-TLS-0205",
    class: Conflict,
    message_ja: "出力先のファイルが既にあります",
    message_en: "An output file already exists",
    cause: "juki ca issue never overwrites a certificate or key.",
    remedy: "Choose another --out, or use juki ca renew to replace a certificate in place.",
};
pub static TLS_SERIAL_UNKNOWN: ErrorDef = ErrorDef {
    code: "JK-TLS-0206",
    class: NotFound,
    message_ja: "この認証局が発行した証明書にこのシリアル番号はありません",
    message_en: "This CA issued no certificate with this serial",
    cause: "The serial is not in the CA's list of issued certificates (issued.json).",
    remedy: "Look the serial up with juki ca list.",
};
pub static TLS_ROLE_JURISDICTION: ErrorDef = ErrorDef {
    code: "JK-TLS-0207",
    class: Invalid,
    message_ja: "このロールとこの管轄の組合せは使えません",
    message_en: "This role and this jurisdiction do not fit together",
    cause: "National roles take no code; a prefecture node a prefecture code; a municipal node or clerk a municipality, special ward or designated city; an admin one of those or a prefecture.",
    remedy: "Check --role and --code (docs/pki.md lists the rules; juki lgc NAME gives codes).",
};
pub static TLS_BAD_NAME: ErrorDef = ErrorDef {
    code: "JK-TLS-0208",
    class: Invalid,
    message_ja: "名前またはホスト名が正しくありません",
    message_en: "A name or host is not allowed",
    cause: "Names are 1 to 32 of a-z, 0-9 and hyphen (a node's name is its role); hosts are IP addresses or DNS names, required for nodes and not allowed for people.",
    remedy: "Correct the value named in the detail.",
};
pub static TLS_DAYS: ErrorDef = ErrorDef {
    code: "JK-TLS-0209",
    class: Invalid,
    message_ja: "有効日数が範囲外です",
    message_en: "The number of days is out of range",
    cause: "A certificate is valid for at least one day and not beyond its CA's own expiry; a CA for at most 36500 days.",
    remedy: "Give fewer days, or renew the CA first.",
};
pub static TLS_WRITE: ErrorDef = ErrorDef {
    code: "JK-TLS-0210",
    class: Unavailable,
    message_ja: "証明書関連ファイルの書き込みに失敗しました",
    message_en: "Writing a certificate, key or CA file failed",
    cause: "The file system refused a write (disk full, permissions); files are replaced atomically, so the old ones are intact.",
    remedy: "Check free space and permissions of the named directory, then run the command again.",
};
pub static TLS_CRYPTO: ErrorDef = ErrorDef {
    code: "JK-TLS-0211",
    class: Internal,
    message_ja: "鍵の生成または署名に失敗しました",
    message_en: "Making a key or a signature failed",
    cause: "The cryptographic library refused to generate a key, draw random bytes or sign; nothing was written.",
    remedy: "Run the command again; if it fails again, report the detail to the help desk.",
};

pub(super) static DEFS: &[&ErrorDef] = &[
    &TLS_NO_CLIENT_CERT,
    &TLS_UNKNOWN_CA,
    &TLS_REVOKED,
    &TLS_EXPIRED,
    &TLS_WRONG_ROLE,
    &TLS_WRONG_PREFECTURE,
    &TLS_PERSON_ON_LINK,
    &TLS_IDENTITY,
    &TLS_UNEXPECTED_PEER,
    &TLS_EXPIRES_SOON,
    &TLS_CA_EXISTS,
    &TLS_CA_UNREADABLE,
    &TLS_KEY_EXPOSED,
    &TLS_FILE_UNREADABLE,
    &TLS_OUT_EXISTS,
    &TLS_SERIAL_UNKNOWN,
    &TLS_ROLE_JURISDICTION,
    &TLS_BAD_NAME,
    &TLS_DAYS,
    &TLS_WRITE,
    &TLS_CRYPTO,
];

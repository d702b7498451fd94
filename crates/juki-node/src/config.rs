//! A node's configuration: `juki.toml` in its data directory, read in two steps — raw TOML,
//! then a validated [`NodeConfig`] (every field checked, every limit bounded).

use anyhow::{Context, Result, anyhow};
use juki_domain::catalogue::{CFG_ALREADY_INITIALISED, CFG_INVALID, CFG_ROLE, CFG_UNREADABLE};
use juki_domain::lgc::{self, LgcKind};
use juki_domain::{ErrorDef, LocalGovernmentCode};
use juki_store::{CodePool, SqliteOptions, SqliteStore, Store};
use juki_store_pg::{PgOptions, PgStore};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The configuration file's name inside a data directory.
pub const CONFIG_FILE: &str = "juki.toml";
/// The SQLite store's file name inside a data directory.
pub const STORE_FILE: &str = "store.db";

/// The role a node plays in the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A municipal node (CS).
    Municipal,
    Prefecture,
    National,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Municipal => "municipal",
            Role::Prefecture => "prefecture",
            Role::National => "national",
        }
    }
}

/// Limits on what a node accepts (STYLE: a limit on everything).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub body_bytes_max: usize,
    pub changes_per_request_max: usize,
    /// Requests served at once; more are refused with 503 and Retry-After.
    pub concurrent_requests_max: usize,
    pub request_timeout_ms: u64,
    pub connections_max: usize,
    pub tls_handshake_timeout_ms: u64,
    pub shutdown_grace_ms: u64,
    /// Requests a second each client may send, on average (a client is its certificate's
    /// identity, or its address without one); beyond it and its burst: 429 with Retry-After.
    /// Links from child nodes (`/v1/link/…`) are not counted.
    pub client_requests_per_second: u32,
    /// Requests a client may send at once after a quiet spell.
    pub client_burst: u32,
    /// The most bytes of request headers: the request line and headers of HTTP/1.1, the
    /// header list of HTTP/2 (beyond it: 431, or the connection is closed).
    pub header_bytes_max: u32,
    /// The most header fields of an HTTP/1.1 request (HTTP/2 is bounded by the bytes).
    pub headers_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes_max: 8 * 1024 * 1024,
            changes_per_request_max: 10_000,
            concurrent_requests_max: 64,
            request_timeout_ms: 30_000,
            connections_max: 1_024,
            tls_handshake_timeout_ms: 10_000,
            shutdown_grace_ms: 10_000,
            client_requests_per_second: 500,
            client_burst: 1_000,
            header_bytes_max: 16 * 1024,
            headers_max: 64,
        }
    }
}

/// TLS files, relative to the data directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The network CA: what this node's clients and parent present certificates from.
    pub ca: PathBuf,
    /// The CA's revocation list, re-read when it changes (a revoked certificate is refused
    /// from its next connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl: Option<PathBuf>,
}

/// `juki.toml` as written on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    role: Role,
    code: Option<String>,
    listen: String,
    parent: Option<String>,
    #[serde(default)]
    limits: Limits,
    tls: TlsFiles,
    #[serde(default)]
    audit: AuditSettings,
    /// Identity-verification purpose codes this node accepts, with their names.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    purposes: std::collections::BTreeMap<String, String>,
    /// When stopping this node needs a second person's approval.
    #[serde(default)]
    hours: crate::hours::HoursSettings,
    /// The network CA, at the national node only: it revokes certificates once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca: Option<CaSettings>,
    /// The URL other nodes reach this node at (default `https://LISTEN`); a child tells its
    /// parent this URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// `[routes]`: routed requests for these codes go straight to these URLs (docs/operations.md).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    routes: std::collections::BTreeMap<String, String>,
    /// `[certificates]`: how printed certificates are made.
    #[serde(default)]
    certificates: CertificateSettings,
    /// `[gateway]`: how change files submitted at this node are checked.
    #[serde(default)]
    gateway: GatewaySettings,
    /// A `postgres://` URL: the store is in that PostgreSQL database (absent: SQLite in the
    /// data directory). docs/operations-postgres.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    store: Option<String>,
    /// The schema of that database the store is in (default `node_<code>`, `node_national`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    store_schema: Option<String>,
    /// `[backup]`: the node's backup repository and schedule (docs/backup.md).
    #[serde(default, skip_serializing_if = "BackupSettings::is_unset")]
    backup: BackupSettings,
    /// `[digest]`: how often the node compares its digests with its parent's (docs/backup.md).
    #[serde(default, skip_serializing_if = "DigestSettings::is_default")]
    digest: DigestSettings,
}

/// `[digest]` (docs/backup.md, "Cross-tier digests and reconcile").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DigestSettings {
    /// Seconds between comparisons of this node's digests with its parent's; 0: none.
    pub interval_seconds: u64,
}

impl Default for DigestSettings {
    fn default() -> DigestSettings {
        DigestSettings {
            interval_seconds: 86_400,
        }
    }
}

impl DigestSettings {
    /// The longest interval accepted: 31 days.
    pub const INTERVAL_SECONDS_MAX: u64 = 31 * 24 * 3600;

    fn is_default(&self) -> bool {
        *self == DigestSettings::default()
    }
}

/// `[gateway]` (docs/gateway-formats.md): files submitted at a municipal node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    /// The character set names must be in: `unicode`, `jis0208` or `allow:FILE`.
    pub charset: String,
    /// The municipality's 外字 mapping table (relative to the data directory), if any.
    pub gaiji: Option<PathBuf>,
    /// A file closing (消除) more records than this waits for a second person's approval.
    pub closes_without_approval: u64,
    /// The largest file the node takes (bytes).
    pub file_bytes_max: u64,
}

impl Default for GatewaySettings {
    fn default() -> GatewaySettings {
        GatewaySettings {
            charset: "unicode".into(),
            gaiji: None,
            closes_without_approval: 100,
            file_bytes_max: 2 << 30,
        }
    }
}

/// `[backup]` (docs/backup.md): where the node's backups go and how often it takes one itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupSettings {
    /// A directory on other storage, or `rest:https://…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The repository password's file: absolute, or relative to the data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// The CA certificate (PEM) of a REST server's certificate, when not a public one:
    /// absolute, or relative to the data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cacert: Option<PathBuf>,
    /// Seconds between the backups the node takes while it runs; 0: none (a timer runs
    /// `juki backup run` instead).
    pub interval_seconds: u64,
    /// A backup is a full snapshot when the newest of the node's epoch is older than this
    /// (default 30 days), and a journal backup otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_interval_seconds: Option<u64>,
    /// Seconds between the restore drills the node runs while it serves; 0: none.
    pub drill_interval_seconds: u64,
    /// The operator's acknowledgement that the repository is on the data's own device
    /// (`--i-know-this-is-the-same-storage`); `status` warns while it is so.
    pub same_storage: bool,
}

impl BackupSettings {
    /// The longest interval accepted: 31 days.
    pub const INTERVAL_SECONDS_MAX: u64 = 31 * 24 * 3600;

    fn is_unset(&self) -> bool {
        *self == BackupSettings::default()
    }

    /// `snapshot_interval_seconds`, or its default of 30 days.
    pub fn snapshot_interval(&self) -> u64 {
        self.snapshot_interval_seconds
            .unwrap_or(juki_backup::SNAPSHOT_INTERVAL_SECONDS_DEFAULT)
    }
}

/// `[certificates]` (docs/certificates.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CertificateSettings {
    /// The TrueType/OpenType font PDF copies are set in; relative to the data directory.
    pub font: PathBuf,
}

impl Default for CertificateSettings {
    fn default() -> CertificateSettings {
        CertificateSettings {
            font: juki_print::DEFAULT_FONT.into(),
        }
    }
}

/// Where a node keeps its store: SQLite in [`STORE_FILE`] in the data directory (the default),
/// or a schema of a PostgreSQL database. The backup stage's type, so that what juki.toml says
/// is what a backup is told.
pub use juki_backup::StoreAt as StoreSetting;

/// Checks `store` and `store_schema` of juki.toml for a node with code `code`.
fn store_setting(
    store: Option<String>,
    schema: Option<String>,
    code: Option<LocalGovernmentCode>,
) -> Result<StoreSetting, ConfigError> {
    let Some(url) = store else {
        return match schema {
            Some(_) => Err(cfg_err(
                &CFG_INVALID,
                "store_schema: goes with store = \"postgres://…\"",
            )),
            None => Ok(StoreSetting::Sqlite),
        };
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(cfg_err(
            &CFG_INVALID,
            format!(
                "store = {url:?}: must be a postgres:// URL (absent: SQLite in the data directory)"
            ),
        ));
    }
    let schema = schema.unwrap_or_else(|| match code {
        Some(c) => format!("node_{c}"),
        None => "node_national".into(),
    });
    if !juki_store_pg::valid_schema_name(&schema) {
        return Err(cfg_err(
            &CFG_INVALID,
            format!("store_schema = {schema:?}: 1–63 of a-z, 0-9 and _, not starting with a digit"),
        ));
    }
    Ok(StoreSetting::Postgres { url, schema })
}

/// `[ca]`: the network CA's directory (docs/approvals.md), at the national node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaSettings {
    /// Absolute, or relative to the data directory.
    pub dir: PathBuf,
}

/// The audit log (docs/audit.md): `[audit]` in juki.toml.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// Off only for benchmarks that compare with and without it; a node serving people keeps
    /// it on.
    pub enabled: bool,
    /// Entries older than this are purged (default seven years).
    pub retention_days: u32,
    /// Entries waiting to be written before requests are refused with JK-AUDIT-0201.
    pub queue_capacity: usize,
}

impl Default for AuditSettings {
    fn default() -> AuditSettings {
        AuditSettings {
            enabled: true,
            retention_days: 2_557,
            queue_capacity: 65_536,
        }
    }
}

/// Purpose codes: 1–32 of a-z, 0-9 and `-`.
pub const PURPOSE_CODES_MAX: usize = 256;

/// A validated node configuration.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub data_dir: PathBuf,
    pub role: Role,
    /// The node's local government code (None for the national node).
    pub code: Option<LocalGovernmentCode>,
    /// The node's name, from the MIC table (全国 for the national node).
    pub name: String,
    pub listen: SocketAddr,
    /// The parent node's URL (a later stage joins the network; None runs standalone).
    pub parent: Option<String>,
    pub limits: Limits,
    pub tls: TlsFiles,
    pub audit: AuditSettings,
    /// Identity-verification purposes accepted here: code → name (年金給付).
    pub purposes: std::collections::BTreeMap<String, String>,
    /// Operating hours: stopping the node within them needs approval.
    pub hours: crate::hours::OperatingHours,
    /// The network CA's directory (national node only), as an absolute path.
    pub ca_dir: Option<PathBuf>,
    /// The URL other nodes reach this node at.
    pub url: String,
    /// Direct routes: destination code to URL (`[routes]`).
    pub routes: std::collections::BTreeMap<LocalGovernmentCode, String>,
    /// `[certificates]`, the font's path made absolute.
    pub certificates: CertificateSettings,
    /// `[gateway]`, its paths made absolute.
    pub gateway: GatewaySettings,
    /// Where the store is.
    pub store: StoreSetting,
    /// `[backup]`, the password file's path made absolute.
    pub backup: BackupSettings,
    /// `[digest]`.
    pub digest: DigestSettings,
}

/// A configuration error with its catalogue entry.
#[derive(Debug, thiserror::Error)]
#[error("{def}: {detail}")]
pub struct ConfigError {
    pub def: &'static ErrorDef,
    pub detail: String,
}

fn cfg_err(def: &'static ErrorDef, detail: impl Into<String>) -> ConfigError {
    ConfigError {
        def,
        detail: detail.into(),
    }
}

/// `[backup]`: a schedule needs a repository and a password file; the interval is bounded.
fn validate_backup(data_dir: &Path, b: BackupSettings) -> Result<BackupSettings, ConfigError> {
    let BackupSettings {
        repo,
        password_file,
        cacert,
        interval_seconds,
        snapshot_interval_seconds,
        drill_interval_seconds,
        same_storage,
    } = b;
    for (name, value) in [
        ("interval_seconds", interval_seconds),
        ("drill_interval_seconds", drill_interval_seconds),
    ] {
        if value > BackupSettings::INTERVAL_SECONDS_MAX {
            return Err(cfg_err(
                &CFG_INVALID,
                format!(
                    "backup.{name} = {value}: must be within 0..={}",
                    BackupSettings::INTERVAL_SECONDS_MAX
                ),
            ));
        }
        if value > 0 && (repo.is_none() || password_file.is_none()) {
            return Err(cfg_err(
                &CFG_INVALID,
                format!("backup.{name} needs backup.repo and backup.password_file"),
            ));
        }
    }
    Ok(BackupSettings {
        repo,
        password_file: password_file.map(|p| data_dir.join(p)),
        cacert: cacert.map(|p| data_dir.join(p)),
        interval_seconds,
        snapshot_interval_seconds,
        drill_interval_seconds,
        same_storage,
    })
}

/// Checks a role and code together; returns the code and the node's name.
fn check_role(
    role: Role,
    code: Option<&str>,
) -> Result<(Option<LocalGovernmentCode>, String), ConfigError> {
    let parsed = code
        .map(|c| {
            LocalGovernmentCode::parse(c).map_err(|p| cfg_err(&CFG_ROLE, format!("code {c}: {p}")))
        })
        .transpose()?;
    let row = parsed.map(|c| {
        lgc::table()
            .get(c)
            .ok_or_else(|| cfg_err(&CFG_ROLE, format!("no body has code {c}")))
    });
    match (role, row.transpose()?) {
        (Role::National, None) => Ok((None, "全国".into())),
        (Role::Municipal, Some(r)) if r.kind.has_node() => Ok((Some(r.code), r.name.into())),
        (Role::Prefecture, Some(r)) if r.kind == LgcKind::Prefecture => {
            Ok((Some(r.code), r.name.into()))
        }
        (role, r) => Err(cfg_err(
            &CFG_ROLE,
            format!(
                "role {} with {}",
                role.as_str(),
                r.map_or("no code".into(), |r| format!("{} ({:?})", r.code, r.kind))
            ),
        )),
    }
}

impl NodeConfig {
    /// Reads and validates `DIR/juki.toml`.
    pub fn load(data_dir: &Path) -> Result<NodeConfig, ConfigError> {
        Self::validate(data_dir, read_raw(data_dir)?)
    }

    fn validate(data_dir: &Path, raw: RawConfig) -> Result<NodeConfig, ConfigError> {
        // Destructure exhaustively: a new field must be validated here to compile.
        let RawConfig {
            role,
            code,
            listen,
            parent,
            limits,
            tls,
            audit,
            purposes,
            hours,
            ca,
            url,
            routes,
            certificates,
            gateway,
            store,
            store_schema,
            backup,
            digest,
        } = raw;
        if digest.interval_seconds > DigestSettings::INTERVAL_SECONDS_MAX {
            return Err(cfg_err(
                &CFG_INVALID,
                format!(
                    "digest.interval_seconds = {}: must be within 0..={}",
                    digest.interval_seconds,
                    DigestSettings::INTERVAL_SECONDS_MAX
                ),
            ));
        }
        let certificates = CertificateSettings {
            font: data_dir.join(certificates.font),
        };
        let gateway = GatewaySettings {
            gaiji: gateway.gaiji.map(|g| data_dir.join(g)),
            ..gateway
        };
        let backup = validate_backup(data_dir, backup)?;
        let hours = crate::hours::OperatingHours::from_settings(&hours)
            .map_err(|e| cfg_err(&CFG_INVALID, e))?;
        if ca.is_some() && role != Role::National {
            return Err(cfg_err(
                &CFG_INVALID,
                "ca.dir: only the national node revokes certificates; remove [ca]",
            ));
        }
        let ca_dir = ca.map(|c| data_dir.join(c.dir));
        if !(1..=36_500).contains(&audit.retention_days) {
            return Err(cfg_err(
                &CFG_INVALID,
                format!(
                    "audit.retention_days = {}: must be within 1..=36500",
                    audit.retention_days
                ),
            ));
        }
        if !(1..=juki_audit::QUEUE_CAPACITY_MAX).contains(&audit.queue_capacity) {
            return Err(cfg_err(
                &CFG_INVALID,
                format!(
                    "audit.queue_capacity = {}: must be within 1..={}",
                    audit.queue_capacity,
                    juki_audit::QUEUE_CAPACITY_MAX
                ),
            ));
        }
        if purposes.len() > PURPOSE_CODES_MAX {
            return Err(cfg_err(
                &CFG_INVALID,
                format!("purposes: at most {PURPOSE_CODES_MAX} codes"),
            ));
        }
        for (code, name) in &purposes {
            let good_code = (1..=32).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !good_code || name.trim().is_empty() || name.chars().count() > 64 {
                return Err(cfg_err(
                    &CFG_INVALID,
                    format!(
                        "purposes.{code} = {name:?}: a code is 1–32 of a-z, 0-9 and -, its name 1–64 characters"
                    ),
                ));
            }
        }
        let (code, name) = check_role(role, code.as_deref())?;
        let store = store_setting(store, store_schema, code)?;
        let listen: SocketAddr = listen
            .parse()
            .map_err(|e| cfg_err(&CFG_INVALID, format!("listen = {listen:?}: {e}")))?;
        let url = url.unwrap_or_else(|| format!("https://{listen}"));
        let routes =
            crate::routing::check_routes(&url, routes).map_err(|e| cfg_err(&CFG_INVALID, e))?;
        if let Some(p) = &parent
            && !p.starts_with("https://")
        {
            return Err(cfg_err(
                &CFG_INVALID,
                format!("parent = {p:?}: must be an https:// URL"),
            ));
        }
        let Limits {
            body_bytes_max,
            changes_per_request_max,
            concurrent_requests_max,
            request_timeout_ms,
            connections_max,
            tls_handshake_timeout_ms,
            shutdown_grace_ms,
            client_requests_per_second,
            client_burst,
            header_bytes_max,
            headers_max,
        } = limits;
        for (name, value, min, max) in [
            ("body_bytes_max", body_bytes_max as u64, 1024, 1 << 30),
            (
                "changes_per_request_max",
                changes_per_request_max as u64,
                1,
                100_000,
            ),
            (
                "concurrent_requests_max",
                concurrent_requests_max as u64,
                1,
                100_000,
            ),
            ("request_timeout_ms", request_timeout_ms, 10, 3_600_000),
            ("connections_max", connections_max as u64, 1, 1_000_000),
            (
                "tls_handshake_timeout_ms",
                tls_handshake_timeout_ms,
                10,
                600_000,
            ),
            ("shutdown_grace_ms", shutdown_grace_ms, 0, 600_000),
            (
                "client_requests_per_second",
                u64::from(client_requests_per_second),
                1,
                1_000_000,
            ),
            ("client_burst", u64::from(client_burst), 1, 10_000_000),
            // hyper reads an HTTP/1.1 head into a buffer of at least 8 KiB.
            (
                "header_bytes_max",
                u64::from(header_bytes_max),
                8192,
                1 << 20,
            ),
            ("headers_max", headers_max as u64, 8, 1_000),
        ] {
            if !(min..=max).contains(&value) {
                return Err(cfg_err(
                    &CFG_INVALID,
                    format!("limits.{name} = {value}: must be within {min}..={max}"),
                ));
            }
        }
        Ok(NodeConfig {
            data_dir: data_dir.to_path_buf(),
            role,
            code,
            name,
            listen,
            parent,
            limits,
            tls,
            audit,
            purposes,
            hours,
            ca_dir,
            url,
            routes,
            certificates,
            gateway,
            store,
            backup,
            digest,
        })
    }

    /// An absolute path for a file named relative to the data directory.
    pub fn path(&self, p: &Path) -> PathBuf {
        self.data_dir.join(p)
    }

    /// Opens the node's store, where `store` in juki.toml says. A new PostgreSQL store gets
    /// the code pool `juki init` gives a new node ([`initial_pool`]).
    pub fn open_store(&self) -> Result<Box<dyn Store>> {
        let err = |e: juki_store::StoreError| anyhow!("{}: {e}", e.def());
        match &self.store {
            StoreSetting::Sqlite => Ok(Box::new(
                SqliteStore::open(&self.data_dir.join(STORE_FILE), SqliteOptions::default())
                    .map_err(err)?,
            )),
            StoreSetting::Postgres { url, schema } => {
                let store = PgStore::open(url, schema, PgOptions::default()).map_err(err)?;
                let stats = store.stats().map_err(err)?;
                // New: nothing recorded, no codes (a pool used up has recorded something).
                if let Some(pool) = initial_pool(self)
                    && stats.journal_head == 0
                    && stats.codes_available == 0
                {
                    store.add_code_pool(pool).map_err(err)?;
                }
                Ok(Box::new(store))
            }
        }
    }
}

/// What `juki init` is asked for.
#[derive(Clone, Debug)]
pub struct InitOptions {
    pub role: Role,
    pub code: Option<String>,
    pub data_dir: PathBuf,
    pub listen: String,
    pub parent: Option<String>,
    /// The network CA's directory to issue this node's certificate from; None makes a CA of
    /// the node's own in `DATA/ca` (a standalone node) with a client profile for its operator.
    pub ca_dir: Option<PathBuf>,
}

/// The pool of resident codes a standalone municipal node assigns from until the network
/// hands it one: bodies `0PPMMM0000..0PPMMM9999` from its code's first five digits. Codes that
/// start with 0 are never made by `juki synth` (docs/synth.md).
pub fn standalone_pool(code: LocalGovernmentCode) -> CodePool {
    let start = u64::from(code.five()) * 10_000;
    CodePool {
        start,
        end: start + 10_000,
    }
}

/// The resident-code pool the national node starts with, which it hands out to prefectures:
/// bodies 500,000,000..1,000,000,000 — apart from the standalone pools (below 480,000,000) and
/// from the codes `juki synth` makes (1,000,000,000 and up).
pub const NATIONAL_POOL: CodePool = CodePool {
    start: 500_000_000,
    end: 1_000_000_000,
};

/// The identity-verification purposes `juki init` configures at prefecture and national nodes
/// (agencies look identities up there); an administrator edits `[purposes]` in juki.toml.
pub fn default_purposes() -> std::collections::BTreeMap<String, String> {
    [("pension", "年金給付"), ("passport", "旅券発給")]
        .into_iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect()
}

/// How long node certificates `juki init` issues are valid.
const NODE_CERT_DAYS: i64 = 825;

impl Role {
    /// The role's identity in certificates.
    pub fn pki(self) -> juki_pki::Role {
        match self {
            Role::Municipal => juki_pki::Role::Municipal,
            Role::Prefecture => juki_pki::Role::Prefecture,
            Role::National => juki_pki::Role::National,
        }
    }
}

impl NodeConfig {
    /// The identity this node's certificate carries.
    pub fn identity(&self) -> Result<juki_pki::Identity, juki_pki::PkiError> {
        let jurisdiction = match self.code {
            Some(c) => juki_pki::Jurisdiction::Local(c),
            None => juki_pki::Jurisdiction::National,
        };
        juki_pki::Identity::new(self.role.pki(), jurisdiction, self.role.as_str())
    }

    /// The node's TLS files as absolute paths.
    pub fn node_tls(&self) -> juki_pki::NodeTls {
        juki_pki::NodeTls {
            ca: self.path(&self.tls.ca),
            cert: self.path(&self.tls.cert),
            key: self.path(&self.tls.key),
            crl: self.tls.crl.as_ref().map(|p| self.path(p)),
        }
    }
}

/// The client profile a standalone node's `juki init` writes for its operator: who.
fn standalone_operator(role: Role) -> juki_pki::Role {
    match role {
        Role::Municipal => juki_pki::Role::Clerk,
        Role::Prefecture => juki_pki::Role::Admin,
        Role::National => juki_pki::Role::Operator,
    }
}

/// Creates a node's data directory: validated `juki.toml`, TLS material, an empty store.
pub fn init(opts: &InitOptions) -> Result<NodeConfig> {
    let (code, _) = check_role(opts.role, opts.code.as_deref())?;
    let config_path = opts.data_dir.join(CONFIG_FILE);
    if config_path.exists() {
        return Err(cfg_err(&CFG_ALREADY_INITIALISED, config_path.display().to_string()).into());
    }
    let raw = RawConfig {
        role: opts.role,
        code: code.map(|c| c.to_string()),
        listen: opts.listen.clone(),
        parent: opts.parent.clone(),
        limits: Limits::default(),
        tls: TlsFiles {
            cert: "tls/node.pem".into(),
            key: "tls/node.key".into(),
            ca: "tls/ca.pem".into(),
            crl: None,
        },
        audit: AuditSettings::default(),
        purposes: match opts.role {
            Role::Municipal => Default::default(),
            Role::Prefecture | Role::National => default_purposes(),
        },
        hours: crate::hours::HoursSettings::default(),
        ca: None,
        url: None,
        routes: Default::default(),
        certificates: CertificateSettings::default(),
        gateway: GatewaySettings::default(),
        store: None,
        store_schema: None,
        backup: BackupSettings::default(),
        digest: DigestSettings::default(),
    };
    let mut raw = raw;
    let config = NodeConfig::validate(&opts.data_dir, raw.clone())?;
    std::fs::create_dir_all(opts.data_dir.join("tls"))
        .with_context(|| format!("creating {}", opts.data_dir.display()))?;
    let host = config.listen.ip().to_string();
    let mut hosts = vec![host, "localhost".to_string()];
    hosts.dedup();
    let identity = config.identity()?;
    let tls = config.node_tls();
    let (mut ca, standalone) = match &opts.ca_dir {
        Some(dir) => (juki_pki::Ca::open(dir)?, false),
        None => (juki_pki::Ca::init(&opts.data_dir.join("ca"), 3650)?, true),
    };
    ca.issue(&identity, &hosts, NODE_CERT_DAYS, &tls.cert, &tls.key)?;
    std::fs::copy(ca.cert_path(), &tls.ca).context("copying the CA certificate")?;
    raw.tls.crl = Some(match standalone {
        true => "ca/crl.pem".into(),
        false => std::fs::canonicalize(ca.crl_path()).context("locating the CA's CRL")?,
    });
    if config.role == Role::National {
        // The national node revokes certificates once a second operator approves.
        raw.ca = Some(CaSettings {
            dir: match standalone {
                true => "ca".into(),
                false => std::fs::canonicalize(ca.dir()).context("locating the CA's directory")?,
            },
        });
    }
    if standalone {
        // A standalone node is its own little network: its operator gets a profile.
        let who = standalone_operator(config.role);
        let jurisdiction = identity.jurisdiction;
        let person = juki_pki::Identity::new(who, jurisdiction, who.as_str())?;
        let dir = opts.data_dir.join("profiles");
        std::fs::create_dir_all(&dir)?;
        let name = who.as_str();
        ca.issue(
            &person,
            &[],
            NODE_CERT_DAYS,
            &dir.join(format!("{name}.crt")),
            &dir.join(format!("{name}.key")),
        )?;
        juki_client::write_profile(
            &dir.join(format!("{name}.toml")),
            &juki_client::Profile {
                url: format!("https://{}", config.listen),
                role: name.into(),
                jurisdiction: jurisdiction.to_string(),
                ca: "../tls/ca.pem".into(),
                cert: format!("{name}.crt").into(),
                key: format!("{name}.key").into(),
            },
        )?;
    }
    let store = config.open_store()?;
    if let Some(pool) = initial_pool(&config)
        && config.store == StoreSetting::Sqlite
    {
        store
            .add_code_pool(pool)
            .map_err(|e| anyhow!("{}: {e}", e.def()))?;
    }
    write_raw(&opts.data_dir, &raw)?;
    Ok(config)
}

/// The code pool a new node starts with: a standalone municipal node its own, the national
/// node the nation's.
fn initial_pool(config: &NodeConfig) -> Option<CodePool> {
    match (config.role, config.code) {
        (Role::Municipal, Some(code)) if config.parent.is_none() => Some(standalone_pool(code)),
        (Role::National, _) => Some(NATIONAL_POOL),
        _ => None,
    }
}

/// Moves an initialised node's store to PostgreSQL (`store` and `store_schema` in juki.toml),
/// and opens it once so that it exists, with the node's first code pool. The node's SQLite
/// store, when it holds nothing yet, is removed.
pub fn use_postgres(data_dir: &Path, url: &str, schema: Option<&str>) -> Result<NodeConfig> {
    let mut raw = read_raw(data_dir)?;
    raw.store = Some(url.to_string());
    raw.store_schema = schema.map(str::to_string);
    let config = NodeConfig::validate(data_dir, raw.clone())?;
    drop(config.open_store()?);
    let sqlite = data_dir.join(STORE_FILE);
    if sqlite.exists() {
        let empty = SqliteStore::open(&sqlite, SqliteOptions::default())
            .and_then(|s| s.stats())
            .is_ok_and(|s| s.journal_head == 0);
        if empty {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(data_dir.join(format!("{STORE_FILE}{suffix}")));
            }
        }
    }
    write_raw(data_dir, &raw)?;
    Ok(config)
}

/// Reads a node's `juki.toml` as written, unchecked.
fn read_raw(data_dir: &Path) -> Result<RawConfig, ConfigError> {
    let path = data_dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| cfg_err(&CFG_UNREADABLE, format!("{}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| cfg_err(&CFG_UNREADABLE, format!("{}: {e}", path.display())))
}

/// Points a stopped node on PostgreSQL at the database `url` (its schema kept), without
/// opening it: `juki backup restore --store` loads the node's dump there next.
pub fn set_store_url(data_dir: &Path, url: &str) -> Result<NodeConfig> {
    let mut raw = read_raw(data_dir)?;
    raw.store = Some(url.to_string());
    let config = NodeConfig::validate(data_dir, raw.clone())?;
    write_raw(data_dir, &raw)?;
    Ok(config)
}

/// Writes `juki.toml` atomically (a temporary file renamed over it).
fn write_raw(data_dir: &Path, raw: &RawConfig) -> Result<()> {
    let text = format!(
        "# juki node configuration (docs/operations.md lists every setting).\n{}",
        toml::to_string_pretty(raw).context("writing configuration")?
    );
    let tmp = data_dir.join(".juki.toml.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, data_dir.join(CONFIG_FILE))?;
    Ok(())
}

/// Sets or clears `[hours] always_open` in a stopped node's juki.toml (`juki demo
/// --always-open`); the rest of the configuration is kept, and checked again.
pub fn set_always_open(data_dir: &Path, always_open: bool) -> Result<()> {
    let mut raw = read_raw(data_dir)?;
    if raw.hours.always_open == always_open {
        return Ok(());
    }
    raw.hours.always_open = always_open;
    NodeConfig::validate(data_dir, raw.clone())?;
    write_raw(data_dir, &raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(dir: &Path, role: Role, code: Option<&str>) -> InitOptions {
        InitOptions {
            role,
            code: code.map(Into::into),
            data_dir: dir.to_path_buf(),
            listen: "127.0.0.1:7443".into(),
            parent: None,
            ca_dir: None,
        }
    }

    #[test]
    fn init_writes_a_config_that_loads() {
        let dir = tempfile::tempdir().unwrap();
        let c = init(&opts(dir.path(), Role::Municipal, Some("131148"))).unwrap();
        assert_eq!(c.name, "中野区");
        let loaded = NodeConfig::load(dir.path()).unwrap();
        assert_eq!(loaded.code, c.code);
        assert_eq!(loaded.limits, Limits::default());
        assert!(juki_pki::check_private(&dir.path().join("tls/node.key")).is_ok());
        assert!(juki_pki::check_private(&dir.path().join("profiles/clerk.key")).is_ok());
        let err = init(&opts(dir.path(), Role::Municipal, Some("131148"))).unwrap_err();
        assert_eq!(
            err.downcast_ref::<ConfigError>().unwrap().def.code,
            "JK-CFG-0103"
        );
        assert_eq!(
            c.open_store().unwrap().stats().unwrap().codes_available,
            10_000
        );
    }

    #[test]
    fn roles_and_codes_must_fit() {
        let dir = tempfile::tempdir().unwrap();
        for (role, code) in [
            (Role::Municipal, Some("130001")),
            (Role::Municipal, Some("011011")), // a ward of a designated city has no node
            (Role::Prefecture, Some("131148")),
            (Role::National, Some("130001")),
            (Role::Municipal, None),
            (Role::Municipal, Some("130000")),
        ] {
            let err = init(&opts(dir.path(), role, code)).unwrap_err();
            assert_eq!(
                err.downcast_ref::<ConfigError>().unwrap().def.code,
                "JK-CFG-0104",
                "{role:?} {code:?}"
            );
        }
    }

    #[test]
    fn limits_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        init(&opts(dir.path(), Role::Municipal, Some("131148"))).unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).unwrap().replace(
            "concurrent_requests_max = 64",
            "concurrent_requests_max = 0",
        );
        std::fs::write(&path, text).unwrap();
        assert_eq!(
            NodeConfig::load(dir.path()).unwrap_err().def.code,
            "JK-CFG-0102"
        );
        std::fs::write(&path, "role = 'municipal'\nbogus = 1\n").unwrap();
        assert_eq!(
            NodeConfig::load(dir.path()).unwrap_err().def.code,
            "JK-CFG-0101"
        );
    }

    #[test]
    fn the_digest_interval_defaults_to_a_day_and_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        init(&opts(dir.path(), Role::Municipal, Some("131148"))).unwrap();
        assert_eq!(
            NodeConfig::load(dir.path())
                .unwrap()
                .digest
                .interval_seconds,
            86_400
        );
        let path = dir.path().join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        for (value, ok) in [("0", true), ("2678400", true), ("2678401", false)] {
            std::fs::write(
                &path,
                format!("{text}\n[digest]\ninterval_seconds = {value}\n"),
            )
            .unwrap();
            match NodeConfig::load(dir.path()) {
                Ok(c) => assert!(ok, "{value} accepted: {:?}", c.digest),
                Err(e) => assert!(!ok && e.def.code == "JK-CFG-0102", "{value}: {e}"),
            }
        }
    }

    #[test]
    fn the_store_setting_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        init(&opts(dir.path(), Role::Prefecture, Some("130001"))).unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let base = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            NodeConfig::load(dir.path()).unwrap().store,
            StoreSetting::Sqlite
        );
        let with = |extra: &str| {
            std::fs::write(&path, format!("{extra}\n{base}")).unwrap();
            NodeConfig::load(dir.path())
        };
        assert_eq!(
            with("store = \"postgres://juki@db/juki\"").unwrap().store,
            StoreSetting::Postgres {
                url: "postgres://juki@db/juki".into(),
                schema: "node_130001".into()
            }
        );
        for bad in [
            "store = \"mysql://db/juki\"",
            "store = \"postgres://db/juki\"\nstore_schema = \"Node-1\"",
            "store_schema = \"node_x\"",
        ] {
            assert_eq!(with(bad).unwrap_err().def.code, "JK-CFG-0102", "{bad}");
        }
    }
}

//! `juki ca`: the network's private CA — create it, issue, list, revoke and renew
//! certificates (docs/pki.md).

use anyhow::Result;
use juki_domain::LocalGovernmentCode;
use juki_pki::{Ca, EXPIRY_WARNING_DAYS, Identity, Issued, Jurisdiction, Role, Serial};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create the network's CA in a new directory (ca.pem, ca.key, crl.pem, issued.json).
    Init(InitArgs),
    /// Issue a certificate for a node or a person: writes PREFIX.crt and PREFIX.key.
    Issue(IssueArgs),
    /// List every certificate the CA issued.
    List(ListArgs),
    /// Revoke a certificate: nodes refuse it from their next connection.
    Revoke(RevokeArgs),
    /// Re-issue a certificate (same identity and hosts, new key and serial) in place.
    Renew(RenewArgs),
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The CA directory to create (keep it off the nodes).
    #[arg(long)]
    dir: PathBuf,
    /// Days the CA is valid.
    #[arg(long, default_value_t = 3650)]
    days: i64,
}

#[derive(Debug, clap::Args)]
struct IssueArgs {
    /// The CA directory.
    #[arg(long)]
    dir: PathBuf,
    /// national, prefecture, municipal (nodes); clerk, admin, operator, agency, auditor,
    /// helpdesk (people and client systems).
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The local government code of the jurisdiction; none for national roles.
    #[arg(long)]
    code: Option<String>,
    /// Tells apart people of the same role (e.g. operator2); default: the role.
    #[arg(long)]
    name: Option<String>,
    /// A host name or IP address the node serves on (repeat the flag); nodes only.
    #[arg(long = "host", value_name = "HOST")]
    hosts: Vec<String>,
    /// Days the certificate is valid.
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// Where to write: PREFIX.crt and PREFIX.key.
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// The CA directory.
    #[arg(long)]
    dir: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct RevokeArgs {
    /// The CA directory.
    #[arg(long)]
    dir: PathBuf,
    /// The serial to revoke, in hex (as juki ca list prints it).
    #[arg(long, value_parser = parse_serial)]
    serial: Serial,
}

#[derive(Debug, clap::Args)]
struct RenewArgs {
    /// The CA directory.
    #[arg(long)]
    dir: PathBuf,
    /// The certificate to renew; replaced in place.
    #[arg(long)]
    cert: PathBuf,
    /// Its key; replaced by a new key (0600).
    #[arg(long)]
    key: PathBuf,
    /// Days the new certificate is valid.
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>().map_err(|e| e.detail)
}

fn parse_serial(s: &str) -> Result<Serial, String> {
    s.parse()
}

fn date(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub fn run(a: Args) -> Result<u8> {
    match a.command {
        Command::Init(a) => init(a),
        Command::Issue(a) => issue(a),
        Command::List(a) => list(a),
        Command::Revoke(a) => revoke(a),
        Command::Renew(a) => renew(a),
    }
}

fn init(a: InitArgs) -> Result<u8> {
    let ca = Ca::init(&a.dir, a.days)?;
    println!(
        "created the network CA in {}, valid until {}; issue certificates with: juki ca issue --dir {} --role ROLE ...",
        a.dir.display(),
        date(ca.not_after()),
        a.dir.display()
    );
    Ok(crate::exit::DONE)
}

/// PREFIX + extension, keeping any dots the prefix has (`tokyo.pref` → `tokyo.pref.crt`).
fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = OsString::from(prefix.as_os_str());
    s.push(suffix);
    PathBuf::from(s)
}

fn issue(a: IssueArgs) -> Result<u8> {
    let jurisdiction = match &a.code {
        None => Jurisdiction::National,
        Some(c) => Jurisdiction::Local(
            LocalGovernmentCode::parse(c)
                .map_err(|p| crate::exit::exit(crate::exit::USAGE, format!("--code {c}: {p}")))?,
        ),
    };
    let name = a.name.unwrap_or_else(|| a.role.as_str().to_string());
    let identity = Identity::new(a.role, jurisdiction, name)?;
    let cert = with_suffix(&a.out, ".crt");
    let key = with_suffix(&a.out, ".key");
    let mut ca = Ca::open(&a.dir)?;
    let issued = ca.issue(&identity, &a.hosts, a.days, &cert, &key)?;
    report(&issued, &cert, &key, a.json, "issued");
    Ok(crate::exit::DONE)
}

fn report(issued: &Issued, cert: &Path, key: &Path, json: bool, verb: &str) {
    if json {
        println!(
            "{}",
            serde_json::json!({
                "serial": issued.serial.to_string(),
                "identity": issued.identity.uri(),
                "not_after": date(issued.not_after),
                "cert": cert.display().to_string(),
                "key": key.display().to_string(),
            })
        );
    } else {
        println!(
            "{verb} serial {} for {} ({}), valid until {}\n  certificate {}\n  key         {} (0600)",
            issued.serial,
            issued.identity,
            issued.identity.common_name(),
            date(issued.not_after),
            cert.display(),
            key.display()
        );
    }
}

fn list(a: ListArgs) -> Result<u8> {
    let ca = Ca::open(&a.dir)?;
    let now = OffsetDateTime::now_utc();
    let status = |c: &juki_pki::IssuedCert| {
        if c.revoked_at.is_some() {
            "revoked"
        } else if c.not_after <= now {
            "expired"
        } else if c.not_after <= now + time::Duration::days(EXPIRY_WARNING_DAYS) {
            "expiring"
        } else {
            "valid"
        }
    };
    if a.json {
        let v: Vec<_> = ca
            .list()
            .iter()
            .map(|c| {
                serde_json::json!({
                    "serial": c.serial.to_string(),
                    "identity": c.identity.uri(),
                    "hosts": c.hosts,
                    "not_after": date(c.not_after),
                    "revoked_at": c.revoked_at.map(date),
                    "status": status(c),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for c in ca.list() {
            println!(
                "{}  {:8}  {}  {}  {}",
                c.serial,
                status(c),
                date(c.not_after),
                c.identity,
                c.hosts.join(",")
            );
        }
    }
    Ok(crate::exit::DONE)
}

fn revoke(a: RevokeArgs) -> Result<u8> {
    let mut ca = Ca::open(&a.dir)?;
    let newly = ca.revoke(&a.serial)?;
    let identity = ca
        .list()
        .iter()
        .find(|c| c.serial == a.serial)
        .map(|c| c.identity.uri())
        .unwrap_or_default();
    if newly {
        println!(
            "revoked serial {} ({identity}); {} rewritten: nodes refuse it from their next connection",
            a.serial,
            ca.crl_path().display()
        );
    } else {
        println!(
            "serial {} ({identity}) was already revoked; {} rewritten",
            a.serial,
            ca.crl_path().display()
        );
    }
    Ok(crate::exit::DONE)
}

fn renew(a: RenewArgs) -> Result<u8> {
    let mut ca = Ca::open(&a.dir)?;
    let issued = ca.renew(&a.cert, &a.key, a.days)?;
    report(&issued, &a.cert, &a.key, a.json, "renewed: new");
    Ok(crate::exit::DONE)
}

//! `juki audit`: verify a node's audit log and read its entries (docs/audit.md), from the
//! node's data directory.

use super::remote::print_json;
use crate::exit::{DONE, REFUSED, USAGE, exit};
use anyhow::Result;
use juki_audit::{AUDIT_DIR, Report, Trust};
use juki_domain::catalogue::AUDIT_UNREADABLE;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Verify the audit log: exit 0 when intact, 1 with the position of every damage.
    Verify(VerifyArgs),
    /// Print entries of the audit log.
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The data directory of a node (running or not; its log is DATA/audit, its certificate
    /// DATA/tls/node.pem).
    #[arg(long, required_unless_present = "profile", conflicts_with = "profile")]
    data: Option<PathBuf>,
    /// Ask the running node of this client profile to verify its own log (the profile's role
    /// must be allowed `verify-audit` there: docs/policy.md).
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// The first sequence number to print.
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Entries to print at most.
    #[arg(long, default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=juki_audit::PAGE_ENTRIES_MAX as u64))]
    limit: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<u8> {
    match a.command {
        Command::Verify(a) => verify(a),
        Command::Show(a) => show(a),
    }
}

/// DATA/audit, which must exist (exit 2 otherwise: unreadable input).
fn audit_dir(data: &Path) -> Result<PathBuf> {
    let dir = data.join(AUDIT_DIR);
    if !dir.is_dir() {
        return Err(exit(
            USAGE,
            format!(
                "{AUDIT_UNREADABLE}: {} does not exist: no audit log was written in this data directory",
                dir.display()
            ),
        ));
    }
    Ok(dir)
}

/// The node's certificate and CA: where its configuration says, else the defaults.
fn node_certs(data: &Path) -> (PathBuf, PathBuf) {
    match juki_node::NodeConfig::load(data) {
        Ok(c) => {
            let tls = c.node_tls();
            (tls.cert, tls.ca)
        }
        Err(_) => (data.join("tls/node.pem"), data.join("tls/ca.pem")),
    }
}

fn verify(a: VerifyArgs) -> Result<u8> {
    let data = match (&a.data, &a.profile) {
        (Some(d), _) => d.clone(),
        (None, Some(p)) => return verify_remote(p, a.json),
        (None, None) => return Err(exit(USAGE, "give --data DIR or --profile FILE")),
    };
    let dir = audit_dir(&data)?;
    let (cert, ca) = node_certs(&data);
    let unreadable = |e: juki_audit::AuditError| exit(USAGE, e.to_string());
    let trust =
        Trust::for_node(&cert, ca.exists().then_some(ca.as_path()), &dir).map_err(unreadable)?;
    let report = juki_audit::verify(&dir, &trust).map_err(unreadable)?;
    if a.json {
        print_json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(if report.intact() { DONE } else { REFUSED })
}

/// `audit verify --profile`: the node verifies its own log and answers the report.
fn verify_remote(profile: &Path, json: bool) -> Result<u8> {
    use super::remote::{block_on, failed};
    let profile = juki_client::Profile::load(profile).map_err(|e| exit(USAGE, e.to_string()))?;
    let client = profile
        .client(std::time::Duration::from_secs(600))
        .map_err(|e| exit(USAGE, e.to_string()))?;
    let report = block_on(async { client.audit_verify().await.map_err(|e| failed(e, json)) })?;
    let total = report["damage_total"].as_u64().unwrap_or(0);
    if json {
        print_json(&report)?;
    } else {
        println!(
            "audit log of {}: {} entries, {} seals, sealed through {}",
            profile.url, report["entries"], report["seals"], report["sealed_through"]
        );
        if total == 0 {
            println!("intact");
        } else {
            println!("damage found: {total}");
            for d in report["damage"].as_array().into_iter().flatten() {
                println!(
                    "  {} {} at {} line {} (entry {}): {}",
                    d["code"].as_str().unwrap_or(""),
                    d["kind"].as_str().unwrap_or(""),
                    d["file"].as_str().unwrap_or(""),
                    d["line"],
                    d["seq"],
                    d["detail"].as_str().unwrap_or("")
                );
            }
        }
    }
    Ok(if total == 0 { DONE } else { REFUSED })
}

fn print_report(r: &Report) {
    let range = match (r.first_seq, r.last_seq) {
        (Some(a), Some(b)) => format!("entries {a}–{b}"),
        _ => "no entries".to_string(),
    };
    println!(
        "audit log {}: {range} ({} lines in {} segment file{}), {} seals, sealed through {}",
        r.dir,
        r.entries,
        r.segments,
        if r.segments == 1 { "" } else { "s" },
        r.seals,
        r.sealed_through.map_or("-".into(), |s| s.to_string())
    );
    match &r.checkpoint {
        Some(c) => println!(
            "checkpoint: {} entries purged in all; the log starts at entry {} ({})",
            c.purged_total,
            c.first_seq,
            juki_audit::segment_name(c.first_segment)
        ),
        None => println!("checkpoint: none (nothing purged)"),
    }
    let keys: Vec<String> = r
        .keys
        .iter()
        .map(|k| format!("{} ({})", k.key_id, k.source))
        .collect();
    println!("keys: {}", keys.join(", "));
    for c in &r.refused_certs {
        println!("note: not trusted: {c}");
    }
    if r.unsealed > 0 {
        println!(
            "note: the last {} entries are not sealed yet (the node is running, or stopped without closing its log); their removal from the end could not be detected",
            r.unsealed
        );
    }
    if r.torn_tail_bytes > 0 {
        println!(
            "note: the last segment ends in {} bytes of an unfinished line (a write in progress, or torn by a crash; the node cuts it off when it opens the log)",
            r.torn_tail_bytes
        );
    }
    if r.leftover_segments > 0 {
        println!(
            "note: {} segment files older than the checkpoint remain (an interrupted purge); the next purge removes them",
            r.leftover_segments
        );
    }
    if r.intact() {
        println!("intact");
        return;
    }
    println!("damage found: {}", r.damage_total);
    for d in &r.damage {
        println!("  {d}");
    }
    if r.damage_total > r.damage.len() as u64 {
        println!(
            "  … and {} more (--json lists the first {})",
            r.damage_total - r.damage.len() as u64,
            r.damage.len()
        );
    }
}

/// A Unix time in milliseconds as Tokyo time, ISO 8601.
pub(crate) fn tokyo(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        // Tokyo is a fixed UTC+9 (juki_node::clock::tokyo).
        Ok(t) => format!(
            "{}+09:00",
            juki_node::clock::tokyo()
                .to_datetime(t)
                .strftime("%Y-%m-%dT%H:%M:%S%.3f")
        ),
        Err(_) => ms.to_string(),
    }
}

fn show(a: ShowArgs) -> Result<u8> {
    let dir = audit_dir(&a.data)?;
    let page = juki_audit::read_entries(&dir, a.from, a.limit as usize)
        .map_err(|e| exit(USAGE, e.to_string()))?;
    if a.json {
        let entries: Vec<serde_json::Value> = page
            .entries
            .iter()
            .map(|r| {
                let e = &r.stored.entry;
                let (result, error) = match &e.result {
                    juki_audit::Outcome::Ok => ("ok", None),
                    juki_audit::Outcome::Denied(c) => ("denied", Some(c)),
                    juki_audit::Outcome::Failed(c) => ("failed", Some(c)),
                };
                serde_json::json!({
                    "seq": r.stored.seq,
                    "time_ms": e.time_ms,
                    "time": tokyo(e.time_ms),
                    "actor": e.actor,
                    "role": e.role,
                    "node": e.node,
                    "action": e.action.to_string(),
                    "targets": e.targets,
                    "purpose": e.purpose,
                    "result": result,
                    "error": error,
                    "request_id": e.request_id,
                    "detail": e.detail,
                    "file": r.file,
                    "line": r.line,
                    "intact": r.intact,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "entries": entries,
            "next_seq": page.next_seq,
            "unreadable": page.unreadable.iter().map(|(f, l)| serde_json::json!({"file": f, "line": l})).collect::<Vec<_>>(),
        }))?;
        return Ok(DONE);
    }
    for r in &page.entries {
        let e = &r.stored.entry;
        let result = match &e.result {
            juki_audit::Outcome::Ok => "ok".to_string(),
            juki_audit::Outcome::Denied(c) => format!("denied {c}"),
            juki_audit::Outcome::Failed(c) => format!("failed {c}"),
        };
        let mut line = format!(
            "{:>8}  {}  {}  {} ({})  {}",
            r.stored.seq,
            tokyo(e.time_ms),
            e.action,
            e.actor,
            e.role,
            result
        );
        if !e.targets.is_empty() {
            line.push_str(&format!("  targets {}", e.targets.join(",")));
        }
        if let Some(p) = &e.purpose {
            line.push_str(&format!("  purpose {p}"));
        }
        if !e.request_id.is_empty() {
            line.push_str(&format!("  request {}", e.request_id));
        }
        if let Some(d) = &e.detail {
            line.push_str(&format!("  — {d}"));
        }
        if !r.intact {
            line.push_str("  [DAMAGED: run juki audit verify]");
        }
        println!("{line}");
    }
    for (f, l) in &page.unreadable {
        println!("(unreadable line: {f} line {l}; run juki audit verify)");
    }
    if let Some(next) = page.next_seq {
        eprintln!(
            "more: juki audit show --data {} --from {next}",
            a.data.display()
        );
    }
    Ok(DONE)
}

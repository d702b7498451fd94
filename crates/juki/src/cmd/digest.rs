//! `juki digest`: a node's cross-tier digest of one municipality's entries; `juki reconcile`:
//! a municipal node compares its entries with its prefecture's and repairs them from it
//! (docs/backup.md, "Cross-tier digests and reconcile").

use super::remote::{Common, block_on, failed, print_json};
use crate::exit::{self, exit};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// The municipality whose entries to digest (default: the node's own code).
    #[arg(long)]
    scope: Option<String>,
}

pub fn run(a: Args) -> Result<u8> {
    let client = a.common.client()?;
    let json = a.common.json;
    let d = block_on(async {
        let scope = match a.scope {
            Some(s) => s,
            None => client
                .status()
                .await
                .map_err(|e| failed(e, json))?
                .code
                .ok_or_else(|| exit(exit::USAGE, "the national node: give --scope LGC"))?,
        };
        client
            .digest(&scope, None, None)
            .await
            .map_err(|e| failed(e, json))
    })?;
    if json {
        print_json(&serde_json::json!({
            "scope": d.scope,
            "root": d.root,
            "leaves": d.leaf_count,
            "entries": d.entries,
        }))?;
    } else {
        println!(
            "{} root {} leaves {} entries {}",
            d.scope, d.root, d.leaf_count, d.entries
        );
    }
    Ok(exit::DONE)
}

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    common: Common,
    /// The municipality to reconcile: the node's own code (the default).
    #[arg(long)]
    scope: Option<String>,
    /// Compare and report only; change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn reconcile(a: ReconcileArgs) -> Result<u8> {
    let client = a.common.client()?;
    let json = a.common.json;
    let r = block_on(async {
        if let Some(scope) = &a.scope {
            let own = client.status().await.map_err(|e| failed(e, json))?.code;
            if own.as_deref() != Some(scope.as_str()) {
                return Err(exit(
                    exit::USAGE,
                    format!(
                        "{}: reconcile runs at the municipal node of {scope}; give its profile",
                        juki_domain::catalogue::DIG_NOT_HERE
                    ),
                ));
            }
        }
        client
            .reconcile(a.dry_run)
            .await
            .map_err(|e| failed(e, json))
    })?;
    let code = if r.conflicts.is_empty() {
        exit::DONE
    } else {
        exit::REFUSED
    };
    if json {
        print_json(&r)?;
        return Ok(code);
    }
    let verb = if r.dry_run {
        "would record"
    } else {
        "recorded"
    };
    println!(
        "{}: {} differing range(s){}",
        r.scope,
        r.differing_ranges.len(),
        if r.differing_ranges.is_empty() {
            String::new()
        } else {
            format!(": {}", r.differing_ranges.join(", "))
        }
    );
    println!(
        "  missing here      {} ({verb} {} again from the parent; local-only fields missing: {})",
        r.missing_here,
        if r.dry_run {
            r.missing_here
        } else {
            r.recovered
        },
        r.local_fields_missing
    );
    println!(
        "  missing at parent {}{}",
        r.missing_at_parent,
        if r.resent {
            " (sending everything again)"
        } else {
            ""
        }
    );
    for c in &r.conflicts {
        println!(
            "  conflict {} record {} code {} (seq {} here) in {}",
            juki_domain::catalogue::DIG_CONFLICT.code,
            c.record_id,
            c.resident_code,
            c.seq,
            c.range
        );
    }
    for w in &r.warnings {
        eprintln!("juki: {} {} / {}", w.code, w.message_ja, w.message_en);
    }
    match r.agree {
        Some(true) => println!("  the digests now agree"),
        Some(false) => println!("  the digests still differ"),
        None => {}
    }
    Ok(code)
}

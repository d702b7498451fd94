//! `juki lgc`: look up local government codes (source: MIC 全国地方公共団体コード).

use anyhow::Result;
use juki_domain::LocalGovernmentCode;
use juki_domain::lgc::{LocalGovernment, table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A 6-digit code, or a name (中野区, 東京都中野区, 札幌市中央区).
    query: String,
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<u8> {
    let t = table();
    let found: Vec<&LocalGovernment> = if a.query.chars().all(|c| c.is_ascii_digit()) {
        match LocalGovernmentCode::parse(&a.query) {
            Ok(code) => t.get(code).into_iter().collect(),
            Err(p) => return Err(crate::exit::exit(crate::exit::REFUSED, p.to_string())),
        }
    } else {
        t.find_by_name(&a.query)
    };
    if found.is_empty() {
        return Err(crate::exit::exit(
            crate::exit::REFUSED,
            format!("{}: {}", juki_domain::catalogue::CODE_LGC_UNKNOWN, a.query),
        ));
    }
    for g in found {
        let node = t.serving_node(g.code).map(|n| n.code.to_string());
        if a.json {
            println!(
                "{}",
                serde_json::json!({"code": g.code.to_string(), "name": g.name, "prefecture": g.prefecture,
                    "kind": format!("{:?}", g.kind), "node": node})
            );
        } else {
            println!(
                "{}  {}  {:?}  node {}",
                g.code,
                g.full_name(),
                g.kind,
                node.unwrap_or_else(|| "-".into())
            );
        }
    }
    Ok(crate::exit::DONE)
}

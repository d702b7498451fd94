//! `juki policy`: the authorisation policy as a table (docs/policy.md), or one decision.

use anyhow::Result;
use juki_node::policy::{self, Action, Target, Tier};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print docs/policy.md.
    #[arg(long)]
    markdown: bool,
    /// Decide one request: the identity URI asking (urn:juki:ROLE:JURISDICTION:NAME)…
    #[arg(long, requires_all = ["action", "target", "tier"], conflicts_with = "markdown")]
    who: Option<String>,
    /// …the action (read-record, change, identity-lookup…)…
    #[arg(long)]
    action: Option<String>,
    /// …the jurisdiction of the resident or node concerned (a code, or `national`)…
    #[arg(long)]
    target: Option<String>,
    /// …and the tier of the node serving it (municipal, prefecture, national).
    #[arg(long)]
    tier: Option<String>,
}

pub fn run(a: Args) -> Result<u8> {
    let (Some(who), Some(action), Some(target), Some(tier)) = (a.who, a.action, a.target, a.tier)
    else {
        print!("{}", policy::markdown());
        return Ok(0);
    };
    let usage = |m: String| crate::exit::exit(crate::exit::USAGE, m);
    let who = juki_pki::Identity::from_uri(&who)?;
    let action = Action::parse(&action).ok_or_else(|| {
        usage(format!(
            "unknown action {action:?}; one of {}",
            Action::ALL.map(Action::as_str).join(", ")
        ))
    })?;
    let jurisdiction = match target.as_str() {
        "national" => juki_pki::Jurisdiction::National,
        c => juki_pki::Jurisdiction::Local(
            juki_domain::LocalGovernmentCode::parse(c)
                .map_err(|p| usage(format!("--target: {p}")))?,
        ),
    };
    let tier = match tier.as_str() {
        "municipal" => Tier::Municipal,
        "prefecture" => Tier::Prefecture,
        "national" => Tier::National,
        t => return Err(usage(format!("unknown tier {t:?}"))),
    };
    let target = Target { jurisdiction, tier };
    match policy::decide(policy::Subject::of(&who), action, target) {
        Ok(()) => {
            println!("allowed");
            Ok(0)
        }
        Err(d) => {
            println!("refused: {} {}", d.def().code, d.def().message_en);
            Ok(crate::exit::REFUSED)
        }
    }
}

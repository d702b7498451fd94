//! The two-person approval a restore or rebuild of a node in service needs (docs/approvals.md,
//! `restore-node`): the request was made and approved at the node's parent, and the command
//! that restores or rebuilds the node uses it there — once — before it changes anything.

use super::remote::{block_on, failed};
use crate::exit::{self, exit};
use anyhow::Result;
use juki_api::{Approval, UseApprovalBody};
use juki_client::Profile;
use juki_domain::catalogue::APPR_NEEDED;
use juki_node::config::NodeConfig;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a restore or rebuild of a node in service is allowed by.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GateArgs {
    /// The approved restore-node request (A-000017) held by the node's parent.
    #[arg(long, value_name = "ID")]
    pub approval: Option<String>,
    /// A client profile of a person the parent's policy allows restore-node on this node (its
    /// certificate is sent to the parent named in the node's juki.toml).
    #[arg(long, value_name = "FILE", env = "JUKI_PROFILE")]
    pub profile: Option<PathBuf>,
}

/// What `juki backup restore` takes for the approval of a restore of a node in service.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RestoreGate {
    #[command(flatten)]
    pub gate: GateArgs,
    /// Restore a copy for inspection or a drill, never to be served: no approval needed.
    #[arg(long)]
    pub scratch: bool,
}

/// The operation an approval is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `juki rebuild --from-parent`.
    Rebuild,
    /// `juki backup restore` of a node in service.
    Restore,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Rebuild => "rebuild",
            Operation::Restore => "restore",
        }
    }
}

/// How long the parent may take to answer.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Requires, for a node whose `config` names a parent, that `gate.approval` is a restore-node
/// request approved at that parent for this node and `op`, not used before; it is marked used
/// there. A node without a parent (the national node, a standalone one) needs none: `None`.
/// Without an approval the error (`JK-APPR-0111`, exit 1) says how to request one.
pub fn require_approval(
    config: &NodeConfig,
    op: Operation,
    gate: &GateArgs,
) -> Result<Option<Approval>> {
    let (Some(parent), Some(code)) = (&config.parent, config.code) else {
        return Ok(None);
    };
    let (Some(id), Some(profile)) = (&gate.approval, &gate.profile) else {
        return Err(exit(
            exit::REFUSED,
            format!(
                "{APPR_NEEDED}: node {code} is in service under {parent}. Request at the parent: \
                 `juki approve request-restore {code} --operation {op} --profile PARENT-PROFILE \
                 --url {parent}`; a second person approves it (`juki approve approve ID`); then \
                 run this again with --approval ID --profile PARENT-PROFILE",
                op = op.as_str()
            ),
        ));
    };
    let approval = use_at(parent, profile, id, code.to_string(), op)?;
    eprintln!(
        "juki: {} approved by {} used at {parent} for the {} of {code}",
        approval.id,
        approval.decided_by.as_deref().unwrap_or("?"),
        op.as_str()
    );
    Ok(Some(approval))
}

/// Uses request `id` at `parent` with the certificate of `profile`.
fn use_at(parent: &str, profile: &Path, id: &str, node: String, op: Operation) -> Result<Approval> {
    let mut p = Profile::load(profile).map_err(|e| exit(exit::USAGE, e.to_string()))?;
    p.url = parent.to_string();
    let client = p
        .client(TIMEOUT)
        .map_err(|e| exit(exit::USAGE, e.to_string()))?;
    let body = UseApprovalBody {
        node,
        operation: op.as_str().into(),
    };
    block_on(async move {
        client
            .use_approval(id, &body)
            .await
            .map_err(|e| failed(e, false))
    })
}

/// The check of `juki backup restore`: once the snapshot is restored at `target`, a node
/// whose juki.toml names a parent needs an approval of its restore (unless `--scratch`: a copy
/// for inspection or a drill, never served); without one the restored directory is removed
/// again and the restore refused.
pub fn after_restore(target: &Path, restore: &RestoreGate) -> Result<()> {
    if restore.scratch {
        return Ok(());
    }
    let Ok(config) = NodeConfig::load(target) else {
        return Ok(());
    };
    match require_approval(&config, Operation::Restore, &restore.gate) {
        Ok(_) => Ok(()),
        Err(e) => {
            if let Err(rm) = std::fs::remove_dir_all(target) {
                eprintln!("juki: could not remove {}: {rm}", target.display());
            }
            Err(e)
        }
    }
}

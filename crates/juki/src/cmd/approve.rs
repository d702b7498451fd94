//! `juki approve`: list, show, approve and reject the two-person approval requests a node holds
//! (docs/approvals.md); and what `juki node stop` and `juki cert revoke` share — printing a
//! request, waiting for its outcome, and the exit status of each outcome.

use super::audit::tokyo;
use super::remote::{Common, block_on, failed, print_json};
use crate::exit::{DONE, REFUSED, SERVER, exit};
use anyhow::Result;
use juki_api::{Approval, OperationAnswer, ReasonBody};
use juki_client::{Client, ClientError, Profile};
use juki_domain::catalogue::{APPR_EXPIRED, APPR_FAILED, APPR_PENDING, APPR_REJECTED};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// The node's pending requests and the latest decided ones, newest first.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// One request: what it affects, who asked and why, how it stands.
    Show {
        /// The request's id (A-000017).
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Approve a request that another person made; the node then carries it out.
    Approve {
        /// The request's id (A-000017).
        id: String,
        /// Why (kept with the request).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Ask, at a node's parent, for a second person's approval of a restore or rebuild of that
    /// node (restore-node). The request's id goes to `juki rebuild` or `juki backup restore`
    /// as --approval once approved.
    RequestRestore {
        /// The node's local government code (a child of the profile's or --url's node).
        code: String,
        /// `rebuild` (juki rebuild --from-parent) or `restore` (juki backup restore).
        #[arg(long, value_parser = ["rebuild", "restore"])]
        operation: String,
        /// Why (kept with the request).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Reject a request, or withdraw one of your own.
    Reject {
        /// The request's id (A-000017).
        id: String,
        /// Why (kept with the request).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(a: Args) -> Result<u8> {
    match a.command {
        Command::List { common } => {
            let list = call(&common, |c| async move { c.approvals().await })?;
            if common.json {
                print_json(&list)?;
                return Ok(DONE);
            }
            if list.approvals.is_empty() {
                println!("no approval requests");
            }
            for a in &list.approvals {
                println!(
                    "{}  {:<8}  {}  by {}  — {}",
                    a.id,
                    a.state,
                    naming(a),
                    a.requested_by,
                    a.effect
                );
            }
            Ok(DONE)
        }
        Command::Show { id, common } => {
            let a = call(&common, |c| async move { c.approval(&id).await })?;
            show(&a, common.json)?;
            Ok(DONE)
        }
        Command::Approve { id, reason, common } => {
            let body = ReasonBody { reason };
            let a = call(&common, |c| async move { c.approve(&id, &body).await })?;
            show(&a, common.json)?;
            outcome(&a)
        }
        Command::RequestRestore {
            code,
            operation,
            reason,
            common,
        } => {
            let body = juki_api::RestoreRequestBody { operation, reason };
            let answer = call(
                &common,
                |c| async move { c.request_restore(&code, &body).await },
            )?;
            match common.json {
                true => print_json(&answer)?,
                false => print_answer(&answer, &common),
            }
            Ok(DONE)
        }
        Command::Reject { id, reason, common } => {
            let body = ReasonBody { reason };
            let a = call(&common, |c| async move { c.reject(&id, &body).await })?;
            show(&a, common.json)?;
            Ok(DONE)
        }
    }
}

/// Calls the node with the client `common` makes; a refusal becomes the command's error.
fn call<T, F>(common: &Common, f: impl FnOnce(Client) -> F) -> Result<T>
where
    F: std::future::Future<Output = Result<T, ClientError>>,
{
    let client = common.client()?;
    let json = common.json;
    block_on(async move { f(client).await.map_err(|e| failed(e, json)) })
}

fn show(a: &Approval, json: bool) -> Result<()> {
    match json {
        true => print_json(a),
        false => {
            print_approval(a);
            Ok(())
        }
    }
}

/// What `juki node stop` and `juki cert revoke` take beside what they act on.
#[derive(Debug, clap::Args)]
pub struct OperationArgs {
    #[command(flatten)]
    pub common: Common,
    /// Why (kept with the approval request).
    #[arg(long)]
    pub reason: Option<String>,
    /// Wait until the operation is done, or its request is rejected or expires.
    #[arg(long)]
    pub wait: bool,
    /// Seconds --wait waits at most.
    #[arg(long, value_name = "SECS", default_value_t = 3600, requires = "wait")]
    pub timeout: u64,
}

impl OperationArgs {
    pub fn body(&self) -> ReasonBody {
        ReasonBody {
            reason: self.reason.clone(),
        }
    }

    /// When --wait gives up.
    pub fn deadline(&self) -> Instant {
        Instant::now() + Duration::from_secs(self.timeout)
    }
}

/// `stop-node on 131148` (with the object, when there is one).
fn naming(a: &Approval) -> String {
    let object = a
        .target
        .object
        .as_deref()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!("{} on {}{object}", a.action, a.target.jurisdiction)
}

/// A request for people, several lines.
pub fn print_approval(a: &Approval) {
    println!("{}  {}  {}", a.id, a.state, naming(a));
    println!("  effect     {}", a.effect);
    let why = |r: &Option<String>| r.as_deref().map(|r| format!(" — {r}")).unwrap_or_default();
    println!(
        "  requested  {} by {}{}",
        tokyo(a.requested_at_ms),
        a.requested_by,
        why(&a.reason)
    );
    if a.state == "pending" {
        println!("  expires    {}", tokyo(a.expires_at_ms));
    }
    if let Some(at) = a.decided_at_ms {
        let by = a.decided_by.as_deref().unwrap_or("(nobody: it expired)");
        println!(
            "  decided    {} by {by}{}",
            tokyo(at),
            why(&a.decision_reason)
        );
    }
    if let (Some(at), Some(result)) = (a.executed_at_ms, &a.result) {
        println!("  result     {} {result}", tokyo(at));
    }
    println!("  held by    {}", a.node);
}

/// The exit status of a request as it stands: 0 carried out; 1 (with the reason) otherwise.
pub fn outcome(a: &Approval) -> Result<u8> {
    let by = a.decided_by.as_deref().unwrap_or("-");
    let why = a
        .decision_reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let message = match a.state.as_str() {
        "executed" => return Ok(DONE),
        "rejected" => format!("{APPR_REJECTED}: {} rejected by {by}{why}", a.id),
        "expired" => format!("{APPR_EXPIRED}: {} was not approved in time", a.id),
        "failed" => format!(
            "{APPR_FAILED}: {}: {}",
            a.id,
            a.result.as_deref().unwrap_or("")
        ),
        _ => format!(
            "{APPR_PENDING}: understood but not done: {} is waiting for approval",
            a.id
        ),
    };
    Err(exit(REFUSED, message))
}

/// Prints the answer to an operation that may need approval; when it is pending, how a second
/// person approves it (at `url`, the node that holds it).
pub fn print_answer(answer: &OperationAnswer, common: &Common) {
    let Some(a) = &answer.approval else {
        return;
    };
    println!("approval needed: {}", a.id);
    println!("  effect   {}", a.effect);
    println!("  expires  {}", tokyo(a.expires_at_ms));
    let url = common
        .url
        .clone()
        .or_else(|| Profile::load(&common.profile).ok().map(|p| p.url))
        .unwrap_or_else(|| "URL".into());
    println!(
        "  a second person approves it with: juki approve approve {} --url {url} --profile THEIRS",
        a.id
    );
}

/// How often `--wait` asks the node.
const POLL: Duration = Duration::from_millis(500);
/// Failed polls in a row after which a node being stopped is taken as stopped.
const GONE_AFTER: u32 = 3;

/// Whether an error means the node no longer answers (rather than answering a refusal).
fn unreachable(e: &ClientError) -> bool {
    matches!(e, ClientError::Transport(_))
}

/// Waits until the node at `client` no longer answers (it stopped), at most until `deadline`.
pub async fn until_gone(client: &Client, deadline: Instant) -> Result<()> {
    let mut failures = 0;
    while failures < GONE_AFTER {
        match client.health().await {
            Err(e) if unreachable(&e) => failures += 1,
            _ => failures = 0,
        }
        if Instant::now() > deadline {
            return Err(exit(
                SERVER,
                "the node still answers: it did not stop in time",
            ));
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// How waiting for a request ended.
pub enum Waited {
    /// The request as last read (carried out, rejected, expired, failed, or still pending at
    /// the deadline).
    Request(Approval),
    /// The node stopped answering while the request was pending or carried out: with
    /// `stopping`, that is the outcome waited for.
    Gone(Approval),
}

/// Polls request `a` until it is decided and carried out, or `deadline` passes. With
/// `stopping` (the request stops the node that holds it), a node that stops answering is
/// taken as stopped: once the stop is carried out, its answer can no longer be read.
pub async fn wait(
    client: &Client,
    mut a: Approval,
    deadline: Instant,
    stopping: bool,
) -> Result<Waited> {
    let mut failures = 0;
    loop {
        if !matches!(a.state.as_str(), "pending" | "approved") {
            return Ok(Waited::Request(a));
        }
        if Instant::now() > deadline {
            return Ok(Waited::Request(a));
        }
        tokio::time::sleep(POLL).await;
        match client.approval(&a.id).await {
            Ok(now) => {
                failures = 0;
                a = now;
            }
            Err(e) if stopping && unreachable(&e) => {
                failures += 1;
                if failures >= GONE_AFTER {
                    return Ok(Waited::Gone(a));
                }
            }
            Err(e) => return Err(failed(e, false)),
        }
    }
}

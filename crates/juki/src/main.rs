//! The `juki` command: parses flags and calls the libraries (every role, every tool).
//!
//! Exit status (FORMATS §4): 0 done; 1 understood but refused in whole or part; 2 usage error
//! or unreadable input; 3 node unreachable or server error.

mod cmd;
mod exit;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// juki — a resident registry network (住民基本台帳ネットワーク).
#[derive(Debug, Parser)]
#[command(name = "juki", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a node's data directory (configuration, TLS material, empty store).
    Init(cmd::init::Args),
    /// Run the node whose data directory is given.
    Serve(cmd::serve::Args),
    /// Write a synthetic population as a change file (FORMATS §1).
    Synth(cmd::synth::Args),
    /// Record a change file at a stopped node through the bulk path.
    Load(cmd::load::Args),
    /// Print the error catalogue.
    Errors(cmd::errors::Args),
    /// Look up local government codes and names.
    Lgc(cmd::lgc::Args),
    /// A resident's record at a node (`record get CODE`).
    Record(cmd::record::Args),
    /// Submit changes to a municipal node (`change submit FILE`).
    Change(cmd::change::Args),
    /// The gateway for existing registry systems: `gw submit FILE` checks a change file (CSV,
    /// fixed-width or JSON lines; UTF-8 or CP932) and submits its good records.
    Gw(cmd::gw::Args),
    /// How a node stands: residents, lag to its parent, warnings.
    Status(cmd::status::Args),
    /// Run a demo nation on this machine: ten nodes, a synthetic population, every profile.
    Demo(cmd::demo::Args),
    /// The network's private CA: create it, issue, list, revoke and renew certificates.
    Ca(cmd::ca::Args),
    /// A node's audit log: verify it (`audit verify`), read it (`audit show`).
    Audit(cmd::audit::Args),
    /// Identity verification for agencies (`identity verify CODE --purpose P`, `identity search
    /// --kana K --birth-date D --sex S --purpose P`).
    Identity(cmd::identity::Args),
    /// A resident's disclosure report (開示): what each tier holds and who accessed it.
    Disclose(cmd::disclose::Args),
    /// Resident-record copies (`certificate issue CODE [--home LGC]`), wide-area too.
    Certificate(cmd::certificate::Args),
    /// The special move-out/move-in (転入転出の特例): `move out`, `move in`, `move status`.
    Move(cmd::moves::Args),
    /// The authorisation policy: who may do what, where (docs/policy.md).
    Policy(cmd::policy::Args),
    /// Stop a node (`node stop`): within operating hours a second person approves.
    Node(cmd::node::Args),
    /// Certificates through the national node (`cert revoke SERIAL`), approved by a second operator.
    Cert(cmd::cert::Args),
    /// Two-person approval requests: list, show, approve, reject (docs/approvals.md).
    Approve(cmd::approve::Args),
    /// Operator accounts of a node: add, list, disable (docs/operators.md).
    Operator(cmd::operator::Args),
    /// Log in to a node with a password and one-time code; prints a session token.
    Login(cmd::login::Args),
    /// Routed requests through the network: `route ping CODE` shows the path and round trip.
    Route(cmd::route::Args),
    /// Backups into a restic-format repository on other storage (docs/backup.md).
    Backup(cmd::backup::Args),
    /// Rebuild a municipal node whose data was lost: `rebuild --from-parent --data DIR`, from
    /// its parent's copy and its latest backup (two-person approval at the parent).
    Rebuild(cmd::rebuild::Args),
    /// A node's cross-tier digest of one municipality's entries: its root and leaf count.
    Digest(cmd::digest::Args),
    /// At a municipal node: compare its entries with its prefecture's and repair them from it.
    Reconcile(cmd::digest::ReconcileArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    let result = match cli.command {
        Command::Init(a) => cmd::init::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Synth(a) => cmd::synth::run(a),
        Command::Load(a) => cmd::load::run(a),
        Command::Errors(a) => cmd::errors::run(a),
        Command::Lgc(a) => cmd::lgc::run(a),
        Command::Record(a) => cmd::record::run(a),
        Command::Change(a) => cmd::change::run(a),
        Command::Gw(a) => cmd::gw::run(a),
        Command::Status(a) => cmd::status::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Ca(a) => cmd::ca::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Policy(a) => cmd::policy::run(a),
        Command::Certificate(a) => cmd::certificate::run(a),
        Command::Move(a) => cmd::moves::run(a),
        Command::Identity(a) => cmd::identity::run(a),
        Command::Disclose(a) => cmd::disclose::run(a),
        Command::Node(a) => cmd::node::run(a),
        Command::Cert(a) => cmd::cert::run(a),
        Command::Approve(a) => cmd::approve::run(a),
        Command::Operator(a) => cmd::operator::run(a),
        Command::Login(a) => cmd::login::run(a),
        Command::Route(a) => cmd::route::run(a),
        Command::Backup(a) => cmd::backup::run(a),
        Command::Rebuild(a) => cmd::rebuild::run(a),
        Command::Digest(a) => cmd::digest::run(a),
        Command::Reconcile(a) => cmd::digest::reconcile(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = exit::code_of(&e);
            eprintln!("juki: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// Logs go to stderr; `JUKI_LOG` sets the filter (default `info`, with the backup library's
/// step-by-step chatter at `warn`), `JUKI_LOG_FORMAT=json` writes one JSON object per line.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("JUKI_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,rustic_core=warn,rustic_backend=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("JUKI_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

//! A deterministic simulation of a small juki network, driven by a seed.
//!
//! One process runs a national node, two prefecture nodes (東京都, 大阪府) and four municipal
//! nodes, each on its own [`juki_store::SqliteStore`], with a virtual clock and one event queue
//! ordered by (time, sequence number): nothing sleeps, nothing reads the system clock, and a
//! seed replays a run exactly. A workload submits changes to the municipal nodes; forwarders
//! carry each journal up a tier and code pools down; the seed decides which faults strike
//! (lost, late, reordered and repeated messages, partitioned links, crashed nodes, storage
//! calls that fail before they run or after they committed). After the fault phase everything
//! heals, the links drain, and the network's invariants are checked ([`check`]).
//!
//! ```no_run
//! let report = juki_sim::run(7, &juki_sim::SimConfig::default()).unwrap_or_else(|f| panic!("{f}"));
//! println!("{report:?}");
//! ```
//!
//! docs/simulation.md describes the model, the faults, the invariants and how to replay a seed.

mod check;
mod rng;
mod sim;
mod stores;
mod topology;
mod workload;

pub use sim::run;

use std::fmt;

/// What a run simulates, apart from the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// How long the fault phase lasts, in simulated ms. The workload submits changes during
    /// it; afterwards everything heals and the links drain.
    pub fault_phase_ms: u64,
    /// Workload actions in the fault phase (each submits one change, or two for a move
    /// between municipalities).
    pub actions: u32,
    /// Which kinds of fault a run may draw.
    pub faults: Faults,
    /// A deliberate protocol bug, to show the invariants catch it.
    pub mutation: Option<Mutation>,
    /// At most this many events in one run (fault phase and drain).
    pub events_max: u64,
    /// The drain must finish within this many simulated ms after the heal.
    pub drain_ms_max: u64,
    /// Trace lines a failure shows.
    pub trace_tail: usize,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            fault_phase_ms: 8_000,
            actions: 40,
            faults: Faults::ALL,
            mutation: None,
            events_max: 50_000,
            drain_ms_max: 120_000,
            trace_tail: 30,
        }
    }
}

/// The kinds of fault a run may draw. Each run draws from the seed which of the allowed kinds
/// strike and how often.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Faults {
    /// Messages dropped, delayed, reordered and duplicated.
    pub network: bool,
    /// A link cut in both directions for a while.
    pub partitions: bool,
    /// A node crashes (its store object and in-memory state dropped, messages to it lost) and
    /// restarts from its file.
    pub crashes: bool,
    /// Store calls that fail before they run, or after they committed.
    pub storage: bool,
}

impl Faults {
    pub const ALL: Faults = Faults {
        network: true,
        partitions: true,
        crashes: true,
        storage: true,
    };
    pub const NONE: Faults = Faults {
        network: false,
        partitions: false,
        crashes: false,
        storage: false,
    };
}

/// A protocol bug the simulator can introduce on purpose. None of them touches juki-store:
/// each is a wrapper around a node's store, or a change to the simulated forwarder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// An upper tier ignores its acknowledged position and applies entries sent again as new
    /// changes, as if it had no origin check.
    ReapplyRepeats,
    /// An upper tier acknowledges a whole batch before applying it, and keeps the
    /// acknowledgement when applying fails.
    AckBeforeApply,
    /// A forwarder moves its position as soon as it sends a batch, without waiting for the
    /// parent's acknowledgement.
    AdvanceOnSend,
    /// A granting node answers every second pool request with the pool it granted last.
    RegrantPool,
    /// An upper tier keeps the facts it first held for a resident and ignores later ones
    /// (corrections, moves) while still recording each change once.
    KeepFirstFacts,
}

impl Mutation {
    pub const ALL: [Mutation; 5] = [
        Mutation::ReapplyRepeats,
        Mutation::AckBeforeApply,
        Mutation::AdvanceOnSend,
        Mutation::RegrantPool,
        Mutation::KeepFirstFacts,
    ];
}

/// What a run did. Two runs of the same seed and configuration give equal reports (the trace
/// hash covers every event handled).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub seed: u64,
    /// Events handled.
    pub events: u64,
    /// Simulated time at the end of the drain, ms.
    pub sim_ms: u64,
    /// Simulated time the drain took after the heal, ms.
    pub drain_ms: u64,
    pub faults: FaultCounts,
    /// Changes municipal nodes accepted (the client was told `Applied`, or `Duplicate` when it
    /// sent again after an error).
    pub accepted: u64,
    /// Changes refused (a pool ran dry, or the workload raced itself).
    pub refused: u64,
    /// Submissions that failed with a storage error or found the node down (sent again later).
    pub retried: u64,
    /// Births among the accepted changes.
    pub births: u64,
    /// Batches forwarded (each sending counts, resends included).
    pub batches: u64,
    /// Pools granted by prefecture and national nodes.
    pub pools_granted: u64,
    /// FNV-1a over every trace line.
    pub trace_hash: u64,
}

/// Faults that struck in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub dropped: u64,
    pub delayed: u64,
    pub reordered: u64,
    pub duplicated: u64,
    /// Partitions begun.
    pub partitions: u64,
    /// Messages lost to a partition.
    pub partitioned: u64,
    pub crashes: u64,
    /// Messages lost because their destination was down or had restarted.
    pub lost_to_crash: u64,
    pub storage_before: u64,
    pub storage_after: u64,
}

impl FaultCounts {
    pub fn total(&self) -> u64 {
        self.dropped
            + self.delayed
            + self.reordered
            + self.duplicated
            + self.partitions
            + self.crashes
            + self.storage_before
            + self.storage_after
    }
}

/// A run that broke an invariant (or could not finish): the seed, what broke, and how the run
/// ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub seed: u64,
    /// The invariant broken, in a few words.
    pub invariant: String,
    /// What exactly was found.
    pub detail: String,
    /// The last events handled.
    pub trace_tail: Vec<String>,
    /// The run's counts up to the failure.
    pub report: Box<Report>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {}: {}: {}", self.seed, self.invariant, self.detail)?;
        writeln!(f, "last {} events:", self.trace_tail.len())?;
        for line in &self.trace_tail {
            writeln!(f, "  {line}")?;
        }
        write!(f, "{:?}", self.report)
    }
}

impl std::error::Error for Failure {}

//! The event loop: a virtual clock, one queue of events ordered by (time, sequence number),
//! the nodes with their forwarders and pool requests, the simulated network and its faults.

use crate::check::{self, Accepted, Grant, World};
use crate::rng::Rng;
use crate::stores::{Dial, Faulty, Mutant, is_injected};
use crate::topology::{NATIONAL, NODES, NodeId, children, label, link_between, parent};
use crate::workload::{Answer, Op, Workload};
use crate::{Failure, Mutation, Report, SimConfig};
use juki_domain::{ChangeKind, LocalGovernmentCode};
use juki_store::{
    CodePool, JournalEntry, LinkFrom, Origin, Outcome, SqliteOptions, SqliteStore, Store,
    StoreError,
};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The virtual clock's zero, as ms since the Unix epoch (the `recorded_at_ms` of changes).
const CLOCK_BASE_MS: i64 = 1_775_000_000_000;

/// The name of a node's outgoing link to its parent.
const PARENT_LINK: &str = "parent";

/// A forwarder sends again when a batch is not answered within this (ms).
const FORWARD_TIMEOUT_MS: u64 = 500;
/// A forwarder with nothing to send looks again after this (ms): a backstop, since it is woken
/// whenever its journal grows.
const FORWARD_POLL_MS: u64 = 1_000;
/// A forwarder whose store failed tries again after this (ms).
const FORWARD_RETRY_MS: u64 = 100;

/// A node checks its code pools this often (ms), and gives up on an unanswered request after
/// [`POOL_TIMEOUT_MS`].
const POOL_POLL_MS: u64 = 500;
const POOL_TIMEOUT_MS: u64 = 1_000;
/// A municipal node asks for a pool of [`MUNICIPAL_POOL`] codes when it has fewer than
/// [`MUNICIPAL_LOW_WATER`] left; a prefecture likewise.
const MUNICIPAL_POOL: u64 = 40;
const MUNICIPAL_LOW_WATER: u64 = 12;
const PREFECTURE_POOL: u64 = 200;
const PREFECTURE_LOW_WATER: u64 = 90;
/// The code bodies the national node starts with.
const NATIONAL_POOL: CodePool = CodePool {
    start: 500_000_000,
    end: 1_000_000_000,
};

/// After the heal, the drain is checked this often (ms).
const DRAIN_POLL_MS: u64 = 250;

/// The faults of one run, drawn from its seed within what the configuration allows.
#[derive(Clone, Debug, Default)]
struct Plan {
    drop_pm: u64,
    delay_pm: u64,
    reorder_pm: u64,
    duplicate_pm: u64,
    storage_before_pm: u64,
    storage_after_pm: u64,
    /// Largest batch a forwarder sends.
    batch_max: u64,
}

/// A message between a node and its parent.
#[derive(Clone, Debug)]
enum Msg {
    /// Child → parent: journal entries from `from`'s acknowledged position.
    Batch {
        req: u64,
        from: LinkFrom,
        entries: Vec<JournalEntry>,
    },
    /// Parent → child: the position the parent holds after a batch.
    Acked { req: u64, acked: u64 },
    /// Parent → child: the batch could not be stored; send again.
    Failed { req: u64 },
    /// Child → parent: a pool of `size` codes, please.
    PoolRequest { req: u64, size: u64 },
    /// Parent → child: the pool (None: the parent has none that large).
    PoolGranted { req: u64, pool: Option<CodePool> },
}

#[derive(Debug)]
enum Event {
    /// A workload action.
    Act,
    /// A client submits (or submits again) change `op`.
    Submit {
        op: usize,
    },
    Deliver {
        to: NodeId,
        incarnation: u64,
        from: NodeId,
        msg: Msg,
    },
    /// A forwarder wakes up (stale unless `token` is its current one).
    Forward {
        node: NodeId,
        token: u64,
    },
    PoolCheck {
        node: NodeId,
        incarnation: u64,
    },
    Crash {
        node: NodeId,
        down_ms: u64,
    },
    Restart {
        node: NodeId,
        incarnation: u64,
    },
    /// The link of child `link` is cut until `until`.
    Partition {
        link: NodeId,
        until: u64,
    },
    /// The end of the fault phase.
    Heal,
    DrainCheck,
}

struct Scheduled {
    at: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A batch sent and not yet answered.
#[derive(Clone, Copy, Debug)]
struct InFlight {
    req: u64,
    sent_at: u64,
}

/// A forwarder's in-memory state (lost in a crash).
#[derive(Debug, Default)]
struct Forwarder {
    /// The parent's acknowledged position as last stored (None: read it from the store).
    acked: Option<u64>,
    in_flight: Option<InFlight>,
    /// The wake-up scheduled: its token and time.
    wake: Option<(u64, u64)>,
}

struct Node {
    path: PathBuf,
    dial: Arc<Dial>,
    /// None while the node is down.
    store: Option<Box<dyn Store>>,
    /// One more at each start: messages addressed to an earlier one are lost.
    incarnation: u64,
    epoch: u64,
    fwd: Forwarder,
    /// A pool request sent and not answered: its id and when it was sent.
    pool_request: Option<(u64, u64)>,
}

/// The last trace lines, and a hash of all of them.
struct Trace {
    tail: VecDeque<String>,
    cap: usize,
    hash: u64,
}

impl Trace {
    fn new(cap: usize) -> Trace {
        Trace {
            tail: VecDeque::with_capacity(cap + 1),
            cap,
            hash: 0xcbf2_9ce4_8422_2325,
        }
    }

    fn push(&mut self, now: u64, text: &str) {
        let line = format!("{now:>7}ms {text}");
        for b in line.bytes().chain(std::iter::once(b'\n')) {
            self.hash = (self.hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        if self.cap > 0 {
            if self.tail.len() == self.cap {
                self.tail.pop_front();
            }
            self.tail.push_back(line);
        }
    }
}

/// An invariant broken, before the trace is attached.
pub struct Broken {
    pub invariant: &'static str,
    pub detail: String,
}

pub fn broken(invariant: &'static str, detail: impl Into<String>) -> Broken {
    Broken {
        invariant,
        detail: detail.into(),
    }
}

/// An unexpected store error (not one the simulator injected).
fn store_error(node: NodeId, call: &str, e: &StoreError) -> Broken {
    broken(
        "store calls succeed unless a fault is injected",
        format!("{} {call}: {e}", label(node)),
    )
}

struct Sim<'c> {
    config: &'c SimConfig,
    now: u64,
    queue: BinaryHeap<Reverse<Scheduled>>,
    scheduled: u64,
    nodes: Vec<Node>,
    rng: Rng,
    plan: Plan,
    workload: Workload,
    ops: Vec<Op>,
    open_ops: usize,
    accepted: BTreeMap<(NodeId, Origin), Accepted>,
    grants: Vec<Grant>,
    /// Per child node: its link is cut until then.
    cut_until: Vec<u64>,
    healed_at: Option<u64>,
    ids: u64,
    report: Report,
    trace: Trace,
}

/// Runs the simulation of `seed` and checks the network's invariants.
pub fn run(seed: u64, config: &SimConfig) -> Result<Report, Failure> {
    let dir = temp_dir().map_err(|e| Failure {
        seed,
        invariant: "the simulation can start".into(),
        detail: format!("temporary directory: {e}"),
        trace_tail: Vec::new(),
        report: Box::default(),
    })?;
    let mut sim = Sim::new(seed, config, dir.path());
    let result = sim.start().and_then(|()| sim.go()).and_then(|()| {
        sim.trace.push(sim.now, "drained; checking invariants");
        let world = World {
            stores: sim
                .nodes
                .iter()
                .map(|n| n.store.as_deref())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| broken("every node is up after the heal", ""))?,
            epochs: sim.nodes.iter().map(|n| n.epoch).collect(),
            accepted: &sim.accepted,
            grants: &sim.grants,
        };
        check::all(&world)
    });
    sim.finish_report();
    // Stores close before their directory is removed.
    let report = sim.report.clone();
    let trace_tail = sim.trace.tail.iter().cloned().collect();
    drop(sim);
    drop(dir);
    match result {
        Ok(()) => Ok(report),
        Err(b) => Err(Failure {
            seed,
            invariant: b.invariant.into(),
            detail: b.detail,
            trace_tail,
            report: Box::new(report),
        }),
    }
}

/// A temporary directory for the run's stores: on /dev/shm when there is one (tmpfs: a sync
/// costs nothing, so many seeds run fast), else the system's temporary directory.
fn temp_dir() -> std::io::Result<tempfile::TempDir> {
    let shm = Path::new("/dev/shm");
    let mut b = tempfile::Builder::new();
    b.prefix("juki-sim-");
    if shm.is_dir() {
        b.tempdir_in(shm).or_else(|_| b.tempdir())
    } else {
        b.tempdir()
    }
}

/// The file of an empty SQLite store, made once per process: copying it is much cheaper than
/// creating seven schemas for every run, and opening the copy is opening an empty store.
fn empty_store() -> Result<&'static [u8], String> {
    static EMPTY: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let made = EMPTY.get_or_init(|| {
        let dir = temp_dir().map_err(|e| e.to_string())?;
        let path = dir.path().join("store.db");
        // Closing the only connection checkpoints the WAL into the file and removes it.
        drop(SqliteStore::open(&path, SqliteOptions::default()).map_err(|e| e.to_string())?);
        if path.with_extension("db-wal").exists() {
            return Err("the empty store kept a WAL file".into());
        }
        std::fs::read(&path).map_err(|e| e.to_string())
    });
    made.as_deref().map_err(Clone::clone)
}

impl<'c> Sim<'c> {
    fn new(seed: u64, config: &'c SimConfig, dir: &Path) -> Sim<'c> {
        let mut plan_rng = Rng::stream(seed, 1);
        let f = config.faults;
        let mut plan = Plan {
            batch_max: plan_rng.between(1, 10),
            ..Plan::default()
        };
        if f.network && plan_rng.chance(800) {
            plan.drop_pm = plan_rng.between(10, 150);
            plan.delay_pm = plan_rng.between(0, 60);
            plan.reorder_pm = plan_rng.between(0, 200);
            plan.duplicate_pm = plan_rng.between(0, 100);
        }
        if f.storage && plan_rng.chance(750) {
            plan.storage_before_pm = plan_rng.between(5, 60);
            plan.storage_after_pm = plan_rng.between(5, 60);
        }
        let nodes = (0..NODES.len())
            .map(|i| Node {
                path: dir.join(NODES[i].code).join("store.db"),
                dial: Dial::new(
                    Rng::stream(seed, 100 + i as u64),
                    plan.storage_before_pm,
                    plan.storage_after_pm,
                ),
                store: None,
                incarnation: 0,
                epoch: 0,
                fwd: Forwarder::default(),
                pool_request: None,
            })
            .collect();
        let mut sim = Sim {
            config,
            now: 0,
            queue: BinaryHeap::new(),
            scheduled: 0,
            nodes,
            rng: Rng::stream(seed, 2),
            plan,
            workload: Workload::new(Rng::stream(seed, 3)),
            ops: Vec::new(),
            open_ops: 0,
            accepted: BTreeMap::new(),
            grants: Vec::new(),
            cut_until: vec![0; NODES.len()],
            healed_at: None,
            ids: 0,
            report: Report {
                seed,
                ..Report::default()
            },
            trace: Trace::new(config.trace_tail),
        };
        // The fault phase's schedule: workload actions, partitions, crashes, the heal.
        let phase = config.fault_phase_ms.max(1);
        for _ in 0..config.actions {
            let at = plan_rng.below(phase);
            sim.schedule(at, Event::Act);
        }
        if f.partitions {
            let links: Vec<NodeId> = children().collect();
            for _ in 0..plan_rng.below(4) {
                let link = links[plan_rng.index(links.len())];
                let at = plan_rng.below(phase);
                let until = at + plan_rng.between(300, 3_000);
                sim.schedule(at, Event::Partition { link, until });
            }
        }
        if f.crashes {
            for _ in 0..plan_rng.below(4) {
                let node = plan_rng.index(NODES.len());
                let at = plan_rng.below(phase);
                let down_ms = plan_rng.between(50, 2_000);
                sim.schedule(at, Event::Crash { node, down_ms });
            }
        }
        sim.schedule(phase, Event::Heal);
        let p = &sim.plan;
        let line = format!(
            "plan: drop {}‰ delay {}‰ reorder {}‰ duplicate {}‰ storage {}‰ before, {}‰ after; batches of up to {}",
            p.drop_pm,
            p.delay_pm,
            p.reorder_pm,
            p.duplicate_pm,
            p.storage_before_pm,
            p.storage_after_pm,
            p.batch_max
        );
        sim.trace.push(0, &line);
        sim
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.scheduled += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.scheduled,
            event,
        }));
    }

    fn next_id(&mut self) -> u64 {
        self.ids += 1;
        self.ids
    }

    fn note(&mut self, text: impl AsRef<str>) {
        self.trace.push(self.now, text.as_ref());
    }

    fn healed(&self) -> bool {
        self.healed_at.is_some()
    }

    fn lgc(node: NodeId) -> Result<LocalGovernmentCode, Broken> {
        LocalGovernmentCode::parse(NODES[node].code).map_err(|p| {
            broken(
                "the topology is valid",
                format!("{}: {p:?}", NODES[node].code),
            )
        })
    }

    /// Creates every node's store (a copy of an empty one) and opens it.
    fn start(&mut self) -> Result<(), Broken> {
        let empty = empty_store().map_err(|e| {
            broken(
                "the simulation can start",
                format!("an empty store to copy: {e}"),
            )
        })?;
        for node in 0..NODES.len() {
            let path = &self.nodes[node].path;
            let created = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(path, empty));
            created.map_err(|e| {
                broken(
                    "the simulation can start",
                    format!("{}: {e}", path.display()),
                )
            })?;
            self.open(node)?;
        }
        Ok(())
    }

    /// Opens (or reopens after a crash) a node's store from its file.
    fn open(&mut self, node: NodeId) -> Result<(), Broken> {
        let options = SqliteOptions {
            writer_cache_mib: 4,
            reader_cache_mib: 1,
            readers_max: 2,
            ..SqliteOptions::default()
        };
        let sqlite = SqliteStore::open(&self.nodes[node].path, options)
            .map_err(|e| store_error(node, "open", &e))?;
        let stats = sqlite.stats().map_err(|e| store_error(node, "stats", &e))?;
        if node == NATIONAL && stats.codes_available == 0 && stats.journal_head == 0 {
            sqlite
                .add_code_pool(NATIONAL_POOL)
                .map_err(|e| store_error(node, "add_code_pool", &e))?;
        }
        let faulty = Faulty {
            inner: sqlite,
            dial: Arc::clone(&self.nodes[node].dial),
        };
        let store: Box<dyn Store> = match self.config.mutation {
            Some(m) => Box::new(Mutant::new(faulty, m, node as u64)),
            None => Box::new(faulty),
        };
        let n = &mut self.nodes[node];
        n.store = Some(store);
        n.incarnation += 1;
        n.epoch = stats.epoch;
        n.fwd = Forwarder::default();
        n.pool_request = None;
        let incarnation = n.incarnation;
        let line = format!(
            "{} up (incarnation {incarnation}, epoch {}, journal head {})",
            label(node),
            stats.epoch,
            stats.journal_head
        );
        self.note(line);
        if parent(node).is_some() {
            self.wake_forwarder(node, self.now);
            let at = self.now + self.rng.between(1, 50);
            self.schedule(at, Event::PoolCheck { node, incarnation });
        }
        Ok(())
    }

    fn store(&self, node: NodeId) -> Option<&dyn Store> {
        self.nodes[node].store.as_deref()
    }

    fn go(&mut self) -> Result<(), Broken> {
        while let Some(Reverse(s)) = self.queue.pop() {
            self.now = s.at;
            self.report.events += 1;
            if self.report.events > self.config.events_max {
                return Err(broken(
                    "a run is bounded",
                    format!("more than {} events", self.config.events_max),
                ));
            }
            if let Some(h) = self.healed_at
                && self.now > h + self.config.drain_ms_max
            {
                return Err(broken(
                    "every link drains after the heal",
                    format!(
                        "not drained {} ms after the heal: {}",
                        self.config.drain_ms_max,
                        self.undrained().join("; ")
                    ),
                ));
            }
            if self.handle(s.event)? {
                self.report.drain_ms = self.now - self.healed_at.unwrap_or(self.now);
                return Ok(());
            }
        }
        Err(broken("the event queue never runs dry", "it did"))
    }

    /// Handles one event; true when the network has drained after the heal.
    fn handle(&mut self, event: Event) -> Result<bool, Broken> {
        match event {
            Event::Act => self.act()?,
            Event::Submit { op } => self.submit(op)?,
            Event::Deliver {
                to,
                incarnation,
                from,
                msg,
            } => self.deliver(to, incarnation, from, msg)?,
            Event::Forward { node, token } => self.forward(node, token)?,
            Event::PoolCheck { node, incarnation } => self.pool_check(node, incarnation)?,
            Event::Crash { node, down_ms } => self.crash(node, down_ms),
            Event::Restart { node, incarnation } => {
                if self.nodes[node].store.is_none() && self.nodes[node].incarnation == incarnation {
                    self.open(node)?;
                }
            }
            Event::Partition { link, until } => {
                if !self.healed() {
                    self.report.faults.partitions += 1;
                    self.cut_until[link] = self.cut_until[link].max(until);
                    let line = format!(
                        "partition: {} cut from its parent until {until}ms",
                        label(link)
                    );
                    self.note(line);
                }
            }
            Event::Heal => self.heal()?,
            Event::DrainCheck => {
                if self.drained()? {
                    return Ok(true);
                }
                let at = self.now + DRAIN_POLL_MS;
                self.schedule(at, Event::DrainCheck);
            }
        }
        Ok(false)
    }

    // ---- the workload ----

    fn act(&mut self) -> Result<(), Broken> {
        let ops = self
            .workload
            .act()
            .map_err(|e| broken("the workload builds valid changes", e))?;
        for op in ops {
            let id = self.ops.len();
            self.ops.push(op);
            self.open_ops += 1;
            let at = self.now + self.rng.below(400);
            self.schedule(at, Event::Submit { op: id });
        }
        Ok(())
    }

    fn submit(&mut self, id: usize) -> Result<(), Broken> {
        let node = self.ops[id].node;
        let kind = self.ops[id].change.kind;
        let record_id = self.ops[id].change.record_id.clone();
        let Some(store) = self.store(node) else {
            self.report.retried += 1;
            let at = self.now + self.rng.between(100, 400);
            self.schedule(at, Event::Submit { op: id });
            self.note(format!("{record_id} {}: node down", label(node)));
            return Ok(());
        };
        let now_ms = CLOCK_BASE_MS + self.now as i64;
        let result = store.apply(Self::lgc(node)?, now_ms, &[self.ops[id].change.clone()]);
        let outcome = match result {
            Ok(mut out) if out.len() == 1 => out.remove(0),
            Ok(out) => {
                return Err(broken(
                    "apply answers each change",
                    format!("{} outcomes for one change", out.len()),
                ));
            }
            Err(e) if is_injected(&e) => {
                self.ops[id].errored = true;
                self.report.retried += 1;
                let at = self.now + self.rng.between(50, 300);
                self.schedule(at, Event::Submit { op: id });
                self.note(format!("{record_id} {} at {}: {e}", kind.en(), label(node)));
                return Ok(());
            }
            Err(e) => return Err(store_error(node, "apply", &e)),
        };
        let answer = match outcome {
            Outcome::Applied { seq, resident_code } | Outcome::Duplicate { seq, resident_code } => {
                if matches!(outcome, Outcome::Duplicate { .. }) && !self.ops[id].errored {
                    return Err(broken(
                        "a change is applied once",
                        format!("{record_id} was a duplicate at its first submission"),
                    ));
                }
                let key = (
                    node,
                    Origin {
                        epoch: self.nodes[node].epoch,
                        seq,
                    },
                );
                let accepted = Accepted {
                    record_id: record_id.clone(),
                    kind,
                    resident_code,
                };
                if let Some(before) = self.accepted.insert(key, accepted) {
                    return Err(broken(
                        "each origin names one change",
                        format!(
                            "{} seq {seq} given to {} and {record_id}",
                            label(node),
                            before.record_id
                        ),
                    ));
                }
                self.report.accepted += 1;
                if kind == ChangeKind::Birth {
                    self.report.births += 1;
                }
                self.note(format!(
                    "{record_id} {} {resident_code} at {}: seq {seq}",
                    kind.en(),
                    label(node)
                ));
                self.wake_forwarder(node, self.now);
                Answer::Accepted(resident_code)
            }
            Outcome::Refused(p) => {
                self.report.refused += 1;
                self.note(format!(
                    "{record_id} {} at {}: refused {}",
                    kind.en(),
                    label(node),
                    p.code()
                ));
                Answer::Refused
            }
        };
        self.open_ops -= 1;
        let op = self.ops[id].clone();
        self.workload.answered(&op, answer);
        Ok(())
    }

    // ---- the network ----

    fn cut(&self, link: NodeId) -> bool {
        !self.healed() && self.cut_until[link] > self.now
    }

    /// Sends `msg` from `from` to `to` (a node and its parent), through the faults.
    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let link = link_between(from, to);
        if self.cut(link) {
            self.report.faults.partitioned += 1;
            self.note(format!(
                "{} → {}: lost to the partition",
                label(from),
                label(to)
            ));
            return;
        }
        let faulty = !self.healed();
        let p = self.plan.clone();
        if faulty && self.rng.chance(p.drop_pm) {
            self.report.faults.dropped += 1;
            self.note(format!(
                "{} → {}: dropped {}",
                label(from),
                label(to),
                brief(&msg)
            ));
            return;
        }
        let copies = if faulty && self.rng.chance(p.duplicate_pm) {
            self.report.faults.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut latency = self.rng.between(1, 20);
            if faulty && self.rng.chance(p.delay_pm) {
                self.report.faults.delayed += 1;
                latency += self.rng.between(600, 3_000);
            } else if faulty && self.rng.chance(p.reorder_pm) {
                self.report.faults.reordered += 1;
                latency += self.rng.between(20, 300);
            }
            let incarnation = self.nodes[to].incarnation;
            let at = self.now + latency;
            self.schedule(
                at,
                Event::Deliver {
                    to,
                    incarnation,
                    from,
                    msg: msg.clone(),
                },
            );
        }
    }

    fn deliver(
        &mut self,
        to: NodeId,
        incarnation: u64,
        from: NodeId,
        msg: Msg,
    ) -> Result<(), Broken> {
        if self.nodes[to].store.is_none() || self.nodes[to].incarnation != incarnation {
            self.report.faults.lost_to_crash += 1;
            self.note(format!("{} lost {}: it went down", label(to), brief(&msg)));
            return Ok(());
        }
        if self.cut(link_between(from, to)) {
            self.report.faults.partitioned += 1;
            self.note(format!(
                "{} → {}: lost to the partition",
                label(from),
                label(to)
            ));
            return Ok(());
        }
        match msg {
            Msg::Batch {
                req,
                from: link,
                entries,
            } => self.on_batch(to, from, req, &link, &entries),
            Msg::Acked { req, acked } => self.on_acked(to, req, acked),
            Msg::Failed { req } => {
                if self.nodes[to].fwd.in_flight.is_some_and(|f| f.req == req) {
                    self.nodes[to].fwd.in_flight = None;
                    self.wake_forwarder(to, self.now + FORWARD_RETRY_MS);
                }
                Ok(())
            }
            Msg::PoolRequest { req, size } => self.on_pool_request(to, from, req, size),
            Msg::PoolGranted { req, pool } => self.on_pool_granted(to, req, pool),
        }
    }

    // ---- forwarding ----

    /// Makes sure the forwarder of `node` wakes up no later than `at`.
    fn wake_forwarder(&mut self, node: NodeId, at: u64) {
        if parent(node).is_none() || self.nodes[node].store.is_none() {
            return;
        }
        if self.nodes[node].fwd.wake.is_some_and(|(_, t)| t <= at) {
            return;
        }
        let token = self.next_id();
        self.nodes[node].fwd.wake = Some((token, at));
        self.schedule(at, Event::Forward { node, token });
    }

    fn forward(&mut self, node: NodeId, token: u64) -> Result<(), Broken> {
        if self.nodes[node].fwd.wake.is_none_or(|(t, _)| t != token) {
            return Ok(());
        }
        self.nodes[node].fwd.wake = None;
        let Some(to) = parent(node) else {
            return Ok(());
        };
        if let Some(f) = self.nodes[node].fwd.in_flight {
            if self.now < f.sent_at + FORWARD_TIMEOUT_MS {
                self.wake_forwarder(node, f.sent_at + FORWARD_TIMEOUT_MS);
                return Ok(());
            }
            self.note(format!(
                "{} → {}: batch #{} timed out",
                label(node),
                label(to),
                f.req
            ));
            self.nodes[node].fwd.in_flight = None;
        }
        let limit = self.rng.between(1, self.plan.batch_max) as usize;
        let Some(store) = self.store(node) else {
            return Ok(());
        };
        let acked = match self.nodes[node].fwd.acked {
            Some(a) => a,
            None => match store.link_acked(PARENT_LINK) {
                Ok(a) => a,
                Err(e) if is_injected(&e) => {
                    self.wake_forwarder(node, self.now + FORWARD_RETRY_MS);
                    return Ok(());
                }
                Err(e) => return Err(store_error(node, "link_acked", &e)),
            },
        };
        let entries = match store.journal_after(acked, limit) {
            Ok(e) => e,
            Err(e) if is_injected(&e) => {
                self.wake_forwarder(node, self.now + FORWARD_RETRY_MS);
                return Ok(());
            }
            Err(e) => return Err(store_error(node, "journal_after", &e)),
        };
        self.nodes[node].fwd.acked = Some(acked);
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            self.wake_forwarder(node, self.now + FORWARD_POLL_MS);
            return Ok(());
        };
        let (first, last) = (first.seq, last.seq);
        let req = self.next_id();
        self.report.batches += 1;
        self.note(format!(
            "{} → {}: batch #{req} seq {first}..={last}",
            label(node),
            label(to)
        ));
        let msg = Msg::Batch {
            req,
            from: LinkFrom {
                node: NODES[node].code.into(),
                epoch: self.nodes[node].epoch,
            },
            entries: entries.into_iter().map(JournalEntry::forwardable).collect(),
        };
        if self.config.mutation == Some(Mutation::AdvanceOnSend) {
            // The bug: the position moves on as the batch leaves.
            if let Some(store) = self.store(node) {
                match store.set_link_acked(PARENT_LINK, last) {
                    Ok(()) => self.nodes[node].fwd.acked = Some(last),
                    Err(e) if is_injected(&e) => self.nodes[node].fwd.acked = None,
                    Err(e) => return Err(store_error(node, "set_link_acked", &e)),
                }
            }
            self.wake_forwarder(node, self.now + 1);
        } else {
            self.nodes[node].fwd.in_flight = Some(InFlight {
                req,
                sent_at: self.now,
            });
            self.wake_forwarder(node, self.now + FORWARD_TIMEOUT_MS);
        }
        self.send(node, to, msg);
        Ok(())
    }

    /// A parent receives a batch from its child `child`.
    fn on_batch(
        &mut self,
        at: NodeId,
        child: NodeId,
        req: u64,
        link: &LinkFrom,
        entries: &[JournalEntry],
    ) -> Result<(), Broken> {
        let Some(store) = self.store(at) else {
            return Ok(());
        };
        match store.receive(link, entries) {
            Ok(r) => {
                self.note(format!(
                    "{} received #{req} from {}: acked {} (applied {}, repeats {}, held back {})",
                    label(at),
                    label(child),
                    r.acked,
                    r.applied,
                    r.duplicates,
                    r.held_back
                ));
                self.send(
                    at,
                    child,
                    Msg::Acked {
                        req,
                        acked: r.acked,
                    },
                );
                if r.applied > 0 {
                    self.wake_forwarder(at, self.now);
                }
                Ok(())
            }
            Err(e) if is_injected(&e) => {
                self.note(format!("{} receiving #{req}: {e}", label(at)));
                self.send(at, child, Msg::Failed { req });
                self.wake_forwarder(at, self.now);
                Ok(())
            }
            Err(e) => Err(store_error(at, "receive", &e)),
        }
    }

    /// A child hears its parent's acknowledgement.
    fn on_acked(&mut self, node: NodeId, req: u64, acked: u64) -> Result<(), Broken> {
        if self.nodes[node].fwd.in_flight.is_none_or(|f| f.req != req) {
            self.note(format!("{} ignores a stale answer to #{req}", label(node)));
            return Ok(());
        }
        let Some(store) = self.store(node) else {
            return Ok(());
        };
        // Trust the parent, even when it answers lower than before (it was restored).
        let stored = store.set_link_acked(PARENT_LINK, acked);
        let fwd = &mut self.nodes[node].fwd;
        fwd.in_flight = None;
        match stored {
            Ok(()) => {
                fwd.acked = Some(acked);
                self.note(format!("{} parent acked {acked} (#{req})", label(node)));
                self.wake_forwarder(node, self.now);
            }
            Err(e) if is_injected(&e) => {
                fwd.acked = None;
                self.note(format!("{} storing ack {acked}: {e}", label(node)));
                self.wake_forwarder(node, self.now + FORWARD_RETRY_MS);
            }
            Err(e) => return Err(store_error(node, "set_link_acked", &e)),
        }
        Ok(())
    }

    // ---- code pools ----

    fn pool_check(&mut self, node: NodeId, incarnation: u64) -> Result<(), Broken> {
        if self.nodes[node].incarnation != incarnation {
            return Ok(());
        }
        let Some(to) = parent(node) else {
            return Ok(());
        };
        if self.nodes[node].store.is_none() {
            return Ok(());
        }
        let at = self.now + POOL_POLL_MS;
        self.schedule(at, Event::PoolCheck { node, incarnation });
        if let Some((_, sent)) = self.nodes[node].pool_request
            && self.now < sent + POOL_TIMEOUT_MS
        {
            return Ok(());
        }
        self.nodes[node].pool_request = None;
        let Some(store) = self.store(node) else {
            return Ok(());
        };
        let available = match store.stats() {
            Ok(s) => s.codes_available,
            Err(e) if is_injected(&e) => return Ok(()),
            Err(e) => return Err(store_error(node, "stats", &e)),
        };
        let (low, size) = if NODES[node].municipal {
            (MUNICIPAL_LOW_WATER, MUNICIPAL_POOL)
        } else {
            (PREFECTURE_LOW_WATER, PREFECTURE_POOL)
        };
        if available < low {
            let req = self.next_id();
            self.nodes[node].pool_request = Some((req, self.now));
            self.note(format!(
                "{} has {available} codes: asks {} for {size} (#{req})",
                label(node),
                label(to)
            ));
            self.send(node, to, Msg::PoolRequest { req, size });
        }
        Ok(())
    }

    fn on_pool_request(
        &mut self,
        at: NodeId,
        child: NodeId,
        req: u64,
        size: u64,
    ) -> Result<(), Broken> {
        let Some(store) = self.store(at) else {
            return Ok(());
        };
        match store.grant_code_pool(size) {
            Ok(pool) => {
                if let Some(p) = pool {
                    self.report.pools_granted += 1;
                    self.grants.push(Grant {
                        by: at,
                        to: child,
                        pool: p,
                    });
                }
                self.note(format!(
                    "{} grants {} {} (#{req})",
                    label(at),
                    label(child),
                    pool.map_or("nothing".into(), |p| format!("{}..{}", p.start, p.end))
                ));
                self.send(at, child, Msg::PoolGranted { req, pool });
                Ok(())
            }
            // Unanswered: the child asks again later (codes taken after a commit are wasted).
            Err(e) if is_injected(&e) => {
                self.note(format!("{} granting #{req}: {e}", label(at)));
                Ok(())
            }
            Err(e) => Err(store_error(at, "grant_code_pool", &e)),
        }
    }

    fn on_pool_granted(
        &mut self,
        node: NodeId,
        req: u64,
        pool: Option<CodePool>,
    ) -> Result<(), Broken> {
        if self.nodes[node].pool_request.is_none_or(|(r, _)| r != req) {
            self.note(format!("{} ignores a late pool answer #{req}", label(node)));
            return Ok(());
        }
        self.nodes[node].pool_request = None;
        let (Some(pool), Some(store)) = (pool, self.store(node)) else {
            return Ok(());
        };
        match store.add_code_pool(pool) {
            Ok(()) => {
                self.note(format!(
                    "{} holds {}..{}",
                    label(node),
                    pool.start,
                    pool.end
                ));
            }
            // Failed before: the pool is lost (its codes are never assigned). Failed after
            // committing: the node holds it.
            Err(e) if is_injected(&e) => {
                self.note(format!(
                    "{} adding {}..{}: {e}",
                    label(node),
                    pool.start,
                    pool.end
                ));
            }
            Err(e) => {
                return Err(broken(
                    "granted pools are disjoint",
                    format!(
                        "{} refused pool {}..{}: {e}",
                        label(node),
                        pool.start,
                        pool.end
                    ),
                ));
            }
        }
        Ok(())
    }

    // ---- crashes, the heal and the drain ----

    fn crash(&mut self, node: NodeId, down_ms: u64) {
        if self.healed() || self.nodes[node].store.is_none() {
            return;
        }
        self.report.faults.crashes += 1;
        let n = &mut self.nodes[node];
        n.store = None;
        n.incarnation += 1;
        n.fwd = Forwarder::default();
        n.pool_request = None;
        let incarnation = n.incarnation;
        self.note(format!("{} crashes for {down_ms}ms", label(node)));
        self.schedule(self.now + down_ms, Event::Restart { node, incarnation });
    }

    fn heal(&mut self) -> Result<(), Broken> {
        self.healed_at = Some(self.now);
        self.note("heal: no more faults; the workload finishes what it began");
        for n in &self.nodes {
            n.dial.heal();
        }
        for node in 0..NODES.len() {
            if self.nodes[node].store.is_none() {
                self.open(node)?;
            }
        }
        self.schedule(self.now + DRAIN_POLL_MS, Event::DrainCheck);
        Ok(())
    }

    /// Whether every change is answered and every link is acknowledged to its child's head.
    fn drained(&mut self) -> Result<bool, Broken> {
        if self.open_ops > 0 {
            return Ok(false);
        }
        for node in children() {
            let Some(store) = self.store(node) else {
                return Ok(false);
            };
            let head = store
                .stats()
                .map_err(|e| store_error(node, "stats", &e))?
                .journal_head;
            let acked = store
                .link_acked(PARENT_LINK)
                .map_err(|e| store_error(node, "link_acked", &e))?;
            if acked != head || self.nodes[node].fwd.in_flight.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The links not drained, for a failure.
    fn undrained(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.open_ops > 0 {
            out.push(format!("{} changes unanswered", self.open_ops));
        }
        for node in children() {
            match self.store(node) {
                None => out.push(format!("{} down", label(node))),
                Some(s) => {
                    let head = s.stats().map(|s| s.journal_head);
                    let acked = s.link_acked(PARENT_LINK);
                    if let (Ok(h), Ok(a)) = (&head, &acked)
                        && h == a
                    {
                        continue;
                    }
                    out.push(format!("{} head {head:?} acked {acked:?}", label(node)));
                }
            }
        }
        out
    }

    fn finish_report(&mut self) {
        self.report.sim_ms = self.now;
        let (mut before, mut after) = (0, 0);
        for n in &self.nodes {
            let (b, a) = n.dial.counts();
            before += b;
            after += a;
        }
        self.report.faults.storage_before = before;
        self.report.faults.storage_after = after;
        self.report.trace_hash = self.trace.hash;
    }
}

/// A message in a few words, for the trace.
fn brief(msg: &Msg) -> String {
    let mut s = String::new();
    let _ = match msg {
        Msg::Batch { req, entries, .. } => write!(
            s,
            "batch #{req} ({} entries from seq {})",
            entries.len(),
            entries.first().map_or(0, |e| e.seq)
        ),
        Msg::Acked { req, acked } => write!(s, "ack #{req} = {acked}"),
        Msg::Failed { req } => write!(s, "failure #{req}"),
        Msg::PoolRequest { req, size } => write!(s, "pool request #{req} for {size}"),
        Msg::PoolGranted { req, pool } => write!(s, "pool answer #{req} ({pool:?})"),
    };
    s
}

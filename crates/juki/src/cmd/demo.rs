//! `juki demo`: a demo nation on this machine (FORMATS §3) — the network CA, the national
//! node, three prefectures and six municipalities, each its own process, a synthetic
//! population loaded and propagated to the national node, and a profile for every role.
//! Ctrl-C stops the nodes municipal first, then prefectures, then national; running the
//! command again on the same directory resumes the same nation.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use juki_client::{Client, Profile, write_profile};
use juki_domain::LocalGovernmentCode;
use juki_node::{Clock, InitOptions, Role, SystemClock};
use juki_pki::{Ca, Identity, Jurisdiction};
use serde::Serialize;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The demo directory (created, or resumed when it holds a demo).
    #[arg(long)]
    dir: PathBuf,
    /// The national node's port; the others follow (FORMATS §3).
    #[arg(long, default_value_t = 7000)]
    port: u16,
    /// Residents of the synthetic population (a new demo only).
    #[arg(long, default_value_t = 60_000)]
    residents: u64,
    /// The population's seed (a new demo only).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Set up, start, wait for the population to reach the national node, then stop (for
    /// scripts and tests) instead of serving until Ctrl-C.
    #[arg(long)]
    no_wait: bool,
    /// Do not enforce operating hours at any node (rehearsals at night): wide-area services
    /// are served at any hour, and `juki status` warns (JK-POL-0108). Without it, a resumed
    /// demo enforces them again.
    #[arg(long)]
    always_open: bool,
    /// A `postgres://…/DB` URL: the prefecture and national nodes keep their stores in that
    /// database (created if missing), one schema per node (`node_<code>`, `node_national`);
    /// the municipal nodes stay on SQLite. A resumed demo goes on with the stores it has.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
}

/// The nodes of the demo nation, in port order: (role, code, parent's index).
const NODES: [(Role, Option<&str>, Option<usize>); 10] = [
    (Role::National, None, None),
    (Role::Prefecture, Some("130001"), Some(0)),
    (Role::Prefecture, Some("120006"), Some(0)),
    (Role::Prefecture, Some("270008"), Some(0)),
    (Role::Municipal, Some("131148"), Some(1)),
    (Role::Municipal, Some("131202"), Some(1)),
    (Role::Municipal, Some("122190"), Some(2)),
    (Role::Municipal, Some("122271"), Some(2)),
    (Role::Municipal, Some("272191"), Some(3)),
    (Role::Municipal, Some("272108"), Some(3)),
];

/// How long the population may take to reach the national node.
const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(1800);
/// How long a node may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Serialize, serde::Deserialize)]
struct DemoJson {
    seed: u64,
    residents: u64,
    ca: String,
    nodes: Vec<NodeJson>,
    profiles: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
struct NodeJson {
    role: String,
    code: Option<String>,
    name: String,
    url: String,
    data: String,
    parent: Option<String>,
}

struct DemoNode {
    role: Role,
    code: Option<LocalGovernmentCode>,
    name: String,
    port: u16,
    parent: Option<usize>,
}

impl DemoNode {
    fn dir_name(&self) -> String {
        self.code.map_or("national".into(), |c| c.to_string())
    }
    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

fn nodes(base: u16) -> Result<Vec<DemoNode>> {
    NODES
        .iter()
        .enumerate()
        .map(|(i, (role, code, parent))| {
            let code = code
                .map(LocalGovernmentCode::parse)
                .transpose()
                .map_err(|p| anyhow::anyhow!("{p:?}"))?;
            let name = match code {
                Some(c) => juki_domain::lgc::table()
                    .get(c)
                    .map(|r| r.name.to_string())
                    .context("demo node missing from the MIC table")?,
                None => "全国".into(),
            };
            Ok(DemoNode {
                role: *role,
                code,
                name,
                port: base.checked_add(i as u16).context("--port too high")?,
                parent: *parent,
            })
        })
        .collect()
}

/// The profiles of FORMATS §3: (file stem, role, name, the node's index).
fn profiles(nodes: &[DemoNode]) -> Vec<(String, juki_pki::Role, &'static str, usize)> {
    use juki_pki::Role as R;
    let mut out = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        match (n.role, n.code) {
            (Role::Municipal, Some(c)) => {
                out.push((format!("{c}-clerk"), R::Clerk, "clerk", i));
                out.push((format!("{c}-admin"), R::Admin, "admin", i));
            }
            (Role::Prefecture, Some(c)) => out.push((format!("{c}-admin"), R::Admin, "admin", i)),
            _ => {
                for (role, name) in [
                    (R::Operator, "operator"),
                    (R::Operator, "operator2"),
                    (R::Agency, "agency"),
                    (R::Auditor, "auditor"),
                    (R::Helpdesk, "helpdesk"),
                ] {
                    out.push((format!("national-{name}"), role, name, i));
                }
            }
        }
    }
    out
}

pub fn run(a: Args) -> Result<u8> {
    let nodes = nodes(a.port)?;
    let dir = &a.dir;
    let created = !dir.join("demo.json").exists();
    if created {
        if dir.join("nodes").exists() {
            bail!(
                "{} holds an unfinished demo (no demo.json): remove it and start again",
                dir.display()
            );
        }
        create(dir, &nodes, &a)?;
    } else if let Some(url) = &a.store {
        check_store(dir, &nodes, url)?;
    }
    for n in &nodes {
        juki_node::config::set_always_open(&dir.join("nodes").join(n.dir_name()), a.always_open)?;
    }
    if a.always_open {
        eprintln!("operating hours are not enforced at any node (--always-open)");
    }
    // From here on Ctrl-C and SIGTERM no longer end the process where it stands: the nodes it
    // has started (each in a process group of its own, which the signal does not reach) are
    // stopped in order, whether they are still starting or serving.
    let interrupt = Interrupt::install()?;
    let mut running = Running::default();
    let result = serve(dir, &nodes, &a, created, &mut running, &interrupt);
    running.stop_all();
    result?;
    Ok(crate::exit::DONE)
}

/// Creates the CA, the nodes, the profiles and the population; loads it into the municipal
/// nodes (stopped, through the bulk path).
fn create(dir: &Path, nodes: &[DemoNode], a: &Args) -> Result<()> {
    std::fs::create_dir_all(dir.join("nodes"))?;
    std::fs::create_dir_all(dir.join("profiles"))?;
    // The CA is locked while open: each node's init opens it in turn.
    drop(Ca::init(&dir.join("ca"), 3650)?);
    eprintln!("network CA created in {}", dir.join("ca").display());
    for n in nodes {
        juki_node::init(&InitOptions {
            role: n.role,
            code: n.code.map(|c| c.to_string()),
            data_dir: dir.join("nodes").join(n.dir_name()),
            listen: format!("127.0.0.1:{}", n.port),
            parent: n.parent.map(|p| nodes[p].url()),
            ca_dir: Some(dir.join("ca")),
        })
        .with_context(|| format!("initialising {}", n.name))?;
    }
    if let Some(url) = &a.store {
        on_postgres(dir, nodes, url)?;
    }
    let mut ca = Ca::open(&dir.join("ca"))?;
    for (stem, role, name, i) in profiles(nodes) {
        let n = &nodes[i];
        let jurisdiction = match (role, n.code) {
            (
                juki_pki::Role::Operator
                | juki_pki::Role::Agency
                | juki_pki::Role::Auditor
                | juki_pki::Role::Helpdesk,
                _,
            )
            | (_, None) => Jurisdiction::National,
            (_, Some(c)) => Jurisdiction::Local(c),
        };
        let id = Identity::new(role, jurisdiction, name)?;
        let p = dir.join("profiles");
        ca.issue(
            &id,
            &[],
            825,
            &p.join(format!("{stem}.crt")),
            &p.join(format!("{stem}.key")),
        )?;
        write_profile(
            &p.join(format!("{stem}.toml")),
            &Profile {
                url: n.url(),
                role: role.as_str().into(),
                jurisdiction: jurisdiction.to_string(),
                ca: "../ca/ca.pem".into(),
                cert: format!("{stem}.crt").into(),
                key: format!("{stem}.key").into(),
            },
        )?;
    }
    population(dir, nodes, a)
}

/// Whether a demo node keeps its store in PostgreSQL under `--store`.
fn on_server(n: &DemoNode) -> bool {
    n.role != Role::Municipal
}

/// Moves the stores of the prefecture and national nodes into the database at `url`, creating
/// it if missing; refuses schemas that hold another demo's nodes.
fn on_postgres(dir: &Path, nodes: &[DemoNode], url: &str) -> Result<()> {
    let store_err = |e: juki_store::StoreError| anyhow::anyhow!("{}: {e}", e.def());
    if juki_store_pg::create_database(url).map_err(store_err)? {
        eprintln!("database {url} created");
    }
    for n in nodes.iter().filter(|n| on_server(n)) {
        let config =
            juki_node::config::use_postgres(&dir.join("nodes").join(n.dir_name()), url, None)
                .with_context(|| format!("moving {}'s store to {url}", n.name))?;
        let stats = config.open_store()?.stats().map_err(store_err)?;
        if stats.journal_head > 0 {
            bail!(
                "{url} already holds a node for {} with {} journal entries: use another database",
                n.name,
                stats.journal_head
            );
        }
    }
    eprintln!("prefecture and national stores in {url}");
    Ok(())
}

/// A resumed demo keeps its stores: `--store` must name the database they are in.
fn check_store(dir: &Path, nodes: &[DemoNode], url: &str) -> Result<()> {
    for n in nodes.iter().filter(|n| on_server(n)) {
        let config = juki_node::NodeConfig::load(&dir.join("nodes").join(n.dir_name()))?;
        match &config.store {
            juki_node::config::StoreSetting::Postgres { url: u, .. } if u == url => {}
            other => bail!(
                "this demo keeps {}'s store {}: resume it without --store or with that URL",
                n.name,
                match other {
                    juki_node::config::StoreSetting::Postgres { url, .. } => format!("in {url}"),
                    juki_node::config::StoreSetting::Sqlite => "in SQLite".into(),
                }
            ),
        }
    }
    Ok(())
}

/// Writes `population.csv` and loads each municipality's part into its node.
fn population(dir: &Path, nodes: &[DemoNode], a: &Args) -> Result<()> {
    let munis: Vec<LocalGovernmentCode> = nodes
        .iter()
        .filter(|n| n.role == Role::Municipal)
        .filter_map(|n| n.code)
        .collect();
    let clock = SystemClock;
    let today = clock.today_tokyo();
    let path = dir.join("population.csv");
    let bar = bar(a.residents, "synth");
    let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    juki_synth::write_csv(
        &juki_synth::SynthOptions {
            residents: a.residents,
            seed: a.seed,
            municipalities: munis.clone(),
            effective_date: jiff::civil::date(today.year(), today.month(), today.day()),
        },
        file,
        &mut |n| bar.set_position(n),
    )?;
    bar.finish_and_clear();
    // One file per municipality, by the local government code column.
    let mut reader = csv::Reader::from_path(&path)?;
    let headers = reader.headers()?.clone();
    let col = headers
        .iter()
        .position(|h| h == "local_government_code")
        .context("population.csv lacks local_government_code")?;
    let mut writers = std::collections::BTreeMap::new();
    for m in &munis {
        let mut w = csv::Writer::from_path(part_path(dir, *m))?;
        w.write_record(&headers)?;
        writers.insert(m.to_string(), w);
    }
    for row in reader.records() {
        let row = row?;
        let code = row.get(col).unwrap_or_default();
        let node = LocalGovernmentCode::parse(code)
            .ok()
            .and_then(|c| juki_domain::lgc::table().serving_node(c))
            .map(|r| r.code.to_string());
        match node.and_then(|n| writers.get_mut(&n)) {
            Some(w) => w.write_record(&row)?,
            None => bail!("population.csv has a row for {code}, not a demo municipality"),
        }
    }
    for (_, mut w) in writers {
        w.flush()?;
    }
    for m in &munis {
        let data = dir.join("nodes").join(m.to_string());
        let store = juki_node::NodeConfig::load(&data)?.open_store()?;
        let part = part_path(dir, *m);
        let report = juki_gateway::load(
            BufReader::new(std::fs::File::open(&part)?),
            &store,
            &juki_gateway::LoadOptions {
                node: *m,
                today,
                now_ms: clock.now_ms(),
                batch_size: 100_000,
            },
            &mut |_| {},
            &mut |_, _| {},
        )?;
        if report.refused > 0 {
            bail!("{} of the population refused at {m}", report.refused);
        }
        std::fs::remove_file(&part)?;
        eprintln!("loaded {} residents at {m}", report.applied);
    }
    Ok(())
}

fn part_path(dir: &Path, m: LocalGovernmentCode) -> PathBuf {
    dir.join("nodes")
        .join(m.to_string())
        .join("population.part.csv")
}

fn bar(len: u64, what: &str) -> ProgressBar {
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{wide_bar}} {{pos}}/{{len}} eta {{eta}}"
        ))
        .expect("valid template"),
    )
}

/// The node processes, stopped in order when dropped.
#[derive(Default)]
struct Running {
    /// (role, child) in start order.
    children: Vec<(Role, Child)>,
}

impl Running {
    /// Stops municipal nodes, then prefectures, then the national node: SIGTERM, then wait
    /// (each finishes its requests in progress).
    fn stop_all(&mut self) {
        for role in [Role::Municipal, Role::Prefecture, Role::National] {
            let group: Vec<usize> = (0..self.children.len())
                .filter(|&i| self.children[i].0 == role)
                .collect();
            for &i in &group {
                let pid = self.children[i].1.id().to_string();
                let _ = Command::new("kill").args(["-TERM", &pid]).status();
            }
            for &i in &group {
                let child = &mut self.children[i].1;
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    match child.try_wait() {
                        Ok(Some(_)) | Err(_) => break,
                        Ok(None) if Instant::now() > deadline => {
                            let _ = child.kill();
                            let _ = child.wait();
                            break;
                        }
                        Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            }
            if !group.is_empty() {
                eprintln!("stopped {} {} node(s)", group.len(), role.as_str());
            }
        }
        self.children.clear();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Starts every node (national first), waits for the population to reach the national node
/// on a new demo, writes `demo.json`, prints the table, and serves until Ctrl-C.
fn serve(
    dir: &Path,
    nodes: &[DemoNode],
    a: &Args,
    created: bool,
    running: &mut Running,
    interrupt: &Interrupt,
) -> Result<()> {
    let exe = std::env::current_exe().context("locating the juki binary")?;
    for n in nodes {
        interrupt.check()?;
        let data = dir.join("nodes").join(n.dir_name());
        let log = std::fs::File::create(data.join("node.log"))?;
        use std::os::unix::process::CommandExt;
        let mut child = Command::new(&exe)
            .args(["serve", "--data"])
            .arg(&data)
            .stdout(Stdio::piped())
            .stderr(log)
            // Its own process group: Ctrl-C reaches this command only, which stops the nodes
            // in order.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", n.name))?;
        let stdout = child.stdout.take().context("node stdout")?;
        running.children.push((n.role, child));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = interrupt.recv_timeout(&rx, START_TIMEOUT)?;
        if !line.starts_with("ready ") {
            bail!(
                "{} did not start; see {}",
                n.name,
                data.join("node.log").display()
            );
        }
    }
    let operator = Profile::load(&dir.join("profiles/national-operator.toml"))?
        .client(Duration::from_secs(30))?;
    if created {
        let expected = a.residents;
        wait_for_national(&operator, expected, interrupt)?;
        write_demo_json(dir, nodes, a)?;
    }
    print_table(nodes);
    if a.no_wait {
        return Ok(());
    }
    eprintln!("serving; Ctrl-C stops the nodes (municipal, prefecture, national)");
    interrupt.wait();
    eprintln!("stopping the demo nation");
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM, caught from the moment it is installed by a thread of its own.
struct Interrupt {
    caught: std::sync::Arc<std::sync::atomic::AtomicBool>,
    rx: std::sync::mpsc::Receiver<()>,
}

impl Interrupt {
    fn install() -> Result<Interrupt> {
        use tokio::signal::unix::{SignalKind, signal};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Registering replaces the signals' default action (ending the process) at once.
        let (mut term, mut int) = rt.block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ))
        })?;
        let caught = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let flag = caught.clone();
        std::thread::Builder::new()
            .name("juki-demo-signals".into())
            .spawn(move || {
                rt.block_on(async {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                });
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                let _ = tx.send(());
            })?;
        Ok(Interrupt { caught, rx })
    }

    /// Refuses to go on once a signal was caught.
    fn check(&self) -> Result<()> {
        if self.caught.load(std::sync::atomic::Ordering::SeqCst) {
            bail!("interrupted while starting: stopping the nodes started");
        }
        Ok(())
    }

    /// The line `rx` brings within `timeout` (empty when none came), or the interruption.
    fn recv_timeout(
        &self,
        rx: &std::sync::mpsc::Receiver<String>,
        timeout: Duration,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check()?;
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => return Ok(line),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                Err(_) => return Ok(String::new()),
            }
        }
    }

    /// Until a signal is caught.
    fn wait(&self) {
        let _ = self.rx.recv();
    }
}

/// Waits until the national node holds `expected` residents, with a progress bar.
fn wait_for_national(operator: &Client, expected: u64, interrupt: &Interrupt) -> Result<()> {
    let bar = bar(expected, "propagating to the national node");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    rt.block_on(async {
        loop {
            if let Ok(s) = operator.status().await {
                bar.set_position(s.residents);
                if s.residents >= expected {
                    break;
                }
            }
            interrupt.check()?;
            if started.elapsed() > PROPAGATION_TIMEOUT {
                bail!(
                    "the population did not reach the national node within {PROPAGATION_TIMEOUT:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    eprintln!(
        "{expected} residents at the national node after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn write_demo_json(dir: &Path, nodes: &[DemoNode], a: &Args) -> Result<()> {
    let demo = DemoJson {
        seed: a.seed,
        residents: a.residents,
        ca: "ca/ca.pem".into(),
        nodes: nodes
            .iter()
            .map(|n| NodeJson {
                role: n.role.as_str().into(),
                code: n.code.map(|c| c.to_string()),
                name: n.name.clone(),
                url: n.url(),
                data: format!("nodes/{}", n.dir_name()),
                parent: n.parent.map(|p| nodes[p].dir_name()),
            })
            .collect(),
        profiles: profiles(nodes)
            .into_iter()
            .map(|(stem, ..)| (stem.clone(), format!("profiles/{stem}.toml")))
            .collect(),
    };
    let tmp = dir.join(".demo.json.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(serde_json::to_string_pretty(&demo)?.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join("demo.json"))?;
    Ok(())
}

/// `s` padded to `width` terminal columns (CJK characters take two).
fn pad(s: &str, width: usize) -> String {
    let cols: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(cols)))
}

fn print_table(nodes: &[DemoNode]) {
    println!(
        "{}{}{}{}parent",
        pad("role", 12),
        pad("code", 8),
        pad("name", 10),
        pad("url", 25)
    );
    for n in nodes {
        println!(
            "{}{}{}{}{}",
            pad(n.role.as_str(), 12),
            pad(&n.code.map_or("-".into(), |c| c.to_string()), 8),
            pad(&n.name, 10),
            pad(&n.url(), 25),
            n.parent.map_or("-".into(), |p| nodes[p].dir_name())
        );
    }
}

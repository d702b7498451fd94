//! The writer: [`AuditLog::try_record`] puts an entry on a bounded queue and returns at once;
//! one thread takes entries in batches, chains and appends them, syncs each batch once (group
//! commit), seals the head every N entries or T ms, rolls segments, and carries out retention
//! purges. A full queue refuses the entry (the request is then refused); a failing disk makes
//! the writer retry what it holds and refuse new entries until it succeeds. Nothing is dropped
//! silently.

use crate::entry::{self, Action, AuditEntry, Digest};
use crate::error::{AuditError, RecordError};
use crate::files;
use crate::key::Signer;
use crate::seal::{Checkpoint, Seal};
use crate::segment::{self, seals_name, segment_name};
use crate::{CERTS_DIR, CHECKPOINT_FILE, LOCK_FILE};
use juki_domain::catalogue::{AUDIT_BAD_OPTION, AUDIT_CLOSED, AUDIT_IN_USE, AUDIT_UNREADABLE};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;
/// Seven years, leap days included.
pub const RETENTION_MS_DEFAULT: i64 = 2_557 * DAY_MS;
pub const QUEUE_CAPACITY_MAX: usize = 1 << 20;
pub const BATCH_ENTRIES_MAX: usize = 65_536;
pub const SEGMENT_BYTES_MIN: u64 = 1024;
pub const SEGMENT_BYTES_MAX: u64 = 1 << 30;
/// How long the writer waits between attempts while the disk fails (doubling from 100 ms).
const RETRY_MS_MAX: u64 = 5_000;
/// Attempts at shutdown before the writer gives up on what it holds.
const SHUTDOWN_ATTEMPTS: u32 = 3;

/// How the log is written. [`AuditOptions::new`] gives the defaults.
#[derive(Clone)]
pub struct AuditOptions {
    /// Entries the queue holds before `try_record` refuses (default 65,536).
    pub queue_capacity: usize,
    /// Entries written and synced together at most (default 4,096).
    pub batch_entries_max: usize,
    /// How long the writer keeps gathering entries after the first of a batch before it
    /// writes and syncs them (default 5 ms; 0: write what is queued at once). One sync per
    /// request under light load costs more than the request; gathering makes it one sync
    /// per few milliseconds whatever the load. The request path never waits for it.
    pub batch_linger_ms: u64,
    /// A segment is closed when the next entry would take it past this (default 64 MiB).
    pub segment_bytes_max: u64,
    /// …or when its first entry is older than this (default 31 days), so that a purge can
    /// remove old entries of a quiet node too.
    pub segment_age_ms_max: i64,
    /// Seal the head after this many entries (default 1,000)…
    pub seal_every_entries: u64,
    /// …or when this long has passed since the last seal with entries unsealed (default
    /// 60,000 ms).
    pub seal_every_ms: i64,
    /// A purge removes segments whose last entry is older than this (default seven years).
    pub retention_ms: i64,
    /// The node's identity URI: actor and node of the entries the log writes itself.
    pub node: String,
    /// The clock (milliseconds since the Unix epoch), injected: the log never reads the
    /// system's.
    pub now_ms: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl std::fmt::Debug for AuditOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditOptions")
            .field("queue_capacity", &self.queue_capacity)
            .field("batch_entries_max", &self.batch_entries_max)
            .field("segment_bytes_max", &self.segment_bytes_max)
            .field("segment_age_ms_max", &self.segment_age_ms_max)
            .field("seal_every_entries", &self.seal_every_entries)
            .field("seal_every_ms", &self.seal_every_ms)
            .field("retention_ms", &self.retention_ms)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl AuditOptions {
    /// The defaults, for the node `node` with the clock `now_ms`.
    pub fn new(
        node: impl Into<String>,
        now_ms: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> AuditOptions {
        AuditOptions {
            queue_capacity: 65_536,
            batch_entries_max: 4_096,
            batch_linger_ms: 5,
            segment_bytes_max: 64 << 20,
            segment_age_ms_max: 31 * DAY_MS,
            seal_every_entries: 1_000,
            seal_every_ms: 60_000,
            retention_ms: RETENTION_MS_DEFAULT,
            node: node.into(),
            now_ms,
        }
    }

    /// Checks every setting against its limits.
    pub fn check(&self) -> Result<(), AuditError> {
        let bad = |what: &str| Err(AuditError::new(&AUDIT_BAD_OPTION, what.to_string()));
        if !(1..=QUEUE_CAPACITY_MAX).contains(&self.queue_capacity) {
            return bad("queue_capacity must be 1–1,048,576");
        }
        if !(1..=BATCH_ENTRIES_MAX).contains(&self.batch_entries_max) {
            return bad("batch_entries_max must be 1–65,536");
        }
        if self.batch_linger_ms > 1_000 {
            return bad("batch_linger_ms must be 0–1,000");
        }
        if !(SEGMENT_BYTES_MIN..=SEGMENT_BYTES_MAX).contains(&self.segment_bytes_max) {
            return bad("segment_bytes_max must be 1 KiB–1 GiB");
        }
        if self.segment_age_ms_max < 60_000 {
            return bad("segment_age_ms_max must be at least one minute");
        }
        if !(1..=1_000_000).contains(&self.seal_every_entries) {
            return bad("seal_every_entries must be 1–1,000,000");
        }
        if !(1..=DAY_MS).contains(&self.seal_every_ms) {
            return bad("seal_every_ms must be 1 ms–1 day");
        }
        if self.retention_ms < DAY_MS {
            return bad("retention_ms must be at least one day");
        }
        if self.node.len() > entry::TEXT_BYTES_MAX {
            return bad("node is longer than 256 bytes");
        }
        Ok(())
    }
}

/// Counters of the writer, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuditStats {
    /// Entries queued and not yet written.
    pub depth: u64,
    /// Entries written and synced since the log was opened.
    pub written: u64,
    /// Entries refused because the queue was full, or the writer failing.
    pub refused: u64,
    /// Seals written since the log was opened.
    pub seals: u64,
    /// The highest sequence number written.
    pub head_seq: u64,
    /// Whether the writer is failing to write (and refusing entries).
    pub failing: bool,
}

#[derive(Default)]
struct Shared {
    depth: AtomicU64,
    written: AtomicU64,
    refused: AtomicU64,
    seals: AtomicU64,
    head_seq: AtomicU64,
    failing: AtomicBool,
    shutdown: AtomicBool,
    last_error: Mutex<Option<String>>,
}

/// What a retention purge did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    /// Entries removed.
    pub entries: u64,
    /// Segment files removed.
    pub segments: u64,
    /// The checkpoint written (none when nothing was past retention).
    pub checkpoint: Option<Checkpoint>,
    /// The sequence number of the entry that records the purge.
    pub seq: u64,
}

enum Msg {
    Entry(Box<AuditEntry>),
    Flush {
        seal: bool,
        reply: mpsc::Sender<Result<u64, AuditError>>,
    },
    Purge {
        entry: Box<AuditEntry>,
        reply: mpsc::Sender<Result<Purged, AuditError>>,
    },
    Hold {
        ack: mpsc::Sender<()>,
        release: mpsc::Receiver<()>,
    },
}

/// A node's audit log, open for writing. Share it behind an `Arc`; dropping the last handle
/// (or [`AuditLog::close`]) writes what is queued, seals the head and stops the writer.
pub struct AuditLog {
    tx: Option<SyncSender<Msg>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Result<(), AuditError>>>,
    dir: PathBuf,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("dir", &self.dir)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Holds the writer still while it lives (see [`AuditLog::hold_writer`]).
#[derive(Debug)]
pub struct WriterHold {
    _release: mpsc::Sender<()>,
}

impl AuditLog {
    /// Opens (or creates) the log in `dir` (`DATA/audit`), sealing with `signer`. One process
    /// at a time: a second writer is refused (`JK-AUDIT-0207`). A line torn by a crash at the
    /// end of the last segment is cut off, and the cut is itself recorded.
    pub fn open(dir: &Path, signer: Signer, options: AuditOptions) -> Result<AuditLog, AuditError> {
        options.check()?;
        let shared = Arc::new(Shared::default());
        let capacity = options.queue_capacity;
        let writer = Writer::open(dir, signer, options, shared.clone())?;
        let (tx, rx) = mpsc::sync_channel(capacity);
        let thread = std::thread::Builder::new()
            .name("juki-audit".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| AuditError::write(dir, format!("starting the writer: {e}")))?;
        Ok(AuditLog {
            tx: Some(tx),
            shared,
            thread: Some(thread),
            dir: dir.to_path_buf(),
        })
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues `entry` and returns at once; never blocks. Refused when the queue is full
    /// ([`RecordError::Full`]: answer 503 with Retry-After), the writer is failing, or the
    /// entry breaks a limit. The entry is durable once the writer's next batch is synced
    /// (milliseconds); [`AuditLog::flush`] waits for that.
    pub fn try_record(&self, entry: AuditEntry) -> Result<(), RecordError> {
        entry.check()?;
        if self.shared.failing.load(Ordering::Relaxed) {
            self.shared.refused.fetch_add(1, Ordering::Relaxed);
            return Err(RecordError::Failing);
        }
        let Some(tx) = &self.tx else {
            return Err(RecordError::Closed);
        };
        self.shared.depth.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(Msg::Entry(Box::new(entry))) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.shared.depth.fetch_sub(1, Ordering::Relaxed);
                match e {
                    TrySendError::Full(_) => {
                        self.shared.refused.fetch_add(1, Ordering::Relaxed);
                        Err(RecordError::Full)
                    }
                    TrySendError::Disconnected(_) => Err(RecordError::Closed),
                }
            }
        }
    }

    fn control<T>(
        &self,
        make: impl FnOnce(mpsc::Sender<Result<T, AuditError>>) -> Msg,
    ) -> Result<T, AuditError> {
        let closed = || AuditError::new(&AUDIT_CLOSED, "the writer has stopped");
        let tx = self.tx.as_ref().ok_or_else(closed)?;
        let (reply, answer) = mpsc::channel();
        tx.send(make(reply)).map_err(|_| closed())?;
        answer.recv().map_err(|_| closed())?
    }

    /// Blocks until every entry queued before the call is written and synced; returns the
    /// highest sequence number written.
    pub fn flush(&self) -> Result<u64, AuditError> {
        self.control(|reply| Msg::Flush { seal: false, reply })
    }

    /// As [`AuditLog::flush`], then seals the head if anything is unsealed.
    pub fn seal(&self) -> Result<u64, AuditError> {
        self.control(|reply| Msg::Flush { seal: true, reply })
    }

    /// Removes whole segments past retention. The purge is recorded first, as `entry` (its
    /// `time_ms` is the moment retention is counted from; the log fills in the action and
    /// detail), then a signed checkpoint is written, then the files are removed. Blocks until
    /// done.
    pub fn purge(&self, mut entry: AuditEntry) -> Result<Purged, AuditError> {
        entry.action = Action::AuditPurge;
        entry
            .check()
            .map_err(|e| AuditError::new(e.def(), e.to_string()))?;
        self.control(|reply| Msg::Purge {
            entry: Box::new(entry),
            reply,
        })
    }

    /// Stops the writer until the returned guard is dropped, so that a test can fill the
    /// queue and see it refuse.
    #[doc(hidden)]
    pub fn hold_writer(&self) -> Result<WriterHold, AuditError> {
        let closed = || AuditError::new(&AUDIT_CLOSED, "the writer has stopped");
        let tx = self.tx.as_ref().ok_or_else(closed)?;
        let (ack, acked) = mpsc::channel();
        let (release, released) = mpsc::channel();
        tx.send(Msg::Hold {
            ack,
            release: released,
        })
        .map_err(|_| closed())?;
        acked.recv().map_err(|_| closed())?;
        Ok(WriterHold { _release: release })
    }

    /// Entries queued and not yet written.
    pub fn depth(&self) -> u64 {
        self.shared.depth.load(Ordering::Relaxed)
    }

    /// Entries written and synced since the log was opened.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Entries refused (queue full or writer failing) since the log was opened.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }

    pub fn stats(&self) -> AuditStats {
        AuditStats {
            depth: self.depth(),
            written: self.written(),
            refused: self.refused(),
            seals: self.shared.seals.load(Ordering::Relaxed),
            head_seq: self.shared.head_seq.load(Ordering::Relaxed),
            failing: self.shared.failing.load(Ordering::Relaxed),
        }
    }

    /// Why the writer is failing, while it is.
    pub fn last_error(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Writes everything queued, seals the head, and stops the writer.
    pub fn close(mut self) -> Result<AuditStats, AuditError> {
        self.stop()?;
        Ok(self.stats())
    }

    fn stop(&mut self) -> Result<(), AuditError> {
        self.shared.shutdown.store(true, Ordering::Relaxed);
        self.tx = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(AuditError::new(&AUDIT_CLOSED, "the writer panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::error!(error = %e, "closing the audit log");
        }
    }
}

/// The writer thread's state: the current segment, the head of the chain, the last seal.
struct Writer {
    dir: PathBuf,
    signer: Signer,
    opts: AuditOptions,
    shared: Arc<Shared>,
    _lock: File,
    seg_no: u64,
    seg: File,
    /// Bytes of the current segment known written and synced.
    seg_len: u64,
    /// Time of the current segment's first entry.
    seg_first_ms: Option<i64>,
    seals: File,
    seals_len: u64,
    /// The current segment has its closing seal (a roll was interrupted after it).
    closing_sealed: bool,
    next_seq: u64,
    last_hash: Digest,
    sealed_seq: u64,
    last_seal_ms: i64,
    /// The oldest sequence number the log holds.
    first_seq: u64,
    purged_total: u64,
    buf: Vec<u8>,
    /// An entry to write first: the record of a torn tail cut off at open.
    recovered: Option<AuditEntry>,
}

fn open_append(path: &Path) -> Result<File, AuditError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AuditError::write(path, e))
}

fn read_checkpoint(dir: &Path) -> Result<Option<Checkpoint>, AuditError> {
    let path = dir.join(CHECKPOINT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let line = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            Checkpoint::read_unchecked(line)
                .map(Some)
                .map_err(|e| AuditError::unreadable(&path, e))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AuditError::unreadable(&path, e)),
    }
}

/// The last entry of the last segment in `segs` that has one: (seq, hash).
fn last_entry(dir: &Path, segs: &[u64]) -> Result<Option<(u64, Digest)>, AuditError> {
    for &n in segs.iter().rev() {
        let path = dir.join(segment_name(n));
        let t = segment::tail(&path).map_err(|e| AuditError::unreadable(&path, e))?;
        if let Some(line) = t.last {
            let d = entry::decode(&line).map_err(|e| {
                AuditError::unreadable(
                    &path,
                    format!("its last entry cannot be read ({e}); run juki audit verify"),
                )
            })?;
            return Ok(Some((d.stored.seq, d.stored.hash)));
        }
    }
    Ok(None)
}

fn entry_time(path: &Path, line: Option<Vec<u8>>) -> Result<Option<i64>, AuditError> {
    match line {
        Some(l) => entry::decode(&l)
            .map(|d| Some(d.stored.entry.time_ms))
            .map_err(|e| AuditError::unreadable(path, e)),
        None => Ok(None),
    }
}

impl Writer {
    fn open(
        dir: &Path,
        signer: Signer,
        opts: AuditOptions,
        shared: Arc<Shared>,
    ) -> Result<Writer, AuditError> {
        files::create_private_dir(&dir.join(CERTS_DIR)).map_err(|e| AuditError::write(dir, e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| AuditError::write(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(AuditError::new(&AUDIT_IN_USE, dir.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(AuditError::write(&lock_path, e)),
        }
        // Keep the certificate of every key that ever sealed, so that seals stay verifiable
        // after the node's certificate is renewed.
        let cert_path = dir.join(CERTS_DIR).join(format!("{}.pem", signer.key_id()));
        if !cert_path.exists() {
            files::replace(&cert_path, signer.cert_pem(), 0o644)
                .map_err(|e| AuditError::write(&cert_path, e))?;
        }
        let checkpoint = read_checkpoint(dir)?;
        let segs = segment::list(dir).map_err(|e| AuditError::unreadable(dir, e))?;
        let now = (opts.now_ms)();
        let (first_seq, genesis_hash) = match &checkpoint {
            Some(c) => (c.first_seq, c.prev),
            None => (1, Digest::ZERO),
        };
        let seg_no = match (segs.last(), &checkpoint) {
            (Some(&n), _) => n,
            (None, Some(c)) => c.first_segment,
            (None, None) => 1,
        };
        let seg_path = dir.join(segment_name(seg_no));
        let seals_path = dir.join(seals_name(seg_no));
        let seg = open_append(&seg_path)?;
        let seals = open_append(&seals_path)?;
        let mut recovered = None;
        let t = segment::tail(&seg_path).map_err(|e| AuditError::unreadable(&seg_path, e))?;
        if t.torn_bytes > 0 {
            seg.set_len(t.complete_len)
                .and_then(|()| seg.sync_all())
                .map_err(|e| AuditError::write(&seg_path, e))?;
            tracing::warn!(
                segment = %seg_path.display(),
                bytes = t.torn_bytes,
                "cut off an unfinished line at the end of the audit log"
            );
            recovered = Some(
                AuditEntry::new(now, &opts.node, "node", &opts.node, Action::AuditRecovered)
                    .detail(format!(
                        "cut off {} bytes of an unfinished line at the end of {} (a write torn by a crash)",
                        t.torn_bytes,
                        segment_name(seg_no)
                    )),
            );
        }
        let seg_len = t.complete_len;
        let seg_first_ms = entry_time(
            &seg_path,
            segment::first_line(&seg_path).map_err(|e| AuditError::unreadable(&seg_path, e))?,
        )?;
        let (next_seq, last_hash) = match last_entry(dir, &segs)? {
            Some((seq, hash)) => (seq + 1, hash),
            None => (first_seq, genesis_hash),
        };
        // The seals file: cut a torn line too, and find the last seal.
        let st = segment::tail(&seals_path).map_err(|e| AuditError::unreadable(&seals_path, e))?;
        if st.torn_bytes > 0 {
            seals
                .set_len(st.complete_len)
                .and_then(|()| seals.sync_all())
                .map_err(|e| AuditError::write(&seals_path, e))?;
        }
        let last_seal: Option<Seal> = st.last.and_then(|l| serde_json::from_slice(&l).ok());
        let sealed_seq = match &last_seal {
            Some(s) => s.seq,
            None if seg_len == 0 => next_seq - 1,
            None => {
                let first = segment::first_line(&seg_path)
                    .ok()
                    .flatten()
                    .and_then(|l| entry::decode(&l).ok())
                    .map(|d| d.stored.seq);
                first.map_or(next_seq - 1, |s| s.saturating_sub(1))
            }
        };
        files::sync_dir(dir).map_err(|e| AuditError::write(dir, e))?;
        shared.head_seq.store(next_seq - 1, Ordering::Relaxed);
        let mut w = Writer {
            dir: dir.to_path_buf(),
            signer,
            shared,
            _lock: lock,
            seg_no,
            seg,
            seg_len,
            seg_first_ms,
            seals,
            seals_len: st.complete_len,
            closing_sealed: last_seal.as_ref().is_some_and(|s| s.closed),
            next_seq,
            last_hash,
            sealed_seq,
            last_seal_ms: now,
            first_seq,
            purged_total: checkpoint.as_ref().map_or(0, |c| c.purged_total),
            buf: Vec::with_capacity(1 << 20),
            recovered,
            opts,
        };
        if w.closing_sealed {
            // A roll was interrupted after the closing seal: finish it.
            w.roll()?;
        }
        Ok(w)
    }

    fn now(&self) -> i64 {
        (self.opts.now_ms)()
    }

    fn unsealed(&self) -> u64 {
        (self.next_seq - 1).saturating_sub(self.sealed_seq)
    }

    fn seal_due(&self) -> bool {
        self.unsealed() >= self.opts.seal_every_entries
    }

    fn run(mut self, rx: mpsc::Receiver<Msg>) -> Result<(), AuditError> {
        if let Some(e) = self.recovered.take() {
            self.commit(&[&e])?;
        }
        let mut batch: Vec<Box<AuditEntry>> = Vec::with_capacity(self.opts.batch_entries_max);
        loop {
            let first = if self.unsealed() > 0 {
                let since = self.now().saturating_sub(self.last_seal_ms);
                let wait = (self.opts.seal_every_ms - since).clamp(1, self.opts.seal_every_ms);
                rx.recv_timeout(Duration::from_millis(wait as u64))
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            let mut control = None;
            match first {
                Ok(Msg::Entry(e)) => batch.push(e),
                Ok(other) => control = Some(other),
                Err(RecvTimeoutError::Timeout) => {
                    self.seal_if_time();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if control.is_none() {
                let linger = Duration::from_millis(self.opts.batch_linger_ms);
                let until = std::time::Instant::now() + linger;
                while batch.len() < self.opts.batch_entries_max {
                    let next = match until.checked_duration_since(std::time::Instant::now()) {
                        Some(left) if !left.is_zero() => rx.recv_timeout(left).map_err(|_| ()),
                        _ => rx.try_recv().map_err(|_| ()),
                    };
                    match next {
                        Ok(Msg::Entry(e)) => batch.push(e),
                        Ok(other) => {
                            control = Some(other);
                            break;
                        }
                        Err(()) => break,
                    }
                }
            }
            if !batch.is_empty() {
                let refs: Vec<&AuditEntry> = batch.iter().map(|b| &**b).collect();
                self.commit(&refs)?;
                self.shared
                    .depth
                    .fetch_sub(batch.len() as u64, Ordering::Relaxed);
                batch.clear();
            }
            match control {
                None => self.seal_if_time(),
                Some(Msg::Flush { seal, reply }) => {
                    let r = if seal && self.unsealed() > 0 {
                        self.seal(false)
                    } else {
                        Ok(())
                    };
                    let _ = reply.send(r.map(|()| self.next_seq - 1));
                }
                Some(Msg::Purge { entry, reply }) => {
                    let _ = reply.send(self.purge(*entry));
                }
                Some(Msg::Hold { ack, release }) => {
                    let _ = ack.send(());
                    let _ = release.recv();
                }
                Some(Msg::Entry(_)) => unreachable!("entries are batched above"),
            }
        }
        // Shutting down: everything queued is written (the channel is drained by now); seal.
        if self.unsealed() > 0 {
            let mut attempt = 0;
            while let Err(e) = self.seal(false) {
                attempt += 1;
                if attempt >= SHUTDOWN_ATTEMPTS {
                    return Err(e);
                }
                std::thread::sleep(retry_wait(attempt));
            }
        }
        Ok(())
    }

    /// Writes `entries`, retrying through failures (refusing new entries meanwhile) until
    /// they are written, or until shutdown has waited long enough.
    fn commit(&mut self, entries: &[&AuditEntry]) -> Result<(), AuditError> {
        let mut done = 0;
        let mut attempt = 0u32;
        loop {
            let step = if done < entries.len() {
                self.append_some(&entries[done..]).map(|n| done += n)
            } else if self.seal_due() {
                self.seal(false)
            } else {
                break;
            };
            match step {
                Ok(()) => {
                    if attempt > 0 {
                        attempt = 0;
                        self.set_failing(None);
                    }
                }
                Err(e) => {
                    attempt += 1;
                    tracing::error!(error = %e, attempt, "writing the audit log failed; retrying");
                    self.set_failing(Some(e.to_string()));
                    if self.shared.shutdown.load(Ordering::Relaxed) && attempt >= SHUTDOWN_ATTEMPTS
                    {
                        return Err(e);
                    }
                    std::thread::sleep(retry_wait(attempt));
                }
            }
        }
        Ok(())
    }

    fn set_failing(&self, error: Option<String>) {
        self.shared
            .failing
            .store(error.is_some(), Ordering::Relaxed);
        *self
            .shared
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = error;
    }

    /// Chains and writes entries from the front of `entries` up to the next seal point or the
    /// end of the segment, as one synced write; returns how many. Rolls or seals first when
    /// due. On failure nothing of the write remains and the head is unchanged.
    fn append_some(&mut self, entries: &[&AuditEntry]) -> Result<usize, AuditError> {
        if self.seal_due() {
            self.seal(false)?;
        }
        self.buf.clear();
        let mut seq = self.next_seq;
        let mut hash = self.last_hash;
        let mut first_ms = self.seg_first_ms;
        let mut n = 0;
        for e in entries {
            let mark = self.buf.len();
            let h = entry::encode(seq, e, &hash, &mut self.buf);
            let line_bytes = (self.buf.len() - mark) as u64;
            let used = self.seg_len + mark as u64;
            let full = used > 0 && used + line_bytes > self.opts.segment_bytes_max;
            let old = used > 0
                && first_ms
                    .is_some_and(|f| e.time_ms.saturating_sub(f) >= self.opts.segment_age_ms_max);
            if full || old {
                self.buf.truncate(mark);
                if n == 0 {
                    self.roll()?;
                    return Ok(0);
                }
                break;
            }
            first_ms.get_or_insert(e.time_ms);
            seq += 1;
            hash = h;
            n += 1;
            if seq - 1 - self.sealed_seq >= self.opts.seal_every_entries {
                break;
            }
        }
        let path = || self.dir.join(segment_name(self.seg_no));
        if let Err(e) = self
            .seg
            .write_all(&self.buf)
            .and_then(|()| self.seg.sync_data())
        {
            // Leave nothing half-written: the retry writes the same entries again.
            let _ = self.seg.set_len(self.seg_len);
            return Err(AuditError::write(&path(), e));
        }
        self.seg_len += self.buf.len() as u64;
        self.seg_first_ms = first_ms;
        self.next_seq = seq;
        self.last_hash = hash;
        self.shared.written.fetch_add(n as u64, Ordering::Relaxed);
        self.shared.head_seq.store(seq - 1, Ordering::Relaxed);
        Ok(n)
    }

    /// Signs the head into the current segment's seals file.
    fn seal(&mut self, closed: bool) -> Result<(), AuditError> {
        let now = self.now();
        let seal = Seal {
            segment: self.seg_no,
            seq: self.next_seq - 1,
            hash: self.last_hash,
            time_ms: now,
            closed,
            key: self.signer.key_id().to_string(),
        };
        let line = seal.to_line(&self.signer)?;
        if let Err(e) = self
            .seals
            .write_all(&line)
            .and_then(|()| self.seals.sync_data())
        {
            let _ = self.seals.set_len(self.seals_len);
            return Err(AuditError::write(
                &self.dir.join(seals_name(self.seg_no)),
                e,
            ));
        }
        self.seals_len += line.len() as u64;
        self.sealed_seq = seal.seq;
        self.last_seal_ms = now;
        self.shared.seals.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn seal_if_time(&mut self) {
        if self.unsealed() > 0
            && self.now().saturating_sub(self.last_seal_ms) >= self.opts.seal_every_ms
            && let Err(e) = self.seal(false)
        {
            tracing::error!(error = %e, "sealing the audit log failed; retrying later");
        }
    }

    /// Closes the current segment with a closing seal and starts the next.
    fn roll(&mut self) -> Result<(), AuditError> {
        if !self.closing_sealed {
            self.seal(true)?;
            self.closing_sealed = true;
        }
        let n = self.seg_no + 1;
        let seg = open_append(&self.dir.join(segment_name(n)))?;
        let seals = open_append(&self.dir.join(seals_name(n)))?;
        files::sync_dir(&self.dir).map_err(|e| AuditError::write(&self.dir, e))?;
        let seg_len = seg
            .metadata()
            .map_err(|e| AuditError::write(&self.dir.join(segment_name(n)), e))?
            .len();
        if seg_len != 0 {
            return Err(AuditError::new(
                &AUDIT_UNREADABLE,
                format!("{} already holds data", segment_name(n)),
            ));
        }
        self.seg = seg;
        self.seals = seals;
        self.seg_no = n;
        self.seg_len = 0;
        self.seals_len = 0;
        self.seg_first_ms = None;
        self.closing_sealed = false;
        Ok(())
    }

    /// Removes the segments past retention: records the purge (sealed), writes the signed
    /// checkpoint, then removes the files — so a crash between the steps leaves the act
    /// recorded, and at worst files that the next purge removes.
    fn purge(&mut self, mut entry: AuditEntry) -> Result<Purged, AuditError> {
        let cutoff_ms = entry.time_ms.saturating_sub(self.opts.retention_ms);
        let segs = segment::list(&self.dir).map_err(|e| AuditError::unreadable(&self.dir, e))?;
        let mut remove = Vec::new();
        let mut keep_from = self.seg_no;
        // Segments before the checkpoint's first are leftovers of an interrupted purge.
        let kept_from = read_checkpoint(&self.dir)?.map_or(0, |c| c.first_segment);
        for &n in segs.iter().filter(|&&n| n < self.seg_no) {
            let path = self.dir.join(segment_name(n));
            let t = segment::tail(&path).map_err(|e| AuditError::unreadable(&path, e))?;
            let last_ms = entry_time(&path, t.last)?;
            let past = n < kept_from || last_ms.is_none_or(|ms| ms < cutoff_ms);
            if !past {
                keep_from = n;
                break;
            }
            remove.push(n);
        }
        let (first_seq, prev) = if keep_from == self.seg_no && self.seg_len == 0 {
            (self.next_seq, self.last_hash)
        } else {
            let path = self.dir.join(segment_name(keep_from));
            let line = segment::first_line(&path)
                .map_err(|e| AuditError::unreadable(&path, e))?
                .ok_or_else(|| AuditError::unreadable(&path, "no complete first entry"))?;
            let d = entry::decode(&line).map_err(|e| AuditError::unreadable(&path, e))?;
            (d.stored.seq, d.stored.prev)
        };
        let purged = first_seq.saturating_sub(self.first_seq);
        entry.detail = Some(if purged == 0 && remove.is_empty() {
            format!(
                "nothing recorded before {} (retention {} days)",
                files::utc_date(cutoff_ms),
                self.opts.retention_ms / DAY_MS
            )
        } else {
            format!(
                "removed entries {}–{} ({} entries, {} segment files) recorded before {} (retention {} days); the log now starts at entry {}",
                self.first_seq,
                first_seq.saturating_sub(1),
                purged,
                remove.len(),
                files::utc_date(cutoff_ms),
                self.opts.retention_ms / DAY_MS,
                first_seq
            )
        });
        // 1. The act is recorded and sealed before anything is removed.
        self.commit(&[&entry])?;
        let seq = self.next_seq - 1;
        if self.unsealed() > 0 {
            self.seal(false)?;
        }
        if remove.is_empty() {
            return Ok(Purged {
                entries: 0,
                segments: 0,
                checkpoint: None,
                seq,
            });
        }
        // 2. The checkpoint: what the log now starts with, signed.
        let checkpoint = Checkpoint {
            first_segment: keep_from,
            first_seq,
            prev,
            purged,
            purged_total: self.purged_total + purged,
            cutoff_ms,
            time_ms: entry.time_ms,
            key: self.signer.key_id().to_string(),
        };
        let path = self.dir.join(CHECKPOINT_FILE);
        files::replace(&path, &checkpoint.to_line(&self.signer)?, 0o600)
            .map_err(|e| AuditError::write(&path, e))?;
        self.first_seq = first_seq;
        self.purged_total = checkpoint.purged_total;
        // 3. The files.
        for &n in &remove {
            for name in [segment_name(n), seals_name(n)] {
                let p = self.dir.join(name);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(AuditError::write(&p, e)),
                }
            }
        }
        files::sync_dir(&self.dir).map_err(|e| AuditError::write(&self.dir, e))?;
        Ok(Purged {
            entries: purged,
            segments: remove.len() as u64,
            checkpoint: Some(checkpoint),
            seq,
        })
    }
}

fn retry_wait(attempt: u32) -> Duration {
    Duration::from_millis((100u64 << attempt.min(6)).min(RETRY_MS_MAX))
}

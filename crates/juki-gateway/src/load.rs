//! Loading a change file into a store through the bulk path: one thread reads and validates,
//! the calling thread writes, with a bounded queue between them (memory stays bounded
//! whatever the file's size). Every refused record is reported with its line and codes.

use crate::csv_input::{ChangeReader, FileError};
use juki_domain::change::{ValidationContext, validate};
use juki_domain::{Date, LocalGovernmentCode, Problem, ValidatedChange};
use juki_store::{BulkSummary, Outcome, Store, StoreError};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc;

/// How a load runs.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The municipal node the changes are recorded at.
    pub node: LocalGovernmentCode,
    /// Today in Asia/Tokyo (validation refuses dates after it).
    pub today: Date,
    /// The commit instant written to the journal.
    pub now_ms: i64,
    /// Changes per transaction.
    pub batch_size: usize,
}

/// A record that was not loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedRecord {
    pub line: u64,
    pub record_id: Option<String>,
    pub resident_code: Option<String>,
    pub problems: Vec<Problem>,
}

/// What a load did.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    pub rows: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub refused: u64,
    pub warnings: Vec<Problem>,
    pub index_build_ms: u64,
}

/// Why a load stopped before the end of the file.
#[derive(Debug)]
pub enum LoadError {
    File(FileError),
    Store(StoreError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::File(e) => write!(f, "{e}"),
            LoadError::Store(e) => write!(f, "{}: {e}", e.def()),
        }
    }
}

impl std::error::Error for LoadError {}

/// Line, record id and resident code of one change.
type Origin = (u64, String, Option<String>);

/// One batch handed from the reading thread to the writing one.
struct Batch {
    changes: Vec<ValidatedChange>,
    /// Line, record id and resident code of each change, in the same order.
    lines: Vec<Origin>,
    refused: Vec<RefusedRecord>,
    bytes_read: u64,
}

/// Batches queued between the threads at most.
const QUEUE_BATCHES_MAX: usize = 4;

/// Reads `input` (FORMATS §1 CSV), validates every record and loads the valid ones into
/// `store`. `on_refused` hears of every refused record; `progress` of bytes read and rows done.
pub fn load<R: Read + Send>(
    input: R,
    store: &dyn Store,
    opts: &LoadOptions,
    on_refused: &mut dyn FnMut(&RefusedRecord),
    progress: &mut dyn FnMut(u64, u64),
) -> Result<LoadReport, LoadError> {
    let reader = ChangeReader::new(input).map_err(LoadError::File)?;
    let mut report = LoadReport {
        warnings: reader.warnings().to_vec(),
        ..LoadReport::default()
    };
    let ctx = ValidationContext {
        node: opts.node,
        today: opts.today,
    };
    let batch_size = opts.batch_size.max(1);
    let (tx, rx) = mpsc::sync_channel::<Batch>(QUEUE_BATCHES_MAX);

    std::thread::scope(|scope| {
        scope.spawn(move || read_and_validate(reader, ctx, batch_size, tx));

        let pending: RefCell<VecDeque<Vec<Origin>>> = RefCell::new(VecDeque::new());
        let refused_count = RefCell::new(0u64);
        let rows = RefCell::new(0u64);
        let on_refused = RefCell::new(on_refused);
        let mut batches = rx.iter().map(|b| {
            *rows.borrow_mut() += (b.changes.len() + b.refused.len()) as u64;
            for r in &b.refused {
                (on_refused.borrow_mut())(r);
            }
            *refused_count.borrow_mut() += b.refused.len() as u64;
            progress(b.bytes_read, *rows.borrow());
            pending.borrow_mut().push_back(b.lines);
            b.changes
        });
        let summary: Result<BulkSummary, StoreError> = store.bulk_load(
            opts.node,
            opts.now_ms,
            &mut batches,
            &mut |outcomes: &[Outcome]| {
                let lines = pending.borrow_mut().pop_front().unwrap_or_default();
                for (outcome, (line, record_id, code)) in outcomes.iter().zip(lines) {
                    if let Outcome::Refused(p) = outcome {
                        let r = RefusedRecord {
                            line,
                            record_id: Some(record_id),
                            resident_code: code,
                            problems: vec![p.clone()],
                        };
                        (on_refused.borrow_mut())(&r);
                    }
                }
            },
        );
        drop(batches); // closes the channel, so the reading thread stops if the store failed
        let summary = summary.map_err(LoadError::Store)?;
        report.rows = *rows.borrow();
        report.applied = summary.applied;
        report.duplicates = summary.duplicates;
        report.refused = summary.refused + *refused_count.borrow();
        report.index_build_ms = summary.index_build_ms;
        Ok(report)
    })
}

fn read_and_validate<R: Read>(
    mut reader: ChangeReader<R>,
    ctx: ValidationContext,
    batch_size: usize,
    tx: mpsc::SyncSender<Batch>,
) {
    let new_batch = || Batch {
        changes: Vec::with_capacity(batch_size),
        lines: Vec::with_capacity(batch_size),
        refused: Vec::new(),
        bytes_read: 0,
    };
    let mut batch = new_batch();
    loop {
        let row = reader.next();
        let done = row.is_none();
        match row {
            None => {}
            Some(Err(e)) => batch.refused.push(RefusedRecord {
                line: e.line,
                record_id: e.record_id,
                resident_code: None,
                problems: vec![e.problem],
            }),
            Some(Ok((line, raw))) => match validate(&raw, &ctx) {
                Ok(v) => {
                    batch.lines.push((
                        line,
                        raw.record_id,
                        Some(raw.resident_code).filter(|c| !c.is_empty()),
                    ));
                    batch.changes.push(v);
                }
                Err(problems) => batch.refused.push(RefusedRecord {
                    line,
                    record_id: Some(raw.record_id).filter(|r| !r.is_empty()),
                    resident_code: Some(raw.resident_code).filter(|c| !c.is_empty()),
                    problems,
                }),
            },
        }
        if done || batch.changes.len() + batch.refused.len() >= batch_size {
            batch.bytes_read = reader.bytes_read();
            if tx.send(std::mem::replace(&mut batch, new_batch())).is_err() {
                return; // the writer stopped
            }
        }
        if done {
            return;
        }
    }
}

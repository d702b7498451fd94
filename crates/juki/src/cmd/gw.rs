//! `juki gw submit FILE --profile P`: the gateway from an existing registry system to its
//! municipal node. Reads the file in its format and declared encoding (docs/gateway-formats.md),
//! checks every record, submits the good ones to the node in batches, and prints the linkage
//! report (FORMATS §5). Exit 0 when every record was accepted, 1 when some were refused, 2 when
//! the file cannot be read, 3 when the node cannot be reached (what was sent before stays
//! recorded, and submitting the file again is harmless: record ids seen before are not applied
//! again).

use super::remote::{Common, failed};
use crate::exit::{self, exit};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use juki_api::{ChangeInput, ChangeStatus, ProblemJson, SubmitRequest};
use juki_domain::catalogue::{IN_UNREADABLE, lookup};
use juki_domain::{LocalGovernmentCode, Problem, ValidationContext};
use juki_gateway::{
    CharSet, Column, Encoding, FileError, Format, GaijiTable, LinkageReport, RefusedRecord,
    Rendering, ReportWriter, Rules, check_row,
};
use juki_node::{Clock, SystemClock};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Changes per request (the node accepts up to 10,000 by default).
const BATCH: usize = 1000;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Check a change file and submit its good records to the profile's municipal node.
    Submit(SubmitArgs),
}

#[derive(Debug, clap::Args)]
struct SubmitArgs {
    /// The change file.
    file: PathBuf,
    /// Its format: FORMATS §1 CSV, fixed-width records, or FORMATS §2 JSON lines.
    #[arg(long, value_parser = ["csv", "fixed", "jsonl"], default_value = "csv")]
    format: String,
    /// Its encoding; default utf-8 for csv and jsonl, cp932 for fixed. A UTF-8 BOM that
    /// contradicts it refuses the file.
    #[arg(long, value_parser = ["utf-8", "cp932"])]
    encoding: Option<String>,
    /// The character set names must be in: `unicode`, `jis0208`, or `allow:FILE`.
    #[arg(long, default_value = "unicode")]
    charset: String,
    /// The municipality's 外字 mapping table (docs/gateway-formats.md).
    #[arg(long, value_name = "FILE")]
    gaiji: Option<PathBuf>,
    /// Also write the report as CSV (one row per error) to this file.
    #[arg(long, value_name = "FILE")]
    report_csv: Option<PathBuf>,
    /// Write every refused record, exactly as it stood in the file (CSV: after the header), to
    /// this file: correct it there and submit it again.
    #[arg(long, value_name = "FILE")]
    quarantine: Option<PathBuf>,
    /// Check only; submit nothing (no profile's node is contacted).
    #[arg(long)]
    check_only: bool,
    #[command(flatten)]
    common: Common,
}

/// A file problem as the command's error: exit 2 with its code and messages.
fn file_error(e: FileError) -> anyhow::Error {
    exit(exit::USAGE, e.to_string())
}

fn read_text(path: &Path) -> std::result::Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|e| FileError {
        def: &IN_UNREADABLE,
        detail: format!("{}: {e}", path.display()),
    })
}

fn rules(a: &SubmitArgs) -> Result<Rules> {
    let charset = CharSet::from_flag(&a.charset, |p| read_text(Path::new(p)))
        .map_err(file_error)?
        .ok_or_else(|| {
            exit(
                exit::USAGE,
                format!(
                    "--charset {}: expected unicode, jis0208 or allow:FILE",
                    a.charset
                ),
            )
        })?;
    let gaiji = match &a.gaiji {
        Some(p) => GaijiTable::parse(&read_text(p).map_err(file_error)?).map_err(file_error)?,
        None => GaijiTable::default(),
    };
    Ok(Rules { charset, gaiji })
}

/// A problem the node reported, back in the domain's terms (every code it sends is in the
/// catalogue; an unknown one is kept as the node's text in the note of a generic refusal).
fn problem_of(p: &ProblemJson) -> Problem {
    let def = lookup(&p.code).unwrap_or(&juki_domain::catalogue::REC_REFUSED);
    let mut problem = Problem::new(def);
    problem.field = p
        .field
        .as_deref()
        .and_then(Column::from_name)
        .map(Column::name);
    problem.position = p.position;
    problem.ch = p.char.as_deref().and_then(|c| c.chars().next());
    problem.suggestion = p.suggestion.clone();
    problem.note = match (def.code == p.code, &p.note) {
        (true, note) => note.clone(),
        (false, _) => Some(format!("{}: {}", p.code, p.message_en)),
    };
    problem
}

/// Where a submitted change came from, to report the node's refusals by line.
struct Origin {
    line: u64,
    resident_code: Option<String>,
    /// The record's bytes, kept only when there is a quarantine file.
    bytes: Vec<u8>,
}

/// The quarantine file: refused records as they stood in the input, to be corrected and
/// submitted again (their record ids were never applied, so they will be).
struct Quarantine {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    records: u64,
}

impl Quarantine {
    fn create(path: &Path, header: Option<&[u8]>) -> Result<Quarantine> {
        let file = std::fs::File::create(path)
            .map_err(|e| exit(exit::USAGE, format!("{}: {e}", path.display())))?;
        let mut q = Quarantine {
            path: path.to_path_buf(),
            out: std::io::BufWriter::new(file),
            records: 0,
        };
        if let Some(h) = header {
            q.out.write_all(h)?;
            q.out.write_all(b"\n")?;
        }
        Ok(q)
    }

    fn add(&mut self, bytes: &[u8]) -> Result<()> {
        if !bytes.is_empty() {
            self.out.write_all(bytes)?;
            self.out.write_all(b"\n")?;
            self.records += 1;
        }
        Ok(())
    }
}

/// Where the outcome of each record goes: the report printed at the end (bounded), the CSV
/// report file (every refused record, written as it comes), the quarantine file.
struct Sink {
    report: LinkageReport,
    csv: Option<ReportWriter<std::io::BufWriter<std::fs::File>>>,
    quarantine: Option<Quarantine>,
}

impl Sink {
    fn refuse(&mut self, refused: RefusedRecord, bytes: &[u8]) -> Result<()> {
        if let Some(q) = &mut self.quarantine {
            q.add(bytes)?;
        }
        if let Some(w) = &mut self.csv {
            w.refused(&refused)?;
        }
        self.report.refuse(refused);
        Ok(())
    }
}

/// Submits batches and folds the node's answers into the report.
struct Submitter {
    client: Option<juki_client::Client>,
    runtime: Option<tokio::runtime::Runtime>,
    json: bool,
    batch: Vec<ChangeInput>,
    origins: Vec<Origin>,
    applied: u64,
    duplicates: u64,
}

impl Submitter {
    fn flush(&mut self, sink: &mut Sink) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let changes = std::mem::take(&mut self.batch);
        let origins = std::mem::take(&mut self.origins);
        let (Some(client), Some(rt)) = (&self.client, &self.runtime) else {
            // --check-only: every record that passed the checks counts as accepted.
            sink.report.accepted += changes.len() as u64;
            return Ok(());
        };
        let request = SubmitRequest { changes };
        let response = rt
            .block_on(client.submit(&request))
            .map_err(|e| failed(e, self.json))?;
        for (result, origin) in response.results.iter().zip(origins) {
            match result.status {
                ChangeStatus::Applied => {
                    self.applied += 1;
                    sink.report.accepted += 1;
                }
                ChangeStatus::Duplicate => {
                    self.duplicates += 1;
                    sink.report.accepted += 1;
                }
                ChangeStatus::Refused => {
                    let refused = RefusedRecord {
                        line: origin.line,
                        record_id: Some(result.record_id.clone()),
                        resident_code: origin.resident_code,
                        problems: result.errors.iter().map(problem_of).collect(),
                    };
                    sink.refuse(refused, &origin.bytes)?;
                }
            }
        }
        Ok(())
    }
}

pub fn run(a: Args) -> Result<u8> {
    let Command::Submit(a) = a.command;
    let format = Format::parse(&a.format).expect("clap allows only known formats");
    let encoding = a.encoding.as_deref().and_then(Encoding::parse);
    let rules = rules(&a)?;
    let profile = juki_client::Profile::load(&a.common.profile)
        .map_err(|e| exit(exit::USAGE, e.to_string()))?;
    let node = LocalGovernmentCode::parse(&profile.jurisdiction).map_err(|_| {
        exit(
            exit::USAGE,
            format!(
                "{}: the profile's jurisdiction must be a municipality's code",
                juki_domain::catalogue::CFG_ROLE
            ),
        )
    })?;
    let ctx = ValidationContext {
        node,
        today: SystemClock.today_tokyo(),
    };
    let file = std::fs::File::open(&a.file).map_err(|e| {
        exit(
            exit::USAGE,
            format!("{IN_UNREADABLE}: {}: {e}", a.file.display()),
        )
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut records = juki_gateway::open(
        std::io::BufReader::with_capacity(1 << 16, file),
        format,
        encoding,
    )
    .map_err(file_error)?;

    let (client, runtime) = if a.check_only {
        (None, None)
    } else {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        (Some(a.common.client()?), Some(runtime))
    };
    let mut submitter = Submitter {
        client,
        runtime,
        json: a.common.json,
        batch: Vec::with_capacity(BATCH),
        origins: Vec::with_capacity(BATCH),
        applied: 0,
        duplicates: 0,
    };
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "{spinner} gw {wide_bar} {bytes}/{total_bytes} {msg} eta {eta}",
        )
        .expect("valid template"),
    );
    let mut sink = Sink {
        report: LinkageReport::default(),
        csv: match &a.report_csv {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .map_err(|e| exit(exit::USAGE, format!("{}: {e}", path.display())))?;
                Some(ReportWriter::new(
                    std::io::BufWriter::new(file),
                    Rendering::Csv,
                )?)
            }
            None => None,
        },
        quarantine: match &a.quarantine {
            Some(path) => Some(Quarantine::create(path, records.header_line())?),
            None => None,
        },
    };
    let mut rows = 0u64;
    while let Some(row) = records.next() {
        rows += 1;
        match check_row(row, &ctx, &rules) {
            Ok(accepted) => {
                submitter.origins.push(Origin {
                    line: accepted.line,
                    resident_code: Some(accepted.raw.resident_code.clone())
                        .filter(|c| !c.is_empty()),
                    bytes: match sink.quarantine {
                        Some(_) => records.last_line().to_vec(),
                        None => Vec::new(),
                    },
                });
                submitter.batch.push(ChangeInput::from(accepted.raw));
                if submitter.batch.len() >= BATCH {
                    submitter.flush(&mut sink)?;
                }
            }
            Err(mut refused) => {
                records.in_source_form(&mut refused);
                sink.refuse(refused, records.last_line())?;
            }
        }
        if rows.is_multiple_of(4096) {
            bar.set_position(records.bytes_read());
            bar.set_message(format!("{rows} records"));
        }
    }
    submitter.flush(&mut sink)?;
    bar.finish_and_clear();
    let Sink {
        mut report,
        csv,
        quarantine,
    } = sink;
    report.close(records.warnings().to_vec());
    if let Some(w) = csv {
        w.finish(report.accepted, &report.warnings)?;
    }
    if let Some(mut q) = quarantine {
        q.out.flush()?;
        eprintln!(
            "{} refused record(s) written to {}: correct them there and submit that file again",
            q.records,
            q.path.display()
        );
    }
    report.refused.sort_by_key(|r| r.line);
    let mut out = if a.common.json {
        report.to_json() + "\n"
    } else {
        report.to_text()
    };
    if !a.common.json && !a.check_only {
        out.push_str(&format!(
            "\n記録 applied {}, 既に記録済み duplicates (already recorded, not applied again) {}\n",
            submitter.applied, submitter.duplicates
        ));
    }
    // A reader that stops early (`| head`) is no failure of the submission.
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(if report.refused_count() == 0 {
        exit::DONE
    } else {
        exit::REFUSED
    })
}

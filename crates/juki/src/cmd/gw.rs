//! `juki gw submit FILE --profile P`: the gateway from an existing registry system to its
//! municipal node. Streams the file to the node (`POST /v1/gateway/submit`), which reads it in
//! its format and declared encoding (docs/gateway-formats.md), checks every record and applies
//! the good ones — or, when the file closes more records than allowed, keeps it for a second
//! person's approval — and prints the linkage report (FORMATS §5); `--check-only` checks here
//! and sends nothing. Exit 0 when every record was accepted, 1 when some were refused or the
//! file waits for approval, 2 when the file cannot be read, 3 when the node cannot be reached
//! (submitting the file again is harmless: record ids seen before are not applied again).

use super::remote::{Common, block_on, failed};
use crate::exit::{self, exit};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use juki_api::ProblemJson;
use juki_domain::catalogue::{IN_UNREADABLE, lookup};
use juki_domain::{LocalGovernmentCode, Problem, ValidationContext};
use juki_gateway::{
    CharSet, Column, Encoding, FileError, Format, GaijiTable, LinkageReport, RefusedRecord,
    Rendering, ReportWriter, Rules, check_row,
};
use juki_node::{Clock, SystemClock};
use std::io::Write as _;
use std::path::{Path, PathBuf};

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

pub fn run(a: Args) -> Result<u8> {
    let Command::Submit(a) = a.command;
    let format = Format::parse(&a.format).expect("clap allows only known formats");
    let encoding = a.encoding.as_deref().and_then(Encoding::parse);
    if a.check_only {
        check_locally(&a, format, encoding)
    } else {
        submit_at_node(&a, format, encoding)
    }
}

/// Opens the change file as records of `format`.
fn open_records(
    path: &Path,
    format: Format,
    encoding: Option<Encoding>,
) -> Result<(
    juki_gateway::Records<std::io::BufReader<std::fs::File>>,
    u64,
)> {
    let file = std::fs::File::open(path).map_err(|e| {
        exit(
            exit::USAGE,
            format!("{IN_UNREADABLE}: {}: {e}", path.display()),
        )
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let records = juki_gateway::open(
        std::io::BufReader::with_capacity(1 << 16, file),
        format,
        encoding,
    )
    .map_err(file_error)?;
    Ok((records, size))
}

fn progress(size: u64) -> ProgressBar {
    ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "{spinner} gw {wide_bar} {bytes}/{total_bytes} {msg} eta {eta}",
        )
        .expect("valid template"),
    )
}

/// The CSV report file, when asked for.
fn csv_writer(a: &SubmitArgs) -> Result<Option<ReportWriter<std::io::BufWriter<std::fs::File>>>> {
    let Some(path) = &a.report_csv else {
        return Ok(None);
    };
    let file = std::fs::File::create(path)
        .map_err(|e| exit(exit::USAGE, format!("{}: {e}", path.display())))?;
    Ok(Some(ReportWriter::new(
        std::io::BufWriter::new(file),
        Rendering::Csv,
    )?))
}

/// `--check-only`: every record checked here, nothing sent.
fn check_locally(a: &SubmitArgs, format: Format, encoding: Option<Encoding>) -> Result<u8> {
    let rules = rules(a)?;
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
    let (mut records, size) = open_records(&a.file, format, encoding)?;
    let bar = progress(size);
    let mut sink = Sink {
        report: LinkageReport::default(),
        csv: csv_writer(a)?,
        quarantine: match &a.quarantine {
            Some(path) => Some(Quarantine::create(path, records.header_line())?),
            None => None,
        },
    };
    let mut rows = 0u64;
    while let Some(row) = records.next() {
        rows += 1;
        match check_row(row, &ctx, &rules) {
            Ok(_) => sink.report.accepted += 1,
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
    bar.finish_and_clear();
    sink.report.close(records.warnings().to_vec());
    finish(a, sink, None)
}

/// A refused record as the node's report gives it.
fn refused_of(r: &serde_json::Value) -> RefusedRecord {
    let text = |k: &str| r[k].as_str().map(str::to_owned);
    let problems = r["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| serde_json::from_value::<ProblemJson>(e.clone()).ok())
                .map(|p| problem_of(&p))
                .collect()
        })
        .unwrap_or_default();
    RefusedRecord {
        line: r["line"].as_u64().unwrap_or(0),
        record_id: text("record_id"),
        resident_code: text("resident_code"),
        problems,
    }
}

/// Sends the file to the profile's node, which checks and applies it (or keeps it for a
/// second person's approval when it closes many records), then reports.
fn submit_at_node(a: &SubmitArgs, format: Format, encoding: Option<Encoding>) -> Result<u8> {
    let size = std::fs::metadata(&a.file)
        .map_err(|e| {
            exit(
                exit::USAGE,
                format!("{IN_UNREADABLE}: {}: {e}", a.file.display()),
            )
        })?
        .len();
    let client = a.common.client()?;
    let bar = progress(size);
    bar.set_message("sent; the node checks as it reads");
    let shown = bar.clone();
    let answer = block_on(async {
        let file = tokio::fs::File::open(&a.file)
            .await
            .map_err(|e| exit(exit::USAGE, format!("{}: {e}", a.file.display())))?;
        client
            .gateway_submit(
                file,
                format.name(),
                encoding.map(Encoding::name),
                std::sync::Arc::new(move |n| shown.set_position(n)),
            )
            .await
            .map_err(|e| failed(e, a.common.json))
    })?;
    bar.finish_and_clear();
    let mut sink = Sink {
        report: LinkageReport {
            accepted: answer.accepted,
            ..LinkageReport::default()
        },
        csv: csv_writer(a)?,
        quarantine: None,
    };
    let refused: Vec<RefusedRecord> = answer.report["refused"]
        .as_array()
        .map(|rs| rs.iter().map(refused_of).collect())
        .unwrap_or_default();
    let warnings: Vec<Problem> = answer.report["warnings"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .filter_map(|w| serde_json::from_value::<ProblemJson>(w.clone()).ok())
                .map(|p| problem_of(&p))
                .collect()
        })
        .unwrap_or_default();
    // The quarantine: the refused records' lines, copied from the file as they stand.
    if let Some(path) = &a.quarantine {
        let lines: std::collections::HashSet<u64> = refused.iter().map(|r| r.line).collect();
        let (mut records, _) = open_records(&a.file, format, encoding)?;
        let mut q = Quarantine::create(path, records.header_line())?;
        while let Some(row) = records.next() {
            let line = match &row {
                Ok((line, _)) => *line,
                Err(e) => e.line,
            };
            if lines.contains(&line) {
                q.add(records.last_line())?;
            }
        }
        sink.quarantine = Some(q);
    }
    for r in refused {
        if let Some(w) = &mut sink.csv {
            w.refused(&r)?;
        }
        sink.report.refuse(r);
    }
    sink.report.unlisted += answer.report["unlisted"].as_u64().unwrap_or(0);
    sink.report.close(warnings);
    finish(a, sink, Some(&answer))
}

/// Writes the CSV report and the quarantine, prints the report, and says how it ended.
fn finish(a: &SubmitArgs, sink: Sink, answer: Option<&juki_api::GatewaySubmitted>) -> Result<u8> {
    let Sink {
        mut report,
        csv,
        quarantine,
    } = sink;
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
    let pending = answer.is_some_and(|x| x.state == "pending");
    let mut out = if a.common.json {
        let mut doc: serde_json::Value = serde_json::from_str(&report.to_json())?;
        if let (Some(x), Some(obj)) = (answer, doc.as_object_mut()) {
            obj.insert("state".into(), x.state.clone().into());
            obj.insert("sha256".into(), x.sha256.clone().into());
            obj.insert("applied".into(), x.applied.into());
            obj.insert("duplicates".into(), x.duplicates.into());
            obj.insert("closes".into(), x.closes.into());
            if let Some(ap) = &x.approval {
                obj.insert("approval".into(), serde_json::to_value(ap)?);
            }
        }
        doc.to_string() + "\n"
    } else {
        report.to_text()
    };
    if let (false, Some(x)) = (a.common.json, answer) {
        match &x.approval {
            Some(ap) if pending => out.push_str(&format!(
                "\n承認待ち waiting for approval: {} — {} closes (消除) need a second person: `juki approve approve {}`; nothing of the file is applied until then\n",
                ap.id, x.closes, ap.id
            )),
            _ => out.push_str(&format!(
                "\n記録 applied {}, 既に記録済み duplicates (already recorded, not applied again) {}\n",
                x.applied, x.duplicates
            )),
        }
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
    Ok(if report.refused_count() == 0 && !pending {
        exit::DONE
    } else {
        exit::REFUSED
    })
}

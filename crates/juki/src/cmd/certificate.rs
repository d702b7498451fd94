//! `juki certificate issue CODE [--home LGC] [--out copy.html] [--pdf copy.pdf]`: a resident-record copy (住民票の写し) at the
//! window of the profile's municipality — of a resident of another municipality too
//! (広域交付), within operating hours.

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Issue a resident-record copy; the printable copy (HTML) goes to --out.
    Issue {
        /// The resident code (11 digits).
        code: String,
        /// The municipality the resident is registered in (as the applicant states it);
        /// the window's own when omitted.
        #[arg(long)]
        home: Option<String>,
        /// Where the printable copy is written (HTML).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Where the copy is written as PDF (A4, in the node's certificate font).
        #[arg(long)]
        pdf: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(a: Args) -> Result<u8> {
    let Command::Issue {
        code,
        home,
        out,
        pdf,
        common,
    } = a.command;
    let client = common.client()?;
    let req = juki_api::ResidentCopyRequest {
        resident_code: code,
        home,
        pdf: pdf.is_some(),
    };
    let copy = block_on(async {
        client
            .resident_copy(&req)
            .await
            .map_err(|e| failed(e, common.json))
    })?;
    if let Some(out) = &out {
        std::fs::write(out, &copy.html)?;
    }
    if let (Some(path), Some(b64)) = (&pdf, &copy.pdf) {
        let bytes = data_encoding::BASE64
            .decode(b64.as_bytes())
            .map_err(|e| crate::exit::exit(crate::exit::SERVER, format!("the node's PDF: {e}")))?;
        std::fs::write(path, bytes)?;
    }
    if common.json {
        print_json(&copy)?;
    } else {
        println!(
            "住民票の写し {} ({}): {} {}, issued at {} {} for {} {}; verification code {}{}",
            copy.certificate_id,
            if copy.wide_area { "wide-area" } else { "local" },
            copy.fields.family_name,
            copy.fields.given_name,
            copy.issued_by,
            copy.issued_by_name,
            copy.home,
            copy.home_name,
            copy.verification_code,
            [
                out.map(|o| format!("; printable copy in {}", o.display())),
                pdf.map(|o| format!("; PDF in {}", o.display()))
            ]
            .into_iter()
            .flatten()
            .collect::<String>()
        );
    }
    Ok(crate::exit::DONE)
}

//! `juki errors`: the error catalogue, as a table, Markdown (docs/error-codes.md) or JSON.

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print docs/error-codes.md.
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Only this code.
    code: Option<String>,
}

pub fn run(a: Args) -> Result<u8> {
    let all = juki_domain::catalogue::all();
    let chosen: Vec<_> = all
        .into_iter()
        .filter(|d| a.code.as_deref().is_none_or(|c| d.code == c))
        .collect();
    if chosen.is_empty() {
        return Err(crate::exit::exit(
            crate::exit::REFUSED,
            format!("no error code {}", a.code.unwrap_or_default()),
        ));
    }
    if a.markdown {
        print!("{}", juki_domain::catalogue::markdown());
    } else if a.json {
        let v: Vec<_> = chosen
            .iter()
            .map(|d| {
                serde_json::json!({"code": d.code, "class": d.class.as_str(), "message_ja": d.message_ja,
                    "message_en": d.message_en, "cause": d.cause, "remedy": d.remedy})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for d in chosen {
            println!(
                "{}  {}\n    {}\n    cause:  {}\n    remedy: {}\n",
                d.code, d.message_ja, d.message_en, d.cause, d.remedy
            );
        }
    }
    Ok(crate::exit::DONE)
}

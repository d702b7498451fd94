//! `juki disclose CODE`: the disclosure report (開示) for a resident who asks what the network
//! holds on them and who accessed it — produced by a clerk of the resident's municipality, as
//! JSON (`--json`) or a printable report.

use super::remote::{Common, block_on, failed, print_json};
use anyhow::Result;
use juki_api::{DisclosureReport, TierPart};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The resident code (11 digits).
    code: String,
    #[command(flatten)]
    common: Common,
}

pub fn run(a: Args) -> Result<u8> {
    let client = a.common.client()?;
    let report = block_on(async {
        client
            .disclosure(&a.code)
            .await
            .map_err(|e| failed(e, a.common.json))
    })?;
    if a.common.json {
        print_json(&report)?;
    } else {
        print!("{}", printable(&report));
    }
    Ok(if report.complete {
        crate::exit::DONE
    } else {
        crate::exit::REFUSED
    })
}

/// Tokyo time of an RFC 3339 instant, to the second.
fn tokyo(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => juki_node::clock::tokyo()
            .to_datetime(t)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

fn function_ja(f: &str) -> &str {
    match f {
        "read" => "記録の閲覧 (read)",
        "search" => "検索 (search)",
        "change" => "記録の変更 (change)",
        "identity-lookup" => "本人確認情報の提供 (identity lookup)",
        "disclosure" => "開示 (disclosure)",
        "certificate-issued" => "証明書の交付 (certificate issued)",
        other => other,
    }
}

/// The report as text for printing (A4, fixed columns).
pub fn printable(r: &DisclosureReport) -> String {
    let mut s = String::new();
    s.push_str("本人確認情報の開示 / Disclosure of identity information held by the network\n");
    s.push_str(&format!(
        "住民票コード / Resident code: {}\n",
        r.resident_code
    ));
    s.push_str(&format!(
        "作成日時 / Produced: {} (Asia/Tokyo) by {} for {}\n",
        tokyo(&r.produced_at),
        r.produced_by,
        r.requested_by
    ));
    if !r.complete {
        s.push_str(
            "注意 / Note: 一部の階層から回答がありません / some tiers did not answer (see below)\n",
        );
    }
    for t in &r.tiers {
        s.push('\n');
        tier(&mut s, t);
    }
    s
}

fn tier(s: &mut String, t: &TierPart) {
    let tier_ja = match t.tier.as_str() {
        "municipal" => "市町村 (municipal)",
        "prefecture" => "都道府県 (prefecture)",
        "national" => "全国 (national)",
        other => other,
    };
    s.push_str(&format!("== {tier_ja}: {} {}\n", t.name, t.node));
    if let Some(e) = &t.error {
        s.push_str(&format!(
            "  回答なし / no answer: {} {} / {}\n",
            e.code, e.message_ja, e.message_en
        ));
        return;
    }
    match &t.record {
        Some(h) => {
            let f = &h.fields;
            s.push_str(&format!("  保有情報 / Record held ({}):\n", h.status));
            s.push_str(&format!(
                "    氏名 {} {} ({} {})  生年月日 {}  性別 {}\n",
                f.family_name,
                f.given_name,
                f.family_name_kana,
                f.given_name_kana,
                f.birth_date,
                f.sex
            ));
            s.push_str(&format!(
                "    住所 {} {}\n",
                f.local_government_code, f.address
            ));
            if let Some(n) = &f.individual_number {
                s.push_str(&format!("    個人番号 {n}\n"));
            }
        }
        None => s.push_str("  保有情報 / Record held: なし / none\n"),
    }
    s.push_str(&format!(
        "  アクセス履歴 / Accesses ({}{}):\n",
        t.accesses.len(),
        if t.accesses_truncated {
            "+, truncated"
        } else {
            ""
        }
    ));
    if t.accesses.is_empty() {
        s.push_str("    なし / none\n");
    }
    for a in &t.accesses {
        s.push_str(&format!(
            "    {}  {}  目的 {}  提供先 {} ({})  {}{}\n",
            tokyo(&a.time),
            function_ja(&a.function),
            a.purpose.as_deref().unwrap_or("-"),
            a.to,
            a.role,
            a.result,
            a.error
                .as_deref()
                .map(|e| format!(" {e}"))
                .unwrap_or_default()
        ));
    }
}

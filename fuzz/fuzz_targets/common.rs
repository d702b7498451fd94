//! What every parser target checks: any bytes, read as a whole file in either encoding, never
//! panic (nor does checking the records read); and a good record after them is still read —
//! malformed input never costs the good records of the same file.

use juki_domain::{Date, LocalGovernmentCode, ValidationContext};
use juki_gateway::fixed::{RECORD_BYTES, write_record};
use juki_gateway::{CharSet, Column, Encoding, Format, GaijiTable, Rules, check_row, open};

const HEADER: &[u8] = b"record_id,change_kind,effective_date,resident_code,family_name,given_name,family_name_kana,given_name_kana,birth_date,sex,local_government_code,address";

pub fn run(format: Format, data: &[u8]) {
    // The first byte picks the encoding, so both decoders are fuzzed.
    let (encoding, body) = match data.split_first() {
        Some((b, rest)) if b & 1 == 1 => (Encoding::Cp932, rest),
        Some((_, rest)) => (Encoding::Utf8, rest),
        None => (Encoding::Utf8, data),
    };
    let ctx = ValidationContext {
        node: LocalGovernmentCode::parse("131148").expect("a valid code"),
        today: Date::constant(2026, 4, 10),
    };
    let rules = Rules {
        charset: CharSet::Jis0208,
        gaiji: GaijiTable::parse("U+E000\tU+9AD9\n").expect("a valid table"),
    };
    if let Ok(records) = open(body, format, Some(encoding)) {
        for row in records {
            let _ = check_row(row, &ctx, &rules);
        }
    }

    let mut file = match format {
        Format::Csv => HEADER.to_vec(),
        Format::Fixed | Format::Jsonl => Vec::new(),
    };
    file.push(b'\n');
    file.extend_from_slice(body);
    file.push(b'\n');
    file.extend_from_slice(&good(format));
    file.push(b'\n');
    let records = open(file.as_slice(), format, Some(encoding)).expect("the header is valid");
    let mut last = None;
    for row in records {
        last = Some(row.as_ref().map(|(_, raw)| raw.record_id.clone()).ok());
        let _ = check_row(row, &ctx, &rules);
    }
    let last = last.expect("at least the good record");
    assert_eq!(
        last.as_deref(),
        Some("GOOD"),
        "the good record after the input is read"
    );
}

fn good(format: Format) -> Vec<u8> {
    match format {
        Format::Csv => b"GOOD,a,b,c,d,e,f,g,h,i,j,k".to_vec(),
        Format::Jsonl => br#"{"record_id":"GOOD"}"#.to_vec(),
        Format::Fixed => {
            let r =
                write_record(&[(Column::record_id, "GOOD")], Encoding::Utf8).expect("ASCII fits");
            debug_assert_eq!(r.len(), RECORD_BYTES);
            r
        }
    }
}

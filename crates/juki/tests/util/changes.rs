//! Changes submitted through `juki change submit`, as a clerk would.

use super::run;
use std::path::Path;

/// A move-in (転入) to 中野区 of resident `code`, as a JSON line.
pub fn move_in_nakano(record_id: &str, code: &str) -> String {
    serde_json::json!({
        "record_id": record_id, "change_kind": "転入", "effective_date": "2026-04-01",
        "resident_code": code, "family_name": "佐々木", "given_name": "陽菜",
        "family_name_kana": "ササキ", "given_name_kana": "ヒナ", "birth_date": "1998-07-14",
        "sex": "女", "local_government_code": "131148", "address": "中野二丁目3番4号",
    })
    .to_string()
}

/// Submits `lines` (written to `file`) with `profile`; asserts success and returns the JSON
/// answer.
pub fn submit_ok(profile: &Path, file: &Path, lines: &[String]) -> serde_json::Value {
    std::fs::write(file, lines.join("\n")).unwrap();
    let out = run(&[
        "change",
        "submit",
        file.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

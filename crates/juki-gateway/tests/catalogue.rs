//! Every code the gateway can emit is in the catalogue and in docs/error-codes.md; every
//! catalogue constant the gateway's sources raise is of an area it declares; and every code of
//! the gateway's own areas is raised somewhere in its sources (none is dead).

use juki_gateway::codes::{OWN_AREAS, RECORD_AREAS, area, emitted};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Catalogue constants by name, with their codes, read from the catalogue's sources
/// (`pub static NAME: ErrorDef = ErrorDef {` then `code: "JK-…",`).
fn catalogue_constants() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for path in rust_files(&root().join("crates/juki-domain/src/catalogue")) {
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut name = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("pub static ") {
                name = rest.split(':').next().map(str::to_owned);
            } else if let Some(code) = line.trim().strip_prefix("code: \"")
                && let Some(n) = name.take()
            {
                out.insert(n, code.trim_end_matches("\",").to_owned());
            }
        }
    }
    out
}

/// Identifiers in a source text.
fn identifiers(text: &str) -> BTreeSet<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect()
}

#[test]
fn every_emitted_code_is_in_the_catalogue_and_documented() {
    let doc =
        std::fs::read_to_string(root().join("docs/error-codes.md")).expect("docs/error-codes.md");
    let emitted = emitted();
    assert!(emitted.len() > 50);
    for d in emitted {
        assert_eq!(
            juki_domain::catalogue::lookup(d.code),
            Some(d),
            "{}",
            d.code
        );
        assert!(
            doc.contains(&format!("| `{}` |", d.code)),
            "docs/error-codes.md lacks {}",
            d.code
        );
        assert!(!d.cause.is_empty() && !d.remedy.is_empty(), "{}", d.code);
    }
}

#[test]
fn the_sources_raise_only_declared_areas_and_every_own_code() {
    let constants = catalogue_constants();
    assert!(
        constants.len() > 100,
        "the catalogue's sources were not read"
    );
    let mut raised = BTreeSet::new();
    for path in rust_files(&root().join("crates/juki-gateway/src")) {
        let text = std::fs::read_to_string(&path).expect("readable");
        for ident in identifiers(&text) {
            if let Some(code) = constants.get(ident) {
                let a = area(code);
                assert!(
                    OWN_AREAS.contains(&a) || RECORD_AREAS.contains(&a),
                    "{} raises {code} of an area codes.rs does not declare",
                    path.display()
                );
                raised.insert(code.clone());
            }
        }
    }
    for code in constants.values() {
        if OWN_AREAS.contains(&area(code)) {
            assert!(
                raised.contains(code),
                "{code} is in the catalogue but the gateway never raises it"
            );
        }
    }
}

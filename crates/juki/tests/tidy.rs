//! Tidy: conventions of the code base, checked (STYLE.md).
//!
//! - every Rust source file opens with a `//!` line saying what it is for;
//! - `docs/error-codes.md` is exactly what the catalogue generates (`juki errors --markdown`);
//! - every error code the catalogue holds is documented, and no other code is.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/juki is two levels down")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_opens_with_a_doc_line() {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["crates", "fuzz"] {
        if root.join(dir).exists() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    assert!(
        files.len() > 20,
        "found only {} files under {}",
        files.len(),
        root.display()
    );
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("readable source file");
            !text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with("//!"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without an opening //! line: {missing:#?}"
    );
}

#[test]
fn the_error_catalogue_document_matches_the_code() {
    let path = workspace_root().join("docs/error-codes.md");
    let documented = std::fs::read_to_string(&path).expect("docs/error-codes.md exists");
    let generated = juki_domain::catalogue::markdown();
    assert!(
        documented == generated,
        "docs/error-codes.md is out of date: run `cargo run -p juki -- errors --markdown > docs/error-codes.md`"
    );
    // And both ways by code: every catalogue code appears, no stray code does.
    let codes: std::collections::BTreeSet<&str> = juki_domain::catalogue::all()
        .iter()
        .map(|d| d.code)
        .collect();
    for word in documented.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if word.starts_with("JK-") && word.len() > 3 {
            assert!(
                codes.contains(word),
                "docs mention {word}, which the catalogue does not hold"
            );
        }
    }
}

#[test]
fn the_readme_names_the_two_set_up_commands() {
    let readme =
        std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md exists");
    assert!(
        readme.contains("juki demo") || readme.contains("scripts/demo"),
        "README gives the demo command"
    );
    assert!(
        readme.contains("scripts/test"),
        "README gives the test command"
    );
    let ci = std::fs::read_to_string(workspace_root().join(".ci/run")).expect(".ci/run exists");
    assert!(
        ci.contains("scripts/test"),
        ".ci/run runs the README's test command"
    );
}

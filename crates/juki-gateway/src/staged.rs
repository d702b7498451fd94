//! A file submitted at the node, kept while it waits (a file that closes many records waits for
//! a second person's approval): its SHA-256, the rule of how many closes need approval, and
//! the check that the copy applied on approval is the one approved.

use crate::csv_input::FileError;
use juki_domain::ChangeKind;
use juki_domain::catalogue::{GW_MASS_CLOSE, GW_STAGED_CHANGED, IN_UNREADABLE};
use std::io::Read;
use std::path::Path;

/// Whether a change closes a record (消除): a move-out, a death, an official deletion.
pub fn closes(kind: ChangeKind) -> bool {
    kind.class() == juki_domain::change::ChangeKindClass::Closes
}

/// Refuses a file that closes more than `allowed` records without an approval.
pub fn check_closes(closes: u64, allowed: u64) -> Result<(), FileError> {
    if closes > allowed {
        return Err(FileError {
            def: &GW_MASS_CLOSE,
            detail: format!("{closes} closes; {allowed} allowed without approval"),
        });
    }
    Ok(())
}

/// The SHA-256 of a file, in lowercase hex.
pub fn sha256(path: &Path) -> Result<String, FileError> {
    let unreadable = |e: std::io::Error| FileError {
        def: &IN_UNREADABLE,
        detail: format!("{}: {e}", path.display()),
    };
    let mut f = std::fs::File::open(path).map_err(unreadable)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex(ctx.finish().as_ref()))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that the kept copy at `path` is still the file approved (`expected` SHA-256).
pub fn check_kept(path: &Path, expected: &str) -> Result<(), FileError> {
    match sha256(path) {
        Ok(found) if found == expected => Ok(()),
        Ok(found) => Err(FileError {
            def: &GW_STAGED_CHANGED,
            detail: format!("{}: SHA-256 {found}, approved {expected}", path.display()),
        }),
        Err(e) => Err(FileError {
            def: &GW_STAGED_CHANGED,
            detail: e.detail,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn closes_beyond_the_limit_need_approval() {
        assert!(check_closes(100, 100).is_ok());
        assert_eq!(check_closes(101, 100).unwrap_err().def.code, "JK-GW-0301");
        assert!(closes(ChangeKind::Death) && closes(ChangeKind::MoveOut));
        assert!(!closes(ChangeKind::MoveIn) && !closes(ChangeKind::MoveWithin));
    }

    #[test]
    fn a_kept_file_must_be_the_one_approved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        let sum = sha256(&path).unwrap();
        assert_eq!(
            sum,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(check_kept(&path, &sum).is_ok());
        std::fs::write(&path, b"abd").unwrap();
        assert_eq!(check_kept(&path, &sum).unwrap_err().def.code, "JK-GW-0302");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(check_kept(&path, &sum).unwrap_err().def.code, "JK-GW-0302");
    }
}

//! Files of the PKI: private keys written 0600 and refused when others can read them, whole
//! files replaced atomically (temporary file, fsync, rename), PEM read with errors that name
//! the file.

use crate::PkiError;
use juki_domain::catalogue::{TLS_FILE_UNREADABLE, TLS_KEY_EXPOSED, TLS_WRITE};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

fn write_error(path: &Path, e: &std::io::Error) -> PkiError {
    PkiError::new(&TLS_WRITE, format!("{}: {e}", path.display()))
}

/// Writes `contents` to a new file `path`, readable by the owner only (0600). Refuses to
/// overwrite an existing file.
pub fn write_secret(path: &Path, contents: &[u8]) -> Result<(), PkiError> {
    write_new(path, contents, 0o600)
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| write_error(path, &e))?;
    f.write_all(contents).map_err(|e| write_error(path, &e))?;
    f.sync_all().map_err(|e| write_error(path, &e))?;
    Ok(())
}

/// Refuses a key file that others can read (keys are 0600).
pub fn check_private(path: &Path) -> Result<(), PkiError> {
    let mode = std::fs::metadata(path)
        .map_err(|e| PkiError::new(&TLS_FILE_UNREADABLE, format!("{}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(PkiError::new(
            &TLS_KEY_EXPOSED,
            format!(
                "{} has mode {:o}; make it 0600",
                path.display(),
                mode & 0o777
            ),
        ));
    }
    Ok(())
}

/// Whether a file is a secret (0600) or may be read by anyone (0644).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Secret,
    Public,
}

/// Replaces `path` with `contents` atomically: readers see the old file or the new one,
/// never a mix, and a crash leaves one of the two.
pub(crate) fn replace(path: &Path, contents: &[u8], mode: Mode) -> Result<(), PkiError> {
    let tmp = temp_path(path);
    // A temporary file left by a crash is ours to remove.
    let _ = std::fs::remove_file(&tmp);
    let bits = match mode {
        Mode::Secret => 0o600,
        Mode::Public => 0o644,
    };
    write_new(&tmp, contents, bits)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        write_error(path, &e)
    })?;
    sync_dir(path);
    Ok(())
}

/// Writes a new file atomically, refusing to overwrite one (the check and the rename are not
/// one step; the CA directory's lock keeps `juki ca` commands from racing).
pub(crate) fn create(path: &Path, contents: &[u8], mode: Mode) -> Result<(), PkiError> {
    if path.exists() {
        return Err(PkiError::new(
            &juki_domain::catalogue::TLS_OUT_EXISTS,
            path.display().to_string(),
        ));
    }
    replace(path, contents, mode)
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Makes a rename durable. Best effort: a directory that cannot be opened for sync still has
/// the rename, only its durability across a power cut is weaker.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

pub(crate) fn unreadable(path: &Path, why: impl std::fmt::Display) -> PkiError {
    PkiError::new(&TLS_FILE_UNREADABLE, format!("{}: {why}", path.display()))
}

/// Every certificate in a PEM file, in order (at least one).
pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let f = File::open(path).map_err(|e| unreadable(path, e))?;
    let certs = rustls_pemfile::certs(&mut BufReader::new(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(path, e))?;
    if certs.is_empty() {
        return Err(unreadable(path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

/// The private key in a PEM file, refused when others can read the file.
pub(crate) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, PkiError> {
    check_private(path)?;
    let f = File::open(path).map_err(|e| unreadable(path, e))?;
    rustls_pemfile::private_key(&mut BufReader::new(f))
        .map_err(|e| unreadable(path, e))?
        .ok_or_else(|| unreadable(path, "no PEM private key in the file"))
}

/// What identifies one version of a file: a changed modification time, length or inode (an
/// atomic replace makes a new inode) means the file was rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    pub(crate) fn of(path: &Path) -> std::io::Result<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok(Stamp {
            modified: m.modified().ok(),
            len: m.len(),
            inode: m.ino(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_0600_and_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.key");
        write_secret(&key, b"secret").unwrap();
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        check_private(&key).unwrap();
        // Never overwrites.
        assert_eq!(
            write_secret(&key, b"other").unwrap_err().def.code,
            "JK-TLS-0210"
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(check_private(&key).unwrap_err().def.code, "JK-TLS-0203");
    }

    #[test]
    fn replace_swaps_the_whole_file_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crl.pem");
        replace(&path, b"one", Mode::Public).unwrap();
        let first = Stamp::of(&path).unwrap();
        replace(&path, b"two", Mode::Secret).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Same length, maybe the same mtime: the inode still tells the versions apart.
        assert_ne!(Stamp::of(&path).unwrap(), first);
        assert!(!temp_path(&path).exists());
        assert_eq!(
            create(&path, b"three", Mode::Public).unwrap_err().def.code,
            "JK-TLS-0205"
        );
    }
}

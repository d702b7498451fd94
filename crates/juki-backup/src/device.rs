//! Whether a repository would sit on the same storage as the data it protects: compared by the
//! device (`st_dev`) of the data directory and of the repository directory, or of its nearest
//! existing parent when it is still to be created. A different device is the least that is
//! required, not proof of independent storage (docs/backup.md says why).

use crate::{BackupError, Result};
use juki_domain::catalogue::{BAK_REPO_UNREADABLE, BAK_SAME_STORAGE};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The local directory of a repository location, or None for a remote one (`rest:…`, …).
pub fn local_path(location: &str) -> Option<&Path> {
    if let Some(path) = location.strip_prefix("local:") {
        return Some(Path::new(path));
    }
    // rustic_backend's other schemes all start with `name:`; a bare path has no colon before
    // its first slash.
    let before_slash = location.split('/').next().unwrap_or("");
    if before_slash.contains(':') {
        None
    } else {
        Some(Path::new(location))
    }
}

fn device_of(path: &Path) -> Result<u64> {
    let mut p = path;
    loop {
        match std::fs::metadata(p) {
            Ok(m) => return Ok(m.dev()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match p.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => p = parent,
                _ => return Ok(std::fs::metadata(".").map_err(|e| unreadable(p, e))?.dev()),
            },
            Err(e) => return Err(unreadable(p, e)),
        }
    }
}

fn unreadable(p: &Path, e: std::io::Error) -> BackupError {
    BackupError::new(&BAK_REPO_UNREADABLE, format!("{}: {e}", p.display()))
}

/// True when the repository at `location` is on the device holding `data_dir`.
pub fn same_device(data_dir: &Path, location: &str) -> Result<bool> {
    let Some(repo) = local_path(location) else {
        return Ok(false);
    };
    Ok(device_of(data_dir)? == device_of(repo)?)
}

/// Refuses a repository on the data directory's device unless `allow_same` (the operator's
/// `--i-know-this-is-the-same-storage`).
pub fn check_separate(data_dir: &Path, location: &str, allow_same: bool) -> Result<bool> {
    let same = same_device(data_dir, location)?;
    if same && !allow_same {
        return Err(BackupError::new(
            &BAK_SAME_STORAGE,
            format!(
                "repository {location} and data directory {} are on one device",
                data_dir.display()
            ),
        ));
    }
    Ok(same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_locations_have_no_local_path() {
        assert_eq!(local_path("rest:https://h:8000/r"), None);
        assert_eq!(local_path("/srv/backup"), Some(Path::new("/srv/backup")));
        assert_eq!(local_path("local:/srv/b"), Some(Path::new("/srv/b")));
        assert_eq!(local_path("rel/dir"), Some(Path::new("rel/dir")));
    }

    #[test]
    fn a_directory_beside_the_data_is_the_same_device() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("mkdir");
        let repo = dir.path().join("not/yet/there");
        let location = repo.to_str().expect("utf-8");
        assert!(same_device(&data, location).expect("device"));
        let e = check_separate(&data, location, false).expect_err("refused");
        assert_eq!(e.def.code, "JK-BAK-0101");
        assert!(check_separate(&data, location, true).expect("allowed"));
    }
}

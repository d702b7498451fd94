//! One module per subcommand.

pub mod approval_gate;
pub mod approve;
pub mod audit;
pub mod backup;
pub mod ca;
pub mod cert;
pub mod certificate;
pub mod change;
pub mod demo;
pub mod digest;
pub mod disclose;
pub mod errors;
pub mod gw;
pub mod identity;
pub mod init;
pub mod lgc;
pub mod load;
pub mod login;
pub mod moves;
pub mod node;
pub mod operator;
pub mod policy;
pub mod rebuild;
pub mod record;
pub mod remote;
pub mod route;
pub mod serve;
pub mod status;
pub mod synth;

use anyhow::Result;
use std::fs::File;
use std::path::Path;

/// Takes the data directory's lock: one process at a time runs or loads a node.
pub fn lock_data_dir(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(crate::exit::exit(
            crate::exit::REFUSED,
            format!(
                "{}: {}",
                juki_domain::catalogue::NODE_RUNNING,
                dir.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

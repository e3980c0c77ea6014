//! The bundle's `state.json` (docker's `State`) as the container runs:
//! `running` with its pid when started, `exited` with the status when done.
//!
//! Replaced whole (readers see the old record or the new one), but
//! without fsync: this record describes a process, and after a
//! crash the process is gone whatever the disk says, so durability buys
//! nothing here, while two fdatasyncs cost ~9 ms a run on this disk, more
//! than the rest of rvol-ns and rvol-exec together.
//!
//! The new record is written into a spare file that is then exchanged
//! with `state.json` (RENAME_EXCHANGE); the old record becomes the spare,
//! rewritten in place next time. So a run allocates no inode and frees
//! none for its records: on an ext4 without a journal (this kind of
//! machine) every inode freed in the last minute is skipped, one by one,
//! by each later allocation in its group, which made a run several ms
//! slower per few hundred runs before it. Nor does a record wait for a
//! discard (a rename over a file frees the old one's blocks, on a disk
//! mounted with `discard`). A reader opens one record or the other, whole;
//! only one that holds the old file open across two writes (the
//! container's whole life) could see the spare rewritten.

use std::path::Path;

use rvol_state::record::State;
use rvol_state::root::Bundle;
use rvol_state::{fsx, time, Result, ResultExt};

const SPARE: &str = ".state.json.spare";

fn write(bundle: &Path, s: &State) -> Result<()> {
    let path = Bundle(bundle).state();
    let spare = bundle.join(SPARE);
    let mut bytes = serde_json::to_vec_pretty(s)?;
    bytes.push(b'\n');
    write_spare(&spare, &bytes)
        .and_then(|()| replace(&spare, &path))
        .with_ctx(|| format!("write {}", path.display()))
}

/// The spare holds `bytes` and nothing else: written over in place (its
/// block is kept), then cut to length.
fn write_spare(spare: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(spare)?;
    f.write_all(bytes)?;
    f.set_len(bytes.len() as u64)
}

/// `spare` becomes `path`, and the old record the spare; a plain rename
/// when there is none (or no RENAME_EXCHANGE).
fn replace(spare: &Path, path: &Path) -> std::io::Result<()> {
    use nix::fcntl::{renameat2, RenameFlags};
    match renameat2(None, spare, None, path, RenameFlags::RENAME_EXCHANGE) {
        Ok(()) => Ok(()),
        Err(nix::Error::ENOENT | nix::Error::EINVAL | nix::Error::ENOSYS) => {
            std::fs::rename(spare, path)
        }
        Err(e) => Err(e.into()),
    }
}

fn load(bundle: &Path) -> State {
    // A missing or unreadable record starts from `created`: the run itself
    // must not fail because an earlier record was lost.
    fsx::read_json(&Bundle(bundle).state()).unwrap_or_default()
}

/// Returns the record as it was, for [`not_started`].
pub fn running(bundle: &Path, pid: i32) -> Result<State> {
    let before = load(bundle);
    let mut s = before.clone();
    s.status = "running".into();
    s.running = true;
    s.pid = pid;
    s.exit_code = 0;
    s.error.clear();
    s.started_at = time::now_nanos();
    s.finished_at = time::ZERO.into();
    write(bundle, &s)?;
    Ok(before)
}

/// The command never started (not found, cannot run, a setup step
/// failed): as docker, the container stays as it was (`created`, its old
/// times) with the exit status and the error.
pub fn not_started(bundle: &Path, before: Option<State>, code: i32, error: &str) -> Result<()> {
    let mut s = before.unwrap_or_else(|| load(bundle));
    if s.status == "running" {
        s.status = "created".into();
    }
    s.running = false;
    s.pid = 0;
    s.exit_code = code;
    s.error = error.into();
    write(bundle, &s)
}

pub fn exited(bundle: &Path, code: i32) -> Result<()> {
    let mut s = load(bundle);
    s.status = "exited".into();
    s.running = false;
    s.pid = 0;
    s.exit_code = code;
    s.finished_at = time::now_nanos();
    write(bundle, &s)
}

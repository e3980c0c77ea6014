//! The bundle's `state.json` (docker's `State`) as the container runs:
//! `running` with its pid when started, `exited` with the status when done.
//!
//! Written by temp file and rename (readers see the old record or the new
//! one), but without fsync: this record describes a process, and after a
//! crash the process is gone whatever the disk says, so durability buys
//! nothing here, while two fdatasyncs cost ~9 ms a run on this disk, more
//! than the rest of rvol-ns and rvol-exec together.
//!
//! The rename is an exchange, then the old record is unlinked: a rename
//! over an existing file makes ext4 allocate the new one's blocks at once
//! (auto_da_alloc) and free the old one's, which on a disk mounted with
//! `discard` waits for a discard (1-30 ms when the disk is busy). Records
//! that live a few seconds are never allocated that way, so neither this
//! nor `rm` of the bundle waits for the disk.

use std::path::Path;

use rvol_state::record::State;
use rvol_state::root::Bundle;
use rvol_state::{fsx, time, Result, ResultExt};

fn write(bundle: &Path, s: &State) -> Result<()> {
    let path = Bundle(bundle).state();
    let tmp = bundle.join(format!(".state.json.tmp-{}", std::process::id()));
    let mut bytes = serde_json::to_vec_pretty(s)?;
    bytes.push(b'\n');
    let r = std::fs::write(&tmp, &bytes).and_then(|()| replace(&tmp, &path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.with_ctx(|| format!("write {}", path.display()))
}

/// `tmp` becomes `path`: exchanged with the old record, which is then
/// unlinked; a plain rename when there is none (or no RENAME_EXCHANGE).
fn replace(tmp: &Path, path: &Path) -> std::io::Result<()> {
    use nix::fcntl::{renameat2, RenameFlags};
    match renameat2(None, tmp, None, path, RenameFlags::RENAME_EXCHANGE) {
        Ok(()) => std::fs::remove_file(tmp),
        Err(nix::Error::ENOENT | nix::Error::EINVAL | nix::Error::ENOSYS) => {
            std::fs::rename(tmp, path)
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

//! The bundle's `state.json` (docker's `State`) as the container runs:
//! `running` with its pid when started, `exited` with the status when done.
//!
//! Written by temp file and rename (readers see the old record or the new
//! one), but without fsync: this record describes a process, and after a
//! crash the process is gone whatever the disk says, so durability buys
//! nothing here, while two fdatasyncs cost ~9 ms a run on this disk, more
//! than the rest of rvol-ns and rvol-exec together.

use std::path::Path;

use rvol_state::record::State;
use rvol_state::root::Bundle;
use rvol_state::{fsx, time, Result, ResultExt};

fn write(bundle: &Path, s: &State) -> Result<()> {
    let path = Bundle(bundle).state();
    let tmp = bundle.join(format!(".state.json.tmp-{}", std::process::id()));
    let mut bytes = serde_json::to_vec_pretty(s)?;
    bytes.push(b'\n');
    let r = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, &path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.with_ctx(|| format!("write {}", path.display()))
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

//! The bundle's `state.json` (docker's `State`) as the container runs:
//! `running` with its pid when started, `exited` with the status when done.

use std::path::Path;

use rvol_state::record::State;
use rvol_state::root::Bundle;
use rvol_state::{fsx, time, Result};

fn load(bundle: &Path) -> State {
    // A missing or unreadable record starts from `created`: the run itself
    // must not fail because an earlier record was lost.
    fsx::read_json(&Bundle(bundle).state()).unwrap_or_default()
}

pub fn running(bundle: &Path, pid: i32) -> Result<()> {
    let mut s = load(bundle);
    s.status = "running".into();
    s.running = true;
    s.pid = pid;
    s.exit_code = 0;
    s.error.clear();
    s.started_at = time::now_nanos();
    s.finished_at = time::ZERO.into();
    fsx::write_json(&Bundle(bundle).state(), &s)
}

pub fn exited(bundle: &Path, code: i32) -> Result<()> {
    let mut s = load(bundle);
    s.status = "exited".into();
    s.running = false;
    s.pid = 0;
    s.exit_code = code;
    s.finished_at = time::now_nanos();
    fsx::write_json(&Bundle(bundle).state(), &s)
}

//! Waiting for something the code under test does in its own time (a
//! background removal, a container coming up, a process going away).

use std::path::Path;
use std::time::{Duration, Instant};

/// Poll `f` every 20 ms until it is true or `secs` pass; whether it
/// became true.
pub fn eventually(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`eventually`], failing the test with `timed out: WHAT` after `secs`.
pub fn wait_until(secs: f64, what: &str, f: impl FnMut() -> bool) {
    assert!(eventually(secs, f), "timed out: {what}");
}

/// Whether `pid` is a live process (a zombie counts as gone).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

/// Wait up to `secs` until the record at `state` (a bundle's state.json)
/// says running; the container's host pid.
pub fn running_pid(state: &Path, secs: f64) -> i32 {
    let mut pid = 0;
    let up = eventually(secs, || {
        let rec = std::fs::read(state)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        match rec {
            Some(v) if v["Status"] == "running" => {
                pid = v["Pid"].as_i64().unwrap() as i32;
                true
            }
            _ => false,
        }
    });
    assert!(up, "{} never said running", state.display());
    pid
}

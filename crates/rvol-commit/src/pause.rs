//! Committing a running container safely: docker freezes its cgroup while
//! it reads the container's layer (`docker commit --pause`, the default).
//! rvol containers have no cgroup of their own, but each has its own pid
//! namespace, so every process in it is stopped with SIGSTOP (which even a
//! pid namespace's init cannot block when it comes from an ancestor
//! namespace), the scan is repeated until it finds no new process (one
//! could have forked meanwhile), and we wait until each is really stopped
//! before reading upper/. A write(2) in progress completes before the stop,
//! so the upper dir is then consistent. SIGCONT on drop, also on error.

use std::path::Path;
use std::time::{Duration, Instant};

use rvol_state::record::State;
use rvol_state::root::Bundle;
use rvol_state::{fsx, Error, Result};

pub struct Paused {
    pids: Vec<i32>,
}

/// The inode of a process' pid namespace.
fn pid_ns(pid: i32) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()
}

/// Process state letter from /proc/PID/stat (R, S, T, Z, ...).
fn proc_state(pid: i32) -> Option<u8> {
    let s = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = s.iter().rposition(|&b| b == b')')?;
    s.get(close + 2).copied()
}

/// Stop the container's processes if it is running; None when it is not.
pub fn pause(bundle: &Path) -> Result<Option<Paused>> {
    let state: State = match fsx::read_json(&Bundle(bundle).state()) {
        Ok(s) => s,
        Err(_) => return Ok(None),
    };
    if !state.running || state.pid <= 0 {
        return Ok(None);
    }
    let Some(ns) = pid_ns(state.pid) else {
        // It exited since state.json was written.
        return Ok(None);
    };
    if pid_ns(std::process::id() as i32).as_ref() == Some(&ns) {
        // rvol-ns always gives a container its own pid namespace: a pid
        // in ours is a stale record whose number was reused. Stop nothing.
        return Ok(None);
    }
    let mut p = Paused { pids: Vec::new() };
    loop {
        let mut new = 0;
        for pid in procs_in(&ns) {
            if !p.pids.contains(&pid) {
                // SAFETY: kill has no memory preconditions.
                if unsafe { libc::kill(pid, libc::SIGSTOP) } == 0 {
                    p.pids.push(pid);
                    new += 1;
                }
            }
        }
        if new == 0 {
            break;
        }
    }
    // Wait until every one is stopped (or gone): a signal is delivered
    // when the process next leaves the kernel.
    let deadline = Instant::now() + Duration::from_secs(5);
    for &pid in &p.pids {
        loop {
            match proc_state(pid) {
                Some(b'T') | Some(b't') | Some(b'Z') | Some(b'X') | None => break,
                Some(s) if Instant::now() > deadline => {
                    return Err(Error::new(format!(
                        "pause: process {pid} did not stop (state {})",
                        s as char
                    )))
                }
                Some(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
    Ok(Some(p))
}

fn procs_in(ns: &Path) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid_ns(pid).as_deref() == Some(ns))
        .collect()
}

impl Drop for Paused {
    fn drop(&mut self) {
        for &pid in &self.pids {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGCONT) };
        }
    }
}

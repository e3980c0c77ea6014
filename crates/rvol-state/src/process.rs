//! Whether a process is there, and whether it is still the one a record
//! names: the one "is it running" rule every tool (and, through
//! rvol-inspect, every script) applies to a container's `state.json`.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// A process with this pid exists (it may be a zombie). EPERM counts:
/// the process is there, only not ours to signal.
pub fn exists(pid: i32) -> bool {
    pid > 0
        && !matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(nix::errno::Errno::ESRCH)
        )
}

/// The /proc/PID directory of the process a container's `record`
/// (state.json) says runs, opened while it does: a pid reused after the
/// second check cannot be reached through the descriptor. None when it
/// does not run (or the record cannot be read). For what joins a running
/// container: rvol-ns `--enter`, rootless commit.
pub fn open_running(record: &Path) -> Option<(crate::record::State, std::fs::File)> {
    let state: crate::record::State = crate::fsx::read_json(record).ok()?;
    if state.status != "running" || !runs(state.pid, record) {
        return None;
    }
    let dir = std::fs::File::open(format!("/proc/{}", state.pid)).ok()?;
    // Between the check and the open the pid may have been reused: the
    // record, read again, must still name it running.
    runs(state.pid, record).then_some((state, dir))
}

/// How much later than its record a process may seem to start and still
/// be the one recorded: /proc counts start times in clock ticks (10 ms),
/// and the boot time they are counted from is derived from two clocks.
const SLACK: Duration = Duration::from_secs(1);

/// The container process a record describes is still running: `pid`
/// exists, is not a zombie (exited, waiting for its parent: rvol-ns reaps
/// it at once, so a lasting zombie means rvol-ns is gone, killed), and
/// did not start after `record` was written. rvol-ns writes the `running`
/// record right after its fork; a process that started later has only
/// reused the pid (the record outlived its rvol-ns: kill -9, a reboot),
/// and signalling it would hit a stranger.
///
/// The record's time is the file's mtime, not its `StartedAt` text: the
/// same moment, without parsing. Both are wall-clock times: a clock
/// stepped forward by more than [`SLACK`] while a container runs makes
/// it look gone; docker's State has no field for the kernel's own start
/// time, and adding one would show in `inspect`.
pub fn runs(pid: i32, record: &Path) -> bool {
    if pid <= 0 {
        return false;
    }
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
        // No /proc to read (hidepid, not mounted): existence is all we know.
        Err(_) => return exists(pid),
    };
    let Some(fields) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
        return exists(pid);
    };
    let mut fields = fields.split_ascii_whitespace();
    // Field 3 is the state; field 22 (the 20th after it) the start time.
    if matches!(fields.next(), Some("Z" | "X" | "x")) {
        return false;
    }
    let ticks = fields.nth(18).and_then(|t| t.parse::<u64>().ok());
    match (ticks.and_then(start_time), modified(record)) {
        (Some(started), Some(written)) => started <= written + SLACK,
        _ => true,
    }
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).ok()?.modified().ok()
}

/// Wall-clock time of a start `ticks` after boot (/proc's starttime).
fn start_time(ticks: u64) -> Option<SystemTime> {
    // SAFETY: sysconf with a constant argument.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz <= 0 {
        return None;
    }
    let since_boot = Duration::from_nanos(ticks.checked_mul(1_000_000_000)? / hz as u64);
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    if unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) } != 0 {
        return None;
    }
    let up = Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
    SystemTime::now().checked_sub(up)?.checked_add(since_boot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_runs_against_a_later_record_not_an_earlier_one() {
        let dir = std::env::temp_dir().join(format!("rvol-process-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rec = dir.join("state.json");
        std::fs::write(&rec, "{}").unwrap();
        let me = std::process::id() as i32;
        assert!(runs(me, &rec));
        // A record from long before this process started: the pid was reused.
        let old = std::fs::File::options().write(true).open(&rec).unwrap();
        old.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
            .unwrap();
        assert!(!runs(me, &rec));
        assert!(!runs(0, &rec));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

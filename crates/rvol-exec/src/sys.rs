//! Small process-wide steps: which namespaces are our own, the hostname,
//! and no stray descriptor reaching the command.

use std::os::unix::fs::MetadataExt;

use rvol_state::{Error, Result, ResultExt};

fn ns_id(pid: &str, name: &str) -> Option<(u64, u64)> {
    std::fs::metadata(format!("/proc/{pid}/ns/{name}"))
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

fn parent_of(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1).map(str::to_owned)
}

/// Whether our `name` namespace (mnt, uts) is one of our own: some
/// ancestor process is in another one. Under rvol-ns the first ancestor
/// already is (its parent stays in the host's). When every ancestor we can
/// read, up to PID 1, shares ours, we are in the host's. (PID 1's own
/// entry may be closed to us, inside another sandbox: ancestors still tell.)
pub fn own_namespace(name: &str) -> Result<bool> {
    let ours = ns_id("self", name).ok_or_else(|| {
        Error::new(format!(
            "stat /proc/self/ns/{name}: {}",
            std::io::Error::last_os_error()
        ))
    })?;
    let mut pid = parent_of("self");
    for _ in 0..64 {
        let Some(p) = pid else { break };
        if let Some(theirs) = ns_id(&p, name) {
            if theirs != ours {
                return Ok(true);
            }
        }
        if p == "0" || p == "1" {
            break;
        }
        pid = parent_of(&p);
    }
    Ok(false)
}

/// pivot_root in the host's mount namespace would move the root of every
/// process in it: refuse.
pub fn require_own_mount_namespace() -> Result<()> {
    if !own_namespace("mnt")? {
        return Err(Error::new(
            "not in a mount namespace of its own: run it under `rvol-ns --mount` (or with a bundle)",
        ));
    }
    Ok(())
}

pub fn set_hostname(name: &str) -> Result<()> {
    nix::unistd::sethostname(name).with_ctx(|| format!("sethostname {name:?}"))
}

/// Mark every descriptor above 2 close-on-exec: the command starts with
/// stdin, stdout and stderr only, while our own error reports still work.
pub fn close_fds_on_exec() -> Result<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range(2) with flags only marks descriptors.
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if r == 0 {
        return Ok(());
    }
    // Kernels before 5.11: walk /proc/self/fd.
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .ctx("list /proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: setting FD_CLOEXEC on a descriptor number; EBADF is harmless.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(())
}

/// The command starts as docker's do: no signal blocked, none ignored.
/// (Rust ignores SIGPIPE in every binary of the chain, and a caller may
/// have ignored or blocked others; ignoring survives execve.)
pub fn reset_signals() {
    // SAFETY: plain signal-set and disposition calls on our own process.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        // The kernel's struct sigaction (handler, flags, restorer, mask),
        // all zero: SIG_DFL. By raw syscall, because the C library refuses
        // 32 and 33 (its own), which a caller may still have ignored.
        let dfl = [0u64; 4];
        for sig in 1..=64 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::syscall(libc::SYS_rt_sigaction, sig, dfl.as_ptr(), 0usize, 8usize);
            }
        }
    }
}

/// A session of its own, as runc gives the container's process: signals
/// from the user's terminal reach rvol-ns, which forwards them once,
/// rather than the container directly as well. With `process.terminal`
/// and a terminal on stdin, that terminal becomes the session's
/// controlling one (taken over from the chain's session, as root may).
pub fn new_session(terminal: bool) -> Result<()> {
    // EPERM when already a process group leader: then it stays as it is.
    let _ = nix::unistd::setsid();
    // SAFETY: isatty and ioctl on fd 0 with an integer argument.
    if terminal
        && unsafe { libc::isatty(0) } == 1
        && unsafe { libc::ioctl(0, libc::TIOCSCTTY, 1) } < 0
    {
        return Err(std::io::Error::last_os_error()).ctx("make stdin the controlling terminal");
    }
    Ok(())
}

//! The running container's mount namespace, handed from `rvol-ns --enter`
//! (which opened it through the container's /proc/PID, checked against
//! its record) to the last tool of an exec's chain, `rvol-exec --enter`,
//! as an inherited descriptor named in `$RVOL_MNT_NS_FD`. That tool joins
//! it itself, once it has read what it needs from the host (the bundle's
//! config.json, the env files): joining moves its root and cwd to the
//! container's root, where no host path resolves, and every namespace
//! before it (user, pid, ipc, uts, net, cgroup) rvol-ns has joined already.

use crate::{Error, Result};

/// The variable naming the descriptor.
pub const ENV: &str = "RVOL_MNT_NS_FD";

/// Join the mount namespace named in [`ENV`] and close its descriptor
/// (the command must not inherit a way back out); our root and cwd are
/// the container's `/` afterwards.
pub fn join() -> Result<()> {
    let fd = std::env::var(ENV)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|fd| *fd > 2)
        .ok_or_else(|| {
            Error::new(format!(
                "no container mount namespace in ${ENV}: run under `rvol-ns --enter`"
            ))
        })?;
    std::env::remove_var(ENV);
    // SAFETY: setns(2) on an inherited descriptor number; a bad one fails.
    let r = unsafe { libc::setns(fd, libc::CLONE_NEWNS) };
    let e = std::io::Error::last_os_error();
    // SAFETY: closing the descriptor we were handed, used or not.
    unsafe { libc::close(fd) };
    if r < 0 {
        return Err(Error::new(format!(
            "join the container's mount namespace: {e}"
        )));
    }
    Ok(())
}

//! `lo` up in a fresh network namespace, as `--network none` has it:
//! one SIOCSIFFLAGS ioctl, no `ip` binary needed.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use rvol_state::{Error, Result};

pub fn up() -> Result<()> {
    let err = |what: &str| {
        Error::new(format!(
            "bring lo up: {what}: {}",
            std::io::Error::last_os_error()
        ))
    };
    // SAFETY: plain socket(2); the fd is owned right after.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(err("socket"));
    }
    // SAFETY: fd is a fresh descriptor we own.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *d = *s as libc::c_char;
    }
    // SAFETY: ioctls on our socket with a properly sized ifreq.
    unsafe {
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) < 0 {
            return Err(err("SIOCGIFFLAGS"));
        }
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) < 0 {
            return Err(err("SIOCSIFFLAGS"));
        }
    }
    Ok(())
}

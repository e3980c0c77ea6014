//! /dev as Docker gives it: a 64 MiB tmpfs (mode 755, nosuid) holding the
//! character devices null zero full random urandom tty (made with mknod,
//! 0666, as runc does), the fd/stdin/stdout/stderr/ptmx links, a devpts
//! instance on /dev/pts, a 64 MiB tmpfs on /dev/shm and mqueue.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::mount::MsFlags;
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use rvol_state::{Result, ResultExt};

use crate::kernelfs::mount_fs;
use crate::plan::Plan;

const DEVICES: [(&str, u64, u64); 6] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

const LINKS: [(&str, &str); 5] = [
    ("/proc/self/fd", "/dev/fd"),
    ("/proc/self/fd/0", "/dev/stdin"),
    ("/proc/self/fd/1", "/dev/stdout"),
    ("/proc/self/fd/2", "/dev/stderr"),
    ("pts/ptmx", "/dev/ptmx"),
];

const KERNEL: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

/// The host's devices of [`DEVICES`], cloned in the pivot (pivot.rs) for
/// a user namespace, where mknod of a device is refused: each is bound
/// over an empty file instead, as runc does rootless. None for root.
pub fn host_devices(host: BorrowedFd) -> Result<Option<Vec<OwnedFd>>> {
    if !rvol_state::rootless::active() {
        return Ok(None);
    }
    DEVICES
        .iter()
        .map(|(path, _, _)| crate::keep::clone_tree(host.as_raw_fd(), &path[1..], false))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

pub fn mount(plan: &Plan, host: Option<Vec<OwnedFd>>) -> Result<()> {
    if !plan.has_user_mount("/dev") {
        mount_fs(
            "tmpfs",
            "/dev",
            "tmpfs",
            MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
            Some("mode=755,size=65536k"),
        )?;
        if let Some(fds) = &host {
            for ((path, _, _), fd) in DEVICES.iter().zip(fds) {
                crate::keep::attach(fd, path)?;
            }
        }
        for (path, major, minor) in DEVICES.iter().filter(|_| host.is_none()) {
            mknod(
                *path,
                SFlag::S_IFCHR,
                Mode::from_bits_truncate(0o666),
                makedev(*major, *minor),
            )
            .with_ctx(|| format!("mknod {path}"))?;
        }
        for (target, link) in LINKS {
            std::os::unix::fs::symlink(target, link).with_ctx(|| format!("symlink {link}"))?;
        }
    }
    if !plan.has_user_mount("/dev/pts") {
        // The tty group, 5, unless a rootless single-id map lacks it
        // (runc's rootless rule): then the terminal keeps our group.
        let opts = match rvol_state::rootless::mapped(5, true) {
            true => "newinstance,ptmxmode=0666,mode=0620,gid=5",
            false => "newinstance,ptmxmode=0666,mode=0620",
        };
        mount_fs(
            "devpts",
            "/dev/pts",
            "devpts",
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some(opts),
        )?;
    }
    if !plan.has_user_mount("/dev/shm") {
        mount_fs(
            "shm",
            "/dev/shm",
            "tmpfs",
            KERNEL,
            Some("mode=1777,size=65536k"),
        )?;
    }
    if !plan.has_user_mount("/dev/mqueue") {
        mount_fs("mqueue", "/dev/mqueue", "mqueue", KERNEL, None)?;
    }
    Ok(())
}

/// `-t`: the terminal is also /dev/console (runc's mountConsole: a 0666
/// file in our /dev, the slave bound over it). A /dev of the user's is
/// left as it is.
pub fn bind_console(plan: &Plan, slave: &std::path::Path) -> Result<()> {
    if plan.has_user_mount("/dev") {
        return Ok(());
    }
    std::fs::File::create("/dev/console").ctx("create /dev/console")?;
    nix::mount::mount(
        Some(slave),
        "/dev/console",
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .with_ctx(|| format!("bind {} over /dev/console", slave.display()))
}

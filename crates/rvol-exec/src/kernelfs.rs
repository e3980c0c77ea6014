//! /proc and /sys as Docker gives them: proc nosuid,nodev,noexec with
//! /proc/{bus,fs,irq,sys,sysrq-trigger} read-only and the masked paths
//! covered (a directory by a read-only tmpfs, a file by /dev/null), sysfs
//! read-only with /sys/firmware masked. proc and sysfs are mounted just
//! after pivot_root, before the host's root is detached (pivot.rs: the
//! kernel's condition for a user namespace), by paths relative to the cwd,
//! the new root; the rest after, where every path resolves inside the
//! container's root.

use std::os::unix::fs::DirBuilderExt;

use nix::mount::{mount, MsFlags};
use rvol_state::{Error, Result, ResultExt};

use crate::plan::Plan;

const NONE: Option<&str> = None;

/// docker's (moby oci/defaults.go) ReadonlyPaths.
const READONLY: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// docker's MaskedPaths (as its runtime config.json lists them).
const MASKED: [&str; 10] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
];

pub fn mkdir(path: &str) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(path)
        .with_ctx(|| format!("mkdir {path}"))
}

pub fn mount_fs(
    src: &str,
    dest: &str,
    fstype: &str,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<()> {
    mkdir(dest)?;
    mount(Some(src), dest, Some(fstype), flags, data)
        .with_ctx(|| format!("mount {fstype} on {dest}"))
}

const KERNEL: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

/// /proc, in the pivot (cwd: the new root).
pub fn mount_proc(plan: &Plan) -> Result<()> {
    if plan.has_user_mount("/proc") {
        return Ok(());
    }
    mount_fs("proc", "proc", "proc", KERNEL, None).map_err(|e| e.context("/proc"))
}

/// /sys, in the pivot (cwd: the new root). A user namespace may mount a
/// sysfs only with a network namespace of its own: with the host's
/// (`--network host`, rootless) the host's /sys is bound instead, as
/// runc's rootless containers get it, read-only.
pub fn mount_sys(plan: &Plan, host: std::os::fd::BorrowedFd) -> Result<()> {
    use std::os::fd::AsRawFd;
    if plan.has_user_mount("/sys") {
        return Ok(());
    }
    let flags = KERNEL | MsFlags::MS_RDONLY;
    mkdir("sys")?;
    match mount(Some("sysfs"), "sys", Some("sysfs"), flags, NONE) {
        Err(nix::errno::Errno::EPERM) if rvol_state::rootless::active() => {
            let tree = crate::keep::clone_tree(host.as_raw_fd(), "sys", true)?;
            crate::keep::attach(&tree, "sys")?;
            let kept = crate::pivot::current_flags("sys")?;
            mount(
                NONE,
                "sys",
                NONE,
                kept | MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                NONE,
            )
            .ctx("remount the host's /sys read-only")
        }
        r => r.ctx("mount sysfs on /sys"),
    }
}

/// Read-only and masked paths; the masks need /dev/null, so after /dev.
pub fn protect() -> Result<()> {
    for p in READONLY {
        match std::fs::symlink_metadata(p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::from(e).context(format!("read-only path {p}"))),
            Ok(_) => {}
        }
        mount(Some(p), p, NONE, MsFlags::MS_BIND | MsFlags::MS_REC, NONE)
            .with_ctx(|| format!("read-only path {p}: bind"))?;
        let flags = crate::pivot::current_flags(p)?;
        mount(
            NONE,
            p,
            NONE,
            flags | MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
            NONE,
        )
        .with_ctx(|| format!("read-only path {p}: remount"))?;
    }
    for p in MASKED {
        let md = match std::fs::symlink_metadata(p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::from(e).context(format!("masked path {p}"))),
            Ok(md) => md,
        };
        if md.is_dir() {
            mount(Some("tmpfs"), p, Some("tmpfs"), MsFlags::MS_RDONLY, NONE)
        } else {
            mount(Some("/dev/null"), p, NONE, MsFlags::MS_BIND, NONE)
        }
        .with_ctx(|| format!("mask {p}"))?;
    }
    Ok(())
}

//! Into the container's root: bind the rootfs onto itself when it is not a
//! mount point yet (a plain directory, no rvol-mount apply), pivot_root
//! there, make the old root private and detach it (runc's sequence), and
//! at the end, when the spec asks, remount the root read-only.

use std::os::fd::AsRawFd;
use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use rvol_state::{Error, Result, ResultExt};

const NONE: Option<&str> = None;

fn is_mount_point(p: &Path) -> Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::new(format!("rootfs {}: NUL in path", p.display())))?;
    // SAFETY: statx into a zeroed buffer of the right type.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    let r = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::AT_NO_AUTOMOUNT,
            libc::STATX_BASIC_STATS,
            &mut stx,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error()).with_ctx(|| format!("rootfs {}", p.display()));
    }
    let attr = libc::STATX_ATTR_MOUNT_ROOT as u64;
    if stx.stx_attributes_mask & attr != 0 {
        return Ok(stx.stx_attributes & attr != 0);
    }
    // Kernels before 5.8: a mount point sits on another device than its parent.
    use std::os::unix::fs::MetadataExt;
    let parent =
        std::fs::metadata(p.join("..")).with_ctx(|| format!("rootfs {}/..", p.display()))?;
    Ok(parent.dev() != libc::makedev(stx.stx_dev_major, stx.stx_dev_minor))
}

/// `beside_host` runs between the pivot and the detach, its cwd the new
/// root and the host's old root still at hand (its descriptor): the only
/// moment a user namespace may mount proc and sysfs (the kernel wants
/// the host's visible in the mount namespace: mnt_too_revealing) and
/// clone the host's devices.
pub fn into(
    rootfs: &Path,
    beside_host: impl FnOnce(std::os::fd::BorrowedFd) -> Result<()>,
) -> Result<()> {
    let what = |step: &str| format!("pivot_root into {}: {step}", rootfs.display());
    if !is_mount_point(rootfs)? {
        // Recursive, so that whatever is already mounted below comes along.
        mount(
            Some(rootfs),
            rootfs,
            NONE,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            NONE,
        )
        .with_ctx(|| what("bind the rootfs onto itself"))?;
    }
    let old = std::fs::File::open("/").with_ctx(|| what("open /"))?;
    let new = std::fs::File::open(rootfs).with_ctx(|| what("open rootfs"))?;
    nix::unistd::fchdir(new.as_raw_fd()).with_ctx(|| what("chdir"))?;
    nix::unistd::pivot_root(".", ".").map_err(|e| {
        let hint = if e == nix::errno::Errno::EINVAL {
            " (is the mount namespace shared with the host? run under rvol-ns --mount)"
        } else {
            ""
        };
        Error::new(format!("{}: {}{hint}", what("pivot_root"), e.desc()))
    })?;
    {
        use std::os::fd::AsFd;
        beside_host(old.as_fd())?;
    }
    // The old root now sits on top of the new one: make it private so its
    // unmount cannot propagate anywhere, then detach it.
    nix::unistd::fchdir(old.as_raw_fd()).with_ctx(|| what("chdir to the old root"))?;
    mount(NONE, ".", NONE, MsFlags::MS_REC | MsFlags::MS_PRIVATE, NONE)
        .with_ctx(|| what("make the old root private"))?;
    umount2(".", MntFlags::MNT_DETACH).with_ctx(|| what("detach the old root"))?;
    nix::unistd::chdir("/").with_ctx(|| what("chdir /"))?;
    Ok(())
}

/// `--read-only`: the root mount only; /proc, /dev, volumes and binds keep
/// their own mode. The flags the mount already has are kept (a bind
/// remount must not drop nosuid/nodev/noexec).
pub fn remount_root_readonly() -> Result<()> {
    let flags = current_flags("/")?;
    mount(
        NONE,
        "/",
        NONE,
        flags | MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        NONE,
    )
    .ctx("remount / read-only")
}

/// The per-mount flags of the mount at `path`, as mount(2) wants them back.
pub fn current_flags(path: &str) -> Result<MsFlags> {
    let st = nix::sys::statvfs::statvfs(path).with_ctx(|| format!("statvfs {path}"))?;
    Ok(rvol_state::mountopt::from_statvfs(st.flags()))
}

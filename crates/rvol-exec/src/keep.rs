//! User mounts below /dev, /proc or /sys (`-v /dev/log:/dev/log`,
//! `--tmpfs /dev/shm`) were made by rvol-mount apply before our own
//! /dev, /proc and /sys go on top and would hide them. Docker mounts its
//! defaults first and the user's after, so the user's stay visible: we
//! take a detached copy of each (open_tree OPEN_TREE_CLONE) and unmount
//! the original before, and attach the copy again (move_mount) after.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use rvol_state::{Error, Result};

use crate::plan::Plan;

const OPEN_TREE_CLONE: libc::c_uint = 1;
const AT_RECURSIVE: libc::c_uint = 0x8000;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;

const COVERED: [&str; 3] = ["/dev", "/proc", "/sys"];

pub struct Kept(Vec<(String, OwnedFd)>);

fn cstr(s: &str) -> Result<std::ffi::CString> {
    std::ffi::CString::new(s).map_err(|_| Error::new(format!("mount {s:?}: NUL in path")))
}

/// Destinations strictly below a covered directory, outermost first (a
/// recursive copy of an outer one carries the inner ones).
fn below(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut dests: Vec<&String> = plan
        .user_mounts
        .iter()
        .filter(|d| COVERED.iter().any(|c| d.starts_with(&format!("{c}/"))))
        .collect();
    dests.sort_by_key(|d| d.matches('/').count());
    for d in dests {
        if !out
            .iter()
            .any(|o| d == o || d.starts_with(&format!("{o}/")))
        {
            out.push(d.clone());
        }
    }
    out
}

/// A detached copy (open_tree OPEN_TREE_CLONE) of the mount tree at
/// `path`, relative to `dir` (AT_FDCWD: the cwd): recursive, or the one
/// mount. What a bind mount would attach, not attached yet.
pub fn clone_tree(dir: libc::c_int, path: &str, recursive: bool) -> Result<OwnedFd> {
    let c = cstr(path)?;
    let rec = if recursive { AT_RECURSIVE } else { 0 };
    // SAFETY: open_tree(2) on a path; returns a new fd or -1.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            dir,
            c.as_ptr(),
            OPEN_TREE_CLONE | rec | libc::O_CLOEXEC as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(Error::new(format!(
            "open_tree {path}: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Before the pivot: the user's mounts below /dev, /proc and /sys, by
/// their paths under the rootfs, copied and unmounted.
pub fn take(plan: &Plan) -> Result<Kept> {
    let mut kept = Vec::new();
    for dest in below(plan) {
        let under = format!("{}{dest}", plan.rootfs.display());
        let fd = clone_tree(libc::AT_FDCWD, &under, true)
            .map_err(|e| Error::new(format!("keep user mount {dest}: {}", e.msg)))?;
        kept.push((dest.clone(), fd));
        // The original would linger in the mount table, hidden below ours.
        nix::mount::umount2(under.as_str(), nix::mount::MntFlags::MNT_DETACH)
            .map_err(|e| Error::new(format!("keep user mount {dest}: detach: {}", e.desc())))?;
    }
    Ok(Kept(kept))
}

/// Attach a detached tree at `dest` (made: a directory for a directory,
/// else an empty file).
pub fn attach(fd: &OwnedFd, dest: &str) -> Result<()> {
    let md = nix::sys::stat::fstat(fd.as_raw_fd())
        .map_err(|e| Error::new(format!("mount {dest}: fstat: {}", e.desc())))?;
    if md.st_mode & libc::S_IFMT == libc::S_IFDIR {
        crate::kernelfs::mkdir(dest)?;
    } else {
        if let Some(parent) = std::path::Path::new(dest).parent() {
            crate::kernelfs::mkdir(&parent.to_string_lossy())?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dest)
            .map_err(|e| Error::new(format!("mount {dest}: create: {e}")))?;
    }
    let c = cstr(dest)?;
    // SAFETY: move_mount(2) of a detached tree onto a path.
    let r = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            c.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if r < 0 {
        return Err(Error::new(format!(
            "mount {dest}: move_mount: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

impl Kept {
    pub fn restore(self) -> Result<()> {
        for (dest, fd) in self.0 {
            attach(&fd, &dest).map_err(|e| Error::new(format!("keep user mount {}", e.msg)))?;
        }
        Ok(())
    }
}

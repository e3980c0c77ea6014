//! A read-only view of the image's root filesystem for `create`: the
//! layers stacked by overlayfs as a *detached* mount (fsopen/fsmount),
//! held only by a file descriptor. It is attached nowhere, and we make it
//! from a private mount namespace of our own, so nothing ever shows in
//! the host's mount table, and it goes away when the process exits.
//! `create` reads it for the file-versus-directory checks and copy-up.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

use rvol_state::{Error, Result, ResultExt};

const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSCONFIG_SET_FLAG: libc::c_uint = 0;
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;
const MOUNT_ATTR_RDONLY: libc::c_uint = 1;
const OPEN_TREE_CLONE: libc::c_uint = 1;
const AT_RECURSIVE: libc::c_uint = 0x8000;

pub struct ImageView {
    root: OwnedFd,
}

impl ImageView {
    /// Stack `lower_dirs` (top layer first) read-only.
    pub fn open(lower_dirs: &[String]) -> Result<ImageView> {
        rvol_state::mountns::private()?;
        let root = match lower_dirs {
            [] => return Err(Error::new("image view: the image has no layers")),
            // overlayfs wants two lower layers when there is no upper one;
            // a single layer is cloned as a detached bind mount instead.
            [one] => clone_tree(one).with_ctx(|| format!("image view: open_tree {one}"))?,
            many => overlay(many).ctx("image view: overlay of the image's layers")?,
        };
        Ok(ImageView { root })
    }

    pub fn root(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }
}

fn cstr(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(r: libc::c_long) -> io::Result<libc::c_long> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A detached read-only overlay of `lowers` (top first). fsconfig takes
/// at most 256 bytes per value, so layers go one by one (`lowerdir+`,
/// Linux 6.8); an older kernel gets the classic colon list.
fn overlay(lowers: &[String]) -> io::Result<OwnedFd> {
    let fs = overlay_fs()?;
    let one_by_one = lowers
        .iter()
        .try_for_each(|l| set_string(&fs, "lowerdir+", l));
    if let Err(e) = one_by_one {
        if e.raw_os_error() != Some(libc::EINVAL) {
            return Err(e);
        }
        let fs = overlay_fs()?;
        set_string(&fs, "lowerdir", &lowers.join(":"))?;
        return create_mount(fs);
    }
    create_mount(fs)
}

/// An overlay's fs context; rootless with `userxattr` (rvol_state::rootless).
fn overlay_fs() -> io::Result<OwnedFd> {
    let fs = fsopen("overlay")?;
    if rvol_state::rootless::active() {
        set_flag(&fs, "userxattr")?;
    }
    Ok(fs)
}

fn set_flag(fs: &OwnedFd, key: &str) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let k = cstr(key)?;
    // SAFETY: valid fs context fd and a NUL-terminated key; no value.
    unsafe {
        check(libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            FSCONFIG_SET_FLAG,
            k.as_ptr(),
            std::ptr::null::<libc::c_char>(),
            0,
        ))?;
    }
    Ok(())
}

fn fsopen(fstype: &str) -> io::Result<OwnedFd> {
    let fstype = cstr(fstype)?;
    // SAFETY: NUL-terminated name; fd checked.
    let fd = unsafe {
        check(libc::syscall(
            libc::SYS_fsopen,
            fstype.as_ptr(),
            FSOPEN_CLOEXEC,
        ))?
    };
    // SAFETY: fresh fd from the kernel.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn set_string(fs: &OwnedFd, key: &str, val: &str) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let (k, v) = (cstr(key)?, cstr(val)?);
    // SAFETY: valid fs context fd and NUL-terminated strings.
    unsafe {
        check(libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            FSCONFIG_SET_STRING,
            k.as_ptr(),
            v.as_ptr(),
            0,
        ))?;
    }
    Ok(())
}

fn create_mount(fs: OwnedFd) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    // SAFETY: valid fs context fd; null key/value for CMD_CREATE.
    unsafe {
        check(libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_char>(),
            0,
        ))?;
        let m = check(libc::syscall(
            libc::SYS_fsmount,
            fs.as_raw_fd(),
            FSMOUNT_CLOEXEC,
            MOUNT_ATTR_RDONLY,
        ))?;
        Ok(OwnedFd::from_raw_fd(m as i32))
    }
}

fn clone_tree(dir: &str) -> io::Result<OwnedFd> {
    let path = cstr(dir)?;
    // SAFETY: open_tree with a NUL-terminated path; fd checked.
    let fd = unsafe {
        check(libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            path.as_ptr(),
            OPEN_TREE_CLONE | AT_RECURSIVE | libc::O_CLOEXEC as libc::c_uint,
        ))?
    };
    // SAFETY: fresh fd from the kernel.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    set_readonly(&fd)?;
    Ok(fd)
}

/// mount_setattr(MOUNT_ATTR_RDONLY) on a detached tree.
fn set_readonly(fd: &OwnedFd) -> io::Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY as u64,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    use std::os::fd::AsRawFd;
    let empty = c"";
    // SAFETY: AT_EMPTY_PATH on our fd, attr struct of the size given.
    unsafe {
        check(libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_EMPTY_PATH | AT_RECURSIVE as i32,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        ))?;
    }
    Ok(())
}

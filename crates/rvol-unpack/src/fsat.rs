//! The system calls an unpack makes, each relative to a directory file
//! descriptor and a single name (never a joined path string), so an entry
//! can only ever touch what is below the layer's root. The directories
//! themselves are resolved by rvol_state::inroot.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A name as a C string; names come from a tar header so may hold a NUL
/// only if hostile: refuse it.
pub fn cstr(name: &[u8]) -> io::Result<CString> {
    CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name holds a NUL byte"))
}

/// A real (readable) fd on a directory given as an O_PATH fd, for
/// fsetxattr/fchown.
pub fn reopen_dir(dir: RawFd) -> io::Result<OwnedFd> {
    open_at(
        dir,
        c".",
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        0,
    )
}

pub fn open_at(
    dir: RawFd,
    name: &CStr,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<OwnedFd> {
    // SAFETY: valid C string; the fd returned is ours.
    let fd = cvt(unsafe {
        libc::openat(
            dir,
            name.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A new regular file, never following or reusing what is there.
pub fn create_file(dir: RawFd, name: &CStr, mode: u32) -> io::Result<OwnedFd> {
    open_at(
        dir,
        name,
        libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
        mode as libc::mode_t,
    )
}

/// The process umask, read once (call early, before threads: reading it
/// means setting it for a moment).
pub fn umask_value() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        // SAFETY: plain syscalls.
        let old = unsafe { libc::umask(0o022) };
        unsafe { libc::umask(old) };
        old as u32
    })
}

pub fn mkdir_at(dir: RawFd, name: &CStr, mode: libc::mode_t) -> io::Result<()> {
    // SAFETY: valid C string.
    cvt(unsafe { libc::mkdirat(dir, name.as_ptr(), mode) }).map(drop)
}

pub fn mknod_at(dir: RawFd, name: &CStr, mode: libc::mode_t, dev: libc::dev_t) -> io::Result<()> {
    // SAFETY: valid C string.
    cvt(unsafe { libc::mknodat(dir, name.as_ptr(), mode, dev) }).map(drop)
}

pub fn symlink_at(target: &CStr, dir: RawFd, name: &CStr) -> io::Result<()> {
    // SAFETY: valid C strings.
    cvt(unsafe { libc::symlinkat(target.as_ptr(), dir, name.as_ptr()) }).map(drop)
}

/// A hard link; flags 0: a symlink target is linked itself, never followed.
pub fn link_at(odir: RawFd, oname: &CStr, ndir: RawFd, nname: &CStr) -> io::Result<()> {
    // SAFETY: valid C strings.
    cvt(unsafe { libc::linkat(odir, oname.as_ptr(), ndir, nname.as_ptr(), 0) }).map(drop)
}

/// lstat of `name` in `dir`; None when it does not exist.
pub fn lstat_at(dir: RawFd, name: &CStr) -> io::Result<Option<libc::stat>> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: valid C string and a stat buffer of the right size.
    let r = unsafe {
        libc::fstatat(
            dir,
            name.as_ptr(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if r == 0 {
        // SAFETY: fstatat filled it.
        Ok(Some(unsafe { st.assume_init() }))
    } else {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ENOENT) {
            Ok(None)
        } else {
            Err(e)
        }
    }
}

/// Rootless, an owner the id map lacks is squashed: the file stays ours
/// (rvol_state::rootless::squashed).
fn squash(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if rvol_state::rootless::squashed(&e) => Ok(()),
        r => r,
    }
}

pub fn chown_at(dir: RawFd, name: &CStr, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: valid C string. AT_SYMLINK_NOFOLLOW: a symlink itself is chowned.
    squash(
        cvt(unsafe { libc::fchownat(dir, name.as_ptr(), uid, gid, libc::AT_SYMLINK_NOFOLLOW) })
            .map(drop),
    )
}

/// chmod of a non-symlink. fchmodat cannot refuse a symlink, so the caller
/// only calls this on what it just created (and knows is no symlink).
pub fn chmod_at(dir: RawFd, name: &CStr, mode: u32) -> io::Result<()> {
    // SAFETY: valid C string.
    cvt(unsafe { libc::fchmodat(dir, name.as_ptr(), mode as libc::mode_t, 0) }).map(drop)
}

pub fn fchown(fd: RawFd, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: plain syscall on our fd.
    squash(cvt(unsafe { libc::fchown(fd, uid, gid) }).map(drop))
}

pub fn fchmod(fd: RawFd, mode: u32) -> io::Result<()> {
    // SAFETY: plain syscall on our fd.
    cvt(unsafe { libc::fchmod(fd, mode as libc::mode_t) }).map(drop)
}

fn timespec(t: (i64, u32)) -> libc::timespec {
    libc::timespec {
        tv_sec: t.0 as libc::time_t,
        tv_nsec: t.1 as libc::c_long,
    }
}

/// Set atime and mtime of `name` (a symlink itself, not its target).
pub fn utimes_at(dir: RawFd, name: &CStr, mtime: (i64, u32)) -> io::Result<()> {
    let ts = [timespec(mtime), timespec(mtime)];
    // SAFETY: valid C string and two timespecs.
    cvt(unsafe { libc::utimensat(dir, name.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) })
        .map(drop)
}

pub fn futimes(fd: RawFd, mtime: (i64, u32)) -> io::Result<()> {
    let ts = [timespec(mtime), timespec(mtime)];
    // SAFETY: our fd and two timespecs.
    cvt(unsafe { libc::futimens(fd, ts.as_ptr()) }).map(drop)
}

pub fn fsetxattr(fd: RawFd, key: &CStr, value: &[u8]) -> io::Result<()> {
    // SAFETY: valid pointers and lengths.
    cvt(unsafe { libc::fsetxattr(fd, key.as_ptr(), value.as_ptr().cast(), value.len(), 0) })
        .map(drop)
}

/// Set an xattr on `name` in `dir` without following a symlink there.
/// Linux has no setxattrat before 6.13; the path `/proc/self/fd/DIR/NAME`
/// reaches the entry through the directory fd (one validated name, no
/// joined image path), and lsetxattr does not follow NAME.
pub fn lsetxattr_at(dir: RawFd, name: &CStr, key: &CStr, value: &[u8]) -> io::Result<()> {
    let mut p = format!("/proc/self/fd/{dir}/").into_bytes();
    p.extend_from_slice(name.to_bytes());
    let p = cstr(&p)?;
    // SAFETY: valid pointers and lengths.
    cvt(unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            key.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    })
    .map(drop)
}

/// Remove `name` in `dir`, a whole tree when it is a directory; never
/// follows a symlink.
pub fn remove_at(dir: RawFd, name: &CStr) -> io::Result<()> {
    // SAFETY: valid C string.
    if unsafe { libc::unlinkat(dir, name.as_ptr(), 0) } == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() != Some(libc::EISDIR) {
        return Err(e);
    }
    let sub = open_at(
        dir,
        name,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        0,
    )?;
    let mut d = nix::dir::Dir::from_fd(dup(sub.as_raw_fd())?).map_err(io::Error::from)?;
    let mut names = Vec::new();
    for ent in d.iter() {
        let ent = ent.map_err(io::Error::from)?;
        let n = ent.file_name();
        if n != c"." && n != c".." {
            names.push(n.to_owned());
        }
    }
    for n in names {
        remove_at(sub.as_raw_fd(), &n)?;
    }
    // SAFETY: valid C string.
    cvt(unsafe { libc::unlinkat(dir, name.as_ptr(), libc::AT_REMOVEDIR) }).map(drop)
}

fn dup(fd: RawFd) -> io::Result<RawFd> {
    // SAFETY: plain syscall.
    cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })
}

/// Flush the whole filesystem holding `fd` (the temp layer dir), so a
/// rename that follows never publishes data still in the page cache.
pub fn syncfs(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain syscall.
    cvt(unsafe { libc::syncfs(fd) }).map(drop)
}

pub fn fsync(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain syscall.
    cvt(unsafe { libc::fsync(fd) }).map(drop)
}

/// Ask the kernel to start writing a file's dirty pages (no waiting);
/// a hint, so a failure is ignored.
pub fn start_writeback(fd: RawFd) {
    // SAFETY: plain syscall on our fd.
    unsafe { libc::sync_file_range(fd, 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

//! Copy-up: the content of an image directory copied into an empty
//! volume the way docker does (containerd's fs.CopyDir): owners, modes,
//! access and modification times, xattrs, symlinks, hardlinks (kept as
//! links), device nodes and fifos. Everything is done relative to
//! directory fds; file data moves inside the kernel (copy_file_range,
//! else sendfile).

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use rvol_state::{Error, Result};

pub struct Copier {
    /// The destination root, for linkat of a second name of an inode.
    dst_root: RawFd,
    /// (dev, ino) of a multiply-linked source file -> its copy's path.
    links: HashMap<(u64, u64), CString>,
    /// copy_file_range refuses between overlayfs and the volume's
    /// filesystem (EXDEV); after the first refusal use sendfile.
    use_sendfile: bool,
    xattr_buf: Vec<u8>,
    val_buf: Vec<u8>,
    /// Who owns what we create, when it is sure (no set-gid directory,
    /// no default ACL at the top): then entries with that owner and
    /// plain modes skip fchown and fchmod (two syscalls of ~ten per file).
    creator: Option<(libc::uid_t, libc::gid_t)>,
}

/// Copy everything inside directory `src` into directory `dst` (the
/// directories themselves are the caller's).
pub fn copy_tree(src: BorrowedFd, dst: BorrowedFd) -> Result<()> {
    let top =
        rvol_state::inroot::fstat(dst).map_err(|e| Error::new(format!("copy-up stat: {e}")))?;
    let acl = c"system.posix_acl_default";
    // SAFETY: size query of one xattr on a valid fd.
    let has_acl =
        unsafe { libc::fgetxattr(dst.as_raw_fd(), acl.as_ptr(), std::ptr::null_mut(), 0) } >= 0;
    let sure = top.st_mode & libc::S_ISGID == 0 && !has_acl;
    let mut c = Copier {
        dst_root: dst.as_raw_fd(),
        links: HashMap::new(),
        use_sendfile: false,
        xattr_buf: vec![0; 4096],
        val_buf: vec![0; 4096],
        // SAFETY: geteuid/getegid cannot fail.
        creator: sure.then(|| unsafe { (libc::geteuid(), libc::getegid()) }),
    };
    // Entries are made with their own permission bits (we are root: they
    // stay writable to us), so no umask may cut them. Single-threaded here.
    // SAFETY: umask has no failure mode.
    let old = unsafe { libc::umask(0) };
    let r = c.copy_dir(src.as_raw_fd(), dst.as_raw_fd(), b"");
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    r?;
    // The volume root takes the image directory's owner, mode, xattrs and
    // times (containerd's CopyDir, then docker's copyOwnership).
    let st =
        rvol_state::inroot::fstat(src).map_err(|e| Error::new(format!("copy-up stat: {e}")))?;
    c.creator = None;
    c.finish(src.as_raw_fd(), dst.as_raw_fd(), b"", &st)
}

fn err(what: &str, rel: &[u8], e: io::Error) -> Error {
    Error::new(format!(
        "copy-up {what} {}: {e}",
        String::from_utf8_lossy(if rel.is_empty() { b"." } else { rel })
    ))
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn open_at(dir: RawFd, name: &CStr, flags: i32, mode: libc::mode_t) -> io::Result<OwnedFd> {
    // SAFETY: valid dir fd and NUL-terminated name.
    let fd = cvt(unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_CLOEXEC, mode) })?;
    // SAFETY: fresh fd.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn stat_at(dir: RawFd, name: &CStr) -> io::Result<libc::stat> {
    // SAFETY: zeroed stat is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid fd, name, out-buffer.
    cvt(unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) })?;
    Ok(st)
}

fn times(st: &libc::stat) -> [libc::timespec; 2] {
    [
        libc::timespec {
            tv_sec: st.st_atime,
            tv_nsec: st.st_atime_nsec,
        },
        libc::timespec {
            tv_sec: st.st_mtime,
            tv_nsec: st.st_mtime_nsec,
        },
    ]
}

/// Names in a directory, `.` and `..` left out.
fn list(dir: RawFd) -> io::Result<Vec<CString>> {
    let fd = open_at(dir, c".", libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    let mut d = nix::dir::Dir::from_fd(fd.as_raw_fd()).map_err(io::Error::from)?;
    std::mem::forget(fd); // Dir owns it now
    let mut names = Vec::new();
    for e in d.iter() {
        let e = e.map_err(io::Error::from)?;
        let n = e.file_name();
        if n.to_bytes() != b"." && n.to_bytes() != b".." {
            names.push(n.to_owned());
        }
    }
    Ok(names)
}

impl Copier {
    fn copy_dir(&mut self, src: RawFd, dst: RawFd, rel: &[u8]) -> Result<()> {
        let names = list(src).map_err(|e| err("read directory", rel, e))?;
        for name in names {
            let mut sub = rel.to_vec();
            if !sub.is_empty() {
                sub.push(b'/');
            }
            sub.extend_from_slice(name.to_bytes());
            self.copy_entry(src, dst, &name, &sub)?;
        }
        Ok(())
    }

    fn copy_entry(&mut self, src: RawFd, dst: RawFd, name: &CStr, rel: &[u8]) -> Result<()> {
        let st = stat_at(src, name).map_err(|e| err("stat", rel, e))?;
        let fmt = st.st_mode & libc::S_IFMT;
        if fmt != libc::S_IFDIR && st.st_nlink > 1 {
            let key = (st.st_dev, st.st_ino);
            if let Some(first) = self.links.get(&key) {
                // SAFETY: valid fds and names.
                cvt(unsafe { libc::linkat(self.dst_root, first.as_ptr(), dst, name.as_ptr(), 0) })
                    .map_err(|e| err("link", rel, e))?;
                return Ok(());
            }
            self.links
                .insert(key, CString::new(rel).expect("no NUL in a path"));
        }
        match fmt {
            libc::S_IFDIR => self.copy_subdir(src, dst, name, rel, &st),
            libc::S_IFREG => self.copy_file(src, dst, name, rel, &st),
            libc::S_IFLNK => copy_symlink(src, dst, name, rel, &st),
            _ => copy_node(dst, name, rel, &st),
        }
    }

    fn copy_subdir(
        &mut self,
        src: RawFd,
        dst: RawFd,
        name: &CStr,
        rel: &[u8],
        st: &libc::stat,
    ) -> Result<()> {
        // SAFETY: valid fd and name.
        cvt(unsafe { libc::mkdirat(dst, name.as_ptr(), st.st_mode & 0o777) })
            .map_err(|e| err("mkdir", rel, e))?;
        let s = open_at(
            src,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
        .map_err(|e| err("open", rel, e))?;
        let d = open_at(
            dst,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
        .map_err(|e| err("open copy of", rel, e))?;
        self.copy_dir(s.as_raw_fd(), d.as_raw_fd(), rel)?;
        // Owner and set-id bits after the content, so that files made
        // inside do not inherit a set-gid directory's group.
        self.finish(s.as_raw_fd(), d.as_raw_fd(), rel, st)
    }

    fn copy_file(
        &mut self,
        src: RawFd,
        dst: RawFd,
        name: &CStr,
        rel: &[u8],
        st: &libc::stat,
    ) -> Result<()> {
        let s = open_at(src, name, libc::O_RDONLY | libc::O_NOFOLLOW, 0)
            .map_err(|e| err("open", rel, e))?;
        let d = open_at(
            dst,
            name,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
            st.st_mode & 0o777,
        )
        .map_err(|e| err("create", rel, e))?;
        self.copy_data(s.as_raw_fd(), d.as_raw_fd(), st.st_size as u64)
            .map_err(|e| err("copy", rel, e))?;
        self.finish(s.as_raw_fd(), d.as_raw_fd(), rel, st)
    }

    fn copy_data(&mut self, s: RawFd, d: RawFd, size: u64) -> io::Result<()> {
        let mut left = size;
        while left > 0 {
            let chunk = left.min(1 << 30) as usize;
            // SAFETY: valid fds, null offsets (use file positions).
            let n = unsafe {
                if self.use_sendfile {
                    libc::sendfile(d, s, std::ptr::null_mut(), chunk)
                } else {
                    libc::copy_file_range(
                        s,
                        std::ptr::null_mut(),
                        d,
                        std::ptr::null_mut(),
                        chunk,
                        0,
                    )
                }
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                let refused = matches!(
                    e.raw_os_error(),
                    Some(libc::EXDEV | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
                );
                if !self.use_sendfile && refused && left == size {
                    self.use_sendfile = true;
                    continue;
                }
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                break; // the file shrank under us
            }
            left -= n as u64;
        }
        Ok(())
    }

    /// Owner, then mode (chown clears set-id bits), then xattrs (chown
    /// also drops security.capability), then times.
    /// The entry was made with mode `st_mode & 0o777` by `creator`.
    fn finish(&mut self, s: RawFd, d: RawFd, rel: &[u8], st: &libc::stat) -> Result<()> {
        let owned = self.creator == Some((st.st_uid, st.st_gid));
        if !owned {
            // SAFETY: valid fd.
            cvt(unsafe { libc::fchown(d, st.st_uid, st.st_gid) })
                .map_err(|e| err("chown", rel, e))?;
        }
        if !owned || st.st_mode & 0o7000 != 0 {
            // SAFETY: valid fd.
            cvt(unsafe { libc::fchmod(d, st.st_mode & 0o7777) })
                .map_err(|e| err("chmod", rel, e))?;
        }
        self.copy_xattrs(s, d)
            .map_err(|e| err("xattrs of", rel, e))?;
        let t = times(st);
        // SAFETY: valid fd, two timespecs.
        cvt(unsafe { libc::futimens(d, t.as_ptr()) }).map_err(|e| err("set times of", rel, e))?;
        Ok(())
    }

    fn copy_xattrs(&mut self, s: RawFd, d: RawFd) -> io::Result<()> {
        let n = loop {
            // SAFETY: buffer of the given length.
            let n = unsafe {
                libc::flistxattr(
                    s,
                    self.xattr_buf.as_mut_ptr() as *mut libc::c_char,
                    self.xattr_buf.len(),
                )
            };
            if n >= 0 {
                break n as usize;
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::ERANGE) => self.xattr_buf.resize(self.xattr_buf.len() * 4, 0),
                Some(libc::ENOTSUP) => return Ok(()),
                _ => return Err(e),
            }
        };
        if n == 0 {
            return Ok(());
        }
        let names = self.xattr_buf[..n].to_vec();
        for key in names.split(|b| *b == 0).filter(|k| !k.is_empty()) {
            let key = CString::new(key).expect("split at NUL");
            let len = loop {
                // SAFETY: buffer of the given length.
                let len = unsafe {
                    libc::fgetxattr(
                        s,
                        key.as_ptr(),
                        self.val_buf.as_mut_ptr() as *mut libc::c_void,
                        self.val_buf.len(),
                    )
                };
                if len >= 0 {
                    break len as usize;
                }
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::ERANGE) {
                    self.val_buf.resize(self.val_buf.len() * 4, 0);
                    continue;
                }
                return Err(e);
            };
            // SAFETY: value buffer holds len bytes.
            cvt(unsafe {
                libc::fsetxattr(
                    d,
                    key.as_ptr(),
                    self.val_buf.as_ptr() as *const libc::c_void,
                    len,
                    0,
                )
            })?;
        }
        Ok(())
    }
}

fn copy_symlink(src: RawFd, dst: RawFd, name: &CStr, rel: &[u8], st: &libc::stat) -> Result<()> {
    let mut buf = vec![0u8; st.st_size as usize + 1];
    // SAFETY: buffer of the given length.
    let n = unsafe {
        libc::readlinkat(
            src,
            name.as_ptr(),
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
        )
    };
    if n < 0 {
        return Err(err("readlink", rel, io::Error::last_os_error()));
    }
    buf.truncate(n as usize);
    let target = CString::new(buf)
        .map_err(|_| err("readlink", rel, io::Error::from_raw_os_error(libc::EINVAL)))?;
    // SAFETY: valid fd and strings.
    cvt(unsafe { libc::symlinkat(target.as_ptr(), dst, name.as_ptr()) })
        .map_err(|e| err("symlink", rel, e))?;
    set_meta_at(dst, name, rel, st, false)
}

fn copy_node(dst: RawFd, name: &CStr, rel: &[u8], st: &libc::stat) -> Result<()> {
    // SAFETY: valid fd and name.
    cvt(unsafe { libc::mknodat(dst, name.as_ptr(), st.st_mode, st.st_rdev) })
        .map_err(|e| err("mknod", rel, e))?;
    set_meta_at(dst, name, rel, st, true)
}

/// Owner, mode (not for symlinks) and times of an entry that cannot be
/// opened for writing (a symlink, a device node, a fifo).
fn set_meta_at(dir: RawFd, name: &CStr, rel: &[u8], st: &libc::stat, chmod: bool) -> Result<()> {
    // SAFETY: valid fd and name.
    cvt(unsafe {
        libc::fchownat(
            dir,
            name.as_ptr(),
            st.st_uid,
            st.st_gid,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
    .map_err(|e| err("chown", rel, e))?;
    if chmod {
        // SAFETY: valid fd and name.
        cvt(unsafe { libc::fchmodat(dir, name.as_ptr(), st.st_mode & 0o7777, 0) })
            .map_err(|e| err("chmod", rel, e))?;
    }
    let t = times(st);
    // SAFETY: valid fd, name, two timespecs.
    cvt(unsafe { libc::utimensat(dir, name.as_ptr(), t.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) })
        .map_err(|e| err("set times of", rel, e))?;
    Ok(())
}

/// Whether a directory has no entries.
pub fn is_empty_dir(path: &std::path::Path) -> io::Result<bool> {
    Ok(std::fs::read_dir(path)?.next().is_none())
}

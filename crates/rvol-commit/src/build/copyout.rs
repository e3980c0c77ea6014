//! `rvol-commit copy-out --rootfs ROOTFS --to DIR SRC...`: `COPY --from`'s
//! sources taken out of another stage's (or image's) mounted root, run by
//! the chain as copy-into is, into a staging directory on the host, with
//! their owners, modes and times. Each SRC is resolved inside ROOTFS by fd
//! (rvol_state::inroot); below it every entry is opened on its parent's fd
//! without following a symlink, so nothing outside the root is read. SRC
//! number N goes to DIR/N/<its name>; a wildcard in SRC's last component
//! is matched against its directory's entries (Go's rules, glob.rs).

use std::ffi::{CStr, CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rvol_state::inroot;
use rvol_state::{path::clean, Error, Result, ResultExt};

use super::glob;

pub fn run(rootfs: &Path, to: &Path, srcs: &[String]) -> Result<i32> {
    let root: OwnedFd = File::open(rootfs)
        .with_ctx(|| format!("open {}", rootfs.display()))?
        .into();
    for (n, src) in srcs.iter().enumerate() {
        let path = clean(&format!("/{src}"));
        let (dir, last) = match path.rsplit_once('/') {
            Some((d, l)) => (if d.is_empty() { "/" } else { d }, l),
            None => ("/", path.as_str()),
        };
        let names: Vec<String> = if glob::has_wildcards(last) {
            let dfd = inroot::open(root.as_fd(), dir, libc::O_RDONLY | libc::O_DIRECTORY)
                .map_err(|_| not_found(src))?;
            let mut hits: Vec<String> = list(dfd.as_raw_fd())?
                .into_iter()
                .filter(|e| glob::matches(last, e))
                .collect();
            hits.sort();
            hits
        } else {
            vec![last.to_string()]
        };
        if names.is_empty() {
            return Err(not_found(src));
        }
        let out = to.join(n.to_string());
        std::fs::create_dir_all(&out).with_ctx(|| format!("mkdir {}", out.display()))?;
        let out_fd: OwnedFd = File::open(&out).ctx("open staging")?.into();
        for name in names {
            let full = if last.is_empty() {
                dir.to_string()
            } else {
                format!("{}/{name}", dir.trim_end_matches('/'))
            };
            let fd = inroot::open(root.as_fd(), &full, libc::O_PATH).map_err(|_| not_found(src))?;
            let base = if full == "/" {
                "root".to_string()
            } else {
                name.clone()
            };
            copy(fd.as_raw_fd(), out_fd.as_raw_fd(), &cstr(base.as_bytes())?)
                .with_ctx(|| format!("copy {full}"))?;
        }
    }
    Ok(0)
}

fn not_found(src: &str) -> Error {
    Error::new(format!(
        "file not found in build context or excluded by .dockerignore: stat {src}: file does not exist"
    ))
}

fn cstr(b: &[u8]) -> Result<CString> {
    CString::new(b).map_err(|_| Error::new("a name holds a NUL byte"))
}

fn list(dir: RawFd) -> Result<Vec<String>> {
    // Through /proc/self/fd: read_dir of the fd we hold, not a path.
    let rd = std::fs::read_dir(format!("/proc/self/fd/{dir}")).ctx("read dir")?;
    Ok(rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect())
}

fn stat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: fd is open (O_PATH fds included).
    inroot::fstat(unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) })
}

fn open_child(dir: RawFd, name: &CStr, flags: i32) -> io::Result<OwnedFd> {
    // SAFETY: a single name on a directory fd, never following a symlink.
    let fd = unsafe {
        libc::openat(
            dir,
            name.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd of ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn last_err(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Copy what `src` (an fd of the source) is to `out_dir`/`name`.
fn copy(src: RawFd, out_dir: RawFd, name: &CStr) -> io::Result<()> {
    let st = stat(src)?;
    let times = [
        libc::timespec {
            tv_sec: st.st_mtime,
            tv_nsec: st.st_mtime_nsec,
        },
        libc::timespec {
            tv_sec: st.st_mtime,
            tv_nsec: st.st_mtime_nsec,
        },
    ];
    match st.st_mode & libc::S_IFMT {
        libc::S_IFDIR => {
            // SAFETY: single-name calls on directory fds.
            last_err(unsafe { libc::mkdirat(out_dir, name.as_ptr(), 0o700) })?;
            let out = open_child(out_dir, name, libc::O_RDONLY | libc::O_DIRECTORY)?;
            let dir = reopen(src, libc::O_RDONLY | libc::O_DIRECTORY)?;
            let mut names: Vec<Vec<u8>> =
                std::fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd()))?
                    .flatten()
                    .map(|e| e.file_name().as_bytes().to_vec())
                    .collect();
            names.sort();
            for n in names {
                let c = CString::new(n).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
                let child = open_child(dir.as_raw_fd(), &c, libc::O_PATH)?;
                copy(child.as_raw_fd(), out.as_raw_fd(), &c)?;
            }
            // SAFETY: fds of ours; owner first (it clears set-id bits).
            unsafe {
                last_err(libc::fchown(out.as_raw_fd(), st.st_uid, st.st_gid))?;
                last_err(libc::fchmod(out.as_raw_fd(), st.st_mode & 0o7777))?;
                last_err(libc::futimens(out.as_raw_fd(), times.as_ptr()))?;
            }
        }
        libc::S_IFREG => {
            let mut from = File::from(reopen(src, libc::O_RDONLY)?);
            let mut to = File::from(inroot::create_new(out_dir, name, 0o600)?);
            io::copy(&mut from, &mut to)?;
            // SAFETY: as above.
            unsafe {
                last_err(libc::fchown(to.as_raw_fd(), st.st_uid, st.st_gid))?;
                last_err(libc::fchmod(to.as_raw_fd(), st.st_mode & 0o7777))?;
                last_err(libc::futimens(to.as_raw_fd(), times.as_ptr()))?;
            }
        }
        libc::S_IFLNK => {
            let buf = inroot::readlink_at(src, c"")?;
            let target =
                CString::new(buf).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
            // SAFETY: single-name calls on a directory fd.
            unsafe {
                last_err(libc::symlinkat(target.as_ptr(), out_dir, name.as_ptr()))?;
                last_err(libc::fchownat(
                    out_dir,
                    name.as_ptr(),
                    st.st_uid,
                    st.st_gid,
                    libc::AT_SYMLINK_NOFOLLOW,
                ))?;
                libc::utimensat(
                    out_dir,
                    name.as_ptr(),
                    times.as_ptr(),
                    libc::AT_SYMLINK_NOFOLLOW,
                );
            }
        }
        _ => {
            return Err(io::Error::other(format!(
                "{}: not a file, directory or symlink",
                OsStr::from_bytes(name.to_bytes()).to_string_lossy()
            )))
        }
    }
    Ok(())
}

/// An O_PATH fd opened again for reading (through /proc/self/fd, which
/// names the same file, never a path that could be swapped).
fn reopen(fd: RawFd, flags: i32) -> io::Result<OwnedFd> {
    let p = CString::new(format!("/proc/self/fd/{fd}")).unwrap();
    // SAFETY: a path of our own fd.
    let r = unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd of ours.
    Ok(unsafe { OwnedFd::from_raw_fd(r) })
}

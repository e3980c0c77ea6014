//! Paths inside a root, resolved by file descriptor: openat2 with
//! RESOLVE_IN_ROOT, so `..` and absolute symlinks in an image stay inside
//! it (`/data -> /etc` leads to ROOT/etc, never to the host's /etc).
//! Missing components are made one at a time under the fd of their
//! resolved parent, never by joining strings.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// openat2(dirfd, path, flags, RESOLVE_IN_ROOT); `path` may start with `/`.
pub fn open(root: BorrowedFd, path: &str, flags: i32) -> io::Result<OwnedFd> {
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    let c = CString::new(rel).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // libc's open_how is non-exhaustive: zero it, then fill it in.
    // SAFETY: open_how is plain integers; all-zero is valid.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    loop {
        // SAFETY: valid fd, NUL-terminated path, open_how of the right size.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                root.as_raw_fd(),
                c.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd >= 0 {
            // SAFETY: the kernel just gave us this fd.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) });
        }
        let e = io::Error::last_os_error();
        // openat2 asks for a retry when a rename raced the lookup.
        if e.raw_os_error() != Some(libc::EAGAIN) && e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// An O_PATH fd's magic link, for mount(2) to mount onto it.
pub fn fd_path(fd: &OwnedFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

fn cstr(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// What to make at the end of the path when it is missing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    Dir,
    File,
}

/// Resolve `path` inside `root` (following symlinks inside it), making
/// each missing component: directories 0755, and at the end a directory
/// or an empty file. A dangling symlink is followed to where it points,
/// inside the root, and that is made. Returns an O_PATH fd to the result.
pub fn make_all(root: BorrowedFd, path: &str, leaf: Leaf) -> io::Result<OwnedFd> {
    let mut target = path.to_string();
    for _ in 0..40 {
        match make_once(root, &target, leaf)? {
            Made::Done(fd) => return Ok(fd),
            Made::Redirect(next) => target = next,
        }
    }
    Err(io::Error::from_raw_os_error(libc::ELOOP))
}

enum Made {
    Done(OwnedFd),
    Redirect(String),
}

fn make_once(root: BorrowedFd, path: &str, leaf: Leaf) -> io::Result<Made> {
    let comps: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let mut cur = open(root, "/", libc::O_PATH | libc::O_DIRECTORY)?;
    let mut prefix = String::new();
    for (i, comp) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let parent = prefix.clone();
        prefix.push('/');
        prefix.push_str(comp);
        match open(root, &prefix, libc::O_PATH) {
            Ok(fd) => {
                cur = fd;
                continue;
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let name = cstr(comp)?;
        // SAFETY: cur is a directory fd, name a single component.
        let r = unsafe {
            if last && leaf == Leaf::File {
                let fd = libc::openat(
                    cur.as_raw_fd(),
                    name.as_ptr(),
                    libc::O_CREAT
                        | libc::O_EXCL
                        | libc::O_WRONLY
                        | libc::O_NOFOLLOW
                        | libc::O_CLOEXEC,
                    0o755,
                );
                if fd >= 0 {
                    libc::close(fd);
                }
                fd.min(0)
            } else {
                libc::mkdirat(cur.as_raw_fd(), name.as_ptr(), 0o755)
            }
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EEXIST) {
                return Err(e);
            }
            // Something is there that did not resolve: a dangling symlink.
            // Follow it by hand and make what it points to, still in root.
            let link = readlinkat(&cur, comp)?;
            let rest = comps[i + 1..].join("/");
            let base = if link.starts_with('/') {
                link
            } else {
                format!("{parent}/{link}")
            };
            return Ok(Made::Redirect(format!("{base}/{rest}")));
        }
        cur = open(root, &prefix, libc::O_PATH)?;
    }
    Ok(Made::Done(cur))
}

fn readlinkat(dir: &OwnedFd, name: &str) -> io::Result<String> {
    let c = cstr(name)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: buffer of the given length.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            c.as_ptr(),
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// fstat of an fd (O_PATH fds included).
pub fn fstat(fd: BorrowedFd) -> io::Result<libc::stat> {
    // SAFETY: zeroed stat is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let empty = c"";
    // SAFETY: AT_EMPTY_PATH on a valid fd.
    let r = unsafe { libc::fstatat(fd.as_raw_fd(), empty.as_ptr(), &mut st, libc::AT_EMPTY_PATH) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

pub fn is_dir(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

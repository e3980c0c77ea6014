//! Paths inside a root, resolved by file descriptor: openat2(2) with
//! RESOLVE_IN_ROOT, so `..` and symlinks (absolute ones too) in an image
//! or a layer resolve as if the root were `/`: `/data -> /etc` leads to
//! ROOT/etc, never to the host's /etc. Magic links (`/proc/self/fd/N`)
//! are never followed. Every path the tools take from an image or a spec
//! is opened here; missing components are made one at a time under the
//! fd of their resolved parent, never by joining strings.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};

/// Whether a lookup may cross a mount point on its way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mounts {
    /// Mounting needs it: a destination below a volume already mounted.
    Cross,
    /// RESOLVE_NO_XDEV: a tree that holds no mount of its own (a layer
    /// being unpacked) is not left through one that appeared in it.
    Refuse,
    /// RESOLVE_BENEATH in place of RESOLVE_IN_ROOT: a path that would
    /// leave the root (`..`, an absolute symlink, one that points out) is
    /// refused with EXDEV rather than read inside it (moby's safepath,
    /// for a volume's subpath).
    Beneath,
}

/// openat2(`root`, `path`, `flags` | O_CLOEXEC) with RESOLVE_IN_ROOT and
/// RESOLVE_NO_MAGICLINKS. `path` may be absolute (it is taken from the
/// root) or `.` for the root itself.
pub fn open_at(
    root: RawFd,
    path: &CStr,
    flags: libc::c_int,
    mounts: Mounts,
) -> io::Result<OwnedFd> {
    let mut resolve = ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS;
    match mounts {
        Mounts::Refuse => resolve |= ResolveFlag::RESOLVE_NO_XDEV,
        Mounts::Beneath => {
            resolve = ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS
        }
        Mounts::Cross => {}
    }
    let how = OpenHow::new()
        .flags(OFlag::from_bits_retain(flags | libc::O_CLOEXEC))
        .resolve(resolve);
    loop {
        match nix::fcntl::openat2(root, path, how) {
            // SAFETY: the kernel just gave us this fd; nothing else owns it.
            Ok(fd) => return Ok(unsafe { OwnedFd::from_raw_fd(fd) }),
            // openat2(2): EAGAIN when a rename or mount raced the lookup
            // (RESOLVE_IN_ROOT cannot tell it from an escape), to be retried;
            // EINTR, a signal during it.
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// [`open_at`] of a `/`-separated path (leading `/` or not; "" or "/" is
/// the root), crossing mounts.
pub fn open(root: BorrowedFd, path: &str, flags: i32) -> io::Result<OwnedFd> {
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    open_at(root.as_raw_fd(), &cstr(rel)?, flags, Mounts::Cross)
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
                match create_new(cur.as_raw_fd(), &name, 0o755) {
                    Ok(_) => 0,
                    Err(e) => {
                        *libc::__errno_location() = e.raw_os_error().unwrap_or(libc::EIO);
                        -1
                    }
                }
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
    let buf = readlink_at(dir.as_raw_fd(), &c)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// A new file `name` in the directory `dir` (O_EXCL, never through a
/// symlink), open for writing.
pub fn create_new(dir: RawFd, name: &CStr, mode: libc::mode_t) -> io::Result<OwnedFd> {
    // SAFETY: a single name on a directory fd.
    let fd = unsafe {
        libc::openat(
            dir,
            name.as_ptr(),
            libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd of ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// readlinkat(2) of `name` in `dir`; with an empty name, of the O_PATH fd
/// `dir` itself (a symlink opened with O_PATH|O_NOFOLLOW).
pub fn readlink_at(dir: RawFd, name: &CStr) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: buffer of the given length.
    let n = unsafe {
        libc::readlinkat(
            dir,
            name.as_ptr(),
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(buf)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// Symlinks and `..` stay inside; NO_XDEV only when asked.
    #[test]
    fn stays_in_root() {
        let dir = std::env::temp_dir().join(format!("rvol-inroot-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = dir.join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/inside"), "").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../../etc", root.join("up")).unwrap();
        let r = std::fs::File::open(&root).unwrap();
        for p in ["abs/inside", "up/inside", "/etc/inside", "../../etc/inside"] {
            open(r.as_fd(), p, libc::O_PATH).unwrap_or_else(|e| panic!("{p}: {e}"));
        }
        // The host's /etc/passwd is not there: the lookup stayed in root.
        let e = open(r.as_fd(), "abs/passwd", libc::O_PATH).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        let fd = open_at(
            r.as_raw_fd(),
            c".",
            libc::O_PATH | libc::O_DIRECTORY,
            Mounts::Refuse,
        )
        .unwrap();
        assert!(is_dir(&fstat(fd.as_fd()).unwrap()));

        let made = make_all(r.as_fd(), "/abs/new/dir", Leaf::Dir).unwrap();
        assert!(is_dir(&fstat(made.as_fd()).unwrap()));
        assert!(root.join("etc/new/dir").is_dir());

        // A mount inside: crossed only when allowed.
        let m = CString::new(root.join("etc").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: valid C strings; a tmpfs over our own test directory.
        let mounted = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                m.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                std::ptr::null(),
            )
        } == 0;
        if mounted {
            let how = libc::O_PATH | libc::O_DIRECTORY;
            let cross = open_at(r.as_raw_fd(), c"abs", how, Mounts::Cross);
            let refuse = open_at(r.as_raw_fd(), c"abs", how, Mounts::Refuse);
            // SAFETY: as above.
            unsafe { libc::umount2(m.as_ptr(), libc::MNT_DETACH) };
            assert!(cross.is_ok());
            assert_eq!(refuse.unwrap_err().raw_os_error(), Some(libc::EXDEV));
        } else {
            eprintln!("mount part skipped: {}", io::Error::last_os_error());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

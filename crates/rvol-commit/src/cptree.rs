//! A tree read by file descriptor, entry by entry, into a [`Sink`] (a
//! tar stream or a directory): each child is opened relative to its
//! parent's fd with O_NOFOLLOW and checked after the open, so a symlink
//! swapped in while the walk runs is copied as a symlink, never followed
//! (docker's CVE-2018-15664). Entries come in byte order of their names,
//! as Go's filepath.Walk gives them to docker's archiver.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{self, Read};

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use rvol_state::{Error, Result};

use crate::cppath::Rebase;
use crate::tarfmt::{Entry, Kind};

/// A regular file's content: an open file (copied in the kernel where it
/// can be) or a stream (a tar entry).
pub enum Data<'a> {
    File(&'a File),
    Stream(&'a mut dyn Read),
}

/// Where the entries go.
pub trait Sink {
    /// One entry; a regular file's content is `data`, `e.size` bytes.
    fn put(&mut self, e: &Entry, data: Option<Data>) -> Result<()>;
    fn finish(&mut self) -> Result<()>;
}

/// Which extended attributes an entry carries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Xattrs {
    /// docker's archiver: security.capability only.
    Capability,
    /// Every one but overlay's own (volume export).
    All,
}

pub struct Walker<'a> {
    pub sink: &'a mut dyn Sink,
    pub xattrs: Xattrs,
    pub rebases: Vec<Rebase>,
    /// First name of each multiply-linked file, by (dev, ino).
    links: HashMap<(u64, u64), Vec<u8>>,
    pub bytes: u64,
}

enum Opened {
    Dir(OwnedFd),
    File(File),
    Link(Vec<u8>),
    Other,
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

pub fn cstr(b: &[u8]) -> io::Result<CString> {
    CString::new(b).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

pub fn lstat_at(dir: RawFd, name: &CStr) -> io::Result<libc::stat> {
    // SAFETY: zeroed stat is a valid out-buffer; name is a C string.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) })?;
    Ok(st)
}

pub fn openat(dir: RawFd, name: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: a C string; the fd is ours once returned.
    let fd = cvt(unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_CLOEXEC) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The one readlinkat helper (an empty name reads the O_PATH fd itself).
pub use rvol_state::inroot::readlink_at;

fn kind_of(mode: u32) -> Kind {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => Kind::Dir,
        libc::S_IFLNK => Kind::Symlink,
        libc::S_IFCHR => Kind::Char,
        libc::S_IFBLK => Kind::Block,
        libc::S_IFIFO => Kind::Fifo,
        _ => Kind::File,
    }
}

/// Open what `name` is now, never following a symlink: the type the open
/// gives is the truth (an entry swapped between the stat and the open is
/// looked at again).
fn open_entry(dir: RawFd, name: &CStr) -> io::Result<(libc::stat, Opened)> {
    for _ in 0..8 {
        let st = lstat_at(dir, name)?;
        let opened = match st.st_mode & libc::S_IFMT {
            libc::S_IFDIR => openat(
                dir,
                name,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            )
            .map(Opened::Dir),
            libc::S_IFREG => openat(
                dir,
                name,
                libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY,
            )
            .map(|fd| Opened::File(File::from(fd))),
            libc::S_IFLNK => readlink_at(dir, name).map(Opened::Link),
            _ => Ok(Opened::Other),
        };
        match opened {
            Ok(Opened::Dir(fd)) => {
                let now = rvol_state::inroot::fstat(fd_borrow(&fd))?;
                if now.st_ino == st.st_ino && now.st_dev == st.st_dev {
                    return Ok((now, Opened::Dir(fd)));
                }
            }
            Ok(Opened::File(f)) => {
                let now = rvol_state::inroot::fstat(fd_borrow(&f))?;
                if now.st_mode & libc::S_IFMT == libc::S_IFREG {
                    return Ok((now, Opened::File(f)));
                }
            }
            Ok(o) => return Ok((st, o)),
            // Changed between the stat and the open: look again.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ELOOP | libc::ENOTDIR | libc::EINVAL)
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(libc::EAGAIN))
}

fn fd_borrow(fd: &impl AsRawFd) -> BorrowedFd<'_> {
    // SAFETY: the fd lives as long as the borrow of its owner.
    unsafe { BorrowedFd::borrow_raw(fd.as_raw_fd()) }
}

/// File systems a running container has mounted that docker's copy never
/// shows (it reads the container's root as the daemon mounted it).
fn is_kernel_fs(fd: RawFd) -> bool {
    // SAFETY: zeroed statfs is a valid out-buffer.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatfs(fd, &mut s) } != 0 {
        return false;
    }
    matches!(
        s.f_type as i64,
        0x9fa0 | 0x62656572 | 0x1cd1 | 0x63677270 | 0x27e0eb | 0x19800202 | 0x73636673 | 0x64626720
    )
}

/// The source is on one of those: docker would not find it.
pub fn on_kernel_fs(fd: BorrowedFd) -> bool {
    is_kernel_fs(fd.as_raw_fd())
}

fn replace_first(name: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    if old.is_empty() {
        let mut v = new.to_vec();
        v.extend_from_slice(name);
        return v;
    }
    match name.windows(old.len()).position(|w| w == old) {
        Some(i) => [&name[..i], new, &name[i + old.len()..]].concat(),
        None => name.to_vec(),
    }
}

impl<'a> Walker<'a> {
    pub fn new(sink: &'a mut dyn Sink, xattrs: Xattrs, rebases: Vec<Rebase>) -> Walker<'a> {
        Walker {
            sink,
            xattrs,
            rebases,
            links: HashMap::new(),
            bytes: 0,
        }
    }

    fn rebase(&self, name: &[u8]) -> Vec<u8> {
        let mut n = name.to_vec();
        for (old, new) in &self.rebases {
            n = replace_first(&n, old.as_bytes(), new.as_bytes());
        }
        n
    }

    /// Walk `leaf` in `parent` (or `parent` itself), naming it `name`.
    pub fn walk(&mut self, parent: BorrowedFd, leaf: Option<&[u8]>, name: &[u8]) -> Result<()> {
        let shown = String::from_utf8_lossy(name).into_owned();
        let (st, opened) = match leaf {
            Some(l) => open_entry(parent.as_raw_fd(), &cstr(l)?),
            None => openat(parent.as_raw_fd(), c".", libc::O_RDONLY | libc::O_DIRECTORY)
                .and_then(|fd| Ok((rvol_state::inroot::fstat(fd_borrow(&fd))?, Opened::Dir(fd)))),
        }
        .map_err(|e| Error::new(format!("{shown}: {e}")))?;
        self.node(name.to_vec(), st, opened, u64::MAX)
    }

    fn node(
        &mut self,
        name: Vec<u8>,
        st: libc::stat,
        opened: Opened,
        parent_dev: u64,
    ) -> Result<()> {
        let shown = || String::from_utf8_lossy(&name).into_owned();
        let mut e = Entry::new(self.rebase(&name), kind_of(st.st_mode));
        e.mode = st.st_mode & 0o7777;
        e.uid = st.st_uid as u64;
        e.gid = st.st_gid as u64;
        e.mtime = st.st_mtime;
        if matches!(e.kind, Kind::Char | Kind::Block) {
            e.dev_major = libc::major(st.st_rdev);
            e.dev_minor = libc::minor(st.st_rdev);
        }
        match opened {
            Opened::Link(target) => {
                e.link = target;
                self.sink.put(&e, None)
            }
            Opened::Other => self.sink.put(&e, None),
            Opened::File(f) => {
                if st.st_nlink > 1 {
                    let key = (st.st_dev, st.st_ino);
                    if let Some(first) = self.links.get(&key) {
                        e.kind = Kind::HardLink;
                        e.link = first.clone();
                        return self.sink.put(&e, None);
                    }
                    self.links.insert(key, e.name.clone());
                }
                e.xattrs = self.xattrs_of(f.as_raw_fd());
                e.size = st.st_size as u64;
                self.bytes += e.size;
                self.sink
                    .put(&e, Some(Data::File(&f)))
                    .map_err(|err| err.context(shown()))
            }
            Opened::Dir(fd) => {
                e.xattrs = self.xattrs_of(fd.as_raw_fd());
                self.sink.put(&e, None)?;
                if parent_dev != u64::MAX && st.st_dev != parent_dev && is_kernel_fs(fd.as_raw_fd())
                {
                    return Ok(());
                }
                for child in
                    read_names(&fd).map_err(|err| Error::new(format!("{}: {err}", shown())))?
                {
                    let mut cname = name.clone();
                    cname.push(b'/');
                    cname.extend_from_slice(&child);
                    let c = cstr(&child)?;
                    match open_entry(fd.as_raw_fd(), &c) {
                        Ok((cst, o)) => self.node(cname, cst, o, st.st_dev)?,
                        // Gone since the listing: as tar, not there.
                        Err(err) if err.raw_os_error() == Some(libc::ENOENT) => {}
                        Err(err) => {
                            return Err(Error::new(format!(
                                "{}: {err}",
                                String::from_utf8_lossy(&cname)
                            )))
                        }
                    }
                }
                Ok(())
            }
        }
    }

    fn xattrs_of(&self, fd: RawFd) -> Vec<(Vec<u8>, Vec<u8>)> {
        match self.xattrs {
            Xattrs::Capability => fget(fd, c"security.capability")
                .map(|v| vec![(b"security.capability".to_vec(), v)])
                .unwrap_or_default(),
            Xattrs::All => {
                let mut out: Vec<_> = flist(fd)
                    .into_iter()
                    .filter(|k| !rvol_state::xattr::is_overlay_bookkeeping(k))
                    .filter_map(|k| {
                        let v = fget(fd, &cstr(&k).ok()?)?;
                        Some((k, v))
                    })
                    .collect();
                out.sort();
                out
            }
        }
    }
}

fn fget(fd: RawFd, key: &CStr) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 65536];
    // SAFETY: buffer of the given length.
    let n = unsafe { libc::fgetxattr(fd, key.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return None;
    }
    buf.truncate(n as usize);
    Some(buf)
}

fn flist(fd: RawFd) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; 65536];
    // SAFETY: buffer of the given length.
    let n = unsafe { libc::flistxattr(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n <= 0 {
        return Vec::new();
    }
    buf[..n as usize]
        .split(|&b| b == 0)
        .filter(|k| !k.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// The names in a directory, sorted, without `.` and `..`.
pub fn read_names(dir: &OwnedFd) -> io::Result<Vec<Vec<u8>>> {
    let fd = openat(dir.as_raw_fd(), c".", libc::O_RDONLY | libc::O_DIRECTORY)?;
    let mut d =
        nix::dir::Dir::from_fd(std::os::fd::IntoRawFd::into_raw_fd(fd)).map_err(io::Error::from)?;
    let mut names = Vec::new();
    for ent in d.iter() {
        let ent = ent.map_err(io::Error::from)?;
        let n = ent.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(n.to_vec());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_occurrence_only() {
        assert_eq!(replace_first(b"etc/etc", b"etc", b"x"), b"x/etc");
        assert_eq!(replace_first(b"./a", b".", b"d"), b"d/a");
        assert_eq!(replace_first(b"abc", b"z", b"y"), b"abc");
    }
}

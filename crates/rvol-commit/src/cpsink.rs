//! The two ends of a copy: entries written as a tar stream ([`TarSink`],
//! `cp ... -`) or made in a directory ([`DirSink`], moby's Untar with
//! NoOverwriteDirNonDir), and a tar stream read as entries ([`read_tar`],
//! `cp - ...`, `volume import`).
//!
//! A directory is written by fd: each entry's parent is the fd of the
//! directory made (or found) before it, opened with O_NOFOLLOW; only a
//! parent the stream did not make is looked up again, by openat2 inside
//! the destination's root. A file is written under a temporary name and
//! renamed over its final one when complete: a copy killed with -9 leaves
//! no half file under a name the source has.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use rvol_state::inroot;
use rvol_state::{Error, Result};

use crate::cptree::{cstr, lstat_at, openat, Data, Sink};
use crate::tarfmt::{self, Entry, Kind};

/// Whose files the copy makes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The caller's (docker cp out of a container: no chown).
    Caller,
    /// The entry's own uid:gid (docker cp into a container, volume import).
    Keep,
    /// One owner for everything (cp -a into a container run as a user).
    Fixed(u32, u32),
}

pub struct TarSink<W: Write> {
    out: BufWriter<W>,
    pub bytes: u64,
    bar: rvol_state::progress::Bar,
}

impl<W: Write> TarSink<W> {
    pub fn new(w: W) -> TarSink<W> {
        TarSink {
            out: BufWriter::with_capacity(1 << 17, w),
            bytes: 0,
            bar: rvol_state::progress::bytes("Copying"),
        }
    }
}

impl<W: Write> Sink for TarSink<W> {
    fn put(&mut self, e: &Entry, data: Option<Data>) -> Result<()> {
        let mut h;
        let e = if e.kind == Kind::Dir && !e.name.ends_with(b"/") {
            h = Entry::new(e.name.clone(), Kind::Dir);
            h.name.push(b'/');
            h.mode = e.mode;
            h.uid = e.uid;
            h.gid = e.gid;
            h.mtime = e.mtime;
            h.xattrs = e.xattrs.clone();
            &h
        } else {
            e
        };
        tarfmt::write_header(&mut self.out, e)?;
        if let Some(d) = data {
            // Exactly the header's size, whatever the file did meanwhile.
            let n = match d {
                Data::File(f) => io::copy(&mut f.take(e.size), &mut self.out)?,
                Data::Stream(r) => io::copy(&mut r.take(e.size), &mut self.out)?,
            };
            if n < e.size {
                io::copy(&mut io::repeat(0).take(e.size - n), &mut self.out)?;
            }
            self.out
                .write_all(&[0u8; tarfmt::BLOCK][..tarfmt::padding(e.size)])?;
            self.bytes += e.size;
            self.bar.inc(e.size);
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        self.bar.finish();
        tarfmt::write_end(&mut self.out)?;
        self.out.flush()?;
        Ok(())
    }
}

pub struct DirSink {
    /// The root paths are resolved in (the container's, or the host's `/`).
    root: OwnedFd,
    /// The destination directory, as a path inside `root`, for messages
    /// and for parents looked up again.
    base: String,
    owner: Owner,
    /// Directories of the current entry's ancestors: (components, fd).
    stack: Vec<(Vec<Vec<u8>>, OwnedFd)>,
    /// Directory times, set once their content is written.
    dir_times: Vec<(OwnedFd, i64)>,
    tmp_seq: u64,
    pub bytes: u64,
    bar: rvol_state::progress::Bar,
}

fn cvt(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An entry name as components under the destination: no `..`, no root.
fn components(name: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                return Err(Error::new(format!(
                    "invalid path in archive: {:?} is outside of the destination",
                    show(name)
                )))
            }
            c => out.push(c.to_vec()),
        }
    }
    Ok(out)
}

fn times(t: i64) -> [libc::timespec; 2] {
    let ts = libc::timespec {
        tv_sec: t as libc::time_t,
        tv_nsec: 0,
    };
    [ts, ts]
}

impl DirSink {
    /// `dir` resolved inside `root` (following links there) must be a directory.
    pub fn new(root: OwnedFd, base: &str, owner: Owner) -> io::Result<DirSink> {
        let fd = inroot::open(fd_of(&root), base, libc::O_PATH | libc::O_DIRECTORY)?;
        Ok(DirSink {
            root,
            base: base.trim_end_matches('/').to_string(),
            owner,
            stack: vec![(Vec::new(), fd)],
            dir_times: Vec::new(),
            tmp_seq: 0,
            bytes: 0,
            bar: rvol_state::progress::bytes("Copying"),
        })
    }

    fn full(&self, comps: &[Vec<u8>]) -> String {
        let mut s = self.base.clone();
        for c in comps {
            s.push('/');
            s.push_str(&show(c));
        }
        s
    }

    /// The fd of the directory `comps`, made (0755) where missing.
    fn parent(&mut self, comps: &[Vec<u8>]) -> Result<RawFd> {
        while self.stack.len() > 1 {
            let top = &self.stack.last().unwrap().0;
            if comps.starts_with(top) {
                break;
            }
            self.stack.pop();
        }
        let have = self.stack.last().unwrap().0.len();
        for i in have..comps.len() {
            let cur = self.stack.last().unwrap().1.as_raw_fd();
            let name = cstr(&comps[i])?;
            let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW;
            let fd = match openat(cur, &name, flags) {
                Ok(fd) => fd,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    // SAFETY: a C string, a directory fd.
                    cvt(unsafe { libc::mkdirat(cur, name.as_ptr(), 0o755) })
                        .or_else(|e| {
                            if e.raw_os_error() == Some(libc::EEXIST) {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        })
                        .map_err(|e| {
                            Error::new(format!("mkdir {}: {e}", self.full(&comps[..=i])))
                        })?;
                    let fd = openat(cur, &name, flags).map_err(|e| {
                        Error::new(format!("open {}: {e}", self.full(&comps[..=i])))
                    })?;
                    // docker's MkdirAllAndChownNew: the parents it makes are root's.
                    if self.owner != Owner::Caller {
                        let _ = chown_fd(fd.as_raw_fd(), 0, 0);
                    }
                    fd
                }
                // A symlink (or not a directory): as docker's untar in its
                // chroot, follow it, but only inside the root.
                Err(_) => inroot::open(
                    fd_of(&self.root),
                    &self.full(&comps[..=i]),
                    libc::O_PATH | libc::O_DIRECTORY,
                )
                .map_err(|e| Error::new(format!("open {}: {e}", self.full(&comps[..=i]))))?,
            };
            self.stack.push((comps[..=i].to_vec(), fd));
        }
        Ok(self.stack.last().unwrap().1.as_raw_fd())
    }

    fn tmp_name(&mut self) -> std::ffi::CString {
        self.tmp_seq += 1;
        cstr(format!(".rvol-cp-{}-{}", std::process::id(), self.tmp_seq).as_bytes()).unwrap()
    }

    fn owner_of(&self, e: &Entry) -> Option<(u32, u32)> {
        match self.owner {
            Owner::Caller => None,
            Owner::Keep => Some((e.uid as u32, e.gid as u32)),
            Owner::Fixed(u, g) => Some((u, g)),
        }
    }

    /// Make a non-directory under a temporary name in `dir`, then rename it
    /// over `leaf`.
    fn place(&mut self, dir: RawFd, leaf: &[u8], e: &Entry, data: Option<Data>) -> Result<()> {
        let tmp = self.tmp_name();
        let made = self.make(dir, &tmp, e, data);
        let r = made.and_then(|()| {
            let l = cstr(leaf)?;
            // SAFETY: C strings, directory fds.
            cvt(unsafe { libc::renameat(dir, tmp.as_ptr(), dir, l.as_ptr()) })
                .map_err(|err| Error::new(format!("rename to {}: {err}", show(&e.name))))
        });
        if r.is_err() {
            // SAFETY: as above.
            unsafe { libc::unlinkat(dir, tmp.as_ptr(), 0) };
        }
        r
    }

    fn make(
        &mut self,
        dir: RawFd,
        tmp: &std::ffi::CStr,
        e: &Entry,
        data: Option<Data>,
    ) -> Result<()> {
        let name = show(&e.name);
        let owner = self.owner_of(e);
        match e.kind {
            Kind::File => {
                let fd = openat(
                    dir,
                    tmp,
                    libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
                )
                .map_err(|err| Error::new(format!("create {name}: {err}")))?;
                let mut f = File::from(fd);
                if let Some(d) = data {
                    let n = match d {
                        Data::File(src) => copy_range(src, &f, e.size),
                        Data::Stream(r) => io::copy(
                            &mut BufReader::with_capacity(1 << 17, r.take(e.size)),
                            &mut f,
                        ),
                    }
                    .map_err(|err| Error::new(format!("write {name}: {err}")))?;
                    self.bytes += n;
                    self.bar.inc(n);
                }
                if let Some((u, g)) = owner {
                    chown_fd(f.as_raw_fd(), u, g)
                        .map_err(|err| Error::new(format!("chown {name}: {err}")))?;
                }
                set_xattrs(f.as_raw_fd(), &e.xattrs)?;
                // SAFETY: an fd we own.
                cvt(unsafe { libc::fchmod(f.as_raw_fd(), e.mode & 0o7777) })?;
                cvt(unsafe { libc::futimens(f.as_raw_fd(), times(e.mtime).as_ptr()) })?;
                Ok(())
            }
            Kind::Symlink => {
                let target = cstr(&e.link)?;
                // SAFETY: C strings, a directory fd.
                cvt(unsafe { libc::symlinkat(target.as_ptr(), dir, tmp.as_ptr()) })
                    .map_err(|err| Error::new(format!("symlink {name}: {err}")))?;
                if let Some((u, g)) = owner {
                    cvt(unsafe {
                        libc::fchownat(dir, tmp.as_ptr(), u, g, libc::AT_SYMLINK_NOFOLLOW)
                    })?;
                }
                let _ = cvt(unsafe {
                    libc::utimensat(
                        dir,
                        tmp.as_ptr(),
                        times(e.mtime).as_ptr(),
                        libc::AT_SYMLINK_NOFOLLOW,
                    )
                });
                Ok(())
            }
            Kind::HardLink => {
                let comps = components(&e.link)?;
                let (tleaf, tparent) = comps
                    .split_last()
                    .ok_or_else(|| Error::new(format!("hard link {name}: empty target")))?;
                // The target is one this copy made: below the destination,
                // reached without following any link.
                let mut cur = openat(
                    self.stack[0].1.as_raw_fd(),
                    c".",
                    libc::O_PATH | libc::O_DIRECTORY,
                )?;
                for c in tparent {
                    cur = openat(
                        cur.as_raw_fd(),
                        &cstr(c)?,
                        libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                    )
                    .map_err(|err| Error::new(format!("hard link {name}: {err}")))?;
                }
                let t = cstr(tleaf)?;
                // SAFETY: C strings, directory fds.
                cvt(unsafe { libc::linkat(cur.as_raw_fd(), t.as_ptr(), dir, tmp.as_ptr(), 0) })
                    .map_err(|err| {
                        Error::new(format!("hard link {name} to {}: {err}", show(&e.link)))
                    })
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                let ty = match e.kind {
                    Kind::Char => libc::S_IFCHR,
                    Kind::Block => libc::S_IFBLK,
                    _ => libc::S_IFIFO,
                };
                let dev = libc::makedev(e.dev_major, e.dev_minor);
                // SAFETY: a C string, a directory fd.
                cvt(unsafe { libc::mknodat(dir, tmp.as_ptr(), ty | (e.mode & 0o7777), dev) })
                    .map_err(|err| Error::new(format!("mknod {name}: {err}")))?;
                if let Some((u, g)) = owner {
                    cvt(unsafe {
                        libc::fchownat(dir, tmp.as_ptr(), u, g, libc::AT_SYMLINK_NOFOLLOW)
                    })?;
                }
                cvt(unsafe { libc::fchmodat(dir, tmp.as_ptr(), e.mode & 0o7777, 0) })?;
                let _ =
                    cvt(unsafe { libc::utimensat(dir, tmp.as_ptr(), times(e.mtime).as_ptr(), 0) });
                Ok(())
            }
            Kind::Dir => unreachable!("directories are made in place"),
        }
    }
}

/// `size` bytes of `src` into `dst`: copy_file_range(2) (no copy through
/// user space; a reflink where the file system has them), else read and
/// write when the kernel cannot between these two file systems.
fn copy_range(src: &File, dst: &File, size: u64) -> io::Result<u64> {
    let mut done = 0u64;
    while done < size {
        let want = (size - done).min(1 << 30) as usize;
        // SAFETY: two fds we hold; null offsets use and move the files' own.
        let n = unsafe {
            libc::copy_file_range(
                src.as_raw_fd(),
                std::ptr::null_mut(),
                dst.as_raw_fd(),
                std::ptr::null_mut(),
                want,
                0,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(
                    libc::EXDEV | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP | libc::EPERM,
                ) if done == 0 => {
                    let mut s = src;
                    let mut d = dst;
                    return io::copy(
                        &mut BufReader::with_capacity(1 << 17, (&mut s).take(size)),
                        &mut d,
                    );
                }
                _ => return Err(e),
            }
        }
        if n == 0 {
            // The file shrank: what it has is what is copied.
            break;
        }
        done += n as u64;
    }
    Ok(done)
}

fn fd_of(fd: &OwnedFd) -> BorrowedFd<'_> {
    // SAFETY: borrowed for as long as its owner.
    unsafe { BorrowedFd::borrow_raw(fd.as_raw_fd()) }
}

/// Rootless, an owner the id map lacks is squashed (rvol_state::rootless).
fn chown_fd(fd: RawFd, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: an fd we hold (O_PATH fds through AT_EMPTY_PATH).
    match cvt(unsafe {
        libc::fchownat(
            fd,
            c"".as_ptr(),
            uid,
            gid,
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    }) {
        Err(e) if rvol_state::rootless::squashed(&e) => Ok(()),
        r => r,
    }
}

/// docker ignores ENOTSUP and EPERM here (a file system without xattrs).
fn set_xattrs(fd: RawFd, xattrs: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
    for (k, v) in xattrs {
        let key = cstr(k)?;
        // SAFETY: a C string and a buffer of its length.
        let r = unsafe { libc::fsetxattr(fd, key.as_ptr(), v.as_ptr().cast(), v.len(), 0) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if !matches!(e.raw_os_error(), Some(libc::ENOTSUP | libc::EPERM)) {
                return Err(Error::new(format!("setxattr {}: {e}", show(k))));
            }
        }
    }
    Ok(())
}

impl Sink for DirSink {
    fn put(&mut self, e: &Entry, data: Option<Data>) -> Result<()> {
        let comps = components(&e.name)?;
        let Some((leaf, parent)) = comps.split_last() else {
            // The destination itself (`.`): docker leaves it as it is.
            return Ok(());
        };
        let dir = self.parent(parent)?;
        let l = cstr(leaf)?;
        let path = self.full(&comps);
        let existing = match lstat_at(dir, &l) {
            Ok(st) => Some(st),
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => None,
            Err(err) => return Err(Error::new(format!("lstat {path}: {err}"))),
        };
        let is_dir = |st: &libc::stat| st.st_mode & libc::S_IFMT == libc::S_IFDIR;
        match (&existing, e.kind == Kind::Dir) {
            (Some(st), false) if is_dir(st) => {
                return Err(Error::new(format!(
                    "cannot overwrite directory {path:?} with non-directory {:?}",
                    self.base
                )))
            }
            (Some(st), true) if !is_dir(st) => {
                return Err(Error::new(format!(
                    "cannot overwrite non-directory {path:?} with directory {:?}",
                    self.base
                )))
            }
            _ => {}
        }
        if e.kind != Kind::Dir {
            return self.place(dir, leaf, e, data);
        }
        if existing.is_none() {
            // SAFETY: a C string, a directory fd.
            cvt(unsafe { libc::mkdirat(dir, l.as_ptr(), 0o700) })
                .map_err(|err| Error::new(format!("mkdir {path}: {err}")))?;
        }
        let fd = openat(
            dir,
            &l,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        )
        .map_err(|err| Error::new(format!("open {path}: {err}")))?;
        if let Some((u, g)) = self.owner_of(e) {
            chown_fd(fd.as_raw_fd(), u, g)
                .map_err(|err| Error::new(format!("chown {path}: {err}")))?;
        }
        set_xattrs(fd.as_raw_fd(), &e.xattrs)?;
        // SAFETY: an fd we own.
        cvt(unsafe { libc::fchmod(fd.as_raw_fd(), e.mode & 0o7777) })?;
        let again = openat(fd.as_raw_fd(), c".", libc::O_PATH | libc::O_DIRECTORY)?;
        self.dir_times.push((fd, e.mtime));
        self.stack.push((comps, again));
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.bar.finish();
        for (fd, t) in self.dir_times.drain(..).rev() {
            // SAFETY: an fd we own.
            let _ = cvt(unsafe { libc::futimens(fd.as_raw_fd(), times(t).as_ptr()) });
        }
        Ok(())
    }
}

/// A tar stream's entries into `sink`. Returns the bytes of file content.
pub fn read_tar(input: impl Read, sink: &mut dyn Sink) -> Result<u64> {
    let mut a = tar::Archive::new(input);
    let mut bytes = 0;
    for ent in a
        .entries()
        .map_err(|e| Error::new(format!("read archive: {e}")))?
    {
        let mut ent = ent.map_err(|e| Error::new(format!("read archive: {e}")))?;
        let h = ent.header();
        let kind = match h.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => Kind::File,
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Symlink => Kind::Symlink,
            tar::EntryType::Link => Kind::HardLink,
            tar::EntryType::Char => Kind::Char,
            tar::EntryType::Block => Kind::Block,
            tar::EntryType::Fifo => Kind::Fifo,
            // PAX and GNU long-name headers are read by tar itself.
            _ => continue,
        };
        let mut e = Entry::new(ent.path_bytes().into_owned(), kind);
        e.mode = h.mode().unwrap_or(0o644);
        e.uid = h.uid().unwrap_or(0);
        e.gid = h.gid().unwrap_or(0);
        e.mtime = h.mtime().unwrap_or(0) as i64;
        e.size = ent.size();
        if let Some(l) = ent.link_name_bytes() {
            e.link = l.into_owned();
        }
        if matches!(kind, Kind::Char | Kind::Block) {
            e.dev_major = h.device_major().ok().flatten().unwrap_or(0);
            e.dev_minor = h.device_minor().ok().flatten().unwrap_or(0);
        }
        if let Ok(Some(exts)) = ent.pax_extensions() {
            for x in exts.flatten() {
                if let Some(k) = x.key_bytes().strip_prefix(b"SCHILY.xattr.") {
                    e.xattrs.push((k.to_vec(), x.value_bytes().to_vec()));
                }
            }
        }
        bytes += e.size;
        if kind == Kind::File {
            sink.put(&e, Some(Data::Stream(&mut ent)))?;
        } else {
            sink.put(&e, None)?;
        }
    }
    sink.finish()?;
    Ok(bytes)
}

/// A tar written by `write` to stdout, or to FILE: under a temporary
/// name beside it, renamed when complete (never half an archive at FILE).
pub fn tar_out(
    output: Option<&str>,
    write: impl FnOnce(&mut dyn Sink) -> Result<()>,
) -> Result<()> {
    let Some(path) = output else {
        return write(&mut TarSink::new(std::io::stdout().lock()));
    };
    let tmp = format!("{path}.rvol-tmp-{}", std::process::id());
    let f = File::create(&tmp).map_err(|e| Error::new(format!("create {tmp}: {e}")))?;
    let r = write(&mut TarSink::new(&f)).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|e| Error::new(format!("rename {tmp} to {path}: {e}")))
    });
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// The entries below `dir` (not `dir` itself), as docker's export and
/// Podman's volume export name them: `a`, `dir/`, `dir/b`.
pub fn write_children(
    dir: &OwnedFd,
    sink: &mut dyn Sink,
    xattrs: crate::cptree::Xattrs,
) -> Result<()> {
    let names = crate::cptree::read_names(dir).map_err(|e| Error::new(format!("read /: {e}")))?;
    let mut w = crate::cptree::Walker::new(sink, xattrs, Vec::new());
    for n in names {
        w.walk(fd_of(dir), Some(&n), &n)?;
    }
    w.sink.finish()
}

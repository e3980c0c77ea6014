//! A container's upper dir turned back into an image layer (a tar stream).
//!
//! Overlayfs records a deletion as a 0/0 character device and a directory
//! that hides the lower ones with `trusted.overlay.opaque=y`; a layer says
//! the same with `.wh.NAME` files and a `.wh..wh..opq` file (the OCI image
//! spec's whiteouts, as docker's overlay2 driver writes them). Entries come
//! in byte order of their names, each directory before its content, with
//! headers that hold only what the tree holds (see tarfmt), so the same
//! tree always gives the same stream and digest.
//!
//! The walk goes through directory file descriptors (`/proc/self/fd/N/NAME`,
//! never following a symlink), so a container that swaps a directory for a
//! symlink cannot make us read outside its upper dir.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rvol_state::{whiteout, xattr};
use rvol_state::{Error, Result, ResultExt};

use crate::tarfmt::{self, Entry, Kind};

/// Counts of what went into the layer.
#[derive(Default, Debug)]
pub struct Stats {
    pub entries: u64,
    pub whiteouts: u64,
    pub bytes: u64,
}

/// Write the layer tar of `upper` to `out`. `lower` are the image's layer
/// directories, top first (to tell a directory that is in upper/ only
/// because rvol made mount points in it from one the container changed).
pub fn pack(upper: &Path, lower: &[PathBuf], out: &mut impl Write) -> Result<Stats> {
    let dir = open_dir(upper).with_ctx(|| format!("open {}", upper.display()))?;
    let mut p = Packer {
        out,
        links: HashMap::new(),
        stats: Stats::default(),
        buf: vec![0u8; 1 << 20],
        pending: Vec::new(),
        skipped: 0,
        lower,
    };
    p.dir(&dir, &mut Vec::new())
        .ctx(format!("pack {}", upper.display()))?;
    tarfmt::write_end(p.out).ctx("write layer")?;
    Ok(p.stats)
}

struct Packer<'w, W> {
    out: &'w mut W,
    /// (dev, ino) of files with more than one link -> the name written first.
    links: HashMap<(u64, u64), Vec<u8>>,
    stats: Stats,
    buf: Vec<u8>,
    /// Directory headers not written yet: a directory goes out with its
    /// first entry, or at its end (see `Packer::end_dir`).
    pending: Vec<Entry>,
    /// Runtime mount points left out so far.
    skipped: u64,
    lower: &'w [PathBuf],
}

fn open_dir(path: &Path) -> io::Result<File> {
    File::options()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)
}

/// A path naming `name` inside the open directory `dir`, for the l* calls
/// (which do not follow the last component).
fn at(dir: &File, name: &OsStr) -> PathBuf {
    let mut p = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    p.push(name);
    p
}

fn display(rel: &[u8]) -> String {
    String::from_utf8_lossy(rel).into_owned()
}

impl<W: Write> Packer<'_, W> {
    /// Write the entries inside `dir`, whose layer path is `rel` ("" for the top).
    fn dir(&mut self, dir: &File, rel: &mut Vec<u8>) -> Result<()> {
        let here = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
        let mut names: Vec<OsString> = std::fs::read_dir(&here)
            .and_then(|rd| rd.map(|e| e.map(|e| e.file_name())).collect())
            .with_ctx(|| format!("read directory /{}", display(rel)))?;
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            let len = rel.len();
            rel.extend_from_slice(name.as_bytes());
            let r = self.entry(dir, &name, rel);
            if let Err(e) = r {
                return Err(e.context(display(rel)));
            }
            rel.truncate(len);
        }
        Ok(())
    }

    fn entry(&mut self, dir: &File, name: &OsStr, rel: &mut Vec<u8>) -> Result<()> {
        let path = at(dir, name);
        let md = match std::fs::symlink_metadata(&path) {
            Ok(md) => md,
            // Gone since readdir: only when committing without --pause.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).ctx("stat"),
        };
        let ft = md.file_type();
        if is_runtime_mountpoint(rel, &md, &path) {
            self.skipped += 1;
            return Ok(());
        }
        if whiteout::is_overlay_whiteout(md.mode(), md.rdev()) {
            // An overlay whiteout (often hard-linked to one shared inode,
            // so it is handled before the hard link check).
            let mut e = header(whiteout::layer_name(rel), Kind::File, &md);
            e.mode = 0o600;
            self.put(&e)?;
            self.stats.whiteouts += 1;
            return Ok(());
        }
        let xattrs = xattr::read_all(&path).ctx("read xattrs")?;
        let opaque = whiteout::is_opaque(&xattrs);
        let kept: Vec<_> = xattrs
            .into_iter()
            .filter(|(k, _)| !xattr::is_overlay_bookkeeping(k))
            .collect();

        if ft.is_dir() {
            let child = open_dir(&path).ctx("open directory")?;
            rel.push(b'/');
            let mut e = header(rel.clone(), Kind::Dir, &md);
            e.xattrs = kept;
            if opaque {
                self.put(&e)?;
                let mut marker = rel.clone();
                marker.extend_from_slice(whiteout::OPAQUE_MARKER);
                let mut m = header(marker, Kind::File, &md);
                m.mode = md.mode() & 0o777;
                self.put(&m)?;
                self.stats.whiteouts += 1;
                self.dir(&child, rel)?;
            } else {
                let (depth, skipped) = (self.pending.len(), self.skipped);
                self.pending.push(e);
                self.dir(&child, rel)?;
                if self.pending.len() > depth {
                    // Nothing written inside: keep the directory unless it
                    // holds only left-out mount points and is as the image has it.
                    let e = self.pending.pop().unwrap();
                    rel.pop();
                    let as_in_image = self.skipped > skipped && self.same_as_lower(rel, &e)?;
                    rel.push(b'/');
                    if !as_in_image {
                        self.put(&e)?;
                    }
                }
            }
            rel.pop();
            return Ok(());
        }
        if md.nlink() > 1 {
            let key = (md.dev(), md.ino());
            if let Some(first) = self.links.get(&key) {
                let mut e = header(rel.clone(), Kind::HardLink, &md);
                e.link = first.clone();
                return self.put(&e);
            }
            self.links.insert(key, rel.clone());
        }
        let kind = if ft.is_file() {
            Kind::File
        } else if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_char_device() {
            Kind::Char
        } else if ft.is_block_device() {
            Kind::Block
        } else if ft.is_fifo() {
            Kind::Fifo
        } else {
            // Sockets have no tar form; docker leaves them out too.
            return Ok(());
        };
        let mut e = header(rel.clone(), kind, &md);
        e.xattrs = kept;
        match kind {
            Kind::Symlink => {
                e.link = std::fs::read_link(&path)
                    .ctx("read symlink")?
                    .into_os_string()
                    .into_vec();
                self.put(&e)
            }
            Kind::Char | Kind::Block => {
                e.dev_major = libc::major(md.rdev());
                e.dev_minor = libc::minor(md.rdev());
                self.put(&e)
            }
            Kind::File => self.file(&path, e, &md),
            _ => self.put(&e),
        }
    }

    fn put(&mut self, e: &Entry) -> Result<()> {
        for d in std::mem::take(&mut self.pending) {
            self.stats.entries += 1;
            tarfmt::write_header(self.out, &d).ctx("write layer")?;
        }
        self.stats.entries += 1;
        tarfmt::write_header(self.out, e).ctx("write layer")
    }

    /// Whether the topmost image layer that has `rel` has it as a
    /// directory with the same mode, owner and xattrs as `e`.
    fn same_as_lower(&self, rel: &[u8], e: &Entry) -> Result<bool> {
        let rel = Path::new(OsStr::from_bytes(rel));
        for l in self.lower {
            let p = l.join(rel);
            match std::fs::symlink_metadata(&p) {
                Ok(md) => {
                    if !md.is_dir()
                        || md.mode() & 0o7777 != e.mode
                        || md.uid() as u64 != e.uid
                        || md.gid() as u64 != e.gid
                    {
                        return Ok(false);
                    }
                    let x: Vec<_> = xattr::read_all(&p)
                        .with_ctx(|| format!("read xattrs {}", p.display()))?
                        .into_iter()
                        .filter(|(k, _)| !xattr::is_overlay_bookkeeping(k))
                        .collect();
                    return Ok(x == e.xattrs);
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err).with_ctx(|| format!("stat {}", p.display())),
            }
        }
        Ok(false)
    }

    fn file(&mut self, path: &Path, mut e: Entry, md: &Metadata) -> Result<()> {
        let mut f = File::options()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_NONBLOCK)
            .open(path)
            .ctx("open")?;
        let fmd = f.metadata().ctx("stat")?;
        if fmd.ino() != md.ino() || fmd.dev() != md.dev() {
            return Err(Error::new("file replaced while committing"));
        }
        e.size = fmd.len();
        self.put(&e)?;
        let mut left = e.size;
        while left > 0 {
            let want = left.min(self.buf.len() as u64) as usize;
            let n = match f.read(&mut self.buf[..want]) {
                Ok(0) => return Err(Error::new("file shrank while committing")),
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err).ctx("read"),
            };
            self.out.write_all(&self.buf[..n]).ctx("write layer")?;
            left -= n as u64;
        }
        self.out
            .write_all(&[0u8; tarfmt::BLOCK][..tarfmt::padding(e.size)])
            .ctx("write layer")?;
        self.stats.bytes += e.size;
        Ok(())
    }
}

fn header(name: Vec<u8>, kind: Kind, md: &Metadata) -> Entry {
    let mut e = Entry::new(name, kind);
    e.mode = md.mode() & 0o7777;
    e.uid = md.uid() as u64;
    e.gid = md.gid() as u64;
    e.mtime = md.mtime();
    e
}

/// What rvol's runtime made as mount points, and docker keeps in the
/// container's init layer rather than in its diff: the empty files under
/// /etc that hostname/hosts/resolv.conf are bound over, and the empty
/// /proc, /sys, /dev directories, when the image lacked them.
fn is_runtime_mountpoint(rel: &[u8], md: &Metadata, path: &Path) -> bool {
    match rel {
        b"etc/hostname" | b"etc/hosts" | b"etc/resolv.conf" => {
            md.file_type().is_file() && md.len() == 0
        }
        b"proc" | b"sys" | b"dev" => {
            md.file_type().is_dir()
                && std::fs::read_dir(path)
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(false)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    fn setxattr(p: &Path, k: &str, v: &[u8]) {
        let c = CString::new(p.as_os_str().as_bytes()).unwrap();
        let k = CString::new(k).unwrap();
        // SAFETY: valid NUL-terminated strings and buffer.
        let r = unsafe { libc::lsetxattr(c.as_ptr(), k.as_ptr(), v.as_ptr().cast(), v.len(), 0) };
        assert_eq!(
            r,
            0,
            "setxattr {}: {}",
            p.display(),
            io::Error::last_os_error()
        );
    }

    /// An upper dir as overlayfs leaves it (whiteout devices, a shared
    /// whiteout inode, an opaque dir, overlay's own xattrs), packed.
    #[test]
    fn overlay_upper_to_layer() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: needs root (mknod, trusted.* xattrs)");
            return;
        }
        let dir = std::env::temp_dir().join(format!("rvol-commit-layer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let up = dir.join("upper");
        std::fs::create_dir_all(up.join("opq/sub")).unwrap();
        std::fs::write(up.join("opq/sub/f"), "f").unwrap();
        setxattr(&up.join("opq"), "trusted.overlay.opaque", b"y");
        std::fs::write(up.join("a"), "data").unwrap();
        setxattr(&up.join("a"), "user.k", b"v");
        setxattr(&up.join("a"), "trusted.overlay.origin", b"x");
        std::fs::hard_link(up.join("a"), up.join("b")).unwrap();
        for wh in ["gone", "opq/gone2"] {
            let c = CString::new(up.join(wh).as_os_str().as_bytes()).unwrap();
            // SAFETY: valid path; a 0/0 character device is overlay's whiteout.
            assert_eq!(unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, 0) }, 0);
        }
        std::fs::remove_file(up.join("opq/gone2")).unwrap();
        std::fs::hard_link(up.join("gone"), up.join("opq/gone2")).unwrap();
        std::os::unix::fs::symlink("a", up.join("s")).unwrap();

        let mut out = Vec::new();
        let st = pack(&up, &[], &mut out).unwrap();
        let mut again = Vec::new();
        pack(&up, &[], &mut again).unwrap();
        assert_eq!(out, again, "same tree, same bytes");
        assert_eq!(st.whiteouts, 3);

        let mut got = Vec::new();
        let mut ar = tar::Archive::new(&out[..]);
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let xattrs: Vec<String> = e
                .pax_extensions()
                .unwrap()
                .map(|x| {
                    x.filter_map(|x| x.ok())
                        .map(|x| format!("{}={}", x.key().unwrap(), x.value().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            let h = e.header();
            assert_eq!(h.username_bytes().unwrap_or_default(), b"");
            let link = e
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .unwrap_or_default();
            got.push(format!(
                "{name} {:?} {link} {}",
                h.entry_type(),
                xattrs.join(",")
            ));
        }
        assert_eq!(
            got,
            [
                "a Regular  SCHILY.xattr.user.k=v",
                "b Link a ",
                ".wh.gone Regular  ",
                "opq/ Directory  ",
                "opq/.wh..wh..opq Regular  ",
                "opq/.wh.gone2 Regular  ",
                "opq/sub/ Directory  ",
                "opq/sub/f Regular  ",
                "s Symlink a ",
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

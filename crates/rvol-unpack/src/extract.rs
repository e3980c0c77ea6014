//! One tar stream into one (empty) layer directory, entry by entry, in the
//! overlay form a lowerdir needs. Every entry is created relative to a
//! directory fd resolved inside the layer (openat2 RESOLVE_IN_ROOT), with
//! a single-name system call that does not follow a symlink, so no entry
//! can reach outside the layer: `../` is refused, absolute names and
//! symlinked parents stay inside, hardlinks only link what is inside.

use std::ffi::{CStr, CString};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use rvol_state::inroot::{self, Mounts};
use rvol_state::whiteout::{self, Kind};
use rvol_state::{Error, Result};

use crate::fsat;

/// Extract every entry of `archive` into the directory `root`.
pub fn extract<R: Read>(archive: &mut tar::Archive<R>, root: &OwnedFd) -> Result<()> {
    // SAFETY: plain getters.
    let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let mut x = Extractor {
        root: root.as_raw_fd(),
        cache: None,
        euid,
        egid,
        umask: fsat::umask_value(),
        dirs: Vec::new(),
        buf: vec![0u8; 1 << 20],
        written: 0,
        max_written: crate::pipeline::max_layer_bytes()?,
    };
    let entries = archive
        .entries()
        .map_err(|e| Error::new(format!("read tar: {e}")))?;
    let max_entries = crate::pipeline::max_layer_entries()?;
    for (n, entry) in entries.enumerate() {
        // Millions of empty entries inflate little but exhaust inodes.
        if n as u64 >= max_entries {
            return Err(Error::new(format!(
                "the layer has over {max_entries} entries; {} sets another limit",
                crate::pipeline::MAX_LAYER_ENTRIES_ENV
            )));
        }
        let mut entry = entry.map_err(|e| Error::new(format!("read tar: {e}")))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        x.entry(&mut entry)
            .map_err(|e| e.context(format!("entry {name}")))?;
    }
    x.cache = None;
    // Directory times last: creating their children changed them.
    // A directory a later entry replaced (or removed) is skipped.
    for (path, mtime) in x.dirs.iter().rev() {
        let Ok((parent, name)) = x.parent_of(path) else {
            continue;
        };
        match fsat::lstat_at(parent.as_raw_fd(), &name) {
            Ok(Some(st)) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => {}
            _ => continue,
        }
        fsat::utimes_at(parent.as_raw_fd(), &name, *mtime)
            .map_err(|e| Error::new(format!("set times of {}: {e}", show(path))))?;
    }
    Ok(())
}

/// Files at least this big get their writeback started when written.
const EARLY_WRITEBACK: u64 = 128 << 10;

struct Extractor {
    root: RawFd,
    /// The last parent directory used: tar streams list a directory's
    /// entries together, so one openat2 serves many entries.
    cache: Option<(Vec<u8>, OwnedFd, bool)>,
    euid: u32,
    egid: u32,
    /// Bits the process umask takes from a mode given at creation.
    umask: u32,
    /// Directories whose mtime is set at the end (path, mtime).
    dirs: Vec<(Vec<u8>, (i64, u32))>,
    buf: Vec<u8>,
    /// File content written so far, and its limit: the layer-size limit
    /// also holds for what is written, since a sparse entry's holes read
    /// back as zeros that no stream byte stands for (a sparse bomb).
    written: u64,
    max_written: u64,
}

/// Metadata of an entry as the header (and its pax records) give it.
struct Meta {
    uid: u32,
    gid: u32,
    mode: u32,
    mtime: (i64, u32),
    xattrs: Vec<(CString, Vec<u8>)>,
}

fn show(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

fn io_err(what: &str, path: &[u8], e: io::Error) -> Error {
    Error::new(format!("{what} {}: {e}", show(path)))
}

/// Clean an entry name into the components of a path below the layer
/// root: `./` and `/` prefixes, `.` and empty parts go; `..` may only undo
/// a component of the same name, and going above the root is refused.
pub fn clean(name: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out: Vec<&[u8]> = Vec::new();
    for c in name.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if out.pop().is_none() {
                    return Err(Error::new("path escapes the layer (\"..\")"));
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&b'/')
}

impl Extractor {
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<()> {
        use tar::EntryType as T;
        let kind = entry.header().entry_type();
        match kind {
            // Headers that describe the next entry were consumed by the tar
            // reader; global pax headers carry nothing a layer uses.
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => return Ok(()),
            _ => {}
        }
        let raw = entry.path_bytes().into_owned();
        let parts = clean(&raw)?;
        let meta = self.meta(entry)?;

        // The root of the layer itself (`./`): its metadata only.
        let Some((&base, dir_parts)) = parts.split_last() else {
            if kind != T::Directory {
                return Err(Error::new("the layer root is not a directory"));
            }
            let root = fsat::reopen_dir(self.root).map_err(|e| io_err("open", b".", e))?;
            self.set_meta_fd(root.as_raw_fd(), &meta, b".")?;
            self.dirs.push((b".".to_vec(), meta.mtime));
            return Ok(());
        };
        let parent_path = join(dir_parts);

        match whiteout::classify(base)? {
            Kind::Opaque => {
                let dir = self.dir(&parent_path)?;
                let d = fsat::reopen_dir(dir).map_err(|e| io_err("open", &parent_path, e))?;
                return fsat::fsetxattr(
                    d.as_raw_fd(),
                    whiteout::opaque_xattr(),
                    whiteout::OPAQUE_VALUE,
                )
                .map_err(|e| io_err("mark opaque", &parent_path, e));
            }
            Kind::Meta => return Ok(()),
            Kind::Whiteout(target) => {
                let dir = self.dir(&parent_path)?;
                let name = fsat::cstr(target).map_err(|e| io_err("name", &raw, e))?;
                match fsat::mknod_at(dir, &name, whiteout::OVERLAY_MODE, whiteout::OVERLAY_DEV) {
                    Ok(()) => {}
                    // A whiteout hides only what lower layers hold (OCI
                    // image spec): what this layer made stays; a directory
                    // of this layer becomes opaque to the lower ones.
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                        return self.mark_opaque_if_dir(dir, &name, &raw);
                    }
                    Err(e) => return Err(io_err("whiteout", &raw, e)),
                }
                return fsat::chown_at(dir, &name, meta.uid, meta.gid)
                    .map_err(|e| io_err("chown", &raw, e));
            }
            Kind::Plain => {}
        }

        let name = fsat::cstr(base).map_err(|e| io_err("name", &raw, e))?;
        let dir = self.dir(&parent_path)?;
        // Made with its final mode and owned by us: when that is what the
        // header says, no chown or chmod is needed. (The umask could strip
        // bits; a setgid parent hands its group down: then chown + chmod.)
        let plain_owner = meta.uid == self.euid
            && meta.gid == self.egid
            && meta.mode & self.umask == 0
            && !self.parent_setgid();
        match kind {
            T::Directory => {
                let merged = match fsat::mkdir_at(dir, &name, meta.mode & 0o1777) {
                    Ok(()) => false,
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                        let was_whiteout = self.is_whiteout(dir, &name, &raw)?;
                        let dir_kept = self.make_room(dir, &name, true, &raw)?;
                        if !dir_kept {
                            fsat::mkdir_at(dir, &name, meta.mode & 0o1777)
                                .map_err(|e| io_err("mkdir", &raw, e))?;
                        }
                        // Deleted below, then made again here: opaque.
                        if was_whiteout {
                            self.mark_opaque_if_dir(dir, &name, &raw)?;
                        }
                        dir_kept
                    }
                    Err(e) => return Err(io_err("mkdir", &raw, e)),
                };
                if merged || !plain_owner || meta.mode & 0o6000 != 0 {
                    fsat::chown_at(dir, &name, meta.uid, meta.gid)
                        .map_err(|e| io_err("chown", &raw, e))?;
                    fsat::chmod_at(dir, &name, meta.mode).map_err(|e| io_err("chmod", &raw, e))?;
                }
                self.xattrs_at(dir, &name, &meta, &raw)?;
                self.dirs.push((join(&parts), meta.mtime));
            }
            T::Regular | T::Continuous | T::GNUSparse => {
                // Set-id bits go on after the data: a write clears them
                // unless the writer has CAP_FSETID in the initial user
                // namespace (the kernel's file_remove_privs), which a
                // rootless unpack never has.
                let plain_owner = plain_owner && meta.mode & 0o6000 == 0;
                let mode = if plain_owner { meta.mode } else { 0o600 };
                let f = match fsat::create_file(dir, &name, mode) {
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                        self.make_room(dir, &name, false, &raw)?;
                        fsat::create_file(dir, &name, mode)
                    }
                    r => r,
                }
                .map_err(|e| io_err("create", &raw, e))?;
                let mut f = std::fs::File::from(f);
                self.copy(entry, &mut f, &raw)?;
                // Start writing big files out now, so the syncfs before the
                // layer is published has little left to wait for.
                if entry.size() >= EARLY_WRITEBACK {
                    fsat::start_writeback(f.as_raw_fd());
                }
                if !plain_owner {
                    self.set_owner_fd(f.as_raw_fd(), &meta, &raw)?;
                }
                for (k, v) in &meta.xattrs {
                    fsat::fsetxattr(f.as_raw_fd(), k, v)
                        .map_err(|e| io_err(&format!("set xattr {k:?} on"), &raw, e))?;
                }
                fsat::futimes(f.as_raw_fd(), meta.mtime)
                    .map_err(|e| io_err("set times of", &raw, e))?;
            }
            T::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| Error::new("symlink without a target"))?;
                let target = fsat::cstr(&target).map_err(|e| io_err("symlink", &raw, e))?;
                match fsat::symlink_at(&target, dir, &name) {
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                        self.make_room(dir, &name, false, &raw)?;
                        fsat::symlink_at(&target, dir, &name)
                    }
                    r => r,
                }
                .map_err(|e| io_err("symlink", &raw, e))?;
                // A symlink's mode means nothing: only its owner counts.
                if meta.uid != self.euid || meta.gid != self.egid || self.parent_setgid() {
                    fsat::chown_at(dir, &name, meta.uid, meta.gid)
                        .map_err(|e| io_err("chown", &raw, e))?;
                }
                self.xattrs_at(dir, &name, &meta, &raw)?;
                fsat::utimes_at(dir, &name, meta.mtime)
                    .map_err(|e| io_err("set times of", &raw, e))?;
            }
            T::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| Error::new("hardlink without a target"))?
                    .into_owned();
                let tparts = clean(&target)
                    .map_err(|e| e.context(format!("hardlink target {}", show(&target))))?;
                let Some((&tbase, tdir)) = tparts.split_last() else {
                    return Err(Error::new("hardlink to the layer root"));
                };
                let tname = fsat::cstr(tbase).map_err(|e| io_err("hardlink", &raw, e))?;
                let not_in = || {
                    Error::new(format!(
                        "hardlink target {} is not in the layer",
                        show(&target)
                    ))
                };
                let tdir_fd = match self.resolve(&join(tdir), false) {
                    Ok(fd) => fd,
                    Err(e) if e.msg.ends_with("(os error 2)") => return Err(not_in()),
                    Err(e) => return Err(e),
                };
                if fsat::lstat_at(tdir_fd.as_raw_fd(), &tname)
                    .map_err(|e| io_err("hardlink target", &target, e))?
                    .is_none()
                {
                    return Err(not_in());
                }
                // Linking an entry to itself (a re-listed file) is a no-op.
                if tparts == parts {
                    return Ok(());
                }
                let dir = self.dir(&parent_path)?;
                match fsat::link_at(tdir_fd.as_raw_fd(), &tname, dir, &name) {
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                        self.make_room(dir, &name, false, &raw)?;
                        fsat::link_at(tdir_fd.as_raw_fd(), &tname, dir, &name)
                    }
                    r => r,
                }
                .map_err(|e| io_err("hardlink", &raw, e))?;
            }
            T::Char | T::Block | T::Fifo => {
                let (fmt, dev) = match kind {
                    T::Char => (libc::S_IFCHR, self.dev(entry)?),
                    T::Block => (libc::S_IFBLK, self.dev(entry)?),
                    _ => (libc::S_IFIFO, 0),
                };
                let mode = fmt | (meta.mode & 0o777);
                match fsat::mknod_at(dir, &name, mode, dev) {
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                        self.make_room(dir, &name, false, &raw)?;
                        fsat::mknod_at(dir, &name, mode, dev)
                    }
                    // Rootless, the kernel makes no device node in a user
                    // namespace: the image's is left out (containers/storage
                    // does the same); a container gets /dev from rvol-exec.
                    Err(e)
                        if e.raw_os_error() == Some(libc::EPERM)
                            && fmt != libc::S_IFIFO
                            && rvol_state::rootless::active() =>
                    {
                        return Ok(());
                    }
                    r => r,
                }
                .map_err(|e| io_err("mknod", &raw, e))?;
                if !plain_owner || meta.mode & 0o7000 != 0 {
                    fsat::chown_at(dir, &name, meta.uid, meta.gid)
                        .map_err(|e| io_err("chown", &raw, e))?;
                    fsat::chmod_at(dir, &name, meta.mode).map_err(|e| io_err("chmod", &raw, e))?;
                }
                self.xattrs_at(dir, &name, &meta, &raw)?;
                fsat::utimes_at(dir, &name, meta.mtime)
                    .map_err(|e| io_err("set times of", &raw, e))?;
            }
            other => {
                return Err(Error::new(format!("unsupported tar entry type {other:?}")));
            }
        }
        Ok(())
    }

    fn meta<R: Read>(&self, entry: &mut tar::Entry<'_, R>) -> Result<Meta> {
        let h = entry.header();
        let bad = |what: &str, e: io::Error| Error::new(format!("bad {what} in header: {e}"));
        // Pax uid/gid were already applied to the header by the tar crate.
        let uid = h.uid().map_err(|e| bad("uid", e))?;
        let gid = h.gid().map_err(|e| bad("gid", e))?;
        let mode = h.mode().map_err(|e| bad("mode", e))? & 0o7777;
        let mut mtime = (h.mtime().map_err(|e| bad("mtime", e))? as i64, 0u32);
        let (uid, gid) = (
            u32::try_from(uid).map_err(|_| Error::new(format!("uid {uid} out of range")))?,
            u32::try_from(gid).map_err(|_| Error::new(format!("gid {gid} out of range")))?,
        );
        let mut xattrs = Vec::new();
        if let Some(pax) = entry.pax_extensions().map_err(|e| bad("pax header", e))? {
            for ext in pax {
                let ext = ext.map_err(|e| bad("pax record", e))?;
                let key = ext.key_bytes();
                if key == b"mtime" {
                    if let Some(t) = parse_pax_time(ext.value_bytes()) {
                        mtime = t;
                    }
                } else if let Some(x) = key.strip_prefix(b"SCHILY.xattr.") {
                    // The image may not set overlay's own attributes: that
                    // would let a layer fake whiteouts, opaque dirs or
                    // redirects. Only whiteout entries produce them.
                    if rvol_state::xattr::is_overlay_bookkeeping(x) {
                        continue;
                    }
                    let k = fsat::cstr(x).map_err(|e| bad("xattr name", e))?;
                    xattrs.push((k, ext.value_bytes().to_vec()));
                }
            }
        }
        Ok(Meta {
            uid,
            gid,
            mode,
            mtime,
            xattrs,
        })
    }

    fn dev<R: Read>(&self, entry: &tar::Entry<'_, R>) -> Result<libc::dev_t> {
        let h = entry.header();
        let major = h.device_major().ok().flatten().unwrap_or(0);
        let minor = h.device_minor().ok().flatten().unwrap_or(0);
        Ok(libc::makedev(major, minor))
    }

    /// chown, then chmod (chown clears setuid/setgid); xattrs come after
    /// (chown clears security.capability).
    fn set_owner_fd(&self, fd: RawFd, meta: &Meta, raw: &[u8]) -> Result<()> {
        fsat::fchown(fd, meta.uid, meta.gid).map_err(|e| io_err("chown", raw, e))?;
        fsat::fchmod(fd, meta.mode).map_err(|e| io_err("chmod", raw, e))
    }

    fn set_meta_fd(&self, fd: RawFd, meta: &Meta, raw: &[u8]) -> Result<()> {
        self.set_owner_fd(fd, meta, raw)?;
        for (k, v) in &meta.xattrs {
            kept_xattr(fsat::fsetxattr(fd, k, v))
                .map_err(|e| io_err(&format!("set xattr {k:?} on"), raw, e))?;
        }
        Ok(())
    }

    fn xattrs_at(&self, dir: RawFd, name: &CStr, meta: &Meta, raw: &[u8]) -> Result<()> {
        for (k, v) in &meta.xattrs {
            kept_xattr(fsat::lsetxattr_at(dir, name, k, v))
                .map_err(|e| io_err(&format!("set xattr {k:?} on"), raw, e))?;
        }
        Ok(())
    }

    fn copy<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        file: &mut std::fs::File,
        raw: &[u8],
    ) -> Result<()> {
        loop {
            let n = match entry.read(&mut self.buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err("read content of", raw, e)),
            };
            self.written += n as u64;
            if self.written > self.max_written {
                return Err(Error::new(format!(
                    "the layer's files are over the limit of {} bytes (a sparse-file bomb?); {} sets another limit",
                    self.max_written,
                    crate::pipeline::MAX_LAYER_BYTES_ENV
                )));
            }
            file.write_all(&self.buf[..n])
                .map_err(|e| io_err("write", raw, e))?;
        }
    }

    fn is_whiteout(&self, dir: RawFd, name: &CStr, raw: &[u8]) -> Result<bool> {
        Ok(matches!(
            fsat::lstat_at(dir, name).map_err(|e| io_err("stat", raw, e))?,
            Some(st) if whiteout::is_overlay_whiteout(st.st_mode, st.st_rdev)
        ))
    }

    fn mark_opaque_if_dir(&self, dir: RawFd, name: &CStr, raw: &[u8]) -> Result<()> {
        match fsat::lstat_at(dir, name).map_err(|e| io_err("stat", raw, e))? {
            Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => {}
            _ => return Ok(()),
        }
        let d = fsat::open_at(
            dir,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
        .map_err(|e| io_err("open", raw, e))?;
        fsat::fsetxattr(
            d.as_raw_fd(),
            whiteout::opaque_xattr(),
            whiteout::OPAQUE_VALUE,
        )
        .map_err(|e| io_err("mark opaque", raw, e))
    }

    /// Clear the way for a new entry `name` in `dir`: anything there goes,
    /// except a directory when the new entry is a directory too (merged,
    /// as docker does). Returns whether that directory was kept.
    fn make_room(&mut self, dir: RawFd, name: &CStr, is_dir: bool, raw: &[u8]) -> Result<bool> {
        let Some(st) = fsat::lstat_at(dir, name).map_err(|e| io_err("stat", raw, e))? else {
            return Ok(false);
        };
        if is_dir && st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            return Ok(true);
        }
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            // The cached parent could be inside what goes away.
            self.cache = None;
        }
        fsat::remove_at(dir, name).map_err(|e| io_err("replace", raw, e))?;
        Ok(false)
    }

    /// The directory `path` (below the root) as an fd, made when missing;
    /// cached for the next entries.
    fn dir(&mut self, path: &[u8]) -> Result<RawFd> {
        if let Some((p, fd, _)) = &self.cache {
            if p == path {
                return Ok(fd.as_raw_fd());
            }
        }
        let fd = self.resolve(path, true)?;
        let setgid = inroot::fstat(fd.as_fd())
            .map(|st| st.st_mode & libc::S_ISGID != 0)
            .map_err(|e| io_err("stat", path, e))?;
        self.cache = Some((path.to_vec(), fd, setgid));
        Ok(self.cache.as_ref().unwrap().1.as_raw_fd())
    }

    /// Whether the directory last given by [`Self::dir`] is setgid.
    fn parent_setgid(&self) -> bool {
        self.cache.as_ref().map(|c| c.2).unwrap_or(true)
    }

    /// Resolve `path` inside the root; with `create`, missing directories
    /// are made (0755 root:root, as docker makes them).
    fn resolve(&self, path: &[u8], create: bool) -> Result<OwnedFd> {
        let c = fsat::cstr(if path.is_empty() { b"." } else { path })
            .map_err(|e| io_err("path", path, e))?;
        match open_dir(self.root, &c) {
            Ok(fd) => return Ok(fd),
            Err(e) if create && e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => return Err(io_err("open directory", path, e)),
        }
        let parts: Vec<&[u8]> = path.split(|b| *b == b'/').collect();
        let mut cur = open_dir(self.root, c".").map_err(|e| io_err("open", b".", e))?;
        for i in 0..parts.len() {
            let prefix = join(&parts[..=i]);
            let pc = fsat::cstr(&prefix).map_err(|e| io_err("path", &prefix, e))?;
            cur = match open_dir(self.root, &pc) {
                Ok(fd) => fd,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    let name = fsat::cstr(parts[i]).map_err(|e| io_err("path", &prefix, e))?;
                    match fsat::mkdir_at(cur.as_raw_fd(), &name, 0o755) {
                        Ok(()) => {}
                        // Not found yet there: a symlink whose target (in
                        // the layer) does not exist. Never create through it.
                        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                            return Err(Error::new(format!(
                                "{} is a symlink that leads nowhere inside the layer",
                                show(&prefix)
                            )))
                        }
                        Err(e) => return Err(io_err("mkdir", &prefix, e)),
                    }
                    open_dir(cur.as_raw_fd(), &name)
                        .map_err(|e| io_err("open directory", &prefix, e))?
                }
                Err(e) => return Err(io_err("open directory", &prefix, e)),
            };
        }
        Ok(cur)
    }

    /// The parent fd and last name of a cleaned path (for deferred work).
    fn parent_of(&self, path: &[u8]) -> Result<(OwnedFd, CString)> {
        if path == b"." {
            return Ok((
                open_dir(self.root, c".").map_err(|e| io_err("open", b".", e))?,
                c".".to_owned(),
            ));
        }
        let parts: Vec<&[u8]> = path.split(|b| *b == b'/').collect();
        let (base, dir) = parts.split_last().unwrap();
        let fd = self.resolve(&join(dir), false)?;
        Ok((fd, fsat::cstr(base).map_err(|e| io_err("path", path, e))?))
    }
}

/// The directory `path` below `root` (openat2 RESOLVE_IN_ROOT), as an
/// O_PATH fd. A layer being made holds no mount point, so the lookup never
/// crosses one.
fn open_dir(root: RawFd, path: &CStr) -> io::Result<OwnedFd> {
    inroot::open_at(root, path, libc::O_PATH | libc::O_DIRECTORY, Mounts::Refuse)
}

/// Rootless, the kernel refuses a user namespace the `trusted.*` (and
/// some `security.*`) attributes an image may carry: they are left out.
fn kept_xattr(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) && rvol_state::rootless::active() => Ok(()),
        r => r,
    }
}

/// A pax time `SECONDS[.FRACTION]` as (seconds, nanoseconds).
fn parse_pax_time(v: &[u8]) -> Option<(i64, u32)> {
    let s = std::str::from_utf8(v).ok()?;
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut nanos = 0u32;
    for (i, c) in frac.bytes().take(9).enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        nanos += (c - b'0') as u32 * 10u32.pow(8 - i as u32);
    }
    if secs < 0 && nanos > 0 {
        return Some((secs - 1, 1_000_000_000 - nanos));
    }
    Some((secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn cleaning() {
        assert_eq!(clean(b"./a/b/").unwrap(), vec![&b"a"[..], b"b"]);
        assert_eq!(clean(b"/etc/passwd").unwrap(), vec![&b"etc"[..], b"passwd"]);
        assert_eq!(clean(b"a/../b").unwrap(), vec![&b"b"[..]]);
        assert!(clean(b"../x").is_err());
        assert!(clean(b"a/../../x").is_err());
        assert!(clean(b"./").unwrap().is_empty());
    }
    #[test]
    fn pax_time() {
        assert_eq!(parse_pax_time(b"12.5"), Some((12, 500_000_000)));
        assert_eq!(parse_pax_time(b"12"), Some((12, 0)));
    }
}

//! `rvol-commit copy-into --rootfs ROOTFS PLAN`: a COPY or ADD step's files
//! written into a container's mounted root (the chain runs it where
//! rvol-exec would be: rvol-ns -> rvol-mount apply -> this), so overlayfs
//! copies up the parents as it does for any write. Every destination is
//! resolved inside ROOTFS by fd (rvol_state::inroot: a symlink in the image
//! cannot lead out of it); each entry is made with a call on its parent's
//! fd that does not follow a symlink. Owners are 0:0 unless `--chown`
//! (names looked up in the image's /etc/passwd and /etc/group); modes and
//! times are the source's unless `--chmod`; a missing parent is made 0755,
//! as docker's COPY makes them. ADD's local archives are unpacked here.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use rvol_state::inroot::{self, Leaf};
use rvol_state::{path::clean, Error, Result, ResultExt};

/// What a step copies, written by the builder (steps.rs).
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Plan {
    pub items: Vec<Item>,
    /// `--chown USER[:GROUP]`.
    pub chown: Option<String>,
    /// `--chmod` as a number.
    pub chmod: Option<u32>,
    /// `COPY --from`: the sources keep their owners (docker's classic
    /// builder) unless `--chown`.
    #[serde(default)]
    pub keep_owner: bool,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct Item {
    /// On the host.
    pub src: String,
    /// In the container, absolute.
    pub dest: String,
    pub kind: Kind,
    /// A lone file whose destination does not end in `/`: when the image
    /// has a directory there, the file goes inside it.
    #[serde(default)]
    pub onto: bool,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// ADD of a local tar (plain, gzip or zstd): its entries under `dest`.
    Archive,
}

pub fn run(rootfs: &Path, plan: &Path) -> Result<i32> {
    let plan: Plan = rvol_state::fsx::read_json(plan)?;
    let root: OwnedFd = File::open(rootfs)
        .with_ctx(|| format!("open {}", rootfs.display()))?
        .into();
    let (uid, gid) = match &plan.chown {
        Some(c) => owner(&root, c)?,
        None => (0, 0),
    };
    let w = Writer {
        last_parent: Default::default(),
        root,
        uid,
        gid,
        chmod: plan.chmod,
    };
    for it in &plan.items {
        let own;
        let w = if plan.keep_owner && plan.chown.is_none() {
            let md = std::fs::symlink_metadata(&it.src).with_ctx(|| format!("stat {}", it.src))?;
            own = Writer {
                last_parent: Default::default(),
                root: w.root.try_clone().ctx("dup")?,
                uid: md.uid(),
                gid: md.gid(),
                chmod: w.chmod,
            };
            &own
        } else {
            &w
        };
        w.item(it)
            .map_err(|e| e.context(format!("copy {} to {}", it.src, it.dest)))?;
    }
    // A directory's time last, deepest first: what was made in it changed it.
    for it in plan.items.iter().rev().filter(|i| i.kind == Kind::Dir) {
        let md = std::fs::symlink_metadata(&it.src).ctx("stat")?;
        if let Ok(fd) = inroot::open(w.root.as_fd(), &it.dest, libc::O_RDONLY | libc::O_DIRECTORY) {
            let t = libc::timespec {
                tv_sec: md.mtime(),
                tv_nsec: md.mtime_nsec(),
            };
            // SAFETY: an open fd of ours.
            unsafe { libc::futimens(fd.as_raw_fd(), [t, t].as_ptr()) };
        }
    }
    Ok(0)
}

struct Writer {
    root: OwnedFd,
    /// The directory [`Writer::parent`] opened last, by its path.
    last_parent: std::cell::RefCell<Option<(String, OwnedFd)>>,
    uid: u32,
    gid: u32,
    chmod: Option<u32>,
}

fn cstr(s: &[u8]) -> Result<CString> {
    CString::new(s).map_err(|_| Error::new("a name holds a NUL byte"))
}

fn check(r: libc::c_int, what: &str) -> Result<()> {
    if r < 0 {
        return Err(Error::new(format!(
            "{what}: {}",
            io::Error::last_os_error()
        )));
    }
    Ok(())
}

fn split(dest: &str) -> (String, String) {
    let d = clean(dest);
    match d.rsplit_once('/') {
        Some((p, n)) => (if p.is_empty() { "/".into() } else { p.into() }, n.into()),
        None => ("/".into(), d),
    }
}

impl Writer {
    fn item(&self, it: &Item) -> Result<()> {
        let src = Path::new(&it.src);
        match it.kind {
            Kind::Archive => self.archive(src, &it.dest),
            Kind::Dir => {
                let md = std::fs::symlink_metadata(src).ctx("stat")?;
                self.dir(&it.dest, &md, true)
            }
            Kind::Symlink => {
                let md = std::fs::symlink_metadata(src).ctx("stat")?;
                let target = std::fs::read_link(src).ctx("readlink")?;
                self.symlink(&it.dest, target.as_os_str().as_bytes(), &md)
            }
            Kind::File => {
                let mut dest = it.dest.clone();
                if it.onto && self.is_dir(&dest) {
                    let base = src.file_name().map(|n| n.to_string_lossy().into_owned());
                    dest = format!("{}/{}", dest, base.unwrap_or_default());
                }
                let md = std::fs::metadata(src).ctx("stat")?;
                let mut f = File::open(src).ctx("open")?;
                self.file(
                    &dest,
                    &mut f,
                    md.mode() & 0o7777,
                    (md.mtime(), md.mtime_nsec()),
                )
            }
        }
    }

    fn is_dir(&self, dest: &str) -> bool {
        inroot::open(self.root.as_fd(), dest, libc::O_PATH)
            .ok()
            .and_then(|fd| inroot::fstat(fd.as_fd()).ok())
            .is_some_and(|st| inroot::is_dir(&st))
    }

    /// The directory that holds `dest` (made when missing), opened for *at
    /// calls; the last one is kept: a directory's files come one after another.
    fn parent(&self, dest: &str) -> Result<(OwnedFd, CString)> {
        let (p, name) = split(dest);
        if name.is_empty() || name == ".." {
            return Err(Error::new(format!("{dest}: not a file name")));
        }
        let name = cstr(name.as_bytes())?;
        if let Some((last, fd)) = &*self.last_parent.borrow() {
            if *last == p {
                return Ok((fd.try_clone().ctx("dup")?, name));
            }
        }
        inroot::make_all(self.root.as_fd(), &p, Leaf::Dir).with_ctx(|| format!("mkdir {p}"))?;
        let fd = inroot::open(self.root.as_fd(), &p, libc::O_RDONLY | libc::O_DIRECTORY)
            .with_ctx(|| format!("open {p}"))?;
        *self.last_parent.borrow_mut() = Some((p, fd.try_clone().ctx("dup")?));
        Ok((fd, name))
    }

    /// Remove what is at `name` unless it is a directory.
    fn clear(dir: RawFd, name: &CString) {
        // SAFETY: single-name calls on a directory fd.
        unsafe { libc::unlinkat(dir, name.as_ptr(), 0) };
    }

    fn file(&self, dest: &str, data: &mut dyn Read, mode: u32, mtime: (i64, i64)) -> Result<()> {
        let (dir, name) = self.parent(dest)?;
        Self::clear(dir.as_raw_fd(), &name);
        let mut f = File::from(
            inroot::create_new(dir.as_raw_fd(), &name, 0o600)
                .with_ctx(|| format!("create {dest}"))?,
        );
        io::copy(data, &mut f).with_ctx(|| format!("write {dest}"))?;
        f.flush().ok();
        self.finish_fd(f.as_raw_fd(), mode, mtime, dest)
    }

    fn finish_fd(&self, fd: RawFd, mode: u32, mtime: (i64, i64), dest: &str) -> Result<()> {
        let mode = self.chmod.unwrap_or(mode);
        let ts = [
            libc::timespec {
                tv_sec: mtime.0,
                tv_nsec: mtime.1,
            },
            libc::timespec {
                tv_sec: mtime.0,
                tv_nsec: mtime.1,
            },
        ];
        // SAFETY: fd is open; plain syscalls on it. chown before chmod: a
        // chown clears the set-id bits.
        unsafe {
            check(
                libc::fchown(fd, self.uid, self.gid),
                &format!("chown {dest}"),
            )?;
            check(libc::fchmod(fd, mode), &format!("chmod {dest}"))?;
            check(libc::futimens(fd, ts.as_ptr()), &format!("utimes {dest}"))?;
        }
        Ok(())
    }

    /// A directory of the source (`own`: its mode and times are set; the
    /// destination of a COPY of a directory keeps its own when it exists).
    fn dir(&self, dest: &str, md: &std::fs::Metadata, own: bool) -> Result<()> {
        if clean(dest) == "/" {
            return Ok(());
        }
        let existed = self.is_dir(dest);
        if existed && own {
            return Ok(());
        }
        let (dir, name) = self.parent(dest)?;
        if !existed {
            Self::clear(dir.as_raw_fd(), &name);
            // SAFETY: single-name mkdirat on a directory fd.
            check(
                unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), 0o755) },
                &format!("mkdir {dest}"),
            )?;
        }
        // SAFETY: as above; O_NOFOLLOW keeps a swapped-in symlink out.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        check(fd, &format!("open {dest}"))?;
        // SAFETY: a new fd of ours.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        self.finish_fd(
            fd.as_raw_fd(),
            md.mode() & 0o7777,
            (md.mtime(), md.mtime_nsec()),
            dest,
        )
    }

    fn symlink(&self, dest: &str, target: &[u8], md: &std::fs::Metadata) -> Result<()> {
        let (dir, name) = self.parent(dest)?;
        Self::clear(dir.as_raw_fd(), &name);
        let t = cstr(target)?;
        let ts = [
            libc::timespec {
                tv_sec: md.mtime(),
                tv_nsec: md.mtime_nsec(),
            },
            libc::timespec {
                tv_sec: md.mtime(),
                tv_nsec: md.mtime_nsec(),
            },
        ];
        // SAFETY: single-name calls on a directory fd, never following the link.
        unsafe {
            check(
                libc::symlinkat(t.as_ptr(), dir.as_raw_fd(), name.as_ptr()),
                &format!("symlink {dest}"),
            )?;
            check(
                libc::fchownat(
                    dir.as_raw_fd(),
                    name.as_ptr(),
                    self.uid,
                    self.gid,
                    libc::AT_SYMLINK_NOFOLLOW,
                ),
                &format!("chown {dest}"),
            )?;
            libc::utimensat(
                dir.as_raw_fd(),
                name.as_ptr(),
                ts.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            );
        }
        Ok(())
    }

    /// ADD's archive: entries kept with their own owners and modes, as
    /// docker's ADD unpacks them.
    fn archive(&self, src: &Path, dest: &str) -> Result<()> {
        let f = io::BufReader::new(File::open(src).ctx("open")?);
        let dec = rvol_state::compress::sniff_decoder(f).ctx("read")?;
        let mut ar = tar::Archive::new(dec);
        let (uid, gid) = (self.uid, self.gid);
        let keep = Writer {
            last_parent: Default::default(),
            root: self.root.try_clone().ctx("dup")?,
            uid,
            gid,
            chmod: None,
        };
        for e in ar.entries().ctx("read tar")? {
            let mut e = e.ctx("read tar")?;
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let rel = clean(&format!("/{name}"));
            if rel == "/" {
                continue;
            }
            let target = format!("{}{rel}", dest.trim_end_matches('/'));
            let h = e.header().clone();
            let w = Writer {
                last_parent: Default::default(),
                root: keep.root.try_clone().ctx("dup")?,
                uid: h.uid().unwrap_or(0) as u32,
                gid: h.gid().unwrap_or(0) as u32,
                chmod: None,
            };
            let mode = h.mode().unwrap_or(0o644) & 0o7777;
            let mtime = (h.mtime().unwrap_or(0) as i64, 0);
            match h.entry_type() {
                tar::EntryType::Directory => {
                    let md = std::fs::metadata("/").ctx("stat")?;
                    w.dir(&target, &md, false)?;
                    if let Ok(fd) =
                        inroot::open(w.root.as_fd(), &target, libc::O_RDONLY | libc::O_DIRECTORY)
                    {
                        w.finish_fd(fd.as_raw_fd(), mode, mtime, &target)?;
                    }
                }
                tar::EntryType::Symlink => {
                    let link = e
                        .link_name_bytes()
                        .map(|l| l.into_owned())
                        .unwrap_or_default();
                    let md = std::fs::symlink_metadata("/").ctx("stat")?;
                    w.symlink(&target, &link, &md)?;
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    w.file(&target, &mut e, mode, mtime)?;
                }
                // Hard links, devices and fifos: not in the archives a
                // build adds; refused rather than made wrong.
                t => {
                    return Err(Error::new(format!(
                        "{name}: {t:?} entries are not unpacked by ADD here"
                    )))
                }
            }
        }
        Ok(())
    }
}

/// `--chown USER[:GROUP]`: numbers as they are, names from the image's
/// /etc/passwd and /etc/group (docker: `unable to find user X: no matching
/// entries in passwd file`).
fn owner(root: &OwnedFd, spec: &str) -> Result<(u32, u32)> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let read = |p: &str| -> String {
        inroot::open(root.as_fd(), p, libc::O_RDONLY)
            .ok()
            .map(File::from)
            .and_then(|mut f| {
                let mut s = String::new();
                f.read_to_string(&mut s).ok().map(|_| s)
            })
            .unwrap_or_default()
    };
    let lookup = |db: &str, name: &str, what: &str| -> Result<(u32, Option<u32>)> {
        if let Ok(n) = name.parse::<u32>() {
            return Ok((n, None));
        }
        for line in db.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() > 3 && f[0] == name {
                let id = f[2].parse().unwrap_or(0);
                let primary = f[3].parse().ok();
                return Ok((id, primary));
            }
        }
        Err(Error::new(format!(
            "unable to find {what} {name}: no matching entries in {what_file} file",
            what_file = if what == "user" { "passwd" } else { "group" }
        )))
    };
    let (uid, primary) = lookup(&read("/etc/passwd"), u, "user")?;
    let gid = match g {
        Some(g) => lookup(&read("/etc/group"), g, "group")?.0,
        // docker: a user alone gives its uid as the gid too.
        None => {
            let _ = primary;
            uid
        }
    };
    Ok((uid, gid))
}

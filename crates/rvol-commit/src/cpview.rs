//! The container's side of a copy: its filesystem as docker's daemon sees
//! it (the overlay with its volumes and binds) and paths looked up in it,
//! every one by fd inside its root (rvol_state::inroot).
//!
//! A running container is reached through /proc/PID/root: an fd of its
//! root directory in its own mount namespace, where its volumes and binds
//! are mounted (the kernel file systems rvol-exec adds, /proc and /sys,
//! are skipped, as docker's daemon never sees them). A created or stopped
//! one is mounted for the copy only: rvol-commit unshares a mount
//! namespace and execs `rvol-mount apply --bundle B -- rvol-commit cp
//! --mounted B ...`, the same plan a start performs, so nothing is mounted
//! on the host and the mounts go with the copy's process.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use rvol_state::{inroot, Error, Result, ResultExt, Root};

use crate::cppath;
use crate::cptree::{cstr, lstat_at, readlink_at};

pub struct View {
    pub root: OwnedFd,
    pub running: bool,
    /// `--read-only`: its root file system takes no copy.
    pub readonly_rootfs: bool,
    /// As the user named it, for docker's messages.
    pub name: String,
}

/// What docker's ContainerStatPath tells about a container path.
pub struct Stat {
    pub mode: u32,
    /// A symlink's target fully resolved inside the container.
    pub link_target: Option<String>,
}

impl Stat {
    pub fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }
}

/// docker's containerFileNotFound.
pub fn not_found(path: &str, container: &str) -> Error {
    Error::new(format!(
        "Could not find the file {path} in container {container}"
    ))
    .with_code(1)
}

/// The error's text as Go prints an errno: lower case, no "(os error N)".
pub fn go_msg(e: &io::Error) -> String {
    let s = match e.raw_os_error() {
        Some(n) => io::Error::from_raw_os_error(n).to_string(),
        None => return e.to_string(),
    };
    let s = s.split(" (os error").next().unwrap_or(&s);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// How this process sees container `bundle`: through its running
/// process, or (`mounted`) under the mounts apply made for us. Otherwise
/// re-exec under apply (does not return).
pub fn open(
    root: &Root,
    bundle: &Path,
    name: &str,
    mounted: bool,
    reexec: &[String],
) -> Result<View> {
    let readonly_rootfs = rvol_state::bundle::Container::at(bundle.to_path_buf())
        .annotations()
        .ok()
        .and_then(|a| a.hostconfig().ok().flatten())
        .and_then(|h| h.get("ReadonlyRootfs").and_then(|v| v.as_bool()))
        .unwrap_or(false);
    if mounted {
        let rootfs = bundle.join("rootfs");
        let fd = std::fs::File::open(&rootfs).with_ctx(|| format!("open {}", rootfs.display()))?;
        return Ok(View {
            root: fd.into(),
            running: false,
            readonly_rootfs,
            name: name.to_string(),
        });
    }
    let state = rvol_state::bundle::Container::at(bundle.to_path_buf()).state()?;
    if state.running && state.pid > 0 {
        let p = format!("/proc/{}/root", state.pid);
        if let Ok(fd) = std::fs::File::open(&p) {
            return Ok(View {
                root: fd.into(),
                running: true,
                readonly_rootfs,
                name: name.to_string(),
            });
        }
    }
    Err(mount_and_exec(root, bundle, reexec))
}

fn sibling(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|me| me.parent().map(|d| d.join(name)))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

fn mount_and_exec(root: &Root, bundle: &Path, reexec: &[String]) -> Error {
    if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS) {
        return Error::new(format!("cp: unshare a mount namespace: {}", e.desc()));
    }
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("rvol-commit"));
    let mut cmd = std::process::Command::new(sibling("rvol-mount"));
    cmd.arg("apply")
        .arg("--bundle")
        .arg(bundle)
        .arg("--")
        .arg(me);
    cmd.arg("--root").arg(&root.path);
    cmd.args(reexec);
    let e = cmd.exec();
    Error::new(format!("cp: exec rvol-mount apply: {e}"))
}

impl View {
    /// docker's ResolvePath + lstat: the parent followed inside the root,
    /// the last component not. Returns the parent's fd and the last
    /// component (None: the parent itself, for `dir/` and `dir/.`).
    pub fn lookup(&self, path: &str) -> Result<(OwnedFd, Option<String>, libc::stat)> {
        let abs = cppath::preserve_trailing(&cppath::join("/", path), path);
        let (dir, base) = cppath::split(&abs);
        let err = |e: io::Error| {
            if e.raw_os_error() == Some(libc::ENOENT) {
                not_found(path, &self.name)
            } else {
                Error::new(format!("lstat {abs}: {}", go_msg(&e))).with_code(1)
            }
        };
        let parent =
            inroot::open(self.root.as_fd(), dir, libc::O_PATH | libc::O_DIRECTORY).map_err(err)?;
        let (leaf, st) = if base.is_empty() || base == "." {
            (None, inroot::fstat(parent.as_fd()).map_err(err)?)
        } else {
            (
                Some(base.to_string()),
                lstat_at(parent.as_raw_fd(), &cstr(base.as_bytes())?).map_err(err)?,
            )
        };
        if self.running {
            // A kernel file system of the running container: docker's
            // daemon does not see it.
            let probe = match &leaf {
                Some(l) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => {
                    inroot::open(parent.as_fd(), l, libc::O_PATH | libc::O_DIRECTORY).ok()
                }
                _ => None,
            };
            let on = probe
                .as_ref()
                .map(|p| crate::cptree::on_kernel_fs(p.as_fd()));
            if on.unwrap_or_else(|| crate::cptree::on_kernel_fs(parent.as_fd())) {
                return Err(not_found(path, &self.name));
            }
        }
        Ok((parent, leaf, st))
    }

    /// docker's ContainerStatPath.
    pub fn stat(&self, path: &str) -> Result<Stat> {
        let (_, _, st) = self.lookup(path)?;
        let link_target = if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
            let abs = cppath::preserve_trailing(&cppath::join("/", path), path);
            Some(
                self.scope_path(&abs)
                    .map_err(|e| Error::new(format!("{abs}: {e}")))?,
            )
        } else {
            None
        };
        Ok(Stat {
            mode: st.st_mode,
            link_target,
        })
    }

    /// moby's FollowSymlinkInScope: `path` with every symlink resolved
    /// inside the root, components that do not exist kept as they are.
    /// Each step is a lookup by fd inside the root; the string is only
    /// the answer (used again only through inroot, so a link changed
    /// meanwhile still resolves inside).
    pub fn scope_path(&self, path: &str) -> io::Result<String> {
        let mut done: Vec<String> = Vec::new();
        let mut todo: std::collections::VecDeque<String> =
            path.split('/').map(String::from).collect();
        let mut links = 0;
        while let Some(c) = todo.pop_front() {
            match c.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let parent = format!("/{}", done.join("/"));
            let pfd = inroot::open(self.root.as_fd(), &parent, libc::O_PATH | libc::O_DIRECTORY)?;
            let name = cstr(c.as_bytes())?;
            match lstat_at(pfd.as_raw_fd(), &name) {
                Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFLNK => {
                    links += 1;
                    if links > 255 {
                        return Err(io::Error::from_raw_os_error(libc::ELOOP));
                    }
                    let t =
                        String::from_utf8_lossy(&readlink_at(pfd.as_raw_fd(), &name)?).into_owned();
                    if t.starts_with('/') {
                        done.clear();
                    }
                    for (i, part) in t.split('/').enumerate() {
                        todo.insert(i, part.to_string());
                    }
                }
                Ok(_) => done.push(c),
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => done.push(c),
                Err(e) => return Err(e),
            }
        }
        Ok(format!("/{}", done.join("/")))
    }

    /// `USER[:GROUP]` (names or numbers) as uid:gid, names looked up in
    /// the container's /etc/passwd and /etc/group, read by fd inside it.
    /// (docker 20.10 asks the host's getent instead, and fails for a user
    /// the host does not have.)
    pub fn resolve_user(&self, spec: &str) -> Result<(u32, u32)> {
        let (user, group) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        let table = |path: &str| -> Vec<Vec<String>> {
            let Ok(fd) = inroot::open(self.root.as_fd(), path, libc::O_RDONLY) else {
                return Vec::new();
            };
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut s);
            s.lines()
                .map(|l| l.split(':').map(String::from).collect())
                .collect()
        };
        let unknown = || {
            Error::new(format!(
                "unable to find user {spec}: no matching entries in passwd file"
            ))
            .with_code(1)
        };
        let passwd = table("/etc/passwd");
        let (uid, pgid) = match user.parse::<u32>() {
            Ok(n) => (
                n,
                passwd
                    .iter()
                    .find(|f| f.get(2).map(String::as_str) == Some(user))
                    .and_then(|f| f.get(3)?.parse().ok())
                    .unwrap_or(n),
            ),
            Err(_) => {
                let f = passwd
                    .iter()
                    .find(|f| f.first().map(String::as_str) == Some(user))
                    .ok_or_else(unknown)?;
                let n = |i: usize| f.get(i).and_then(|x| x.parse::<u32>().ok());
                (n(2).ok_or_else(unknown)?, n(3).ok_or_else(unknown)?)
            }
        };
        let gid = match group {
            None => pgid,
            Some(g) => match g.parse::<u32>() {
                Ok(n) => n,
                Err(_) => table("/etc/group")
                    .iter()
                    .find(|f| f.first().map(String::as_str) == Some(g))
                    .and_then(|f| f.get(2)?.parse().ok())
                    .ok_or_else(|| {
                        Error::new(format!(
                            "unable to find group {g}: no matching entries in group file"
                        ))
                        .with_code(1)
                    })?,
            },
        };
        Ok((uid, gid))
    }
}

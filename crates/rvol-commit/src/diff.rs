//! `docker diff` and `docker export`: the container's tree against its
//! parent's, as docker's naive diff driver compares them (moby's
//! pkg/archive changes.go: ChangesDirs, addChanges, statDifferent), and
//! the container's tree as one tar. Both read the views of `fsview`, so a
//! volume or a bind shows only as its mount point, the image's files
//! under it as they are (docs/docker-behaviour.md §15).

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};

use rvol_state::{container, Error, Result, ResultExt, Root};

use crate::cpsink::{tar_out, write_children};
use crate::cptree::{cstr, lstat_at, openat, read_names, Xattrs};
use crate::fsview;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Change {
    Add,
    Modify,
    Delete,
}

impl Change {
    fn letter(self) -> char {
        match self {
            Change::Add => 'A',
            Change::Modify => 'C',
            Change::Delete => 'D',
        }
    }
}

pub fn diff(root: &Root, name: &str) -> Result<i32> {
    let id = container::find(root, name).map_err(|e| e.with_code(1))?;
    let v = fsview::mount_views(&root.container(&id))?;
    let mut out = Vec::new();
    let merged: OwnedFd = v.merged.into();
    let base: OwnedFd = v.base.into();
    add_changes(&merged, Some(&base), "", false, &mut out).ctx("diff")?;
    let mut w = std::io::stdout().lock();
    for (c, p) in out {
        writeln!(w, "{} {p}", c.letter())?;
    }
    Ok(0)
}

fn dir_at(dir: &OwnedFd, name: &str) -> Option<OwnedFd> {
    openat(
        dir.as_raw_fd(),
        &cstr(name.as_bytes()).ok()?,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
    )
    .ok()
}

fn capability(dir: &OwnedFd, name: &str) -> Option<Vec<u8>> {
    let p = cstr(format!("/proc/self/fd/{}/{name}", dir.as_raw_fd()).as_bytes()).ok()?;
    let mut buf = vec![0u8; 1024];
    // SAFETY: C strings and a buffer of its length.
    let n = unsafe {
        libc::lgetxattr(
            p.as_ptr(),
            c"security.capability".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    (n >= 0).then(|| {
        buf.truncate(n as usize);
        buf
    })
}

fn is_dir(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

/// moby's statDifferent: type and mode, owner, rdev; for non-directories
/// also mtime and size.
fn stat_different(o: &libc::stat, n: &libc::stat) -> bool {
    o.st_mode != n.st_mode
        || o.st_uid != n.st_uid
        || o.st_gid != n.st_gid
        || o.st_rdev != n.st_rdev
        || (!is_dir(o)
            && (o.st_mtime != n.st_mtime
                || o.st_mtime_nsec != n.st_mtime_nsec
                || o.st_size != n.st_size))
}

/// What rvol's runtime made where the image had nothing, and docker keeps
/// in the container's init layer (out of its diff): empty /etc files for
/// the hostname/hosts/resolv.conf binds, empty /proc /sys /dev.
fn runtime_mountpoint(path: &str, dir: &OwnedFd, name: &str, st: &libc::stat) -> bool {
    match path {
        "/etc/hostname" | "/etc/hosts" | "/etc/resolv.conf" => {
            st.st_mode & libc::S_IFMT == libc::S_IFREG && st.st_size == 0
        }
        "/proc" | "/sys" | "/dev" => {
            is_dir(st)
                && dir_at(dir, name)
                    .and_then(|d| read_names(&d).ok())
                    .is_some_and(|n| n.is_empty())
        }
        _ => false,
    }
}

/// moby's addChanges, children in byte order (docker's come in Go's map
/// order, which differs from run to run).
fn add_changes(
    new: &OwnedFd,
    old: Option<&OwnedFd>,
    path: &str,
    added: bool,
    out: &mut Vec<(Change, String)>,
) -> Result<()> {
    let at_entry = out.len();
    let new_names = read_names(new).with_ctx(|| format!("read {}", shown(path)))?;
    let mut old_names: Vec<Vec<u8>> = match old {
        Some(o) => read_names(o).with_ctx(|| format!("read {}", shown(path)))?,
        None => Vec::new(),
    };
    for n in &new_names {
        let name = String::from_utf8_lossy(n).into_owned();
        let child = format!("{path}/{name}");
        let nst = lstat_at(new.as_raw_fd(), &cstr(n)?).with_ctx(|| format!("lstat {child}"))?;
        let in_old = old_names.iter().position(|o| o == n);
        let ost = match (old, in_old) {
            (Some(o), Some(_)) => lstat_at(o.as_raw_fd(), &cstr(n)?).ok(),
            _ => None,
        };
        if let Some(i) = in_old {
            old_names.remove(i);
        }
        let mut child_added = false;
        match &ost {
            None => {
                if runtime_mountpoint(&child, new, &name, &nst) {
                    continue;
                }
                out.push((Change::Add, child.clone()));
                child_added = true;
            }
            Some(o) => {
                let cap_differs =
                    old.is_some_and(|od| capability(od, &name) != capability(new, &name));
                if stat_different(o, &nst) || cap_differs {
                    out.push((Change::Modify, child.clone()));
                    child_added = true;
                }
            }
        }
        if is_dir(&nst) {
            let nd = dir_at(new, &name).ok_or_else(|| Error::new(format!("open {child}")))?;
            let od = match (&ost, old) {
                (Some(o), Some(odir)) if is_dir(o) => dir_at(odir, &name),
                _ => None,
            };
            add_changes(&nd, od.as_ref(), &child, child_added, out)?;
        }
    }
    for o in old_names {
        out.push((
            Change::Delete,
            format!("{path}/{}", String::from_utf8_lossy(&o)),
        ));
    }
    if out.len() > at_entry && !added && !path.is_empty() {
        out.insert(at_entry, (Change::Modify, path.to_string()));
    }
    Ok(())
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// `docker export [-o FILE] C`: the container's tree, entries named
/// without a leading `./`, as docker writes them.
pub fn export(root: &Root, name: &str, output: Option<&str>) -> Result<i32> {
    // SAFETY: isatty on a standard fd.
    if output.is_none() && unsafe { libc::isatty(1) } == 1 {
        return Err(Error::new(
            "cowardly refusing to save to a terminal. Use the -o flag or redirect",
        )
        .with_code(1));
    }
    let id = container::find(root, name).map_err(|e| e.with_code(1))?;
    let v = fsview::mount_views(&root.container(&id))?;
    let merged: OwnedFd = v.merged.into();
    tar_out(output, |sink| {
        write_children(&merged, sink, Xattrs::Capability)
    })?;
    Ok(0)
}

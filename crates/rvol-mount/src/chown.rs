//! Podman's `:U` (`-v SRC:DST:U`, `--mount ...,U=true`), beyond docker:
//! before the container starts, the mount's source (the volume's `_data`,
//! mounted by then if it has options, or the bind's host directory) is
//! given, recursively, to the container's user and group. apply does it,
//! with the container's root mounted: the user is read from the image's
//! own /etc/passwd and /etc/group as rvol-exec will resolve it (a name,
//! or numbers; `user` alone takes the user's primary group). The walk is
//! by file descriptor and never follows a symlink (a link is chowned
//! itself), so a link planted in the source cannot lead it elsewhere.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{Gid, Uid};
use rvol_state::{inroot, Error, Result};

/// uid and gid of `user` (`name|uid[:group|gid]`, empty: root) in the
/// root at `rootfs`.
pub fn resolve(rootfs: BorrowedFd, user: &str) -> Result<(u32, u32)> {
    if user.is_empty() {
        return Ok((0, 0));
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let passwd = read(rootfs, "/etc/passwd");
    // name:x:uid:gid:...
    let entry = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && (f[0] == u || f[2] == u));
    let (uid, primary) = match (&entry, u.parse::<u32>()) {
        (Some(f), _) => (f[2].parse().unwrap_or(0), f[3].parse().unwrap_or(0)),
        (None, Ok(n)) => (n, 0),
        (None, Err(_)) => {
            return Err(Error::new(format!(
                "unable to find user {u}: no matching entries in passwd file"
            )))
        }
    };
    let gid = match g {
        None => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => read(rootfs, "/etc/group")
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() >= 3 && f[0] == g)
                .and_then(|f| f[2].parse().ok())
                .ok_or_else(|| {
                    Error::new(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        },
    };
    Ok((uid, gid))
}

/// A file of the image, or nothing when it has none.
fn read(rootfs: BorrowedFd, path: &str) -> String {
    match inroot::open(rootfs, path, libc::O_RDONLY) {
        Ok(fd) => std::io::read_to_string(std::fs::File::from(fd)).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Every entry under `dir` (a host path), and `dir` itself.
pub fn chown_tree(dir: &str, uid: u32, gid: u32) -> Result<()> {
    let fail = |what: &str, e: nix::Error| {
        Error::new(format!(
            "chown {dir} to {uid}:{gid} (:U): {what}: {}",
            e.desc()
        ))
    };
    let top = nix::fcntl::open(
        dir,
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| fail("open", e))?;
    walk(top, uid, gid).map_err(|e| fail("walk", e))
}

fn owner(uid: u32, gid: u32) -> (Option<Uid>, Option<Gid>) {
    (Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))
}

/// fchown `fd` (which this call owns and closes), and when it is a
/// directory every entry in it.
fn walk(fd: RawFd, uid: u32, gid: u32) -> nix::Result<()> {
    let (u, g) = owner(uid, gid);
    let st = nix::unistd::fchown(fd, u, g).and_then(|()| nix::sys::stat::fstat(fd));
    let st = match st {
        Ok(st) => st,
        Err(e) => {
            let _ = nix::unistd::close(fd);
            return Err(e);
        }
    };
    if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
        return nix::unistd::close(fd);
    }
    let mut d = nix::dir::Dir::from_fd(fd)?;
    let dfd = d.as_raw_fd();
    let mut subdirs = Vec::new();
    for e in d.iter() {
        let e = e?;
        let name = e.file_name().to_owned();
        if name.as_bytes() == b"." || name.as_bytes() == b".." {
            continue;
        }
        match e.file_type() {
            Some(nix::dir::Type::Directory) => subdirs.push(name),
            _ => nix::unistd::fchownat(
                Some(dfd),
                name.as_c_str(),
                u,
                g,
                AtFlags::AT_SYMLINK_NOFOLLOW,
            )?,
        }
    }
    for name in subdirs {
        let sub = nix::fcntl::openat(
            Some(dfd),
            name.as_c_str(),
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        walk(sub, uid, gid)?;
    }
    Ok(())
}

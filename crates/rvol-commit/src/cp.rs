//! `docker cp`: files between a container and the host, in docker's two
//! halves: what the CLI decides on the host (cphost), what the daemon
//! does inside the container (cpview), and the names between them
//! (cppath). One process does both: the container's tree is an fd, the
//! host's is `/`. Errors are docker's texts with its status 1
//! (docs/docker-behaviour.md §15).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use rvol_state::{container, Error, Result, Root};

use crate::cphost;
use crate::cppath::{self, CopyInfo, Rebase};
use crate::cpsink::{read_tar, DirSink, Owner, TarSink};
use crate::cptree::{Sink, Walker, Xattrs};
use crate::cpview::{self, View};

pub struct CpArgs {
    pub archive: bool,
    pub follow: bool,
    /// Set by the re-exec under `rvol-mount apply`: the bundle is mounted.
    pub mounted: bool,
    pub src: String,
    pub dst: String,
}

fn fail(msg: impl Into<String>) -> Error {
    Error::new(msg).with_code(1)
}

pub fn cp(root: &Root, a: &CpArgs) -> Result<i32> {
    if a.src.is_empty() {
        return Err(fail("source can not be empty"));
    }
    if a.dst.is_empty() {
        return Err(fail("destination can not be empty"));
    }
    let (sc, sp) = cppath::split_cp_arg(&a.src);
    let (dc, dp) = cppath::split_cp_arg(&a.dst);
    match (sc.is_empty(), dc.is_empty()) {
        (false, true) => from_container(root, a, &sc, &sp, &dp),
        (true, false) => to_container(root, a, &dc, &sp, &dp),
        (false, false) => Err(fail("copying between containers is not supported")),
        (true, true) => Err(fail("must specify at least one container source")),
    }
}

/// The arguments of the same copy, for the re-exec under apply.
fn reexec_args(a: &CpArgs) -> Vec<String> {
    let mut v = vec!["cp".to_string(), "--mounted".into()];
    if a.archive {
        v.push("-a".into());
    }
    if a.follow {
        v.push("-L".into());
    }
    v.extend(["--".into(), a.src.clone(), a.dst.clone()]);
    v
}

fn view(root: &Root, a: &CpArgs, name: &str) -> Result<View> {
    let id = container::find(root, name).map_err(|e| e.with_code(1))?;
    let bundle = root.container(&id);
    cpview::open(root, &bundle, name, a.mounted, &reexec_args(a))
}

fn host_root() -> Result<OwnedFd> {
    Ok(std::fs::File::open("/")?.into())
}

fn from_container(root: &Root, a: &CpArgs, name: &str, src: &str, dst: &str) -> Result<i32> {
    let dst_path = if dst == "-" {
        dst.to_string()
    } else {
        cphost::resolve_local(dst)
    };
    cphost::validate_output(&dst_path)?;
    let v = view(root, a, name)?;
    let mut src_path = src.to_string();
    let mut rebase_name = None;
    if a.follow {
        if let Ok(st) = v.stat(&src_path) {
            if let Some(t) = st.link_target {
                let (p, r) = cppath::get_rebase_name(&src_path, &t);
                src_path = p;
                rebase_name = r;
            }
        }
    }
    let (parent, leaf, st) = v.lookup(&src_path)?;
    let abs = cppath::preserve_trailing(&cppath::join("/", &src_path), &src_path);
    let top = cppath::top_name(&abs);
    if dst_path == "-" {
        let mut sink = TarSink::new(std::io::stdout().lock());
        walk(&mut sink, Vec::new(), &parent, leaf.as_deref(), &top)?;
        return Ok(0);
    }
    let src_info = CopyInfo {
        path: src_path.clone(),
        exists: true,
        is_dir: st.st_mode & libc::S_IFMT == libc::S_IFDIR,
        rebase_name: rebase_name.clone(),
    };
    let mut rebases: Vec<Rebase> = Vec::new();
    if let Some(r) = &rebase_name {
        rebases.push((cppath::split_path_dir_entry(&src_path).1, r.clone()));
    }
    let dst_info = cphost::destination_info(&dst_path)?;
    let (dst_dir, rb) = cppath::prepare_archive_copy(&src_info, &dst_info).map_err(fail)?;
    rebases.extend(rb);
    let mut sink = DirSink::new(host_root()?, &dst_dir, Owner::Caller)
        .map_err(|e| fail(format!("{dst_dir}: {}", cpview::go_msg(&e))))?;
    walk(&mut sink, rebases, &parent, leaf.as_deref(), &top)?;
    Ok(0)
}

fn walk(
    sink: &mut dyn Sink,
    rebases: Vec<Rebase>,
    parent: &OwnedFd,
    leaf: Option<&str>,
    top: &str,
) -> Result<()> {
    let mut w = Walker::new(sink, Xattrs::Capability, rebases);
    w.walk(parent.as_fd(), leaf.map(str::as_bytes), top.as_bytes())?;
    w.sink.finish()
}

fn to_container(root: &Root, a: &CpArgs, name: &str, src: &str, dst: &str) -> Result<i32> {
    let src_path = if src == "-" {
        src.to_string()
    } else {
        cphost::resolve_local(src)
    };
    // An unknown container fails only at the extraction (docker's CLI
    // ignores the failed stat of the destination and goes on).
    let v = match container::find(root, name) {
        Ok(_) => Some(view(root, a, name)?),
        Err(_) => None,
    };
    let mut dst_info = CopyInfo {
        path: dst.to_string(),
        ..CopyInfo::default()
    };
    if let Some(v) = &v {
        let mut st = v.stat(dst);
        if let Ok(Some(t)) = st.as_ref().map(|s| s.link_target.clone()) {
            dst_info.path = t.clone();
            st = v.stat(&t);
        }
        if let Ok(s) = st {
            let ty = s.mode & libc::S_IFMT;
            if ty == libc::S_IFCHR || ty == libc::S_IFBLK {
                return Err(fail(format!(
                    "destination \"{name}:{dst}\" must be a directory or a regular file: got a device"
                )));
            }
            dst_info.exists = true;
            dst_info.is_dir = s.is_dir();
        }
    }
    // docker keeps the archive's owners; -a gives everything to the
    // container's user, when it has one (docs/docker-behaviour.md §15).
    let owner = match (&v, a.archive) {
        (Some(v), true) => match container_user(root, name)? {
            Some(u) => {
                let (uid, gid) = v.resolve_user(&u)?;
                Owner::Fixed(uid, gid)
            }
            None => Owner::Keep,
        },
        _ => Owner::Keep,
    };
    if src_path == "-" {
        if !dst_info.is_dir {
            return Err(fail(format!(
                "destination \"{name}:{dst}\" must be a directory"
            )));
        }
        let mut sink = extract_point(v.as_ref(), name, &dst_info.path, owner)?;
        read_tar(std::io::stdin().lock(), &mut sink)?;
        return Ok(0);
    }
    let src_info = cphost::source_info(&src_path, a.follow)?;
    let (src_dir, src_base) = cppath::split_path_dir_entry(&src_info.path);
    let mut rebases: Vec<Rebase> = Vec::new();
    if let Some(r) = &src_info.rebase_name {
        rebases.push((src_base.clone(), r.clone()));
    }
    let (dst_dir, rb) = cppath::prepare_archive_copy(&src_info, &dst_info).map_err(fail)?;
    rebases.extend(rb);
    let mut sink = extract_point(v.as_ref(), name, &dst_dir, owner)?;
    let dir = std::fs::File::open(&src_dir)
        .map_err(|e| fail(format!("open {src_dir}: {}", cpview::go_msg(&e))))?;
    let leaf = (src_base != ".").then_some(src_base.as_str());
    let dir: OwnedFd = dir.into();
    walk(&mut sink, rebases, &dir, leaf, &src_base)?;
    Ok(0)
}

/// The container's Config.User, when set.
fn container_user(root: &Root, name: &str) -> Result<Option<String>> {
    let id = container::find(root, name)?;
    let c = rvol_state::bundle::Container::at(root.container(&id));
    let user = c
        .annotations()?
        .config()?
        .and_then(|m| m.get("User").and_then(|u| u.as_str()).map(String::from))
        .filter(|u| !u.is_empty());
    Ok(user)
}

/// docker's containerExtractToDir: the directory, resolved inside the
/// container, must exist and be one.
fn extract_point(v: Option<&View>, name: &str, path: &str, owner: Owner) -> Result<DirSink> {
    let v = v.ok_or_else(|| fail(format!("No such container: {name}")))?;
    let abs = cppath::preserve_trailing(&cppath::join("/", path), path);
    let root = rvol_state::inroot::open(v.root.as_fd(), "/", libc::O_PATH | libc::O_DIRECTORY)?;
    let at = rvol_state::inroot::open(v.root.as_fd(), &abs, libc::O_PATH | libc::O_DIRECTORY)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENOENT) => cpview::not_found(path, name),
            Some(libc::ENOTDIR) => fail("extraction point is not a directory"),
            _ => fail(format!("{abs}: {}", cpview::go_msg(&e))),
        })?;
    // docker's checks: the root file system of a --read-only container,
    // a volume or bind mounted read-only.
    let on_root = rvol_state::inroot::fstat(at.as_fd())?.st_dev
        == rvol_state::inroot::fstat(root.as_fd())?.st_dev;
    if on_root && v.readonly_rootfs {
        return Err(fail("container rootfs is marked read-only"));
    }
    if read_only(&at) {
        return Err(fail(if on_root {
            "container rootfs is marked read-only"
        } else {
            "mounted volume is marked read-only"
        }));
    }
    DirSink::new(root, &abs, owner).map_err(|e| fail(format!("{abs}: {}", cpview::go_msg(&e))))
}

fn read_only(fd: &OwnedFd) -> bool {
    // SAFETY: zeroed statvfs is a valid out-buffer; an fd we hold.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstatvfs(fd.as_raw_fd(), &mut s) } == 0) && s.f_flag & libc::ST_RDONLY != 0
}

//! `rvol-mount apply`: in the current (new, private) mount namespace,
//! stack the overlay root on the bundle's rootfs, then make every mount
//! of the spec, shallowest destination first, each destination resolved
//! inside the rootfs by fd and mounted through /proc/self/fd/N. Then
//! exec the rest of argv (chain loading). The spec is read once into a
//! plan (`applyplan`); this file only performs it, in order.

use std::ffi::{CString, OsString};
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use rvol_state::error::{EXIT_CANNOT_RUN, EXIT_NOT_FOUND};
use rvol_state::{mountopt, Error, Result, ResultExt};

use crate::applyplan::{MountOp, Overlay, Plan, SourceMust, What};
use rvol_state::inroot::{self, Leaf};

pub struct ApplyArgs {
    pub bundle: Option<PathBuf>,
    pub cmd: Vec<OsString>,
}

pub fn run(args: ApplyArgs) -> Result<i32> {
    let r = apply(args);
    // A failure before the command starts is the state's `Error`.
    if let Err(e) = &r {
        rvol_state::start_fd::report(&e.msg);
    }
    r
}

fn apply(args: ApplyArgs) -> Result<i32> {
    let plan = match &args.bundle {
        Some(b) => {
            let path = b.join("config.json");
            let bytes = std::fs::read(&path).with_ctx(|| format!("read {}", path.display()))?;
            Plan::new(&bytes, &path.display().to_string(), Some(b))?
        }
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .ctx("read config.json from stdin")?;
            Plan::new(&buf, "config.json from stdin", None)?
        }
    };
    perform(&plan)?;
    if args.cmd.is_empty() {
        return Ok(0);
    }
    Err(exec(&args.cmd))
}

/// The plan, step by step: each step one syscall or a few, each failure
/// naming the step.
fn perform(plan: &Plan) -> Result<()> {
    refuse_host_namespace()?;
    // Before / changes: a shared or slave bind needs a source mount that
    // is (docker checks this at start; the namespace is still the host's copy).
    check_propagation_sources(&plan.mounts)?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        plan.root_propagation,
        None::<&str>,
    )
    .with_ctx(|| {
        format!(
            "apply: set the propagation of / ({:?})",
            plan.root_propagation_name
        )
    })?;
    // After a recursive slave or private, no mount here is shared any more.
    if plan.root_propagation.intersects(MsFlags::MS_SHARED) {
        parent_mount_private(&plan.rootfs)?;
    }
    mount_overlay(&plan.overlay, &plan.rootfs)?;
    if let Err(e) = mount_all(&plan.mounts, &plan.rootfs).and_then(|()| chown(plan)) {
        // Private namespace or not, leave nothing mounted behind.
        let _ = umount2(&plan.rootfs, MntFlags::MNT_DETACH);
        return Err(e);
    }
    Ok(())
}

/// `:U`: with the root mounted, the user is known (crate::chown).
fn chown(plan: &Plan) -> Result<()> {
    if plan.chown.is_empty() {
        return Ok(());
    }
    let root =
        std::fs::File::open(&plan.rootfs).with_ctx(|| format!("open {}", plan.rootfs.display()))?;
    let (uid, gid) = crate::chown::resolve(root.as_fd(), &plan.user)?;
    for src in &plan.chown {
        crate::chown::chown_tree(src, uid, gid)?;
    }
    Ok(())
}

/// apply makes / rslave and mounts over it: never in the host's own
/// mount namespace (rvol-ns, or `unshare -m`, makes a new one).
fn refuse_host_namespace() -> Result<()> {
    // The namespace links name the namespace itself: two readlinks, where
    // reading two mountinfo files was 15% of an apply (perf).
    if let (Ok(me), Ok(init)) = (
        std::fs::read_link("/proc/self/ns/mnt"),
        std::fs::read_link("/proc/1/ns/mnt"),
    ) {
        if me == init {
            return Err(host_namespace());
        }
        return Ok(());
    }
    // /proc/1/ns/mnt may be unreadable (a sandboxed init), but mount ids
    // are unique system-wide and a new namespace gets new ones: compare
    // the id of the mount at `/` in ours and in init's.
    let root_id = |p: &str| -> Option<String> {
        let info = std::fs::read_to_string(p).ok()?;
        info.lines()
            .find(|l| l.split(' ').nth(4) == Some("/"))
            .and_then(|l| l.split(' ').next())
            .map(String::from)
    };
    let me = root_id("/proc/self/mountinfo");
    if me.is_some() && me == root_id("/proc/1/mountinfo") {
        return Err(host_namespace());
    }
    Ok(())
}

fn host_namespace() -> Error {
    Error::new(
        "apply: refusing to mount in the host's mount namespace; run it under rvol-ns (or unshare --mount)",
    )
}

fn mount_overlay(o: &Overlay, rootfs: &Path) -> Result<()> {
    let upper = format!(
        ",upperdir={},workdir={}",
        o.upper.display(),
        o.work.display()
    );
    let mut lowers = o.lower_dirs.join(":");
    // mount(2) data is one page: with many layers, name them relative to
    // their common directory (overlayfs resolves them from our cwd).
    let cwd = std::env::current_dir().ok();
    if lowers.len() + upper.len() > 4000 {
        if let Some(common) = common_parent(&o.lower_dirs) {
            std::env::set_current_dir(&common)
                .with_ctx(|| format!("chdir {}", common.display()))?;
            lowers = o
                .lower_dirs
                .iter()
                .map(|l| {
                    let p = Path::new(l);
                    p.strip_prefix(&common).unwrap_or(p).display().to_string()
                })
                .collect::<Vec<_>>()
                .join(":");
        }
    }
    // Rootless: `userxattr` (rvol_state::rootless).
    let data = format!(
        "{}lowerdir={lowers}{upper}",
        rvol_state::rootless::overlay_options()
    );
    let mount_with = |data: &str| {
        mount(
            Some("overlay"),
            rootfs,
            Some("overlay"),
            MsFlags::empty(),
            Some(data),
        )
    };
    // An --rm container's upper dir is deleted when it ends: `volatile`
    // (Linux 5.10, as podman does for --rm) spares the syncfs of the whole
    // upper filesystem that unmounting an overlay otherwise waits for
    // (5-15 ms at the container's exit on a busy disk). The kernel refuses
    // to mount over the marker an earlier volatile mount left in work/:
    // taken away first, as containers/storage does. EINVAL: an older
    // kernel; then as usual.
    let r = if o.volatile {
        let _ = std::fs::remove_dir_all(o.work.join("work/incompat/volatile"));
        match mount_with(&format!("{data},volatile")) {
            Err(nix::Error::EINVAL) => mount_with(&data),
            r => r,
        }
    } else {
        mount_with(&data)
    }
    .with_ctx(|| format!("mount overlay on {} ({data})", rootfs.display()));
    if let Some(cwd) = cwd {
        let _ = std::env::set_current_dir(cwd);
    }
    r
}

/// The deepest directory holding every layer (`<root>/layers`).
fn common_parent(dirs: &[String]) -> Option<PathBuf> {
    let mut common = Path::new(dirs.first()?).parent()?.to_path_buf();
    while !dirs.iter().all(|d| Path::new(d).starts_with(&common)) {
        common = common.parent()?.to_path_buf();
    }
    Some(common)
}

/// runc's rootfsParentMountPrivate: under a shared / the mount holding
/// the rootfs may be a peer of the host's; made private (in our namespace
/// only), so that the overlay and what is mounted on it stay here.
fn parent_mount_private(rootfs: &Path) -> Result<()> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ctx("read mountinfo")?;
    let real = std::fs::canonicalize(rootfs).unwrap_or_else(|_| rootfs.to_path_buf());
    let holder = info
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let mp = PathBuf::from(f.get(4)?.replace("\\040", " "));
            real.starts_with(&mp).then_some((mp, l))
        })
        .max_by_key(|(mp, _)| mp.as_os_str().len());
    let Some((mp, line)) = holder else {
        return Ok(());
    };
    let tags = line.split(" - ").next().unwrap_or("");
    if !tags.split(' ').skip(6).any(|t| t.starts_with("shared:")) {
        return Ok(());
    }
    mount(
        None::<&str>,
        &mp,
        None::<&str>,
        MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .with_ctx(|| format!("apply: make {} (holding the rootfs) private", mp.display()))
}

/// docker's ensureShared / ensureSharedOrSlave for binds that ask for
/// shared or slave propagation: the mount holding the source must be.
fn check_propagation_sources(mounts: &[MountOp]) -> Result<()> {
    if !mounts.iter().any(|m| m.source_must.is_some()) {
        return Ok(());
    }
    // The host's view: rvol-ns has already made our copy rslave, but its
    // parent (our parent) stays in the mount namespace it was started in.
    // getppid() is 0 for a pid namespace's first process; /proc (still
    // the host's here) numbers the parent as the host does.
    let ppid = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|st| st.rsplit(") ").next().map(String::from))
        .and_then(|rest| rest.split(' ').nth(1).map(String::from))
        .unwrap_or_else(|| nix::unistd::getppid().to_string());
    let parent = format!("/proc/{ppid}/mountinfo");
    let info = std::fs::read_to_string(&parent)
        .or_else(|_| std::fs::read_to_string("/proc/self/mountinfo"))
        .ctx("read mountinfo")?;
    for m in mounts {
        let Some(must) = m.source_must else { continue };
        let src = &m.source;
        let real = std::fs::canonicalize(src).unwrap_or_else(|_| PathBuf::from(src));
        // The deepest mount point holding the source, and its tags.
        let holder = info
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                let mp = f.get(4)?.replace("\\040", " ");
                real.starts_with(&mp).then(|| (mp, l.to_string()))
            })
            .max_by_key(|(mp, _)| mp.len());
        let Some((mp, line)) = holder else { continue };
        let tags: Vec<&str> = line
            .split(" - ")
            .next()
            .unwrap_or("")
            .split(' ')
            .skip(6)
            .collect();
        let is_shared = tags.iter().any(|t| t.starts_with("shared:"));
        let is_slave = tags.iter().any(|t| t.starts_with("master:"));
        match must {
            SourceMust::BeShared if !is_shared => {
                return Err(Error::new(format!(
                    "path {src} is mounted on {mp} but it is not a shared mount"
                )));
            }
            SourceMust::BeSharedOrSlave if !(is_shared || is_slave) => {
                return Err(Error::new(format!(
                    "path {src} is mounted on {mp} but it is not a shared or slave mount"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn mount_all(mounts: &[MountOp], rootfs: &Path) -> Result<()> {
    let root: OwnedFd = std::fs::File::open(rootfs)
        .with_ctx(|| format!("open {}", rootfs.display()))?
        .into();
    for m in mounts {
        mount_one(&root, m)?;
    }
    Ok(())
}

/// runc's error, so people recognise it.
fn mount_error(src: &str, dst: &str, via: &str, flags: MsFlags, e: nix::Error) -> Error {
    let desc = e.desc();
    let mut desc = desc.to_string();
    if let Some(first) = desc.get(..1) {
        desc = first.to_lowercase() + &desc[1..];
    }
    let mut msg = format!(
        "error mounting \"{src}\" to rootfs at \"{dst}\": mount {src}:{dst} (via {via}), flags: {:#x}: {desc}",
        flags.bits()
    );
    if e == nix::Error::ENOTDIR {
        msg.push_str(": Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type");
    }
    Error::new(msg)
}

fn mount_one(root: &OwnedFd, m: &MountOp) -> Result<()> {
    let (src, dst) = (m.source.as_str(), m.destination.as_str());
    let bind = matches!(m.what, What::Bind { .. });
    let leaf = if bind && !Path::new(src).is_dir() {
        if !Path::new(src).exists() {
            return Err(Error::new(format!(
                "error mounting \"{src}\" to rootfs at \"{dst}\": stat {src}: no such file or directory"
            )));
        }
        Leaf::File
    } else {
        Leaf::Dir
    };
    let target = inroot::make_all(root.as_fd(), dst, leaf).map_err(|e| {
        Error::new(format!(
            "error mounting \"{src}\" to rootfs at \"{dst}\": make mountpoint: {e}"
        ))
    })?;
    let via = inroot::fd_path(&target);
    let (fstype, data) = match &m.what {
        What::Bind { .. } => (None, None),
        What::Fs { fstype, data } => (Some(fstype.as_str()), Some(data.as_str())),
    };
    mount(Some(src), via.as_str(), fstype, m.flags, data)
        .map_err(|e| mount_error(src, dst, &via, m.flags, e))?;
    // The fd still names the directory under the new mount: reopen the
    // destination to reach the mount itself.
    drop(target);
    let top = inroot::open(root.as_fd(), dst, libc::O_PATH)
        .map_err(|e| Error::new(format!("reopen {dst} after mounting: {e}")))?;
    let via = inroot::fd_path(&top);
    if let Some(p) = m.propagation {
        mount(None::<&str>, via.as_str(), None::<&str>, p, None::<&str>)
            .map_err(|e| mount_error(src, dst, &via, p, e))?;
    }
    if m.remount_ro {
        // A read-only bind needs a remount, keeping the flags the kernel
        // locked on the source (nosuid, nodev, noexec, atime).
        let kept = nix::sys::statvfs::statvfs(via.as_str())
            .map(|s| mountopt::from_statvfs(s.flags()) - MsFlags::MS_RDONLY)
            .unwrap_or(MsFlags::empty());
        let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | kept;
        mount(
            None::<&str>,
            via.as_str(),
            None::<&str>,
            flags,
            None::<&str>,
        )
        .map_err(|e| mount_error(src, dst, &via, flags, e))?;
    }
    Ok(())
}

/// execvp the rest of argv; returns only on failure: 127 when the
/// command is not found, 126 when it cannot be run.
fn exec(cmd: &[OsString]) -> Error {
    let argv: Vec<CString> = match cmd.iter().map(|a| CString::new(a.as_bytes())).collect() {
        Ok(v) => v,
        Err(_) => {
            return Error::new("exec: an argument holds a NUL byte").with_code(EXIT_CANNOT_RUN)
        }
    };
    let e = nix::unistd::execvp(&argv[0], &argv).unwrap_err();
    let code = if e == nix::Error::ENOENT {
        EXIT_NOT_FOUND
    } else {
        EXIT_CANNOT_RUN
    };
    Error::new(format!("exec {}: {}", cmd[0].to_string_lossy(), e.desc())).with_code(code)
}

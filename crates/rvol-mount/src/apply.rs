//! `rvol-mount apply`: in the current (new, private) mount namespace,
//! stack the overlay root on the bundle's rootfs, then make every mount
//! of the spec, shallowest destination first, each destination resolved
//! inside the rootfs by fd and mounted through /proc/self/fd/N. Then
//! exec the rest of argv (chain loading).

use std::ffi::{CString, OsString};
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use rvol_state::error::{EXIT_CANNOT_RUN, EXIT_NOT_FOUND};
use rvol_state::record::{ann, ImageRecord};
use rvol_state::{fsx, Error, Result, ResultExt};
use serde_json::Value;

use rvol_state::inroot::{self, Leaf};

pub struct ApplyArgs {
    pub bundle: Option<PathBuf>,
    pub cmd: Vec<OsString>,
}

pub fn run(args: ApplyArgs) -> Result<i32> {
    let r = apply(args);
    if let Err(e) = &r {
        report_start_failure(&e.msg);
    }
    r
}

/// rvol-ns (with a bundle) names a pipe in $RVOL_START_FD: a failure
/// before the command starts goes there too, for the state's `Error`
/// (the container stays `created`, as docker's does).
fn report_start_failure(msg: &str) {
    let Some(fd) = std::env::var("RVOL_START_FD")
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|fd| *fd > 2)
    else {
        return;
    };
    // SAFETY: write(2) of our buffer to a descriptor number; EBADF is harmless.
    unsafe { libc::write(fd, msg.as_ptr().cast(), msg.len()) };
}

fn apply(args: ApplyArgs) -> Result<i32> {
    let spec: Value = match &args.bundle {
        Some(b) => fsx::read_json(&b.join("config.json"))?,
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .ctx("read config.json from stdin")?;
            serde_json::from_slice(&buf).ctx("parse config.json from stdin")?
        }
    };
    let rootfs = rootfs_path(&spec, args.bundle.as_deref())?;
    let bundle = match &args.bundle {
        Some(b) => b.clone(),
        None => rootfs.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    refuse_host_namespace()?;
    // Before / changes: a shared or slave bind needs a source mount that
    // is (docker checks this at start; the namespace is still the host's copy).
    check_propagation_sources(&spec)?;
    // rslave as runc's default: host mount events reach the container's
    // copies (a volume under a shared mount stays a slave, as docker's),
    // nothing made here ever reaches the host. `linux.rootfsPropagation`
    // (create's "shared" for a bind asking for it, as docker's) wins.
    let root_prop = spec["linux"]["rootfsPropagation"].as_str().unwrap_or("");
    let root_flags = parse_options(&[root_prop])
        .propagation
        .unwrap_or(MsFlags::MS_REC | MsFlags::MS_SLAVE);
    mount(None::<&str>, "/", None::<&str>, root_flags, None::<&str>)
        .with_ctx(|| format!("apply: set the propagation of / ({root_prop:?})"))?;
    // After a recursive slave or private, no mount here is shared any more.
    if root_flags.intersects(MsFlags::MS_SHARED) {
        parent_mount_private(&rootfs)?;
    }
    mount_overlay(&spec, &bundle, &rootfs)?;
    if let Err(e) = mount_all(&spec, &rootfs) {
        // Private namespace or not, leave nothing mounted behind.
        let _ = umount2(&rootfs, MntFlags::MNT_DETACH);
        return Err(e);
    }
    if args.cmd.is_empty() {
        return Ok(0);
    }
    Err(exec(&args.cmd))
}

fn rootfs_path(spec: &Value, bundle: Option<&Path>) -> Result<PathBuf> {
    let p = spec["root"]["path"]
        .as_str()
        .ok_or_else(|| Error::new("config.json: no root.path"))?;
    let p = PathBuf::from(p);
    Ok(match (p.is_absolute(), bundle) {
        (true, _) => p,
        (false, Some(b)) => b.join(p),
        (false, None) => {
            return Err(Error::new(
                "config.json on stdin: root.path must be absolute",
            ))
        }
    })
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

fn mount_overlay(spec: &Value, bundle: &Path, rootfs: &Path) -> Result<()> {
    let image: ImageRecord = spec["annotations"][ann::IMAGE]
        .as_str()
        .map(serde_json::from_str)
        .transpose()
        .ctx("config.json: annotation org.rvol.image")?
        .ok_or_else(|| Error::new("config.json: no org.rvol.image annotation"))?;
    if image.lower_dirs.is_empty() {
        return Err(Error::new("overlay: the image has no layers"));
    }
    // The init layer (create's) sits above the image: its mount points.
    let lower_dirs: Vec<String> = spec["annotations"][ann::INIT_LAYER]
        .as_str()
        .map(String::from)
        .into_iter()
        .chain(image.lower_dirs.iter().cloned())
        .collect();
    let upper = format!(
        ",upperdir={},workdir={}",
        bundle.join("upper").display(),
        bundle.join("work").display()
    );
    let mut lowers = lower_dirs.join(":");
    // mount(2) data is one page: with many layers, name them relative to
    // their common directory (overlayfs resolves them from our cwd).
    let cwd = std::env::current_dir().ok();
    if lowers.len() + upper.len() > 4000 {
        if let Some(common) = common_parent(&lower_dirs) {
            std::env::set_current_dir(&common)
                .with_ctx(|| format!("chdir {}", common.display()))?;
            lowers = lower_dirs
                .iter()
                .map(|l| {
                    let p = Path::new(l);
                    p.strip_prefix(&common).unwrap_or(p).display().to_string()
                })
                .collect::<Vec<_>>()
                .join(":");
        }
    }
    let data = format!("lowerdir={lowers}{upper}");
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
    let r = if auto_remove(spec) {
        let _ = std::fs::remove_dir_all(bundle.join("work/work/incompat/volatile"));
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

/// `HostConfig.AutoRemove` of the container (`--rm`).
fn auto_remove(spec: &Value) -> bool {
    spec["annotations"][ann::HOSTCONFIG]
        .as_str()
        .and_then(|h| serde_json::from_str::<Value>(h).ok())
        .is_some_and(|h| h["AutoRemove"] == true)
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
fn check_propagation_sources(spec: &Value) -> Result<()> {
    let asks = |m: &Value| {
        m["type"] == "bind"
            && m["options"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|o| matches!(o.as_str(), Some("shared" | "rshared" | "slave" | "rslave")))
    };
    let mounts = spec["mounts"].as_array();
    if !mounts.into_iter().flatten().any(asks) {
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
    for m in spec["mounts"].as_array().into_iter().flatten() {
        let opts: Vec<&str> = m["options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let shared = opts.iter().any(|o| matches!(*o, "shared" | "rshared"));
        let slave = opts.iter().any(|o| matches!(*o, "slave" | "rslave"));
        if m["type"] != "bind" || !(shared || slave) {
            continue;
        }
        let src = m["source"].as_str().unwrap_or("");
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
        if shared && !is_shared {
            return Err(Error::new(format!(
                "path {src} is mounted on {mp} but it is not a shared mount"
            )));
        }
        if slave && !(is_shared || is_slave) {
            return Err(Error::new(format!(
                "path {src} is mounted on {mp} but it is not a shared or slave mount"
            )));
        }
    }
    Ok(())
}

/// Depth of a destination as docker counts it (path elements).
fn depth(dst: &str) -> usize {
    crate::mountspec::clean(dst).split('/').count()
}

fn mount_all(spec: &Value, rootfs: &Path) -> Result<()> {
    let root: OwnedFd = std::fs::File::open(rootfs)
        .with_ctx(|| format!("open {}", rootfs.display()))?
        .into();
    let mut mounts: Vec<&Value> = spec["mounts"].as_array().into_iter().flatten().collect();
    mounts.sort_by_key(|m| depth(m["destination"].as_str().unwrap_or("")));
    for m in mounts {
        mount_one(&root, m)?;
    }
    Ok(())
}

struct Opts {
    flags: MsFlags,
    propagation: Option<MsFlags>,
    data: Vec<String>,
    ro: bool,
    rbind: bool,
}

fn parse_options(options: &[&str]) -> Opts {
    let mut o = Opts {
        flags: MsFlags::empty(),
        propagation: None,
        data: Vec::new(),
        ro: false,
        rbind: false,
    };
    for opt in options {
        let (set, clear) = match *opt {
            "ro" => {
                o.ro = true;
                (MsFlags::MS_RDONLY, MsFlags::empty())
            }
            "rw" => {
                o.ro = false;
                (MsFlags::empty(), MsFlags::MS_RDONLY)
            }
            "nosuid" => (MsFlags::MS_NOSUID, MsFlags::empty()),
            "suid" => (MsFlags::empty(), MsFlags::MS_NOSUID),
            "nodev" => (MsFlags::MS_NODEV, MsFlags::empty()),
            "dev" => (MsFlags::empty(), MsFlags::MS_NODEV),
            "noexec" => (MsFlags::MS_NOEXEC, MsFlags::empty()),
            "exec" => (MsFlags::empty(), MsFlags::MS_NOEXEC),
            "sync" => (MsFlags::MS_SYNCHRONOUS, MsFlags::empty()),
            "async" => (MsFlags::empty(), MsFlags::MS_SYNCHRONOUS),
            "dirsync" => (MsFlags::MS_DIRSYNC, MsFlags::empty()),
            "mand" => (MsFlags::MS_MANDLOCK, MsFlags::empty()),
            "nomand" => (MsFlags::empty(), MsFlags::MS_MANDLOCK),
            "noatime" => (MsFlags::MS_NOATIME, MsFlags::empty()),
            "atime" => (MsFlags::empty(), MsFlags::MS_NOATIME),
            "nodiratime" => (MsFlags::MS_NODIRATIME, MsFlags::empty()),
            "diratime" => (MsFlags::empty(), MsFlags::MS_NODIRATIME),
            "relatime" => (MsFlags::MS_RELATIME, MsFlags::empty()),
            "norelatime" => (MsFlags::empty(), MsFlags::MS_RELATIME),
            "strictatime" => (MsFlags::MS_STRICTATIME, MsFlags::empty()),
            "nostrictatime" => (MsFlags::empty(), MsFlags::MS_STRICTATIME),
            "bind" => (MsFlags::MS_BIND, MsFlags::empty()),
            "rbind" => {
                o.rbind = true;
                (MsFlags::MS_BIND | MsFlags::MS_REC, MsFlags::empty())
            }
            "private" => prop(&mut o, MsFlags::MS_PRIVATE),
            "rprivate" => prop(&mut o, MsFlags::MS_PRIVATE | MsFlags::MS_REC),
            "slave" => prop(&mut o, MsFlags::MS_SLAVE),
            "rslave" => prop(&mut o, MsFlags::MS_SLAVE | MsFlags::MS_REC),
            "shared" => prop(&mut o, MsFlags::MS_SHARED),
            "rshared" => prop(&mut o, MsFlags::MS_SHARED | MsFlags::MS_REC),
            "unbindable" => prop(&mut o, MsFlags::MS_UNBINDABLE),
            "runbindable" => prop(&mut o, MsFlags::MS_UNBINDABLE | MsFlags::MS_REC),
            "defaults" => (MsFlags::empty(), MsFlags::empty()),
            other => {
                o.data.push(other.to_string());
                (MsFlags::empty(), MsFlags::empty())
            }
        };
        o.flags = (o.flags - clear) | set;
    }
    o
}

fn prop(o: &mut Opts, f: MsFlags) -> (MsFlags, MsFlags) {
    o.propagation = Some(f);
    (MsFlags::empty(), MsFlags::empty())
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

fn mount_one(root: &OwnedFd, m: &Value) -> Result<()> {
    let dst = m["destination"].as_str().unwrap_or("");
    let kind = m["type"].as_str().unwrap_or("");
    let src = m["source"].as_str().unwrap_or("");
    let options: Vec<&str> = m["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let o = parse_options(&options);
    let bind = kind == "bind" || o.flags.contains(MsFlags::MS_BIND);
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
    if bind {
        let flags = MsFlags::MS_BIND | (o.flags & MsFlags::MS_REC);
        mount(Some(src), via.as_str(), None::<&str>, flags, None::<&str>)
            .map_err(|e| mount_error(src, dst, &via, flags, e))?;
    } else if kind == "tmpfs"
        || kind == "proc"
        || kind == "sysfs"
        || kind == "mqueue"
        || kind == "devpts"
    {
        let flags = o.flags - MsFlags::MS_BIND - MsFlags::MS_REC;
        let data = o.data.join(",");
        mount(
            Some(src),
            via.as_str(),
            Some(kind),
            flags,
            Some(data.as_str()),
        )
        .map_err(|e| mount_error(src, dst, &via, flags, e))?;
    } else {
        return Err(Error::new(format!(
            "mount {dst}: type {kind:?} cannot be applied (was the bundle made by rvol-mount create?)"
        )));
    }
    // The fd still names the directory under the new mount: reopen the
    // destination to reach the mount itself.
    drop(target);
    let top = inroot::open(root.as_fd(), dst, libc::O_PATH)
        .map_err(|e| Error::new(format!("reopen {dst} after mounting: {e}")))?;
    let via = inroot::fd_path(&top);
    if let Some(p) = o.propagation {
        mount(None::<&str>, via.as_str(), None::<&str>, p, None::<&str>)
            .map_err(|e| mount_error(src, dst, &via, p, e))?;
    }
    if bind && o.ro {
        // A read-only bind needs a remount, keeping the flags the kernel
        // locked on the source (nosuid, nodev, noexec, atime).
        let kept = nix::sys::statvfs::statvfs(via.as_str())
            .map(|s| locked_flags(s.flags()))
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

fn locked_flags(f: nix::sys::statvfs::FsFlags) -> MsFlags {
    use nix::sys::statvfs::FsFlags as F;
    let mut m = MsFlags::empty();
    for (a, b) in [
        (F::ST_NOSUID, MsFlags::MS_NOSUID),
        (F::ST_NODEV, MsFlags::MS_NODEV),
        (F::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (F::ST_NOATIME, MsFlags::MS_NOATIME),
        (F::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (F::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if f.contains(a) {
            m |= b;
        }
    }
    m
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

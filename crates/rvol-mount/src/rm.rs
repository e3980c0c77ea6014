//! `rvol-mount rm [-v] [-f] [--background] NAME|ID...`: remove containers
//! (docker rm). The bundle goes; with `-v` its anonymous volumes go too
//! unless another container still uses them; named volumes always stay.
//!
//! Each is first renamed to a hidden `.rm-*` name: from then on it is gone
//! for every tool (ps, inspect, names, volume ls). Its files are deleted
//! after that, by this process, or with `--background` (the `--rm` hook
//! rvol-ns runs) by a detached child, so that `rvol run --rm` returns
//! without waiting for the disk: on this kind of machine each freed
//! directory block waits for a discard, about 1-2 ms a container.
//! `.rm-*` entries whose deleter died are swept by a later create.

use std::os::fd::AsRawFd;
use std::path::PathBuf;

use rvol_state::{bundle, container, process, Error, Result, ResultExt, Root};

use crate::names;
use crate::volume;

pub struct RmArgs {
    pub root: Root,
    pub volumes: bool,
    pub force: bool,
    /// Delete the files in a detached child, after we have exited.
    pub background: bool,
    pub targets: Vec<String>,
}

/// Exit 1 if any target failed, as the docker CLI.
pub fn run(args: RmArgs) -> Result<i32> {
    let mut status = 0;
    let mut gone = Vec::new();
    for t in &args.targets {
        match remove(&args, t, &mut gone) {
            Ok(()) => println!("{t}"),
            Err(e) => {
                eprintln!("rvol-mount: {e}");
                status = 1;
            }
        }
    }
    if args.background {
        delete_detached(gone);
        return Ok(status);
    }
    for g in gone {
        if let Err(e) = delete_locked(&g) {
            eprintln!("rvol-mount: remove {}: {e}", g.display());
            status = 1;
        }
    }
    Ok(status)
}

/// Delete a `.rm-*` directory under its flock, so that a create's sweep
/// leaves it alone; gone already (swept) is fine.
fn delete_locked(g: &std::path::Path) -> std::io::Result<()> {
    let lock = match std::fs::File::open(g) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    // SAFETY: flock on an fd we own.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    match std::fs::remove_dir_all(g) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

/// Delete `gone` in a child of its own session with /dev/null for stdio:
/// nothing waits for it, and nothing it does reaches our caller's output.
/// Once we have exited it also closes what it inherited beyond stdio: the
/// hook's caller (rvol-ns) passes the dead container's mount namespace
/// down, so that its teardown happens here, in the background.
fn delete_detached(gone: Vec<PathBuf>) {
    use std::io::Write;
    if gone.is_empty() {
        return;
    }
    let _ = std::io::stdout().flush();
    // Its write end is ours until we exit: then the child reads EOF.
    let parent = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok();
    // SAFETY: single-threaded; the child only makes syscalls and exits.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            let _ = nix::unistd::setsid();
            if let Ok(null) = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
            {
                for fd in 0..3 {
                    // SAFETY: dup2 onto the standard descriptors.
                    unsafe { libc::dup2(null.as_raw_fd(), fd) };
                }
            }
            if let Some((r, w)) = parent {
                drop(w);
                let mut b = [0u8; 1];
                while let Err(nix::errno::Errno::EINTR) = nix::unistd::read(r.as_raw_fd(), &mut b) {
                }
            }
            // SAFETY: closing every descriptor above stdio (ours to close).
            unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
            for g in gone {
                let _ = delete_locked(&g);
            }
            // SAFETY: leave without running the parent's atexit work.
            unsafe { libc::_exit(0) }
        }
        Ok(nix::unistd::ForkResult::Parent { .. }) => {
            // The write end stays open until this process exits.
            if let Some((r, w)) = parent {
                drop(r);
                std::mem::forget(w);
            }
        }
        // No child: delete here after all.
        Err(_) => {
            for g in gone {
                let _ = delete_locked(&g);
            }
        }
    }
}

/// Makes the container gone; what is left to delete goes to `gone`.
fn remove(args: &RmArgs, what: &str, gone: &mut Vec<PathBuf>) -> Result<()> {
    let root = &args.root;
    let id = container::find(root, what)?;
    let c = bundle::Container::open(root, &id);
    let state = c.state().unwrap_or_default();
    if state.running {
        if !args.force {
            return Err(Error::new(format!("You cannot remove a running container {id}. Stop the container before attempting removal or force remove")));
        }
        let pid = nix::unistd::Pid::from_raw(state.pid);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        // Until it is reaped, not only dead: rvol-ns records the exit
        // into the bundle right after, and the bundle is about to move.
        for _ in 0..200 {
            if !process::exists(state.pid) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
    // Read before the rename: what the bundle records is gone with it.
    let (name, mounts) = match c.annotations() {
        Ok(a) => (a.name().map(String::from), a.mounts().unwrap_or_default()),
        Err(_) => (None, Vec::new()),
    };
    // Rename away first, so a half-removed bundle is never seen as a container.
    let bundle_gone = root.containers().join(format!(".rm-{id}"));
    std::fs::rename(c.dir(), &bundle_gone).with_ctx(|| format!("remove container {id}"))?;
    if let Some(name) = name {
        names::release(root, &name, &id);
    }
    gone.push(bundle_gone);
    // Its count in a volume with options: its own poststop hook does
    // this too, but may have lost the race with the rename above.
    for m in mounts.iter().filter(|m| m.kind == "volume") {
        if let Some(name) = &m.name {
            rvol_state::localvol::release(root, name, &id)?;
        }
    }
    if args.volumes {
        for m in mounts.iter().filter(|m| m.kind == "volume") {
            let Some(name) = &m.name else { continue };
            if let Some(g) = remove_if_anonymous(root, name)? {
                gone.push(g);
            }
        }
    }
    Ok(())
}

/// Docker's removeMountPoints: an anonymous volume goes with its
/// container, unless another container still uses it (not an error).
/// Returns what is left to delete.
fn remove_if_anonymous(root: &Root, name: &str) -> Result<Option<PathBuf>> {
    let _lock = volume::lock(root, name)?;
    if !volume::exists(root, name) || !volume::record(root, name).is_some_and(|r| r.anonymous) {
        return Ok(None);
    }
    if volume::in_use(root, name)? {
        return Ok(None);
    }
    volume::remove_later(root, name).map(Some)
}

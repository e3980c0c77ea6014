//! Rootless: the one place that knows whether rvol runs for a user who is
//! not root, and what changes then (README "Rootless", ARCHITECTURE.md
//! "Rootless"). Podman's pkg/rootless is the model: every step that needs
//! privilege passes through here.
//!
//! - A host user (uid != 0 in the initial user namespace) gets a user
//!   namespace for each step that needs privilege ([`enter`]; rvol-ns makes
//!   the container's own with [`unshare_user`]). Its map: our uid and gid
//!   as 0, then the user's subordinate ranges from /etc/subuid and
//!   /etc/subgid, written by newuidmap/newgidmap (Debian's `uidmap`), as
//!   Podman's; without a range, a single-id map (0 = us; other owners in
//!   an image are squashed to it). Every step makes the same map, so the
//!   store's files mean the same owners in each.
//! - Inside that namespace the tools run as root, with these differences,
//!   each asked of this module: overlayfs keeps its marks in `user.overlay.*`
//!   (mounted with `userxattr`: the kernel refuses `trusted.*` to a user
//!   namespace), device nodes cannot be made (binds of the host's), and
//!   what the kernel locked on a mount (nosuid, nodev, ro...) stays set.
//! - The state root defaults to `$XDG_DATA_HOME/rvol` (else
//!   `~/.local/share/rvol`).

use std::ffi::CStr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::{Error, Result, ResultExt};

/// Who we are, for rvol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Root of the initial user namespace: rvol as it always was.
    Root,
    /// A user who is not root (on the host, or in a user namespace not
    /// ours): privileged steps must [`enter`] one first.
    User,
    /// Inside a user namespace (ours, or one we were started in): root
    /// here, with the differences above.
    InUserns,
}

const UNKNOWN: u8 = 0;
static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

fn code(m: Mode) -> u8 {
    match m {
        Mode::Root => 1,
        Mode::User => 2,
        Mode::InUserns => 3,
    }
}

/// This process's [`Mode`] (read once: /proc/self/uid_map and getuid).
pub fn mode() -> Mode {
    match MODE.load(Ordering::Relaxed) {
        1 => return Mode::Root,
        2 => return Mode::User,
        3 => return Mode::InUserns,
        _ => {}
    }
    let m = detect();
    MODE.store(code(m), Ordering::Relaxed);
    m
}

fn detect() -> Mode {
    // The initial user namespace maps every id to itself.
    let initial = match std::fs::read_to_string("/proc/self/uid_map") {
        Ok(map) => map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"],
        Err(_) => true,
    };
    // Not root anywhere: a user namespace of our own is needed (also in
    // one made by someone else, where we are not its root).
    match (initial, nix::unistd::geteuid().is_root()) {
        (true, true) => Mode::Root,
        (_, false) => Mode::User,
        (false, true) => Mode::InUserns,
    }
}

/// Whether rvol runs rootless (as a host user, or in its namespace).
pub fn active() -> bool {
    mode() != Mode::Root
}

/// The state root when neither `--root` nor `$RVOL_ROOT` names one: the
/// user's data directory when rootless (scripts/rvol-lib.sh's rule too).
pub fn default_root() -> PathBuf {
    if !active() {
        return PathBuf::from(crate::root::DEFAULT_ROOT);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("rvol");
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.dir)
        })
        .unwrap_or_else(|| PathBuf::from("/"));
    home.join(".local/share/rvol")
}

/// overlayfs' mark of an opaque directory: `trusted.overlay.opaque` for
/// root, `user.overlay.opaque` in a user namespace (the kernel's rule for
/// an overlay mounted there with `userxattr`).
pub fn opaque_xattr() -> &'static CStr {
    if active() {
        c"user.overlay.opaque"
    } else {
        c"trusted.overlay.opaque"
    }
}

/// Options an overlay mount needs before its dirs: `userxattr,` rootless.
pub fn overlay_options() -> &'static str {
    if active() {
        "userxattr,"
    } else {
        ""
    }
}

/// One line of a uid_map or gid_map: inside, outside, count.
pub type Range = (u32, u32, u32);

/// The map of a user namespace of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMap {
    pub uids: Vec<Range>,
    pub gids: Vec<Range>,
}

impl IdMap {
    /// Our uid and gid alone, as root.
    pub fn single() -> IdMap {
        let (uid, gid) = (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        );
        IdMap {
            uids: vec![(0, uid, 1)],
            gids: vec![(0, gid, 1)],
        }
    }

    /// Whether it has the subordinate ranges (else: one id, ours).
    pub fn ranged(&self) -> bool {
        self.uids.len() > 1 && self.gids.len() > 1
    }

    fn text(ranges: &[Range]) -> String {
        ranges
            .iter()
            .map(|(i, o, n)| format!("{i} {o} {n}\n"))
            .collect()
    }

    /// newuidmap's arguments after the pid.
    fn args(ranges: &[Range]) -> Vec<String> {
        ranges
            .iter()
            .flat_map(|(i, o, n)| [i.to_string(), o.to_string(), n.to_string()])
            .collect()
    }
}

/// The first range of `user` (name or uid) in a /etc/subuid-style file.
fn sub_range(text: &str, name: &str, id: u32) -> Option<(u32, u32)> {
    let id = id.to_string();
    text.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        let (who, start, count) = (f.next()?, f.next()?, f.next()?);
        if who != name && who != id {
            return None;
        }
        let (start, count) = (start.parse().ok()?, count.parse::<u32>().ok()?);
        (count > 0).then_some((start, count))
    })
}

/// The file that holds the subordinate ranges: `/etc/subuid` or
/// `/etc/subgid`.
fn subid_file(which: &str) -> PathBuf {
    PathBuf::from("/etc").join(which)
}

/// Our map: 0 = our uid/gid, then 1.. = the first subordinate range of
/// each, when both files give us one; else ours alone. Read once.
pub fn idmap() -> IdMap {
    static MAP: std::sync::OnceLock<IdMap> = std::sync::OnceLock::new();
    MAP.get_or_init(read_idmap).clone()
}

fn read_idmap() -> IdMap {
    let (uid, gid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    let name = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_default();
    let read = |f: &str| std::fs::read_to_string(subid_file(f)).unwrap_or_default();
    let ranges = (
        sub_range(&read("subuid"), &name, uid),
        sub_range(&read("subgid"), &name, uid),
    );
    match ranges {
        (Some((us, un)), Some((gs, gn))) => IdMap {
            uids: vec![(0, uid, 1), (1, us, un)],
            gids: vec![(0, gid, 1), (1, gs, gn)],
        },
        _ => IdMap::single(),
    }
}

/// A host id as our user namespace shows it: as a host user (outside),
/// through [`idmap`], 65534 (the overflow id) when unmapped; inside the
/// namespace or as root, the id as it is.
pub fn inside_id(id: u32, group: bool) -> u32 {
    if mode() != Mode::User {
        return id;
    }
    let map = idmap();
    let ranges = if group { &map.gids } else { &map.uids };
    ranges
        .iter()
        .find(|(_, o, n)| id >= *o && id - o < *n)
        .map(|(i, o, _)| i + (id - o))
        .unwrap_or(65534)
}

/// The status a step that cannot be made rootless exits with.
pub const STATUS: i32 = 125;

/// Enter a user namespace of our map (and, with `mount_ns`, a mount
/// namespace of its own, private) when we are a host user; nothing for
/// root or inside one already. Call it while single-threaded, before
/// anything is created in the store. Afterwards [`mode`] is `InUserns`.
pub fn enter(mount_ns: bool) -> Result<()> {
    if mode() != Mode::User {
        return Ok(());
    }
    unshare_user(&idmap())?;
    if mount_ns {
        crate::mountns::private()?;
    }
    Ok(())
}

/// [`enter`] for a step on one container (`commit`, which stops its
/// processes while it reads the layer): when the container runs, its own
/// user namespace rather than a new one (same map, so the store's files
/// mean the same owners). From a sibling namespace the kernel refuses what
/// the step needs: /proc/PID/ns of the container's processes (commoncap's
/// ptrace check wants the same namespace, or CAP_SYS_PTRACE in theirs) and
/// signals to those whose uid is not ours (CAP_KILL in theirs); in theirs
/// we have both, as its owner may enter it. A container that does not run
/// (or whose namespace cannot be opened: it just ended) gets [`enter`].
pub fn enter_container(bundle: &std::path::Path, mount_ns: bool) -> Result<()> {
    if mode() != Mode::User {
        return Ok(());
    }
    match container_userns(bundle) {
        Some(ns) => {
            // SAFETY: setns on a namespace descriptor we hold open; the
            // caller is single-threaded (as for enter).
            if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWUSER) } < 0 {
                return Err(std::io::Error::last_os_error())
                    .ctx("rootless: join the container's user namespace");
            }
            MODE.store(code(Mode::InUserns), Ordering::Relaxed);
            if mount_ns {
                crate::mountns::private()?;
            }
            Ok(())
        }
        None => enter(mount_ns),
    }
}

/// The user namespace of a running container, through its /proc/PID
/// (`process::open_running`).
fn container_userns(bundle: &std::path::Path) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let (_, dir) = crate::process::open_running(&crate::root::Bundle(bundle).state())?;
    let path = format!("/proc/self/fd/{}/ns/user", dir.as_raw_fd());
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .ok()
}

/// unshare(CLONE_NEWUSER) with `map`: the ranged map through newuidmap
/// and newgidmap (setuid helpers that check /etc/subuid), run by a child
/// still outside the namespace; a single-id map written by ourselves
/// (setgroups denied first: the kernel's rule for an unprivileged map).
/// Single-threaded callers only (unshare of a user namespace refuses
/// threads).
pub fn unshare_user(map: &IdMap) -> Result<()> {
    if map.ranged() {
        unshare_ranged(map)?;
    } else {
        unshare_raw(libc::CLONE_NEWUSER).map_err(userns_error)?;
        let w = |file: &str, s: String| {
            std::fs::write(format!("/proc/self/{file}"), s)
                .with_ctx(|| format!("user namespace: write /proc/self/{file}"))
        };
        w("uid_map", IdMap::text(&map.uids))?;
        w("setgroups", "deny\n".into())?;
        w("gid_map", IdMap::text(&map.gids))?;
    }
    MODE.store(code(Mode::InUserns), Ordering::Relaxed);
    Ok(())
}

fn unshare_raw(flags: libc::c_int) -> std::io::Result<()> {
    // SAFETY: unshare(2) with namespace flags only.
    if unsafe { libc::unshare(flags) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The kernel's refusal of a user namespace, said as the cause: EPERM
/// when unprivileged ones are off altogether, ENOSPC when the count
/// allowed (`user.max_user_namespaces`, of this namespace or one above
/// it) is 0 or spent, EUSERS past 32 nested ones.
fn userns_error(e: std::io::Error) -> Error {
    let why = match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => {
            "this kernel does not allow unprivileged user namespaces \
             (sysctl kernel.unprivileged_userns_clone=0, \
             or a security policy: AppArmor, SELinux, a seccomp filter)"
                .to_string()
        }
        Some(libc::ENOSPC) => "no more user namespaces are allowed here \
             (sysctl user.max_user_namespaces is 0, or that many exist)"
            .to_string(),
        Some(libc::EUSERS) => "too many nested user namespaces (32)".to_string(),
        Some(libc::EINVAL) => "a threaded process cannot make one (a bug of rvol)".to_string(),
        _ => e.to_string(),
    };
    Error::new(format!("rootless: cannot make a user namespace: {why}"))
}

fn unshare_ranged(map: &IdMap) -> Result<()> {
    use nix::unistd::{fork, ForkResult};
    use std::ffi::CString;
    let me = std::process::id().to_string();
    let tools = [("newuidmap", &map.uids), ("newgidmap", &map.gids)];
    // Made before the forks: the children only read, exec and exit.
    let argvs: Vec<Vec<CString>> = tools
        .iter()
        .map(|(tool, ranges)| {
            std::iter::once(tool.to_string())
                .chain(std::iter::once(me.clone()))
                .chain(IdMap::args(ranges))
                .map(|a| CString::new(a).unwrap_or_default())
                .collect()
        })
        .collect();
    let (go_r, go_w) = nix::unistd::pipe().ctx("pipe")?;
    let mut children = Vec::new();
    // Both helpers at once, each waiting outside the namespace for it to
    // exist, then exec'd straight away: two setuid execs side by side
    // (about 2.5 ms each here) rather than one after the other.
    for argv in &argvs {
        // SAFETY: we are single-threaded (the caller's promise); the child
        // only reads a pipe, execs and exits.
        match unsafe { fork() }.ctx("fork an id-map helper")? {
            ForkResult::Child => {
                drop(go_w);
                let mut b = [0u8; 1];
                if nix::unistd::read(go_r.as_raw_fd(), &mut b) != Ok(1) {
                    // SAFETY: leave without running the parent's exit handlers.
                    unsafe { libc::_exit(2) }
                }
                let _ = nix::unistd::execvp(&argv[0], argv);
                // SAFETY: as above; 127: the tool is not there.
                unsafe { libc::_exit(127) }
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    drop(go_r);
    let made = unshare_raw(libc::CLONE_NEWUSER);
    if made.is_ok() {
        let _ = nix::unistd::write(&go_w, b"gg");
    }
    drop(go_w);
    let mut failed = None;
    for (child, (tool, _)) in children.into_iter().zip(tools) {
        let status = nix::sys::wait::waitpid(child, None).ctx("wait for an id-map helper")?;
        match status {
            nix::sys::wait::WaitStatus::Exited(_, 0) => {}
            nix::sys::wait::WaitStatus::Exited(_, 127) => {
                failed.get_or_insert(format!(
                    "rootless: {tool} not found: the subordinate ids of /etc/subuid need it \
                     (Debian's package uidmap)"
                ));
            }
            st => {
                failed.get_or_insert(format!(
                    "rootless: {tool} could not map the subordinate ids of /etc/subuid and \
                     /etc/subgid ({st:?}; its message is above)"
                ));
            }
        }
    }
    made.map_err(userns_error)?;
    match failed {
        None => Ok(()),
        Some(msg) => Err(Error::new(msg)),
    }
}

/// Whether this process's user namespace maps `id` (a gid with `group`):
/// rootless with a single-id map, only 0 is.
pub fn mapped(id: u32, group: bool) -> bool {
    if !active() {
        return true;
    }
    let file = if group {
        "/proc/self/gid_map"
    } else {
        "/proc/self/uid_map"
    };
    let Ok(map) = std::fs::read_to_string(file) else {
        return true;
    };
    map.lines().any(|l| {
        let f: Vec<u64> = l
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        f.len() == 3 && (id as u64) >= f[0] && (id as u64) < f[0] + f[2]
    })
}

/// Whether setgroups(2) is denied here (/proc/self/setgroups).
pub fn setgroups_denied() -> bool {
    active() && std::fs::read_to_string("/proc/self/setgroups").is_ok_and(|s| s.trim() == "deny")
}

/// Rootless: the container's user and groups must be in the id map; the
/// error names the missing subordinate range (status [`STATUS`]).
pub fn check_ids(uid: u32, gid: u32, groups: &[u32]) -> Result<()> {
    if !active() {
        return Ok(());
    }
    let missing = if !mapped(uid, false) {
        Some(format!("uid {uid}"))
    } else {
        std::iter::once(&gid)
            .chain(groups)
            .find(|g| !mapped(**g, true))
            .map(|g| format!("gid {g}"))
    };
    match missing {
        None => Ok(()),
        Some(id) => Err(Error::new(format!(
            "rootless: the container's {id} is not mapped: the user running rvol needs a \
             subordinate range in /etc/subuid and /etc/subgid for it (README, \"Rootless\")"
        ))
        .with_code(STATUS)),
    }
}

/// Rootless: a bind's source must be one the user can reach (read, and
/// search for a directory); the kernel would let the container see it
/// only as far as the user may. Checked at create: what has mapped owners
/// the namespace's root may read; for the rest, access(2), which in the
/// namespace grants nothing over unmapped owners.
pub fn check_bind_source(path: &std::path::Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    if !active() {
        return Ok(());
    }
    let md = std::fs::metadata(path).ok();
    let is_dir = md.as_ref().is_some_and(|m| m.is_dir());
    // From outside the namespace (a create that needs none), the same
    // answer as inside: its root may read what has mapped owners.
    if mode() == Mode::User {
        use std::os::unix::fs::MetadataExt;
        if md.is_some_and(|m| {
            inside_id(m.uid(), false) != 65534 && inside_id(m.gid(), true) != 65534
        }) {
            return Ok(());
        }
    }
    let want = if is_dir {
        libc::R_OK | libc::X_OK
    } else {
        libc::R_OK
    };
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::new(format!("bind source {}: NUL in path", path.display())))?;
    // SAFETY: access(2) on a NUL-terminated path.
    if unsafe { libc::access(c.as_ptr(), want) } < 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::new(format!(
            "rootless: bind source {}: {e}: the user running rvol cannot {} it",
            path.display(),
            if is_dir { "read and search" } else { "read" }
        )));
    }
    Ok(())
}

/// A chown that an unmapped id cannot do (EINVAL in a user namespace):
/// the file keeps the namespace's root as owner, the squash the README
/// describes. Any other failure is the caller's.
pub fn squashed(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINVAL) && active()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_range_by_name_or_uid() {
        let t = "alice:100000:65536\n1001:200000:1000\nbob:5:0\n";
        assert_eq!(sub_range(t, "alice", 7), Some((100000, 65536)));
        assert_eq!(sub_range(t, "carol", 1001), Some((200000, 1000)));
        assert_eq!(sub_range(t, "bob", 9), None, "an empty range is none");
        assert_eq!(sub_range(t, "dave", 9), None);
    }

    #[test]
    fn map_text_and_args() {
        let r = [(0, 1001, 1), (1, 100000, 65536)];
        assert_eq!(IdMap::text(&r), "0 1001 1\n1 100000 65536\n");
        assert_eq!(IdMap::args(&r), ["0", "1001", "1", "1", "100000", "65536"]);
    }
}

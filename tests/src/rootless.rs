//! Rootless runs of the toolkit (README "Rootless"). Two uses:
//! - **Replay**: with `RVOL_TEST_ROOTLESS=1` every command a test starts
//!   through [`crate::TestRoot`] (`tool`, `rvol`, the chain) runs as the
//!   unprivileged user [`user`], made here on first use with a
//!   subordinate id range; the test's temp dir (images, bind sources; not
//!   the state root, whose files have mapped owners) is handed to that
//!   user first, as a user's own files would be. scripts/test replays the
//!   mount, volume, exec and commit tests so.
//! - **tests/tests/rootless.rs**: what is rootless' own (host files,
//!   owners, errors), with [`user`] and [`single_user`] (no range).
//!
//! The tests themselves stay root: they read the state root and compare
//! with docker as before.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// Set (non-empty): replay the tests rootless.
pub const ENV: &str = "RVOL_TEST_ROOTLESS";

pub fn replay() -> bool {
    std::env::var_os(ENV).is_some_and(|v| !v.is_empty())
}

/// An unprivileged user of this machine, made by the tests.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    /// Its subordinate range (start, count), when it has one.
    pub subids: Option<(u32, u32)>,
}

impl User {
    /// `cmd` runs as this user: its uid, gid (no other groups), HOME and
    /// names; its own default state root unless the command sets one.
    pub fn command(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        cmd.uid(self.uid)
            .gid(self.gid)
            .env("HOME", &self.home)
            .env("USER", &self.name)
            .env("LOGNAME", &self.name)
            .env_remove("XDG_DATA_HOME");
        // (std drops the supplementary groups itself: setgroups(0) before
        // its setuid, when we are root.)
    }

    /// The host id that `id` of this user's namespace is (0 = the user,
    /// 1.. = its subordinate range: rvol's map, rvol_state::rootless);
    /// `None` when the map does not hold it.
    pub fn host_id(&self, id: u32, group: bool) -> Option<u32> {
        let me = if group { self.gid } else { self.uid };
        match (id, self.subids) {
            (0, _) => Some(me),
            (n, Some((start, count))) if n <= count => Some(start + n - 1),
            _ => None,
        }
    }

    /// The id of this user's namespace that host id `host` is: the inverse
    /// of [`User::host_id`]; the kernel's overflow id (65534) for a host id
    /// the map does not hold, as stat shows it in there.
    pub fn inside_id(&self, host: u32, group: bool) -> u32 {
        let me = if group { self.gid } else { self.uid };
        match self.subids {
            _ if host == me => 0,
            Some((start, count)) if host >= start && host - start < count => host - start + 1,
            _ => 65534,
        }
    }

    /// Whether host id `host` is one of this user's (its own or a
    /// subordinate one): a file so owned is the user's already.
    fn holds(&self, host: u32, group: bool) -> bool {
        let me = if group { self.gid } else { self.uid };
        host == me
            || self
                .subids
                .is_some_and(|(start, count)| host >= start && host - start < count)
    }

    /// Hand `dir` and everything below it to this user, but for the
    /// entries named in `skip` at its top (a state root), as the user's
    /// own files would be: each owner as the user's namespace means it
    /// (root's to the user, 1000 to its subordinate id for 1000; an owner
    /// the map lacks squashed to the user), so that a tree the test made
    /// with owners shows them inside the container, as root's run does.
    /// Modes are kept (chown clears setuid/setgid). Files the user holds
    /// already are left alone: it is called before every replayed command.
    pub fn own(&self, dir: &Path, skip: &[&str]) {
        use std::os::unix::fs::PermissionsExt;
        let md = match std::fs::symlink_metadata(dir) {
            Ok(m) => m,
            Err(_) => return,
        };
        let to = |host: u32, group: bool| {
            if self.holds(host, group) {
                host
            } else {
                let me = if group { self.gid } else { self.uid };
                self.host_id(host, group).unwrap_or(me)
            }
        };
        let (uid, gid) = (to(md.uid(), false), to(md.gid(), true));
        if (uid, gid) != (md.uid(), md.gid()) {
            let _ = std::os::unix::fs::lchown(dir, Some(uid), Some(gid));
            if !md.file_type().is_symlink() && md.mode() & 0o6000 != 0 {
                let mode = std::fs::Permissions::from_mode(md.mode() & 0o7777);
                let _ = std::fs::set_permissions(dir, mode);
            }
        }
        if !md.is_dir() {
            return;
        }
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = e.file_name();
            if skip.iter().any(|s| name == *s) {
                continue;
            }
            self.own(&e.path(), &[]);
        }
    }
}

/// The owner a file with host owner `uid:gid` has inside the container:
/// itself as root; in a replay, as the user's namespace maps it.
pub fn seen_inside(uid: u32, gid: u32) -> (u32, u32) {
    if !replay() {
        return (uid, gid);
    }
    let u = user();
    (u.inside_id(uid, false), u.inside_id(gid, true))
}

/// The host owner of what a container's `uid:gid` writes to a volume or a
/// bind: itself as root; in a replay, the user's map of it.
pub fn host_owner(uid: u32, gid: u32) -> (u32, u32) {
    if !replay() {
        return (uid, gid);
    }
    let u = user();
    let map = |id, group| u.host_id(id, group).expect("an id of the replay's map");
    (map(uid, false), map(gid, true))
}

fn id_of(name: &str, flag: &str) -> Option<u32> {
    let o = Command::new("id").arg(flag).arg(name).output().ok()?;
    String::from_utf8_lossy(&o.stdout).trim().parse().ok()
}

fn sub_range(file: &str, name: &str) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() == 3 && f[0] == name).then(|| Some((f[1].parse().ok()?, f[2].parse().ok()?)))?
    })
}

/// Make (once per machine, under a lock) the user `name`; with `range`
/// its subordinate uids and gids are exactly that, else it has none.
fn ensure(name: &str, range: Option<(u32, u32)>) -> User {
    let lock = std::fs::File::create("/run/rvol-test-users.lock").expect("user lock");
    // SAFETY: flock on a file we hold; released when it closes.
    unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) };
    if id_of(name, "-u").is_none() {
        let st = Command::new("useradd")
            .args(["--create-home", "--shell", "/bin/sh", name])
            .status()
            .expect("run useradd");
        assert!(st.success(), "useradd {name}: {st}");
    }
    for file in ["/etc/subuid", "/etc/subgid"] {
        if sub_range(file, name) == range {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.split(':').next() != Some(name))
            .map(str::to_string)
            .collect();
        if let Some((start, count)) = range {
            lines.push(format!("{name}:{start}:{count}"));
        }
        let mut out = lines.join("\n");
        out.push('\n');
        std::fs::write(file, out).unwrap_or_else(|e| panic!("write {file}: {e}"));
    }
    let uid = id_of(name, "-u").expect("uid");
    let gid = id_of(name, "-g").expect("gid");
    let home = format!("/home/{name}");
    User {
        name: name.into(),
        uid,
        gid,
        home,
        subids: range,
    }
}

/// The replays' user: `rvol-rootless`, with 65536 subordinate ids from
/// 400000 (above what useradd hands out by default here).
pub fn user() -> &'static User {
    static U: OnceLock<User> = OnceLock::new();
    U.get_or_init(|| ensure("rvol-rootless", Some((400000, 65536))))
}

/// A user with no subordinate range: a single-id map.
pub fn single_user() -> &'static User {
    static U: OnceLock<User> = OnceLock::new();
    U.get_or_init(|| ensure("rvol-single", None))
}

/// What the kernel adds to a tmpfs' options in /proc/mounts when the
/// tmpfs was mounted in a user namespace: its root's owner, in host ids,
/// whenever that is not host root (mm/shmem.c shmem_show_options); a
/// rootless tmpfs belongs to the user. Empty unless replaying.
pub fn tmpfs_owner_options() -> String {
    if !replay() {
        return String::new();
    }
    let u = user();
    format!(",uid={},gid={}", u.uid, u.gid)
}

/// The host's /proc/mounts entry (source, type, options) of the mount
/// holding `path`: what a bind of it shows.
fn host_mount_of(path: &str) -> (String, String, String) {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let holder = crate::chain::holder_of(Path::new(path));
    // The last of several at one point is the one on top.
    mounts
        .lines()
        .rev()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.len() >= 4 && f[1] == holder).then(|| (f[0].into(), f[2].into(), f[3].into()))
        })
        .next()
        .unwrap_or_default()
}

/// Docker's probe facts (`probe::PROBE`, `PROBE_MOUNTS`) as a rootless
/// container shows the same: what the kernel refuses a user namespace, or
/// shows of it in host ids (README "Rootless"; rvol-exec dev.rs, kernelfs.rs).
/// - /dev's device nodes cannot be made (mknod needs CAP_MKNOD in the
///   initial namespace): they are binds of the host's, owned as the
///   namespace sees their host owner (root's: the overflow id), and each
///   is a mount of the host's device filesystem;
/// - a masked file is a bind of that /dev/null, so its mount is the host's
///   device filesystem too, not the container's /dev tmpfs;
/// - a tmpfs shows its owner ([`tmpfs_owner_options`]) and devpts its
///   `gid=` in host ids (the kernel prints both as the initial namespace
///   sees them).
///
/// Unchanged unless replaying.
pub fn docker_facts_rootless(facts: &mut std::collections::BTreeMap<String, String>) {
    if !replay() {
        return;
    }
    let u = user();
    let mut devices = Vec::new();
    if let Some(dev) = facts.get_mut("dev") {
        let entries: Vec<String> = dev
            .split_terminator(';')
            .map(|e| {
                let f: Vec<&str> = e.split(' ').collect();
                if f.len() != 4 || !f[1].starts_with('c') {
                    return e.to_string();
                }
                devices.push(f[0].to_string());
                let md = std::fs::metadata(f[0]).expect("the host's device");
                let (uid, gid) = seen_inside(md.uid(), md.gid());
                format!("{} {} {uid}:{gid} {}", f[0], f[1], f[3])
            })
            .collect();
        *dev = entries.iter().map(|e| format!("{e};")).collect();
    }
    let tmpfs = |e: &str| format!("{e}{}", tmpfs_owner_options());
    let bind_of = |host: &str, at: &str| {
        let (src, ty, opts) = host_mount_of(host);
        format!("{src} {at} {ty} {opts}")
    };
    if let Some(m) = facts.get_mut("mounts") {
        let entries: Vec<&str> = m.split_terminator(';').collect();
        let fields = |e: &str| e.split(' ').map(str::to_string).collect::<Vec<_>>();
        let dev_tmpfs = entries
            .iter()
            .map(|e| fields(e))
            .find(|f| f.len() == 4 && f[1] == "/dev")
            .map(|f| (f[0].clone(), f[2].clone(), f[3].clone()));
        let mut out: Vec<String> = entries
            .iter()
            .map(|e| {
                let f = fields(e);
                if f.len() != 4 {
                    return e.to_string();
                }
                let is_dev = Some((f[0].clone(), f[2].clone(), f[3].clone())) == dev_tmpfs;
                if is_dev && f[1] != "/dev" {
                    bind_of("/dev/null", &f[1])
                } else if f[2] == "tmpfs" {
                    tmpfs(e)
                } else if f[2] == "devpts" {
                    let opts: Vec<String> = f[3]
                        .split(',')
                        .map(
                            |o| match o.strip_prefix("gid=").and_then(|g| g.parse().ok()) {
                                Some(g) => format!("gid={}", u.host_id(g, true).unwrap_or(g)),
                                None => o.to_string(),
                            },
                        )
                        .collect();
                    format!("{} {} {} {}", f[0], f[1], f[2], opts.join(","))
                } else {
                    e.to_string()
                }
            })
            .collect();
        out.extend(devices.iter().map(|d| bind_of(d, d)));
        out.sort();
        *m = out.iter().map(|e| format!("{e};")).collect();
    }
    if let Some(run) = facts.get_mut("run_mount") {
        if run.split(' ').nth(2) == Some("tmpfs") {
            *run = tmpfs(run);
        }
    }
}

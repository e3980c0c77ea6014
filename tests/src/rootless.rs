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

    /// Hand `dir` and everything below it to this user, but for the
    /// entries named in `skip` at its top (a state root).
    pub fn own(&self, dir: &Path, skip: &[&str]) {
        let md = match std::fs::symlink_metadata(dir) {
            Ok(m) => m,
            Err(_) => return,
        };
        if md.uid() != self.uid || md.gid() != self.gid {
            let _ = std::os::unix::fs::lchown(dir, Some(self.uid), Some(self.gid));
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

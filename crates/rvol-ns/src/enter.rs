//! `--enter`: the namespaces of a running container, for `rvol exec`
//! (nsenter's and runc exec's way). Every /proc/PID/ns/* is opened first,
//! through one descriptor of the container's /proc/PID taken while its
//! record says it runs (a pid reused after that cannot be opened through
//! it); then they are joined in a fixed order: user (when the container
//! has one of its own) and pid in the parent before the fork (setns of a
//! pid namespace places only the children in it, so the command is not
//! PID 1), ipc, uts, net and cgroup in the child; the mount namespace last
//! of all, by the chain's last tool (`rvol_state::mntns_fd`): it still
//! reads the bundle from the host. A namespace the container shares with
//! us (`--network host`) is not joined.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rvol_state::record::State;
use rvol_state::root::Bundle;
use rvol_state::{Error, Result, ResultExt};

/// In the order they are joined; mnt is handed on, not joined here.
const ORDER: [(&str, libc::c_int); 7] = [
    ("user", libc::CLONE_NEWUSER),
    ("pid", libc::CLONE_NEWPID),
    ("ipc", libc::CLONE_NEWIPC),
    ("uts", libc::CLONE_NEWUTS),
    ("net", libc::CLONE_NEWNET),
    ("cgroup", libc::CLONE_NEWCGROUP),
    ("mnt", libc::CLONE_NEWNS),
];

pub struct Target {
    /// (name, CLONE_NEW* type, descriptor), in [`ORDER`].
    nss: Vec<(&'static str, libc::c_int, OwnedFd)>,
}

fn ns_id(path: &str) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The container's namespaces, opened; an error when it does not run.
pub fn open(bundle: &Path) -> Result<Target> {
    let record = Bundle(bundle).state();
    // A record that cannot be read is said as such, not as "not running".
    let _: State =
        rvol_state::fsx::read_json(&record).with_ctx(|| format!("read {}", record.display()))?;
    let id = Bundle(bundle).id();
    let not_running = || Error::new(format!("Container {id} is not running"));
    let (state, proc_dir) = rvol_state::process::open_running(&record).ok_or_else(not_running)?;
    let dir = format!("/proc/{}", state.pid);
    let mut nss = Vec::new();
    for (name, flag) in ORDER {
        let rel = std::ffi::CString::new(format!("ns/{name}")).unwrap_or_default();
        // SAFETY: openat(2) relative to a directory we hold; owned below.
        let fd = unsafe {
            libc::openat(
                proc_dir.as_raw_fd(),
                rel.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENOENT) {
                continue; // a kernel without that namespace type
            }
            if e.raw_os_error() == Some(libc::ESRCH) {
                return Err(not_running());
            }
            return Err(Error::new(format!("open {dir}/ns/{name}: {e}")));
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let theirs = ns_id(&format!("/proc/self/fd/{}", fd.as_raw_fd()));
        if theirs.is_some() && theirs == ns_id(&format!("/proc/self/ns/{name}")) {
            continue;
        }
        nss.push((name, flag, fd));
    }
    Ok(Target { nss })
}

impl Target {
    fn join(&self, which: impl Fn(libc::c_int) -> bool) -> Result<()> {
        for (name, flag, fd) in self.nss.iter().filter(|(_, f, _)| which(*f)) {
            // SAFETY: setns on a namespace fd we hold open.
            if unsafe { libc::setns(fd.as_raw_fd(), *flag) } < 0 {
                return Err(std::io::Error::last_os_error())
                    .with_ctx(|| format!("join the container's {name} namespace"));
            }
        }
        Ok(())
    }

    /// Before the fork: user, then pid (for the children).
    pub fn enter_parent(&self) -> Result<()> {
        self.join(|f| f == libc::CLONE_NEWUSER)?;
        self.join(|f| f == libc::CLONE_NEWPID)
    }

    /// In the child: the rest but mnt, whose descriptor the chain inherits.
    pub fn enter_child(&self) -> Result<()> {
        let rest =
            |f| f != libc::CLONE_NEWUSER && f != libc::CLONE_NEWPID && f != libc::CLONE_NEWNS;
        self.join(rest)?;
        let (_, _, mnt) = self
            .nss
            .iter()
            .find(|(_, f, _)| *f == libc::CLONE_NEWNS)
            .ok_or_else(|| Error::new("the container shares our mount namespace"))?;
        // SAFETY: clearing FD_CLOEXEC on a descriptor we own: inherited.
        unsafe { libc::fcntl(mnt.as_raw_fd(), libc::F_SETFD, 0) };
        std::env::set_var(rvol_state::mntns_fd::ENV, mnt.as_raw_fd().to_string());
        Ok(())
    }
}

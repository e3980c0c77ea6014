//! Which namespaces to enter and entering them: new ones by unshare(2),
//! existing ones (a `path` in the spec) by setns(2). A new mount namespace
//! is made rslave first thing, so nothing mounted in it reaches the host.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespaceType, Spec};
use rvol_state::{Error, Result, ResultExt};

pub fn load_spec(bundle: &Path) -> Result<Spec> {
    let path = bundle.join("config.json");
    Spec::load(&path).map_err(|e| Error::new(format!("read {}: {e}", path.display())))
}

pub struct Plan {
    /// CLONE_NEW* flags to unshare.
    new: libc::c_int,
    /// Existing namespaces to join: (path, CLONE_NEW* type).
    join: Vec<(PathBuf, libc::c_int)>,
    /// What a new mount namespace's / becomes: the spec's
    /// `linux.rootfsPropagation`, else rslave (runc's default).
    root_propagation: nix::mount::MsFlags,
}

/// `linux.rootfsPropagation` as mount(2) flags, as runc reads it (its
/// names are `rvol_state::mountopt`'s propagation options).
fn propagation_flags(p: &str) -> Result<nix::mount::MsFlags> {
    use nix::mount::MsFlags as F;
    if p.is_empty() {
        return Ok(F::MS_SLAVE | F::MS_REC);
    }
    rvol_state::mountopt::propagation(p).ok_or_else(|| {
        Error::new(format!(
            "config.json: linux.rootfsPropagation {p:?} is not a propagation"
        ))
    })
}

fn clone_flag(t: LinuxNamespaceType) -> libc::c_int {
    match t {
        LinuxNamespaceType::Mount => libc::CLONE_NEWNS,
        LinuxNamespaceType::Pid => libc::CLONE_NEWPID,
        LinuxNamespaceType::Uts => libc::CLONE_NEWUTS,
        LinuxNamespaceType::Ipc => libc::CLONE_NEWIPC,
        LinuxNamespaceType::Network => libc::CLONE_NEWNET,
        LinuxNamespaceType::Cgroup => libc::CLONE_NEWCGROUP,
        LinuxNamespaceType::User => libc::CLONE_NEWUSER,
        LinuxNamespaceType::Time => 0x80, // CLONE_NEWTIME
    }
}

fn names(flags: libc::c_int) -> String {
    let all = [
        (libc::CLONE_NEWUSER, "user"),
        (libc::CLONE_NEWNS, "mount"),
        (libc::CLONE_NEWPID, "pid"),
        (libc::CLONE_NEWUTS, "uts"),
        (libc::CLONE_NEWIPC, "ipc"),
        (libc::CLONE_NEWNET, "net"),
        (libc::CLONE_NEWCGROUP, "cgroup"),
        (0x80, "time"),
    ];
    let v: Vec<&str> = all
        .iter()
        .filter(|(f, _)| flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    v.join(",")
}

impl Plan {
    /// Flags from the command line plus the spec's `linux.namespaces`.
    pub fn new(flags: libc::c_int, spec: Option<&Spec>) -> Result<Plan> {
        let linux = spec.and_then(|s| s.linux().as_ref());
        // Rootless: the container's own user namespace owns the others
        // (none when we already are in one: rvol build's steps).
        let user = match rvol_state::rootless::mode() {
            rvol_state::rootless::Mode::User => libc::CLONE_NEWUSER,
            _ => 0,
        };
        let mut plan = Plan {
            new: flags | user,
            join: Vec::new(),
            root_propagation: propagation_flags(
                linux
                    .and_then(|l| l.rootfs_propagation().as_deref())
                    .unwrap_or(""),
            )?,
        };
        let nss = linux.and_then(|l| l.namespaces().as_ref());
        for ns in nss.into_iter().flatten() {
            let f = clone_flag(ns.typ());
            match ns.path() {
                Some(p) if !p.as_os_str().is_empty() => plan.join.push((p.clone(), f)),
                _ => plan.new |= f,
            }
        }
        Ok(plan)
    }

    /// In the parent, before the fork: the user namespace (so that it owns
    /// the others) and a pid namespace to join, which only the children
    /// enter; a new one is the fork's ([`Plan::new_pid_ns`]). The parent
    /// stays in the host's mount namespace: pivot_root in the child moves
    /// the root of every process in its mount namespace.
    pub fn enter_parent(&self) -> Result<()> {
        self.join(|f| f == libc::CLONE_NEWPID || f == libc::CLONE_NEWUSER)?;
        if self.new & libc::CLONE_NEWUSER != 0 {
            user_ns()?;
        }
        Ok(())
    }

    /// Whether the child is made in a new pid namespace.
    pub fn new_pid_ns(&self) -> bool {
        self.new & libc::CLONE_NEWPID != 0
    }

    /// Whether the child gets a mount namespace of its own.
    pub fn new_mount_ns(&self) -> bool {
        self.new & libc::CLONE_NEWNS != 0
    }

    /// In the child, after the fork: every other namespace.
    pub fn enter_child(&self) -> Result<()> {
        self.join(|f| f != libc::CLONE_NEWPID && f != libc::CLONE_NEWUSER)?;
        let rest = self.new & !(libc::CLONE_NEWUSER | libc::CLONE_NEWPID);
        unshare(rest)?;
        if rest & libc::CLONE_NEWNS != 0 {
            // rslave, as runc's default: neither the overlay nor any bind
            // made below propagates back to the host, while host mounts
            // still reach our copies. Not rprivate: a private mount cannot
            // be made a slave again, so volumes on a shared host mount
            // would lose the `master:` docker's keep. (A spec asking for a
            // shared / gets it: docker's for a bind with shared propagation.)
            nix::mount::mount(
                None::<&str>,
                "/",
                None::<&str>,
                self.root_propagation,
                None::<&str>,
            )
            .ctx("set the propagation of / in the new mount namespace")?;
        }
        if rest & libc::CLONE_NEWNET != 0 {
            crate::loopback::up()?;
        }
        Ok(())
    }

    fn join(&self, which: impl Fn(libc::c_int) -> bool) -> Result<()> {
        for (path, f) in self.join.iter().filter(|(_, f)| which(*f)) {
            let file = std::fs::File::open(path)
                .with_ctx(|| format!("join {} namespace {}", names(*f), path.display()))?;
            // SAFETY: setns on a namespace fd we hold open.
            if unsafe { libc::setns(file.as_raw_fd(), *f) } < 0 {
                return Err(std::io::Error::last_os_error())
                    .with_ctx(|| format!("join {} namespace {}", names(*f), path.display()));
            }
        }
        Ok(())
    }
}

fn unshare(flags: libc::c_int) -> Result<()> {
    if flags == 0 {
        return Ok(());
    }
    // SAFETY: unshare(2) with namespace flags only.
    if unsafe { libc::unshare(flags) } < 0 {
        return Err(std::io::Error::last_os_error())
            .with_ctx(|| format!("unshare {}", names(flags)));
    }
    Ok(())
}

/// A new user namespace: rootless, the user's map (rvol_state::rootless:
/// its subordinate ranges when it has them); for root whose spec asks
/// for one, ours alone as its root.
fn user_ns() -> Result<()> {
    use rvol_state::rootless;
    let map = match rootless::mode() {
        rootless::Mode::User => rootless::idmap(),
        _ => rootless::IdMap::single(),
    };
    rootless::unshare_user(&map)
}

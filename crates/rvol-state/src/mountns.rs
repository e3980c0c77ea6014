//! A mount namespace of our own whose mounts never reach the host.

use crate::{Result, ResultExt};

/// unshare(CLONE_NEWNS), then every mount private: what this process
/// mounts afterwards (a view of an image, of a container) stays here and
/// goes with it.
pub fn private() -> Result<()> {
    use nix::mount::{mount, MsFlags};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).ctx("unshare a mount namespace")?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .ctx("make / private")
}

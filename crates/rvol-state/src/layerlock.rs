//! The lock between the store's garbage collection and the tools that
//! pick layers and blobs (ARCHITECTURE.md "Layer garbage collection").
//!
//! `images/.gc.lock` is flocked SHARED by whoever is about to make a layer
//! or a blob reachable (rvol-unpack from resolving an image until it exits,
//! rvol-mount create until the bundle naming the layers is renamed into
//! place, the store's writers until their index entry is written), and
//! EXCLUSIVE by the garbage collector (rmi, image prune) while it computes
//! what is live and removes the rest. So the collector never sees a layer
//! as dead while someone is between choosing it and recording it.
//!
//! rvol-unpack and rvol-mount create run side by side in a pipeline: had
//! each its own lock, a collector could slip in after unpack exits and
//! before create locks. The verbs (scripts/rvol-lib.sh) therefore open the
//! lock file once as an fd both stages inherit and name it in
//! [`FD_ENV`]: an flock belongs to the open file, so the lock unpack takes
//! on it stays held until the last of the pipeline's processes has closed
//! it. Without the variable each tool opens the file itself.

use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd};

use crate::error::{Result, ResultExt};
use crate::fsx;
use crate::root::Root;

/// The inherited fd of `images/.gc.lock`, when a verb opened it.
pub const FD_ENV: &str = "RVOL_LAYERS_LOCK_FD";

/// The lock file's name under `images/`: beside the index lock, not in
/// `layers/`, whose entries are layers (and their unpack locks) only.
pub const FILE: &str = ".gc.lock";

/// A held lock; released when dropped (an inherited fd: when the last
/// process holding it closes it).
pub enum Held {
    Own(fsx::Lock),
    Inherited(File),
}

/// Take the shared lock: on the inherited fd when [`FD_ENV`] names one,
/// else on `images/.gc.lock` (made with `images/` when missing).
pub fn shared(root: &Root) -> Result<Held> {
    if let Some(fd) = inherited() {
        fsx::flock(&fd, libc::LOCK_SH).with_ctx(|| {
            format!(
                "lock fd {fd:?} (${FD_ENV})",
                fd = std::os::fd::AsRawFd::as_raw_fd(&fd)
            )
        })?;
        return Ok(Held::Inherited(fd));
    }
    Ok(Held::Own(fsx::Lock::shared(&path(root)?)?))
}

/// The collector's lock: no one is choosing layers while it is held.
pub fn exclusive(root: &Root) -> Result<fsx::Lock> {
    fsx::Lock::exclusive(&path(root)?)
}

fn path(root: &Root) -> Result<std::path::PathBuf> {
    let images = root.images();
    std::fs::create_dir_all(&images).with_ctx(|| format!("mkdir {}", images.display()))?;
    Ok(images.join(FILE))
}

/// The fd in [`FD_ENV`], if it is an open file (a stale variable naming a
/// closed fd falls back to the file).
fn inherited() -> Option<File> {
    let fd: i32 = std::env::var(FD_ENV).ok()?.parse().ok()?;
    // SAFETY: F_GETFD only asks whether the fd is open.
    if fd < 3 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return None;
    }
    // SAFETY: the fd is open and was handed to this process for this lock;
    // it is dup'ed so that dropping ours leaves the original as it was.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if dup < 0 {
        return None;
    }
    // SAFETY: dup is a new fd we own.
    Some(File::from(unsafe { OwnedFd::from_raw_fd(dup) }))
}

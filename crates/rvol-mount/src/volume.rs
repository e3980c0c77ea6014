//! The local volume store: `volumes/<name>/_data` plus `volume.json`
//! (rvol_state's VolumeRecord), one flock per volume
//! (`volumes/<name>.lock`), copy-up into an empty volume. What counts as
//! a volume and who uses one: `rvol_state::volume`.

use std::path::{Path, PathBuf};

pub use rvol_state::volume::{in_use, list};

use rvol_state::fsx::{self, Lock};
use rvol_state::localvol;
use rvol_state::record::VolumeRecord;
use rvol_state::{Error, Result, ResultExt, Root};
use serde_json::{Map, Value};

use crate::copyup;
use crate::imageview::ImageView;
use rvol_state::inroot;

/// Hold the volume's lock (made on first use).
pub fn lock(root: &Root, name: &str) -> Result<Lock> {
    std::fs::create_dir_all(root.volumes())
        .with_ctx(|| format!("mkdir {}", root.volumes().display()))?;
    Lock::exclusive(&root.volumes().join(format!("{name}.lock")))
}

pub fn exists(root: &Root, name: &str) -> bool {
    rvol_state::volume::is_volume(root, name)
}

/// Make the volume unless it exists; true when this call made it. The
/// caller holds its lock. Built under a temp name and renamed, so a
/// volume is complete or absent.
pub fn create(
    root: &Root,
    name: &str,
    labels: Map<String, Value>,
    options: Map<String, Value>,
    anonymous: bool,
) -> Result<bool> {
    if exists(root, name) {
        return Ok(false);
    }
    let tmp = root
        .volumes()
        .join(format!(".tmp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let r = (|| -> Result<()> {
        std::fs::create_dir_all(tmp.join("_data"))
            .with_ctx(|| format!("mkdir {}", tmp.display()))?;
        let rec = VolumeRecord {
            created_at: rvol_state::time::now_secs(),
            labels,
            options,
            anonymous,
        };
        fsx::write_json(&tmp.join("volume.json"), &rec)?;
        std::fs::rename(&tmp, root.volume(name)).with_ctx(|| {
            format!(
                "rename {} to {}",
                tmp.display(),
                root.volume(name).display()
            )
        })
    })();
    if r.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    r.with_ctx(|| format!("create volume {name}"))?;
    Ok(true)
}

pub use rvol_state::localvol::record;

pub fn remove(root: &Root, name: &str) -> Result<()> {
    let gone = remove_later(root, name)?;
    std::fs::remove_dir_all(&gone).with_ctx(|| format!("remove {}", gone.display()))
}

/// The volume is gone for every tool (renamed to a hidden `.rm-*` name, so
/// a half-removed volume is never seen as a volume); its files are for the
/// caller to delete, at the path returned.
pub fn remove_later(root: &Root, name: &str) -> Result<PathBuf> {
    // A mount its users left (they were killed) goes first: deleting the
    // files of a mounted bind volume would delete its device's.
    let data = root.volume_data(name);
    if localvol::is_mounted(&data) {
        localvol::unmount(&data)?;
    }
    let gone = root
        .volumes()
        .join(format!(".rm-{name}-{}", std::process::id()));
    std::fs::rename(root.volume(name), &gone).with_ctx(|| format!("remove volume {name}"))?;
    Ok(gone)
}

/// Whether copy-up into this volume would happen, and fail because the
/// image has a non-directory at `dest` (docker: `source X is not directory`).
pub fn check_copy_up(
    root: &Root,
    name: &str,
    view: &ImageView,
    dest: &str,
    shown: &Path,
) -> Result<()> {
    if exists(root, name) && !copyup::is_empty_dir(&root.volume_data(name)).unwrap_or(false) {
        return Ok(());
    }
    match inroot::open(view.root(), dest, libc::O_PATH) {
        Ok(fd) => {
            let st = inroot::fstat(std::os::fd::AsFd::as_fd(&fd))?;
            if !inroot::is_dir(&st) {
                return Err(Error::new(format!(
                    "source {} is not directory",
                    shown.display()
                )));
            }
            Ok(())
        }
        Err(_) => Ok(()),
    }
}

/// Copy the image's `dest` into the volume if the volume is empty and
/// `dest` is a directory in the image. The caller holds the lock. The
/// copy goes to a temp directory renamed over the empty `_data`, so a
/// copy cut off half way is never taken for a populated volume.
pub fn copy_up(root: &Root, name: &str, view: &ImageView, dest: &str) -> Result<()> {
    let data = root.volume_data(name);
    if !copyup::is_empty_dir(&data).with_ctx(|| format!("read {}", data.display()))? {
        return Ok(());
    }
    let src = match inroot::open(view.root(), dest, libc::O_RDONLY | libc::O_DIRECTORY) {
        Ok(fd) => fd,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
        Err(e) => {
            return Err(Error::new(format!(
                "copy-up: open {dest} in the image: {e}"
            )))
        }
    };
    if localvol::is_mounted(&data) {
        // A volume with options, mounted for the copy (create): no temp
        // directory can be renamed over a mount point, so the copy goes
        // in place, as docker's does.
        let dst = std::fs::File::open(&data).with_ctx(|| format!("open {}", data.display()))?;
        use std::os::fd::AsFd;
        return copyup::copy_tree(src.as_fd(), dst.as_fd())
            .with_ctx(|| format!("volume {name}: copy {dest} from the image"));
    }
    let dir = root.volume(name);
    sweep_stale(&dir);
    let tmp: PathBuf = dir.join(format!(".copyup-{}", std::process::id()));
    let r = (|| -> Result<()> {
        std::fs::create_dir(&tmp).with_ctx(|| format!("mkdir {}", tmp.display()))?;
        let dst = std::fs::File::open(&tmp).with_ctx(|| format!("open {}", tmp.display()))?;
        use std::os::fd::AsFd;
        copyup::copy_tree(src.as_fd(), dst.as_fd())?;
        // rename(2) replaces an empty directory atomically.
        std::fs::rename(&tmp, &data)
            .with_ctx(|| format!("rename {} to {}", tmp.display(), data.display()))
    })();
    if r.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    r.with_ctx(|| format!("volume {name}: copy {dest} from the image"))
}

/// Leftovers of a copy-up that was killed (we hold the lock, so none is live).
fn sweep_stale(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(".copyup-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// docker's directory.Size and units.HumanSize, shared with the image
/// store's prune (rvol-commit).
pub use rvol_state::du::{human_size, size};

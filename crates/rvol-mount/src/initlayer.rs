//! Docker's init layer, shared: the empty /etc/hostname, /etc/hosts and
//! /etc/resolv.conf that the container's own files are bound over, when the
//! image lacks them. Without it `apply` makes them in each container's
//! upper dir (a copy-up of /etc and three files), and removes them with
//! the container: four inodes made and freed a run, which on an ext4
//! without a journal is dear (each new inode skips, one by one, every
//! inode of its group freed in the last minute). Docker makes one such
//! layer per container; its content depends only on the image's /etc, so
//! here one per distinct /etc serves every container.
//!
//! `layers/init-<mode>-<uid>-<gid>-<mtime>-<missing>/` holds `etc/` with
//! the attributes of the image's /etc (it sits above the image, so they
//! are the ones the container sees) and the missing files. Anything
//! unusual about the image's /etc (not a plain directory, xattrs of its
//! own) and there is no init layer: `apply` makes the mount points as
//! before.

use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rvol_state::fsx::Lock;
use rvol_state::{whiteout, xattr};
use rvol_state::{Result, ResultExt, Root};

const FILES: [&str; 3] = ["hostname", "hosts", "resolv.conf"];

/// An image's init layer: where it goes, the files it holds, and the
/// image's /etc it copies (as this process sees it: read again once a
/// rootless create has entered its user namespace).
struct Place {
    dest: PathBuf,
    name: String,
    missing: Vec<&'static str>,
    etc: std::fs::Metadata,
}

/// The init layer for an image (lower dirs top first); None when the
/// image has all three files.
fn place(root: &Root, layers: &[&Path]) -> Result<Option<Place>> {
    let Some(etc) = top_etc(layers) else {
        return Ok(None);
    };
    let missing: Vec<&str> = FILES
        .iter()
        .copied()
        .filter(|f| !exists_merged(layers, f))
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let md = std::fs::symlink_metadata(&etc).with_ctx(|| format!("stat {}", etc.display()))?;
    let mask: u8 = FILES
        .iter()
        .enumerate()
        .filter(|(_, f)| missing.contains(f))
        .map(|(i, _)| 1 << i)
        .sum();
    // The owners as the container sees them: the same name whether a
    // rootless create looks from outside its user namespace or inside.
    use rvol_state::rootless::inside_id;
    let name = format!(
        "init-{:o}-{}-{}-{}.{}-{mask}",
        md.mode() & 0o7777,
        inside_id(md.uid(), false),
        inside_id(md.gid(), true),
        md.mtime(),
        md.mtime_nsec()
    );
    Ok(Some(Place {
        dest: root.layers().join(&name),
        name,
        missing,
        etc: md,
    }))
}

/// Whether [`ensure`] would make a layer (rootless: it then needs the
/// user namespace, for the owners of /etc).
pub fn missing(root: &Root, lower_dirs: &[String]) -> Result<bool> {
    let layers: Vec<&Path> = lower_dirs.iter().map(Path::new).collect();
    Ok(place(root, &layers)?.is_some_and(|p| !p.dest.is_dir()))
}

/// The init layer for an image (lower dirs top first), made if needed;
/// None when the image has all three files or an unusual /etc.
pub fn ensure(root: &Root, lower_dirs: &[String]) -> Result<Option<PathBuf>> {
    let layers: Vec<&Path> = lower_dirs.iter().map(Path::new).collect();
    let Some(Place {
        dest,
        name,
        missing,
        etc: md,
    }) = place(root, &layers)?
    else {
        return Ok(None);
    };
    if dest.is_dir() {
        return Ok(Some(dest));
    }
    let _lock = Lock::exclusive(&root.layers().join(format!(".lock-{name}")))?;
    if dest.is_dir() {
        return Ok(Some(dest));
    }
    // We hold the lock: a temp dir of this name is a dead create's.
    let tmp = root.layers().join(format!(".tmp-{name}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let r = make(&tmp, &md, &missing).and_then(|()| {
        std::fs::rename(&tmp, &dest)
            .with_ctx(|| format!("rename {} to {}", tmp.display(), dest.display()))
    });
    if r.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    r.map(|()| Some(dest))
}

fn make(tmp: &Path, etc_md: &std::fs::Metadata, missing: &[&str]) -> Result<()> {
    let etc = tmp.join("etc");
    std::fs::create_dir_all(&etc).with_ctx(|| format!("mkdir {}", etc.display()))?;
    for f in missing {
        let p = etc.join(f);
        // Docker's init layer makes them 0755, as `apply` did.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .open(&p)
            .with_ctx(|| format!("create {}", p.display()))?;
        file.sync_all()
            .with_ctx(|| format!("sync {}", p.display()))?;
    }
    std::os::unix::fs::lchown(&etc, Some(etc_md.uid()), Some(etc_md.gid()))
        .with_ctx(|| format!("chown {}", etc.display()))?;
    std::fs::set_permissions(
        &etc,
        std::os::unix::fs::PermissionsExt::from_mode(etc_md.mode() & 0o7777),
    )
    .with_ctx(|| format!("chmod {}", etc.display()))?;
    let mtime = nix::sys::time::TimeSpec::new(etc_md.mtime(), etc_md.mtime_nsec());
    nix::sys::stat::utimensat(
        None,
        &etc,
        &mtime,
        &mtime,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    )
    .with_ctx(|| format!("set the times of {}", etc.display()))?;
    for d in [&etc, tmp] {
        std::fs::File::open(d)
            .and_then(|f| f.sync_all())
            .with_ctx(|| format!("sync {}", d.display()))?;
    }
    Ok(())
}

/// The image's /etc as the container sees it: the topmost layer's `etc`,
/// when it is a plain directory without xattrs of its own (overlay's
/// bookkeeping aside).
fn top_etc(layers: &[&Path]) -> Option<PathBuf> {
    let etc = layers
        .iter()
        .map(|l| l.join("etc"))
        .find(|p| std::fs::symlink_metadata(p).is_ok())?;
    let md = std::fs::symlink_metadata(&etc).ok()?;
    if !md.is_dir() || own_xattrs(&etc) {
        return None;
    }
    Some(etc)
}

/// Whether `etc/<file>` is in the merged image: the topmost layer that
/// says anything decides (a file, a whiteout, an opaque or replaced etc).
fn exists_merged(layers: &[&Path], file: &str) -> bool {
    for l in layers {
        let etc = l.join("etc");
        let Ok(emd) = std::fs::symlink_metadata(&etc) else {
            continue;
        };
        if !emd.is_dir() {
            return false;
        }
        if let Ok(md) = std::fs::symlink_metadata(etc.join(file)) {
            // A whiteout hides it.
            return !whiteout::is_overlay_whiteout(md.mode(), md.rdev());
        }
        if opaque(&etc) {
            return false;
        }
    }
    false
}

fn opaque(dir: &Path) -> bool {
    xattr::read_all(dir).is_ok_and(|x| whiteout::is_opaque(&x))
}

/// Xattrs of its own (overlay's bookkeeping aside), or unreadable ones.
fn own_xattrs(p: &Path) -> bool {
    xattr::read_all(p).map_or(true, |x| {
        x.iter().any(|(k, _)| !xattr::is_overlay_bookkeeping(k))
    })
}

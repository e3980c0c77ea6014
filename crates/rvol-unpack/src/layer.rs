//! One layer into `ROOT/layers/<hex of diff_id>/`: complete or absent.
//! Under an flock per layer, the blob is streamed into a temp directory
//! beside the final one; only when the digest, the size and the diff_id
//! all match (and the data is on disk) is the temp directory renamed into
//! place. Any failure removes the temp directory.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use rvol_state::digest::{self, HashingReader};
use rvol_state::fsx::Lock;
use rvol_state::store::digest_hex;
use rvol_state::{Error, Result, Root};

use crate::extract;
use crate::fsat;
use crate::pipeline::Stream;

/// What a manifest says about a layer, plus the config's diff_id for it.
#[derive(Debug, Clone)]
pub struct LayerRef {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub diff_id: String,
}

/// Make sure the layer is unpacked; returns its directory and whether this
/// call did the unpacking. `blob` opens the compressed blob.
pub fn ensure(
    root: &Root,
    layer: &LayerRef,
    blob: &dyn Fn() -> Result<std::fs::File>,
) -> Result<(PathBuf, bool)> {
    let hex = digest_hex(&layer.diff_id)?.to_string();
    let dest = root.layer(&layer.diff_id);
    if dest.is_dir() {
        return Ok((dest, false));
    }
    let layers = root.layers();
    std::fs::create_dir_all(&layers)
        .map_err(|e| Error::new(format!("mkdir {}: {e}", layers.display())))?;
    let _lock = Lock::exclusive(&layers.join(format!(".lock-{hex}")))?;
    if dest.is_dir() {
        // Another run unpacked it while we waited.
        return Ok((dest, false));
    }
    // We hold the lock: any temp dir of this layer is a dead run's leftover.
    sweep(&layers, &hex);
    let tmp = layers.join(format!(".tmp-{hex}-{}", std::process::id()));
    std::fs::create_dir(&tmp).map_err(|e| Error::new(format!("mkdir {}: {e}", tmp.display())))?;
    let r = unpack_into(&tmp, layer, blob).and_then(|()| {
        std::fs::rename(&tmp, &dest).map_err(|e| {
            Error::new(format!(
                "rename {} to {}: {e}",
                tmp.display(),
                dest.display()
            ))
        })
    });
    if let Err(e) = r {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Ok(d) = std::fs::File::open(&layers) {
        let _ = fsat::fsync(d.as_raw_fd());
    }
    Ok((dest, true))
}

fn sweep(layers: &Path, hex: &str) {
    let prefix = format!(".tmp-{hex}-");
    if let Ok(rd) = std::fs::read_dir(layers) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn unpack_into(
    tmp: &Path,
    layer: &LayerRef,
    blob: &dyn Fn() -> Result<std::fs::File>,
) -> Result<()> {
    // Before anything is made: the magic bytes must agree with the media type.
    // On a terminal, docker's `ID: Loading layer [==>  ] DONE/SIZE`.
    let bar = rvol_state::progress::layer(&layer.digest, layer.size);
    let counted = rvol_state::progress::Counted {
        inner: blob()?,
        bar: bar.clone(),
    };
    let stream = Stream::start(counted, &layer.media_type)?;
    let root: OwnedFd = std::fs::File::open(tmp)
        .map_err(|e| Error::new(format!("open {}: {e}", tmp.display())))?
        .into();
    // Layer roots are 0755 unless the layer's `./` entry says otherwise.
    fsat::fchmod(root.as_raw_fd(), 0o755)
        .map_err(|e| Error::new(format!("chmod {}: {e}", tmp.display())))?;

    let mut archive = tar::Archive::new(stream);
    let sums = match extract::extract(&mut archive, &root) {
        Err(e) => Err(archive.into_inner().abort().unwrap_or(e)),
        Ok(()) => archive.into_inner().finish(),
    };
    // A bad blob usually breaks the decompressor or the tar reader before
    // its digest is known; then the digest is the cause worth reporting.
    let sums = match sums {
        Ok(s) => s,
        Err(e) => return Err(blob_check(layer, blob).err().unwrap_or(e)),
    };
    if sums.size != layer.size {
        return Err(Error::new(format!(
            "blob is {} bytes, the manifest says {}",
            sums.size, layer.size
        )));
    }
    if sums.digest != layer.digest {
        return Err(Error::new(format!(
            "blob has digest {}: corrupted",
            sums.digest
        )));
    }
    if sums.diff_id != layer.diff_id {
        return Err(Error::new(format!(
            "uncompressed layer has digest {}, the image config says {}",
            sums.diff_id, layer.diff_id
        )));
    }
    bar.finish();
    // Complete also after a crash: the data reaches the disk before the
    // rename publishes it.
    fsat::syncfs(root.as_raw_fd())
        .map_err(|e| Error::new(format!("syncfs {}: {e}", tmp.display())))?;
    Ok(())
}

/// Hash the whole blob: an error when its size or digest is not the manifest's.
fn blob_check(layer: &LayerRef, blob: &dyn Fn() -> Result<std::fs::File>) -> Result<()> {
    let mut r = HashingReader::new(blob()?);
    digest::drain(&mut r).map_err(|e| Error::new(format!("read blob: {e}")))?;
    let (_, digest, size) = r.finish();
    if digest != layer.digest {
        return Err(Error::new(format!("blob has digest {digest}: corrupted")));
    }
    if size != layer.size {
        return Err(Error::new(format!(
            "blob is {size} bytes, the manifest says {}",
            layer.size
        )));
    }
    Ok(())
}

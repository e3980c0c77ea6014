//! The store's garbage collector (ARCHITECTURE.md "Layer garbage
//! collection"): under the exclusive `images/.gc.lock`, what is live is
//! every layer and blob an image in the index or a container's record
//! names; every other layer directory and blob goes.
//!
//! A layer is renamed to `layers/.rm-<name>` before its files are deleted,
//! so a kill -9 leaves either the whole layer or a `.rm-*` no tool reads
//! (the next collection deletes it). The index is rewritten before any of
//! this, so no image in it ever lacks a blob.

use std::collections::HashSet;
use std::path::Path;

use rvol_state::bundle::Container;
use rvol_state::fsx;
use rvol_state::record::ImageRecord;
use rvol_state::store::{self, Store, StoredImage};
use rvol_state::{container, Result, Root};
use serde_json::Value;

/// A container's hold on the store: its image and layers.
pub struct User {
    pub id: String,
    pub running: bool,
    pub image: ImageRecord,
    pub init_layer: Option<String>,
}

/// Every container (created, running, stopped) with its image record.
/// A bundle whose record cannot be read is an error: collecting without
/// knowing what it uses could remove its layers.
pub fn users(root: &Root) -> Result<Vec<User>> {
    let mut out = Vec::new();
    for id in container::list(root)? {
        let c = Container::open(root, &id);
        match c.spec() {
            Ok(_) => {}
            // Removed since it was listed (rm, an --rm container's end).
            Err(_) if !c.dir().exists() => continue,
            Err(e) => return Err(e.context(format!("container {id}"))),
        }
        let ann = c.annotations()?;
        let image = ann.image()?.unwrap_or_default();
        let init_layer = ann.init_layer().map(str::to_string);
        let running = c.state().map(|s| s.running).unwrap_or(false);
        out.push(User {
            id,
            running,
            image,
            init_layer,
        });
    }
    Ok(out)
}

/// The chain ids nothing else needs once `gone` is out of the index:
/// docker's `Deleted:` lines after the image's, top layer first.
pub fn released_chains(gone: &StoredImage, rest: &[StoredImage], users: &[User]) -> Vec<String> {
    let mut live: HashSet<String> = HashSet::new();
    for i in rest {
        live.extend(i.chain_ids());
    }
    for u in users {
        live.extend(store::chain_ids(&u.image.diff_ids));
    }
    let mut out: Vec<String> = gone
        .chain_ids()
        .into_iter()
        .filter(|c| !live.contains(c))
        .collect();
    out.reverse();
    out
}

/// Remove every layer directory and blob no image in the index and no
/// container needs. The caller holds the exclusive layer lock (`_held`)
/// and has already rewritten the index. Returns the bytes of the layer
/// directories removed: what docker's prunes call reclaimed (its layers'
/// sizes; the blobs are the store's copy of what docker does not keep).
pub fn collect(root: &Root, store: &Store, users: &[User], _held: &fsx::Lock) -> Result<u64> {
    let images = store.images()?;
    // A build's records of images gone go with them (their parents, their
    // cache entries are found missing by the next build).
    store.sweep_parents(&images);
    let mut live_layers: HashSet<String> = HashSet::new();
    let mut live_blobs: HashSet<String> = HashSet::new();
    for i in &images {
        live_layers.extend(i.diff_ids.iter().map(|d| hex(d).to_string()));
        live_blobs.extend(i.blobs.iter().cloned());
    }
    for u in users {
        live_layers.extend(u.image.diff_ids.iter().map(|d| hex(d).to_string()));
        live_layers.extend(u.image.lower_dirs.iter().filter_map(|p| base(p)));
        live_layers.extend(u.init_layer.as_deref().and_then(base));
        // The container's image, even if no longer tagged: commit reads
        // its parent's blobs.
        live_blobs.extend(image_blobs(store, &u.image.manifest_digest));
    }
    let mut freed = 0;
    let layers = root.layers();
    if let Ok(rd) = std::fs::read_dir(&layers) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            if name.starts_with(".rm-") || name.starts_with(".tmp-") {
                // A killed collection's, or a killed unpack's: no one
                // unpacks while we hold the lock.
                freed += remove_tree(&path);
            } else if let Some(h) = name.strip_prefix(".lock-") {
                if !live_layers.contains(h) {
                    let _ = std::fs::remove_file(&path);
                }
            } else if !name.starts_with('.') && !live_layers.contains(&name) && path.is_dir() {
                let doomed = layers.join(format!(".rm-{name}"));
                if std::fs::rename(&path, &doomed).is_ok() {
                    freed += remove_tree(&doomed);
                }
            }
        }
    }
    // Under the lock no writer is between its blobs and its index entry,
    // so a blob nothing live names is garbage: a removed image's, or one
    // a container kept until it went.
    if let Ok(rd) = std::fs::read_dir(store.blobs()) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if live_blobs.contains(&format!("sha256:{name}")) {
                continue;
            }
            if e.metadata().is_ok_and(|m| m.is_file()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(freed)
}

/// The blobs of one manifest (manifest, config, layers); none when unreadable.
fn image_blobs(store: &Store, manifest: &str) -> Vec<String> {
    let Ok(man) = store.read_json::<Value>(manifest) else {
        return Vec::new();
    };
    let mut out = vec![manifest.to_string()];
    out.extend(man["config"]["digest"].as_str().map(str::to_string));
    for l in man["layers"].as_array().into_iter().flatten() {
        out.extend(l["digest"].as_str().map(str::to_string));
    }
    out
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

fn base(p: &str) -> Option<String> {
    Path::new(p)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

/// Delete a tree; returns the bytes it held.
fn remove_tree(path: &Path) -> u64 {
    let size = rvol_state::du::size(path);
    let _ = std::fs::remove_dir_all(path);
    size
}

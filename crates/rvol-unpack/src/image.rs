//! An image in the store: its config, and its layers unpacked.

use std::path::PathBuf;

use rvol_state::store::{Resolved, Store};
use rvol_state::{Error, Result, Root};
use serde_json::Value;

use crate::layer::{self, LayerRef};

/// A layer's directory and whether this run unpacked it.
type Done = (PathBuf, bool);

pub struct Image {
    pub resolved: Resolved,
    pub config_digest: String,
    /// The image config as JSON (every field kept: docker adds its own).
    pub config: Value,
    /// Bottom layer first.
    pub layers: Vec<LayerRef>,
}

impl Image {
    pub fn open(local: &Store, resolved: Resolved) -> Result<Image> {
        let config_digest = resolved.manifest.config().digest().to_string();
        let config: Value = local
            .read_json(&config_digest)
            .map_err(|e| e.context("image config"))?;
        let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
            .as_array()
            .ok_or_else(|| Error::new(format!("image config {config_digest}: no rootfs.diff_ids")))?
            .iter()
            .map(|d| d.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                Error::new(format!("image config {config_digest}: bad rootfs.diff_ids"))
            })?;
        let descs = resolved.manifest.layers();
        if descs.len() != diff_ids.len() {
            return Err(Error::new(format!(
                "image {}: {} layers in the manifest but {} diff_ids in the config",
                resolved.manifest_digest,
                descs.len(),
                diff_ids.len()
            )));
        }
        let layers = descs
            .iter()
            .zip(diff_ids)
            .map(|(d, diff_id)| LayerRef {
                media_type: d.media_type().to_string(),
                digest: d.digest().to_string(),
                size: d.size(),
                diff_id,
            })
            .collect();
        Ok(Image {
            resolved,
            config_digest,
            config,
            layers,
        })
    }

    /// Unpack every layer not yet present; returns the layer directories,
    /// bottom first, and how many were unpacked now. Layers are
    /// independent in overlay form, so a few unpack at once; the first
    /// failing layer (in image order) is the error reported.
    pub fn unpack(&self, root: &Root, local: &Store) -> Result<(Vec<PathBuf>, usize)> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;
        let n = self.layers.len();
        // Warm layers, the common case: no worker threads (a thread and
        // the cgroup files available_parallelism reads were a third of a
        // warm resolve, perf).
        let warm: Vec<PathBuf> = self
            .layers
            .iter()
            .map(|l| root.layer(&l.diff_id))
            .take_while(|d| d.is_dir())
            .collect();
        if warm.len() == n {
            return Ok((warm, 0));
        }
        // Rootless: layers keep the image's owners through the id map
        // (before any thread: a user namespace takes a single thread).
        rvol_state::rootless::enter(true)?;
        let workers = std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(2)
            .clamp(2, 4)
            .min(n);
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<Done>>>> = Mutex::new((0..n).map(|_| None).collect());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        break;
                    }
                    let l = &self.layers[i];
                    let open = || local.open_blob(&l.digest);
                    let r = layer::ensure(root, l, &open)
                        .map_err(|e| e.context(format!("layer {}", l.digest)));
                    results.lock().unwrap()[i] = Some(r);
                });
            }
        });
        let mut dirs = Vec::new();
        let mut made = 0;
        for r in results.into_inner().unwrap() {
            let (dir, new) = r.unwrap_or_else(|| Err(Error::new("layer worker died")))?;
            made += new as usize;
            dirs.push(dir);
        }
        Ok((dirs, made))
    }
}

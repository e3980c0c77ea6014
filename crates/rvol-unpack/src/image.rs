//! An image in the store: its config, and its layers unpacked.

use std::path::PathBuf;

use rvol_state::store::{Resolved, Store};
use rvol_state::{Error, Result, Root};
use serde_json::Value;

use crate::layer::{self, LayerRef};

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
    /// bottom first, and how many were unpacked now.
    pub fn unpack(&self, root: &Root, local: &Store) -> Result<(Vec<PathBuf>, usize)> {
        let mut dirs = Vec::new();
        let mut made = 0;
        for l in &self.layers {
            let open = || local.open_blob(&l.digest);
            let (dir, new) = layer::ensure(root, l, &open)
                .map_err(|e| e.context(format!("layer {}", l.digest)))?;
            made += new as usize;
            dirs.push(dir);
        }
        Ok((dirs, made))
    }
}

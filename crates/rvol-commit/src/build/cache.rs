//! The build cache: a step is keyed by its parent image, what it does (its
//! history line, which names the build args it sees and, for COPY, a digest
//! of its files) and anything else that changes its result; the key names
//! the image the step made last time, which is used again while it is still
//! in the store (docker's classic builder finds a child of the parent made
//! by the same command). Kept in images/build-cache/<key>, one JSON record
//! each, written atomically.

use std::path::PathBuf;

use serde_json::{json, Value};

use rvol_state::digest;
use rvol_state::store::Store;
use rvol_state::{fsx, Result, Root};

use crate::image::NewImage;

pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn new(root: &Root) -> Cache {
        Cache {
            dir: root.images().join("build-cache"),
        }
    }

    pub fn key(parent: &str, step: &str) -> String {
        let d = digest::sha256(format!("{parent}\n{step}").as_bytes());
        d["sha256:".len()..].to_string()
    }

    /// The image this step made before, if the store still holds it.
    pub fn lookup(&self, store: &Store, key: &str) -> Option<NewImage> {
        let v: Value = fsx::read_json(&self.dir.join(key)).ok()?;
        let id = v["Id"].as_str()?;
        let manifest = v["Manifest"].as_str()?;
        // In the index still (a manifest names its config: the id
        // follows); the index alone is read, not every image.
        let index = store.index().ok()?;
        index["manifests"]
            .as_array()?
            .iter()
            .any(|m| m["digest"] == manifest)
            .then(|| NewImage {
                id: id.to_string(),
                manifest_digest: manifest.to_string(),
                manifest_size: v["Size"].as_u64().unwrap_or(0),
            })
    }

    pub fn record(&self, key: &str, parent: &str, img: &NewImage) -> Result<()> {
        std::fs::create_dir_all(&self.dir).ok();
        fsx::write_json(
            &self.dir.join(key),
            &json!({"Id": img.id, "Manifest": img.manifest_digest, "Size": img.manifest_size, "Parent": parent}),
        )
    }
}

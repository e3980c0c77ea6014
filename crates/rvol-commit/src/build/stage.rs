//! The image a build stage has made so far: its config and manifest as
//! stored (an unstored `scratch` until a step writes one), found by name
//! or id the way rvol-unpack finds an image (rvol_state::store::find).

use serde_json::{json, Map, Value};

use rvol_state::store::{self, Store};
use rvol_state::{Error, Result};

use crate::image::{NewImage, Parent};

#[derive(Clone)]
pub struct Image {
    /// `sha256:<config digest>`; empty for `scratch` not yet stored.
    pub id: String,
    pub manifest_digest: String,
    pub manifest_size: u64,
    pub parent: Parent,
}

impl Image {
    /// `FROM scratch`: no layers, the config docker starts from.
    pub fn scratch() -> Image {
        Image {
            id: String::new(),
            manifest_digest: String::new(),
            manifest_size: 0,
            parent: Parent {
                config: json!({
                    "architecture": store::go_arch(),
                    "os": "linux",
                    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
                    "rootfs": {"type": "layers", "diff_ids": []},
                    "history": [],
                }),
                manifest: json!({"schemaVersion": 2, "mediaType": store::MEDIA_MANIFEST, "layers": []}),
            },
        }
    }

    /// An image of the store by name or id; docker's text when missing
    /// (no registry here: the classic builder would try to pull).
    pub fn find(store: &Store, reference: &str) -> Result<Image> {
        let images = store.images()?;
        let (img, _) = store::find(&images, reference).ok_or_else(|| {
            Error::new(format!(
                "Error response from daemon: No such image: {reference}"
            ))
        })?;
        let md = img.manifests[0].clone();
        Image::read(store, &img.id, &md)
    }

    pub fn read(store: &Store, id: &str, manifest_digest: &str) -> Result<Image> {
        let parent = Parent::read(store, manifest_digest, id)?;
        let size = store.read_blob(manifest_digest)?.len() as u64;
        Ok(Image {
            id: id.to_string(),
            manifest_digest: manifest_digest.to_string(),
            manifest_size: size,
            parent,
        })
    }

    pub fn from_new(store: &Store, n: &NewImage) -> Result<Image> {
        Image::read(store, &n.id, &n.manifest_digest)
    }

    /// docker's `Config` object of the image.
    pub fn config(&self) -> Map<String, Value> {
        self.parent.config["config"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    /// The first 12 hex of the id (docker's ` ---> <id12>`).
    pub fn short(&self) -> &str {
        let hex = self.id.strip_prefix("sha256:").unwrap_or(&self.id);
        &hex[..hex.len().min(12)]
    }
}

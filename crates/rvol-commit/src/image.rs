//! The new image's config and manifest, made from the parent's (read from
//! the store) plus one layer, the container's `Config`, and the changes.
//! Configs are kept as JSON values so that no field of the parent is lost.

use serde_json::{json, Map, Value};

use rvol_state::store::{self, Store};
use rvol_state::{Error, Result, ResultExt};

use crate::blob::Written;

/// The parent image: its config and its manifest, as stored.
#[derive(Clone)]
pub struct Parent {
    pub config: Value,
    pub manifest: Value,
}

impl Parent {
    pub fn read(store: &Store, manifest_digest: &str, config_digest: &str) -> Result<Parent> {
        let manifest: Value = store
            .read_json(manifest_digest)
            .ctx(format!("parent manifest {manifest_digest}"))?;
        let listed = manifest["config"]["digest"].as_str().unwrap_or("");
        if !config_digest.is_empty() && listed != config_digest {
            return Err(Error::new(format!(
                "parent manifest {manifest_digest} lists config {listed}, the container was made from {config_digest}"
            )));
        }
        let config: Value = store
            .read_json(listed)
            .ctx(format!("parent config {listed}"))?;
        if !config.is_object() {
            return Err(Error::new(format!(
                "parent config {listed}: not a JSON object"
            )));
        }
        Ok(Parent { config, manifest })
    }
}

/// What goes into the new config besides the layer.
pub struct Meta<'a> {
    pub created: &'a str,
    pub author: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub created_by: String,
    pub container_id: &'a str,
    /// Docker's `Config` after the container's run overrides and the changes.
    pub config: Map<String, Value>,
}

/// Parent config + new diff_id + history entry + the container's Config.
/// Without a layer (a build's ENV, CMD, ... step) the history entry is an
/// `empty_layer`, as docker records it.
pub fn new_config(parent: &Parent, layer: Option<&Written>, meta: &Meta) -> Result<Value> {
    let mut c = parent.config.as_object().cloned().unwrap_or_default();
    // The author is the commit's, never the parent's (as docker).
    c.remove("author");
    c.remove("container_config");
    if let Some(a) = meta.author {
        c.insert("author".into(), json!(a));
    }
    c.insert("config".into(), Value::Object(meta.config.clone()));
    c.insert("container".into(), json!(meta.container_id));
    c.insert("created".into(), json!(meta.created));

    let mut entry = Map::new();
    entry.insert("created".into(), json!(meta.created));
    if let Some(a) = meta.author {
        entry.insert("author".into(), json!(a));
    }
    entry.insert("created_by".into(), json!(meta.created_by));
    if let Some(m) = meta.comment {
        entry.insert("comment".into(), json!(m));
    }
    if layer.is_none() {
        entry.insert("empty_layer".into(), json!(true));
    }
    let history = c.entry("history").or_insert_with(|| json!([]));
    if !history.is_array() {
        *history = json!([]);
    }
    history.as_array_mut().unwrap().push(Value::Object(entry));

    let rootfs = c
        .entry("rootfs")
        .or_insert_with(|| json!({"type": "layers", "diff_ids": []}));
    let ids = rootfs
        .get_mut("diff_ids")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| Error::new("parent config: rootfs.diff_ids is not a list"))?;
    if let Some(layer) = layer {
        ids.push(json!(layer.diff_id));
    }
    Ok(Value::Object(c))
}

/// Docker's media types for the same things, as OCI names them.
fn oci_layer_media(m: &str) -> &str {
    match m {
        "application/vnd.docker.image.rootfs.diff.tar.gzip" => store::MEDIA_LAYER_GZIP,
        "application/vnd.docker.image.rootfs.diff.tar" => store::MEDIA_LAYER_TAR,
        "application/vnd.docker.image.rootfs.diff.tar.zstd" => store::MEDIA_LAYER_ZSTD,
        m => m,
    }
}

/// An OCI manifest: the parent's layers, then the new one.
pub fn new_manifest(
    parent: &Parent,
    config_digest: &str,
    config_size: u64,
    layer: Option<&Written>,
    layer_media: &str,
) -> Result<Value> {
    let mut layers = Vec::new();
    for l in parent.manifest["layers"].as_array().into_iter().flatten() {
        let mut l = l.clone();
        if let Some(m) = l["mediaType"].as_str() {
            l["mediaType"] = json!(oci_layer_media(m));
        }
        layers.push(l);
    }
    if let Some(layer) = layer {
        layers.push(json!({"mediaType": layer_media, "digest": layer.digest, "size": layer.size}));
    }
    Ok(json!({
        "schemaVersion": 2,
        "mediaType": store::MEDIA_MANIFEST,
        "config": {"mediaType": store::MEDIA_CONFIG, "digest": config_digest, "size": config_size},
        "layers": layers,
    }))
}

/// An image written to the blobs (not yet in the index).
pub struct NewImage {
    /// `sha256:<config digest>`: the image id.
    pub id: String,
    pub manifest_digest: String,
    pub manifest_size: u64,
}

/// Write the config and manifest of `parent` + `layer` + `meta` as blobs.
pub fn write(
    store: &Store,
    parent: &Parent,
    layer: Option<&Written>,
    meta: &Meta,
    compression: rvol_state::compress::Compression,
) -> Result<NewImage> {
    let new_config = new_config(parent, layer, meta)?;
    let config_bytes = serde_json::to_vec(&new_config)?;
    let config_digest = store.write_blob(&config_bytes)?;
    let manifest = new_manifest(
        parent,
        &config_digest,
        config_bytes.len() as u64,
        layer,
        compression.media_type(),
    )?;
    let manifest_bytes = serde_json::to_vec(&manifest)?;
    let manifest_digest = store.write_blob(&manifest_bytes)?;
    Ok(NewImage {
        id: config_digest,
        manifest_digest,
        manifest_size: manifest_bytes.len() as u64,
    })
}

//! The local image store `ROOT/images/`: an OCI image layout
//! (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), so skopeo, umoci
//! and containerd can read it as it is.
//!
//! A tag is one `index.json` entry whose annotation
//! `org.opencontainers.image.ref.name` holds the FULL `name:tag`
//! (`busybox:latest`), not only the tag as skopeo writes it; so one layout
//! holds many names.
//!
//! Writers (rvol-unpack's import/load, rvol-commit) do, in this order:
//! 1. [`Store::open`] (makes the layout when missing);
//! 2. every layer and the config with [`Store::blob_writer`] (streamed) or
//!    [`Store::write_blob`] (small, in memory): each blob lands under its
//!    digest only after its bytes were hashed, so a blob file is always
//!    complete and correct;
//! 3. the manifest with [`Store::write_blob`];
//! 4. [`Store::tag`] with the manifest's digest and size (or
//!    [`Store::add_untagged`] for an image without a name): rewrites
//!    `index.json` atomically under an flock, replacing an older entry of the
//!    same name. No tool edits `index.json` but through these.
//!
//! Writers hold the shared [`crate::layerlock`] from before their first
//! blob until the index entry is written: blobs no entry names yet are
//! garbage to the collector otherwise.
//!
//! Removers (rvol-commit's rmi and image prune) take the exclusive
//! [`crate::layerlock`], list [`Store::images`] (grouped by image id, as
//! docker counts them), [`find`] one as docker's GetImage does, and edit the
//! index with [`Store::untag_keeping`] and [`Store::remove_manifests`]; the
//! collector then deletes the blobs and layers nothing names.
//!
//! Readers: [`Store::resolve`] (`NAME[:TAG]` -> manifest), then
//! [`Store::read_json`] for the config (`oci_spec::image::ImageConfiguration`,
//! or `serde_json::Value` to keep every field) and [`Store::blob_path`] /
//! [`Store::open_blob`] for the layers. [`Store::at`] opens any OCI layout
//! read-only (`oci:DIR`).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use oci_spec::image::ImageManifest;
use serde_json::{json, Value};

use crate::digest::{self, HashingWriter};
use crate::error::{Error, Result, ResultExt};
use crate::fsx;
use crate::root::Root;

/// Go's GOARCH for this machine: what an image config's `architecture`
/// holds (OCI takes Go's names) and what docker prints as OS/Arch.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The annotation holding an index entry's name.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
pub const MEDIA_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const MEDIA_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const MEDIA_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const MEDIA_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// An OCI image layout on disk: the store, or any `oci:DIR`.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
}

/// What a name resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The index entry's `ref.name` (`busybox:latest`), when there is one.
    pub name: Option<String>,
    /// `sha256:<hex>` of the manifest blob.
    pub manifest_digest: String,
    pub manifest: ImageManifest,
}

/// `busybox` -> `busybox:latest`; `reg:5000/a/b` -> `reg:5000/a/b:latest`;
/// `a:1` stays. A colon counts as a tag separator only after the last `/`.
pub fn normalize_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || name.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// Check a `NAME[:TAG]` for the store: non-empty, no whitespace or control
/// characters, lowercase name as docker wants.
pub fn check_name(name: &str) -> Result<()> {
    let full = normalize_name(name);
    let (n, tag) = full.rsplit_once(':').unwrap_or((&full, ""));
    let ok_name = !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:".contains(&b))
        && !n.starts_with(['.', '-', '/', ':'])
        && !n.ends_with('/');
    let ok_tag = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !tag.starts_with(['.', '-']);
    if ok_name && ok_tag {
        Ok(())
    } else {
        Err(Error::new(format!(
            "invalid reference format: {name:?} (NAME[:TAG], lowercase name)"
        )))
    }
}

/// The hex part of `sha256:<64 hex>`, or an error naming the bad digest.
pub fn digest_hex(digest: &str) -> Result<&str> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(hex)
        }
        _ => Err(Error::new(format!(
            "bad digest {digest:?} (want sha256:<64 lowercase hex>)"
        ))),
    }
}

/// An entry for [`Store::put_entries`].
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Its `ref.name`, as it is written (no normalizing); an entry without
    /// one replaces every entry of its digest.
    pub ref_name: Option<&'a str>,
    /// `sha256:<hex>` of the manifest, and its size.
    pub digest: &'a str,
    pub size: u64,
}

impl Store {
    /// The store of a state root, made (an empty layout) when missing.
    pub fn open(root: &Root) -> Result<Store> {
        let s = Store { dir: root.images() };
        s.init()?;
        Ok(s)
    }

    /// Any OCI image layout, as it is (nothing is created).
    pub fn at(dir: &Path) -> Store {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    /// Make `oci-layout`, `index.json` and `blobs/sha256/` when missing.
    pub fn init(&self) -> Result<()> {
        let blobs = self.blobs();
        std::fs::create_dir_all(&blobs).with_ctx(|| format!("mkdir {}", blobs.display()))?;
        let layout = self.dir.join("oci-layout");
        if !layout.exists() {
            fsx::write_atomic(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !self.index_path().exists() {
            let _lock = self.lock()?;
            if !self.index_path().exists() {
                fsx::write_json(
                    &self.index_path(),
                    &json!({"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": []}),
                )?;
            }
        }
        Ok(())
    }

    pub fn blobs(&self) -> PathBuf {
        self.dir.join("blobs/sha256")
    }
    pub fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// The file of a blob (it may not exist).
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        Ok(self.blobs().join(digest_hex(digest)?))
    }

    pub fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).map(|p| p.is_file()).unwrap_or(false)
    }

    /// Open a blob for streaming; the caller checks the digest while reading.
    pub fn open_blob(&self, digest: &str) -> Result<File> {
        let p = self.blob_path(digest)?;
        File::open(&p).with_ctx(|| format!("blob {digest}: open {}", p.display()))
    }

    /// A small blob (manifest, config), read whole and checked against its digest.
    pub fn read_blob(&self, digest: &str) -> Result<Vec<u8>> {
        let p = self.blob_path(digest)?;
        let bytes =
            std::fs::read(&p).with_ctx(|| format!("blob {digest}: read {}", p.display()))?;
        let got = digest::sha256(&bytes);
        if got != digest {
            return Err(Error::new(format!(
                "blob {digest}: content has digest {got}: corrupted"
            )));
        }
        Ok(bytes)
    }

    /// A small blob parsed as JSON (`ImageManifest`, `ImageConfiguration`, `Value`).
    pub fn read_json<T: serde::de::DeserializeOwned>(&self, digest: &str) -> Result<T> {
        let bytes = self.read_blob(digest)?;
        serde_json::from_slice(&bytes).with_ctx(|| format!("blob {digest}: parse"))
    }

    /// Store small bytes as a blob; returns its digest. Idempotent.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<String> {
        let mut w = self.blob_writer()?;
        w.write_all(bytes)
            .with_ctx(|| format!("write blob in {}", self.blobs().display()))?;
        Ok(w.finish(None)?.0)
    }

    /// A writer that hashes what passes through it into an unnamed
    /// (O_TMPFILE) file in the blobs directory; [`BlobWriter::finish`] links
    /// it under its digest. A writer dropped unfinished, or killed, leaves
    /// nothing behind.
    pub fn blob_writer(&self) -> Result<BlobWriter> {
        use std::os::unix::fs::OpenOptionsExt;
        let blobs = self.blobs();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .mode(0o644)
            .open(&blobs);
        let (file, tmp) = match file {
            Ok(f) => (f, None),
            // A filesystem without O_TMPFILE: a named temp file instead.
            Err(_) => {
                let tmp = blobs.join(format!(
                    ".tmp-{}-{}",
                    std::process::id(),
                    crate::container::new_id()?.get(..16).unwrap_or("0")
                ));
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp)
                    .with_ctx(|| format!("create {}", tmp.display()))?;
                (f, Some(tmp))
            }
        };
        Ok(BlobWriter {
            blobs,
            tmp,
            out: Some(HashingWriter::new(file)),
        })
    }

    /// The parsed `index.json` (as JSON, so no field of other tools is lost).
    pub fn index(&self) -> Result<Value> {
        let p = self.index_path();
        let v: Value = fsx::read_json(&p)?;
        if !v["manifests"].is_array() {
            return Err(Error::new(format!(
                "{}: no \"manifests\" array: not an OCI image layout",
                p.display()
            )));
        }
        Ok(v)
    }

    /// Every `(name, manifest digest)` the index names, in index order.
    pub fn tags(&self) -> Result<Vec<(String, String)>> {
        let index = self.index()?;
        Ok(index["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                Some((
                    m["annotations"][REF_NAME].as_str()?.to_string(),
                    m["digest"].as_str()?.to_string(),
                ))
            })
            .collect())
    }

    /// Resolve `NAME[:TAG]` (tag `latest` by default; an entry whose
    /// ref.name is the bare tag also matches, as skopeo writes), or a
    /// manifest or config digest `sha256:<hex>`, to its manifest.
    /// `None` takes the only manifest of a one-image layout.
    pub fn resolve(&self, name: Option<&str>) -> Result<Resolved> {
        let index = self.index()?;
        let entries: Vec<&Value> = index["manifests"].as_array().unwrap().iter().collect();
        let ref_of = |m: &Value| m["annotations"][REF_NAME].as_str().map(str::to_string);
        let found: Option<&Value> = match name {
            None => match entries.len() {
                1 => Some(entries[0]),
                0 => {
                    return Err(Error::new(format!(
                        "{}: no image in the layout",
                        self.dir.display()
                    )))
                }
                n => {
                    return Err(Error::new(format!(
                        "{}: {n} images in the layout: give a tag",
                        self.dir.display()
                    )))
                }
            },
            Some(want) if want.starts_with("sha256:") => {
                digest_hex(want)?;
                match entries.iter().find(|m| m["digest"] == want) {
                    Some(m) => Some(*m),
                    None => {
                        // An image id (config digest), as docker accepts.
                        let mut hit = None;
                        for m in &entries {
                            if let Some(d) = m["digest"].as_str() {
                                if let Ok(man) = self.read_json::<Value>(d) {
                                    if man["config"]["digest"] == want {
                                        hit = Some(*m);
                                        break;
                                    }
                                }
                            }
                        }
                        hit
                    }
                }
            }
            Some(want) => {
                let full = normalize_name(want);
                entries
                    .iter()
                    .find(|m| ref_of(m).as_deref() == Some(full.as_str()))
                    .or_else(|| entries.iter().find(|m| ref_of(m).as_deref() == Some(want)))
                    .copied()
            }
        };
        let m = found.ok_or_else(|| {
            Error::new(format!(
                "Unable to find image '{}' locally",
                name.map(normalize_name).unwrap_or_default()
            ))
        })?;
        let media = m["mediaType"].as_str().unwrap_or(MEDIA_MANIFEST);
        if media == MEDIA_INDEX || media.ends_with("manifest.list.v2+json") {
            return Err(Error::new(format!(
                "{}: entry {} is an image index (multi-platform): not supported",
                self.dir.display(),
                ref_of(m).unwrap_or_default()
            )));
        }
        let digest = m["digest"]
            .as_str()
            .ok_or_else(|| {
                Error::new(format!(
                    "{}: index entry without digest",
                    self.dir.display()
                ))
            })?
            .to_string();
        let manifest: ImageManifest = self.read_json(&digest).ctx("manifest")?;
        Ok(Resolved {
            name: ref_of(m),
            manifest_digest: digest,
            manifest,
        })
    }

    /// Point `name` (`NAME[:TAG]`, normalized to `name:tag`) at a manifest
    /// already in the blobs, taking the name from the image that had it,
    /// which stays, unnamed when it has no other name (docker's dangling
    /// `<none>` after a re-import, commit, load or tag over a name). The
    /// index is rewritten atomically under the store's flock.
    pub fn tag(&self, name: &str, manifest_digest: &str, manifest_size: u64) -> Result<()> {
        check_name(name)?;
        if !self.has_blob(manifest_digest) {
            return Err(Error::new(format!(
                "tag {name}: manifest {manifest_digest} is not in {}",
                self.blobs().display()
            )));
        }
        let full = normalize_name(name);
        self.edit_index(|list| {
            let is_name = |m: &Value| m["annotations"][REF_NAME].as_str() == Some(full.as_str());
            // Already so (a rebuild from the cache): nothing to write.
            if list.iter().any(|m| is_name(m) && m["digest"] == manifest_digest) {
                return false;
            }
            // The image the name leaves stays, as docker's does: without
            // another name it is dangling (`<none>`), for `image prune`.
            let displaced: Vec<Value> = list
                .iter()
                .filter(|m| is_name(m) && m["digest"] != manifest_digest)
                .map(|m| json!({"mediaType": MEDIA_MANIFEST, "digest": m["digest"], "size": m["size"]}))
                .collect();
            // The new one is named now: no unnamed entry of it stays.
            list.retain(|m| {
                !(is_name(m) || m["digest"] == manifest_digest && m["annotations"][REF_NAME].is_null())
            });
            for old in displaced {
                if !list.iter().any(|m| m["digest"] == old["digest"]) {
                    list.push(old);
                }
            }
            list.push(json!({
                "mediaType": MEDIA_MANIFEST,
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": { REF_NAME: full },
            }));
            true
        })
    }

    /// Add manifest entries to the index in one rewrite under the store's
    /// flock: a named one replaces the entry of that ref.name, an unnamed
    /// one every entry of its digest. For a layout other than the store
    /// (an `oci:DIR[:TAG]` written by save), whose names are skopeo's bare
    /// tags; the store itself is tagged through [`Store::tag`].
    pub fn put_entries(&self, entries: &[Entry]) -> Result<()> {
        self.edit_index(|list| {
            for e in entries {
                let mut v =
                    json!({"mediaType": MEDIA_MANIFEST, "digest": e.digest, "size": e.size});
                match e.ref_name {
                    Some(n) => {
                        list.retain(|m| m["annotations"][REF_NAME].as_str() != Some(n));
                        v["annotations"] = json!({ REF_NAME: n });
                    }
                    None => list.retain(|m| m["digest"] != e.digest),
                }
                list.push(v);
            }
            true
        })
    }

    /// Give an image without a name an index entry (none with a ref.name),
    /// unless one already reaches its manifest: without one nothing would
    /// reach it (`docker images` shows it as `<none>`).
    pub fn add_untagged(&self, manifest_digest: &str, manifest_size: u64) -> Result<()> {
        self.edit_index(|list| {
            if list.iter().any(|m| m["digest"] == manifest_digest) {
                return false;
            }
            list.push(json!({
                "mediaType": MEDIA_MANIFEST,
                "digest": manifest_digest,
                "size": manifest_size,
            }));
            true
        })
    }

    /// Read-modify-write of the index's manifests under the store's flock;
    /// `edit` says whether it changed anything worth writing.
    fn edit_index(&self, edit: impl FnOnce(&mut Vec<Value>) -> bool) -> Result<()> {
        let _lock = self.lock()?;
        let mut index = self.index()?;
        // index() checked that "manifests" is an array.
        let list = index["manifests"].as_array_mut().unwrap();
        if edit(list) {
            fsx::write_json(&self.index_path(), &index)?;
        }
        Ok(())
    }

    /// Drop the entry named `name`; false when there was none. The blobs stay.
    pub fn untag(&self, name: &str) -> Result<bool> {
        let full = normalize_name(name);
        let mut removed = false;
        self.edit_index(|list| {
            let before = list.len();
            list.retain(|m| m["annotations"][REF_NAME].as_str() != Some(full.as_str()));
            removed = list.len() != before;
            removed
        })?;
        Ok(removed)
    }

    /// Every image the index reaches, grouped by image id (config digest),
    /// in index order; entries whose manifest cannot be read are skipped
    /// (a store another tool broke still lists the rest).
    pub fn images(&self) -> Result<Vec<StoredImage>> {
        let index = self.index()?;
        let mut out: Vec<StoredImage> = Vec::new();
        for m in index["manifests"].as_array().into_iter().flatten() {
            let Some(md) = m["digest"].as_str() else {
                continue;
            };
            let name = m["annotations"][REF_NAME].as_str().map(str::to_string);
            if let Some(img) = out.iter_mut().find(|i| i.manifests.iter().any(|d| d == md)) {
                img.names.extend(name);
                continue;
            }
            let Ok(man) = self.read_json::<Value>(md) else {
                continue;
            };
            let Some(id) = man["config"]["digest"].as_str() else {
                continue;
            };
            let layers: Vec<String> = man["layers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l["digest"].as_str().map(str::to_string))
                .collect();
            if let Some(img) = out.iter_mut().find(|i| i.id == id) {
                img.manifests.push(md.to_string());
                img.names.extend(name);
                img.blobs.push(md.to_string());
                img.blobs.extend(layers);
                continue;
            }
            let config: Value = self.read_json(id).unwrap_or(Value::Null);
            let diff_ids = config["rootfs"]["diff_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect();
            let mut blobs = vec![md.to_string(), id.to_string()];
            blobs.extend(layers);
            let parent = self.parent(id);
            out.push(StoredImage {
                parent,
                id: id.to_string(),
                manifests: vec![md.to_string()],
                names: name.into_iter().collect(),
                diff_ids,
                blobs,
                created: config["created"].as_str().map(str::to_string),
                labels: config["config"]["Labels"].clone(),
            });
        }
        Ok(out)
    }

    /// Drop the entry named `name` (normalized); when it was the last entry
    /// reaching its manifest, leave an unnamed one: the image stays (docker's
    /// untag of an image a running container uses), as `<none>`.
    pub fn untag_keeping(&self, name: &str) -> Result<bool> {
        let full = normalize_name(name);
        let mut removed = false;
        self.edit_index(|list| {
            let Some(at) = list
                .iter()
                .position(|m| m["annotations"][REF_NAME].as_str() == Some(full.as_str()))
            else {
                return false;
            };
            let entry = list.remove(at);
            removed = true;
            if !list.iter().any(|m| m["digest"] == entry["digest"]) {
                list.push(json!({
                    "mediaType": entry["mediaType"],
                    "digest": entry["digest"],
                    "size": entry["size"],
                }));
            }
            true
        })?;
        Ok(removed)
    }

    /// Drop every entry reaching one of `manifests`. The blobs stay (the
    /// collector removes those no image needs).
    pub fn remove_manifests(&self, manifests: &[String]) -> Result<()> {
        self.edit_index(|list| {
            let before = list.len();
            list.retain(|m| !manifests.iter().any(|d| m["digest"] == d.as_str()));
            list.len() != before
        })
    }

    /// Record that `child` was made from `parent` (a build's step):
    /// images/parents/<child hex> holds the parent's id, as docker's
    /// image metadata `parent` file does.
    pub fn set_parent(&self, child: &str, parent: &str) -> Result<()> {
        let dir = self.dir.join("parents");
        std::fs::create_dir_all(&dir).with_ctx(|| format!("mkdir {}", dir.display()))?;
        fsx::write_atomic_unsynced(&dir.join(digest_hex(child)?), parent.as_bytes())
    }

    /// The id `child` was built from, if a build recorded one.
    pub fn parent(&self, child: &str) -> Option<String> {
        let hex = digest_hex(child).ok()?;
        let p = std::fs::read_to_string(self.dir.join("parents").join(hex)).ok()?;
        (!p.is_empty()).then_some(p)
    }

    /// Forget the parents of images no longer in the store (the collector).
    pub fn sweep_parents(&self, images: &[StoredImage]) {
        let dir = self.dir.join("parents");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !images.iter().any(|i| i.id.ends_with(&name)) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// The store's writer lock (index.json read-modify-write).
    pub fn lock(&self) -> Result<fsx::Lock> {
        fsx::Lock::exclusive(&self.dir.join(".index.lock"))
    }
}

/// One image of the store, as [`Store::images`] groups them.
#[derive(Debug, Clone)]
pub struct StoredImage {
    /// `sha256:<hex>` of the config: docker's image id.
    pub id: String,
    /// Every manifest (usually one) whose config this is.
    pub manifests: Vec<String>,
    /// Its `ref.name`s, in index order (none: a `<none>` image).
    pub names: Vec<String>,
    /// The config's diff_ids, bottom first.
    pub diff_ids: Vec<String>,
    /// Every blob it needs: manifests, config, layers.
    pub blobs: Vec<String>,
    /// The config's `created`, and `config.Labels` (null when none).
    pub created: Option<String>,
    pub labels: Value,
    /// The image a build made it from ([`Store::set_parent`]).
    pub parent: Option<String>,
}

impl StoredImage {
    /// Docker's intermediate image: no name and the parent of another
    /// image. `images` hides it without `-a`, and it is never dangling:
    /// it goes with the last image built on it (rmi).
    pub fn is_intermediate(&self, all: &[StoredImage]) -> bool {
        is_intermediate(
            &self.id,
            !self.names.is_empty(),
            all.iter().map(|o| o.parent.as_deref()),
        )
    }

    /// Its layers' chain ids, bottom first ([`chain_ids`]).
    pub fn chain_ids(&self) -> Vec<String> {
        chain_ids(&self.diff_ids)
    }
}

/// Docker's intermediate image (see [`StoredImage::is_intermediate`]), for
/// views that list the store their own way: `parents` are every image's.
pub fn is_intermediate<'a>(
    id: &str,
    named: bool,
    mut parents: impl Iterator<Item = Option<&'a str>>,
) -> bool {
    !named && parents.any(|p| p == Some(id))
}

/// Docker's chain ids of a stack of diff_ids (bottom first): the first is
/// the first diff_id, each next `sha256(previous + " " + diff_id)`.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(prev) => digest::sha256(format!("{prev} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// What `rmi`/`tag` name an image by: docker's GetImage order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// By `NAME[:TAG]` (normalized): that entry's name.
    Name(String),
    /// By id: full, `sha256:`-prefixed, or a unique prefix of the hex.
    Id,
}

/// Find `reference` among `images`: a name first (normalized, as docker
/// tries a reference before an id), then a full id, then a unique prefix of
/// an id's hex (an ambiguous prefix finds nothing, as docker's).
pub fn find<'a>(images: &'a [StoredImage], reference: &str) -> Option<(&'a StoredImage, Found)> {
    if !reference.starts_with("sha256:") {
        let full = normalize_name(reference);
        if let Some(i) = images.iter().find(|i| i.names.contains(&full)) {
            return Some((i, Found::Name(full)));
        }
    }
    let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    let mut hits = images
        .iter()
        .filter(|i| i.id["sha256:".len()..].starts_with(&hex));
    match (hits.next(), hits.next()) {
        (Some(i), None) => Some((i, Found::Id)),
        _ => None,
    }
}

/// See [`Store::blob_writer`].
pub struct BlobWriter {
    blobs: PathBuf,
    tmp: Option<PathBuf>,
    /// None once finished.
    out: Option<HashingWriter<File>>,
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().expect("unfinished").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl BlobWriter {
    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.out.as_ref().map_or(0, HashingWriter::size)
    }

    /// Move the blob under its digest. With `expected` (`sha256:<hex>`), a
    /// different digest is an error and nothing is stored. Returns the
    /// digest and the size.
    pub fn finish(mut self, expected: Option<&str>) -> Result<(String, u64)> {
        let (file, digest, size) = self.out.take().expect("unfinished").finish();
        if let Some(want) = expected {
            if want != digest {
                return Err(Error::new(format!(
                    "blob {want}: content has digest {digest}: corrupted"
                )));
            }
        }
        file.sync_data().ctx("sync blob")?;
        let dest = self.blobs.join(&digest["sha256:".len()..]);
        match self.tmp.take() {
            None => {
                use std::os::fd::AsRawFd;
                let from =
                    std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).unwrap();
                let to = std::ffi::CString::new(dest.as_os_str().as_encoded_bytes())
                    .map_err(|_| Error::new("blob path holds a NUL"))?;
                // SAFETY: valid C strings; AT_SYMLINK_FOLLOW links the open file.
                let r = unsafe {
                    libc::linkat(
                        libc::AT_FDCWD,
                        from.as_ptr(),
                        libc::AT_FDCWD,
                        to.as_ptr(),
                        libc::AT_SYMLINK_FOLLOW,
                    )
                };
                if r != 0 {
                    let e = std::io::Error::last_os_error();
                    // Already stored (same digest, same bytes): fine.
                    if e.raw_os_error() != Some(libc::EEXIST) {
                        return Err(Error::new(format!("link blob {}: {e}", dest.display())));
                    }
                }
            }
            Some(tmp) => {
                drop(file);
                let r = std::fs::rename(&tmp, &dest)
                    .with_ctx(|| format!("rename {} to {}", tmp.display(), dest.display()));
                if r.is_err() {
                    let _ = std::fs::remove_file(&tmp);
                }
                r?;
            }
        }
        Ok((digest, size))
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Read everything from `r` into the store as one blob (streamed).
pub fn copy_blob(
    store: &Store,
    r: &mut impl Read,
    expected: Option<&str>,
) -> Result<(String, u64)> {
    let mut w = store.blob_writer()?;
    std::io::copy(r, &mut w).with_ctx(|| format!("write blob in {}", store.blobs().display()))?;
    w.finish(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(normalize_name("busybox"), "busybox:latest");
        assert_eq!(normalize_name("a:1"), "a:1");
        assert_eq!(normalize_name("reg:5000/a/b"), "reg:5000/a/b:latest");
        assert!(check_name("busybox:local").is_ok());
        assert!(check_name("Busybox").is_err());
        assert!(check_name("a:").is_err());
        assert!(check_name("a b").is_err());
    }

    #[test]
    fn store_round_trip() {
        let dir = std::env::temp_dir().join(format!("rvol-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = Root { path: dir.clone() };
        let s = Store::open(&root).unwrap();
        let layer = s.write_blob(b"layer").unwrap();
        let cfg = s
            .write_blob(br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#)
            .unwrap();
        let man = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
            "config": {"mediaType": MEDIA_CONFIG, "digest": cfg, "size": 10},
            "layers": [{"mediaType": MEDIA_LAYER_TAR, "digest": layer, "size": 5}],
        }))
        .unwrap();
        let md = s.write_blob(&man).unwrap();
        s.tag("x", &md, man.len() as u64).unwrap();
        s.tag("x:latest", &md, man.len() as u64).unwrap();
        assert_eq!(s.tags().unwrap().len(), 1);
        let r = s.resolve(Some("x")).unwrap();
        assert_eq!(r.manifest_digest, md);
        assert_eq!(r.name.as_deref(), Some("x:latest"));
        assert!(s.resolve(Some("y")).is_err());
        assert_eq!(s.resolve(Some(&cfg)).unwrap().manifest_digest, md);
        let mut w = s.blob_writer().unwrap();
        w.write_all(b"abc").unwrap();
        assert!(w.finish(Some(&layer)).is_err());
        assert_eq!(std::fs::read_dir(s.blobs()).unwrap().count(), 3);
        s.add_untagged(&md, 1).unwrap();
        assert_eq!(s.index().unwrap()["manifests"].as_array().unwrap().len(), 1);
        s.add_untagged(&layer, 5).unwrap();
        s.put_entries(&[
            Entry {
                ref_name: None,
                digest: &md,
                size: 1,
            },
            Entry {
                ref_name: Some("t"),
                digest: &layer,
                size: 5,
            },
        ])
        .unwrap();
        let index = s.index().unwrap();
        let got: Vec<_> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["digest"].as_str().unwrap(),
                    m["annotations"][REF_NAME].as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (layer.as_str(), None),
                (md.as_str(), None),
                (layer.as_str(), Some("t"))
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

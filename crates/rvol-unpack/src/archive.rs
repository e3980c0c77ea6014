//! Image archives (`docker save` output, OCI layouts in one tar) into the
//! store. The archive is read once, front to back: each file is streamed
//! into a scratch directory inside the store while it is hashed; then the
//! archive's own index (`manifest.json` or `index.json`) says which of
//! them are blobs of which image, and only those move into `blobs/`.
//! The scratch directory is removed whatever happens.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rvol_state::compress::{self, Compression, MAGIC_LEN};
use rvol_state::digest::HashingWriter;
use rvol_state::store::{self, digest_hex, Store, MEDIA_CONFIG, MEDIA_MANIFEST};
use rvol_state::{Error, Result};
use serde_json::{json, Value};

/// One image found in an archive, its blobs now in the store.
#[derive(Debug)]
pub struct Image {
    /// Names the archive gives it (`RepoTags`, or the index's ref.name).
    pub names: Vec<String>,
    pub manifest_digest: String,
    pub manifest_size: u64,
    pub config_digest: String,
}

struct Scratch {
    dir: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct FileInfo {
    tmp: PathBuf,
    digest: String,
    size: u64,
    head: [u8; MAGIC_LEN],
}

/// The archive's content: files hashed into scratch, symlinks, small
/// index documents in memory.
struct Contents {
    files: HashMap<String, FileInfo>,
    links: HashMap<String, String>,
    docs: HashMap<String, Vec<u8>>,
    scratch: Scratch,
}

fn norm(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

const DOCS: &[&str] = &["manifest.json", "index.json", "oci-layout", "repositories"];

/// Remove the scratch dirs of loads whose process is gone (killed).
fn sweep(store: &Store) {
    let Ok(rd) = std::fs::read_dir(&store.dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(".load-")
            .and_then(|r| r.split('-').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn read_contents(store: &Store, input: Box<dyn Read + Send>) -> Result<Contents> {
    sweep(store);
    let scratch = Scratch {
        dir: store
            .dir
            .join(format!(".load-{}-{}", std::process::id(), rand16())),
    };
    std::fs::create_dir(&scratch.dir)
        .map_err(|e| Error::new(format!("mkdir {}: {e}", scratch.dir.display())))?;
    let mut c = Contents {
        files: HashMap::new(),
        links: HashMap::new(),
        docs: HashMap::new(),
        scratch,
    };
    // `docker save | gzip` is common; docker load takes it too.
    let reader = compress::sniff_decoder(BufReader::with_capacity(1 << 20, input))
        .map_err(|e| Error::new(format!("read archive: {e}")))?;
    let mut ar = tar::Archive::new(reader);
    let mut n = 0;
    for entry in ar
        .entries()
        .map_err(|e| Error::new(format!("read archive: {e}")))?
    {
        let mut entry = entry.map_err(|e| Error::new(format!("read archive: {e}")))?;
        let name = norm(&String::from_utf8_lossy(&entry.path_bytes()));
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if DOCS.contains(&name.as_str()) {
                    let mut v = Vec::new();
                    entry
                        .read_to_end(&mut v)
                        .map_err(|e| Error::new(format!("read archive: {name}: {e}")))?;
                    c.docs.insert(name, v);
                    continue;
                }
                n += 1;
                let tmp = c.scratch.dir.join(n.to_string());
                let f = std::fs::File::create(&tmp)
                    .map_err(|e| Error::new(format!("create {}: {e}", tmp.display())))?;
                let mut f = HashingWriter::new(f);
                let mut head = [0u8; MAGIC_LEN];
                let mut buf = vec![0u8; 1 << 20];
                let bar = layer_bar(&name, entry.size());
                loop {
                    let k = entry
                        .read(&mut buf)
                        .map_err(|e| Error::new(format!("read archive: {name}: {e}")))?;
                    if k == 0 {
                        bar.finish();
                        break;
                    }
                    bar.inc(k as u64);
                    // The first bytes tell a layer's compression.
                    let at = f.size() as usize;
                    if at < MAGIC_LEN {
                        let n = (MAGIC_LEN - at).min(k);
                        head[at..at + n].copy_from_slice(&buf[..n]);
                    }
                    f.write_all(&buf[..k])
                        .map_err(|e| Error::new(format!("write {}: {e}", tmp.display())))?;
                }
                let (_, digest, size) = f.finish();
                c.files.insert(
                    name,
                    FileInfo {
                        tmp,
                        digest,
                        size,
                        head,
                    },
                );
            }
            tar::EntryType::Symlink => {
                if let Some(t) = entry.link_name_bytes() {
                    let t = String::from_utf8_lossy(&t).into_owned();
                    let dir = Path::new(&name)
                        .parent()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    c.links.insert(name, norm(&format!("{dir}/{t}")));
                }
            }
            tar::EntryType::Link => {
                if let Some(t) = entry.link_name_bytes() {
                    c.links.insert(name, norm(&String::from_utf8_lossy(&t)));
                }
            }
            _ => {}
        }
    }
    Ok(c)
}

fn rand16() -> String {
    rvol_state::container::new_id()
        .map(|s| s[..16].to_string())
        .unwrap_or_default()
}

impl Contents {
    fn file(&self, name: &str) -> Result<&FileInfo> {
        let mut name = norm(name);
        for _ in 0..16 {
            if let Some(f) = self.files.get(&name) {
                return Ok(f);
            }
            match self.links.get(&name) {
                Some(t) => name = t.clone(),
                None => break,
            }
        }
        Err(Error::new(format!("{name}: not in the archive")))
    }

    /// The blob of an OCI layout in the archive, checked against its name.
    fn oci_blob(&self, digest: &str) -> Result<&FileInfo> {
        let hex = digest_hex(digest)?;
        let f = self
            .file(&format!("blobs/sha256/{hex}"))
            .map_err(|_| Error::new(format!("blob {digest}: missing from the archive")))?;
        if f.digest != digest {
            return Err(Error::new(format!(
                "blob {digest}: content has digest {}: corrupted",
                f.digest
            )));
        }
        Ok(f)
    }

    fn read(&self, f: &FileInfo) -> Result<Vec<u8>> {
        std::fs::read(&f.tmp).map_err(|e| Error::new(format!("read {}: {e}", f.tmp.display())))
    }

    /// Move (or copy, when used twice) a scratch file into the store's blobs.
    fn adopt(&self, store: &Store, f: &FileInfo) -> Result<()> {
        let dest = store.blob_path(&f.digest)?;
        if dest.exists() {
            return Ok(());
        }
        let r =
            std::fs::hard_link(&f.tmp, &dest).or_else(|_| std::fs::copy(&f.tmp, &dest).map(drop));
        r.map_err(|e| Error::new(format!("store blob {}: {e}", f.digest)))
    }
}

/// On a terminal, docker load's `ID: Loading layer [==> ] DONE/SIZE` for
/// what looks like a layer: a docker archive's `ID/layer.tar`, an OCI
/// blob past the size of a config or manifest.
fn layer_bar(name: &str, size: u64) -> rvol_state::progress::Bar {
    let id = if let Some(d) = name.strip_suffix("/layer.tar") {
        d.rsplit('/').next().unwrap_or(d)
    } else if name.starts_with("blobs/") && size >= 64 << 10 {
        name.rsplit('/').next().unwrap_or(name)
    } else {
        return rvol_state::progress::Bar::default();
    };
    rvol_state::progress::layer(id, size)
}

/// Read an archive and put every image it holds into the store (untagged:
/// the caller tags). `want` picks images by name (`NAME:TAG` for docker
/// archives, the ref.name for OCI ones); None takes them all.
pub fn load(store: &Store, input: Box<dyn Read + Send>) -> Result<Vec<Image>> {
    let c = read_contents(store, input)?;
    if let Some(m) = c.docs.get("manifest.json") {
        docker(store, &c, m)
    } else if c.docs.contains_key("index.json") {
        oci(store, &c)
    } else {
        Err(Error::new(
            "neither manifest.json (docker save) nor index.json (OCI layout) in the archive",
        ))
    }
}

fn docker(store: &Store, c: &Contents, manifest: &[u8]) -> Result<Vec<Image>> {
    let list: Value =
        serde_json::from_slice(manifest).map_err(|e| Error::new(format!("manifest.json: {e}")))?;
    let list = list
        .as_array()
        .ok_or_else(|| Error::new("manifest.json: not an array"))?;
    let mut out = Vec::new();
    for m in list {
        let cfg_name = m["Config"]
            .as_str()
            .ok_or_else(|| Error::new("manifest.json: entry without Config"))?;
        let cfg = c.file(cfg_name).map_err(|e| e.context("manifest.json"))?;
        let mut layers = Vec::new();
        for l in m["Layers"].as_array().into_iter().flatten() {
            let l = l
                .as_str()
                .ok_or_else(|| Error::new("manifest.json: bad Layers"))?;
            let f = c.file(l).map_err(|e| e.context("manifest.json"))?;
            // Docker's archives carry no media types: the bytes tell.
            let media = Compression::sniff(&f.head).media_type();
            layers.push(json!({"mediaType": media, "digest": f.digest, "size": f.size}));
            c.adopt(store, f)?;
        }
        // The config must parse and list as many diff_ids as there are layers.
        let cfg_bytes = c.read(cfg)?;
        let cfg_json: Value = serde_json::from_slice(&cfg_bytes)
            .map_err(|e| Error::new(format!("image config {cfg_name}: {e}")))?;
        let n_diff = cfg_json["rootfs"]["diff_ids"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        if n_diff != layers.len() {
            return Err(Error::new(format!(
                "image config {cfg_name}: {n_diff} diff_ids for {} layers",
                layers.len()
            )));
        }
        c.adopt(store, cfg)?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_MANIFEST,
            "config": {"mediaType": MEDIA_CONFIG, "digest": cfg.digest, "size": cfg.size},
            "layers": layers,
        }))?;
        let md = store.write_blob(&manifest)?;
        let names = m["RepoTags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        out.push(Image {
            names,
            manifest_digest: md,
            manifest_size: manifest.len() as u64,
            config_digest: cfg.digest.clone(),
        });
    }
    if out.is_empty() {
        return Err(Error::new("manifest.json: no image in the archive"));
    }
    Ok(out)
}

fn oci(store: &Store, c: &Contents) -> Result<Vec<Image>> {
    let index: Value = serde_json::from_slice(&c.docs["index.json"])
        .map_err(|e| Error::new(format!("index.json: {e}")))?;
    let mut out = Vec::new();
    for m in index["manifests"].as_array().into_iter().flatten() {
        let md = m["digest"]
            .as_str()
            .ok_or_else(|| Error::new("index.json: entry without digest"))?;
        let mf = c.oci_blob(md)?;
        let manifest: Value = serde_json::from_slice(&c.read(mf)?)
            .map_err(|e| Error::new(format!("manifest {md}: {e}")))?;
        if manifest["layers"].as_array().is_none() {
            return Err(Error::new(format!(
                "manifest {md}: not an image manifest (an image index is not supported)"
            )));
        }
        let cd = manifest["config"]["digest"]
            .as_str()
            .ok_or_else(|| Error::new(format!("manifest {md}: no config")))?;
        let cf = c.oci_blob(cd)?;
        for l in manifest["layers"].as_array().unwrap() {
            let ld = l["digest"]
                .as_str()
                .ok_or_else(|| Error::new(format!("manifest {md}: layer without digest")))?;
            let lf = c.oci_blob(ld)?;
            if l["size"].as_u64() != Some(lf.size) {
                return Err(Error::new(format!(
                    "blob {ld}: {} bytes, the manifest says {}",
                    lf.size, l["size"]
                )));
            }
            c.adopt(store, lf)?;
        }
        c.adopt(store, cf)?;
        c.adopt(store, mf)?;
        let ann = &m["annotations"];
        let names = ann["io.containerd.image.name"]
            .as_str()
            .or(ann[store::REF_NAME].as_str())
            .map(|n| vec![n.to_string()])
            .unwrap_or_default();
        out.push(Image {
            names,
            manifest_digest: md.to_string(),
            manifest_size: mf.size,
            config_digest: cd.to_string(),
        });
    }
    if out.is_empty() {
        return Err(Error::new("index.json: no image in the archive"));
    }
    Ok(out)
}

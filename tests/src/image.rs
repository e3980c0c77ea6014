//! Real images for tests, made without any registry: a busybox rootfs
//! from Debian's busybox-static, layers tarred by GNU tar, and OCI image
//! layouts written by hand (so tests control every byte, digest and media
//! type).

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where Debian's busybox-static puts its binary.
pub fn busybox_path() -> PathBuf {
    for p in ["/bin/busybox", "/usr/bin/busybox"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("busybox is not installed: apt-get install busybox-static");
}

/// A minimal busybox root filesystem in `dir`: /bin/busybox with a symlink
/// per applet, /etc/passwd and /etc/group (root, nobody, user 1000), /tmp
/// (1777), /root, and empty /proc /sys /dev.
pub fn busybox_rootfs(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(busybox_path(), bin.join("busybox")).unwrap();
    // The host's copy, not the one just written: another test thread's
    // fork may still hold the new file open for writing (ETXTBSY).
    let list = Command::new(busybox_path()).arg("--list").output().unwrap();
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" && !applet.is_empty() {
            let _ = std::os::unix::fs::symlink("busybox", bin.join(applet));
        }
    }
    for d in [
        "etc",
        "root",
        "proc",
        "sys",
        "dev",
        "home/user",
        "usr/bin",
        "var",
    ] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(
        dir.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("etc/group"),
        "root:x:0:\nusers:x:100:user\nuser:x:1000:\nnogroup:x:65534:\n",
    )
    .unwrap();
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).unwrap();
}

/// The tests' busybox rootfs as a tar file in `tmp` (made at the first
/// call, the same file after): what `rvol import` and `docker import` of
/// one test both take, so that both sides hold the same bytes.
pub fn busybox_tar(tmp: &crate::TempDir) -> PathBuf {
    let tar = tmp.join("busybox.tar");
    if !tar.exists() {
        let rootfs = tmp.join("busybox-rootfs");
        busybox_rootfs(&rootfs);
        std::fs::write(&tar, tar_dir(&rootfs)).unwrap();
    }
    tar
}

/// Tar a directory's content (`./...` names, numeric owners, xattrs) with GNU tar.
pub fn tar_dir(dir: &Path) -> Vec<u8> {
    let out = Command::new("tar")
        .args([
            "--numeric-owner",
            "--xattrs",
            "--xattrs-include=*",
            "--sort=name",
            "-C",
        ])
        .arg(dir)
        .args(["-cf", "-", "."])
        .output()
        .expect("tar");
    assert!(
        out.status.success(),
        "tar -C {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The compressions an image's layers may have: the toolkit's own enum,
/// and here what a test needs of it to write layers of its own.
pub use rvol_state::compress::Compression;

/// Writing a layer compressed so. The media types are written out here,
/// not taken from rvol-state: the tests check the toolkit against the OCI
/// spec's names, not against themselves.
pub trait Compress {
    fn oci_media_type(self) -> &'static str;
    fn compress(self, raw: &[u8]) -> Vec<u8>;
}

impl Compress for Compression {
    fn oci_media_type(self) -> &'static str {
        match self {
            Compression::None => "application/vnd.oci.image.layer.v1.tar",
            Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
    fn compress(self, raw: &[u8]) -> Vec<u8> {
        use std::io::Write;
        match self {
            Compression::None => raw.to_vec(),
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(raw).unwrap();
                e.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(raw, 3).unwrap(),
        }
    }
}

/// An image being written as an OCI layout. Layers are raw tar streams;
/// `config` is the image config's `config` object (Cmd, Env, Volumes, ...).
pub struct OciImage {
    pub layers: Vec<Vec<u8>>,
    pub compression: Compression,
    pub config: serde_json::Value,
}

/// Digests of what [`OciImage::write`] wrote.
pub struct Written {
    pub manifest_digest: String,
    pub config_digest: String,
    pub diff_ids: Vec<String>,
    pub layer_digests: Vec<String>,
}

impl OciImage {
    pub fn new(layers: Vec<Vec<u8>>) -> OciImage {
        OciImage {
            layers,
            compression: Compression::Gzip,
            config: serde_json::json!({"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}),
        }
    }

    /// Write (or add to) an OCI image layout at `dir`, tagged `tag`.
    pub fn write(&self, dir: &Path, tag: &str) -> Written {
        let diff_ids: Vec<String> = self
            .layers
            .iter()
            .map(|raw| format!("sha256:{}", sha256_hex(raw)))
            .collect();
        let blobs: Vec<Vec<u8>> = self
            .layers
            .iter()
            .map(|raw| self.compression.compress(raw))
            .collect();
        let config = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": self.layers.iter().map(|_| serde_json::json!({"created_by": "rvol-tests"})).collect::<Vec<_>>(),
        });
        let layers: Vec<(&str, &[u8])> = blobs
            .iter()
            .map(|b| (self.compression.oci_media_type(), b.as_slice()))
            .collect();
        write_layout(dir, tag, &layers, &config)
    }
}

/// Write an image into the OCI layout at `dir` (made or added to; other
/// tags are kept) from layer blobs as they are stored, (media type, bytes),
/// and the whole image `config`, whose `rootfs.diff_ids` are what the
/// caller claims (right or, for hostile tests, wrong).
pub fn write_layout(
    dir: &Path,
    tag: &str,
    layers: &[(&str, &[u8])],
    config: &serde_json::Value,
) -> Written {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> String {
        let hex = sha256_hex(bytes);
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    };
    let mut layer_descs = Vec::new();
    let mut layer_digests = Vec::new();
    for (media_type, blob) in layers {
        let d = put(blob);
        layer_descs
            .push(serde_json::json!({"mediaType": media_type, "digest": d, "size": blob.len()}));
        layer_digests.push(d);
    }
    let diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let config_bytes = serde_json::to_vec(config).unwrap();
    let config_digest = put(&config_bytes);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_bytes.len()},
        "layers": layer_descs,
    });
    let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    let manifest_digest = put(&manifest_bytes);
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index_path = dir.join("index.json");
    let mut index: serde_json::Value = std::fs::read(&index_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({"schemaVersion": 2, "manifests": []}));
    let manifests = index["manifests"].as_array_mut().unwrap();
    manifests.retain(|m| m["annotations"]["org.opencontainers.image.ref.name"] != tag);
    manifests.push(serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest_digest,
        "size": manifest_bytes.len(),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }));
    std::fs::write(&index_path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    Written {
        manifest_digest,
        config_digest,
        diff_ids,
        layer_digests,
    }
}

/// A busybox image as an OCI layout at `dir` (tag `latest`), one gzip layer.
pub fn busybox_oci(dir: &Path, scratch: &Path) -> Written {
    let rootfs = scratch.join("busybox-rootfs");
    busybox_rootfs(&rootfs);
    OciImage::new(vec![tar_dir(&rootfs)]).write(dir, "latest")
}

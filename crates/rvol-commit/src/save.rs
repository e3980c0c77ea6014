//! `docker save`: images out of the store, in the two forms the ecosystem
//! loads.
//!
//! - docker-archive (what `docker save` writes and `docker load` and
//!   `skopeo copy docker-archive:` read): a tar of `manifest.json`,
//!   `repositories`, `<config hex>.json` and `<diff_id hex>/layer.tar`, the
//!   layers as plain tar. Each layer is decompressed while it is written and
//!   checked against its diff_id.
//! - OCI layout (`oci:DIR[:TAG]`): the manifest, config and layer blobs as
//!   they are in the store (hard-linked when on the same filesystem), and
//!   an index.json entry whose ref.name is the TAG, as skopeo expects.
//!
//! A docker-archive file is written under a temp name and renamed when
//! complete, so a failure leaves no half archive behind.

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use serde_json::{json, Map, Value};

use rvol_state::compress;
use rvol_state::digest::HashingWriter;
use rvol_state::store::{self, Store};
use rvol_state::{Error, Result, ResultExt, Root};

use crate::args::{Format, SaveArgs};
use crate::tarfmt::{self, Entry, Kind};

/// One image to save: what the user named it, and its manifest and config.
struct Image {
    /// `name:tag` when the user gave a name (docker's RepoTags).
    tag: Option<String>,
    manifest_digest: String,
    manifest: Value,
    config_digest: String,
    config: Value,
}

fn load(store: &Store, what: &str) -> Result<Image> {
    let r = store.resolve(Some(what)).ctx(format!("image {what}"))?;
    let manifest: Value = store
        .read_json(&r.manifest_digest)
        .ctx(format!("image {what}"))?;
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .ok_or_else(|| Error::new(format!("image {what}: manifest without config digest")))?
        .to_string();
    let config: Value = store
        .read_json(&config_digest)
        .ctx(format!("image {what}: config"))?;
    let tag = if what.starts_with("sha256:") {
        None
    } else {
        Some(store::normalize_name(what))
    };
    Ok(Image {
        tag,
        manifest_digest: r.manifest_digest,
        manifest,
        config_digest,
        config,
    })
}

pub fn save(root: &Root, a: &SaveArgs) -> Result<()> {
    let store = Store::open(root)?;
    let images: Vec<Image> = a
        .images
        .iter()
        .map(|i| load(&store, i))
        .collect::<Result<_>>()?;
    let oci_dest = a.output.as_deref().and_then(|o| o.strip_prefix("oci:"));
    match (a.format, oci_dest) {
        (Some(Format::DockerArchive), Some(_)) => Err(Error::new(
            "--format docker-archive with an oci: destination",
        )),
        (_, Some(dest)) => {
            let (dir, tag) = split_oci(dest);
            save_oci(&store, &images, Path::new(dir), tag)
        }
        (Some(Format::Oci), None) => {
            let dir = a
                .output
                .as_deref()
                .ok_or_else(|| Error::new("--format oci needs -o DIR"))?;
            save_oci(&store, &images, Path::new(dir), None)
        }
        (_, None) => match a.output.as_deref() {
            Some(file) => save_archive_file(&store, &images, Path::new(file)),
            None => {
                // SAFETY: isatty has no memory preconditions.
                if unsafe { libc::isatty(1) } == 1 {
                    return Err(Error::new(
                        "cowardly refusing to save to a terminal. Use the -o flag or redirect",
                    ));
                }
                save_archive_stdout(&store, &images)
            }
        },
    }
}

/// `DIR[:TAG]`: the tag is what follows the last `:` when it holds no `/`.
fn split_oci(dest: &str) -> (&str, Option<&str>) {
    match dest.rsplit_once(':') {
        Some((d, t)) if !t.contains('/') && !d.is_empty() => (d, Some(t).filter(|t| !t.is_empty())),
        _ => (dest, None),
    }
}

fn save_archive_file(store: &Store, images: &[Image], path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::new(format!("-o {}: not a file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let r = (|| -> Result<()> {
        let f = File::create(&tmp).with_ctx(|| format!("create {}", tmp.display()))?;
        let mut w = Archive::new(f, true);
        write_archive(store, images, &mut w)?;
        let f = w.out;
        f.sync_data().ctx("sync")?;
        std::fs::rename(&tmp, path)
            .with_ctx(|| format!("rename {} to {}", tmp.display(), path.display()))
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.ctx(format!("save {}", path.display()))
}

fn save_archive_stdout(store: &Store, images: &[Image]) -> Result<()> {
    use std::os::fd::FromRawFd;
    // SAFETY: fd 1 stays open for the life of the process; ManuallyDrop
    // keeps it from being closed here.
    let f = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
    let seekable = f
        .metadata()
        .map(|m| m.file_type().is_file() || m.file_type().is_block_device())
        .unwrap_or(false);
    let file = f.try_clone().ctx("stdout")?;
    let mut w = Archive::new(file, seekable);
    write_archive(store, images, &mut w)
}

/// The archive being written: a seekable file lets a layer's header be
/// filled in after its data; otherwise a layer is spooled first.
struct Archive {
    out: File,
    seekable: bool,
    pos: u64,
}

impl Archive {
    fn new(out: File, seekable: bool) -> Archive {
        let pos = if seekable {
            let mut o = &out;
            o.stream_position().unwrap_or(0)
        } else {
            0
        };
        Archive { out, seekable, pos }
    }

    fn put(&mut self, name: &str, kind: Kind, data: &[u8]) -> Result<()> {
        let mut e = Entry::new(name.as_bytes().to_vec(), kind);
        e.mode = if kind == Kind::Dir { 0o755 } else { 0o644 };
        e.size = data.len() as u64;
        let mut bytes = Vec::with_capacity(tarfmt::BLOCK * 2 + data.len());
        tarfmt::write_header(&mut bytes, &e).ctx("write archive")?;
        bytes.extend_from_slice(data);
        bytes.resize(bytes.len() + tarfmt::padding(e.size), 0);
        self.out.write_all(&bytes).ctx("write archive")?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// A layer as a plain tar: decompressed from the store blob, checked
    /// against `diff_id`.
    fn put_layer(&mut self, name: &str, blob: File, diff_id: &str) -> Result<()> {
        let what = || format!("layer {diff_id}");
        if self.seekable {
            let start = self.pos;
            self.out
                .write_all(&[0u8; tarfmt::BLOCK])
                .ctx("write archive")?;
            let mut h = HashingWriter::new(io::BufWriter::with_capacity(1 << 20, &self.out));
            decompress(blob, &mut h).with_ctx(what)?;
            let (buf, got, size) = h.finish();
            buf.into_inner()
                .map_err(|e| e.into_error())
                .ctx("write archive")?;
            check_diff_id(&got, diff_id)?;
            let mut e = Entry::new(name.as_bytes().to_vec(), Kind::File);
            e.size = size;
            let mut hdr = Vec::new();
            tarfmt::write_header(&mut hdr, &e).ctx("write archive")?;
            if hdr.len() != tarfmt::BLOCK {
                return Err(Error::new(format!("{name}: header does not fit one block")));
            }
            self.out
                .write_all(&[0u8; tarfmt::BLOCK][..tarfmt::padding(size)])
                .ctx("write archive")?;
            self.out.seek(SeekFrom::Start(start)).ctx("seek archive")?;
            self.out.write_all(&hdr).ctx("write archive")?;
            self.pos = start + tarfmt::BLOCK as u64 + size + tarfmt::padding(size) as u64;
            self.out
                .seek(SeekFrom::Start(self.pos))
                .ctx("seek archive")?;
        } else {
            let mut spool = spool_file()?;
            let mut h = HashingWriter::new(io::BufWriter::with_capacity(1 << 20, &spool));
            decompress(blob, &mut h).with_ctx(what)?;
            let (buf, got, size) = h.finish();
            buf.into_inner()
                .map_err(|e| e.into_error())
                .ctx("spool layer")?;
            check_diff_id(&got, diff_id)?;
            spool.seek(SeekFrom::Start(0)).ctx("spool layer")?;
            let mut e = Entry::new(name.as_bytes().to_vec(), Kind::File);
            e.size = size;
            tarfmt::write_header(&mut self.out, &e).ctx("write archive")?;
            let n = io::copy(&mut spool, &mut self.out).ctx("write archive")?;
            if n != size {
                return Err(Error::new("spooled layer changed size"));
            }
            self.out
                .write_all(&[0u8; tarfmt::BLOCK][..tarfmt::padding(size)])
                .ctx("write archive")?;
            self.pos += tarfmt::BLOCK as u64 + size + tarfmt::padding(size) as u64;
        }
        Ok(())
    }
}

fn check_diff_id(got: &str, want: &str) -> Result<()> {
    if got != want {
        return Err(Error::new(format!(
            "layer {want}: content has diff_id {got}: corrupted"
        )));
    }
    Ok(())
}

/// An unnamed temp file (unlinked at once).
fn spool_file() -> Result<File> {
    let dir = std::env::temp_dir();
    let p = dir.join(format!(
        ".rvol-save-{}-{}",
        std::process::id(),
        rvol_state::container::new_id()?.get(..12).unwrap_or("0")
    ));
    let f = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&p)
        .with_ctx(|| format!("create {}", p.display()))?;
    let _ = std::fs::remove_file(&p);
    Ok(f)
}

/// Plain, gzip or zstd, told by the first bytes.
fn decompress(blob: File, out: &mut impl Write) -> io::Result<()> {
    // On a terminal: the layer's bytes as they go out (docker save shows none).
    let mut counted = rvol_state::progress::CountedW {
        inner: out,
        bar: rvol_state::progress::bytes("Saving layer"),
    };
    let mut d = compress::sniff_decoder(BufReader::with_capacity(1 << 20, blob))?;
    io::copy(&mut d, &mut counted)?;
    counted.bar.finish();
    Ok(())
}

fn hex(d: &str) -> Result<&str> {
    store::digest_hex(d)
}

fn write_archive(store: &Store, images: &[Image], w: &mut Archive) -> Result<()> {
    let mut manifest = Vec::new();
    let mut repositories: Map<String, Value> = Map::new();
    let mut written: Vec<String> = Vec::new();
    for img in images {
        let config_name = format!("{}.json", hex(&img.config_digest)?);
        if !written.contains(&config_name) {
            let bytes = store.read_blob(&img.config_digest)?;
            w.put(&config_name, Kind::File, &bytes)?;
            written.push(config_name.clone());
        }
        let layers = img.manifest["layers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let diff_ids = img.config["rootfs"]["diff_ids"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if layers.len() != diff_ids.len() {
            return Err(Error::new(format!(
                "image {}: {} layers but {} diff_ids",
                img.config_digest,
                layers.len(),
                diff_ids.len()
            )));
        }
        let mut names = Vec::new();
        for (l, d) in layers.iter().zip(&diff_ids) {
            let digest = l["digest"].as_str().unwrap_or_default();
            let diff_id = d.as_str().unwrap_or_default();
            let dir = hex(diff_id)?.to_string();
            let name = format!("{dir}/layer.tar");
            if !written.contains(&name) {
                w.put(&format!("{dir}/"), Kind::Dir, &[])?;
                w.put(&format!("{dir}/VERSION"), Kind::File, b"1.0")?;
                let blob = store.open_blob(digest)?;
                w.put_layer(&name, blob, diff_id)?;
                written.push(name.clone());
            }
            names.push(name);
        }
        if let Some(t) = &img.tag {
            if let Some((repo, tag)) = t.rsplit_once(':') {
                let top = names
                    .last()
                    .map(|n| n.trim_end_matches("/layer.tar").to_string());
                repositories
                    .entry(repo.to_string())
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .unwrap()
                    .insert(tag.to_string(), json!(top.unwrap_or_default()));
            }
        }
        manifest.push(json!({
            "Config": config_name,
            "RepoTags": img.tag.as_ref().map(|t| vec![t.clone()]),
            "Layers": names,
        }));
    }
    w.put("manifest.json", Kind::File, &serde_json::to_vec(&manifest)?)?;
    if !repositories.is_empty() {
        w.put(
            "repositories",
            Kind::File,
            &serde_json::to_vec(&Value::Object(repositories))?,
        )?;
    }
    let mut end = [0u8; 2 * tarfmt::BLOCK];
    tarfmt::write_end(&mut &mut end[..]).ctx("write archive")?;
    w.out.write_all(&end).ctx("write archive")?;
    Ok(())
}

/// Copy a blob into another layout: a hard link when it can, else a copy
/// through a temp file.
fn put_blob(store: &Store, dest: &Store, digest: &str) -> Result<()> {
    let to = dest.blob_path(digest)?;
    if to.is_file() {
        return Ok(());
    }
    let from = store.blob_path(digest)?;
    if std::fs::hard_link(&from, &to).is_ok() {
        return Ok(());
    }
    let mut r = store.open_blob(digest)?;
    store::copy_blob(dest, &mut r, Some(digest)).map(|_| ())
}

fn save_oci(store: &Store, images: &[Image], dir: &Path, tag: Option<&str>) -> Result<()> {
    if tag.is_some() && images.len() > 1 {
        return Err(Error::new(
            "oci:DIR:TAG takes one image; give one destination per image",
        ));
    }
    std::fs::create_dir_all(dir).with_ctx(|| format!("mkdir {}", dir.display()))?;
    let dest = Store::at(dir);
    dest.init()?;
    let mut entries = Vec::new();
    for img in images {
        let ref_name: Option<String> = match tag {
            Some(t) => Some(t.to_string()),
            None => img
                .tag
                .as_deref()
                .and_then(|t| t.rsplit_once(':'))
                .map(|(_, t)| t.to_string()),
        };
        if let Some(r) = &ref_name {
            if entries
                .iter()
                .any(|(n, _, _): &(Option<String>, String, u64)| n.as_deref() == Some(r))
            {
                return Err(Error::new(format!(
                    "two images would both be tagged {r:?} in {}: save them one at a time with oci:DIR:TAG",
                    dir.display()
                )));
            }
        }
        for l in img.manifest["layers"].as_array().into_iter().flatten() {
            put_blob(store, &dest, l["digest"].as_str().unwrap_or_default())?;
        }
        put_blob(store, &dest, &img.config_digest)?;
        put_blob(store, &dest, &img.manifest_digest)?;
        let size = std::fs::metadata(store.blob_path(&img.manifest_digest)?)
            .ctx("stat manifest")?
            .len();
        entries.push((ref_name, img.manifest_digest.clone(), size));
    }
    let entries: Vec<store::Entry> = entries
        .iter()
        .map(|(name, digest, size)| store::Entry {
            ref_name: name.as_deref(),
            digest,
            size: *size,
        })
        .collect();
    dest.put_entries(&entries)
}

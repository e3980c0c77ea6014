//! `import` (a rootfs tarball -> a one-layer image, as `docker import`)
//! and `load` (docker/OCI archives -> images under their own names, as
//! `docker load`).

use std::io::{BufRead, BufReader, Read, Write};

use rvol_state::compress;
use rvol_state::store::{self, BlobWriter, Store, MEDIA_CONFIG, MEDIA_LAYER_TAR, MEDIA_MANIFEST};
use rvol_state::{Error, Result};
use serde_json::json;

use crate::archive;

fn open_input(file: Option<&str>) -> Result<Box<dyn Read + Send>> {
    match file {
        None | Some("-") => Ok(Box::new(std::io::stdin())),
        Some(f) => Ok(Box::new(
            std::fs::File::open(f).map_err(|e| Error::new(format!("open {f}: {e}")))?,
        )),
    }
}

/// Everything read through it also goes into the blob.
struct Tee<R> {
    inner: R,
    blob: BlobWriter,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.blob.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// Import a rootfs tar (plain, gzip or zstd) as image `name`; returns the image id.
pub fn import(local: &Store, file: &str, name: &str) -> Result<String> {
    store::check_name(name)?;
    let total = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let bar = if file != "-" && total > 0 {
        rvol_state::progress::layer(file, total)
    } else {
        rvol_state::progress::bytes("Importing")
    };
    let counted = rvol_state::progress::Counted {
        inner: open_input(Some(file))?,
        bar: bar.clone(),
    };
    let mut input = BufReader::with_capacity(1 << 20, counted);
    let empty = input
        .fill_buf()
        .map_err(|e| Error::new(format!("read {file}: {e}")))?
        .is_empty();
    if empty {
        return Err(Error::new(format!("{file}: empty file, not a tar archive")));
    }
    let reader =
        compress::sniff_decoder(input).map_err(|e| Error::new(format!("read {file}: {e}")))?;
    // The layer is stored uncompressed (its digest is its diff_id), and
    // read as a tar on the way in so a non-tar file is refused now.
    let tee = Tee {
        inner: reader,
        blob: local.blob_writer()?,
    };
    let mut ar = tar::Archive::new(tee);
    let mut entries = 0;
    for e in ar
        .entries()
        .map_err(|e| Error::new(format!("{file}: not a tar archive: {e}")))?
    {
        e.map_err(|e| Error::new(format!("{file}: not a tar archive: {e}")))?;
        entries += 1;
    }
    if entries == 0 {
        return Err(Error::new(format!("{file}: no entries: not a tar archive")));
    }
    let mut tee = ar.into_inner();
    std::io::copy(&mut tee, &mut std::io::sink())
        .map_err(|e| Error::new(format!("read {file}: {e}")))?;
    let (diff_id, size) = tee.blob.finish(None)?;

    let now = rvol_state::time::now_secs();
    let config = json!({
        "architecture": rvol_state::store::go_arch(),
        "os": "linux",
        "created": now,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": now, "created_by": "rvol-unpack import", "comment": format!("Imported from {file}")}],
    });
    let config = serde_json::to_vec(&config)?;
    let config_digest = local.write_blob(&config)?;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": MEDIA_LAYER_TAR, "digest": diff_id, "size": size}],
    }))?;
    let md = local.write_blob(&manifest)?;
    local.tag(name, &md, manifest.len() as u64)?;
    Ok(config_digest)
}

/// Load every image of an archive; returns docker's lines (`Loaded image: NAME`).
pub fn load(local: &Store, file: Option<&str>) -> Result<Vec<String>> {
    let images = archive::load(local, open_input(file)?)?;
    let mut lines = Vec::new();
    for img in images {
        let names: Vec<&String> = img
            .names
            .iter()
            .filter(|n| store::check_name(n).is_ok())
            .collect();
        if names.is_empty() {
            lines.push(format!("Loaded image ID: {}", img.config_digest));
        }
        for n in names {
            local.tag(n, &img.manifest_digest, img.manifest_size)?;
            lines.push(format!("Loaded image: {n}"));
        }
    }
    Ok(lines)
}

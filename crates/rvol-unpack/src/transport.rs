//! Image references (skopeo's transports) and bringing an image into the
//! local store, so that whatever ran is always in `ROOT/images/`.

use std::path::PathBuf;

use oci_spec::image::ImageManifest;
use rvol_state::store::{self, Resolved, Store};
use rvol_state::{Error, Result};

use crate::archive;

#[derive(Debug, Clone)]
pub enum Reference {
    /// `NAME[:TAG]` in the store.
    Store(String),
    /// `oci:DIR[:REF]`
    Oci(PathBuf, Option<String>),
    /// `oci-archive:FILE[:REF]`
    OciArchive(PathBuf, Option<String>),
    /// `docker-archive:FILE[:NAME:TAG]`
    DockerArchive(PathBuf, Option<String>),
}

/// Split `PATH[:REF]` at the first colon, as skopeo does.
fn path_ref(rest: &str) -> (PathBuf, Option<String>) {
    match rest.split_once(':') {
        Some((p, r)) if !r.is_empty() => (PathBuf::from(p), Some(r.to_string())),
        Some((p, _)) => (PathBuf::from(p), None),
        None => (PathBuf::from(rest), None),
    }
}

pub fn parse(s: &str) -> Result<Reference> {
    let bad = || Error::new(format!("invalid reference format: {s:?}"));
    if let Some(rest) = s.strip_prefix("oci:") {
        let (p, r) = path_ref(rest);
        if p.as_os_str().is_empty() {
            return Err(bad());
        }
        return Ok(Reference::Oci(p, r));
    }
    if let Some(rest) = s.strip_prefix("oci-archive:") {
        let (p, r) = path_ref(rest);
        if p.as_os_str().is_empty() {
            return Err(bad());
        }
        return Ok(Reference::OciArchive(p, r));
    }
    if let Some(rest) = s.strip_prefix("docker-archive:") {
        let (p, r) = path_ref(rest);
        if p.as_os_str().is_empty() {
            return Err(bad());
        }
        return Ok(Reference::DockerArchive(p, r));
    }
    if s.starts_with("sha256:") {
        store::digest_hex(s).map_err(|_| bad())?;
        return Ok(Reference::Store(s.to_string()));
    }
    if let Some((t, _)) = s.split_once(':') {
        if !t.contains('/')
            && !t.contains('.')
            && ["docker", "containers-storage", "dir", "docker-daemon"].contains(&t)
        {
            return Err(Error::new(format!(
                "transport {t}: not supported (oci:, oci-archive:, docker-archive:, or a name in the store)"
            )));
        }
    }
    store::check_name(s)?;
    Ok(Reference::Store(s.to_string()))
}

/// The image, with its blobs in the local store.
pub fn ingest(local: &Store, r: &Reference) -> Result<Resolved> {
    match r {
        Reference::Store(name) => local.resolve(Some(name)),
        Reference::Oci(dir, tag) => {
            if !dir.join("index.json").is_file() {
                return Err(Error::new(format!(
                    "{}: not an OCI image layout (no index.json)",
                    dir.display()
                )));
            }
            let src = Store::at(dir);
            let found = src.resolve(tag.as_deref())?;
            copy_image(&src, local, &found)?;
            Ok(Resolved {
                name: None,
                ..found
            })
        }
        Reference::OciArchive(file, want) | Reference::DockerArchive(file, want) => {
            let f = std::fs::File::open(file)
                .map_err(|e| Error::new(format!("open {}: {e}", file.display())))?;
            let images = archive::load(local, Box::new(f))?;
            let is_oci = matches!(r, Reference::OciArchive(..));
            let pick = match want {
                None if images.len() == 1 => &images[0],
                None => {
                    return Err(Error::new(format!(
                        "{}: {} images in the archive: name one ({}:FILE:REF)",
                        file.display(),
                        images.len(),
                        if is_oci {
                            "oci-archive"
                        } else {
                            "docker-archive"
                        }
                    )))
                }
                Some(w) => {
                    let full = store::normalize_name(w);
                    images
                        .iter()
                        .find(|i| {
                            i.names
                                .iter()
                                .any(|n| n == w || store::normalize_name(n) == full)
                        })
                        .ok_or_else(|| {
                            Error::new(format!("{}: no image named {w}", file.display()))
                        })?
                }
            };
            let manifest: ImageManifest = local.read_json(&pick.manifest_digest)?;
            Ok(Resolved {
                name: None,
                manifest_digest: pick.manifest_digest.clone(),
                manifest,
            })
        }
    }
}

/// Copy one image's blobs from another layout, each checked against its
/// digest while it is copied; blobs already in the store are skipped.
fn copy_image(src: &Store, dst: &Store, img: &Resolved) -> Result<()> {
    let mut digests = vec![
        img.manifest_digest.clone(),
        img.manifest.config().digest().to_string(),
    ];
    for l in img.manifest.layers() {
        digests.push(l.digest().to_string());
    }
    for d in digests {
        if dst.has_blob(&d) {
            continue;
        }
        let mut f = src.open_blob(&d)?;
        store::copy_blob(dst, &mut f, Some(&d))?;
    }
    Ok(())
}

//! OCI whiteout names, turned into overlayfs' own form so the layer
//! directories stack as lowerdirs: `.wh.NAME` becomes a 0/0 character
//! device NAME, `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its
//! directory, and no `.wh.` file ever appears in a layer.

use rvol_state::{Error, Result};

pub const OPAQUE_XATTR: &std::ffi::CStr = c"trusted.overlay.opaque";

const PREFIX: &[u8] = b".wh.";
const META_PREFIX: &[u8] = b".wh..wh.";
const OPAQUE: &[u8] = b".wh..wh..opq";

pub enum Kind<'a> {
    /// An ordinary entry.
    Plain,
    /// `.wh..wh..opq`: the parent directory hides everything below it.
    Opaque,
    /// Other `.wh..wh.*` names (aufs bookkeeping): skipped, as docker does.
    Meta,
    /// `.wh.NAME`: NAME is deleted.
    Whiteout(&'a [u8]),
}

/// What a base name means; `.wh.` names that name nothing (`.wh.`,
/// `.wh..`, `.wh...`) are refused.
pub fn classify(base: &[u8]) -> Result<Kind<'_>> {
    if base == OPAQUE {
        return Ok(Kind::Opaque);
    }
    if base.starts_with(META_PREFIX) {
        return Ok(Kind::Meta);
    }
    match base.strip_prefix(PREFIX) {
        None => Ok(Kind::Plain),
        Some(b"") | Some(b".") | Some(b"..") => Err(Error::new(format!(
            "whiteout {:?} names no file",
            String::from_utf8_lossy(base)
        ))),
        Some(name) => Ok(Kind::Whiteout(name)),
    }
}

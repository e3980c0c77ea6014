//! Deletions, in the two forms a layer takes. In an image layer (the OCI
//! image spec, as docker writes it) `.wh.NAME` deletes NAME and
//! `.wh..wh..opq` makes its directory hide everything below it. In an
//! overlayfs directory (an unpacked layer, a container's upper dir) NAME
//! is a 0/0 character device and an opaque directory carries
//! `trusted.overlay.opaque=y` (`user.overlay.opaque` rootless). rvol-unpack turns the first form into the
//! second, rvol-commit the second into the first, and the init layer
//! reads the second.

use std::ffi::CStr;

use crate::error::{Error, Result};

/// `.wh.NAME` deletes NAME.
pub const PREFIX: &[u8] = b".wh.";
/// `.wh..wh.*`: aufs' own bookkeeping, not a deletion.
const META_PREFIX: &[u8] = b".wh..wh.";
/// The marker of an opaque directory in a layer.
pub const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

/// overlayfs' mark of an opaque directory (`trusted.overlay.opaque`, or
/// `user.overlay.opaque` rootless: `crate::rootless::opaque_xattr`), and
/// its value.
pub fn opaque_xattr() -> &'static CStr {
    crate::rootless::opaque_xattr()
}
pub const OPAQUE_VALUE: &[u8] = b"y";

/// What a base name in a layer means.
#[derive(Debug, PartialEq, Eq)]
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
    if base == OPAQUE_MARKER {
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

/// The layer path that deletes `path` (`a/b` -> `a/.wh.b`).
pub fn layer_name(path: &[u8]) -> Vec<u8> {
    let slash = path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let mut wh = Vec::with_capacity(path.len() + PREFIX.len());
    wh.extend_from_slice(&path[..slash]);
    wh.extend_from_slice(PREFIX);
    wh.extend_from_slice(&path[slash..]);
    wh
}

/// The mode type and device number of overlayfs' whiteout (for mknod).
pub const OVERLAY_MODE: libc::mode_t = libc::S_IFCHR;
pub const OVERLAY_DEV: libc::dev_t = 0;

/// Whether a file of this `st_mode` and `st_rdev` is overlayfs' whiteout.
pub fn is_overlay_whiteout(mode: u32, rdev: u64) -> bool {
    mode & libc::S_IFMT == OVERLAY_MODE && rdev == OVERLAY_DEV
}

/// Whether these xattrs (name, value) mark an opaque directory: either
/// name, as an upper dir of either kind of overlay has it.
pub fn is_opaque(xattrs: &[(Vec<u8>, Vec<u8>)]) -> bool {
    xattrs.iter().any(|(k, v)| {
        (k.as_slice() == b"trusted.overlay.opaque" || k.as_slice() == b"user.overlay.opaque")
            && v.as_slice() == OPAQUE_VALUE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(classify(b"a").unwrap(), Kind::Plain);
        assert_eq!(classify(b".wh.a").unwrap(), Kind::Whiteout(b"a"));
        assert_eq!(classify(b".wh..wh..opq").unwrap(), Kind::Opaque);
        assert_eq!(classify(b".wh..wh.plnk").unwrap(), Kind::Meta);
        assert!(classify(b".wh.").is_err());
        assert!(classify(b".wh..").is_err());
        assert_eq!(layer_name(b"a/b"), b"a/.wh.b");
        assert_eq!(layer_name(b"b"), b".wh.b");
        assert!(is_overlay_whiteout(libc::S_IFCHR | 0o600, 0));
        assert!(!is_overlay_whiteout(libc::S_IFCHR, libc::makedev(1, 3)));
        assert!(is_opaque(&[(
            b"trusted.overlay.opaque".to_vec(),
            b"y".to_vec()
        )]));
    }
}

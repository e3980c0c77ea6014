//! Extended attributes of a path, read whole: rvol-commit packs them into
//! layers, rvol-mount's init layer checks an image's /etc for them.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Overlay's own bookkeeping (opaque, origin, impure, redirect, ...), not
/// content: a layer never carries it.
pub fn is_overlay_bookkeeping(name: &[u8]) -> bool {
    name.starts_with(b"trusted.overlay.") || name.starts_with(b"user.overlay.")
}

/// All xattrs of `path` (not following a symlink), sorted by name.
pub fn read_all(path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let mut names = vec![0u8; 1024];
    let len = loop {
        // SAFETY: c is NUL-terminated, names is a valid buffer of its length.
        let n = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
        if n >= 0 {
            break n as usize;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ERANGE) => names.resize(names.len() * 4, 0),
            Some(libc::ENOTSUP) => return Ok(Vec::new()),
            _ => return Err(err),
        }
    };
    let mut out = Vec::new();
    for name in names[..len].split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cname = CString::new(name).map_err(io::Error::other)?;
        let mut val = vec![0u8; 256];
        loop {
            // SAFETY: as above; val is a valid buffer of its length.
            let n = unsafe {
                libc::lgetxattr(
                    c.as_ptr(),
                    cname.as_ptr(),
                    val.as_mut_ptr().cast(),
                    val.len(),
                )
            };
            if n >= 0 {
                val.truncate(n as usize);
                break;
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::ERANGE) => val.resize(val.len() * 16, 0),
                // Removed between list and get.
                Some(libc::ENODATA) => {
                    val.clear();
                    break;
                }
                _ => return Err(err),
            }
        }
        out.push((name.to_vec(), val));
    }
    out.sort();
    Ok(out)
}

//! `--tmpfs DST[:OPTS]`: the destination here, the options checked and
//! merged with docker's defaults by `rvol_state::mountopt`.

use rvol_state::{Error, Result};

use super::clean;

/// `--tmpfs DST[:OPTS]` as the daemon checks it (options are checked
/// when the mount list is merged, see [`merge_tmpfs_options`]).
pub fn parse_tmpfs_flag(value: &str) -> Result<(String, String)> {
    let (dst, opts) = value.split_once(':').unwrap_or((value, ""));
    if clean(dst) == "/" {
        return Err(Error::new(
            "invalid specification: destination can't be '/'",
        ));
    }
    if !dst.starts_with('/') {
        return Err(Error::new(format!(
            "invalid mount path: '{dst}' mount path must be absolute"
        )));
    }
    Ok((dst.to_string(), opts.to_string()))
}

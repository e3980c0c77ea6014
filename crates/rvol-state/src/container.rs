//! Finding containers under the state root: by name, by id, or by a
//! unique prefix of the id, as docker does.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::root::Root;

/// A fresh 64-hex id from the kernel's random source.
pub fn new_id() -> Result<String> {
    let mut buf = [0u8; 32];
    getrandom(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn getrandom(buf: &mut [u8]) -> Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)?;
    Ok(())
}

/// Every container id under the root, sorted.
pub fn list(root: &Root) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    match std::fs::read_dir(root.containers()) {
        Ok(rd) => {
            for e in rd {
                let name = e?.file_name().to_string_lossy().into_owned();
                if is_id(&name) {
                    ids.push(name);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::new(format!("{}: {e}", root.containers().display()))),
    }
    ids.sort();
    Ok(ids)
}

pub fn is_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Resolve a name (with or without the leading `/`), a full id or a unique
/// id prefix to an id. Errors read as docker's: `No such container: X`,
/// `multiple IDs found with provided prefix: X`.
pub fn find(root: &Root, what: &str) -> Result<String> {
    let name = what.strip_prefix('/').unwrap_or(what);
    if !name.is_empty() && !name.contains('/') && name != "." && name != ".." {
        if let Ok(target) = std::fs::read_link(root.names().join(name)) {
            let id = target.to_string_lossy().into_owned();
            if root.container(&id).is_dir() {
                return Ok(id);
            }
        }
    }
    if what.is_empty() || !what.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(no_such(what));
    }
    let matches: Vec<String> = list(root)?
        .into_iter()
        .filter(|id| id.starts_with(what))
        .collect();
    match matches.len() {
        0 => Err(no_such(what)),
        1 => Ok(matches.into_iter().next().unwrap()),
        _ => Err(Error::new(format!(
            "multiple IDs found with provided prefix: {what}"
        ))),
    }
}

fn no_such(what: &str) -> Error {
    Error::new(format!("No such container: {what}"))
}

/// The bundle directory of a container found by [`find`].
pub fn bundle(root: &Root, what: &str) -> Result<PathBuf> {
    Ok(root.container(&find(root, what)?))
}

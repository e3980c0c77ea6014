//! What counts as a volume under `volumes/`, and which containers use
//! one: the definitions `rvol-mount volume rm|prune`, `rm -v` and
//! `rvol-inspect volume ls|inspect` share.

use std::collections::HashMap;

use crate::bundle::Container;
use crate::{container, Error, Result, Root};

/// `volumes/<name>` is a volume: a plain entry name (no `/`; a leading
/// `.` is a volume being made or removed, `.tmp-*` `.rm-*`, or `.`/`..`)
/// with a `_data` directory (which a `<name>.lock` file has not).
pub fn is_volume(root: &Root, name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains('/')
        && root.volume_data(name).is_dir()
}

/// Every volume name, sorted.
pub fn list(root: &Root) -> Result<Vec<String>> {
    let dir = root.volumes();
    let mut out = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(rd) => {
            for e in rd {
                let e = e.map_err(|e| Error::new(format!("read {}: {e}", dir.display())))?;
                let n = e.file_name().to_string_lossy().into_owned();
                if is_volume(root, &n) {
                    out.push(n);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::new(format!("read {}: {e}", dir.display()))),
    }
    out.sort();
    Ok(out)
}

/// For each volume in use, the ids of the containers (running or not)
/// whose recorded `Mounts` name it: docker's reference count. A bundle
/// whose spec cannot be read holds none.
pub fn users(root: &Root) -> Result<HashMap<String, Vec<String>>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for id in container::list(root)? {
        let c = Container::open(root, &id);
        let Ok(mounts) = c.annotations().and_then(|a| a.mounts()) else {
            continue;
        };
        for m in mounts {
            if let ("volume", Some(n)) = (m.kind.as_str(), m.name) {
                let ids = map.entry(n).or_default();
                if !ids.contains(&id) {
                    ids.push(id.clone());
                }
            }
        }
    }
    Ok(map)
}

/// Some container uses `name`.
pub fn in_use(root: &Root, name: &str) -> Result<bool> {
    Ok(users(root)?.get(name).is_some_and(|ids| !ids.is_empty()))
}

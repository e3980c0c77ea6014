//! Volumes as `docker volume inspect` and `docker volume ls` show them,
//! from `ROOT/volumes/<name>/` (`_data` and `volume.json`).

use rvol_state::record::VolumeRecord;
use rvol_state::{Result, ResultExt, Root};
use serde_json::{json, Map, Value};

use crate::args::ListArgs;

/// Volume names as docker allows them; anything else under volumes/ (locks,
/// temp dirs) is not a volume.
fn valid_name(n: &str) -> bool {
    let mut b = n.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphanumeric())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        && !n.ends_with(".lock")
}

pub fn names(root: &Root) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match std::fs::read_dir(root.volumes()) {
        Ok(rd) => {
            for e in rd {
                let e = e.with_ctx(|| format!("read {}", root.volumes().display()))?;
                let n = e.file_name().to_string_lossy().into_owned();
                if valid_name(&n) && root.volume_data(&n).is_dir() {
                    out.push(n);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_ctx(|| format!("read {}", root.volumes().display())),
    }
    out.sort();
    Ok(out)
}

pub fn inspect(root: &Root, name: &str) -> Result<Option<Value>> {
    if !valid_name(name) || !root.volume_data(name).is_dir() {
        return Ok(None);
    }
    let rec_path = root.volume(name).join("volume.json");
    let rec: Option<VolumeRecord> = match std::fs::read(&rec_path) {
        Ok(b) => {
            Some(serde_json::from_slice(&b).with_ctx(|| format!("parse {}", rec_path.display()))?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_ctx(|| format!("read {}", rec_path.display())),
    };
    let created = match &rec {
        Some(r) => r.created_at.clone(),
        None => mtime(&root.volume(name)),
    };
    // docker prints null, not {}, for a volume made without labels/options
    let nullable = |m: Option<&Map<String, Value>>| match m {
        Some(m) if !m.is_empty() => Value::Object(m.clone()),
        _ => Value::Null,
    };
    Ok(Some(json!({
        "CreatedAt": created,
        "Driver": "local",
        "Labels": nullable(rec.as_ref().map(|r| &r.labels)),
        "Mountpoint": root.volume_data(name).to_string_lossy(),
        "Name": name,
        "Options": nullable(rec.as_ref().map(|r| &r.options)),
        "Scope": "local",
    })))
}

fn mtime(p: &std::path::Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let secs = std::fs::metadata(p).map(|m| m.mtime()).unwrap_or(0);
    rvol_state::time::format_time(secs, None)
}

pub fn list(a: &ListArgs) -> Result<i32> {
    let names = names(&a.root)?;
    let mut out = String::new();
    if a.quiet {
        for n in names {
            out.push_str(&n);
            out.push('\n');
        }
    } else {
        let mut rows = vec![vec!["DRIVER".to_string(), "VOLUME NAME".to_string()]];
        rows.extend(names.into_iter().map(|n| vec!["local".to_string(), n]));
        out = crate::table::render(&rows);
    }
    print!("{out}");
    Ok(0)
}

//! Volumes as `docker volume inspect` and `docker volume ls` show them,
//! from `ROOT/volumes/<name>/` (`_data` and `volume.json`).

use rvol_state::record::VolumeRecord;
use rvol_state::{Result, ResultExt, Root};
use serde_json::{json, Map, Value};

use crate::args::ListArgs;
use crate::listfmt::{self, matches};

pub fn inspect(root: &Root, name: &str) -> Result<Option<Value>> {
    if !rvol_state::volume::is_volume(root, name) {
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

const DEFAULT: &str = "table {{.Driver}}\t{{.Name}}";
const TITLES: &[(&str, &str)] = &[
    ("Availability", "AVAILABILITY"),
    ("Driver", "DRIVER"),
    ("Group", "GROUP"),
    ("Labels", "LABELS"),
    ("Links", "LINKS"),
    ("Mountpoint", "MOUNTPOINT"),
    ("Name", "VOLUME NAME"),
    ("Scope", "SCOPE"),
    ("Size", "SIZE"),
    ("Status", "STATUS"),
];

pub fn list(a: &ListArgs) -> Result<i32> {
    let (f, fmt) = match listfmt::prepare(
        &a.filters,
        &["name", "dangling"],
        a.format.as_deref(),
        DEFAULT,
    ) {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    let used = if f.iter().any(|(k, _)| k == "dangling") {
        rvol_state::volume::users(&a.root)?
    } else {
        Default::default()
    };
    let mut rows = Vec::new();
    for n in rvol_state::volume::list(&a.root)? {
        let dangling = used.get(&n).is_none_or(|ids| ids.is_empty());
        let keep = matches(&f, "name", |v| n.contains(v))
            && matches(&f, "dangling", |v| match v {
                "true" | "1" => dangling,
                _ => !dangling,
            });
        if !keep {
            continue;
        }
        if a.quiet {
            println!("{n}");
            continue;
        }
        let Some(v) = inspect(&a.root, &n)? else {
            continue;
        };
        let labels = v["Labels"]
            .as_object()
            .map(|l| {
                let mut kv: Vec<String> = l
                    .iter()
                    .map(|(k, x)| format!("{k}={}", x.as_str().unwrap_or("")))
                    .collect();
                kv.sort();
                kv.join(",")
            })
            .unwrap_or_default();
        let mut m = Map::new();
        for k in ["Availability", "Group", "Links", "Size", "Status"] {
            m.insert(k.into(), "N/A".into());
        }
        m.insert("Driver".into(), "local".into());
        m.insert("Labels".into(), labels.into());
        m.insert("Mountpoint".into(), v["Mountpoint"].clone());
        m.insert("Name".into(), n.into());
        m.insert("Scope".into(), "local".into());
        rows.push(m);
    }
    if a.quiet {
        return Ok(0);
    }
    if let Err(e) = listfmt::print(&fmt, TITLES, &rows) {
        eprintln!("template parsing error: {e}");
        return Ok(1);
    }
    Ok(0)
}

//! Volumes as `docker volume inspect` and `docker volume ls` show them,
//! from `ROOT/volumes/<name>/` (`_data` and `volume.json`).

use rvol_state::labelfilter::{self, Label};
use rvol_state::record::VolumeRecord;
use rvol_state::{Result, ResultExt, Root};
use serde_json::{json, Map, Value};

use crate::args::ListArgs;
use crate::listfmt::{self, matches};

pub fn inspect(root: &Root, name: &str) -> Result<Option<Value>> {
    if !rvol_state::volume::is_volume(root, name) {
        return Ok(None);
    }
    // A mount left by containers that were killed is undone by the next
    // command that looks at the volume (localvol); a view that may not
    // unmount (not root) still shows the volume.
    let _ = rvol_state::localvol::settle(root, name);
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
    // docker prints null, not {}, for a volume made without labels/options;
    // Go marshals a map with its keys sorted.
    let nullable = |m: Option<&Map<String, Value>>| match m {
        Some(m) if !m.is_empty() => {
            let mut kv: Vec<(&String, &Value)> = m.iter().collect();
            kv.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
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
        &["name", "dangling", "driver", "label"],
        a.format.as_deref(),
        DEFAULT,
    ) {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    // The daemon's checks of the values (docs/docker-behaviour.md §14).
    for (k, v) in &f {
        if k == "dangling" && !matches!(v.as_str(), "true" | "1" | "false" | "0") {
            eprintln!("Error: Invalid filter 'dangling=[{v}]'");
            return Ok(1);
        }
    }
    // Label filters all hold (moby's MatchKVList); the other keys' values
    // are alternatives.
    let labels: Vec<Label> = f
        .iter()
        .filter(|(k, _)| k == "label")
        .map(|(_, v)| Label::parse(v))
        .collect();
    let used = if f.iter().any(|(k, _)| k == "dangling") {
        rvol_state::volume::users(&a.root)?
    } else {
        Default::default()
    };
    let mut rows = Vec::new();
    for n in rvol_state::volume::list(&a.root)? {
        let dangling = used.get(&n).is_none_or(|ids| ids.is_empty());
        let keep = matches(&f, "name", |v| n.contains(v))
            && matches(&f, "driver", |v| v == "local")
            && matches(&f, "dangling", |v| match v {
                "true" | "1" => dangling,
                _ => !dangling,
            });
        if !keep {
            continue;
        }
        let Some(v) = inspect(&a.root, &n)? else {
            continue;
        };
        let no_labels = Map::new();
        if !labelfilter::match_all(&labels, v["Labels"].as_object().unwrap_or(&no_labels)) {
            continue;
        }
        if a.quiet {
            println!("{n}");
            continue;
        }
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

//! Images in the local store (`ROOT/images/`, an OCI image layout) as
//! `docker image inspect` and `docker images` show them. Tags are the
//! index.json entries' `org.opencontainers.image.ref.name` (`NAME:TAG`).

use std::path::Path;

use rvol_state::store::{Store, REF_NAME};
use rvol_state::time::parse_time;
use rvol_state::{Result, ResultExt, Root};
use serde_json::{json, Map, Value};

use crate::args::ListArgs;
use crate::listfmt;
use crate::table::{human_duration, human_size, since};

/// One image (one config) and every tag that points at it.
pub struct Image {
    pub id: String,
    pub tags: Vec<String>,
    pub config: Value,
    pub manifest: Value,
    /// The image a build made it from.
    pub parent: Option<String>,
}

/// A blob of the store, parsed (not checked against its digest: a view).
fn blob(store: &Store, digest: &str) -> Result<Value> {
    rvol_state::fsx::read_json(&store.blob_path(digest)?)
}

pub fn all(root: &Root) -> Result<Vec<Image>> {
    // A view: nothing is made when the store is missing.
    let store = Store::at(&root.images());
    if !store.index_path().exists() {
        return Ok(Vec::new());
    }
    let index = rvol_state::fsx::read_json::<Value>(&store.index_path())?;
    let mut out: Vec<Image> = Vec::new();
    for m in index["manifests"].as_array().into_iter().flatten() {
        let Some(digest) = m["digest"].as_str() else {
            continue;
        };
        let manifest = blob(&store, digest).with_ctx(|| format!("manifest {digest}"))?;
        let Some(cfg_digest) = manifest["config"]["digest"].as_str() else {
            continue;
        };
        let tag = m["annotations"][REF_NAME].as_str().map(String::from);
        if let Some(img) = out.iter_mut().find(|i| i.id == cfg_digest) {
            img.tags.extend(tag);
            continue;
        }
        let config = blob(&store, cfg_digest).with_ctx(|| format!("config {cfg_digest}"))?;
        let parent = store.parent(cfg_digest);
        out.push(Image {
            id: cfg_digest.to_string(),
            tags: tag.into_iter().collect(),
            config,
            manifest,
            parent,
        });
    }
    for i in &mut out {
        i.tags.sort();
    }
    Ok(out)
}

/// `NAME[:TAG]` (tag `latest` by default), `sha256:HEX`, or a prefix of the id's hex.
pub fn find<'a>(images: &'a [Image], what: &str) -> Option<&'a Image> {
    let with_tag = if has_tag(what) {
        what.to_string()
    } else {
        format!("{what}:latest")
    };
    if let Some(i) = images.iter().find(|i| i.tags.contains(&with_tag)) {
        return Some(i);
    }
    let hex = what.strip_prefix("sha256:").unwrap_or(what);
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut m = images
        .iter()
        .filter(|i| i.id.trim_start_matches("sha256:").starts_with(hex));
    match (m.next(), m.next()) {
        (Some(i), None) => Some(i),
        _ => None,
    }
}

/// A tag is after the last ':' that follows the last '/' (`host:5000/x` has none).
fn has_tag(r: &str) -> bool {
    let last = r.rsplit('/').next().unwrap_or(r);
    last.contains(':')
}

fn split_tag(t: &str) -> (String, String) {
    if has_tag(t) {
        let (n, tag) = t.rsplit_once(':').unwrap();
        (n.to_string(), tag.to_string())
    } else {
        (t.to_string(), "<none>".to_string())
    }
}

/// Bytes of the unpacked layers (what docker calls Size), else the blobs'.
fn size(root: &Root, img: &Image) -> u64 {
    let mut total = 0;
    let diff_ids = img.config["rootfs"]["diff_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let layers = img.manifest["layers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, d) in diff_ids.iter().enumerate() {
        let dir = d.as_str().map(|d| root.layer(d));
        match dir.filter(|d| d.is_dir()) {
            Some(d) => total += du(&d),
            None => total += layers.get(i).and_then(|l| l["size"].as_u64()).unwrap_or(0),
        }
    }
    total
}

fn du(dir: &Path) -> u64 {
    let mut n = 0;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in rd.flatten() {
        let Ok(md) = e.metadata() else { continue };
        if md.is_dir() {
            n += du(&e.path());
        } else if md.is_file() {
            n += md.len();
        }
    }
    n
}

const IMAGE_CONFIG_KEYS: &[&str] = &[
    "Hostname",
    "Domainname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "ExposedPorts",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Healthcheck",
    "ArgsEscaped",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "OnBuild",
    "Labels",
    "StopSignal",
    "Shell",
];

fn docker_config(c: &Value) -> Value {
    let src = c.as_object().cloned().unwrap_or_default();
    let mut out = Map::new();
    for k in IMAGE_CONFIG_KEYS {
        let v = src.get(*k).cloned();
        let v = match (*k, v) {
            (_, Some(v)) => v,
            ("Hostname" | "Domainname" | "User" | "Image" | "WorkingDir", None) => json!(""),
            (
                "AttachStdin" | "AttachStdout" | "AttachStderr" | "Tty" | "OpenStdin" | "StdinOnce",
                None,
            ) => {
                json!(false)
            }
            ("Env" | "Cmd" | "Volumes" | "Entrypoint" | "OnBuild" | "Labels", None) => Value::Null,
            _ => continue,
        };
        out.insert((*k).into(), v);
    }
    Value::Object(out)
}

pub fn inspect_value(root: &Root, img: &Image) -> Value {
    let c = &img.config;
    let s = size(root, img);
    let lower: Vec<String> = c["rootfs"]["diff_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .filter_map(|d| {
            d.as_str()
                .map(|d| root.layer(d).to_string_lossy().into_owned())
        })
        .collect();
    json!({
        "Id": img.id,
        "RepoTags": img.tags,
        "RepoDigests": [],
        "Parent": img.parent.clone().unwrap_or_default(),
        "Comment": c["history"].as_array().and_then(|h| h.last()).and_then(|h| h["comment"].as_str()).unwrap_or(""),
        "Created": c["created"].as_str().unwrap_or(rvol_state::time::ZERO),
        "Author": c["author"].as_str().unwrap_or(""),
        "Config": docker_config(&c["config"]),
        "Architecture": c["architecture"].as_str().unwrap_or(""),
        "Os": c["os"].as_str().unwrap_or(""),
        "Size": s,
        "GraphDriver": {"Data": graph_data(&lower), "Name": "overlay2"},
        "RootFS": {
            "Type": c["rootfs"]["type"].as_str().unwrap_or("layers"),
            "Layers": c["rootfs"]["diff_ids"].clone(),
        },
    })
}

/// Docker's shape: the top layer is UpperDir, the others (top first)
/// LowerDir. rvol has no merged or work dir for an image.
fn graph_data(top_first: &[String]) -> Value {
    let mut m = Map::new();
    if top_first.len() > 1 {
        m.insert("LowerDir".into(), top_first[1..].join(":").into());
    }
    if let Some(top) = top_first.first() {
        m.insert("UpperDir".into(), top.clone().into());
    }
    Value::Object(m)
}

pub fn inspect(root: &Root, what: &str) -> Result<Option<Value>> {
    let imgs = all(root)?;
    Ok(find(&imgs, what).map(|i| inspect_value(root, i)))
}

const DEFAULT: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
const TITLES: &[(&str, &str)] = &[
    ("Containers", "CONTAINERS"),
    ("CreatedAt", "CREATED AT"),
    ("CreatedSince", "CREATED"),
    ("Digest", "DIGEST"),
    ("ID", "IMAGE ID"),
    ("Repository", "REPOSITORY"),
    ("SharedSize", "SHARED SIZE"),
    ("Size", "SIZE"),
    ("Tag", "TAG"),
    ("UniqueSize", "UNIQUE SIZE"),
    ("VirtualSize", "VIRTUAL SIZE"),
];

pub fn list(a: &ListArgs) -> Result<i32> {
    let (f, fmt) = match listfmt::prepare(&a.filters, &["reference"], a.format.as_deref(), DEFAULT)
    {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    let mut imgs = all(&a.root)?;
    imgs.sort_by(|x, y| {
        let t = |i: &Image| parse_time(i.config["created"].as_str().unwrap_or("")).unwrap_or(0.0);
        t(y).partial_cmp(&t(x)).unwrap_or(std::cmp::Ordering::Equal)
    });
    let short = |i: &Image| {
        i.id.trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect::<String>()
    };
    // REPOSITORY[:TAG] given as an argument, or `reference=` filters
    let mut refs: Vec<String> = a.filter.iter().cloned().collect();
    refs.extend(f.iter().map(|(_, v)| v.clone()));
    let mut rows = Vec::new();
    for i in &imgs {
        let parents = imgs.iter().map(|o| o.parent.as_deref());
        if !a.all && rvol_state::store::is_intermediate(&i.id, !i.tags.is_empty(), parents) {
            continue;
        }
        let created = i.config["created"].as_str().unwrap_or("");
        let since_text = match since(created) {
            Some(d) => format!("{} ago", human_duration(d)),
            None => "N/A".into(),
        };
        let size = human_size(size(&a.root, i) as f64);
        let tags = if i.tags.is_empty() {
            vec!["<none>:<none>".to_string()]
        } else {
            i.tags.clone()
        };
        for t in tags {
            let (repo, tag) = split_tag(&t);
            let wanted = refs.is_empty()
                || refs.iter().any(|r| {
                    let (frepo, ftag) = if has_tag(r) {
                        split_tag(r)
                    } else {
                        (r.clone(), String::new())
                    };
                    frepo == repo && (ftag.is_empty() || ftag == tag)
                });
            if !wanted {
                continue;
            }
            let mut m = Map::new();
            m.insert("Containers".into(), "N/A".into());
            m.insert(
                "CreatedAt".into(),
                rvol_state::time::go_time(created).into(),
            );
            m.insert("CreatedSince".into(), since_text.clone().into());
            m.insert("Digest".into(), "<none>".into());
            m.insert("ID".into(), short(i).into());
            m.insert("Repository".into(), repo.into());
            m.insert("SharedSize".into(), "N/A".into());
            m.insert("Size".into(), size.clone().into());
            m.insert("Tag".into(), tag.into());
            m.insert("UniqueSize".into(), "N/A".into());
            m.insert("VirtualSize".into(), size.clone().into());
            rows.push(m);
        }
    }
    if a.quiet {
        // one id per row, duplicates included, as docker -q
        for r in &rows {
            println!("{}", r["ID"].as_str().unwrap_or(""));
        }
        return Ok(0);
    }
    if let Err(e) = listfmt::print(&fmt, TITLES, &rows) {
        eprintln!("template parsing error: {e}");
        return Ok(1);
    }
    Ok(0)
}

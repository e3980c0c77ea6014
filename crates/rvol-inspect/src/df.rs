//! `docker system df [-v] [--format F]`: what images, containers and local
//! volumes take, docker's four rows (rvol has no build cache: zeros) and,
//! with -v, its three tables. Sizes as docker counts them: an image's
//! layers (a layer two images share counts once in the total), a
//! container's upper dir (SizeRw), a volume's `directory.Size`; RECLAIMABLE
//! what no container uses.

use std::collections::HashMap;

use rvol_state::{Result, Root};
use serde_json::{Map, Value};

use crate::image::{self, Image};
use crate::listfmt;
use crate::prune::dir_size;
use crate::table::{human_duration, human_size, since};

pub struct DfArgs {
    pub root: Root,
    pub verbose: bool,
    pub format: Option<String>,
}

const DEFAULT: &str = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
const TITLES: &[(&str, &str)] = &[
    ("Type", "TYPE"),
    ("TotalCount", "TOTAL"),
    ("Active", "ACTIVE"),
    ("Size", "SIZE"),
    ("Reclaimable", "RECLAIMABLE"),
];

struct ImageUse {
    size: u64,
    shared: u64,
    containers: usize,
}

/// docker's `SIZE (PCT%)`, the percentage truncated; no percentage of 0.
fn with_pct(part: u64, total: u64) -> String {
    match (part * 100).checked_div(total) {
        Some(pct) => format!("{} ({pct}%)", human_size(part as f64)),
        None => human_size(part as f64),
    }
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

pub fn run(a: &DfArgs) -> Result<i32> {
    let root = &a.root;
    let images = image::all(root)?;
    let containers = crate::container::all(root)?;
    // Each layer's size once; which images hold it.
    let mut layer_size: HashMap<String, u64> = HashMap::new();
    let mut holders: HashMap<String, usize> = HashMap::new();
    for i in &images {
        for d in diff_ids(i) {
            *holders.entry(d.clone()).or_default() += 1;
            layer_size
                .entry(d.clone())
                .or_insert_with(|| dir_size(&root.layer(&d)));
        }
    }
    let uses: Vec<ImageUse> = images
        .iter()
        .map(|i| {
            let ids = diff_ids(i);
            let size = ids.iter().map(|d| layer_size[d]).sum();
            let shared = ids
                .iter()
                .filter(|d| holders[*d] > 1)
                .map(|d| layer_size[d])
                .sum();
            let n = containers.iter().filter(|c| c.image.id == i.id).count();
            ImageUse {
                size,
                shared,
                containers: n,
            }
        })
        .collect();
    let layers_total: u64 = layer_size.values().sum();
    let used: u64 = uses
        .iter()
        .filter(|u| u.containers > 0)
        .map(|u| u.size - u.shared)
        .sum();
    let c_sizes: Vec<u64> = containers
        .iter()
        .map(|c| dir_size(&root.container(&c.id).join("upper")))
        .collect();
    let c_total: u64 = c_sizes.iter().sum();
    let c_idle: u64 = containers
        .iter()
        .zip(&c_sizes)
        .filter(|(c, _)| !c.state.running)
        .map(|(_, s)| s)
        .sum();
    let users = rvol_state::volume::users(root)?;
    let vols: Vec<(String, usize, u64)> = rvol_state::volume::list(root)?
        .into_iter()
        .map(|n| {
            let links = users.get(&n).map_or(0, Vec::len);
            let size = dir_size(&root.volume_data(&n));
            (n, links, size)
        })
        .collect();
    let v_total: u64 = vols.iter().map(|v| v.2).sum();
    let v_idle: u64 = vols.iter().filter(|v| v.1 == 0).map(|v| v.2).sum();

    if a.verbose {
        return verbose(a, &images, &uses, &containers, &c_sizes, &vols);
    }
    let row =
        |t: &str, total: usize, active: usize, size: u64, recl: String| -> Map<String, Value> {
            let mut m = Map::new();
            m.insert("Active".into(), s(active.to_string()));
            m.insert("Reclaimable".into(), s(recl));
            m.insert("Size".into(), s(human_size(size as f64)));
            m.insert("TotalCount".into(), s(total.to_string()));
            m.insert("Type".into(), s(t));
            m
        };
    let rows = vec![
        row(
            "Images",
            images.len(),
            uses.iter().filter(|u| u.containers > 0).count(),
            layers_total,
            with_pct(layers_total.saturating_sub(used), layers_total),
        ),
        row(
            "Containers",
            containers.len(),
            containers.iter().filter(|c| c.state.running).count(),
            c_total,
            with_pct(c_idle, c_total),
        ),
        row(
            "Local Volumes",
            vols.len(),
            vols.iter().filter(|v| v.1 > 0).count(),
            v_total,
            with_pct(v_idle, v_total),
        ),
        row("Build Cache", 0, 0, 0, human_size(0.0)),
    ];
    let fmt = match listfmt::parse(a.format.as_deref(), DEFAULT) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("template parsing error: {e}");
            return Ok(listfmt::EXIT_BAD_TEMPLATE);
        }
    };
    if let Err(e) = listfmt::print(&fmt, TITLES, &rows) {
        eprintln!("template parsing error: {e}");
        return Ok(1);
    }
    Ok(0)
}

fn diff_ids(i: &Image) -> Vec<String> {
    i.config["rootfs"]["diff_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(String::from))
        .collect()
}

/// `-v`: the three tables docker prints (and the empty build cache one),
/// or with `--format json` one object of the three lists.
fn verbose(
    a: &DfArgs,
    images: &[Image],
    uses: &[ImageUse],
    containers: &[crate::container::Container],
    c_sizes: &[u64],
    vols: &[(String, usize, u64)],
) -> Result<i32> {
    let mut irows = Vec::new();
    for (i, u) in images.iter().zip(uses) {
        let created = i.config["created"].as_str().unwrap_or("");
        let tags = if i.tags.is_empty() {
            vec!["<none>:<none>".to_string()]
        } else {
            i.tags.clone()
        };
        for t in tags {
            let (repo, tag) = t.rsplit_once(':').unwrap_or((&t, "<none>"));
            let mut m = Map::new();
            m.insert("Containers".into(), s(u.containers.to_string()));
            m.insert("CreatedAt".into(), s(rvol_state::time::go_time(created)));
            m.insert(
                "CreatedSince".into(),
                s(since(created).map_or("N/A".into(), |d| format!("{} ago", human_duration(d)))),
            );
            m.insert("Digest".into(), s(""));
            m.insert("ID".into(), s(i.id.clone()));
            m.insert("Repository".into(), s(repo));
            m.insert("SharedSize".into(), s(human_size(u.shared as f64)));
            m.insert("Size".into(), s(human_size(u.size as f64)));
            m.insert("Tag".into(), s(tag));
            m.insert(
                "UniqueSize".into(),
                s(human_size((u.size - u.shared) as f64)),
            );
            m.insert("VirtualSize".into(), s(human_size(u.size as f64)));
            irows.push(m);
        }
    }
    let mut crows = Vec::new();
    for (c, size) in containers.iter().zip(c_sizes) {
        let mut m = crate::ps::context(c, false);
        m.insert("Size".into(), s(human_size(*size as f64)));
        crows.push(m);
    }
    let vrows: Vec<Map<String, Value>> = vols
        .iter()
        .map(|(n, links, size)| {
            let mut m = Map::new();
            m.insert("Driver".into(), s("local"));
            m.insert("Labels".into(), s(""));
            m.insert("Links".into(), s(links.to_string()));
            m.insert(
                "Mountpoint".into(),
                s(a.root.volume_data(n).display().to_string()),
            );
            m.insert("Name".into(), s(n.clone()));
            m.insert("Scope".into(), s("local"));
            m.insert("Size".into(), s(human_size(*size as f64)));
            m
        })
        .collect();
    if a.format
        .as_deref()
        .is_some_and(|f| f == "json" || !f.starts_with("table"))
    {
        let obj = serde_json::json!({
            "BuildCache": [],
            "Containers": crows,
            "Images": irows,
            "Volumes": vrows,
        });
        println!("{obj}");
        return Ok(0);
    }
    let table = |tmpl: &str, titles: &[(&str, &str)], rows: &[Map<String, Value>]| -> Result<()> {
        let f = listfmt::parse(Some(tmpl), tmpl).map_err(rvol_state::Error::new)?;
        listfmt::print(&f, titles, rows).map_err(rvol_state::Error::new)
    };
    println!("Images space usage:\n");
    table(
        "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
        &[
            ("Repository", "REPOSITORY"),
            ("Tag", "TAG"),
            ("ID", "IMAGE ID"),
            ("CreatedSince", "CREATED"),
            ("Size", "SIZE"),
            ("SharedSize", "SHARED SIZE"),
            ("UniqueSize", "UNIQUE SIZE"),
            ("Containers", "CONTAINERS"),
        ],
        &irows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                let id = r["ID"].as_str().unwrap_or("").trim_start_matches("sha256:").chars().take(12).collect::<String>();
                r.insert("ID".into(), s(id));
                r
            })
            .collect::<Vec<_>>(),
    )?;
    println!("\nContainers space usage:\n");
    table(
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
        &[
            ("ID", "CONTAINER ID"),
            ("Image", "IMAGE"),
            ("Command", "COMMAND"),
            ("LocalVolumes", "LOCAL VOLUMES"),
            ("Size", "SIZE"),
            ("RunningFor", "CREATED"),
            ("Status", "STATUS"),
            ("Names", "NAMES"),
        ],
        &crows,
    )?;
    println!("\nLocal Volumes space usage:\n");
    table(
        "table {{.Name}}\t{{.Links}}\t{{.Size}}",
        &[
            ("Name", "VOLUME NAME"),
            ("Links", "LINKS"),
            ("Size", "SIZE"),
        ],
        &vrows,
    )?;
    println!("\nBuild cache usage: 0B\n");
    println!("CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED");
    Ok(0)
}

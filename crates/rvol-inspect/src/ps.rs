//! `docker ps` for the containers under the root: newest first, docker's
//! columns, truncation, quoting and relative times.

use rvol_state::time::parse_time;
use rvol_state::Result;
use serde_json::{Map, Value};

use crate::args::PsArgs;
use crate::container::Container;
use crate::listfmt::{self, matches};
use crate::table::{ellipsis, go_quote, human_duration, since};

/// The daemon's command string: Path, then Args, each arg holding a space
/// wrapped in single quotes.
fn command(c: &Container) -> String {
    let mut parts = Vec::new();
    for (i, a) in c.args.iter().enumerate() {
        if i > 0 && a.contains(' ') {
            parts.push(format!("'{a}'"));
        } else {
            parts.push(a.clone());
        }
    }
    parts.join(" ")
}

pub fn status(c: &Container) -> String {
    let s = &c.state;
    match s.status.as_str() {
        "running" => format!("Up {}", human_duration(since(&s.started_at).unwrap_or(0.0))),
        "exited" => match since(&s.finished_at) {
            Some(d) => format!("Exited ({}) {} ago", s.exit_code, human_duration(d)),
            None => format!("Exited ({})", s.exit_code),
        },
        "created" => "Created".into(),
        other => {
            let mut t = other.to_string();
            if let Some(f) = t.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            t
        }
    }
}

const DEFAULT: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

const TITLES: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
    ("Names", "NAMES"),
    ("Labels", "LABELS"),
    ("Mounts", "MOUNTS"),
    ("Networks", "NETWORKS"),
    ("LocalVolumes", "LOCAL VOLUMES"),
    ("Platform", "PLATFORM"),
];

/// The row docker's `--format` sees for one container.
pub(crate) fn context(c: &Container, no_trunc: bool) -> Map<String, Value> {
    let cmd = command(c);
    let cmd = if no_trunc { cmd } else { ellipsis(&cmd, 20) };
    let image = c
        .config
        .get("Image")
        .and_then(|v| v.as_str())
        .map(String::from)
        .unwrap_or_else(|| c.image.reference.clone());
    let running_for = match since(&c.created) {
        Some(d) => format!("{} ago", human_duration(d)),
        None => "N/A".into(),
    };
    let mounts: Vec<String> = c
        .mounts
        .iter()
        .map(|m| {
            let n = m.name.as_deref().unwrap_or(&m.source);
            if no_trunc {
                n.to_string()
            } else {
                ellipsis(n, 15)
            }
        })
        .collect();
    let local = c.mounts.iter().filter(|m| m.kind == "volume").count();
    let labels = c
        .config
        .get("Labels")
        .and_then(Value::as_object)
        .map(|l| {
            let mut kv: Vec<String> = l
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect();
            kv.sort();
            kv.join(",")
        })
        .unwrap_or_default();
    let network = match c.hostconfig.get("NetworkMode").and_then(Value::as_str) {
        Some("default") | None => "bridge".to_string(),
        Some(n) => n.to_string(),
    };
    let id = if no_trunc {
        c.id.clone()
    } else {
        c.id.chars().take(12).collect()
    };
    let mut m = Map::new();
    m.insert("Command".into(), go_quote(&cmd).into());
    m.insert(
        "CreatedAt".into(),
        rvol_state::time::go_time(&c.created).into(),
    );
    m.insert("ID".into(), id.into());
    m.insert("Image".into(), image.into());
    m.insert("Labels".into(), labels.into());
    m.insert("LocalVolumes".into(), local.to_string().into());
    m.insert("Mounts".into(), mounts.join(",").into());
    m.insert("Names".into(), c.name.clone().into());
    m.insert("Networks".into(), network.into());
    m.insert("Platform".into(), Value::Null);
    m.insert("Ports".into(), "".into());
    m.insert("RunningFor".into(), running_for.into());
    m.insert("Size".into(), "0B".into());
    m.insert("State".into(), c.state.status.clone().into());
    m.insert("Status".into(), status(c).into());
    m
}

/// docker ps's filters: name (substring, as docker's regexp without
/// metacharacters), id (prefix), status, volume (name or destination).
fn wanted(c: &Container, f: &[(String, String)]) -> bool {
    matches(f, "name", |v| c.name.contains(v.trim_start_matches('/')))
        && matches(f, "id", |v| c.id.starts_with(v))
        && matches(f, "status", |v| c.state.status == v)
        && matches(f, "volume", |v| {
            c.mounts
                .iter()
                .any(|m| m.name.as_deref() == Some(v) || m.destination == v || m.source == v)
        })
}

/// Newest first, as docker lists them (ps, and prune's list).
pub fn newest_first(cs: &mut [Container]) {
    cs.sort_by(|x, y| {
        let tx = parse_time(&x.created).unwrap_or(0.0);
        let ty = parse_time(&y.created).unwrap_or(0.0);
        ty.partial_cmp(&tx).unwrap_or(std::cmp::Ordering::Equal)
    });
}

pub fn run(a: &PsArgs) -> Result<i32> {
    let (f, fmt) = match listfmt::prepare(
        &a.filters,
        &["name", "id", "status", "volume"],
        a.format.as_deref(),
        DEFAULT,
    ) {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    let mut cs = crate::container::all(&a.root)?;
    // -a, or a status filter, shows stopped ones too (docker)
    let any_status = f.iter().any(|(k, _)| k == "status");
    let all = a.all || any_status || a.last.is_some();
    cs.retain(|c| (all || c.state.running) && wanted(c, &f));
    newest_first(&mut cs);
    if let Some(n) = a.last {
        cs.truncate(n);
    }
    if a.quiet {
        for c in &cs {
            let id: String = if a.no_trunc {
                c.id.clone()
            } else {
                c.id.chars().take(12).collect()
            };
            println!("{id}");
        }
        return Ok(0);
    }
    let rows: Vec<Map<String, Value>> = cs.iter().map(|c| context(c, a.no_trunc)).collect();
    if let Err(e) = listfmt::print(&fmt, TITLES, &rows) {
        eprintln!("template parsing error: {e}");
        return Ok(1);
    }
    Ok(0)
}

//! `rvol-inspect prunable [--filter F]...`: the containers `docker container
//! prune` would remove (every one not running), newest first, one
//! `ID BYTES` line each; BYTES is what docker counts as the space a removal
//! reclaims (its SizeRw: the writable layer's size). The shell removes them
//! and prints docker's lists; this view only reads.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rvol_state::root::Bundle;
use rvol_state::time::parse_time;
use rvol_state::{Result, Root};
use serde_json::Value;

use crate::container::Container;

pub struct PruneArgs {
    pub root: Root,
    pub filters: Vec<String>,
}

/// One `--filter` of container prune: docker's keys, `label`, `label!` and
/// `until`.
enum Filter {
    Label {
        key: String,
        value: Option<String>,
        want: bool,
    },
    Until(f64),
}

/// Docker's `until`: an RFC 3339 time, unix seconds, or a Go duration back
/// from now (`10m`, `1h30m`, `24h`).
fn until(v: &str, now: f64) -> Option<f64> {
    if let Some(t) = parse_time(v) {
        return Some(t);
    }
    if let Ok(t) = v.parse::<f64>() {
        return Some(t);
    }
    go_duration(v).map(|d| now - d)
}

/// A Go duration (`time.ParseDuration`): signed runs of NUMBER UNIT.
pub(crate) fn go_duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += num * scale;
        rest = &rest[u..];
    }
    Some(if neg { -total } else { total })
}

/// The filters, or docker's text for a bad one (its status is 1).
fn parse_filters(given: &[String]) -> std::result::Result<Vec<Filter>, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut out = Vec::new();
    for f in given {
        // the CLI checked NAME=VALUE already (scripts/rvol-container-prune)
        let (k, v) = f.split_once('=').unwrap_or((f, ""));
        match k.trim().to_lowercase().as_str() {
            "until" => match until(v, now) {
                Some(t) => out.push(Filter::Until(t)),
                None => {
                    return Err(format!(
                        "Error: failed to parse value as time or duration: \"{v}\""
                    ))
                }
            },
            k @ ("label" | "label!") => {
                let (key, value) = match v.split_once('=') {
                    Some((a, b)) => (a.to_string(), Some(b.to_string())),
                    None => (v.to_string(), None),
                };
                out.push(Filter::Label {
                    key,
                    value,
                    want: k == "label",
                });
            }
            other => return Err(format!("Error: Invalid filter '{other}'")),
        }
    }
    Ok(out)
}

fn label_matches(c: &Container, key: &str, value: Option<&str>) -> bool {
    let labels = c.config.get("Labels").and_then(Value::as_object);
    match labels.and_then(|l| l.get(key)) {
        None => false,
        Some(v) => value.is_none_or(|want| v.as_str() == Some(want)),
    }
}

/// Docker's filter rules for prune: `label` values must all match, any
/// `label!` that matches excludes, and the container was created before
/// every `until`.
fn wanted(c: &Container, fs: &[Filter]) -> bool {
    let created = parse_time(&c.created).unwrap_or(0.0);
    fs.iter().all(|f| match f {
        Filter::Label { key, value, want } => label_matches(c, key, value.as_deref()) == *want,
        Filter::Until(t) => created < *t,
    })
}

/// Docker's `directory.Size`: every entry but directories, by its own size
/// (a symlink's is its target's length), each hard-linked inode once.
pub fn dir_size(dir: &Path) -> u64 {
    fn walk(dir: &Path, seen: &mut HashSet<(u64, u64)>) -> u64 {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return 0;
        };
        let mut n = 0;
        for e in rd.flatten() {
            let Ok(md) = e.path().symlink_metadata() else {
                continue;
            };
            if md.is_dir() {
                n += walk(&e.path(), seen);
            } else if md.nlink() < 2 || seen.insert((md.dev(), md.ino())) {
                n += md.len();
            }
        }
        n
    }
    walk(dir, &mut HashSet::new())
}

pub fn run(a: &PruneArgs) -> Result<i32> {
    let fs = match parse_filters(&a.filters) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return Ok(1);
        }
    };
    let mut cs = crate::container::all(&a.root)?;
    cs.retain(|c| !c.state.running && wanted(c, &fs));
    crate::ps::newest_first(&mut cs);
    let mut out = String::new();
    for c in &cs {
        let size = dir_size(&Bundle(Path::new(&c.root_path)).upper());
        out.push_str(&format!("{} {size}\n", c.id));
    }
    print!("{out}");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("10m"), Some(600.0));
        assert_eq!(go_duration("1h30m"), Some(5400.0));
        assert_eq!(go_duration("1.5s"), Some(1.5));
        assert_eq!(go_duration("-2h"), Some(-7200.0));
        assert_eq!(go_duration("10"), None);
        assert_eq!(go_duration("bogus"), None);
        assert_eq!(go_duration(""), None);
    }

    #[test]
    fn until_forms() {
        assert_eq!(until("1h", 10_000.0), Some(6400.0));
        assert_eq!(until("1700000000", 0.0), Some(1_700_000_000.0));
        assert!(until("2030-01-01T00:00:00Z", 0.0).is_some());
        assert_eq!(until("bogus", 0.0), None);
    }

    #[test]
    fn filters_as_dockers() {
        assert!(parse_filters(&["label=a=b".into(), "label!=c".into()]).is_ok());
        let e = parse_filters(&["foo=bar".into()]).err().unwrap();
        assert_eq!(e, "Error: Invalid filter 'foo'");
        let e = parse_filters(&["until=x".into()]).err().unwrap();
        assert_eq!(e, "Error: failed to parse value as time or duration: \"x\"");
    }
}

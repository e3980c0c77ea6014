//! `image prune [-a] [-f] [--filter until=...|label=...]`: docker's
//! ImagesPrune. Without -a only dangling images (no name) go, with -a
//! every image; either way only those no container (any state) uses.
//! Then the collector, under the same exclusive layer lock.

use std::io::{BufRead, Write};

use rvol_state::du::human_size;
use rvol_state::layerlock;
use rvol_state::store::{Store, StoredImage};
use rvol_state::time::parse_time;
use rvol_state::{Error, Result, Root};
use serde_json::Value;

use crate::gc;
use crate::rmi::{self, print_records, Record};

/// One `--filter`.
enum Filter {
    /// Created before this Unix time.
    Until(f64),
    /// `label=K` / `label=K=V`, or with `!=` (`negate`).
    Label {
        key: String,
        value: Option<String>,
        negate: bool,
    },
}

/// Parse `--filter` values as docker's ImagesPrune accepts them.
fn parse_filter(f: &str) -> Result<Filter> {
    // The script refuses a filter without `=` (docker's CLI does).
    let bad = || Error::new(format!("Invalid filter '{f}'"));
    if let Some(v) = f.strip_prefix("until=") {
        return until(v).map(Filter::Until).ok_or_else(|| {
            Error::new(format!(
                "failed to parse value as time or duration: \"{v}\""
            ))
        });
    }
    let (negate, kv) = if let Some(kv) = f.strip_prefix("label!=") {
        (true, kv)
    } else if let Some(kv) = f.strip_prefix("label=") {
        (false, kv)
    } else if f.contains('=') {
        let key = f.split_once('=').map(|(k, _)| k).unwrap_or(f);
        return Err(Error::new(format!("Invalid filter '{key}'")));
    } else {
        return Err(bad());
    };
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (kv.to_string(), None),
    };
    Ok(Filter::Label { key, value, negate })
}

/// A Unix time, an RFC 3339 time, or a Go duration before now (`24h`, `1h30m`).
fn until(v: &str) -> Option<f64> {
    if let Ok(t) = v.parse::<f64>() {
        return Some(t);
    }
    if let Some(t) = parse_time(v) {
        return Some(t);
    }
    let mut secs = 0.0;
    let mut num = String::new();
    for c in v.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        secs += n * match c {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some(now - secs)
}

fn matches(img: &StoredImage, filters: &[Filter]) -> bool {
    filters.iter().all(|f| match f {
        Filter::Until(t) => img
            .created
            .as_deref()
            .and_then(parse_time)
            .is_some_and(|c| c < *t),
        Filter::Label { key, value, negate } => {
            let has = match (&img.labels[key.as_str()], value) {
                (Value::String(_), None) => true,
                (Value::String(v), Some(want)) => v == want,
                _ => false,
            };
            has != *negate
        }
    })
}

pub fn prune(root: &Root, all: bool, force: bool, filters: &[String]) -> Result<i32> {
    let filters = match filters
        .iter()
        .map(|f| parse_filter(f))
        .collect::<Result<Vec<_>>>()
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("Error response from daemon: {}", e.msg);
            return Ok(1);
        }
    };
    if !force {
        let what = if all {
            "all images without at least one container associated to them"
        } else {
            "all dangling images"
        };
        print!("WARNING! This will remove {what}.\nAre you sure you want to continue? [y/N] ");
        std::io::stdout().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok();
        if !matches!(answer.trim(), "y" | "Y") {
            return Ok(0);
        }
    }
    let store = Store::open(root)?;
    let held = layerlock::exclusive(root)?;
    let users = gc::users(root)?;
    let mut records = Vec::new();
    let listed = store.images()?;
    for img in &listed {
        // Only images no other was built on (docker's topImages): their
        // build parents go with them (rmi::delete).
        let child = listed
            .iter()
            .any(|o| o.parent.as_deref() == Some(img.id.as_str()));
        if (!all && !img.names.is_empty())
            || child
            || users.iter().any(|u| u.image.id == img.id)
            || !matches(img, &filters)
        {
            continue;
        }
        for n in &img.names {
            records.push(Record::Untagged(n.clone()));
        }
        rmi::delete(&store, &users, img, &mut records)?;
    }
    let freed = gc::collect(root, &store, &users, &held)?;
    if !records.is_empty() {
        println!("Deleted Images:");
        print_records(&records, true);
        println!();
    }
    println!("Total reclaimed space: {}", human_size(freed));
    Ok(0)
}

//! `rvol-mount volume create|rm|prune`: the volume commands that change
//! state (docker volume ...). `ls` and `inspect` only read, and belong to
//! rvol-inspect. They live here because creating and removing a volume
//! must take the same per-volume lock as `create`'s copy-up.

use std::io::{BufRead, Write};

use rvol_state::{Error, Result, Root};
use serde_json::{Map, Value};

use crate::mountspec;
use crate::volume;

pub enum VolumeCmd {
    Create {
        name: Option<String>,
        labels: Vec<String>,
    },
    Rm {
        force: bool,
        names: Vec<String>,
    },
    Prune {
        all: bool,
        force: bool,
    },
}

pub fn run(root: &Root, cmd: VolumeCmd) -> Result<i32> {
    match cmd {
        VolumeCmd::Create { name, labels } => create(root, name, &labels),
        VolumeCmd::Rm { force, names } => rm(root, force, &names),
        VolumeCmd::Prune { all, force } => prune(root, all, force),
    }
}

/// Prints the name; an existing volume is not an error (docker).
fn create(root: &Root, name: Option<String>, labels: &[String]) -> Result<i32> {
    let (name, anonymous) = match name {
        Some(n) => {
            // docker's CLI exits 1 on a refused volume.
            mountspec::check_volume_name(&n).map_err(|e| e.with_code(1))?;
            (n, false)
        }
        None => (rvol_state::container::new_id()?, true),
    };
    let labels: Map<String, Value> = labels
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), Value::String(v.to_string()))
        })
        .collect();
    let _lock = volume::lock(root, &name)?;
    volume::create(root, &name, labels, anonymous)?;
    println!("{name}");
    Ok(0)
}

fn rm(root: &Root, force: bool, names: &[String]) -> Result<i32> {
    let mut status = 0;
    for name in names {
        match rm_one(root, force, name) {
            Ok(()) => println!("{name}"),
            Err(e) => {
                eprintln!("rvol-mount: {e}");
                status = 1;
            }
        }
    }
    Ok(status)
}

fn rm_one(root: &Root, force: bool, name: &str) -> Result<()> {
    let _lock = volume::lock(root, name)?;
    if !volume::exists(root, name) {
        if force {
            return Ok(()); // docker prints the name all the same
        }
        return Err(Error::new(format!("get {name}: no such volume")));
    }
    if let Some(ids) = rvol_state::volume::users(root)?
        .get(name)
        .filter(|ids| !ids.is_empty())
    {
        return Err(Error::new(format!(
            "remove {name}: volume is in use - [{}]",
            ids.join(", ")
        )));
    }
    volume::remove(root, name)
}

/// Every unused volume, as the reference daemon (API 1.41) prunes, in
/// the current docker CLI's words.
fn prune(root: &Root, all: bool, force: bool) -> Result<i32> {
    // The reference daemon (Engine 20.10, API 1.41) prunes every unused
    // local volume, named ones too, and the CLI warns so; `-a` (API 1.42)
    // is taken and means the same.
    let _ = all;
    if !force {
        print!("WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ");
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            return Ok(0);
        }
    }
    let mut deleted = Vec::new();
    let mut reclaimed = 0;
    for name in volume::list(root)? {
        let _lock = volume::lock(root, &name)?;
        if !volume::exists(root, &name) {
            continue;
        }
        if volume::in_use(root, &name)? {
            continue;
        }
        let size = volume::size(&root.volume_data(&name));
        volume::remove(root, &name)?;
        reclaimed += size;
        deleted.push(name);
    }
    let mut out = String::new();
    if !deleted.is_empty() {
        out.push_str("Deleted Volumes:\n");
        for d in &deleted {
            out.push_str(d);
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "Total reclaimed space: {}\n",
        volume::human_size(reclaimed)
    ));
    print!("{out}");
    Ok(0)
}

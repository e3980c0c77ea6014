//! `rvol-mount volume create|rm|prune`: the volume commands that change
//! state (docker volume ...). `ls` and `inspect` only read, and belong to
//! rvol-inspect. They live here because creating and removing a volume
//! must take the same per-volume lock as `create`'s copy-up.
//! `volume mount|release --bundle B` are a container's hooks (rvol-ns
//! runs them at its start and after its end): the local driver's mount of
//! the volumes it uses that have options (rvol_state::localvol).

use std::io::{BufRead, Write};

use rvol_state::labelfilter::{self, Label};
use rvol_state::{Error, Result, Root};
use serde_json::{Map, Value};

use crate::mountspec;
use crate::volume;

pub enum VolumeCmd {
    Create {
        name: Option<String>,
        labels: Vec<String>,
        /// `-o K=V`, as given.
        opts: Vec<String>,
    },
    Rm {
        force: bool,
        names: Vec<String>,
    },
    Prune {
        all: bool,
        force: bool,
        filters: Vec<String>,
    },
    /// A container's start: mount its volumes that have options.
    Mount {
        bundle: std::path::PathBuf,
    },
    /// A container's end: release them.
    Release {
        bundle: std::path::PathBuf,
    },
}

pub fn run(root: &Root, cmd: VolumeCmd) -> Result<i32> {
    match cmd {
        VolumeCmd::Create { name, labels, opts } => create(root, name, &labels, &opts),
        VolumeCmd::Rm { force, names } => rm(root, force, &names),
        VolumeCmd::Prune {
            all,
            force,
            filters,
        } => prune(root, all, force, &filters),
        VolumeCmd::Mount { bundle } => crate::volhook::mount(root, &bundle),
        VolumeCmd::Release { bundle } => crate::volhook::release(root, &bundle),
    }
}

/// `K=V` pairs (a later key wins, as docker's map); `K` alone is `K=""`.
pub fn key_values(given: &[String]) -> Map<String, Value> {
    given
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), Value::String(v.to_string()))
        })
        .collect()
}

/// Prints the name; an existing volume is not an error (docker).
fn create(root: &Root, name: Option<String>, labels: &[String], opts: &[String]) -> Result<i32> {
    let (name, anonymous) = match name {
        Some(n) => {
            // docker's CLI exits 1 on a refused volume.
            mountspec::check_volume_name(&n).map_err(|e| e.with_code(1))?;
            (n, false)
        }
        None => (rvol_state::container::new_id()?, true),
    };
    let labels = key_values(labels);
    let opts = key_values(opts);
    let _lock = volume::lock(root, &name)?;
    if volume::exists(root, &name) {
        // It keeps what it was made with, and its options are not read
        // again (docker's: `-o bogus=1` of an existing volume is no error).
        rvol_state::localvol::settle_locked(root, &name)?;
    } else {
        // The daemon's own refusal: status 1, as the CLI exits.
        rvol_state::localvol::validate(&name, &opts).map_err(|e| e.with_code(1))?;
    }
    volume::create(root, &name, labels, opts, anonymous)?;
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
    rvol_state::localvol::settle_locked(root, name)?;
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

/// `--filter` of volume prune: `label=K[=V]` (all must match),
/// `label!=K[=V]` (spared when all of them match: moby's MatchKVList).
struct PruneFilters {
    want: Vec<Label>,
    unwanted: Vec<Label>,
}

impl PruneFilters {
    fn parse(given: &[String]) -> Result<PruneFilters> {
        let mut f = PruneFilters {
            want: Vec::new(),
            unwanted: Vec::new(),
        };
        for g in given {
            // The script checked KEY=VALUE, as docker's CLI does.
            let (k, v) = g.split_once('=').unwrap_or((g, ""));
            match k.trim().to_lowercase().as_str() {
                "label" => f.want.push(Label::parse(v)),
                "label!" => f.unwanted.push(Label::parse(v)),
                other => return Err(Error::new(format!("Invalid filter '{other}'")).with_code(1)),
            }
        }
        Ok(f)
    }

    fn keeps(&self, labels: &Map<String, Value>) -> bool {
        !labelfilter::match_all(&self.want, labels)
            || (!self.unwanted.is_empty() && labelfilter::match_all(&self.unwanted, labels))
    }
}

/// Every unused volume, as the reference daemon (API 1.41) prunes, in
/// the current docker CLI's words.
fn prune(root: &Root, all: bool, force: bool, filters: &[String]) -> Result<i32> {
    // The reference daemon (Engine 20.10, API 1.41) prunes every unused
    // local volume, named ones too, and the CLI warns so. `-a` is API
    // 1.42's (docker's CLI 28 refuses it against this daemon: `"--all"
    // requires API version 1.42`); rvol has no API version, takes it and
    // means the same (docs/docker-behaviour.md §14).
    let _ = all;
    let filters = PruneFilters::parse(filters)?;
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
        let labels = volume::record(root, &name)
            .map(|r| r.labels)
            .unwrap_or_default();
        if filters.keeps(&labels) {
            continue;
        }
        rvol_state::localvol::settle_locked(root, &name)?;
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

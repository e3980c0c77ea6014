//! The container's mount list in docker's precedence (docs/docker-behaviour.md §4):
//! `--volumes-from` first, then `-v` binds and named volumes, then
//! `--mount`; `--tmpfs` conflicts with binds; `Config.Volumes` (`-v /p`
//! and image VOLUMEs) only fill destinations still free. All checks
//! happen here, before anything is made.

use rvol_state::mountopt::{self, DOCKER_TMPFS};
use rvol_state::{container, fsx, Error, Result, Root};
use serde_json::Value;

use crate::mountspec::{self, clean, DockerMountSpec, Kind, MountPoint};

/// The mount flags of `create`, as given.
#[derive(Default, Debug)]
pub struct Flags {
    /// `-v` values with a source (CLI-normalised: `./x` made absolute).
    pub binds: Vec<String>,
    /// `-v DST` values, as typed.
    pub anonymous: Vec<String>,
    pub mounts: Vec<String>,
    pub tmpfs: Vec<String>,
    pub volumes_from: Vec<String>,
    pub read_only: bool,
}

pub struct Plan {
    /// Docker's MountPoints, in the order inspect will show them.
    pub mounts: Vec<MountPoint>,
    /// `HostConfig.Tmpfs`: destination as typed -> options, in order.
    pub tmpfs: Vec<(String, String)>,
    /// `HostConfig.Mounts`: each `--mount` as docker records it, in order.
    pub host_mounts: Vec<DockerMountSpec>,
    /// `Config.Volumes` keys, as typed.
    pub config_volumes: Vec<String>,
}

fn duplicate(dst: &str) -> Error {
    Error::new(format!("Duplicate mount point: {dst}"))
}

fn put(mounts: &mut Vec<MountPoint>, mp: MountPoint) {
    mounts.retain(|m| m.destination != mp.destination);
    mounts.push(mp);
}

/// Docker forces `rslave` on a bind whose source holds its root (or is
/// inside it), and refuses private propagation there.
fn daemon_root_check(root: &Root, mp: &mut MountPoint, given: bool) -> Result<()> {
    let r = root.path.to_string_lossy();
    let src = &mp.raw_source;
    if !(src.starts_with(r.as_ref()) || r.starts_with(src.as_str())) {
        return Ok(());
    }
    if !given {
        mp.propagation = "rslave".into();
        mp.forced_slave = true;
        return Ok(());
    }
    match mp.propagation.as_str() {
        "rslave" | "rshared" => Ok(()),
        p => Err(Error::new(format!(
            "invalid mount config: must use either propagation mode \"rslave\" or \"rshared\" when mount source is within the daemon root, daemon root: \"{r}\", bind mount source: \"{src}\", propagation: \"{p}\""
        ))),
    }
}

pub fn build(root: &Root, flags: &Flags, image_volumes: &[String]) -> Result<Plan> {
    // --tmpfs: a map in docker, so a later one for a destination wins.
    let mut tmpfs: Vec<(String, String)> = Vec::new();
    for t in &flags.tmpfs {
        let (dst, opts) = mountspec::parse_tmpfs_flag(t)?;
        mountopt::tmpfs_options(&opts)?;
        match tmpfs.iter_mut().find(|(d, _)| *d == dst) {
            Some(slot) => slot.1 = opts,
            None => tmpfs.push((dst, opts)),
        }
    }
    let is_tmpfs = |dst: &str| tmpfs.iter().any(|(d, _)| d == dst || clean(d) == dst);

    let mut mounts: Vec<MountPoint> = Vec::new();
    for vf in &flags.volumes_from {
        let (who, ro) = mountspec::parse_volumes_from(vf)?;
        let id = container::find(root, &who)?;
        for mp in inherited(root, &id, ro)? {
            put(&mut mounts, mp);
        }
    }

    let mut taken: Vec<String> = Vec::new();
    for raw in &flags.binds {
        let mut mp = mountspec::parse_bind(raw)?;
        if mp.kind == Kind::Bind {
            let given = mp
                .mode
                .split(',')
                .any(|o| o.contains("shared") || o.contains("slave") || o.contains("private"));
            daemon_root_check(root, &mut mp, given)?;
        } else {
            mountspec::check_volume_name(&mp.name)?;
        }
        if taken.contains(&mp.destination) || is_tmpfs(&mp.destination) {
            return Err(duplicate(&mp.destination));
        }
        taken.push(mp.destination.clone());
        put(&mut mounts, mp);
    }

    let mut host_mounts = Vec::new();
    for value in &flags.mounts {
        let parsed = mountspec::parse_mount_value(value)?;
        host_mounts.push(parsed.docker);
        let mut mp = parsed.point;
        if mp.kind == Kind::Bind {
            let given = value.to_ascii_lowercase().contains("bind-propagation=");
            daemon_root_check(root, &mut mp, given)?;
        } else if mp.kind == Kind::Volume && !mp.name.is_empty() {
            mountspec::check_volume_name(&mp.name)?;
        }
        if taken.contains(&mp.destination) {
            return Err(duplicate(&mount_target(value)));
        }
        taken.push(mp.destination.clone());
        put(&mut mounts, mp);
    }

    // Config.Volumes: the user's `-v /p` then the image's, each only
    // where nothing is mounted yet.
    let mut config_volumes: Vec<String> = Vec::new();
    for (i, raw) in flags.anonymous.iter().chain(image_volumes).enumerate() {
        let from_image = i >= flags.anonymous.len();
        if config_volumes.contains(raw) {
            continue;
        }
        config_volumes.push(raw.clone());
        let dst = clean(raw);
        if dst == "/" {
            return Err(Error::new(
                "invalid specification: destination can't be '/'",
            ));
        }
        // An image's VOLUME is not checked by the -v parser: a relative
        // one (e.g. "relative\n" in a crafted image) is refused. A `-v`
        // one is not: docker takes `-v a:/data` (a one-letter SRC reads as
        // a drive letter) as an anonymous volume at "a:/data", mounted at
        // /a:/data (apply resolves every destination inside the rootfs).
        if from_image && !dst.starts_with('/') {
            return Err(Error::new(format!(
                "invalid mount path: '{raw}' mount path must be absolute"
            )));
        }
        if mounts.iter().any(|m| m.destination == dst) || is_tmpfs(&dst) {
            continue;
        }
        let mut mp = MountPoint::new(Kind::Volume, dst);
        mp.copy_data = true;
        mp.config_volume = true;
        mounts.push(mp);
    }
    Ok(Plan {
        mounts,
        tmpfs,
        host_mounts,
        config_volumes,
    })
}

/// The target of a `--mount` value as typed (docker's duplicate error
/// quotes it uncleaned).
fn mount_target(value: &str) -> String {
    value
        .split(',')
        .filter_map(|f| f.split_once('='))
        .find(|(k, _)| {
            matches!(
                k.to_ascii_lowercase().as_str(),
                "target" | "dst" | "destination"
            )
        })
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// The mounts of container `id` as `--volumes-from` takes them: same
/// destinations, no copy-up, Mode "", read-only if it was or if `:ro`.
fn inherited(root: &Root, id: &str, ro: bool) -> Result<Vec<MountPoint>> {
    let bundle = root.container(id);
    let spec: Value = fsx::read_json(&bundle.join("config.json"))?;
    let docker = rvol_state::annotation::of(&spec).mounts()?;
    let mut out = Vec::new();
    for m in docker {
        let kind = match m.kind.as_str() {
            "bind" => Kind::Bind,
            "volume" => Kind::Volume,
            "tmpfs" => Kind::Tmpfs,
            other => return Err(Error::new(format!("container {id}: mount type {other}"))),
        };
        let mut mp = MountPoint::new(kind, m.destination.clone());
        mp.name = m.name.clone().unwrap_or_default();
        mp.source = m.source.clone();
        mp.rw = m.rw && !ro;
        mp.propagation = m.propagation.clone();
        if kind == Kind::Tmpfs {
            // Its options are in the spec's mount for that destination.
            let opts: Vec<String> = spec["mounts"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|sm| sm["destination"] == m.destination.as_str() && sm["type"] == "tmpfs")
                .and_then(|sm| sm["options"].as_array())
                .into_iter()
                .flatten()
                .filter_map(|o| o.as_str())
                .filter(|o| !DOCKER_TMPFS.contains(o))
                .map(String::from)
                .collect();
            mp.tmpfs_data = opts.join(",");
            if ro && !mp.tmpfs_data.split(',').any(|o| o == "ro") {
                mp.tmpfs_data = if mp.tmpfs_data.is_empty() {
                    "ro".into()
                } else {
                    format!("ro,{}", mp.tmpfs_data)
                };
            }
        }
        out.push(mp);
    }
    Ok(out)
}

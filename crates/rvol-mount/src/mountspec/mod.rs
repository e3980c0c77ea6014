//! Docker's mount flags as docker reads them, one file per flag family:
//! `-v` (the CLI's split, its errors first, then the daemon's
//! `ParseMountRaw` for binds and named volumes), `--mount` key=value
//! lists, `--tmpfs DST[:OPTS]`; here what they share, and
//! `--volumes-from C[:MODE]`. Every error text is docker's own
//! (docs/docker-behaviour.md §1, §2, §4, checked against the live daemon).

use rvol_state::{Error, Result};

mod mount_flag;
mod tmpfs_flag;
mod volume_flag;

pub use mount_flag::{parse_mount_flag, parse_mount_value, DockerMountSpec, MountFlag};
pub use rvol_state::mountopt::{merge_tmpfs_options, PROPAGATIONS};
pub use rvol_state::path::clean;
pub use tmpfs_flag::parse_tmpfs_flag;
pub use volume_flag::{cli_volume, parse_bind, VolumeFlag};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bind,
    Volume,
    Tmpfs,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bind => "bind",
            Kind::Volume => "volume",
            Kind::Tmpfs => "tmpfs",
        }
    }
}

/// One mount as docker's daemon keeps it (its `MountPoint`), before the
/// volume behind it exists.
#[derive(Debug, Clone)]
pub struct MountPoint {
    pub kind: Kind,
    /// Volume name; empty for an anonymous volume not named yet.
    pub name: String,
    /// Bind: the host path (cleaned). Volume: its `_data` once known.
    pub source: String,
    /// Cleaned container path.
    pub destination: String,
    /// Docker's `Mode` string as inspect shows it.
    pub mode: String,
    pub rw: bool,
    pub propagation: String,
    /// Copy the image's content into the volume when it is empty.
    pub copy_data: bool,
    /// `-v` makes a missing host directory; `--mount type=bind` does not.
    pub create_source: bool,
    /// tmpfs from `--mount`: docker's converted options (`size=1m,mode=700`).
    pub tmpfs_data: String,
    /// Labels for a volume made by `--mount volume-label=`.
    pub labels: Vec<(String, String)>,
    /// The bind source as the user wrote it (docker compares it, uncleaned,
    /// with its own root).
    pub raw_source: String,
    /// An anonymous volume from `Config.Volumes` (`-v /p`, image VOLUME):
    /// over a file in the image it fails with docker's own text.
    pub config_volume: bool,
    /// Docker's forced `rslave` for a bind of (or into) its own root: it
    /// falls back to the source's own propagation when that is private.
    pub forced_slave: bool,
    /// `--mount volume-opt=K=V`: the local driver's options for a volume
    /// made by this mount.
    pub volume_opts: Vec<(String, String)>,
    /// `--mount volume-subpath=SUB` (docker 26): only this directory of
    /// the volume, cleaned and relative.
    pub subpath: String,
    /// Podman's `:U` / `U=true`: chown the source, recursively, to the
    /// container's user before it starts (rvol-mount apply).
    pub chown: bool,
}

impl MountPoint {
    pub fn new(kind: Kind, destination: String) -> MountPoint {
        MountPoint {
            kind,
            name: String::new(),
            source: String::new(),
            destination,
            mode: String::new(),
            rw: true,
            propagation: String::new(),
            copy_data: false,
            create_source: false,
            tmpfs_data: String::new(),
            labels: Vec::new(),
            raw_source: String::new(),
            config_volume: false,
            forced_slave: false,
            volume_opts: Vec::new(),
            subpath: String::new(),
            chown: false,
        }
    }
}

/// Docker's `ValidMountMode`: a comma list with at most one of each class.
pub(crate) fn valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    let mut counts = [0u8; 5];
    for o in mode.split(',') {
        let class = match o {
            "rw" | "ro" => 0,
            "z" | "Z" => 1,
            o if PROPAGATIONS.contains(&o) => 2,
            "nocopy" => 3,
            "consistent" | "cached" | "delegated" => 4,
            _ => return false,
        };
        counts[class] += 1;
    }
    counts.iter().all(|c| *c <= 1)
}

pub(crate) fn mode_has(mode: &str, what: &[&str]) -> Option<String> {
    mode.split(',')
        .find(|o| what.contains(o))
        .map(str::to_string)
}

pub(crate) fn invalid_spec(raw: &str) -> Error {
    Error::new(format!("invalid volume specification: '{raw}'"))
}

pub(crate) fn mount_config(kind: &str, why: impl std::fmt::Display) -> Error {
    Error::new(format!("invalid mount config for type \"{kind}\": {why}"))
}

pub(crate) fn check_target(kind: &str, target: &str) -> Result<()> {
    if target.is_empty() {
        return Err(mount_config(kind, "field Target must not be empty"));
    }
    if clean(target) == "/" {
        return Err(mount_config(
            kind,
            "invalid specification: destination can't be '/'",
        ));
    }
    if !target.starts_with('/') {
        return Err(mount_config(
            kind,
            format!("invalid mount path: '{target}' mount path must be absolute"),
        ));
    }
    Ok(())
}

/// `--volumes-from C[:MODE]`: the container and whether it is read-only.
pub fn parse_volumes_from(spec: &str) -> Result<(String, bool)> {
    if spec.is_empty() {
        return Err(Error::new(
            "volumes-from specification cannot be an empty string",
        ));
    }
    let (id, mode) = spec.split_once(':').unwrap_or((spec, "rw"));
    if spec.contains(':')
        && (!valid_mode(mode)
            || mode_has(mode, &PROPAGATIONS).is_some()
            || mode_has(mode, &["nocopy"]).is_some())
    {
        return Err(Error::new(format!("invalid mode: {mode}")));
    }
    Ok((id.to_string(), mode_has(mode, &["ro"]).is_some()))
}

/// Local volume names: docker's `validateName`.
pub fn check_volume_name(name: &str) -> Result<()> {
    let why = if name.len() == 1 {
        "volume name is too short, names should be at least two alphanumeric characters".to_string()
    } else if !valid_name(name) {
        format!("\"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
    } else {
        return Ok(());
    };
    Err(Error::new(format!("create {name}: {why}")))
}

/// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`: volume and container names.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

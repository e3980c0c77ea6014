//! The records that pass between the tools. A container's bundle
//! `config.json` is an OCI runtime spec; what docker shows that the OCI
//! spec has no field for rides in `annotations` under `org.rvol.`, each
//! value a JSON document (annotations are strings). Field names and order
//! are docker's, so rvol-inspect can print them as they are.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Annotation keys on a bundle's (or rvol-unpack's) config.json.
pub mod ann {
    /// [`super::ImageRecord`]: which image, its layers. Written by rvol-unpack.
    pub const IMAGE: &str = "org.rvol.image";
    /// Docker's `Config` object (Hostname, User, Env, Cmd, Image, Volumes,
    /// WorkingDir, Entrypoint, Labels) after the run's overrides.
    /// Written by rvol-unpack, Hostname filled in by rvol-mount create.
    pub const CONFIG: &str = "org.rvol.config";
    /// Docker's `HostConfig` subset (Binds, NetworkMode, AutoRemove,
    /// VolumesFrom, ReadonlyRootfs, Tmpfs). An object each stage merges its
    /// own keys into.
    pub const HOSTCONFIG: &str = "org.rvol.hostconfig";
    /// Docker's `Mounts` array of [`super::DockerMount`]. Written by rvol-mount create.
    pub const MOUNTS: &str = "org.rvol.mounts";
    /// The container's name without the leading `/`.
    pub const NAME: &str = "org.rvol.name";
    /// The 64-hex container id.
    pub const ID: &str = "org.rvol.id";
    /// Creation time, RFC 3339 with nanoseconds.
    pub const CREATED: &str = "org.rvol.created";
    /// The user as given (`-u` or the image's `User`): a name or number,
    /// `user[:group]`, resolved against the rootfs' /etc/passwd by rvol-exec.
    pub const USER: &str = "org.rvol.user";
    /// The shared init layer (rvol-mount's `initlayer`): a directory that
    /// `apply` stacks above the image's layers. Written by rvol-mount create.
    pub const INIT_LAYER: &str = "org.rvol.initlayer";
    /// Destinations to chown, recursively, to the container's user before
    /// it starts (Podman's `:U`, `U=true`): a JSON list. Written by
    /// rvol-mount create, done by rvol-mount apply.
    pub const CHOWN: &str = "org.rvol.chown";
}

/// Where a container's image came from and how its root stacks.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ImageRecord {
    /// The reference as the user gave it (`busybox`, `oci:/x:tag`, ...).
    pub reference: String,
    /// `name:tag` in the local store, when it has one.
    #[serde(default)]
    pub name: Option<String>,
    /// The image id: the config blob's digest (`sha256:...`), as docker's.
    pub id: String,
    /// The manifest's digest in the store.
    pub manifest_digest: String,
    /// Layer diff_ids, bottom layer first (the image config's order).
    pub diff_ids: Vec<String>,
    /// Unpacked layer directories, TOP layer first: overlayfs' `lowerdir=` order.
    pub lower_dirs: Vec<String>,
}

/// One entry of docker inspect's `Mounts`, keys in docker's order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DockerMount {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Source")]
    pub source: String,
    #[serde(rename = "Destination")]
    pub destination: String,
    #[serde(rename = "Driver", default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(rename = "Mode")]
    pub mode: String,
    #[serde(rename = "RW")]
    pub rw: bool,
    #[serde(rename = "Propagation")]
    pub propagation: String,
}

/// A container's `state.json`: docker's `State` object, as rvol-ns keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    /// created | running | exited
    pub status: String,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    pub dead: bool,
    /// The container's PID 1 as the host sees it; 0 when not running.
    pub pid: i32,
    pub exit_code: i32,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
}

impl Default for State {
    fn default() -> Self {
        State {
            status: "created".into(),
            running: false,
            paused: false,
            restarting: false,
            oom_killed: false,
            dead: false,
            pid: 0,
            exit_code: 0,
            error: String::new(),
            started_at: crate::time::ZERO.into(),
            finished_at: crate::time::ZERO.into(),
        }
    }
}

/// `volumes/<name>/volume.json`: what docker keeps about a local volume.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeRecord {
    /// RFC 3339, whole seconds.
    pub created_at: String,
    #[serde(default)]
    pub labels: Map<String, Value>,
    #[serde(default)]
    pub options: Map<String, Value>,
    /// Made for `-v /p` or an image VOLUME (64-hex name), not by name.
    #[serde(default)]
    pub anonymous: bool,
}

/// Read one JSON annotation from oci-spec's annotations map: the same
/// reader as [`crate::annotation::Annotations::json`].
pub fn annotation<T: serde::de::DeserializeOwned>(
    annotations: Option<&std::collections::HashMap<String, String>>,
    key: &str,
) -> crate::Result<Option<T>> {
    crate::annotation::of(&annotations).json(key)
}

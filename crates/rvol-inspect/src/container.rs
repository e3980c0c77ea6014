//! A container as `docker inspect` shows it, built from its bundle:
//! config.json (process args, root, the `org.rvol.*` annotations) and
//! state.json. Keys come out in docker's order; keys rvol has no data for
//! are left out rather than made up.

use std::path::Path;

use rvol_state::bundle;
use rvol_state::record::{DockerMount, ImageRecord, State};
use rvol_state::root::Bundle;
use rvol_state::{Result, ResultExt, Root};
use serde_json::{json, Map, Value};

/// Docker's key order for `Config`.
const CONFIG_KEYS: &[&str] = &[
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
    "NetworkDisabled",
    "MacAddress",
    "OnBuild",
    "Labels",
    "StopSignal",
    "StopTimeout",
    "Shell",
];

/// What docker prints for an always-printed `Config` key nobody recorded.
fn config_default(key: &str) -> Option<Value> {
    if !CONFIG_ALWAYS.contains(&key) {
        return None;
    }
    Some(match key {
        "Hostname" | "Domainname" | "User" | "Image" | "WorkingDir" => json!(""),
        "Labels" => json!({}),
        _ => Value::Null,
    })
}

/// The `Config` keys always printed (issue 5's list); the others only when a
/// tool recorded them.
const CONFIG_ALWAYS: &[&str] = &[
    "Hostname",
    "Domainname",
    "User",
    "Env",
    "Cmd",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "OnBuild",
    "Labels",
];

/// Docker's key order for `HostConfig` (Engine 20.10's), with the defaults
/// for the keys rvol always prints. `Tmpfs` and `Mounts` are `omitempty`
/// in docker: absent when create recorded none (a template still reads
/// them as nil, see template.rs).
const HOSTCONFIG_KEYS: &[&str] = &[
    "Binds",
    "ContainerIDFile",
    "LogConfig",
    "NetworkMode",
    "PortBindings",
    "RestartPolicy",
    "AutoRemove",
    "VolumeDriver",
    "VolumesFrom",
    "CapAdd",
    "CapDrop",
    "CgroupnsMode",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "ExtraHosts",
    "GroupAdd",
    "IpcMode",
    "Cgroup",
    "Links",
    "OomScoreAdj",
    "PidMode",
    "Privileged",
    "PublishAllPorts",
    "ReadonlyRootfs",
    "SecurityOpt",
    "StorageOpt",
    "Tmpfs",
    "UTSMode",
    "UsernsMode",
    "ShmSize",
    "Runtime",
    "ConsoleSize",
    "Isolation",
    "Mounts",
    "MaskedPaths",
    "ReadonlyPaths",
];

fn hostconfig_default(key: &str) -> Option<Value> {
    Some(match key {
        "Binds" => Value::Null,
        "NetworkMode" => json!("default"),
        "AutoRemove" => json!(false),
        "VolumesFrom" => Value::Null,
        // docs/docker-behaviour.md §13: null when no flag gave them (and
        // for a bundle made before create recorded them).
        "CapAdd" | "CapDrop" | "SecurityOpt" => Value::Null,
        "Privileged" => json!(false),
        "ReadonlyRootfs" => json!(false),
        _ => return None,
    })
}

/// Reorder `obj` as `order` says, filling the defaults; keys not in `order`
/// follow in their own order.
fn ordered(
    obj: Map<String, Value>,
    order: &[&str],
    default: impl Fn(&str) -> Option<Value>,
) -> Map<String, Value> {
    let mut obj = obj;
    let mut out = Map::new();
    for k in order {
        if let Some(v) = obj.remove(*k) {
            out.insert((*k).into(), v);
        } else if let Some(v) = default(k) {
            out.insert((*k).into(), v);
        }
    }
    out.extend(obj);
    out
}

/// What rvol-inspect and ps need from one bundle.
pub struct Container {
    pub id: String,
    pub name: String,
    pub created: String,
    pub args: Vec<String>,
    pub state: State,
    pub config: Map<String, Value>,
    pub hostconfig: Map<String, Value>,
    pub mounts: Vec<DockerMount>,
    pub image: ImageRecord,
    pub root_path: String,
}

pub fn load(root: &Root, id: &str) -> Result<Container> {
    let c = bundle::Container::open(root, id);
    let a = c.annotations()?;
    Ok(Container {
        id: c.id()?,
        name: a.name().unwrap_or("").to_string(),
        created: a.created().unwrap_or(rvol_state::time::ZERO).to_string(),
        args: c.args()?,
        state: c.state()?,
        config: a.config()?.unwrap_or_default(),
        hostconfig: a.hostconfig()?.unwrap_or_default(),
        mounts: a.mounts()?,
        image: a.image()?.unwrap_or_default(),
        root_path: c.dir().to_string_lossy().into_owned(),
    })
}

pub fn inspect(root: &Root, id: &str) -> Result<Value> {
    let c = load(root, id).with_ctx(|| format!("container {id}"))?;
    let dir = Path::new(&c.root_path);
    let b = Bundle(dir);
    let p = |x: std::path::PathBuf| Value::String(x.to_string_lossy().into_owned());

    let mut config = ordered(c.config, CONFIG_KEYS, config_default);
    config.retain(|k, v| CONFIG_ALWAYS.contains(&k.as_str()) || !v.is_null());
    let mut hostconfig = ordered(c.hostconfig, HOSTCONFIG_KEYS, hostconfig_default);
    // A bundle made before create left them out when empty said `null`.
    for k in ["Tmpfs", "Mounts"] {
        if hostconfig.get(k).is_some_and(Value::is_null) {
            hostconfig.remove(k);
        }
    }

    let mut out = Map::new();
    out.insert("Id".into(), json!(c.id));
    out.insert("Created".into(), json!(c.created));
    out.insert(
        "Path".into(),
        json!(c.args.first().cloned().unwrap_or_default()),
    );
    out.insert(
        "Args".into(),
        json!(c.args.iter().skip(1).collect::<Vec<_>>()),
    );
    out.insert("State".into(), serde_json::to_value(&c.state)?);
    out.insert("Image".into(), json!(c.image.id));
    out.insert("ResolvConfPath".into(), p(dir.join("resolv.conf")));
    out.insert("HostnamePath".into(), p(dir.join("hostname")));
    out.insert("HostsPath".into(), p(dir.join("hosts")));
    out.insert("LogPath".into(), p(b.log()));
    out.insert("Name".into(), json!(format!("/{}", c.name)));
    out.insert("RestartCount".into(), json!(0));
    out.insert("Driver".into(), json!("overlay2"));
    out.insert("Platform".into(), json!("linux"));
    out.insert("HostConfig".into(), Value::Object(hostconfig));
    out.insert(
        "GraphDriver".into(),
        json!({
            "Data": {
                "LowerDir": c.image.lower_dirs.join(":"),
                "MergedDir": p(b.rootfs()),
                "UpperDir": p(b.upper()),
                "WorkDir": p(b.work()),
            },
            "Name": "overlay2",
        }),
    );
    out.insert("Mounts".into(), serde_json::to_value(&c.mounts)?);
    out.insert("Config".into(), Value::Object(config));
    Ok(Value::Object(out))
}

/// Every container under the root. A bundle that cannot be read is named
/// on stderr and left out, so one broken bundle does not hide the others.
pub fn all(root: &Root) -> Result<Vec<Container>> {
    let mut out = Vec::new();
    for id in rvol_state::container::list(root)? {
        // A bundle being made or removed right now has no config.json yet
        // (or any more): not a container to show.
        if !Bundle(&root.container(&id)).config().exists() {
            continue;
        }
        match load(root, &id) {
            Ok(c) => out.push(c),
            Err(e) => eprintln!("rvol-inspect: container {id}: {e}"),
        }
    }
    Ok(out)
}

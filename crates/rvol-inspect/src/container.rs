//! A container as `docker inspect` shows it, built from its bundle:
//! config.json (process args, root, the `org.rvol.*` annotations) and
//! state.json. Keys come out in docker's order; keys rvol has no data for
//! are left out rather than made up.

use std::path::Path;

use rvol_state::record::{ann, DockerMount, ImageRecord, State};
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

fn annotation_json(ann: &Map<String, Value>, key: &str) -> Result<Option<Value>> {
    match ann.get(key).and_then(Value::as_str) {
        None => Ok(None),
        Some(s) => serde_json::from_str(s)
            .map(Some)
            .with_ctx(|| format!("annotation {key}")),
    }
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
    pub mounts: Vec<Value>,
    pub image: ImageRecord,
    pub root_path: String,
}

pub fn load(root: &Root, id: &str) -> Result<Container> {
    let dir = root.container(id);
    let b = Bundle(&dir);
    let spec: Value = rvol_state::fsx::read_json(&b.config())?;
    let empty = Map::new();
    let ann = spec
        .get("annotations")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let state = match std::fs::read(b.state()) {
        Ok(bytes) => serde_json::from_slice::<State>(&bytes)
            .with_ctx(|| format!("parse {}", b.state().display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
        Err(e) => return Err(e).with_ctx(|| format!("read {}", b.state().display())),
    };
    let state = settle(state);
    let image: ImageRecord = annotation_json(ann, ann::IMAGE)?
        .map(serde_json::from_value)
        .transpose()
        .ctx("annotation org.rvol.image")?
        .unwrap_or_default();
    let obj = |v: Option<Value>| match v {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mounts = match annotation_json(ann, ann::MOUNTS)? {
        Some(Value::Array(a)) => {
            // Keep docker's key order whatever order a writer used.
            a.into_iter()
                .map(|m| match serde_json::from_value::<DockerMount>(m.clone()) {
                    Ok(dm) => serde_json::to_value(dm).unwrap_or(m),
                    Err(_) => m,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let args = spec
        .pointer("/process/args")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok(Container {
        id: ann
            .get(ann::ID)
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| id.to_string()),
        name: ann
            .get(ann::NAME)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        created: ann
            .get(ann::CREATED)
            .and_then(Value::as_str)
            .unwrap_or(rvol_state::time::ZERO)
            .to_string(),
        args,
        state,
        config: obj(annotation_json(ann, ann::CONFIG)?),
        hostconfig: obj(annotation_json(ann, ann::HOSTCONFIG)?),
        mounts,
        image,
        root_path: dir.to_string_lossy().into_owned(),
    })
}

/// A process that has exited but is not reaped yet: kill(pid, 0) still
/// finds it. Once rvol-ns (its parent) is killed, it waits for init to
/// reap it, which may take long.
fn zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|st| {
            st.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// A state.json that says `running` while its PID is gone means the
/// process that records the exit (rvol-ns) died first (kill -9): the exit
/// status is unknown, which docker calls `dead`.
fn settle(mut s: State) -> State {
    // SAFETY: kill with signal 0 only checks that the pid exists.
    let gone = s.running
        && s.pid > 0
        && ((unsafe { libc::kill(s.pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH))
            || zombie(s.pid));
    if gone {
        s.status = "dead".into();
        s.running = false;
        s.dead = true;
        s.pid = 0;
    }
    s
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
    out.insert("Mounts".into(), Value::Array(c.mounts));
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

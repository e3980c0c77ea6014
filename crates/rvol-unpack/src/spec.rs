//! The OCI runtime config.json rvol-unpack prints (ARCHITECTURE.md,
//! "config.json, stage by stage"): the process from the image config and
//! the flags, one `volume` mount per image VOLUME, the namespaces, and the
//! docker-level facts as `org.rvol.` annotations.

use std::collections::BTreeMap;

use rvol_state::path::clean;
use rvol_state::record::{ann, ImageRecord};
use rvol_state::{Error, Result};
use serde_json::{json, Map, Value};

use crate::args::Flags;

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    })
}

pub fn build(
    reference: &str,
    record: &ImageRecord,
    image_config: &Value,
    cmd: &[String],
    flags: &Flags,
) -> Result<Value> {
    let cfg = &image_config["config"];
    let entrypoint: Option<Vec<String>> = match &flags.entrypoint {
        Some(e) if e.is_empty() => None,
        Some(e) => Some(vec![e.clone()]),
        None => strings(&cfg["Entrypoint"]),
    };
    let command: Option<Vec<String>> = if !cmd.is_empty() {
        Some(cmd.to_vec())
    } else if flags.entrypoint.is_some() {
        None
    } else {
        strings(&cfg["Cmd"])
    };
    let args: Vec<String> = entrypoint
        .iter()
        .flatten()
        .chain(command.iter().flatten())
        .cloned()
        .collect();
    if args.is_empty() {
        return Err(Error::new("No command specified"));
    }
    let image_env = strings(&cfg["Env"]);
    let env = rvol_state::env::merge(image_env.clone().unwrap_or_default(), &flags.env);
    let cwd = match &flags.workdir {
        Some(w) if !w.starts_with('/') => {
            return Err(Error::new(format!(
                "the working directory '{w}' is invalid, it needs to be an absolute path"
            )))
        }
        Some(w) => clean(w),
        None => match cfg["WorkingDir"].as_str() {
            // Relative in the image config: taken from `/`, as before the run.
            Some(w) if !w.is_empty() => clean(&format!("/{w}")),
            _ => "/".to_string(),
        },
    };
    let user = flags
        .user
        .clone()
        .or_else(|| cfg["User"].as_str().map(str::to_string))
        .unwrap_or_default();
    let network = flags.network.as_deref().unwrap_or("none");
    if !["none", "host"].contains(&network) {
        return Err(Error::new(format!(
            "network {network} not found (rvol has none and host)"
        )));
    }
    let volumes: BTreeMap<String, Value> = cfg["Volumes"]
        .as_object()
        .filter(|_| !flags.no_image_volumes)
        .map(|m| {
            m.keys()
                .map(|k| (clean(&format!("/{k}")), json!({})))
                .collect()
        })
        .unwrap_or_default();

    let mut namespaces = vec![
        json!({"type": "pid"}),
        json!({"type": "mount"}),
        json!({"type": "ipc"}),
        json!({"type": "uts"}),
    ];
    if network != "host" {
        namespaces.push(json!({"type": "network"}));
    }
    let mounts: Vec<Value> = volumes
        .keys()
        .map(|d| json!({"destination": d, "type": "volume", "source": "", "options": []}))
        .collect();

    // Docker's `Config` of the container, keys in docker's order.
    let docker_config = json!({
        "Hostname": flags.hostname.clone().unwrap_or_default(),
        "Domainname": "",
        "User": user,
        "Env": if image_env.is_none() && flags.env.is_empty() { Value::Null } else { json!(env) },
        "Cmd": command.map(|c| json!(c)).unwrap_or(Value::Null),
        "Image": reference,
        "Volumes": if volumes.is_empty() { Value::Null } else { json!(volumes) },
        "WorkingDir": if flags.workdir.is_some() { cwd.clone() } else { cfg["WorkingDir"].as_str().unwrap_or("").to_string() },
        "Entrypoint": entrypoint.map(|e| json!(e)).unwrap_or(Value::Null),
        "Labels": if cfg["Labels"].is_object() { cfg["Labels"].clone() } else { json!({}) },
    });

    let mut annotations = Map::new();
    annotations.insert(
        ann::IMAGE.into(),
        Value::String(serde_json::to_string(record)?),
    );
    annotations.insert(ann::CONFIG.into(), Value::String(docker_config.to_string()));
    annotations.insert(
        ann::HOSTCONFIG.into(),
        Value::String(json!({"NetworkMode": network}).to_string()),
    );
    if !user.is_empty() {
        annotations.insert(ann::USER.into(), Value::String(user.clone()));
    }

    let mut spec = Map::new();
    spec.insert("ociVersion".into(), json!("1.0.2"));
    spec.insert(
        "process".into(),
        json!({
            "terminal": flags.tty,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": env,
            "cwd": cwd,
        }),
    );
    spec.insert("root".into(), json!({"path": "rootfs", "readonly": false}));
    if let Some(h) = &flags.hostname {
        spec.insert("hostname".into(), json!(h));
    }
    spec.insert("mounts".into(), json!(mounts));
    spec.insert("linux".into(), json!({"namespaces": namespaces}));
    spec.insert("annotations".into(), Value::Object(annotations));
    let spec = Value::Object(spec);
    // What we print must be what the other tools can read.
    serde_json::from_value::<oci_spec::runtime::Spec>(spec.clone()).map_err(|e| {
        Error::new(format!(
            "generated config.json does not parse as an OCI spec: {e}"
        ))
    })?;
    Ok(spec)
}

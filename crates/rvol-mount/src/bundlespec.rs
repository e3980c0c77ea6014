//! The bundle's config.json as apply and rvol-exec read it, made from
//! rvol-unpack's spec and the mount plan: no I/O here (create.rs makes
//! the things on disk first and passes in what they are called).
//! ARCHITECTURE.md, "rvol-mount create", lists what it sets.

use std::path::Path;

use rvol_state::annotation;
use rvol_state::mountopt;
use rvol_state::record::{ann, DockerMount};
use rvol_state::{Result, ResultExt};
use serde_json::{json, Value};

use crate::etcfiles;
use crate::mountspec::{self, Kind, MountPoint};
use crate::plan::{Flags, Plan};
use crate::security::Security;

/// What the spec names that create has made or chosen.
pub struct Given<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub bundle: &'a Path,
    pub hostname: &'a str,
    /// `org.rvol.created`.
    pub created: String,
    /// `--rm`: `HostConfig.AutoRemove`, with its poststop hook.
    pub auto_remove: Option<Value>,
    /// The local driver's mounts: `volume mount` before the start
    /// (`createRuntime`), `volume release` after the end (`poststop`).
    pub volume_hooks: Option<(Value, Value)>,
    /// Capabilities, no-new-privileges, seccomp (and their HostConfig keys).
    pub security: &'a Security,
}

/// `spec` (rvol-unpack's) with the container's root, hostname, mounts,
/// hooks and docker's records. `plan`'s volumes have their sources by now.
pub fn build(mut spec: Value, flags: &Flags, plan: &Plan, given: &Given) -> Result<Value> {
    let read_only = flags.read_only;
    spec["root"] = json!({"path": given.bundle.join("rootfs"), "readonly": read_only});
    spec["hostname"] = json!(given.hostname);
    spec["mounts"] = Value::Array(spec_mounts(plan, given.bundle, read_only)?);
    // docker's setMounts: a bind asking for shared propagation keeps the
    // container's / shared (else rslave, runc's default), so that mounts
    // below it reach the host as the user asked.
    let shared = plan
        .mounts
        .iter()
        .any(|m| matches!(m.propagation.as_str(), "shared" | "rshared") && !m.forced_slave);
    if shared {
        spec["linux"]["rootfsPropagation"] = json!("shared");
    }
    // --rm as the OCI runtime spec has it: a poststop hook, which rvol-ns
    // runs once the container has ended and its state is recorded. No
    // shell has to stay behind to remove it, so `rvol run` execs the chain
    // (scripts/bench-run: two forks less a run), and `start`, `stop` and
    // a detached run all remove it the same way.
    // Volumes with options: mounted on the host by a createRuntime hook
    // (rvol-ns runs it before it makes the namespaces) and released by a
    // poststop one, before --rm's removal.
    let mut poststop = Vec::new();
    if let Some((mount, release)) = &given.volume_hooks {
        spec["hooks"]["createRuntime"] = json!([mount]);
        poststop.push(release.clone());
    }
    if let Some(hook) = &given.auto_remove {
        poststop.push(hook.clone());
    }
    if !poststop.is_empty() {
        spec["hooks"]["poststop"] = Value::Array(poststop);
    }

    let mut cfg = annotation::of(&spec)
        .json::<Value>(ann::CONFIG)
        .ctx("config.json")?
        .unwrap_or_else(|| json!({}));
    cfg["Hostname"] = json!(given.hostname);
    cfg["Volumes"] = if plan.config_volumes.is_empty() {
        Value::Null
    } else {
        // Go marshals a map with its keys sorted: so does docker inspect.
        let mut keys = plan.config_volumes.clone();
        keys.sort();
        Value::Object(keys.into_iter().map(|v| (v, json!({}))).collect())
    };
    given.security.write_spec(&mut spec);
    let mut hostcfg = host_config(&spec, flags, plan)?;
    hostcfg["AutoRemove"] = json!(given.auto_remove.is_some());
    given.security.write_host_config(&mut hostcfg);
    let docker_mounts: Vec<DockerMount> = plan.mounts.iter().map(docker_mount).collect();
    let anns = spec["annotations"]
        .as_object_mut()
        .ok_or_else(|| rvol_state::Error::new("config.json: annotations is not an object"))?;
    anns.insert(ann::ID.into(), json!(given.id));
    anns.insert(ann::NAME.into(), json!(given.name));
    anns.insert(ann::CREATED.into(), json!(given.created));
    anns.insert(
        ann::MOUNTS.into(),
        json!(serde_json::to_string(&docker_mounts)?),
    );
    let chown: Vec<&str> = plan
        .mounts
        .iter()
        .filter(|m| m.chown && m.kind != Kind::Tmpfs)
        .map(|m| m.destination.as_str())
        .collect();
    if !chown.is_empty() {
        anns.insert(ann::CHOWN.into(), json!(serde_json::to_string(&chown)?));
    }
    anns.insert(ann::CONFIG.into(), json!(serde_json::to_string(&cfg)?));
    anns.insert(
        ann::HOSTCONFIG.into(),
        json!(serde_json::to_string(&hostcfg)?),
    );
    Ok(spec)
}

/// rvol-unpack's `HostConfig` with the mount flags' keys as docker fills
/// them: `Binds` (null when none) from `-v`, `Mounts` from `--mount` and
/// `Tmpfs` from `--tmpfs` (both `omitempty` in docker: left out when none).
fn host_config(spec: &Value, flags: &Flags, plan: &Plan) -> Result<Value> {
    let mut h = annotation::of(spec)
        .json::<Value>(ann::HOSTCONFIG)
        .ctx("config.json")?
        .unwrap_or_else(|| json!({}));
    h["Binds"] = list_or_null(&flags.binds);
    h["VolumesFrom"] = list_or_null(&flags.volumes_from);
    h["ReadonlyRootfs"] = json!(flags.read_only);
    if let Some(o) = h.as_object_mut() {
        o.remove("Tmpfs");
        o.remove("Mounts");
    }
    if !plan.tmpfs.is_empty() {
        let mut t = plan.tmpfs.clone();
        t.sort();
        h["Tmpfs"] = Value::Object(t.into_iter().map(|(d, o)| (d, json!(o))).collect());
    }
    if !plan.host_mounts.is_empty() {
        h["Mounts"] = serde_json::to_value(&plan.host_mounts)?;
    }
    Ok(h)
}

fn list_or_null(v: &[String]) -> Value {
    if v.is_empty() {
        Value::Null
    } else {
        json!(v)
    }
}

/// Docker's `Mounts` entry for one mount point.
fn docker_mount(m: &MountPoint) -> DockerMount {
    let volume = m.kind == Kind::Volume;
    DockerMount {
        kind: m.kind.as_str().into(),
        name: volume.then(|| m.name.clone()),
        source: m.source.clone(),
        destination: m.destination.clone(),
        driver: volume.then(|| "local".to_string()),
        mode: m.mode.clone(),
        rw: m.rw,
        propagation: m.propagation.clone(),
    }
}

/// The OCI mounts apply makes: binds and volumes as rbinds, tmpfs with
/// docker's defaults, then the /etc files unless a user mount is there.
/// A `--tmpfs` beats any other mount at its destination.
fn spec_mounts(plan: &Plan, bundle: &Path, read_only: bool) -> Result<Vec<Value>> {
    let tmpfs_dsts: Vec<String> = plan
        .tmpfs
        .iter()
        .map(|(d, _)| mountspec::clean(d))
        .collect();
    let mut out = Vec::new();
    for m in &plan.mounts {
        if tmpfs_dsts.contains(&m.destination) {
            continue;
        }
        match m.kind {
            Kind::Tmpfs => out.push(json!({
                "destination": m.destination, "type": "tmpfs", "source": "tmpfs",
                "options": mountopt::tmpfs_options(&m.tmpfs_data)?,
            })),
            Kind::Bind | Kind::Volume => {
                // A volume (Propagation "") and docker's forced rslave keep
                // the propagation of their source mount under the rslave
                // root: a slave where the host's mount is shared, as docker's.
                let mut opts = vec!["rbind".to_string()];
                if !m.propagation.is_empty() && !m.forced_slave {
                    opts.push(m.propagation.clone());
                }
                if !m.rw {
                    opts.push("ro".into());
                }
                // A volume subpath: only that directory (checked at the
                // start, once the volume is mounted: volhook).
                let source = match m.subpath.as_str() {
                    "" => m.source.clone(),
                    sub => format!("{}/{sub}", m.source),
                };
                out.push(json!({"destination": m.destination, "type": "bind", "source": source, "options": opts}));
            }
        }
    }
    for (d, o) in &plan.tmpfs {
        out.push(json!({
            "destination": mountspec::clean(d), "type": "tmpfs", "source": "tmpfs",
            "options": mountopt::tmpfs_options(o)?,
        }));
    }
    for f in etcfiles::FILES {
        let dst = format!("/etc/{f}");
        if out.iter().any(|m| m["destination"] == dst.as_str()) {
            continue;
        }
        let mut opts = vec!["rbind", "rprivate"];
        if read_only {
            opts.push("ro");
        }
        out.push(
            json!({"destination": dst, "type": "bind", "source": bundle.join(f), "options": opts}),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_for(flags: &Flags) -> Plan {
        let root = rvol_state::Root {
            path: "/nonexistent-rvol-root".into(),
        };
        crate::plan::build(&root, flags, &[]).unwrap()
    }

    fn given() -> Given<'static> {
        static NONE: std::sync::OnceLock<Security> = std::sync::OnceLock::new();
        let security = NONE.get_or_init(|| crate::security::resolve(&Default::default()).unwrap());
        Given {
            id: "0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef",
            name: "n",
            bundle: Path::new("/r/containers/x"),
            hostname: "h",
            created: "T".into(),
            auto_remove: None,
            volume_hooks: None,
            security,
        }
    }

    fn hostconfig(spec: &Value) -> Value {
        serde_json::from_str(spec["annotations"][ann::HOSTCONFIG].as_str().unwrap()).unwrap()
    }

    fn input() -> Value {
        json!({
            "root": {"path": "rootfs"},
            "annotations": {ann::HOSTCONFIG: r#"{"NetworkMode":"none"}"#},
        })
    }

    #[test]
    fn hostconfig_as_docker_fills_it() {
        let none = Flags::default();
        let spec = build(input(), &none, &plan_for(&none), &given()).unwrap();
        let h = hostconfig(&spec);
        assert_eq!(
            h.to_string(),
            r#"{"NetworkMode":"none","Binds":null,"VolumesFrom":null,"ReadonlyRootfs":false,"AutoRemove":false,"CapAdd":null,"CapDrop":null,"SecurityOpt":null}"#
        );
        assert_eq!(spec["root"]["path"], "/r/containers/x/rootfs");
        assert_eq!(spec["mounts"].as_array().unwrap().len(), 3);

        let flags = Flags {
            mounts: vec![
                "type=tmpfs,dst=/t/,tmpfs-size=1m,tmpfs-mode=700".into(),
                "type=volume,src=vv,dst=/v,volume-nocopy,volume-label=b=1,volume-label=a".into(),
            ],
            tmpfs: vec!["/u:size=2m".into(), "/s".into()],
            ..Flags::default()
        };
        let spec = build(input(), &flags, &plan_for(&flags), &given()).unwrap();
        let h = hostconfig(&spec);
        assert_eq!(h["Tmpfs"].to_string(), r#"{"/s":"","/u":"size=2m"}"#);
        assert_eq!(
            h["Mounts"].to_string(),
            r#"[{"Type":"tmpfs","Target":"/t/","TmpfsOptions":{"SizeBytes":1048576,"Mode":448}},{"Type":"volume","Source":"vv","Target":"/v","VolumeOptions":{"NoCopy":true,"Labels":{"a":"","b":"1"},"DriverConfig":{}}}]"#
        );
        let t = spec["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/u")
            .unwrap()
            .clone();
        assert_eq!(
            t["options"].to_string(),
            r#"["rw","nosuid","nodev","noexec","size=2m"]"#
        );
    }
}

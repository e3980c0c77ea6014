//! What `apply` will do, read once from config.json: the propagation of
//! `/`, the overlay, then the spec's mounts as typed operations, sorted
//! shallowest first. No syscall here: everything that can be refused
//! from the spec alone is refused before the first mount.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use rvol_state::annotation;
use rvol_state::mountopt;
use rvol_state::record::ann;

use rvol_state::{Error, Result, ResultExt};
use serde::Deserialize;

/// The parts of an OCI runtime spec apply reads (serde skips the rest).
#[derive(Deserialize)]
struct Spec {
    root: Option<SpecRoot>,
    mounts: Option<Vec<SpecMount>>,
    annotations: Option<HashMap<String, String>>,
    linux: Option<SpecLinux>,
}

#[derive(Deserialize)]
struct SpecRoot {
    path: Option<String>,
}

#[derive(Deserialize)]
struct SpecMount {
    #[serde(default)]
    destination: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    options: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct SpecLinux {
    #[serde(default, rename = "rootfsPropagation")]
    rootfs_propagation: Option<String>,
}

pub struct Plan {
    pub rootfs: PathBuf,
    /// `/`'s propagation (rslave, or `linux.rootfsPropagation`), and the
    /// name it was given by, for the error.
    pub root_propagation: MsFlags,
    pub root_propagation_name: String,
    pub overlay: Overlay,
    /// The spec's mounts, shallowest destination first (stable).
    pub mounts: Vec<MountOp>,
    /// Podman's `:U`: these sources go to the container's user (`user`,
    /// as given) before it starts.
    pub chown: Vec<String>,
    pub user: String,
}

pub struct Overlay {
    /// Top first: the init layer (create's), then the image's layers.
    pub lower_dirs: Vec<String>,
    pub upper: PathBuf,
    pub work: PathBuf,
    /// `--rm`: the upper dir is thrown away, so no syncfs at unmount.
    pub volatile: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A bind (`rbind` when `recursive`).
    Bind { recursive: bool },
    /// A filesystem of this type (tmpfs, proc, sysfs, mqueue, devpts).
    Fs { fstype: String, data: String },
}

/// What the mount holding a bind's source must be (docker's
/// ensureShared / ensureSharedOrSlave).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMust {
    BeShared,
    BeSharedOrSlave,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountOp {
    pub destination: String,
    pub source: String,
    pub what: What,
    /// The flags of the mount(2) itself (a bind takes only MS_BIND|MS_REC).
    pub flags: MsFlags,
    /// Set after the mount, by a mount(2) of its own.
    pub propagation: Option<MsFlags>,
    /// A read-only bind: a remount after the bind.
    pub remount_ro: bool,
    pub source_must: Option<SourceMust>,
}

impl Plan {
    /// The plan for `config` (config.json's bytes, read from `from`);
    /// `bundle` when it came from one (a relative root.path is under it).
    pub fn new(config: &[u8], from: &str, bundle: Option<&Path>) -> Result<Plan> {
        let spec: Spec = serde_json::from_slice(config).with_ctx(|| format!("parse {from}"))?;
        let rootfs = rootfs_path(&spec, bundle)?;
        let bundle = match bundle {
            Some(b) => b.to_path_buf(),
            None => rootfs.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        let anns = spec.annotations.unwrap_or_default();
        // rslave as runc's default: host mount events reach the container's
        // copies (a volume under a shared mount stays a slave, as docker's),
        // nothing made here ever reaches the host. `linux.rootfsPropagation`
        // (create's "shared" for a bind asking for it, as docker's) wins.
        let root_propagation_name = spec
            .linux
            .and_then(|l| l.rootfs_propagation)
            .unwrap_or_default();
        let root_propagation = mountopt::propagation(&root_propagation_name)
            .unwrap_or(MsFlags::MS_REC | MsFlags::MS_SLAVE);
        let overlay = overlay(&anns, &bundle)?;
        let mut mounts = spec
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(mount_op)
            .collect::<Result<Vec<_>>>()?;
        mounts.sort_by_key(|m| depth(&m.destination));
        let a = annotation::of(&anns);
        let chown_dsts: Vec<String> = a.json(ann::CHOWN).ctx("config.json")?.unwrap_or_default();
        let chown = chown_dsts
            .iter()
            .filter_map(|d| mounts.iter().find(|m| m.destination == *d))
            .map(|m| m.source.clone())
            .collect();
        let user = a.user().unwrap_or_default();
        Ok(Plan {
            rootfs,
            root_propagation,
            root_propagation_name,
            overlay,
            mounts,
            chown,
            user,
        })
    }
}

fn rootfs_path(spec: &Spec, bundle: Option<&Path>) -> Result<PathBuf> {
    let p = spec
        .root
        .as_ref()
        .and_then(|r| r.path.as_deref())
        .ok_or_else(|| Error::new("config.json: no root.path"))?;
    let p = PathBuf::from(p);
    Ok(match (p.is_absolute(), bundle) {
        (true, _) => p,
        (false, Some(b)) => b.join(p),
        (false, None) => {
            return Err(Error::new(
                "config.json on stdin: root.path must be absolute",
            ))
        }
    })
}

fn overlay(anns: &HashMap<String, String>, bundle: &Path) -> Result<Overlay> {
    let anns = annotation::of(anns);
    let image = anns
        .image()
        .ctx("config.json")?
        .ok_or_else(|| Error::new("config.json: no org.rvol.image annotation"))?;
    if image.lower_dirs.is_empty() {
        return Err(Error::new("overlay: the image has no layers"));
    }
    // The init layer (create's) sits above the image: its mount points.
    let lower_dirs = anns
        .init_layer()
        .map(String::from)
        .into_iter()
        .chain(image.lower_dirs)
        .collect();
    let volatile = anns.auto_remove();
    Ok(Overlay {
        lower_dirs,
        upper: bundle.join("upper"),
        work: bundle.join("work"),
        volatile,
    })
}

/// Depth of a destination as docker counts it (path elements).
fn depth(dst: &str) -> usize {
    rvol_state::path::clean(dst).split('/').count()
}

fn mount_op(m: SpecMount) -> Result<MountOp> {
    let kind = m.kind.unwrap_or_default();
    let options = m.options.unwrap_or_default();
    let o = mountopt::parse(options.iter().map(String::as_str));
    let bind = kind == "bind" || o.flags.contains(MsFlags::MS_BIND);
    let (what, flags) = if bind {
        let recursive = o.flags.contains(MsFlags::MS_REC);
        (
            What::Bind { recursive },
            MsFlags::MS_BIND | (o.flags & MsFlags::MS_REC),
        )
    } else if matches!(
        kind.as_str(),
        "tmpfs" | "proc" | "sysfs" | "mqueue" | "devpts"
    ) {
        (
            What::Fs {
                fstype: kind,
                data: o.data,
            },
            o.flags - MsFlags::MS_BIND - MsFlags::MS_REC,
        )
    } else {
        return Err(Error::new(format!(
            "mount {}: type {kind:?} cannot be applied (was the bundle made by rvol-mount create?)",
            m.destination
        )));
    };
    let source_must = match o.propagation {
        Some(p) if bind && p.contains(MsFlags::MS_SHARED) => Some(SourceMust::BeShared),
        Some(p) if bind && p.contains(MsFlags::MS_SLAVE) => Some(SourceMust::BeSharedOrSlave),
        _ => None,
    };
    Ok(MountOp {
        destination: m.destination,
        source: m.source.unwrap_or_default(),
        remount_ro: bind && o.flags.contains(MsFlags::MS_RDONLY),
        what,
        flags,
        propagation: o.propagation,
        source_must,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvol_state::record::{ann, ImageRecord};

    fn plan(mounts: &str) -> Result<Plan> {
        let image = serde_json::to_string(&ImageRecord {
            lower_dirs: vec!["/l/a".into(), "/l/b".into()],
            ..Default::default()
        })
        .unwrap();
        let spec = serde_json::json!({
            "root": {"path": "rootfs"},
            "mounts": serde_json::from_str::<serde_json::Value>(mounts).unwrap(),
            "annotations": {
                ann::IMAGE: image,
                ann::INIT_LAYER: "/l/init",
                ann::HOSTCONFIG: r#"{"AutoRemove":true}"#,
            },
        });
        Plan::new(spec.to_string().as_bytes(), "test", Some(Path::new("/b")))
    }

    #[test]
    fn typed_and_sorted() {
        let p = plan(
            r#"[
            {"destination": "/a/b", "type": "tmpfs", "source": "tmpfs",
             "options": ["rw", "nosuid", "nodev", "noexec", "exec", "size=1m"]},
            {"destination": "/a", "type": "bind", "source": "/h",
             "options": ["rbind", "rshared", "ro"]},
            {"destination": "/c/", "type": "bind", "source": "/h",
             "options": ["bind", "rslave"]}
        ]"#,
        )
        .unwrap();
        assert_eq!(p.rootfs, Path::new("/b/rootfs"));
        assert_eq!(p.root_propagation, MsFlags::MS_REC | MsFlags::MS_SLAVE);
        assert_eq!(p.overlay.lower_dirs, ["/l/init", "/l/a", "/l/b"]);
        assert!(p.overlay.volatile);
        let dsts: Vec<&str> = p.mounts.iter().map(|m| m.destination.as_str()).collect();
        assert_eq!(dsts, ["/a", "/c/", "/a/b"]);
        let a = &p.mounts[0];
        assert_eq!(a.what, What::Bind { recursive: true });
        assert_eq!(a.flags, MsFlags::MS_BIND | MsFlags::MS_REC);
        assert!(a.remount_ro);
        assert_eq!(a.source_must, Some(SourceMust::BeShared));
        assert_eq!(p.mounts[1].source_must, Some(SourceMust::BeSharedOrSlave));
        let t = &p.mounts[2];
        assert_eq!(
            t.what,
            What::Fs {
                fstype: "tmpfs".into(),
                data: "size=1m".into()
            }
        );
        assert_eq!(t.flags, MsFlags::MS_NOSUID | MsFlags::MS_NODEV);
        assert!(!t.remount_ro);
    }

    #[test]
    fn refused_before_anything_is_mounted() {
        let e = plan(r#"[{"destination": "/v", "type": "volume", "source": ""}]"#);
        assert!(e.err().unwrap().msg.contains("cannot be applied"));
    }
}

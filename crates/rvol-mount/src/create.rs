//! `rvol-mount create`: read rvol-unpack's spec, check every mount flag
//! and the image first (`plan`), then make the bundle, the name link, the
//! volumes (with copy-up), the /etc files, and write the config.json that
//! `bundlespec` builds from them (no I/O there). Anything made before a
//! failure is taken back, so bad input leaves nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

use rvol_state::annotation;
use rvol_state::fsx::{self, Lock};
use rvol_state::record::{ann, State};
use rvol_state::{container, Error, Result, ResultExt, Root};
use serde_json::{json, Map, Value};

use crate::bundlespec;
use crate::etcfiles;
use crate::imageview::ImageView;
use crate::initlayer;
use crate::mountspec::Kind;
use crate::names;
use crate::plan::{self, Flags, Plan};
use crate::specjson;
use crate::volume;
use rvol_state::inroot;

pub struct CreateArgs {
    pub root: Root,
    pub name: Option<String>,
    pub auto_remove: bool,
    /// An empty stdin fails without a message (the stage before has said why).
    pub quiet_empty: bool,
    pub flags: Flags,
    /// `--cap-add`, `--cap-drop`, `--security-opt`.
    pub security: crate::security::Flags,
}

/// What was made so far, taken back in reverse on failure.
#[derive(Default)]
struct Made {
    tmp_bundle: Option<PathBuf>,
    name: Option<(String, String)>,
    volumes: Vec<String>,
    host_dirs: Vec<PathBuf>,
}

impl Made {
    fn undo(&mut self, root: &Root) {
        if let Some(b) = self.tmp_bundle.take() {
            let _ = std::fs::remove_dir_all(b);
        }
        if let Some((name, id)) = self.name.take() {
            names::release(root, &name, &id);
        }
        for v in self.volumes.drain(..).rev() {
            let _ = volume::remove(root, &v);
        }
        for d in self.host_dirs.drain(..).rev() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

pub fn run(args: CreateArgs) -> Result<i32> {
    // Before the spec is read: from here until the bundle naming the layers
    // is renamed into place (the end of this process) the collector keeps
    // them (rvol_state::layerlock; in the verbs' pipeline the lock is the
    // one rvol-unpack took, on an fd both inherit).
    let _held = rvol_state::layerlock::shared(&args.root)?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .ctx("read config.json from stdin")?;
    if input.iter().all(u8::is_ascii_whitespace) {
        // In scripts/rvol's pipeline the stage before us (rvol-unpack) has
        // failed and said why: a second message would only repeat it.
        return Err(Error::new(if args.quiet_empty {
            ""
        } else {
            "nothing on stdin: expected the config.json rvol-unpack prints"
        }));
    }
    let mut spec: Value = serde_json::from_slice(&input).ctx("parse config.json from stdin")?;
    specjson::check(&spec)?;
    let root = &args.root;

    // 1. Everything that can be refused is refused before anything is made.
    let name = args.name.as_deref().map(names::check).transpose()?;
    if let Some(n) = &name {
        names::check_free(root, n)?;
    }
    let image = annotation::of(&spec)
        .image()
        .ctx("config.json")?
        .ok_or_else(|| {
            Error::new("config.json: no org.rvol.image annotation (is it rvol-unpack's output?)")
        })?;
    let plan = plan::build(root, &args.flags, &image_volumes(&spec))?;
    let security = crate::security::resolve(&args.security)?;
    let id = container::new_id()?;
    let bundle = root.container(&id);
    // The image view (a private mount namespace and a detached mount) only
    // when a volume takes the image's content: closing it waits for an RCU
    // grace period (3-6 ms). Otherwise a missing layer is still refused here.
    let copy_up = plan
        .mounts
        .iter()
        .any(|m| m.kind == Kind::Volume && m.copy_data);
    // Rootless, the user namespace (rvol_state::rootless) only to read the
    // image for a copy-up or to make an init layer with /etc's owners: a
    // warm create writes nothing but files of our own (0.3-0.5 ms for
    // the namespace, plus newuidmap's and newgidmap's execs, saved).
    // (Root never asks: it needs no namespace, and the init layer's
    // lookup would be done twice.)
    let user = rvol_state::rootless::mode() == rvol_state::rootless::Mode::User;
    if user && (copy_up || initlayer::missing(root, &image.lower_dirs)?) {
        rvol_state::rootless::enter(true)?;
    }
    let view = if copy_up {
        let view = ImageView::open(&image.lower_dirs)?;
        check_image(root, &plan, &view, &bundle)?;
        Some(view)
    } else {
        check_layers(&image.lower_dirs)?;
        None
    };

    // 2. Make it. The init layer first: shared, made once per image /etc.
    if let Some(init) = initlayer::ensure(root, &image.lower_dirs)? {
        spec["annotations"][ann::INIT_LAYER] = json!(init);
    }
    let mut made = Made::default();
    let r = make(
        root,
        &args,
        name,
        &id,
        &bundle,
        &mut spec,
        plan,
        view.as_ref(),
        &security,
        &mut made,
    );
    match r {
        Ok(()) => {
            println!("{}", bundle.display());
            Ok(0)
        }
        Err(e) => {
            made.undo(root);
            Err(e)
        }
    }
}

/// Image VOLUMEs: the spec's `volume` mounts (rvol-unpack's) and the
/// keys of `Config.Volumes`, sorted, once each.
fn image_volumes(spec: &Value) -> Vec<String> {
    let mut v: Vec<String> = spec["mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["type"] == "volume")
        .filter_map(|m| m["destination"].as_str().map(String::from))
        .collect();
    if let Ok(Some(cfg)) = annotation::of(spec).config() {
        if let Some(vols) = cfg.get("Volumes").and_then(Value::as_object) {
            v.extend(vols.keys().cloned());
        }
    }
    v.sort();
    v.dedup();
    v
}

/// Without an image view: each layer is an unpacked directory.
fn check_layers(lower_dirs: &[String]) -> Result<()> {
    if lower_dirs.is_empty() {
        return Err(Error::new("image view: the image has no layers"));
    }
    for l in lower_dirs {
        let md = std::fs::metadata(l).with_ctx(|| format!("image layer {l}"))?;
        if !md.is_dir() {
            return Err(Error::new(format!("image layer {l}: not a directory")));
        }
    }
    Ok(())
}

/// Docker's create-time checks against the image: a VOLUME (or `-v /p`)
/// over a file, and copy-up into an empty volume from a non-directory.
fn check_image(root: &Root, plan: &Plan, view: &ImageView, bundle: &Path) -> Result<()> {
    for m in plan
        .mounts
        .iter()
        .filter(|m| m.kind == Kind::Volume && m.copy_data)
    {
        let shown = PathBuf::from(format!("{}/rootfs{}", bundle.display(), m.destination));
        if m.config_volume {
            if let Ok(fd) = inroot::open(view.root(), &m.destination, libc::O_PATH) {
                if !inroot::is_dir(&inroot::fstat(std::os::fd::AsFd::as_fd(&fd))?) {
                    return Err(Error::new(format!(
                        "cannot mount volume over existing file, file exists {}",
                        shown.display()
                    )));
                }
            }
        } else if !m.name.is_empty() {
            volume::check_copy_up(root, &m.name, view, &m.destination, &shown)?;
        } else if let Ok(fd) = inroot::open(view.root(), &m.destination, libc::O_PATH) {
            if !inroot::is_dir(&inroot::fstat(std::os::fd::AsFd::as_fd(&fd))?) {
                return Err(Error::new(format!(
                    "source {} is not directory",
                    shown.display()
                )));
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn make(
    root: &Root,
    args: &CreateArgs,
    name: Option<String>,
    id: &str,
    bundle: &Path,
    spec: &mut Value,
    mut plan: Plan,
    view: Option<&ImageView>,
    security: &crate::security::Security,
    made: &mut Made,
) -> Result<()> {
    names::sweep_dead_creates(root);
    let tmp = root.containers().join(format!(".tmp-{id}"));
    // Locked until the bundle is in place, and locked before it is named
    // `.tmp-*`: a temp bundle nobody holds belongs to a create that died
    // (kill -9); its name is free (names::holder) and it is swept.
    // Not locked yet, so named for its maker: a kill -9 before the rename
    // leaves it to the sweep once that process is gone.
    let fresh = root
        .containers()
        .join(format!(".new-{id}-{}", std::process::id()));
    std::fs::create_dir_all(&fresh).with_ctx(|| format!("mkdir {}", fresh.display()))?;
    let _creating = names::lock_creating(&fresh)
        .and_then(|l| {
            std::fs::rename(&fresh, &tmp).with_ctx(|| format!("rename {}", fresh.display()))?;
            Ok(l)
        })
        .inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&fresh);
        })?;
    for d in ["rootfs", "upper", "work"] {
        std::fs::create_dir_all(tmp.join(d)).with_ctx(|| format!("mkdir {}/{d}", tmp.display()))?;
        made.tmp_bundle = Some(tmp.clone());
    }

    let name = match name {
        Some(n) => {
            names::take(root, &n, id)?;
            n
        }
        None => {
            let mut tries = 0;
            loop {
                let n = names::random(root, id);
                match names::take(root, &n, id) {
                    Ok(()) => break n,
                    Err(e) if tries >= 5 => return Err(e),
                    Err(_) => tries += 1,
                }
            }
        }
    };
    made.name = Some((name.clone(), id.to_string()));

    // Volumes, in name order under their locks, held until the bundle is
    // in place so that `volume rm` never sees one unreferenced mid-create.
    let mut locks: Vec<(String, Lock)> = Vec::new();
    for m in plan
        .mounts
        .iter_mut()
        .filter(|m| m.kind == Kind::Volume && m.source.is_empty())
    {
        let anonymous = m.name.is_empty();
        if anonymous {
            m.name = container::new_id()?;
        }
        if !locks.iter().any(|(n, _)| *n == m.name) {
            locks.push((m.name.clone(), volume::lock(root, &m.name)?));
        }
        let labels: Map<String, Value> = m
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let opts: Map<String, Value> = m
            .volume_opts
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        if volume::exists(root, &m.name) {
            // A mount left by users that were killed goes before a new use.
            rvol_state::localvol::settle_locked(root, &m.name)?;
        } else {
            rvol_state::localvol::validate(&m.name, &opts)?;
        }
        if volume::create(root, &m.name, labels, opts, anonymous)? {
            made.volumes.push(m.name.clone());
        }
        if m.copy_data {
            let view = view.expect("run opens the image view when a volume copies data");
            // In the view's private mount namespace: a volume with options
            // gets the copy on its mounted filesystem, as docker's.
            // Only when the image has a directory there to copy (docker
            // mounts nothing at create otherwise).
            let has_dir = inroot::open(view.root(), &m.destination, libc::O_DIRECTORY).is_ok();
            let mounted = has_dir && rvol_state::localvol::mount_for_copy(root, &m.name)?;
            let r = volume::copy_up(root, &m.name, view, &m.destination);
            if mounted {
                rvol_state::localvol::unmount(&root.volume_data(&m.name))?;
            }
            r?;
        }
        m.source = root.volume_data(&m.name).to_string_lossy().into_owned();
    }

    // `-v /host:/c` makes a missing host directory, parents included.
    for m in plan
        .mounts
        .iter()
        .filter(|m| m.kind == Kind::Bind && m.create_source)
    {
        make_host_dir(Path::new(&m.source), made)?;
    }
    for m in plan.mounts.iter().filter(|m| m.kind == Kind::Bind) {
        rvol_state::rootless::check_bind_source(Path::new(&m.source))?;
    }

    let host_network = annotation::of(spec)
        .json::<Value>(ann::HOSTCONFIG)
        .ctx("config.json")?
        .is_some_and(|h| h["NetworkMode"] == "host");
    let hostname = match spec["hostname"].as_str() {
        Some(h) if !h.is_empty() => h.to_string(),
        _ if host_network => etcfiles::host_hostname(),
        _ => id[..12].to_string(),
    };
    etcfiles::write(&tmp, &hostname, host_network)?;

    // The spec as apply and rvol-exec read it.
    let auto_remove = match args.auto_remove {
        true => Some(remove_hook(root, id)?),
        false => None,
    };
    let volume_hooks = match needs_volume_hooks(root, &plan) {
        true => Some(volume_hooks(root, bundle)?),
        false => None,
    };
    *spec = bundlespec::build(
        std::mem::take(spec),
        &args.flags,
        &plan,
        &bundlespec::Given {
            id,
            name: &name,
            bundle,
            hostname: &hostname,
            created: rvol_state::time::now_nanos(),
            auto_remove,
            volume_hooks,
            security,
        },
    )?;

    // config.json is synced before the bundle is renamed into place, so a
    // kept container that survives a crash has its definition; an --rm
    // one ends with its process, so a crash leaves only garbage either
    // way. state.json describes a process (rvol-ns rewrites it unsynced,
    // and a lost one reads as `created`). An fdatasync costs 2-15 ms here.
    if args.auto_remove {
        fsx::write_json_unsynced(&tmp.join("config.json"), spec)?;
    } else {
        fsx::write_json(&tmp.join("config.json"), spec)?;
    }
    fsx::write_json_unsynced(&tmp.join("state.json"), &State::default())?;
    std::fs::rename(&tmp, bundle)
        .with_ctx(|| format!("rename {} to {}", tmp.display(), bundle.display()))?;
    made.tmp_bundle = None;
    drop(locks);
    Ok(())
}

/// `rvol-mount --root ROOT rm -v -f -- ID`, by this very binary.
fn remove_hook(root: &Root, id: &str) -> Result<Value> {
    let me = std::env::current_exe().ctx("find rvol-mount itself (for the --rm hook)")?;
    Ok(json!({
        "path": me,
        "args": ["rvol-mount", "--root", root.path, "rm", "-v", "-f", "--background", "--", id],
    }))
}

/// A volume of the container is the local driver's mount (it has
/// options), or only a subpath of one is mounted: work for its start.
fn needs_volume_hooks(root: &Root, plan: &Plan) -> bool {
    plan.mounts.iter().any(|m| {
        m.kind == Kind::Volume
            && (!m.subpath.is_empty()
                || volume::record(root, &m.name)
                    .is_some_and(|r| rvol_state::localvol::needs_mount(&r)))
    })
}

/// `rvol-mount --root ROOT volume mount|release --bundle B`: run by
/// rvol-ns on the host before the container's namespaces are made, and
/// after its end (volhook.rs).
fn volume_hooks(root: &Root, bundle: &Path) -> Result<(Value, Value)> {
    let me = std::env::current_exe().ctx("find rvol-mount itself (for the volume hooks)")?;
    let hook = |verb: &str| {
        json!({
            "path": me,
            "args": ["rvol-mount", "--root", root.path, "volume", verb, "--bundle", bundle],
        })
    };
    Ok((hook("mount"), hook("release")))
}

fn make_host_dir(path: &Path, made: &mut Made) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    // Remember the topmost directory this call makes, to take it back.
    let mut top = path.to_path_buf();
    while let Some(parent) = top.parent() {
        if parent.exists() {
            break;
        }
        top = parent.to_path_buf();
    }
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(path)
        .with_ctx(|| format!("mkdir host path {}", path.display()))?;
    made.host_dirs.push(top);
    Ok(())
}

//! `rvol-mount rm [-v] [-f] NAME|ID...`: remove containers (docker rm).
//! The bundle goes; with `-v` its anonymous volumes go too unless another
//! container still uses them; named volumes always stay.

use rvol_state::fsx;
use rvol_state::record::State;
use rvol_state::{container, Error, Result, ResultExt, Root};

use crate::names;
use crate::volume;

pub struct RmArgs {
    pub root: Root,
    pub volumes: bool,
    pub force: bool,
    pub targets: Vec<String>,
}

/// Exit 1 if any target failed, as the docker CLI.
pub fn run(args: RmArgs) -> Result<i32> {
    let mut status = 0;
    for t in &args.targets {
        match remove(&args, t) {
            Ok(()) => println!("{t}"),
            Err(e) => {
                eprintln!("rvol-mount: {e}");
                status = 1;
            }
        }
    }
    Ok(status)
}

fn alive(pid: i32) -> bool {
    pid > 0 && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

fn remove(args: &RmArgs, what: &str) -> Result<()> {
    let root = &args.root;
    let id = container::find(root, what)?;
    let bundle = root.container(&id);
    let state: State = fsx::read_json(&bundle.join("state.json")).unwrap_or_default();
    if state.running && alive(state.pid) {
        if !args.force {
            return Err(Error::new(format!("You cannot remove a running container {id}. Stop the container before attempting removal or force remove")));
        }
        let pid = nix::unistd::Pid::from_raw(state.pid);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        for _ in 0..200 {
            if !alive(state.pid) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
    let mounts = volume::container_mounts(&bundle);
    let spec: serde_json::Value = fsx::read_json(&bundle.join("config.json")).unwrap_or_default();
    // Rename away first, so a half-removed bundle is never seen as a container.
    let gone = root.containers().join(format!(".rm-{id}"));
    std::fs::rename(&bundle, &gone).with_ctx(|| format!("remove container {id}"))?;
    if let Some(name) = spec["annotations"][rvol_state::record::ann::NAME].as_str() {
        names::release(root, name, &id);
    }
    std::fs::remove_dir_all(&gone).with_ctx(|| format!("remove {}", gone.display()))?;
    if args.volumes {
        for m in mounts.iter().filter(|m| m.kind == "volume") {
            let Some(name) = &m.name else { continue };
            remove_if_anonymous(root, name)?;
        }
    }
    Ok(())
}

/// Docker's removeMountPoints: an anonymous volume goes with its
/// container, unless another container still uses it (not an error).
fn remove_if_anonymous(root: &Root, name: &str) -> Result<()> {
    let _lock = volume::lock(root, name)?;
    if !volume::exists(root, name) || !volume::record(root, name).is_some_and(|r| r.anonymous) {
        return Ok(());
    }
    if volume::users(root)?
        .get(name)
        .is_some_and(|ids| !ids.is_empty())
    {
        return Ok(());
    }
    volume::remove(root, name)
}

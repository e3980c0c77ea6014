//! `rvol-mount volume mount|release --bundle B`: the hooks create writes
//! into a bundle whose container uses a volume with options (the local
//! driver's tmpfs, bind, block device, nfs/cifs) or a volume subpath.
//! rvol-ns runs `mount` on the host before it makes the container's
//! namespaces (so the new mount namespace starts with the volume mounted
//! on its `_data`, as docker's daemon mounts it under its data root), and
//! `release` after the container's end is recorded. The counting is
//! rvol_state::localvol's; a failure is reported on the start channel,
//! so the state records docker's `Error` and the container stays `created`.

use std::path::Path;

use rvol_state::bundle::Container;
use rvol_state::error::go_text;
use rvol_state::localvol;
use rvol_state::{inroot, Error, Result, Root};

/// The volumes a bundle's container uses (its recorded `Mounts`), once each.
fn volumes(c: &Container) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for m in c.annotations()?.mounts()? {
        if let ("volume", Some(n)) = (m.kind.as_str(), m.name) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    Ok(names)
}

pub fn mount(root: &Root, bundle: &Path) -> Result<i32> {
    let r = mount_all(root, bundle);
    if let Err(e) = &r {
        rvol_state::start_fd::report(&e.msg);
    }
    r.map_err(|e| {
        let code = rvol_state::error::cli_start_status(&e.msg);
        e.with_code(code)
    })
}

fn mount_all(root: &Root, bundle: &Path) -> Result<i32> {
    let c = Container::at(bundle.to_path_buf());
    let id = c.id()?;
    // Our parent is the container's rvol-ns: it lives as long as the
    // container, so the volume counts it in for that long.
    let pid = nix::unistd::getppid().as_raw();
    let mut done: Vec<String> = Vec::new();
    let r = (|| -> Result<()> {
        for name in volumes(&c)? {
            localvol::acquire(root, &name, &id, pid)?;
            done.push(name);
        }
        check_subpaths(root, &c)
    })();
    if r.is_err() {
        for name in done {
            let _ = localvol::release(root, &name, &id);
        }
    }
    r.map(|()| 0)
}

pub fn release(root: &Root, bundle: &Path) -> Result<i32> {
    let c = Container::at(bundle.to_path_buf());
    if !c.paths().config().exists() {
        // `rm -f` took the bundle away, and released its volumes itself.
        return Ok(0);
    }
    let id = c.id()?;
    let mut status = 0;
    for name in volumes(&c)? {
        if let Err(e) = localvol::release(root, &name, &id) {
            eprintln!("rvol-mount: volume {name}: {e}");
            status = 1;
        }
    }
    Ok(status)
}

/// A volume subpath (`--mount ...,volume-subpath=SUB`: the spec's source
/// is `<_data>/SUB`) must exist, now that the volume is mounted, and stay
/// inside the volume (moby's safepath.Join, in its words).
fn check_subpaths(root: &Root, c: &Container) -> Result<()> {
    let spec = c.spec()?;
    for m in spec["mounts"].as_array().into_iter().flatten() {
        let Some(src) = m["source"].as_str() else {
            continue;
        };
        let Some((name, sub)) = subpath_of(root, src) else {
            continue;
        };
        let data = root.volume_data(name);
        check_subpath(&data, sub)?;
    }
    Ok(())
}

/// `<root>/volumes/NAME/_data/SUB` -> (NAME, SUB).
fn subpath_of<'a>(root: &Root, src: &'a str) -> Option<(&'a str, &'a str)> {
    let vols = root.volumes();
    let rest = src.strip_prefix(vols.to_str()?)?.strip_prefix('/')?;
    let (name, rest) = rest.split_once('/')?;
    let sub = rest.strip_prefix("_data/")?;
    (!sub.is_empty()).then_some((name, sub))
}

/// SUB resolved beneath `data`: missing is `cannot access path`, leaving
/// the volume (a `..` or a symlink out) `path concatenation escapes the
/// base directory`.
pub fn check_subpath(data: &Path, sub: &str) -> Result<()> {
    let base = std::fs::File::open(data).map_err(|e| {
        Error::new(format!(
            "cannot access path {}: {}",
            data.display(),
            go_text(&e)
        ))
    })?;
    let c = std::ffi::CString::new(sub).map_err(|_| Error::new("subpath contains a NUL byte"))?;
    use std::os::fd::AsRawFd;
    match inroot::open_at(base.as_raw_fd(), &c, libc::O_PATH, inroot::Mounts::Beneath) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            Err(Error::new("path concatenation escapes the base directory"))
        }
        Err(e) => Err(Error::new(format!(
            "cannot access path {}/{sub}: {}",
            data.display(),
            go_text(&e)
        ))),
    }
}

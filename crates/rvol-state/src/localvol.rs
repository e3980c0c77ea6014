//! Docker's local volume driver, beyond a directory: a volume created
//! with `-o type= -o device= -o o=` is a mount made on its `_data` when a
//! container using it starts and undone when the last such container has
//! ended (moby's volume/local/local_unix.go; docs/docker-behaviour.md §14).
//!
//! There is no daemon to keep a count, so the count is on disk: each
//! container that starts with the volume leaves a marker,
//! `volumes/<name>/.users/<container id>`, holding the pid of its rvol-ns
//! (the process that lives exactly as long as the container and runs its
//! hooks). A marker whose process is gone (kill -9 of rvol-ns) counts for
//! nothing, by the same rule `state.json` is read with
//! (`process::runs`: the pid is there and started before the marker was
//! written). Every decision is taken under `volumes/<name>.lock`: mount
//! when the first user comes, unmount when no live marker is left, and
//! [`settle`], which the commands that touch a volume call, undoes a mount
//! whose users all died.

use std::path::{Path, PathBuf};

use nix::mount::MntFlags;
use serde_json::{Map, Value};

use crate::fsx::{self, Lock};
use crate::record::VolumeRecord;
use crate::{mountopt, process, Error, Result, ResultExt, Root};

/// The options `volume create -o` takes (Engine 20.10's validOpts).
const VALID: [&str; 4] = ["type", "o", "device", "size"];

/// Docker's validateOpts, in its words: an unknown key, a quota size (no
/// quota support here, as docker's on a filesystem without project
/// quotas), then the options each option needs. `name` is the volume's,
/// for docker's `create NAME: ` prefix.
pub fn validate(name: &str, opts: &Map<String, Value>) -> Result<()> {
    let fail = |why: String| Err(Error::new(format!("create {name}: {why}")));
    let mut keys: Vec<&String> = opts.keys().collect();
    keys.sort();
    if let Some(k) = keys.iter().find(|k| !VALID.contains(&k.as_str())) {
        return fail(format!("invalid option: {k:?}"));
    }
    if opts.contains_key("size") {
        return fail("quota size requested but no quota support".into());
    }
    if crate::rootless::active() && (opts.contains_key("type") || opts.contains_key("device")) {
        return fail(
            "rootless: a volume with type/device options is mounted on the host, which only \
             root can do (README, \"Rootless\")"
                .into(),
        );
    }
    // moby's mandatoryOpts; Go's map order is random, this one is fixed.
    for (opt, needs) in [
        ("device", &["type"][..]),
        ("type", &["device"][..]),
        ("o", &["device", "type"][..]),
    ] {
        if opts.contains_key(opt) {
            if let Some(n) = needs.iter().find(|n| !opts.contains_key(**n)) {
                return fail(format!("missing required option: {n:?}"));
            }
        }
    }
    Ok(())
}

/// The volume's options say it is mounted while in use (moby's needsMount).
pub fn needs_mount(rec: &VolumeRecord) -> bool {
    ["device", "type"].iter().any(|k| {
        rec.options
            .get(*k)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    })
}

fn opt<'a>(rec: &'a VolumeRecord, key: &str) -> &'a str {
    rec.options.get(key).and_then(Value::as_str).unwrap_or("")
}

pub fn record(root: &Root, name: &str) -> Option<VolumeRecord> {
    fsx::read_json(&root.volume(name).join("volume.json")).ok()
}

/// `path` is the root of a mount (statx's STATX_ATTR_MOUNT_ROOT): a bind
/// of a directory on the same filesystem has the same st_dev, so the
/// device number cannot tell.
pub fn is_mounted(path: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: statx into a zeroed buffer of the right type.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and buffer.
    let r = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
            0,
            &mut stx,
        )
    };
    r == 0
        && stx.stx_attributes_mask & libc::STATX_ATTR_MOUNT_ROOT as u64 != 0
        && stx.stx_attributes & libc::STATX_ATTR_MOUNT_ROOT as u64 != 0
}

fn users_dir(root: &Root, name: &str) -> PathBuf {
    root.volume(name).join(".users")
}

fn lock(root: &Root, name: &str) -> Result<Lock> {
    Lock::exclusive(&root.volumes().join(format!("{name}.lock")))
}

/// The containers whose markers are live; dead markers are removed.
/// The caller holds the lock.
fn live_users(root: &Root, name: &str) -> Vec<String> {
    let dir = users_dir(root, name);
    let mut live = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return live;
    };
    for e in rd.flatten() {
        let pid: i32 = std::fs::read_to_string(e.path())
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        if process::runs(pid, &e.path()) {
            live.push(e.file_name().to_string_lossy().into_owned());
        } else {
            let _ = std::fs::remove_file(e.path());
        }
    }
    live
}

/// The mount(2) of the volume's options on its `_data`, with docker's
/// address handling for nfs and cifs and its error texts.
fn mount(root: &Root, name: &str, rec: &VolumeRecord) -> Result<()> {
    let data = root.volume_data(name);
    let wrap = |why: String| {
        Error::new(format!(
            "error while mounting volume '{}': {why}",
            data.display()
        ))
    };
    let device = opt(rec, "device");
    if device.is_empty() {
        return Err(wrap("missing device in volume options".into()));
    }
    let fstype = opt(rec, "type");
    let mut o = opt(rec, "o").to_string();
    if fstype == "nfs" {
        o = resolve_addr(&o).map_err(wrap)?;
    }
    // moby/sys/mount's ParseOptions: flag names become flags, the rest data.
    let parsed = mountopt::parse(o.split(',').filter(|s| !s.is_empty()));
    let mut flags = parsed.flags;
    if let Some(p) = parsed.propagation {
        flags |= p;
    }
    let r = nix::mount::mount(
        Some(device),
        &data,
        Some(fstype).filter(|t| !t.is_empty()),
        flags,
        Some(parsed.data.as_str()).filter(|d| !d.is_empty()),
    );
    r.map_err(|e| {
        // moby/sys/mount's mountError text, flags and data only when set.
        let mut what = format!("mount {device}:{}", data.display());
        if !flags.is_empty() {
            what.push_str(&format!(", flags: {:#x}", flags.bits()));
        }
        if !parsed.data.is_empty() {
            what.push_str(&format!(", data: {}", parsed.data));
        }
        wrap(format!(
            "failed to mount local volume: {what}: {}",
            crate::error::go_text(&std::io::Error::from(e))
        ))
    })
}

/// Engine 20.10, for nfs: an `addr=` that is not an IPv4 address is
/// looked up and replaced by the first address found.
fn resolve_addr(o: &str) -> std::result::Result<String, String> {
    let Some(addr) = o
        .split(',')
        .find_map(|kv| kv.strip_prefix("addr="))
        .filter(|a| !a.is_empty())
    else {
        return Ok(o.to_string());
    };
    if addr.parse::<std::net::Ipv4Addr>().is_ok() {
        return Ok(o.to_string());
    }
    use std::net::ToSocketAddrs;
    let ip = (addr, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut it| it.next())
        .map(|s| s.ip())
        .ok_or_else(|| {
            format!("error resolving passed in network volume address: lookup {addr}: no such host")
        })?;
    Ok(o.replacen(&format!("addr={addr}"), &format!("addr={ip}"), 1))
}

/// For create's copy-up into a volume with options, which docker makes
/// into the mounted volume (a bind volume's device dir gets the image's
/// files; a tmpfs one loses them when it is unmounted again): mount it
/// here unless it is, in the caller's own private mount namespace (the
/// image view's), which no other process sees. True when this call
/// mounted it; the caller unmounts it after. The caller holds the lock.
pub fn mount_for_copy(root: &Root, name: &str) -> Result<bool> {
    let Some(rec) = record(root, name).filter(needs_mount) else {
        return Ok(false);
    };
    if is_mounted(&root.volume_data(name)) {
        return Ok(false);
    }
    mount(root, name, &rec)?;
    Ok(true)
}

/// Container `id` (whose rvol-ns is `pid`) starts with the volume: mount
/// it unless a live user has, and count the container in.
pub fn acquire(root: &Root, name: &str, id: &str, pid: i32) -> Result<()> {
    let _l = lock(root, name)?;
    let Some(rec) = record(root, name) else {
        return Ok(());
    };
    if !needs_mount(&rec) {
        return Ok(());
    }
    let data = root.volume_data(name);
    let live = live_users(root, name);
    let mounted = is_mounted(&data);
    if mounted && live.is_empty() {
        // Left by users that all died: theirs, not ours to reuse blindly
        // (a tmpfs volume starts empty, as docker's after a restart).
        unmount(&data)?;
    }
    if !mounted || live.is_empty() {
        mount(root, name, &rec)?;
    }
    let dir = users_dir(root, name);
    std::fs::create_dir_all(&dir).with_ctx(|| format!("mkdir {}", dir.display()))?;
    let r = fsx::write_atomic_unsynced(&dir.join(id), pid.to_string().as_bytes());
    if r.is_err() && live.is_empty() {
        let _ = unmount(&data);
    }
    r
}

/// Container `id` has ended: count it out, and unmount when it was the
/// last live user.
pub fn release(root: &Root, name: &str, id: &str) -> Result<()> {
    if !users_dir(root, name).exists() && !is_mounted(&root.volume_data(name)) {
        return Ok(()); // never mounted: no lock taken
    }
    let _l = lock(root, name)?;
    let _ = std::fs::remove_file(users_dir(root, name).join(id));
    settle_locked(root, name)
}

/// Undo a mount no live container uses (its users were killed). Every
/// rvol command that touches the volume calls this first.
pub fn settle(root: &Root, name: &str) -> Result<()> {
    if !users_dir(root, name).exists() && !is_mounted(&root.volume_data(name)) {
        return Ok(()); // never mounted: no lock taken
    }
    let _l = lock(root, name)?;
    settle_locked(root, name)
}

/// [`settle`] with the lock already held.
pub fn settle_locked(root: &Root, name: &str) -> Result<()> {
    let data = root.volume_data(name);
    if live_users(root, name).is_empty() && is_mounted(&data) {
        unmount(&data)?;
    }
    Ok(())
}

/// Detached, as moby's mount.Unmount: a host process with its cwd inside
/// does not keep the volume mounted.
pub fn unmount(path: &Path) -> Result<()> {
    match nix::mount::umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::Error::EINVAL) => Ok(()),
        Err(e) => Err(Error::new(format!(
            "unmount {}: {}",
            path.display(),
            e.desc()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(kv: &[(&str, &str)]) -> Map<String, Value> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    }

    #[test]
    fn docker_texts_for_bad_options() {
        let e = |kv: &[(&str, &str)]| validate("x", &opts(kv)).unwrap_err().msg;
        assert_eq!(e(&[("bogus", "1")]), "create x: invalid option: \"bogus\"");
        assert_eq!(
            e(&[("size", "1m")]),
            "create x: quota size requested but no quota support"
        );
        assert_eq!(
            e(&[("type", "tmpfs")]),
            "create x: missing required option: \"device\""
        );
        assert_eq!(
            e(&[("device", "tmpfs")]),
            "create x: missing required option: \"type\""
        );
        assert!(validate("x", &opts(&[("type", "tmpfs"), ("device", "tmpfs")])).is_ok());
    }

    #[test]
    fn addr_is_kept_when_ipv4() {
        assert_eq!(
            resolve_addr("addr=10.0.0.1,rw").unwrap(),
            "addr=10.0.0.1,rw"
        );
        assert!(resolve_addr("addr=nosuch.invalid")
            .unwrap_err()
            .contains("error resolving passed in network volume address"));
    }
}

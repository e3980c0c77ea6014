//! Container names: docker's rules, docker's Conflict text, the
//! `names/<name>` symlink that takes a name atomically, and a random
//! `adjective_surname` name when none is given (as docker's generator).

use std::path::Path;

use rvol_state::{Error, Result, ResultExt, Root};

const LEFT: [&str; 24] = [
    "admiring",
    "bold",
    "brave",
    "clever",
    "eager",
    "elegant",
    "festive",
    "focused",
    "gallant",
    "happy",
    "jolly",
    "keen",
    "loving",
    "modest",
    "nifty",
    "optimistic",
    "quirky",
    "relaxed",
    "serene",
    "sharp",
    "stoic",
    "tender",
    "vibrant",
    "zealous",
];
const RIGHT: [&str; 24] = [
    "albattani",
    "babbage",
    "bohr",
    "curie",
    "darwin",
    "einstein",
    "euclid",
    "fermi",
    "galileo",
    "hopper",
    "hypatia",
    "kepler",
    "lamarr",
    "lovelace",
    "meitner",
    "newton",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "torvalds",
    "turing",
    "wozniak",
];

/// A name as docker accepts it (a leading `/` is dropped).
pub fn check(name: &str) -> Result<String> {
    let n = name.strip_prefix('/').unwrap_or(name);
    if !crate::mountspec::valid_name(n) {
        return Err(Error::new(format!(
            "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    Ok(n.to_string())
}

fn conflict(name: &str, id: &str) -> Error {
    Error::new(format!("Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."))
}

/// The id that holds `name`, if a live container (or one being made) does.
pub fn holder(root: &Root, name: &str) -> Option<String> {
    let id = std::fs::read_link(root.names().join(name)).ok()?;
    let id = id.to_string_lossy().into_owned();
    let live = root.container(&id).exists()
        || being_created(&root.containers().join(format!(".tmp-{id}")));
    live.then_some(id)
}

/// flock a temp bundle for as long as its create runs.
pub fn lock_creating(tmp: &Path) -> Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(tmp).with_ctx(|| format!("open {}", tmp.display()))?;
    // SAFETY: flock on an fd we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error()).with_ctx(|| format!("lock {}", tmp.display()));
    }
    Ok(f)
}

/// Remove the temp bundles of creates that died, and what a removal left
/// when its deleter (`rm --background`) died: `.rm-*` bundles and volumes.
/// Nobody holds their lock.
pub fn sweep_dead_creates(root: &Root) {
    for (dir, prefixes) in [
        (root.containers(), &[".tmp-", ".rm-"][..]),
        (root.volumes(), &[".rm-"][..]),
    ] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.flatten() {
            let n = e.file_name();
            let n = n.to_string_lossy();
            let dead = if n.starts_with(".new-") {
                // `.new-<id>-<pid>`, before its create locks it: swept once
                // that process is gone.
                n.rsplit('-')
                    .next()
                    .and_then(|p| p.parse::<i32>().ok())
                    .is_some_and(|pid| !rvol_state::process::exists(pid))
            } else {
                prefixes.iter().any(|p| n.starts_with(p)) && !being_created(&e.path())
            };
            if dead {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// A temp bundle whose create still runs (holds its lock); one left by a
/// create killed half way (kill -9) does not keep its name taken.
fn being_created(tmp: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(f) = std::fs::File::open(tmp) else {
        return false;
    };
    // SAFETY: flock on an fd we own; released when `f` closes.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
}

/// Fail now if the name is taken (the link made later decides a race).
pub fn check_free(root: &Root, name: &str) -> Result<()> {
    match holder(root, name) {
        Some(id) => Err(conflict(name, &id)),
        None => Ok(()),
    }
}

/// Take `name` for `id` with symlink(2); a stale link (its container
/// gone) is replaced.
pub fn take(root: &Root, name: &str, id: &str) -> Result<()> {
    let dir = root.names();
    std::fs::create_dir_all(&dir).with_ctx(|| format!("mkdir {}", dir.display()))?;
    let link = dir.join(name);
    for _ in 0..3 {
        match std::os::unix::fs::symlink(id, &link) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Some(other) = holder(root, name) {
                    return Err(conflict(name, &other));
                }
                remove_stale(&link);
            }
            Err(e) => return Err(Error::new(format!("name link {}: {e}", link.display()))),
        }
    }
    Err(Error::new(format!(
        "name link {}: keeps changing",
        link.display()
    )))
}

fn remove_stale(link: &Path) {
    let _ = std::fs::remove_file(link);
}

/// Release `name` if it points at `id`.
pub fn release(root: &Root, name: &str, id: &str) {
    let link = root.names().join(name);
    if std::fs::read_link(&link).is_ok_and(|t| t.as_os_str() == id) {
        let _ = std::fs::remove_file(link);
    }
}

/// A free random name.
pub fn random(root: &Root, id: &str) -> String {
    let bytes: Vec<u8> = (0..8)
        .map(|i| u8::from_str_radix(&id[i * 2..i * 2 + 2], 16).unwrap_or(0))
        .collect();
    for n in 0..LEFT.len() * RIGHT.len() {
        let l = (bytes[0] as usize + n) % LEFT.len();
        let r = (bytes[1] as usize + n / LEFT.len()) % RIGHT.len();
        let name = format!("{}_{}", LEFT[l], RIGHT[r]);
        if holder(root, &name).is_none() {
            return name;
        }
    }
    format!("rvol_{}", &id[..12])
}

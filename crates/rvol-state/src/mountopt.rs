//! Mount options, once: the names `-v`/`--tmpfs`/the OCI spec use, the
//! mount(2) flags each stands for (moby's `mount.flags`, runc's table),
//! docker's default tmpfs options and its merge of them with the user's.
//! rvol-mount create normalises with it, apply turns the spec's options
//! into flags with it, rvol-exec reads a mount's flags back with it.

use nix::mount::MsFlags;
use nix::sys::statvfs::FsFlags;

use crate::{Error, Result};

/// What one option name does to a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Sets these flags (`ro`, `nosuid`, `rbind`...).
    Set(MsFlags),
    /// Clears these flags (`rw`, `suid`, `exec`...).
    Clear(MsFlags),
    /// A propagation change, made by a mount(2) of its own after the mount.
    Propagation(MsFlags),
    /// `defaults`: nothing.
    None,
}

impl Effect {
    /// The flags the option is about, whether it sets or clears them: two
    /// options with the same class override each other (`exec` after the
    /// default `noexec`). Every propagation option is one class.
    fn class(self) -> MsFlags {
        match self {
            Effect::Set(f) | Effect::Clear(f) => f - MsFlags::MS_REC,
            Effect::Propagation(_) => MsFlags::MS_PRIVATE,
            Effect::None => MsFlags::empty(),
        }
    }
}

const REC: MsFlags = MsFlags::MS_REC;

/// Every flag option, as moby's `mount.flags` lists them (what a tmpfs
/// option may carry besides its data keys) and runc applies them.
pub const FLAGS: &[(&str, Effect)] = &[
    ("defaults", Effect::None),
    ("ro", Effect::Set(MsFlags::MS_RDONLY)),
    ("rw", Effect::Clear(MsFlags::MS_RDONLY)),
    ("suid", Effect::Clear(MsFlags::MS_NOSUID)),
    ("nosuid", Effect::Set(MsFlags::MS_NOSUID)),
    ("dev", Effect::Clear(MsFlags::MS_NODEV)),
    ("nodev", Effect::Set(MsFlags::MS_NODEV)),
    ("exec", Effect::Clear(MsFlags::MS_NOEXEC)),
    ("noexec", Effect::Set(MsFlags::MS_NOEXEC)),
    ("sync", Effect::Set(MsFlags::MS_SYNCHRONOUS)),
    ("async", Effect::Clear(MsFlags::MS_SYNCHRONOUS)),
    ("dirsync", Effect::Set(MsFlags::MS_DIRSYNC)),
    ("remount", Effect::Set(MsFlags::MS_REMOUNT)),
    ("mand", Effect::Set(MsFlags::MS_MANDLOCK)),
    ("nomand", Effect::Clear(MsFlags::MS_MANDLOCK)),
    ("atime", Effect::Clear(MsFlags::MS_NOATIME)),
    ("noatime", Effect::Set(MsFlags::MS_NOATIME)),
    ("diratime", Effect::Clear(MsFlags::MS_NODIRATIME)),
    ("nodiratime", Effect::Set(MsFlags::MS_NODIRATIME)),
    ("bind", Effect::Set(MsFlags::MS_BIND)),
    ("rbind", Effect::Set(MsFlags::MS_BIND.union(REC))),
    ("unbindable", Effect::Propagation(MsFlags::MS_UNBINDABLE)),
    (
        "runbindable",
        Effect::Propagation(MsFlags::MS_UNBINDABLE.union(REC)),
    ),
    ("private", Effect::Propagation(MsFlags::MS_PRIVATE)),
    (
        "rprivate",
        Effect::Propagation(MsFlags::MS_PRIVATE.union(REC)),
    ),
    ("shared", Effect::Propagation(MsFlags::MS_SHARED)),
    (
        "rshared",
        Effect::Propagation(MsFlags::MS_SHARED.union(REC)),
    ),
    ("slave", Effect::Propagation(MsFlags::MS_SLAVE)),
    ("rslave", Effect::Propagation(MsFlags::MS_SLAVE.union(REC))),
    ("relatime", Effect::Set(MsFlags::MS_RELATIME)),
    ("norelatime", Effect::Clear(MsFlags::MS_RELATIME)),
    ("strictatime", Effect::Set(MsFlags::MS_STRICTATIME)),
    ("nostrictatime", Effect::Clear(MsFlags::MS_STRICTATIME)),
];

/// The effect of a flag option; `None` for a data option (`size=1m`).
pub fn flag(name: &str) -> Option<Effect> {
    FLAGS.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

/// The flags of a propagation option (`rslave`, `unbindable`...), runc's
/// names for `linux.rootfsPropagation` too.
pub fn propagation(name: &str) -> Option<MsFlags> {
    match flag(name) {
        Some(Effect::Propagation(f)) => Some(f),
        _ => None,
    }
}

/// Propagation names as docker accepts them in a mode (`-v a:b:rslave`,
/// `bind-propagation=`): the table's, without the unbindable ones.
pub const PROPAGATIONS: [&str; 6] = [
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

/// A list of options as one mount(2) takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The flags, later options winning over earlier ones.
    pub flags: MsFlags,
    /// The last propagation option, if any.
    pub propagation: Option<MsFlags>,
    /// Data options (`size=1m`, `mode=700`), comma-joined.
    pub data: String,
}

impl Parsed {
    pub fn readonly(&self) -> bool {
        self.flags.contains(MsFlags::MS_RDONLY)
    }
}

/// Options as the kernel is to get them.
pub fn parse<'a>(options: impl IntoIterator<Item = &'a str>) -> Parsed {
    let mut p = Parsed {
        flags: MsFlags::empty(),
        propagation: None,
        data: String::new(),
    };
    for o in options {
        match flag(o) {
            Some(Effect::Set(f)) => p.flags |= f,
            Some(Effect::Clear(f)) => p.flags -= f,
            Some(Effect::Propagation(f)) => p.propagation = Some(f),
            Some(Effect::None) => {}
            None => {
                if !p.data.is_empty() {
                    p.data.push(',');
                }
                p.data.push_str(o);
            }
        }
    }
    p
}

/// Docker's options for every tmpfs (`--tmpfs`, `--mount type=tmpfs`)
/// before the user's own.
pub const DOCKER_TMPFS: [&str; 4] = ["rw", "nosuid", "nodev", "noexec"];

/// The data keys tmpfs takes (moby's `MergeTmpfsOptions`).
const TMPFS_DATA: [&str; 7] = [
    "size",
    "mode",
    "uid",
    "gid",
    "nr_inodes",
    "nr_blocks",
    "mpol",
];

/// A tmpfs' full option list: docker's defaults, then `user` (a comma
/// list, as after `--tmpfs DST:`), merged; refused as docker refuses it.
pub fn tmpfs_options(user: &str) -> Result<Vec<String>> {
    let all: Vec<&str> = DOCKER_TMPFS
        .iter()
        .copied()
        .chain(user.split(',').filter(|o| !o.is_empty()))
        .collect();
    merge_tmpfs_options(&all)
}

/// moby's `MergeTmpfsOptions`: later options win (`exec` beats the
/// default `noexec`); data keys limited to tmpfs' own.
pub fn merge_tmpfs_options<S: AsRef<str>>(options: &[S]) -> Result<Vec<String>> {
    let mut seen_flags: Vec<MsFlags> = Vec::new();
    let mut seen_data: Vec<&str> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for opt in options.iter().rev().map(AsRef::as_ref) {
        if let Some(effect) = flag(opt) {
            if effect == Effect::None {
                continue;
            }
            let class = effect.class();
            if !seen_flags.contains(&class) {
                out.insert(0, opt.to_string());
                seen_flags.push(class);
            }
            continue;
        }
        match opt.split_once('=') {
            // The kernel would wrap a size past u64 or read `-1` as 0
            // (unlimited): refuse it here, before anything is made.
            Some(("size", v)) if !tmpfs_size_ok(v) => {
                return Err(Error::new(format!(
                    "invalid tmpfs option [\"size\" {v:?}]: not a size in bytes (N[k|m|g|t|p|e|%])"
                )));
            }
            Some((k, _)) if TMPFS_DATA.contains(&k) => {
                if !seen_data.contains(&k) {
                    out.insert(0, opt.to_string());
                    seen_data.push(k);
                }
            }
            _ => {
                let parts: Vec<String> = opt.splitn(2, '=').map(|p| format!("{p:?}")).collect();
                return Err(Error::new(format!(
                    "invalid tmpfs option [{}]",
                    parts.join(" ")
                )));
            }
        }
    }
    Ok(out)
}

/// A tmpfs `size=` the kernel reads as written: decimal digits, then at most
/// one k/m/g/t/p/e suffix or `%`, within 64 bits.
fn tmpfs_size_ok(v: &str) -> bool {
    let (num, shift) = match v.char_indices().last() {
        Some((i, c)) if !c.is_ascii_digit() => {
            let shift = match c.to_ascii_lowercase() {
                'k' => 10,
                'm' => 20,
                'g' => 30,
                't' => 40,
                'p' => 50,
                'e' => 60,
                '%' => 0,
                _ => return false,
            };
            (&v[..i], shift)
        }
        _ => (v, 0),
    };
    !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit())
        && num
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(1u64 << shift))
            .is_some()
}

/// A mount's per-mount flags as statvfs(2) reports them, as mount(2)
/// wants them back in a remount (one that drops a flag the kernel
/// locked, e.g. nosuid on a bind from an unprivileged mount, fails).
pub fn from_statvfs(f: FsFlags) -> MsFlags {
    let mut m = MsFlags::empty();
    for (s, ms) in [
        (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if f.contains(s) {
            m |= ms;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_options_win() {
        let p = parse([
            "ro", "nosuid", "rw", "size=1m", "rbind", "rslave", "mode=700",
        ]);
        assert_eq!(
            p.flags,
            MsFlags::MS_NOSUID | MsFlags::MS_BIND | MsFlags::MS_REC
        );
        assert_eq!(p.propagation, Some(MsFlags::MS_SLAVE | MsFlags::MS_REC));
        assert_eq!(p.data, "size=1m,mode=700");
        assert!(!p.readonly());
    }

    #[test]
    fn tmpfs_merge() {
        assert_eq!(
            tmpfs_options("exec,size=1m,size=2m").unwrap(),
            ["rw", "nosuid", "nodev", "exec", "size=2m"]
        );
        assert_eq!(tmpfs_options("").unwrap(), DOCKER_TMPFS);
        assert_eq!(
            merge_tmpfs_options(&["private", "rslave", "bind", "rbind"]).unwrap(),
            ["rslave", "rbind"]
        );
        assert_eq!(
            merge_tmpfs_options(&["foo=bar"]).err().unwrap().msg,
            "invalid tmpfs option [\"foo\" \"bar\"]"
        );
        assert!(tmpfs_options("size=-1").is_err());
        assert!(tmpfs_options("size=99999999999e").is_err());
    }
}

//! Linux capabilities by name, as docker and the OCI spec write them
//! (`CAP_CHOWN`), and docker's rules for a container's set
//! (docs/docker-behaviour.md §13): its default list, `--cap-add` /
//! `--cap-drop` normalised and applied as moby's oci/caps TweakCapabilities
//! does. rvol-mount create writes the result into the spec's
//! `process.capabilities`; rvol-exec turns the names back into numbers.

/// Every capability the kernel headers name, by number (capability.h).
pub const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Docker 20.10 knows the capabilities up to CAP_AUDIT_READ only (moby's
/// oci/caps: newer ones are held back for older runcs): `--cap-add
/// PERFMON` is an unknown capability, and `ALL` stops there.
const DOCKER_LAST: usize = 37;

/// moby's oci/caps DefaultCapabilities, in its order.
pub const DOCKER_DEFAULT: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// The number of a capability name (`CAP_CHOWN` -> 0), any the kernel
/// headers know.
pub fn number(name: &str) -> Option<u32> {
    NAMES.iter().position(|n| *n == name).map(|i| i as u32)
}

/// A set of names as a bit mask; names not known are left out.
pub fn mask(names: &[String]) -> u64 {
    names
        .iter()
        .filter_map(|n| number(n))
        .fold(0, |m, c| m | 1 << c)
}

fn docker_all() -> impl Iterator<Item = &'static str> {
    NAMES[..=DOCKER_LAST].iter().copied()
}

/// What docker's client sends (its normalizeCapabilities: upper case,
/// `CAP_` added when missing, `ALL` kept, each once, sorted) and the
/// daemon then checks (NormalizeLegacyCapabilities): an unknown one is
/// docker's `unknown capability: "CAP_X"`.
pub fn normalize(list: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = list
        .iter()
        .map(|c| {
            let c = c.to_uppercase();
            if c == "ALL" || c.starts_with("CAP_") {
                c
            } else {
                format!("CAP_{c}")
            }
        })
        .collect();
    out.sort();
    out.dedup();
    match out
        .iter()
        .find(|c| *c != "ALL" && !docker_all().any(|n| n == *c))
    {
        Some(c) => Err(format!("unknown capability: {c:?}")),
        None => Ok(out),
    }
}

/// moby's TweakCapabilities over docker's default set, with `adds` and
/// `drops` already normalised: `--cap-add ALL` is every capability but
/// the dropped ones; else `--cap-drop ALL` keeps only the added ones; else
/// the defaults less the dropped, then the added.
pub fn tweak(adds: &[String], drops: &[String]) -> Vec<String> {
    let has_all = |l: &[String]| l.iter().any(|c| c == "ALL");
    if adds.is_empty() && drops.is_empty() {
        return DOCKER_DEFAULT.iter().map(|c| c.to_string()).collect();
    }
    let mut caps: Vec<String> = if has_all(adds) {
        docker_all()
            .filter(|c| !drops.iter().any(|d| d == c))
            .map(str::to_owned)
            .collect()
    } else if has_all(drops) {
        adds.to_vec()
    } else {
        DOCKER_DEFAULT
            .iter()
            .filter(|c| !drops.iter().any(|d| d == *c))
            .map(|c| c.to_string())
            .chain(adds.iter().cloned())
            .collect()
    };
    // The same name twice is one capability (the kernel's set is a mask).
    let mut seen = Vec::new();
    caps.retain(|c| {
        let new = !seen.contains(c);
        seen.push(c.clone());
        new
    });
    caps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn default_mask_is_dockers() {
        assert_eq!(mask(&s(&DOCKER_DEFAULT)), 0xa80425fb);
    }

    #[test]
    fn normalize_as_docker() {
        assert_eq!(
            normalize(&s(&["net_admin", "CAP_chown", "all", "chown"])).unwrap(),
            s(&["ALL", "CAP_CHOWN", "CAP_NET_ADMIN"])
        );
        assert_eq!(
            normalize(&s(&["NOT_A_CAP"])).unwrap_err(),
            r#"unknown capability: "CAP_NOT_A_CAP""#
        );
        assert!(normalize(&s(&["perfmon"])).is_err());
    }

    #[test]
    fn tweak_as_docker() {
        // checked against docker 20.10: CapBnd of each
        let m = |a: &[&str], d: &[&str]| mask(&tweak(&s(a), &s(d)));
        assert_eq!(m(&["CAP_NET_ADMIN"], &["ALL"]), 0x1000);
        assert_eq!(m(&[], &["CAP_CHOWN", "CAP_KILL"]), 0xa80425da);
        assert_eq!(m(&["CAP_CHOWN"], &["CAP_CHOWN"]), 0xa80425fb);
        assert_eq!(m(&["ALL"], &["CAP_SYS_RESOURCE"]), 0x3ffeffffff);
        assert_eq!(m(&["ALL"], &["ALL"]), 0x3fffffffff);
        assert_eq!(m(&[], &["ALL"]), 0);
    }
}

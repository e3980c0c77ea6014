//! A Docker seccomp profile (moby's JSON format: profiles/seccomp/default.json,
//! or the file of `--security-opt seccomp=FILE`) turned into the OCI spec's
//! `linux.seccomp` for one container, as moby 20.10's setupSeccomp does:
//! the arch's entry of `archMap` (with its sub-arches) gives the
//! architectures; a rule is kept when its `includes` hold and its
//! `excludes` do not, for this arch (Go's GOARCH names), the container's
//! bounding set and the host kernel's version. The rest is generic:
//! capabilities open syscalls by rule (CAP_SYS_ADMIN: mount, unshare, ...).

use rvol_state::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};

/// Docker's default profile (profiles/seccomp/README.md: its origin).
pub const DEFAULT: &str = include_str!("../../../profiles/seccomp/default.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[serde(default)]
    default_action: String,
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    arch_map: Vec<ArchMap>,
    #[serde(default)]
    syscalls: Vec<Syscall>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMap {
    architecture: String,
    #[serde(default)]
    sub_architectures: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Syscall {
    #[serde(default)]
    name: String,
    #[serde(default)]
    names: Vec<String>,
    action: String,
    errno_ret: Option<u32>,
    #[serde(default)]
    args: Option<Vec<Value>>,
    #[serde(default)]
    includes: Filter,
    #[serde(default)]
    excludes: Filter,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Filter {
    #[serde(default)]
    caps: Vec<String>,
    #[serde(default)]
    arches: Vec<String>,
    min_kernel: Option<String>,
}

/// Go's GOARCH as libseccomp names it, and the SCMP_ARCH_ of this build.
fn this_arch() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("amd64", "SCMP_ARCH_X86_64"),
        "x86" => ("x86", "SCMP_ARCH_X86"),
        "aarch64" => ("arm64", "SCMP_ARCH_AARCH64"),
        "arm" => ("arm", "SCMP_ARCH_ARM"),
        "powerpc64" => ("ppc64le", "SCMP_ARCH_PPC64LE"),
        "s390x" => ("s390x", "SCMP_ARCH_S390X"),
        "riscv64" => ("riscv64", "SCMP_ARCH_RISCV64"),
        other => (other, ""),
    }
}

/// `"<kernel>.<major>"` as moby's KernelVersion reads it.
fn parse_version(v: &str) -> Result<(u64, u64)> {
    let bad = |why: &str| {
        Error::new(format!(
            "Decoding seccomp profile failed: invalid kernel version: {v:?}, expected \"<kernel>.<major>\"{why}"
        ))
    };
    let (k, m) = v.split_once('.').ok_or_else(|| bad(""))?;
    let k: u64 = k.parse().map_err(|_| bad(""))?;
    let m: u64 = m.parse().map_err(|_| bad(""))?;
    if k == 0 && m == 0 {
        return Err(bad(": version cannot be 0.0"));
    }
    Ok((k, m))
}

/// The host's `uname -r`, its first two numbers (3.12.25-gentoo is 3.12).
fn kernel_version() -> Result<(u64, u64)> {
    let release = nix::sys::utsname::uname()
        .map_err(|e| Error::new(format!("uname: {e}")))?
        .release()
        .to_string_lossy()
        .into_owned();
    let mut nums = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u64>());
    match (nums.next(), nums.next()) {
        (Some(Ok(k)), Some(Ok(m))) => Ok((k, m)),
        _ => Err(Error::new(format!(
            "failed to parse kernel version {release:?}"
        ))),
    }
}

/// `body` (a profile's JSON) for a container whose bounding set is
/// `bounding`; None when it disables seccomp (no default action and no
/// syscalls, moby's rule).
pub fn to_oci(body: &str, bounding: &[String]) -> Result<Option<Value>> {
    let p: Profile = serde_json::from_str(body)
        .map_err(|e| Error::new(format!("Decoding seccomp profile failed: {e}")))?;
    if p.default_action.is_empty() && p.syscalls.is_empty() {
        return Ok(None);
    }
    if !p.architectures.is_empty() && !p.arch_map.is_empty() {
        return Err(Error::new(
            "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'",
        ));
    }
    let (arch, scmp_arch) = this_arch();
    let mut arches = p.architectures.clone();
    if let Some(m) = p.arch_map.iter().find(|m| m.architecture == scmp_arch) {
        arches.push(m.architecture.clone());
        arches.extend(m.sub_architectures.iter().cloned());
    }
    let has = |c: &String| bounding.contains(c);
    let kernel = std::cell::OnceCell::new();
    let at_least = |v: &str| -> Result<bool> {
        let want = parse_version(v)?;
        let have = match kernel.get() {
            Some(k) => *k,
            None => *kernel.get_or_init(|| kernel_version().unwrap_or((0, 0))),
        };
        Ok(have >= want)
    };
    let mut syscalls = Vec::new();
    for call in &p.syscalls {
        let ex = &call.excludes;
        let inc = &call.includes;
        if ex.arches.iter().any(|a| a == arch)
            || ex.caps.iter().any(has)
            || matches!(&ex.min_kernel, Some(v) if !v.is_empty() && at_least(v)?)
            || (!inc.arches.is_empty() && !inc.arches.iter().any(|a| a == arch))
            || !inc.caps.iter().all(has)
            || matches!(&inc.min_kernel, Some(v) if !v.is_empty() && !at_least(v)?)
        {
            continue;
        }
        if !call.name.is_empty() && !call.names.is_empty() {
            return Err(Error::new(
                "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'",
            ));
        }
        let names = if call.name.is_empty() {
            call.names.clone()
        } else {
            vec![call.name.clone()]
        };
        let mut s = json!({"names": names, "action": call.action});
        if let Some(e) = call.errno_ret {
            s["errnoRet"] = json!(e);
        }
        if let Some(args) = call.args.as_ref().filter(|a| !a.is_empty()) {
            s["args"] = json!(args);
        }
        syscalls.push(s);
    }
    let mut out = json!({"defaultAction": p.default_action});
    if !arches.is_empty() {
        out["architectures"] = json!(arches);
    }
    out["syscalls"] = json!(syscalls);
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Value) -> Vec<String> {
        s["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["names"].as_array().unwrap().clone())
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn capabilities_open_syscalls_by_rule() {
        let default: Vec<String> = rvol_state::caps::DOCKER_DEFAULT
            .iter()
            .map(|c| c.to_string())
            .collect();
        let s = to_oci(DEFAULT, &default).unwrap().unwrap();
        assert_eq!(s["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(
            s["architectures"],
            json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        );
        let n = names(&s);
        assert!(n.contains(&"read".to_string()) && n.contains(&"chroot".to_string()));
        assert!(!n.contains(&"unshare".to_string()) && !n.contains(&"mount".to_string()));
        let mut admin = default.clone();
        admin.push("CAP_SYS_ADMIN".into());
        let n = names(&to_oci(DEFAULT, &admin).unwrap().unwrap());
        assert!(n.contains(&"unshare".to_string()) && n.contains(&"mount".to_string()));
        assert!(to_oci("{}", &default).unwrap().is_none());
        assert!(to_oci("builtin", &default)
            .unwrap_err()
            .msg
            .starts_with("Decoding seccomp profile failed: "));
    }
}

//! `--mount`: the CLI's parse of one key=value list (errors in pflag's
//! wrapping, Go's CSV and bool and size syntax), then the daemon's checks.

use std::collections::BTreeMap;

use rvol_state::{Error, Result};
use serde::Serialize;

use super::{check_target, clean, mount_config, Kind, MountPoint, PROPAGATIONS};

/// Docker's `mount.Mount` as its CLI makes it from one `--mount`: what
/// `HostConfig.Mounts` shows, keys in Go's order, zero values omitted
/// as Go's `omitempty` does (checked against the live daemon).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DockerMountSpec {
    #[serde(rename = "Type")]
    pub kind: String,
    /// As typed, but `.` and `./x` made absolute (the CLI's own rule).
    #[serde(rename = "Source", skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// As typed (not cleaned).
    #[serde(rename = "Target")]
    pub target: String,
    #[serde(rename = "ReadOnly", skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(rename = "Consistency", skip_serializing_if = "String::is_empty")]
    pub consistency: String,
    #[serde(rename = "BindOptions", skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<BindOptions>,
    #[serde(rename = "VolumeOptions", skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<VolumeOptions>,
    #[serde(rename = "TmpfsOptions", skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
}

/// Made by any `bind-*` key.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct BindOptions {
    #[serde(rename = "Propagation", skip_serializing_if = "String::is_empty")]
    pub propagation: String,
}

/// Made by any `volume-*` key; the CLI always gives it a `DriverConfig`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct VolumeOptions {
    #[serde(rename = "NoCopy", skip_serializing_if = "is_false")]
    pub no_copy: bool,
    /// A Go map: marshalled with its keys sorted; a later label wins.
    #[serde(rename = "Labels", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "DriverConfig")]
    pub driver_config: DriverConfig,
    /// Docker 26's `volume-subpath`.
    #[serde(rename = "Subpath", skip_serializing_if = "String::is_empty")]
    pub subpath: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DriverConfig {
    #[serde(rename = "Name", skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `volume-opt=K=V`, a Go map (keys sorted, a later one wins).
    #[serde(rename = "Options", skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// Made by any `tmpfs-*` key.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TmpfsOptions {
    #[serde(rename = "SizeBytes", skip_serializing_if = "is_zero")]
    pub size_bytes: u64,
    /// Go's os.FileMode: a number (`1777` octal prints 1023).
    #[serde(rename = "Mode", skip_serializing_if = "is_zero")]
    pub mode: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One `--mount` value as create uses it (the mount point) and as inspect
/// shows it (`HostConfig.Mounts`).
pub struct MountFlag {
    pub point: MountPoint,
    pub docker: DockerMountSpec,
}

/// One `--mount` value: the CLI's parse (errors in pflag's wrapping),
/// then the daemon's checks (a bind source must exist).
pub fn parse_mount_flag(value: &str) -> Result<MountPoint> {
    parse_mount_value(value).map(|f| f.point)
}

/// [`parse_mount_flag`], with docker's record of the value.
pub fn parse_mount_value(value: &str) -> Result<MountFlag> {
    let cli = |why: String| {
        Error::new(format!(
            "invalid argument \"{value}\" for \"--mount\" flag: {why}"
        ))
    };
    let mut kind = "volume".to_string();
    let (mut source, mut target) = (String::new(), String::new());
    let mut readonly = false;
    let mut propagation: Option<String> = None;
    let (mut volume_opts, mut bind_opts, mut tmpfs_opts) = (false, false, false);
    let mut nocopy = false;
    let mut chown = false;
    let (mut labels, mut driver_opts) = (Vec::new(), Vec::new());
    let mut subpath = String::new();
    let (mut size, mut mode): (Option<u64>, Option<u32>) = (None, None);
    let (mut consistency, mut driver) = (String::new(), String::new());
    for field in csv_fields(value) {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
            None => (field.to_ascii_lowercase(), None),
        };
        let Some(val) = val else {
            match key.as_str() {
                "readonly" | "ro" => readonly = true,
                "volume-nocopy" => {
                    volume_opts = true;
                    nocopy = true
                }
                // Podman's, beyond docker.
                "u" | "chown" => chown = true,
                _ => {
                    return Err(cli(format!(
                        "invalid field '{field}' must be a key=value pair"
                    )))
                }
            }
            continue;
        };
        match key.as_str() {
            "type" => kind = val.to_ascii_lowercase(),
            "source" | "src" => {
                source = val.clone();
                if val == "." || val.starts_with("./") {
                    if let Ok(cwd) = std::env::current_dir() {
                        source = clean(&cwd.join(&val).to_string_lossy());
                    }
                }
            }
            "target" | "dst" | "destination" => target = val,
            "readonly" | "ro" => {
                readonly = parse_bool(&val)
                    .ok_or_else(|| cli(format!("invalid value for {key}: {val}")))?
            }
            "consistency" => consistency = val.to_ascii_lowercase(),
            "bind-propagation" => {
                bind_opts = true;
                propagation = Some(val.to_ascii_lowercase())
            }
            "volume-nocopy" => {
                volume_opts = true;
                nocopy = parse_bool(&val)
                    .ok_or_else(|| cli(format!("invalid value for volume-nocopy: {val}")))?
            }
            "volume-label" => {
                volume_opts = true;
                let (k, v) = val.split_once('=').unwrap_or((&val, ""));
                labels.push((k.to_string(), v.to_string()));
            }
            "volume-opt" => {
                volume_opts = true;
                let (k, v) = val.split_once('=').unwrap_or((&val, ""));
                driver_opts.push((k.to_string(), v.to_string()));
            }
            "volume-subpath" => {
                volume_opts = true;
                subpath = val;
            }
            "u" | "chown" => {
                chown = parse_bool(&val)
                    .ok_or_else(|| cli(format!("invalid value for {key}: {val}")))?
            }
            "volume-driver" => {
                volume_opts = true;
                if val != "local" {
                    return Err(cli(format!(
                        "volume driver {val} is not supported (only local)"
                    )));
                }
                driver = val;
            }
            "tmpfs-size" => {
                tmpfs_opts = true;
                size = Some(
                    ram_in_bytes(&val)
                        .ok_or_else(|| cli(format!("invalid value for {key}: {val}")))?,
                )
            }
            "tmpfs-mode" => {
                tmpfs_opts = true;
                mode = Some(
                    u32::from_str_radix(&val, 8)
                        .map_err(|_| cli(format!("invalid value for {key}: {val}")))?,
                )
            }
            _ => return Err(cli(format!("unexpected key '{key}' in '{field}'"))),
        }
    }
    if kind.is_empty() {
        return Err(cli("type is required".into()));
    }
    if target.is_empty() {
        return Err(cli("target is required".into()));
    }
    for (set, class, want) in [
        (volume_opts, "volume", "volume"),
        (bind_opts, "bind", "bind"),
        (tmpfs_opts, "tmpfs", "tmpfs"),
    ] {
        if set && kind != want {
            return Err(cli(format!(
                "cannot mix '{class}-*' options with mount type '{kind}'"
            )));
        }
    }
    // The daemon's validateMountConfig, then parseMountSpec.
    let k = kind.as_str();
    check_target(k, &target)?;
    let mut mp = match k {
        "bind" => {
            if source.is_empty() {
                return Err(mount_config(k, "field Source must not be empty"));
            }
            if let Some(p) = &propagation {
                if !PROPAGATIONS.contains(&p.as_str()) {
                    return Err(mount_config(k, format!("invalid propagation mode: {p}")));
                }
            }
            if !source.starts_with('/') {
                return Err(mount_config(
                    k,
                    format!("invalid mount path: '{source}' mount path must be absolute"),
                ));
            }
            if std::fs::metadata(&source).is_err() {
                return Err(mount_config(
                    k,
                    format!("bind source path does not exist: {source}"),
                ));
            }
            let mut mp = MountPoint::new(Kind::Bind, clean(&target));
            mp.source = clean(&source);
            mp.raw_source = source.clone();
            mp.propagation = propagation.clone().unwrap_or_else(|| "rprivate".into());
            mp
        }
        "volume" => {
            if source.is_empty() && readonly {
                return Err(mount_config(
                    k,
                    "must not set ReadOnly mode when using anonymous volumes",
                ));
            }
            if !subpath.is_empty() {
                if source.is_empty() {
                    return Err(mount_config(
                        k,
                        "must not set Subpath when using anonymous volumes",
                    ));
                }
                // Go's filepath.IsLocal.
                let c = clean(&subpath);
                if subpath.starts_with('/') || c == ".." || c.starts_with("../") {
                    return Err(mount_config(
                        k,
                        "subpath must be a relative path within the volume",
                    ));
                }
            }
            let mut mp = MountPoint::new(Kind::Volume, clean(&target));
            mp.name = source.clone();
            mp.copy_data = !nocopy;
            mp.mode = "z".into();
            mp.labels = labels;
            mp.volume_opts = driver_opts.clone();
            mp.subpath = match clean(&subpath).as_str() {
                "." => String::new(),
                c => c.to_string(),
            };
            mp
        }
        "tmpfs" => {
            if !source.is_empty() {
                return Err(mount_config(k, "field Source must not be specified"));
            }
            let mut mp = MountPoint::new(Kind::Tmpfs, clean(&target));
            mp.tmpfs_data = tmpfs_data(readonly, mode, size);
            mp
        }
        _ => return Err(mount_config(k, "mount type unknown")),
    };
    mp.rw = !readonly;
    mp.chown = chown;
    let label_map = mp.labels.iter().cloned().collect();
    let docker = DockerMountSpec {
        kind,
        source,
        target,
        read_only: readonly,
        consistency,
        bind_options: bind_opts.then(|| BindOptions {
            propagation: propagation.unwrap_or_default(),
        }),
        volume_options: volume_opts.then_some(VolumeOptions {
            no_copy: nocopy,
            labels: label_map,
            driver_config: DriverConfig {
                name: driver,
                options: driver_opts.into_iter().collect(),
            },
            subpath,
        }),
        tmpfs_options: tmpfs_opts.then(|| TmpfsOptions {
            size_bytes: size.unwrap_or(0),
            mode: mode.unwrap_or(0).into(),
        }),
    };
    Ok(MountFlag { point: mp, docker })
}

/// The daemon's `ConvertTmpfsOptions`: `ro`, `mode=` in octal, `size=`
/// with the largest unit that divides it.
fn tmpfs_data(readonly: bool, mode: Option<u32>, size: Option<u64>) -> String {
    let mut opts = Vec::new();
    if readonly {
        opts.push("ro".to_string());
    }
    if let Some(m) = mode.filter(|m| *m != 0) {
        opts.push(format!("mode={m:o}"));
    }
    if let Some(s) = size.filter(|s| *s != 0) {
        let mut out = format!("size={s}");
        for (suffix, div) in [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
            if s % div == 0 {
                out = format!("size={}{suffix}", s / div);
                break;
            }
        }
        opts.push(out);
    }
    opts.join(",")
}

/// One CSV record, as Go's encoding/csv reads a `--mount` value.
fn csv_fields(value: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if cur.is_empty() => quoted = true,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Go's strconv.ParseBool.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// go-units' RAMInBytes: `64m`, `1.5g`, `100KiB`, binary multiples.
fn ram_in_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(num_end);
    let num: f64 = num.parse().ok()?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let mul: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        "p" => 1 << 50,
        _ => return None,
    };
    // Past i64 Go's conversion wraps to a negative size: refuse it.
    let bytes = num * mul as f64;
    (bytes < i64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<MountPoint>) -> String {
        r.expect_err("an error").msg
    }

    #[test]
    fn mount_flag_errors() {
        assert_eq!(
            err(parse_mount_flag("type=bind,src=/tmp,dst=/y,foo=bar")),
            "invalid argument \"type=bind,src=/tmp,dst=/y,foo=bar\" for \"--mount\" flag: unexpected key 'foo' in 'foo=bar'"
        );
        assert_eq!(
            err(parse_mount_flag("type=bind,src=/nonexist-rvol,dst=/y")),
            "invalid mount config for type \"bind\": bind source path does not exist: /nonexist-rvol"
        );
        assert_eq!(
            err(parse_mount_flag("ro,dst=/y")),
            "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes"
        );
        assert_eq!(
            err(parse_mount_flag("type=volume,src=v,dst=/y,volume-subpath=/etc")),
            "invalid mount config for type \"volume\": subpath must be a relative path within the volume"
        );
        assert_eq!(
            err(parse_mount_flag("type=volume,src=v,dst=/y,volume-subpath=a/../../b")),
            "invalid mount config for type \"volume\": subpath must be a relative path within the volume"
        );
        assert_eq!(
            err(parse_mount_flag("type=volume,dst=/y,volume-subpath=a")),
            "invalid mount config for type \"volume\": must not set Subpath when using anonymous volumes"
        );
        let v = parse_mount_flag(
            "type=volume,src=v,dst=/y,volume-subpath=a//b/,volume-opt=type=tmpfs,U",
        )
        .unwrap();
        assert_eq!(v.subpath, "a/b");
        assert!(v.chown);
        assert_eq!(v.volume_opts, [("type".to_string(), "tmpfs".to_string())]);
        let t = parse_mount_flag("type=tmpfs,dst=/y,tmpfs-size=1m,tmpfs-mode=700").unwrap();
        assert_eq!(t.tmpfs_data, "mode=700,size=1m");
    }
}

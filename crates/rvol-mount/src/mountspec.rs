//! Docker's mount flags as docker reads them: the CLI's split of `-v`
//! (its errors first), the daemon's `ParseMountRaw` for binds and named
//! volumes, `--mount` key=value lists, `--tmpfs DST[:OPTS]` and
//! `--volumes-from C[:MODE]`. Every error text is docker's own
//! (BEHAVIOUR.md §1, §2, §4, checked against the live daemon).

use rvol_state::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bind,
    Volume,
    Tmpfs,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bind => "bind",
            Kind::Volume => "volume",
            Kind::Tmpfs => "tmpfs",
        }
    }
}

/// One mount as docker's daemon keeps it (its `MountPoint`), before the
/// volume behind it exists.
#[derive(Debug, Clone)]
pub struct MountPoint {
    pub kind: Kind,
    /// Volume name; empty for an anonymous volume not named yet.
    pub name: String,
    /// Bind: the host path (cleaned). Volume: its `_data` once known.
    pub source: String,
    /// Cleaned container path.
    pub destination: String,
    /// Docker's `Mode` string as inspect shows it.
    pub mode: String,
    pub rw: bool,
    pub propagation: String,
    /// Copy the image's content into the volume when it is empty.
    pub copy_data: bool,
    /// `-v` makes a missing host directory; `--mount type=bind` does not.
    pub create_source: bool,
    /// tmpfs from `--mount`: docker's converted options (`size=1m,mode=700`).
    pub tmpfs_data: String,
    /// Labels for a volume made by `--mount volume-label=`.
    pub labels: Vec<(String, String)>,
    /// The bind source as the user wrote it (docker compares it, uncleaned,
    /// with its own root).
    pub raw_source: String,
    /// An anonymous volume from `Config.Volumes` (`-v /p`, image VOLUME):
    /// over a file in the image it fails with docker's own text.
    pub config_volume: bool,
    /// Docker's forced `rslave` for a bind of (or into) its own root: it
    /// falls back to the source's own propagation when that is private.
    pub forced_slave: bool,
}

impl MountPoint {
    pub fn new(kind: Kind, destination: String) -> MountPoint {
        MountPoint {
            kind,
            name: String::new(),
            source: String::new(),
            destination,
            mode: String::new(),
            rw: true,
            propagation: String::new(),
            copy_data: false,
            create_source: false,
            tmpfs_data: String::new(),
            labels: Vec::new(),
            raw_source: String::new(),
            config_volume: false,
            forced_slave: false,
        }
    }
}

/// What the CLI makes of one `-v`: a bind or named volume (it goes to
/// `HostConfig.Binds`, with `./` made absolute) or a bare destination
/// (it goes to `Config.Volumes`, kept as typed).
pub enum VolumeFlag {
    Bind(String),
    Anonymous(String),
}

/// The docker CLI's `loader.ParseVolume`, used only for its errors and to
/// tell `-v SRC:DST` from `-v DST`.
pub fn cli_volume(spec: &str) -> Result<VolumeFlag> {
    let chars: Vec<char> = spec.chars().collect();
    match chars.len() {
        0 => return Err(Error::new("invalid empty volume spec")),
        1 | 2 => return Ok(VolumeFlag::Anonymous(spec.to_string())),
        _ => {}
    }
    // Fields as the CLI splits them: source, target, then options.
    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut buf: Vec<char> = Vec::new();
    for c in chars.iter().copied().map(Some).chain([None]) {
        let end = c.is_none();
        // A one-letter field before ':' is a Windows drive to the CLI.
        let drive = c == Some(':') && buf.len() == 1 && buf[0].is_alphabetic();
        if drive {
            buf.push(':');
        } else if c == Some(':') || end {
            let field: String = buf.iter().collect();
            if buf.is_empty() {
                return Err(Error::new(format!(
                    "invalid spec: {spec}: empty section between colons"
                )));
            } else if source.is_none() && end {
                target = Some(field);
            } else if source.is_none() {
                source = Some(field);
            } else if target.is_none() {
                target = Some(field);
            } else if !end {
                return Err(Error::new(format!("invalid spec: {spec}: too many colons")));
            }
            buf.clear();
        } else if let Some(c) = c {
            buf.push(c);
        }
    }
    match (source, target) {
        (Some(_), _) => {
            // The CLI makes a source starting with `.` absolute (`./x`,
            // `../x`, even `.dot`): to it they are file paths.
            let raw = match spec.split_once(':') {
                Some((host, rest)) if host.starts_with('.') => {
                    let cwd = std::env::current_dir()
                        .map_err(|e| Error::new(format!("current directory: {e}")))?;
                    format!("{}:{rest}", clean(&cwd.join(host).to_string_lossy()))
                }
                _ => spec.to_string(),
            };
            Ok(VolumeFlag::Bind(raw))
        }
        (None, _) => Ok(VolumeFlag::Anonymous(spec.to_string())),
    }
}

pub use rvol_state::path::clean;

const PROPAGATIONS: [&str; 6] = [
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

/// Docker's `ValidMountMode`: a comma list with at most one of each class.
fn valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    let mut counts = [0u8; 5];
    for o in mode.split(',') {
        let class = match o {
            "rw" | "ro" => 0,
            "z" | "Z" => 1,
            o if PROPAGATIONS.contains(&o) => 2,
            "nocopy" => 3,
            "consistent" | "cached" | "delegated" => 4,
            _ => return false,
        };
        counts[class] += 1;
    }
    counts.iter().all(|c| *c <= 1)
}

fn mode_has(mode: &str, what: &[&str]) -> Option<String> {
    mode.split(',')
        .find(|o| what.contains(o))
        .map(str::to_string)
}

fn invalid_spec(raw: &str) -> Error {
    Error::new(format!("invalid volume specification: '{raw}'"))
}

fn mount_config(kind: &str, why: impl std::fmt::Display) -> Error {
    Error::new(format!("invalid mount config for type \"{kind}\": {why}"))
}

fn check_target(kind: &str, target: &str) -> Result<()> {
    if target.is_empty() {
        return Err(mount_config(kind, "field Target must not be empty"));
    }
    if clean(target) == "/" {
        return Err(mount_config(
            kind,
            "invalid specification: destination can't be '/'",
        ));
    }
    if !target.starts_with('/') {
        return Err(mount_config(
            kind,
            format!("invalid mount path: '{target}' mount path must be absolute"),
        ));
    }
    Ok(())
}

/// The daemon's `ParseMountRaw` for one `HostConfig.Binds` entry.
pub fn parse_bind(raw: &str) -> Result<MountPoint> {
    let arr: Vec<&str> = raw.splitn(4, ':').collect();
    if arr[0].is_empty() {
        return Err(invalid_spec(raw));
    }
    let (source, target, mode) = match arr.len() {
        2 => {
            if valid_mode(arr[1]) {
                // `/foo:rw`: a destination and a mode is not a volume.
                return Err(invalid_spec(raw));
            }
            (arr[0], arr[1], "")
        }
        3 => (arr[0], arr[1], arr[2]),
        _ => return Err(invalid_spec(raw)),
    };
    if !valid_mode(mode) {
        return Err(Error::new(format!("invalid mode: {mode}")));
    }
    let kind = if source.starts_with('/') {
        Kind::Bind
    } else {
        Kind::Volume
    };
    let nocopy = mode_has(mode, &["nocopy"]).is_some();
    let propagation = mode_has(mode, &PROPAGATIONS);
    let wrap = |e: Error| e.context(format!("invalid volume specification: '{raw}'"));
    check_target(kind.as_str(), target).map_err(wrap)?;
    let mut mp = MountPoint::new(kind, clean(target));
    mp.rw = mode_has(mode, &["ro"]).is_none();
    mp.mode = mode.to_string();
    match kind {
        Kind::Bind => {
            if nocopy {
                return Err(wrap(mount_config(
                    "bind",
                    "field VolumeOptions must not be specified",
                )));
            }
            mp.source = clean(source);
            mp.raw_source = source.to_string();
            mp.propagation = propagation.unwrap_or_else(|| "rprivate".into());
            mp.create_source = true;
        }
        Kind::Volume => {
            if propagation.is_some() {
                return Err(wrap(mount_config(
                    "volume",
                    "field BindOptions must not be specified",
                )));
            }
            mp.name = source.to_string();
            mp.copy_data = !nocopy;
            if mp.mode.is_empty() {
                mp.mode = "z".into();
            }
        }
        Kind::Tmpfs => unreachable!(),
    }
    Ok(mp)
}

/// One `--mount` value: the CLI's parse (errors in pflag's wrapping),
/// then the daemon's checks (a bind source must exist).
pub fn parse_mount_flag(value: &str) -> Result<MountPoint> {
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
    let mut labels = Vec::new();
    let (mut size, mut mode): (Option<u64>, Option<u32>) = (None, None);
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
            "consistency" => {}
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
            "volume-driver" => {
                volume_opts = true;
                if val != "local" {
                    return Err(cli(format!(
                        "volume driver {val} is not supported (only local)"
                    )));
                }
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
            let mut mp = MountPoint::new(Kind::Volume, clean(&target));
            mp.name = source.clone();
            mp.copy_data = !nocopy;
            mp.mode = "z".into();
            mp.labels = labels;
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
    Ok(mp)
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

/// `--tmpfs DST[:OPTS]` as the daemon checks it (options are checked
/// when the mount list is merged, see [`merge_tmpfs_options`]).
pub fn parse_tmpfs_flag(value: &str) -> Result<(String, String)> {
    let (dst, opts) = value.split_once(':').unwrap_or((value, ""));
    if clean(dst) == "/" {
        return Err(Error::new(
            "invalid specification: destination can't be '/'",
        ));
    }
    if !dst.starts_with('/') {
        return Err(Error::new(format!(
            "invalid mount path: '{dst}' mount path must be absolute"
        )));
    }
    Ok((dst.to_string(), opts.to_string()))
}

/// `--volumes-from C[:MODE]`: the container and whether it is read-only.
pub fn parse_volumes_from(spec: &str) -> Result<(String, bool)> {
    if spec.is_empty() {
        return Err(Error::new(
            "volumes-from specification cannot be an empty string",
        ));
    }
    let (id, mode) = spec.split_once(':').unwrap_or((spec, "rw"));
    if spec.contains(':')
        && (!valid_mode(mode)
            || mode_has(mode, &PROPAGATIONS).is_some()
            || mode_has(mode, &["nocopy"]).is_some())
    {
        return Err(Error::new(format!("invalid mode: {mode}")));
    }
    Ok((id.to_string(), mode_has(mode, &["ro"]).is_some()))
}

/// Mount flags that tmpfs options may carry (moby's mount.flags), with
/// the key two options share when one overrides the other.
pub const FLAG_OPTIONS: [&str; 33] = [
    "defaults",
    "ro",
    "rw",
    "suid",
    "nosuid",
    "dev",
    "nodev",
    "exec",
    "noexec",
    "sync",
    "async",
    "dirsync",
    "remount",
    "mand",
    "nomand",
    "atime",
    "noatime",
    "diratime",
    "nodiratime",
    "bind",
    "rbind",
    "unbindable",
    "runbindable",
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
];

fn flag_class(opt: &str) -> &str {
    match opt {
        "ro" | "rw" => "rdonly",
        "suid" | "nosuid" => "nosuid",
        "dev" | "nodev" => "nodev",
        "exec" | "noexec" => "noexec",
        "sync" | "async" => "sync",
        "mand" | "nomand" => "mand",
        "atime" | "noatime" => "noatime",
        "diratime" | "nodiratime" => "nodiratime",
        "bind" | "rbind" => "bind",
        "unbindable" | "runbindable" | "private" | "rprivate" | "shared" | "rshared" | "slave"
        | "rslave" => "propagation",
        "relatime" | "norelatime" => "relatime",
        "strictatime" | "nostrictatime" => "strictatime",
        o => o,
    }
}

/// moby's `MergeTmpfsOptions`: later options win (`exec` beats the
/// default `noexec`); data keys limited to tmpfs' own.
pub fn merge_tmpfs_options(options: &[String]) -> Result<Vec<String>> {
    let mut seen_flags: Vec<&str> = Vec::new();
    let mut seen_data: Vec<&str> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for opt in options.iter().rev() {
        if opt == "defaults" {
            continue;
        }
        if FLAG_OPTIONS.contains(&opt.as_str()) {
            let class = flag_class(opt);
            if !seen_flags.contains(&class) {
                out.insert(0, opt.clone());
                seen_flags.push(class);
            }
            continue;
        }
        let valid = [
            "size",
            "mode",
            "uid",
            "gid",
            "nr_inodes",
            "nr_blocks",
            "mpol",
        ];
        match opt.split_once('=') {
            // The kernel would wrap a size past u64 or read `-1` as 0
            // (unlimited): refuse it here, before anything is made.
            Some(("size", v)) if !tmpfs_size_ok(v) => {
                return Err(Error::new(format!(
                    "invalid tmpfs option [\"size\" {v:?}]: not a size in bytes (N[k|m|g|t|p|e|%])"
                )));
            }
            Some((k, _)) if valid.contains(&k) => {
                if !seen_data.contains(&k) {
                    out.insert(0, opt.clone());
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

/// Local volume names: docker's `validateName`.
pub fn check_volume_name(name: &str) -> Result<()> {
    let why = if name.len() == 1 {
        "volume name is too short, names should be at least two alphanumeric characters".to_string()
    } else if !valid_name(name) {
        format!("\"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
    } else {
        return Ok(());
    };
    Err(Error::new(format!("create {name}: {why}")))
}

/// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`: volume and container names.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<MountPoint>) -> String {
        r.expect_err("an error").msg
    }

    #[test]
    fn cli_errors() {
        assert_eq!(
            cli_volume("/a:/b:ro:x").err().unwrap().msg,
            "invalid spec: /a:/b:ro:x: too many colons"
        );
        assert_eq!(
            cli_volume("").err().unwrap().msg,
            "invalid empty volume spec"
        );
        assert_eq!(
            cli_volume(":/x").err().unwrap().msg,
            "invalid spec: :/x: empty section between colons"
        );
        assert!(matches!(
            cli_volume("/x/").unwrap(),
            VolumeFlag::Anonymous(_)
        ));
        assert!(matches!(cli_volume("/x:ro").unwrap(), VolumeFlag::Bind(_)));
    }

    #[test]
    fn daemon_errors() {
        assert_eq!(
            err(parse_bind("/x:ro")),
            "invalid volume specification: '/x:ro'"
        );
        assert_eq!(err(parse_bind("/tmp:/b:foo")), "invalid mode: foo");
        assert_eq!(err(parse_bind("/tmp:/x:ro,rw")), "invalid mode: ro,rw");
        assert_eq!(
            err(parse_bind("/tmp:rel")),
            "invalid volume specification: '/tmp:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"
        );
        assert_eq!(
            err(parse_bind("/tmp:/")),
            "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"
        );
        assert_eq!(
            err(parse_bind("vol:/x:shared")),
            "invalid volume specification: 'vol:/x:shared': invalid mount config for type \"volume\": field BindOptions must not be specified"
        );
        assert_eq!(
            err(parse_bind("/tmp:/x:nocopy")),
            "invalid volume specification: '/tmp:/x:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified"
        );
        let m = parse_bind("//tmp//x/:/a//b/:ro,Z").unwrap();
        assert_eq!(
            (m.source.as_str(), m.destination.as_str(), m.rw),
            ("/tmp/x", "/a/b", false)
        );
        assert_eq!(parse_bind("vol:/y").unwrap().mode, "z");
        assert_eq!(parse_bind("vol:/y:ro,nocopy").unwrap().mode, "ro,nocopy");
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
        let t = parse_mount_flag("type=tmpfs,dst=/y,tmpfs-size=1m,tmpfs-mode=700").unwrap();
        assert_eq!(t.tmpfs_data, "mode=700,size=1m");
    }

    #[test]
    fn tmpfs_merge() {
        let o: Vec<String> = [
            "rw", "nosuid", "nodev", "noexec", "exec", "size=1m", "size=2m",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            merge_tmpfs_options(&o).unwrap(),
            ["rw", "nosuid", "nodev", "exec", "size=2m"]
        );
        assert_eq!(
            merge_tmpfs_options(&["foo=bar".to_string()])
                .err()
                .unwrap()
                .msg,
            "invalid tmpfs option [\"foo\" \"bar\"]"
        );
    }
}

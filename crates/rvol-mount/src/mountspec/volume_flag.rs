//! `-v`: the docker CLI's split of the value (and its errors), then the
//! daemon's `ParseMountRaw` for a bind or a named volume.

use rvol_state::{Error, Result};

use super::{
    check_target, clean, invalid_spec, mode_has, mount_config, valid_mode, Kind, MountPoint,
    PROPAGATIONS,
};

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
    // Podman's `U` (chown the source to the container's user), beyond
    // docker: one of its own, the rest of the mode checked as docker's.
    let chown = mode.split(',').filter(|o| *o == "U").count();
    let docker_mode: String = mode
        .split(',')
        .filter(|o| *o != "U")
        .collect::<Vec<_>>()
        .join(",");
    if chown > 1 || !valid_mode(&docker_mode) {
        return Err(Error::new(format!("invalid mode: {mode}")));
    }
    let kind = if source.starts_with('/') {
        Kind::Bind
    } else {
        Kind::Volume
    };
    let nocopy = mode_has(mode, &["nocopy"]).is_some();
    let propagation = mode_has(&docker_mode, &PROPAGATIONS);
    let wrap = |e: Error| e.context(format!("invalid volume specification: '{raw}'"));
    check_target(kind.as_str(), target).map_err(wrap)?;
    let mut mp = MountPoint::new(kind, clean(target));
    mp.rw = mode_has(mode, &["ro"]).is_none();
    mp.mode = mode.to_string();
    mp.chown = chown == 1;
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
        assert!(parse_bind("vol:/y:U").unwrap().chown);
        assert!(parse_bind("/tmp:/y:ro,U").unwrap().chown);
        assert_eq!(err(parse_bind("/tmp:/y:U,U")), "invalid mode: U,U");
    }
}

//! A container's rights as docker sets them (docs/docker-behaviour.md §13):
//! `--cap-add`/`--cap-drop` over docker's default set, `--security-opt
//! no-new-privileges` and `seccomp=unconfined|PROFILE.json`, checked as
//! docker's CLI and daemon check them, then written into the spec as runc
//! reads it: `process.capabilities`, `process.noNewPrivileges`,
//! `linux.seccomp` (the profile translated for this container's bounding
//! set, arch and kernel by seccomp_profile.rs).

use rvol_state::{caps, Error, Result};
use serde_json::{json, Value};

use crate::seccomp_profile;

/// The flags as given (a profile file already replaced by its content, as
/// the CLI sends it).
#[derive(Default)]
pub struct Flags {
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
}

/// The CLI's side of one `--security-opt` (docker CLI's parseSecurityOpts):
/// every option but a bare `no-new-privileges` needs `KEY=VALUE` (or the
/// old `KEY:VALUE`); a seccomp profile other than `builtin`/`unconfined` is
/// a file read here and sent as `seccomp=<compact JSON>`.
pub fn cli_security_opt(opt: &str) -> std::result::Result<String, String> {
    let cut = |sep| opt.split_once(sep);
    let (k, v) = match cut('=').or_else(|| cut(':')) {
        Some(kv) => kv,
        None if opt == "no-new-privileges" => return Ok(opt.into()),
        None => return Err(format!("Invalid --security-opt: {opt:?}")),
    };
    if v.is_empty() && k != "no-new-privileges" {
        return Err(format!("Invalid --security-opt: {opt:?}"));
    }
    if k != "seccomp" || v == "builtin" || v == "unconfined" {
        return Ok(opt.into());
    }
    let body = std::fs::read(v).map_err(|e| {
        format!(
            "opening seccomp profile ({v}) failed: open {v}: {}",
            go_errno(&e)
        )
    })?;
    let compact = compact_json(&body)
        .map_err(|e| format!("compacting json for seccomp profile ({v}) failed: {e}"))?;
    Ok(format!("seccomp={compact}"))
}

/// An I/O error as Go words it: `no such file or directory`.
fn go_errno(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => rvol_state::error::errno_text(n),
        None => e.to_string(),
    }
}

/// Go's json.Compact: the text with the blanks between tokens taken out,
/// every string and number kept as written; an invalid document refused.
fn compact_json(body: &[u8]) -> std::result::Result<String, String> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(if e.is_eof() {
            "unexpected end of JSON input".into()
        } else {
            e.to_string()
        });
    }
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut esc) = (false, false);
    for ch in text.chars() {
        if in_str {
            out.push(ch);
            match (esc, ch) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
        } else if ch == '"' {
            in_str = true;
            out.push(ch);
        } else if !matches!(ch, ' ' | '\t' | '\n' | '\r') {
            out.push(ch);
        }
    }
    Ok(out)
}

/// What the flags come to.
pub struct Security {
    /// Normalised, as docker records them (`HostConfig.CapAdd`).
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    /// The container's capability set (bounding; effective and permitted
    /// for root).
    pub caps: Vec<String>,
    pub no_new_privileges: bool,
    /// `linux.seccomp`, none when unconfined.
    pub seccomp: Option<Value>,
}

/// The daemon's checks (validateCapabilities, parseSecurityOpt) and the
/// spec's parts (WithCapabilities, WithSeccomp).
pub fn resolve(flags: &Flags) -> Result<Security> {
    let cap_add =
        caps::normalize(&flags.cap_add).map_err(|e| Error::new(format!("invalid CapAdd: {e}")))?;
    let cap_drop = caps::normalize(&flags.cap_drop)
        .map_err(|e| Error::new(format!("invalid CapDrop: {e}")))?;
    let mut no_new_privileges = false;
    let mut profile: Option<&str> = None;
    for opt in &flags.security_opt {
        if opt == "no-new-privileges" {
            no_new_privileges = true;
            continue;
        }
        if opt == "disable" {
            continue; // label=disable's old form: no labels here anyway
        }
        let Some((k, v)) = opt.split_once('=').or_else(|| opt.split_once(':')) else {
            return Err(Error::new(format!("invalid --security-opt 1: {opt:?}")));
        };
        match k {
            // No AppArmor or SELinux here: docker on a host without them
            // takes these and applies nothing.
            "label" | "apparmor" => {}
            "seccomp" => profile = Some(v),
            "no-new-privileges" => {
                no_new_privileges = parse_bool(v)
                    .ok_or_else(|| Error::new(format!("invalid --security-opt 2: {opt:?}")))?
            }
            _ => return Err(Error::new(format!("invalid --security-opt 2: {opt:?}"))),
        }
    }
    let caps = caps::tweak(&cap_add, &cap_drop);
    let seccomp = match profile {
        Some("unconfined") => None,
        Some(body) => seccomp_profile::to_oci(body, &caps)?,
        None => seccomp_profile::to_oci(seccomp_profile::DEFAULT, &caps)?,
    };
    Ok(Security {
        cap_add,
        cap_drop,
        security_opt: flags.security_opt.clone(),
        caps,
        no_new_privileges,
        seccomp,
    })
}

/// Go's strconv.ParseBool.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

impl Security {
    /// The spec's process and linux parts.
    pub fn write_spec(&self, spec: &mut Value) {
        // All three sets: the user is resolved only inside the container
        // (rvol-exec), which gives any other uid the bounding set alone,
        // as docker's SetCapabilities does.
        spec["process"]["capabilities"] = json!({
            "bounding": self.caps, "effective": self.caps, "permitted": self.caps,
        });
        if self.no_new_privileges {
            spec["process"]["noNewPrivileges"] = json!(true);
        }
        if let Some(s) = &self.seccomp {
            spec["linux"]["seccomp"] = s.clone();
        }
    }

    /// `HostConfig.CapAdd`, `CapDrop`, `SecurityOpt`: null when not given.
    pub fn write_host_config(&self, h: &mut Value) {
        let list = |v: &[String]| if v.is_empty() { Value::Null } else { json!(v) };
        h["CapAdd"] = list(&self.cap_add);
        h["CapDrop"] = list(&self.cap_drop);
        h["SecurityOpt"] = list(&self.security_opt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_errors_as_docker() {
        assert_eq!(
            cli_security_opt("bogus").unwrap_err(),
            r#"Invalid --security-opt: "bogus""#
        );
        assert_eq!(
            cli_security_opt("seccomp=").unwrap_err(),
            r#"Invalid --security-opt: "seccomp=""#
        );
        assert_eq!(
            cli_security_opt("seccomp=/nonexistent.json").unwrap_err(),
            "opening seccomp profile (/nonexistent.json) failed: open /nonexistent.json: no such file or directory"
        );
        assert_eq!(
            cli_security_opt("no-new-privileges").unwrap(),
            "no-new-privileges"
        );
    }

    #[test]
    fn compact_keeps_strings() {
        assert_eq!(
            compact_json(b"{ \"a b\" : [1, 2],\n \"c\":\"x\\\" y\" }").unwrap(),
            r#"{"a b":[1,2],"c":"x\" y"}"#
        );
        assert_eq!(
            compact_json(b"{ \"a\": ").unwrap_err(),
            "unexpected end of JSON input"
        );
    }

    #[test]
    fn daemon_errors_as_docker() {
        let f = |o: &str| Flags {
            security_opt: vec![o.into()],
            ..Flags::default()
        };
        let err = |fl: Flags| resolve(&fl).err().unwrap().msg;
        assert_eq!(
            err(f("no-new-privileges=maybe")),
            r#"invalid --security-opt 2: "no-new-privileges=maybe""#
        );
        assert_eq!(err(f("foo=bar")), r#"invalid --security-opt 2: "foo=bar""#);
        assert_eq!(
            err(Flags {
                cap_drop: vec!["bogus".into()],
                ..Flags::default()
            }),
            r#"invalid CapDrop: unknown capability: "CAP_BOGUS""#
        );
        let s = resolve(&f("no-new-privileges:true")).unwrap();
        assert!(s.no_new_privileges && s.seccomp.is_some());
        assert!(resolve(&f("seccomp:unconfined")).unwrap().seccomp.is_none());
    }
}

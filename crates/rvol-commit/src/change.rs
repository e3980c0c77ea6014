//! `--change 'INSTR'`: the Dockerfile instructions docker commit accepts,
//! applied to the image's `config` object the way the Dockerfile builder
//! does: JSON (exec) or shell form for CMD/ENTRYPOINT/VOLUME, `k=v` pairs
//! or the legacy `k v` for ENV/LABEL, quotes and `$VAR` expansion from the
//! config's Env, relative WORKDIR joined to the current one.

use serde_json::{json, Map, Value};

use rvol_state::path::clean;
use rvol_state::{Error, Result};

use crate::dockerfile::word::{Lex, Vars};

const ALLOWED: &[&str] = &[
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Apply every change in order to `config` (docker's `Config` object).
pub fn apply_all(config: &mut Map<String, Value>, changes: &[String]) -> Result<()> {
    // As in a Dockerfile: ENTRYPOINT resets CMD unless a CMD came first.
    let mut cmd_set = false;
    for c in changes {
        apply(config, c, &mut cmd_set).map_err(|e| e.context(format!("--change {c:?}")))?;
    }
    Ok(())
}

fn apply(config: &mut Map<String, Value>, line: &str, cmd_set: &mut bool) -> Result<()> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(());
    }
    let (kw, rest) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    };
    let kw = kw.to_ascii_uppercase();
    if !ALLOWED.contains(&kw.as_str()) {
        // Docker's text names the instruction in lowercase.
        return Err(Error::new(format!(
            "{} is not a valid change command",
            kw.to_ascii_lowercase()
        )));
    }
    apply_instruction(config, &kw, rest, cmd_set, &[], &Lex::default())
}

/// One config instruction (`kw` upper case) applied to `config`, its
/// words expanded with `args` (a build's ARGs) then the config's Env, which
/// wins, as in a Dockerfile. Also STOPSIGNAL, which `--change` refuses.
pub fn apply_instruction(
    config: &mut Map<String, Value>,
    kw: &str,
    rest: &str,
    cmd_set: &mut bool,
    args: &Vars,
    lex: &Lex,
) -> Result<()> {
    let mut env = args.to_vec();
    env.extend(env_of(config));
    let env = env.as_slice();
    let process_word = |w: &str, env: &Vars| lex.process(w, env);
    match kw {
        "CMD" => {
            config.insert("Cmd".into(), json!(command_form(rest)));
            *cmd_set = true;
        }
        "ENTRYPOINT" => {
            let v = match parse_json_list(rest) {
                Some(l) => json!(l),
                None if rest.is_empty() => Value::Null,
                None => json!(shell(rest)),
            };
            config.insert("Entrypoint".into(), v);
            if !*cmd_set {
                config.insert("Cmd".into(), Value::Null);
            }
        }
        "ENV" => {
            let pairs = name_values(rest, env, "ENV", lex)?;
            let mut list: Vec<Value> = config
                .get("Env")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (k, v) in pairs {
                let entry = format!("{k}={v}");
                let prefix = format!("{k}=");
                match list
                    .iter()
                    .position(|e| e.as_str().is_some_and(|s| s.starts_with(&prefix) || s == k))
                {
                    Some(i) => list[i] = json!(entry),
                    None => list.push(json!(entry)),
                }
            }
            config.insert("Env".into(), Value::Array(list));
        }
        "LABEL" => {
            let pairs = name_values(rest, env, "LABEL", lex)?;
            let labels = object_entry(config, "Labels");
            for (k, v) in pairs {
                labels.insert(k, json!(v));
            }
            // Go writes a map's keys sorted: the config docker would write.
            labels.sort_keys();
        }
        "EXPOSE" => {
            if rest.is_empty() {
                return Err(Error::new("EXPOSE requires at least one argument"));
            }
            let mut ports = Vec::new();
            for w in rest.split_whitespace() {
                ports.extend(expose_ports(&process_word(w, env)?)?);
            }
            let map = object_entry(config, "ExposedPorts");
            for p in ports {
                map.insert(p, json!({}));
            }
            map.sort_keys();
        }
        "USER" => {
            if rest.is_empty() {
                return Err(Error::new("USER requires exactly one argument"));
            }
            config.insert("User".into(), json!(process_word(rest, env)?));
        }
        "VOLUME" => {
            let paths = match parse_json_list(rest) {
                Some(l) => l,
                None => rest.split_whitespace().map(str::to_string).collect(),
            };
            if paths.is_empty() {
                return Err(Error::new("VOLUME requires at least one argument"));
            }
            let mut done = Vec::new();
            for p in paths {
                let p = process_word(&p, env)?;
                if p.trim().is_empty() {
                    return Err(Error::new("VOLUME specified can not be an empty string"));
                }
                done.push(p);
            }
            let map = object_entry(config, "Volumes");
            for p in done {
                map.insert(p, json!({}));
            }
            map.sort_keys();
        }
        "WORKDIR" => {
            if rest.is_empty() {
                return Err(Error::new("WORKDIR requires exactly one argument"));
            }
            let w = process_word(rest, env)?;
            let current = config
                .get("WorkingDir")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let joined = if w.starts_with('/') {
                w
            } else {
                format!("/{current}/{w}")
            };
            config.insert("WorkingDir".into(), json!(clean(&joined)));
        }
        "STOPSIGNAL" => {
            config.insert("StopSignal".into(), json!(process_word(rest, env)?));
        }
        _ => {
            return Err(Error::new(format!(
                "{} is not a config instruction",
                kw.to_ascii_lowercase()
            )))
        }
    }
    Ok(())
}

fn shell(s: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), s.into()]
}

fn command_form(rest: &str) -> Vec<String> {
    parse_json_list(rest).unwrap_or_else(|| shell(rest))
}

/// `["a", "b"]` -> Some(list); anything that is not a JSON array of strings
/// is the shell form (as docker's parser decides).
fn parse_json_list(s: &str) -> Option<Vec<String>> {
    if !s.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(s).ok()
}

fn object_entry<'a>(config: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = config.entry(key.to_string()).or_insert(Value::Null);
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().unwrap()
}

fn env_of(config: &Map<String, Value>) -> Vec<(String, String)> {
    config
        .get("Env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|e| match e.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (e.to_string(), String::new()),
        })
        .collect()
}

/// `k=v k2="v 2"` pairs, or the legacy `k the rest` (one pair).
fn name_values(rest: &str, env: &Vars, what: &str, lex: &Lex) -> Result<Vec<(String, String)>> {
    let process_word = |w: &str, env: &Vars| lex.process(w, env);
    let words = lex.words(rest);
    if words.is_empty() {
        return Err(Error::new(format!("{what} requires at least one argument")));
    }
    if !words[0].contains('=') {
        // Legacy form: the first word is the name, the rest of the line the value.
        let name = words[0].clone();
        let value = rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..].trim();
        if value.is_empty() {
            return Err(Error::new(format!("{what} must have two arguments")));
        }
        return Ok(vec![(process_word(&name, env)?, process_word(value, env)?)]);
    }
    let mut out = Vec::new();
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(Error::new(format!(
                "{what} names can not be blank or syntax error: {w:?} is not key=value"
            )));
        };
        let k = process_word(k, env)?;
        if k.is_empty() {
            return Err(Error::new(format!("{what} names can not be blank")));
        }
        out.push((k, process_word(v, env)?));
    }
    Ok(out)
}

/// `80`, `80/tcp`, `53/udp`, `8000-8002` -> `80/tcp`, ... (ranges expanded).
fn expose_ports(p: &str) -> Result<Vec<String>> {
    let (ports, proto) = match p.split_once('/') {
        Some((a, b)) => (a, b.to_ascii_lowercase()),
        None => (p, "tcp".to_string()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(Error::new(format!("invalid proto: {proto}")));
    }
    let num = |s: &str| -> Result<u16> {
        s.parse::<u16>()
            .map_err(|_| Error::new(format!("Invalid containerPort: {ports}")))
    };
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (num(a)?, num(b)?),
        None => (num(ports)?, num(ports)?),
    };
    if hi < lo {
        return Err(Error::new(format!(
            "invalid range specified for container port: {ports}"
        )));
    }
    Ok((lo..=hi).map(|n| format!("{n}/{proto}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(changes: &[&str]) -> Value {
        let mut c = json!({"Env": ["PATH=/bin", "A=1"], "Cmd": ["sh"], "WorkingDir": "/w"})
            .as_object()
            .unwrap()
            .clone();
        let ch: Vec<String> = changes.iter().map(|s| s.to_string()).collect();
        apply_all(&mut c, &ch).unwrap();
        Value::Object(c)
    }

    #[test]
    fn cmd_and_entrypoint_forms() {
        assert_eq!(run(&[r#"CMD ["/bin/sh"]"#])["Cmd"], json!(["/bin/sh"]));
        assert_eq!(
            run(&["cmd echo hi"])["Cmd"],
            json!(["/bin/sh", "-c", "echo hi"])
        );
        let v = run(&[r#"ENTRYPOINT ["/e"]"#]);
        assert_eq!(v["Entrypoint"], json!(["/e"]));
        assert_eq!(v["Cmd"], Value::Null);
        let v = run(&["CMD x", "ENTRYPOINT top"]);
        assert_eq!(v["Cmd"], json!(["/bin/sh", "-c", "x"]));
        assert_eq!(v["Entrypoint"], json!(["/bin/sh", "-c", "top"]));
    }

    #[test]
    fn env_label_expose_volume_workdir_user() {
        let v = run(&[
            r#"ENV A=2 B="x y" C=$A"#,
            "ENV D legacy value",
            r#"LABEL "com.a"=b c='d e'"#,
            "EXPOSE 80 53/udp 8000-8001",
            "VOLUME /opt/xxx /data",
            r#"VOLUME ["/j"]"#,
            "WORKDIR sub/../x",
            "USER ${A:-nobody}:1",
        ]);
        assert_eq!(
            v["Env"],
            json!(["PATH=/bin", "A=2", "B=x y", "C=1", "D=legacy value"])
        );
        assert_eq!(v["Labels"], json!({"com.a": "b", "c": "d e"}));
        assert_eq!(
            v["ExposedPorts"],
            json!({"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}})
        );
        assert_eq!(v["Volumes"], json!({"/opt/xxx": {}, "/data": {}, "/j": {}}));
        assert_eq!(v["WorkingDir"], json!("/w/x"));
        assert_eq!(v["User"], json!("2:1"));
    }

    #[test]
    fn refused() {
        let mut c = Map::new();
        let e = apply_all(&mut c, &["RUN ls".into()]).unwrap_err();
        assert!(
            e.msg.contains("run is not a valid change command"),
            "{}",
            e.msg
        );
        assert!(apply_all(&mut c, &["EXPOSE abc".into()]).is_err());
    }
}

//! Each instruction checked and typed before any step runs, as the
//! builder's instructions.Parse does: an unknown instruction, a wrong
//! number of arguments or an unknown flag fails the whole build with
//! `dockerfile parse error line N: ...` (docs/docker-behaviour.md §16).
//! Variables are not expanded here: that needs the image and the ARGs of
//! the step (crate::build::step).

use rvol_state::{Error, Result};

use super::parse::{json_list, Node};
use super::word::Lex;

/// A command in JSON (exec) or shell form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Exec(Vec<String>),
    Shell(String),
}

impl Command {
    fn of(rest: &str) -> Command {
        match json_list(rest) {
            Some(l) => Command::Exec(l),
            None => Command::Shell(rest.to_string()),
        }
    }
}

/// COPY or ADD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    pub add: bool,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    /// Sources then the destination, not yet expanded.
    pub args: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Instr {
    From {
        image: String,
        stage: Option<String>,
    },
    Run(Command),
    Copy(Copy),
    /// `ARG NAME[=DEFAULT]...`
    Arg(Vec<(String, Option<String>)>),
    /// SHELL, in JSON form only.
    Shell(Vec<String>),
    /// HEALTHCHECK NONE or `[--interval=D ...] CMD ...`: the config's
    /// Healthcheck object.
    Healthcheck(serde_json::Value),
    /// `ONBUILD INSTR`: recorded in the config, run by a later FROM.
    Onbuild(String),
    /// CMD ENTRYPOINT ENV LABEL EXPOSE USER VOLUME WORKDIR STOPSIGNAL
    /// MAINTAINER: they change the image config only (crate::change).
    Config,
}

/// One step: the node as written and what it is.
#[derive(Clone, Debug)]
pub struct Step {
    pub node: Node,
    pub instr: Instr,
}

/// Check every node; the first error stops the build before any step.
pub fn check(nodes: &[Node], lex: &Lex) -> Result<Vec<Step>> {
    if nodes.is_empty() {
        return Err(Error::new(
            "failed to parse Dockerfile: file with no instructions",
        ));
    }
    let steps = typed_all(nodes, lex)?;
    // Only ARG may come before the first FROM.
    match steps.iter().find(|s| !matches!(s.instr, Instr::Arg(_))) {
        Some(s) if matches!(s.instr, Instr::From { .. }) => {}
        _ => return Err(Error::new("no build stage in current context")),
    }
    Ok(steps)
}

/// Every node typed (ONBUILD's triggers too, which need no FROM).
pub fn typed_all(nodes: &[Node], lex: &Lex) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    for n in nodes {
        let instr = typed(n, lex).map_err(|e| {
            Error::new(format!("dockerfile parse error line {}: {}", n.line, e.msg))
        })?;
        steps.push(Step {
            node: n.clone(),
            instr,
        });
    }
    Ok(steps)
}

fn flag_names<'a>(n: &'a Node, allowed: &[&str]) -> Result<Vec<(&'a str, &'a str)>> {
    let mut out = Vec::new();
    for f in &n.flags {
        let body = &f[2..];
        let (name, value) = body.split_once('=').unwrap_or((body, ""));
        if !allowed.contains(&name) {
            return Err(Error::new(format!("Unknown flag: {name}")));
        }
        out.push((name, value));
    }
    Ok(out)
}

fn typed(n: &Node, lex: &Lex) -> Result<Instr> {
    let kw = n.keyword.as_str();
    let rest = n.rest.as_str();
    let words = || lex.words(rest);
    match kw {
        "FROM" => {
            flag_names(n, &["platform"])?;
            let w = words();
            match w.as_slice() {
                [image] => Ok(Instr::From {
                    image: image.clone(),
                    stage: None,
                }),
                [image, as_, name] if as_.eq_ignore_ascii_case("as") => Ok(Instr::From {
                    image: image.clone(),
                    stage: Some(name.to_ascii_lowercase()),
                }),
                _ => Err(Error::new("FROM requires either one or three arguments")),
            }
        }
        "RUN" => {
            flag_names(n, &[])?;
            Ok(Instr::Run(Command::of(rest)))
        }
        "COPY" | "ADD" => {
            let allowed: &[&str] = if kw == "COPY" {
                &["from", "chown", "chmod"]
            } else {
                &["chown", "chmod"]
            };
            let mut c = Copy {
                add: kw == "ADD",
                from: None,
                chown: None,
                chmod: None,
                args: Vec::new(),
            };
            for (name, value) in flag_names(n, allowed)? {
                let v = Some(value.to_string());
                match name {
                    "from" => c.from = v,
                    "chown" => c.chown = v,
                    _ => c.chmod = v,
                }
            }
            c.args = json_list(rest).unwrap_or_else(words);
            if c.args.len() < 2 {
                return Err(Error::new(format!(
                    "{kw} requires at least two arguments, but only one was provided. Destination could not be determined"
                )));
            }
            Ok(Instr::Copy(c))
        }
        "ARG" => {
            flag_names(n, &[])?;
            let w = words();
            if w.is_empty() {
                return Err(Error::new("ARG requires exactly one argument"));
            }
            let mut args = Vec::new();
            for a in w {
                match a.split_once('=') {
                    Some((k, v)) => args.push((k.to_string(), Some(v.to_string()))),
                    None => args.push((a, None)),
                }
            }
            Ok(Instr::Arg(args))
        }
        "SHELL" => {
            flag_names(n, &[])?;
            match json_list(rest) {
                Some(l) if !l.is_empty() => Ok(Instr::Shell(l)),
                _ => Err(Error::new(
                    "SHELL requires the arguments to be in JSON form",
                )),
            }
        }
        "HEALTHCHECK" => healthcheck(n),
        "ONBUILD" => {
            flag_names(n, &[])?;
            let inner = rest.split_whitespace().next().unwrap_or("");
            match inner.to_ascii_uppercase().as_str() {
                "" => Err(Error::new("ONBUILD requires at least one argument")),
                "ONBUILD" => Err(Error::new(
                    "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                )),
                t @ ("FROM" | "MAINTAINER") => Err(Error::new(format!(
                    "{t} isn't allowed as an ONBUILD trigger"
                ))),
                _ => Ok(Instr::Onbuild(rest.to_string())),
            }
        }
        "ENV" | "LABEL" | "EXPOSE" | "VOLUME" => {
            flag_names(n, &[])?;
            if rest.is_empty() {
                return Err(Error::new(format!("{kw} requires at least one argument")));
            }
            if kw == "ENV" && !rest.contains('=') && words().len() < 2 {
                return Err(Error::new("ENV must have two arguments"));
            }
            Ok(Instr::Config)
        }
        "USER" | "WORKDIR" | "STOPSIGNAL" | "MAINTAINER" => {
            flag_names(n, &[])?;
            if rest.is_empty() {
                return Err(Error::new(format!("{kw} requires exactly one argument")));
            }
            Ok(Instr::Config)
        }
        "CMD" | "ENTRYPOINT" => {
            flag_names(n, &[])?;
            Ok(Instr::Config)
        }
        _ => Err(Error::new(format!("unknown instruction: {kw}"))),
    }
}

/// Go's time.ParseDuration for the forms HEALTHCHECK takes (`30s`,
/// `1m30s`, `500ms`), in nanoseconds.
fn duration(flag: &str, v: &str) -> Result<i64> {
    let bad = || Error::new(format!("time: invalid duration \"{v}\" for --{flag}"));
    if v == "0" {
        return Ok(0);
    }
    let mut total: f64 = 0.0;
    let mut s = v;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = s[..num_end].parse().map_err(|_| bad())?;
        let unit_end = s[num_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(s.len(), |p| p + num_end);
        let mult = match &s[num_end..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += n * mult;
        s = &s[unit_end..];
    }
    Ok(total as i64)
}

fn healthcheck(n: &Node) -> Result<Instr> {
    use serde_json::json;
    let flags = flag_names(n, &["interval", "timeout", "start-period", "retries"])?;
    let rest = n.rest.as_str();
    let (typ, cmd) = match rest.find(char::is_whitespace) {
        Some(p) => (&rest[..p], rest[p..].trim()),
        None => (rest, ""),
    };
    match typ.to_ascii_uppercase().as_str() {
        "NONE" => {
            if !cmd.is_empty() {
                return Err(Error::new("HEALTHCHECK NONE takes no arguments"));
            }
            if !flags.is_empty() {
                return Err(Error::new("HEALTHCHECK NONE takes no flags"));
            }
            Ok(Instr::Healthcheck(json!({"Test": ["NONE"]})))
        }
        "CMD" => {
            if cmd.is_empty() {
                return Err(Error::new("Missing command after HEALTHCHECK CMD"));
            }
            let test = match json_list(cmd) {
                Some(l) => std::iter::once("CMD".to_string()).chain(l).collect(),
                None => vec!["CMD-SHELL".to_string(), cmd.to_string()],
            };
            let mut h = serde_json::Map::new();
            h.insert("Test".into(), json!(test));
            for (name, v) in flags {
                match name {
                    "retries" => {
                        let r: i64 = v.parse().map_err(|_| {
                            Error::new(format!("strconv.ParseInt: parsing \"{v}\": invalid syntax"))
                        })?;
                        h.insert("Retries".into(), json!(r));
                    }
                    "interval" => {
                        h.insert("Interval".into(), json!(duration(name, v)?));
                    }
                    "timeout" => {
                        h.insert("Timeout".into(), json!(duration(name, v)?));
                    }
                    _ => {
                        h.insert("StartPeriod".into(), json!(duration(name, v)?));
                    }
                }
            }
            Ok(Instr::Healthcheck(serde_json::Value::Object(h)))
        }
        t => Err(Error::new(format!(
            "Unknown type \"{t}\" in HEALTHCHECK (try CMD)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    fn steps(t: &str) -> Result<Vec<Step>> {
        let d = parse(t)?;
        check(&d.nodes, &Lex { escape: d.escape })
    }

    #[test]
    fn errors_name_the_line() {
        let e = steps("FROM a\nfrobnicate x\n").unwrap_err();
        assert_eq!(
            e.msg,
            "dockerfile parse error line 2: unknown instruction: FROBNICATE"
        );
        let e = steps("FROM a\nCOPY a\n").unwrap_err();
        assert!(e.msg.ends_with("Destination could not be determined"));
        let e = steps("FROM a\nCOPY --bogus=1 a b\n").unwrap_err();
        assert_eq!(e.msg, "dockerfile parse error line 2: Unknown flag: bogus");
        assert_eq!(
            steps("RUN true\n").unwrap_err().msg,
            "no build stage in current context"
        );
        assert!(steps("# c\n").is_err());
    }

    #[test]
    fn typed_forms() {
        let s = steps(
            "ARG V=1\nFROM busybox:$V AS Build\nRUN [\"a\",\"b\"]\nRUN echo hi\nCOPY --from=build --chown=1:1 a b /c/\nHEALTHCHECK --interval=1m30s --retries=3 CMD true\nONBUILD RUN x\n",
        )
        .unwrap();
        assert_eq!(s[0].instr, Instr::Arg(vec![("V".into(), Some("1".into()))]));
        assert_eq!(
            s[1].instr,
            Instr::From {
                image: "busybox:$V".into(),
                stage: Some("build".into())
            }
        );
        assert_eq!(
            s[2].instr,
            Instr::Run(Command::Exec(vec!["a".into(), "b".into()]))
        );
        assert_eq!(s[3].instr, Instr::Run(Command::Shell("echo hi".into())));
        match &s[4].instr {
            Instr::Copy(c) => {
                assert_eq!(c.from.as_deref(), Some("build"));
                assert_eq!(c.args, ["a", "b", "/c/"]);
            }
            i => panic!("{i:?}"),
        }
        match &s[5].instr {
            Instr::Healthcheck(h) => {
                assert_eq!(h["Interval"], 90_000_000_000i64);
                assert_eq!(h["Retries"], 3);
                assert_eq!(h["Test"], serde_json::json!(["CMD-SHELL", "true"]));
            }
            i => panic!("{i:?}"),
        }
        assert_eq!(s[6].instr, Instr::Onbuild("RUN x".into()));
    }
}

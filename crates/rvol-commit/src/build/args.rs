//! `rvol-commit build` flags, as scripts/rvol-build passes them on after
//! sorting docker's (`-t NAME`, `--build-arg K[=V]`, ...).

use std::path::PathBuf;

use lexopt::prelude::*;

pub struct BuildArgs {
    pub tags: Vec<String>,
    /// `-f`: the Dockerfile (default CONTEXT/Dockerfile); `-` is stdin.
    pub file: Option<PathBuf>,
    /// `--build-arg K=V`, or `K` alone: the value of K in our environment
    /// (none when unset: the ARG's default stays).
    pub build_args: Vec<(String, Option<String>)>,
    pub quiet: bool,
    pub no_cache: bool,
    pub labels: Vec<(String, String)>,
    /// The classic builder's VOLUME rule: what a later RUN writes under a
    /// declared volume is lost (docker 20.10's builder; BuildKit keeps it).
    pub compat_volumes: bool,
    /// A directory, or `-` (a tar of the context, or a Dockerfile, on stdin).
    pub context: String,
}

pub fn parse(p: &mut lexopt::Parser) -> Result<BuildArgs, lexopt::Error> {
    let mut a = BuildArgs {
        tags: Vec::new(),
        file: None,
        build_args: Vec::new(),
        quiet: false,
        no_cache: false,
        labels: Vec::new(),
        compat_volumes: false,
        context: String::new(),
    };
    let mut operands = Vec::new();
    while let Some(arg) = p.next()? {
        match arg {
            Short('t') | Long("tag") => a.tags.push(p.value()?.string()?),
            Short('f') | Long("file") => a.file = Some(p.value()?.into()),
            Long("build-arg") => {
                let v = p.value()?.string()?;
                a.build_args.push(match v.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => {
                        let env = std::env::var(&v).ok();
                        (v, env)
                    }
                });
            }
            Long("label") => {
                let v = p.value()?.string()?;
                let (k, v) = v.split_once('=').unwrap_or((&v, ""));
                a.labels.push((k.to_string(), v.to_string()));
            }
            Short('q') | Long("quiet") => a.quiet = true,
            Long("no-cache") => a.no_cache = true,
            Long("compat-volumes") => a.compat_volumes = true,
            Value(v) => operands.push(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    if operands.len() != 1 {
        return Err("build: requires exactly 1 argument: PATH | -".into());
    }
    a.context = operands.pop().unwrap();
    Ok(a)
}

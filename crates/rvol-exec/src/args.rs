//! Command line: `rvol-exec (--bundle DIR | ROOTFS) [-- CMD ARGS...]`, or
//! `rvol-exec --enter --bundle DIR [--user U] [--workdir W] [--env K=V]...
//! [--env-file F]... [--tty] -- CMD ARGS...` (exec). The command after
//! `--` replaces the bundle's `process.args`.

use std::ffi::OsString;
use std::path::PathBuf;

use rvol_state::{Error, Result};

const USAGE: &str = "usage: rvol-exec (--bundle DIR | ROOTFS) [-- CMD [ARGS...]]
       rvol-exec --enter --bundle DIR [--user U] [--workdir W] [--env K=V]... [--env-file F]... [--tty] -- CMD [ARGS...]

Run inside the namespaces made by rvol-ns: pivot_root into DIR's rootfs
(or ROOTFS), mount /proc /dev /sys as Docker does, set the hostname, the
user (annotation org.rvol.user), Docker's default capabilities, cwd and env
from DIR/config.json, and execve the command (process.args, or CMD).

With --enter (under `rvol-ns --enter`): join DIR's running container
instead, its mount namespace last, and start CMD there as docker exec
does: the container's env with the --env-file entries, then the --env
ones, merged by key; its user and working dir unless --user/--workdir;
its capabilities. Errors in docker exec's words, status 126.";

pub struct Args {
    pub bundle: Option<PathBuf>,
    pub rootfs: Option<PathBuf>,
    pub cmd: Vec<OsString>,
    /// `--enter` and what exec changes; None for a run.
    pub enter: Option<Exec>,
}

/// An exec's own settings over the container's.
#[derive(Default, PartialEq)]
pub struct Exec {
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// `--env` operands as given (a bare K is taken from our environment).
    pub env: Vec<String>,
    pub env_files: Vec<String>,
    pub tty: bool,
}

pub fn parse() -> Result<Args> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut bundle = None;
    let mut rootfs = None;
    let mut cmd = Vec::new();
    let mut enter = false;
    let mut exec = Exec::default();
    let str_of = |v: OsString| {
        v.into_string()
            .map_err(|v| Error::new(format!("not UTF-8: {v:?}")))
    };
    while let Some(arg) = parser.next()? {
        match arg {
            Long("bundle") => bundle = Some(PathBuf::from(parser.value()?)),
            Long("enter") => enter = true,
            Long("user") => exec.user = Some(str_of(parser.value()?)?),
            Long("workdir") => exec.workdir = Some(str_of(parser.value()?)?),
            Long("env") => exec.env.push(str_of(parser.value()?)?),
            Long("env-file") => exec.env_files.push(str_of(parser.value()?)?),
            Long("tty") => exec.tty = true,
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) if bundle.is_none() && rootfs.is_none() => rootfs = Some(PathBuf::from(v)),
            Value(v) => {
                cmd.push(v);
                cmd.extend(parser.raw_args()?);
            }
            _ => return Err(Error::new(format!("{}\n{USAGE}", arg.unexpected()))),
        }
    }
    if bundle.is_none() && rootfs.is_none() {
        return Err(Error::new(format!("give --bundle DIR or ROOTFS\n{USAGE}")));
    }
    if !enter && exec != Exec::default() {
        return Err(Error::new(format!(
            "--user, --workdir, --env, --env-file and --tty need --enter\n{USAGE}"
        )));
    }
    if enter && (bundle.is_none() || cmd.is_empty()) {
        return Err(Error::new(format!(
            "--enter takes --bundle DIR and a command\n{USAGE}"
        )));
    }
    Ok(Args {
        bundle,
        rootfs,
        cmd,
        enter: enter.then_some(exec),
    })
}

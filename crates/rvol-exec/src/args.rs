//! Command line: `rvol-exec (--bundle DIR | ROOTFS) [-- CMD ARGS...]`.
//! The command after `--` replaces the bundle's `process.args`.

use std::ffi::OsString;
use std::path::PathBuf;

use rvol_state::{Error, Result};

const USAGE: &str = "usage: rvol-exec (--bundle DIR | ROOTFS) [-- CMD [ARGS...]]

Run inside the namespaces made by rvol-ns: pivot_root into DIR's rootfs
(or ROOTFS), mount /proc /dev /sys as Docker does, set the hostname, the
user (annotation org.rvol.user), Docker's default capabilities, cwd and env
from DIR/config.json, and execve the command (process.args, or CMD).";

pub struct Args {
    pub bundle: Option<PathBuf>,
    pub rootfs: Option<PathBuf>,
    pub cmd: Vec<OsString>,
}

pub fn parse() -> Result<Args> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut bundle = None;
    let mut rootfs = None;
    let mut cmd = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("bundle") => bundle = Some(PathBuf::from(parser.value()?)),
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
    Ok(Args {
        bundle,
        rootfs,
        cmd,
    })
}

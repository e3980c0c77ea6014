//! Command line: `rvol-ns [--bundle DIR] [--mount] [--pid] [--uts] [--ipc]
//! [--net] [--cgroup] [--user] -- CMD ARGS...`, or `rvol-ns --enter
//! --bundle DIR [--detach] -- CMD ARGS...` (exec). The first positional
//! ends our options: it and everything after it is the child's argv.

use std::ffi::OsString;
use std::path::PathBuf;

use rvol_state::{Error, Result};

const USAGE: &str = "usage: rvol-ns [--bundle DIR] [--mount] [--pid] [--uts] [--ipc] [--net] [--cgroup] [--user] -- CMD [ARGS...]
       rvol-ns --enter --bundle DIR [--detach] -- CMD [ARGS...]

Unshare the namespaces given by the flags (and by linux.namespaces of
DIR/config.json), fork once so CMD is PID 1 of a new pid namespace, pass
SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 on to it, and exit with its
status (128+N for signal N). With --bundle, DIR/state.json follows the
container: running, then exited.

With --enter, join the namespaces of DIR's running container instead
(its mount namespace is left to CMD's chain: $RVOL_MNT_NS_FD), fork
once so CMD is in its pid namespace, and leave DIR's state alone;
--detach returns once CMD runs, or with the chain's status and message
when it could not be started.";

pub struct Args {
    pub bundle: Option<PathBuf>,
    /// CLONE_NEW* flags asked for on the command line.
    pub flags: libc::c_int,
    /// `--enter`: join the bundle's running container.
    pub enter: bool,
    pub detach: bool,
    pub cmd: Vec<OsString>,
}

pub fn parse() -> Result<Args> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut bundle = None;
    let mut flags = 0;
    let (mut enter, mut detach) = (false, false);
    let mut cmd = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("bundle") => bundle = Some(PathBuf::from(parser.value()?)),
            Long("mount") => flags |= libc::CLONE_NEWNS,
            Long("pid") => flags |= libc::CLONE_NEWPID,
            Long("uts") => flags |= libc::CLONE_NEWUTS,
            Long("ipc") => flags |= libc::CLONE_NEWIPC,
            Long("net") => flags |= libc::CLONE_NEWNET,
            Long("cgroup") => flags |= libc::CLONE_NEWCGROUP,
            Long("user") => flags |= libc::CLONE_NEWUSER,
            Long("enter") => enter = true,
            Long("detach") => detach = true,
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) => {
                cmd.push(v);
                cmd.extend(parser.raw_args()?);
            }
            _ => return Err(Error::new(format!("{}\n{USAGE}", arg.unexpected()))),
        }
    }
    if cmd.is_empty() {
        return Err(Error::new(format!("no command given\n{USAGE}")));
    }
    if enter && (bundle.is_none() || flags != 0) {
        return Err(Error::new(format!(
            "--enter takes --bundle DIR and no namespace flag\n{USAGE}"
        )));
    }
    if detach && !enter {
        return Err(Error::new(format!("--detach needs --enter\n{USAGE}")));
    }
    Ok(Args {
        bundle,
        flags,
        enter,
        detach,
        cmd,
    })
}

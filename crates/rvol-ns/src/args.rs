//! Command line: `rvol-ns [--bundle DIR [--detach]] [--mount] [--pid]
//! [--uts] [--ipc] [--net] [--cgroup] [--user] -- CMD ARGS...`,
//! `rvol-ns --attach --bundle DIR`, and `rvol-ns --enter --bundle DIR
//! [--detach] [--tty] -- CMD ARGS...` (exec). The first positional ends our
//! options: it and everything after it is the child's argv.

use std::ffi::OsString;
use std::path::PathBuf;

use rvol_state::{Error, Result};

const USAGE: &str = "usage: rvol-ns [--bundle DIR [--detach]] [--mount] [--pid] [--uts] [--ipc] [--net] [--cgroup] [--user] -- CMD [ARGS...]
       rvol-ns --attach --bundle DIR
       rvol-ns --enter --bundle DIR [--detach] [--tty] -- CMD [ARGS...]

Unshare the namespaces given by the flags (and by linux.namespaces of
DIR/config.json), fork once so CMD is PID 1 of a new pid namespace, pass
SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 on to it, and exit with its
status (128+N for signal N). With --bundle, DIR/state.json follows the
container: running, then exited, and DIR/container.log its output
(docker's json-file lines), which is also relayed to our stdout/stderr
unless --detach. With process.terminal the container gets a pty of its own
(-t); a detached or terminal container serves DIR/attach.sock.
--attach: attach to that socket (rvol attach; ctrl-p ctrl-q detaches).

With --enter, join the namespaces of DIR's running container instead
(its mount namespace is left to CMD's chain: $RVOL_MNT_NS_FD), fork
once so CMD is in its pid namespace, and leave DIR's state alone;
--detach returns once CMD runs, or with the chain's status and message
when it could not be started; --tty gives CMD a terminal of its own
(the pty made by the chain in the container's devpts, relayed here).";

pub struct Args {
    pub bundle: Option<PathBuf>,
    /// CLONE_NEW* flags asked for on the command line.
    pub flags: libc::c_int,
    /// `--enter`: join the bundle's running container.
    pub enter: bool,
    /// `--enter --tty`: the chain makes a pty, relayed here.
    pub tty: bool,
    pub cmd: Vec<OsString>,
    /// Nobody attached: the output goes to the log only. With `--enter`:
    /// return once the command runs (exec -d).
    pub detach: bool,
    /// `--attach`: be the client of a running container's attach.sock.
    pub attach: bool,
}

pub fn parse() -> Result<Args> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut bundle = None;
    let mut flags = 0;
    let mut cmd = Vec::new();
    let (mut detach, mut attach, mut enter, mut tty) = (false, false, false, false);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("bundle") => bundle = Some(PathBuf::from(parser.value()?)),
            Long("detach") => detach = true,
            Long("attach") => attach = true,
            Long("mount") => flags |= libc::CLONE_NEWNS,
            Long("pid") => flags |= libc::CLONE_NEWPID,
            Long("uts") => flags |= libc::CLONE_NEWUTS,
            Long("ipc") => flags |= libc::CLONE_NEWIPC,
            Long("net") => flags |= libc::CLONE_NEWNET,
            Long("cgroup") => flags |= libc::CLONE_NEWCGROUP,
            Long("user") => flags |= libc::CLONE_NEWUSER,
            Long("enter") => enter = true,
            Long("tty") => tty = true,
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
    if attach {
        if bundle.is_none() || !cmd.is_empty() {
            return Err(Error::new(format!(
                "--attach takes --bundle and no command\n{USAGE}"
            )));
        }
    } else if cmd.is_empty() {
        return Err(Error::new(format!("no command given\n{USAGE}")));
    }
    if enter && (bundle.is_none() || flags != 0) {
        return Err(Error::new(format!(
            "--enter takes --bundle DIR and no namespace flag\n{USAGE}"
        )));
    }
    if tty && !enter {
        return Err(Error::new(format!("--tty needs --enter\n{USAGE}")));
    }
    Ok(Args {
        bundle,
        flags,
        enter,
        tty,
        cmd,
        detach,
        attach,
    })
}

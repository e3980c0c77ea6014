//! `--enter`: start a command in a running container, as `docker exec`
//! does (runc exec). rvol-ns --enter has joined every namespace but the
//! mount one; the bundle and the env files are read here first, from the
//! host, then the mount namespace is joined (root and cwd become the
//! container's), with `--tty` a terminal made in its devpts (console.rs,
//! as a run's, but not bound over /dev/console), the user resolved in the container's /etc/passwd, and
//! the same last steps as a run's taken ([`crate::process::start`]).
//! Nothing is mounted or created: a missing working directory fails, as
//! docker's exec does.
//!
//! Failures read as docker exec prints them (docs/docker-behaviour.md
//! §12), without our tool prefix, and give its status 126: `OCI runtime
//! exec failed: exec failed: unable to start container process: <why>:
//! unknown`, a user that is not there as its bare text.

use rvol_state::error::EXIT_CANNOT_RUN;
use rvol_state::{Error, Result};

use crate::args::Args;
use crate::plan::Plan;

/// runc's words around a failure of the exec itself.
fn runtime(why: &str) -> Error {
    Error::new(format!(
        "OCI runtime exec failed: exec failed: {why}: unknown"
    ))
    .with_code(EXIT_CANNOT_RUN)
}

/// A failure once in the container: runc's, plus the hint docker's
/// daemon adds to a "not a directory" (its check for a mount of a file
/// over a directory, which a `-w FILE` meets too).
fn start_failed(e: Error) -> Error {
    let mut e = runtime(&format!("unable to start container process: {}", e.msg));
    if e.msg.contains("not a directory") {
        e.msg.push_str(": Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type");
    }
    e
}

pub fn run(args: Args) -> Result<i32> {
    let relative = args
        .enter
        .as_ref()
        .and_then(|x| x.workdir.as_deref())
        .is_some_and(|w| !w.starts_with('/'));
    if relative {
        return Err(runtime("Cwd must be an absolute path"));
    }
    let plan = Plan::new(args).map_err(|e| match e.code {
        rvol_state::error::EXIT_OWN => e.context("rvol-exec"),
        _ => e,
    })?;
    // The container's filter, as a run's process gets it (docker's exec).
    let filter = crate::seccomp::Filter::compile(plan.seccomp.as_ref(), plan.no_new_privileges)?;
    rvol_state::mntns_fd::join().map_err(start_failed)?;
    // --tty: the pty in the container's own devpts, its master to rvol-ns.
    crate::console::take(&plan, false).map_err(start_failed)?;
    let user = crate::user::resolve(&plan.user, &plan.additional_gids)
        .map_err(|e| e.with_code(EXIT_CANNOT_RUN))?;
    crate::process::start(&plan, &user, &filter).map_err(start_failed)
}

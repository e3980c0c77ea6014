//! The last steps: the working directory, the environment, finding the
//! command the way runc does (Go's exec.LookPath on the container's PATH),
//! and execve. Failures read as docker's and map to its statuses: 127 when
//! the command is not there, 126 when it cannot be run.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use rvol_state::error::{EXIT_CANNOT_RUN, EXIT_NOT_FOUND};
use rvol_state::{Error, Result};

use crate::plan::Plan;
use crate::user::User;

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// An errno as Go prints it: `no such file or directory`.
pub fn errno_text(errno: i32) -> String {
    rvol_state::error::errno_text(errno)
}

/// docker's exit status for a start failure: by what its text says.
fn status_for(msg: &str) -> i32 {
    if msg.contains("permission denied") {
        EXIT_CANNOT_RUN
    } else if msg.contains("executable file not found") || msg.contains("no such file or directory")
    {
        EXIT_NOT_FOUND
    } else {
        rvol_state::error::EXIT_OWN
    }
}

/// Created as root (0755) when missing, as docker does for `-w`.
pub fn make_cwd(cwd: &str) -> Result<()> {
    match std::fs::metadata(cwd) {
        Ok(md) if md.is_dir() => Ok(()),
        Ok(_) => Err(Error::new(format!(
            "Cannot mkdir: {cwd} is not a directory"
        ))),
        Err(_) => crate::kernelfs::mkdir(cwd),
    }
}

fn has_key(env: &[String], key: &str) -> bool {
    env.iter()
        .any(|e| e.split_once('=').map(|(k, _)| k) == Some(key))
}

fn environment(plan: &Plan, user: &User) -> Vec<String> {
    let mut env = Vec::with_capacity(plan.env.len() + 3);
    if !has_key(&plan.env, "PATH") {
        env.push(format!("PATH={DEFAULT_PATH}"));
    }
    if !has_key(&plan.env, "HOSTNAME") {
        if let Ok(h) = nix::unistd::gethostname() {
            env.push(format!("HOSTNAME={}", h.to_string_lossy()));
        }
    }
    // docker's daemon adds TERM=xterm for -t; the image's or -e's wins.
    if plan.terminal && !has_key(&plan.env, "TERM") {
        env.push("TERM=xterm".into());
    }
    env.extend(plan.env.iter().cloned());
    if !has_key(&env, "HOME") {
        env.push(format!("HOME={}", user.home));
    }
    env
}

fn is_executable(p: &[u8]) -> std::result::Result<(), i32> {
    match std::fs::metadata(OsStr::from_bytes(p)) {
        Err(e) => Err(e.raw_os_error().unwrap_or(libc::ENOENT)),
        Ok(md) if !md.is_dir() && md.permissions().mode() & 0o111 != 0 => Ok(()),
        Ok(_) => Err(libc::EACCES),
    }
}

/// exec.LookPath: a name with a slash is taken as it is (and must be an
/// executable file), any other is searched in PATH.
fn look_path(name: &[u8], path: &str) -> std::result::Result<Vec<u8>, String> {
    let shown = String::from_utf8_lossy(name);
    if name.contains(&b'/') {
        return match is_executable(name) {
            Ok(()) => Ok(name.to_vec()),
            Err(libc::EACCES) => Err(format!("exec: {shown:?}: permission denied")),
            Err(e) => Err(format!("exec: {shown:?}: stat {shown}: {}", errno_text(e))),
        };
    }
    if !name.is_empty() {
        for dir in path.split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let mut p = dir.as_bytes().to_vec();
            p.push(b'/');
            p.extend_from_slice(name);
            if is_executable(&p).is_ok() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "exec: {shown:?}: executable file not found in $PATH"
    ))
}

fn chdir_error(cwd: &str, e: nix::errno::Errno) -> Error {
    let msg = format!(
        "chdir to cwd ({cwd:?}) set in config.json failed: {}",
        errno_text(e as i32)
    );
    let code = status_for(&msg);
    Error::new(msg).with_code(code)
}

/// runc's order: chdir while still root (the cwd may be closed to the
/// user, as /root is to uid 1000: docker still starts there); only a
/// permission error is tried again as the user. True when it must be.
pub fn chdir_as_root(cwd: &str) -> Result<bool> {
    match nix::unistd::chdir(cwd) {
        Ok(()) => Ok(false),
        Err(nix::errno::Errno::EACCES | nix::errno::Errno::EPERM) => Ok(true),
        Err(e) => Err(chdir_error(cwd, e)),
    }
}

pub fn exec(
    plan: &Plan,
    user: &User,
    chdir_again: bool,
    filter: &crate::seccomp::Filter,
) -> Result<i32> {
    let fail = |msg: String| {
        let code = status_for(&msg);
        Error::new(msg).with_code(code)
    };
    if chdir_again {
        nix::unistd::chdir(plan.cwd.as_str()).map_err(|e| chdir_error(&plan.cwd, e))?;
    }
    let env = environment(plan, user);
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("");
    let arg0 = plan.args[0].as_bytes();
    let file = look_path(arg0, path).map_err(fail)?;
    let cstr =
        |b: &[u8]| CString::new(b).map_err(|_| Error::new("command line: NUL byte in an argument"));
    let file = cstr(&file)?;
    let argv = plan
        .args
        .iter()
        .map(|a| cstr(a.as_bytes()))
        .collect::<Result<Vec<_>>>()?;
    let envp = env
        .iter()
        .map(|e| cstr(e.as_bytes()))
        .collect::<Result<Vec<_>>>()?;
    // SAFETY: umask(2) cannot fail; docker's processes start with 022.
    unsafe { libc::umask(0o022) };
    crate::sys::reset_signals();
    // runc: with no-new-privileges, the filter as the last step (after
    // the command is found, so few syscalls follow it).
    filter.load_before_execve()?;
    let e = nix::unistd::execve(&file, &argv, &envp).unwrap_err();
    let shown = String::from_utf8_lossy(arg0);
    Err(fail(format!("exec: {shown:?}: {}", errno_text(e as i32))))
}

//! The bundle's `hooks.createRuntime` (OCI runtime spec), run in order on
//! the host before any namespace is made: rvol-mount create writes one
//! for a volume with the local driver's options (`rvol-mount volume mount
//! --bundle B`: the mount on the volume's `_data`, which the container's
//! new mount namespace then starts with). A failing one ends the start:
//! its message (on the start channel, `$RVOL_START_FD`) is the state's
//! `Error`, as docker's for a volume it could not mount.
//!
//! And `hooks.poststop`: run in order once the
//! container has ended and its state is recorded. rvol-mount create writes
//! one for `--rm` (`rvol-mount rm -v -f --background -- ID`), so the container goes away
//! however it was started, with no shell waiting around to remove it.
//!
//! As the spec asks, each hook gets the container's state as JSON on stdin,
//! and a failing hook is reported and does not change the exit status.
//! Its stdout goes to /dev/null: ours is the container's output, and `rm`
//! prints the id it removed. Hook timeouts are not enforced.
//!
//! The first hook also inherits the container's mount namespace, which we
//! held past the container's end (supervise): we let go of it as soon as
//! the hook has started, so the hook (or what it leaves running: `rm
//! --background`'s deleter) is the one to wait for its teardown, not the
//! caller of `rvol run --rm`.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use oci_spec::runtime::{Hook, Spec};

/// The poststop hooks of the spec, if any.
pub fn poststop(spec: &Spec) -> Vec<Hook> {
    spec.hooks()
        .as_ref()
        .and_then(|h| h.poststop().clone())
        .unwrap_or_default()
}

/// The createRuntime hooks of the spec, if any.
pub fn create_runtime(spec: &Spec) -> Vec<Hook> {
    spec.hooks()
        .as_ref()
        .and_then(|h| h.create_runtime().clone())
        .unwrap_or_default()
}

/// A createRuntime hook that failed: its message and exit status.
pub struct Failed {
    pub msg: String,
    pub code: i32,
    /// The hook said it itself (on its stderr, which is ours).
    pub said: bool,
}

/// Runs each hook to its end, in our namespaces (none made yet); the
/// first failure stops the start.
pub fn run_create_runtime(hooks: &[Hook], bundle: &Path, spec: &Spec) -> Result<(), Failed> {
    let state = state_json(bundle, spec, "creating");
    for h in hooks {
        let fail = |msg: String| Failed {
            msg: format!("createRuntime hook {}: {msg}", h.path().display()),
            code: rvol_state::error::EXIT_OWN,
            said: false,
        };
        let (r, w) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| fail(e.desc().into()))?;
        let mut c = command(h);
        // SAFETY: clearing FD_CLOEXEC on a descriptor we own: inherited.
        unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFD, 0) };
        c.env(rvol_state::start_fd::ENV, w.as_raw_fd().to_string());
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| fail(e.to_string()))?;
        drop(w);
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(&state);
        }
        let mut said = String::new();
        let _ = std::io::Read::read_to_string(&mut std::fs::File::from(r), &mut said);
        let status = child.wait().map_err(|e| fail(e.to_string()))?;
        if !status.success() {
            let code = status.code().unwrap_or(rvol_state::error::EXIT_OWN);
            return Err(match said.trim() {
                "" => Failed {
                    code,
                    ..fail(status.to_string())
                },
                msg => Failed {
                    msg: msg.to_string(),
                    code,
                    said: true,
                },
            });
        }
    }
    Ok(())
}

/// Runs each hook to its end; problems become messages on stderr.
pub fn run(hooks: &[Hook], bundle: &Path, spec: &Spec, mut mount_ns: Option<std::fs::File>) {
    if hooks.is_empty() {
        return;
    }
    if let Some(ns) = &mount_ns {
        // SAFETY: clearing FD_CLOEXEC on a descriptor we own: inherited.
        unsafe { libc::fcntl(ns.as_raw_fd(), libc::F_SETFD, 0) };
    }
    let state = state_json(bundle, spec, "stopped");
    for h in hooks {
        if let Err(msg) = run_one(h, &state, &mut mount_ns) {
            eprintln!("rvol-ns: poststop hook {}: {msg}", h.path().display());
        }
    }
}

/// The hook's command: its path, argv (with its own argv[0]), env.
fn command(h: &Hook) -> Command {
    let mut c = Command::new(h.path());
    if let Some(args) = h.args() {
        if let Some((arg0, rest)) = args.split_first() {
            c.arg0(arg0).args(rest);
        }
    }
    if let Some(env) = h.env() {
        c.env_clear();
        for kv in env {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            c.env(k, v);
        }
    }
    c
}

fn run_one(h: &Hook, state: &[u8], mount_ns: &mut Option<std::fs::File>) -> Result<(), String> {
    let mut c = command(h);
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    // The hook has its copy now.
    *mount_ns = None;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is fine (EPIPE).
        let _ = stdin.write_all(state);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(status.to_string())
    }
}

/// The OCI state of the container (`creating`, `stopped`).
fn state_json(bundle: &Path, spec: &Spec, status: &str) -> Vec<u8> {
    let id = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bundle = std::fs::canonicalize(bundle).unwrap_or_else(|_| bundle.to_path_buf());
    serde_json::to_vec(&serde_json::json!({
        "ociVersion": spec.version(),
        "id": id,
        "status": status,
        "bundle": bundle,
        "annotations": spec.annotations().clone().unwrap_or_default(),
    }))
    .unwrap_or_default()
}

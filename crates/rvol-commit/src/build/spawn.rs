//! The other tools a build runs: the `create`, `start` and `rm` verbs (the
//! same chain a user's `rvol run` is), and for COPY the chain with
//! `rvol-commit copy-into` in rvol-exec's place. The verbs are found in
//! $RVOL_SCRIPTS (scripts/rvol-build sets it, as every verb does); the
//! binaries on PATH, where the verbs' lib puts their directory first.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rvol_state::{Error, Result, ResultExt, Root};

use super::out::Out;

fn verb(name: &str) -> Result<PathBuf> {
    let dir = std::env::var_os("RVOL_SCRIPTS")
        .ok_or_else(|| Error::new("build: RVOL_SCRIPTS is not set: run it as `rvol build`"))?;
    Ok(Path::new(&dir).join(format!("rvol-{name}")))
}

/// The status of a finished child: its code, or 128+N for signal N.
fn code(st: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0))
}

/// `rvol create --network none --entrypoint '' [-e K=V]... IMAGE ARGV...`:
/// the container of a step; its id.
pub fn create(
    image: &str,
    env: &[(String, String)],
    volumes: bool,
    argv: &[String],
) -> Result<String> {
    let mut c = Command::new(verb("create")?);
    c.args(["--network", "none", "--entrypoint", ""]);
    if !volumes {
        c.arg("--no-image-volumes");
    }
    for (k, v) in env {
        c.arg("-e").arg(format!("{k}={v}"));
    }
    c.arg("--").arg(image).args(argv);
    let out = c.stderr(Stdio::inherit()).output().ctx("run rvol create")?;
    if !out.status.success() {
        return Err(
            Error::new("the step's container could not be made").with_code(code(out.status))
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `rvol start -a ID`: the step's output as it comes (kept with -q); its status.
pub fn start(id: &str, out: &mut Out) -> Result<i32> {
    let mut c = Command::new(verb("start")?);
    c.args(["-a", "--", id]).stdin(Stdio::null());
    if !out.quiet() {
        return Ok(code(c.status().ctx("run rvol start")?));
    }
    let (mut r, w) = std::io::pipe().ctx("pipe")?;
    c.stdout(w.try_clone().ctx("pipe")?).stderr(w);
    let mut child = c.spawn().ctx("run rvol start")?;
    drop(c);
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.bytes(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::new(format!("read the step's output: {e}"))),
        }
    }
    Ok(code(child.wait().ctx("wait for rvol start")?))
}

/// Removes a step's container if the build dies first (kill -9 too): a
/// shell in its own process group (a terminal's Ctrl-C does not reach it)
/// waits on a pipe only the build holds; end of file without `done` first
/// means the build is gone, and it runs `rvol rm -f -v ID`.
pub struct Guard {
    w: Option<std::io::PipeWriter>,
}

pub fn guard(id: &str) -> Result<Guard> {
    use std::os::unix::process::CommandExt;
    let (r, w) = std::io::pipe().ctx("pipe")?;
    Command::new("/bin/sh")
        .args([
            "-c",
            r#"read -r x; [ "$x" = done ] || exec "$0" -f -v -- "$1" >/dev/null 2>&1"#,
        ])
        .arg(verb("rm")?)
        .arg(id)
        .stdin(r)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ctx("start the build's guard")?;
    Ok(Guard { w: Some(w) })
}

impl Guard {
    /// The build removed the container itself: the guard ends.
    pub fn done(mut self) {
        if let Some(mut w) = self.w.take() {
            let _ = std::io::Write::write_all(&mut w, b"done\n");
        }
    }
}

/// `rvol-mount rm -v -f --background ID`: the step's container (ended) and
/// its anonymous volumes go; renamed away at once, deleted by a detached
/// child as an `--rm` container's hook does, so the next step need not wait.
pub fn remove(id: &str) {
    let _ = Command::new("rvol-mount")
        .args(["rm", "-v", "-f", "--background", "--", id])
        .stdout(Stdio::null())
        .status();
}

/// The chain with `rvol-commit copy-out --rootfs ROOTFS --to DIR SRC...`:
/// `COPY --from`'s sources staged on the host.
pub fn copy_out(root: &Root, id: &str, to: &Path, srcs: &[String]) -> Result<()> {
    let mut tail: Vec<std::ffi::OsString> = vec!["copy-out".into(), "--to".into(), to.into()];
    tail.extend(srcs.iter().map(Into::into));
    chain(root, id, &tail)
}

/// The chain with `rvol-commit copy-into --rootfs ROOTFS PLAN` at its end:
/// the container's root is mounted (in its own mount namespace) while the
/// step's files are written into it.
pub fn copy_into(root: &Root, id: &str, plan: &Path) -> Result<()> {
    chain(root, id, &["copy-into".into(), plan.into()])
}

/// rvol-ns -> rvol-mount apply -> rvol-commit MODE --rootfs ROOTFS ARGS...
fn chain(root: &Root, id: &str, mode_args: &[std::ffi::OsString]) -> Result<()> {
    let bundle = root.container(id);
    let me = std::env::current_exe().ctx("find rvol-commit")?;
    let st = Command::new("rvol-ns")
        .arg("--bundle")
        .arg(&bundle)
        .arg("--")
        .arg("rvol-mount")
        .arg("apply")
        .arg("--bundle")
        .arg(&bundle)
        .arg("--")
        .arg(me)
        .arg(&mode_args[0])
        .arg("--rootfs")
        .arg(bundle.join("rootfs"))
        .args(&mode_args[1..])
        .stdin(Stdio::null())
        .status()
        .ctx("run rvol-ns")?;
    if !st.success() {
        return Err(Error::new("").with_code(code(st)));
    }
    Ok(())
}

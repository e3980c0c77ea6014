//! Probes what the integration tests need, once per build, and tells the
//! tests through cfgs (src/lib.rs says how they use them):
//! - `rvol_have_host`: effective uid 0 and overlayfs in the kernel;
//! - `rvol_have_docker`: a Docker daemon answers `docker info`.
//!
//! A test whose cfg is missing is compiled as `#[ignore = "needs ..."]`,
//! so libtest reports it ignored rather than passed. Under
//! `RVOL_MUST_WORK=1` a missing prerequisite fails the build, naming it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RVOL_MUST_WORK");
    println!("cargo::rerun-if-env-changed=DOCKER_HOST");
    println!("cargo::rustc-check-cfg=cfg(rvol_have_host)");
    println!("cargo::rustc-check-cfg=cfg(rvol_have_docker)");
    // A daemon (re)started makes its socket anew: probe again then. A
    // missing socket makes cargo rerun this at every build, so a daemon
    // started later is seen too.
    if let Some(sock) = docker_socket() {
        println!("cargo::rerun-if-changed={}", sock.display());
    }

    let mut missing = Vec::new();
    let root = effective_uid() == Some(0);
    let overlay = has_overlayfs();
    if root && overlay {
        println!("cargo::rustc-cfg=rvol_have_host");
    } else {
        if !root {
            missing.push("root (the tests mount and make namespaces): run as root".to_string());
        }
        if !overlay {
            missing.push(
                "overlayfs (not in /proc/filesystems, no overlay module): modprobe overlay"
                    .to_string(),
            );
        }
    }
    match docker_answers() {
        Ok(()) => println!("cargo::rustc-cfg=rvol_have_docker"),
        Err(why) => missing.push(format!(
            "a Docker daemon ({why}): start dockerd --iptables=false --bridge=none, or set DOCKER_HOST"
        )),
    }
    if missing.is_empty() {
        return;
    }
    let list = missing.join("; ");
    if std::env::var("RVOL_MUST_WORK").is_ok_and(|v| v == "1") {
        panic!("rvol-tests: RVOL_MUST_WORK=1 and the tests cannot all run: missing {list}");
    }
    println!("cargo::warning=rvol-tests: the tests that need them are ignored: missing {list}");
}

/// The effective uid, from /proc/self/status (`Uid: real effective ...`).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Overlayfs is registered, or a module the kernel loads at the first
/// mount is installed.
fn has_overlayfs() -> bool {
    let registered = std::fs::read_to_string("/proc/filesystems").is_ok_and(|f| {
        f.lines()
            .any(|l| l.split_whitespace().last() == Some("overlay"))
    });
    registered || overlay_module().is_some()
}

fn overlay_module() -> Option<PathBuf> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let dir = Path::new("/lib/modules")
        .join(release.trim())
        .join("kernel/fs/overlayfs");
    std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("overlay.ko"))
        })
}

/// The daemon's unix socket: `DOCKER_HOST=unix://PATH`, else docker's
/// default; None for a daemon reached otherwise (tcp).
fn docker_socket() -> Option<PathBuf> {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => h.strip_prefix("unix://").map(PathBuf::from),
        _ => Some(PathBuf::from("/var/run/docker.sock")),
    }
}

/// `docker info` succeeds within 30 s.
fn docker_answers() -> Result<(), String> {
    let mut child = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("docker: {e}"))?;
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            return if st.success() {
                Ok(())
            } else {
                Err(format!("`docker info` failed: {st}"))
            };
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            return Err("`docker info` did not answer in 30 s".to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

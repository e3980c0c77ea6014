//! Helpers for rvol's integration tests: find the real binaries, make a
//! throwaway state root, build real images (a busybox rootfs, OCI layouts
//! written by hand), and reach the real Docker daemon for comparisons.
//!
//! Tests need root, overlayfs and namespaces. Without them a test skips,
//! unless `RVOL_MUST_WORK=1` (CI sets it), where it fails loudly.

pub mod cli;
pub mod hardening;
pub mod hostile;
pub mod image;
pub mod mounts;
pub mod probe;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory holding the workspace's binaries: `$RVOL_BIN_DIR`, else
/// the profile directory this test binary was built into.
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("RVOL_BIN_DIR") {
        return PathBuf::from(d);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test> -> target/<profile>
    exe.parent()
        .and_then(Path::parent)
        .expect("profile dir")
        .to_path_buf()
}

/// A workspace binary (`rvol-unpack`, ...), which must have been built.
pub fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "{} is not built: run `cargo build --workspace` (same profile) first",
        p.display()
    );
    p
}

/// The repository's top directory.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// True when the tests must run rather than skip (CI).
pub fn must_work() -> bool {
    std::env::var("RVOL_MUST_WORK")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// Call first in a test that needs root: false means "skip" (reason printed);
/// under RVOL_MUST_WORK=1 it panics instead.
pub fn have_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc_geteuid() } == 0 {
        return true;
    }
    if must_work() {
        panic!("this test needs root (RVOL_MUST_WORK=1)");
    }
    eprintln!("skipped: needs root");
    false
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// A temporary directory, removed when dropped (after lazily unmounting
/// anything a failed test left below it).
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let base = std::env::var_os("RVOL_TEST_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/tmp"));
        let path = base.join(format!(
            "rvol-test-{tag}-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&path).expect("mkdir temp");
        TempDir { path }
    }
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("RVOL_KEEP_TMP").is_some() {
            return;
        }
        for m in mounts_under(&self.path).into_iter().rev() {
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    t ^ (N.fetch_add(1, Ordering::SeqCst) << 32)
}

/// Mount points in the host's (this process's) mount table at or below `dir`.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let d = dir.to_string_lossy().into_owned();
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|m| m == &d || m.starts_with(&format!("{d}/")))
        .map(PathBuf::from)
        .collect()
}

fn unescape_mountinfo(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// A throwaway state root (`--root` for every tool).
pub struct TestRoot {
    pub tmp: TempDir,
}

impl TestRoot {
    pub fn new(tag: &str) -> TestRoot {
        let tmp = TempDir::new(tag);
        std::fs::create_dir_all(tmp.join("root")).unwrap();
        TestRoot { tmp }
    }
    pub fn path(&self) -> PathBuf {
        self.tmp.join("root")
    }
    /// `rvol-<tool> --root ROOT args...` as a Command ready to run.
    pub fn cmd(&self, tool: &str) -> Command {
        let mut c = Command::new(bin(tool));
        c.env("RVOL_ROOT", self.path());
        c
    }
}

/// Run and capture; never panics on a non-zero exit.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

/// Run, expect success, return stdout as a string.
pub fn ok(cmd: &mut Command) -> String {
    let o = run(cmd);
    assert!(
        o.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A shell command line, captured.
pub fn sh(script: &str) -> Output {
    run(Command::new("sh").arg("-c").arg(script))
}

/// Whether `docker` answers with a running daemon. Under RVOL_MUST_WORK=1
/// a missing daemon is a failure, not a skip.
pub fn have_docker() -> bool {
    let up = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !up {
        if must_work() {
            panic!("docker daemon not reachable (RVOL_MUST_WORK=1): start dockerd --iptables=false --bridge=none");
        }
        eprintln!("skipped: no docker daemon");
    }
    up
}

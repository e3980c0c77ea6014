//! The harness of rvol's integration tests: one throwaway state root per
//! test ([`TestRoot`]) that runs the real binaries (`tool`), the user's
//! command line (`scripts/rvol`, `rvol`) and the whole container chain
//! (`chain`, in [`chain`]) against it; real images built here (a busybox
//! rootfs, OCI layouts written by hand: [`image`], [`hostile`]); the real
//! Docker daemon for comparisons, with the images each test imports and
//! removes itself ([`docker`]); and the small helpers every file shares
//! ([`output`], [`names`], [`wait`]).
//!
//! # Prerequisites: ignored, not passed
//! The tests need root and overlayfs (they mount overlays and make
//! namespaces), and some a Docker daemon. `build.rs` probes these when the
//! crate is built and sets two cfgs:
//! - `rvol_have_host`: running as root (effective uid 0), and the kernel
//!   has overlayfs (listed in /proc/filesystems, or a module it can load);
//! - `rvol_have_docker`: `docker info` answers (honouring `DOCKER_HOST`).
//!
//! A test names what it needs with
//! `#[cfg_attr(not(rvol_have_host), ignore = "needs root and overlayfs")]`
//! or `#[cfg_attr(not(all(rvol_have_host, rvol_have_docker)), ignore = ...)]`,
//! so that without it libtest reports it `ignored` with the reason, never
//! `ok`. Under `RVOL_MUST_WORK=1` (CI) a missing prerequisite fails the
//! build instead, with a message naming it. The probe reruns when
//! `RVOL_MUST_WORK` or `DOCKER_HOST` changes, or the daemon's socket is
//! made again (a restarted daemon); `cargo test` builds first, so a
//! daemon started before it (scripts/test does) is seen.

pub mod chain;
pub mod docker;
pub mod hardening;
pub mod hostile;
pub mod image;
pub mod names;
pub mod output;
pub mod probe;
pub mod root;
pub mod rootless;
pub mod tmp;
pub mod tmux;
pub mod wait;

pub use names::{fresh, is_hex64, unique};
pub use output::{ok, run, sh, stderr, stdout, text};
pub use root::TestRoot;
pub use tmp::{mounts_under, TempDir};
pub use wait::{eventually, wait_until};

use std::path::{Path, PathBuf};

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

//! The one throwaway state root of a test, and the one way to run the
//! toolkit against it: a workspace binary (`tool`) or the user's command
//! line, `scripts/rvol VERB ...` (`rvol`). Both get `RVOL_ROOT`; the
//! container chain on top of it is in [`crate::chain`].

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::{bin, image, TempDir};

/// A temp dir (`tmp`) whose `root/` is the state root (`path()`); the
/// rest of `tmp` is the test's scratch space (images, host dirs).
pub struct TestRoot {
    pub tmp: TempDir,
}

impl TestRoot {
    pub fn new(tag: &str) -> TestRoot {
        let tmp = TempDir::new(tag);
        std::fs::create_dir_all(tmp.join("root")).unwrap();
        if crate::rootless::replay() {
            crate::rootless::user().own(&tmp.path, &[]);
        }
        TestRoot { tmp }
    }

    /// A replay (`rootless::replay`): the command runs as the rootless
    /// user, who owns what the test made in its temp dir by then.
    fn as_replayed(&self, c: &mut Command) {
        if crate::rootless::replay() {
            let u = crate::rootless::user();
            u.own(&self.tmp.path, &["root"]);
            u.command(c);
        }
    }

    /// What the test wrote into the state root itself (an image store, a
    /// bundle laid out by hand, a killed copy's leftovers), in a replay
    /// handed to the user, owned as the rootless tools would have made it:
    /// the state root is the user's, and what the user runs cannot change
    /// files host root owns there.
    pub fn adopt(&self, path: &std::path::Path) {
        if crate::rootless::replay() {
            crate::rootless::user().own(path, &[]);
        }
    }

    /// The state root.
    pub fn path(&self) -> PathBuf {
        self.tmp.join("root")
    }

    /// A path under this test's host directory (not yet made): the
    /// sources of binds.
    pub fn host(&self, p: &str) -> PathBuf {
        self.tmp.join("host").join(p)
    }

    /// `rvol-<tool>` on this root, not yet run.
    pub fn tool(&self, tool: &str) -> Command {
        let mut c = Command::new(bin(tool));
        c.env("RVOL_ROOT", self.path());
        self.as_replayed(&mut c);
        c
    }

    /// `scripts/rvol ARGS...` on this root and this build's binaries, not
    /// yet run.
    pub fn rvol(&self, args: &[&str]) -> Command {
        let mut c = Command::new(crate::repo().join("scripts/rvol"));
        c.env("RVOL_BIN_DIR", crate::bin_dir())
            .env("RVOL_ROOT", self.path())
            .args(args);
        self.as_replayed(&mut c);
        c
    }

    /// `scripts/rvol ARGS...`, captured whatever the status.
    pub fn rvol_run(&self, args: &[&str]) -> Output {
        crate::run(&mut self.rvol(args))
    }

    /// `scripts/rvol ARGS...`, expecting success: stdout.
    pub fn rvol_ok(&self, args: &[&str]) -> String {
        crate::ok(&mut self.rvol(args))
    }

    /// `rvol import` of the tests' busybox rootfs ([`image::busybox_tar`],
    /// the bytes a docker side imports too) as `name`.
    pub fn import_busybox(&self, name: &str) {
        let tar = image::busybox_tar(&self.tmp);
        self.rvol_ok(&["import", tar.to_str().unwrap(), name]);
    }
}

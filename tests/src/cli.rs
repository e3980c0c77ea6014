//! `scripts/rvol` as a user types it, with the test's own binaries and
//! state root: the driver the command-line and walkthrough tests share.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::{image, TestRoot};

pub struct Rvol {
    pub root: TestRoot,
}

impl Rvol {
    pub fn new(tag: &str) -> Rvol {
        Rvol {
            root: TestRoot::new(tag),
        }
    }

    /// `scripts/rvol ARGS...`, not yet run.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(crate::repo().join("scripts/rvol"));
        c.env("RVOL_BIN_DIR", crate::bin_dir())
            .env("RVOL_ROOT", self.root.path())
            .args(args);
        c
    }

    /// Run and capture, whatever the status.
    pub fn run(&self, args: &[&str]) -> Output {
        crate::run(&mut self.cmd(args))
    }

    /// Expect success; stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        crate::ok(&mut self.cmd(args))
    }

    /// A path under this test's host directory (not yet made).
    pub fn host(&self, p: &str) -> PathBuf {
        self.root.tmp.join("host").join(p)
    }

    /// A busybox image from busybox-static, imported as `name`.
    pub fn import_busybox(&self, name: &str) {
        let rootfs = self.root.tmp.join("busybox-rootfs");
        image::busybox_rootfs(&rootfs);
        let tar = self.root.tmp.join("busybox.tar");
        std::fs::write(&tar, image::tar_dir(&rootfs)).unwrap();
        self.ok(&["import", tar.to_str().unwrap(), name]);
    }
}

//! The real Docker daemon, for comparisons: `docker ARGS` captured, the
//! objects a test makes there removed when it ends, and the images it
//! compares against made by the test itself (`docker import` of the
//! tests' busybox rootfs under a name of its own), never taken from what
//! the daemon happens to hold: a new daemon holds nothing, and a pull
//! would need a registry.

use std::process::{Command, Output};

use crate::{image, TempDir};

/// `docker ARGS`, captured whatever the status.
pub fn docker(args: &[&str]) -> Output {
    crate::run(Command::new("docker").args(args))
}

/// `docker ARGS`, expecting success: stdout.
pub fn docker_ok(args: &[&str]) -> String {
    crate::ok(Command::new("docker").args(args))
}

/// The daemon's volume store, `<DockerRootDir>/volumes/`: where the
/// `Source` of a docker volume lies (/var/lib/docker/volumes/ for a daemon
/// of the default data root, elsewhere for one started with its own).
pub fn volumes_dir() -> String {
    let root = docker_ok(&["info", "--format", "{{.DockerRootDir}}"]);
    format!("{}/volumes/", root.trim())
}

/// Docker objects one test made, removed when it ends (also when it
/// fails): containers first, then volumes, then images, the last made
/// first (an image built FROM another goes before it).
#[derive(Default)]
pub struct DockerObjects {
    pub containers: Vec<String>,
    pub volumes: Vec<String>,
    pub images: Vec<String>,
}

impl DockerObjects {
    pub fn new() -> DockerObjects {
        DockerObjects::default()
    }

    /// `docker import` of the tests' busybox rootfs ([`image::busybox_tar`]
    /// in `tmp`: the bytes [`crate::TestRoot::import_busybox`] gives rvol)
    /// under a tag of its own, `rvoltest<pid>bb-<n>:local`; removed with
    /// the rest.
    pub fn import_busybox(&mut self, tmp: &TempDir) -> String {
        let tar = image::busybox_tar(tmp);
        let tag = format!("{}:local", crate::fresh("bb"));
        crate::ok(Command::new("docker").arg("import").arg(&tar).arg(&tag));
        self.images.push(tag.clone());
        tag
    }
}

impl Drop for DockerObjects {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "-f", "-v", c]);
        }
        for v in &self.volumes {
            let _ = docker(&["volume", "rm", "-f", v]);
        }
        for i in self.images.iter().rev() {
            let _ = docker(&["rmi", "-f", i]);
        }
    }
}

/// Strip docker's CLI wrapping (`docker: Error response from daemon: `,
/// the usage hint) to the error text itself.
pub fn docker_error(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr);
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string();
    let line = line.strip_prefix("docker: ").unwrap_or(&line);
    line.strip_prefix("Error response from daemon: ")
        .unwrap_or(line)
        .to_string()
}

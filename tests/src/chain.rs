//! Containers through the real chain on a [`TestRoot`]: an image made
//! from a busybox rootfs plus whatever the test adds (as an OCI layout,
//! with image config such as `Volumes`), its spec from the real
//! rvol-unpack, `rvol-mount create` with docker's flags, and containers run
//! by `rvol-ns -- rvol-mount apply -- rvol-exec`. Plus what a state root
//! holds ([`Snapshot`]), to check that a failure left nothing: no bundle,
//! no name, no new volume, no mount.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::{bin, image, mounts_under, TestRoot};

/// What a state root holds, to compare before and after a failure.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub containers: BTreeSet<String>,
    pub names: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
    pub mounts: Vec<PathBuf>,
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".lock"))
                .collect()
        })
        .unwrap_or_default()
}

impl TestRoot {
    /// An image `oci:DIR:latest` from a busybox rootfs that `extra` may
    /// change, with image `config` (Cmd, Volumes, ...). Returns the reference.
    pub fn image(
        &self,
        name: &str,
        config: serde_json::Value,
        extra: impl FnOnce(&Path),
    ) -> String {
        let rootfs = self.tmp.join(format!("img-{name}-rootfs"));
        image::busybox_rootfs(&rootfs);
        extra(&rootfs);
        let mut img = image::OciImage::new(vec![image::tar_dir(&rootfs)]);
        if let serde_json::Value::Object(extra_cfg) = config {
            for (k, v) in extra_cfg {
                img.config[k] = v;
            }
        }
        let dir = self.tmp.join(format!("img-{name}"));
        img.write(&dir, "latest");
        format!("oci:{}:latest", dir.display())
    }

    /// The spec of a plain busybox image (`bb`), its own command.
    pub fn busybox_spec(&self) -> Vec<u8> {
        let img = self.image("bb", serde_json::json!({}), |_| {});
        self.spec(&img, &[])
    }

    /// rvol-unpack's spec for `image` running `cmd`.
    pub fn spec(&self, image: &str, cmd: &[&str]) -> Vec<u8> {
        let o = crate::run(self.tool("rvol-unpack").arg(image).args(cmd));
        assert!(
            o.status.success(),
            "rvol-unpack {image}: {}",
            crate::stderr(&o)
        );
        o.stdout
    }

    /// `rvol-mount create ARGS < spec`.
    pub fn create(&self, spec: &[u8], args: &[&str]) -> Output {
        let mut c = self.tool("rvol-mount");
        c.arg("create").args(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn rvol-mount create");
        // A flag refused before the spec is read closes the pipe early.
        let _ = child.stdin.take().unwrap().write_all(spec);
        child.wait_with_output().unwrap()
    }

    /// create, expecting success: the bundle.
    pub fn create_ok(&self, spec: &[u8], args: &[&str]) -> PathBuf {
        let o = self.create(spec, args);
        assert!(
            o.status.success(),
            "create {args:?} failed: {}",
            crate::stderr(&o)
        );
        PathBuf::from(crate::stdout(&o).trim())
    }

    /// The chain: `rvol-ns -- rvol-mount apply -- rvol-exec [-- CMD]`.
    pub fn chain(&self, bundle: &Path, cmd: &[&str]) -> Command {
        let mut c = self.tool("rvol-ns");
        c.arg("--bundle").arg(bundle).arg("--");
        c.arg(bin("rvol-mount"))
            .arg("apply")
            .arg("--bundle")
            .arg(bundle)
            .arg("--");
        c.arg(bin("rvol-exec")).arg("--bundle").arg(bundle);
        if !cmd.is_empty() {
            c.arg("--").args(cmd);
        }
        c
    }

    /// Run `sh -c SCRIPT` in the container.
    pub fn sh(&self, bundle: &Path, script: &str) -> Output {
        crate::run(&mut self.chain(bundle, &["sh", "-c", script]))
    }

    /// Run `sh -c SCRIPT` in the container, expecting success: stdout.
    pub fn sh_ok(&self, bundle: &Path, script: &str) -> String {
        let o = self.sh(bundle, script);
        assert!(
            o.status.success(),
            "{script}: {}\nstdout: {}\nstderr: {}",
            o.status,
            crate::stdout(&o),
            crate::stderr(&o)
        );
        crate::stdout(&o)
    }

    pub fn snapshot(&self) -> Snapshot {
        let r = self.path();
        Snapshot {
            containers: entries(&r.join("containers")),
            names: entries(&r.join("names")),
            volumes: entries(&r.join("volumes")),
            mounts: mounts_under(&self.tmp.path),
        }
    }

    pub fn volume_data(&self, name: &str) -> PathBuf {
        self.path().join("volumes").join(name).join("_data")
    }

    /// The bundle's docker `Mounts` (org.rvol.mounts).
    pub fn mounts_of(&self, bundle: &Path) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.annotation_str(bundle, "org.rvol.mounts")).unwrap()
    }

    /// An annotation of the bundle, as the string it is.
    pub fn annotation_str(&self, bundle: &Path, key: &str) -> String {
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
        spec["annotations"][key].as_str().unwrap().to_string()
    }

    /// An annotation of the bundle, parsed.
    pub fn annotation(&self, bundle: &Path, key: &str) -> serde_json::Value {
        serde_json::from_str(&self.annotation_str(bundle, key)).unwrap()
    }
}

/// Our error text without the `rvol-mount: ` prefix.
pub fn rvol_error(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr);
    let line = s.lines().next().unwrap_or("").to_string();
    line.strip_prefix("rvol-mount: ")
        .unwrap_or(&line)
        .to_string()
}

/// The mount point holding `path` in this process's mount table.
pub fn holder_of(path: &Path) -> String {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|mp| path.starts_with(mp))
        .max_by_key(|mp| mp.len())
        .unwrap_or("/")
        .to_string()
}
